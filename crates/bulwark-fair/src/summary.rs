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
        // First pass (reading): the mean, summed block by block like `engine::mean` so both give
        // the same number for one run; the largest loss, the smallest positive one (compared as
        // bits, which order positive numbers as their values: no branch on the data) and the
        // number of years without loss.
        let (mut sum, mut max, mut min_positive_bits, mut zeros) = (0.0, 0.0f64, u64::MAX, 0);
        for block in losses.chunks(BLOCK) {
            let mut block_sum = 0.0;
            for &x in block {
                block_sum += x;
                max = if x > max { x } else { max };
                let positive = x > 0.0;
                let bits = if positive { x.to_bits() } else { u64::MAX };
                min_positive_bits = min_positive_bits.min(bits);
                zeros += usize::from(!positive);
            }
            sum += block_sum;
        }
        let mean = sum / count;
        let positive = n - zeros;
        let min_positive = f64::from_bits(min_positive_bits);
        // Second pass: the spread; years without loss moved to the front (percentiles within
        // their share are 0, and only the other years need ordering: most years of a rare
        // scenario lose nothing); and the years with a loss counted by bucket (see
        // `OrderStatistics`). Choices are made on bits (`pick(a, b)` is `a` if positive, else
        // `b`): a processor cannot guess whether a year lost anything, so no branch may depend
        // on it.
        let buckets = Buckets::new(min_positive, max, positive);
        let mut counts = vec![0usize; buckets.len + 1];
        let mut squares = [0.0; 4];
        let mut front = 0;
        for i in 0..n {
            let x = losses[i];
            squares[i & 3] += (x - mean) * (x - mean);
            let positive = x > 0.0;
            let mask = 0u64.wrapping_sub(u64::from(positive));
            let pick = |a: f64, b: f64| {
                let (a, b) = (a.to_bits(), b.to_bits());
                f64::from_bits(b ^ ((a ^ b) & mask))
            };
            let first = losses[front];
            losses[i] = pick(x, first);
            losses[front] = pick(first, x);
            front += usize::from(!positive);
            // Years without loss go to the spare last bucket.
            let bucket = if positive { buckets.of(x) } else { buckets.len };
            counts[bucket.min(buckets.len)] += 1;
        }
        counts.pop();
        let var = squares.iter().sum::<f64>() / (count - 1.0).max(1.0);
        let values = &losses[zeros..];
        let rank = |q: f64| ((q * count).ceil() as usize).clamp(1, n) - 1;
        let levels = [0.10, 0.50, 0.90, 0.95, 0.99];
        let var_rank = rank(options.var_level);
        let curve = if positive == 0 {
            Vec::new()
        } else {
            log_spaced(min_positive.max(max * 1e-6), max, options.curve_points)
        };
        // Ranks among the years with a loss; the rest lie among the years without.
        let ranks: Vec<usize> = levels
            .iter()
            .map(|&q| rank(q))
            .chain([var_rank])
            .filter(|&r| r >= zeros)
            .map(|r| r - zeros)
            .collect();
        let thresholds: Vec<f64> = options.thresholds.iter().chain(&curve).copied().collect();
        let stats = OrderStatistics::new(
            values,
            buckets,
            &counts,
            &ranks,
            &thresholds,
            var_rank.saturating_sub(zeros),
        );
        let at = |r: usize| {
            if r < zeros {
                losses[r]
            } else {
                stats.nth(r - zeros)
            }
        };
        let below_zeros: f64 = losses[var_rank.min(zeros)..zeros].iter().sum();
        let expected_shortfall = (below_zeros + stats.tail_sum) / (n - var_rank) as f64;
        let exceedance = |s: f64| Exceedance {
            loss: s,
            probability: stats.count_above(s) as f64 / count,
        };
        Summary {
            trials: n as u64,
            mean,
            stddev: var.sqrt(),
            p10: at(rank(0.10)),
            p50: at(rank(0.50)),
            p90: at(rank(0.90)),
            p95: at(rank(0.95)),
            p99: at(rank(0.99)),
            value_at_risk: at(var_rank),
            var_level: options.var_level,
            expected_shortfall,
            probability_of_loss: positive as f64 / count,
            max,
            exceedance: options.thresholds.iter().map(|&s| exceedance(s)).collect(),
            loss_exceedance_curve: curve.iter().map(|&s| exceedance(s)).collect(),
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

/// Most buckets of [`OrderStatistics`].
const BUCKETS: u64 = 8192;

/// Buckets of positive numbers between a smallest and a largest, by the top bits of the numbers
/// (256 a binade, fewer if they span more than 32 binades).
#[derive(Debug, Clone, Copy)]
struct Buckets {
    shift: u32,
    base: u64,
    len: usize,
}

impl Buckets {
    /// Buckets for `count` positive numbers in `[min, max]` (any, if there are none).
    fn new(min: f64, max: f64, count: usize) -> Self {
        if count == 0 {
            return Buckets {
                shift: 63,
                base: 0,
                len: 1,
            };
        }
        let (min, max) = (min.to_bits(), max.to_bits());
        let mut shift = 44;
        while (max >> shift) - (min >> shift) >= BUCKETS {
            shift += 1;
        }
        Buckets {
            shift,
            base: min >> shift,
            len: ((max >> shift) - (min >> shift) + 1) as usize,
        }
    }

    /// The bucket of a number within the range.
    #[inline]
    fn of(self, v: f64) -> usize {
        ((v.to_bits() >> self.shift).wrapping_sub(self.base)) as usize
    }
}

/// Chosen order statistics of positive numbers, counts above thresholds and the sum of a top
/// tail, from their counts by bucket and one more pass, without sorting them.
///
/// Positive numbers are ordered like their bits, so the top bits of a number pick its bucket
/// (see [`Buckets`]). Knowing how many numbers each bucket holds, one pass gathers only the
/// numbers in the few buckets that hold a wanted rank or a threshold (sorted afterwards), and
/// sums the numbers in buckets above the tail's first rank. Every answer is exact.
struct OrderStatistics {
    buckets: Buckets,
    /// `start[b]`: numbers in buckets below `b`.
    start: Vec<usize>,
    /// Bucket → 1 + index into `gathered`, or 0.
    slot: Vec<u32>,
    /// The numbers of each gathered bucket, sorted.
    gathered: Vec<Vec<f64>>,
    /// Sum of the numbers at or above the tail's first rank.
    tail_sum: f64,
}

impl OrderStatistics {
    /// `values` are positive numbers within `buckets`, `counts` how many each bucket holds;
    /// `ranks` (0-based) and `tail_from` are below `values.len()` (unless it is 0).
    fn new(
        values: &[f64],
        buckets: Buckets,
        counts: &[usize],
        ranks: &[usize],
        thresholds: &[f64],
        tail_from: usize,
    ) -> Self {
        let mut start = Vec::with_capacity(counts.len() + 1);
        let mut running = 0;
        start.push(0);
        for c in counts {
            running += c;
            start.push(running);
        }
        let mut stats = OrderStatistics {
            buckets,
            start,
            slot: vec![0; buckets.len],
            gathered: Vec::new(),
            tail_sum: 0.0,
        };
        if values.is_empty() {
            return stats;
        }
        let wanted: Vec<usize> = ranks
            .iter()
            .chain([&tail_from])
            .map(|&r| stats.bucket_of_rank(r))
            .chain(thresholds.iter().filter_map(|&s| stats.bucket_of(s)))
            .collect();
        for b in wanted {
            if stats.slot[b] == 0 {
                stats.gathered.push(Vec::new());
                stats.slot[b] = stats.gathered.len() as u32;
            }
        }
        let tail_bucket = stats.bucket_of_rank(tail_from);
        let mut above = 0.0;
        for &v in values {
            let b = buckets.of(v);
            let slot = stats.slot[b];
            if slot != 0 {
                stats.gathered[slot as usize - 1].push(v);
            }
            // No branch: whether a year lies above the tail's bucket is anyone's guess.
            let mask = 0u64.wrapping_sub(u64::from(b > tail_bucket));
            above += f64::from_bits(v.to_bits() & mask);
        }
        for g in &mut stats.gathered {
            g.sort_unstable_by(f64::total_cmp);
        }
        let within = &stats.gathered[stats.slot[tail_bucket] as usize - 1];
        let skip = tail_from - stats.start[tail_bucket];
        stats.tail_sum = above + within[skip..].iter().sum::<f64>();
        stats
    }

    fn bucket_of_rank(&self, r: usize) -> usize {
        self.start.partition_point(|&s| s <= r) - 1
    }

    /// The bucket of threshold `s`, if some numbers are neither surely above nor surely below.
    fn bucket_of(&self, s: f64) -> Option<usize> {
        let key = s.to_bits() >> self.buckets.shift;
        let base = self.buckets.base;
        let inside = s > 0.0 && key >= base && key - base < self.slot.len() as u64;
        inside.then(|| (key - base) as usize)
    }

    /// The number of rank `r` (0-based), which must be one of the ranks asked for.
    fn nth(&self, r: usize) -> f64 {
        let b = self.bucket_of_rank(r);
        self.gathered[self.slot[b] as usize - 1][r - self.start[b]]
    }

    /// How many numbers exceed `s`, which must be one of the thresholds given.
    fn count_above(&self, s: f64) -> usize {
        let total = self.start[self.start.len() - 1];
        if total == 0 || s.is_nan() {
            return 0;
        }
        match self.bucket_of(s) {
            Some(b) => {
                let within = &self.gathered[self.slot[b] as usize - 1];
                total - self.start[b + 1] + within.len() - within.partition_point(|&v| v <= s)
            }
            None if s <= 0.0 || (s.to_bits() >> self.buckets.shift) < self.buckets.base => total,
            None => 0,
        }
    }
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
    fn order_statistics_agree_with_sorting() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let wide: Vec<f64> = (0..20_000)
            .map(|_| (rng.r#gen::<f64>() * 40.0 - 20.0).exp2())
            .chain([1.0, 2.0, 3.0, 3.0, 3.0, f64::MIN_POSITIVE, 1e300])
            .collect();
        let ties: Vec<f64> = (0..5_000).map(|i| f64::from(i % 7 + 1)).collect();
        for values in [wide, ties, vec![5.0], vec![5.0, 5.0]] {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
            let len = values.len();
            let ranks: Vec<usize> = [0, len / 10, len / 2, len * 99 / 100, len - 1].into();
            let thresholds = [
                0.0,
                -1.0,
                0.5,
                1.0,
                3.0,
                1e-300,
                1e300,
                f64::INFINITY,
                f64::NAN,
                min,
                max,
            ];
            for tail_from in [0, len / 2, len - 1] {
                let buckets = Buckets::new(min, max, len);
                let mut counts = vec![0; buckets.len];
                values.iter().for_each(|&v| counts[buckets.of(v)] += 1);
                let stats =
                    OrderStatistics::new(&values, buckets, &counts, &ranks, &thresholds, tail_from);
                for &r in &ranks {
                    assert_eq!(stats.nth(r), sorted[r]);
                }
                for &s in &thresholds {
                    let want = sorted.iter().filter(|&&v| v > s).count();
                    assert_eq!(stats.count_above(s), want, "{s}");
                }
                let tail: f64 = sorted[tail_from..].iter().sum();
                assert!((stats.tail_sum - tail).abs() <= 1e-12 * tail, "{tail_from}");
            }
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
