//! The identity API: people.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Area, Permission};
use serde::Deserialize;

use super::people::{self, NewPerson, Person, PersonFilter};
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
    let read = Access::Requires(Permission::Read(Area::Identity));
    let write = Access::Requires(Permission::Write(Area::Identity));
    Routes::default()
        .add(M::GET, "/api/v1/people", read, list_people)
        .add(M::POST, "/api/v1/people", write, create_person)
        .add(M::GET, "/api/v1/people/{id}", read, get_person)
        .add(M::PUT, "/api/v1/people/{id}", write, replace_person)
}

/// Query of the people list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// `active` or `leaver`.
    pub status: Option<String>,
    pub department: Option<String>,
    /// Text in the name or email.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// List people, by name.
#[utoipa::path(get, path = "/api/v1/people", tag = "identity", params(PeopleQuery),
    responses((status = 200, body = Page<Person>), (status = 422, body = Problem)))]
pub async fn list_people(
    State(app): State<AppState>,
    Query(q): Query<PeopleQuery>,
) -> AppResult<axum::Json<Page<Person>>> {
    let lim = limit(q.limit)?;
    if let Some(s) = &q.status
        && s != "active"
        && s != "leaver"
    {
        return Err(AppError::field("status", "must be active or leaver"));
    }
    let after = after(q.cursor.as_deref())?;
    let f = PersonFilter {
        status: q.status.clone(),
        department: q.department.clone().filter(|d| !d.is_empty()),
        q: q.q.clone().filter(|t| !t.is_empty()),
    };
    let rows = people::list(&app.db, &f, after, lim + 1).await?;
    Ok(axum::Json(page(rows, lim, |p| {
        Cursor {
            key: p.name.clone(),
            id: p.id.clone(),
        }
        .encode()
    })))
}

/// Add a person by hand (most people come from the HR import).
#[utoipa::path(post, path = "/api/v1/people", tag = "identity", request_body = NewPerson,
    responses((status = 201, body = Person), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_person(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(n): Json<NewPerson>,
) -> AppResult<(StatusCode, axum::Json<Person>)> {
    let rec = people::check(&n)?;
    let mut tx = app.db.begin().await?;
    let p = people::create(&mut tx, app.clock.now(), &id.actor(), &rec).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(p)))
}

/// Get one person.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 200, body = Person), (status = 404, body = Problem)))]
pub async fn get_person(
    State(app): State<AppState>,
    Path(pid): Path<String>,
) -> AppResult<axum::Json<Person>> {
    people::by_id(&mut app.db.read().await?.h(), &pid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Replace a person's details.
#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "identity", params(("id" = String, Path)), request_body = NewPerson,
    responses((status = 200, body = Person), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn replace_person(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(pid): Path<String>,
    Json(n): Json<NewPerson>,
) -> AppResult<axum::Json<Person>> {
    let rec = people::check(&n)?;
    let mut tx = app.db.begin().await?;
    let p = people::update(&mut tx, app.clock.now(), &id.actor(), &pid, &rec).await?;
    tx.commit().await?;
    Ok(axum::Json(p))
}
