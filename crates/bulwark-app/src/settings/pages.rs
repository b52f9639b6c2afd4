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
    };
    match super::api::update_action(&app, &id, &p).await {
        Ok(_) => Ok(see_other("/settings?done=saved")),
        Err(e) => {
            let errors = Errors::from_app(
                e,
                &["organisation_name", "dormant_days", "username_templates"],
            )?;
            page(&app, &id, v, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
