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
