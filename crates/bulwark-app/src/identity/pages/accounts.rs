//! The accounts list, and the linking queue: accounts the rules could not link, each with a
//! form to name its person or mark it as a service or shared account.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bulwark_core::cursor::Cursor;

use super::can_write;
use crate::access::Identity;
use crate::app::AppState;
use crate::identity::accounts::{self, Account, LinkChange, SystemSummary};
use crate::identity::api::accounts::AccountsQuery;
use crate::identity::people;
use crate::platform::http::error::AppError;
use crate::platform::http::routes::url_escape;
use crate::web::{
    Chrome, FormData, PageResult, Values, chrome, list_link, notice, render, see_other, when,
};

/// A row of the accounts list.
#[derive(Debug)]
pub struct AccountLine {
    pub a: Account,
    pub last_login: String,
    pub person: String,
}

#[derive(Template)]
#[template(path = "identity/accounts.html")]
struct AccountsPage {
    c: Chrome,
    rows: Vec<AccountLine>,
    systems: Vec<SystemSummary>,
    f: Values,
    queue: bool,
    can_write: bool,
    /// This page's address, to come back to after linking.
    here: String,
    error: Option<String>,
    next: Option<String>,
    first_page: bool,
}

/// `GET /identity/accounts` (`?unlinked=yes` is the linking queue).
pub async fn list(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(f): Query<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).cloned().filter(|v| !v.is_empty());
    let yes = |k: &str| get(k).map(|v| v == "yes");
    let q = AccountsQuery {
        system_id: get("system_id"),
        person_id: get("person_id"),
        kind: get("kind"),
        unlinked: yes("unlinked"),
        privileged: yes("privileged"),
        enabled: yes("enabled"),
        q: get("q"),
        cursor: get("cursor"),
        limit: None,
    };
    let filter = q.filter()?;
    let after = crate::platform::http::page::after(q.cursor.as_deref())?;
    let mut rows = accounts::list(&app.db, &filter, after, 51).await?;
    let systems = accounts::systems(&mut app.db.read().await?.h()).await?;
    let more = rows.len() > 50;
    rows.truncate(50);
    let next = more.then(|| rows.last()).flatten().map(|last| {
        let cursor = Cursor {
            key: accounts::username_key(&last.username),
            id: last.id.clone(),
        };
        list_link("/identity/accounts", &f, Some(&cursor))
    });
    let here = list_link("/identity/accounts", &f, None);
    let title = if filter.unlinked {
        "Accounts waiting to be linked"
    } else {
        "Accounts"
    };
    let mut c = chrome(&app, Some(&id), None, "/identity", title).await;
    c.notice = notice(f.get("done").map(String::as_str));
    Ok(render(
        StatusCode::OK,
        &AccountsPage {
            c,
            rows: rows
                .into_iter()
                .map(|a| AccountLine {
                    last_login: a.last_login.as_deref().map(when).unwrap_or_default(),
                    person: match (&a.person, a.kind.as_str()) {
                        (Some(p), _) => p.name.clone(),
                        (None, "human") => String::new(),
                        (None, k) => format!("({k} account)"),
                    },
                    a,
                })
                .collect(),
            systems,
            queue: filter.unlinked,
            first_page: q.cursor.is_none(),
            error: get("error"),
            f: Values(f),
            can_write: can_write(&id),
            here,
            next,
        },
    ))
}

/// `POST /identity/accounts/{id}/link`: `person_email` (the person) and `kind`; `back` is the
/// list to return to.
pub async fn link(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(aid): Path<String>,
    f: FormData,
) -> PageResult {
    let back = Some(f.get("back"))
        .filter(|b| b.starts_with("/identity/accounts"))
        .unwrap_or_else(|| "/identity/accounts".into());
    let sep = if back.contains('?') { '&' } else { '?' };
    let now = app.clock.now();
    let settings = crate::settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    let person_id = match f.opt("person_email") {
        None => None,
        Some(email) => match people::by_email(&mut tx.h(), &email.to_lowercase()).await? {
            Some(p) => Some(p.id),
            None => {
                let msg = format!("nobody in the people register has the email {email}");
                return Ok(see_other(&format!("{back}{sep}error={}", url_escape(&msg))));
            }
        },
    };
    let change = LinkChange {
        person_id,
        kind: f.opt("kind"),
    };
    match accounts::set_link(&mut tx, now, &id.actor(), &settings, &aid, &change).await {
        Ok(_) => {}
        Err(e @ AppError::Invalid(_)) => {
            return Ok(see_other(&format!(
                "{back}{sep}error={}",
                url_escape(&e.detail())
            )));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(see_other(&format!("{back}{sep}done=saved")))
}
