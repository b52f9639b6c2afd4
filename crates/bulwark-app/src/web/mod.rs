//! The web interface's shared parts: layout, navigation, assets, error pages, home.
//!
//! Pages are askama templates compiled into the binary (`templates/`); CSS, a small
//! progressive-enhancement script and the icon are embedded too (`assets/`). Every page works
//! without JavaScript: forms post and the server answers with a redirect (303) or the form
//! again, with the errors next to their fields and the input kept.

pub mod openapi;

mod assets;
pub mod form;
mod home;
pub mod upload;

use std::sync::OnceLock;

use askama::Template;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bulwark_core::{Access, Area, Permission, Role};

use crate::access::Identity;
use crate::access::identity::PendingMfa;
use crate::app::AppState;
use crate::platform::http::error::AppError;
use crate::platform::http::{RouteSpec, Routes};

pub use form::{Errors, FormData, Opt, Values, opts};

/// Shared page routes (home, assets).
pub fn routes() -> Routes {
    Routes::default()
        .add(Method::GET, "/", Access::SignedIn, html(home::home))
        .add(Method::GET, "/assets/{file}", Access::Public, assets::serve)
}

/// One entry of the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub label: &'static str,
    /// None: not built yet (shown as "coming", not a link).
    pub href: Option<String>,
    pub current: bool,
}

/// The signed-in user as the layout shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub email: String,
    pub role: &'static str,
}

/// What the layout needs: organisation, navigation, the user and the form token.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub org: String,
    pub user: Option<NavUser>,
    /// The general entries (home, own access reviews, users, audit trail, settings, API docs).
    pub nav: Vec<NavItem>,
    /// The product's areas the role may see.
    pub areas: Vec<NavItem>,
    /// The session's CSRF token, for every form.
    pub csrf: String,
    /// Set while the user must change their password or enrol MFA first.
    pub setup: Option<String>,
    /// A confirmation after a completed action (post/redirect/get).
    pub notice: Option<&'static str>,
    /// Versioned asset URLs.
    pub css: String,
    pub js: String,
    pub icon: String,
}

impl Chrome {
    /// How many of the listed areas are not built yet.
    pub fn coming(&self) -> usize {
        self.areas.iter().filter(|a| a.href.is_none()).count()
    }
}

/// The application's route table, computed once (for role-aware navigation).
fn table() -> &'static [RouteSpec] {
    static TABLE: OnceLock<Vec<RouteSpec>> = OnceLock::new();
    TABLE.get_or_init(|| crate::platform::http::routes().into_parts().1)
}

/// Whether a route exists and the role may use it.
pub fn route_allows(role: Option<Role>, method: &Method, path: &str) -> bool {
    table()
        .iter()
        .any(|r| r.method == *method && r.path == path && r.access.allows(role))
}

fn route_exists(method: &Method, path: &str) -> bool {
    table()
        .iter()
        .any(|r| r.method == *method && r.path == path)
}

/// The general navigation entries, shown when the route exists and the role may open it.
const GENERAL: [(&str, &str); 6] = [
    ("Home", "/"),
    ("My reviews", "/reviews"),
    ("Users", "/users"),
    ("Audit trail", "/audit"),
    ("Settings", "/settings"),
    ("API docs", "/api/docs"),
];

/// Builds the layout for a page at `path`.
pub async fn chrome(
    app: &AppState,
    id: Option<&Identity>,
    pending: Option<&PendingMfa>,
    path: &str,
    title: impl Into<String>,
) -> Chrome {
    let settings = app.settings.get(&app.db, app.clock.now()).await.ok();
    let org = settings
        .as_ref()
        .map_or_else(|| "Bulwark".to_string(), |s| s.organisation_name.clone());
    let setup = match (id, &settings) {
        (Some(id), Some(s)) => {
            crate::platform::http::routes::setup_needed(id, &s.mfa_required_roles)
                .map(|(_, why)| why.to_string())
        }
        _ => None,
    };
    let role = id.map(Identity::role);
    let mut nav = Vec::new();
    let mut areas = Vec::new();
    if id.is_some() && setup.is_none() {
        for (label, href) in GENERAL {
            if route_allows(role, &Method::GET, href) {
                nav.push(NavItem {
                    label,
                    href: Some(href.into()),
                    current: is_current(path, href),
                });
            }
        }
        for area in Area::ALL {
            if !Access::Requires(Permission::Read(area)).allows(role) {
                continue;
            }
            let href = format!("/{}", area.slug());
            // An area counts as built once it has a page at `/{slug}` of its own. (The audit
            // trail's `/audit` belongs to the shell, not to the Audits area.)
            let built =
                route_exists(&Method::GET, &href) && !GENERAL.iter().any(|(_, g)| *g == href);
            areas.push(NavItem {
                label: area.label(),
                current: built && is_current(path, &href),
                href: built.then_some(href),
            });
        }
    }
    let csrf = match (id, pending) {
        (Some(id), _) => id.csrf().to_string(),
        (None, Some(p)) => p.session.csrf_token.clone(),
        _ => String::new(),
    };
    Chrome {
        title: title.into(),
        org,
        user: id.map(|i| NavUser {
            name: i.user.name.clone(),
            email: i.user.email.clone(),
            role: i.role().label(),
        }),
        nav,
        areas,
        csrf,
        setup,
        notice: None,
        css: assets::url("bulwark.css"),
        js: assets::url("bulwark.js"),
        icon: assets::url("favicon.svg"),
    }
}

fn is_current(path: &str, href: &str) -> bool {
    if href == "/" {
        path == "/"
    } else {
        path == href || path.starts_with(&format!("{href}/"))
    }
}

/// A list page's address with the same filters and another cursor (the page's own notices,
/// `done` and `error`, are not carried over); no cursor gives the filtered first page.
pub fn list_link(
    path: &str,
    query: &std::collections::HashMap<String, String>,
    cursor: Option<&bulwark_core::cursor::Cursor>,
) -> String {
    use crate::platform::http::routes::url_escape;
    let mut params: Vec<String> = query
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "cursor" | "done" | "error") && !v.is_empty())
        .map(|(k, v)| format!("{}={}", url_escape(k), url_escape(v)))
        .collect();
    params.sort();
    if let Some(c) = cursor {
        params.push(format!("cursor={}", url_escape(&c.encode())));
    }
    format!("{path}?{}", params.join("&"))
}

/// Renders a template with a status.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => {
            let mut res = (status, body).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        Err(e) => AppError::Internal(anyhow::anyhow!("rendering a page: {e}")).into_response(),
    }
}

/// A page answer: the page, or an error shown as a page.
pub type PageResult = Result<Response, PageError>;

/// An error in a page handler. Answered as an error page in the layout (see [`html`]).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

/// Marks a response that [`html`] replaces with an error page.
#[derive(Debug, Clone)]
struct ErrorToRender {
    status: StatusCode,
    detail: String,
    retry_after: Option<i64>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self.0 {
            tracing::error!(error = format!("{e:#}"), "page failed");
        }
        let marker = ErrorToRender {
            status: self.0.status(),
            detail: self.0.detail(),
            retry_after: match self.0 {
                AppError::TooMany {
                    retry_after_secs, ..
                } => Some(retry_after_secs),
                _ => None,
            },
        };
        let mut res = (marker.status, marker.detail.clone()).into_response();
        res.extensions_mut().insert(marker);
        res
    }
}

/// Wraps a page handler so that its errors become error pages in the layout.
pub fn html<H, T>(h: H) -> impl Handler<T, AppState>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    h.layer(axum::middleware::from_fn(error_pages))
}

async fn error_pages(req: Request, next: Next) -> Response {
    let app = req.extensions().get::<AppState>().cloned();
    let id = req.extensions().get::<Identity>().cloned();
    let res = next.run(req).await;
    let Some(marker) = res.extensions().get::<ErrorToRender>().cloned() else {
        return res;
    };
    let Some(app) = app else {
        return res;
    };
    let mut page = error_page_with(&app, id.as_ref(), marker.status, &marker.detail).await;
    if let Some(secs) = marker.retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
    {
        page.headers_mut().insert(header::RETRY_AFTER, v);
    }
    page
}

/// A 303 redirect (after a successful form post, and for sign-in).
pub fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// The confirmation for a `?done=` code set by a redirect after a form post.
pub fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "password" => "Your password was changed. Your other sessions were signed out.",
        "mfa_removed" => "Two-factor authentication was removed from your account.",
        "token_revoked" => "The token was revoked. Programs using it can no longer sign in.",
        "saved" => "Saved.",
        "deleted" => "Deleted.",
        "imported" => "The file was imported.",
        "unchanged" => "Nothing was changed.",
        _ => return None,
    })
}

/// A stored time for people (`2026-03-02 09:00 UTC`).
pub fn when(stored: &str) -> String {
    bulwark_core::Timestamp::parse(stored).map_or_else(|_| stored.to_string(), |t| t.human())
}

/// An optional stored time for people, with a word for "none".
pub fn when_opt(stored: Option<&str>, none: &str) -> String {
    stored.map_or_else(|| none.to_string(), when)
}

/// `next` when it is a path on this site, else `/`.
pub fn local_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok { next.to_string() } else { "/".into() }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    heading: String,
    detail: String,
}

async fn error_page_with(
    app: &AppState,
    id: Option<&Identity>,
    status: StatusCode,
    detail: &str,
) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Page not found".to_string(),
        StatusCode::FORBIDDEN => "Not allowed".to_string(),
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts".to_string(),
        StatusCode::CONFLICT => "That cannot be done now".to_string(),
        s if s.is_server_error() => "Something went wrong".to_string(),
        s => s.canonical_reason().unwrap_or("Error").to_string(),
    };
    let c = chrome(app, id, None, "", heading.clone()).await;
    render(
        status,
        &ErrorPage {
            c,
            status: status.as_u16(),
            heading,
            detail: detail.to_string(),
        },
    )
}

/// The answer for unknown paths.
pub async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return AppError::NotFound.into_response();
    }
    let Some(app) = req.extensions().get::<AppState>().cloned() else {
        return AppError::NotFound.into_response();
    };
    let id = req.extensions().get::<Identity>().cloned();
    error_page_with(
        &app,
        id.as_ref(),
        StatusCode::NOT_FOUND,
        "There is no page at this address. Check the link, or start again from the home page.",
    )
    .await
}

/// An error as a page.
pub async fn error_page(app: &AppState, id: Option<&Identity>, e: &AppError) -> Response {
    error_page_with(app, id, e.status(), &e.detail()).await
}

#[cfg(test)]
mod tests {
    use super::local_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_next("/users?q=a"), "/users?q=a");
        assert_eq!(local_next("//evil.example/"), "/");
        assert_eq!(local_next("/\\evil.example"), "/");
        assert_eq!(local_next("https://evil.example/"), "/");
        assert_eq!(local_next(""), "/");
        assert_eq!(local_next("/a\nb"), "/");
    }
}
