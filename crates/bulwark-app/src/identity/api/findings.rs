//! Identity findings, exemptions and segregation-of-duties rules.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Area, Permission};
use serde::Deserialize;

use crate::access::Identity;
use crate::app::AppState;
use crate::identity::findings::{self, FindingFilter, IdentityFinding, KINDS, Refresh, STATUSES};
use crate::identity::rules::{self, IdentityExemption, NewExemption, SodRuleInput, SodRuleView};
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult, Problem};
use crate::platform::http::json::Json;
use crate::platform::http::page::{Page, after, limit, page};
use crate::platform::http::query::Query;

/// The routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Identity));
    let write = Access::Requires(Permission::Write(Area::Identity));
    Routes::default()
        .add(M::GET, "/api/v1/identity/findings", read, list_findings)
        .add(M::GET, "/api/v1/identity/findings/{id}", read, get_finding)
        .add(
            M::POST,
            "/api/v1/identity/findings/refresh",
            write,
            refresh_findings,
        )
        .add(M::GET, "/api/v1/identity/exemptions", read, list_exemptions)
        .add(M::POST, "/api/v1/identity/exemptions", write, add_exemption)
        .add(
            M::DELETE,
            "/api/v1/identity/exemptions/{id}",
            write,
            remove_exemption,
        )
        .add(M::GET, "/api/v1/identity/sod-rules", read, list_sod_rules)
        .add(M::POST, "/api/v1/identity/sod-rules", write, add_sod_rule)
        .add(
            M::PUT,
            "/api/v1/identity/sod-rules/{id}",
            write,
            replace_sod_rule,
        )
        .add(
            M::DELETE,
            "/api/v1/identity/sod-rules/{id}",
            write,
            remove_sod_rule,
        )
}

/// Query of the findings list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindingsQuery {
    /// open (default), resolved, or all.
    pub status: Option<String>,
    /// orphaned, leaver_enabled, dormant, privileged_without_mfa, shared_account or sod_conflict.
    pub kind: Option<String>,
    pub system_id: Option<String>,
    pub person_id: Option<String>,
    pub account_id: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

impl FindingsQuery {
    /// The filter, checked.
    pub fn filter(&self) -> AppResult<FindingFilter> {
        let mut errs = Vec::new();
        let status = match self.status.as_deref().unwrap_or("open") {
            "all" => None,
            s if STATUSES.contains(&s) => Some(s.to_string()),
            _ => {
                errs.push(bulwark_core::validate::FieldError::new(
                    "status",
                    "must be open, resolved or all",
                ));
                None
            }
        };
        if let Some(k) = &self.kind
            && !KINDS.contains(&k.as_str())
        {
            errs.push(bulwark_core::validate::FieldError::new(
                "kind",
                format!("must be one of {}", KINDS.join(", ")),
            ));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok(FindingFilter {
            status,
            kind: given(&self.kind),
            system_id: given(&self.system_id),
            person_id: given(&self.person_id),
            account_id: given(&self.account_id),
        })
    }
}

/// List identity findings (open ones unless asked otherwise), by kind.
#[utoipa::path(get, path = "/api/v1/identity/findings", tag = "identity", params(FindingsQuery),
    responses((status = 200, body = Page<IdentityFinding>), (status = 422, body = Problem)))]
pub async fn list_findings(
    State(app): State<AppState>,
    Query(q): Query<FindingsQuery>,
) -> AppResult<axum::Json<Page<IdentityFinding>>> {
    let lim = limit(q.limit)?;
    let f = q.filter()?;
    let after = after(q.cursor.as_deref())?;
    let rows = findings::list(&mut app.db.read().await?.h(), &f, after, lim + 1).await?;
    Ok(axum::Json(page(rows, lim, |f| {
        Cursor {
            key: f.key.clone(),
            id: f.id.clone(),
        }
        .encode()
    })))
}

/// Get one finding.
#[utoipa::path(get, path = "/api/v1/identity/findings/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 200, body = IdentityFinding), (status = 404, body = Problem)))]
pub async fn get_finding(
    State(app): State<AppState>,
    Path(fid): Path<String>,
) -> AppResult<axum::Json<IdentityFinding>> {
    findings::by_id(&mut app.db.read().await?.h(), &fid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Re-evaluate every identity finding now (imports and changes do it themselves; this is for a
/// new day: dormancy and leave dates move with time).
#[utoipa::path(post, path = "/api/v1/identity/findings/refresh", tag = "identity",
    responses((status = 200, body = Refresh)))]
pub async fn refresh_findings(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
) -> AppResult<axum::Json<Refresh>> {
    let settings = crate::settings::load(&app.db).await?;
    Ok(axum::Json(
        findings::refresh_now(&app.db, app.clock.now(), &id.actor(), &settings).await?,
    ))
}

/// Every exemption, soonest expiry first.
#[utoipa::path(get, path = "/api/v1/identity/exemptions", tag = "identity",
    responses((status = 200, body = Vec<IdentityExemption>)))]
pub async fn list_exemptions(
    State(app): State<AppState>,
) -> AppResult<axum::Json<Vec<IdentityExemption>>> {
    Ok(axum::Json(
        rules::exemptions(&mut app.db.read().await?.h()).await?,
    ))
}

/// Accept an exception on one account (a break-glass account that is rarely used, say): a reason
/// and an expiry within a year are required. The finding it covers closes at once and comes back
/// when the exemption expires.
#[utoipa::path(post, path = "/api/v1/identity/exemptions", tag = "identity", request_body = NewExemption,
    responses((status = 201, body = IdentityExemption), (status = 422, body = Problem)))]
pub async fn add_exemption(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(n): Json<NewExemption>,
) -> AppResult<(StatusCode, axum::Json<IdentityExemption>)> {
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    let e = rules::add_exemption(&mut tx, app.clock.now(), &id.actor(), &settings, &n).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(e)))
}

/// Withdraw an exemption.
#[utoipa::path(delete, path = "/api/v1/identity/exemptions/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_exemption(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(eid): Path<String>,
) -> AppResult<StatusCode> {
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    rules::remove_exemption(&mut tx, app.clock.now(), &id.actor(), &settings, &eid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every segregation-of-duties rule, by name.
#[utoipa::path(get, path = "/api/v1/identity/sod-rules", tag = "identity",
    responses((status = 200, body = Vec<SodRuleView>)))]
pub async fn list_sod_rules(
    State(app): State<AppState>,
) -> AppResult<axum::Json<Vec<SodRuleView>>> {
    Ok(axum::Json(
        rules::sod_rules(&mut app.db.read().await?.h()).await?,
    ))
}

/// Add a rule "nobody may hold both X and Y" (groups or entitlements, on one system, on two
/// systems, or on any system).
#[utoipa::path(post, path = "/api/v1/identity/sod-rules", tag = "identity", request_body = SodRuleInput,
    responses((status = 201, body = SodRuleView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_sod_rule(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(r): Json<SodRuleInput>,
) -> AppResult<(StatusCode, axum::Json<SodRuleView>)> {
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    let v =
        rules::save_sod_rule(&mut tx, app.clock.now(), &id.actor(), &settings, None, &r).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(v)))
}

/// Replace a rule.
#[utoipa::path(put, path = "/api/v1/identity/sod-rules/{id}", tag = "identity", params(("id" = String, Path)), request_body = SodRuleInput,
    responses((status = 200, body = SodRuleView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn replace_sod_rule(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    Json(r): Json<SodRuleInput>,
) -> AppResult<axum::Json<SodRuleView>> {
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    let v = rules::save_sod_rule(
        &mut tx,
        app.clock.now(),
        &id.actor(),
        &settings,
        Some(&rid),
        &r,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(v))
}

/// Remove a rule (its conflicts close).
#[utoipa::path(delete, path = "/api/v1/identity/sod-rules/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_sod_rule(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
) -> AppResult<StatusCode> {
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    rules::remove_sod_rule(&mut tx, app.clock.now(), &id.actor(), &settings, &rid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
