//! `bulwark risk simulate` through the real binary: no database, the report on stdout, every
//! problem of a bad model on stderr with its field, and a non-zero exit.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bulwark");

/// The documented example model (the CLI refuses paths with `..`, so resolved first).
fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples/small-office.json")
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

fn bulwark(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env_remove("BULWARK_CONFIG")
        .current_dir(dir)
        .args(args)
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
fn the_documented_example_runs_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let example = example();
    let args = [
        "risk", "simulate", &example, "--trials", "5000", "--seed", "3",
    ];
    let o = bulwark(dir.path(), &args);
    assert!(o.status.success(), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["trials"], 5000);
    assert_eq!(report["seed"], 3);
    assert_eq!(report["currency"], "EUR");
    assert_eq!(report["scenarios"].as_array().unwrap().len(), 4);
    let sum: f64 = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["result"]["mean"].as_f64().unwrap())
        .sum();
    let portfolio = report["portfolio"]["result"]["mean"].as_f64().unwrap();
    assert!((portfolio - sum).abs() <= 1e-9 * sum);
    assert!(report["portfolio"]["tolerance"]["within"].is_boolean());
    assert_eq!(report["controls"].as_array().unwrap().len(), 3);
    let plan = &report["funding"];
    assert!(plan["annual_cost"].as_f64().unwrap() <= 20000.0, "{plan}");
    assert!(
        plan["summary"].as_str().unwrap().contains("20,000 EUR"),
        "{plan}"
    );
    // The same model, trials and seed print the same report; no database was made.
    let again = bulwark(dir.path(), &args);
    assert_eq!(again.stdout, o.stdout);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn every_problem_is_named_and_the_exit_is_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bad.json");
    std::fs::write(
        &model,
        r#"{"scenarios": [
            {"id": "a", "lef": {"constant": 1}, "primary_loss": {"min": 50, "mode": 10, "max": 100}},
            {"id": "b", "tef": {"constant": -2}, "vulnerability": {"min": 0, "mode": 0.5, "max": 1.5},
             "primary_loss": {"constant": 5}},
            {"id": "c", "lef": {"constant": 1}, "primary_loss": {"constant": 5}, "colour": "red"}
        ]}"#,
    )
    .unwrap();
    let o = bulwark(dir.path(), &["risk", "simulate", "bad.json"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(o.stdout.is_empty(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "nothing was simulated",
        "field `scenarios[0].primary_loss.min`: must be ≤ mode",
        "field `scenarios[1].tef",
        "field `scenarios[1].vulnerability.max`",
        "field `scenarios[2].colour`",
    ] {
        assert!(err.contains(want), "{want} missing:\n{err}");
    }
    // One problem a line.
    assert!(err.lines().count() >= 5, "{err}");

    let o = bulwark(
        dir.path(),
        &["risk", "simulate", &example(), "--trials", "10"],
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("field `trials`"),
        "{}",
        text(&o)
    );
    let o = bulwark(dir.path(), &["risk", "simulate", "missing.json"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read missing.json"));
    let o = bulwark(dir.path(), &["risk", "simulate", "../x.json"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains(".."));
}
