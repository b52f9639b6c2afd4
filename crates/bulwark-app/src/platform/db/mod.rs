//! The database: embedded SQLite (default) or PostgreSQL, behind one small interface.
//!
//! Queries are built once with `sea-query` and rendered for whichever backend is connected, so
//! there is exactly one query per operation. Rows are read into structs that derive
//! `sqlx::FromRow`, which works for both backends' row types.
//!
//! Values are kept to types both backends store alike: text (ids, timestamps, JSON), 64-bit
//! integers and booleans. Timestamps use [`bulwark_core::Timestamp`]'s fixed-width text form.

mod bind;
pub mod migrate;
mod migrations;
pub mod rows;
pub mod schema;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_query::{PostgresQueryBuilder, QueryStatementWriter, SqliteQueryBuilder};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{FromRow, PgConnection, Postgres, Sqlite, SqliteConnection};

/// A boxed, sendable future borrowing a connection.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A database error with the context of what was being done.
pub type DbError = sqlx::Error;

/// Writes this process has finished: committed transactions and statements run outside one.
static LOCAL_WRITES: AtomicU64 = AtomicU64::new(0);

/// A number that changes whenever this process has written to any database. An in-process
/// cache of rows reads it before querying and drops what it holds when it has changed, so a
/// change made here (a revoked token, a disabled account) is seen at once. Writes by other
/// processes are not counted: such caches must also expire.
pub fn local_writes() -> u64 {
    LOCAL_WRITES.load(Ordering::Acquire)
}

fn note_write() {
    LOCAL_WRITES.fetch_add(1, Ordering::AcqRel);
}

/// Which backend is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to one of the backends.
///
/// SQLite gets two pools: many readers and a single writer, so writes queue in the process
/// instead of failing with "database is locked".
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite {
        read: sqlx::SqlitePool,
        write: sqlx::SqlitePool,
    },
    Postgres(sqlx::PgPool),
}

/// A row type readable from both backends.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

impl Db {
    /// Opens (creating if needed) `bulwark.db` in `data_dir` with WAL, foreign keys and a busy timeout.
    pub async fn open_sqlite(data_dir: &Path) -> Result<Db, DbError> {
        std::fs::create_dir_all(data_dir).map_err(DbError::Io)?;
        Self::open_sqlite_file(&data_dir.join("bulwark.db")).await
    }

    /// Opens one SQLite file.
    pub async fn open_sqlite_file(path: &Path) -> Result<Db, DbError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 32 MiB of page cache per connection instead of SQLite's 2 MiB: list queries over
            // tens of thousands of rows ran 3× faster with a larger cache (docs/BENCHMARKS.md).
            // Pages are allocated only as they are read, so idle memory does not change.
            .pragma("cache_size", "-32768");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        // Each SQLite connection runs on its own thread; two readers per core measured best
        // (docs/BENCHMARKS.md: fewer starve the reads, more only add context switches).
        let readers =
            std::thread::available_parallelism().map_or(4, |n| (n.get() as u32 * 2).clamp(2, 8));
        let read = SqlitePoolOptions::new()
            .max_connections(readers)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Db::Sqlite { read, write })
    }

    /// Connects to PostgreSQL.
    pub async fn open_postgres(url: &str, max_connections: u32) -> Result<Db, DbError> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Db::Postgres(pool))
    }

    /// Opens the database a URL names: `postgres://…`, `sqlite://PATH`, or none for `data_dir`.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Db, DbError> {
        Self::open_with(database_url, data_dir, 16).await
    }

    /// Like [`Db::open`], with the PostgreSQL pool size.
    pub async fn open_with(
        database_url: Option<&str>,
        data_dir: &Path,
        pg_max_connections: u32,
    ) -> Result<Db, DbError> {
        match database_url {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Self::open_postgres(u, pg_max_connections).await
            }
            Some(u) if u.starts_with("sqlite://") => {
                Self::open_sqlite_file(Path::new(&u["sqlite://".len()..])).await
            }
            Some(u) => Err(DbError::Configuration(
                format!(
                    "database URL must start with postgres:// or sqlite://, got {:?}",
                    u.split(':').next().unwrap_or("")
                )
                .into(),
            )),
            None => Self::open_sqlite(data_dir).await,
        }
    }

    /// The connected backend.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<Conn, DbError> {
        Ok(match self {
            Db::Sqlite { read, .. } => Conn::Sqlite(read.acquire().await?),
            Db::Postgres(p) => Conn::Postgres(p.acquire().await?),
        })
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so a transaction that reads and then writes never fails half-way on a lock.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Starts a read-only transaction that sees one consistent snapshot (for exports and backups).
    pub async fn snapshot(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite { read, .. } => Tx::Sqlite(read.begin().await?),
            Db::Postgres(p) => Tx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    /// Shortcut: one query on a read connection.
    pub async fn fetch_all<T: Row>(
        &self,
        q: &impl QueryStatementWriter,
    ) -> Result<Vec<T>, DbError> {
        self.read().await?.h().fetch_all(q).await
    }

    /// Shortcut: one optional row on a read connection.
    pub async fn fetch_optional<T: Row>(
        &self,
        q: &impl QueryStatementWriter,
    ) -> Result<Option<T>, DbError> {
        self.read().await?.h().fetch_optional(q).await
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// A pooled connection.
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Conn {
    /// The handle to run queries on.
    pub fn h(&mut self) -> Handle<'_> {
        match self {
            Conn::Sqlite(c) => Handle::Sqlite(c),
            Conn::Postgres(c) => Handle::Postgres(c),
        }
    }
}

/// An open transaction. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// The handle to run queries on.
    pub fn h(&mut self) -> Handle<'_> {
        match self {
            Tx::Sqlite(t) => Handle::Sqlite(t),
            Tx::Postgres(t) => Handle::Postgres(t),
        }
    }

    /// The backend of this transaction.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// Commits, then counts the write (see [`local_writes`]).
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }?;
        note_write();
        Ok(())
    }
}

/// A borrowed connection of either backend; all queries run through it.
pub enum Handle<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Handle<'_> {
    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Handle::Sqlite(_) => Backend::Sqlite,
            Handle::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; returns the number of rows it changed. Counted as a write once done
    /// (see [`local_writes`]; inside a transaction the commit counts again).
    ///
    /// The query methods build the SQL first and return a boxed `Send` future: that pins down
    /// the connection's lifetime, which async functions generic over it cannot always prove
    /// `Send` for (a known compiler limitation with sqlx executors).
    pub fn execute<'a>(
        &'a mut self,
        q: &impl QueryStatementWriter,
    ) -> BoxFuture<'a, Result<u64, DbError>> {
        match self {
            Handle::Sqlite(c) => {
                let (sql, v) = q.build(SqliteQueryBuilder);
                Box::pin(async move {
                    let r = sqlx::query_with(&sql, bind::sqlite(v)?)
                        .execute(&mut **c)
                        .await?;
                    note_write();
                    Ok(r.rows_affected())
                })
            }
            Handle::Postgres(c) => {
                let (sql, v) = q.build(PostgresQueryBuilder);
                Box::pin(async move {
                    let r = sqlx::query_with(&sql, bind::postgres(v)?)
                        .execute(&mut **c)
                        .await?;
                    note_write();
                    Ok(r.rows_affected())
                })
            }
        }
    }

    /// Runs a query and reads every row.
    pub fn fetch_all<'a, T: Row + 'a>(
        &'a mut self,
        q: &impl QueryStatementWriter,
    ) -> BoxFuture<'a, Result<Vec<T>, DbError>> {
        match self {
            Handle::Sqlite(c) => {
                let (sql, v) = q.build(SqliteQueryBuilder);
                Box::pin(async move {
                    sqlx::query_as_with::<_, T, _>(&sql, bind::sqlite(v)?)
                        .fetch_all(&mut **c)
                        .await
                })
            }
            Handle::Postgres(c) => {
                let (sql, v) = q.build(PostgresQueryBuilder);
                Box::pin(async move {
                    sqlx::query_as_with::<_, T, _>(&sql, bind::postgres(v)?)
                        .fetch_all(&mut **c)
                        .await
                })
            }
        }
    }

    /// Runs a query and reads the first row, if any.
    pub fn fetch_optional<'a, T: Row + 'a>(
        &'a mut self,
        q: &impl QueryStatementWriter,
    ) -> BoxFuture<'a, Result<Option<T>, DbError>> {
        match self {
            Handle::Sqlite(c) => {
                let (sql, v) = q.build(SqliteQueryBuilder);
                Box::pin(async move {
                    sqlx::query_as_with::<_, T, _>(&sql, bind::sqlite(v)?)
                        .fetch_optional(&mut **c)
                        .await
                })
            }
            Handle::Postgres(c) => {
                let (sql, v) = q.build(PostgresQueryBuilder);
                Box::pin(async move {
                    sqlx::query_as_with::<_, T, _>(&sql, bind::postgres(v)?)
                        .fetch_optional(&mut **c)
                        .await
                })
            }
        }
    }

    /// Runs a query that must return one row.
    pub async fn fetch_one<T: Row>(&mut self, q: &impl QueryStatementWriter) -> Result<T, DbError> {
        self.fetch_optional(q).await?.ok_or(DbError::RowNotFound)
    }

    /// Runs SQL text without parameters (schema statements, backend-specific maintenance); counted
    /// as a write like [`Handle::execute`].
    pub fn execute_raw<'a>(&'a mut self, sql: &str) -> BoxFuture<'a, Result<(), DbError>> {
        let sql = sql.to_string();
        match self {
            Handle::Sqlite(c) => Box::pin(async move {
                sqlx::Executor::execute(&mut **c, sql.as_str()).await?;
                note_write();
                Ok(())
            }),
            Handle::Postgres(c) => Box::pin(async move {
                sqlx::Executor::execute(&mut **c, sql.as_str()).await?;
                note_write();
                Ok(())
            }),
        }
    }
}

/// A case-insensitive "contains" pattern for `LIKE` against lower-cased columns. `%` and `_`
/// are dropped from the text so that they cannot act as wildcards.
pub fn contains_pattern(text: &str) -> String {
    format!("%{}%", text.to_lowercase().replace(['%', '_'], ""))
}

/// Whether the error is a unique-constraint violation (to answer 409 instead of 500).
pub fn is_unique_violation(e: &DbError) -> bool {
    matches!(e, DbError::Database(d) if d.is_unique_violation())
}
