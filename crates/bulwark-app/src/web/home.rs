//! The home page: who you are, what you can do, and for administrators a checklist.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use bulwark_core::{Area, Permission, Role};

use super::{Chrome, PageResult, chrome, render};
use crate::access::Identity;
use crate::access::users::{self, UserFilter, UserSort};
use crate::app::AppState;

/// One item of the administrator's checklist.
#[derive(Debug)]
pub struct Check {
    pub done: bool,
    pub text: String,
    pub href: Option<&'static str>,
    pub action: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    c: Chrome,
    name: String,
    role: &'static str,
    abilities: Vec<String>,
    checks: Vec<Check>,
}

/// What a role may do, in words.
fn abilities(role: Role) -> Vec<String> {
    let mut out = Vec::new();
    let reads: Vec<&str> = Area::ALL
        .iter()
        .filter(|a| role.can(Permission::Read(**a)))
        .map(|a| a.label())
        .collect();
    let writes: Vec<&str> = Area::ALL
        .iter()
        .filter(|a| role.can(Permission::Write(**a)))
        .map(|a| a.label())
        .collect();
    if reads.len() == Area::ALL.len() {
        out.push("See the records of every area.".to_string());
    } else if !reads.is_empty() {
        out.push(format!("See: {}.", reads.join(", ")));
    }
    if writes.len() == Area::ALL.len() {
        out.push("Change the records of every area.".to_string());
    } else if !writes.is_empty() {
        out.push(format!("Change: {}.", writes.join(", ")));
    }
    if role.can(Permission::UsersManage) {
        out.push("Create and change user accounts, and reset passwords.".into());
    } else if role.can(Permission::UsersRead) {
        out.push("See the list of user accounts.".into());
    }
    if role.can(Permission::AuditTrailRead) {
        out.push("Browse, export and verify the audit trail.".into());
    }
    if role.can(Permission::SettingsManage) {
        out.push("Change the installation's settings.".into());
    }
    out.push("Manage your own password, two-factor authentication and API tokens.".into());
    out
}

/// `GET /`.
pub async fn home(State(app): State<AppState>, Extension(id): Extension<Identity>) -> PageResult {
    let role = id.role();
    let mut checks = Vec::new();
    if role == Role::Administrator {
        checks.push(Check {
            done: id.user.totp_enabled,
            text: "Two-factor authentication is on for your account".into(),
            href: Some("/profile/mfa"),
            action: "Set up two-factor authentication",
        });
        let admins = users::list(
            &app.db,
            &UserFilter {
                role: Some(Role::Administrator),
                status: Some(users::STATUS_ACTIVE.into()),
                q: None,
            },
            UserSort::Email,
            None,
            2,
        )
        .await?;
        checks.push(Check {
            done: admins.len() > 1,
            text: "A second administrator exists, so that nobody is locked out".into(),
            href: Some("/users/new"),
            action: "Create another administrator",
        });
        checks.push(Check {
            done: app.mailer.enabled(),
            text: "Outgoing mail is configured, so people get security notices".into(),
            href: None,
            action: "Set smtp.host in the configuration file and restart",
        });
        let s = app.settings.get(&app.db, app.clock.now()).await?;
        checks.push(Check {
            done: s.organisation_name != crate::settings::Settings::default().organisation_name,
            text: "The organisation's name is set".into(),
            href: Some("/settings"),
            action: "Open the settings",
        });
    }
    let c = chrome(&app, Some(&id), None, "/", "Home").await;
    Ok(render(
        StatusCode::OK,
        &Home {
            c,
            name: id.user.name.clone(),
            role: role.label(),
            abilities: abilities(role),
            checks,
        },
    ))
}
