//! The findings list, and the rules page: segregation-of-duties rules and exemptions.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bulwark_core::cursor::Cursor;

use super::{can_write, kind_label};
use crate::access::Identity;
use crate::app::AppState;
use crate::identity::accounts::{self, SystemSummary};
use crate::identity::api::findings::FindingsQuery;
use crate::identity::findings::{self, IdentityFinding, KINDS};
use crate::identity::rules::{self, IdentityExemption, NewExemption, SodRuleInput, SodRuleView};
use crate::platform::http::error::AppError;
use crate::web::{
    Chrome, Errors, FormData, PageResult, Values, chrome, list_link, notice, render, see_other,
    when,
};

/// A finding kind to choose.
#[derive(Debug)]
pub struct KindOpt {
    pub value: &'static str,
    pub label: &'static str,
}

fn kind_opts() -> Vec<KindOpt> {
    KINDS
        .iter()
        .map(|k| KindOpt {
            value: k,
            label: kind_label(k),
        })
        .collect()
}

/// A row of the findings list.
#[derive(Debug)]
pub struct FindingLine {
    pub label: &'static str,
    pub kind: String,
    pub system: String,
    pub account: String,
    pub account_id: String,
    pub person: String,
    pub days: String,
    pub explanation: String,
    pub action: String,
    pub since: String,
    pub resolved: String,
    /// An exemption can be asked for (a finding about one account).
    pub exemptible: bool,
}

impl From<IdentityFinding> for FindingLine {
    fn from(f: IdentityFinding) -> FindingLine {
        FindingLine {
            label: kind_label(&f.kind),
            exemptible: f.account_id.is_some() && f.status == "open",
            account_id: f.account_id.unwrap_or_default(),
            kind: f.kind,
            system: f.system_name.unwrap_or_default(),
            account: f.username.unwrap_or_default(),
            person: f.person_name.unwrap_or_default(),
            days: f.days.map(|d| d.to_string()).unwrap_or_default(),
            explanation: f.explanation,
            action: f.suggested_action,
            since: when(&f.first_seen),
            resolved: f.resolved_at.as_deref().map(when).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "identity/findings.html")]
struct FindingsPage {
    c: Chrome,
    rows: Vec<FindingLine>,
    kinds: Vec<KindOpt>,
    systems: Vec<SystemSummary>,
    f: Values,
    can_write: bool,
    next: Option<String>,
    first_page: bool,
}

/// `GET /identity/findings`.
pub async fn list(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).cloned().filter(|v| !v.is_empty());
    let q = FindingsQuery {
        status: get("status"),
        kind: get("kind"),
        system_id: get("system_id"),
        person_id: get("person_id"),
        account_id: None,
        cursor: get("cursor"),
        limit: None,
    };
    let filter = q.filter()?;
    let after = crate::platform::http::page::after(q.cursor.as_deref())?;
    let mut conn = app.db.read().await?;
    let mut rows = findings::list(&mut conn.h(), &filter, after, 51).await?;
    let systems = accounts::systems(&mut conn.h()).await?;
    drop(conn);
    let more = rows.len() > 50;
    rows.truncate(50);
    let next = more.then(|| rows.last()).flatten().map(|last| {
        let cursor = Cursor {
            key: last.key.clone(),
            id: last.id.clone(),
        };
        list_link("/identity/findings", &f, Some(&cursor))
    });
    let mut c = chrome(&app, Some(&id), None, "/identity", "Identity findings").await;
    c.notice = notice(f.get("done").map(String::as_str));
    Ok(render(
        StatusCode::OK,
        &FindingsPage {
            c,
            rows: rows.into_iter().map(FindingLine::from).collect(),
            kinds: kind_opts(),
            systems,
            first_page: q.cursor.is_none(),
            f: Values(f),
            can_write: can_write(&id),
            next,
        },
    ))
}

/// `POST /identity/findings/refresh`.
pub async fn refresh(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
) -> PageResult {
    let settings = crate::settings::load(&app.db).await?;
    findings::refresh_now(&app.db, app.clock.now(), &id.actor(), &settings).await?;
    Ok(see_other("/identity/findings?done=saved"))
}

/// An exemption as listed.
#[derive(Debug)]
pub struct ExemptionLine {
    pub e: IdentityExemption,
    pub label: &'static str,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "identity/rules.html")]
struct RulesPage {
    c: Chrome,
    rules: Vec<SodRuleView>,
    exemptions: Vec<ExemptionLine>,
    systems: Vec<SystemSummary>,
    kinds: Vec<KindOpt>,
    /// The new rule's and new exemption's fields as typed (or prefilled from the query).
    f: Values,
    rule_errors: Errors,
    exemption_errors: Errors,
    can_write: bool,
}

async fn rules_page(
    app: &AppState,
    id: &Identity,
    f: HashMap<String, String>,
    rule_errors: Errors,
    exemption_errors: Errors,
) -> PageResult {
    let status = if rule_errors.any() || exemption_errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let today = app
        .clock
        .now()
        .datetime()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let mut conn = app.db.read().await?;
    let rules = rules::sod_rules(&mut conn.h()).await?;
    let exemptions = rules::exemptions(&mut conn.h())
        .await?
        .into_iter()
        .map(|e| ExemptionLine {
            label: kind_label(&e.kind),
            expired: e.expires < today,
            e,
        })
        .collect();
    let systems = accounts::systems(&mut conn.h()).await?;
    drop(conn);
    let mut c = chrome(
        app,
        Some(id),
        None,
        "/identity",
        "Identity rules and exemptions",
    )
    .await;
    c.notice = notice(f.get("done").map(String::as_str));
    Ok(render(
        status,
        &RulesPage {
            c,
            rules,
            exemptions,
            systems,
            kinds: kind_opts(),
            f: Values(f),
            rule_errors,
            exemption_errors,
            can_write: can_write(id),
        },
    ))
}

/// `GET /identity/rules` (`?account_id=…&kind=…` prefills the exemption form).
pub async fn rules(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    rules_page(&app, &id, f, Errors::none(), Errors::none()).await
}

fn typed(f: &FormData, names: &[&str]) -> HashMap<String, String> {
    names.iter().map(|n| (n.to_string(), f.get(n))).collect()
}

/// `POST /identity/sod-rules`.
pub async fn add_rule(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let r = SodRuleInput {
        name: f.get("name"),
        first_system: f.opt("first_system"),
        first_group: f.get("first_group"),
        second_system: f.opt("second_system"),
        second_group: f.get("second_group"),
    };
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    match rules::save_sod_rule(&mut tx, app.clock.now(), &id.actor(), &settings, None, &r).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(see_other("/identity/rules?done=saved"))
        }
        Err(e) => {
            let fields = [
                "name",
                "first_system",
                "first_group",
                "second_system",
                "second_group",
            ];
            let errors = Errors::from_app(e, &fields)?;
            rules_page(&app, &id, typed(&f, &fields), errors, Errors::none()).await
        }
    }
}

/// `POST /identity/sod-rules/{id}/delete`.
pub async fn remove_rule(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(rid): Path<String>,
) -> PageResult {
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    rules::remove_sod_rule(&mut tx, app.clock.now(), &id.actor(), &settings, &rid).await?;
    tx.commit().await?;
    Ok(see_other("/identity/rules?done=deleted"))
}

/// `POST /identity/exemptions`.
pub async fn add_exemption(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let n = NewExemption {
        account_id: f.get("account_id"),
        kind: f.get("kind"),
        reason: f.get("reason"),
        expires: f.get("expires"),
    };
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    match rules::add_exemption(&mut tx, app.clock.now(), &id.actor(), &settings, &n).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(see_other("/identity/rules?done=saved"))
        }
        Err(e @ AppError::Invalid(_)) => {
            let fields = ["account_id", "kind", "reason", "expires"];
            let errors = Errors::from_app(e, &fields)?;
            rules_page(&app, &id, typed(&f, &fields), Errors::none(), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /identity/exemptions/{id}/delete`.
pub async fn remove_exemption(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(eid): Path<String>,
) -> PageResult {
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    rules::remove_exemption(&mut tx, app.clock.now(), &id.actor(), &settings, &eid).await?;
    tx.commit().await?;
    Ok(see_other("/identity/rules?done=deleted"))
}
