//! Pages of quantitative risk: a risk's estimates (with its controls' effects and its
//! simulations), the simulation list, one simulation (refreshing itself while it runs, then its
//! figures and loss-exceedance curve), and "what to fund next".

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::validate::FieldError;
use bulwark_core::{Access, Area, Permission};

use super::api::{cancel_action, delete_action, effect_action, request_action, save_action};
use super::model;
use super::report::{Figures, Plan, ReportView};
use super::runs::{self, NewSimulation, RunFilter};
use super::{ControlEffect, Effect, Estimate, Estimates, SCOPES, Secondary, Simulation, store};
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::AppError;
use crate::risk::controls::{self, Control};
use crate::risk::{CONTROL_STATUSES, label_of as label, register};
use crate::settings::RiskTolerance;
use crate::web::{
    Chrome, Errors, FormData, PageResult, Values, chrome, html, list_link, notice, render,
    route_allows, see_other, when,
};

/// The page routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Risk));
    let write = Access::Requires(Permission::Write(Area::Risk));
    Routes::default()
        .add(
            M::GET,
            "/risk/risks/{id}/quantification",
            read,
            html(quantification),
        )
        .add(
            M::POST,
            "/risk/risks/{id}/quantification",
            write,
            html(save),
        )
        .add(
            M::POST,
            "/risk/risks/{id}/quantification/delete",
            write,
            html(remove),
        )
        .add(M::POST, "/risk/risks/{id}/effects", write, html(set_effect))
        .add(M::GET, "/risk/simulations", read, html(simulations))
        .add(M::POST, "/risk/simulations", write, html(start))
        .add(M::GET, "/risk/simulations/{id}", read, html(simulation))
        .add(
            M::POST,
            "/risk/simulations/{id}/cancel",
            write,
            html(cancel),
        )
        .add(M::GET, "/risk/investments", read, html(investments))
}

fn can_write(id: &Identity) -> bool {
    route_allows(Some(id.role()), &Method::POST, "/risk/simulations")
}

/// A number as people type it: no exponent, no trailing zeros.
fn plain(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A number typed by a person: thousands separators and spaces are ignored.
fn typed_number(s: &str) -> Result<f64, ()> {
    s.replace([',', ' ', '_'], "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or(())
}

/// One estimate of the form: its field prefix, label and help.
pub struct EstimateField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
}

impl EstimateField {
    /// The name of one of its form fields: `kind`, `min`, `mode` or `max`.
    pub fn field(&self, part: &str) -> String {
        format!("{}_{part}", self.name)
    }

    /// Its three number boxes: field name and label.
    pub fn boxes(&self) -> [(String, &'static str); 3] {
        [
            (self.field("min"), "Lowest"),
            (self.field("mode"), "Most likely"),
            (self.field("max"), "Highest"),
        ]
    }
}

/// The estimates, in the form's order.
const ESTIMATES: [EstimateField; 6] = [
    EstimateField {
        name: "lef",
        label: "Loss events a year",
        hint: "How many times a year this goes wrong and costs money. 0.2 means once in five years.",
    },
    EstimateField {
        name: "tef",
        label: "Threat events a year",
        hint: "How many times a year someone or something tries (phishing mails that reach staff, attacks on the VPN…).",
    },
    EstimateField {
        name: "vulnerability",
        label: "Share of threat events that become losses",
        hint: "A probability from 0 to 1: 0.1 means one attempt in ten gets through. A range or a known value, not a 90 % interval.",
    },
    EstimateField {
        name: "primary_loss",
        label: "Cost of each loss event",
        hint: "What one incident costs directly: response, recovery, downtime, lost business.",
    },
    EstimateField {
        name: "secondary_probability",
        label: "Chance that an incident brings follow-on costs",
        hint: "A probability from 0 to 1. Leave the kind empty when there are no follow-on costs.",
    },
    EstimateField {
        name: "secondary_loss",
        label: "Follow-on costs of such an incident",
        hint: "Fines, lawsuits, customers leaving.",
    },
];

/// The form's field names: the frequency choice and each estimate's kind and three numbers.
fn form_fields() -> Vec<String> {
    let mut out = vec!["frequency".to_string()];
    for e in &ESTIMATES {
        out.extend(["kind", "min", "mode", "max"].map(|part| e.field(part)));
    }
    out
}

/// The form field showing an engine problem: `tef.low` is typed in `tef_min`, a whole estimate's
/// problem goes to its kind.
fn form_field(path: &str) -> String {
    let s = path.replace('.', "_");
    for (from, to) in [("_low", "_min"), ("_high", "_max"), ("_constant", "_mode")] {
        if let Some(base) = s.strip_suffix(from) {
            return format!("{base}{to}");
        }
    }
    if ESTIMATES.iter().any(|e| e.name == s) {
        return format!("{s}_kind");
    }
    s
}

/// The form's values of stored estimates.
fn values(e: &Estimates) -> HashMap<String, String> {
    let mut f = HashMap::new();
    f.insert(
        "frequency".to_string(),
        if e.tef.is_some() { "tef" } else { "lef" }.to_string(),
    );
    let secondary = e.secondary.as_ref();
    for (name, est) in [
        ("lef", e.lef.as_ref()),
        ("tef", e.tef.as_ref()),
        ("vulnerability", e.vulnerability.as_ref()),
        ("primary_loss", e.primary_loss.as_ref()),
        ("secondary_probability", secondary.map(|s| &s.probability)),
        ("secondary_loss", secondary.map(|s| &s.loss)),
    ] {
        let Some(est) = est else { continue };
        let (kind, min, mode, max) = if est.constant.is_some() {
            ("constant", None, est.constant, None)
        } else if est.low.is_some() || est.high.is_some() {
            ("interval", est.low, None, est.high)
        } else {
            ("pert", est.min, est.mode, est.max)
        };
        f.insert(format!("{name}_kind"), kind.to_string());
        for (part, v) in [("min", min), ("mode", mode), ("max", max)] {
            f.insert(format!("{name}_{part}"), v.map(plain).unwrap_or_default());
        }
    }
    f
}

/// The estimates typed in the form; every box that is not a number, or that the chosen kind
/// needs and is empty, is named.
fn read_form(f: &FormData) -> Result<Estimates, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut estimate = |name: &str| -> Option<Estimate> {
        let mut num = |part: &str, needed: bool| {
            let field = format!("{name}_{part}");
            match f.opt(&field) {
                None if needed => {
                    errs.push(FieldError::new(
                        &field,
                        "is needed for this kind of estimate",
                    ));
                    None
                }
                None => None,
                Some(s) => typed_number(&s)
                    .map_err(|()| errs.push(FieldError::new(&field, "is not a number")))
                    .ok(),
            }
        };
        match f.get(&format!("{name}_kind")).as_str() {
            "" => None,
            "constant" => Some(Estimate {
                constant: num("mode", true),
                ..Estimate::default()
            }),
            "interval" => Some(Estimate {
                low: num("min", true),
                high: num("max", true),
                ..Estimate::default()
            }),
            _ => Some(Estimate {
                min: num("min", true),
                mode: num("mode", true),
                max: num("max", true),
                ..Estimate::default()
            }),
        }
    };
    let by_threats = f.get("frequency") == "tef";
    let (tef, vulnerability, lef) = if by_threats {
        (estimate("tef"), estimate("vulnerability"), None)
    } else {
        (None, None, estimate("lef"))
    };
    let primary_loss = estimate("primary_loss");
    let secondary = match (
        estimate("secondary_probability"),
        estimate("secondary_loss"),
    ) {
        (Some(probability), Some(loss)) => Some(Secondary { probability, loss }),
        (None, None) => None,
        (p, _) => {
            let missing = if p.is_none() {
                "secondary_probability_kind"
            } else {
                "secondary_loss_kind"
            };
            errs.push(FieldError::new(
                missing,
                "give both the chance and the cost of follow-on costs, or neither",
            ));
            None
        }
    };
    if errs.is_empty() {
        Ok(Estimates {
            tef,
            vulnerability,
            lef,
            primary_loss,
            secondary,
        })
    } else {
        Err(errs)
    }
}

/// A control linked to the risk, as the page shows it.
pub struct EffectLine {
    pub e: ControlEffect,
    pub status: &'static str,
    /// Planned or in progress: its effect counts in the investment analysis.
    pub investment: bool,
    /// The reductions in percent, as typed: tef, vulnerability, lef, loss.
    pub percents: [String; 4],
}

/// A simulation in a list.
pub struct RunLine {
    pub s: Simulation,
    pub scope: &'static str,
    pub created: String,
}

impl From<Simulation> for RunLine {
    fn from(s: Simulation) -> Self {
        RunLine {
            scope: label(SCOPES, &s.scope),
            created: when(&s.created_at),
            s,
        }
    }
}

#[derive(Template)]
#[template(path = "risk/quant/quantification.html")]
struct QuantPage {
    c: Chrome,
    risk: register::Risk,
    f: Values,
    errors: Errors,
    estimates: &'static [EstimateField],
    /// The exact mean annual loss of the stored estimates, and who saved them when.
    saved: Option<(String, String)>,
    effects: Vec<EffectLine>,
    /// Controls not linked yet, for the "add an effect" form.
    others: Vec<Control>,
    runs: Vec<RunLine>,
    can_write: bool,
}

async fn quant_page(
    app: &AppState,
    id: &Identity,
    risk_id: &str,
    typed: Option<HashMap<String, String>>,
    errors: Errors,
    done: Option<&str>,
) -> PageResult {
    let mut conn = app.db.read().await?;
    let risk = register::by_id(&mut conn.h(), risk_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let stored = store::get(&mut conn.h(), risk_id).await?;
    let effects = store::effects(&mut conn.h(), risk_id).await?;
    let linked: HashSet<&str> = effects.iter().map(|e| e.control_id.as_str()).collect();
    let others = controls::list(&mut conn.h())
        .await?
        .into_iter()
        .filter(|c| !linked.contains(c.id.as_str()) && c.status != "retired")
        .collect();
    let f = RunFilter {
        risk_id: Some(risk_id.to_string()),
        ..RunFilter::default()
    };
    let runs = runs::list(&mut conn.h(), &f, None, 5).await?;
    drop(conn);
    let settings = app.settings.get(&app.db, app.clock.now()).await?;
    let money = |v: f64| bulwark_fair::advice::money(v, &settings.currency);
    let saved = stored.as_ref().map(|q| {
        (
            money(q.mean_annual_loss),
            format!("{} by {}", when(&q.updated_at), q.updated_by),
        )
    });
    let f = typed.unwrap_or_else(|| {
        let mut f = stored
            .as_ref()
            .map(|q| values(&q.model))
            .unwrap_or_default();
        f.entry("primary_loss_kind".into()).or_insert("pert".into());
        f.entry("lef_kind".into()).or_insert("pert".into());
        f
    });
    let mut c = chrome(
        app,
        Some(id),
        None,
        "/risk",
        format!("{} {}: quantification", risk.code, risk.title),
    )
    .await;
    c.notice = notice(done);
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(
        status,
        &QuantPage {
            c,
            risk,
            f: Values(f),
            errors,
            estimates: &ESTIMATES,
            saved,
            effects: effects
                .into_iter()
                .map(|e| {
                    let x = e.effect.unwrap_or_default();
                    EffectLine {
                        status: label(CONTROL_STATUSES, &e.control_status),
                        investment: ["planned", "in_progress"].contains(&e.control_status.as_str()),
                        percents: [x.tef, x.vulnerability, x.lef, x.loss].map(|v| plain(v * 100.0)),
                        e,
                    }
                })
                .collect(),
            others,
            runs: runs.into_iter().map(RunLine::from).collect(),
            can_write: can_write(id),
        },
    ))
}

/// `GET /risk/risks/{id}/quantification`.
async fn quantification(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(risk_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    quant_page(
        &app,
        &id,
        &risk_id,
        None,
        Errors::none(),
        q.get("done").map(String::as_str),
    )
    .await
}

/// `POST /risk/risks/{id}/quantification`.
async fn save(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(risk_id): Path<String>,
    f: FormData,
) -> PageResult {
    let result = match read_form(&f) {
        Ok(e) => save_action(&app, &id, &risk_id, &e).await.map(|_| ()),
        Err(errs) => Err(AppError::Invalid(errs)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/risk/risks/{risk_id}/quantification?done=saved"
        ))),
        Err(AppError::Invalid(errs)) => {
            let errs = errs
                .into_iter()
                .map(|e| FieldError::new(form_field(&e.field), e.message))
                .collect();
            let fields = form_fields();
            let names: Vec<&str> = fields.iter().map(String::as_str).collect();
            let errors = Errors::from_app(AppError::Invalid(errs), &names)?;
            let typed = f.0.iter().cloned().collect();
            quant_page(&app, &id, &risk_id, Some(typed), errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /risk/risks/{id}/quantification/delete`.
async fn remove(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(risk_id): Path<String>,
) -> PageResult {
    delete_action(&app, &id, &risk_id).await?;
    Ok(see_other(&format!(
        "/risk/risks/{risk_id}/quantification?done=deleted"
    )))
}

/// `POST /risk/risks/{id}/effects`: a control's effect, in percent, from the page.
async fn set_effect(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(risk_id): Path<String>,
    f: FormData,
) -> PageResult {
    let mut errs = Vec::new();
    let mut percent = |name: &str| match f.opt(name).as_deref().map(typed_number) {
        None => 0.0,
        Some(Ok(v)) => v / 100.0,
        Some(Err(())) => {
            errs.push(FieldError::new(name, "is not a number"));
            0.0
        }
    };
    let e = Effect {
        tef: percent("tef"),
        vulnerability: percent("vulnerability"),
        lef: percent("lef"),
        loss: percent("loss"),
    };
    let result = if errs.is_empty() {
        effect_action(&app, &id, &risk_id, &f.get("control_id"), &e)
            .await
            .map(|_| ())
    } else {
        Err(AppError::Invalid(errs))
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/risk/risks/{risk_id}/quantification?done=saved#controls"
        ))),
        Err(e @ AppError::Invalid(_)) => {
            let errors = Errors::from_app(e, &[])?;
            quant_page(&app, &id, &risk_id, None, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A risk's line in a portfolio's results.
pub struct RiskLine {
    pub id: String,
    pub name: String,
    pub mean: String,
    pub p90: String,
    pub p99: String,
    /// None without a tolerance.
    pub within: Option<bool>,
}

/// A control's return on its own.
pub struct ControlLine {
    pub name: String,
    pub annual_cost: String,
    pub reduction: String,
    /// Return on security investment, as "3.2" (every unit spent saves 4.2).
    pub rosi: String,
    pub worth_it: bool,
}

/// Each control's return, best first.
fn ranked(r: &ReportView) -> Vec<ControlLine> {
    let mut controls = r.controls.clone();
    controls.sort_by(|a, b| b.rosi.total_cmp(&a.rosi));
    controls
        .iter()
        .map(|c| ControlLine {
            name: c.name.clone(),
            annual_cost: r.money(c.annual_cost),
            reduction: r.money(c.reduction),
            rosi: format!("{:.1}", c.rosi),
            worth_it: c.rosi > 0.0,
        })
        .collect()
}

/// The tolerance a run was checked against, from the model it simulated.
fn run_tolerance(s: &Simulation) -> Option<RiskTolerance> {
    s.model
        .as_ref()
        .and_then(|m| serde_json::from_value(m["tolerance"].clone()).ok())
}

#[derive(Template)]
#[template(path = "risk/quant/simulation.html")]
struct SimPage {
    c: Chrome,
    s: Simulation,
    scope: &'static str,
    /// The risk's page, for a simulation of one risk.
    risk_link: Option<String>,
    figures: Option<Figures>,
    risks: Vec<RiskLine>,
    controls: Vec<ControlLine>,
    plan: Option<Plan>,
    budget: Option<String>,
    can_write: bool,
}

/// `GET /risk/simulations/{id}`.
async fn simulation(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(sid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let s = runs::get(&mut app.db.read().await?.h(), &sid)
        .await?
        .ok_or(AppError::NotFound)?;
    let report = s.result.as_ref().and_then(ReportView::read);
    let tolerance = run_tolerance(&s);
    let (mut figures, mut risks, mut controls, mut plan, mut budget) =
        (None, Vec::new(), Vec::new(), None, None);
    if let Some(r) = &report {
        figures = r
            .whole()
            .map(|(name, result, check)| r.figures(name, result, check, tolerance.as_ref()));
        if r.portfolio.is_some() {
            risks = r
                .scenarios
                .iter()
                .map(|sc| RiskLine {
                    id: sc.id.clone(),
                    name: sc.name.clone(),
                    mean: r.money(sc.result.mean),
                    p90: r.money(sc.result.p90),
                    p99: r.money(sc.result.p99),
                    within: sc.tolerance.map(|t| t.within),
                })
                .collect();
        }
        controls = ranked(r);
        plan = r.plan();
        budget = s.budget.map(|b| r.money(b as f64));
    }
    let title = format!("Simulation: {}", label(SCOPES, &s.scope));
    let mut c = chrome(&app, Some(&id), None, "/risk", title).await;
    c.notice = notice(q.get("done").map(String::as_str));
    Ok(render(
        StatusCode::OK,
        &SimPage {
            c,
            scope: label(SCOPES, &s.scope),
            risk_link: s
                .risk_id
                .as_ref()
                .map(|r| format!("/risk/risks/{r}/quantification")),
            figures,
            risks,
            controls,
            plan,
            budget,
            can_write: can_write(&id),
            s,
        },
    ))
}

/// `POST /risk/simulations/{id}/cancel`.
async fn cancel(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(sid): Path<String>,
) -> PageResult {
    cancel_action(&app, &id, &sid).await?;
    Ok(see_other(&format!("/risk/simulations/{sid}")))
}

#[derive(Template)]
#[template(path = "risk/quant/simulations.html")]
struct SimsPage {
    c: Chrome,
    rows: Vec<RunLine>,
    next: Option<String>,
    f: Values,
    errors: Errors,
    /// Quantified risks that are not closed.
    quantified: usize,
    can_write: bool,
}

const PAGE: u64 = 50;

async fn sims_page(
    app: &AppState,
    id: &Identity,
    q: HashMap<String, String>,
    errors: Errors,
) -> PageResult {
    let before = crate::platform::http::page::after(q.get("cursor").map(String::as_str))?;
    let mut conn = app.db.read().await?;
    let mut rows = runs::list(&mut conn.h(), &RunFilter::default(), before, PAGE + 1).await?;
    let quantified = model::quantified(&mut conn.h(), None).await?.len();
    drop(conn);
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = more.then(|| rows.last()).flatten().map(|s| {
        let c = Cursor {
            key: s.created_at.clone(),
            id: s.id.clone(),
        };
        list_link("/risk/simulations", &q, Some(&c))
    });
    let mut c = chrome(app, Some(id), None, "/risk", "Risk simulations").await;
    c.notice = notice(q.get("done").map(String::as_str));
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(
        status,
        &SimsPage {
            c,
            rows: rows.into_iter().map(RunLine::from).collect(),
            next,
            f: Values(q),
            errors,
            quantified,
            can_write: can_write(id),
        },
    ))
}

/// `GET /risk/simulations`.
async fn simulations(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    sims_page(&app, &id, q, Errors::none()).await
}

/// `POST /risk/simulations`: starts a simulation and shows its page; a refusal is shown on the
/// page the form was on (the risk's, the list, or the investments).
async fn start(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let mut errs = Vec::new();
    let mut whole = |name: &str| {
        f.opt(name).and_then(|s| {
            s.replace([',', ' ', '_'], "")
                .parse::<i64>()
                .map_err(|_| errs.push(FieldError::new(name, "is not a whole number")))
                .ok()
        })
    };
    let trials = whole("trials");
    let seed = whole("seed");
    let budget = whole("budget");
    let n = NewSimulation {
        scope: f.get("scope"),
        risk_id: f.opt("risk_id"),
        trials: trials.map(|t| u64::try_from(t).unwrap_or(0)),
        seed: seed.map(|s| u64::try_from(s).unwrap_or(u64::MAX)),
        budget,
    };
    let result = if errs.is_empty() {
        request_action(&app, &id, &n).await
    } else {
        Err(AppError::Invalid(errs))
    };
    let e = match result {
        Ok(s) => return Ok(see_other(&format!("/risk/simulations/{}", s.id))),
        Err(e) => e,
    };
    let errors = Errors::from_app(e, &["trials", "seed", "budget"])?;
    let typed: HashMap<String, String> = ["trials", "seed", "budget"]
        .iter()
        .map(|k| (k.to_string(), f.get(k)))
        .collect();
    match (n.scope.as_str(), &n.risk_id) {
        ("risk", Some(risk)) => quant_page(&app, &id, risk, None, errors, None).await,
        ("investment", _) => invest_page(&app, &id, typed, errors).await,
        _ => sims_page(&app, &id, typed, errors).await,
    }
}

/// A planned or in-progress control the investment analysis would compare.
pub struct Candidate {
    pub code: String,
    pub name: String,
    pub status: &'static str,
    pub one_off_cost: String,
    pub yearly_cost: String,
    /// How many quantified risks it changes.
    pub risks: usize,
}

#[derive(Template)]
#[template(path = "risk/quant/investments.html")]
struct InvestPage {
    c: Chrome,
    f: Values,
    errors: Errors,
    candidates: Vec<Candidate>,
    notes: Vec<String>,
    /// The latest investment analysis, finished or not.
    latest: Option<Simulation>,
    plan: Option<Plan>,
    controls: Vec<ControlLine>,
    budget: Option<String>,
    can_write: bool,
}

async fn invest_page(
    app: &AppState,
    id: &Identity,
    q: HashMap<String, String>,
    errors: Errors,
) -> PageResult {
    let settings = app.settings.get(&app.db, app.clock.now()).await?;
    let money = |v: f64| bulwark_fair::advice::money(v, &settings.currency);
    let mut conn = app.db.read().await?;
    let risks = model::quantified(&mut conn.h(), None).await?;
    let in_model: HashSet<&str> = risks.iter().map(|r| r.risk_id.as_str()).collect();
    let rows = controls::list(&mut conn.h()).await?;
    let (list, notes) = model::investment_controls(&mut conn.h(), &rows, &in_model).await?;
    let f = RunFilter {
        scope: Some("investment".into()),
        ..RunFilter::default()
    };
    let latest = match runs::list(&mut conn.h(), &f, None, 1).await?.pop() {
        Some(s) => runs::get(&mut conn.h(), &s.id).await?,
        None => None,
    };
    drop(conn);
    let candidates = list
        .iter()
        .filter_map(|v| {
            rows.iter()
                .find(|r| v["id"] == r.id.as_str())
                .map(|r| (v, r))
        })
        .map(|(v, r)| Candidate {
            code: r.code.clone(),
            name: r.name.clone(),
            status: label(CONTROL_STATUSES, &r.status),
            one_off_cost: money(r.one_off_cost as f64),
            yearly_cost: money(r.yearly_cost as f64),
            risks: v["effects"].as_array().map_or(0, Vec::len),
        })
        .collect();
    let report = latest
        .as_ref()
        .and_then(|s| s.result.as_ref())
        .and_then(ReportView::read);
    let plan = report.as_ref().and_then(ReportView::plan);
    let controls = report.as_ref().map(ranked).unwrap_or_default();
    let budget = latest
        .as_ref()
        .and_then(|s| s.budget)
        .map(|b| money(b as f64));
    let mut f = q;
    if let Some(b) = latest.as_ref().and_then(|s| s.budget) {
        f.entry("budget".into()).or_insert(b.to_string());
    }
    let c = chrome(app, Some(id), None, "/risk", "What to fund next").await;
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(
        status,
        &InvestPage {
            c,
            f: Values(f),
            errors,
            candidates,
            notes,
            latest,
            plan,
            controls,
            budget,
            can_write: can_write(id),
        },
    ))
}

/// `GET /risk/investments`.
async fn investments(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    invest_page(&app, &id, q, Errors::none()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_fields_map_to_form_boxes() {
        assert_eq!(form_field("primary_loss.min"), "primary_loss_min");
        assert_eq!(form_field("primary_loss.low"), "primary_loss_min");
        assert_eq!(form_field("tef.high"), "tef_max");
        assert_eq!(form_field("lef.constant"), "lef_mode");
        assert_eq!(
            form_field("secondary.probability.max"),
            "secondary_probability_max"
        );
        assert_eq!(form_field("secondary.loss"), "secondary_loss_kind");
        assert_eq!(form_field("lef"), "lef_kind");
        assert!(form_fields().contains(&"secondary_loss_mode".to_string()));
    }

    #[test]
    fn form_values_round_trip() {
        let e = Estimates {
            tef: Some(Estimate {
                min: Some(0.5),
                mode: Some(2.0),
                max: Some(6.0),
                ..Estimate::default()
            }),
            vulnerability: Some(Estimate {
                constant: Some(0.25),
                ..Estimate::default()
            }),
            primary_loss: Some(Estimate {
                low: Some(20_000.0),
                high: Some(400_000.0),
                ..Estimate::default()
            }),
            ..Estimates::default()
        };
        let f = FormData(values(&e).into_iter().collect());
        assert_eq!(f.get("frequency"), "tef");
        assert_eq!(f.get("primary_loss_kind"), "interval");
        assert_eq!(f.get("primary_loss_max"), "400000");
        assert_eq!(read_form(&f).unwrap(), e);

        let mut bad = f.0.clone();
        bad.retain(|(k, _)| k != "tef_mode");
        bad.push(("tef_mode".into(), "two".into()));
        bad.push(("secondary_loss_kind".into(), "constant".into()));
        bad.push(("secondary_loss_mode".into(), "1,000".into()));
        let errs = read_form(&FormData(bad)).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tef_mode", "secondary_probability_kind"]);
    }

    #[test]
    fn names_are_listed_in_plain_words() {
        assert_eq!(super::super::report::listing(&["A"]), "A");
        assert_eq!(super::super::report::listing(&["A", "B"]), "A and B");
        assert_eq!(
            super::super::report::listing(&["A", "B", "C"]),
            "A, B and C"
        );
    }
}
