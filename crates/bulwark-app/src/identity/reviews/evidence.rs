//! The evidence pack for auditors: every item with its snapshot and decisions as CSV, and a PDF
//! summary recording who decided what, when and why.

use std::collections::HashMap;

use bulwark_core::Timestamp;

use super::progress::progress;
use super::{Campaign, ReviewItem, ReviewTask, STRATEGIES};
use crate::platform::files::neutralise;
use crate::platform::http::error::AppError;
use crate::platform::pdf::Report;
use crate::web::when;

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The CSV: one row per item; per stage its reviewer, decision, decider, time, justification.
pub fn csv(c: &Campaign, items: &[ReviewItem], tasks: &[ReviewTask]) -> Result<Vec<u8>, AppError> {
    let task_of: HashMap<&str, &ReviewTask> =
        tasks.iter().map(|t| (t.item_id.as_str(), t)).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "campaign",
        "system",
        "username",
        "display_name",
        "email",
        "person",
        "privileged",
        "mfa",
        "enabled",
        "groups",
        "last_login",
    ]
    .map(String::from)
    .to_vec();
    for s in 1..=c.stages.len() {
        for f in [
            "reviewer",
            "decision",
            "decided_by",
            "on_behalf",
            "decided_at",
            "justification",
        ] {
            header.push(format!("stage{s}_{f}"));
        }
    }
    header.extend(["outcome", "settled_at", "task", "task_status"].map(String::from));
    let fail = |e: csv::Error| AppError::Internal(e.into());
    w.write_record(&header).map_err(fail)?;
    for i in items {
        let mut row: Vec<String> = vec![
            c.name.clone(),
            i.system_name.clone(),
            i.username.clone(),
            i.display_name.clone(),
            i.email.clone().unwrap_or_default(),
            i.person_name.clone().unwrap_or_default(),
            yes(i.privileged).into(),
            yes(i.mfa).into(),
            yes(i.enabled).into(),
            i.groups.join("; "),
            i.last_login.clone().unwrap_or_default(),
        ];
        for s in 1..=c.stages.len() {
            let d = i.decisions.iter().find(|d| d.stage == s as i64);
            row.push(i.reviewers.get(s - 1).cloned().unwrap_or_default());
            match d {
                Some(d) => row.extend([
                    d.decision.clone(),
                    d.decided_by.clone(),
                    yes(d.on_behalf).into(),
                    d.decided_at.clone(),
                    d.justification.clone(),
                ]),
                None => row.extend(std::iter::repeat_n(String::new(), 5)),
            }
        }
        let t = task_of.get(i.id.as_str());
        row.extend([
            i.outcome.clone().unwrap_or_else(|| "pending".into()),
            i.settled_at.clone().unwrap_or_default(),
            t.map(|t| t.kind.clone()).unwrap_or_default(),
            t.map(|t| t.status.clone()).unwrap_or_default(),
        ]);
        w.write_record(row.iter().map(|c| neutralise(c)))
            .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the CSV: {e}")))
}

/// The PDF summary: scope, dates, outcomes, reviewers and their completion, then every
/// decision — who, what, when, why.
pub fn pdf(c: &Campaign, items: &[ReviewItem], tasks: &[ReviewTask], now: Timestamp) -> Vec<u8> {
    let p = progress(c, items, tasks, now);
    let strategy = STRATEGIES
        .iter()
        .find(|(v, _)| *v == c.strategy)
        .map_or(c.strategy.as_str(), |(_, l)| *l);
    let mut r = Report::new(format!("Access review: {}", c.name));
    r.paragraph(format!(
        "Systems: {}\nPopulation: {} ({} accounts, frozen at launch)\nStages: {} (outcome: {strategy})\nLaunched {} by {}; deadline {}; {}\nFallback reviewer: {}\nEvidence generated {}",
        c.systems.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        if c.privileged_only { "privileged accounts only" } else { "all accounts" },
        p.items,
        c.stages.join(" then "),
        when(&c.launched_at),
        c.launched_by,
        c.deadline,
        match &c.closed_at {
            Some(t) => format!("closed {}", when(t)),
            None => "still active".into(),
        },
        c.fallback_email,
        now.human(),
    ));
    if !c.description.is_empty() {
        r.paragraph(c.description.clone());
    }
    r.heading("Outcomes");
    r.table(
        &[
            ("Kept", 1.0),
            ("Revoked", 1.0),
            ("Modified", 1.0),
            ("Undecided", 1.0),
            ("Tasks open / done / verified", 2.0),
        ],
        vec![vec![
            p.kept.to_string(),
            p.revoked.to_string(),
            p.modified.to_string(),
            p.totals.pending.to_string(),
            format!("{} / {} / {}", p.open_tasks, p.done_tasks, p.verified_tasks),
        ]],
    );
    r.heading("Reviewers");
    r.table(
        &[
            ("Reviewer", 3.0),
            ("Decided", 1.0),
            ("Pending", 1.0),
            ("Overdue", 1.0),
        ],
        p.reviewers
            .iter()
            .map(|l| {
                vec![
                    l.name.clone(),
                    l.counts.decided.to_string(),
                    l.counts.pending.to_string(),
                    l.counts.overdue.to_string(),
                ]
            })
            .collect(),
    );
    r.heading("Decisions");
    let mut rows = Vec::new();
    for i in items {
        for d in &i.decisions {
            rows.push(vec![
                format!("{} on {}", i.username, i.system_name),
                d.stage.to_string(),
                d.decision.clone(),
                if d.on_behalf {
                    format!("{} (on behalf)", d.decided_by)
                } else {
                    d.decided_by.clone()
                },
                when(&d.decided_at),
                d.justification.clone(),
            ]);
        }
        if i.outcome.is_none() {
            rows.push(vec![
                format!("{} on {}", i.username, i.system_name),
                i.stage.to_string(),
                "undecided".into(),
                i.reviewer.clone().unwrap_or_default(),
                String::new(),
                String::new(),
            ]);
        }
    }
    r.table(
        &[
            ("Account", 2.6),
            ("Stage", 0.6),
            ("Decision", 1.0),
            ("Who", 2.4),
            ("When", 1.6),
            ("Why", 3.0),
        ],
        rows,
    );
    r.render()
}
