//! Recording decisions: only the item's reviewer at its current stage may decide — or an
//! identity manager on their behalf, recorded as such. A settled revoke or modify becomes a task.

use std::collections::HashMap;

use bulwark_core::Timestamp;
use bulwark_core::validate::FieldError;
use bulwark_identity::review::{Decision, Outcome, Progress, progress};
use sea_query::{Alias, Expr, ExprTrait, Query};
use serde::Deserialize;

use super::{ACTIVE, Campaign, ReviewItem, outcome_name, store};
use crate::audit_log::{Actor, Change, record};
use crate::inventory::assets;
use crate::platform::db::Tx;
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// The most items one request may decide.
pub const MAX_BULK: usize = 500;

/// One decision for one or several items (bulk), with one justification.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Decide {
    /// The items decided, 1 to 500.
    pub item_ids: Vec<String>,
    /// keep, revoke or modify.
    pub decision: String,
    /// Why; required for revoke and modify.
    pub justification: String,
}

/// Who decides: the signed-in user, and whether they may decide for any reviewer.
#[derive(Debug, Clone)]
pub struct Decider {
    pub actor: Actor,
    /// The user's email, matched against the items' reviewers.
    pub email: String,
    /// Holds Write(Identity): may decide on behalf of the assigned reviewer.
    pub manager: bool,
}

fn check(d: &Decide) -> Result<Decision, AppError> {
    let mut errs = Vec::new();
    if d.item_ids.is_empty() || d.item_ids.len() > MAX_BULK {
        errs.push(FieldError::new(
            "item_ids",
            format!("give 1 to {MAX_BULK} items"),
        ));
    }
    if d.justification.chars().count() > 2000 {
        errs.push(FieldError::new(
            "justification",
            "must be at most 2000 characters",
        ));
    }
    let decision = Decision::parse(&d.decision);
    match decision {
        None => errs.push(FieldError::new(
            "decision",
            "must be keep, revoke or modify",
        )),
        Some(dec) => {
            if let Err(e) = dec.validate(&d.justification) {
                errs.push(e);
            }
        }
    }
    match decision {
        Some(dec) if errs.is_empty() => Ok(dec),
        _ => Err(AppError::Invalid(errs)),
    }
}

/// Records `d` for every item, or for none: each item must be pending in an active campaign and
/// awaiting `who` (unless `who` is a manager). Returns the items as they are now.
pub async fn decide(
    tx: &mut Tx,
    now: Timestamp,
    who: &Decider,
    d: &Decide,
) -> AppResult<Vec<ReviewItem>> {
    let decision = check(d)?;
    let mut campaigns: HashMap<String, Campaign> = HashMap::new();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in d.item_ids.iter().filter(|i| seen.insert(i.trim())) {
        let before = store::item(&mut tx.h(), id.trim())
            .await?
            .ok_or(AppError::NotFound)?;
        if !campaigns.contains_key(&before.campaign_id) {
            let c = store::campaign(&mut tx.h(), &before.campaign_id)
                .await?
                .ok_or(AppError::NotFound)?;
            campaigns.insert(c.id.clone(), c);
        }
        let c = &campaigns[&before.campaign_id];
        out.push(decide_one(tx, now, who, c, decision, d.justification.trim(), before).await?);
    }
    Ok(out)
}

async fn decide_one(
    tx: &mut Tx,
    now: Timestamp,
    who: &Decider,
    c: &Campaign,
    decision: Decision,
    justification: &str,
    before: ReviewItem,
) -> AppResult<ReviewItem> {
    let label = format!("{} on {}", before.username, before.system_name);
    if c.status != ACTIVE {
        return Err(AppError::Conflict(format!(
            "the campaign \"{}\" is closed",
            c.name
        )));
    }
    let Some(reviewer) = before.reviewer.clone().filter(|_| before.outcome.is_none()) else {
        return Err(AppError::Conflict(format!("{label} is already settled")));
    };
    let on_behalf = reviewer != who.email.to_lowercase();
    if on_behalf && !who.manager {
        return Err(AppError::Forbidden(format!(
            "{label} awaits another reviewer"
        )));
    }
    let mut history: Vec<Decision> = before
        .decisions
        .iter()
        .filter_map(|x| Decision::parse(&x.decision))
        .collect();
    history.push(decision);
    let stage = before.stage;
    let now_s = now.to_db();
    let mut upd = Query::update();
    upd.table(Alias::new("review_items"))
        .value(Alias::new("updated_at"), now_s.clone())
        .and_where(Expr::col(Alias::new("id")).eq(before.id.as_str()));
    let settled = match progress(c.strategy(), c.stages.len(), &history)? {
        Progress::Settled { outcome, .. } => {
            upd.value(Alias::new("outcome"), outcome_name(outcome))
                .value(Alias::new("settled_at"), now_s.clone())
                .value(Alias::new("reviewer"), None::<String>);
            Some(outcome)
        }
        Progress::Awaiting { stage: next } => {
            upd.value(Alias::new("stage"), next as i64 + 1)
                .value(Alias::new("reviewer"), before.reviewers.get(next).cloned());
            None
        }
    };
    let ins = Query::insert()
        .into_table(Alias::new("review_decisions"))
        .columns(
            [
                "id",
                "campaign_id",
                "item_id",
                "stage",
                "decision",
                "justification",
                "decided_by",
                "decided_by_id",
                "on_behalf",
                "decided_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            new_id(now).into(),
            c.id.clone().into(),
            before.id.clone().into(),
            stage.into(),
            decision.as_str().into(),
            justification.into(),
            who.actor.label.clone().into(),
            who.actor.id.clone().into(),
            on_behalf.into(),
            now_s.into(),
        ])
        .to_owned();
    tx.h().execute(&ins).await?;
    tx.h().execute(&upd).await?;
    if let Some(o @ (Outcome::Revoked | Outcome::Modified)) = settled {
        create_task(tx, now, &who.actor, c, &before, o).await?;
    }
    let after = store::item(&mut tx.h(), &before.id)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        &who.actor,
        Change::new(
            "access_review.decide",
            "access_review_item",
            Some(&before.id),
        )
        .before(&before)
        .after(&after),
    )
    .await?;
    Ok(after)
}

/// Opens the task that carries out a revoke or modify outcome, assigned to the system owner
/// (else the fallback reviewer); recorded. Nothing to do when the system is gone.
async fn create_task(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    c: &Campaign,
    item: &ReviewItem,
    outcome: Outcome,
) -> AppResult<()> {
    let Some(system_id) = &item.system_id else {
        return Ok(());
    };
    let owner = assets::by_id(&mut tx.h(), system_id)
        .await?
        .and_then(|s| s.owner)
        .map(|o| o.email);
    let kind = if outcome == Outcome::Revoked {
        "revoke"
    } else {
        "modify"
    };
    let id = new_id(now);
    let q = Query::insert()
        .into_table(Alias::new("review_tasks"))
        .columns(
            store::TASK_COLUMNS
                .iter()
                .chain(&["username_key"])
                .map(|c| Alias::new(*c)),
        )
        .values_panic([
            id.clone().into(),
            c.id.clone().into(),
            item.id.clone().into(),
            system_id.clone().into(),
            item.system_name.clone().into(),
            item.username.clone().into(),
            kind.into(),
            "open".into(),
            Some(owner.unwrap_or_else(|| c.fallback_email.clone())).into(),
            String::new().into(),
            now.to_db().into(),
            None::<String>.into(),
            None::<String>.into(),
            now.to_db().into(),
            crate::identity::accounts::username_key(&item.username).into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let task = store::task(&mut tx.h(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("access_review_task.create", "access_review_task", Some(&id)).after(&task),
    )
    .await?;
    Ok(())
}
