//! Export and import of the whole database in a portable, versioned format; backups.
//!
//! # The `bulwark-export` format (version 1)
//!
//! JSON Lines, UTF-8, one JSON value per line, `\n` after every line:
//!
//! ```text
//! {"format":"bulwark-export","format_version":1,"schema_version":1,"exported_at":"…","source_backend":"sqlite"}
//! {"table":"settings","columns":["key","value","updated_at"],"types":["text","text","text"]}
//! ["site_name","\"Acme\"","2026-03-02T09:00:00.000000Z"]
//! {"table":"users","columns":[…],"types":[…]}
//! […one JSON array per row: strings, integers, booleans, null…]
//! {"end":true,"rows":42,"sha256":"<hex SHA-256 of every byte before this line>"}
//! ```
//!
//! Every table of [`schema::TABLES`] except [`schema::NOT_EXPORTED`] appears, parents first,
//! even when empty; rows follow in primary-key order. Column names and types are read from the
//! live database, so a new migration needs no change here. The trailer's row count and hash
//! detect truncation and tampering.
//!
//! An export is taken inside one snapshot transaction ([`Db::snapshot`]), so it is consistent
//! while the server keeps writing; it pages through each table, so memory does not grow with it.
//!
//! Importing checks the whole file first (header, versions, tables, columns, every value's type,
//! trailer, hash) and lists every problem with its line; only then it loads everything in one
//! write transaction into an *empty* database, verifies the audit chain and commits. This is
//! also the way from SQLite to PostgreSQL and back.
//!
//! # Backups
//!
//! [`backup`] on SQLite writes an exact, consistent copy of the database file (`VACUUM INTO`);
//! on PostgreSQL it writes an export. [`restore`] takes either: it recognises a SQLite file by
//! its first 16 bytes. Restoring, like importing, needs an empty database: run
//! `bulwark restore` against a fresh `--data-dir` (or a new PostgreSQL database) *before*
//! starting `bulwark serve`, which would create the first administrator.
//!
//! Export and backup files hold password hashes and MFA secrets: they are created readable by
//! their owner only, written to `FILE.tmp`, synced, and only then given their name, so a crash
//! never leaves a half file under the name asked for; an existing file is never overwritten.

mod export;
mod format;
mod import;
mod tables;

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

pub use format::{FORMAT, FORMAT_VERSION};

use crate::platform::db::{Backend, Db, schema};

/// The first 16 bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Writes a consistent backup while the server runs: on SQLite an exact copy of the database
/// file, on PostgreSQL a portable export. Returns the number of rows in it.
pub async fn backup(db: &Db, out: &Path) -> anyhow::Result<u64> {
    refuse_existing(out)?;
    match db {
        Db::Postgres(_) => export_file(db, out).await,
        Db::Sqlite { read, .. } => sqlite_backup(read, out).await,
    }
}

/// Restores a backup (a SQLite file or a portable export) into an empty database.
pub async fn restore(db: &Db, file: &Path) -> anyhow::Result<u64> {
    let mut magic = [0u8; 16];
    let mut f = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut got = 0;
    while got < magic.len() {
        let n = f.read(&mut magic[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    drop(f);
    if got == magic.len() && &magic == SQLITE_MAGIC {
        restore_sqlite_file(db, file).await
    } else {
        import_file(db, file).await
    }
}

/// Exports the whole database to a new file. Returns the number of rows written.
pub async fn export_file(db: &Db, out: &Path) -> anyhow::Result<u64> {
    refuse_existing(out)?;
    let tmp = tmp_path(out);
    let f = create_private(&tmp)?;
    let written = async {
        let (w, rows) = export::write(db, BufWriter::with_capacity(256 * 1024, f)).await?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        anyhow::Ok(rows)
    }
    .await;
    match written.and_then(|rows| publish(&tmp, out).map(|()| rows)) {
        Ok(rows) => Ok(rows),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.context(format!("exporting to {}", out.display())))
        }
    }
}

/// Imports a whole-database export into an empty database. Returns the number of rows loaded.
pub async fn import_file(db: &Db, file: &Path) -> anyhow::Result<u64> {
    let live = {
        let mut tx = db.snapshot().await?;
        tables::live(&mut tx).await?
    };
    let checked = {
        let (file, live) = (file.to_path_buf(), live.clone());
        tokio::task::spawn_blocking(move || import::validate(&file, &live)).await??
    };
    let mut tx = db.begin().await?;
    if tx.backend() == Backend::Postgres {
        // Hold the audit append lock (see audit_log::store::record) for the whole load.
        tx.h()
            .execute_raw("SELECT pg_advisory_xact_lock(7433002)")
            .await?;
    }
    import::ensure_version(&mut tx).await?;
    import::ensure_empty(&mut tx).await?;
    let rows = import::insert_all(&mut tx, file, &live, &checked).await?;
    import::verify_audit(&mut tx).await?;
    tx.commit().await?;
    Ok(rows)
}

/// `VACUUM INTO` a new file beside `out`, sync it, check it, then give it its name.
async fn sqlite_backup(pool: &sqlx::SqlitePool, out: &Path) -> anyhow::Result<u64> {
    let out = std::path::absolute(out)?;
    let tmp = tmp_path(&out);
    // An empty file is what VACUUM INTO accepts as its target; creating it first makes it
    // private and proves nobody else is writing there.
    drop(create_private(&tmp)?);
    let result = async {
        // An absolute path never starts with `file:`, so SQLite cannot read it as a URI; it is
        // bound as a parameter, never spliced into the SQL.
        let target = tmp
            .to_str()
            .context("the backup path must be valid UTF-8")?
            .to_string();
        sqlx::query("VACUUM INTO ?1")
            .bind(target)
            .execute(pool)
            .await
            .context("VACUUM INTO")?;
        rebuild_search_indexes(&tmp).await?;
        File::open(&tmp)?.sync_all()?;
        let copy = open_sqlite_readonly(&tmp).await?;
        let checked = async {
            integrity_check(&copy).await?;
            count_rows(&copy).await
        }
        .await;
        copy.close().await;
        let rows = checked?;
        publish(&tmp, &out)?;
        anyhow::Ok(rows)
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("backing up to {}", out.display()))
}

/// A SQLite backup: check it, export it to a private temporary file, import that.
async fn restore_sqlite_file(db: &Db, file: &Path) -> anyhow::Result<u64> {
    let src = open_sqlite_readonly(file).await?;
    let tmp = std::env::temp_dir().join(format!(
        "bulwark-restore-{}.jsonl",
        hex::encode(crate::platform::ids::random_bytes::<8>())
    ));
    let result = async {
        integrity_check(&src)
            .await
            .with_context(|| format!("{} is damaged", file.display()))?;
        export_file(&src, &tmp).await?;
        import_file(db, &tmp).await
    }
    .await;
    src.close().await;
    let _ = std::fs::remove_file(&tmp);
    result.with_context(|| format!("restoring {}", file.display()))
}

/// Opens a SQLite file without changing it (no WAL files, no locks: it is a backup).
/// Rebuilds the copy's text-search indexes from its tables. They are keyed by rowid, which
/// SQLite documents `VACUUM` as free to renumber in tables without an INTEGER PRIMARY KEY.
async fn rebuild_search_indexes(path: &Path) -> anyhow::Result<()> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10));
    let mut conn: sqlx::SqliteConnection = sqlx::Connection::connect_with(&opts)
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    for index in schema::SEARCH_INDEXES {
        // The name is a constant of ours, not input.
        sqlx::query(&format!("INSERT INTO {index}({index}) VALUES ('rebuild')"))
            .execute(&mut conn)
            .await
            .with_context(|| format!("rebuilding {index}"))?;
    }
    sqlx::Connection::close(conn).await?;
    Ok(())
}

async fn open_sqlite_readonly(path: &Path) -> anyhow::Result<Db> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .with_context(|| format!("cannot open {} as a SQLite database", path.display()))?;
    Ok(Db::Sqlite {
        read: pool.clone(),
        write: pool,
    })
}

async fn integrity_check(db: &Db) -> anyhow::Result<()> {
    let Db::Sqlite { read, .. } = db else {
        return Ok(());
    };
    let lines: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(read)
        .await?;
    if lines != ["ok"] {
        anyhow::bail!("the SQLite integrity check failed: {}", lines.join("; "));
    }
    Ok(())
}

async fn count_rows(db: &Db) -> anyhow::Result<u64> {
    let Db::Sqlite { read, .. } = db else {
        anyhow::bail!("counting rows is for SQLite copies");
    };
    let mut n = 0i64;
    for t in schema::TABLES {
        let c: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", export::quote(t)))
            .fetch_one(read)
            .await?;
        n += c;
    }
    Ok(u64::try_from(n).unwrap_or(0))
}

fn refuse_existing(path: &Path) -> anyhow::Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        anyhow::bail!(
            "{} already exists; refusing to overwrite it (choose a new file name)",
            path.display()
        );
    }
    Ok(())
}

/// `FILE.tmp` beside `FILE`.
fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Creates a new file readable by its owner only; refuses when it exists.
fn create_private(path: &Path) -> anyhow::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists, probably left by an interrupted export or backup; remove it and try again",
                path.display()
            )
        } else {
            anyhow::anyhow!("cannot create {}: {e}", path.display())
        }
    })
}

/// Gives the synced `tmp` its final name without ever replacing an existing file, then syncs
/// the directory so the name survives a crash.
fn publish(tmp: &Path, path: &Path) -> anyhow::Result<()> {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => std::fs::remove_file(tmp)?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::bail!(
                "{} appeared while writing; refusing to overwrite it",
                path.display()
            )
        }
        // File systems without hard links: check, then rename.
        Err(_) => {
            refuse_existing(path)?;
            std::fs::rename(tmp, path)?;
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    let _ = dir;
    Ok(())
}
