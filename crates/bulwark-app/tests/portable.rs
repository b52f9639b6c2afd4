//! Export, import, backup and restore, on both backends and across them.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bulwark_app::App;
use bulwark_app::audit_log::store::verify;
use bulwark_app::platform::clock::ManualClock;
use bulwark_app::platform::config::Config;
use bulwark_app::platform::db::{Db, migrate, schema};
use bulwark_app::portable;
use bulwark_core::Role;
use common::{TestApp, Which};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn other(w: Which) -> Which {
    match w {
        Which::Sqlite => Which::Postgres,
        Which::Postgres => Which::Sqlite,
    }
}

/// A fresh, migrated, empty database of `which` (None: PostgreSQL unavailable).
async fn target(which: Which) -> Option<(tempfile::TempDir, Config, App)> {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(which, dir.path()).await?;
    let app = App::open(
        cfg.clone(),
        Arc::new(ManualClock::new(common::start_time())),
    )
    .await
    .unwrap();
    Some((dir, cfg, app))
}

/// Rows per table.
async fn counts(db: &Db) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for t in schema::TABLES {
        // Built-in rows come with every fresh database.
        let own = if schema::SEEDED.contains(t) {
            " WHERE NOT builtin"
        } else {
            ""
        };
        out.push((
            *t,
            scalar(db, &format!("SELECT COUNT(*) FROM {t}{own}")).await,
        ));
    }
    out
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite { read, .. } => sqlx::query_scalar(sql).fetch_one(read).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

fn all_zero(c: &[(&str, i64)]) -> bool {
    c.iter().all(|(_, n)| *n == 0)
}

/// Users, a renamed organisation, an updated account: every column type, NULLs and escapes.
async fn populate(app: &TestApp) -> String {
    let token = app.token_for(Role::Administrator).await;
    let api = app.api(&token);
    for (email, name, role) in [
        (
            "carol@example.org",
            "Carol \"C\" O'Brien \\ Ünïcødé ✓",
            "auditor",
        ),
        ("dave@example.org", "Dave", "staff"),
        ("erin@example.org", "Erin", "it_manager"),
    ] {
        let (s, b) = api
            .post(
                "/api/v1/users",
                json!({"email": email, "name": name, "role": role}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, b) = api
        .patch(
            "/api/v1/settings",
            json!({"organisation_name": "Acme \"Security\" Office"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, list) = api.get("/api/v1/users?q=dave").await;
    assert_eq!(s, 200, "{list}");
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let (s, b) = api
        .patch(&format!("/api/v1/users/{id}"), json!({"role": "auditor"}))
        .await;
    assert_eq!(s, 200, "{b}");
    token
}

fn read_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// The table and row lines (without header and trailer).
fn body(p: &Path) -> Vec<String> {
    let l = read_lines(p);
    l[1..l.len() - 1].to_vec()
}

/// Writes `lines` (header and body, no trailer) plus a correct trailer.
fn write_with_trailer(p: &Path, lines: &[String]) {
    let mut text = String::new();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    let rows = lines.iter().filter(|l| l.starts_with('[')).count();
    let sha = hex::encode(Sha256::digest(text.as_bytes()));
    text.push_str(&json!({"end": true, "rows": rows, "sha256": sha}).to_string());
    text.push('\n');
    std::fs::write(p, text).unwrap();
}

fn write_raw(p: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(p, text).unwrap();
}

/// Index (0-based) of the first row of `table` and the position of `column` in it.
fn first_row(lines: &[String], table: &str, column: &str) -> (usize, usize) {
    let start = lines
        .iter()
        .position(|l| l.starts_with(&format!("{{\"table\":\"{table}\"")))
        .unwrap();
    let t: Value = serde_json::from_str(&lines[start]).unwrap();
    let col = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == column)
        .unwrap();
    assert!(lines[start + 1].starts_with('['), "{table} has no rows");
    (start + 1, col)
}

fn set_value(line: &str, col: usize, v: Value) -> String {
    let mut row: Vec<Value> = serde_json::from_str(line).unwrap();
    row[col] = v;
    serde_json::to_string(&row).unwrap()
}

async fn export_then_import_on_the_other_backend(app: TestApp) {
    let token = populate(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.jsonl");
    let n = portable::export_file(&app.state.db, &file).await.unwrap();
    assert!(n > 10, "{n} rows");
    assert!(!dir.path().join("all.jsonl.tmp").exists());

    // The format.
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(header["format"], "bulwark-export");
    assert_eq!(header["format_version"], 1);
    assert_eq!(header["schema_version"], migrate::latest_version());
    assert_eq!(
        header["source_backend"],
        match app.which {
            Which::Sqlite => "sqlite",
            Which::Postgres => "postgres",
        }
    );
    let trailer: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(trailer["end"], true);
    assert_eq!(trailer["rows"], n);
    let before_trailer = &text[..text.len() - lines.last().unwrap().len() - 1];
    assert_eq!(
        trailer["sha256"],
        hex::encode(Sha256::digest(before_trailer.as_bytes()))
    );
    let tables: Vec<String> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["table"].as_str().map(String::from))
        .collect();
    assert_eq!(
        tables,
        [
            "settings",
            "users",
            "recovery_codes",
            "api_tokens",
            "jobs",
            "audit_log",
            "people",
            "assets",
            "asset_dependencies",
            "software_components",
            "software_imports",
            "accounts",
            "identity_imports",
            "sod_rules",
            "identity_exemptions",
            "identity_findings",
            "scim_groups",
            "scim_tokens",
            "review_campaigns",
            "review_items",
            "review_decisions",
            "review_tasks",
            "risk_matrices",
            "threats",
            "controls",
            "control_dependencies",
            "risks",
            "risk_assets",
            "risk_threats",
            "risk_controls",
            "risk_assessments",
            "risk_actions",
            "risk_acceptances",
            "risk_appetite",
            "risk_quantifications",
            "risk_simulations",
        ]
    );
    let users = body(&file)
        .into_iter()
        .find(|l| l.contains("carol@example.org"))
        .unwrap();
    assert!(users.contains("O'Brien \\\\ Ünïcødé ✓"), "{users}");
    assert!(
        users.contains(",true,") || users.contains(",false,"),
        "{users}"
    );

    // Never overwrites.
    let e = portable::export_file(&app.state.db, &file)
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("already exists"), "{e:#}");

    // Into a fresh database of the other backend (or SQLite again without PostgreSQL).
    let to = other(app.which);
    let (tdir, cfg, t) = match target(to).await {
        Some(x) => x,
        None => target(Which::Sqlite).await.unwrap(),
    };
    let to = if cfg.database_url.is_some() {
        Which::Postgres
    } else {
        Which::Sqlite
    };
    let m = portable::import_file(&t.state.db, &file).await.unwrap();
    assert_eq!(m, n);

    // Row for row: the target exports to the same tables and rows.
    let again = dir.path().join("again.jsonl");
    assert_eq!(portable::export_file(&t.state.db, &again).await.unwrap(), n);
    assert_eq!(body(&file), body(&again));
    let mut want = counts(&app.state.db).await;
    for (t, c) in &mut want {
        if schema::NOT_EXPORTED.contains(t) {
            *c = 0;
        }
    }
    assert_eq!(counts(&t.state.db).await, want);

    let src = verify(&app.state.db).await.unwrap();
    let dst = verify(&t.state.db).await.unwrap();
    assert!(dst.intact, "{dst:?}");
    assert_eq!(dst.entries_checked, src.entries_checked);
    assert_eq!(dst.head_hash, src.head_hash);

    // The imported installation serves: the old API token still works.
    t.state.db.close().await;
    let served = common::spawn_with(to, tdir, cfg).await.unwrap();
    let api = served.api(&token);
    let (s, list) = api.get("/api/v1/users?q=carol").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["items"][0]["email"], "carol@example.org");
    let (s, set) = api.get("/api/v1/settings").await;
    assert_eq!(s, 200);
    assert_eq!(set["organisation_name"], "Acme \"Security\" Office");
    let (s, v) = api.get("/api/v1/audit-entries/verification").await;
    assert_eq!(s, 200);
    assert_eq!(v["intact"], true, "{v}");
}
both_backends!(export_then_import_on_the_other_backend);

async fn import_refusals_leave_the_target_unchanged(app: TestApp) {
    populate(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.jsonl");
    portable::export_file(&app.state.db, &file).await.unwrap();
    let lines = read_lines(&file);
    let (_tdir, _cfg, t) = target(app.which).await.unwrap();
    let db = &t.state.db;
    assert!(all_zero(&counts(db).await));
    let bad = |name: &str| -> PathBuf { dir.path().join(name) };
    let refused = |p: PathBuf| {
        let db = db.clone();
        async move {
            let e = portable::import_file(&db, &p).await.unwrap_err();
            assert!(
                all_zero(&counts(&db).await),
                "the target changed after: {e:#}"
            );
            format!("{e:#}")
        }
    };

    // Truncated: the trailer is missing.
    let p = bad("truncated.jsonl");
    write_raw(&p, &lines[..lines.len() - 1]);
    let e = refused(p).await;
    assert!(e.contains("without its trailer"), "{e}");
    assert!(e.contains("truncated"), "{e}");

    // Truncated in the middle of a line.
    let p = bad("cut.jsonl");
    let text = std::fs::read(&file).unwrap();
    std::fs::write(&p, &text[..text.len() / 2 + 7]).unwrap();
    let e = refused(p).await;
    assert!(e.contains("truncated"), "{e}");

    // One flipped byte.
    let p = bad("flipped.jsonl");
    let mut text = std::fs::read(&file).unwrap();
    let at = text
        .windows(4)
        .position(|w| w == b"Dave")
        .expect("Dave in the export");
    text[at] ^= 0x01; // 'D' → 'E'
    std::fs::write(&p, &text).unwrap();
    let e = refused(p).await;
    assert!(e.contains("SHA-256"), "{e}");
    assert!(e.contains("altered"), "{e}");

    // A value of the wrong type on line N, with a correct hash: only that is reported.
    let p = bad("wrong-type.jsonl");
    let (row, col) = first_row(&lines, "users", "must_change_password");
    let mut changed = lines[..lines.len() - 1].to_vec();
    changed[row] = set_value(&changed[row], col, json!("yes"));
    write_with_trailer(&p, &changed);
    let e = refused(p).await;
    let want = format!(
        "line {}: users.must_change_password: expected boolean, found text \"yes\"",
        row + 1
    );
    assert!(e.contains(&want), "{e}");
    assert!(!e.contains("SHA-256"), "{e}");

    // Several problems are listed together, each with its line.
    let p = bad("many.jsonl");
    let (row, col) = first_row(&lines, "audit_log", "seq");
    let mut changed = lines[..lines.len() - 1].to_vec();
    changed[row] = set_value(&changed[row], col, json!(1.5));
    changed.insert(row, "[1,2,3]".into());
    changed.insert(
        1,
        "{\"table\":\"sessions\",\"columns\":[],\"types\":[]}".into(),
    );
    write_with_trailer(&p, &changed);
    let e = refused(p).await;
    assert!(
        e.contains("line 2: the table sessions is never exported"),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "line {}: a row of audit_log has 3 values; the table has 12 columns",
            row + 2
        )),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "line {}: audit_log.seq: expected integer, found number 1.5",
            row + 3
        )),
        "{e}"
    );

    // A broken audit chain passes the file checks, is loaded, fails verification, rolls back.
    let p = bad("chain.jsonl");
    let (row, col) = first_row(&lines, "audit_log", "actor");
    let mut changed = lines[..lines.len() - 1].to_vec();
    changed[row] = set_value(&changed[row], col, json!("someone-else"));
    write_with_trailer(&p, &changed);
    let e = refused(p).await;
    assert!(e.contains("audit trail is broken"), "{e}");
    assert!(e.contains("entry 1 was altered"), "{e}");

    // Another schema version.
    let p = bad("version.jsonl");
    let mut changed = lines[..lines.len() - 1].to_vec();
    let mut h: Value = serde_json::from_str(&changed[0]).unwrap();
    h["schema_version"] = json!(migrate::latest_version() + 1);
    changed[0] = h.to_string();
    write_with_trailer(&p, &changed);
    let e = refused(p).await;
    assert!(e.contains("use a newer bulwark"), "{e}");

    // Not an export at all.
    let p = bad("junk.txt");
    std::fs::write(&p, "hello\n").unwrap();
    let e = refused(p).await;
    assert!(e.contains("line 1"), "{e}");

    // A database that already has data.
    t.ensure_admin(Some("root@example.org".into()), None)
        .await
        .unwrap();
    let before = counts(db).await;
    let e = portable::import_file(db, &file).await.unwrap_err();
    assert!(
        format!("{e:#}").contains("import-all needs an empty database"),
        "{e:#}"
    );
    assert_eq!(counts(db).await, before);

    // The untouched file still imports into an empty database.
    let (_d, _c, fresh) = target(app.which).await.unwrap();
    portable::import_file(&fresh.state.db, &file).await.unwrap();
    assert!(verify(&fresh.state.db).await.unwrap().intact);
}
both_backends!(import_refusals_leave_the_target_unchanged);

async fn backup_while_writing_then_restore(app: TestApp) {
    let token = app.token_for(Role::Administrator).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let api = app.api(&token);
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let (s, b) = api
                    .post(
                        "/api/v1/users",
                        json!({"email": format!("w{n}@example.org"), "name": format!("Writer {n}"), "role": "staff"}),
                    )
                    .await;
                assert_eq!(s, 201, "{b}");
                n += 1;
            }
            n
        })
    };
    while scalar(&app.state.db, "SELECT COUNT(*) FROM users").await < 4 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    // A name with quotes and SQL in it is just a name.
    let out = dir.path().join("it's\"; DROP TABLE users; --.bak");
    let rows = portable::backup(&app.state.db, &out).await.unwrap();
    let second = dir.path().join("second.bak");
    portable::backup(&app.state.db, &second).await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written >= 3, "{written} users written during the backup");
    assert!(rows > 0);
    assert!(
        !dir.path()
            .join("it's\"; DROP TABLE users; --.bak.tmp")
            .exists()
    );
    let e = portable::backup(&app.state.db, &out).await.unwrap_err();
    assert!(format!("{e:#}").contains("already exists"), "{e:#}");

    let magic = std::fs::read(&out).unwrap()[..16].to_vec();
    match app.which {
        Which::Sqlite => assert_eq!(&magic, b"SQLite format 3\0"),
        Which::Postgres => assert!(magic.starts_with(b"{\"format\":\"bulwa")),
    }

    // Restore into a fresh database of each backend available.
    let mut restored = 0;
    for which in [app.which, other(app.which)] {
        let Some((_d, _c, t)) = target(which).await else {
            continue;
        };
        for file in [&out, &second] {
            let (_d, _c, t) = target(which).await.unwrap();
            let n = portable::restore(&t.state.db, file).await.unwrap();
            assert!(n > 0);
            let v = verify(&t.state.db).await.unwrap();
            assert!(v.intact, "{v:?}");
            // A consistent snapshot: every account has its creation in the trail, and no more.
            let users = scalar(&t.state.db, "SELECT COUNT(*) FROM users").await;
            let created = scalar(
                &t.state.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'user.create'",
            )
            .await;
            assert_eq!(users, created);
            assert!(users >= 4, "{users} users");
            restored += 1;
        }
        // Restoring twice is refused.
        portable::restore(&t.state.db, &out).await.unwrap();
        let e = portable::restore(&t.state.db, &out).await.unwrap_err();
        assert!(
            format!("{e:#}").contains("needs an empty database"),
            "{e:#}"
        );
    }
    assert!(restored >= 2);
    // The source is untouched and intact.
    assert!(verify(&app.state.db).await.unwrap().intact);
    assert!(scalar(&app.state.db, "SELECT COUNT(*) FROM users").await >= i64::from(written));
}
both_backends!(backup_while_writing_then_restore);

/// Exports page through tables: more rows than one page still come out whole and in order.
async fn export_pages_through_large_tables(app: TestApp) {
    let s = &app.state;
    let mut tx = s.db.begin().await.unwrap();
    for i in 0..2500 {
        let q = sea_query::Query::insert()
            .into_table(sea_query::Alias::new("jobs"))
            .columns(
                [
                    "id",
                    "kind",
                    "payload",
                    "status",
                    "run_at",
                    "attempts",
                    "max_attempts",
                    "created_at",
                    "updated_at",
                ]
                .map(sea_query::Alias::new),
            )
            .values_panic([
                format!("job-{i:05}").into(),
                "test.noop".into(),
                "{}".into(),
                "done".into(),
                "2026-03-02T09:00:00.000000Z".into(),
                (i as i64).into(),
                5i64.into(),
                "2026-03-02T09:00:00.000000Z".into(),
                "2026-03-02T09:00:00.000000Z".into(),
            ])
            .to_owned();
        tx.h().execute(&q).await.unwrap();
    }
    tx.commit().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    portable::export_file(&s.db, &file).await.unwrap();
    let jobs: Vec<String> = body(&file)
        .into_iter()
        .filter(|l| l.starts_with("[\"job-"))
        .collect();
    assert_eq!(jobs.len(), 2500);
    let mut sorted = jobs.clone();
    sorted.sort();
    assert_eq!(jobs, sorted);
    let (_d, _c, t) = target(app.which).await.unwrap();
    portable::import_file(&t.state.db, &file).await.unwrap();
    assert_eq!(
        scalar(
            &t.state.db,
            "SELECT COUNT(*) FROM jobs WHERE status = 'done'"
        )
        .await,
        2500
    );
}
both_backends!(export_pages_through_large_tables);
