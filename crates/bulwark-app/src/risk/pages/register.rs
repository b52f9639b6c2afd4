//! The register list with its heat maps, the risk form, and a risk's page with its scores,
//! action plan and acceptance.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::{LevelView, can_accept, can_write};
use crate::access::Identity;
use crate::app::AppState;
use crate::identity::people;
use crate::inventory::assets;
use crate::platform::http::error::AppError;
use crate::risk::api::{RisksQuery, approver, heatmap_svg};
use crate::risk::assessments::{self, Assessment, AssessmentInput};
use crate::risk::register::{self, Risk, RiskInput};
use crate::risk::treatment::{self, Acceptance, AcceptanceInput, ActionInput, RiskAction};
use crate::risk::{
    ASSESSMENT_KINDS, CATEGORIES, STATUSES, TREATMENTS, controls, label_of, matrices, threats,
};
use crate::web::{
    Chrome, Errors, FormData, Opt, PageResult, Values, chrome, notice, opts, render, see_other,
    when,
};

/// A row of the register.
#[derive(Debug)]
pub struct RiskLine {
    pub id: String,
    pub code: String,
    pub title: String,
    pub category: &'static str,
    pub owner: String,
    pub status: &'static str,
    pub treatment: &'static str,
    pub inherent: Option<LevelView>,
    pub current: Option<LevelView>,
    pub target: Option<LevelView>,
    pub above_appetite: bool,
    pub acceptance_until: String,
    pub overdue: bool,
}

impl RiskLine {
    fn of(r: &Risk, today: &str) -> RiskLine {
        RiskLine {
            id: r.id.clone(),
            code: r.code.clone(),
            title: r.title.clone(),
            category: label_of(CATEGORIES, &r.category),
            owner: r.owner_name.clone().unwrap_or_default(),
            status: label_of(STATUSES, &r.status),
            treatment: label_of(TREATMENTS, &r.treatment),
            inherent: LevelView::of(r.inherent.as_ref()),
            current: LevelView::of(r.current.as_ref()),
            target: LevelView::of(r.target.as_ref()),
            above_appetite: r.above_appetite,
            acceptance_until: r
                .acceptance
                .as_ref()
                .map(|a| a.expires.clone())
                .unwrap_or_default(),
            overdue: r.next_action_due.as_deref().is_some_and(|d| d < today),
        }
    }
}

#[derive(Template)]
#[template(path = "risk/register.html")]
struct RegisterPage {
    c: Chrome,
    rows: Vec<RiskLine>,
    total: usize,
    above: usize,
    accepted: usize,
    inherent_map: String,
    current_map: String,
    statuses: Vec<Opt>,
    categories: Vec<Opt>,
    treatments: Vec<Opt>,
    f: Values,
    can_write: bool,
}

fn today(app: &AppState) -> String {
    app.clock
        .now()
        .datetime()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// `GET /risk`: the register, filtered, with the inherent and current heat maps of the default
/// matrix.
pub async fn list(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).cloned().filter(|v| !v.is_empty());
    let q = RisksQuery {
        status: get("status"),
        category: get("category"),
        treatment: get("treatment"),
        above_appetite: get("above_appetite").map(|v| v == "true"),
        q: get("q"),
        ..RisksQuery::default()
    };
    let filter = q.filter()?;
    let mut conn = app.db.read().await?;
    let all = register::list(&mut conn.h(), &Default::default()).await?;
    let m = matrices::by_id(&mut conn.h(), &matrices::default_id())
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let today = today(&app);
    let shown: Vec<RiskLine> = all
        .iter()
        .filter(|r| filter.keeps(r))
        .map(|r| RiskLine::of(r, &today))
        .collect();
    let live: Vec<&Risk> = all.iter().filter(|r| r.status != "closed").collect();
    let mut c = chrome(&app, Some(&id), None, "/risk", "Risk register").await;
    c.notice = notice(f.get("done").map(String::as_str));
    Ok(render(
        StatusCode::OK,
        &RegisterPage {
            c,
            total: live.len(),
            above: live.iter().filter(|r| r.above_appetite).count(),
            accepted: live.iter().filter(|r| r.acceptance.is_some()).count(),
            inherent_map: heatmap_svg(&all, &m, "inherent"),
            current_map: heatmap_svg(&all, &m, "current"),
            rows: shown,
            statuses: opts(STATUSES),
            categories: opts(CATEGORIES),
            treatments: opts(TREATMENTS),
            f: Values(f),
            can_write: can_write(&id),
        },
    ))
}

/// A person, an asset, a threat or a control to choose in the risk form.
#[derive(Debug)]
pub struct Pick {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "risk/form.html")]
struct RiskForm {
    c: Chrome,
    /// None for a new risk.
    risk_id: Option<String>,
    f: Values,
    errors: Errors,
    categories: Vec<Opt>,
    statuses: Vec<Opt>,
    treatments: Vec<Opt>,
    owners: Vec<Pick>,
    matrices: Vec<Pick>,
    assets: Vec<Pick>,
    threats: Vec<Pick>,
    controls: Vec<Pick>,
}

/// The form's fields.
const FIELDS: [&str; 9] = [
    "code",
    "title",
    "description",
    "category",
    "owner",
    "status",
    "treatment",
    "treatment_plan",
    "review_date",
];

async fn form_page(
    app: &AppState,
    id: &Identity,
    risk_id: Option<String>,
    f: Values,
    chosen: &HashMap<&str, Vec<String>>,
    errors: Errors,
) -> PageResult {
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let picked = |k: &str, v: &str| chosen.get(k).is_some_and(|c| c.iter().any(|x| x == v));
    let mut conn = app.db.read().await?;
    let owners = people::all(&mut conn.h())
        .await?
        .into_iter()
        .filter(|p| p.status != "leaver")
        .map(|p| Pick {
            selected: f.v("owner").eq_ignore_ascii_case(&p.email),
            label: format!("{} ({})", p.name, p.email),
            value: p.email,
        })
        .collect();
    let matrices = matrices::list(&mut conn.h())
        .await?
        .into_iter()
        .map(|m| Pick {
            selected: f.v("matrix_id") == m.id,
            label: format!("{} ({})", m.name, m.size),
            value: m.id,
        })
        .collect();
    let assets = assets::names(&mut conn.h())
        .await?
        .into_iter()
        .map(|(aid, name)| Pick {
            selected: picked("assets", &aid),
            label: name,
            value: aid,
        })
        .collect();
    let threats = threats::list(&mut conn.h())
        .await?
        .into_iter()
        .map(|t| Pick {
            selected: picked("threats", &t.id),
            label: format!("{} {}", t.code, t.name),
            value: t.id,
        })
        .collect();
    let controls = controls::list(&mut conn.h())
        .await?
        .into_iter()
        .map(|c| Pick {
            selected: picked("controls", &c.id),
            label: format!("{} {}", c.code, c.name),
            value: c.id,
        })
        .collect();
    drop(conn);
    let title = if risk_id.is_some() {
        "Edit risk"
    } else {
        "New risk"
    };
    let c = chrome(app, Some(id), None, "/risk", title).await;
    Ok(render(
        status,
        &RiskForm {
            c,
            risk_id,
            f,
            errors,
            categories: opts(CATEGORIES),
            statuses: opts(STATUSES),
            treatments: opts(TREATMENTS),
            owners,
            matrices,
            assets,
            threats,
            controls,
        },
    ))
}

/// `GET /risk/risks/new`.
pub async fn new_form(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
) -> PageResult {
    let mut f = HashMap::new();
    f.insert("matrix_id".to_string(), matrices::default_id());
    f.insert("status".to_string(), "open".to_string());
    form_page(&app, &id, None, Values(f), &HashMap::new(), Errors::none()).await
}

/// `GET /risk/risks/{id}/edit`.
pub async fn edit_form(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
) -> PageResult {
    let r = register::by_id(&mut app.db.read().await?.h(), &rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let f: HashMap<String, String> = [
        ("code", r.code.clone()),
        ("title", r.title.clone()),
        ("description", r.description.clone()),
        ("category", r.category.clone()),
        (
            "owner",
            r.owner
                .as_ref()
                .map(|o| o.email.clone())
                .unwrap_or_default(),
        ),
        ("status", r.status.clone()),
        ("treatment", r.treatment.clone()),
        ("treatment_plan", r.treatment_plan.clone()),
        ("review_date", r.review_date.clone().unwrap_or_default()),
        ("matrix_id", r.matrix_id.clone()),
        ("weaknesses", r.weaknesses.join("\n")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let ids = |l: &[register::Linked]| l.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    let chosen = HashMap::from([
        ("assets", ids(&r.assets)),
        ("threats", ids(&r.threats)),
        ("controls", ids(&r.controls)),
    ]);
    form_page(&app, &id, Some(r.id), Values(f), &chosen, Errors::none()).await
}

fn input_of(f: &FormData) -> RiskInput {
    let text = |k: &str| Some(f.get(k));
    RiskInput {
        code: f.opt("code"),
        title: text("title"),
        description: text("description"),
        category: text("category"),
        owner: text("owner"),
        status: f.opt("status"),
        treatment: text("treatment"),
        treatment_plan: text("treatment_plan"),
        review_date: text("review_date"),
        matrix_id: f.opt("matrix_id"),
        weaknesses: Some(f.get("weaknesses").lines().map(str::to_string).collect()),
        assets: Some(f.all("assets")),
        threats: Some(f.all("threats")),
        controls: Some(f.all("controls")),
    }
}

async fn refused(
    app: &AppState,
    id: &Identity,
    risk_id: Option<String>,
    f: &FormData,
    e: AppError,
) -> PageResult {
    let mut fields: Vec<&str> = FIELDS.to_vec();
    fields.extend(["matrix_id", "weaknesses"]);
    let errors = Errors::from_app(e, &fields)?;
    let mut typed: HashMap<String, String> =
        fields.iter().map(|n| (n.to_string(), f.get(n))).collect();
    typed.insert("weaknesses".into(), f.get("weaknesses"));
    let chosen = HashMap::from([
        ("assets", f.all("assets")),
        ("threats", f.all("threats")),
        ("controls", f.all("controls")),
    ]);
    form_page(app, id, risk_id, Values(typed), &chosen, errors).await
}

/// `POST /risk/risks`.
pub async fn create(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    match register::create(&mut tx, app.clock.now(), &id.actor(), &input_of(&f)).await {
        Ok(r) => {
            tx.commit().await?;
            Ok(see_other(&format!("/risk/risks/{}?done=saved", r.id)))
        }
        Err(e) => refused(&app, &id, None, &f, e).await,
    }
}

/// `POST /risk/risks/{id}`.
pub async fn save(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    f: FormData,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    let mut input = input_of(&f);
    if f.get("status") == "accepted" {
        // The form shows the accepted status but it changes only through the acceptance.
        input.status = None;
    }
    match register::update(&mut tx, app.clock.now(), &id.actor(), &rid, &input).await {
        Ok(r) => {
            tx.commit().await?;
            Ok(see_other(&format!("/risk/risks/{}?done=saved", r.id)))
        }
        Err(e) => refused(&app, &id, Some(rid), &f, e).await,
    }
}

/// `POST /risk/risks/{id}/delete`.
pub async fn delete(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    register::delete(&mut tx, app.clock.now(), &id.actor(), &rid).await?;
    tx.commit().await?;
    Ok(see_other("/risk?done=deleted"))
}

/// A score as shown in the history.
#[derive(Debug)]
pub struct ScoreLine {
    pub kind: &'static str,
    pub level: LevelView,
    pub a: Assessment,
    pub when: String,
}

/// An axis position to choose.
#[derive(Debug)]
pub struct AxisOpt {
    pub value: usize,
    pub label: String,
}

#[derive(Template)]
#[template(path = "risk/risk.html")]
struct RiskPage {
    c: Chrome,
    r: Risk,
    category: &'static str,
    status: &'static str,
    treatment: &'static str,
    inherent: Option<LevelView>,
    current: Option<LevelView>,
    target: Option<LevelView>,
    history: Vec<ScoreLine>,
    actions: Vec<RiskAction>,
    acceptances: Vec<Acceptance>,
    matrix_name: String,
    likelihoods: Vec<AxisOpt>,
    impacts: Vec<AxisOpt>,
    kinds: Vec<Opt>,
    today: String,
    f: Values,
    errors: Errors,
    /// Which form the errors belong to: score, action or accept.
    failed: String,
    can_write: bool,
    can_accept: bool,
    /// Whether the quantitative model's page exists.
    quantified_page: bool,
}

async fn risk_page(
    app: &AppState,
    id: &Identity,
    rid: &str,
    f: HashMap<String, String>,
    failed: &str,
    errors: Errors,
) -> PageResult {
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut conn = app.db.read().await?;
    let r = register::by_id(&mut conn.h(), rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = assessments::history(&mut conn.h(), rid)
        .await?
        .into_iter()
        .map(|a| ScoreLine {
            kind: label_of(ASSESSMENT_KINDS, &a.kind),
            level: LevelView::of(Some(&a)).unwrap_or_default(),
            when: when(&a.assessed_at),
            a,
        })
        .collect();
    let actions = treatment::actions(&mut conn.h(), rid).await?;
    let acceptances = treatment::acceptances(&mut conn.h(), rid).await?;
    let m = matrices::by_id(&mut conn.h(), &r.matrix_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let axis = |a: &[bulwark_risk::Axis]| {
        a.iter()
            .enumerate()
            .rev()
            .map(|(n, x)| AxisOpt {
                value: n + 1,
                label: if x.description.is_empty() {
                    x.label.clone()
                } else {
                    format!("{} — {}", x.label, x.description)
                },
            })
            .collect()
    };
    let mut c = chrome(
        app,
        Some(id),
        None,
        "/risk",
        format!("{} {}", r.code, r.title),
    )
    .await;
    c.notice = notice(f.get("done").map(String::as_str));
    Ok(render(
        status,
        &RiskPage {
            c,
            category: label_of(CATEGORIES, &r.category),
            status: label_of(STATUSES, &r.status),
            treatment: label_of(TREATMENTS, &r.treatment),
            inherent: LevelView::of(r.inherent.as_ref()),
            current: LevelView::of(r.current.as_ref()),
            target: LevelView::of(r.target.as_ref()),
            history,
            actions,
            acceptances,
            matrix_name: format!("{} ({})", m.name, m.size),
            likelihoods: axis(&m.definition.likelihood),
            impacts: axis(&m.definition.impact),
            kinds: opts(ASSESSMENT_KINDS),
            today: today(app),
            f: Values(f),
            errors,
            failed: failed.to_string(),
            can_write: can_write(id),
            can_accept: can_accept(id),
            quantified_page: crate::web::route_allows(
                Some(id.role()),
                &axum::http::Method::GET,
                "/risk/risks/{id}/quantification",
            ),
            r,
        },
    ))
}

/// `GET /risk/risks/{id}`.
pub async fn page(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    risk_page(&app, &id, &rid, f, "", Errors::none()).await
}

/// Runs one of the risk page's forms: back to the page when it worked, the page with the
/// form's errors when it did not.
async fn on_risk_page<T>(
    app: &AppState,
    id: &Identity,
    rid: &str,
    f: &FormData,
    (form, fields): (&str, &[&str]),
    outcome: Result<T, AppError>,
    tx: crate::platform::db::Tx,
) -> PageResult {
    match outcome {
        Ok(_) => {
            tx.commit().await?;
            Ok(see_other(&format!("/risk/risks/{rid}?done=saved#{form}")))
        }
        Err(e) => {
            drop(tx);
            let errors = Errors::from_app(e, fields)?;
            let typed = fields.iter().map(|n| (n.to_string(), f.get(n))).collect();
            risk_page(app, id, rid, typed, form, errors).await
        }
    }
}

/// `POST /risk/risks/{id}/assessments`.
pub async fn assess(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    f: FormData,
) -> PageResult {
    let i = AssessmentInput {
        kind: f.get("kind"),
        likelihood: f.get("likelihood").parse().unwrap_or(0),
        impact: f.get("impact").parse().unwrap_or(0),
        matrix_id: None,
        rationale: f.get("rationale"),
    };
    let mut tx = app.db.begin().await?;
    let out = assessments::assess(&mut tx, app.clock.now(), &id.actor(), &rid, &i).await;
    let fields = ["kind", "likelihood", "impact", "rationale"];
    on_risk_page(&app, &id, &rid, &f, ("scores", &fields), out, tx).await
}

/// `POST /risk/risks/{id}/actions`.
pub async fn add_action(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    f: FormData,
) -> PageResult {
    let i = ActionInput {
        title: Some(f.get("title")),
        owner: Some(f.get("owner")),
        due_date: Some(f.get("due_date")),
        status: None,
    };
    let mut tx = app.db.begin().await?;
    let out = treatment::add_action(&mut tx, app.clock.now(), &id.actor(), &rid, &i).await;
    let fields = ["title", "owner", "due_date"];
    on_risk_page(&app, &id, &rid, &f, ("actions", &fields), out, tx).await
}

/// `POST /risk/actions/{id}/status` (`status` = open or done).
pub async fn action_status(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    f: FormData,
) -> PageResult {
    let i = ActionInput {
        status: Some(f.get("status")),
        ..ActionInput::default()
    };
    let mut tx = app.db.begin().await?;
    let a = treatment::update_action(&mut tx, app.clock.now(), &id.actor(), &aid, &i).await?;
    tx.commit().await?;
    Ok(see_other(&format!(
        "/risk/risks/{}?done=saved#actions",
        a.risk_id
    )))
}

/// `POST /risk/risks/{id}/acceptances`.
pub async fn accept(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
    f: FormData,
) -> PageResult {
    let i = AcceptanceInput {
        justification: f.get("justification"),
        expires: f.get("expires"),
    };
    let mut tx = app.db.begin().await?;
    let out = treatment::accept(&mut tx, app.clock.now(), &approver(&id), &rid, &i).await;
    let fields = ["justification", "expires"];
    on_risk_page(&app, &id, &rid, &f, ("acceptance", &fields), out, tx).await
}

/// `POST /risk/risks/{id}/acceptances/withdrawal`.
pub async fn withdraw(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    treatment::withdraw(&mut tx, app.clock.now(), &id.actor(), &rid).await?;
    tx.commit().await?;
    Ok(see_other(&format!(
        "/risk/risks/{rid}?done=saved#acceptance"
    )))
}
