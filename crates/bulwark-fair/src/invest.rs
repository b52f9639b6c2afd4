//! Controls and planned initiatives: what they cost and how they change scenarios.

use crate::scenario::Remaining;
use serde::Serialize;

/// Years over which a one-off cost is spread when none is given.
pub const DEFAULT_LIFETIME_YEARS: f64 = 3.0;

/// A control or planned initiative.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Control {
    /// Short stable key, referred to by `requires`.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// Cost paid once (purchase, project).
    pub one_off_cost: f64,
    /// Cost paid every year (licences, staff time).
    pub yearly_cost: f64,
    /// Years over which the one-off cost is spread.
    pub lifetime_years: f64,
    /// Ids of controls that must be funded first.
    pub requires: Vec<String>,
    /// What it changes, scenario by scenario.
    pub effects: Vec<Effect>,
}

/// A control's effect on one scenario, as reductions (fractions in [0, 1]).
///
/// TEF, vulnerability and LEF reductions all scale the loss event rate (LEF = TEF × vulnerability),
/// whichever way the scenario gives its frequency; `loss` scales primary and secondary loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effect {
    /// The scenario's id.
    pub scenario: String,
    /// Reduction of threat event frequency.
    pub tef: f64,
    /// Reduction of vulnerability.
    pub vulnerability: f64,
    /// Reduction of loss event frequency.
    pub lef: f64,
    /// Reduction of loss magnitude.
    pub loss: f64,
}

impl Effect {
    /// The shares of frequency and magnitude that remain.
    pub fn remaining(&self) -> Remaining {
        Remaining {
            frequency: (1.0 - self.tef) * (1.0 - self.vulnerability) * (1.0 - self.lef),
            magnitude: 1.0 - self.loss,
        }
    }
}

impl Control {
    /// Yearly cost plus the one-off cost spread over the lifetime.
    pub fn annual_cost(&self) -> f64 {
        self.yearly_cost + self.one_off_cost / self.lifetime_years
    }
}

/// Return on security investment: `(loss before − loss after − annual cost) / annual cost`.
pub fn rosi(loss_before: f64, loss_after: f64, annual_cost: f64) -> f64 {
    (loss_before - loss_after - annual_cost) / annual_cost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annual_cost_spreads_the_one_off_and_rosi_follows_its_definition() {
        let c = Control {
            id: "mfa".into(),
            name: "MFA".into(),
            one_off_cost: 9_000.0,
            yearly_cost: 2_000.0,
            lifetime_years: DEFAULT_LIFETIME_YEARS,
            requires: vec![],
            effects: vec![],
        };
        assert_eq!(c.annual_cost(), 5_000.0);
        assert_eq!(rosi(100_000.0, 40_000.0, 5_000.0), 11.0);
    }

    #[test]
    fn reductions_multiply() {
        let e = Effect {
            scenario: "s".into(),
            tef: 0.5,
            vulnerability: 0.5,
            lef: 0.0,
            loss: 0.25,
        };
        assert_eq!(
            e.remaining(),
            Remaining {
                frequency: 0.25,
                magnitude: 0.75
            }
        );
    }
}
