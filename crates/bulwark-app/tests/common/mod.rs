//! The integration-test harness: boots the real server on a free port against a real SQLite
//! file or a fresh PostgreSQL database, with a clock the test controls.
//!
//! PostgreSQL tests need `BULWARK_TEST_PG_URL` (set by `scripts/test.sh`); without it they are
//! skipped with a message, unless `BULWARK_TEST_REQUIRE_PG=1` makes that a failure.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use bulwark_app::access::{password, users};
use bulwark_app::app::{App, AppState};
use bulwark_app::audit_log::Actor;
use bulwark_app::platform::clock::ManualClock;
use bulwark_app::platform::config::Config;
use bulwark_core::{Role, Timestamp};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Sqlite,
    Postgres,
}

/// A running server.
pub struct TestApp {
    pub state: AppState,
    pub addr: SocketAddr,
    pub url: String,
    pub clock: ManualClock,
    pub config: Config,
    pub which: Which,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// The time tests start at.
pub fn start_time() -> Timestamp {
    Timestamp::parse("2026-03-02T09:00:00Z").unwrap()
}

/// A fresh PostgreSQL database URL, or None when PostgreSQL is not available.
pub async fn fresh_pg_url() -> Option<String> {
    let Ok(base) = std::env::var("BULWARK_TEST_PG_URL") else {
        assert!(
            std::env::var("BULWARK_TEST_REQUIRE_PG").is_err(),
            "BULWARK_TEST_REQUIRE_PG is set but BULWARK_TEST_PG_URL is not"
        );
        eprintln!(
            "skipping PostgreSQL test: BULWARK_TEST_PG_URL is not set (scripts/test.sh sets it)"
        );
        return None;
    };
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to the test PostgreSQL");
    let name = format!(
        "bw_{}",
        hex::encode(bulwark_app::platform::ids::random_bytes::<8>())
    );
    sqlx::Executor::execute(&mut c, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
    Some(format!("{prefix}/{name}"))
}

/// A test configuration for a backend (None: PostgreSQL unavailable).
pub async fn config(which: Which, dir: &std::path::Path) -> Option<Config> {
    let mut c = Config {
        data_dir: dir.join("data"),
        secure_cookies: false,
        listen: "127.0.0.1:0".into(),
        ..Config::default()
    };
    if which == Which::Postgres {
        c.database_url = Some(fresh_pg_url().await?);
        c.database_max_connections = 8;
    }
    if let Ok(smtp) = std::env::var("BULWARK_TEST_SMTP") {
        let (host, port) = smtp.rsplit_once(':').unwrap();
        c.smtp.host = Some(host.into());
        c.smtp.port = Some(port.parse().unwrap());
        c.smtp.from = "Bulwark <bulwark@test.example>".into();
    }
    Some(c)
}

/// Starts a server; None when the backend is unavailable (and not required).
pub async fn spawn(which: Which) -> Option<TestApp> {
    let dir = tempfile::tempdir().unwrap();
    let config = config(which, dir.path()).await?;
    spawn_with(which, dir, config).await
}

/// Starts a server with a given configuration.
pub async fn spawn_with(which: Which, dir: tempfile::TempDir, config: Config) -> Option<TestApp> {
    let clock = ManualClock::new(start_time());
    let app = App::open(config.clone(), Arc::new(clock.clone()))
        .await
        .expect("open app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = app.state.clone();
    tokio::spawn(async move {
        let _ = bulwark_app::platform::http::serve(state, listener, async {
            let _ = rx.await;
        })
        .await;
    });
    Some(TestApp {
        state: app.state,
        addr,
        url: format!("http://{addr}"),
        clock,
        config,
        which,
        dir,
        stop: Some(tx),
    })
}

impl TestApp {
    /// Creates an account with a known password; returns its id.
    pub async fn user(&self, email: &str, role: Role, pw: &str) -> String {
        let s = &self.state;
        let hash = password::hash(pw.to_string()).await.unwrap();
        let mut tx = s.db.begin().await.unwrap();
        let e = bulwark_core::validate::Email::parse("email", email).unwrap();
        let u = users::create(
            &mut tx,
            s.clock.now(),
            &Actor::system(),
            &e,
            email,
            role,
            hash,
            false,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        u.id
    }

    /// Creates an account of `role` and an API token for it; returns the token.
    pub async fn token_for(&self, role: Role) -> String {
        let email = format!(
            "{}-{}@test.example",
            role.as_str().replace('_', "-"),
            hex::encode(bulwark_app::platform::ids::random_bytes::<8>())
        );
        self.token_as(&email, role).await
    }

    /// Creates an account with this email and role and an API token for it; returns the token.
    pub async fn token_as(&self, email: &str, role: Role) -> String {
        let id = self.user(email, role, "correct horse battery").await;
        let s = &self.state;
        let mut tx = s.db.begin().await.unwrap();
        let t = bulwark_app::access::tokens::create(
            &mut tx,
            s.clock.now(),
            &Actor::system(),
            &id,
            &bulwark_app::access::tokens::NewToken {
                name: "test".into(),
                expires_days: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        t.secret
    }

    /// A client that keeps cookies and does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// An API client for a token.
    pub fn api(&self, token: &str) -> Api {
        Api {
            url: self.url.clone(),
            token: token.to_string(),
            client: reqwest::Client::new(),
        }
    }

    /// A signed-in browser for a user: a client that sends the session cookie, and the CSRF token.
    pub async fn signed_in(&self, email: &str) -> (reqwest::Client, String) {
        use bulwark_app::access::{sessions, users};
        let s = &self.state;
        let user = users::by_email(&mut s.db.read().await.unwrap().h(), email)
            .await
            .unwrap()
            .unwrap();
        let mut tx = s.db.begin().await.unwrap();
        let (token, row) = sessions::create(&mut tx.h(), s.clock.now(), &user.id, true, 12, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "cookie",
            format!("{}={token}", sessions::COOKIE).parse().unwrap(),
        );
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        (client, row.csrf_token)
    }

    /// Runs queued jobs until none is due.
    pub async fn run_jobs(&self) -> usize {
        let handlers = bulwark_app::platform::jobs::handlers();
        let mut n = 0;
        while bulwark_app::platform::jobs::run_once(&self.state, "test", &handlers)
            .await
            .unwrap()
        {
            n += 1;
        }
        n
    }
}

/// A bearer-token JSON client.
pub struct Api {
    pub url: String,
    pub token: String,
    pub client: reqwest::Client,
}

impl Api {
    /// Sends a request with an optional JSON body; returns status and JSON (Null when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    /// Posts a file as the raw body; returns status and JSON.
    pub async fn upload(&self, path: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// A file of the shared test data (`../shared/data/` beside the clone).
pub fn shared_data(rel: &str) -> std::path::PathBuf {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "test data {} is missing: the shared data folder must sit beside the clone",
        p.display()
    );
    p
}

/// Declares a test that runs once on SQLite and once on PostgreSQL:
/// `both_backends!(name);` for an `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        paste_backends!($name);
    };
}

/// Implementation detail of [`both_backends!`].
#[macro_export]
macro_rules! paste_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::common::spawn($crate::common::Which::Sqlite).await {
                    super::$name(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::common::spawn($crate::common::Which::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    };
}
