//! Who is calling: resolved once per request from a bearer token or the session cookie, then
//! checked against CSRF rules for state-changing requests.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bulwark_core::Role;

use super::sessions::{self, SessionRow};
use super::tokens::{self, TokenCache};
use super::users::{self, UserRow};
use crate::app::AppState;
use crate::audit_log::Actor;
use crate::platform::http::error::AppError;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session (cookie).
    Session(SessionRow),
    /// A personal API token.
    Token { token_id: String },
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: UserRow,
    pub via: Via,
}

impl Identity {
    /// The caller's role.
    pub fn role(&self) -> Role {
        Role::parse(&self.user.role).unwrap_or(Role::Staff)
    }

    /// The caller as an audit actor.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user.id, &self.user.email)
    }

    /// The CSRF token of the session, for forms.
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session(s) => &s.csrf_token,
            Via::Token { .. } => "",
        }
    }

    /// The session, when signed in through the browser.
    pub fn session(&self) -> Option<&SessionRow> {
        match &self.via {
            Via::Session(s) => Some(s),
            Via::Token { .. } => None,
        }
    }
}

/// A browser session that passed the password but not yet the second factor.
#[derive(Debug, Clone)]
pub struct PendingMfa {
    pub user: UserRow,
    pub session: SessionRow,
}

/// The form field and header that carry the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The source address: the socket peer (a reverse proxy's `X-Forwarded-For` is not trusted).
pub fn client_ip(req: &Request) -> String {
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".into(), |c| c.0.ip().to_string())
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The state of [`resolve`]: the application and this server's cache of token look-ups.
#[derive(Debug, Clone)]
pub struct Resolver {
    app: AppState,
    tokens: Arc<TokenCache>,
}

impl Resolver {
    /// A resolver with an empty token cache.
    pub fn new(app: AppState) -> Self {
        Resolver {
            app,
            tokens: Arc::default(),
        }
    }
}

/// Resolves the caller, enforces CSRF on state-changing browser requests, and puts the
/// [`Identity`] (or [`PendingMfa`]) and the state into the request's extensions.
pub async fn resolve(
    State(Resolver { app, tokens }): State<Resolver>,
    mut req: Request,
    next: Next,
) -> Response {
    match resolve_inner(&app, &tokens, &mut req).await {
        Ok(()) => {}
        Err(e) => return e.into_response(),
    }
    if unsafe_method(req.method()) {
        // Cross-site browsers send Origin; refuse writes from other origins outright.
        if let (Some(origin), Some(host)) = (
            req.headers().get(header::ORIGIN),
            req.headers().get(header::HOST),
        ) && let (Ok(o), Ok(h)) = (origin.to_str(), host.to_str())
            && o != "null"
            && o.split("://").nth(1) != Some(h)
        {
            return AppError::Forbidden("cross-origin request refused".into()).into_response();
        }
        let session_csrf = match (
            req.extensions().get::<Identity>(),
            req.extensions().get::<PendingMfa>(),
        ) {
            (Some(id), _) => id.session().map(|s| s.csrf_token.clone()),
            (None, Some(p)) => Some(p.session.csrf_token.clone()),
            _ => None,
        };
        if let Some(expected) = session_csrf {
            match check_csrf(req, &expected, app.config.max_body_bytes).await {
                Ok(r) => req = r,
                Err(e) => return e.into_response(),
            }
        }
    }
    req.extensions_mut().insert(app);
    next.run(req).await
}

async fn resolve_inner(
    app: &AppState,
    cache: &TokenCache,
    req: &mut Request,
) -> Result<(), AppError> {
    let now = app.clock.now();
    if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
        let secret = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(AppError::Unauthenticated)?
            .trim()
            .to_string();
        if secret.starts_with(crate::identity::scim::TOKEN_PREFIX) {
            // A system's provisioning token, checked by the SCIM routes themselves.
            return Ok(());
        }
        let (bearer, user) = cache
            .authenticate(&app.db, now, &secret)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if bearer.stale {
            let mut tx = app.db.begin().await?;
            tokens::touch(&mut tx.h(), now, &bearer.token_id).await?;
            tx.commit().await?;
        }
        req.extensions_mut().insert(Identity {
            user,
            via: Via::Token {
                token_id: bearer.token_id,
            },
        });
        return Ok(());
    }
    let Some(token) = cookie_value(req.headers(), sessions::COOKIE)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
    else {
        return Ok(());
    };
    let mut conn = app.db.read().await?;
    let Some(session) =
        sessions::find(&mut conn.h(), now, &token, app.config.session_idle_minutes).await?
    else {
        return Ok(());
    };
    let Some(user) = users::by_id(&mut conn.h(), &session.user_id)
        .await?
        .filter(UserRow::is_active)
    else {
        return Ok(());
    };
    drop(conn);
    if session.last_seen_at < now.plus_seconds(-60).to_db() {
        let mut tx = app.db.begin().await?;
        sessions::touch(&mut tx.h(), now, &session).await?;
        tx.commit().await?;
    }
    if session.mfa_passed {
        req.extensions_mut().insert(Identity {
            user,
            via: Via::Session(session),
        });
    } else {
        req.extensions_mut().insert(PendingMfa { user, session });
    }
    Ok(())
}

/// Checks the CSRF token from the header or, for forms, the body field; returns the request
/// with its body intact.
async fn check_csrf(req: Request, expected: &str, limit: usize) -> Result<Request, AppError> {
    let refused = || {
        AppError::Forbidden(
            "the form's security token is missing or out of date; reload the page and try again"
                .into(),
        )
    };
    if let Some(h) = req.headers().get(CSRF_HEADER) {
        return if h.as_bytes() == expected.as_bytes() {
            Ok(req)
        } else {
            Err(refused())
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        // File uploads stream their body to the importer, so the token comes in the form's
        // action URL instead of a body field (query strings are never logged).
        let ok =
            serde_urlencoded::from_str::<Vec<(String, String)>>(req.uri().query().unwrap_or(""))
                .is_ok_and(|kv| kv.iter().any(|(k, v)| k == CSRF_FIELD && v == expected));
        return if ok { Ok(req) } else { Err(refused()) };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(refused());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| AppError::BadRequest("the form is larger than this server accepts".into()))?;
    let ok = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .is_ok_and(|kv| kv.iter().any(|(k, v)| k == CSRF_FIELD && v == expected));
    if !ok {
        return Err(refused());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}
