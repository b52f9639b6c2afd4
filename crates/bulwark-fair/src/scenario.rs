//! A loss scenario and the compound model that simulates one year of it.

use crate::engine::{Generator, Purpose, Stream};
use crate::estimate::{Estimate, Range, Sampler};
use crate::exponential::ziggurat;
use bulwark_core::InputProblem;
use serde::Serialize;

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
        let (rate, vulnerability) = match self.frequency {
            Frequency::ThreatEvents { tef, vulnerability } => {
                (tef.sampler(), vulnerability.sampler())
            }
            Frequency::LossEvents(lef) => (lef.sampler(), Sampler::Constant(1.0)),
        };
        YearSimulator {
            rate,
            vulnerability,
            primary: self.primary_loss.sampler(),
            secondary: self
                .secondary
                .map(|s| (s.probability.sampler(), s.loss.sampler())),
        }
    }
}

/// Simulates the annual loss of one scenario, one year (trial) at a time.
#[derive(Debug, Clone)]
pub(crate) struct YearSimulator {
    rate: Sampler,
    vulnerability: Sampler,
    primary: Sampler,
    secondary: Option<(Sampler, Sampler)>,
}

/// Trials whose rates are drawn before their loss events are (see [`YearSimulator::years`]).
const BATCH: usize = 256;

impl YearSimulator {
    /// Simulated annual losses of trials `first, first + 1, …` of `stream`, one per slot of `out`.
    ///
    /// Each trial (year) draws its loss event rate λ = TEF × vulnerability (or LEF), scaled by
    /// `remaining.frequency`. Loss events are the arrivals of a Poisson process of rate λ within
    /// the year, found by adding standard exponential gaps until they pass the rate: exactly a
    /// Poisson count (and the same as thinning a Poisson(TEF) count of threat events with
    /// probability `vulnerability`). Each event draws its own primary loss and, with the secondary
    /// probability (drawn once a year), a secondary loss.
    ///
    /// A trial's draws come from its own generators, one per [`Purpose`], each in a fixed order:
    /// with the same stream, a control that lowers the frequency only drops the year's last events
    /// and one that lowers magnitude scales the same losses, so "before" and "after" runs are
    /// common random numbers, event by event.
    ///
    /// Work goes in batches, in two passes: first every trial's rate and first arrival (no
    /// branches; most years of most scenarios have no loss event), keeping the trials whose first
    /// event falls within the year; then the events of those trials alone.
    pub(crate) fn years(
        &self,
        stream: Stream,
        first: usize,
        remaining: Remaining,
        out: &mut [f64],
    ) {
        let zig = ziggurat();
        let mut rates = [0.0; BATCH];
        let mut clocks = [0.0; BATCH];
        let mut gaps = [Generator::default(); BATCH];
        let mut probabilities = [0.0; BATCH];
        let mut active = [0u16; BATCH];
        for (batch, years) in out.chunks_mut(BATCH).enumerate() {
            let first = first + batch * BATCH;
            let n = years.len();
            let (rates, clocks, gaps) = (&mut rates[..n], &mut clocks[..n], &mut gaps[..n]);
            let word = |position: u64| {
                move |k: usize| stream.generator(first + k, Purpose::Rates).peek(position)
            };
            self.rate.draws(rates, word(0), |_, x| x);
            let frequency = remaining.frequency;
            self.vulnerability
                .draws(rates, word(1), |rate, v| rate * v * frequency);
            for (k, (clock, generator)) in clocks.iter_mut().zip(gaps.iter_mut()).enumerate() {
                let mut g = stream.generator(first + k, Purpose::Gaps);
                *clock = zig.sample(&mut g);
                *generator = g;
            }
            let mut count = 0;
            for (k, (clock, rate)) in clocks.iter().zip(rates.iter()).enumerate() {
                active[count] = k as u16;
                count += usize::from(clock <= rate);
            }
            years.fill(0.0);
            if let Some((probability, _)) = &self.secondary {
                probability.draws(&mut probabilities[..n], word(2), |_, p| p);
            }
            // Round r: every year with more than r events draws its event r and its next gap.
            let mut round = 0;
            while count > 0 {
                let mut next = 0;
                for i in 0..count {
                    let k = usize::from(active[i]);
                    let draws = stream.generator(first + k, Purpose::Events);
                    let mut loss = self.primary.draw(draws.peek(2 * round));
                    if let Some((_, secondary)) = &self.secondary {
                        let p = probabilities[k];
                        let u = unit(draws.peek(2 * round + 1));
                        let amount = secondary.draw_unit((u / p).min(BELOW_ONE));
                        loss += if u < p { amount } else { 0.0 };
                    }
                    years[k] += loss;
                    let clock = clocks[k] + zig.sample(&mut gaps[k]);
                    clocks[k] = clock;
                    active[next] = k as u16;
                    next += usize::from(clock <= rates[k]);
                }
                count = next;
                round += 1;
            }
            if remaining.magnitude != 1.0 {
                years.iter_mut().for_each(|y| *y *= remaining.magnitude);
            }
        }
    }
}

/// The largest number below 1.
const BELOW_ONE: f64 = 1.0 - f64::EPSILON / 2.0;

/// A uniform number in [0, 1) from the top 53 bits of a random word.
#[inline]
fn unit(word: u64) -> f64 {
    ((word >> 11) as i64) as f64 * (1.0 / (1u64 << 53) as f64)
}
