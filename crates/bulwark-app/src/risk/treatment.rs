//! Treating a risk: the action plan (owned, dated actions) and acceptances. An acceptance needs
//! an approver whose role may accept risks (not the risk's owner), a justification and an expiry
//! within a year; when it expires the risk reopens and its owner is told by email
//! (the hourly `risk.acceptances.expire` job).

use std::collections::HashMap;

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, FieldError};
use chrono::NaiveDate;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, Value};
use serde::{Deserialize, Serialize};

use super::{person_by_email, register};
use crate::app::AppState;
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;
use crate::platform::jobs;
use crate::platform::mail::{self, Mail};

/// The longest an acceptance may run before someone must decide again.
pub const MAX_ACCEPTANCE_DAYS: i64 = 366;

/// The job that ends acceptances past their expiry.
pub const EXPIRE_JOB: &str = "risk.acceptances.expire";

/// One action of a risk's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct RiskAction {
    pub id: String,
    pub risk_id: String,
    pub title: String,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// open or done.
    pub status: String,
    pub done_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// An action as written by a client; on update, absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub title: Option<String>,
    /// The owner's email (a person in the people register); empty for none.
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    pub due_date: Option<String>,
    /// open or done.
    pub status: Option<String>,
}

/// An acceptance of a risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Acceptance {
    pub id: String,
    pub risk_id: String,
    pub justification: String,
    /// Last day covered (`YYYY-MM-DD`).
    pub expires: String,
    /// Who approved it.
    pub approver: String,
    pub approver_role: String,
    /// active, expired, withdrawn or renewed.
    pub status: String,
    pub created_at: String,
    pub ended_at: Option<String>,
    pub ended_by: Option<String>,
}

/// A new acceptance.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceInput {
    /// Why the organisation lives with the risk (required).
    pub justification: String,
    /// Last day covered, `YYYY-MM-DD`, at most a year ahead.
    pub expires: String,
}

fn action_select() -> SelectStatement {
    let c = |n: &str| (Alias::new("a"), Alias::new(n));
    Query::select()
        .columns(
            [
                "id",
                "risk_id",
                "title",
                "due_date",
                "status",
                "done_at",
                "created_at",
                "updated_at",
            ]
            .map(c),
        )
        .expr_as(Expr::col(c("owner_person_id")), Alias::new("owner_id"))
        .expr_as(
            Expr::col((Alias::new("p"), Alias::new("name"))),
            Alias::new("owner_name"),
        )
        .from_as(Alias::new("risk_actions"), Alias::new("a"))
        .join_as(
            JoinType::LeftJoin,
            Alias::new("people"),
            Alias::new("p"),
            Expr::col((Alias::new("p"), Alias::new("id"))).equals(c("owner_person_id")),
        )
        .order_by(c("status"), Order::Desc)
        .order_by(c("due_date"), Order::Asc)
        .order_by(c("id"), Order::Asc)
        .to_owned()
}

/// A risk's actions: open ones first, soonest due first.
pub async fn actions(h: &mut Handle<'_>, risk_id: &str) -> Result<Vec<RiskAction>, DbError> {
    h.fetch_all(
        action_select().and_where(Expr::col((Alias::new("a"), Alias::new("risk_id"))).eq(risk_id)),
    )
    .await
}

async fn action(h: &mut Handle<'_>, id: &str) -> Result<Option<RiskAction>, DbError> {
    h.fetch_optional(
        action_select().and_where(Expr::col((Alias::new("a"), Alias::new("id"))).eq(id)),
    )
    .await
}

/// Per risk (one, or all): how many actions are open, and the earliest due date among them.
pub async fn open_action_counts(
    h: &mut Handle<'_>,
    risk_id: Option<&str>,
) -> Result<HashMap<String, (i64, Option<String>)>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Due {
        risk_id: String,
        due_date: Option<String>,
    }
    let mut q = Query::select();
    q.columns(["risk_id", "due_date"].map(Alias::new))
        .from(Alias::new("risk_actions"))
        .and_where(Expr::col(Alias::new("status")).eq("open"));
    if let Some(id) = risk_id {
        q.and_where(Expr::col(Alias::new("risk_id")).eq(id));
    }
    let rows: Vec<Due> = h.fetch_all(&q).await?;
    let mut out: HashMap<String, (i64, Option<String>)> = HashMap::new();
    for r in rows {
        let e = out.entry(r.risk_id).or_default();
        e.0 += 1;
        if let Some(d) = r.due_date
            && e.1.as_ref().is_none_or(|first| d < *first)
        {
            e.1 = Some(d);
        }
    }
    Ok(out)
}

async fn action_columns(
    h: &mut Handle<'_>,
    i: &ActionInput,
    creating: bool,
    now: Timestamp,
) -> AppResult<Vec<(&'static str, Value)>> {
    let mut errs = Vec::new();
    let mut set: Vec<(&'static str, Value)> = Vec::new();
    match &i.title {
        Some(t) => match validate::label("title", t, 300) {
            Ok(t) => set.push(("title", t.into())),
            Err(e) => errs.push(e),
        },
        None if creating => errs.push(FieldError::new("title", "is required")),
        None => {}
    }
    if let Some(o) = &i.owner {
        let id = person_by_email(h, "owner", Some(o), &mut errs).await?;
        set.push(("owner_person_id", id.into()));
    }
    match i.due_date.as_deref().map(str::trim) {
        Some("") => set.push(("due_date", Option::<String>::None.into())),
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(_) => set.push(("due_date", d.to_string().into())),
            Err(_) => errs.push(FieldError::new(
                "due_date",
                "must be a date like 2027-03-31",
            )),
        },
        None => {}
    }
    match i.status.as_deref() {
        Some("open") => {
            set.push(("status", "open".into()));
            set.push(("done_at", Option::<String>::None.into()));
        }
        Some("done") => {
            set.push(("status", "done".into()));
            set.push(("done_at", now.to_db().into()));
        }
        Some(_) => errs.push(FieldError::new("status", "must be open or done")),
        None if creating => set.push(("status", "open".into())),
        None => {}
    }
    if errs.is_empty() {
        Ok(set)
    } else {
        Err(AppError::Invalid(errs))
    }
}

/// Adds an action to a risk's plan.
pub async fn add_action(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    risk_id: &str,
    i: &ActionInput,
) -> AppResult<RiskAction> {
    let r = register::by_id(&mut tx.h(), risk_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut set = action_columns(&mut tx.h(), i, true, now).await?;
    let id = new_id(now);
    set.extend([
        ("id", id.clone().into()),
        ("risk_id", r.id.clone().into()),
        ("created_at", now.to_db().into()),
        ("updated_at", now.to_db().into()),
    ]);
    rows::insert(tx, "risk_actions", set).await?;
    let a = action(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.action.create", "risk_action", Some(&id)).after(&a),
    )
    .await?;
    Ok(a)
}

/// Changes an action (marking it done records when).
pub async fn update_action(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    i: &ActionInput,
) -> AppResult<RiskAction> {
    let before = action(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let mut set = action_columns(&mut tx.h(), i, false, now).await?;
    set.push(("updated_at", now.to_db().into()));
    rows::update(tx, "risk_actions", id, set).await?;
    let after = action(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.action.update", "risk_action", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// Removes an action.
pub async fn delete_action(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<()> {
    let a = action(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    rows::delete(tx, "risk_actions", id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.action.delete", "risk_action", Some(id)).before(&a),
    )
    .await?;
    Ok(())
}

const ACCEPTANCE_COLUMNS: [&str; 11] = [
    "id",
    "risk_id",
    "justification",
    "expires",
    "approver",
    "approver_role",
    "status",
    "created_at",
    "ended_at",
    "ended_by",
    "approver_id",
];

fn acceptance_select() -> SelectStatement {
    Query::select()
        .columns(ACCEPTANCE_COLUMNS[..10].iter().map(|c| Alias::new(*c)))
        .from(Alias::new("risk_acceptances"))
        .order_by(Alias::new("created_at"), Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .to_owned()
}

/// A risk's acceptances, newest first.
pub async fn acceptances(h: &mut Handle<'_>, risk_id: &str) -> Result<Vec<Acceptance>, DbError> {
    h.fetch_all(acceptance_select().and_where(Expr::col(Alias::new("risk_id")).eq(risk_id)))
        .await
}

/// The acceptances in force, for one risk or all.
pub async fn active_acceptances(
    h: &mut Handle<'_>,
    risk_id: Option<&str>,
) -> Result<Vec<Acceptance>, DbError> {
    let mut q = acceptance_select();
    q.and_where(Expr::col(Alias::new("status")).eq("active"));
    if let Some(id) = risk_id {
        q.and_where(Expr::col(Alias::new("risk_id")).eq(id));
    }
    h.fetch_all(&q).await
}

/// The approver of an acceptance.
#[derive(Debug, Clone)]
pub struct Approver {
    pub actor: Actor,
    pub email: String,
    pub role: bulwark_core::Role,
}

/// Accepts a risk until a date. The route lets only roles holding `Permission::AcceptRisk`
/// here; the risk's owner may not approve their own risk. An acceptance in force is renewed.
pub async fn accept(
    tx: &mut Tx,
    now: Timestamp,
    approver: &Approver,
    risk_id: &str,
    i: &AcceptanceInput,
) -> AppResult<Acceptance> {
    let r = register::by_id(&mut tx.h(), risk_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errs = Vec::new();
    let justification = validate::free_text("justification", &i.justification, 4000)
        .map_err(|e| errs.push(e))
        .unwrap_or_default();
    if justification.chars().count() < 10 {
        errs.push(FieldError::new(
            "justification",
            "must say why the organisation lives with this risk (at least 10 characters)",
        ));
    }
    let today = now.datetime().date_naive();
    match NaiveDate::parse_from_str(i.expires.trim(), "%Y-%m-%d") {
        Err(_) => errs.push(FieldError::new("expires", "must be a date like 2027-06-30")),
        Ok(d) if d < today => errs.push(FieldError::new("expires", "must not be in the past")),
        Ok(d) if (d - today).num_days() > MAX_ACCEPTANCE_DAYS => errs.push(FieldError::new(
            "expires",
            format!("must be within {MAX_ACCEPTANCE_DAYS} days: acceptances are decided again at least yearly"),
        )),
        Ok(_) => {}
    }
    if r.owner
        .as_ref()
        .is_some_and(|o| o.email.eq_ignore_ascii_case(&approver.email))
    {
        errs.push(FieldError::new(
            "approver",
            "the risk's owner cannot approve the acceptance of their own risk",
        ));
    }
    if r.status == "closed" {
        errs.push(FieldError::new(
            "risk",
            "the risk is closed; reopen it before accepting it",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    if let Some(old) = &r.acceptance {
        end(tx, now, old, "renewed", &approver.actor).await?;
    }
    let id = new_id(now);
    let q = Query::insert()
        .into_table(Alias::new("risk_acceptances"))
        .columns(ACCEPTANCE_COLUMNS.map(Alias::new))
        .values_panic([
            id.clone().into(),
            r.id.clone().into(),
            justification.into(),
            i.expires.trim().into(),
            approver.actor.label.clone().into(),
            approver.role.as_str().into(),
            "active".into(),
            now.to_db().into(),
            Option::<String>::None.into(),
            Option::<String>::None.into(),
            approver.actor.id.clone().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    register::set_status(tx, now, &r.id, "accepted", Some("accept")).await?;
    let a = acceptances(&mut tx.h(), &r.id)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        &approver.actor,
        Change::new("risk.accept", "risk", Some(&r.id)).after(&a),
    )
    .await?;
    Ok(a)
}

async fn end(
    tx: &mut Tx,
    now: Timestamp,
    a: &Acceptance,
    status: &str,
    actor: &Actor,
) -> Result<(), DbError> {
    let q = Query::update()
        .table(Alias::new("risk_acceptances"))
        .values([
            (Alias::new("status"), status.into()),
            (Alias::new("ended_at"), now.to_db().into()),
            (Alias::new("ended_by"), actor.label.clone().into()),
        ])
        .and_where(Expr::col(Alias::new("id")).eq(&a.id))
        .to_owned();
    tx.h().execute(&q).await.map(|_| ())
}

/// Withdraws the acceptance in force; the risk reopens.
pub async fn withdraw(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    risk_id: &str,
) -> AppResult<Acceptance> {
    let r = register::by_id(&mut tx.h(), risk_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(a) = r.acceptance else {
        return Err(AppError::Conflict(
            "the risk has no acceptance in force".into(),
        ));
    };
    end(tx, now, &a, "withdrawn", actor).await?;
    register::set_status(tx, now, &r.id, "open", None).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.acceptance.withdraw", "risk", Some(&r.id)).before(&a),
    )
    .await?;
    Ok(a)
}

/// Ends every acceptance whose last day has passed: the risk reopens and its owner is emailed
/// (in the same transaction, through the mail queue). Returns how many expired.
pub async fn expire_due(tx: &mut Tx, now: Timestamp, public_url: &str) -> AppResult<usize> {
    let today = now.datetime().date_naive().format("%Y-%m-%d").to_string();
    let due: Vec<Acceptance> = tx
        .h()
        .fetch_all(
            acceptance_select()
                .and_where(Expr::col(Alias::new("status")).eq("active"))
                .and_where(Expr::col(Alias::new("expires")).lt(today)),
        )
        .await?;
    let system = Actor::system();
    for a in &due {
        end(tx, now, a, "expired", &system).await?;
        register::set_status(tx, now, &a.risk_id, "open", None).await?;
        let Some(r) = register::by_id(&mut tx.h(), &a.risk_id).await? else {
            continue;
        };
        let notified = match &r.owner {
            Some(o) if !o.email.is_empty() => {
                let m = Mail {
                    to: o.email.clone(),
                    subject: format!(
                        "Risk {} is no longer accepted: its acceptance expired",
                        r.code
                    ),
                    body: format!(
                        "Hello {},\n\nThe acceptance of risk {} \"{}\" ran until {} and has expired. \
                         The risk is open again: decide how to treat it (mitigate, transfer, avoid, \
                         or ask for a new acceptance).\n\nApproved by {}: {}\n\n{}/risk/risks/{}\n",
                        o.name,
                        r.code,
                        r.title,
                        a.expires,
                        a.approver,
                        a.justification,
                        public_url.trim_end_matches('/'),
                        r.id
                    ),
                };
                mail::queue(tx, now, &m).await?;
                Some(o.email.clone())
            }
            _ => None,
        };
        record(
            tx,
            now,
            &system,
            Change::new("risk.acceptance.expire", "risk", Some(&r.id))
                .before(a)
                .after(&serde_json::json!({"status": "open", "owner_notified": notified})),
        )
        .await?;
    }
    Ok(due.len())
}

/// Queues the expiry job unless one is waiting (the job runner does this every hour).
pub async fn schedule_expiry(tx: &mut Tx, now: Timestamp) -> Result<(), DbError> {
    if !jobs::is_queued(&mut tx.h(), EXPIRE_JOB).await? {
        jobs::enqueue(tx, now, EXPIRE_JOB, &serde_json::json!({}), None).await?;
    }
    Ok(())
}

/// The job handler.
pub async fn run_expiry(app: AppState) -> anyhow::Result<()> {
    let mut tx = app.db.begin().await?;
    expire_due(&mut tx, app.clock.now(), &app.config.public_url).await?;
    tx.commit().await?;
    Ok(())
}
