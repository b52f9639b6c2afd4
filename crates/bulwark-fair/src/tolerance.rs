//! Risk tolerance: the largest yearly probability the organisation accepts for each loss.

use crate::summary::{Exceedance, Summary};
use serde::Serialize;

/// A point the organisation states: "a loss above `loss` with at most this `probability` a year".
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TolerancePoint {
    /// Probability per year, in (0, 1].
    pub probability: f64,
    /// Loss (money), greater than 0.
    pub loss: f64,
}

/// A tolerance curve through two points: a straight line on the log-loss, log-probability chart.
///
/// `tolerated(L) = p₁ · (L / L₁)^k` with `k = ln(p₂/p₁) / ln(L₂/L₁)`, capped at 1. It passes
/// exactly through both points, needs no distributional assumption, and is the straight line an
/// analyst draws between them on the log–log chart where loss-exceedance curves are read.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    small: TolerancePoint,
    large: TolerancePoint,
}

/// The result of comparing a loss-exceedance curve with a tolerance curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ToleranceCheck {
    /// Whether every checked point lies on or under the tolerance curve.
    pub within: bool,
    /// The point furthest above the curve (by ratio), when there is one.
    pub worst_excess: Option<Excess>,
}

/// A loss whose probability exceeds what is tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Excess {
    /// The loss.
    pub loss: f64,
    /// Simulated probability of a year's loss above it.
    pub probability: f64,
    /// Tolerated probability.
    pub tolerated: f64,
    /// `probability / tolerated`.
    pub times: f64,
}

impl Tolerance {
    /// The curve through two points, in any order. They must have different losses, the larger
    /// loss the smaller probability, probabilities in (0, 1] and losses above 0.
    pub fn new(a: TolerancePoint, b: TolerancePoint) -> Result<Tolerance, String> {
        for p in [a, b] {
            if !(p.probability > 0.0 && p.probability <= 1.0) {
                return Err(format!(
                    "probability must be in (0, 1] (got {})",
                    p.probability
                ));
            }
            if !(p.loss > 0.0 && p.loss.is_finite()) {
                return Err(format!("loss must be greater than 0 (got {})", p.loss));
            }
        }
        let (small, large) = if a.loss < b.loss { (a, b) } else { (b, a) };
        if small.loss == large.loss || small.probability <= large.probability {
            return Err(
                "the point with the larger loss must have the smaller probability".to_owned(),
            );
        }
        Ok(Tolerance { small, large })
    }

    /// The tolerated probability per year of a loss above `loss`.
    pub fn tolerated(&self, loss: f64) -> f64 {
        let (s, l) = (self.small, self.large);
        let k = (l.probability / s.probability).ln() / (l.loss / s.loss).ln();
        (s.probability * (loss / s.loss).powf(k)).min(1.0)
    }

    /// Checks a result's loss-exceedance curve and percentiles against the tolerance.
    pub fn check(&self, result: &Summary) -> ToleranceCheck {
        let percentiles = [(result.p90, 0.10), (result.p95, 0.05), (result.p99, 0.01)]
            .map(|(loss, probability)| Exceedance { loss, probability });
        let worst = result
            .loss_exceedance_curve
            .iter()
            .chain(&percentiles)
            .chain(&result.exceedance)
            .filter(|e| e.loss > 0.0)
            .map(|e| {
                let tolerated = self.tolerated(e.loss);
                Excess {
                    loss: e.loss,
                    probability: e.probability,
                    tolerated,
                    times: e.probability / tolerated,
                }
            })
            .filter(|e| e.times > 1.0)
            .max_by(|a, b| a.times.total_cmp(&b.times));
        ToleranceCheck {
            within: worst.is_none(),
            worst_excess: worst,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::SummaryOptions;

    fn curve() -> Tolerance {
        Tolerance::new(
            TolerancePoint {
                probability: 0.01,
                loss: 1_000_000.0,
            },
            TolerancePoint {
                probability: 0.5,
                loss: 10_000.0,
            },
        )
        .unwrap()
    }

    #[test]
    fn passes_through_both_points_and_is_a_log_log_line() {
        let t = curve();
        assert!((t.tolerated(10_000.0) - 0.5).abs() < 1e-12);
        assert!((t.tolerated(1_000_000.0) - 0.01).abs() < 1e-12);
        // Halfway on the log-loss axis is halfway on the log-probability axis.
        assert!((t.tolerated(100_000.0) - (0.5f64 * 0.01).sqrt()).abs() < 1e-12);
        assert_eq!(t.tolerated(1.0), 1.0);
    }

    #[test]
    fn refuses_curves_that_rise() {
        let p = |probability, loss| TolerancePoint { probability, loss };
        assert!(Tolerance::new(p(0.1, 10.0), p(0.2, 100.0)).is_err());
        assert!(Tolerance::new(p(0.1, 10.0), p(0.05, 10.0)).is_err());
        assert!(Tolerance::new(p(1.5, 10.0), p(0.05, 100.0)).is_err());
        assert!(Tolerance::new(p(f64::NAN, 10.0), p(0.05, 100.0)).is_err());
    }

    #[test]
    fn finds_the_worst_excess() {
        let t = curve();
        let mut small: Vec<f64> = (0..1000).map(|i| f64::from(i % 10) * 100.0).collect();
        let ok = t.check(&Summary::from_losses(
            &mut small,
            &SummaryOptions::default(),
        ));
        assert!(ok.within && ok.worst_excess.is_none());
        // One year in ten loses 2,000,000, where about 0.6 % a year is tolerated.
        let mut big: Vec<f64> = (0..1000)
            .map(|i| if i % 10 == 0 { 2_000_000.0 } else { 0.0 })
            .collect();
        let bad = t.check(&Summary::from_losses(&mut big, &SummaryOptions::default()));
        assert!(!bad.within);
        let worst = bad.worst_excess.unwrap();
        assert!(worst.times > 5.0 && worst.loss >= 1_000_000.0, "{worst:?}");
    }
}
