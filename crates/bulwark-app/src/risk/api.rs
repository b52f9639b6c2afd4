//! The risk register's API: risks and their scores, controls links, action plans and
//! acceptances; matrices, the threat catalogue, controls and appetite; heat maps as SVG.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bulwark_core::cursor::Cursor;
use bulwark_core::validate::FieldError;
use bulwark_core::{Access, Area, Permission};
use serde::Deserialize;

use super::appetite::{self, AppetiteInput, CategoryAppetite};
use super::assessments::{self, Assessment, AssessmentInput};
use super::controls::{self, Control, ControlInput};
use super::matrices::{self, MatrixInput, RiskMatrix};
use super::register::{self, Risk, RiskFilter, RiskInput};
use super::threats::{self, Threat, ThreatInput};
use super::treatment::{self, Acceptance, AcceptanceInput, ActionInput, Approver, RiskAction};
use super::{ASSESSMENT_KINDS, CATEGORIES, STATUSES, TREATMENTS, check_choice};
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult, Problem};
use crate::platform::http::json::Json;
use crate::platform::http::page::{Page, after, limit, page};
use crate::platform::http::query::Query;

/// The routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Risk));
    let write = Access::Requires(Permission::Write(Area::Risk));
    let accept = Access::Requires(Permission::AcceptRisk);
    Routes::default()
        .add(M::GET, "/api/v1/risks", read, list_risks)
        .add(M::POST, "/api/v1/risks", write, create_risk)
        .add(M::GET, "/api/v1/risks/heatmap", read, heatmap)
        .add(M::GET, "/api/v1/risks/{id}", read, get_risk)
        .add(M::PATCH, "/api/v1/risks/{id}", write, update_risk)
        .add(M::DELETE, "/api/v1/risks/{id}", write, delete_risk)
        .add(
            M::GET,
            "/api/v1/risks/{id}/assessments",
            read,
            list_assessments,
        )
        .add(M::POST, "/api/v1/risks/{id}/assessments", write, assess)
        .add(
            M::PUT,
            "/api/v1/risks/{id}/controls/{control_id}",
            write,
            link_control,
        )
        .add(
            M::DELETE,
            "/api/v1/risks/{id}/controls/{control_id}",
            write,
            unlink_control,
        )
        .add(M::GET, "/api/v1/risks/{id}/actions", read, list_actions)
        .add(M::POST, "/api/v1/risks/{id}/actions", write, add_action)
        .add(M::PATCH, "/api/v1/risk-actions/{id}", write, update_action)
        .add(M::DELETE, "/api/v1/risk-actions/{id}", write, delete_action)
        .add(
            M::GET,
            "/api/v1/risks/{id}/acceptances",
            read,
            list_acceptances,
        )
        .add(
            M::POST,
            "/api/v1/risks/{id}/acceptances",
            accept,
            accept_risk,
        )
        .add(
            M::POST,
            "/api/v1/risks/{id}/acceptances/withdrawal",
            accept,
            withdraw_acceptance,
        )
        .add(M::GET, "/api/v1/risk-matrices", read, list_matrices)
        .add(M::POST, "/api/v1/risk-matrices", write, create_matrix)
        .add(M::GET, "/api/v1/risk-matrices/{id}", read, get_matrix)
        .add(M::PUT, "/api/v1/risk-matrices/{id}", write, update_matrix)
        .add(
            M::DELETE,
            "/api/v1/risk-matrices/{id}",
            write,
            delete_matrix,
        )
        .add(M::GET, "/api/v1/threats", read, list_threats)
        .add(M::POST, "/api/v1/threats", write, create_threat)
        .add(M::GET, "/api/v1/threats/{id}", read, get_threat)
        .add(M::PUT, "/api/v1/threats/{id}", write, update_threat)
        .add(M::DELETE, "/api/v1/threats/{id}", write, delete_threat)
        .add(M::GET, "/api/v1/controls", read, list_controls)
        .add(M::POST, "/api/v1/controls", write, create_control)
        .add(M::GET, "/api/v1/controls/{id}", read, get_control)
        .add(M::PATCH, "/api/v1/controls/{id}", write, update_control)
        .add(M::DELETE, "/api/v1/controls/{id}", write, delete_control)
        .add(M::GET, "/api/v1/risk-appetite", read, list_appetite)
        .add(
            M::PUT,
            "/api/v1/risk-appetite/{category}",
            write,
            set_appetite,
        )
        .add(
            M::DELETE,
            "/api/v1/risk-appetite/{category}",
            write,
            remove_appetite,
        )
}

/// Query of the risk list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RisksQuery {
    /// open, treating, accepted or closed.
    pub status: Option<String>,
    pub category: Option<String>,
    pub treatment: Option<String>,
    /// A person's id.
    pub owner_id: Option<String>,
    pub asset_id: Option<String>,
    pub control_id: Option<String>,
    /// Only risks above (true) or within (false) their category's appetite.
    pub above_appetite: Option<bool>,
    /// Text in the code, title or description.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

impl RisksQuery {
    /// The filter, checked.
    pub fn filter(&self) -> AppResult<RiskFilter> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let mut errs = Vec::new();
        for (field, choices, v) in [
            ("status", STATUSES, &self.status),
            ("category", CATEGORIES, &self.category),
            ("treatment", TREATMENTS, &self.treatment),
        ] {
            if let Some(v) = given(v) {
                check_choice(field, choices, &v, &mut errs);
            }
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        Ok(RiskFilter {
            status: given(&self.status),
            category: given(&self.category),
            treatment: given(&self.treatment),
            owner_id: given(&self.owner_id),
            asset_id: given(&self.asset_id),
            control_id: given(&self.control_id),
            above_appetite: self.above_appetite,
            q: given(&self.q),
        })
    }
}

/// The register, by code, filtered.
#[utoipa::path(get, path = "/api/v1/risks", tag = "risk", params(RisksQuery),
    responses((status = 200, body = Page<Risk>), (status = 422, body = Problem)))]
pub async fn list_risks(
    State(app): State<AppState>,
    Query(q): Query<RisksQuery>,
) -> AppResult<axum::Json<Page<Risk>>> {
    let lim = limit(q.limit)?;
    let f = q.filter()?;
    let after = after(q.cursor.as_deref())?;
    let rows: Vec<Risk> = register::list(&mut app.db.read().await?.h(), &f)
        .await?
        .into_iter()
        .filter(|r| after.as_ref().is_none_or(|(code, _)| r.code > *code))
        .take(usize::try_from(lim + 1).unwrap_or(usize::MAX))
        .collect();
    Ok(axum::Json(page(rows, lim, |r| {
        Cursor {
            key: r.code.clone(),
            id: r.id.clone(),
        }
        .encode()
    })))
}

/// One risk, whole: links, scores in force, acceptance, actions count, appetite.
#[utoipa::path(get, path = "/api/v1/risks/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Risk), (status = 404, body = Problem)))]
pub async fn get_risk(
    State(app): State<AppState>,
    Path(rid): Path<String>,
) -> AppResult<axum::Json<Risk>> {
    register::by_id(&mut app.db.read().await?.h(), &rid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Add a risk to the register (title and category required).
#[utoipa::path(post, path = "/api/v1/risks", tag = "risk", request_body = RiskInput,
    responses((status = 201, body = Risk), (status = 422, body = Problem)))]
pub async fn create_risk(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(i): Json<RiskInput>,
) -> AppResult<(StatusCode, axum::Json<Risk>)> {
    let mut tx = app.db.begin().await?;
    let r = register::create(&mut tx, app.clock.now(), &id.actor(), &i).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(r)))
}

/// Change the given fields of a risk (lists of links replace).
#[utoipa::path(patch, path = "/api/v1/risks/{id}", tag = "risk", params(("id" = String, Path)), request_body = RiskInput,
    responses((status = 200, body = Risk), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_risk(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    Json(i): Json<RiskInput>,
) -> AppResult<axum::Json<Risk>> {
    let mut tx = app.db.begin().await?;
    let r = register::update(&mut tx, app.clock.now(), &id.actor(), &rid, &i).await?;
    tx.commit().await?;
    Ok(axum::Json(r))
}

/// Remove a risk with its scores, actions and acceptances (the audit trail keeps it).
#[utoipa::path(delete, path = "/api/v1/risks/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_risk(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    register::delete(&mut tx, app.clock.now(), &id.actor(), &rid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every score of a risk, newest first.
#[utoipa::path(get, path = "/api/v1/risks/{id}/assessments", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Assessment>), (status = 404, body = Problem)))]
pub async fn list_assessments(
    State(app): State<AppState>,
    Path(rid): Path<String>,
) -> AppResult<axum::Json<Vec<Assessment>>> {
    let mut r = app.db.read().await?;
    register::by_id(&mut r.h(), &rid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(assessments::history(&mut r.h(), &rid).await?))
}

/// Score a risk: inherent, current or target likelihood and impact on a matrix.
#[utoipa::path(post, path = "/api/v1/risks/{id}/assessments", tag = "risk", params(("id" = String, Path)), request_body = AssessmentInput,
    responses((status = 201, body = Assessment), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn assess(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    Json(i): Json<AssessmentInput>,
) -> AppResult<(StatusCode, axum::Json<Assessment>)> {
    let mut tx = app.db.begin().await?;
    let a = assessments::assess(&mut tx, app.clock.now(), &id.actor(), &rid, &i).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(a)))
}

/// Link a control to a risk.
#[utoipa::path(put, path = "/api/v1/risks/{id}/controls/{control_id}", tag = "risk",
    params(("id" = String, Path), ("control_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn link_control(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path((rid, cid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    register::link_control(&mut tx, app.clock.now(), &id.actor(), &rid, &cid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlink a control from a risk.
#[utoipa::path(delete, path = "/api/v1/risks/{id}/controls/{control_id}", tag = "risk",
    params(("id" = String, Path), ("control_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn unlink_control(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path((rid, cid)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    register::unlink_control(&mut tx, app.clock.now(), &id.actor(), &rid, &cid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A risk's action plan.
#[utoipa::path(get, path = "/api/v1/risks/{id}/actions", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Vec<RiskAction>), (status = 404, body = Problem)))]
pub async fn list_actions(
    State(app): State<AppState>,
    Path(rid): Path<String>,
) -> AppResult<axum::Json<Vec<RiskAction>>> {
    let mut r = app.db.read().await?;
    register::by_id(&mut r.h(), &rid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(treatment::actions(&mut r.h(), &rid).await?))
}

/// Add an action to a risk's plan.
#[utoipa::path(post, path = "/api/v1/risks/{id}/actions", tag = "risk", params(("id" = String, Path)), request_body = ActionInput,
    responses((status = 201, body = RiskAction), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_action(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    Json(i): Json<ActionInput>,
) -> AppResult<(StatusCode, axum::Json<RiskAction>)> {
    let mut tx = app.db.begin().await?;
    let a = treatment::add_action(&mut tx, app.clock.now(), &id.actor(), &rid, &i).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(a)))
}

/// Change an action (`"status": "done"` marks it done).
#[utoipa::path(patch, path = "/api/v1/risk-actions/{id}", tag = "risk", params(("id" = String, Path)), request_body = ActionInput,
    responses((status = 200, body = RiskAction), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_action(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    Json(i): Json<ActionInput>,
) -> AppResult<axum::Json<RiskAction>> {
    let mut tx = app.db.begin().await?;
    let a = treatment::update_action(&mut tx, app.clock.now(), &id.actor(), &aid, &i).await?;
    tx.commit().await?;
    Ok(axum::Json(a))
}

/// Remove an action.
#[utoipa::path(delete, path = "/api/v1/risk-actions/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_action(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    treatment::delete_action(&mut tx, app.clock.now(), &id.actor(), &aid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A risk's acceptances, newest first.
#[utoipa::path(get, path = "/api/v1/risks/{id}/acceptances", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Acceptance>), (status = 404, body = Problem)))]
pub async fn list_acceptances(
    State(app): State<AppState>,
    Path(rid): Path<String>,
) -> AppResult<axum::Json<Vec<Acceptance>>> {
    let mut r = app.db.read().await?;
    register::by_id(&mut r.h(), &rid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(treatment::acceptances(&mut r.h(), &rid).await?))
}

/// The approver a signed-in caller is.
pub fn approver(id: &Identity) -> Approver {
    Approver {
        actor: id.actor(),
        email: id.user.email.clone(),
        role: id.role(),
    }
}

/// Accept a risk until a date (administrators and security officers; not the risk's owner). An
/// acceptance in force is renewed.
#[utoipa::path(post, path = "/api/v1/risks/{id}/acceptances", tag = "risk", params(("id" = String, Path)), request_body = AcceptanceInput,
    responses((status = 201, body = Acceptance), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn accept_risk(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    Json(i): Json<AcceptanceInput>,
) -> AppResult<(StatusCode, axum::Json<Acceptance>)> {
    let mut tx = app.db.begin().await?;
    let a = treatment::accept(&mut tx, app.clock.now(), &approver(&id), &rid, &i).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(a)))
}

/// Withdraw the acceptance in force; the risk reopens.
#[utoipa::path(post, path = "/api/v1/risks/{id}/acceptances/withdrawal", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Acceptance), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn withdraw_acceptance(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
) -> AppResult<axum::Json<Acceptance>> {
    let mut tx = app.db.begin().await?;
    let a = treatment::withdraw(&mut tx, app.clock.now(), &id.actor(), &rid).await?;
    tx.commit().await?;
    Ok(axum::Json(a))
}

/// Every matrix.
#[utoipa::path(get, path = "/api/v1/risk-matrices", tag = "risk", responses((status = 200, body = Vec<RiskMatrix>)))]
pub async fn list_matrices(State(app): State<AppState>) -> AppResult<axum::Json<Vec<RiskMatrix>>> {
    Ok(axum::Json(
        matrices::list(&mut app.db.read().await?.h()).await?,
    ))
}

/// One matrix.
#[utoipa::path(get, path = "/api/v1/risk-matrices/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = RiskMatrix), (status = 404, body = Problem)))]
pub async fn get_matrix(
    State(app): State<AppState>,
    Path(mid): Path<String>,
) -> AppResult<axum::Json<RiskMatrix>> {
    matrices::by_id(&mut app.db.read().await?.h(), &mid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Add a matrix (axes, levels with colours, and the grid of levels).
#[utoipa::path(post, path = "/api/v1/risk-matrices", tag = "risk", request_body = MatrixInput,
    responses((status = 201, body = RiskMatrix), (status = 422, body = Problem)))]
pub async fn create_matrix(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(i): Json<MatrixInput>,
) -> AppResult<(StatusCode, axum::Json<RiskMatrix>)> {
    let mut tx = app.db.begin().await?;
    let m = matrices::create(&mut tx, app.clock.now(), &id.actor(), &i).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(m)))
}

/// Replace a matrix (a matrix with scores keeps its size, levels and grid).
#[utoipa::path(put, path = "/api/v1/risk-matrices/{id}", tag = "risk", params(("id" = String, Path)), request_body = MatrixInput,
    responses((status = 200, body = RiskMatrix), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_matrix(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(mid): Path<String>,
    Json(i): Json<MatrixInput>,
) -> AppResult<axum::Json<RiskMatrix>> {
    let mut tx = app.db.begin().await?;
    let m = matrices::update(&mut tx, app.clock.now(), &id.actor(), &mid, &i).await?;
    tx.commit().await?;
    Ok(axum::Json(m))
}

/// Remove an unused matrix.
#[utoipa::path(delete, path = "/api/v1/risk-matrices/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_matrix(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(mid): Path<String>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    matrices::delete(&mut tx, app.clock.now(), &id.actor(), &mid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The threat catalogue.
#[utoipa::path(get, path = "/api/v1/threats", tag = "risk", responses((status = 200, body = Vec<Threat>)))]
pub async fn list_threats(State(app): State<AppState>) -> AppResult<axum::Json<Vec<Threat>>> {
    Ok(axum::Json(
        threats::list(&mut app.db.read().await?.h()).await?,
    ))
}

/// One threat, by id or code.
#[utoipa::path(get, path = "/api/v1/threats/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Threat), (status = 404, body = Problem)))]
pub async fn get_threat(
    State(app): State<AppState>,
    Path(tid): Path<String>,
) -> AppResult<axum::Json<Threat>> {
    threats::find(&mut app.db.read().await?.h(), &tid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Add a threat to the catalogue.
#[utoipa::path(post, path = "/api/v1/threats", tag = "risk", request_body = ThreatInput,
    responses((status = 201, body = Threat), (status = 422, body = Problem)))]
pub async fn create_threat(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(i): Json<ThreatInput>,
) -> AppResult<(StatusCode, axum::Json<Threat>)> {
    let mut tx = app.db.begin().await?;
    let t = threats::create(&mut tx, app.clock.now(), &id.actor(), &i).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(t)))
}

/// Replace one of the organisation's threats (built-in ones are read-only).
#[utoipa::path(put, path = "/api/v1/threats/{id}", tag = "risk", params(("id" = String, Path)), request_body = ThreatInput,
    responses((status = 200, body = Threat), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_threat(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(tid): Path<String>,
    Json(i): Json<ThreatInput>,
) -> AppResult<axum::Json<Threat>> {
    let mut tx = app.db.begin().await?;
    let t = threats::update(&mut tx, app.clock.now(), &id.actor(), &tid, &i).await?;
    tx.commit().await?;
    Ok(axum::Json(t))
}

/// Remove one of the organisation's threats.
#[utoipa::path(delete, path = "/api/v1/threats/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_threat(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(tid): Path<String>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    threats::delete(&mut tx, app.clock.now(), &id.actor(), &tid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every control.
#[utoipa::path(get, path = "/api/v1/controls", tag = "risk", responses((status = 200, body = Vec<Control>)))]
pub async fn list_controls(State(app): State<AppState>) -> AppResult<axum::Json<Vec<Control>>> {
    Ok(axum::Json(
        controls::list(&mut app.db.read().await?.h()).await?,
    ))
}

/// One control, by id or code.
#[utoipa::path(get, path = "/api/v1/controls/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Control), (status = 404, body = Problem)))]
pub async fn get_control(
    State(app): State<AppState>,
    Path(cid): Path<String>,
) -> AppResult<axum::Json<Control>> {
    controls::find(&mut app.db.read().await?.h(), &cid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Add a control (name required; planned, with no cost, unless said otherwise).
#[utoipa::path(post, path = "/api/v1/controls", tag = "risk", request_body = ControlInput,
    responses((status = 201, body = Control), (status = 422, body = Problem)))]
pub async fn create_control(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(i): Json<ControlInput>,
) -> AppResult<(StatusCode, axum::Json<Control>)> {
    let mut tx = app.db.begin().await?;
    let c = controls::create(&mut tx, app.clock.now(), &id.actor(), &i).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(c)))
}

/// Change the given fields of a control.
#[utoipa::path(patch, path = "/api/v1/controls/{id}", tag = "risk", params(("id" = String, Path)), request_body = ControlInput,
    responses((status = 200, body = Control), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_control(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cid): Path<String>,
    Json(i): Json<ControlInput>,
) -> AppResult<axum::Json<Control>> {
    let mut tx = app.db.begin().await?;
    let c = controls::update(&mut tx, app.clock.now(), &id.actor(), &cid, &i).await?;
    tx.commit().await?;
    Ok(axum::Json(c))
}

/// Remove a control and its links.
#[utoipa::path(delete, path = "/api/v1/controls/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_control(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cid): Path<String>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    controls::delete(&mut tx, app.clock.now(), &id.actor(), &cid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The appetite of every category that has one.
#[utoipa::path(get, path = "/api/v1/risk-appetite", tag = "risk", responses((status = 200, body = Vec<CategoryAppetite>)))]
pub async fn list_appetite(
    State(app): State<AppState>,
) -> AppResult<axum::Json<Vec<CategoryAppetite>>> {
    Ok(axum::Json(
        appetite::list(&mut app.db.read().await?.h()).await?,
    ))
}

/// Set a category's appetite: the highest acceptable level.
#[utoipa::path(put, path = "/api/v1/risk-appetite/{category}", tag = "risk", params(("category" = String, Path)), request_body = AppetiteInput,
    responses((status = 200, body = CategoryAppetite), (status = 422, body = Problem)))]
pub async fn set_appetite(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(category): Path<String>,
    Json(i): Json<AppetiteInput>,
) -> AppResult<axum::Json<CategoryAppetite>> {
    let mut tx = app.db.begin().await?;
    let a = appetite::set(&mut tx, app.clock.now(), &id.actor(), &category, &i).await?;
    tx.commit().await?;
    Ok(axum::Json(a))
}

/// Remove a category's appetite.
#[utoipa::path(delete, path = "/api/v1/risk-appetite/{category}", tag = "risk", params(("category" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_appetite(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(category): Path<String>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    appetite::remove(&mut tx, app.clock.now(), &id.actor(), &category).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of the heat map.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HeatmapQuery {
    /// inherent, current (default) or target.
    pub kind: Option<String>,
    /// The matrix to draw (the built-in 5×5 when absent); risks scored on others are left out.
    pub matrix_id: Option<String>,
}

/// The heat map of the risks not closed, as SVG.
#[utoipa::path(get, path = "/api/v1/risks/heatmap", tag = "risk", params(HeatmapQuery),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 422, body = Problem)))]
pub async fn heatmap(
    State(app): State<AppState>,
    Query(q): Query<HeatmapQuery>,
) -> AppResult<Response> {
    let kind = q.kind.unwrap_or_else(|| "current".into());
    let mut errs: Vec<FieldError> = Vec::new();
    check_choice("kind", ASSESSMENT_KINDS, &kind, &mut errs);
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut r = app.db.read().await?;
    let matrix_id = q
        .matrix_id
        .filter(|m| !m.is_empty())
        .unwrap_or_else(matrices::default_id);
    let m = matrices::by_id(&mut r.h(), &matrix_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let risks = register::list(&mut r.h(), &RiskFilter::default()).await?;
    let svg = heatmap_svg(&risks, &m, &kind);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The heat map of `risks` (closed ones left out) scored `kind` on matrix `m`.
pub fn heatmap_svg(risks: &[Risk], m: &RiskMatrix, kind: &str) -> String {
    let title = format!("{} ({})", super::label_of(ASSESSMENT_KINDS, kind), m.name);
    bulwark_risk::heatmap::svg(&title, &m.definition, &heat_points(risks, m, kind))
}

/// The risks not closed whose `kind` score is on `m`, as points of a heat map.
pub fn heat_points(
    risks: &[Risk],
    m: &RiskMatrix,
    kind: &str,
) -> Vec<bulwark_risk::heatmap::Point> {
    risks
        .iter()
        .filter(|r| r.status != "closed")
        .filter_map(|r| {
            let a = match kind {
                "inherent" => r.inherent.as_ref(),
                "target" => r.target.as_ref(),
                _ => r.current.as_ref(),
            }?;
            (a.matrix_id.as_deref() == Some(m.id.as_str())).then(|| bulwark_risk::heatmap::Point {
                likelihood: usize::try_from(a.likelihood).unwrap_or(0),
                impact: usize::try_from(a.impact).unwrap_or(0),
                label: format!("{} {}", r.code, r.title),
            })
        })
        .collect()
}
