//! Turns `sea-query` parameter values into `sqlx` arguments.
//!
//! Written here because the published `sea-query-binder` (0.8.0-rc.7) does not compile against
//! the published `sea-query` 1.0, and we use only a handful of value types.

use sea_query::{Value, Values};
use sqlx::Arguments;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;

use super::DbError;

fn unsupported(v: &Value) -> DbError {
    DbError::Protocol(format!("unsupported query value type: {v:?}"))
}

macro_rules! bind_all {
    ($args:ident, $values:ident) => {{
        for v in $values.0 {
            let r = match v {
                Value::Bool(b) => $args.add(b),
                Value::TinyInt(i) => $args.add(i.map(i64::from)),
                Value::SmallInt(i) => $args.add(i.map(i64::from)),
                Value::Int(i) => $args.add(i.map(i64::from)),
                Value::BigInt(i) => $args.add(i),
                Value::TinyUnsigned(i) => $args.add(i.map(i64::from)),
                Value::SmallUnsigned(i) => $args.add(i.map(i64::from)),
                Value::Unsigned(i) => $args.add(i.map(i64::from)),
                Value::BigUnsigned(i) => $args.add(i.map(|u| i64::try_from(u).unwrap_or(i64::MAX))),
                Value::Double(f) => $args.add(f),
                Value::Float(f) => $args.add(f.map(f64::from)),
                Value::String(s) => $args.add(s),
                Value::Bytes(b) => $args.add(b),
                other => return Err(unsupported(&other)),
            };
            r.map_err(|e| DbError::Encode(e))?;
        }
        Ok($args)
    }};
}

/// Arguments for SQLite.
pub fn sqlite(values: Values) -> Result<SqliteArguments<'static>, DbError> {
    let mut args = SqliteArguments::default();
    bind_all!(args, values)
}

/// Arguments for PostgreSQL.
pub fn postgres(values: Values) -> Result<PgArguments, DbError> {
    let mut args = PgArguments::default();
    bind_all!(args, values)
}
