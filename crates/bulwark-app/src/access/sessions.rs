//! Server-side sessions. The browser holds a random token in a cookie; the database holds its
//! SHA-256, the CSRF token, and the idle and absolute expiry.

use bulwark_core::Timestamp;
use sea_query::{Alias, Expr, ExprTrait, Query};

use crate::platform::db::{DbError, Handle};
use crate::platform::ids::{random_token, token_hash};

/// The cookie's name.
pub const COOKIE: &str = "bulwark_session";

const COLUMNS: [&str; 8] = [
    "id",
    "user_id",
    "csrf_token",
    "mfa_passed",
    "created_at",
    "last_seen_at",
    "expires_at",
    "ip",
];

/// A stored session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub mfa_passed: bool,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ip: Option<String>,
}

/// Creates a session and returns the cookie token (shown to the browser only).
pub async fn create(
    h: &mut Handle<'_>,
    now: Timestamp,
    user_id: &str,
    mfa_passed: bool,
    absolute_hours: i64,
    ip: Option<String>,
) -> Result<(String, SessionRow), DbError> {
    let token = random_token();
    let row = SessionRow {
        id: token_hash(&token),
        user_id: user_id.into(),
        csrf_token: random_token(),
        mfa_passed,
        created_at: now.to_db(),
        last_seen_at: now.to_db(),
        expires_at: now.plus_seconds(absolute_hours * 3600).to_db(),
        ip,
    };
    let q = Query::insert()
        .into_table(Alias::new("sessions"))
        .columns(COLUMNS.map(Alias::new))
        .values_panic([
            row.id.clone().into(),
            row.user_id.clone().into(),
            row.csrf_token.clone().into(),
            row.mfa_passed.into(),
            row.created_at.clone().into(),
            row.last_seen_at.clone().into(),
            row.expires_at.clone().into(),
            row.ip.clone().into(),
        ])
        .to_owned();
    h.execute(&q).await?;
    Ok((token, row))
}

/// Finds the live session for a cookie token, or none if unknown, idle too long or expired.
pub async fn find(
    h: &mut Handle<'_>,
    now: Timestamp,
    token: &str,
    idle_minutes: i64,
) -> Result<Option<SessionRow>, DbError> {
    let q = Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("sessions"))
        .and_where(Expr::col(Alias::new("id")).eq(token_hash(token)))
        .to_owned();
    let Some(s) = h.fetch_optional::<SessionRow>(&q).await? else {
        return Ok(None);
    };
    let idle_limit = now.plus_seconds(-idle_minutes * 60).to_db();
    if s.expires_at <= now.to_db() || s.last_seen_at < idle_limit {
        return Ok(None);
    }
    Ok(Some(s))
}

/// Records activity (at most once a minute per session, to spare writes).
pub async fn touch(h: &mut Handle<'_>, now: Timestamp, s: &SessionRow) -> Result<(), DbError> {
    if s.last_seen_at >= now.plus_seconds(-60).to_db() {
        return Ok(());
    }
    let q = Query::update()
        .table(Alias::new("sessions"))
        .value(Alias::new("last_seen_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(s.id.as_str()))
        .to_owned();
    h.execute(&q).await.map(|_| ())
}

/// Marks the second factor as passed and rotates the session id (no fixation).
pub async fn pass_mfa(
    h: &mut Handle<'_>,
    now: Timestamp,
    s: &SessionRow,
) -> Result<String, DbError> {
    let token = random_token();
    let q = Query::update()
        .table(Alias::new("sessions"))
        .value(Alias::new("id"), token_hash(&token))
        .value(Alias::new("mfa_passed"), true)
        .value(Alias::new("last_seen_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(s.id.as_str()))
        .to_owned();
    h.execute(&q).await?;
    Ok(token)
}

/// Ends one session.
pub async fn delete(h: &mut Handle<'_>, id: &str) -> Result<(), DbError> {
    h.execute(
        &Query::delete()
            .from_table(Alias::new("sessions"))
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// Ends every session of a user (disabled account, password reset).
pub async fn delete_for_user(h: &mut Handle<'_>, user_id: &str) -> Result<(), DbError> {
    h.execute(
        &Query::delete()
            .from_table(Alias::new("sessions"))
            .and_where(Expr::col(Alias::new("user_id")).eq(user_id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// Ends every session of a user except `keep` (own password change).
pub async fn delete_others(h: &mut Handle<'_>, user_id: &str, keep: &str) -> Result<(), DbError> {
    let q = Query::delete()
        .from_table(Alias::new("sessions"))
        .and_where(Expr::col(Alias::new("user_id")).eq(user_id))
        .and_where(Expr::col(Alias::new("id")).ne(keep))
        .to_owned();
    h.execute(&q).await.map(|_| ())
}

/// Removes expired sessions.
pub async fn purge_expired(h: &mut Handle<'_>, now: Timestamp) -> Result<u64, DbError> {
    h.execute(
        &Query::delete()
            .from_table(Alias::new("sessions"))
            .and_where(Expr::col(Alias::new("expires_at")).lte(now.to_db()))
            .to_owned(),
    )
    .await
}

/// The `Set-Cookie` value for a session token.
pub fn cookie(token: &str, secure: bool, max_age_secs: i64) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    cookie("", secure, 0)
}
