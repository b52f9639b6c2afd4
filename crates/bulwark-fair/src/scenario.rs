//! A loss scenario and the compound model that simulates one year of it.

use crate::count::CountTable;
use crate::engine::{Generator, Purpose, Stream};
use crate::estimate::{Estimate, Range, Sampler, with_draw};
use crate::exponential::{Ziggurat, ziggurat};
use crate::quantile::{Constant, Draw};
use bulwark_core::InputProblem;
use serde::Serialize;
use std::sync::OnceLock;

/// The most loss events a scenario may expect in a year; beyond it a run would loop for too long.
pub const MAX_EVENTS_PER_YEAR: f64 = 100_000.0;

/// One Open FAIR loss scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// Short stable key, referred to by controls and portfolios.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// How often loss events happen.
    pub frequency: Frequency,
    /// Loss per event (money), drawn afresh for every event.
    pub primary_loss: Estimate,
    /// Follow-on loss from secondary stakeholders (fines, lawsuits), if any.
    pub secondary: Option<SecondaryLoss>,
}

/// Loss event frequency, given directly or as threat events × vulnerability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Threat events per year and the probability that one becomes a loss event.
    ThreatEvents {
        /// Threat event frequency (per year).
        tef: Estimate,
        /// Probability in [0, 1] that a threat event becomes a loss event.
        vulnerability: Estimate,
    },
    /// Loss events per year.
    LossEvents(Estimate),
}

/// Secondary loss: with `probability` per loss event, an extra loss of `loss`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SecondaryLoss {
    /// Probability in [0, 1] per loss event.
    pub probability: Estimate,
    /// Secondary loss magnitude (money).
    pub loss: Estimate,
}

/// A control's effect on one scenario, as the fractions that remain (1 = no effect).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Remaining {
    /// Share of the loss event rate that remains.
    pub frequency: f64,
    /// Share of every loss (primary and secondary) that remains.
    pub magnitude: f64,
}

impl Remaining {
    /// No effect.
    pub const NONE: Remaining = Remaining {
        frequency: 1.0,
        magnitude: 1.0,
    };

    /// Both effects applied one after the other.
    pub fn and(self, other: Remaining) -> Remaining {
        Remaining {
            frequency: self.frequency * other.frequency,
            magnitude: self.magnitude * other.magnitude,
        }
    }
}

impl Scenario {
    /// The exact mean annual loss: `E[loss events] × (E[primary] + E[probability]·E[secondary])`.
    pub fn mean_annual_loss(&self) -> f64 {
        let rate = match self.frequency {
            Frequency::ThreatEvents { tef, vulnerability } => tef.mean() * vulnerability.mean(),
            Frequency::LossEvents(lef) => lef.mean(),
        };
        let secondary = self
            .secondary
            .map_or(0.0, |s| s.probability.mean() * s.loss.mean());
        rate * (self.primary_loss.mean() + secondary)
    }

    /// Every problem with this scenario's estimates, located under `path` (such as `scenarios[3]`).
    pub fn problems(&self, path: &str) -> Vec<InputProblem> {
        let mut out = Vec::new();
        let (field, rate) = match &self.frequency {
            Frequency::ThreatEvents { tef, vulnerability } => {
                out.extend(
                    vulnerability.problems(&format!("{path}.vulnerability"), Range::Probability),
                );
                ("tef", tef)
            }
            Frequency::LossEvents(lef) => ("lef", lef),
        };
        out.extend(rate.problems(&format!("{path}.{field}"), Range::NonNegative));
        let rate_bound = rate.high_value();
        if rate_bound > MAX_EVENTS_PER_YEAR {
            out.push(InputProblem::in_record(
                path,
                Some(field),
                format!(
                    "at most {MAX_EVENTS_PER_YEAR} events a year (got {rate_bound}); model frequent small losses as one yearly loss"
                ),
            ));
        }
        out.extend(
            self.primary_loss
                .problems(&format!("{path}.primary_loss"), Range::NonNegative),
        );
        if let Some(s) = &self.secondary {
            out.extend(
                s.probability
                    .problems(&format!("{path}.secondary.probability"), Range::Probability),
            );
            out.extend(
                s.loss
                    .problems(&format!("{path}.secondary.loss"), Range::NonNegative),
            );
        }
        out
    }

    /// A prepared simulator. The scenario must be free of [`Scenario::problems`].
    pub(crate) fn simulator(&self) -> YearSimulator {
        let rate_estimates = match self.frequency {
            Frequency::ThreatEvents { tef, vulnerability } => (tef, vulnerability),
            Frequency::LossEvents(lef) => (lef, Estimate::Constant(1.0)),
        };
        YearSimulator {
            rate_estimates,
            rates: OnceLock::new(),
            primary: self.primary_loss.sampler(),
            secondary: self
                .secondary
                .map(|s| (s.probability.sampler(), s.loss.sampler())),
        }
    }
}

/// Simulates the annual loss of one scenario.
#[derive(Debug)]
pub(crate) struct YearSimulator {
    /// TEF and vulnerability (or LEF and 1).
    rate_estimates: (Estimate, Estimate),
    /// Their samplers, built when a run draws rates (see [`YearSimulator::plan`]).
    rates: OnceLock<(Sampler, Sampler)>,
    primary: Sampler,
    secondary: Option<(Sampler, Sampler)>,
}

/// Trials simulated together (see [`Plan::years`]); positions in a batch fit a `u8`.
const BATCH: usize = 256;

impl YearSimulator {
    /// The simulator with a control's effect applied, ready to simulate years.
    pub(crate) fn plan(&self, remaining: Remaining) -> Plan<'_> {
        let (rate, vulnerability) = &self.rate_estimates;
        let counts = CountTable::new(rate, vulnerability, remaining.frequency);
        let rates = counts.is_none().then(|| {
            self.rates
                .get_or_init(|| (rate.sampler(), vulnerability.sampler()))
        });
        Plan {
            sim: self,
            remaining,
            counts,
            rates,
        }
    }
}

/// A [`YearSimulator`] with a control's effect applied (see [`YearSimulator::plan`]).
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    sim: &'a YearSimulator,
    remaining: Remaining,
    /// The distribution of a year's event count, when its rate is bounded.
    counts: Option<CountTable>,
    /// Otherwise the samplers of the rate (TEF or LEF) and vulnerability.
    rates: Option<&'a (Sampler, Sampler)>,
}

impl Plan<'_> {
    /// Simulated annual losses of trials `first, first + 1, …` of `stream`, one per slot of `out`.
    ///
    /// Each trial (year) has a loss event rate λ = TEF × vulnerability (or LEF), scaled by
    /// `remaining.frequency`, and a Poisson number of loss events given λ (the same as thinning
    /// a Poisson(TEF) count of threat events with probability `vulnerability`). Each event draws
    /// its own primary loss and, with the secondary probability (drawn once a year), a secondary
    /// loss. The count is drawn in one of two ways, with the same distribution:
    ///
    /// * when λ is bounded (constant and PERT estimates, at most `count::MAX_RATE` a year), from
    ///   its mixed Poisson distribution, by inversion with one random number (see `count.rs`);
    /// * otherwise by drawing λ, then the arrivals of a Poisson process of rate λ within the year,
    ///   adding standard exponential gaps until they pass λ.
    ///
    /// A trial's draws come from its own generators, one per [`Purpose`], each number in a fixed
    /// place: with the same stream, a control that lowers the frequency only drops the year's last
    /// events (the count is monotone in the rate either way) and one that lowers magnitude scales
    /// the same losses, so "before" and "after" runs are common random numbers, event by event.
    ///
    /// Trials go in batches of [`BATCH`], without a branch that depends on the draws (which the
    /// processor could not predict): first every trial's count (or rate and first arrival),
    /// keeping the trials with an event (most years of most scenarios have none); then in round r
    /// every kept trial draws its event r and stays if it has another (or if its next arrival is
    /// still within the year).
    pub(crate) fn years(&self, stream: Stream, first: usize, out: &mut [f64]) {
        let sim = self.sim;
        let mut batch = Batch::new(stream);
        for (b, years) in out.chunks_mut(BATCH).enumerate() {
            let first = first + b * BATCH;
            let n = years.len();
            let count = match (&self.counts, self.rates) {
                (Some(table), _) => batch.counted(table, first, n),
                (None, Some((rate, vulnerability))) => with_draw!(rate, r =>
                    with_draw!(vulnerability, v =>
                        batch.arrivals(r, v, first, n, self.remaining.frequency))),
                (None, None) => unreachable!("a plan has counts or rates"),
            };
            if count > 0 {
                let counted = self.counts.is_some();
                match &sim.secondary {
                    None => with_draw!(&sim.primary, p => if counted {
                        batch.events::<_, Constant, true>(p, None, count)
                    } else {
                        batch.events::<_, Constant, false>(p, None, count)
                    }),
                    Some((probability, loss)) => {
                        let chance = match probability {
                            Sampler::Constant(p) => Chance::Fixed(*p, reciprocal(*p)),
                            _ => {
                                batch.probabilities(probability, count);
                                Chance::Yearly
                            }
                        };
                        with_draw!(&sim.primary, p => with_draw!(loss, l => if counted {
                            batch.events::<_, _, true>(p, Some((l, chance)), count)
                        } else {
                            batch.events::<_, _, false>(p, Some((l, chance)), count)
                        }))
                    }
                }
            }
            for (year, total) in years.iter_mut().zip(&batch.totals) {
                *year = total * self.remaining.magnitude;
            }
        }
    }
}

/// A scenario's secondary-loss probability: the same every year (with its reciprocal), or drawn
/// each year (into `Batch::probabilities`).
#[derive(Debug, Clone, Copy)]
enum Chance {
    Fixed(f64, f64),
    Yearly,
}

/// The state of the trials of one batch (position k is trial `first + k`).
struct Batch {
    stream: Stream,
    zig: &'static Ziggurat,
    first: usize,
    /// Each year's loss event rate.
    rates: [f64; BATCH],
    /// Each year's latest arrival.
    clocks: [f64; BATCH],
    /// Each year's generator of gaps.
    gaps: [Generator; BATCH],
    /// Each year's event count, when drawn directly.
    counts: [u32; BATCH],
    /// Each year's summed loss.
    totals: [f64; BATCH],
    /// Each year's secondary-loss probability and its reciprocal, when the scenario has one.
    probabilities: [(f64, f64); BATCH],
    /// The years still having events, in their first `count` places.
    active: [u8; BATCH],
}

impl Batch {
    fn new(stream: Stream) -> Self {
        Batch {
            stream,
            zig: ziggurat(),
            first: 0,
            rates: [0.0; BATCH],
            clocks: [0.0; BATCH],
            gaps: [Generator::default(); BATCH],
            counts: [0; BATCH],
            totals: [0.0; BATCH],
            probabilities: [(0.0, 0.0); BATCH],
            active: [0; BATCH],
        }
    }

    /// Draws the rates and first arrivals of trials `first..first + n`, clears their totals, and
    /// returns how many have a first arrival within the year (listed in `active`).
    #[inline]
    fn arrivals(
        &mut self,
        rate: impl Draw,
        vulnerability: impl Draw,
        first: usize,
        n: usize,
        frequency: f64,
    ) -> usize {
        self.first = first;
        let mut count = 0;
        for k in 0..n.min(BATCH) {
            let words = self.stream.generator(first + k, Purpose::Rates);
            let bits = words.peek(0);
            let lambda = rate.draw_bits(high(bits), || words.peek(1))
                * vulnerability.draw_bits(low(bits), || words.peek(2))
                * frequency;
            let mut gaps = self.stream.generator(first + k, Purpose::Gaps);
            let clock = self.zig.sample(&mut gaps);
            self.rates[k] = lambda;
            self.clocks[k] = clock;
            self.gaps[k] = gaps;
            self.totals[k] = 0.0;
            // `count ≤ k < BATCH`; the mask only spares a bounds check.
            self.active[count & (BATCH - 1)] = k as u8;
            count += usize::from(clock <= lambda);
        }
        count
    }

    /// Draws the event counts of trials `first..first + n` from `table`, clears their totals, and
    /// returns how many have an event (listed in `active`).
    #[inline]
    fn counted(&mut self, table: &CountTable, first: usize, n: usize) -> usize {
        self.first = first;
        let mut count = 0;
        for k in 0..n.min(BATCH) {
            let word = self.stream.generator(first + k, Purpose::Rates).peek(0);
            let events = table.draw(unit(word));
            self.counts[k] = events;
            self.totals[k] = 0.0;
            // `count ≤ k < BATCH`; the mask only spares a bounds check.
            self.active[count & (BATCH - 1)] = k as u8;
            count += usize::from(events > 0);
        }
        count
    }

    /// Each active year's secondary-loss probability (and its reciprocal).
    fn probabilities(&mut self, probability: &Sampler, count: usize) {
        for &k in &self.active[..count] {
            let k = usize::from(k);
            let words = self.stream.generator(self.first + k, Purpose::Rates);
            let p = probability.draw(words.peek(3));
            self.probabilities[k] = (p, reciprocal(p));
        }
    }

    /// The loss events of the `count` active years, in rounds.
    ///
    /// A secondary loss takes one random number `u`: it happens if `u < p`, and then `u / p`,
    /// uniform on [0, 1) and independent of the coin, picks its amount.
    #[inline]
    fn events<P: Draw, S: Draw, const COUNTED: bool>(
        &mut self,
        primary: P,
        secondary: Option<(S, Chance)>,
        mut count: usize,
    ) {
        let mut round = 0;
        while count > 0 {
            let mut next = 0;
            for i in 0..count {
                let k = usize::from(self.active[i]);
                let words = self.stream.generator(self.first + k, Purpose::Events);
                let at = 3 * round;
                let bits = words.peek(at);
                let mut loss = primary.draw_bits(high(bits), || words.peek(at + 1));
                if let Some((secondary, chance)) = secondary {
                    let (p, per_p) = match chance {
                        Chance::Fixed(p, per_p) => (p, per_p),
                        Chance::Yearly => self.probabilities[k],
                    };
                    let u = f64::from(low(bits)) * (1.0 / (1u64 << 32) as f64);
                    // Without a secondary loss the amount is drawn but not used (no branch).
                    // Where some draws are costly (a lognormal's outer intervals), it is then
                    // drawn at the median instead.
                    if S::EVEN_COST {
                        let amount = secondary.draw_at(u * per_p, || words.peek(at + 2));
                        loss += if u < p { amount } else { 0.0 };
                    } else {
                        let hit = f64::from(u8::from(u < p));
                        let at_u = u * per_p * hit + 0.5 * (1.0 - hit);
                        loss += hit * secondary.draw_at(at_u, || words.peek(at + 2));
                    }
                }
                self.totals[k] += loss;
                let more = if COUNTED {
                    self.counts[k] > round as u32 + 1
                } else {
                    let clock = self.clocks[k] + self.zig.sample(&mut self.gaps[k]);
                    self.clocks[k] = clock;
                    clock <= self.rates[k]
                };
                // `next ≤ i < BATCH`; the mask only spares a bounds check.
                self.active[next & (BATCH - 1)] = k as u8;
                next += usize::from(more);
            }
            count = next;
            round += 1;
        }
    }
}

/// A uniform number in [0, 1) from the top 53 bits of a random word.
#[inline]
fn unit(word: u64) -> f64 {
    ((word >> 11) as i64) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `1/p`, or 0 for a probability of 0 (never used then, but finite).
fn reciprocal(p: f64) -> f64 {
    if p > 0.0 { 1.0 / p } else { 0.0 }
}

/// The high 32 bits of a random word.
#[inline]
fn high(word: u64) -> u32 {
    (word >> 32) as u32
}

/// The low 32 bits of a random word.
#[inline]
fn low(word: u64) -> u32 {
    word as u32
}
