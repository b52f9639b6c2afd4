//! Simulation runs: requested (checked, stored, queued as a job, audited), followed while they
//! run, cancelled, and finished with their report.

use bulwark_core::Timestamp;
use bulwark_core::validate::FieldError;
use bulwark_fair::model::MIN_TRIALS;
use sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query, SelectStatement};
use serde::Deserialize;

use super::job::{JOB_KIND, Payload};
use super::{SCOPES, Simulation, model, status};
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::rows::{self, Columns};
use crate::platform::db::{Db, DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;
use crate::platform::jobs;
use crate::settings::Settings;

/// The table of runs.
const TABLE: &str = "risk_simulations";

/// A simulation to run.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSimulation {
    /// `risk` (one risk), `portfolio` (every quantified risk that is not closed, against the
    /// risk tolerance) or `investment` (the portfolio, and the return of each planned or
    /// in-progress control with an effect; with a `budget`, what to fund next).
    pub scope: String,
    /// The risk, for scope `risk`.
    pub risk_id: Option<String>,
    /// Simulated years per scenario: at least 1,000, at most the installation's limit (setting
    /// `risk_max_trials`); default the setting `risk_default_trials`.
    pub trials: Option<u64>,
    /// Random seed (default 1): the same register, trials and seed give the same numbers.
    pub seed: Option<u64>,
    /// Yearly budget for the funding plan (scope `investment`), in whole currency units.
    pub budget: Option<i64>,
}

/// Checks a request against the settings and the register; every problem at once.
async fn check(h: &mut Handle<'_>, settings: &Settings, n: &NewSimulation) -> AppResult<()> {
    let mut errs = Vec::new();
    if !SCOPES.iter().any(|(s, _)| *s == n.scope) {
        errs.push(FieldError::new(
            "scope",
            "must be risk, portfolio or investment",
        ));
    }
    let max = settings.risk_max_trials;
    if let Some(t) = n.trials
        && !(MIN_TRIALS..=max).contains(&t)
    {
        errs.push(FieldError::new(
            "trials",
            format!("must be from {MIN_TRIALS} to {max} (this installation's limit per simulation, a setting)"),
        ));
    }
    if n.seed.is_some_and(|s| i64::try_from(s).is_err()) {
        errs.push(FieldError::new(
            "seed",
            format!("must be at most {}", i64::MAX),
        ));
    }
    match (&n.budget, n.scope.as_str()) {
        (Some(b), "investment") if *b < 0 => {
            errs.push(FieldError::new("budget", "must not be negative"));
        }
        (Some(_), s) if s != "investment" => {
            errs.push(FieldError::new("budget", "is only for scope investment"))
        }
        _ => {}
    }
    match (&n.risk_id, n.scope.as_str()) {
        (None, "risk") => errs.push(FieldError::new(
            "risk_id",
            "is required for a simulation of one risk",
        )),
        (Some(_), s) if s != "risk" => errs.push(FieldError::new(
            "risk_id",
            "is only for scope risk (the others take every quantified risk)",
        )),
        (Some(id), _) if model::quantified(h, Some(id)).await?.is_empty() => errs.push(
            FieldError::new("risk_id", "no risk with this id has a quantification"),
        ),
        (None, "portfolio" | "investment") if model::quantified(h, None).await?.is_empty() => errs
            .push(FieldError::new(
                "scope",
                "no open risk is quantified yet: give a risk its estimates first",
            )),
        _ => {}
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errs))
    }
}

/// Checks, stores and queues a simulation; audited.
pub async fn request(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    n: &NewSimulation,
) -> AppResult<Simulation> {
    check(&mut tx.h(), settings, n).await?;
    let id = new_id(now);
    let trials = n.trials.unwrap_or(std::cmp::min(
        settings.risk_default_trials,
        settings.risk_max_trials,
    ));
    rows::insert(
        tx,
        TABLE,
        vec![
            ("id", id.clone().into()),
            ("scope", n.scope.clone().into()),
            ("risk_id", n.risk_id.clone().into()),
            ("trials", i64::try_from(trials).unwrap_or(i64::MAX).into()),
            (
                "seed",
                i64::try_from(n.seed.unwrap_or(1)).unwrap_or(1).into(),
            ),
            ("budget", n.budget.into()),
            ("status", status::QUEUED.into()),
            ("done", 0i64.into()),
            ("total", 0i64.into()),
            ("requested_by", actor.label.clone().into()),
            ("created_at", now.to_db().into()),
        ],
    )
    .await?;
    jobs::enqueue(
        tx,
        now,
        JOB_KIND,
        &Payload {
            simulation_id: id.clone(),
        },
        None,
    )
    .await?;
    let sim = get(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.simulation.request", "risk_simulation", Some(&id)).after(&sim),
    )
    .await?;
    Ok(sim)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    scope: String,
    risk_id: Option<String>,
    trials: i64,
    seed: i64,
    budget: Option<i64>,
    status: String,
    done: i64,
    total: i64,
    #[sqlx(default)]
    result: Option<String>,
    #[sqlx(default)]
    model: Option<String>,
    notes: Option<String>,
    error: Option<String>,
    requested_by: String,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    elapsed_ms: Option<i64>,
}

impl From<Row> for Simulation {
    fn from(r: Row) -> Self {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Simulation {
            id: r.id,
            scope: r.scope,
            risk_id: r.risk_id,
            trials: r.trials,
            seed: r.seed,
            budget: r.budget,
            status: r.status,
            done: r.done,
            total: r.total,
            result: json(r.result),
            model: json(r.model),
            notes: r
                .notes
                .and_then(|n| serde_json::from_str(&n).ok())
                .unwrap_or_default(),
            error: r.error,
            requested_by: r.requested_by,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            elapsed_ms: r.elapsed_ms,
        }
    }
}

/// The columns of a run; `full` adds the report and the model (large).
fn select(full: bool) -> SelectStatement {
    let mut q = Query::select();
    q.columns(
        [
            "id",
            "scope",
            "risk_id",
            "trials",
            "seed",
            "budget",
            "status",
            "done",
            "total",
            "notes",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "elapsed_ms",
        ]
        .map(Alias::new),
    )
    .from(Alias::new(TABLE));
    if full {
        q.columns([Alias::new("result"), Alias::new("model")]);
    }
    q
}

/// One run with its report and model.
pub async fn get(h: &mut Handle<'_>, id: &str) -> Result<Option<Simulation>, DbError> {
    let q = select(true)
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    Ok(h.fetch_optional::<Row>(&q).await?.map(Into::into))
}

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub scope: Option<String>,
    pub risk_id: Option<String>,
    pub status: Option<String>,
}

/// Runs without their reports, newest first, after the cursor position `(created_at, id)`.
pub async fn list(
    h: &mut Handle<'_>,
    f: &RunFilter,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<Simulation>, DbError> {
    let mut q = select(false);
    for (column, value) in [
        ("scope", &f.scope),
        ("risk_id", &f.risk_id),
        ("status", &f.status),
    ] {
        if let Some(v) = value {
            q.and_where(Expr::col(Alias::new(column)).eq(v.as_str()));
        }
    }
    if let Some((at, id)) = after {
        q.cond_where(
            Cond::any()
                .add(Expr::col(Alias::new("created_at")).lt(at.clone()))
                .add(
                    Expr::col(Alias::new("created_at"))
                        .eq(at)
                        .and(Expr::col(Alias::new("id")).lt(id)),
                ),
        );
    }
    q.order_by(Alias::new("created_at"), Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .limit(limit);
    let rows = h.fetch_all::<Row>(&q).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Cancels a run: a queued one at once, a running one at its next progress report. Audited.
pub async fn cancel(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<Simulation> {
    let before = get(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let to = match before.status.as_str() {
        status::QUEUED => status::CANCELLED,
        status::RUNNING => status::CANCELLING,
        status::CANCELLING => return Ok(before),
        s => {
            return Err(AppError::Conflict(format!(
                "the simulation is {s}: there is nothing to cancel"
            )));
        }
    };
    let mut set: Columns = vec![("status", to.into())];
    if to == status::CANCELLED {
        set.push(("finished_at", now.to_db().into()));
    }
    rows::update(tx, TABLE, id, set).await?;
    let after = get(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.simulation.cancel", "risk_simulation", Some(id))
            .before(&status_of(&before))
            .after(&status_of(&after)),
    )
    .await?;
    Ok(after)
}

/// What the audit trail keeps of a run: not its report.
fn status_of(s: &Simulation) -> serde_json::Value {
    serde_json::json!({
        "scope": s.scope,
        "risk_id": s.risk_id,
        "trials": s.trials,
        "seed": s.seed,
        "budget": s.budget,
        "status": s.status,
        "done": s.done,
        "total": s.total,
        "error": s.error,
        "elapsed_ms": s.elapsed_ms,
    })
}

/// Marks a queued (or interrupted) run as running, from scratch; None when it is not to run
/// (finished, or cancelled while queued: a run asked to stop before it started is cancelled here).
pub async fn begin(db: &Db, now: Timestamp, id: &str) -> AppResult<Option<Simulation>> {
    let mut tx = db.begin().await?;
    let Some(sim) = get(&mut tx.h(), id).await? else {
        return Ok(None);
    };
    match sim.status.as_str() {
        status::QUEUED | status::RUNNING => {
            let set = vec![
                ("status", status::RUNNING.into()),
                ("started_at", now.to_db().into()),
                ("done", 0i64.into()),
                ("total", 0i64.into()),
            ];
            rows::update(&mut tx, TABLE, id, set).await?;
            let sim = get(&mut tx.h(), id).await?;
            tx.commit().await?;
            Ok(sim)
        }
        status::CANCELLING => {
            drop(tx);
            finish(db, now, id, Outcome::Cancelled, None).await?;
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Keeps the model a run simulates, and the notes on what it left out.
pub async fn set_model(
    db: &Db,
    id: &str,
    model: &serde_json::Value,
    notes: &[String],
) -> Result<(), DbError> {
    let notes = serde_json::to_string(notes).unwrap_or_else(|_| "[]".into());
    let set = vec![("model", model.to_string().into()), ("notes", notes.into())];
    let mut tx = db.begin().await?;
    rows::update(&mut tx, TABLE, id, set).await?;
    tx.commit().await
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    status: String,
}

/// Writes how far a run is; returns its status (`cancelling` when someone asked it to stop).
pub async fn progress(db: &Db, id: &str, done: u64, total: u64) -> Result<String, DbError> {
    let q = Query::update()
        .table(Alias::new(TABLE))
        .value(Alias::new("done"), i64::try_from(done).unwrap_or(i64::MAX))
        .value(
            Alias::new("total"),
            i64::try_from(total).unwrap_or(i64::MAX),
        )
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .returning(Query::returning().column(Alias::new("status")))
        .to_owned();
    let mut tx = db.begin().await?;
    let row = tx.h().fetch_optional::<StatusRow>(&q).await?;
    tx.commit().await?;
    Ok(row.map_or_else(|| status::CANCELLED.to_string(), |r| r.status))
}

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// The report, as JSON, with the trials simulated (done and total).
    Done(serde_json::Value, u64),
    Failed(String),
    Cancelled,
}

/// Records how a run ended; audited as the system's change.
pub async fn finish(
    db: &Db,
    now: Timestamp,
    id: &str,
    outcome: Outcome,
    elapsed_ms: Option<i64>,
) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let Some(before) = get(&mut tx.h(), id).await? else {
        return Ok(());
    };
    let mut set: Columns = vec![
        ("finished_at", now.to_db().into()),
        ("elapsed_ms", elapsed_ms.into()),
    ];
    match outcome {
        Outcome::Done(report, trials) => {
            let trials = i64::try_from(trials).unwrap_or(i64::MAX);
            set.extend([
                ("status", status::DONE.into()),
                ("result", report.to_string().into()),
                ("done", trials.into()),
                ("total", trials.into()),
            ]);
        }
        Outcome::Failed(why) => {
            set.extend([("status", status::FAILED.into()), ("error", why.into())]);
        }
        Outcome::Cancelled => set.push(("status", status::CANCELLED.into())),
    }
    rows::update(&mut tx, TABLE, id, set).await?;
    let after = get(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let mut summary = status_of(&after);
    if let Some(r) = &after.result {
        summary["mean_annual_loss"] = r["portfolio"]["result"]["mean"].clone();
        if summary["mean_annual_loss"].is_null() {
            summary["mean_annual_loss"] = r["scenarios"][0]["result"]["mean"].clone();
        }
    }
    record(
        &mut tx,
        now,
        &Actor::system(),
        Change::new("risk.simulation.finish", "risk_simulation", Some(id))
            .before(&status_of(&before))
            .after(&summary),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
