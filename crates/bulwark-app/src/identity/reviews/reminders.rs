//! The daily job of each active campaign: reminders to reviewers with pending items from
//! `remind_days_before` days before the deadline, and once the deadline has passed, escalation
//! to the fallback reviewer and the launcher naming the overdue reviewers. Each goes out at most
//! once a day (the day is recorded on the campaign).

use std::collections::BTreeMap;

use bulwark_core::Timestamp;
use chrono::{Days, NaiveDate};
use sea_query::{Alias, Expr, ExprTrait, Query};
use serde::{Deserialize, Serialize};

use super::launch::day_of;
use super::{ACTIVE, store};
use crate::app::AppState;
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Tx};
use crate::platform::jobs;
use crate::platform::mail::{self, Mail};

/// The job kind.
pub const JOB_KIND: &str = "access_review.remind";

/// The job's payload.
#[derive(Debug, Serialize, Deserialize)]
pub struct Payload {
    pub campaign_id: String,
}

/// The hour (UTC) at which the daily run is due.
const RUN_HOUR: u32 = 6;

/// Queues the campaign's next daily run: the next day at 06:00 UTC.
pub async fn schedule(tx: &mut Tx, now: Timestamp, campaign_id: &str) -> Result<(), DbError> {
    let next = day_of(now)
        .checked_add_days(Days::new(1))
        .and_then(|d| d.and_hms_opt(RUN_HOUR, 0, 0))
        .map(|t| Timestamp::from_datetime(t.and_utc()))
        .unwrap_or(now);
    let payload = Payload {
        campaign_id: campaign_id.to_string(),
    };
    jobs::enqueue(tx, now, JOB_KIND, &payload, Some(next))
        .await
        .map(|_| ())
}

/// The job handler: one day's reminders and escalations, then the next run while the campaign
/// is active.
pub async fn run(app: AppState, payload: String) -> anyhow::Result<()> {
    let p: Payload = serde_json::from_str(&payload)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    if remind(&mut tx, now, &p.campaign_id, &app.config.public_url).await? {
        schedule(&mut tx, now, &p.campaign_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sends what is due today for a campaign; false when the campaign is gone or closed.
pub async fn remind(
    tx: &mut Tx,
    now: Timestamp,
    campaign_id: &str,
    public_url: &str,
) -> anyhow::Result<bool> {
    let Some(c) = store::campaign(&mut tx.h(), campaign_id).await? else {
        return Ok(false);
    };
    if c.status != ACTIVE {
        return Ok(false);
    }
    let today = day_of(now);
    let today_s = today.format("%Y-%m-%d").to_string();
    let deadline = NaiveDate::parse_from_str(&c.deadline, "%Y-%m-%d")?;
    let f = store::ItemFilter {
        campaign_id: Some(c.id.clone()),
        pending: Some(true),
        ..Default::default()
    };
    let mut pending: BTreeMap<String, usize> = BTreeMap::new();
    for i in store::items(&mut tx.h(), &f, None, None).await? {
        if let Some(r) = i.reviewer {
            *pending.entry(r).or_default() += 1;
        }
    }
    if pending.is_empty() {
        return Ok(true);
    }
    let url = format!("{}/reviews", public_url.trim_end_matches('/'));
    let remind_from = deadline
        .checked_sub_days(Days::new(u64::try_from(c.remind_days_before).unwrap_or(0)))
        .unwrap_or(deadline);
    let (column, mails) = if today > deadline {
        if c.escalated_on.as_deref() == Some(today_s.as_str()) {
            return Ok(true);
        }
        let list: Vec<String> = pending
            .iter()
            .map(|(r, n)| format!("  {r}: {n} pending"))
            .collect();
        let mut to = vec![c.fallback_email.clone()];
        if let Some(l) = launcher(tx, &c.id).await?
            && !to.contains(&l)
        {
            to.push(l);
        }
        let mails: Vec<Mail> = to
            .into_iter()
            .map(|to| Mail {
                to,
                subject: format!("Access review \"{}\" is overdue", c.name),
                body: format!(
                    "Hello,\n\nThe access review \"{}\" passed its deadline ({}) with decisions outstanding:\n\n{}\n\nPlease follow up, or decide on their behalf: {url}\n",
                    c.name,
                    c.deadline,
                    list.join("\n")
                ),
            })
            .collect();
        ("escalated_on", mails)
    } else if today >= remind_from {
        if c.reminded_on.as_deref() == Some(today_s.as_str()) {
            return Ok(true);
        }
        let mails = pending
            .iter()
            .map(|(to, n)| Mail {
                to: to.clone(),
                subject: format!("Reminder: access review \"{}\" due {}", c.name, c.deadline),
                body: format!(
                    "Hello,\n\n{n} account{} still await your decision in the access review \"{}\", due {}.\n\nYour queue: {url}\n",
                    if *n == 1 { "" } else { "s" },
                    c.name,
                    c.deadline
                ),
            })
            .collect();
        ("reminded_on", mails)
    } else {
        return Ok(true);
    };
    for m in &mails {
        mail::queue(tx, now, m).await?;
    }
    let q = Query::update()
        .table(Alias::new("review_campaigns"))
        .value(Alias::new(column), today_s.clone())
        .value(Alias::new("updated_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(c.id.as_str()))
        .to_owned();
    tx.h().execute(&q).await?;
    let action = if column == "escalated_on" {
        "access_review.escalate"
    } else {
        "access_review.remind"
    };
    record(
        tx,
        now,
        &Actor::system(),
        Change::new(action, "access_review", Some(&c.id)).after(&serde_json::json!({
            "day": today_s,
            "to": mails.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(),
            "pending": pending,
        })),
    )
    .await?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct LauncherRow {
    launcher_email: Option<String>,
}

/// The email of the user who launched the campaign (none when launched from the CLI).
async fn launcher(tx: &mut Tx, id: &str) -> Result<Option<String>, DbError> {
    let q = Query::select()
        .column(Alias::new("launcher_email"))
        .from(Alias::new("review_campaigns"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    Ok(tx
        .h()
        .fetch_optional::<LauncherRow>(&q)
        .await?
        .and_then(|r| r.launcher_email))
}
