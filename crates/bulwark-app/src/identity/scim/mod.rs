//! The SCIM 2.0 provisioning endpoint (RFC 7643/7644) under `/scim/v2/`: identity providers
//! (Entra ID, Okta, Google…) push a system's Users and Groups here, authenticated by a bearer
//! token issued for that system. Users are the system's accounts; a Group's members are the
//! accounts that hold it. Every write is audited and schedules a re-evaluation of the findings.

pub mod discovery;
pub mod groups;
pub mod tokens;
pub mod users;

use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bulwark_core::{Access, Timestamp};
use bulwark_identity::scim::ScimError;
use serde_json::Value;

use crate::app::AppState;
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Tx};
use crate::platform::http::Routes;
use crate::platform::http::error::AppError;

/// Every SCIM token starts with this, so the sign-in layer can tell it from a user's token.
pub const TOKEN_PREFIX: &str = "bws_";

/// The media type of SCIM bodies.
pub const MEDIA_TYPE: &str = "application/scim+json";

/// The routes (discovery, Users, Groups), all for provisioning tokens only.
pub fn routes() -> Routes {
    use Method as M;
    let p = Access::Provisioning;
    Routes::default()
        .add(
            M::GET,
            "/scim/v2/ServiceProviderConfig",
            p,
            discovery::service_provider_config,
        )
        .add(
            M::GET,
            "/scim/v2/ResourceTypes",
            p,
            discovery::resource_types,
        )
        .add(M::GET, "/scim/v2/Schemas", p, discovery::schemas)
        .add(M::GET, "/scim/v2/Users", p, users::list)
        .add(M::POST, "/scim/v2/Users", p, users::create)
        .add(M::GET, "/scim/v2/Users/{id}", p, users::get)
        .add(M::PUT, "/scim/v2/Users/{id}", p, users::replace)
        .add(M::PATCH, "/scim/v2/Users/{id}", p, users::patch)
        .add(M::DELETE, "/scim/v2/Users/{id}", p, users::delete)
        .add(M::GET, "/scim/v2/Groups", p, groups::list)
        .add(M::POST, "/scim/v2/Groups", p, groups::create)
        .add(M::GET, "/scim/v2/Groups/{id}", p, groups::get)
        .add(M::PUT, "/scim/v2/Groups/{id}", p, groups::replace)
        .add(M::PATCH, "/scim/v2/Groups/{id}", p, groups::patch)
        .add(M::DELETE, "/scim/v2/Groups/{id}", p, groups::delete)
}

/// A SCIM answer: a resource, a list, no content, or an RFC 7644 error.
pub enum Scim {
    /// A JSON body with a status.
    Body(StatusCode, Value),
    /// 204.
    NoContent,
    /// An error in the SCIM error schema.
    Error(ScimError),
}

/// What the SCIM handlers return.
pub type ScimResult = Result<Scim, Scim>;

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Scim::NoContent => return StatusCode::NO_CONTENT.into_response(),
            Scim::Body(s, v) => (s, v),
            Scim::Error(e) => (
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
                e.to_json(),
            ),
        };
        let mut r = (status, body.to_string()).into_response();
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<ScimError> for Scim {
    fn from(e: ScimError) -> Scim {
        Scim::Error(e)
    }
}

fn error(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Scim {
    Scim::Error(ScimError {
        status,
        scim_type,
        detail: detail.into(),
    })
}

impl From<AppError> for Scim {
    fn from(e: AppError) -> Scim {
        match e {
            AppError::NotFound => error(404, None, "no such resource"),
            AppError::Conflict(m) => error(409, Some("uniqueness"), m),
            AppError::Invalid(errs) => error(
                400,
                Some("invalidValue"),
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            e => {
                tracing::error!(error = %e, "SCIM request failed");
                error(500, None, "the server could not complete the request")
            }
        }
    }
}

impl From<DbError> for Scim {
    fn from(e: DbError) -> Scim {
        AppError::from(e).into()
    }
}

/// The system a request provisions, from its bearer token, and who to name in the audit trail.
pub struct Provisioner {
    pub system_id: String,
    pub actor: Actor,
}

/// Checks the bearer token: 401 in the SCIM error schema when missing or not a live token.
pub async fn provisioner(app: &AppState, headers: &HeaderMap) -> Result<Provisioner, Scim> {
    let secret = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|s| s.starts_with(TOKEN_PREFIX))
        .ok_or_else(|| error(401, None, "a SCIM bearer token is required"))?;
    let now = app.clock.now();
    let found = tokens::authenticate(&app.db, now, secret)
        .await?
        .ok_or_else(|| error(401, None, "the SCIM token is not valid"))?;
    Ok(Provisioner {
        actor: Actor {
            id: None,
            label: format!("scim:{}", found.system_name),
        },
        system_id: found.system_id,
    })
}

/// Records a provisioning change, checks access-review revocations on the system against it,
/// and schedules the findings' re-evaluation.
async fn recorded(
    tx: &mut Tx,
    now: Timestamp,
    who: &Provisioner,
    change: Change,
) -> Result<(), Scim> {
    record(tx, now, &who.actor, change).await?;
    crate::identity::reviews::verify_revocations(tx, now, &who.actor, &who.system_id).await?;
    schedule_refresh(tx, now).await?;
    Ok(())
}

/// The kind of the job that re-evaluates findings after provisioning.
pub const REFRESH_JOB: &str = "identity.findings.refresh";

/// Queues one re-evaluation of the findings (unless one is already waiting): providers send
/// bursts of single changes, and one evaluation after the burst answers for all of them.
pub async fn schedule_refresh(tx: &mut Tx, now: Timestamp) -> Result<(), DbError> {
    if !crate::platform::jobs::is_queued(&mut tx.h(), REFRESH_JOB).await? {
        crate::platform::jobs::enqueue(tx, now, REFRESH_JOB, &serde_json::json!({}), None).await?;
    }
    Ok(())
}

/// The SCIM base URL identity providers are given.
pub fn base_url(app: &AppState) -> String {
    format!("{}/scim/v2", app.config.public_url.trim_end_matches('/'))
}

/// The absolute URL of a resource, for `meta.location`.
fn location(app: &AppState, kind: &str, id: &str) -> String {
    format!("{}/{kind}/{id}", base_url(app))
}

/// `startIndex` and `count` of a list request (RFC 7644 §3.4.2.4), clamped.
fn window(start_index: Option<i64>, count: Option<i64>) -> (u64, u64) {
    let start = start_index.unwrap_or(1).max(1) as u64;
    let count = count.unwrap_or(100).clamp(0, 1000) as u64;
    (start, count)
}

/// Parses a request body as JSON, or the RFC 7644 `invalidSyntax` error.
fn body(bytes: &[u8]) -> Result<Value, Scim> {
    serde_json::from_slice(bytes).map_err(|e| {
        error(
            400,
            Some("invalidSyntax"),
            format!("the body is not JSON: {e}"),
        )
    })
}
