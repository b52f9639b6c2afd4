//! Background jobs persisted in the database, for imports, reminders, feeds and mail.
//!
//! A job is queued in the same transaction as the change that needs it. Runners in every
//! instance claim due jobs one at a time with a single `UPDATE … WHERE id = (SELECT … FOR UPDATE
//! SKIP LOCKED) RETURNING …`; on SQLite the row lock clause is dropped and the single writer
//! serialises claims. A claimed job holds a lease; if its instance dies, the lease runs out and
//! another instance takes it. Failed attempts are retried with exponential back-off.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bulwark_core::Timestamp;
use sea_query::{Alias, Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use serde::Serialize;

use super::db::{Db, DbError, Tx};
use super::ids::new_id;
use crate::app::AppState;

/// Job states.
pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// How long a claim lasts before another instance may take the job over.
pub const LEASE_SECS: i64 = 300;

/// A stored job.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub run_at: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: Option<String>,
    pub locked_until: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: [&str; 12] = [
    "id",
    "kind",
    "payload",
    "status",
    "run_at",
    "attempts",
    "max_attempts",
    "locked_by",
    "locked_until",
    "last_error",
    "created_at",
    "updated_at",
];

/// Queues a job in `tx`, to run at `run_at` (or now).
pub async fn enqueue(
    tx: &mut Tx,
    now: Timestamp,
    kind: &str,
    payload: &impl Serialize,
    run_at: Option<Timestamp>,
) -> Result<String, DbError> {
    let id = new_id(now);
    let payload = serde_json::to_string(payload).map_err(|e| DbError::Protocol(e.to_string()))?;
    let q = Query::insert()
        .into_table(Alias::new("jobs"))
        .columns(COLUMNS.map(Alias::new))
        .values_panic([
            id.clone().into(),
            kind.into(),
            payload.into(),
            QUEUED.into(),
            run_at.unwrap_or(now).to_db().into(),
            0i64.into(),
            5i64.into(),
            None::<String>.into(),
            None::<String>.into(),
            None::<String>.into(),
            now.to_db().into(),
            now.to_db().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    Ok(id)
}

/// Whether a job of this kind is waiting to run (queued, not yet claimed).
pub async fn is_queued(h: &mut super::db::Handle<'_>, kind: &str) -> Result<bool, DbError> {
    let q = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("jobs"))
        .and_where(Expr::col(Alias::new("kind")).eq(kind))
        .and_where(Expr::col(Alias::new("status")).eq(QUEUED))
        .limit(1)
        .to_owned();
    Ok(h.fetch_optional::<(String,)>(&q).await?.is_some())
}

/// Claims the next due job for `worker`, if any.
pub async fn claim(db: &Db, now: Timestamp, worker: &str) -> Result<Option<Job>, DbError> {
    let n = now.to_db();
    let due = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("jobs"))
        .cond_where(
            sea_query::Cond::any()
                .add(
                    Expr::col(Alias::new("status"))
                        .eq(QUEUED)
                        .and(Expr::col(Alias::new("run_at")).lte(n.clone())),
                )
                .add(
                    Expr::col(Alias::new("status"))
                        .eq(RUNNING)
                        .and(Expr::col(Alias::new("locked_until")).lt(n.clone())),
                ),
        )
        .order_by(Alias::new("run_at"), Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let q = Query::update()
        .table(Alias::new("jobs"))
        .value(Alias::new("status"), RUNNING)
        .value(Alias::new("locked_by"), worker)
        .value(
            Alias::new("locked_until"),
            now.plus_seconds(LEASE_SECS).to_db(),
        )
        .value(
            Alias::new("attempts"),
            Expr::col(Alias::new("attempts")).add(1),
        )
        .value(Alias::new("updated_at"), n)
        .and_where(Expr::col(Alias::new("id")).in_subquery(due))
        .returning(Query::returning().columns(COLUMNS.map(Alias::new)))
        .to_owned();
    let mut tx = db.begin().await?;
    let job = tx.h().fetch_optional::<Job>(&q).await?;
    tx.commit().await?;
    Ok(job)
}

/// Records the outcome of an attempt: done, retried later, or failed for good.
pub async fn finish(
    db: &Db,
    now: Timestamp,
    job: &Job,
    outcome: Result<(), String>,
) -> Result<(), DbError> {
    let mut q = Query::update();
    q.table(Alias::new("jobs"))
        .value(Alias::new("updated_at"), now.to_db())
        .value(Alias::new("locked_by"), None::<String>)
        .value(Alias::new("locked_until"), None::<String>)
        .and_where(Expr::col(Alias::new("id")).eq(job.id.as_str()));
    match outcome {
        Ok(()) => {
            q.value(Alias::new("status"), DONE);
        }
        Err(e) => {
            let retry = job.attempts < job.max_attempts;
            let backoff = 30i64 * (1i64 << job.attempts.clamp(0, 10));
            q.value(Alias::new("status"), if retry { QUEUED } else { FAILED })
                .value(
                    Alias::new("last_error"),
                    e.chars().take(2000).collect::<String>(),
                )
                .value(Alias::new("run_at"), now.plus_seconds(backoff).to_db());
        }
    }
    let mut tx = db.begin().await?;
    tx.h().execute(&q).await?;
    tx.commit().await
}

/// Jobs, newest first (for the operator).
pub async fn recent(db: &Db, limit: u64) -> Result<Vec<Job>, DbError> {
    let q = Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("jobs"))
        .order_by(Alias::new("created_at"), Order::Desc)
        .limit(limit)
        .to_owned();
    db.fetch_all(&q).await
}

/// The future a handler returns.
pub type JobFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
/// A handler for one kind of job: gets the state and the JSON payload.
pub type JobHandler = Arc<dyn Fn(AppState, String) -> JobFuture + Send + Sync>;

/// The handlers, by kind. Areas add theirs here.
pub fn handlers() -> HashMap<&'static str, JobHandler> {
    let mut h: HashMap<&'static str, JobHandler> = HashMap::new();
    h.insert(
        super::mail::JOB_KIND,
        Arc::new(|app: AppState, payload: String| -> JobFuture {
            Box::pin(async move {
                let m: super::mail::Mail = serde_json::from_str(&payload)?;
                app.mailer.send(&m).await
            })
        }),
    );
    h.insert(
        crate::identity::reviews::reminders::JOB_KIND,
        Arc::new(|app: AppState, payload: String| -> JobFuture {
            Box::pin(crate::identity::reviews::reminders::run(app, payload))
        }),
    );
    h.insert(
        crate::risk::quant::job::JOB_KIND,
        Arc::new(|app: AppState, payload: String| -> JobFuture {
            Box::pin(crate::risk::quant::job::run(app, payload))
        }),
    );
    h.insert(
        "maintenance.purge",
        Arc::new(|app: AppState, _payload: String| -> JobFuture {
            Box::pin(async move {
                let now = app.clock.now();
                let mut tx = app.db.begin().await?;
                crate::access::sessions::purge_expired(&mut tx.h(), now).await?;
                crate::access::throttle::purge(&mut tx.h(), now).await?;
                tx.commit().await?;
                Ok(())
            })
        }),
    );
    h.insert(
        crate::risk::treatment::EXPIRE_JOB,
        Arc::new(|app: AppState, _payload: String| -> JobFuture {
            Box::pin(crate::risk::treatment::run_expiry(app))
        }),
    );
    h.insert(
        crate::identity::scim::REFRESH_JOB,
        Arc::new(|app: AppState, _payload: String| -> JobFuture {
            Box::pin(async move { crate::identity::findings::scheduled(&app).await })
        }),
    );
    h
}

/// Runs one due job, if there is one. Returns whether a job ran.
pub async fn run_once(
    app: &AppState,
    worker: &str,
    handlers: &HashMap<&'static str, JobHandler>,
) -> Result<bool, DbError> {
    let Some(job) = claim(&app.db, app.clock.now(), worker).await? else {
        return Ok(false);
    };
    let outcome = match handlers.get(job.kind.as_str()) {
        Some(h) => h(app.clone(), job.payload.clone())
            .await
            .map_err(|e| format!("{e:#}")),
        None => Err(format!("no handler for job kind {:?}", job.kind)),
    };
    match &outcome {
        Ok(()) => {
            app.metrics.jobs_done.inc();
        }
        Err(e) => {
            app.metrics.jobs_failed.inc();
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job attempt failed");
        }
    };
    finish(&app.db, app.clock.now(), &job, outcome).await?;
    Ok(true)
}

/// How often each instance queues the maintenance jobs (expired sessions, old sign-in attempts,
/// identity findings re-evaluated as dormancy and leave dates move with the calendar, risk
/// acceptances past their expiry).
const MAINTENANCE_EVERY: Duration = Duration::from_secs(3600);

/// Runs jobs until `stop` fires; polls every `config.jobs_poll_ms` when idle, and queues the
/// maintenance job at start and every hour.
pub async fn run(app: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let worker = format!("{}-{}", std::process::id(), new_id(app.clock.now()));
    let handlers = handlers();
    let poll = Duration::from_millis(std::cmp::max(app.config.jobs_poll_ms, 10));
    let mut last_maintenance: Option<std::time::Instant> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        if last_maintenance.is_none_or(|t| t.elapsed() >= MAINTENANCE_EVERY) {
            last_maintenance = Some(std::time::Instant::now());
            if let Err(e) = queue_maintenance(&app).await {
                tracing::warn!(error = %e, "could not queue maintenance");
            }
        }
        let busy = match run_once(&app, &worker, &handlers).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "job runner could not reach the database");
                false
            }
        };
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

async fn queue_maintenance(app: &AppState) -> Result<(), DbError> {
    let mut tx = app.db.begin().await?;
    enqueue(
        &mut tx,
        app.clock.now(),
        "maintenance.purge",
        &serde_json::json!({}),
        None,
    )
    .await?;
    crate::identity::scim::schedule_refresh(&mut tx, app.clock.now()).await?;
    crate::risk::treatment::schedule_expiry(&mut tx, app.clock.now()).await?;
    tx.commit().await
}
