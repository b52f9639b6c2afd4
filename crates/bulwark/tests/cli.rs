//! The backup, restore, export and import commands through the real binary.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

/// `bulwark ARGS… --data-dir DIR`, with no configuration file from the environment.
fn bulwark(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_remove("BULWARK_CONFIG")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn file_arguments_with_parent_steps_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for args in [
        &["export", "--out", "../x"][..],
        &["backup", "--out", "backups/../../x"][..],
        &["import-all", "../x"][..],
        &["restore", "../x"][..],
    ] {
        let o = bulwark(&data, args);
        assert!(!o.status.success(), "{args:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(".."), "{args:?}: {}", text(&o));
    }
    assert!(!dir.path().join("x").exists());
}

#[test]
fn audit_verify_on_a_fresh_data_dir_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let o = bulwark(dir.path(), &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("audit trail intact: 0 entries"),
        "{}",
        text(&o)
    );
}

#[test]
fn export_import_backup_restore_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let o = bulwark(
        &src,
        &[
            "user",
            "add",
            "--email",
            "kim@example.org",
            "--name",
            "Kim",
            "--role",
            "auditor",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));

    let export = dir.path().join("all.jsonl");
    let export_arg = export.to_str().unwrap();
    let o = bulwark(&src, &["export", "--out", export_arg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("exported"),
        "{}",
        text(&o)
    );
    let o = bulwark(&src, &["export", "--out", export_arg]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("already exists"),
        "{}",
        text(&o)
    );

    let imported = dir.path().join("imported");
    let o = bulwark(&imported, &["import-all", export_arg]);
    assert!(o.status.success(), "{}", text(&o));
    let o = bulwark(&imported, &["import-all", export_arg]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("needs an empty database"),
        "{}",
        text(&o)
    );

    let backup = dir.path().join("bulwark.backup");
    let backup_arg = backup.to_str().unwrap();
    let o = bulwark(&src, &["backup", "--out", backup_arg]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(&std::fs::read(&backup).unwrap()[..16], b"SQLite format 3\0");
    let restored = dir.path().join("restored");
    let o = bulwark(&restored, &["restore", backup_arg]);
    assert!(o.status.success(), "{}", text(&o));

    for d in [&imported, &restored] {
        let o = bulwark(d, &["audit", "verify"]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("audit trail intact: 1 entries"),
            "{}",
            text(&o)
        );
        let o = bulwark(d, &["user", "list", "--json"]);
        assert!(o.status.success(), "{}", text(&o));
        let users: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(users[0]["email"], "kim@example.org", "{users}");
        assert_eq!(users[0]["role"], "auditor", "{users}");
    }
}

/// Adds an asset to a migrated data directory through the library (the CLI has no asset command).
fn add_system(data: &Path, name: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = bulwark_app::platform::db::Db::open_sqlite(data)
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        let input = bulwark_app::inventory::assets::AssetInput {
            name: Some(name.into()),
            kind: Some("saas_application".into()),
            ..Default::default()
        };
        bulwark_app::inventory::assets::create(
            &mut tx,
            bulwark_core::Timestamp::parse("2026-03-02T09:00:00Z").unwrap(),
            &bulwark_app::audit_log::Actor::cli(),
            &input,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        db.close().await;
    });
}

#[test]
fn people_and_accounts_imports_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = bulwark(&data, &["migrate"]);
    assert!(o.status.success(), "{}", text(&o));
    add_system(&data, "ERP");
    let file = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let hr = file(
        "hr.csv",
        "employee_id,name,email,department,manager_email,status,start_date,leave_date\n\
         E1,Alice Smith,alice@northwind.example,Finance,,active,2020-01-06,\n\
         E2,Bob Jones,bob@northwind.example,Sales,,leaver,2019-05-01,2026-02-01\n",
    );
    let o = bulwark(&data, &["import", "people", &hr]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("people: 2 records from hr.csv; 2 added"),
        "{}",
        text(&o)
    );
    let accounts = file(
        "erp.csv",
        "username,email,display_name,privileged,mfa,last_login,groups,status\n\
         asmith,,Alice Smith,true,false,2099-01-01T00:00:00Z,Admins,enabled\n\
         bob@northwind.example,,Bob Jones,false,true,2099-01-01T00:00:00Z,,enabled\n\
         ghost,,Who,false,true,2099-01-01T00:00:00Z,,enabled\n",
    );
    let o = bulwark(&data, &["import", "accounts", "--system", "ERP", &accounts]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("ERP: 3 records from erp.csv; 3 added"),
        "{}",
        text(&o)
    );
    assert!(out.contains("2 linked, 1 accounts waiting"), "{}", text(&o));

    // A refused file lists every problem with its line, and changes nothing.
    let bad = file(
        "bad.csv",
        "username,email,display_name,privileged,mfa,last_login,groups,status\n\
         x,,X,maybe,true,,,enabled\n\
         y,,Y,false,true,,,gone\n",
    );
    let o = bulwark(&data, &["import", "accounts", "--system", "ERP", &bad]);
    assert!(!o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 2") && err.contains("line 3"),
        "{}",
        text(&o)
    );
    assert!(err.contains("nothing was changed"), "{}", text(&o));
    let o = bulwark(
        &data,
        &["import", "accounts", "--system", "Nowhere", &accounts],
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Nowhere"),
        "{}",
        text(&o)
    );

    let o = bulwark(&data, &["identity", "findings", "--format", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let mut kinds: Vec<&str> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["leaver_enabled", "orphaned", "privileged_without_mfa"],
        "{}",
        text(&o)
    );
    let o = bulwark(&data, &["identity", "findings"]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.starts_with("KIND"), "{table}");
    assert!(
        table.contains("ghost") && table.contains("3 open finding(s)"),
        "{table}"
    );
}

#[test]
fn risk_export_writes_the_register_in_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    // An empty register is a header, or an empty array.
    let o = bulwark(
        &data,
        &[
            "risk",
            "export",
            "--format",
            "csv",
            "--out",
            &out("empty.csv"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("wrote 0 risk(s)"));
    let csv = std::fs::read_to_string(out("empty.csv")).unwrap();
    assert!(csv.starts_with("code,title,category,owner,"), "{csv}");
    assert_eq!(csv.lines().count(), 1);

    // The demo organisation's forty risks, loaded through the library.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = bulwark_app::platform::config::Config {
            data_dir: data.clone(),
            ..Default::default()
        };
        let app = bulwark_app::App::open(
            config,
            std::sync::Arc::new(bulwark_app::platform::clock::SystemClock),
        )
        .await
        .unwrap();
        bulwark_app::demo::load(&app.state).await.unwrap();
        app.state.db.close().await;
    });
    let o = bulwark(
        &data,
        &[
            "risk",
            "export",
            "--format",
            "json",
            "--out",
            &out("all.json"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(out("all.json")).unwrap()).unwrap();
    assert_eq!(rows.len(), 40);
    assert_eq!(rows[0]["code"], "R-001");
    let o = bulwark(
        &data,
        &[
            "risk",
            "export",
            "--format",
            "xlsx",
            "--out",
            &out("above.xlsx"),
            "--above-appetite",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("wrote 6 risk(s)"),
        "{}",
        text(&o)
    );
    assert!(std::fs::read(out("above.xlsx")).unwrap().starts_with(b"PK"));

    // Wrong values are named; nothing is written.
    for (args, says) in [
        (&["--format", "pdf"][..], "--format"),
        (&["--format", "csv", "--status", "bogus"][..], "status"),
    ] {
        let mut all = vec!["risk", "export", "--out", "x.csv"];
        all.extend(args);
        let o = bulwark(&data, &all);
        assert!(!o.status.success(), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(says),
            "{}",
            text(&o)
        );
    }
    let o = bulwark(
        &data,
        &["risk", "export", "--format", "csv", "--out", "../x.csv"],
    );
    assert!(!o.status.success(), "{}", text(&o));
}
