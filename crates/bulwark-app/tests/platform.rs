//! The platform's guarantees on both backends: migrations, the append-only audit trail,
//! sessions, sign-in throttling, jobs and mail.

mod common;

use bulwark_app::access::{sessions, throttle};
use bulwark_app::audit_log::{Actor, Change, record, store};
use bulwark_app::platform::clock::Clock;
use bulwark_app::platform::db::{Backend, Db, migrate, schema};
use bulwark_app::platform::jobs;
use bulwark_core::Role;
use common::TestApp;

#[derive(sqlx::FromRow)]
struct Name {
    name: String,
}

async fn table_names(db: &Db) -> Vec<String> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name"
        }
    };
    match db {
        Db::Sqlite { read, .. } => sqlx::query_as::<_, Name>(sql)
            .fetch_all(read)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_as::<_, Name>(sql).fetch_all(p).await.unwrap(),
    }
    .into_iter()
    .map(|n| n.name)
    // SQLite's text-search indexes are tables too (with shadow tables), derived from others.
    .filter(|n| {
        !schema::SEARCH_INDEXES
            .iter()
            .any(|i| n == i || n.starts_with(&format!("{i}_")))
    })
    .collect()
}

async fn migrations_are_idempotent_and_complete(app: TestApp) {
    let db = &app.state.db;
    assert_eq!(
        migrate::current_version(db).await.unwrap(),
        migrate::latest_version()
    );
    assert!(
        migrate::run(db, app.clock.now()).await.unwrap().is_empty(),
        "a second run applies nothing"
    );
    let mut expected: Vec<String> = schema::TABLES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(
        table_names(db).await,
        expected,
        "schema::TABLES lists exactly the tables the migrations create"
    );
}
both_backends!(migrations_are_idempotent_and_complete);

async fn raw(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite { write, .. } => sqlx::raw_sql(sql).execute(write).await.map(|_| ()),
        Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
    }
}

#[tokio::test]
async fn a_failed_migration_stops_and_leaves_nothing_half_done() {
    for which in [common::Which::Sqlite, common::Which::Postgres] {
        let dir = tempfile::tempdir().unwrap();
        let Some(cfg) = common::config(which, dir.path()).await else {
            continue;
        };
        let db = Db::open(cfg.database_url.as_deref(), &cfg.data_dir)
            .await
            .unwrap();
        // A table in the way makes migration 1 fail part-way (after `settings` is created).
        raw(&db, "CREATE TABLE users (id TEXT)").await.unwrap();
        let err = migrate::run(&db, common::start_time())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("migration 1"), "{err}");
        assert_eq!(migrate::current_version(&db).await.unwrap(), 0);
        assert_eq!(
            table_names(&db).await,
            ["users"],
            "the failed migration left tables behind on {which:?}"
        );
        // A database from a newer Bulwark is refused.
        raw(&db, "DROP TABLE users").await.unwrap();
        migrate::run(&db, common::start_time()).await.unwrap();
        raw(
            &db,
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')",
        )
        .await
        .unwrap();
        let err = migrate::run(&db, common::start_time())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("newer"), "{err}");
    }
}

async fn audit_trail_is_append_only_and_tamper_evident(app: TestApp) {
    let db = &app.state.db;
    for i in 0..5 {
        let mut tx = db.begin().await.unwrap();
        record(
            &mut tx,
            app.clock.now(),
            &Actor::system(),
            Change::new("test.write", "thing", Some(&format!("t{i}"))).after(&i),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert!(store::verify(db).await.unwrap().intact);
    for sql in [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3",
        "DELETE FROM audit_log WHERE seq = 3",
    ] {
        let e = raw(db, sql).await.unwrap_err().to_string();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    // Someone with the database's owner rights switches the protection off and edits entry 3.
    match db.backend() {
        Backend::Sqlite => raw(db, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").await.unwrap(),
        Backend::Postgres => raw(db, "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET actor = 'mallory' WHERE seq = 3; ALTER TABLE audit_log ENABLE TRIGGER USER").await.unwrap(),
    }
    let v = store::verify(db).await.unwrap();
    assert!(!v.intact);
    assert_eq!(v.first_broken_seq, Some(3));
    assert_eq!(v.entries_checked, 2);
    assert!(v.problem.unwrap().contains("altered"));
}
both_backends!(audit_trail_is_append_only_and_tamper_evident);

async fn concurrent_writers_keep_one_unbroken_chain(app: TestApp) {
    let mut tasks = Vec::new();
    for w in 0..8 {
        let s = app.state.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let mut tx = s.db.begin().await.unwrap();
                record(
                    &mut tx,
                    s.clock.now(),
                    &Actor::system(),
                    Change::new("test.write", "thing", Some(&format!("{w}-{i}"))),
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let v = store::verify(&app.state.db).await.unwrap();
    assert!(v.intact, "{v:?}");
    assert_eq!(v.entries_checked, 80);
}
both_backends!(concurrent_writers_keep_one_unbroken_chain);

async fn find(app: &TestApp, t: &str) -> Option<sessions::SessionRow> {
    sessions::find(
        &mut app.state.db.read().await.unwrap().h(),
        app.clock.now(),
        t,
        30,
    )
    .await
    .unwrap()
}

async fn sessions_expire_when_idle_and_absolutely(app: TestApp) {
    let uid = app
        .user("s@example.org", Role::Staff, "correct horse battery")
        .await;
    let db = &app.state.db;
    let mut tx = db.begin().await.unwrap();
    let (token, _) = sessions::create(&mut tx.h(), app.clock.now(), &uid, true, 1, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(find(&app, &token).await.is_some());
    // Active every 20 minutes: survives idle expiry, but not the 1-hour absolute limit.
    for _ in 0..2 {
        app.clock.advance(20 * 60);
        let s = find(&app, &token).await.expect("still alive");
        let mut tx = db.begin().await.unwrap();
        sessions::touch(&mut tx.h(), app.clock.now(), &s)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    app.clock.advance(21 * 60);
    assert!(
        find(&app, &token).await.is_none(),
        "past the absolute expiry"
    );
    // Idle for 31 minutes ends a fresh session.
    let mut tx = db.begin().await.unwrap();
    let (t2, _) = sessions::create(&mut tx.h(), app.clock.now(), &uid, true, 12, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.clock.advance(31 * 60);
    assert!(find(&app, &t2).await.is_none(), "idle too long");
    assert!(find(&app, "forged").await.is_none());
}
both_backends!(sessions_expire_when_idle_and_absolutely);

async fn sign_in_throttling_holds_account_and_address(app: TestApp) {
    let db = &app.state.db;
    let mut tx = db.begin().await.unwrap();
    for _ in 0..5 {
        throttle::note(
            &mut tx.h(),
            app.clock.now(),
            "victim@example.org",
            "10.0.0.1",
            false,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let held = |email: &'static str, ip: &'static str| {
        let app = &app;
        async move {
            throttle::held_for(
                &mut app.state.db.read().await.unwrap().h(),
                app.clock.now(),
                email,
                ip,
                5,
                20,
            )
            .await
            .unwrap()
        }
    };
    let secs = held("victim@example.org", "10.0.0.2")
        .await
        .expect("account held");
    assert!((1..=900).contains(&secs));
    assert!(
        held("other@example.org", "10.0.0.1").await.is_none(),
        "address below its own limit"
    );
    app.clock.advance(15 * 60 + 1);
    assert!(
        held("victim@example.org", "10.0.0.2").await.is_none(),
        "the window passed"
    );
}
both_backends!(sign_in_throttling_holds_account_and_address);

async fn jobs_retry_then_fail_and_are_claimed_once(app: TestApp) {
    let db = &app.state.db;
    let mut tx = db.begin().await.unwrap();
    jobs::enqueue(
        &mut tx,
        app.clock.now(),
        "no.such.kind",
        &serde_json::json!({}),
        None,
    )
    .await
    .unwrap();
    for _ in 0..40 {
        jobs::enqueue(
            &mut tx,
            app.clock.now(),
            "maintenance.purge",
            &serde_json::json!({}),
            None,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    // Four workers race for 41 jobs: each runs exactly once.
    let mut ws = Vec::new();
    for w in 0..4 {
        let s = app.state.clone();
        ws.push(tokio::spawn(async move {
            let h = jobs::handlers();
            let mut n = 0;
            while jobs::run_once(&s, &format!("w{w}"), &h).await.unwrap() {
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for w in ws {
        total += w.await.unwrap();
    }
    assert_eq!(total, 41);
    let all = jobs::recent(db, 100).await.unwrap();
    assert_eq!(all.iter().filter(|j| j.status == jobs::DONE).count(), 40);
    let bad = all.iter().find(|j| j.kind == "no.such.kind").unwrap();
    assert_eq!(bad.status, jobs::QUEUED, "retried later");
    assert_eq!(bad.attempts, 1);
    assert!(bad.last_error.as_deref().unwrap().contains("no handler"));
    for _ in 0..10 {
        app.clock.advance(3600 * 24);
        app.run_jobs().await;
    }
    let bad = jobs::recent(db, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.kind == "no.such.kind")
        .unwrap();
    assert_eq!(bad.status, jobs::FAILED);
    assert_eq!(bad.attempts, bad.max_attempts);
}
both_backends!(jobs_retry_then_fail_and_are_claimed_once);

async fn password_reset_mails_the_user_over_smtp(app: TestApp) {
    let Ok(maildir) = std::env::var("BULWARK_TEST_MAILDIR") else {
        assert!(
            std::env::var("BULWARK_TEST_REQUIRE_SMTP").is_err(),
            "SMTP sink required but BULWARK_TEST_MAILDIR is not set"
        );
        eprintln!("skipping: no SMTP sink (scripts/test.sh starts one)");
        return;
    };
    let to = format!(
        "reset-{}@example.org",
        hex::encode(bulwark_app::platform::ids::random_bytes::<6>())
    );
    let uid = app.user(&to, Role::Staff, "correct horse battery").await;
    let admin = app.api(&app.token_for(Role::Administrator).await);
    let (s, r) = admin
        .post(
            &format!("/api/v1/users/{uid}/password-reset"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let temp = r["temporary_password"].as_str().unwrap();
    assert_eq!(app.run_jobs().await, 1);
    let new = std::path::Path::new(&maildir).join("new");
    let found = std::fs::read_dir(&new)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .find(|m| m.contains(&to))
        .expect("the notice reached the SMTP server");
    assert!(
        found.contains("Subject: Your Bulwark password was reset"),
        "{found}"
    );
    assert!(
        !found.contains(temp),
        "the temporary password must not be mailed"
    );
}
both_backends!(password_reset_mails_the_user_over_smtp);

#[tokio::test]
async fn first_start_creates_one_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(common::Which::Sqlite, dir.path())
        .await
        .unwrap();
    let clock = bulwark_app::platform::clock::ManualClock::new(common::start_time());
    let app = bulwark_app::App::open(cfg.clone(), std::sync::Arc::new(clock))
        .await
        .unwrap();
    match app.ensure_admin(None, None).await.unwrap() {
        bulwark_app::app::FirstAdmin::Generated { email, password } => {
            assert!(password.len() >= 20);
            let u = bulwark_app::access::users::by_email(
                &mut app.state.db.read().await.unwrap().h(),
                &email,
            )
            .await
            .unwrap()
            .unwrap();
            assert!(
                u.must_change_password,
                "a generated password must be changed at first sign-in"
            );
            assert_eq!(u.role, "administrator");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        app.ensure_admin(None, None).await.unwrap(),
        bulwark_app::app::FirstAdmin::Existing
    );
    let weak = tempfile::tempdir().unwrap();
    let cfg = common::config(common::Which::Sqlite, weak.path())
        .await
        .unwrap();
    let app = bulwark_app::App::open(
        cfg,
        std::sync::Arc::new(bulwark_app::platform::clock::SystemClock),
    )
    .await
    .unwrap();
    let e = app
        .ensure_admin(Some("a@example.org".into()), Some("short".into()))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("BULWARK_ADMIN_PASSWORD"), "{e}");
}
