//! How far a campaign has come: counts per reviewer and per system, outcomes, open tasks.

use std::collections::BTreeMap;

use bulwark_core::Timestamp;
use serde::Serialize;

use super::launch::day_of;
use super::{Campaign, ReviewItem, ReviewTask};

/// Decided, pending and overdue counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub decided: i64,
    pub pending: i64,
    /// Pending after the deadline.
    pub overdue: i64,
}

/// Counts for one reviewer or system.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// The reviewer's email, or the system's name.
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// A campaign's progress.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CampaignProgress {
    pub campaign_id: String,
    pub items: i64,
    /// Items settled, awaiting a decision, and awaiting one after the deadline.
    pub totals: Counts,
    pub kept: i64,
    pub revoked: i64,
    pub modified: i64,
    /// Decisions each reviewer made (at the stages assigned to them) and items awaiting them.
    pub reviewers: Vec<Line>,
    pub systems: Vec<Line>,
    /// Tasks open or reopened.
    pub open_tasks: i64,
    /// Tasks done and not yet verified.
    pub done_tasks: i64,
    pub verified_tasks: i64,
}

impl CampaignProgress {
    /// The share of settled items, 0 to 100.
    pub fn percent(&self) -> i64 {
        (self.totals.decided * 100)
            .checked_div(self.items)
            .unwrap_or(0)
    }
}

/// Counts the campaign's items and tasks as of `now`.
pub fn progress(
    c: &Campaign,
    items: &[ReviewItem],
    tasks: &[ReviewTask],
    now: Timestamp,
) -> CampaignProgress {
    let overdue = day_of(now).format("%Y-%m-%d").to_string() > c.deadline && c.status == "active";
    let mut reviewers: BTreeMap<String, Counts> = BTreeMap::new();
    let mut systems: BTreeMap<String, Counts> = BTreeMap::new();
    let mut p = CampaignProgress {
        campaign_id: c.id.clone(),
        items: items.len() as i64,
        totals: Counts::default(),
        kept: 0,
        revoked: 0,
        modified: 0,
        reviewers: Vec::new(),
        systems: Vec::new(),
        open_tasks: 0,
        done_tasks: 0,
        verified_tasks: 0,
    };
    let pend = |c: &mut Counts| {
        c.pending += 1;
        c.overdue += i64::from(overdue);
    };
    for i in items {
        for d in &i.decisions {
            let assigned = usize::try_from(d.stage - 1)
                .ok()
                .and_then(|s| i.reviewers.get(s));
            if let Some(r) = assigned {
                reviewers.entry(r.clone()).or_default().decided += 1;
            }
        }
        let sys = systems.entry(i.system_name.clone()).or_default();
        match (&i.outcome, &i.reviewer) {
            (Some(o), _) => {
                sys.decided += 1;
                p.totals.decided += 1;
                match o.as_str() {
                    "kept" => p.kept += 1,
                    "revoked" => p.revoked += 1,
                    _ => p.modified += 1,
                }
            }
            (None, r) => {
                pend(sys);
                pend(&mut p.totals);
                if let Some(r) = r {
                    pend(reviewers.entry(r.clone()).or_default());
                }
            }
        }
    }
    for t in tasks {
        match t.status.as_str() {
            "open" | "reopened" => p.open_tasks += 1,
            "done" => p.done_tasks += 1,
            _ => p.verified_tasks += 1,
        }
    }
    let lines = |m: BTreeMap<String, Counts>| {
        m.into_iter()
            .map(|(name, counts)| Line { name, counts })
            .collect()
    };
    p.reviewers = lines(reviewers);
    p.systems = lines(systems);
    p
}
