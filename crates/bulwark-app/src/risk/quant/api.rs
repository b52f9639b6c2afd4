//! The quantitative-risk API: a risk's estimates, a control's effect on a risk, and simulations.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Area, Permission};
use serde::Deserialize;

use super::runs::{self, NewSimulation, RunFilter};
use super::{ControlEffect, Effect, Estimates, Quantification, SCOPES, Simulation, store};
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
    let quantification = "/api/v1/risks/{id}/quantification";
    let effect = "/api/v1/risks/{id}/controls/{control_id}/effect";
    Routes::default()
        .add(M::GET, quantification, read, get_quantification)
        .add(M::PUT, quantification, write, put_quantification)
        .add(M::DELETE, quantification, write, delete_quantification)
        .add(M::GET, effect, read, get_effect)
        .add(M::PUT, effect, write, put_effect)
        .add(M::GET, "/api/v1/risk-simulations", read, list_simulations)
        .add(
            M::POST,
            "/api/v1/risk-simulations",
            write,
            request_simulation,
        )
        .add(
            M::GET,
            "/api/v1/risk-simulations/{id}",
            read,
            get_simulation,
        )
        .add(
            M::POST,
            "/api/v1/risk-simulations/{id}/cancel",
            write,
            cancel_simulation,
        )
}

/// A risk's estimates, with the exact mean annual loss they give.
#[utoipa::path(get, path = "/api/v1/risks/{id}/quantification", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Quantification), (status = 404, body = Problem)))]
pub async fn get_quantification(
    State(app): State<AppState>,
    Path(risk_id): Path<String>,
) -> AppResult<axum::Json<Quantification>> {
    store::get(&mut app.db.read().await?.h(), &risk_id)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Saves a risk's estimates (API and pages).
pub async fn save_action(
    app: &AppState,
    id: &Identity,
    risk_id: &str,
    e: &Estimates,
) -> AppResult<Quantification> {
    let mut tx = app.db.begin().await?;
    let q = store::put(&mut tx, app.clock.now(), &id.actor(), risk_id, e).await?;
    tx.commit().await?;
    Ok(q)
}

/// Set a risk's estimates. Each is `{"constant"}`, `{"min", "mode", "max"}` (PERT) or
/// `{"low", "high"}` (90 % interval); every problem is named by its field (`primary_loss.min`).
#[utoipa::path(put, path = "/api/v1/risks/{id}/quantification", tag = "risk", params(("id" = String, Path)), request_body = Estimates,
    responses((status = 200, body = Quantification), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_quantification(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(risk_id): Path<String>,
    Json(e): Json<Estimates>,
) -> AppResult<axum::Json<Quantification>> {
    Ok(axum::Json(save_action(&app, &id, &risk_id, &e).await?))
}

/// Removes a risk's estimates (API and pages).
pub async fn delete_action(app: &AppState, id: &Identity, risk_id: &str) -> AppResult<()> {
    let mut tx = app.db.begin().await?;
    store::delete(&mut tx, app.clock.now(), &id.actor(), risk_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Remove a risk's estimates; simulations already run keep the model they simulated.
#[utoipa::path(delete, path = "/api/v1/risks/{id}/quantification", tag = "risk", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_quantification(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(risk_id): Path<String>,
) -> AppResult<StatusCode> {
    delete_action(&app, &id, &risk_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A control linked to a risk, with its effect on it.
#[utoipa::path(get, path = "/api/v1/risks/{id}/controls/{control_id}/effect", tag = "risk",
    params(("id" = String, Path), ("control_id" = String, Path)),
    responses((status = 200, body = ControlEffect), (status = 404, body = Problem)))]
pub async fn get_effect(
    State(app): State<AppState>,
    Path((risk_id, control_id)): Path<(String, String)>,
) -> AppResult<axum::Json<ControlEffect>> {
    store::effect(&mut app.db.read().await?.h(), &risk_id, &control_id)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Sets a control's effect on a risk (API and pages).
pub async fn effect_action(
    app: &AppState,
    id: &Identity,
    risk_id: &str,
    control_id: &str,
    e: &Effect,
) -> AppResult<ControlEffect> {
    let mut tx = app.db.begin().await?;
    let v = store::set_effect(
        &mut tx,
        app.clock.now(),
        &id.actor(),
        risk_id,
        control_id,
        e,
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

/// Set what a control does to a risk, as reductions from 0 to 1; links them if they are not
/// linked. Only planned and in-progress controls count as investments; an implemented control's
/// effect is already in the risk's estimates.
#[utoipa::path(put, path = "/api/v1/risks/{id}/controls/{control_id}/effect", tag = "risk",
    params(("id" = String, Path), ("control_id" = String, Path)), request_body = Effect,
    responses((status = 200, body = ControlEffect), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_effect(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path((risk_id, control_id)): Path<(String, String)>,
    Json(e): Json<Effect>,
) -> AppResult<axum::Json<ControlEffect>> {
    Ok(axum::Json(
        effect_action(&app, &id, &risk_id, &control_id, &e).await?,
    ))
}

/// Query of the simulation list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimulationQuery {
    /// risk, portfolio or investment.
    pub scope: Option<String>,
    /// Simulations of this risk.
    pub risk_id: Option<String>,
    /// queued, running, cancelling, done, failed or cancelled.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// The filter of a simulation query, each value checked.
pub fn run_filter(q: &SimulationQuery) -> AppResult<RunFilter> {
    let opt = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let f = RunFilter {
        scope: opt(&q.scope),
        risk_id: opt(&q.risk_id),
        status: opt(&q.status),
    };
    if f.scope
        .as_deref()
        .is_some_and(|s| !SCOPES.iter().any(|(v, _)| *v == s))
    {
        return Err(AppError::field(
            "scope",
            "must be risk, portfolio or investment",
        ));
    }
    Ok(f)
}

/// Simulations, newest first, without their reports.
#[utoipa::path(get, path = "/api/v1/risk-simulations", tag = "risk", params(SimulationQuery),
    responses((status = 200, body = Page<Simulation>), (status = 422, body = Problem)))]
pub async fn list_simulations(
    State(app): State<AppState>,
    Query(q): Query<SimulationQuery>,
) -> AppResult<axum::Json<Page<Simulation>>> {
    let lim = limit(q.limit)?;
    let f = run_filter(&q)?;
    let before = after(q.cursor.as_deref())?;
    let rows = runs::list(&mut app.db.read().await?.h(), &f, before, lim + 1).await?;
    Ok(axum::Json(page(rows, lim, |s| {
        Cursor {
            key: s.created_at.clone(),
            id: s.id.clone(),
        }
        .encode()
    })))
}

/// Starts a simulation (API and pages).
pub async fn request_action(
    app: &AppState,
    id: &Identity,
    n: &NewSimulation,
) -> AppResult<Simulation> {
    let now = app.clock.now();
    let settings = app.settings.get(&app.db, now).await?;
    let mut tx = app.db.begin().await?;
    let s = runs::request(&mut tx, now, &id.actor(), &settings, n).await?;
    tx.commit().await?;
    Ok(s)
}

/// Start a simulation in the background: one risk, the portfolio of every quantified risk that
/// is not closed, or the investment analysis (each planned or in-progress control's return and,
/// with a budget, what to fund next). Follow it with `GET /api/v1/risk-simulations/{id}`.
#[utoipa::path(post, path = "/api/v1/risk-simulations", tag = "risk", request_body = NewSimulation,
    responses((status = 202, body = Simulation), (status = 422, body = Problem)))]
pub async fn request_simulation(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(n): Json<NewSimulation>,
) -> AppResult<(StatusCode, axum::Json<Simulation>)> {
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(request_action(&app, &id, &n).await?),
    ))
}

/// A simulation: its progress, and once done its report and the model it simulated.
#[utoipa::path(get, path = "/api/v1/risk-simulations/{id}", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Simulation), (status = 404, body = Problem)))]
pub async fn get_simulation(
    State(app): State<AppState>,
    Path(sid): Path<String>,
) -> AppResult<axum::Json<Simulation>> {
    runs::get(&mut app.db.read().await?.h(), &sid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Cancels a simulation (API and pages).
pub async fn cancel_action(app: &AppState, id: &Identity, sid: &str) -> AppResult<Simulation> {
    let mut tx = app.db.begin().await?;
    let s = runs::cancel(&mut tx, app.clock.now(), &id.actor(), sid).await?;
    tx.commit().await?;
    Ok(s)
}

/// Cancel a simulation: a queued one at once, a running one within about a second
/// (`cancelling` until then).
#[utoipa::path(post, path = "/api/v1/risk-simulations/{id}/cancel", tag = "risk", params(("id" = String, Path)),
    responses((status = 200, body = Simulation), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_simulation(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(sid): Path<String>,
) -> AppResult<axum::Json<Simulation>> {
    Ok(axum::Json(cancel_action(&app, &id, &sid).await?))
}
