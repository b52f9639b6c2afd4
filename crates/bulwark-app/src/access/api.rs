//! The accounts API: users, the caller's own profile, MFA and tokens.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Permission, Role, Timestamp};
use serde::{Deserialize, Serialize};

use super::identity::Identity;
use super::tokens::{self, ApiToken, CreatedToken, NewToken};
use super::users::{self, NewUser, User, UserFilter, UserPatch, UserSort};
use super::{mfa, password};
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::http::json::Json;
use crate::platform::http::page::{Page, after, limit, page};
use crate::platform::http::query::Query;
use crate::platform::mail::{self, Mail};

/// The routes.
pub fn routes() -> Routes {
    use Access::*;
    use Method as M;
    Routes::default()
        .add(
            M::GET,
            "/api/v1/users",
            Requires(Permission::UsersRead),
            list_users,
        )
        .add(
            M::POST,
            "/api/v1/users",
            Requires(Permission::UsersManage),
            create_user,
        )
        .add(
            M::GET,
            "/api/v1/users/{id}",
            Requires(Permission::UsersRead),
            get_user,
        )
        .add(
            M::PATCH,
            "/api/v1/users/{id}",
            Requires(Permission::UsersManage),
            patch_user,
        )
        .add(
            M::POST,
            "/api/v1/users/{id}/password-reset",
            Requires(Permission::UsersManage),
            reset_password,
        )
        .add_setup(M::GET, "/api/v1/me", SignedIn, me)
        .add_setup(M::POST, "/api/v1/me/password", SignedIn, change_password)
        .add_setup(M::POST, "/api/v1/me/mfa/enrolment", SignedIn, mfa_start)
        .add_setup(M::POST, "/api/v1/me/mfa/activation", SignedIn, mfa_activate)
        .add(M::POST, "/api/v1/me/mfa/removal", SignedIn, mfa_remove)
        .add(M::GET, "/api/v1/tokens", SignedIn, list_tokens)
        .add(M::POST, "/api/v1/tokens", SignedIn, create_token)
        .add(M::DELETE, "/api/v1/tokens/{id}", SignedIn, revoke_token)
}

/// Query of the user list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only this role.
    pub role: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
    /// Text in the email or name.
    pub q: Option<String>,
    /// `email` (default), `name` or `created_at`.
    pub sort: Option<UserSort>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// List user accounts.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Page<User>), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn list_users(
    State(app): State<AppState>,
    Query(q): Query<UserQuery>,
) -> AppResult<axum::Json<Page<User>>> {
    let lim = limit(q.limit)?;
    let role = match &q.role {
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            AppError::field(
                "role",
                format!("must be one of {}", Role::ALL.map(Role::as_str).join(", ")),
            )
        })?),
        None => None,
    };
    let after = after(q.cursor.as_deref())?;
    let sort = q.sort.unwrap_or_default();
    let filter = UserFilter {
        role,
        status: q.status.clone(),
        q: q.q.clone(),
    };
    let rows = users::list(&app.db, &filter, sort, after, lim + 1).await?;
    Ok(axum::Json(page(rows, lim, |u| {
        Cursor {
            key: sort.key(u),
            id: u.id.clone(),
        }
        .encode()
    })))
}

/// A created user, with the temporary password when one was generated.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    /// Shown once when no password was given: hand it to the person; they must change it at sign-in.
    pub temporary_password: Option<String>,
}

/// Create a user account.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = CreatedUser), (status = 409, body = crate::platform::http::error::Problem), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn create_user(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Json(n): Json<NewUser>,
) -> AppResult<(StatusCode, axum::Json<CreatedUser>)> {
    let created = create_user_action(&app, &id, n).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Creates an account (shared by the API, the pages and the CLI through `users::create`).
pub async fn create_user_action(
    app: &AppState,
    id: &Identity,
    n: NewUser,
) -> AppResult<CreatedUser> {
    let (email, name, role) = users::validate_new(&n)?;
    let (pw, temporary) = match n.password {
        Some(p) => (p, None),
        None => {
            let t = password::temporary();
            (t.clone(), Some(t))
        }
    };
    let hash = password::hash(pw).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let user = users::create(
        &mut tx,
        now,
        &id.actor(),
        &email,
        &name,
        role,
        hash,
        temporary.is_some(),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedUser {
        user,
        temporary_password: temporary,
    })
}

/// Get one user account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = crate::platform::http::error::Problem)))]
pub async fn get_user(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<axum::Json<User>> {
    let u = users::by_id(&mut app.db.read().await?.h(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(u.user()))
}

/// Change a user's name, role or status. Disabling ends their sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)), request_body = UserPatch,
    responses((status = 200, body = User), (status = 404), (status = 409), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn patch_user(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Path(uid): Path<String>,
    Json(p): Json<UserPatch>,
) -> AppResult<axum::Json<User>> {
    let mut tx = app.db.begin().await?;
    let u = users::patch(&mut tx, app.clock.now(), &id.actor(), &uid, &p).await?;
    tx.commit().await?;
    Ok(axum::Json(u))
}

/// The result of an administrator's password reset.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PasswordReset {
    /// Hand this to the person; they must choose their own at next sign-in.
    pub temporary_password: String,
    /// Whether a notice was queued to the person's email.
    pub notice_queued: bool,
}

/// Reset a user's password to a temporary one (administrators). Ends the user's sessions and
/// emails them a notice.
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = PasswordReset), (status = 404)))]
pub async fn reset_password(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Path(uid): Path<String>,
) -> AppResult<axum::Json<PasswordReset>> {
    Ok(axum::Json(
        reset_password_action(&app, &id.actor(), &uid).await?,
    ))
}

/// Resets a password (API, pages and CLI).
pub async fn reset_password_action(
    app: &AppState,
    actor: &crate::audit_log::Actor,
    uid: &str,
) -> AppResult<PasswordReset> {
    let temp = password::temporary();
    let hash = password::hash(temp.clone()).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let u =
        users::set_password(&mut tx, now, actor, uid, hash, true, "user.password_reset").await?;
    super::sessions::delete_for_user(&mut tx.h(), uid).await?;
    notify(&mut tx, now, &u, "Your Bulwark password was reset", &format!(
        "Hello {},\n\nAn administrator ({}) reset your Bulwark password at {}.\nThey will give you a temporary password; you will choose a new one when you next sign in.\n\nIf you did not expect this, tell your security team.\n",
        u.name, actor.label, now.human()
    ))
    .await?;
    tx.commit().await?;
    Ok(PasswordReset {
        temporary_password: temp,
        notice_queued: true,
    })
}

/// Queues a notice to a user.
pub async fn notify(
    tx: &mut crate::platform::db::Tx,
    now: Timestamp,
    u: &User,
    subject: &str,
    body: &str,
) -> AppResult<()> {
    mail::queue(
        tx,
        now,
        &Mail {
            to: u.email.clone(),
            subject: subject.into(),
            body: body.into(),
        },
    )
    .await?;
    Ok(())
}

/// The caller's own account.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = User), (status = 401)))]
pub async fn me(id: axum::Extension<Identity>) -> axum::Json<User> {
    axum::Json(id.user.user())
}

/// A change of one's own password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change one's own password. Ends one's other sessions.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn change_password(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Json(c): Json<PasswordChange>,
) -> AppResult<StatusCode> {
    change_password_action(&app, &id, &c).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes one's own password (API and pages).
pub async fn change_password_action(
    app: &AppState,
    id: &Identity,
    c: &PasswordChange,
) -> AppResult<()> {
    if !password::verify(c.current_password.clone(), id.user.password_hash.clone()).await {
        return Err(AppError::field(
            "current_password",
            "is not your current password",
        ));
    }
    bulwark_core::validate::new_password("new_password", &c.new_password, Some(&id.user.email))?;
    if c.new_password == c.current_password {
        return Err(AppError::field(
            "new_password",
            "must differ from the current password",
        ));
    }
    let hash = password::hash(c.new_password.clone()).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let u = users::set_password(
        &mut tx,
        now,
        &id.actor(),
        &id.user.id,
        hash,
        false,
        "user.password_change",
    )
    .await?;
    match id.session() {
        Some(s) => super::sessions::delete_others(&mut tx.h(), &id.user.id, &s.id).await?,
        None => super::sessions::delete_for_user(&mut tx.h(), &id.user.id).await?,
    }
    notify(&mut tx, now, &u, "Your Bulwark password was changed", &format!(
        "Hello {},\n\nYour Bulwark password was changed at {}. If this was not you, tell your security team at once.\n", u.name, now.human()
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Start TOTP enrolment: returns a new secret to scan; it takes effect on activation.
#[utoipa::path(post, path = "/api/v1/me/mfa/enrolment", tag = "me", responses((status = 200, body = mfa::Enrolment)))]
pub async fn mfa_start(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
) -> AppResult<axum::Json<mfa::Enrolment>> {
    Ok(axum::Json(mfa::start(&app, &id).await?))
}

/// Activate TOTP with a code from the app; returns single-use recovery codes, shown once.
#[utoipa::path(post, path = "/api/v1/me/mfa/activation", tag = "me", request_body = mfa::Activation,
    responses((status = 200, body = mfa::RecoveryCodes), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn mfa_activate(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Json(a): Json<mfa::Activation>,
) -> AppResult<axum::Json<mfa::RecoveryCodes>> {
    Ok(axum::Json(mfa::activate(&app, &id, &a.code).await?))
}

/// Remove one's TOTP (needs the password). Refused when one's role must use MFA.
#[utoipa::path(post, path = "/api/v1/me/mfa/removal", tag = "me", request_body = mfa::Removal, responses((status = 204), (status = 409), (status = 422)))]
pub async fn mfa_remove(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Json(r): Json<mfa::Removal>,
) -> AppResult<StatusCode> {
    mfa::remove(&app, &id, &r.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<ApiToken>)))]
pub async fn list_tokens(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
) -> AppResult<axum::Json<Vec<ApiToken>>> {
    Ok(axum::Json(
        tokens::list_for(&mut app.db.read().await?.h(), &id.user.id).await?,
    ))
}

/// Create an API token for oneself. The secret is in the answer and nowhere else.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn create_token(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Json(n): Json<NewToken>,
) -> AppResult<(StatusCode, axum::Json<CreatedToken>)> {
    let mut tx = app.db.begin().await?;
    let t = tokens::create(&mut tx, app.clock.now(), &id.actor(), &id.user.id, &n).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(t)))
}

/// Revoke one of one's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)), responses((status = 200, body = ApiToken), (status = 404)))]
pub async fn revoke_token(
    State(app): State<AppState>,
    id: axum::Extension<Identity>,
    Path(tid): Path<String>,
) -> AppResult<axum::Json<ApiToken>> {
    let mut tx = app.db.begin().await?;
    let t = tokens::revoke(&mut tx, app.clock.now(), &id.actor(), &id.user.id, &tid).await?;
    tx.commit().await?;
    Ok(axum::Json(t))
}
