//! Running a checked model, and what the run reports.

use super::Model;
use crate::advice::{self, Why};
use crate::engine::{self, Cancelled, Progress, Stream};
use crate::funding::{self, Item, LeftOut};
use crate::invest::{Control, rosi};
use crate::scenario::{Remaining, YearSimulator};
use crate::summary::Summary;
use crate::tolerance::{Tolerance, ToleranceCheck};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Everything a run found; serialises to the JSON that `bulwark risk simulate` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Simulated years per scenario.
    pub trials: u64,
    /// The seed used.
    pub seed: u64,
    /// Currency of every amount.
    pub currency: String,
    /// One result per scenario, in the file's order.
    pub scenarios: Vec<ScenarioReport>,
    /// The portfolio, when the model asks for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portfolio: Option<PortfolioReport>,
    /// The tolerance curve every result was checked against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<Tolerance>,
    /// Return on security investment of each control on its own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlReport>,
    /// What to fund next, when the model gives a budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding: Option<FundingPlan>,
}

/// One scenario's simulated annual loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioReport {
    /// The scenario's id.
    pub id: String,
    /// The scenario's name.
    pub name: String,
    /// The exact mean annual loss of the model (the simulated mean estimates it).
    pub analytic_mean: f64,
    /// The simulated distribution.
    pub result: Summary,
    /// The check against the tolerance curve, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<ToleranceCheck>,
}

/// Scenarios summed year by year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortfolioReport {
    /// The portfolio's name.
    pub name: String,
    /// Ids of its scenarios.
    pub scenarios: Vec<String>,
    /// The simulated distribution of the summed annual loss.
    pub result: Summary,
    /// The check against the tolerance curve, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<ToleranceCheck>,
}

/// One control's return, from re-running the scenarios it affects with the same random numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlReport {
    /// The control's id.
    pub id: String,
    /// The control's name.
    pub name: String,
    /// Yearly cost plus the one-off cost spread over its lifetime.
    pub annual_cost: f64,
    /// Mean annual loss of the affected scenarios without the control.
    pub loss_before: f64,
    /// Mean annual loss of the affected scenarios with it.
    pub loss_after: f64,
    /// `loss_before − loss_after`.
    pub reduction: f64,
    /// `(reduction − annual_cost) / annual_cost`.
    pub rosi: f64,
}

/// What to fund next within the budget, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundingPlan {
    /// The yearly budget.
    pub budget: f64,
    /// The plan in one sentence.
    pub summary: String,
    /// Initiatives to fund, in this order.
    pub steps: Vec<FundingStep>,
    /// Initiatives left out, each with the reason.
    pub not_funded: Vec<NotFunded>,
    /// Sum of the steps' annual costs.
    pub annual_cost: f64,
    /// Expected annual loss of all scenarios before the plan.
    pub loss_before: f64,
    /// Expected annual loss of all scenarios after the plan.
    pub loss_after: f64,
    /// False if the search hit its limit: the plan is then the best found, not proven best.
    pub exact: bool,
}

/// One initiative to fund.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundingStep {
    /// The control's id.
    pub id: String,
    /// Its annual cost.
    pub annual_cost: f64,
    /// Expected annual loss it removes on top of the steps before it.
    pub reduction: f64,
    /// The step in plain words.
    pub sentence: String,
}

/// An initiative left out of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotFunded {
    /// The control's id.
    pub id: String,
    /// Why, in plain words.
    pub sentence: String,
}

/// What the runs share: the model, scenario positions by id, and the progress counter.
///
/// Simulators (with their quantile tables) are built when a run needs them and dropped after,
/// so memory does not grow with the number of scenarios.
struct Runner<'a> {
    model: &'a Model,
    index: HashMap<&'a str, usize>,
    progress: &'a Progress,
}

impl Runner<'_> {
    fn stream(&self, scenario: usize) -> Stream {
        Stream::new(self.model.seed, scenario as u64)
    }

    fn simulator(&self, scenario: usize) -> YearSimulator {
        self.model.scenarios[scenario].simulator()
    }

    /// Mean annual loss of one scenario with some effect (the same random numbers as its base run).
    fn mean(&self, scenario: usize, remaining: Remaining) -> Result<f64, Cancelled> {
        let trials = self.model.trials as usize;
        engine::mean(
            trials,
            &self.simulator(scenario),
            self.stream(scenario),
            remaining,
            self.progress,
        )
    }

    /// A control's effects by scenario position.
    fn effects<'c>(
        &'c self,
        control: &'c Control,
    ) -> impl Iterator<Item = (usize, Remaining)> + 'c {
        let index = &self.index;
        control
            .effects
            .iter()
            .map(move |e| (index[e.scenario.as_str()], e.remaining()))
    }
}

impl Model {
    /// Runs the model: every scenario, the portfolio, each control's return and the funding plan.
    ///
    /// Scenario `i` uses random stream `i`; controls re-run the scenarios they affect on the same
    /// streams (common random numbers). Three trial vectors are alive at any time (the scenario
    /// being summarised, the next one being simulated, the portfolio's running sum), whatever the
    /// number of scenarios.
    pub fn run(&self, progress: &Progress) -> Result<Report, Cancelled> {
        let effects: usize = self.controls.iter().map(|c| c.effects.len()).sum();
        progress.expect(self.trials * (self.scenarios.len() + effects) as u64);
        let runner = Runner {
            model: self,
            index: self
                .scenarios
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.as_str(), i))
                .collect(),
            progress,
        };
        let n = self.trials as usize;
        let mut in_portfolio = vec![false; self.scenarios.len()];
        if let Some(p) = &self.portfolio {
            p.members.iter().for_each(|&m| in_portfolio[m] = true);
        }
        let mut total = self.portfolio.as_ref().map(|_| vec![0.0; n]);
        let fill = |i: usize, out: &mut [f64]| {
            if i == self.scenarios.len() {
                return Ok(());
            }
            let sim = runner.simulator(i);
            engine::fill(out, &sim, runner.stream(i), Remaining::NONE, progress)
        };
        // Scenario i is summarised (one core) while scenario i + 1 is simulated (all cores).
        let (mut losses, mut next) = (vec![0.0; n], vec![0.0; n]);
        fill(0, &mut losses)?;
        let mut scenarios = Vec::with_capacity(self.scenarios.len());
        for (i, s) in self.scenarios.iter().enumerate() {
            if let Some(total) = total.as_mut().filter(|_| in_portfolio[i]) {
                total.par_iter_mut().zip(&losses).for_each(|(t, x)| *t += x);
            }
            let (result, filled) = rayon::join(
                || Summary::from_losses(&mut losses, &self.summary),
                || fill(i + 1, &mut next),
            );
            filled?;
            std::mem::swap(&mut losses, &mut next);
            scenarios.push(ScenarioReport {
                id: s.id.clone(),
                name: s.name.clone(),
                analytic_mean: s.mean_annual_loss(),
                tolerance: self.tolerance.map(|t| t.check(&result)),
                result,
            });
        }
        drop((losses, next));
        let portfolio = self.portfolio.as_ref().zip(total).map(|(p, mut total)| {
            let result = Summary::from_losses(&mut total, &self.summary);
            PortfolioReport {
                name: p.name.clone(),
                scenarios: p
                    .members
                    .iter()
                    .map(|&m| self.scenarios[m].id.clone())
                    .collect(),
                tolerance: self.tolerance.map(|t| t.check(&result)),
                result,
            }
        });
        let base: Vec<f64> = scenarios.iter().map(|s| s.result.mean).collect();
        let controls = self
            .controls
            .iter()
            .map(|c| {
                let (mut before, mut after) = (0.0, 0.0);
                for (s, remaining) in runner.effects(c) {
                    before += base[s];
                    after += runner.mean(s, remaining)?;
                }
                Ok(ControlReport {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    annual_cost: c.annual_cost(),
                    loss_before: before,
                    loss_after: after,
                    reduction: before - after,
                    rosi: rosi(before, after, c.annual_cost()),
                })
            })
            .collect::<Result<Vec<_>, Cancelled>>()?;
        let funding = match self.budget {
            Some(budget) => Some(self.funding_plan(&runner, &base, budget)?),
            None => None,
        };
        Ok(Report {
            trials: self.trials,
            seed: self.seed,
            currency: self.currency.clone(),
            scenarios,
            portfolio,
            tolerance: self.tolerance,
            controls,
            funding,
        })
    }

    /// Chooses what to fund, then re-runs the affected scenarios step by step for the numbers shown.
    fn funding_plan(
        &self,
        runner: &Runner<'_>,
        base: &[f64],
        budget: f64,
    ) -> Result<FundingPlan, Cancelled> {
        let control_index: HashMap<&str, usize> = self
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let items: Vec<Item> = self
            .controls
            .iter()
            .map(|c| Item {
                cost: c.annual_cost(),
                requires: c
                    .requires
                    .iter()
                    .map(|r| control_index[r.as_str()])
                    .collect(),
                effects: runner
                    .effects(c)
                    .map(|(s, r)| (s, r.frequency * r.magnitude))
                    .collect(),
            })
            .collect();
        let choice = funding::choose(base, &items, budget);
        let reruns: usize = choice.order.iter().map(|&i| items[i].effects.len()).sum();
        runner.progress.expect(self.trials * reruns as u64);

        let currency = &self.currency;
        let mut current = base.to_vec();
        let mut remaining = vec![Remaining::NONE; base.len()];
        let mut steps = Vec::with_capacity(choice.order.len());
        for (k, &i) in choice.order.iter().enumerate() {
            let c = &self.controls[i];
            let mut reduction = 0.0;
            for (s, effect) in runner.effects(c) {
                remaining[s] = remaining[s].and(effect);
                let mean = runner.mean(s, remaining[s])?;
                reduction += current[s] - mean;
                current[s] = mean;
            }
            let needed_by = choice.order[k + 1..]
                .iter()
                .find(|&&j| items[j].requires.contains(&i))
                .map(|&j| self.controls[j].name.as_str());
            steps.push(FundingStep {
                id: c.id.clone(),
                annual_cost: c.annual_cost(),
                reduction,
                sentence: advice::fund(&c.name, c.annual_cost(), reduction, currency, needed_by),
            });
        }
        let annual_cost: f64 = steps.iter().map(|s| s.annual_cost).sum();
        let not_funded = choice
            .left_out
            .iter()
            .map(|&(i, reason)| {
                let c = &self.controls[i];
                let why = match reason {
                    LeftOut::Needs(r) => Why::Needs(&self.controls[r].name),
                    LeftOut::NotWorthIt => Why::NotWorthIt(
                        runner
                            .effects(c)
                            .map(|(s, r)| current[s] * (1.0 - r.frequency * r.magnitude))
                            .sum(),
                    ),
                    LeftOut::OverBudget => Why::OverBudget(budget - annual_cost),
                };
                NotFunded {
                    id: c.id.clone(),
                    sentence: advice::not_now(&c.name, c.annual_cost(), why, currency),
                }
            })
            .collect();
        let loss_before: f64 = base.iter().sum();
        let loss_after: f64 = current.iter().sum();
        Ok(FundingPlan {
            budget,
            summary: advice::plan(
                budget,
                steps.len(),
                self.controls.len(),
                annual_cost,
                loss_before,
                loss_after,
                currency,
            ),
            steps,
            not_funded,
            annual_cost,
            loss_before,
            loss_after,
            exact: choice.exact,
        })
    }
}
