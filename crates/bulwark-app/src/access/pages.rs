//! Pages of this area: sign-in (password, then the second factor), sign-out, one's own
//! profile (password, MFA, API tokens), and user administration.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bulwark_core::cursor::Cursor;
use bulwark_core::validate::Email;
use bulwark_core::{Access, Permission, Role, Timestamp};

use super::api::{PasswordChange, create_user_action, reset_password_action};
use super::identity::{PendingMfa, client_ip};
use super::tokens::{self, NewToken};
use super::users::{self, NewUser, User, UserFilter, UserPatch, UserSort};
use super::{Identity, mfa, password, sessions, throttle};
use crate::app::AppState;
use crate::audit_log::{Change, record};
use crate::platform::http::Routes;
use crate::platform::http::error::AppError;
use crate::platform::http::routes::url_escape;
use crate::web::{
    Chrome, Errors, FormData, PageResult, chrome, html, local_next, notice, render, see_other,
    when, when_opt,
};

/// The page routes.
pub fn routes() -> Routes {
    use Access::*;
    use Method as M;
    let read = Requires(Permission::UsersRead);
    let manage = Requires(Permission::UsersManage);
    Routes::default()
        .add(M::GET, "/login", Public, html(login_form))
        .add(M::POST, "/login", Public, html(login))
        .add(M::GET, "/login/mfa", Public, html(mfa_form))
        .add(M::POST, "/login/mfa", Public, html(mfa_login))
        .add_setup(M::POST, "/logout", SignedIn, html(logout))
        .add_setup(M::GET, "/profile", SignedIn, html(profile))
        .add_setup(M::GET, "/profile/password", SignedIn, html(password_form))
        .add_setup(
            M::POST,
            "/profile/password",
            SignedIn,
            html(password_change),
        )
        .add_setup(M::GET, "/profile/mfa", SignedIn, html(mfa_status))
        .add_setup(M::POST, "/profile/mfa/start", SignedIn, html(mfa_start))
        .add_setup(
            M::POST,
            "/profile/mfa/activate",
            SignedIn,
            html(mfa_activate),
        )
        .add(M::POST, "/profile/mfa/remove", SignedIn, html(mfa_remove))
        .add(M::GET, "/profile/tokens", SignedIn, html(tokens_page))
        .add(M::POST, "/profile/tokens", SignedIn, html(token_create))
        .add(
            M::POST,
            "/profile/tokens/{id}/revoke",
            SignedIn,
            html(token_revoke),
        )
        .add(M::GET, "/users", read, html(users_list))
        .add(M::GET, "/users/new", manage, html(user_new))
        .add(M::POST, "/users", manage, html(user_create))
        .add(M::GET, "/users/{id}", read, html(user_page))
        .add(M::POST, "/users/{id}", manage, html(user_update))
        .add(
            M::POST,
            "/users/{id}/reset-password",
            manage,
            html(user_reset),
        )
}

type Params = Query<HashMap<String, String>>;

fn param(q: &HashMap<String, String>, k: &str) -> Option<String> {
    q.get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn with_cookie(mut res: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn held_message(secs: i64) -> String {
    let minutes = (secs + 59) / 60;
    format!(
        "Too many failed sign-ins; try again in {minutes} minute{}",
        if minutes == 1 { "" } else { "s" }
    )
}

fn with_retry_after(mut res: Response, secs: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

// ---------------------------------------------------------------------------------------------
// Sign-in

#[derive(Template)]
#[template(path = "access/login.html")]
struct LoginPage {
    c: Chrome,
    email: String,
    next: String,
    errors: Errors,
}

async fn login_page(
    app: &AppState,
    email: &str,
    next: &str,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let c = chrome(app, None, None, "/login", "Sign in").await;
    render(
        status,
        &LoginPage {
            c,
            email: email.to_string(),
            next: next.to_string(),
            errors,
        },
    )
}

/// `GET /login`.
async fn login_form(
    State(app): State<AppState>,
    id: Option<Extension<Identity>>,
    Query(q): Params,
) -> PageResult {
    let next = local_next(&param(&q, "next").unwrap_or_default());
    if id.is_some() {
        return Ok(see_other(&next));
    }
    Ok(login_page(&app, "", &next, Errors::none(), StatusCode::OK).await)
}

/// `POST /login`: the password step.
async fn login(State(app): State<AppState>, req: Request) -> PageResult {
    let ip = client_ip(&req);
    let old_session = req
        .extensions()
        .get::<PendingMfa>()
        .map(|p| p.session.id.clone())
        .or_else(|| {
            req.extensions()
                .get::<Identity>()
                .and_then(|i| i.session().map(|s| s.id.clone()))
        });
    let f = FormData::from_request(req, &app).await?;
    let email_in = f.get("email");
    let next = local_next(&f.get("next"));
    let now = app.clock.now();
    let parsed = Email::parse("email", &email_in).ok();
    let key = parsed.as_ref().map_or_else(
        || email_in.trim().to_lowercase(),
        |e| e.as_str().to_string(),
    );
    let held = throttle::held_for(
        &mut app.db.read().await?.h(),
        now,
        &key,
        &ip,
        app.config.login_max_failures_per_account,
        app.config.login_max_failures_per_address,
    )
    .await?;
    if let Some(secs) = held {
        let page = login_page(
            &app,
            &email_in,
            &next,
            Errors::general(held_message(secs)),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
        return Ok(with_retry_after(page, secs));
    }
    let user = match &parsed {
        Some(e) => users::by_email(&mut app.db.read().await?.h(), e.as_str()).await?,
        None => None,
    };
    let stored = user.as_ref().map_or_else(
        || password::DUMMY_HASH.to_string(),
        |u| u.password_hash.clone(),
    );
    let verified = password::verify(f.get("password"), stored).await;
    let Some(user) = user.filter(|u| verified && u.is_active()) else {
        let mut tx = app.db.begin().await?;
        throttle::note(&mut tx.h(), now, &key, &ip, false).await?;
        tx.commit().await?;
        return Ok(login_page(
            &app,
            &email_in,
            &next,
            Errors::general("Email or password is wrong"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    };
    let needs_mfa = user.totp_enabled;
    let actor = crate::audit_log::Actor::user(&user.id, &user.email);
    let mut tx = app.db.begin().await?;
    if let Some(old) = &old_session {
        sessions::delete(&mut tx.h(), old).await?;
    }
    throttle::note(&mut tx.h(), now, &key, &ip, true).await?;
    let (token, _) = sessions::create(
        &mut tx.h(),
        now,
        &user.id,
        !needs_mfa,
        app.config.session_absolute_hours,
        Some(ip.clone()),
    )
    .await?;
    if needs_mfa {
        record(
            &mut tx,
            now,
            &actor,
            Change::new("session.sign_in", "user", Some(&user.id))
                .after(&serde_json::json!({ "ip": ip, "second_factor": "pending" })),
        )
        .await?;
    } else {
        users::update(
            &mut tx,
            now,
            &actor,
            &user.id,
            "session.sign_in",
            vec![("last_login_at", now.to_db().into())],
        )
        .await?;
    }
    tx.commit().await?;
    let to = if needs_mfa {
        format!("/login/mfa?next={}", url_escape(&next))
    } else {
        next
    };
    let cookie = sessions::cookie(
        &token,
        app.config.secure_cookies,
        app.config.session_absolute_hours * 3600,
    );
    Ok(with_cookie(see_other(&to), &cookie))
}

#[derive(Template)]
#[template(path = "access/login_mfa.html")]
struct MfaLoginPage {
    c: Chrome,
    next: String,
    errors: Errors,
}

async fn mfa_login_page(
    app: &AppState,
    p: &PendingMfa,
    next: &str,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let c = chrome(
        app,
        None,
        Some(p),
        "/login/mfa",
        "Two-factor authentication",
    )
    .await;
    render(
        status,
        &MfaLoginPage {
            c,
            next: next.to_string(),
            errors,
        },
    )
}

/// `GET /login/mfa`.
async fn mfa_form(
    State(app): State<AppState>,
    pending: Option<Extension<PendingMfa>>,
    Query(q): Params,
) -> PageResult {
    let Some(Extension(p)) = pending else {
        return Ok(see_other("/login"));
    };
    let next = local_next(&param(&q, "next").unwrap_or_default());
    Ok(mfa_login_page(&app, &p, &next, Errors::none(), StatusCode::OK).await)
}

/// `POST /login/mfa`: the second factor.
async fn mfa_login(State(app): State<AppState>, req: Request) -> PageResult {
    let ip = client_ip(&req);
    let pending = req.extensions().get::<PendingMfa>().cloned();
    let f = FormData::from_request(req, &app).await?;
    let Some(p) = pending else {
        return Ok(see_other("/login"));
    };
    let next = local_next(&f.get("next"));
    let now = app.clock.now();
    let held = throttle::held_for(
        &mut app.db.read().await?.h(),
        now,
        &p.user.email,
        &ip,
        app.config.login_max_failures_per_account,
        app.config.login_max_failures_per_address,
    )
    .await?;
    if let Some(secs) = held {
        let page = mfa_login_page(
            &app,
            &p,
            &next,
            Errors::general(held_message(secs)),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
        return Ok(with_retry_after(page, secs));
    }
    let mut tx = app.db.begin().await?;
    if !mfa::verify_login(&mut tx, now, &p.user, &f.get("code")).await? {
        throttle::note(&mut tx.h(), now, &p.user.email, &ip, false).await?;
        tx.commit().await?;
        return Ok(mfa_login_page(
            &app,
            &p,
            &next,
            Errors::field(
                "code",
                "is wrong or was already used; type the current code from your app, or an unused recovery code",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    }
    let token = sessions::pass_mfa(&mut tx.h(), now, &p.session).await?;
    throttle::note(&mut tx.h(), now, &p.user.email, &ip, true).await?;
    tx.commit().await?;
    let remaining = Timestamp::parse(&p.session.expires_at)
        .map_or(app.config.session_absolute_hours * 3600, |t| {
            (t.unix() - now.unix()).max(1)
        });
    let cookie = sessions::cookie(&token, app.config.secure_cookies, remaining);
    Ok(with_cookie(see_other(&next), &cookie))
}

/// `POST /logout`.
async fn logout(State(app): State<AppState>, Extension(id): Extension<Identity>) -> PageResult {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    if let Some(s) = id.session() {
        sessions::delete(&mut tx.h(), &s.id).await?;
    }
    record(
        &mut tx,
        now,
        &id.actor(),
        Change::new("session.sign_out", "user", Some(&id.user.id)),
    )
    .await?;
    tx.commit().await?;
    Ok(with_cookie(
        see_other("/login"),
        &sessions::clear_cookie(app.config.secure_cookies),
    ))
}

// ---------------------------------------------------------------------------------------------
// Profile

/// A user as pages show them.
#[derive(Debug, Clone)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub role_id: &'static str,
    pub active: bool,
    pub mfa: bool,
    pub must_change_password: bool,
    pub created: String,
    pub last_login: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.label(),
            role_id: u.role.as_str(),
            active: u.status == users::STATUS_ACTIVE,
            mfa: u.mfa_enabled,
            must_change_password: u.must_change_password,
            created: when(&u.created_at),
            last_login: when_opt(u.last_login_at.as_deref(), "never"),
        }
    }
}

#[derive(Template)]
#[template(path = "access/profile.html")]
struct ProfilePage {
    c: Chrome,
    u: UserView,
}

/// `GET /profile`.
async fn profile(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Params,
) -> PageResult {
    let mut c = chrome(&app, Some(&id), None, "/profile", "Your profile").await;
    c.notice = notice(q.get("done").map(String::as_str));
    Ok(render(
        StatusCode::OK,
        &ProfilePage {
            c,
            u: UserView::from(&id.user.user()),
        },
    ))
}

#[derive(Template)]
#[template(path = "access/password.html")]
struct PasswordPage {
    c: Chrome,
    must_change: bool,
    errors: Errors,
}

async fn password_page(
    app: &AppState,
    id: &Identity,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let c = chrome(
        app,
        Some(id),
        None,
        "/profile/password",
        "Change your password",
    )
    .await;
    render(
        status,
        &PasswordPage {
            c,
            must_change: id.user.must_change_password,
            errors,
        },
    )
}

/// `GET /profile/password`.
async fn password_form(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
) -> PageResult {
    Ok(password_page(&app, &id, Errors::none(), StatusCode::OK).await)
}

/// `POST /profile/password`.
async fn password_change(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let change = PasswordChange {
        current_password: f.get("current_password"),
        new_password: f.get("new_password"),
    };
    if change.new_password != f.get("new_password_confirm") {
        return Ok(password_page(
            &app,
            &id,
            Errors::field("new_password_confirm", "does not match the new password"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    }
    match super::api::change_password_action(&app, &id, &change).await {
        Ok(()) => Ok(see_other("/profile?done=password")),
        Err(e) => {
            let errors = Errors::from_app(e, &["current_password", "new_password"])?;
            Ok(password_page(&app, &id, errors, StatusCode::UNPROCESSABLE_ENTITY).await)
        }
    }
}

#[derive(Template)]
#[template(path = "access/mfa.html")]
struct MfaPage {
    c: Chrome,
    enabled: bool,
    required: bool,
    errors: Errors,
}

async fn mfa_page(
    app: &AppState,
    id: &Identity,
    notice_code: Option<&str>,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let required = app
        .settings
        .get(&app.db, app.clock.now())
        .await?
        .mfa_required_roles
        .contains(&id.role());
    let mut c = chrome(
        app,
        Some(id),
        None,
        "/profile/mfa",
        "Two-factor authentication",
    )
    .await;
    c.notice = notice(notice_code);
    Ok(render(
        status,
        &MfaPage {
            c,
            enabled: id.user.totp_enabled,
            required,
            errors,
        },
    ))
}

/// `GET /profile/mfa`.
async fn mfa_status(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Params,
) -> PageResult {
    mfa_page(
        &app,
        &id,
        q.get("done").map(String::as_str),
        Errors::none(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template)]
#[template(path = "access/mfa_enrol.html")]
struct MfaEnrolPage {
    c: Chrome,
    secret: String,
    secret_grouped: String,
    qr_svg: String,
    errors: Errors,
}

/// An `otpauth://` URL as an inline SVG QR code (no `<?xml …?>` prologue, no inline styles).
fn qr_svg(url: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| anyhow::anyhow!("building the QR code: {e}"))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR code for your authenticator app\" class=\"qr\"",
        1,
    ))
}

fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn enrol_page(
    app: &AppState,
    id: &Identity,
    secret: &str,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let url = bulwark_core::mfa::provisioning_url(secret, mfa::ISSUER, &id.user.email)
        .ok_or_else(|| anyhow::anyhow!("could not build the provisioning URL"))?;
    let c = chrome(
        app,
        Some(id),
        None,
        "/profile/mfa",
        "Set up two-factor authentication",
    )
    .await;
    Ok(render(
        status,
        &MfaEnrolPage {
            c,
            secret: secret.to_string(),
            secret_grouped: grouped(secret),
            qr_svg: qr_svg(&url)?,
            errors,
        },
    ))
}

/// `POST /profile/mfa/start`.
async fn mfa_start(State(app): State<AppState>, Extension(id): Extension<Identity>) -> PageResult {
    match mfa::start(&app, &id).await {
        Ok(e) => enrol_page(&app, &id, &e.secret, Errors::none(), StatusCode::OK).await,
        Err(e) => {
            let errors = Errors::from_app(e, &[])?;
            mfa_page(&app, &id, None, errors, StatusCode::CONFLICT).await
        }
    }
}

#[derive(Template)]
#[template(path = "access/mfa_codes.html")]
struct MfaCodesPage {
    c: Chrome,
    codes: Vec<String>,
}

/// `POST /profile/mfa/activate`.
async fn mfa_activate(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    match mfa::activate(&app, &id, &f.get("code")).await {
        Ok(codes) => {
            // The request's copy of the account still says MFA is off.
            let mut now_on = id.clone();
            now_on.user.totp_enabled = true;
            let c = chrome(
                &app,
                Some(&now_on),
                None,
                "/profile/mfa",
                "Your recovery codes",
            )
            .await;
            Ok(render(
                StatusCode::OK,
                &MfaCodesPage {
                    c,
                    codes: codes.recovery_codes,
                },
            ))
        }
        Err(AppError::Invalid(errs)) => match id.user.totp_secret.clone() {
            Some(secret) => {
                let errors = Errors::from_app(AppError::Invalid(errs), &["code"])?;
                enrol_page(&app, &id, &secret, errors, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => Ok(see_other("/profile/mfa")),
        },
        Err(e) => {
            let errors = Errors::from_app(e, &[])?;
            mfa_page(&app, &id, None, errors, StatusCode::CONFLICT).await
        }
    }
}

/// `POST /profile/mfa/remove`.
async fn mfa_remove(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    match mfa::remove(&app, &id, &f.get("password")).await {
        Ok(()) => Ok(see_other("/profile/mfa?done=mfa_removed")),
        Err(e) => {
            let status = e.status();
            let errors = Errors::from_app(e, &["password"])?;
            mfa_page(&app, &id, None, errors, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// API tokens

/// A token as the page lists it.
#[derive(Debug)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    /// "active", "expired" or "revoked".
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "access/tokens.html")]
struct TokensPage {
    c: Chrome,
    tokens: Vec<TokenView>,
    name: String,
    days: String,
    errors: Errors,
}

async fn tokens_view(
    app: &AppState,
    id: &Identity,
    name: &str,
    days: &str,
    notice_code: Option<&str>,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let now = app.clock.now().to_db();
    let list = tokens::list_for(&mut app.db.read().await?.h(), &id.user.id).await?;
    let tokens = list
        .iter()
        .map(|t| TokenView {
            id: t.id.clone(),
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created: when(&t.created_at),
            expires: when_opt(t.expires_at.as_deref(), "never"),
            last_used: when_opt(t.last_used_at.as_deref(), "never"),
            state: if t.revoked_at.is_some() {
                "revoked"
            } else if t.expires_at.as_deref().is_some_and(|e| e <= now.as_str()) {
                "expired"
            } else {
                "active"
            },
        })
        .collect();
    let mut c = chrome(app, Some(id), None, "/profile/tokens", "API tokens").await;
    c.notice = notice(notice_code);
    Ok(render(
        status,
        &TokensPage {
            c,
            tokens,
            name: name.to_string(),
            days: days.to_string(),
            errors,
        },
    ))
}

/// `GET /profile/tokens`.
async fn tokens_page(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Params,
) -> PageResult {
    tokens_view(
        &app,
        &id,
        "",
        "90",
        q.get("done").map(String::as_str),
        Errors::none(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template)]
#[template(path = "access/token_created.html")]
struct TokenCreatedPage {
    c: Chrome,
    name: String,
    secret: String,
    expires: String,
}

/// `POST /profile/tokens`.
async fn token_create(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let name = f.get("name");
    let days_in = f.get("expires_days");
    let fail = |errors| {
        tokens_view(
            &app,
            &id,
            &name,
            &days_in,
            None,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let days = match days_in.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return fail(Errors::field(
                    "expires_days",
                    "must be a whole number of days",
                ))
                .await;
            }
        },
    };
    let mut tx = app.db.begin().await?;
    let created = tokens::create(
        &mut tx,
        app.clock.now(),
        &id.actor(),
        &id.user.id,
        &NewToken {
            name: name.clone(),
            expires_days: days,
        },
    )
    .await;
    match created {
        Ok(t) => {
            tx.commit().await?;
            let c = chrome(&app, Some(&id), None, "/profile/tokens", "Token created").await;
            Ok(render(
                StatusCode::OK,
                &TokenCreatedPage {
                    c,
                    name: t.token.name.clone(),
                    secret: t.secret,
                    expires: when_opt(t.token.expires_at.as_deref(), "never"),
                },
            ))
        }
        Err(e) => {
            drop(tx);
            let errors = Errors::from_app(e, &["name", "expires_days"])?;
            fail(errors).await
        }
    }
}

/// `POST /profile/tokens/{id}/revoke`.
async fn token_revoke(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(tid): Path<String>,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    tokens::revoke(&mut tx, app.clock.now(), &id.actor(), &id.user.id, &tid).await?;
    tx.commit().await?;
    Ok(see_other("/profile/tokens?done=token_revoked"))
}

// ---------------------------------------------------------------------------------------------
// User administration

/// A choice in a select list.
#[derive(Debug)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

fn role_choices() -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str(),
            label: r.label(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "access/users.html")]
struct UsersPage {
    c: Chrome,
    rows: Vec<UserView>,
    q: String,
    role: String,
    status: String,
    roles: Vec<Choice>,
    next: Option<String>,
    first_page: bool,
    can_manage: bool,
}

const USERS_PAGE: u64 = 50;

/// `GET /users`.
async fn users_list(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Params,
) -> PageResult {
    let text = param(&q, "q");
    let role_in = param(&q, "role");
    let status_in =
        param(&q, "status").filter(|s| s == users::STATUS_ACTIVE || s == users::STATUS_DISABLED);
    let role = match &role_in {
        Some(r) => Some(Role::parse(r).ok_or_else(|| AppError::field("role", "is not a role"))?),
        None => None,
    };
    let after = crate::platform::http::page::after(param(&q, "cursor").as_deref())?;
    let first_page = after.is_none();
    let filter = UserFilter {
        role,
        status: status_in.clone(),
        q: text.clone(),
    };
    let mut rows = users::list(&app.db, &filter, UserSort::Email, after, USERS_PAGE + 1).await?;
    let more = rows.len() as u64 > USERS_PAGE;
    rows.truncate(USERS_PAGE as usize);
    let next = match rows.last() {
        Some(last) if more => {
            let cursor = Cursor {
                key: UserSort::Email.key(last),
                id: last.id.clone(),
            }
            .encode();
            let mut href = format!("/users?cursor={}", url_escape(&cursor));
            for (k, v) in [("q", &text), ("role", &role_in), ("status", &status_in)] {
                if let Some(v) = v {
                    href.push_str(&format!("&{k}={}", url_escape(v)));
                }
            }
            Some(href)
        }
        _ => None,
    };
    let c = chrome(&app, Some(&id), None, "/users", "Users").await;
    Ok(render(
        StatusCode::OK,
        &UsersPage {
            c,
            rows: rows.iter().map(UserView::from).collect(),
            q: text.unwrap_or_default(),
            role: role_in.unwrap_or_default(),
            status: status_in.unwrap_or_default(),
            roles: role_choices(),
            next,
            first_page,
            can_manage: id.role().can(Permission::UsersManage),
        },
    ))
}

#[derive(Template)]
#[template(path = "access/user_new.html")]
struct UserNewPage {
    c: Chrome,
    email: String,
    name: String,
    role: String,
    roles: Vec<Choice>,
    errors: Errors,
}

async fn user_new_page(
    app: &AppState,
    id: &Identity,
    f: &FormData,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let c = chrome(app, Some(id), None, "/users/new", "New user").await;
    let role = f.get("role");
    render(
        status,
        &UserNewPage {
            c,
            email: f.get("email"),
            name: f.get("name"),
            role: if role.is_empty() {
                Role::Staff.as_str().into()
            } else {
                role
            },
            roles: role_choices(),
            errors,
        },
    )
}

/// `GET /users/new`.
async fn user_new(State(app): State<AppState>, Extension(id): Extension<Identity>) -> PageResult {
    Ok(user_new_page(
        &app,
        &id,
        &FormData::default(),
        Errors::none(),
        StatusCode::OK,
    )
    .await)
}

#[derive(Template)]
#[template(path = "access/user_secret.html")]
struct UserSecretPage {
    c: Chrome,
    u: UserView,
    heading: &'static str,
    intro: &'static str,
    password: String,
}

/// `POST /users`.
async fn user_create(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let n = NewUser {
        email: f.get("email"),
        name: f.get("name"),
        role: f.get("role"),
        password: None,
    };
    match create_user_action(&app, &id, n).await {
        Ok(created) => {
            let c = chrome(&app, Some(&id), None, "/users", "User created").await;
            Ok(render(
                StatusCode::OK,
                &UserSecretPage {
                    c,
                    u: UserView::from(&created.user),
                    heading: "User created",
                    intro: "Give this temporary password to the person in a safe way. It is shown only now; they will choose their own when they first sign in.",
                    password: created.temporary_password.unwrap_or_default(),
                },
            ))
        }
        Err(e) => {
            let errors = match e {
                AppError::Conflict(m) => Errors::field("email", m),
                e => Errors::from_app(e, &["email", "name", "role"])?,
            };
            Ok(user_new_page(&app, &id, &f, errors, StatusCode::UNPROCESSABLE_ENTITY).await)
        }
    }
}

#[derive(Template)]
#[template(path = "access/user.html")]
struct UserPage {
    c: Chrome,
    u: UserView,
    name: String,
    role: String,
    status: String,
    roles: Vec<Choice>,
    can_manage: bool,
    can_audit: bool,
    errors: Errors,
}

async fn user_view(
    app: &AppState,
    id: &Identity,
    uid: &str,
    form: Option<&FormData>,
    notice_code: Option<&str>,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let u = users::by_id(&mut app.db.read().await?.h(), uid)
        .await?
        .ok_or(AppError::NotFound)?
        .user();
    let path = format!("/users/{uid}");
    let mut c = chrome(app, Some(id), None, &path, u.name.clone()).await;
    c.notice = notice(notice_code);
    let pick = |k: &str, dflt: String| form.map_or(dflt, |f| f.get(k));
    Ok(render(
        status,
        &UserPage {
            c,
            name: pick("name", u.name.clone()),
            role: pick("role", u.role.as_str().to_string()),
            status: pick("status", u.status.clone()),
            u: UserView::from(&u),
            roles: role_choices(),
            can_manage: id.role().can(Permission::UsersManage),
            can_audit: id.role().can(Permission::AuditTrailRead),
            errors,
        },
    ))
}

/// `GET /users/{id}`.
async fn user_page(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(uid): Path<String>,
    Query(q): Params,
) -> PageResult {
    user_view(
        &app,
        &id,
        &uid,
        None,
        q.get("done").map(String::as_str),
        Errors::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /users/{id}`: name, role, status.
async fn user_update(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(uid): Path<String>,
    f: FormData,
) -> PageResult {
    let current = users::by_id(&mut app.db.read().await?.h(), &uid)
        .await?
        .ok_or(AppError::NotFound)?;
    let changed = |k: &str, now: &str| {
        let v = f.get(k);
        (v != now).then_some(v)
    };
    let p = UserPatch {
        name: changed("name", &current.name),
        role: changed("role", &current.role),
        status: changed("status", &current.status),
    };
    if p.name.is_none() && p.role.is_none() && p.status.is_none() {
        return Ok(see_other(&format!("/users/{uid}?done=unchanged")));
    }
    let mut tx = app.db.begin().await?;
    match users::patch(&mut tx, app.clock.now(), &id.actor(), &uid, &p).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(see_other(&format!("/users/{uid}?done=saved")))
        }
        Err(e) => {
            drop(tx);
            let errors = Errors::from_app(e, &["name", "role", "status"])?;
            user_view(
                &app,
                &id,
                &uid,
                Some(&f),
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /users/{id}/reset-password`.
async fn user_reset(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(uid): Path<String>,
) -> PageResult {
    let reset = reset_password_action(&app, &id.actor(), &uid).await?;
    let u = users::by_id(&mut app.db.read().await?.h(), &uid)
        .await?
        .ok_or(AppError::NotFound)?
        .user();
    let c = chrome(&app, Some(&id), None, "/users", "Password reset").await;
    Ok(render(
        StatusCode::OK,
        &UserSecretPage {
            c,
            u: UserView::from(&u),
            heading: "Password reset",
            intro: "Their sessions were signed out and a notice was queued to their email. Give them this temporary password in a safe way; it is shown only now, and they will choose their own at next sign-in.",
            password: reset.temporary_password,
        },
    ))
}
