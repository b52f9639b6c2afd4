//! Pages of this area: the installation's settings.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use bulwark_core::{Access, Permission, Role};

use super::SettingsPatch;
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::web::{Chrome, Errors, FormData, PageResult, chrome, html, notice, render, see_other};

/// The page routes.
pub fn routes() -> Routes {
    let manage = Access::Requires(Permission::SettingsManage);
    Routes::default()
        .add(Method::GET, "/settings", manage, html(form))
        .add(Method::POST, "/settings", manage, html(save))
}

/// A role checkbox.
#[derive(Debug)]
pub struct RoleBox {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "settings/settings.html")]
struct SettingsPage {
    c: Chrome,
    v: Values,
    roles: Vec<RoleBox>,
    mail_enabled: bool,
    errors: Errors,
}

/// The form's values as typed.
#[derive(Debug, Clone)]
struct Values {
    organisation_name: String,
    roles: Vec<String>,
    dormant_days: String,
    /// One template a line.
    username_templates: String,
    currency: String,
    risk_default_trials: String,
    risk_max_trials: String,
    /// The tolerance's two points as typed: probability in percent, then loss; all blank when
    /// none is set.
    tolerance: [[String; 2]; 2],
}

/// The form fields of the tolerance's two points: (percent, loss).
const TOLERANCE_FIELDS: [[&str; 2]; 2] = [
    ["tolerance_percent_1", "tolerance_loss_1"],
    ["tolerance_percent_2", "tolerance_loss_2"],
];

/// A number as people type it: no exponent, no trailing zeros.
fn plain(v: f64) -> String {
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl From<super::Settings> for Values {
    fn from(s: super::Settings) -> Values {
        Values {
            organisation_name: s.organisation_name,
            roles: s
                .mfa_required_roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            dormant_days: s.dormant_days.to_string(),
            username_templates: s.username_templates.join("\n"),
            currency: s.currency,
            risk_default_trials: s.risk_default_trials.to_string(),
            risk_max_trials: s.risk_max_trials.to_string(),
            tolerance: std::array::from_fn(|i| {
                s.risk_tolerance
                    .as_ref()
                    .and_then(|t| t.points.get(i))
                    .map_or_else(Default::default, |p| {
                        [plain(p.probability * 100.0), plain(p.loss)]
                    })
            }),
        }
    }
}

fn boxes(checked: &[String]) -> Vec<RoleBox> {
    Role::ALL
        .iter()
        .map(|r| RoleBox {
            value: r.as_str(),
            label: r.label(),
            checked: checked.iter().any(|c| c == r.as_str()),
        })
        .collect()
}

async fn page(
    app: &AppState,
    id: &Identity,
    v: Values,
    notice_code: Option<&str>,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let mut c = chrome(app, Some(id), None, "/settings", "Settings").await;
    c.notice = notice(notice_code);
    Ok(render(
        status,
        &SettingsPage {
            c,
            roles: boxes(&v.roles),
            v,
            mail_enabled: app.mailer.enabled(),
            errors,
        },
    ))
}

/// `GET /settings`.
async fn form(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let s = super::load(&app.db).await?;
    page(
        &app,
        &id,
        s.into(),
        q.get("done").map(String::as_str),
        Errors::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /settings`.
async fn save(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let v = Values {
        organisation_name: f.get("organisation_name"),
        roles: f.all("mfa_required_roles"),
        dormant_days: f.get("dormant_days"),
        username_templates: f.get("username_templates"),
        currency: f.get("currency"),
        risk_default_trials: f.get("risk_default_trials"),
        risk_max_trials: f.get("risk_max_trials"),
        tolerance: TOLERANCE_FIELDS.map(|point| point.map(|name| f.get(name))),
    };
    // An unreadable number is sent as 0 (trials) or NaN (tolerance), which the checks refuse
    // with the field named; four blank tolerance fields remove the tolerance.
    let number = |s: &str| {
        s.trim()
            .replace([',', ' '], "")
            .parse::<f64>()
            .unwrap_or(f64::NAN)
    };
    let tolerance = v
        .tolerance
        .iter()
        .flatten()
        .any(|x| !x.trim().is_empty())
        .then(|| crate::settings::RiskTolerance {
            points: v
                .tolerance
                .iter()
                .map(|[percent, loss]| crate::settings::TolerancePoint {
                    probability: number(percent) / 100.0,
                    loss: number(loss),
                })
                .collect(),
        });
    let trials = |name: &str, typed: &str| {
        f.has(name).then(|| {
            typed
                .trim()
                .replace([',', ' '], "")
                .parse::<u64>()
                .unwrap_or(0)
        })
    };
    // Fields a form leaves out stay as they are; an unreadable number is sent as 0, which the
    // check refuses with the field named.
    let p = SettingsPatch {
        organisation_name: Some(v.organisation_name.clone()),
        mfa_required_roles: Some(v.roles.clone()),
        dormant_days: f
            .has("dormant_days")
            .then(|| v.dormant_days.trim().parse::<u32>().unwrap_or(0)),
        username_templates: f
            .has("username_templates")
            .then(|| v.username_templates.lines().map(str::to_string).collect()),
        currency: f.has("currency").then(|| v.currency.clone()),
        risk_default_trials: trials("risk_default_trials", &v.risk_default_trials),
        risk_max_trials: trials("risk_max_trials", &v.risk_max_trials),
        risk_tolerance: f.has(TOLERANCE_FIELDS[0][0]).then_some(tolerance),
    };
    match super::api::update_action(&app, &id, &p).await {
        Ok(_) => Ok(see_other("/settings?done=saved")),
        Err(e) => {
            let errors = Errors::from_app(
                e,
                &[
                    "organisation_name",
                    "dormant_days",
                    "username_templates",
                    "currency",
                    "risk_default_trials",
                    "risk_max_trials",
                    "risk_tolerance",
                ],
            )?;
            page(&app, &id, v, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
