//! Pages of identity & access: the overview, findings, accounts and the linking queue, each
//! system's accounts with its imports and provisioning tokens, and the rules (segregation of
//! duties, exemptions).

mod accounts;
mod findings;
mod systems;

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Query, State};
use axum::http::{Method, StatusCode};
use bulwark_core::{Access, Area, Permission};
use std::collections::HashMap;

use super::accounts::SystemSummary;
use super::findings::KINDS;
use super::imports::{self, IdentityImport, ImportOutcome};
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::AppError;
use crate::web::upload::{stream_field, streamed, unreadable};
use crate::web::{Chrome, PageError, PageResult, chrome, html, notice, render, route_allows, when};

/// The page routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Identity));
    let write = Access::Requires(Permission::Write(Area::Identity));
    Routes::default()
        .add(M::GET, "/identity", read, html(overview))
        .add(
            M::POST,
            "/identity/people-imports",
            write,
            streamed(import_people),
        )
        .add(M::GET, "/identity/findings", read, html(findings::list))
        .add(
            M::POST,
            "/identity/findings/refresh",
            write,
            html(findings::refresh),
        )
        .add(M::GET, "/identity/rules", read, html(findings::rules))
        .add(
            M::POST,
            "/identity/sod-rules",
            write,
            html(findings::add_rule),
        )
        .add(
            M::POST,
            "/identity/sod-rules/{id}/delete",
            write,
            html(findings::remove_rule),
        )
        .add(
            M::POST,
            "/identity/exemptions",
            write,
            html(findings::add_exemption),
        )
        .add(
            M::POST,
            "/identity/exemptions/{id}/delete",
            write,
            html(findings::remove_exemption),
        )
        .add(M::GET, "/identity/accounts", read, html(accounts::list))
        .add(
            M::POST,
            "/identity/accounts/{id}/link",
            write,
            html(accounts::link),
        )
        .add(M::GET, "/identity/systems/{id}", read, html(systems::page))
        .add(
            M::POST,
            "/identity/systems/{id}/account-imports",
            write,
            streamed(systems::import_csv),
        )
        .add(
            M::POST,
            "/identity/systems/{id}/ldap-imports",
            write,
            html(systems::import_ldap),
        )
        .add(
            M::POST,
            "/identity/systems/{id}/scim-tokens",
            write,
            html(systems::issue_token),
        )
        .add(
            M::POST,
            "/identity/scim-tokens/{id}/delete",
            write,
            html(systems::revoke_token),
        )
}

/// Whether the caller may change identity data (forms are shown only then).
fn can_write(id: &Identity) -> bool {
    route_allows(Some(id.role()), &Method::POST, "/identity/findings/refresh")
}

/// How people read a finding kind.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "orphaned" => "Orphaned account",
        "leaver_enabled" => "Leaver still enabled",
        "dormant" => "Dormant account",
        "privileged_without_mfa" => "Privileged without MFA",
        "shared_account" => "Shared or generic account",
        "sod_conflict" => "Segregation-of-duties conflict",
        _ => "Finding",
    }
}

/// An import's result as a page shows it.
#[derive(Debug, Default)]
pub struct OutcomeView {
    pub summary: String,
    pub added: String,
    pub removed: String,
    pub changed: String,
    pub not_in_file: String,
    pub extra_columns: String,
}

impl From<&ImportOutcome> for OutcomeView {
    fn from(o: &ImportOutcome) -> OutcomeView {
        let list = |v: &[String], total: i64| {
            let mut s = v.join(", ");
            if total > v.len() as i64 {
                s.push_str(&format!(" … and {} more", total - v.len() as i64));
            }
            s
        };
        let open: u64 = o.findings.open.values().sum();
        OutcomeView {
            summary: format!(
                "{} records read from {}: {} added, {} removed, {} changed; {} linked to people by the rules, {} accounts wait to be linked; {} open findings ({} new, {} resolved).",
                o.import.records,
                o.import.name,
                o.import.added,
                o.import.removed,
                o.import.changed,
                o.linked,
                o.unlinked,
                open,
                o.findings.raised,
                o.findings.resolved
            ),
            added: list(&o.added, o.import.added),
            removed: list(&o.removed, o.import.removed),
            changed: list(&o.changed, o.import.changed),
            not_in_file: o.not_in_file.join(", "),
            extra_columns: o.extra_columns.join(", "),
        }
    }
}

/// How a page shows an import's result: its status, the outcome, the refused file's problems, or
/// the message of another refusal; errors that are not the input's become error pages.
type Shown = (StatusCode, Option<OutcomeView>, Vec<String>, Option<String>);

fn shown(result: Option<Result<ImportOutcome, AppError>>) -> Result<Shown, PageError> {
    Ok(match result {
        None => (StatusCode::OK, None, Vec::new(), None),
        Some(Ok(o)) => (
            StatusCode::OK,
            Some(OutcomeView::from(&o)),
            Vec::new(),
            None,
        ),
        Some(Err(AppError::Rejected(p))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            p.iter().map(ToString::to_string).collect(),
            None,
        ),
        Some(Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::BadRequest(_)))) => {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Vec::new(),
                Some(e.detail()),
            )
        }
        Some(Err(e)) => return Err(PageError(e)),
    })
}

/// A line of the findings summary.
#[derive(Debug)]
pub struct KindCount {
    pub kind: &'static str,
    pub label: &'static str,
    pub open: u64,
}

/// A row of the import history.
#[derive(Debug)]
pub struct ImportLine {
    pub at: String,
    pub what: String,
    pub source: String,
    pub name: String,
    pub counts: String,
    pub actor: String,
}

impl From<IdentityImport> for ImportLine {
    fn from(i: IdentityImport) -> ImportLine {
        ImportLine {
            at: when(&i.imported_at),
            what: i.kind,
            source: i.source,
            name: i.name,
            counts: format!(
                "{} records: {} added, {} removed, {} changed",
                i.records, i.added, i.removed, i.changed
            ),
            actor: i.actor,
        }
    }
}

#[derive(Template)]
#[template(path = "identity/overview.html")]
struct OverviewPage {
    c: Chrome,
    kinds: Vec<KindCount>,
    unlinked: u64,
    systems: Vec<SystemSummary>,
    history: Vec<ImportLine>,
    can_write: bool,
    outcome: Option<OutcomeView>,
    problems: Vec<String>,
    error: Option<String>,
}

/// Open findings per kind, in the order of [`KINDS`].
async fn open_counts(app: &AppState) -> Result<Vec<KindCount>, PageError> {
    let open = super::findings::open_by_kind(&mut app.db.read().await?.h()).await?;
    Ok(KINDS
        .iter()
        .map(|k| KindCount {
            kind: k,
            label: kind_label(k),
            open: open.get(*k).copied().unwrap_or(0) as u64,
        })
        .collect())
}

async fn overview_page(
    app: &AppState,
    id: &Identity,
    done: Option<&str>,
    result: Option<Result<ImportOutcome, AppError>>,
) -> PageResult {
    let (status, outcome, problems, error) = shown(result)?;
    let kinds = open_counts(app).await?;
    let (systems, unlinked) = {
        let mut conn = app.db.read().await?;
        (
            super::accounts::systems(&mut conn.h()).await?,
            imports::unlinked(&mut conn.h()).await?,
        )
    };
    let history = imports::history(&app.db, None, 10)
        .await?
        .into_iter()
        .map(ImportLine::from)
        .collect();
    let mut c = chrome(app, Some(id), None, "/identity", "Identity & access").await;
    c.notice = notice(done);
    Ok(render(
        status,
        &OverviewPage {
            c,
            kinds,
            unlinked,
            systems,
            history,
            can_write: can_write(id),
            outcome,
            problems,
            error,
        },
    ))
}

/// `GET /identity`.
async fn overview(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    overview_page(&app, &id, q.get("done").map(String::as_str), None).await
}

/// `POST /identity/people-imports` (multipart `file`): the HR file.
async fn import_people(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    mut form: Multipart,
) -> PageResult {
    let mut result = Err(AppError::field("file", "choose the HR file to import"));
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            let settings = crate::settings::load(&app.db).await?;
            let actor = id.actor();
            result = stream_field(field, async |name, _, input| {
                imports::import_people(&app.db, app.clock.now(), &actor, &settings, name, input)
                    .await
            })
            .await;
            break;
        }
    }
    overview_page(&app, &id, None, Some(result)).await
}
