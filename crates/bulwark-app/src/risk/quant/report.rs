//! A stored report read back for the pages: the parts of `bulwark_fair::Report` they show, and
//! the words and pictures made from them (money in the currency, percentages, the
//! loss-exceedance curve with the tolerance over it).

use serde::Deserialize;

use crate::settings::RiskTolerance;

/// The parts of a report the pages show.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportView {
    pub trials: u64,
    pub currency: String,
    pub scenarios: Vec<ScenarioView>,
    pub portfolio: Option<PortfolioView>,
    #[serde(default)]
    pub controls: Vec<ControlView>,
    pub funding: Option<FundingView>,
}

/// One risk's result.
#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioView {
    /// The risk's id.
    pub id: String,
    /// The risk's code and title when the run started.
    pub name: String,
    pub result: SummaryView,
    pub tolerance: Option<CheckView>,
}

/// The sum of the risks, year by year.
#[derive(Debug, Clone, Deserialize)]
pub struct PortfolioView {
    pub name: String,
    pub result: SummaryView,
    pub tolerance: Option<CheckView>,
}

/// The distribution of a year's loss.
#[derive(Debug, Clone, Deserialize)]
pub struct SummaryView {
    pub mean: f64,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub value_at_risk: f64,
    pub var_level: f64,
    pub expected_shortfall: f64,
    pub probability_of_loss: f64,
    pub exceedance: Vec<PointView>,
    pub loss_exceedance_curve: Vec<PointView>,
}

/// A loss and the share of years losing more.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PointView {
    pub loss: f64,
    pub probability: f64,
}

/// A check against the tolerance.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct CheckView {
    pub within: bool,
    pub worst_excess: Option<ExcessView>,
}

/// The point furthest above the tolerance.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct ExcessView {
    pub loss: f64,
    pub probability: f64,
    pub tolerated: f64,
    pub times: f64,
}

/// A control's return on its own.
#[derive(Debug, Clone, Deserialize)]
pub struct ControlView {
    pub id: String,
    pub name: String,
    pub annual_cost: f64,
    pub loss_before: f64,
    pub loss_after: f64,
    pub reduction: f64,
    pub rosi: f64,
}

/// What to fund within the budget.
#[derive(Debug, Clone, Deserialize)]
pub struct FundingView {
    pub budget: f64,
    pub steps: Vec<StepView>,
    pub not_funded: Vec<LeftOutView>,
    pub annual_cost: f64,
    pub loss_before: f64,
    pub loss_after: f64,
}

/// One initiative to fund.
#[derive(Debug, Clone, Deserialize)]
pub struct StepView {
    pub id: String,
    pub annual_cost: f64,
    pub reduction: f64,
    pub sentence: String,
}

/// An initiative left out.
#[derive(Debug, Clone, Deserialize)]
pub struct LeftOutView {
    pub id: String,
    pub sentence: String,
}

/// What to fund next, in words.
#[derive(Debug, Clone)]
pub struct Plan {
    /// "Spending X a year on A, B and C is expected to cut the yearly loss from Y to Z."
    pub headline: String,
    /// One sentence per control funded, in the order to fund them.
    pub steps: Vec<String>,
    /// One sentence per control left out, with the reason.
    pub not_funded: Vec<String>,
}

/// What a page shows of one result: figures in words and the chart.
#[derive(Debug, Clone)]
pub struct Figures {
    pub title: String,
    /// How many years were simulated, as "100,000".
    pub years: String,
    pub mean: String,
    /// (label, amount) for P10 … P99.
    pub percentiles: Vec<(&'static str, String)>,
    pub value_at_risk: String,
    /// The level of the value at risk, as "95 %".
    pub var_level: String,
    pub expected_shortfall: String,
    pub probability_of_loss: String,
    /// Chance of losing more than each tolerance point's loss, with the tolerated chance.
    pub exceedance: Vec<String>,
    /// None without a tolerance; else whether the result lies within it, and in words.
    pub tolerance: Option<(bool, String)>,
    /// The loss-exceedance curve (SVG).
    pub chart: String,
}

impl ReportView {
    /// Reads a stored report.
    pub fn read(result: &serde_json::Value) -> Option<ReportView> {
        serde_json::from_value(result.clone()).ok()
    }

    /// Money in the report's currency: `12,000 EUR`.
    pub fn money(&self, amount: f64) -> String {
        bulwark_fair::advice::money(amount, &self.currency)
    }

    /// The result for the whole run: the portfolio's, else the only risk's; with its name and
    /// its check against the tolerance.
    pub fn whole(&self) -> Option<(&str, &SummaryView, Option<&CheckView>)> {
        match (&self.portfolio, self.scenarios.first()) {
            (Some(p), _) => Some((&p.name, &p.result, p.tolerance.as_ref())),
            (None, Some(s)) => Some((&s.name, &s.result, s.tolerance.as_ref())),
            (None, None) => None,
        }
    }

    /// What to fund next in words, if the run had a budget.
    pub fn plan(&self) -> Option<Plan> {
        let f = self.funding.as_ref()?;
        let names: Vec<&str> = f
            .steps
            .iter()
            .map(|s| {
                self.controls
                    .iter()
                    .find(|c| c.id == s.id)
                    .map_or(s.id.as_str(), |c| c.name.as_str())
            })
            .collect();
        let headline = if names.is_empty() {
            format!(
                "Within a budget of {} a year nothing is worth funding now: the expected yearly loss stays at {}.",
                self.money(f.budget),
                self.money(f.loss_before)
            )
        } else {
            format!(
                "Spending {} a year on {} is expected to cut the yearly loss from {} to {}.",
                self.money(f.annual_cost),
                listing(&names),
                self.money(f.loss_before),
                self.money(f.loss_after)
            )
        };
        Some(Plan {
            headline,
            steps: f.steps.iter().map(|s| s.sentence.clone()).collect(),
            not_funded: f.not_funded.iter().map(|n| n.sentence.clone()).collect(),
        })
    }

    /// The figures of a result; `tolerance` is the curve the run was checked against.
    pub fn figures(
        &self,
        title: &str,
        s: &SummaryView,
        check: Option<&CheckView>,
        tolerance: Option<&RiskTolerance>,
    ) -> Figures {
        let curve = tolerance.and_then(|t| t.curve().ok());
        let tolerated = curve.map(|c| move |loss: f64| c.tolerated(loss));
        let points: Vec<bulwark_risk::lec::Point> = s
            .loss_exceedance_curve
            .iter()
            .map(|p| bulwark_risk::lec::Point {
                loss: p.loss,
                probability: p.probability,
            })
            .collect();
        let chart = bulwark_risk::lec::Chart {
            title,
            currency: &self.currency,
            curve: &points,
            tolerance: tolerated.as_ref().map(|f| f as &dyn Fn(f64) -> f64),
        }
        .svg();
        let exceedance = s
            .exceedance
            .iter()
            .map(|e| {
                let allowed = curve.map_or(String::new(), |c| {
                    format!(" (tolerated: {})", percent(c.tolerated(e.loss)))
                });
                format!(
                    "Chance of losing more than {} in a year: {}{allowed}",
                    self.money(e.loss),
                    percent(e.probability),
                )
            })
            .collect();
        let tolerance = check.map(|c| {
            let words = match &c.worst_excess {
                None => "Within the risk tolerance: no loss is more likely than leadership accepts."
                    .to_string(),
                Some(x) => format!(
                    "Above the risk tolerance: a loss of more than {} happens in {} of years, where {} is tolerated ({:.1} times as likely).",
                    self.money(x.loss),
                    percent(x.probability),
                    percent(x.tolerated),
                    x.times
                ),
            };
            (c.within, words)
        });
        Figures {
            title: title.to_string(),
            // A count in the money format, without a currency.
            years: bulwark_fair::advice::money(self.trials as f64, "")
                .trim_end()
                .to_string(),
            mean: self.money(s.mean),
            percentiles: vec![
                ("P10", self.money(s.p10)),
                ("P50 (median)", self.money(s.p50)),
                ("P90", self.money(s.p90)),
                ("P95", self.money(s.p95)),
                ("P99", self.money(s.p99)),
            ],
            value_at_risk: self.money(s.value_at_risk),
            var_level: percent(s.var_level),
            expected_shortfall: self.money(s.expected_shortfall),
            probability_of_loss: percent(s.probability_of_loss),
            exceedance,
            tolerance,
            chart,
        }
    }
}

/// Names joined for a sentence: `A`, `A and B`, `A, B and C`.
pub fn listing(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A probability as a percentage for people: `12.5 %`, `0.4 %`, `under 0.1 %`.
pub fn percent(p: f64) -> String {
    let pct = p * 100.0;
    match pct {
        x if x <= 0.0 => "0 %".to_string(),
        x if x < 0.1 => "under 0.1 %".to_string(),
        x if x < 10.0 => format!("{x:.1} %"),
        x => format!("{x:.0} %"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_for_people() {
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(0.0004), "under 0.1 %");
        assert_eq!(percent(0.004), "0.4 %");
        assert_eq!(percent(0.34), "34 %");
        assert_eq!(percent(1.0), "100 %");
    }
}
