//! Personal API tokens: shown once, stored as a SHA-256 hash, expiring, revocable.

use bulwark_core::Timestamp;
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde::{Deserialize, Serialize};

use crate::access::users::UserRow;
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::{new_id, random_token, token_hash};

/// Every token starts with this, so leaked tokens are easy to find with secret scanners.
pub const PREFIX: &str = "bwk_";

/// A token as listed (never the secret).
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

const COLUMNS: [&str; 8] = [
    "id",
    "user_id",
    "name",
    "prefix",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
];

/// Request to create a token.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for.
    pub name: String,
    /// Days until it expires (1 to 730). Leave out for 90.
    pub expires_days: Option<i64>,
}

/// A created token with its secret, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret. Store it now: it cannot be shown again.
    pub secret: String,
}

/// Creates a token for `user_id`.
pub async fn create(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    user_id: &str,
    req: &NewToken,
) -> AppResult<CreatedToken> {
    let name = bulwark_core::validate::label("name", &req.name, 100)?;
    let days = req.expires_days.unwrap_or(90);
    if !(1..=730).contains(&days) {
        return Err(AppError::field("expires_days", "must be between 1 and 730"));
    }
    let secret = format!("{PREFIX}{}", random_token());
    let t = ApiToken {
        id: new_id(now),
        user_id: user_id.into(),
        name,
        prefix: secret[..PREFIX.len() + 6].to_string(),
        created_at: now.to_db(),
        expires_at: Some(now.plus_seconds(days * 86400).to_db()),
        last_used_at: None,
        revoked_at: None,
    };
    let q = Query::insert()
        .into_table(Alias::new("api_tokens"))
        .columns(
            [
                "id",
                "user_id",
                "name",
                "token_hash",
                "prefix",
                "created_at",
                "expires_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            t.id.clone().into(),
            t.user_id.clone().into(),
            t.name.clone().into(),
            token_hash(&secret).into(),
            t.prefix.clone().into(),
            t.created_at.clone().into(),
            t.expires_at.clone().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    record(
        tx,
        now,
        actor,
        Change::new("api_token.create", "api_token", Some(&t.id)).after(&t),
    )
    .await?;
    Ok(CreatedToken { token: t, secret })
}

/// A user's tokens, newest first.
pub async fn list_for(h: &mut Handle<'_>, user_id: &str) -> Result<Vec<ApiToken>, DbError> {
    let q = Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("api_tokens"))
        .and_where(Expr::col(Alias::new("user_id")).eq(user_id))
        .order_by(Alias::new("created_at"), Order::Desc)
        .to_owned();
    h.fetch_all(&q).await
}

async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<ApiToken>, DbError> {
    let q = Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("api_tokens"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    h.fetch_optional(&q).await
}

/// Revokes a token of `owner_id` (other users' tokens are "not found").
pub async fn revoke(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    owner_id: &str,
    id: &str,
) -> AppResult<ApiToken> {
    let before = by_id(&mut tx.h(), id)
        .await?
        .filter(|t| t.user_id == owner_id)
        .ok_or(AppError::NotFound)?;
    if before.revoked_at.is_some() {
        return Ok(before);
    }
    let q = Query::update()
        .table(Alias::new("api_tokens"))
        .value(Alias::new("revoked_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    tx.h().execute(&q).await?;
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("api_token.revoke", "api_token", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

#[derive(sqlx::FromRow)]
struct Live {
    token_id: String,
    token_last_used_at: Option<String>,
    #[sqlx(flatten)]
    user: UserRow,
}

/// A live token found for a bearer secret.
#[derive(Debug, Clone)]
pub struct Bearer {
    pub token_id: String,
    /// Its last use was noted more than a minute ago (or never): note this one.
    pub stale: bool,
}

/// The token a bearer secret belongs to and its active owner, if the token is live (not
/// revoked, not expired). One query: this runs on every API request.
pub async fn authenticate(
    h: &mut Handle<'_>,
    now: Timestamp,
    secret: &str,
) -> Result<Option<(Bearer, UserRow)>, DbError> {
    if !secret.starts_with(PREFIX) {
        return Ok(None);
    }
    let (t, u) = (Alias::new("api_tokens"), Alias::new("users"));
    let mut q = Query::select();
    for c in crate::access::users::COLUMNS {
        q.column((u.clone(), Alias::new(c)));
    }
    q.expr_as(
        Expr::col((t.clone(), Alias::new("id"))),
        Alias::new("token_id"),
    )
    .expr_as(
        Expr::col((t.clone(), Alias::new("last_used_at"))),
        Alias::new("token_last_used_at"),
    )
    .from(t.clone())
    .inner_join(
        u.clone(),
        Expr::col((u.clone(), Alias::new("id"))).equals((t.clone(), Alias::new("user_id"))),
    )
    .and_where(Expr::col((t.clone(), Alias::new("token_hash"))).eq(token_hash(secret)))
    .and_where(Expr::col((t.clone(), Alias::new("revoked_at"))).is_null())
    .and_where(
        Expr::col((t.clone(), Alias::new("expires_at")))
            .is_null()
            .or(Expr::col((t.clone(), Alias::new("expires_at"))).gt(now.to_db())),
    )
    .and_where(Expr::col((u, Alias::new("status"))).eq(crate::access::users::STATUS_ACTIVE));
    Ok(h.fetch_optional::<Live>(&q).await?.map(|l| {
        let stale = l
            .token_last_used_at
            .as_deref()
            .is_none_or(|x| x < now.plus_seconds(-60).to_db().as_str());
        (
            Bearer {
                token_id: l.token_id,
                stale,
            },
            l.user,
        )
    }))
}

/// Notes that a token was used now.
pub async fn touch(h: &mut Handle<'_>, now: Timestamp, token_id: &str) -> Result<(), DbError> {
    let u = Query::update()
        .table(Alias::new("api_tokens"))
        .value(Alias::new("last_used_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(token_id))
        .to_owned();
    h.execute(&u).await.map(|_| ())
}
