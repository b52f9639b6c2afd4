//! The shared records' pages: controls, the threat catalogue, matrices and appetite.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bulwark_risk::{Axis, Level, Matrix};

use super::can_write;
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::error::AppError;
use crate::risk::appetite::{self, AppetiteInput};
use crate::risk::catalogue::CATEGORIES as THREAT_CATEGORIES;
use crate::risk::controls::{self, Control, ControlInput};
use crate::risk::matrices::{self, MatrixInput, RiskMatrix};
use crate::risk::threats::{self, Threat, ThreatInput};
use crate::risk::{CATEGORIES, CONTROL_KINDS, CONTROL_STATUSES, label_of, register};
use crate::web::{
    Chrome, Errors, FormData, Opt, PageResult, Values, chrome, notice, opts, render, see_other,
};

/// A control as listed.
#[derive(Debug)]
pub struct ControlLine {
    pub c: Control,
    pub kind: &'static str,
    pub status: &'static str,
    pub requires: String,
}

#[derive(Template)]
#[template(path = "risk/controls.html")]
struct ControlsPage {
    c: Chrome,
    rows: Vec<ControlLine>,
    /// The control being edited (None: the list with the new-control form).
    editing: Option<Control>,
    risks: Vec<(String, String)>,
    others: Vec<Control>,
    kinds: Vec<Opt>,
    statuses: Vec<Opt>,
    f: Values,
    errors: Errors,
    can_write: bool,
}

const CONTROL_FIELDS: [&str; 8] = [
    "code",
    "name",
    "description",
    "kind",
    "status",
    "owner",
    "one_off_cost",
    "yearly_cost",
];

async fn controls_page(
    app: &AppState,
    id: &Identity,
    editing: Option<String>,
    f: HashMap<String, String>,
    errors: Errors,
) -> PageResult {
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut conn = app.db.read().await?;
    let all = controls::list(&mut conn.h()).await?;
    let editing = match editing {
        Some(cid) => Some(
            all.iter()
                .find(|c| c.id == cid)
                .cloned()
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let risks = match &editing {
        Some(c) => {
            let filter = register::RiskFilter {
                control_id: Some(c.id.clone()),
                ..Default::default()
            };
            register::list(&mut conn.h(), &filter)
                .await?
                .into_iter()
                .map(|r| (r.id, format!("{} {}", r.code, r.title)))
                .collect()
        }
        None => Vec::new(),
    };
    drop(conn);
    let code_of = |cid: &str| {
        all.iter()
            .find(|c| c.id == cid)
            .map_or(cid.to_string(), |c| c.code.clone())
    };
    let rows = all
        .iter()
        .map(|c| ControlLine {
            kind: label_of(CONTROL_KINDS, &c.kind),
            status: label_of(CONTROL_STATUSES, &c.status),
            requires: c
                .requires
                .iter()
                .map(|r| code_of(r))
                .collect::<Vec<_>>()
                .join(", "),
            c: c.clone(),
        })
        .collect();
    let others = all
        .iter()
        .filter(|c| editing.as_ref().is_none_or(|e| e.id != c.id))
        .cloned()
        .collect();
    let title = editing
        .as_ref()
        .map_or("Controls".to_string(), |c| format!("{} {}", c.code, c.name));
    let mut c = chrome(app, Some(id), None, "/risk", title).await;
    c.notice = notice(f.get("done").map(String::as_str));
    Ok(render(
        status,
        &ControlsPage {
            c,
            rows,
            editing,
            risks,
            others,
            kinds: opts(CONTROL_KINDS),
            statuses: opts(CONTROL_STATUSES),
            f: Values(f),
            errors,
            can_write: can_write(id),
        },
    ))
}

/// `GET /risk/controls`.
pub async fn controls(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    controls_page(&app, &id, None, f, Errors::none()).await
}

/// `GET /risk/controls/{id}`: the control with its form and the risks it treats.
pub async fn control(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cid): Path<String>,
    Query(mut f): Query<HashMap<String, String>>,
) -> PageResult {
    let c = controls::by_id(&mut app.db.read().await?.h(), &cid)
        .await?
        .ok_or(AppError::NotFound)?;
    for (k, v) in [
        ("code", c.code.clone()),
        ("name", c.name.clone()),
        ("description", c.description.clone()),
        ("kind", c.kind.clone()),
        ("status", c.status.clone()),
        (
            "owner",
            c.owner
                .as_ref()
                .map(|o| o.email.clone())
                .unwrap_or_default(),
        ),
        ("one_off_cost", c.one_off_cost.to_string()),
        ("yearly_cost", c.yearly_cost.to_string()),
    ] {
        f.insert(k.to_string(), v);
    }
    for r in &c.requires {
        f.insert(format!("requires:{r}"), "on".into());
    }
    controls_page(&app, &id, Some(c.id), f, Errors::none()).await
}

fn control_input(f: &FormData) -> Result<ControlInput, AppError> {
    let money = |k: &str| -> Result<Option<i64>, AppError> {
        let v = f.get(k).replace([',', ' ', '_'], "");
        if v.is_empty() {
            return Ok(Some(0));
        }
        v.parse().map(Some).map_err(|_| {
            AppError::Invalid(vec![bulwark_core::validate::FieldError::new(
                k,
                "must be a whole amount, like 12000",
            )])
        })
    };
    Ok(ControlInput {
        code: f.opt("code"),
        name: Some(f.get("name")),
        description: Some(f.get("description")),
        kind: Some(f.get("kind")),
        status: Some(f.get("status")),
        owner: Some(f.get("owner")),
        one_off_cost: money("one_off_cost")?,
        yearly_cost: money("yearly_cost")?,
        requires: Some(f.all("requires")),
    })
}

async fn control_refused(
    app: &AppState,
    id: &Identity,
    editing: Option<String>,
    f: &FormData,
    e: AppError,
) -> PageResult {
    let errors = Errors::from_app(e, &CONTROL_FIELDS)?;
    let mut typed: HashMap<String, String> = CONTROL_FIELDS
        .iter()
        .map(|n| (n.to_string(), f.get(n)))
        .collect();
    for r in f.all("requires") {
        typed.insert(format!("requires:{r}"), "on".into());
    }
    controls_page(app, id, editing, typed, errors).await
}

/// `POST /risk/controls`.
pub async fn create_control(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let out = match control_input(&f) {
        Ok(i) => {
            let mut tx = app.db.begin().await?;
            let out = controls::create(&mut tx, app.clock.now(), &id.actor(), &i).await;
            if out.is_ok() {
                tx.commit().await?;
            }
            out
        }
        Err(e) => Err(e),
    };
    match out {
        Ok(c) => Ok(see_other(&format!("/risk/controls/{}?done=saved", c.id))),
        Err(e) => control_refused(&app, &id, None, &f, e).await,
    }
}

/// `POST /risk/controls/{id}`.
pub async fn save_control(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cid): Path<String>,
    f: FormData,
) -> PageResult {
    if f.get("delete") == "1" {
        let mut tx = app.db.begin().await?;
        controls::delete(&mut tx, app.clock.now(), &id.actor(), &cid).await?;
        tx.commit().await?;
        return Ok(see_other("/risk/controls?done=deleted"));
    }
    let out = match control_input(&f) {
        Ok(i) => {
            let mut tx = app.db.begin().await?;
            let out = controls::update(&mut tx, app.clock.now(), &id.actor(), &cid, &i).await;
            if out.is_ok() {
                tx.commit().await?;
            }
            out
        }
        Err(e) => Err(e),
    };
    match out {
        Ok(c) => Ok(see_other(&format!("/risk/controls/{}?done=saved", c.id))),
        Err(e) => control_refused(&app, &id, Some(cid), &f, e).await,
    }
}

#[derive(Template)]
#[template(path = "risk/threats.html")]
struct ThreatsPage {
    c: Chrome,
    rows: Vec<(Threat, &'static str)>,
    categories: Vec<Opt>,
    f: Values,
    errors: Errors,
    can_write: bool,
}

async fn threats_page(
    app: &AppState,
    id: &Identity,
    f: HashMap<String, String>,
    errors: Errors,
) -> PageResult {
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let rows = threats::list(&mut app.db.read().await?.h())
        .await?
        .into_iter()
        .map(|t| {
            let cat = label_of(THREAT_CATEGORIES, &t.category);
            (t, cat)
        })
        .collect();
    let mut c = chrome(app, Some(id), None, "/risk", "Threat catalogue").await;
    c.notice = notice(f.get("done").map(String::as_str));
    Ok(render(
        status,
        &ThreatsPage {
            c,
            rows,
            categories: opts(THREAT_CATEGORIES),
            f: Values(f),
            errors,
            can_write: can_write(id),
        },
    ))
}

/// `GET /risk/threats`.
pub async fn threats(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    threats_page(&app, &id, f, Errors::none()).await
}

/// `POST /risk/threats`.
pub async fn create_threat(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let i = ThreatInput {
        code: f.opt("code"),
        name: f.get("name"),
        category: f.get("category"),
        tactics: f
            .get("tactics")
            .split([',', ' '])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        description: f.get("description"),
    };
    let mut tx = app.db.begin().await?;
    match threats::create(&mut tx, app.clock.now(), &id.actor(), &i).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(see_other("/risk/threats?done=saved"))
        }
        Err(e) => {
            let fields = ["code", "name", "category", "tactics", "description"];
            let errors = Errors::from_app(e, &fields)?;
            let typed = fields.iter().map(|n| (n.to_string(), f.get(n))).collect();
            threats_page(&app, &id, typed, errors).await
        }
    }
}

/// A matrix drawn as a table: rows from the highest likelihood down.
#[derive(Debug)]
pub struct MatrixView {
    pub m: RiskMatrix,
    /// `(likelihood label, [(level name, colour)])`, highest likelihood first.
    pub rows: Vec<(String, Vec<(String, String)>)>,
}

impl MatrixView {
    fn of(m: RiskMatrix) -> MatrixView {
        let d = &m.definition;
        let rows = d
            .grid
            .iter()
            .enumerate()
            .rev()
            .map(|(l, row)| {
                (
                    d.likelihood[l].label.clone(),
                    row.iter()
                        .map(|&lv| (d.levels[lv].name.clone(), d.levels[lv].colour.clone()))
                        .collect(),
                )
            })
            .collect();
        MatrixView { m, rows }
    }
}

#[derive(Template)]
#[template(path = "risk/matrices.html")]
struct MatricesPage {
    c: Chrome,
    matrices: Vec<MatrixView>,
    f: Values,
    errors: Errors,
    can_write: bool,
}

async fn matrices_page(
    app: &AppState,
    id: &Identity,
    f: HashMap<String, String>,
    errors: Errors,
) -> PageResult {
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let matrices = matrices::list(&mut app.db.read().await?.h())
        .await?
        .into_iter()
        .map(MatrixView::of)
        .collect();
    let mut c = chrome(app, Some(id), None, "/risk", "Risk matrices").await;
    c.notice = notice(f.get("done").map(String::as_str));
    Ok(render(
        status,
        &MatricesPage {
            c,
            matrices,
            f: Values(f),
            errors,
            can_write: can_write(id),
        },
    ))
}

/// `GET /risk/matrices`.
pub async fn matrices(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    matrices_page(&app, &id, f, Errors::none()).await
}

/// Reads the matrix form: axes as lines `Label | description`, levels as lines `Name #rrggbb`,
/// and the grid as lines of level numbers (1 = the first level), the highest likelihood first.
fn matrix_of(f: &FormData) -> Result<Matrix, AppError> {
    let lines = |k: &str| -> Vec<String> {
        f.get(k)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    let axis = |k: &str| -> Vec<Axis> {
        lines(k)
            .into_iter()
            .map(|l| {
                let (label, description) = l.split_once('|').unwrap_or((&l, ""));
                Axis {
                    label: label.trim().to_string(),
                    description: description.trim().to_string(),
                }
            })
            .collect()
    };
    let levels = lines("levels")
        .into_iter()
        .map(|l| {
            let (name, colour) = l.rsplit_once(' ').unwrap_or((&l, ""));
            Level {
                name: name.trim().to_string(),
                colour: colour.trim().to_string(),
            }
        })
        .collect();
    let mut grid = Vec::new();
    for (n, l) in lines("grid").iter().rev().enumerate() {
        let row: Result<Vec<usize>, _> = l
            .split([' ', ',', '\t'])
            .filter(|x| !x.is_empty())
            .map(|x| x.parse::<usize>().map(|v| v.saturating_sub(1)))
            .collect();
        grid.push(row.map_err(|_| {
            AppError::Invalid(vec![bulwark_core::validate::FieldError::new(
                "grid",
                format!(
                    "line {} from the bottom must be level numbers separated by spaces",
                    n + 1
                ),
            )])
        })?);
    }
    Ok(Matrix {
        likelihood: axis("likelihood"),
        impact: axis("impact"),
        levels,
        grid,
    })
}

/// `POST /risk/matrices`.
pub async fn create_matrix(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let out = match matrix_of(&f) {
        Ok(definition) => {
            let i = MatrixInput {
                name: f.get("name"),
                definition,
            };
            let mut tx = app.db.begin().await?;
            let out = matrices::create(&mut tx, app.clock.now(), &id.actor(), &i).await;
            if out.is_ok() {
                tx.commit().await?;
            }
            out
        }
        Err(e) => Err(e),
    };
    match out {
        Ok(_) => Ok(see_other("/risk/matrices?done=saved")),
        Err(e) => {
            let fields = ["name", "likelihood", "impact", "levels", "grid"];
            let errors = Errors::from_app(e, &fields)?;
            let typed = fields.iter().map(|n| (n.to_string(), f.get(n))).collect();
            matrices_page(&app, &id, typed, errors).await
        }
    }
}

/// A category with its appetite.
#[derive(Debug)]
pub struct AppetiteLine {
    pub value: &'static str,
    pub label: &'static str,
    /// The level's name, empty when none is set.
    pub level: String,
}

#[derive(Template)]
#[template(path = "risk/appetite.html")]
struct AppetitePage {
    c: Chrome,
    rows: Vec<AppetiteLine>,
    levels: Vec<String>,
    matrix: String,
    errors: Errors,
    can_write: bool,
}

/// `GET /risk/appetite`: the highest acceptable level per category, on the default matrix.
pub async fn appetite(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    appetite_page(&app, &id, f.get("done").map(String::as_str), Errors::none()).await
}

async fn appetite_page(
    app: &AppState,
    id: &Identity,
    done: Option<&str>,
    errors: Errors,
) -> PageResult {
    let mut conn = app.db.read().await?;
    let set = appetite::by_category(&mut conn.h()).await?;
    let m = matrices::by_id(&mut conn.h(), &matrices::default_id())
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let rows = CATEGORIES
        .iter()
        .map(|(value, label)| AppetiteLine {
            value,
            label,
            level: set
                .get(*value)
                .map(|a| a.level_name.clone())
                .unwrap_or_default(),
        })
        .collect();
    let mut c = chrome(app, Some(id), None, "/risk", "Risk appetite").await;
    c.notice = notice(done);
    Ok(render(
        if errors.any() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &AppetitePage {
            c,
            rows,
            levels: m.definition.levels.iter().map(|l| l.name.clone()).collect(),
            matrix: m.name,
            errors,
            can_write: can_write(id),
        },
    ))
}

/// `POST /risk/appetite`: one select per category (`appetite_<category>`); empty removes it.
pub async fn save_appetite(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    let now = app.clock.now();
    let set = appetite::by_category(&mut tx.h()).await?;
    for (category, _) in CATEGORIES {
        let chosen = f.get(&format!("appetite_{category}"));
        let current = set
            .get(*category)
            .map(|a| a.level_name.as_str())
            .unwrap_or("");
        if chosen == current {
            continue;
        }
        let out = if chosen.is_empty() {
            appetite::remove(&mut tx, now, &id.actor(), category).await
        } else {
            let i = AppetiteInput {
                matrix_id: None,
                max_level: chosen,
            };
            appetite::set(&mut tx, now, &id.actor(), category, &i)
                .await
                .map(|_| ())
        };
        if let Err(e) = out {
            drop(tx);
            return appetite_page(&app, &id, None, Errors::from_app(e, &[])?).await;
        }
    }
    tx.commit().await?;
    Ok(see_other("/risk/appetite?done=saved"))
}
