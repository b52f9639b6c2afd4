//! What a run tells: mean, spread, percentiles, value at risk, expected shortfall, exceedance.

use crate::engine::BLOCK;
use serde::Serialize;

/// What to compute besides the fixed statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryOptions {
    /// Confidence level of the value at risk and expected shortfall, in (0, 1); usually 0.95.
    pub var_level: f64,
    /// Losses whose probability of being exceeded in a year is reported.
    pub thresholds: Vec<f64>,
    /// Points on the loss-exceedance curve.
    pub curve_points: usize,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            var_level: 0.95,
            thresholds: Vec::new(),
            curve_points: 50,
        }
    }
}

/// The distribution of annual loss, summarised.
///
/// Percentiles use the nearest rank: `Pq` is the ⌈q·N⌉-th smallest trial.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Number of simulated years.
    pub trials: u64,
    /// Mean annual loss (annualised loss expectancy).
    pub mean: f64,
    /// Standard deviation of the annual loss.
    pub stddev: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Value at risk: the annual loss not exceeded with probability `var_level`.
    pub value_at_risk: f64,
    /// The level of the value at risk.
    pub var_level: f64,
    /// Expected shortfall: the mean of the years at or beyond the value at risk.
    pub expected_shortfall: f64,
    /// Probability of any loss in a year.
    pub probability_of_loss: f64,
    /// The worst simulated year.
    pub max: f64,
    /// Probability that the annual loss exceeds each requested threshold.
    pub exceedance: Vec<Exceedance>,
    /// Loss-exceedance curve: log-spaced losses from the smallest to the largest simulated year.
    pub loss_exceedance_curve: Vec<Exceedance>,
}

/// A loss and the probability that a year's loss is greater.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Exceedance {
    /// The loss.
    pub loss: f64,
    /// Probability that the annual loss exceeds it.
    pub probability: f64,
}

impl Summary {
    /// Summarises the annual losses of a run; reorders `losses` (partial selection, no full sort).
    ///
    /// Deterministic for a given input order, so thread-independent runs give identical summaries.
    pub fn from_losses(losses: &mut [f64], options: &SummaryOptions) -> Summary {
        let n = losses.len();
        if n == 0 {
            return Summary::empty(options);
        }
        let count = n as f64;
        // Summed block by block like `engine::mean`, so both give the same number for one run.
        let mean = losses
            .chunks(BLOCK)
            .map(|block| block.iter().sum::<f64>())
            .sum::<f64>()
            / count;
        // One pass: the spread, the largest and smallest loss, and years without loss moved to the
        // front (percentiles within their share are 0, and only the other years need selecting
        // and counting: most years of a rare scenario lose nothing). No branch on the data.
        let (mut squares, mut max, mut zeros) = (0.0, 0.0f64, 0);
        for i in 0..n {
            let x = losses[i];
            squares += (x - mean) * (x - mean);
            let positive = x > 0.0;
            max = max.max(x);
            // Choices made on the bits (`pick(a, b)` is `a` if positive, else `b`): a processor
            // cannot guess whether a year lost anything, so no branch may depend on it.
            let mask = 0u64.wrapping_sub(u64::from(positive));
            let pick = |a: f64, b: f64| {
                let (a, b) = (a.to_bits(), b.to_bits());
                f64::from_bits(b ^ ((a ^ b) & mask))
            };
            // Swap `x` with the first year after the zeros when it is itself a zero.
            let first = losses[zeros];
            losses[i] = pick(x, first);
            losses[zeros] = pick(first, x);
            zeros += usize::from(!positive);
        }
        let var = squares / (count - 1.0).max(1.0);
        let positive = n - zeros;
        let min_positive = losses[zeros..].iter().fold(f64::INFINITY, |m, &x| m.min(x));
        let rank = |q: f64| ((q * count).ceil() as usize).clamp(1, n) - 1;
        let levels = [0.10, 0.50, 0.90, 0.95, 0.99, options.var_level];
        let mut ranks: Vec<usize> = levels.iter().map(|&q| rank(q)).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let mut from = zeros;
        for &r in ranks.iter().filter(|&&r| r >= zeros) {
            losses[from..].select_nth_unstable_by(r - from, f64::total_cmp);
            from = r + 1;
        }
        let at = |q: f64| losses[rank(q)];
        let var_rank = rank(options.var_level);
        let tail = &losses[var_rank..];
        let expected_shortfall = tail.iter().sum::<f64>() / tail.len() as f64;
        let curve = if positive == 0 {
            Vec::new()
        } else {
            log_spaced(min_positive.max(max * 1e-6), max, options.curve_points)
        };
        Summary {
            trials: n as u64,
            mean,
            stddev: var.sqrt(),
            p10: at(0.10),
            p50: at(0.50),
            p90: at(0.90),
            p95: at(0.95),
            p99: at(0.99),
            value_at_risk: losses[var_rank],
            var_level: options.var_level,
            expected_shortfall,
            probability_of_loss: positive as f64 / count,
            max,
            exceedance: exceedances(&losses[zeros..], n, &options.thresholds),
            loss_exceedance_curve: exceedances(&losses[zeros..], n, &curve),
        }
    }

    fn empty(options: &SummaryOptions) -> Summary {
        Summary {
            trials: 0,
            mean: 0.0,
            stddev: 0.0,
            p10: 0.0,
            p50: 0.0,
            p90: 0.0,
            p95: 0.0,
            p99: 0.0,
            value_at_risk: 0.0,
            var_level: options.var_level,
            expected_shortfall: 0.0,
            probability_of_loss: 0.0,
            max: 0.0,
            exceedance: Vec::new(),
            loss_exceedance_curve: Vec::new(),
        }
    }
}

/// `points` losses from `low` to `high`, evenly spaced on a log scale.
fn log_spaced(low: f64, high: f64, points: usize) -> Vec<f64> {
    if points < 2 || high <= low {
        return vec![high];
    }
    let (a, b) = (low.ln(), high.ln());
    let step = (b - a) / (points - 1) as f64;
    // The ends exactly, not through exp(ln x), so no year lies above the last point.
    (0..points)
        .map(|i| match i {
            0 => low,
            i if i == points - 1 => high,
            i => (a + step * i as f64).exp(),
        })
        .collect()
}

/// For each loss (≥ 0), the share of `total` years whose loss is strictly greater, counted over
/// `values` (the years with a loss) in one pass with a binary search each.
fn exceedances(values: &[f64], total: usize, losses: &[f64]) -> Vec<Exceedance> {
    if losses.is_empty() {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..losses.len()).collect();
    order.sort_by(|&a, &b| losses[a].total_cmp(&losses[b]));
    let sorted: Vec<f64> = order.iter().map(|&i| losses[i]).collect();
    let counts = count_below(values, &sorted);

    let total = total as f64;
    let mut above = vec![0u64; sorted.len()];
    let mut running = 0;
    for k in (0..sorted.len()).rev() {
        running += counts[k + 1];
        above[k] = running;
    }
    let mut out = vec![
        Exceedance {
            loss: 0.0,
            probability: 0.0
        };
        losses.len()
    ];
    for (k, &i) in order.iter().enumerate() {
        out[i] = Exceedance {
            loss: losses[i],
            probability: above[k] as f64 / total,
        };
    }
    out
}

/// Largest number of buckets of [`count_below`]'s table.
const BUCKETS: u64 = 8192;

/// `counts[k]`: how many of `values` (all > 0) have exactly `k` of `sorted` (ascending by
/// `total_cmp`) strictly below them.
///
/// Positive numbers are ordered like their bits, so the top bits of a value pick a bucket of a
/// small table that tells how many thresholds lie in lower buckets; only a value in the rare
/// bucket that holds a threshold is compared with it. (A binary search per value costs several
/// times more.)
fn count_below(values: &[f64], sorted: &[f64]) -> Vec<u64> {
    // Thresholds ≤ 0 are below every value; NaN and +∞ (sorted last) below none.
    let low = sorted.partition_point(|&s| s <= 0.0);
    let high = sorted.partition_point(|&s| s < f64::INFINITY);
    let mut tallies = vec![[0u64; 4]; sorted.len() + 1];
    if low == high {
        tallies[low][0] = values.len() as u64;
    } else {
        let middle = &sorted[low..high];
        let (first, last) = (middle[0].to_bits(), middle[middle.len() - 1].to_bits());
        let mut shift = 44; // 256 buckets a binade
        while ((last >> shift) - (first >> shift)) >= BUCKETS {
            shift += 1;
        }
        // Bucket b + 1 holds keys `base + b`; bucket 0 everything below, the last everything above.
        let base = (first >> shift).saturating_sub(1);
        let top = (last >> shift) + 1;
        let mut start = vec![0u32; (top - base + 2) as usize];
        for (b, slot) in start.iter_mut().enumerate() {
            let key = base + b as u64;
            *slot = (low + middle.partition_point(|s| (s.to_bits() >> shift) < key)) as u32;
        }
        for (j, &v) in values.iter().enumerate() {
            let b = ((v.to_bits() >> shift).clamp(base, top) - base) as usize;
            let (mut k, end) = (start[b] as usize, start[b + 1] as usize);
            while k < end && sorted[k] < v {
                k += 1;
            }
            tallies[k][j & 3] += 1;
        }
    }
    tallies.iter().map(|t| t.iter().sum()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn statistics_of_one_to_a_hundred() {
        let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = Summary::from_losses(
            &mut v,
            &SummaryOptions {
                thresholds: vec![90.0, 0.5, 100.0],
                ..SummaryOptions::default()
            },
        );
        assert_eq!(s.mean, 50.5);
        assert_eq!(
            (s.p10, s.p50, s.p90, s.p95, s.p99),
            (10.0, 50.0, 90.0, 95.0, 99.0)
        );
        assert_eq!(s.value_at_risk, 95.0);
        assert_eq!(s.expected_shortfall, (95..=100).sum::<i32>() as f64 / 6.0);
        assert_eq!(s.max, 100.0);
        let p: Vec<f64> = s.exceedance.iter().map(|e| e.probability).collect();
        assert_eq!(p, vec![0.10, 1.0, 0.0]);
        let curve = &s.loss_exceedance_curve;
        assert_eq!(curve.len(), 50);
        assert_eq!((curve[0].loss, curve[0].probability), (1.0, 0.99));
        assert_eq!((curve[49].loss, curve[49].probability), (100.0, 0.0));
        assert!(
            curve
                .windows(2)
                .all(|w| w[0].probability >= w[1].probability)
        );
    }

    #[test]
    fn counts_below_agree_with_a_binary_search() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let values: Vec<f64> = (0..20_000)
            .map(|_| (rng.r#gen::<f64>() * 40.0 - 20.0).exp2())
            .chain([1.0, 2.0, 3.0, f64::MIN_POSITIVE, f64::MAX])
            .collect();
        let cases: [&[f64]; 5] = [
            &[
                0.0,
                0.5,
                1.0,
                1.0,
                2.0,
                1e-300,
                1e300,
                f64::INFINITY,
                f64::NAN,
            ],
            &[3.0],
            &[0.0],
            &log_spaced(1e-3, 1e3, 50),
            &[f64::INFINITY, f64::INFINITY],
        ];
        for thresholds in cases {
            let mut sorted = thresholds.to_vec();
            sorted.sort_by(f64::total_cmp);
            let mut want = vec![0u64; sorted.len() + 1];
            for &v in &values {
                want[sorted.partition_point(|&x| x < v)] += 1;
            }
            assert_eq!(count_below(&values, &sorted), want, "{sorted:?}");
        }
    }

    #[test]
    fn no_loss_at_all() {
        let s = Summary::from_losses(&mut [0.0; 10], &SummaryOptions::default());
        assert_eq!((s.mean, s.p99, s.probability_of_loss), (0.0, 0.0, 0.0));
        assert!(s.loss_exceedance_curve.is_empty());
    }

    /// Percentiles of draws of a known distribution (exponential, quantile −ln(1 − q)) fall within
    /// the 99.9 % bootstrap interval of each percentile.
    #[test]
    fn percentiles_lie_within_bootstrap_intervals() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let n = 40_000;
        let sample: Vec<f64> = (0..n).map(|_| -(1.0 - rng.r#gen::<f64>()).ln()).collect();
        let rounds = 200;
        let mut boot: Vec<[f64; 5]> = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let mut re: Vec<f64> = (0..n).map(|_| sample[rng.gen_range(0..n)]).collect();
            let s = Summary::from_losses(&mut re, &SummaryOptions::default());
            boot.push([s.p10, s.p50, s.p90, s.p95, s.p99]);
        }
        for (k, q) in [0.10, 0.50, 0.90, 0.95, 0.99].into_iter().enumerate() {
            let mut col: Vec<f64> = boot.iter().map(|b| b[k]).collect();
            col.sort_by(f64::total_cmp);
            // Widen the 0.5 %–99.5 % bootstrap range by half its width for the 200 rounds' own noise.
            let (lo, hi) = (col[1], col[rounds - 2]);
            let pad = (hi - lo) / 2.0;
            let truth = -(1.0f64 - q).ln();
            assert!(
                lo - pad <= truth && truth <= hi + pad,
                "P{q}: {truth} not in [{lo}, {hi}]"
            );
        }
    }
}
