//! Accounts: listing, the linking queue, and the imports of a system's accounts (CSV, LDAP).

use std::time::Duration;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Area, Permission};
use serde::Deserialize;

use super::FileQuery;
use crate::access::Identity;
use crate::app::AppState;
use crate::identity::accounts::{self, Account, AccountFilter, KINDS, LinkChange};
use crate::identity::imports::{self, AccountSource, IdentityImport, ImportOutcome};
use crate::identity::ldap::{self, LdapError, LdapSource};
use crate::inventory::api::body_reader;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult, Problem};
use crate::platform::http::json::Json;
use crate::platform::http::page::{Page, after, limit, page};
use crate::platform::http::query::Query;

/// The routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Identity));
    let write = Access::Requires(Permission::Write(Area::Identity));
    Routes::default()
        .add(M::GET, "/api/v1/accounts", read, list_accounts)
        .add(M::GET, "/api/v1/accounts/{id}", read, get_account)
        .add(M::PUT, "/api/v1/accounts/{id}/link", write, link_account)
        .add(M::GET, "/api/v1/identity/imports", read, import_history)
        .add(
            M::POST,
            "/api/v1/assets/{id}/account-imports",
            write,
            import_accounts_csv,
        )
        .add(
            M::POST,
            "/api/v1/assets/{id}/ldap-imports",
            write,
            import_accounts_ldap,
        )
}

/// Query of the account list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountsQuery {
    /// The system (asset id).
    pub system_id: Option<String>,
    pub person_id: Option<String>,
    /// human, service or shared.
    pub kind: Option<String>,
    /// Only human accounts linked to nobody (the linking queue).
    pub unlinked: Option<bool>,
    pub privileged: Option<bool>,
    pub enabled: Option<bool>,
    /// Text in the username, display name or email.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

impl AccountsQuery {
    /// The filter, checked.
    pub fn filter(&self) -> AppResult<AccountFilter> {
        if let Some(k) = &self.kind
            && !KINDS.contains(&k.as_str())
        {
            return Err(AppError::field("kind", "must be human, service or shared"));
        }
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        Ok(AccountFilter {
            system_id: given(&self.system_id),
            person_id: given(&self.person_id),
            kind: given(&self.kind),
            unlinked: self.unlinked.unwrap_or(false),
            privileged: self.privileged,
            enabled: self.enabled,
            q: given(&self.q),
        })
    }
}

/// List accounts on every system, by username.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "identity", params(AccountsQuery),
    responses((status = 200, body = Page<Account>), (status = 422, body = Problem)))]
pub async fn list_accounts(
    State(app): State<AppState>,
    Query(q): Query<AccountsQuery>,
) -> AppResult<axum::Json<Page<Account>>> {
    let lim = limit(q.limit)?;
    let f = q.filter()?;
    let rows = accounts::list(&app.db, &f, after(q.cursor.as_deref())?, lim + 1).await?;
    Ok(axum::Json(page(rows, lim, |a| {
        Cursor {
            key: accounts::username_key(&a.username),
            id: a.id.clone(),
        }
        .encode()
    })))
}

/// Get one account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "identity", params(("id" = String, Path)),
    responses((status = 200, body = Account), (status = 404, body = Problem)))]
pub async fn get_account(
    State(app): State<AppState>,
    Path(aid): Path<String>,
) -> AppResult<axum::Json<Account>> {
    accounts::by_id(&mut app.db.read().await?.h(), &aid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Link an account to a person, unlink it, or mark it as a service or shared account. The
/// decision is kept by later imports; findings are re-evaluated at once.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/link", tag = "identity", params(("id" = String, Path)), request_body = LinkChange,
    responses((status = 200, body = Account), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn link_account(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    Json(change): Json<LinkChange>,
) -> AppResult<axum::Json<Account>> {
    let now = app.clock.now();
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    let a = accounts::set_link(&mut tx, now, &id.actor(), &settings, &aid, &change).await?;
    tx.commit().await?;
    Ok(axum::Json(a))
}

/// Query of the import history.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only this system's account imports.
    pub system_id: Option<String>,
}

/// The last 100 people and account imports, newest first.
#[utoipa::path(get, path = "/api/v1/identity/imports", tag = "identity", params(HistoryQuery),
    responses((status = 200, body = Vec<IdentityImport>)))]
pub async fn import_history(
    State(app): State<AppState>,
    Query(q): Query<HistoryQuery>,
) -> AppResult<axum::Json<Vec<IdentityImport>>> {
    Ok(axum::Json(
        imports::history(&app.db, q.system_id.as_deref(), 100).await?,
    ))
}

/// Replace a system's accounts with a CSV file sent as the request body (header
/// `username,email,display_name,privileged,mfa,last_login,groups,status`, columns in any order,
/// groups separated by `;`). Links made by hand are kept. All or nothing: a file with problems is
/// refused with every problem located by line and column.
#[utoipa::path(post, path = "/api/v1/assets/{id}/account-imports", tag = "identity", params(("id" = String, Path), FileQuery),
    request_body(content = String, description = "The accounts file", content_type = "text/csv"),
    responses((status = 201, body = ImportOutcome), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn import_accounts_csv(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(system): Path<String>,
    Query(q): Query<FileQuery>,
    body: Body,
) -> AppResult<(StatusCode, axum::Json<ImportOutcome>)> {
    let settings = crate::settings::load(&app.db).await?;
    let outcome = imports::import_accounts_csv(
        &app.db,
        app.clock.now(),
        &id.actor(),
        &settings,
        &system,
        q.name("accounts.csv"),
        body_reader(body),
    )
    .await?;
    Ok((StatusCode::CREATED, axum::Json(outcome)))
}

/// Where to read a directory's accounts.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LdapImportRequest {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    pub url: String,
    /// Where the searches start, e.g. `dc=example,dc=com`.
    pub base_dn: String,
    /// The DN to bind as (Active Directory also accepts `user@domain`).
    pub bind_dn: String,
    /// The bind password (used once, never stored or logged).
    pub password: String,
    /// The LDAP filter selecting user entries.
    #[serde(default)]
    pub user_filter: Option<String>,
    /// Groups whose members are privileged (default: the built-in administrative groups).
    #[serde(default)]
    pub privileged_groups: Option<Vec<String>>,
    /// Groups whose members sign in with a second factor.
    #[serde(default)]
    pub mfa_groups: Option<Vec<String>>,
    /// Upgrade `ldap://` with StartTLS before binding.
    #[serde(default)]
    pub starttls: bool,
    /// Seconds to wait for the server (default 30, at most 300).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

impl LdapImportRequest {
    /// The source this request describes.
    pub fn source(&self) -> AppResult<LdapSource> {
        let mut s = LdapSource::new(&self.url, &self.base_dn, &self.bind_dn, &self.password);
        s.user_filter = self.user_filter.clone().filter(|f| !f.trim().is_empty());
        if let Some(g) = &self.privileged_groups {
            s.privileged_groups = g.clone();
        }
        if let Some(g) = &self.mfa_groups {
            s.mfa_groups = g.clone();
        }
        s.starttls = self.starttls;
        if let Some(t) = self.timeout_secs {
            if !(1..=300).contains(&t) {
                return Err(AppError::field("timeout_secs", "must be from 1 to 300"));
            }
            s.timeout = Duration::from_secs(t);
        }
        Ok(s)
    }
}

/// Reads a directory and replaces `system`'s accounts with what it holds. Entries that cannot
/// be read refuse the import, every one listed; a directory that cannot be reached changes
/// nothing.
pub async fn import_from_directory(
    app: &AppState,
    actor: &crate::audit_log::Actor,
    system: &str,
    src: &LdapSource,
) -> AppResult<ImportOutcome> {
    crate::inventory::assets::by_id(&mut app.db.read().await?.h(), system)
        .await?
        .ok_or(AppError::NotFound)?;
    let fetched = ldap::fetch_accounts(src).await.map_err(|e| match e {
        LdapError::Setting { setting, message } => AppError::field(setting, message),
        e => AppError::BadRequest(format!("the directory could not be read: {e}")),
    })?;
    if !fetched.problems.is_empty() {
        let mut problems = fetched.problems;
        problems.push(bulwark_core::InputProblem::whole(
            "give these entries a login name, or narrow the user filter to login accounts, \
             e.g. (&(objectClass=inetOrgPerson)(uid=*))",
        ));
        return Err(AppError::Rejected(problems));
    }
    let settings = crate::settings::load(&app.db).await?;
    let records = fetched.accounts;
    let (outcome, _) = imports::import_accounts(
        &app.db,
        app.clock.now(),
        actor,
        &settings,
        system,
        AccountSource {
            kind: "ldap",
            name: format!("{} ({})", src.url, src.base_dn),
        },
        move |sink| {
            records.into_iter().for_each(sink);
            Ok(())
        },
    )
    .await?;
    Ok(outcome)
}

/// Replace a system's accounts with the users of an LDAP directory or Active Directory (users,
/// groups, memberOf, last logon or modify time, disabled flag). Nothing changes when the
/// directory cannot be reached, refuses the bind, times out or fails TLS; the message says which.
#[utoipa::path(post, path = "/api/v1/assets/{id}/ldap-imports", tag = "identity", params(("id" = String, Path)), request_body = LdapImportRequest,
    responses((status = 201, body = ImportOutcome), (status = 400, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn import_accounts_ldap(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(system): Path<String>,
    Json(r): Json<LdapImportRequest>,
) -> AppResult<(StatusCode, axum::Json<ImportOutcome>)> {
    let src = r.source()?;
    let outcome = import_from_directory(&app, &id.actor(), &system, &src).await?;
    Ok((StatusCode::CREATED, axum::Json(outcome)))
}
