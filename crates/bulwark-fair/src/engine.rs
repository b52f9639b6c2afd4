//! Reproducible Monte Carlo runs on all cores, with progress and cancellation.
//!
//! Every trial (simulated year) has its own generators derived from (seed, stream, trial index,
//! purpose), so results are bit-identical whatever the number of threads or the way work is split,
//! and runs with the same seed use common random numbers trial by trial.

use crate::scenario::{Remaining, Scenario, YearSimulator};
use rand::{RngCore, SeedableRng};
use rand_xoshiro::SplitMix64;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Trials per unit of parallel work, progress report and cancellation check.
pub const BLOCK: usize = 4096;

/// SplitMix64's increment (the golden ratio in 64 bits).
const PHI: u64 = 0x9E37_79B9_7F4A_7C15;

/// Trials done so far, for a background job to report; and a cancellation switch.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
}

impl Progress {
    /// A fresh counter.
    pub fn new() -> Self {
        Progress::default()
    }

    /// Trials simulated so far (all scenarios and re-runs together).
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Trials the run expects to simulate (it may grow while the funding plan is worked out).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Asks the run to stop at the next block of trials.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`Progress::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    pub(crate) fn expect(&self, trials: u64) {
        self.total.fetch_add(trials, Ordering::Relaxed);
    }

    fn advance(&self, trials: usize) -> Result<(), Cancelled> {
        self.done.fetch_add(trials as u64, Ordering::Relaxed);
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The run was cancelled through [`Progress::cancel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Which random numbers a run uses: the seed, and the stream (the scenario's position in its model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    key: u64,
}

/// What a trial's random numbers are for: each purpose has its own run of the trial's sequence,
/// so the draws of one purpose never shift those of another (common random numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The year's rate draws (TEF or LEF, vulnerability) and its secondary-loss probability.
    Rates = 0,
    /// The exponential gaps between loss events (the first is the first arrival).
    Gaps = 1,
    /// The draws of each loss event: numbers `2e` and `2e + 1` for event `e`, its primary loss
    /// and its secondary loss (if any).
    Events = 2,
}

impl Stream {
    /// The stream of scenario number `index` under `seed`.
    pub fn new(seed: u64, index: u64) -> Self {
        let mixed_index = SplitMix64::seed_from_u64(index).next_u64();
        Stream {
            key: SplitMix64::seed_from_u64(seed ^ mixed_index).next_u64(),
        }
    }

    /// The generator of one trial and purpose: SplitMix64 (passes BigCrush; one add and two
    /// multiplies a number, and free to seed) started 2³² steps per trial and 2³⁰ per purpose apart
    /// on this stream's sequence, so no two draws share a number unless one purpose of one trial
    /// draws more than 2³⁰ of them (a year holds at most about 10⁵ loss events).
    #[inline]
    pub(crate) fn generator(self, trial: usize, purpose: Purpose) -> Generator {
        let position = ((trial as u64) << 32) | ((purpose as u64) << 30);
        Generator {
            state: self.key.wrapping_add(position.wrapping_mul(PHI)),
        }
    }
}

/// SplitMix64, the same sequence as `rand_xoshiro::SplitMix64` (a test checks it), written out so
/// it inlines into the trial loops.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Generator {
    state: u64,
}

impl Generator {
    /// The `k`-th number from here on (`k = 0` is the next one), without advancing.
    #[inline]
    pub(crate) fn peek(&self, k: u64) -> u64 {
        mix(self.state.wrapping_add(k.wrapping_add(1).wrapping_mul(PHI)))
    }
}

#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl RngCore for Generator {
    #[inline]
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(PHI);
        mix(self.state)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// The simulated annual losses of one scenario, one per trial, on random stream `stream` (its
/// position in its model) under `seed`. The scenario must be free of `Scenario::problems`.
pub fn annual_losses(
    scenario: &Scenario,
    seed: u64,
    stream: u64,
    trials: usize,
    progress: &Progress,
) -> Result<Vec<f64>, Cancelled> {
    let mut out = vec![0.0; trials];
    fill(
        &mut out,
        &scenario.simulator(),
        Stream::new(seed, stream),
        Remaining::NONE,
        progress,
    )?;
    Ok(out)
}

/// Fills `out` with one simulated annual loss per trial.
pub(crate) fn fill(
    out: &mut [f64],
    sim: &YearSimulator,
    stream: Stream,
    remaining: Remaining,
    progress: &Progress,
) -> Result<(), Cancelled> {
    let plan = sim.plan(remaining);
    out.par_chunks_mut(BLOCK)
        .enumerate()
        .try_for_each(|(block, chunk)| {
            plan.years(stream, block * BLOCK, chunk);
            progress.advance(chunk.len())
        })
}

/// The mean annual loss over `trials` trials, without keeping them.
///
/// Block sums are added in block order, so the result does not depend on the thread count.
pub(crate) fn mean(
    trials: usize,
    sim: &YearSimulator,
    stream: Stream,
    remaining: Remaining,
    progress: &Progress,
) -> Result<f64, Cancelled> {
    let blocks = trials.div_ceil(BLOCK);
    let plan = sim.plan(remaining);
    let sums = (0..blocks)
        .into_par_iter()
        .map(|block| {
            let first = block * BLOCK;
            let mut years = [0.0; BLOCK];
            let years = &mut years[..BLOCK.min(trials - first)];
            plan.years(stream, first, years);
            let sum: f64 = years.iter().sum();
            progress.advance(years.len()).map(|()| sum)
        })
        .collect::<Result<Vec<f64>, Cancelled>>()?;
    Ok(sums.iter().sum::<f64>() / trials as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::Estimate;
    use crate::scenario::{Frequency, Scenario, SecondaryLoss};

    pub(crate) fn ransomware() -> Scenario {
        Scenario {
            id: "ransomware".into(),
            name: "Ransomware".into(),
            frequency: Frequency::ThreatEvents {
                tef: Estimate::Pert {
                    min: 0.5,
                    mode: 2.0,
                    max: 6.0,
                },
                vulnerability: Estimate::Pert {
                    min: 0.1,
                    mode: 0.3,
                    max: 0.6,
                },
            },
            primary_loss: Estimate::Lognormal90 {
                low: 20_000.0,
                high: 400_000.0,
            },
            secondary: Some(SecondaryLoss {
                probability: Estimate::Constant(0.3),
                loss: Estimate::Pert {
                    min: 10_000.0,
                    mode: 50_000.0,
                    max: 300_000.0,
                },
            }),
        }
    }

    fn stats(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, var.sqrt())
    }

    #[test]
    fn compound_mean_is_rate_times_mean_loss_within_4_sigma() {
        let s = ransomware();
        let n = 200_000;
        let mut v = vec![0.0; n];
        fill(
            &mut v,
            &s.simulator(),
            Stream::new(1, 0),
            Remaining::NONE,
            &Progress::new(),
        )
        .unwrap();
        let (m, sd) = stats(&v);
        let want = s.mean_annual_loss();
        assert!(
            (m - want).abs() < 4.0 * sd / (n as f64).sqrt(),
            "{m} vs {want}"
        );
    }

    #[test]
    fn poisson_lognormal_compound_mean_is_lambda_times_mean_loss() {
        let (lambda, low, high) = (2.5, 10_000.0, 1_000_000.0);
        let s = Scenario {
            frequency: Frequency::LossEvents(Estimate::Constant(lambda)),
            primary_loss: Estimate::Lognormal90 { low, high },
            secondary: None,
            ..ransomware()
        };
        let (mu, sigma) = crate::estimate::lognormal_params(low, high);
        let exact = lambda * (mu + sigma * sigma / 2.0).exp();
        assert!((s.mean_annual_loss() - exact).abs() < 1e-6 * exact);
        let n = 200_000;
        let mut v = vec![0.0; n];
        let p = Progress::new();
        fill(
            &mut v,
            &s.simulator(),
            Stream::new(4, 0),
            Remaining::NONE,
            &p,
        )
        .unwrap();
        let (m, sd) = stats(&v);
        assert!(
            (m - exact).abs() < 4.0 * sd / (n as f64).sqrt(),
            "{m} vs {exact}"
        );
    }

    #[test]
    fn loss_event_count_is_poisson() {
        // A constant loss of 1 per event makes the annual loss the event count: mean = variance = λ.
        let s = Scenario {
            frequency: Frequency::LossEvents(Estimate::Constant(3.0)),
            primary_loss: Estimate::Constant(1.0),
            secondary: None,
            ..ransomware()
        };
        let n = 200_000;
        let mut v = vec![0.0; n];
        let p = Progress::new();
        fill(
            &mut v,
            &s.simulator(),
            Stream::new(9, 0),
            Remaining::NONE,
            &p,
        )
        .unwrap();
        assert_eq!(p.done(), n as u64);
        let (m, sd) = stats(&v);
        assert!((m - 3.0).abs() < 4.0 * sd / (n as f64).sqrt(), "{m}");
        assert!((sd * sd / 3.0 - 1.0).abs() < 0.02, "{}", sd * sd);
        let zeros = v.iter().filter(|&&x| x == 0.0).count() as f64 / n as f64;
        assert!((zeros - (-3.0f64).exp()).abs() < 0.003, "{zeros}");
    }

    #[test]
    fn same_numbers_with_one_thread_or_many() {
        let s = ransomware().simulator();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let mut v = vec![0.0; 3 * BLOCK + 17];
                    let p = Progress::new();
                    fill(&mut v, &s, Stream::new(5, 2), Remaining::NONE, &p).unwrap();
                    let m = mean(v.len(), &s, Stream::new(5, 2), Remaining::NONE, &p).unwrap();
                    (v, m)
                })
        };
        let (one, m1) = run(1);
        let (four, m4) = run(4);
        assert!(
            one.iter()
                .zip(&four)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        assert_eq!(m1.to_bits(), m4.to_bits());
        assert!((stats(&one).0 - m1).abs() < 1e-6 * m1);
    }

    #[test]
    fn lower_frequency_never_raises_a_year_s_loss() {
        let s = ransomware().simulator();
        let n = 20_000;
        let (mut before, mut after) = (vec![0.0; n], vec![0.0; n]);
        let p = Progress::new();
        fill(&mut before, &s, Stream::new(3, 0), Remaining::NONE, &p).unwrap();
        let half = Remaining {
            frequency: 0.5,
            magnitude: 0.8,
        };
        fill(&mut after, &s, Stream::new(3, 0), half, &p).unwrap();
        assert!(before.iter().zip(&after).all(|(b, a)| a <= b));
        let ratio = stats(&after).0 / stats(&before).0;
        assert!((ratio - 0.4).abs() < 0.03, "{ratio}");
    }

    #[test]
    fn generator_is_splitmix64_and_peek_looks_ahead() {
        let stream = Stream::new(8, 3);
        let mut ours = stream.generator(12, Purpose::Gaps);
        let ahead: Vec<u64> = (0..4).map(|k| ours.peek(k)).collect();
        let position = (12u64 << 32) | ((Purpose::Gaps as u64) << 30);
        let mut theirs =
            SplitMix64::seed_from_u64(stream.key.wrapping_add(position.wrapping_mul(PHI)));
        for want in ahead {
            let next = theirs.next_u64();
            assert_eq!(next, want);
            assert_eq!(ours.next_u64(), next);
        }
    }

    #[test]
    fn lower_frequency_keeps_the_way_counts_are_drawn() {
        // Beyond 16 events a year at full frequency (so exponential gaps), within it at half.
        let frequent = Scenario {
            frequency: Frequency::LossEvents(Estimate::Pert {
                min: 10.0,
                mode: 20.0,
                max: 30.0,
            }),
            ..ransomware()
        }
        .simulator();
        let n = 5_000;
        let (mut before, mut after) = (vec![0.0; n], vec![0.0; n]);
        let p = Progress::new();
        fill(
            &mut before,
            &frequent,
            Stream::new(6, 0),
            Remaining::NONE,
            &p,
        )
        .unwrap();
        let half = Remaining {
            frequency: 0.5,
            magnitude: 1.0,
        };
        fill(&mut after, &frequent, Stream::new(6, 0), half, &p).unwrap();
        assert!(before.iter().zip(&after).all(|(b, a)| a <= b));
    }

    #[test]
    fn cancelling_stops_the_run() {
        let p = Progress::new();
        p.cancel();
        let mut v = vec![0.0; 2 * BLOCK];
        let s = ransomware().simulator();
        assert_eq!(
            fill(&mut v, &s, Stream::new(1, 0), Remaining::NONE, &p),
            Err(Cancelled)
        );
    }
}
