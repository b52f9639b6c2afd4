//! A system's accounts page: its numbers, the imports (CSV file, LDAP directory) and their
//! history, and the SCIM provisioning tokens.

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};

use super::{ImportLine, OutcomeView, can_write, shown};
use crate::access::Identity;
use crate::app::AppState;
use crate::identity::accounts::{self, SystemSummary};
use crate::identity::api::accounts::{LdapImportRequest, import_from_directory};
use crate::identity::imports::{self, ImportOutcome};
use crate::identity::scim::tokens::{self, ScimToken};
use crate::inventory::assets::{self, Asset};
use crate::platform::http::error::AppError;
use crate::web::upload::{stream_field, unreadable};
use crate::web::{Chrome, FormData, PageResult, Values, chrome, notice, render, see_other, when};

#[derive(Template)]
#[template(path = "identity/system.html")]
struct SystemPage {
    c: Chrome,
    a: Asset,
    summary: Option<SystemSummary>,
    history: Vec<ImportLine>,
    tokens: Vec<TokenLine>,
    base_url: String,
    /// A token just issued: shown this once.
    secret: Option<String>,
    /// The LDAP form as typed (never the password).
    f: Values,
    can_write: bool,
    outcome: Option<OutcomeView>,
    problems: Vec<String>,
    error: Option<String>,
}

/// A provisioning token as listed.
#[derive(Debug)]
pub struct TokenLine {
    pub id: String,
    pub created: String,
    pub last_used: String,
}

impl From<ScimToken> for TokenLine {
    fn from(t: ScimToken) -> TokenLine {
        TokenLine {
            created: format!("{} by {}", when(&t.created_at), t.created_by),
            last_used: t
                .last_used_at
                .as_deref()
                .map_or_else(|| "never".into(), when),
            id: t.id,
        }
    }
}

/// What happened on the page before it is shown.
#[derive(Default)]
struct Happened {
    result: Option<Result<ImportOutcome, AppError>>,
    secret: Option<String>,
    f: Values,
    done: Option<String>,
}

async fn system_page(app: &AppState, id: &Identity, sid: &str, h: Happened) -> PageResult {
    let (status, outcome, problems, error) = shown(h.result)?;
    let mut conn = app.db.read().await?;
    let a = assets::by_id(&mut conn.h(), sid)
        .await?
        .ok_or(AppError::NotFound)?;
    let summary = accounts::systems(&mut conn.h())
        .await?
        .into_iter()
        .find(|s| s.id == a.id);
    drop(conn);
    let tokens = tokens::of_system(&mut app.db.read().await?.h(), &a.id)
        .await?
        .into_iter()
        .map(TokenLine::from)
        .collect();
    let history = imports::history(&app.db, Some(&a.id), 20)
        .await?
        .into_iter()
        .map(ImportLine::from)
        .collect();
    let mut c = chrome(
        app,
        Some(id),
        None,
        "/identity",
        format!("Accounts on {}", a.name),
    )
    .await;
    c.notice = notice(h.done.as_deref());
    Ok(render(
        status,
        &SystemPage {
            c,
            summary,
            history,
            tokens,
            base_url: crate::identity::scim::base_url(app),
            secret: h.secret,
            f: h.f,
            can_write: can_write(id),
            outcome,
            problems,
            error,
            a,
        },
    ))
}

/// `GET /identity/systems/{id}`.
pub async fn page(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(sid): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> PageResult {
    let h = Happened {
        done: q.get("done").cloned(),
        ..Happened::default()
    };
    system_page(&app, &id, &sid, h).await
}

/// `POST /identity/systems/{id}/account-imports` (multipart `file`).
pub async fn import_csv(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(sid): Path<String>,
    mut form: Multipart,
) -> PageResult {
    let mut result = Err(AppError::field(
        "file",
        "choose the accounts file to import",
    ));
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        if field.name() == Some("file") {
            let settings = crate::settings::load(&app.db).await?;
            let actor = id.actor();
            result = stream_field(field, async |name, _, input| {
                imports::import_accounts_csv(
                    &app.db,
                    app.clock.now(),
                    &actor,
                    &settings,
                    &sid,
                    name,
                    input,
                )
                .await
            })
            .await;
            break;
        }
    }
    let h = Happened {
        result: Some(result),
        ..Happened::default()
    };
    system_page(&app, &id, &sid, h).await
}

/// `POST /identity/systems/{id}/ldap-imports`.
pub async fn import_ldap(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(sid): Path<String>,
    f: FormData,
) -> PageResult {
    let groups = |name: &str| {
        f.opt(name).map(|g| {
            g.split([',', ';', '\n'])
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
    };
    let r = LdapImportRequest {
        url: f.get("url"),
        base_dn: f.get("base_dn"),
        bind_dn: f.get("bind_dn"),
        password: f.get("password"),
        user_filter: f.opt("user_filter"),
        privileged_groups: groups("privileged_groups"),
        mfa_groups: groups("mfa_groups"),
        starttls: f.get("starttls") == "yes",
        timeout_secs: None,
    };
    let result = match r.source() {
        Ok(src) => import_from_directory(&app, &id.actor(), &sid, &src).await,
        Err(e) => Err(e),
    };
    let typed = [
        "url",
        "base_dn",
        "bind_dn",
        "user_filter",
        "privileged_groups",
        "mfa_groups",
        "starttls",
    ]
    .iter()
    .map(|n| (n.to_string(), f.get(n)))
    .collect();
    let h = Happened {
        result: Some(result),
        f: Values(typed),
        ..Happened::default()
    };
    system_page(&app, &id, &sid, h).await
}

/// `POST /identity/systems/{id}/scim-tokens`: issues a token and shows its secret once.
pub async fn issue_token(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(sid): Path<String>,
) -> PageResult {
    let issued = tokens::issue(&app, &id.actor(), &sid).await?;
    let h = Happened {
        secret: Some(issued.secret),
        ..Happened::default()
    };
    system_page(&app, &id, &sid, h).await
}

/// `POST /identity/scim-tokens/{id}/delete`.
pub async fn revoke_token(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(tid): Path<String>,
) -> PageResult {
    let system = tokens::revoke(&app, &id.actor(), &tid).await?.system_id;
    Ok(see_other(&format!(
        "/identity/systems/{system}?done=token_revoked"
    )))
}
