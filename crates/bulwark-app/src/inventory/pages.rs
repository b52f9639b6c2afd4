//! Pages of the inventory: the asset list, an asset with its dependencies (drawn) and software,
//! the asset form, and the device check.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::graph;
use bulwark_core::{Access, Area, Permission};

use super::api::{AssetQuery, filter_of};
use super::assets::{self, Asset, AssetInput, AssetSort};
use super::dependencies::{self, AssetRef, NewDependency};
use super::devices::{self, DEFAULT_SILENT_DAYS, DeviceFinding};
use super::software::{self, Component, SoftwareImport, Source};
use super::{CLASSIFICATIONS, Choices, DEPENDENCY_KINDS, KINDS, LIFECYCLES, label_of};
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::AppError;
use crate::platform::http::routes::url_escape;
use crate::web::upload::{stream_field, streamed, unreadable};
use crate::web::{
    Chrome, Errors, FormData, Opt, PageError, PageResult, Values, chrome, html, list_link, opts,
    render, route_allows, see_other,
};

/// The page routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Inventory));
    let write = Access::Requires(Permission::Write(Area::Inventory));
    Routes::default()
        .add(M::GET, "/inventory", read, html(list))
        .add(M::GET, "/inventory/devices", read, html(device_page))
        .add(M::GET, "/inventory/assets/new", write, html(new_form))
        .add(M::POST, "/inventory/assets", write, html(create))
        .add(M::GET, "/inventory/assets/{id}", read, html(detail))
        .add(
            M::GET,
            "/inventory/assets/{id}/edit",
            write,
            html(edit_form),
        )
        .add(M::POST, "/inventory/assets/{id}", write, html(save))
        .add(
            M::POST,
            "/inventory/assets/{id}/delete",
            write,
            html(delete),
        )
        .add(
            M::POST,
            "/inventory/assets/{id}/dependencies",
            write,
            html(add_dependency),
        )
        .add(
            M::POST,
            "/inventory/dependencies/{id}/delete",
            write,
            html(remove_dependency),
        )
        .add(
            M::POST,
            "/inventory/assets/{id}/software-imports",
            write,
            streamed(upload),
        )
}

fn can_write(id: &Identity) -> bool {
    route_allows(Some(id.role()), &Method::POST, "/inventory/assets")
}

/// A row of the asset list.
#[derive(Debug)]
pub struct AssetLine {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub owner: String,
    pub criticality: i64,
    pub lifecycle: &'static str,
    pub exposed: bool,
    pub tags: String,
}

#[derive(Template)]
#[template(path = "inventory/assets.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<AssetLine>,
    kinds: Vec<Opt>,
    lifecycles: Vec<Opt>,
    f: Values,
    can_write: bool,
    next: Option<String>,
    first_page: bool,
}

/// `GET /inventory`.
async fn list(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).cloned().filter(|v| !v.is_empty());
    let q = AssetQuery {
        kind: get("kind"),
        lifecycle: get("lifecycle"),
        classification: None,
        min_criticality: get("min_criticality").and_then(|v| v.parse().ok()),
        owner: get("owner"),
        tag: get("tag"),
        internet_exposed: get("exposed").map(|v| v == "yes"),
        q: get("q"),
        sort: None,
        cursor: get("cursor"),
        limit: None,
    };
    let filter = filter_of(&app, &q).await?;
    let after = crate::platform::http::page::after(q.cursor.as_deref())?;
    let mut rows = assets::list(&app.db, &filter, AssetSort::Name, after, 51).await?;
    let more = rows.len() > 50;
    rows.truncate(50);
    let next = more.then(|| rows.last()).flatten().map(|a| {
        let cursor = Cursor {
            key: a.name.clone(),
            id: a.id.clone(),
        };
        list_link("/inventory", &f, Some(&cursor))
    });
    let c = chrome(&app, Some(&id), None, "/inventory", "Inventory").await;
    Ok(render(
        StatusCode::OK,
        &ListPage {
            c,
            rows: rows
                .into_iter()
                .map(|a| AssetLine {
                    kind: label_of(KINDS, &a.kind),
                    lifecycle: label_of(LIFECYCLES, &a.lifecycle),
                    owner: a.owner.map(|o| o.name).unwrap_or_default(),
                    criticality: a.criticality,
                    exposed: a.internet_exposed,
                    tags: a.tags.join(", "),
                    id: a.id,
                    name: a.name,
                })
                .collect(),
            kinds: opts(KINDS),
            lifecycles: opts(LIFECYCLES),
            first_page: q.cursor.is_none(),
            f: Values(f),
            can_write: can_write(&id),
            next,
        },
    ))
}

/// A node of the dependency picture.
#[derive(Debug)]
pub struct PicNode {
    pub x: i64,
    pub y: i64,
    pub label: String,
    pub kind: &'static str,
    pub href: String,
    pub focus: bool,
}

/// An arrow of the dependency picture.
#[derive(Debug)]
pub struct PicEdge {
    pub x1: i64,
    pub y1: i64,
    pub x2: i64,
    pub y2: i64,
}

/// The dependency picture: dependents on the left, what they depend on to the right.
#[derive(Debug, Default)]
pub struct Picture {
    pub width: i64,
    pub height: i64,
    pub nodes: Vec<PicNode>,
    pub edges: Vec<PicEdge>,
    pub truncated: bool,
}

/// Box size and gaps of the picture, in SVG units.
const BOX_W: i64 = 170;
const BOX_H: i64 = 44;
const GAP_X: i64 = 70;
const GAP_Y: i64 = 22;

fn picture(n: &dependencies::Neighbourhood, focus: &str) -> Picture {
    let ids: Vec<String> = n.nodes.iter().map(|a| a.id.clone()).collect();
    let slots = graph::layout(&ids, &n.edges);
    let by_id: HashMap<&str, &AssetRef> = n.nodes.iter().map(|a| (a.id.as_str(), a)).collect();
    let pos = |id: &str| {
        slots.get(id).map(|s| {
            (
                10 + s.layer as i64 * (BOX_W + GAP_X),
                10 + s.row as i64 * (BOX_H + GAP_Y),
            )
        })
    };
    let mut p = Picture {
        truncated: n.truncated,
        ..Picture::default()
    };
    for (id, a) in &by_id {
        if let Some((x, y)) = pos(id) {
            let mut label = a.name.clone();
            if label.chars().count() > 22 {
                label = label.chars().take(21).collect::<String>() + "…";
            }
            p.nodes.push(PicNode {
                x,
                y,
                label,
                kind: label_of(KINDS, &a.kind),
                href: format!("/inventory/assets/{}", a.id),
                focus: a.id == focus,
            });
            p.width = p.width.max(x + BOX_W + 10);
            p.height = p.height.max(y + BOX_H + 10);
        }
    }
    p.nodes.sort_by_key(|n| (n.x, n.y));
    for (a, b) in &n.edges {
        if let (Some((x1, y1)), Some((x2, y2))) = (pos(a), pos(b)) {
            p.edges.push(PicEdge {
                x1: x1 + BOX_W,
                y1: y1 + BOX_H / 2,
                x2: x2 - 4,
                y2: y2 + BOX_H / 2,
            });
        }
    }
    p
}

/// A dependency as listed on the asset page.
#[derive(Debug)]
pub struct DepLine {
    pub id: String,
    pub other_id: String,
    pub other_name: String,
    pub kind: &'static str,
    pub note: String,
}

#[derive(Template)]
#[template(path = "inventory/asset.html")]
struct DetailPage {
    c: Chrome,
    a: Asset,
    kind: &'static str,
    classification: &'static str,
    lifecycle: &'static str,
    custom: Vec<(String, String)>,
    device_issues: Vec<String>,
    depends_on: Vec<DepLine>,
    dependents: Vec<DepLine>,
    pic: Picture,
    dep_kinds: Vec<Opt>,
    software: Vec<Component>,
    software_q: String,
    software_next: Option<String>,
    history: Vec<SoftwareImport>,
    can_write: bool,
    /// The caller may see the accounts on this asset (identity & access).
    sees_accounts: bool,
    errors: Errors,
    problems: Vec<String>,
    dep_to: String,
}

/// What the asset page shows besides the asset (errors from a refused form, the typed value).
#[derive(Default)]
struct DetailExtras {
    errors: Errors,
    problems: Vec<String>,
    dep_to: String,
    status: Option<StatusCode>,
}

async fn detail_page(
    app: &AppState,
    id: &Identity,
    aid: &str,
    q: &HashMap<String, String>,
    x: DetailExtras,
) -> PageResult {
    let mut conn = app.db.read().await?;
    let a = assets::by_id(&mut conn.h(), aid)
        .await?
        .ok_or(AppError::NotFound)?;
    let n = dependencies::of_asset(&mut conn.h(), aid).await?;
    let hood = dependencies::neighbourhood(&mut conn.h(), aid, 2, 60).await?;
    drop(conn);
    let line = |d: dependencies::Dependency, other: AssetRef| DepLine {
        id: d.id,
        other_id: other.id,
        other_name: other.name,
        kind: label_of(DEPENDENCY_KINDS, &d.kind),
        note: d.note,
    };
    let software_q = q.get("sq").cloned().unwrap_or_default();
    let after = q
        .get("scursor")
        .and_then(|c| Cursor::decode(c).ok())
        .map(|c| (c.key, c.id));
    let mut software = software::list(&app.db, aid, Some(&software_q), after, 51).await?;
    let software_next = (software.len() > 50).then(|| {
        software.truncate(50);
        let last = &software[49];
        let cur = Cursor {
            key: last.name.clone(),
            id: last.id.clone(),
        }
        .encode();
        format!(
            "/inventory/assets/{aid}?sq={}&scursor={}#software",
            url_escape(&software_q),
            url_escape(&cur)
        )
    });
    let history = software::history(&app.db, aid, 10).await?;
    let device_issues = if devices::DEVICE_KINDS.contains(&a.kind.as_str()) {
        devices::judge(&a, app.clock.now(), DEFAULT_SILENT_DAYS)
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    } else {
        Vec::new()
    };
    let mut c = chrome(app, Some(id), None, "/inventory", a.name.clone()).await;
    c.notice = crate::web::notice(q.get("done").map(String::as_str));
    let page = DetailPage {
        c,
        kind: label_of(KINDS, &a.kind),
        classification: label_of(CLASSIFICATIONS, &a.classification),
        lifecycle: label_of(LIFECYCLES, &a.lifecycle),
        custom: a
            .custom_fields
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect(),
        device_issues,
        depends_on: n
            .depends_on
            .into_iter()
            .map(|d| {
                let o = d.to.clone();
                line(d, o)
            })
            .collect(),
        dependents: n
            .dependents
            .into_iter()
            .map(|d| {
                let o = d.from.clone();
                line(d, o)
            })
            .collect(),
        pic: picture(&hood, aid),
        dep_kinds: opts(DEPENDENCY_KINDS),
        software,
        software_q,
        software_next,
        history,
        can_write: can_write(id),
        sees_accounts: route_allows(Some(id.role()), &Method::GET, "/identity"),
        errors: x.errors,
        problems: x.problems,
        dep_to: x.dep_to,
        a,
    };
    Ok(render(x.status.unwrap_or(StatusCode::OK), &page))
}

/// `GET /inventory/assets/{id}`.
async fn detail(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    detail_page(&app, &id, &aid, &q, DetailExtras::default()).await
}

#[derive(Template)]
#[template(path = "inventory/asset_form.html")]
struct FormPage {
    c: Chrome,
    /// None when creating.
    asset_id: Option<String>,
    v: Values,
    kinds: Vec<Opt>,
    classifications: Vec<Opt>,
    lifecycles: Vec<Opt>,
    ratings: Vec<Opt>,
    errors: Errors,
}

const RATINGS: Choices = &[
    ("1", "1 – low"),
    ("2", "2"),
    ("3", "3 – medium"),
    ("4", "4"),
    ("5", "5 – vital"),
];

/// Form fields that map one-to-one to errors.
const FORM_FIELDS: [&str; 19] = [
    "name",
    "kind",
    "description",
    "owner",
    "custodian",
    "criticality",
    "confidentiality",
    "integrity",
    "availability",
    "classification",
    "lifecycle",
    "location",
    "tags",
    "custom_fields",
    "os_name",
    "os_version",
    "last_check_in",
    "supported_until",
    "internet_exposed",
];

async fn form_page(
    app: &AppState,
    id: &Identity,
    asset_id: Option<String>,
    v: HashMap<String, String>,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let title = if asset_id.is_some() {
        "Edit asset"
    } else {
        "New asset"
    };
    let c = chrome(app, Some(id), None, "/inventory", title).await;
    Ok(render(
        status,
        &FormPage {
            c,
            asset_id,
            v: Values(v),
            kinds: opts(KINDS),
            classifications: opts(CLASSIFICATIONS),
            lifecycles: opts(LIFECYCLES),
            ratings: opts(RATINGS),
            errors,
        },
    ))
}

/// The form's values for an existing asset.
fn values_of(a: &Asset) -> HashMap<String, String> {
    let tri = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    };
    let mut v: HashMap<String, String> = [
        ("name", a.name.clone()),
        ("kind", a.kind.clone()),
        ("description", a.description.clone()),
        (
            "owner",
            a.owner
                .as_ref()
                .map(|p| p.email.clone())
                .unwrap_or_default(),
        ),
        (
            "custodian",
            a.custodian
                .as_ref()
                .map(|p| p.email.clone())
                .unwrap_or_default(),
        ),
        ("criticality", a.criticality.to_string()),
        ("confidentiality", a.confidentiality.to_string()),
        ("integrity", a.integrity.to_string()),
        ("availability", a.availability.to_string()),
        ("classification", a.classification.clone()),
        ("lifecycle", a.lifecycle.clone()),
        ("location", a.location.clone()),
        ("tags", a.tags.join(", ")),
        ("os_name", a.os_name.clone().unwrap_or_default()),
        ("os_version", a.os_version.clone().unwrap_or_default()),
        ("encrypted", tri(a.encrypted).into()),
        ("mdm_enrolled", tri(a.mdm_enrolled).into()),
        (
            "last_check_in",
            a.last_check_in
                .as_deref()
                .map(|t| t[..10].to_string())
                .unwrap_or_default(),
        ),
        (
            "supported_until",
            a.supported_until.clone().unwrap_or_default(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if a.internet_exposed {
        v.insert("internet_exposed".into(), "on".into());
    }
    v.insert(
        "custom_fields".into(),
        a.custom_fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}: {}",
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string())
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    v
}

/// Reads the asset form into API input (every field given: the form shows them all).
fn input_of(f: &FormData) -> Result<AssetInput, Errors> {
    let opt = |k: &str| f.opt(k);
    let num = |k: &str| -> Result<Option<i64>, Errors> {
        opt(k)
            .map(|v| {
                v.parse()
                    .map_err(|_| Errors::field(k, "must be a whole number from 1 to 5"))
            })
            .transpose()
    };
    let tri = |k: &str| match f.get(k).as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let mut custom = serde_json::Map::new();
    for (n, line) in f.get("custom_fields").lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            return Err(Errors::field(
                "custom_fields",
                format!("line {}: write each field as `name: value`", n + 1),
            ));
        };
        custom.insert(k.trim().to_string(), v.trim().into());
    }
    Ok(AssetInput {
        name: Some(f.get("name")),
        kind: Some(f.get("kind")),
        description: Some(f.get("description")),
        owner: Some(opt("owner")),
        custodian: Some(opt("custodian")),
        criticality: num("criticality")?,
        confidentiality: num("confidentiality")?,
        integrity: num("integrity")?,
        availability: num("availability")?,
        classification: opt("classification"),
        lifecycle: opt("lifecycle"),
        location: Some(f.get("location")),
        tags: Some(
            f.get("tags")
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
        ),
        internet_exposed: Some(f.get("internet_exposed") == "on"),
        custom_fields: Some(custom),
        os_name: Some(opt("os_name")),
        os_version: Some(opt("os_version")),
        encrypted: Some(tri("encrypted")),
        mdm_enrolled: Some(tri("mdm_enrolled")),
        last_check_in: Some(opt("last_check_in")),
        supported_until: Some(opt("supported_until")),
    })
}

fn form_values(f: &FormData) -> HashMap<String, String> {
    f.0.iter().cloned().collect()
}

/// `GET /inventory/assets/new`.
async fn new_form(State(app): State<AppState>, Extension(id): Extension<Identity>) -> PageResult {
    let v = [
        ("kind", "server"),
        ("criticality", "3"),
        ("confidentiality", "3"),
        ("integrity", "3"),
        ("availability", "3"),
        ("classification", "internal"),
        ("lifecycle", "active"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    form_page(&app, &id, None, v, Errors::none(), StatusCode::OK).await
}

/// `POST /inventory/assets`.
async fn create(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    submit(&app, &id, None, &f).await
}

/// Creates (`asset_id` none) or changes an asset from the form; shows the form again with its
/// errors when refused.
async fn submit(
    app: &AppState,
    id: &Identity,
    asset_id: Option<String>,
    f: &FormData,
) -> PageResult {
    let errors = match input_of(f) {
        Err(e) => e,
        Ok(i) => {
            let now = app.clock.now();
            let mut tx = app.db.begin().await?;
            let saved = match &asset_id {
                None => assets::create(&mut tx, now, &id.actor(), &i).await,
                Some(aid) => assets::update(&mut tx, now, &id.actor(), aid, &i).await,
            };
            match saved {
                Ok(a) => {
                    tx.commit().await?;
                    return Ok(see_other(&format!("/inventory/assets/{}?done=saved", a.id)));
                }
                Err(e) => Errors::from_app(e, &FORM_FIELDS)?,
            }
        }
    };
    form_page(
        app,
        id,
        asset_id,
        form_values(f),
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `GET /inventory/assets/{id}/edit`.
async fn edit_form(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
) -> PageResult {
    let a = assets::by_id(&mut app.db.read().await?.h(), &aid)
        .await?
        .ok_or(AppError::NotFound)?;
    form_page(
        &app,
        &id,
        Some(aid),
        values_of(&a),
        Errors::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /inventory/assets/{id}`.
async fn save(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    f: FormData,
) -> PageResult {
    submit(&app, &id, Some(aid), &f).await
}

/// `POST /inventory/assets/{id}/delete`.
async fn delete(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    assets::delete(&mut tx, app.clock.now(), &id.actor(), &aid).await?;
    tx.commit().await?;
    Ok(see_other("/inventory?done=deleted"))
}

/// `POST /inventory/assets/{id}/dependencies`: this asset depends on the named one.
async fn add_dependency(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    f: FormData,
) -> PageResult {
    let n = NewDependency {
        from: aid.clone(),
        to: f.get("to"),
        kind: f.get("kind"),
        note: f.get("note"),
    };
    let mut tx = app.db.begin().await?;
    match dependencies::add(&mut tx, app.clock.now(), &id.actor(), &n).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(see_other(&format!(
                "/inventory/assets/{aid}?done=saved#dependencies"
            )))
        }
        Err(e) => {
            drop(tx);
            let errors = Errors::from_app(e, &["to", "kind", "note"])?;
            let x = DetailExtras {
                errors,
                dep_to: n.to,
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                ..DetailExtras::default()
            };
            detail_page(&app, &id, &aid, &HashMap::new(), x).await
        }
    }
}

/// `POST /inventory/dependencies/{id}/delete`.
async fn remove_dependency(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(did): Path<String>,
    f: FormData,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    dependencies::remove(&mut tx, app.clock.now(), &id.actor(), &did).await?;
    tx.commit().await?;
    let back = f.get("back");
    let back = if back.starts_with("/inventory/assets/") {
        back
    } else {
        "/inventory".into()
    };
    Ok(see_other(&format!("{back}?done=saved#dependencies")))
}

/// Imports the uploaded software file into the asset.
async fn import_field(
    app: &AppState,
    id: &Identity,
    aid: &str,
    asked: &str,
    field: Field<'_>,
) -> Result<(), AppError> {
    let actor = id.actor();
    stream_field(field, async |name, head, input| {
        let format = software::choose_format(Some(asked), &name, &head)?;
        software::import(
            &app.db,
            app.clock.now(),
            &actor,
            aid,
            Source { name, format },
            input,
        )
        .await
        .map(|_| ())
    })
    .await
}

/// `POST /inventory/assets/{id}/software-imports` (multipart: `format`, then `file`).
async fn upload(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    mut form: Multipart,
) -> PageResult {
    let bad = |e: MultipartError| PageError(unreadable(e));
    let mut asked = String::new();
    let mut outcome = Err(AppError::field("file", "choose a file to import"));
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("format") => asked = field.text().await.map_err(bad)?,
            Some("file") => {
                outcome = import_field(&app, &id, &aid, &asked, field).await;
                break;
            }
            _ => {}
        }
    }
    match outcome {
        Ok(()) => Ok(see_other(&format!(
            "/inventory/assets/{aid}?done=imported#software"
        ))),
        Err(AppError::Rejected(problems)) => {
            let x = DetailExtras {
                problems: problems.iter().map(ToString::to_string).collect(),
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                ..DetailExtras::default()
            };
            detail_page(&app, &id, &aid, &HashMap::new(), x).await
        }
        Err(e) => {
            let x = DetailExtras {
                errors: Errors::from_app(e, &["file", "format"])?,
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                ..DetailExtras::default()
            };
            detail_page(&app, &id, &aid, &HashMap::new(), x).await
        }
    }
}

#[derive(Template)]
#[template(path = "inventory/devices.html")]
struct DevicesPage {
    c: Chrome,
    rows: Vec<DeviceFinding>,
    days: i64,
}

/// `GET /inventory/devices`.
async fn device_page(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let days = q
        .get("silent_days")
        .and_then(|d| d.parse().ok())
        .filter(|d| (1..=3650).contains(d))
        .unwrap_or(DEFAULT_SILENT_DAYS);
    let rows = devices::check(&app.db, app.clock.now(), days).await?;
    let c = chrome(&app, Some(&id), None, "/inventory", "Device check").await;
    Ok(render(StatusCode::OK, &DevicesPage { c, rows, days }))
}
