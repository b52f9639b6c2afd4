//! Sign-in throttling per account and per source address, stored in the database so that
//! several instances share it.

use bulwark_core::Timestamp;
use sea_query::{Alias, Expr, ExprTrait, Query};

use crate::platform::db::{DbError, Handle};
use crate::platform::ids::new_id;

/// The window failures are counted in.
pub const WINDOW_SECS: i64 = 15 * 60;

#[derive(sqlx::FromRow)]
struct Row {
    at: String,
}

async fn failures(
    h: &mut Handle<'_>,
    now: Timestamp,
    col: &str,
    value: &str,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let since = now.plus_seconds(-WINDOW_SECS).to_db();
    let q = Query::select()
        .column(Alias::new("at"))
        .from(Alias::new("login_attempts"))
        .and_where(Expr::col(Alias::new(col)).eq(value))
        .and_where(Expr::col(Alias::new("success")).eq(false))
        .and_where(Expr::col(Alias::new("at")).gt(since))
        .order_by(Alias::new("at"), sea_query::Order::Asc)
        .limit(u64::try_from(limit).unwrap_or(1))
        .to_owned();
    Ok(h.fetch_all::<Row>(&q)
        .await?
        .into_iter()
        .map(|r| r.at)
        .collect())
}

/// If the account or the address has failed too often, the seconds until it may try again.
pub async fn held_for(
    h: &mut Handle<'_>,
    now: Timestamp,
    email: &str,
    ip: &str,
    per_account: i64,
    per_address: i64,
) -> Result<Option<i64>, DbError> {
    for (col, value, limit) in [("email", email, per_account), ("ip", ip, per_address)] {
        let f = failures(h, now, col, value, limit).await?;
        if f.len() as i64 >= limit
            && let Some(first) = f.first().and_then(|t| Timestamp::parse(t).ok())
        {
            return Ok(Some(std::cmp::max(
                first.unix() + WINDOW_SECS - now.unix(),
                1,
            )));
        }
    }
    Ok(None)
}

/// Records an attempt.
pub async fn note(
    h: &mut Handle<'_>,
    now: Timestamp,
    email: &str,
    ip: &str,
    success: bool,
) -> Result<(), DbError> {
    let q = Query::insert()
        .into_table(Alias::new("login_attempts"))
        .columns(["id", "at", "email", "ip", "success"].map(Alias::new))
        .values_panic([
            new_id(now).into(),
            now.to_db().into(),
            email.into(),
            ip.into(),
            success.into(),
        ])
        .to_owned();
    h.execute(&q).await.map(|_| ())
}

/// Forgets attempts older than the window.
pub async fn purge(h: &mut Handle<'_>, now: Timestamp) -> Result<u64, DbError> {
    h.execute(
        &Query::delete()
            .from_table(Alias::new("login_attempts"))
            .and_where(Expr::col(Alias::new("at")).lt(now.plus_seconds(-WINDOW_SECS).to_db()))
            .to_owned(),
    )
    .await
}
