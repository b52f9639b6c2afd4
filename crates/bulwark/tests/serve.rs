//! The real binary: start-up, readiness, metrics, logs without secrets, graceful stop, and a
//! start refused on a database it must not touch.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

/// `bulwark ARGS… --data-dir DIR`.
fn bulwark(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("BULWARK_CONFIG")
        .env("BULWARK_ADMIN_EMAIL", "ops@example.org")
        .env("BULWARK_ADMIN_PASSWORD", "correct horse battery staple")
        .args(args)
        .arg("--data-dir")
        .arg(dir);
    c
}

fn ready_addr(stdout: std::process::ChildStdout) -> String {
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.strip_prefix("Bulwark is ready at http://") {
            std::thread::spawn(move || for _ in lines {});
            return rest.trim_end_matches('/').to_string();
        }
    }
    panic!("the server did not report ready");
}

#[test]
fn serves_logs_no_secrets_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bulwark(dir.path(), &["serve", "--listen", "127.0.0.1:0"])
        .env("BULWARK_LOG_FORMAT", "json")
        .env("BULWARK_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the logs while the server runs: at debug level they outgrow the pipe's buffer, and
    // a server blocked on writing its log would stop answering.
    let mut err_pipe = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err_pipe, &mut s).unwrap();
        s
    });
    let addr = ready_addr(child.stdout.take().unwrap());
    let token = String::from_utf8(
        bulwark(
            dir.path(),
            &["token", "create", "--user", "ops@example.org"],
        )
        .output()
        .unwrap()
        .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    assert!(token.starts_with("bwk_"), "{token}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        for (path, want) in [("/healthz", 200), ("/readyz", 200), ("/metrics", 200)] {
            assert_eq!(
                c.get(format!("http://{addr}{path}"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
                want,
                "{path}"
            );
        }
        let r = c
            .get(format!("http://{addr}/api/v1/users?q=secret-query"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let bad = c
            .get(format!("http://{addr}/api/v1/users"))
            .bearer_auth("bwk_not-a-real-token")
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 401);
        let metrics = c
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("bulwark_http_requests_total"), "{metrics}");
        assert!(metrics.contains("route=\"/api/v1/users\""), "{metrics}");
    });

    // SIGTERM: finish and exit 0.
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = child.wait().unwrap();
    let stderr = logs.join().unwrap();
    assert!(status.success(), "exit {status:?}; stderr:\n{stderr}");
    assert!(
        stderr.contains("\"stopped\""),
        "JSON logs expected:\n{stderr}"
    );
    for secret in [
        token.as_str(),
        "bwk_not-a-real-token",
        "correct horse battery staple",
        "secret-query",
    ] {
        assert!(
            !stderr.contains(secret),
            "a secret reached the logs: {secret}"
        );
    }
}

#[test]
fn refuses_to_start_on_a_database_from_a_newer_bulwark() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        bulwark(dir.path(), &["migrate"])
            .status()
            .unwrap()
            .success()
    );
    let db = dir.path().join("bulwark.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::Executor::execute(
            &mut c,
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')",
        )
        .await
        .unwrap();
    });
    let out = bulwark(dir.path(), &["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("ready"), "{stdout}");
    assert!(stderr.contains("newer than this program"), "{stderr}");
}

#[test]
fn bad_configuration_is_refused_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bulwark.toml");
    std::fs::write(&cfg, "lisen = \"0.0.0.0:1\"\n").unwrap();
    let out = bulwark(dir.path(), &["migrate", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lisen"));
    let out = bulwark(dir.path(), &["migrate", "--database-url", "mysql://x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"));
}
