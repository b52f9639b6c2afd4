//! Calibrated estimates (constant, PERT, 90 % interval) and their samplers.

use crate::quantile::{Draw, LognormalTable, QuantileTable};
use bulwark_core::InputProblem;
use serde::Serialize;

/// The standard normal's 95th percentile: a 90 % interval spans ±this many σ around μ.
pub const Z_95: f64 = 1.644_853_626_951_472_2;

/// An analyst's estimate of one uncertain quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimate {
    /// A known value.
    Constant(f64),
    /// PERT (Vose, shape 4): `mode` is the most likely value, sampled as `min + (max − min)·Beta(α, β)`
    /// with `α = 1 + 4·(mode − min)/(max − min)`, `β = 1 + 4·(max − mode)/(max − min)`.
    /// Drawn by inversion from a quantile table (see `quantile.rs`).
    Pert {
        /// Lowest possible value.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Highest possible value.
        max: f64,
    },
    /// Lognormal whose 5th and 95th percentiles are `low` and `high` (a calibrated 90 % interval).
    Lognormal90 {
        /// The 5th percentile.
        low: f64,
        /// The 95th percentile.
        high: f64,
    },
}

/// Which values an estimate may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Zero or more (frequencies, money).
    NonNegative,
    /// A probability in [0, 1]; lognormals are refused since they are unbounded.
    Probability,
}

impl Estimate {
    /// The exact mean: the constant, `(min + 4·mode + max)/6`, or `exp(μ + σ²/2)`.
    pub fn mean(&self) -> f64 {
        match *self {
            Estimate::Constant(c) => c,
            Estimate::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Estimate::Lognormal90 { low, high } => {
                let (mu, sigma) = lognormal_params(low, high);
                (mu + sigma * sigma / 2.0).exp()
            }
        }
    }

    /// The highest value to plan for: the largest a draw can take, or a lognormal's 95th percentile.
    pub fn high_value(&self) -> f64 {
        match *self {
            Estimate::Constant(c) => c,
            Estimate::Pert { max, .. } => max,
            Estimate::Lognormal90 { high, .. } => high,
        }
    }

    /// Every problem with this estimate, each located at `path` (for example `scenarios[2].primary_loss`).
    pub fn problems(&self, path: &str, range: Range) -> Vec<InputProblem> {
        let mut out = Vec::new();
        let mut bad = |field: &str, message: String| {
            let at = if field.is_empty() {
                path.to_owned()
            } else {
                format!("{path}.{field}")
            };
            out.push(InputProblem {
                line: None,
                record: None,
                field: Some(at),
                message,
            });
        };
        let named: &[(&str, f64)] = match self {
            Estimate::Constant(c) => &[("constant", *c)],
            Estimate::Pert { min, mode, max } => &[("min", *min), ("mode", *mode), ("max", *max)],
            Estimate::Lognormal90 { low, high } => &[("low", *low), ("high", *high)],
        };
        let mut all_finite = true;
        for &(name, v) in named {
            if !v.is_finite() {
                bad(name, format!("must be a finite number (got {v})"));
                all_finite = false;
            } else if v < 0.0 {
                bad(name, format!("must not be negative (got {v})"));
            } else if range == Range::Probability && v > 1.0 {
                bad(
                    name,
                    format!("must be a probability between 0 and 1 (got {v})"),
                );
            }
        }
        if !all_finite {
            return out;
        }
        match *self {
            Estimate::Constant(_) => {}
            Estimate::Pert { min, mode, max } => {
                if min > mode {
                    bad("min", format!("must be ≤ mode (got {min} > {mode})"));
                }
                if mode > max {
                    bad("mode", format!("must be ≤ max (got {mode} > {max})"));
                }
            }
            Estimate::Lognormal90 { low, high } => {
                if range == Range::Probability {
                    bad(
                        "",
                        "a probability must be a constant or a PERT estimate (a lognormal is unbounded)"
                            .into(),
                    );
                } else if low <= 0.0 {
                    bad("low", format!("must be greater than 0 (got {low})"));
                } else if low >= high {
                    bad(
                        "high",
                        format!("must be greater than low (got {high} ≤ {low})"),
                    );
                }
            }
        }
        out
    }

    /// A PERT estimate as `min + range·Beta(α, β)`: `(α, β, min, range)` (None for others and for
    /// a PERT whose range is empty).
    pub(crate) fn beta_shape(&self) -> Option<(f64, f64, f64, f64)> {
        match *self {
            Estimate::Pert { min, mode, max } if max > min => {
                let range = max - min;
                let alpha = 1.0 + 4.0 * (mode - min) / range;
                let beta = 1.0 + 4.0 * (max - mode) / range;
                Some((alpha, beta, min, range))
            }
            _ => None,
        }
    }

    /// A sampler for this estimate. The estimate must be free of [`Estimate::problems`].
    pub(crate) fn sampler(&self) -> Sampler {
        match *self {
            Estimate::Constant(c) => Sampler::Constant(c),
            Estimate::Pert { min, max, .. } if max <= min => Sampler::Constant(min),
            Estimate::Pert { .. } => {
                let (alpha, beta, min, range) = self.beta_shape().expect("a PERT estimate");
                Sampler::Pert(QuantileTable::beta(alpha, beta, min, range))
            }
            Estimate::Lognormal90 { low, high } => {
                let (mu, sigma) = lognormal_params(low, high);
                Sampler::Lognormal(LognormalTable::new(mu, sigma))
            }
        }
    }
}

/// μ and σ of the lognormal whose 5th and 95th percentiles are `low` and `high`.
pub fn lognormal_params(low: f64, high: f64) -> (f64, f64) {
    let (a, b) = (low.ln(), high.ln());
    ((a + b) / 2.0, (b - a) / (2.0 * Z_95))
}

/// A prepared estimate, drawn from many times.
#[derive(Debug, Clone)]
pub(crate) enum Sampler {
    Constant(f64),
    Pert(QuantileTable),
    Lognormal(LognormalTable),
}

/// Runs `$body` with `$d` bound to the sampler's [`Draw`](crate::quantile::Draw) (a constant or
/// a table), so code generic over `Draw` is compiled once per kind of estimate.
macro_rules! with_draw {
    ($sampler:expr, $d:ident => $body:expr) => {
        match $sampler {
            $crate::estimate::Sampler::Constant(c) => {
                let $d = $crate::quantile::Constant(*c);
                $body
            }
            $crate::estimate::Sampler::Pert(table) => {
                let $d = table;
                $body
            }
            $crate::estimate::Sampler::Lognormal(table) => {
                let $d = table;
                $body
            }
        }
    };
}
pub(crate) use with_draw;

impl Sampler {
    /// The draw made with the random word `word` (a constant ignores it).
    #[inline]
    pub(crate) fn draw(&self, word: u64) -> f64 {
        with_draw!(self, d => d.draw(word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngCore, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn draws(e: Estimate, n: usize) -> Vec<f64> {
        let s = e.sampler();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        (0..n).map(|_| s.draw(rng.next_u64())).collect()
    }

    fn mean_sd(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, var.sqrt())
    }

    #[test]
    fn pert_mean_is_the_vose_formula_and_draws_agree_within_4_sigma() {
        let e = Estimate::Pert {
            min: 1_000.0,
            mode: 5_000.0,
            max: 40_000.0,
        };
        assert_eq!(e.mean(), (1_000.0 + 4.0 * 5_000.0 + 40_000.0) / 6.0);
        let n = 200_000;
        let v = draws(e, n);
        let (m, sd) = mean_sd(&v);
        assert!((m - e.mean()).abs() < 4.0 * sd / (n as f64).sqrt(), "{m}");
        assert!(v.iter().all(|x| (1_000.0..=40_000.0).contains(x)));
        // Vose's variance: (μ − min)(max − μ)/7.
        let want = ((e.mean() - 1_000.0) * (40_000.0 - e.mean()) / 7.0).sqrt();
        assert!((sd / want - 1.0).abs() < 0.01, "{sd} vs {want}");
    }

    #[test]
    fn lognormal90_mean_and_its_5th_and_95th_percentiles() {
        let (low, high) = (10_000.0, 1_000_000.0);
        let e = Estimate::Lognormal90 { low, high };
        let (mu, sigma) = lognormal_params(low, high);
        assert!((e.mean() - (mu + sigma * sigma / 2.0).exp()).abs() < 1e-6);
        let n = 200_000;
        let mut v = draws(e, n);
        let (m, sd) = mean_sd(&v);
        assert!((m - e.mean()).abs() < 4.0 * sd / (n as f64).sqrt(), "{m}");
        v.sort_by(f64::total_cmp);
        // Distribution-free bounds: the count below `low` is Binomial(n, 0.05).
        let below = v.partition_point(|&x| x < low) as f64;
        let above = v.partition_point(|&x| x <= high) as f64;
        let sd_count = (n as f64 * 0.05 * 0.95).sqrt();
        assert!((below - 0.05 * n as f64).abs() < 4.0 * sd_count, "{below}");
        assert!((above - 0.95 * n as f64).abs() < 4.0 * sd_count, "{above}");
    }

    #[test]
    fn constants_and_degenerate_pert_are_exact() {
        assert_eq!(draws(Estimate::Constant(3.5), 3), vec![3.5; 3]);
        let flat = Estimate::Pert {
            min: 2.0,
            mode: 2.0,
            max: 2.0,
        };
        assert_eq!(draws(flat, 2), vec![2.0; 2]);
    }

    #[test]
    fn every_problem_is_named() {
        let p = Estimate::Pert {
            min: 10.0,
            mode: 5_000.0,
            max: 4_000.0,
        }
        .problems("scenarios[2].primary_loss", Range::NonNegative);
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].to_string(),
            "field `scenarios[2].primary_loss.mode`: must be ≤ max (got 5000 > 4000)"
        );
        let p = Estimate::Pert {
            min: -1.0,
            mode: 0.5,
            max: 1.5,
        }
        .problems("v", Range::Probability);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            Estimate::Constant(f64::NAN).problems("c", Range::NonNegative)[0]
                .message
                .contains("finite")
        );
        assert!(
            !Estimate::Lognormal90 {
                low: 0.1,
                high: 0.2
            }
            .problems("v", Range::Probability)
            .is_empty()
        );
        assert!(
            !Estimate::Lognormal90 {
                low: 5.0,
                high: 5.0
            }
            .problems("l", Range::NonNegative)
            .is_empty()
        );
    }
}
