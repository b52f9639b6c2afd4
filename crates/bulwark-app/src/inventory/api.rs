//! The inventory API: assets, dependencies, software inventories and the device check.

use std::io::Read;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Area, Permission};
use futures_util::TryStreamExt;
use serde::Deserialize;

use super::assets::{self, Asset, AssetFilter, AssetInput, AssetSort};
use super::dependencies::{self, Dependency, Neighbourhood, Neighbours, NewDependency};
use super::devices::{self, DEFAULT_SILENT_DAYS, DeviceFinding};
use super::software::{self, Component, ImportOutcome, SoftwareImport, Source};
use super::{CLASSIFICATIONS, KINDS, LIFECYCLES, one_of};
use crate::access::Identity;
use crate::app::AppState;
use crate::identity::people;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult, Problem};
use crate::platform::http::json::Json;
use crate::platform::http::page::{Page, after, limit, page};
use crate::platform::http::query::Query;

/// The routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Inventory));
    let write = Access::Requires(Permission::Write(Area::Inventory));
    Routes::default()
        .add(M::GET, "/api/v1/assets", read, list_assets)
        .add(M::POST, "/api/v1/assets", write, create_asset)
        .add(M::GET, "/api/v1/assets/{id}", read, get_asset)
        .add(M::PATCH, "/api/v1/assets/{id}", write, update_asset)
        .add(M::DELETE, "/api/v1/assets/{id}", write, delete_asset)
        .add(
            M::GET,
            "/api/v1/assets/{id}/dependencies",
            read,
            asset_dependencies,
        )
        .add(
            M::GET,
            "/api/v1/assets/{id}/dependency-graph",
            read,
            dependency_graph,
        )
        .add(M::POST, "/api/v1/asset-dependencies", write, add_dependency)
        .add(
            M::DELETE,
            "/api/v1/asset-dependencies/{id}",
            write,
            remove_dependency,
        )
        .add(M::GET, "/api/v1/assets/{id}/software", read, list_software)
        .add(
            M::GET,
            "/api/v1/assets/{id}/software-imports",
            read,
            software_history,
        )
        .add(
            M::POST,
            "/api/v1/assets/{id}/software-imports",
            write,
            import_software,
        )
        .add(M::GET, "/api/v1/device-check", read, device_check)
}

/// Query of the asset list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    /// Only this kind.
    pub kind: Option<String>,
    /// planned, active or retired.
    pub lifecycle: Option<String>,
    /// public, internal, confidential or restricted.
    pub classification: Option<String>,
    /// At least this criticality (1–5).
    pub min_criticality: Option<i64>,
    /// Owned by the person with this email.
    pub owner: Option<String>,
    /// Carrying this tag.
    pub tag: Option<String>,
    /// Reachable from the internet, or not.
    pub internet_exposed: Option<bool>,
    /// Text in the name, description or location.
    pub q: Option<String>,
    /// `name` (default), `kind` or `updated_at`.
    pub sort: Option<AssetSort>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// Turns the query into a filter, checking each value.
pub async fn filter_of(app: &AppState, q: &AssetQuery) -> AppResult<AssetFilter> {
    let mut errs = Vec::new();
    let mut pick = |field: &str, v: &Option<String>, choices| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .and_then(|s| one_of(field, s, choices).map_err(|e| errs.push(e)).ok())
            .map(String::from)
    };
    let kind = pick("kind", &q.kind, KINDS);
    let lifecycle = pick("lifecycle", &q.lifecycle, LIFECYCLES);
    let classification = pick("classification", &q.classification, CLASSIFICATIONS);
    if let Some(c) = q.min_criticality
        && !(1..=5).contains(&c)
    {
        errs.push(bulwark_core::validate::FieldError::new(
            "min_criticality",
            "must be from 1 to 5",
        ));
    }
    let owner_id = match q.owner.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(email) => {
            match people::by_email(&mut app.db.read().await?.h(), &email.trim().to_lowercase())
                .await?
            {
                Some(p) => Some(p.id),
                // Nobody by that email owns anything: an impossible id gives the empty list.
                None => Some(String::new()),
            }
        }
    };
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    Ok(AssetFilter {
        kinds: kind.into_iter().collect(),
        lifecycle,
        classification,
        min_criticality: q.min_criticality,
        owner_id,
        tag: q.tag.clone().filter(|t| !t.is_empty()),
        internet_exposed: q.internet_exposed,
        q: q.q.clone().filter(|t| !t.is_empty()),
    })
}

/// List assets and services.
#[utoipa::path(get, path = "/api/v1/assets", tag = "inventory", params(AssetQuery),
    responses((status = 200, body = Page<Asset>), (status = 422, body = Problem)))]
pub async fn list_assets(
    State(app): State<AppState>,
    Query(q): Query<AssetQuery>,
) -> AppResult<axum::Json<Page<Asset>>> {
    let lim = limit(q.limit)?;
    let f = filter_of(&app, &q).await?;
    let sort = q.sort.unwrap_or_default();
    let rows = assets::list(&app.db, &f, sort, after(q.cursor.as_deref())?, lim + 1).await?;
    Ok(axum::Json(page(rows, lim, |a| {
        Cursor {
            key: sort.key(a),
            id: a.id.clone(),
        }
        .encode()
    })))
}

/// Create an asset or service.
#[utoipa::path(post, path = "/api/v1/assets", tag = "inventory", request_body = AssetInput,
    responses((status = 201, body = Asset), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_asset(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(i): Json<AssetInput>,
) -> AppResult<(StatusCode, axum::Json<Asset>)> {
    let mut tx = app.db.begin().await?;
    let a = assets::create(&mut tx, app.clock.now(), &id.actor(), &i).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(a)))
}

/// Get one asset.
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "inventory", params(("id" = String, Path)),
    responses((status = 200, body = Asset), (status = 404, body = Problem)))]
pub async fn get_asset(
    State(app): State<AppState>,
    Path(aid): Path<String>,
) -> AppResult<axum::Json<Asset>> {
    assets::by_id(&mut app.db.read().await?.h(), &aid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Change some fields of an asset (`null` clears an optional field).
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "inventory", params(("id" = String, Path)), request_body = AssetInput,
    responses((status = 200, body = Asset), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_asset(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    Json(i): Json<AssetInput>,
) -> AppResult<axum::Json<Asset>> {
    let mut tx = app.db.begin().await?;
    let a = assets::update(&mut tx, app.clock.now(), &id.actor(), &aid, &i).await?;
    tx.commit().await?;
    Ok(axum::Json(a))
}

/// Delete an asset, its dependencies and its software inventory.
#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "inventory", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_asset(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    assets::delete(&mut tx, app.clock.now(), &id.actor(), &aid).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an asset depends on and what depends on it.
#[utoipa::path(get, path = "/api/v1/assets/{id}/dependencies", tag = "inventory", params(("id" = String, Path)),
    responses((status = 200, body = Neighbours), (status = 404, body = Problem)))]
pub async fn asset_dependencies(
    State(app): State<AppState>,
    Path(aid): Path<String>,
) -> AppResult<axum::Json<Neighbours>> {
    let mut c = app.db.read().await?;
    assets::by_id(&mut c.h(), &aid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(dependencies::of_asset(&mut c.h(), &aid).await?))
}

/// Depth of the dependency picture.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GraphQuery {
    /// Steps each way, 1 to 5 (default 2).
    pub depth: Option<usize>,
}

/// The dependency graph around an asset (up to 200 nodes).
#[utoipa::path(get, path = "/api/v1/assets/{id}/dependency-graph", tag = "inventory", params(("id" = String, Path), GraphQuery),
    responses((status = 200, body = Neighbourhood), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn dependency_graph(
    State(app): State<AppState>,
    Path(aid): Path<String>,
    Query(q): Query<GraphQuery>,
) -> AppResult<axum::Json<Neighbourhood>> {
    let depth = q.depth.unwrap_or(2);
    if !(1..=5).contains(&depth) {
        return Err(AppError::field("depth", "must be from 1 to 5"));
    }
    let mut c = app.db.read().await?;
    assets::by_id(&mut c.h(), &aid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(
        dependencies::neighbourhood(&mut c.h(), &aid, depth, 200).await?,
    ))
}

/// Record that one asset depends on another. A dependency closing a cycle is refused with the cycle named.
#[utoipa::path(post, path = "/api/v1/asset-dependencies", tag = "inventory", request_body = NewDependency,
    responses((status = 201, body = Dependency), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_dependency(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(n): Json<NewDependency>,
) -> AppResult<(StatusCode, axum::Json<Dependency>)> {
    let mut tx = app.db.begin().await?;
    let d = dependencies::add(&mut tx, app.clock.now(), &id.actor(), &n).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(d)))
}

/// Remove a dependency.
#[utoipa::path(delete, path = "/api/v1/asset-dependencies/{id}", tag = "inventory", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_dependency(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(did): Path<String>,
) -> AppResult<StatusCode> {
    let mut tx = app.db.begin().await?;
    dependencies::remove(&mut tx, app.clock.now(), &id.actor(), &did).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of a software list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SoftwareQuery {
    /// Text in the component name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// The software installed on an asset, by name.
#[utoipa::path(get, path = "/api/v1/assets/{id}/software", tag = "inventory", params(("id" = String, Path), SoftwareQuery),
    responses((status = 200, body = Page<Component>), (status = 404, body = Problem)))]
pub async fn list_software(
    State(app): State<AppState>,
    Path(aid): Path<String>,
    Query(q): Query<SoftwareQuery>,
) -> AppResult<axum::Json<Page<Component>>> {
    let lim = limit(q.limit)?;
    assets::by_id(&mut app.db.read().await?.h(), &aid)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = software::list(
        &app.db,
        &aid,
        q.q.as_deref(),
        after(q.cursor.as_deref())?,
        lim + 1,
    )
    .await?;
    Ok(axum::Json(page(rows, lim, |c| {
        Cursor {
            key: c.name.clone(),
            id: c.id.clone(),
        }
        .encode()
    })))
}

/// The software imports of an asset, newest first (the last 100).
#[utoipa::path(get, path = "/api/v1/assets/{id}/software-imports", tag = "inventory", params(("id" = String, Path)),
    responses((status = 200, body = Vec<SoftwareImport>), (status = 404, body = Problem)))]
pub async fn software_history(
    State(app): State<AppState>,
    Path(aid): Path<String>,
) -> AppResult<axum::Json<Vec<SoftwareImport>>> {
    assets::by_id(&mut app.db.read().await?.h(), &aid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(software::history(&app.db, &aid, 100).await?))
}

/// How an uploaded software file is to be read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// cyclonedx, spdx, dpkg, pip, npm, cargo or csv; detected from the file name and content when absent.
    pub format: Option<String>,
    /// The file's name, kept in the history and used to detect the format.
    pub file_name: Option<String>,
}

/// A request body read as a blocking `Read`, for parsers running on a blocking thread.
pub fn body_reader(body: Body) -> impl Read + Send + 'static {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream))
}

/// Replace an asset's software inventory with an SBOM or lockfile sent as the request body
/// (CycloneDX or SPDX JSON, dpkg status, pip requirements, npm package-lock, Cargo.lock, CSV).
/// All or nothing: a file with problems is refused with every problem located, and nothing changes.
#[utoipa::path(post, path = "/api/v1/assets/{id}/software-imports", tag = "inventory", params(("id" = String, Path), ImportQuery),
    request_body(content = String, description = "The file", content_type = "application/octet-stream"),
    responses((status = 201, body = ImportOutcome), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn import_software(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> AppResult<(StatusCode, axum::Json<ImportOutcome>)> {
    let name = q.file_name.clone().unwrap_or_else(|| "upload".into());
    let mut stream = body.into_data_stream();
    // The first chunk tells the format when none was given; it is put back before reading.
    let head = stream
        .try_next()
        .await
        .map_err(|e| AppError::BadRequest(format!("the body could not be read: {e}")))?
        .unwrap_or_default();
    let format = software::choose_format(q.format.as_deref(), &name, &head)?;
    let rest = body_reader(Body::from_stream(stream));
    let input = std::io::Cursor::new(head).chain(rest);
    let outcome = software::import(
        &app.db,
        app.clock.now(),
        &id.actor(),
        &aid,
        Source { name, format },
        input,
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(outcome)))
}

/// Options of the device check.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    /// Days without a check-in before a device counts as silent (default 30).
    pub silent_days: Option<i64>,
}

/// Devices (mobile, IoT/OT, laptops, workstations) out of support, unencrypted, unmanaged or silent.
#[utoipa::path(get, path = "/api/v1/device-check", tag = "inventory", params(DeviceQuery),
    responses((status = 200, body = Vec<DeviceFinding>), (status = 422, body = Problem)))]
pub async fn device_check(
    State(app): State<AppState>,
    Query(q): Query<DeviceQuery>,
) -> AppResult<axum::Json<Vec<DeviceFinding>>> {
    let days = q.silent_days.unwrap_or(DEFAULT_SILENT_DAYS);
    if !(1..=3650).contains(&days) {
        return Err(AppError::field("silent_days", "must be from 1 to 3650"));
    }
    Ok(axum::Json(
        devices::check(&app.db, app.clock.now(), days).await?,
    ))
}
