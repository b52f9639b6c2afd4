//! Reading an export: check the whole file first, then load it in one transaction.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::Context;
use sea_query::{Alias, Expr, ExprTrait, Query};
use serde_json::Value;

use super::format::{FORMAT, FORMAT_VERSION, Line, LineReader, describe};
use super::tables::{ColType, TableInfo};
use crate::platform::db::{Tx, migrate, schema};

/// At most this many problems are listed.
const MAX_PROBLEMS: usize = 20;
/// Bound values per INSERT statement (well under both backends' limits).
const MAX_PARAMS: usize = 4000;

/// What a valid file holds.
#[derive(Debug, Clone)]
pub struct Checked {
    pub rows: u64,
    pub sha256: String,
}

struct Problems {
    list: Vec<String>,
    more: usize,
}

impl Problems {
    fn push(&mut self, line: u64, msg: impl Into<String>) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(format!("line {line}: {}", msg.into()));
        } else {
            self.more += 1;
        }
    }

    /// End-of-file findings are always listed: they say whether the file is whole.
    fn push_final(&mut self, msg: impl Into<String>) {
        self.list.push(msg.into());
    }
}

fn open(path: &Path) -> anyhow::Result<LineReader<BufReader<File>>> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(LineReader::new(BufReader::with_capacity(256 * 1024, f)))
}

/// Checks the whole file against the live tables; lists every problem found (up to a limit).
pub fn validate(path: &Path, live: &[TableInfo]) -> anyhow::Result<Checked> {
    let mut rd = open(path)?;
    let mut p = Problems {
        list: Vec::new(),
        more: 0,
    };
    let mut seen = vec![false; live.len()];
    let mut next_table = 0usize;
    // The table rows currently belong to; None with `skip` when its table line was refused.
    let mut current: Option<usize> = None;
    let mut skip = false;
    let mut rows = 0u64;
    let mut trailer = None;
    let mut after_trailer_reported = false;
    while let Some((n, parsed)) = rd.next_line()? {
        if let Some((tn, _)) = &trailer {
            if !after_trailer_reported {
                p.push(n, format!("there is data after the trailer on line {tn}"));
                after_trailer_reported = true;
            }
            continue;
        }
        let line = match parsed {
            Ok(l) => l,
            Err(msg) => {
                p.push(n, msg);
                continue;
            }
        };
        if n == 1 && !matches!(line, Line::Header(_)) {
            p.push(1, "the file does not start with a bulwark-export header");
        }
        match line {
            Line::Header(h) => {
                if n != 1 {
                    p.push(n, "a second header line");
                } else if h.format != FORMAT {
                    p.push(n, format!("the format is {:?}, not {FORMAT:?}", h.format));
                } else if h.format_version != FORMAT_VERSION {
                    p.push(
                        n,
                        format!(
                            "the file is format version {}; this program reads version {FORMAT_VERSION}",
                            h.format_version
                        ),
                    );
                } else if h.schema_version != migrate::latest_version() {
                    let latest = migrate::latest_version();
                    p.push(
                        n,
                        if h.schema_version < latest {
                            format!(
                                "the file was written at schema version {}, this program's schema is version {latest}: \
                                 import it with the Bulwark release that wrote it, then upgrade that database",
                                h.schema_version
                            )
                        } else {
                            format!(
                                "the file was written at schema version {}, newer than this program's {latest}: \
                                 use a newer bulwark",
                                h.schema_version
                            )
                        },
                    );
                }
            }
            Line::Table(t) => {
                current = None;
                skip = true;
                let Some(i) = live.iter().position(|l| l.name == t.table) else {
                    if schema::NOT_EXPORTED.contains(&t.table.as_str()) {
                        p.push(n, format!("the table {} is never exported", t.table));
                    } else {
                        p.push(n, format!("unknown table {:?}", t.table));
                    }
                    continue;
                };
                if seen[i] {
                    p.push(n, format!("the table {} appears a second time", t.table));
                    continue;
                }
                seen[i] = true;
                if i < next_table {
                    p.push(
                        n,
                        format!(
                            "the table {} comes after {}; exports list parents first",
                            t.table,
                            live[next_table - 1].name
                        ),
                    );
                }
                next_table = next_table.max(i + 1);
                let want = live[i].column_names();
                let want_types = live[i].column_types();
                if t.columns != want {
                    p.push(
                        n,
                        format!(
                            "the columns of {} are [{}]; this database has [{}]",
                            t.table,
                            t.columns.join(", "),
                            want.join(", ")
                        ),
                    );
                    continue;
                }
                if t.types != want_types {
                    for ((c, got), w) in want.iter().zip(&t.types).zip(&want_types) {
                        if got != w {
                            p.push(
                                n,
                                format!(
                                    "{}.{c} is declared {got:?}; this database has {w}",
                                    t.table
                                ),
                            );
                        }
                    }
                    if t.types.len() != want_types.len() {
                        p.push(
                            n,
                            format!(
                                "{} lists {} column types for {} columns",
                                t.table,
                                t.types.len(),
                                want.len()
                            ),
                        );
                    }
                    continue;
                }
                current = Some(i);
                skip = false;
            }
            Line::Row(values) => {
                rows += 1;
                match current {
                    Some(i) => check_row(n, &live[i], &values, &mut p),
                    None if !skip => p.push(n, "a row before any table line"),
                    None => {}
                }
            }
            Line::Trailer(t) => trailer = Some((n, t)),
        }
    }
    let last = rd.line_number();
    if last == 0 {
        anyhow::bail!("{} is empty: it is not a bulwark export", path.display());
    }
    let missing: Vec<&str> = live
        .iter()
        .zip(&seen)
        .filter(|(_, s)| !**s)
        .map(|(t, _)| t.name)
        .collect();
    match &trailer {
        None => p.push_final(format!(
            "the file ends at line {last} without its trailer line: it is truncated or incomplete"
        )),
        Some((n, t)) => {
            if !t.end {
                p.push_final(format!("line {n}: the trailer does not say \"end\": true"));
            }
            if t.rows != rows {
                p.push_final(format!(
                    "line {n}: the trailer counts {} rows but the file holds {rows}: rows were added or removed",
                    t.rows
                ));
            }
            let sha = rd.sha256();
            if !t.sha256.eq_ignore_ascii_case(&sha) {
                p.push_final(format!(
                    "line {n}: the SHA-256 of the file is {sha}, the trailer says {}: the file was altered or damaged",
                    t.sha256
                ));
            }
        }
    }
    if !missing.is_empty() {
        p.push_final(format!(
            "the file has no lines for the table(s) {}",
            missing.join(", ")
        ));
    }
    if p.list.is_empty() {
        let (_, t) = trailer.context("no trailer")?;
        return Ok(Checked {
            rows,
            sha256: t.sha256.to_ascii_lowercase(),
        });
    }
    let mut msg = format!(
        "{} is not a valid bulwark export; nothing was imported:",
        path.display()
    );
    for l in &p.list {
        msg.push_str("\n  ");
        msg.push_str(l);
    }
    if p.more > 0 {
        msg.push_str(&format!("\n  … and {} more problem(s)", p.more));
    }
    anyhow::bail!(msg)
}

fn check_row(n: u64, t: &TableInfo, values: &[Value], p: &mut Problems) {
    if values.len() != t.columns.len() {
        p.push(
            n,
            format!(
                "a row of {} has {} values; the table has {} columns",
                t.name,
                values.len(),
                t.columns.len()
            ),
        );
        return;
    }
    for (c, v) in t.columns.iter().zip(values) {
        let ok = match (c.ty, v) {
            (_, Value::Null) => c.nullable,
            (ColType::Text, Value::String(_)) => true,
            (ColType::Integer, Value::Number(x)) => x.is_i64(),
            (ColType::Boolean, Value::Bool(_)) => true,
            _ => false,
        };
        if !ok {
            let want = if v.is_null() {
                "must not be null".to_string()
            } else {
                format!("expected {}, found {}", c.ty.as_str(), describe(v))
            };
            p.push(n, format!("{}.{}: {want}", t.name, c.name));
        }
    }
}

fn to_value(c: &super::tables::Column, v: &Value) -> sea_query::Value {
    match c.ty {
        ColType::Text => v.as_str().map(str::to_string).into(),
        ColType::Integer => v.as_i64().into(),
        ColType::Boolean => v.as_bool().into(),
    }
}

#[derive(sqlx::FromRow)]
struct One {
    one: i64,
}

/// Refuses unless every application table is empty (only `schema_migrations` may hold rows).
/// The built-in rows of [`schema::SEEDED`] tables are removed first: the export carries its own.
pub async fn ensure_empty(tx: &mut Tx) -> anyhow::Result<()> {
    for t in schema::SEEDED {
        let q = Query::delete()
            .from_table(Alias::new(*t))
            .and_where(Expr::col(Alias::new("builtin")).eq(true))
            .to_owned();
        tx.h().execute(&q).await?;
    }
    let mut busy = Vec::new();
    for t in schema::TABLES {
        let q = Query::select()
            .expr_as(Expr::val(1i64), Alias::new("one"))
            .from(Alias::new(*t))
            .limit(1)
            .to_owned();
        if let Some(One { one: 1 }) = tx.h().fetch_optional::<One>(&q).await? {
            busy.push(*t);
        }
    }
    if !busy.is_empty() {
        anyhow::bail!(
            "import-all needs an empty database, and this one already has rows in {}. \
             Import or restore into a fresh --data-dir or a new PostgreSQL database, \
             before `bulwark serve` has run against it (it creates the first administrator)",
            busy.join(", ")
        );
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: Option<i64>,
}

/// Refuses a target database at another schema version than this program's.
pub async fn ensure_version(tx: &mut Tx) -> anyhow::Result<()> {
    let q = Query::select()
        .expr_as(
            Expr::col(Alias::new("version")).max(),
            Alias::new("version"),
        )
        .from(Alias::new("schema_migrations"))
        .to_owned();
    let v = tx
        .h()
        .fetch_one::<VersionRow>(&q)
        .await?
        .version
        .unwrap_or(0);
    if v != migrate::latest_version() {
        anyhow::bail!(
            "the target database is at schema version {v}, this program's is {}; run `bulwark migrate` first",
            migrate::latest_version()
        );
    }
    Ok(())
}

/// Loads a checked file into `tx`, table by table in batches; returns the rows inserted.
pub async fn insert_all(
    tx: &mut Tx,
    path: &Path,
    live: &[TableInfo],
    checked: &Checked,
) -> anyhow::Result<u64> {
    let mut rd = open(path)?;
    let mut current: Option<&TableInfo> = None;
    let mut batch: Vec<Vec<sea_query::Value>> = Vec::new();
    let mut inserted = 0u64;
    let changed = |n: u64, what: &str| {
        anyhow::anyhow!(
            "line {n}: {what}; the file changed after it was checked, nothing was imported"
        )
    };
    while let Some((n, parsed)) = rd.next_line()? {
        match parsed.map_err(|m| changed(n, &m))? {
            Line::Header(_) => {}
            Line::Table(t) => {
                if let Some(c) = current {
                    inserted += flush(tx, c, &mut batch).await?;
                }
                current = Some(
                    live.iter()
                        .find(|l| l.name == t.table)
                        .ok_or_else(|| changed(n, "unknown table"))?,
                );
            }
            Line::Row(values) => {
                let t = current.ok_or_else(|| changed(n, "a row before any table"))?;
                if values.len() != t.columns.len() {
                    return Err(changed(n, "wrong number of values"));
                }
                batch.push(
                    t.columns
                        .iter()
                        .zip(&values)
                        .map(|(c, v)| to_value(c, v))
                        .collect(),
                );
                if batch.len() * t.columns.len() >= MAX_PARAMS {
                    inserted += flush(tx, t, &mut batch).await?;
                }
            }
            Line::Trailer(_) => {
                if let Some(c) = current {
                    inserted += flush(tx, c, &mut batch).await?;
                }
                if rd.sha256() != checked.sha256 || inserted != checked.rows {
                    return Err(changed(n, "the content differs"));
                }
                return Ok(inserted);
            }
        }
    }
    Err(changed(rd.line_number(), "the trailer is gone"))
}

async fn flush(
    tx: &mut Tx,
    t: &TableInfo,
    batch: &mut Vec<Vec<sea_query::Value>>,
) -> anyhow::Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let mut q = Query::insert();
    q.into_table(Alias::new(t.name))
        .columns(t.columns.iter().map(|c| Alias::new(&c.name)));
    let n = batch.len() as u64;
    for row in batch.drain(..) {
        q.values(row.into_iter().map(Expr::val))
            .with_context(|| format!("building the insert into {}", t.name))?;
    }
    tx.h()
        .execute(&q)
        .await
        .with_context(|| format!("inserting into {}", t.name))?;
    Ok(n)
}

/// Verifies the audit chain as `tx` sees it (so before the import commits).
pub async fn verify_audit(tx: &mut Tx) -> anyhow::Result<u64> {
    let v = crate::audit_log::store::verify_on(&mut tx.h()).await?;
    if !v.intact {
        anyhow::bail!(
            "the imported audit trail is broken: {} ({} entries verified before it); nothing was imported",
            v.problem.unwrap_or_default(),
            v.entries_checked
        );
    }
    Ok(v.entries_checked)
}
