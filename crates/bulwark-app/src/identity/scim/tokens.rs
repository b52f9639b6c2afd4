//! Provisioning tokens: one or more per system, shown once when issued, stored as hashes, and
//! managed through the API by those who may change identity data.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use bulwark_core::{Access, Area, Permission, Timestamp};
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use super::TOKEN_PREFIX;
use crate::access::Identity;
use crate::app::AppState;
use crate::audit_log::{Actor, Change, record};
use crate::inventory::assets;
use crate::platform::db::{Db, DbError, Handle};
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult, Problem};
use crate::platform::ids::{new_id, random_token, token_hash};

/// The management routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Identity));
    let write = Access::Requires(Permission::Write(Area::Identity));
    Routes::default()
        .add(
            M::GET,
            "/api/v1/assets/{id}/scim-tokens",
            read,
            list_scim_tokens,
        )
        .add(
            M::POST,
            "/api/v1/assets/{id}/scim-tokens",
            write,
            issue_scim_token,
        )
        .add(
            M::DELETE,
            "/api/v1/scim-tokens/{id}",
            write,
            revoke_scim_token,
        )
}

/// A provisioning token, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ScimToken {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    pub created_by: String,
    pub created_at: String,
    /// When a provider last used it (noted at most once a minute).
    pub last_used_at: Option<String>,
}

/// A token just issued: the secret is shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: ScimToken,
    /// Give this to the identity provider as its bearer token, with the base URL.
    pub secret: String,
    /// The SCIM base URL to configure in the provider.
    pub base_url: String,
}

fn select() -> SelectStatement {
    let c = |t: &str, c: &str| (Alias::new(t), Alias::new(c));
    Query::select()
        .columns(
            [
                "id",
                "system_id",
                "created_by",
                "created_at",
                "last_used_at",
            ]
            .map(|n| c("t", n)),
        )
        .expr_as(Expr::col(c("s", "name")), Alias::new("system_name"))
        .from_as(Alias::new("scim_tokens"), Alias::new("t"))
        .join_as(
            JoinType::InnerJoin,
            Alias::new("assets"),
            Alias::new("s"),
            Expr::col(c("s", "id")).equals(c("t", "system_id")),
        )
        .order_by(c("t", "created_at"), Order::Asc)
        .to_owned()
}

async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<ScimToken>, DbError> {
    h.fetch_optional(select().and_where(Expr::col((Alias::new("t"), Alias::new("id"))).eq(id)))
        .await
}

/// The system a live token provisions.
pub struct Found {
    pub system_id: String,
    pub system_name: String,
}

/// Finds the token of a secret, noting its use at most once a minute.
pub async fn authenticate(db: &Db, now: Timestamp, secret: &str) -> Result<Option<Found>, DbError> {
    let q = select()
        .and_where(Expr::col((Alias::new("t"), Alias::new("token_hash"))).eq(token_hash(secret)))
        .to_owned();
    let Some(t) = db.fetch_optional::<ScimToken>(&q).await? else {
        return Ok(None);
    };
    let stale = t
        .last_used_at
        .as_deref()
        .and_then(|u| Timestamp::parse(u).ok())
        .is_none_or(|u| now.unix() - u.unix() >= 60);
    if stale {
        let mut tx = db.begin().await?;
        let q = Query::update()
            .table(Alias::new("scim_tokens"))
            .value(Alias::new("last_used_at"), now.to_db())
            .and_where(Expr::col(Alias::new("id")).eq(t.id.as_str()))
            .to_owned();
        tx.h().execute(&q).await?;
        tx.commit().await?;
    }
    Ok(Some(Found {
        system_id: t.system_id,
        system_name: t.system_name,
    }))
}

/// A system's provisioning tokens (404 for an unknown system).
pub async fn of_system(h: &mut Handle<'_>, system: &str) -> AppResult<Vec<ScimToken>> {
    assets::by_id(h, system).await?.ok_or(AppError::NotFound)?;
    let q = select()
        .and_where(Expr::col((Alias::new("t"), Alias::new("system_id"))).eq(system))
        .to_owned();
    Ok(h.fetch_all(&q).await?)
}

/// Issues a token for a system, recorded; the secret is in the result only.
pub async fn issue(app: &AppState, actor: &Actor, system: &str) -> AppResult<IssuedToken> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    assets::by_id(&mut tx.h(), system)
        .await?
        .ok_or(AppError::NotFound)?;
    let secret = format!("{TOKEN_PREFIX}{}", random_token());
    let tid = new_id(now);
    let q = Query::insert()
        .into_table(Alias::new("scim_tokens"))
        .columns(["id", "system_id", "token_hash", "created_by", "created_at"].map(Alias::new))
        .values_panic([
            tid.clone().into(),
            system.into(),
            token_hash(&secret).into(),
            actor.label.clone().into(),
            now.to_db().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let token = by_id(&mut tx.h(), &tid).await?.ok_or(AppError::NotFound)?;
    record(
        &mut tx,
        now,
        actor,
        Change::new("scim_token.create", "scim_token", Some(&tid)).after(&token),
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedToken {
        token,
        secret,
        base_url: super::base_url(app),
    })
}

/// Revokes a token at once, recorded; returns it.
pub async fn revoke(app: &AppState, actor: &Actor, tid: &str) -> AppResult<ScimToken> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let before = by_id(&mut tx.h(), tid).await?.ok_or(AppError::NotFound)?;
    let q = Query::delete()
        .from_table(Alias::new("scim_tokens"))
        .and_where(Expr::col(Alias::new("id")).eq(tid))
        .to_owned();
    tx.h().execute(&q).await?;
    record(
        &mut tx,
        now,
        actor,
        Change::new("scim_token.delete", "scim_token", Some(tid)).before(&before),
    )
    .await?;
    tx.commit().await?;
    Ok(before)
}

/// A system's provisioning tokens.
#[utoipa::path(get, path = "/api/v1/assets/{id}/scim-tokens", tag = "identity", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ScimToken>), (status = 404, body = Problem)))]
pub async fn list_scim_tokens(
    State(app): State<AppState>,
    Path(system): Path<String>,
) -> AppResult<axum::Json<Vec<ScimToken>>> {
    Ok(axum::Json(
        of_system(&mut app.db.read().await?.h(), &system).await?,
    ))
}

/// Issue a provisioning token for a system: configure the identity provider with the base URL
/// and this bearer secret, which is shown only now.
#[utoipa::path(post, path = "/api/v1/assets/{id}/scim-tokens", tag = "identity", params(("id" = String, Path)),
    responses((status = 201, body = IssuedToken), (status = 404, body = Problem)))]
pub async fn issue_scim_token(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(system): Path<String>,
) -> AppResult<(StatusCode, axum::Json<IssuedToken>)> {
    let issued = issue(&app, &id.actor(), &system).await?;
    Ok((StatusCode::CREATED, axum::Json(issued)))
}

/// Revoke a provisioning token at once.
#[utoipa::path(delete, path = "/api/v1/scim-tokens/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_scim_token(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(tid): Path<String>,
) -> AppResult<StatusCode> {
    revoke(&app, &id.actor(), &tid).await?;
    Ok(StatusCode::NO_CONTENT)
}
