//! Runs the schema migrations at start.
//!
//! Each migration runs in its own transaction together with the row that records it, so a
//! failure leaves the database at the previous version and the start stops with the error.
//! Running again applies only what is missing. A database newer than this binary is refused.

use sea_query::{Alias, Order, Query};

use super::migrations::{ALL, Migration};
use super::{Backend, Db, DbError};

/// What went wrong while migrating.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migration {version} ({name}) failed: {source}")]
    Failed {
        version: i64,
        name: &'static str,
        source: DbError,
    },
    #[error(
        "the database is at schema version {found}, newer than this program knows ({known}); use a newer bulwark"
    )]
    TooNew { found: i64, known: i64 },
    #[error("could not read the schema version: {0}")]
    Db(#[from] DbError),
}

/// The newest schema version this binary knows.
pub fn latest_version() -> i64 {
    ALL.last().map_or(0, |m| m.version)
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
}

/// The schema version the database is at (0 when empty).
pub async fn current_version(db: &Db) -> Result<i64, DbError> {
    let mut tx = db.begin().await?;
    ensure_table(&mut tx).await?;
    let v = read_version(&mut tx).await?;
    tx.commit().await?;
    Ok(v)
}

async fn ensure_table(tx: &mut super::Tx) -> Result<(), DbError> {
    let int = match tx.backend() {
        Backend::Sqlite => "INTEGER",
        Backend::Postgres => "BIGINT",
    };
    tx.h()
        .execute_raw(&format!(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version {int} PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        ))
        .await
}

fn version_query() -> sea_query::SelectStatement {
    Query::select()
        .column(Alias::new("version"))
        .from(Alias::new("schema_migrations"))
        .order_by(Alias::new("version"), Order::Desc)
        .limit(1)
        .to_owned()
}

async fn read_version(tx: &mut super::Tx) -> Result<i64, DbError> {
    let q = version_query();
    Ok(tx
        .h()
        .fetch_optional::<VersionRow>(&q)
        .await?
        .map_or(0, |r| r.version))
}

/// Applies every missing migration. Returns the versions applied.
pub async fn run(db: &Db, now: bulwark_core::Timestamp) -> Result<Vec<i64>, MigrateError> {
    let mut applied = Vec::new();
    // On PostgreSQL several instances may start at once: one migrates, the others wait.
    let lock = matches!(db.backend(), Backend::Postgres);
    loop {
        let mut tx = db.begin().await?;
        if lock {
            tx.h()
                .execute_raw("SELECT pg_advisory_xact_lock(7433001)")
                .await?;
        }
        ensure_table(&mut tx).await?;
        let current = read_version(&mut tx).await?;
        if current > latest_version() {
            return Err(MigrateError::TooNew {
                found: current,
                known: latest_version(),
            });
        }
        let Some(m) = ALL.iter().find(|m| m.version == current + 1) else {
            tx.commit().await?;
            return Ok(applied);
        };
        apply(&mut tx, m, now)
            .await
            .map_err(|source| MigrateError::Failed {
                version: m.version,
                name: m.name,
                source,
            })?;
        tx.commit().await.map_err(|source| MigrateError::Failed {
            version: m.version,
            name: m.name,
            source,
        })?;
        tracing::info!(
            version = m.version,
            name = m.name,
            "schema migration applied"
        );
        applied.push(m.version);
    }
}

async fn apply(
    tx: &mut super::Tx,
    m: &Migration,
    now: bulwark_core::Timestamp,
) -> Result<(), DbError> {
    for stmt in (m.up)(tx.backend()) {
        tx.h().execute_raw(&stmt).await?;
    }
    let q = Query::insert()
        .into_table(Alias::new("schema_migrations"))
        .columns([
            Alias::new("version"),
            Alias::new("name"),
            Alias::new("applied_at"),
        ])
        .values_panic([m.version.into(), m.name.into(), now.to_db().into()])
        .to_owned();
    tx.h().execute(&q).await?;
    Ok(())
}

/// The schema version, read without writing (for readiness checks).
pub async fn current_version_readonly(db: &Db) -> Result<i64, DbError> {
    let q = version_query();
    Ok(db
        .fetch_optional::<VersionRow>(&q)
        .await?
        .map_or(0, |r| r.version))
}
