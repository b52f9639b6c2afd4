//! The route table. Every route is added with the [`Access`] it requires; the check runs in
//! one middleware ([`guard`]) and the table is kept so the role × route test can walk it.

use axum::Router;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodFilter, on};
use bulwark_core::Access;

use super::error::AppError;
use crate::access::Identity;
use crate::app::AppState;

/// Who a route answers: programs (JSON, problem documents) or people (HTML, redirects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Api,
    Page,
}

/// One route and what it requires.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub surface: Surface,
    /// Reachable while the user still has to change their password or enrol MFA.
    pub during_setup: bool,
}

/// A router under construction, with its table.
pub struct Routes {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            specs: Vec::new(),
        }
    }
}

fn filter(m: &Method) -> MethodFilter {
    match *m {
        Method::POST => MethodFilter::POST,
        Method::PUT => MethodFilter::PUT,
        Method::PATCH => MethodFilter::PATCH,
        Method::DELETE => MethodFilter::DELETE,
        _ => MethodFilter::GET,
    }
}

impl Routes {
    /// Adds a route. Paths under `/api/` answer programs; the rest answer people.
    pub fn add<H, T>(self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.push(method, path, access, false, handler)
    }

    /// Adds a route that stays reachable while the user must change a password or enrol MFA.
    pub fn add_setup<H, T>(
        self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.push(method, path, access, true, handler)
    }

    fn push<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        during_setup: bool,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let surface = if path.starts_with("/api/") || path.starts_with("/scim/") {
            Surface::Api
        } else {
            Surface::Page
        };
        let spec = RouteSpec {
            method: method.clone(),
            path,
            access,
            surface,
            during_setup,
        };
        let guarded = on(filter(&method), handler).layer(from_fn_with_state(spec.clone(), guard));
        self.router = self.router.route(path, guarded);
        self.specs.push(spec);
        self
    }

    /// Adds all routes of another table.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.specs.extend(other.specs);
        self
    }

    /// The router and the table.
    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteSpec>) {
        (self.router, self.specs)
    }
}

/// What stands between a signed-in user and their work: a temporary password or missing MFA.
/// Applies to browser sessions; API tokens are issued to people who passed it (or by an
/// operator at the command line) and are a second factor of their own.
pub fn setup_needed(
    id: &Identity,
    mfa_roles: &[bulwark_core::Role],
) -> Option<(&'static str, &'static str)> {
    id.session()?;
    if id.user.must_change_password {
        return Some(("/profile/password", "you must choose a new password first"));
    }
    if !id.user.totp_enabled && mfa_roles.contains(&id.role()) {
        return Some((
            "/profile/mfa",
            "your role must use two-factor authentication: enrol an authenticator app first",
        ));
    }
    None
}

/// The single authorization check, run before every handler.
async fn guard(State(spec): State<RouteSpec>, req: Request, next: Next) -> Response {
    let Some(app) = req.extensions().get::<AppState>().cloned() else {
        return AppError::Internal(anyhow::anyhow!("application state missing")).into_response();
    };
    let identity = req.extensions().get::<Identity>().cloned();
    if spec.access == Access::Public {
        return next.run(req).await;
    }
    if spec.access == Access::Provisioning {
        // Users' credentials never provision; the route checks the provisioning token.
        return match identity {
            Some(_) => AppError::Forbidden(
                "provisioning needs a SCIM token of a system, not a user's credentials".into(),
            )
            .into_response(),
            None => next.run(req).await,
        };
    }
    let Some(id) = identity else {
        return match spec.surface {
            Surface::Api => AppError::Unauthenticated.into_response(),
            Surface::Page => {
                let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
                let next_param: String = url_escape(target);
                Redirect::to(&format!("/login?next={next_param}")).into_response()
            }
        };
    };
    // The setup gate applies to browser sessions only (see `setup_needed`); token calls skip the
    // settings lookup altogether.
    if !spec.during_setup && id.session().is_some() {
        let roles = match app.settings.get(&app.db, app.clock.now()).await {
            Ok(s) => s.mfa_required_roles,
            Err(e) => return AppError::from(e).into_response(),
        };
        if let Some((page, why)) = setup_needed(&id, &roles) {
            return match spec.surface {
                Surface::Api => AppError::Forbidden(why.to_string()).into_response(),
                Surface::Page => Redirect::to(page).into_response(),
            };
        }
    }
    if !spec.access.allows(Some(id.role())) {
        let e = AppError::Forbidden(format!(
            "your role ({}) does not allow this",
            id.role().label()
        ));
        return match spec.surface {
            Surface::Api => e.into_response(),
            Surface::Page => crate::web::error_page(&app, Some(&id), &e).await,
        };
    }
    next.run(req).await
}

/// Percent-encodes a path for use as a query value.
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
