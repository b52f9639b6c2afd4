//! The people register: list, add, change, and the HR import.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Area, Permission};
use serde::Deserialize;

use super::FileQuery;
use crate::access::Identity;
use crate::app::AppState;
use crate::identity::imports::{self, ImportOutcome};
use crate::identity::people::{self, NewPerson, Person, PersonFilter};
use crate::inventory::api::body_reader;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult, Problem};
use crate::platform::http::json::Json;
use crate::platform::http::page::{Page, after, limit, page};
use crate::platform::http::query::Query;
use axum::body::Body;

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
        .add(M::POST, "/api/v1/people/import", write, import_people)
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

/// Import the HR file (CSV with the header
/// `employee_id,name,email,department,manager_email,status,start_date,leave_date`, columns in any
/// order) sent as the request body. New people are added, known ones (same employee id, else same
/// email) updated; nobody is removed. All or nothing: a file with problems is refused with every
/// problem located by line and column. Accounts are linked again and findings re-evaluated.
#[utoipa::path(post, path = "/api/v1/people/import", tag = "identity", params(FileQuery),
    request_body(content = String, description = "The HR file", content_type = "text/csv"),
    responses((status = 201, body = ImportOutcome), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn import_people(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<FileQuery>,
    body: Body,
) -> AppResult<(StatusCode, axum::Json<ImportOutcome>)> {
    let now = app.clock.now();
    let settings = crate::settings::load(&app.db).await?;
    let outcome = imports::import_people(
        &app.db,
        now,
        &id.actor(),
        &settings,
        q.name("people.csv"),
        body_reader(body),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(outcome)))
}
