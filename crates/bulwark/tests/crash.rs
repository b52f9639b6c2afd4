//! `kill -9` loses no acknowledged write: a burst of account creations against the real binary,
//! SIGKILL in the middle, restart, and every account answered 201 is there, with the audit
//! trail intact. On SQLite and on PostgreSQL.
//!
//! PostgreSQL needs `BULWARK_TEST_PG_URL` (set by `scripts/test.sh`); without it that half is
//! skipped, unless `BULWARK_TEST_REQUIRE_PG=1`.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");
const ADMIN: &str = "ops@example.org";

/// Where the data is: a data directory, and a PostgreSQL URL or none.
struct Target<'a> {
    dir: &'a Path,
    url: Option<String>,
}

impl Target<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.env_remove("BULWARK_CONFIG")
            .env_remove("BULWARK_DATABASE_URL")
            .env("BULWARK_ADMIN_EMAIL", ADMIN)
            .env("BULWARK_ADMIN_PASSWORD", "correct horse battery staple")
            .args(args)
            .arg("--data-dir")
            .arg(self.dir)
            .kill_on_drop(true);
        if let Some(u) = &self.url {
            c.arg("--database-url").arg(u);
        }
        c
    }

    /// Starts `serve` and waits for its address.
    async fn serve(&self) -> (Child, String) {
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.strip_prefix("Bulwark is ready at http://") {
                    return rest.trim_end_matches('/').to_string();
                }
            }
            panic!("the server exited before it was ready");
        })
        .await
        .expect("the server did not report ready within 60 s");
        // Keep reading so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        (child, addr)
    }

    async fn run(&self, args: &[&str]) -> std::process::Output {
        self.command(args)
            .stdin(Stdio::null())
            .output()
            .await
            .unwrap()
    }
}

/// A new empty PostgreSQL database, or None when PostgreSQL is not available.
async fn fresh_pg_url(dir: &Path) -> Option<String> {
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
    // The temporary directory's random name makes a unique database name.
    let suffix: String = dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    let name = format!("bw_crash_{suffix}");
    sqlx::Executor::execute(&mut c, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
    Some(format!("{prefix}/{name}"))
}

async fn kill_nine_loses_no_acknowledged_write(t: Target<'_>) {
    let (mut server, addr) = t.serve().await;
    let out = t.run(&["token", "create", "--user", ADMIN]).await;
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut writers = Vec::new();
    for w in 0..6 {
        let (client, token, addr, acknowledged) = (
            client.clone(),
            token.clone(),
            addr.clone(),
            acknowledged.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let email = format!("crash-{w}-{i}@example.org");
                let r = client
                    .post(format!("http://{addr}/api/v1/users"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"email": email, "name": "Crash", "role": "staff"}))
                    .send()
                    .await;
                // Once the server is gone, requests fail: those writes were never acknowledged.
                let Ok(r) = r else { return };
                let status = r.status().as_u16();
                if status == 201 {
                    acknowledged.lock().unwrap().push(email);
                } else {
                    let body = r.text().await.unwrap_or_default();
                    panic!("unexpected answer {status} before the kill: {body}");
                }
            }
        }));
    }
    // Let the burst run, then kill the server in the middle of it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 30 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.start_kill().unwrap();
    let status = server.wait().await.unwrap();
    assert!(!status.success(), "the server was killed: {status:?}");
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 5,
        "only {} writes were acknowledged before the kill",
        acknowledged.len()
    );

    // Restart: every acknowledged account is there.
    let (mut server, addr) = t.serve().await;
    let mut missing = Vec::new();
    for email in &acknowledged {
        let r = client
            .get(format!("http://{addr}/api/v1/users"))
            .query(&[("q", email.as_str())])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let list: serde_json::Value = r.json().await.unwrap();
        let found = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == email.as_str());
        if !found {
            missing.push(email.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "acknowledged but lost after kill -9: {missing:?} (of {})",
        acknowledged.len()
    );
    let r = client
        .get(format!("http://{addr}/api/v1/audit-entries/verification"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["intact"], true, "{v}");
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let out = t.run(&["audit", "verify"]).await;
    assert!(
        out.status.success(),
        "audit verify after the crash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{} acknowledged writes survived kill -9; {}",
        acknowledged.len(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    kill_nine_loses_no_acknowledged_write(Target {
        dir: dir.path(),
        url: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_pg_url(dir.path()).await else {
        return;
    };
    kill_nine_loses_no_acknowledged_write(Target {
        dir: dir.path(),
        url: Some(url),
    })
    .await;
}
