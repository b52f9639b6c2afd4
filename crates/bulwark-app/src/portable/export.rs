//! Writing an export from one consistent snapshot, a page of rows at a time.

use std::io::Write;

use anyhow::Context;
use serde_json::Value;
use sqlx::Row as _;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::format::{FORMAT, FORMAT_VERSION, Header, LineWriter, TableLine};
use super::tables::{self, ColType, TableInfo};
use crate::platform::clock::{Clock, SystemClock};
use crate::platform::db::{Backend, Db, Tx};

/// Rows read per query.
const PAGE: usize = 1000;

/// Quotes an identifier for either backend.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: Option<i64>,
}

/// Writes the whole export of `db` to `out`; returns the writer and the number of rows.
pub async fn write<W: Write>(db: &Db, out: W) -> anyhow::Result<(W, u64)> {
    let mut tx = db.snapshot().await?;
    let live = tables::live(&mut tx).await?;
    let version_sql = "SELECT MAX(version) AS version FROM schema_migrations";
    let version: VersionRow = match &mut tx {
        Tx::Sqlite(t) => sqlx::query_as(version_sql).fetch_one(&mut **t).await,
        Tx::Postgres(t) => sqlx::query_as(version_sql).fetch_one(&mut **t).await,
    }
    .context("reading the schema version")?;
    let mut w = LineWriter::new(out);
    w.header(&Header {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        schema_version: version.version.unwrap_or(0),
        exported_at: SystemClock.now().to_db(),
        source_backend: match db.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .into(),
    })?;
    for t in &live {
        w.table(&TableLine {
            table: t.name.into(),
            columns: t.column_names(),
            types: t.column_types().into_iter().map(String::from).collect(),
        })?;
        write_table(&mut tx, t, &mut w)
            .await
            .with_context(|| format!("exporting the table {}", t.name))?;
    }
    // The snapshot only read; dropping it rolls back.
    drop(tx);
    Ok(w.finish()?)
}

fn page_sql(t: &TableInfo, backend: Backend, after: bool) -> String {
    let cols: Vec<String> = t.columns.iter().map(|c| quote(&c.name)).collect();
    let key = quote(&t.columns[t.key].name);
    let filter = if after {
        match backend {
            Backend::Sqlite => format!(" WHERE {key} > ?1"),
            Backend::Postgres => format!(" WHERE {key} > $1"),
        }
    } else {
        String::new()
    };
    format!(
        "SELECT {} FROM {}{filter} ORDER BY {key} LIMIT {PAGE}",
        cols.join(", "),
        quote(t.name)
    )
}

/// Keyset pages through one table in primary-key order.
async fn write_table<W: Write>(
    tx: &mut Tx,
    t: &TableInfo,
    w: &mut LineWriter<W>,
) -> anyhow::Result<()> {
    let first = page_sql(t, tx.backend(), false);
    let next = page_sql(t, tx.backend(), true);
    let mut last: Option<Value> = None;
    loop {
        let rows: Vec<Vec<Value>> = match tx {
            Tx::Sqlite(c) => {
                let q = match &last {
                    None => sqlx::query(&first),
                    Some(Value::Number(n)) => sqlx::query(&next).bind(n.as_i64()),
                    Some(v) => sqlx::query(&next).bind(v.as_str().map(str::to_string)),
                };
                let rows = q.fetch_all(&mut **c).await?;
                rows.iter()
                    .map(|r| decode_sqlite(r, t))
                    .collect::<anyhow::Result<_>>()?
            }
            Tx::Postgres(c) => {
                let q = match &last {
                    None => sqlx::query(&first),
                    Some(Value::Number(n)) => sqlx::query(&next).bind(n.as_i64()),
                    Some(v) => sqlx::query(&next).bind(v.as_str().map(str::to_string)),
                };
                let rows = q.fetch_all(&mut **c).await?;
                rows.iter()
                    .map(|r| decode_pg(r, t))
                    .collect::<anyhow::Result<_>>()?
            }
        };
        for r in &rows {
            w.row(r)?;
        }
        if rows.len() < PAGE {
            return Ok(());
        }
        last = rows.last().map(|r| r[t.key].clone());
    }
}

fn decode_sqlite(row: &SqliteRow, t: &TableInfo) -> anyhow::Result<Vec<Value>> {
    t.columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let v = match c.ty {
                ColType::Text => row.try_get::<Option<String>, _>(i)?.map(Value::from),
                ColType::Integer => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
                // SQLite stores booleans as 0 and 1.
                ColType::Boolean => row
                    .try_get::<Option<i64>, _>(i)?
                    .map(|b| Value::Bool(b != 0)),
            };
            Ok(v.unwrap_or(Value::Null))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

fn decode_pg(row: &PgRow, t: &TableInfo) -> anyhow::Result<Vec<Value>> {
    t.columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let v = match (c.ty, c.declared.as_str()) {
                (ColType::Text, _) => row.try_get::<Option<String>, _>(i)?.map(Value::from),
                (ColType::Integer, "smallint") => {
                    row.try_get::<Option<i16>, _>(i)?.map(Value::from)
                }
                (ColType::Integer, "integer") => row.try_get::<Option<i32>, _>(i)?.map(Value::from),
                (ColType::Integer, _) => row.try_get::<Option<i64>, _>(i)?.map(Value::from),
                (ColType::Boolean, _) => row.try_get::<Option<bool>, _>(i)?.map(Value::from),
            };
            Ok(v.unwrap_or(Value::Null))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
