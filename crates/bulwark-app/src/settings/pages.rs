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
    organisation_name: String,
    roles: Vec<RoleBox>,
    mail_enabled: bool,
    errors: Errors,
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
    organisation_name: String,
    roles: &[String],
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
            organisation_name,
            roles: boxes(roles),
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
    let roles: Vec<String> = s
        .mfa_required_roles
        .iter()
        .map(|r| r.as_str().to_string())
        .collect();
    page(
        &app,
        &id,
        s.organisation_name,
        &roles,
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
    let roles = f.all("mfa_required_roles");
    let p = SettingsPatch {
        organisation_name: Some(f.get("organisation_name")),
        mfa_required_roles: Some(roles.clone()),
    };
    match super::api::update_action(&app, &id, &p).await {
        Ok(_) => Ok(see_other("/settings?done=saved")),
        Err(e) => {
            let errors = Errors::from_app(e, &["organisation_name"])?;
            page(
                &app,
                &id,
                f.get("organisation_name"),
                &roles,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
