//! The web interface end to end: a real headless Chromium driven through chromedriver, and
//! plain HTTP (no JavaScript at all) for CSRF, throttling and the form flows.
//!
//! The browser test needs `chromedriver` and `chromium` (`BULWARK_TEST_CHROMEDRIVER`,
//! `BULWARK_TEST_CHROMIUM`; defaults in /usr/bin). Without them it is skipped with a message,
//! unless `BULWARK_TEST_REQUIRE_BROWSER` is set, which makes that a failure.

mod common;

use std::time::Duration;

use bulwark_app::platform::clock::Clock;
use bulwark_core::Role;
use common::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};

const PW: &str = "correct horse battery staple";

// ---------------------------------------------------------------------------------------------
// Helpers for plain HTTP

/// The value of the first `name="csrf_token"` field of a page.
fn csrf_of(html: &str) -> String {
    attr_after(html, "name=\"csrf_token\"", "value").expect("a csrf_token field on the page")
}

/// The value of attribute `attr` on the tag that contains `marker`.
fn attr_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let key = format!("{attr}=\"");
    let v = tag.find(&key)? + key.len();
    let len = tag[v..].find('"')?;
    Some(tag[v..v + len].to_string())
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = c.get(format!("{}{path}", app.url)).send().await.unwrap();
    let s = res.status().as_u16();
    (s, res.text().await.unwrap())
}

async fn post(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(format!("{}{path}", app.url))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Signs in through the form (password step only); returns the redirect target.
async fn sign_in(c: &reqwest::Client, app: &TestApp, email: &str, pw: &str) -> String {
    let res = post(
        c,
        app,
        "/login",
        &[("email", email), ("password", pw), ("next", "/")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
    location(&res)
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_refuse_posts_without_the_csrf_token() {
    let app = common::spawn(common::Which::Sqlite).await.unwrap();
    app.user("sam@test.example", Role::Staff, PW).await;
    let c = app.browser();
    assert_eq!(sign_in(&c, &app, "sam@test.example", PW).await, "/");

    let res = post(
        &c,
        &app,
        "/profile/tokens",
        &[("name", "script"), ("expires_days", "30")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);
    let res = post(
        &c,
        &app,
        "/profile/tokens",
        &[("name", "script"), ("csrf_token", "forged")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);
    let res = post(&c, &app, "/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 403, "sign-out needs the token too");

    let (s, page) = get(&c, &app, "/profile/tokens").await;
    assert_eq!(s, 200);
    let token = csrf_of(&page);
    let res = post(
        &c,
        &app,
        "/profile/tokens",
        &[
            ("name", "script"),
            ("expires_days", "30"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("bwk_"), "the secret is shown once: {page}");

    // Revoking: a form per token, post/redirect/get.
    let (_, page) = get(&c, &app, "/profile/tokens").await;
    let action = attr_after(&page, "/revoke\"", "action").expect("a revoke form");
    let res = post(&c, &app, &action, &[]).await;
    assert_eq!(res.status().as_u16(), 403, "revoking needs the token too");
    let res = post(&c, &app, &action, &[("csrf_token", &csrf_of(&page))]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/profile/tokens?done=token_revoked");
    let (_, page) = get(&c, &app, "/profile/tokens?done=token_revoked").await;
    assert!(page.contains("The token was revoked") && page.contains(">revoked<"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_after_repeated_failures() {
    let app = common::spawn(common::Which::Sqlite).await.unwrap();
    app.user("tim@test.example", Role::Staff, PW).await;
    let c = app.browser();
    let max = app.config.login_max_failures_per_account;
    for _ in 0..max {
        let res = post(
            &c,
            &app,
            "/login",
            &[("email", "tim@test.example"), ("password", "wrong one")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
        let page = res.text().await.unwrap();
        assert!(page.contains("Email or password is wrong"), "{page}");
        assert!(page.contains("value=\"tim@test.example\""), "input is kept");
    }
    // Now even the right password is refused until the window passes.
    let res = post(
        &c,
        &app,
        "/login",
        &[("email", "tim@test.example"), ("password", PW)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Too many failed sign-ins; try again in 15 minutes"),
        "{page}"
    );
    // Unknown accounts and disabled ones fail like wrong passwords.
    let res = post(
        &c,
        &app,
        "/login",
        &[("email", "nobody@test.example"), ("password", PW)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Email or password is wrong")
    );

    app.clock.advance(15 * 60 + 1);
    assert_eq!(sign_in(&c, &app, "tim@test.example", PW).await, "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_without_javascript() {
    let app = common::spawn(common::Which::Sqlite).await.unwrap();
    app.user("ada@test.example", Role::Administrator, PW).await;
    let c = app.browser();

    // Anonymous: pages send people to sign in, and keep where they were going.
    let res = c
        .get(format!("{}/users?role=staff", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/login?next=/users%3Frole%3Dstaff");
    let (s, page) = get(&c, &app, "/login?next=/users").await;
    assert_eq!(s, 200);
    assert!(page.contains("<html lang=\"en\">") && page.contains("href=\"#main\""));
    assert!(page.contains("<label for=\"f-email\">Email</label>"));

    // Only local paths are followed after sign-in.
    let res = post(
        &c,
        &app,
        "/login",
        &[
            ("email", "ada@test.example"),
            ("password", PW),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/");
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // Administrators must enrol MFA first.
    let res = c.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(location(&res), "/profile/mfa");
    let (_, page) = get(&c, &app, "/profile/mfa").await;
    let res = post(
        &c,
        &app,
        "/profile/mfa/start",
        &[("csrf_token", &csrf_of(&page))],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("<svg"), "QR code inline");
    assert!(
        !page.contains("style="),
        "no inline styles (CSP style-src 'self')"
    );
    assert!(!page.contains("<script>"), "no inline scripts");
    let secret = attr_after(&page, "id=\"totp-secret\"", "data-secret").unwrap();
    let wrong = post(
        &c,
        &app,
        "/profile/mfa/activate",
        &[("code", "000000"), ("csrf_token", &csrf_of(&page))],
    )
    .await;
    assert_eq!(wrong.status().as_u16(), 422);
    let wrong_page = wrong.text().await.unwrap();
    assert!(wrong_page.contains("aria-invalid=\"true\""), "{wrong_page}");
    let code = bulwark_core::mfa::code_at(&secret, app.clock.now().unix()).unwrap();
    let res = post(
        &c,
        &app,
        "/profile/mfa/activate",
        &[("code", &code), ("csrf_token", &csrf_of(&page))],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert_eq!(page.matches("<li><code>").count(), 10, "ten recovery codes");
    let recovery = page
        .split("<li><code>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();

    // Home, with the navigation for the role.
    let (s, home) = get(&c, &app, "/").await;
    assert_eq!(s, 200);
    for link in [
        "href=\"/users\"",
        "href=\"/audit\"",
        "href=\"/settings\"",
        "href=\"/profile\"",
    ] {
        assert!(home.contains(link), "{link} in {home}");
    }
    assert!(home.contains("coming"), "areas not built yet are marked");

    // Create a user: a bad form keeps the input and names the field.
    let (_, page) = get(&c, &app, "/users/new").await;
    let csrf = csrf_of(&page);
    let res = post(
        &c,
        &app,
        "/users",
        &[
            ("email", "not-an-email"),
            ("name", "Bea"),
            ("role", "staff"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"f-email-error\""), "{page}");
    assert!(page.contains("value=\"Bea\""));
    let res = post(
        &c,
        &app,
        "/users",
        &[
            ("email", "bea@test.example"),
            ("name", "Bea"),
            ("role", "staff"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Temporary password"));
    let temp = page
        .split("id=\"temp-password\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    let uid = page
        .split("href=\"/users/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();

    // Change the role; post/redirect/get.
    let (_, page) = get(&c, &app, &format!("/users/{uid}")).await;
    let res = post(
        &c,
        &app,
        &format!("/users/{uid}"),
        &[
            ("name", "Bea"),
            ("role", "auditor"),
            ("status", "active"),
            ("csrf_token", &csrf_of(&page)),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/users/{uid}?done=saved"));
    let (_, page) = get(&c, &app, &format!("/users/{uid}?done=saved")).await;
    assert!(
        page.contains("Saved.") && page.contains("<dd>Auditor</dd>"),
        "{page}"
    );

    // The list filters.
    let (_, page) = get(&c, &app, "/users?role=auditor").await;
    assert!(
        page.contains("<td>bea@test.example</td>") && !page.contains("<td>ada@test.example</td>")
    );

    // The audit trail shows it, with before and after.
    let (s, page) = get(
        &c,
        &app,
        &format!("/audit?action=user.update&entity_id={uid}"),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        page.contains("<code>user.update</code>") && page.contains("<details>"),
        "{page}"
    );
    assert!(
        page.contains("&quot;auditor&quot;") || page.contains("&#34;auditor&#34;"),
        "{page}"
    );
    let (s, page) = get(&c, &app, "/audit?from=yesterday").await;
    assert_eq!(s, 422);
    assert!(page.contains("id=\"f-from-error\""));
    let (s, page) = get(&c, &app, "/audit/verification").await;
    assert_eq!(s, 200);
    assert!(page.contains("Intact."), "{page}");
    let (s, csv) = get(
        &c,
        &app,
        "/api/v1/audit-entries/export?format=csv&action=user.create",
    )
    .await;
    assert_eq!(s, 200);
    assert!(csv.contains("bea@test.example"));

    // Settings.
    let (_, page) = get(&c, &app, "/settings").await;
    let res = post(
        &c,
        &app,
        "/settings",
        &[
            ("organisation_name", "Northwind Logistics"),
            ("mfa_required_roles", "administrator"),
            ("mfa_required_roles", "security_officer"),
            ("csrf_token", &csrf_of(&page)),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, page) = get(&c, &app, "/settings?done=saved").await;
    assert!(page.contains("Northwind Logistics"));
    assert!(page.contains("value=\"security_officer\" checked"));

    // The new user signs in with the temporary password and must choose their own first.
    let bea = app.browser();
    assert_eq!(sign_in(&bea, &app, "bea@test.example", &temp).await, "/");
    let res = bea.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(location(&res), "/profile/password");
    let (s, page) = get(&bea, &app, "/profile/password").await;
    assert_eq!(s, 200);
    assert!(page.contains("temporary password"));
    let csrf = csrf_of(&page);
    let new_pw = "a brand new passphrase";
    let res = post(
        &bea,
        &app,
        "/profile/password",
        &[
            ("current_password", &temp),
            ("new_password", new_pw),
            ("new_password_confirm", "something else entirely"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("id=\"f-new_password_confirm-error\"")
    );
    let res = post(
        &bea,
        &app,
        "/profile/password",
        &[
            ("current_password", &temp),
            ("new_password", new_pw),
            ("new_password_confirm", new_pw),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/profile?done=password");
    let (s, page) = get(&bea, &app, "/").await;
    assert_eq!(s, 200, "no more setup needed");
    assert!(page.contains("Hello, Bea"));

    // Unknown pages and forbidden ones are pages too.
    let (s, page) = get(&c, &app, "/no/such/page").await;
    assert_eq!(s, 404);
    assert!(page.contains("Page not found") && page.contains("href=\"/users\""));
    let (s, page) = get(&c, &app, "/users/no-such-id").await;
    assert_eq!(s, 404);
    assert!(page.contains("Page not found"));

    // Assets: embedded, typed, cached for long.
    let res = c
        .get(format!("{}/assets/bulwark.css", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let res = c
        .get(format!("{}/assets/favicon.svg", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/svg+xml");

    // Sign out.
    let (_, page) = get(&c, &app, "/").await;
    let res = post(&c, &app, "/logout", &[("csrf_token", &csrf_of(&page))]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/login");
    let res = c.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(location(&res), "/login?next=/");

    // Back in with a recovery code, which works once.
    for attempt in 0..2 {
        let to = sign_in(&c, &app, "ada@test.example", PW).await;
        assert_eq!(to, "/login/mfa?next=/");
        let (s, page) = get(&c, &app, &to).await;
        assert_eq!(s, 200);
        let res = post(
            &c,
            &app,
            "/login/mfa",
            &[
                ("code", &recovery),
                ("next", "/"),
                ("csrf_token", &csrf_of(&page)),
            ],
        )
        .await;
        if attempt == 0 {
            assert_eq!(res.status().as_u16(), 303);
            assert_eq!(location(&res), "/");
            let (s, _) = get(&c, &app, "/").await;
            assert_eq!(s, 200);
            let (_, page) = get(&c, &app, "/").await;
            let res = post(&c, &app, "/logout", &[("csrf_token", &csrf_of(&page))]).await;
            assert_eq!(res.status().as_u16(), 303);
        } else {
            assert_eq!(
                res.status().as_u16(),
                422,
                "a recovery code works only once"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_see_only_what_they_may_open() {
    let app = common::spawn(common::Which::Sqlite).await.unwrap();
    app.user("sue@test.example", Role::Staff, PW).await;
    let c = app.browser();
    sign_in(&c, &app, "sue@test.example", PW).await;
    let (s, home) = get(&c, &app, "/").await;
    assert_eq!(s, 200);
    assert!(!home.contains("href=\"/users\"") && !home.contains("href=\"/settings\""));
    assert!(home.contains("href=\"/profile\""));
    let (s, page) = get(&c, &app, "/users").await;
    assert_eq!(s, 403);
    assert!(
        page.contains("Not allowed") && page.contains("href=\"/profile\""),
        "{page}"
    );
}

// ---------------------------------------------------------------------------------------------
// The browser

/// A running chromedriver, stopped on drop.
struct Driver {
    child: tokio::process::Child,
    url: String,
    _profile: tempfile::TempDir,
    chromium: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver, or None (with a message) when it is not installed and not required.
async fn driver() -> Option<Driver> {
    let path = std::env::var("BULWARK_TEST_CHROMEDRIVER")
        .unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromium =
        std::env::var("BULWARK_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let required = std::env::var("BULWARK_TEST_REQUIRE_BROWSER").is_ok();
    for p in [&path, &chromium] {
        if !std::path::Path::new(p).exists() {
            assert!(
                !required,
                "BULWARK_TEST_REQUIRE_BROWSER is set but {p} is missing"
            );
            eprintln!("skipping browser test: {p} not found (scripts/test.sh installs it)");
            return None;
        }
    }
    let port = free_port();
    let child = tokio::process::Command::new(&path)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(Driver {
        child,
        url,
        _profile: tempfile::tempdir().unwrap(),
        chromium,
    })
}

async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": d.chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1280,900",
                format!("--user-data-dir={}", d._profile.path().display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&d.url)
        .await
        .expect("a WebDriver session")
}

async fn path_of(b: &Client) -> String {
    b.current_url().await.unwrap().path().to_string()
}

async fn fill(b: &Client, css: &str, text: &str) {
    let e = b.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits up to 10 s for the page at `want` (a click's navigation may still be under way).
async fn expect_path(b: &Client, want: &str) {
    let mut got = String::new();
    for _ in 0..100 {
        got = path_of(b).await;
        if got == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected the page {want}, still at {got}");
}

/// Waits up to 10 s for the main heading to read `want`.
async fn expect_heading(b: &Client, want: &str) {
    let mut got = String::new();
    for _ in 0..100 {
        if let Ok(e) = b.find(Locator::Css("main h1")).await {
            got = e.text().await.unwrap_or_default();
            if got == want {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected the heading {want:?}, found {got:?}");
}

/// Waits up to 10 s for the page's source to contain `want`; returns the source.
async fn expect_text(b: &Client, want: &str) -> String {
    for _ in 0..100 {
        let page = b.source().await.unwrap_or_default();
        if page.contains(want) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {want:?} on the page at {}", path_of(b).await);
}

async fn heading(b: &Client) -> String {
    b.find(Locator::Css("main h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Saves a screenshot to `$BULWARK_TEST_SCREENSHOTS/{name}.png` when that is set (for people
/// reviewing the look of the pages; the test itself does not compare images).
async fn shot(b: &Client, name: &str) {
    if let Ok(dir) = std::env::var("BULWARK_TEST_SCREENSHOTS") {
        let png = b.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

async fn login_form(b: &Client, app: &TestApp, email: &str) {
    b.goto(&format!("{}/login", app.url)).await.unwrap();
    shot(b, "login").await;
    fill(b, "#f-email", email).await;
    fill(b, "#f-password", PW).await;
    click(b, "form[action='/login'] button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_signs_in_enrols_mfa_and_works_in_the_browser() {
    let Some(d) = driver().await else { return };
    let app = common::spawn(common::Which::Sqlite).await.unwrap();
    app.user("admin@test.example", Role::Administrator, PW)
        .await;
    let b = browser(&d).await;
    // Run the scenario in its own task so that the browser is closed even when it fails.
    let session = b.clone();
    let outcome = tokio::spawn(async move { scenario(&session, &app).await }).await;
    let _ = b.close().await;
    match outcome {
        Ok(result) => result.unwrap(),
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

async fn scenario(b: &Client, app: &TestApp) -> Result<(), String> {
    // Password step; administrators must enrol MFA first.
    login_form(b, app, "admin@test.example").await;
    expect_path(b, "/profile/mfa").await;
    expect_heading(b, "Two-factor authentication").await;

    // Enrol: read the key from the page, compute the code as the phone would.
    click(b, "form[action='/profile/mfa/start'] button").await;
    let secret = b
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("totp-secret"))
        .await
        .unwrap()
        .attr("data-secret")
        .await
        .unwrap()
        .unwrap();
    assert!(
        b.find(Locator::Css(".qr-box svg")).await.is_ok(),
        "QR code shown"
    );
    shot(b, "mfa-enrol").await;
    let code = bulwark_core::mfa::code_at(&secret, app.clock.now().unix()).unwrap();
    fill(b, "#f-code", &code).await;
    click(b, "form[action='/profile/mfa/activate'] button").await;
    shot(b, "mfa-codes").await;
    expect_heading(b, "Save your recovery codes").await;
    let codes = b
        .find_all(Locator::Css("#recovery-codes li"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);

    // Create a user.
    b.goto(&format!("{}/users/new", app.url)).await.unwrap();
    fill(b, "#f-email", "carol@test.example").await;
    fill(b, "#f-name", "Carol Jones").await;
    b.find(Locator::Id("f-role"))
        .await
        .unwrap()
        .select_by_value("security_officer")
        .await
        .unwrap();
    click(b, "form[action='/users'] button[type=submit]").await;
    expect_heading(b, "User created").await;
    let temp = b
        .find(Locator::Id("temp-password"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(temp.len() >= 20, "temporary password shown: {temp}");

    // Find its entry in the audit trail.
    b.goto(&format!("{}/audit", app.url)).await.unwrap();
    fill(b, "#f-action", "user.create").await;
    click(b, "form[action='/audit'] button[type=submit]").await;
    assert!(
        b.current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("action=user.create")
    );
    let rows = b
        .find_all(Locator::Css("table.audit tbody tr"))
        .await
        .unwrap();
    let mut found = false;
    for r in &rows {
        let action = r
            .find(Locator::Css("td:nth-child(4)"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(action, "user.create");
        let details = r.find(Locator::Css("details")).await.unwrap();
        details
            .find(Locator::Css("summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let after = details.text().await.unwrap();
        if after.contains("carol@test.example") {
            found = true;
            assert!(after.contains("security_officer"), "{after}");
            assert!(!after.contains("password_hash"));
        }
    }
    assert!(found, "the user.create entry for carol is listed");
    shot(b, "audit").await;
    b.goto(&format!("{}/users", app.url)).await.unwrap();
    shot(b, "users").await;
    b.set_window_size(400, 900).await.unwrap();
    shot(b, "users-narrow").await;
    b.set_window_size(1280, 900).await.unwrap();

    // Identity: link an account from the queue in the browser.
    let api = app.api(&app.token_for(Role::ItManager).await);
    api.post(
        "/api/v1/people",
        serde_json::json!({"name": "Ann Lee", "email": "ann.lee@test.example"}),
    )
    .await;
    let (_, sys) = api
        .post(
            "/api/v1/assets",
            serde_json::json!({"name": "Payroll", "kind": "saas_application"}),
        )
        .await;
    let (s, _) = api
        .upload(
            &format!("/api/v1/assets/{}/account-imports", sys["id"].as_str().unwrap()),
            b"username,email,display_name,privileged,mfa,last_login,groups,status\npayroll-ann,,Ann,false,true,,,enabled\n".to_vec(),
        )
        .await;
    assert_eq!(s, 201);
    b.goto(&format!("{}/identity", app.url)).await.unwrap();
    expect_heading(b, "Identity & access").await;
    b.goto(&format!("{}/identity/accounts?unlinked=yes", app.url))
        .await
        .unwrap();
    expect_heading(b, "Accounts waiting to be linked").await;
    fill(b, "input[name='person_email']", "ann.lee@test.example").await;
    click(b, "form.inline-form button[type=submit]").await;
    // The click's navigation may still be under way.
    expect_text(b, "No account waits to be linked").await;
    shot(b, "identity-queue").await;

    // The home page, and a screenshot to look at.
    b.goto(&format!("{}/", app.url)).await.unwrap();
    assert!(heading(b).await.starts_with("Hello"));
    let png = b.screenshot().await.unwrap();
    std::fs::write("/tmp/bulwark-home.png", png).unwrap();

    // Sign out, then in again with a code (a later time step, so it is no replay).
    click(b, "form[action='/logout'] button").await;
    expect_path(b, "/login").await;
    app.clock.advance(60);
    login_form(b, app, "admin@test.example").await;
    expect_path(b, "/login/mfa").await;
    let right = bulwark_core::mfa::code_at(&secret, app.clock.now().unix()).unwrap();
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    fill(b, "#f-code", &wrong).await;
    click(b, "form[action='/login/mfa'] button").await;
    expect_path(b, "/login/mfa").await;
    assert!(
        b.find(Locator::Id("f-code-error")).await.is_ok(),
        "wrong code is refused"
    );
    let code = bulwark_core::mfa::code_at(&secret, app.clock.now().unix()).unwrap();
    fill(b, "#f-code", &code).await;
    click(b, "form[action='/login/mfa'] button").await;
    expect_path(b, "/").await;
    assert!(heading(b).await.starts_with("Hello"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_next_links() {
    let app = common::spawn(common::Which::Sqlite).await.unwrap();
    app.user("lee@test.example", Role::SecurityOfficer, PW)
        .await;
    {
        let s = &app.state;
        let mut tx = s.db.begin().await.unwrap();
        for i in 0..60 {
            let e = bulwark_core::validate::Email::parse("email", &format!("u{i:02}@test.example"))
                .unwrap();
            bulwark_app::access::users::create(
                &mut tx,
                s.clock.now(),
                &bulwark_app::audit_log::Actor::system(),
                &e,
                &format!("User {i:02}"),
                Role::Staff,
                "not a usable hash".into(),
                false,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let c = app.browser();
    sign_in(&c, &app, "lee@test.example", PW).await;

    let (s, page) = get(&c, &app, "/users?role=staff").await;
    assert_eq!(s, 200);
    assert_eq!(page.matches("<td><a href=\"/users/").count(), 50);
    assert!(
        !page.contains("href=\"/users/new\""),
        "security officers cannot create users"
    );
    let next = attr_after(&page, "rel=\"next\"", "href").expect("a next link");
    let next = next.replace("&amp;", "&");
    assert!(next.contains("role=staff"), "filters kept: {next}");
    let (s, page) = get(&c, &app, &next).await;
    assert_eq!(s, 200);
    assert_eq!(page.matches("<td><a href=\"/users/").count(), 10);
    assert!(page.contains("u59@test.example") && !page.contains("u00@test.example"));
    assert!(!page.contains("rel=\"next\""));

    let (s, page) = get(&c, &app, "/audit?action=user.create").await;
    assert_eq!(s, 200);
    assert_eq!(page.matches("<code>user.create</code>").count(), 50);
    let older = attr_after(&page, "rel=\"next\"", "href")
        .expect("an older-entries link")
        .replace("&amp;", "&");
    let (s, page) = get(&c, &app, &older).await;
    assert_eq!(s, 200);
    assert_eq!(page.matches("<code>user.create</code>").count(), 11);
    assert!(page.contains("Newest entries"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_officer_works_on_the_demo_risks_in_the_browser() {
    let Some(d) = driver().await else { return };
    let app = common::spawn(common::Which::Sqlite).await.unwrap();
    bulwark_app::demo::load(&app.state).await.unwrap();
    let b = browser(&d).await;
    let session = b.clone();
    let outcome = tokio::spawn(async move { risk_scenario(&session, &app).await }).await;
    let _ = b.close().await;
    match outcome {
        Ok(result) => result.unwrap(),
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Runs every queued background job (the simulations) to the end.
async fn run_jobs(app: &TestApp) {
    let h = bulwark_app::platform::jobs::handlers();
    while bulwark_app::platform::jobs::run_once(&app.state, "background", &h)
        .await
        .unwrap()
    {}
}

async fn risk_scenario(b: &Client, app: &TestApp) -> Result<(), String> {
    run_jobs(app).await;
    b.goto(&format!("{}/login", app.url)).await.unwrap();
    fill(b, "#f-email", "priya.raman@northwind.example").await;
    fill(b, "#f-password", bulwark_app::demo::PASSWORD).await;
    click(b, "form[action='/login'] button[type=submit]").await;
    expect_path(b, "/").await;

    // The register with its heat maps; the appetite filter through the form.
    b.goto(&format!("{}/risk", app.url)).await.unwrap();
    expect_heading(b, "Risk register").await;
    let maps = b.find_all(Locator::Css("svg.heatmap")).await.unwrap();
    assert_eq!(maps.len(), 2, "inherent and current heat maps");
    b.find(Locator::Id("f-above"))
        .await
        .unwrap()
        .select_by_value("true")
        .await
        .unwrap();
    click(b, "form.filters button[type=submit]").await;
    let query = b
        .current_url()
        .await
        .unwrap()
        .query()
        .unwrap_or("")
        .to_string();
    assert!(query.contains("above_appetite=true"), "{query}");
    let rows = b
        .find_all(Locator::Css(".table-wrap tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 6, "the six risks above the appetite");
    for r in &rows {
        let class = r.attr("class").await.unwrap().unwrap_or_default();
        assert!(class.contains("row-warn"), "highlighted: {class}");
    }
    shot(b, "risk-register").await;

    // A risk's estimates: a most likely cost above the highest is refused next to its box.
    let risk = {
        let mut h = app.state.db.read().await.unwrap();
        let all = bulwark_app::risk::register::list(&mut h.h(), &Default::default())
            .await
            .unwrap();
        all.into_iter().find(|r| r.code == "R-002").unwrap()
    };
    b.goto(&format!("{}/risk/risks/{}", app.url, risk.id))
        .await
        .unwrap();
    expect_heading(
        b,
        "R-002 Invoice fraud through a compromised supplier mailbox",
    )
    .await;
    b.goto(&format!(
        "{}/risk/risks/{}/quantification",
        app.url, risk.id
    ))
    .await
    .unwrap();
    let form = format!("form[action='/risk/risks/{}/quantification']", risk.id);
    fill(b, "#f-primary_loss_mode", "300000").await;
    click(b, &format!("{form} button[type=submit]")).await;
    let page = expect_text(b, "must be ≤ max").await;
    assert!(
        page.contains("id=\"f-primary_loss_mode\" name=\"primary_loss_mode\"")
            && b.find(Locator::Css("#f-primary_loss_mode[aria-invalid='true']"))
                .await
                .is_ok(),
        "the wrong box is marked"
    );
    shot(b, "risk-quantification-error").await;
    fill(b, "#f-primary_loss_mode", "60000").await;
    click(b, &format!("{form} button[type=submit]")).await;
    // (0.2 + 4 × 0.5 + 2) / 6 events a year × (10,000 + 4 × 60,000 + 250,000) / 6 each.
    expect_text(b, "58,333 EUR a year").await;

    // Simulate this risk: the run's page shows the result and the loss-exceedance curve.
    click(b, "form[action='/risk/simulations'] button[type=submit]").await;
    let mut run_page = String::new();
    for _ in 0..100 {
        run_page = path_of(b).await;
        if run_page.starts_with("/risk/simulations/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(run_page.starts_with("/risk/simulations/"), "{run_page}");
    run_jobs(app).await;
    b.refresh().await.unwrap();
    expect_text(b, "Expected loss a year").await;
    assert!(
        b.find(Locator::Css("main svg.lec")).await.is_ok(),
        "loss-exceedance curve drawn"
    );
    shot(b, "risk-simulation").await;

    // What to fund next, and the leadership report with its charts.
    b.goto(&format!("{}/risk/investments", app.url))
        .await
        .unwrap();
    let page = b.source().await.unwrap();
    assert!(
        page.contains("Spending 34,667 EUR a year on Immutable offline backups"),
        "the demo's plan"
    );
    shot(b, "risk-investments").await;
    b.goto(&format!("{}/reporting/risk", app.url))
        .await
        .unwrap();
    expect_heading(b, "Risk report: Northwind Logistics").await;
    assert_eq!(
        b.find_all(Locator::Css("svg.heatmap")).await.unwrap().len(),
        2
    );
    let fits = b
        .execute(
            "return [...document.querySelectorAll('svg.heatmap, svg.lec')].every(s => \
             s.getBoundingClientRect().right <= s.parentElement.getBoundingClientRect().right + 1);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, serde_json::json!(true), "the charts fit their boxes");
    let page = b.source().await.unwrap();
    assert!(page.contains("What the risks may cost") && page.contains("What to fund next"));
    shot(b, "risk-report").await;
    Ok(())
}
