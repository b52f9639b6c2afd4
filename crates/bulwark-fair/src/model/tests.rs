//! The model file end to end: the example, oracles, reproducibility and every kind of bad input.

use super::*;

const EXAMPLE: &str = include_str!("../../fixtures/example-model.json");

fn options() -> RunOptions {
    RunOptions {
        max_trials: 1_000_000,
        ..RunOptions::default()
    }
}

fn run(json: &str) -> Report {
    run_model(json, options()).unwrap()
}

/// The problems of a model that must be refused, as displayed.
fn problems(json: &str) -> Vec<String> {
    match run_model(json, options()) {
        Err(RunError::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

/// A one-scenario model with `scenario` spliced in.
fn with_scenario(scenario: &str) -> String {
    format!(r#"{{"trials": 1000, "scenarios": [{scenario}]}}"#)
}

#[test]
fn the_example_runs_and_is_documented() {
    let doc = include_str!("../../../../docs/risk-model.md");
    assert!(
        doc.contains(EXAMPLE.trim()),
        "docs/risk-model.md must show the example model verbatim"
    );
    let r = run(EXAMPLE);
    assert_eq!((r.trials, r.seed, r.currency.as_str()), (20_000, 42, "EUR"));
    assert_eq!(r.scenarios.len(), 3);
    let p = r.portfolio.as_ref().unwrap();
    assert_eq!(p.scenarios, ["ransomware", "phishing-fraud", "laptop-loss"]);
    assert!(p.tolerance.is_some() && r.scenarios.iter().all(|s| s.tolerance.is_some()));
    assert_eq!(r.controls.len(), 4);
    let plan = r.funding.as_ref().unwrap();
    assert!(plan.annual_cost <= 50_000.0);
    assert_eq!(plan.steps.len() + plan.not_funded.len(), 4);
    assert!(plan.steps.iter().all(|s| s.sentence.starts_with("Fund ")));
    assert!(
        plan.not_funded
            .iter()
            .all(|s| s.sentence.starts_with("Not now: "))
    );
    let json = serde_json::to_value(&r).unwrap();
    assert!(
        json["portfolio"]["result"]["loss_exceedance_curve"]
            .as_array()
            .unwrap()
            .len()
            == 50
    );
}

#[test]
fn portfolio_mean_is_the_sum_of_scenario_means() {
    let r = run(EXAMPLE);
    let p = r.portfolio.unwrap().result;
    let sum: f64 = r.scenarios.iter().map(|s| s.result.mean).sum();
    assert!((p.mean - sum).abs() < 1e-9 * sum, "{} vs {sum}", p.mean);
    // And it estimates the sum of the exact means within 4σ/√N.
    let exact: f64 = r.scenarios.iter().map(|s| s.analytic_mean).sum();
    let tolerance = 4.0 * p.stddev / (p.trials as f64).sqrt();
    assert!((p.mean - exact).abs() < tolerance, "{} vs {exact}", p.mean);
    // Percentiles of a sum are not sums of percentiles.
    let p99_sum: f64 = r.scenarios.iter().map(|s| s.result.p99).sum();
    assert!(p.p99 < p99_sum);
}

#[test]
fn every_scenario_mean_is_within_4_sigma_of_its_exact_mean() {
    let r = run_model(
        EXAMPLE,
        RunOptions {
            trials: Some(200_000),
            ..options()
        },
    )
    .unwrap();
    for s in &r.scenarios {
        let tolerance = 4.0 * s.result.stddev / (s.result.trials as f64).sqrt();
        assert!(
            (s.result.mean - s.analytic_mean).abs() < tolerance,
            "{}: {} vs {}",
            s.id,
            s.result.mean,
            s.analytic_mean
        );
    }
}

#[test]
fn same_report_with_one_thread_or_three() {
    let on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| serde_json::to_string(&run(EXAMPLE)).unwrap())
    };
    assert_eq!(on(1), on(3));
}

#[test]
fn the_caller_overrides_trials_and_seed() {
    let a = run_model(
        EXAMPLE,
        RunOptions {
            trials: Some(5_000),
            seed: Some(7),
            ..options()
        },
    )
    .unwrap();
    assert_eq!((a.trials, a.seed), (5_000, 7));
    let b = run_model(
        EXAMPLE,
        RunOptions {
            trials: Some(5_000),
            seed: Some(8),
            ..options()
        },
    )
    .unwrap();
    assert_ne!(a.scenarios[0].result.mean, b.scenarios[0].result.mean);
}

#[test]
fn rosi_reruns_with_common_random_numbers() {
    let r = run(EXAMPLE);
    let mfa = &r.controls[0];
    let ransomware = r.scenarios[0].result.mean;
    let fraud = r.scenarios[1].result.mean;
    assert_eq!(mfa.loss_before, ransomware + fraud);
    assert_eq!(mfa.annual_cost, 8_000.0 + 6_000.0 / 3.0);
    // Halving vulnerability and cutting fraud by 70 % leaves about half and 30 %; with common
    // random numbers the estimate is tight even at 20,000 trials.
    let expected_after = 0.5 * ransomware + 0.3 * fraud;
    assert!(
        (mfa.loss_after / expected_after - 1.0).abs() < 0.03,
        "{mfa:?}"
    );
    let rosi = (mfa.loss_before - mfa.loss_after - mfa.annual_cost) / mfa.annual_cost;
    assert_eq!(mfa.rosi, rosi);
}

#[test]
fn progress_counts_every_trial_and_cancel_stops() {
    let progress = Arc::new(Progress::new());
    let r = run_model(
        EXAMPLE,
        RunOptions {
            progress: Some(progress.clone()),
            ..options()
        },
    )
    .unwrap();
    assert!(progress.done() > 0);
    assert_eq!(progress.done(), progress.total());
    assert_eq!(r.trials, 20_000);
    let cancelled = Arc::new(Progress::new());
    cancelled.cancel();
    let res = run_model(
        EXAMPLE,
        RunOptions {
            progress: Some(cancelled),
            ..options()
        },
    );
    assert_eq!(res, Err(RunError::Cancelled));
}

#[test]
fn pert_out_of_order_names_the_field() {
    let p = problems(&with_scenario(
        r#"{"id": "a", "lef": {"constant": 1}, "primary_loss": {"min": 100, "mode": 5000, "max": 4000}}"#,
    ));
    assert_eq!(
        p,
        ["field `scenarios[0].primary_loss.mode`: must be ≤ max (got 5000 > 4000)"]
    );
    let p = problems(&with_scenario(
        r#"{"id": "a", "lef": {"min": 3, "mode": 2, "max": 4}, "primary_loss": {"constant": 1}}"#,
    ));
    assert_eq!(
        p,
        ["field `scenarios[0].lef.min`: must be ≤ mode (got 3 > 2)"]
    );
}

#[test]
fn negative_values_and_probabilities_outside_0_1() {
    let p = problems(&with_scenario(
        r#"{"id": "a", "tef": {"constant": -2}, "vulnerability": {"min": 0.1, "mode": 0.5, "max": 1.5},
            "primary_loss": {"constant": -5},
            "secondary": {"probability": {"constant": 2}, "loss": {"low": 0, "high": 10}}}"#,
    ));
    let fields: Vec<&str> = p.iter().map(|s| s.split('`').nth(1).unwrap()).collect();
    assert_eq!(
        fields,
        [
            "scenarios[0].vulnerability.max",
            "scenarios[0].tef.constant",
            "scenarios[0].primary_loss.constant",
            "scenarios[0].secondary.probability.constant",
            "scenarios[0].secondary.loss.low",
        ],
        "{p:#?}"
    );
}

#[test]
fn non_finite_numbers_are_refused() {
    // JSON has no NaN; a number too large for f64 is refused while reading, with its line.
    let p = problems(
        "{\"trials\": 1000,\n \"scenarios\": [{\"id\": \"a\", \"lef\": {\"constant\": 1e999}, \"primary_loss\": {\"constant\": 1}}]}",
    );
    assert_eq!(p.len(), 1);
    assert!(p[0].starts_with("line 2"), "{p:?}");
    // Through the typed API NaN and infinity are named.
    let s = crate::Scenario {
        id: "a".into(),
        name: "a".into(),
        frequency: crate::Frequency::LossEvents(crate::Estimate::Constant(f64::NAN)),
        primary_loss: crate::Estimate::Constant(f64::INFINITY),
        secondary: None,
    };
    let p: Vec<String> = s
        .problems("scenarios[0]")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].contains("scenarios[0].lef.constant") && p[0].contains("finite"));
}

#[test]
fn missing_and_unknown_fields_are_named_in_every_scenario() {
    let p = problems(
        r#"{"trials": 1000, "scenarios": [
            {"id": "a", "lef": {"constant": 1}},
            {"id": "b", "lef": {"constant": 1}, "primary_loss": {"constant": 1}, "colour": "red"},
            {"id": "c", "tef": {"constant": 1}, "primary_loss": {"min": 1, "max": 2}},
            {"id": "d", "primary_loss": {"constant": 1, "low": 2, "high": 3}}
        ]}"#,
    );
    assert_eq!(p.len(), 6, "{p:#?}");
    assert!(
        p[0].starts_with("field `scenarios[0].primary_loss`: missing field"),
        "{p:#?}"
    );
    assert!(
        p[1].contains("scenarios[1]") && p[1].contains("unknown field `colour`"),
        "{p:#?}"
    );
    assert!(
        p[2].starts_with("field `scenarios[2].primary_loss.mode`: is missing"),
        "{p:#?}"
    );
    assert!(
        p[3].starts_with("field `scenarios[2].vulnerability`: is missing"),
        "{p:#?}"
    );
    assert!(
        p[4].starts_with("field `scenarios[3].primary_loss`: mixes"),
        "{p:#?}"
    );
    assert!(
        p[5].starts_with("field `scenarios[3].lef`: is missing"),
        "{p:#?}"
    );
}

#[test]
fn unknown_top_level_field_and_bad_json() {
    let p = problems(r#"{"trials": 1000, "scenarios": [], "sceanrios": []}"#);
    assert!(p[0].contains("unknown field `sceanrios`"), "{p:?}");
    let p = problems("{\n\"trials\": 1000,\n}");
    assert!(p[0].starts_with("line 3"), "{p:?}");
    let p = problems(r#"{"trials": 1000}"#);
    assert!(
        p[0].contains("field `scenarios`") && p[0].contains("missing"),
        "{p:?}"
    );
}

#[test]
fn trials_are_bounded_by_the_caller() {
    let json =
        with_scenario(r#"{"id": "a", "lef": {"constant": 1}, "primary_loss": {"constant": 1}}"#);
    let limited = RunOptions {
        max_trials: 500,
        ..RunOptions::default()
    };
    let Err(RunError::Invalid(p)) = run_model(&json, limited) else {
        panic!("over the limit must be refused");
    };
    assert!(p[0].to_string().starts_with("field `trials`"), "{p:?}");
    let p = problems(&json.replace("1000", "10"));
    assert!(p[0].starts_with("field `trials`"), "{p:?}");
}

#[test]
fn references_between_controls_scenarios_and_portfolio_are_checked() {
    let p = problems(
        r#"{"trials": 1000,
            "scenarios": [{"id": "a", "lef": {"constant": 1}, "primary_loss": {"constant": 1}},
                          {"id": "a", "lef": {"constant": 1}, "primary_loss": {"constant": 1}}],
            "portfolio": {"scenarios": ["a", "zz"]},
            "tolerance": {"points": [{"probability": 0.1, "loss": 10}, {"probability": 0.5, "loss": 100}]},
            "var_level": 1.5,
            "controls": [
              {"id": "x", "yearly_cost": 1, "requires": ["y"], "effects": [{"scenario": "b", "loss": 2}]},
              {"id": "y", "requires": ["x"]},
              {"id": "z", "yearly_cost": 1, "requires": ["nope"]}
            ],
            "budget": -1}"#,
    );
    let want = [
        "field `var_level`",
        "field `scenarios[1].id`: \"a\" is used twice",
        "field `portfolio.scenarios[1]`: no scenario has the id \"zz\"",
        "field `tolerance.points`",
        "field `controls[0].effects[0].scenario`",
        "field `controls[0].effects[0].loss`",
        "field `controls[1].yearly_cost`: a control must cost something",
        "field `controls[2].requires[0]`: no control has the id \"nope\"",
        "field `controls`: requirements form a cycle",
        "field `budget`",
    ];
    assert_eq!(p.len(), want.len(), "{p:#?}");
    for (got, want) in p.iter().zip(want) {
        assert!(got.starts_with(want), "{got} does not start with {want}");
    }
}

#[test]
fn the_problem_list_is_capped() {
    let bad = r#"{"id": "s", "lef": {"constant": -1}, "primary_loss": {"constant": -1}}"#;
    let scenarios = vec![bad; 600].join(",");
    let p = problems(&format!(
        r#"{{"trials": 1000, "scenarios": [{scenarios}]}}"#
    ));
    // 1,200 problems, capped at 1,000.
    assert_eq!(p.len(), 1_000);
    assert_eq!(p[999], "… and 201 more");
}
