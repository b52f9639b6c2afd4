//! What the latest simulations of the register say, in words for leadership: what the risks
//! may cost in a year and what to fund next. The leadership risk report shows it.

use super::report::ReportView;
use super::runs::{self, RunFilter};
use super::status;
use crate::platform::db::{DbError, Handle};

/// The latest finished simulations of the whole register.
#[derive(Debug, Clone)]
pub struct Latest {
    /// The day the costs were simulated (`YYYY-MM-DD`).
    pub made: String,
    /// The latest finished portfolio or investment run.
    pub costs: ReportView,
    /// The latest finished investment run with a budget, if there is one.
    pub funding: Option<ReportView>,
}

/// Reads the latest finished portfolio and investment runs; none if neither ever finished.
pub async fn latest(h: &mut Handle<'_>) -> Result<Option<Latest>, DbError> {
    let mut newest = Vec::new();
    for scope in ["portfolio", "investment"] {
        let filter = RunFilter {
            scope: Some(scope.into()),
            risk_id: None,
            status: Some(status::DONE.into()),
        };
        if let Some(run) = runs::list(h, &filter, None, 1).await?.into_iter().next() {
            newest.push(run);
        }
    }
    let Some(last) = newest.iter().max_by(|a, b| a.created_at.cmp(&b.created_at)) else {
        return Ok(None);
    };
    let made = last.finished_at.clone().unwrap_or_default();
    let Some(costs) = report_of(h, &last.id).await? else {
        return Ok(None);
    };
    let funding = match newest.iter().find(|r| r.scope == "investment") {
        Some(r) => report_of(h, &r.id).await?.filter(|v| v.funding.is_some()),
        None => None,
    };
    Ok(Some(Latest {
        made: made.chars().take(10).collect(),
        costs,
        funding,
    }))
}

async fn report_of(h: &mut Handle<'_>, id: &str) -> Result<Option<ReportView>, DbError> {
    Ok(runs::get(h, id)
        .await?
        .and_then(|r| r.result)
        .and_then(|v| ReportView::read(&v)))
}

impl Latest {
    /// What the risks may cost, in a paragraph.
    pub fn costs_paragraph(&self) -> String {
        let v = &self.costs;
        let Some((_, s, check)) = v.whole() else {
            return String::new();
        };
        let words = v.figures("", s, check, None);
        let tolerance = match words.tolerance {
            Some((_, t)) => t,
            None => {
                "No risk tolerance was set, so the result was not checked against one.".to_string()
            }
        };
        format!(
            "The latest simulation ({} possible years, on {}) of the {} risks with cost \
             estimates expects them to cost {} a year on average. One year in ten costs more \
             than {}; one year in a hundred more than {}. {tolerance}",
            words.years,
            self.made,
            v.scenarios.len(),
            words.mean,
            v.money(s.p90),
            v.money(s.p99),
        )
    }

    /// What to fund next: the plan's headline, then one sentence per control funded or left out.
    pub fn funding_lines(&self) -> Vec<String> {
        let Some(p) = self.funding.as_ref().and_then(ReportView::plan) else {
            return Vec::new();
        };
        std::iter::once(p.headline)
            .chain(p.steps)
            .chain(p.not_funded)
            .collect()
    }
}
