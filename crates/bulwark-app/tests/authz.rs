//! The role × route matrix: every route of the route table, called by every role and by an
//! anonymous caller, is refused exactly when its declared [`Access`] refuses the role.
//!
//! The test walks `bulwark_app::platform::http::routes()`, so routes added later (pages, assets,
//! new areas) are covered without touching this file. API routes (`/api/…`) are called with a
//! bearer token, pages with a signed-in browser session (a fresh one per request, so routes such
//! as sign-out cannot spoil the rest of the walk).

mod common;

use bulwark_app::access::sessions;
use bulwark_app::audit_log::Actor;
use bulwark_app::platform::http::{RouteSpec, Surface};
use bulwark_core::{Access, Role};
use common::TestApp;
use reqwest::Method;
use serde_json::json;

/// Stands for every path parameter: a well-formed id that names nothing.
const DUMMY_ID: &str = "0190f000-0000-7000-8000-000000000000";

/// A route's path with its parameters (`{id}`, `{*rest}`) filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(DUMMY_ID);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn writes(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A member of the matrix: a role's account, with a token and a way to open sessions.
struct Member {
    role: Role,
    user_id: String,
    token: String,
}

async fn member(app: &TestApp, role: Role) -> Member {
    let email = format!("matrix-{}@test.example", role.as_str().replace('_', "-"));
    let user_id = app.user(&email, role, "correct horse battery").await;
    let s = &app.state;
    let mut tx = s.db.begin().await.unwrap();
    let token = bulwark_app::access::tokens::create(
        &mut tx,
        s.clock.now(),
        &Actor::system(),
        &user_id,
        &bulwark_app::access::tokens::NewToken {
            name: "matrix".into(),
            expires_days: None,
        },
    )
    .await
    .unwrap()
    .secret;
    tx.commit().await.unwrap();
    Member {
        role,
        user_id,
        token,
    }
}

/// Opens a browser session (second factor passed) for a user: the cookie token and the CSRF token.
async fn session(app: &TestApp, user_id: &str) -> (String, String) {
    let s = &app.state;
    let mut tx = s.db.begin().await.unwrap();
    let (token, row) = sessions::create(&mut tx.h(), s.clock.now(), user_id, true, 12, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (token, row.csrf_token)
}

/// How a request proves who is calling.
enum Credential<'a> {
    Anonymous,
    Token(&'a str),
    Session(&'a str),
}

/// What came back: the status and, for redirects, where to.
struct Answer {
    status: u16,
    location: String,
    content_type: String,
}

async fn send(app: &TestApp, spec: &RouteSpec, who: Credential<'_>) -> Answer {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let method = Method::from_bytes(spec.method.as_str().as_bytes()).unwrap();
    let mut req = client.request(
        method.clone(),
        format!("{}{}", app.url, concrete(spec.path)),
    );
    match who {
        Credential::Anonymous => {}
        Credential::Token(t) => req = req.bearer_auth(t),
        Credential::Session(user_id) => {
            let (cookie, csrf) = session(app, user_id).await;
            req = req.header("cookie", format!("{}={cookie}", sessions::COOKIE));
            if writes(&method) {
                req = req.header("x-csrf-token", csrf);
            }
        }
    }
    if writes(&method) && method != Method::DELETE {
        req = match spec.surface {
            Surface::Api => req.json(&json!({})),
            Surface::Page => req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(""),
        };
    }
    let res = req.send().await.unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    Answer {
        status: res.status().as_u16(),
        location: header("location"),
        content_type: header("content-type"),
    }
}

/// Why an answer breaks the rule, if it does. An allowed call may answer anything but 401/403
/// (404 for the dummy id, 422 for the empty body, a redirect from sign-out…).
fn verdict(spec: &RouteSpec, role: Option<Role>, a: &Answer) -> Option<String> {
    let allowed = spec.access.allows(role);
    let redirect = matches!(a.status, 302 | 303 | 307);
    let to_login = redirect && a.location.starts_with("/login");
    match (allowed, role, spec.surface) {
        (true, _, _) if a.status == 401 || a.status == 403 => {
            Some(format!("allowed but answered {}", a.status))
        }
        (true, _, _) => None,
        (false, None, Surface::Api) if a.status != 401 => {
            Some(format!("anonymous: expected 401, got {}", a.status))
        }
        (false, None, Surface::Page) if !to_login => Some(format!(
            "anonymous: expected a redirect to /login, got {} {}",
            a.status, a.location
        )),
        (false, Some(_), _) if a.status != 403 => {
            Some(format!("expected 403, got {} {}", a.status, a.location))
        }
        // The SCIM endpoint answers its own refusals in the SCIM error schema (RFC 7644 §3.12).
        (false, None, Surface::Api)
            if spec.access == Access::Provisioning
                && a.content_type.starts_with("application/scim+json") =>
        {
            None
        }
        (false, _, Surface::Api) if !a.content_type.starts_with("application/problem+json") => {
            Some(format!(
                "refusal is not a problem document ({})",
                a.content_type
            ))
        }
        (false, _, _) => None,
    }
}

/// Column headings of the matrix.
fn short(role: Option<Role>) -> &'static str {
    match role {
        None => "anon",
        Some(Role::Administrator) => "admin",
        Some(Role::SecurityOfficer) => "secoff",
        Some(Role::ItManager) => "itmgr",
        Some(Role::Auditor) => "audit",
        Some(Role::Leadership) => "lead",
        Some(Role::Staff) => "staff",
    }
}

async fn matrix(app: TestApp) {
    let members: Vec<Member> = {
        let mut v = Vec::new();
        for role in Role::ALL {
            v.push(member(&app, role).await);
        }
        v
    };
    // Nobody in the matrix has TOTP: no role may require it here (see the test below for MFA).
    let admin = app.api(&members[0].token);
    let (s, body) = admin
        .patch("/api/v1/settings", json!({"mfa_required_roles": []}))
        .await;
    assert_eq!(s, 200, "{body}");

    let (_, specs) = bulwark_app::platform::http::routes().into_parts();
    assert!(specs.len() > 10, "the route table looks empty");
    let callers: Vec<Option<&Member>> = std::iter::once(None)
        .chain(members.iter().map(Some))
        .collect();

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for spec in &specs {
        let mut cells = Vec::new();
        for caller in &callers {
            let role = caller.map(|m| m.role);
            let who = match (caller, spec.surface) {
                (None, _) => Credential::Anonymous,
                (Some(m), Surface::Api) => Credential::Token(&m.token),
                (Some(m), Surface::Page) => Credential::Session(&m.user_id),
            };
            let answer = send(&app, spec, who).await;
            checked += 1;
            let bad = verdict(spec, role, &answer);
            let mark = if spec.access.allows(role) { "" } else { "×" };
            cells.push(format!(
                "{}{}{}",
                answer.status,
                mark,
                if bad.is_some() { "!" } else { "" }
            ));
            if let Some(why) = bad {
                failures.push(format!(
                    "{} {} ({:?}) as {}: {why}",
                    spec.method,
                    spec.path,
                    spec.access,
                    short(role)
                ));
            }
        }
        rows.push((format!("{} {}", spec.method, spec.path), cells));
    }
    assert_eq!(checked, specs.len() * callers.len());

    if !failures.is_empty() {
        let width = rows.iter().map(|(r, _)| r.len()).max().unwrap_or(0);
        let mut table = format!("{:width$}", "route");
        for c in &callers {
            table.push_str(&format!(" {:>7}", short(c.map(|m| m.role))));
        }
        table.push('\n');
        for (route, cells) in &rows {
            table.push_str(&format!("{route:width$}"));
            for c in cells {
                table.push_str(&format!(" {c:>7}"));
            }
            table.push('\n');
        }
        panic!(
            "{} of {checked} calls broke the route table's access rules \
             (× = refused by the table, ! = wrong answer):\n\n{table}\n{}\n",
            failures.len(),
            failures.join("\n")
        );
    }
}
both_backends!(matrix);

/// With the default settings administrators must use TOTP: a browser session without it is
/// sent to enrol (pages) or refused (API) everywhere except the routes that help them enrol,
/// while an administrator's API token — a credential of its own — is not held up.
async fn mfa_enrolment_holds_sessions_not_tokens(app: TestApp) {
    let admin = member(&app, Role::Administrator).await;
    let (_, specs) = bulwark_app::platform::http::routes().into_parts();
    let mut failures = Vec::new();
    let mut held = 0;
    for spec in specs
        .iter()
        .filter(|s| s.access != bulwark_core::Access::Public)
    {
        let route = format!("{} {}", spec.method, spec.path);
        let a = send(&app, spec, Credential::Session(&admin.user_id)).await;
        let sent_to_enrol = matches!(a.status, 302 | 303 | 307) && a.location == "/profile/mfa";
        if spec.during_setup {
            if a.status == 401 || a.status == 403 || sent_to_enrol {
                failures.push(format!(
                    "{route} (reachable during setup) answered {} {}",
                    a.status, a.location
                ));
            }
        } else {
            held += 1;
            let ok = match spec.surface {
                Surface::Page => sent_to_enrol,
                Surface::Api => {
                    a.status == 403 && a.content_type.starts_with("application/problem+json")
                }
            };
            if !ok {
                failures.push(format!(
                    "{route} by a session without TOTP answered {} {}",
                    a.status, a.location
                ));
            }
        }
        // Provisioning routes take no user's token, whatever the role.
        if spec.surface == Surface::Api && spec.access != Access::Provisioning {
            let a = send(&app, spec, Credential::Token(&admin.token)).await;
            if a.status == 401 || a.status == 403 {
                failures.push(format!(
                    "{route} by an administrator's token answered {}",
                    a.status
                ));
            }
        }
    }
    assert!(held > 0, "no route requires enrolment");
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The API says why.
    let (cookie, _) = session(&app, &admin.user_id).await;
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/users", app.url))
        .header("cookie", format!("{}={cookie}", sessions::COOKIE))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("two-factor authentication"),
        "{body}"
    );
}
both_backends!(mfa_enrolment_holds_sessions_not_tokens);

#[test]
fn path_parameters_are_filled_in() {
    assert_eq!(concrete("/api/v1/users"), "/api/v1/users");
    assert_eq!(
        concrete("/api/v1/users/{id}/password-reset"),
        format!("/api/v1/users/{DUMMY_ID}/password-reset")
    );
    assert_eq!(concrete("/assets/{*file}"), format!("/assets/{DUMMY_ID}"));
    assert_eq!(concrete("/a/{x}/{y}"), format!("/a/{DUMMY_ID}/{DUMMY_ID}"));
}
