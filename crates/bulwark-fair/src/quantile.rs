//! PERT and lognormal draws by inversion: tables of quantile functions, read with random bits.
//!
//! Written by hand because no small crate offers fast repeated inversion: `rand_distr::Beta`
//! (rejection, with logarithms) costs 20–40 ns a draw and a lognormal (ziggurat normal, then
//! `exp`) about 15, statrs' `inverse_cdf` far more. A table costs about 0.1 ms to build and a few
//! nanoseconds a draw, and uses one random word (or 32 bits, see [`Draw`]) per draw.
//!
//! * Beta(α, β) with α, β ∈ [1, 5] (Vose PERT) has a bounded density: its CDF is integrated with
//!   Simpson's rule on [`CELLS`] cells, inverted at [`KNOTS`] evenly spaced probabilities, and read
//!   by linear interpolation.
//! * A lognormal's log is normal: the table holds `μ + σ·z` at the standard normal quantiles
//!   (statrs, once per process), interpolated linearly and exponentiated; in the central intervals,
//!   where the knots are so close that a straight chord is within 10⁻⁵ of that curve, the
//!   exponentiated knots are interpolated directly (no `exp`); further out a cubic through the
//!   knots with the curve's slopes (Hermite) stays as close, again without `exp`; the two
//!   outermost intervals, where the quantile function bends most, are inverted exactly with statrs.
//!
//! The tests check the knots against exact CDFs, and means, variances and percentiles of draws.

use statrs::distribution::{ContinuousCDF, Normal};
use std::sync::OnceLock;

/// Cells of the CDF integration grid.
const CELLS: usize = 2048;
/// log2 of the number of quantile intervals.
const BITS: u32 = 10;
/// Quantile intervals in the table.
const KNOTS: usize = 1 << BITS;

/// The quantile function of `min + (max − min)·Beta(α, β)` at probabilities `0, 1/KNOTS, …, 1`.
#[derive(Debug, Clone)]
pub(crate) struct QuantileTable {
    knots: Knots,
}

/// A value at each of the `KNOTS + 1` knots (a fixed length, so reads need no bounds checks).
type Knots = Box<[f64; KNOTS + 1]>;

fn knots(values: impl Iterator<Item = f64>) -> Knots {
    let values: Box<[f64]> = values.collect();
    values.try_into().expect("one value per knot")
}

impl QuantileTable {
    /// The table for `min + range·Beta(alpha, beta)`, with `alpha, beta ≥ 1`.
    pub(crate) fn beta(alpha: f64, beta: f64, min: f64, range: f64) -> Self {
        // The density x^(α−1)·(1 − x)^(β−1) at the half-cells, as exp of the shared logarithms.
        let logs = half_cell_logs();
        let power = |p: f64, log: f64| if p == 0.0 { 0.0 } else { p * log };
        let density = |h: usize| {
            let (ln_x, ln_1_x) = logs[h];
            (power(alpha - 1.0, ln_x) + power(beta - 1.0, ln_1_x)).exp()
        };
        let dx = 1.0 / CELLS as f64;
        let mut cdf = Vec::with_capacity(CELLS + 1);
        cdf.push(0.0);
        let mut left = density(0);
        let mut total = 0.0;
        for i in 0..CELLS {
            let right = density(2 * i + 2);
            total += (left + 4.0 * density(2 * i + 1) + right) * dx / 6.0;
            cdf.push(total);
            left = right;
        }
        let mut knots = Vec::with_capacity(KNOTS + 1);
        let mut cell = 0;
        for j in 0..=KNOTS {
            let target = total * j as f64 / KNOTS as f64;
            while cell < CELLS - 1 && cdf[cell + 1] < target {
                cell += 1;
            }
            let (lo, hi) = (cdf[cell], cdf[cell + 1]);
            let within = if hi > lo {
                ((target - lo) / (hi - lo)).clamp(0.0, 1.0)
            } else {
                0.0
            };
            knots.push(min + range * (cell as f64 + within) * dx);
        }
        QuantileTable {
            knots: knots
                .into_boxed_slice()
                .try_into()
                .expect("one value per knot"),
        }
    }
}

/// A distribution drawn by inversion from one random word (generic, so trial loops are compiled
/// for each kind of estimate and carry no dispatch).
///
/// Draws take 32 random bits where a trial loop has them to spare: 10 pick the interval, 22 the
/// position in it, so the probability is resolved to 2⁻³² — far finer than any run can see. A
/// lognormal's curved intervals (its tails, inverted exactly at the ends) take the position from
/// a full word of their own instead, so a 32-bit probability does not cut the tail short.
pub(crate) trait Draw: Copy {
    /// Whether every draw is equally cheap (no slow path for some probabilities).
    const EVEN_COST: bool = false;

    /// The draw made with the random word `word`.
    fn draw(self, word: u64) -> f64;

    /// The draw made with the 32 random bits `bits` if they are enough, or else with the random
    /// word `word()` (computed only then).
    #[inline]
    fn draw_bits(self, bits: u32, word: impl FnOnce() -> u64) -> f64 {
        let _ = bits;
        self.draw(word())
    }

    /// The draw at probability `u` in [0, 1) (resolved to at least 2⁻³²) if that is enough, or
    /// else with the random word `word()` (computed only then).
    #[inline]
    fn draw_at(self, u: f64, word: impl FnOnce() -> u64) -> f64 {
        let _ = u;
        self.draw(word())
    }
}

/// A known value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Constant(pub(crate) f64);

impl Draw for Constant {
    const EVEN_COST: bool = true;

    #[inline]
    fn draw(self, _: u64) -> f64 {
        self.0
    }

    #[inline]
    fn draw_bits(self, _: u32, _: impl FnOnce() -> u64) -> f64 {
        self.0
    }

    #[inline]
    fn draw_at(self, _: f64, _: impl FnOnce() -> u64) -> f64 {
        self.0
    }
}

impl Draw for &QuantileTable {
    const EVEN_COST: bool = true;

    #[inline]
    fn draw(self, word: u64) -> f64 {
        let (i, within) = locate(word);
        let (a, b) = (self.knots[i], self.knots[i + 1]);
        a + (b - a) * within
    }

    #[inline]
    fn draw_bits(self, bits: u32, _: impl FnOnce() -> u64) -> f64 {
        self.draw(u64::from(bits) << 32)
    }

    #[inline]
    fn draw_at(self, u: f64, _: impl FnOnce() -> u64) -> f64 {
        self.draw(word_of(u))
    }
}

/// Largest relative gap between a straight chord and the exponential curve it replaces.
const CHORD_ERROR: f64 = 1e-5;
/// Widest log-gap over which a cubic (Hermite) stays within [`CHORD_ERROR`] of the exponential
/// (its error is at most d⁴/384 relative): `(384 · 10⁻⁵)^(1/4)`; wider intervals call `exp`.
const CUBIC_GAP: f64 = 0.2487;

/// The quantile function of a lognormal with parameters μ and σ.
#[derive(Debug, Clone)]
pub(crate) struct LognormalTable {
    /// `μ + σ·z(j/KNOTS)`; the first and last entries are never read.
    logs: Knots,
    /// `exp` of `logs`.
    values: Knots,
    /// Intervals read from `values` directly: `flat.0 ≤ i < flat.1`.
    flat: (usize, usize),
    mu: f64,
    sigma: f64,
}

impl LognormalTable {
    /// The table for `exp(μ + σ·Z)`, Z standard normal.
    pub(crate) fn new(mu: f64, sigma: f64) -> Self {
        let logs = knots(standard_normal_knots().iter().map(|z| mu + sigma * z));
        let values = knots(logs.iter().map(|l| l.exp()));
        // A chord over a log-gap Δ is within Δ²/8 of the curve; gaps widen away from the median.
        let flat_gap = (8.0 * CHORD_ERROR).sqrt();
        let is_flat = |i: usize| logs[i + 1] - logs[i] <= flat_gap;
        let middle = KNOTS / 2;
        let (mut lo, mut hi) = (middle, middle);
        while lo > 1 && is_flat(lo - 1) {
            lo -= 1;
        }
        while hi < KNOTS - 1 && is_flat(hi) {
            hi += 1;
        }
        LognormalTable {
            logs,
            values,
            flat: (lo, hi),
            mu,
            sigma,
        }
    }

    /// A draw outside the flat intervals (kept out of line so the common case inlines).
    #[cold]
    #[inline(never)]
    fn curved(&self, i: usize, within: f64) -> f64 {
        if i == 0 || i == KNOTS - 1 {
            let u = (i as f64 + within) / KNOTS as f64;
            return (self.mu + self.sigma * Normal::standard().inverse_cdf(u)).exp();
        }
        let (a, b) = (self.logs[i], self.logs[i + 1]);
        let d = b - a;
        if d > CUBIC_GAP {
            return (a + d * within).exp();
        }
        // The cubic through both knots with the curve's slopes there (Hermite):
        // e^a·(h₀₀ + d·h₁₀) + e^b·(h₀₁ + d·h₁₁).
        let (ea, eb) = (self.values[i], self.values[i + 1]);
        let w = within;
        let (w2, w3) = (w * w, w * w * w);
        let h00 = 2.0 * w3 - 3.0 * w2 + 1.0;
        let h10 = w3 - 2.0 * w2 + w;
        let h01 = 3.0 * w2 - 2.0 * w3;
        let h11 = w3 - w2;
        ea * (h00 + d * h10) + eb * (h01 + d * h11)
    }
}

impl Draw for &LognormalTable {
    #[inline]
    fn draw(self, word: u64) -> f64 {
        let (i, within) = locate(word);
        if self.flat.0 <= i && i < self.flat.1 {
            let (a, b) = (self.values[i], self.values[i + 1]);
            return a + (b - a) * within;
        }
        self.curved(i, within)
    }

    /// In a flat interval 32 bits do; in a curved one (the tails) the position within the
    /// interval comes from the full word `word()`, so the tails keep every bit.
    #[inline]
    fn draw_bits(self, bits: u32, word: impl FnOnce() -> u64) -> f64 {
        let (i, within) = locate(u64::from(bits) << 32);
        if self.flat.0 <= i && i < self.flat.1 {
            let (a, b) = (self.values[i], self.values[i + 1]);
            return a + (b - a) * within;
        }
        self.curved(i, locate(word()).1)
    }

    #[inline]
    fn draw_at(self, u: f64, word: impl FnOnce() -> u64) -> f64 {
        let (i, within) = locate(word_of(u));
        if self.flat.0 <= i && i < self.flat.1 {
            let (a, b) = (self.values[i], self.values[i + 1]);
            return a + (b - a) * within;
        }
        self.curved(i, locate(word()).1)
    }
}

/// The top bits of a random word pick the interval, the next 53 bits the position in it.
#[inline]
fn locate(word: u64) -> (usize, f64) {
    let i = (word >> (64 - BITS)) as usize;
    // Below 2⁵³, so converted as a signed number (one instruction).
    let within = (((word << BITS) >> 11) as i64) as f64 * (1.0 / (1u64 << 53) as f64);
    (i, within)
}

/// A random word whose top 52 bits are the probability `u` in [0, 1) (clamped below 1): its
/// mantissa as a number in [1, 2), so `locate` finds the same interval and position.
#[inline]
fn word_of(u: f64) -> u64 {
    (u.min(1.0 - f64::EPSILON) + 1.0).to_bits() << 12
}

/// `(ln x, ln(1 − x))` at `x = h / (2·CELLS)` for `h = 0..=2·CELLS`, computed once.
fn half_cell_logs() -> &'static [(f64, f64)] {
    static LOGS: OnceLock<Box<[(f64, f64)]>> = OnceLock::new();
    LOGS.get_or_init(|| {
        (0..=2 * CELLS)
            .map(|h| {
                let x = h as f64 / (2 * CELLS) as f64;
                (x.ln(), (1.0 - x).ln())
            })
            .collect()
    })
}

/// Standard normal quantiles at `j/KNOTS`, computed once.
fn standard_normal_knots() -> &'static [f64] {
    static KNOTS_Z: OnceLock<Box<[f64]>> = OnceLock::new();
    KNOTS_Z.get_or_init(|| {
        let n = Normal::standard();
        (0..=KNOTS)
            .map(|j| n.inverse_cdf(j as f64 / KNOTS as f64))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Regularised incomplete beta for integer parameters, exactly, as a binomial tail.
    fn beta_cdf_integer(a: u32, b: u32, x: f64) -> f64 {
        let n = a + b - 1;
        let choose =
            |n: u32, k: u32| (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1));
        (a..=n)
            .map(|k| choose(n, k) * x.powi(k as i32) * (1.0 - x).powi((n - k) as i32))
            .sum()
    }

    #[test]
    fn knots_are_exact_quantiles() {
        for (a, b) in [(1u32, 5u32), (3, 3), (5, 1), (2, 4)] {
            let t = QuantileTable::beta(f64::from(a), f64::from(b), 0.0, 1.0);
            for j in [1, 10, 100, 512, 900, 1000, 1023] {
                let u = j as f64 / KNOTS as f64;
                let got = beta_cdf_integer(a, b, t.knots[j]);
                assert!((got - u).abs() < 1e-6, "Beta({a},{b}) at {u}: cdf {got}");
            }
            assert_eq!(t.knots[0], 0.0);
            // Where the density vanishes at 1 the CDF reaches 1 a hair earlier.
            assert!((t.knots[KNOTS] - 1.0).abs() < 1e-3);
        }
    }

    #[test]
    fn chords_are_used_only_where_they_are_close() {
        let narrow = LognormalTable::new(0.0, 0.3);
        let wide = LognormalTable::new(0.0, 3.0);
        assert!(
            narrow.flat.1 - narrow.flat.0 > KNOTS * 9 / 10,
            "{:?}",
            narrow.flat
        );
        assert!(wide.flat.1 - wide.flat.0 < narrow.flat.1 - narrow.flat.0);
        assert!(wide.flat.0 >= 1 && wide.flat.1 < KNOTS);
    }

    #[test]
    fn lognormal_draws_have_the_exact_mean_and_log_variance() {
        let (mu, sigma) = (10.0, 1.2);
        let t = LognormalTable::new(mu, sigma);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let n = 200_000;
        let v: Vec<f64> = (0..n).map(|_| (&t).draw(rng.next_u64())).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        let want = (mu + sigma * sigma / 2.0).exp();
        let sd = want * ((sigma * sigma).exp() - 1.0).sqrt();
        assert!(
            (mean - want).abs() < 4.0 * sd / (n as f64).sqrt(),
            "{mean} vs {want}"
        );
        let logs: Vec<f64> = v.iter().map(|x| x.ln()).collect();
        let m = logs.iter().sum::<f64>() / n as f64;
        let var = logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!((m - mu).abs() < 4.0 * sigma / (n as f64).sqrt(), "{m}");
        assert!((var.sqrt() / sigma - 1.0).abs() < 0.01, "{var}");
    }

    #[test]
    fn curved_intervals_stay_within_the_chord_error() {
        for sigma in [0.3, 0.9, 2.0, 3.0] {
            let t = LognormalTable::new(1.0, sigma);
            for i in 1..KNOTS - 1 {
                for within in [0.1, 0.37, 0.5, 0.81, 0.99] {
                    let exact = (t.logs[i] + (t.logs[i + 1] - t.logs[i]) * within).exp();
                    let got = if t.flat.0 <= i && i < t.flat.1 {
                        t.values[i] + (t.values[i + 1] - t.values[i]) * within
                    } else {
                        t.curved(i, within)
                    };
                    assert!(
                        (got / exact - 1.0).abs() <= 1.01 * CHORD_ERROR,
                        "σ {sigma}, {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn mean_and_variance_of_draws() {
        let (a, b) = (1.8, 4.2);
        let t = QuantileTable::beta(a, b, 100.0, 50.0);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let n = 200_000;
        let v: Vec<f64> = (0..n).map(|_| (&t).draw(rng.next_u64())).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let want_mean = 100.0 + 50.0 * a / (a + b);
        let want_var = 2500.0 * a * b / ((a + b).powi(2) * (a + b + 1.0));
        assert!(
            (mean - want_mean).abs() < 4.0 * (want_var / n as f64).sqrt(),
            "{mean}"
        );
        assert!((var / want_var - 1.0).abs() < 0.02, "{var} vs {want_var}");
        assert!(v.iter().all(|x| (100.0..=150.0).contains(x)));
    }
}
