//! Pages of this area: browse the audit trail with filters, export it, verify the chain.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use bulwark_core::{Access, Permission};

use super::store::{self, Filter};
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::AppError;
use crate::platform::http::routes::url_escape;
use crate::web::{Chrome, Errors, PageResult, chrome, html, render, when};

/// The page routes.
pub fn routes() -> Routes {
    let read = Access::Requires(Permission::AuditTrailRead);
    Routes::default()
        .add(Method::GET, "/audit", read, html(trail))
        .add(Method::GET, "/audit/verification", read, html(verification))
}

/// One entry as the page shows it.
#[derive(Debug)]
pub struct EntryView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn pretty(json: Option<&str>) -> Option<String> {
    let text = json?;
    Some(
        serde_json::from_str::<serde_json::Value>(text)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| text.to_string()),
    )
}

#[derive(Template)]
#[template(path = "audit/trail.html")]
struct TrailPage {
    c: Chrome,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: String,
    from: String,
    to: String,
    entries: Vec<EntryView>,
    older: Option<String>,
    newest: Option<String>,
    export_csv: String,
    export_json: String,
    errors: Errors,
}

const PAGE: u64 = 50;

/// A date (`YYYY-MM-DD`) as the RFC 3339 time at its start, `days` later.
fn day_start(
    field: &str,
    v: &str,
    days: i64,
) -> Result<String, bulwark_core::validate::FieldError> {
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.checked_add_signed(chrono::Duration::days(days)))
        .map(|d| format!("{}T00:00:00Z", d.format("%Y-%m-%d")))
        .ok_or_else(|| {
            bulwark_core::validate::FieldError::new(field, "must be a date such as 2026-01-31")
        })
}

/// `GET /audit`.
async fn trail(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let p = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut field_errors = Vec::new();
    let from = p("from").and_then(|v| {
        day_start("from", &v, 0)
            .map_err(|e| field_errors.push(e))
            .ok()
    });
    // "to" is inclusive: entries before the start of the next day.
    let to = p("to").and_then(|v| {
        day_start("to", &v, 1)
            .map_err(|e| field_errors.push(e))
            .ok()
    });
    let filter = Filter {
        actor: p("actor"),
        action: p("action"),
        entity_type: p("entity_type"),
        entity_id: p("entity_id"),
        from,
        to,
    };
    let before = match p("before") {
        Some(b) => Some(
            b.parse::<i64>()
                .map_err(|_| AppError::field("before", "must be an entry number"))?,
        ),
        None => None,
    };
    let mut filter_query = String::new();
    for (k, v) in [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("entity_type", &filter.entity_type),
        ("entity_id", &filter.entity_id),
    ] {
        if let Some(v) = v {
            filter_query.push_str(&format!("&{k}={}", url_escape(v)));
        }
    }
    let mut page_query = filter_query.clone();
    let mut export_query = filter_query;
    for (k, raw, rfc) in [
        ("from", p("from"), &filter.from),
        ("to", p("to"), &filter.to),
    ] {
        if let (Some(raw), Some(rfc)) = (raw, rfc) {
            page_query.push_str(&format!("&{k}={}", url_escape(&raw)));
            export_query.push_str(&format!("&{k}={}", url_escape(rfc)));
        }
    }
    let (entries, more) = if field_errors.is_empty() {
        let mut rows = store::list(&app.db, &filter, before, PAGE + 1)
            .await?
            .map_err(AppError::from)?;
        let more = rows.len() as u64 > PAGE;
        rows.truncate(PAGE as usize);
        (rows, more)
    } else {
        (Vec::new(), false)
    };
    let older = entries
        .last()
        .filter(|_| more)
        .map(|e| format!("/audit?before={}{page_query}", e.seq));
    let newest = before.map(|_| format!("/audit?{}", page_query.trim_start_matches('&')));
    let c = chrome(&app, Some(&id), None, "/audit", "Audit trail").await;
    Ok(render(
        if field_errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &TrailPage {
            c,
            actor: p("actor").unwrap_or_default(),
            action: p("action").unwrap_or_default(),
            entity_type: p("entity_type").unwrap_or_default(),
            entity_id: p("entity_id").unwrap_or_default(),
            from: p("from").unwrap_or_default(),
            to: p("to").unwrap_or_default(),
            entries: entries
                .into_iter()
                .map(|e| EntryView {
                    seq: e.seq,
                    at: when(&e.at),
                    before: pretty(e.before.as_deref()),
                    after: pretty(e.after.as_deref()),
                    actor: e.actor,
                    action: e.action,
                    entity_type: e.entity_type,
                    entity_id: e.entity_id.unwrap_or_default(),
                })
                .collect(),
            older,
            newest,
            export_csv: format!("/api/v1/audit-entries/export?format=csv{export_query}"),
            export_json: format!("/api/v1/audit-entries/export?format=json{export_query}"),
            errors: if field_errors.is_empty() {
                Errors::none()
            } else {
                Errors::from_app(AppError::Invalid(field_errors), &["from", "to"])?
            },
        },
    ))
}

#[derive(Template)]
#[template(path = "audit/verification.html")]
struct VerificationPage {
    c: Chrome,
    v: store::Verification,
    checked_at: String,
}

/// `GET /audit/verification`: checks the whole hash chain now.
async fn verification(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
) -> PageResult {
    let v = store::verify(&app.db).await?;
    let c = chrome(&app, Some(&id), None, "/audit", "Audit trail verification").await;
    Ok(render(
        StatusCode::OK,
        &VerificationPage {
            c,
            v,
            checked_at: app.clock.now().human(),
        },
    ))
}
