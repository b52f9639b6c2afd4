//! Quantitative risk on both backends: estimates checked field by field, control effects,
//! simulations through the job runner (one risk, the portfolio, the investment analysis) with
//! progress, trial limits, cancellation, the pages, and who may do what.

mod common;

use bulwark_app::platform::jobs;
use bulwark_core::Role;
use common::{Api, TestApp};
use serde_json::{Value, json};

async fn risk(api: &Api, title: &str) -> String {
    let (s, r) = api
        .post(
            "/api/v1/risks",
            json!({"title": title, "category": "technology"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    r["id"].as_str().unwrap().to_string()
}

async fn control(
    api: &Api,
    name: &str,
    status: &str,
    one_off: i64,
    yearly: i64,
    requires: &[&str],
) -> String {
    let (s, c) = api
        .post(
            "/api/v1/controls",
            json!({"name": name, "kind": "preventive", "status": status,
                   "one_off_cost": one_off, "yearly_cost": yearly, "requires": requires}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    c["id"].as_str().unwrap().to_string()
}

async fn quantify(api: &Api, risk: &str, estimates: Value) -> Value {
    let (s, q) = api
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/risks/{risk}/quantification"),
            Some(estimates),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    q
}

async fn effect(api: &Api, risk: &str, control: &str, effect: Value) -> (u16, Value) {
    api.call(
        reqwest::Method::PUT,
        &format!("/api/v1/risks/{risk}/controls/{control}/effect"),
        Some(effect),
    )
    .await
}

/// Asks for a simulation, runs the jobs, and returns it finished.
async fn simulate(app: &TestApp, api: &Api, body: Value) -> Value {
    let (s, run) = api.post("/api/v1/risk-simulations", body).await;
    assert_eq!(s, 202, "{run}");
    assert_eq!(run["status"], "queued");
    app.run_jobs().await;
    let (s, run) = api
        .get(&format!(
            "/api/v1/risk-simulations/{}",
            run["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 200);
    run
}

/// The fields a 422 names.
fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

async fn actions(api: &Api, entity_id: &str) -> Vec<String> {
    let (s, list) = api
        .get(&format!("/api/v1/audit-entries?entity_id={entity_id}"))
        .await;
    assert_eq!(s, 200, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

/// Ransomware-like estimates: exact mean 2.5 × 0.3 × (PERT mean 50,000) = 37,500 a year.
fn ransomware() -> Value {
    json!({
        "tef": {"min": 1, "mode": 2, "max": 6},
        "vulnerability": {"constant": 0.3},
        "primary_loss": {"min": 10000, "mode": 40000, "max": 130000}
    })
}

async fn estimates_are_checked_field_by_field_and_audited(app: TestApp) {
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    let r = risk(&api, "Ransomware on the file servers").await;
    let path = format!("/api/v1/risks/{r}/quantification");
    assert_eq!(api.get(&path).await.0, 404);

    let q = quantify(&api, &r, ransomware()).await;
    assert_eq!(q["risk_id"], r.as_str());
    assert!(
        (q["mean_annual_loss"].as_f64().unwrap() - 37_500.0).abs() < 1e-6,
        "{q}"
    );
    assert_eq!(q["model"]["vulnerability"], json!({"constant": 0.3}));
    let (s, got) = api.get(&path).await;
    assert_eq!((s, &got), (200, &q));

    // Every bad value at once, each named by its field.
    let put = |body: Value| {
        let api = &api;
        let path = path.clone();
        async move { api.call(reqwest::Method::PUT, &path, Some(body)).await }
    };
    let (s, p) = put(json!({
        "tef": {"min": 3, "mode": 2, "max": 6},
        "vulnerability": {"min": 0, "mode": 0.5, "max": 1.5},
        "primary_loss": {"low": -5, "high": 1000},
        "secondary": {"probability": {"low": 0.1, "high": 0.2}, "loss": {"min": 5, "mode": 4, "max": 3}}
    }))
    .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["type"], "https://bulwark.invalid/problems/invalid-input");
    let f = fields(&p);
    for want in [
        "tef.min",
        "vulnerability.max",
        "primary_loss.low",
        "secondary.probability",
        "secondary.loss.mode",
    ] {
        assert!(
            f.iter().any(|x| x.starts_with(want)),
            "{want} not named: {p}"
        );
    }
    assert!(p["detail"].as_str().unwrap().contains("tef.min"), "{p}");

    // Shapes: both frequencies, none, a missing loss, a half PERT, mixed kinds, unknown fields,
    // wrong types (how NaN or "many" arrive in JSON).
    for (body, field) in [
        (
            json!({"lef": {"constant": 1}, "tef": {"constant": 1}, "vulnerability": {"constant": 0.5}, "primary_loss": {"constant": 1}}),
            "lef",
        ),
        (json!({"primary_loss": {"constant": 1}}), "lef"),
        (json!({"lef": {"constant": 1}}), "primary_loss"),
        (
            json!({"lef": {"min": 1, "max": 3}, "primary_loss": {"constant": 1}}),
            "lef.mode",
        ),
        (
            json!({"lef": {"constant": 1, "low": 1}, "primary_loss": {"constant": 1}}),
            "lef",
        ),
        (
            json!({"lef": {"constant": -1}, "primary_loss": {"constant": 1}}),
            "lef",
        ),
        (
            json!({"tef": {"constant": 1}, "primary_loss": {"constant": 1}}),
            "vulnerability",
        ),
        (
            json!({"lef": {"constant": 1}, "primary_loss": {"constant": 1}, "colour": "red"}),
            "colour",
        ),
        (
            json!({"lef": {"constant": "NaN"}, "primary_loss": {"constant": 1}}),
            "lef.constant",
        ),
        (
            json!({"lef": {"constant": 1}, "primary_loss": {"constant": 1, "median": 3}}),
            "primary_loss",
        ),
    ] {
        let (s, p) = put(body.clone()).await;
        assert_eq!(s, 422, "{body}: {p}");
        assert!(
            fields(&p).iter().any(|f| f.starts_with(field)),
            "{body}: {field} not named in {p}"
        );
    }
    // Nothing of that was stored.
    assert_eq!(api.get(&path).await.1, q);

    // An unknown risk.
    let (s, _) = api
        .call(
            reqwest::Method::PUT,
            "/api/v1/risks/0190f000-0000-7000-8000-000000000000/quantification",
            Some(ransomware()),
        )
        .await;
    assert_eq!(s, 404);

    // Changed, then removed; each audited.
    quantify(
        &api,
        &r,
        json!({"lef": {"low": 0.5, "high": 4}, "primary_loss": {"constant": 20000}}),
    )
    .await;
    assert_eq!(api.delete(&path).await.0, 204);
    assert_eq!(api.get(&path).await.0, 404);
    assert_eq!(api.delete(&path).await.0, 404);
    let a = actions(&api, &r).await;
    let count = |x: &str| a.iter().filter(|y| *y == x).count();
    assert_eq!(count("risk.quantification.update"), 2, "{a:?}");
    assert_eq!(count("risk.quantification.delete"), 1, "{a:?}");
}
both_backends!(estimates_are_checked_field_by_field_and_audited);

async fn control_effects_link_and_are_checked(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let r = risk(&api, "Phishing").await;
    let mfa = control(&api, "MFA", "planned", 6000, 8000, &[]).await;
    let (s, e) = effect(
        &api,
        &r,
        &mfa,
        json!({"tef": 1.5, "loss": -0.1, "lef": 0.2}),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(fields(&e), ["tef", "loss"]);
    let (s, _) = effect(&api, &r, "0190f000-0000-7000-8000-000000000000", json!({})).await;
    assert_eq!(s, 404);

    let (s, e) = effect(&api, &r, &mfa, json!({"vulnerability": 0.7})).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(
        e["effect"],
        json!({"tef": 0.0, "vulnerability": 0.7, "lef": 0.0, "loss": 0.0})
    );
    assert_eq!(e["control_status"], "planned");
    // Setting it linked them.
    let (_, risk_now) = api.get(&format!("/api/v1/risks/{r}")).await;
    assert!(
        risk_now["controls"].to_string().contains(&mfa),
        "{risk_now}"
    );
    let (s, e2) = effect(&api, &r, &mfa, json!({"vulnerability": 0.5, "loss": 0.1})).await;
    assert_eq!(s, 200);
    assert_eq!(e2["effect"]["loss"], 0.1);
    let (s, got) = api
        .get(&format!("/api/v1/risks/{r}/controls/{mfa}/effect"))
        .await;
    assert_eq!((s, &got), (200, &e2));
    let a = actions(&api, &r).await;
    assert_eq!(
        a.iter().filter(|x| *x == "risk.control.effect").count(),
        2,
        "{a:?}"
    );
    assert_eq!(
        a.iter().filter(|x| *x == "risk.control.link").count(),
        1,
        "{a:?}"
    );
}
both_backends!(control_effects_link_and_are_checked);

async fn a_risk_runs_through_the_job_runner(app: TestApp) {
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    let r = risk(&api, "Ransomware").await;
    quantify(&api, &r, ransomware()).await;

    let run = simulate(
        &app,
        &api,
        json!({"scope": "risk", "risk_id": r, "trials": 20000, "seed": 7}),
    )
    .await;
    assert_eq!(run["status"], "done", "{run}");
    assert_eq!(run["trials"], 20000);
    assert_eq!(run["done"], 20000);
    assert_eq!(run["total"], 20000);
    assert!(run["started_at"].is_string() && run["finished_at"].is_string());
    assert!(run["elapsed_ms"].as_i64().is_some());
    // The model it ran is a model file: the risk is its scenario.
    assert_eq!(run["model"]["scenarios"][0]["id"], r.as_str());
    assert_eq!(run["model"]["currency"], "EUR");
    let s = &run["result"]["scenarios"][0];
    assert_eq!(s["id"], r.as_str());
    assert_eq!(s["analytic_mean"], 37_500.0);
    let mean = s["result"]["mean"].as_f64().unwrap();
    let sd = s["result"]["stddev"].as_f64().unwrap();
    assert!(
        (mean - 37_500.0).abs() < 4.0 * sd / 20000f64.sqrt(),
        "{mean} ± {sd}"
    );
    assert!(run["result"]["portfolio"].is_null());

    // The same seed gives the same numbers; the list shows both without reports.
    app.clock.advance(60);
    let again = simulate(
        &app,
        &api,
        json!({"scope": "risk", "risk_id": r, "trials": 20000, "seed": 7}),
    )
    .await;
    assert_eq!(again["result"], run["result"]);
    let (s, list) = api
        .get(&format!("/api/v1/risk-simulations?risk_id={r}"))
        .await;
    assert_eq!(s, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], again["id"]);
    assert!(items[0]["result"].is_null() && items[0]["model"].is_null());
    let (s, page) = api.get("/api/v1/risk-simulations?limit=1").await;
    assert_eq!(s, 200);
    let (_, next) = api
        .get(&format!(
            "/api/v1/risk-simulations?limit=1&cursor={}",
            page["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(next["items"][0]["id"], run["id"]);

    // Asked for and finished, on the audit trail.
    let id = run["id"].as_str().unwrap();
    assert_eq!(
        actions(&api, id).await,
        ["risk.simulation.finish", "risk.simulation.request"]
    );
}
both_backends!(a_risk_runs_through_the_job_runner);

/// Sets a risk's status directly (the register's own API is tested in tests/risk.rs).
async fn set_status(app: &TestApp, risk: &str, status: &str) {
    use sea_query::ExprTrait;
    let q = sea_query::Query::update()
        .table(sea_query::Alias::new("risks"))
        .value(sea_query::Alias::new("status"), status)
        .and_where(sea_query::Expr::col(sea_query::Alias::new("id")).eq(risk))
        .to_owned();
    let mut tx = app.state.db.begin().await.unwrap();
    tx.h().execute(&q).await.unwrap();
    tx.commit().await.unwrap();
}

async fn portfolio_and_what_to_fund(app: TestApp) {
    let admin = app.api(&app.token_for(Role::Administrator).await);
    let (s, b) = admin
        .patch(
            "/api/v1/settings",
            json!({"risk_tolerance": {"points": [{"probability": 0.5, "loss": 20000}, {"probability": 0.01, "loss": 500000}]}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    let ransom = risk(&api, "Ransomware").await;
    let fraud = risk(&api, "Invoice fraud").await;
    let laptops = risk(&api, "Lost laptops").await;
    let old = risk(&api, "Old closed risk").await;
    quantify(&api, &ransom, ransomware()).await;
    quantify(&api, &fraud, json!({"lef": {"min": 0.2, "mode": 1, "max": 3}, "primary_loss": {"low": 5000, "high": 150000}})).await;
    quantify(&api, &laptops, json!({"lef": {"constant": 4}, "primary_loss": {"min": 1500, "mode": 2500, "max": 6000},
        "secondary": {"probability": {"min": 0, "mode": 0.02, "max": 0.1}, "loss": {"low": 5000, "high": 200000}}})).await;
    quantify(
        &api,
        &old,
        json!({"lef": {"constant": 50}, "primary_loss": {"constant": 1000000}}),
    )
    .await;
    set_status(&app, &old, "closed").await;

    let run = simulate(&app, &api, json!({"scope": "portfolio", "trials": 20000})).await;
    assert_eq!(run["status"], "done", "{run}");
    let result = &run["result"];
    let scenarios = result["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 3, "the closed risk is left out");
    assert!(!run["model"].to_string().contains(&old));
    // Summed year by year: the portfolio's mean is the sum of the means (to rounding).
    let sum: f64 = scenarios
        .iter()
        .map(|s| s["result"]["mean"].as_f64().unwrap())
        .sum();
    let p = &result["portfolio"]["result"];
    let mean = p["mean"].as_f64().unwrap();
    assert!((mean - sum).abs() <= 1e-9 * sum, "{mean} vs {sum}");
    // ... while its bad year is less than the sum of the bad years.
    let p99: f64 = scenarios
        .iter()
        .map(|s| s["result"]["p99"].as_f64().unwrap())
        .sum();
    assert!(p["p99"].as_f64().unwrap() < p99);
    // Checked against the tolerance, whose losses are reported as thresholds.
    assert!(
        result["portfolio"]["tolerance"]["within"].is_boolean(),
        "{result}"
    );
    assert_eq!(p["exceedance"].as_array().unwrap().len(), 2);
    assert_eq!(done_trials(&run), 3 * 20000);

    // Controls: planned and in progress are investments; implemented ones are not.
    let mfa = control(&api, "MFA for mail", "planned", 6000, 8000, &[]).await;
    let edr = control(&api, "EDR", "in_progress", 15000, 30000, &[]).await;
    let soc = control(&api, "Outsourced monitoring", "planned", 0, 60000, &[&edr]).await;
    let av = control(&api, "Antivirus", "implemented", 0, 5000, &[]).await;
    for (c, r, e) in [
        (&mfa, &ransom, json!({"vulnerability": 0.5})),
        (&mfa, &fraud, json!({"lef": 0.7})),
        (&edr, &ransom, json!({"vulnerability": 0.6, "loss": 0.3})),
        (&soc, &ransom, json!({"loss": 0.5})),
        (&av, &ransom, json!({"vulnerability": 0.9})),
        (&mfa, &old, json!({"lef": 0.9})),
    ] {
        assert_eq!(effect(&api, r, c, e).await.0, 200);
    }
    let (s, p) = api
        .post(
            "/api/v1/risk-simulations",
            json!({"scope": "portfolio", "budget": 1000}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&p), ["budget"]);
    let run = simulate(
        &app,
        &api,
        json!({"scope": "investment", "trials": 20000, "budget": 40000}),
    )
    .await;
    assert_eq!(run["status"], "done", "{run}");
    let result = &run["result"];
    let controls = result["controls"].as_array().unwrap();
    let ids: Vec<&str> = controls.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    for c in [&mfa, &edr, &soc] {
        assert!(ids.contains(&c.as_str()));
    }
    assert!(
        !ids.contains(&av.as_str()),
        "implemented controls are not investments"
    );
    for c in controls {
        let rosi = c["rosi"].as_f64().unwrap();
        let cost = c["annual_cost"].as_f64().unwrap();
        let reduction = c["reduction"].as_f64().unwrap();
        assert!(((reduction - cost) / cost - rosi).abs() < 1e-9, "{c}");
    }
    let mfa_line = controls.iter().find(|c| c["id"] == mfa.as_str()).unwrap();
    assert_eq!(mfa_line["annual_cost"], 10000.0);
    assert!(mfa_line["rosi"].as_f64().unwrap() > 0.0, "{mfa_line}");
    // The plan fits the budget and funds a requirement before what needs it.
    let plan = &result["funding"];
    assert!(plan["annual_cost"].as_f64().unwrap() <= 40000.0, "{plan}");
    let steps: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&mfa.as_str()), "{plan}");
    assert!(
        !steps.contains(&soc.as_str()),
        "60,000 a year does not fit: {plan}"
    );
    assert!(
        plan["summary"].as_str().unwrap().contains("40,000 EUR"),
        "{plan}"
    );
    assert_eq!(
        run["notes"],
        json!([
            "1 effect of planned controls on risks that are closed or not quantified is not counted."
        ])
    );
    assert_eq!(run["model"]["budget"], 40000);
}
both_backends!(portfolio_and_what_to_fund);

fn done_trials(run: &Value) -> i64 {
    run["done"].as_i64().unwrap()
}

async fn trial_limits_requests_and_cancellation(app: TestApp) {
    let admin = app.api(&app.token_for(Role::Administrator).await);
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    // Nothing to simulate yet.
    let (s, p) = api
        .post("/api/v1/risk-simulations", json!({"scope": "portfolio"}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&p), ["scope"]);
    let r = risk(&api, "Ransomware").await;
    quantify(&api, &r, ransomware()).await;

    for (body, want) in [
        (json!({"scope": "everything"}), vec!["scope"]),
        (json!({"scope": "risk"}), vec!["risk_id"]),
        (json!({"scope": "portfolio", "risk_id": r}), vec!["risk_id"]),
        (
            json!({"scope": "risk", "risk_id": "0190f000-0000-7000-8000-000000000000"}),
            vec!["risk_id"],
        ),
        (json!({"scope": "portfolio", "trials": 999}), vec!["trials"]),
        (
            json!({"scope": "portfolio", "trials": 1_000_001}),
            vec!["trials"],
        ),
        (
            json!({"scope": "investment", "budget": -1, "seed": u64::MAX}),
            vec!["seed", "budget"],
        ),
    ] {
        let (s, p) = api.post("/api/v1/risk-simulations", body.clone()).await;
        assert_eq!(s, 422, "{body}: {p}");
        assert_eq!(fields(&p), want, "{body}: {p}");
    }
    let (s, _) = api
        .post("/api/v1/risk-simulations", json!({"risk_id": r}))
        .await;
    assert_eq!(s, 422, "scope is required");

    // The limit is a setting.
    let (s, b) = admin
        .patch("/api/v1/settings", json!({"risk_max_trials": 5000}))
        .await;
    assert_eq!(s, 422, "the default (100,000) would exceed it: {b}");
    assert_eq!(fields(&b), ["risk_default_trials"]);
    let (s, b) = admin
        .patch(
            "/api/v1/settings",
            json!({"risk_max_trials": 5000, "risk_default_trials": 2000}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, p) = api
        .post(
            "/api/v1/risk-simulations",
            json!({"scope": "portfolio", "trials": 5001}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(p["detail"].as_str().unwrap().contains("5000"), "{p}");
    let run = simulate(&app, &api, json!({"scope": "portfolio"})).await;
    assert_eq!(run["trials"], 2000, "the default setting");
    assert_eq!(run["status"], "done");

    // Cancelled while queued: the job then does nothing.
    let (s, q) = api
        .post("/api/v1/risk-simulations", json!({"scope": "portfolio"}))
        .await;
    assert_eq!(s, 202);
    let id = q["id"].as_str().unwrap().to_string();
    let (s, c) = api
        .post(&format!("/api/v1/risk-simulations/{id}/cancel"), json!({}))
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["status"], "cancelled");
    app.run_jobs().await;
    let (_, after) = api.get(&format!("/api/v1/risk-simulations/{id}")).await;
    assert_eq!(after["status"], "cancelled");
    assert!(after["result"].is_null());
    let (s, _) = api
        .post(&format!("/api/v1/risk-simulations/{id}/cancel"), json!({}))
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        api.post(
            "/api/v1/risk-simulations/0190f000-0000-7000-8000-000000000000/cancel",
            json!({})
        )
        .await
        .0,
        404
    );

    // Cancelled while running: progress is written as it goes, and the engine stops. Two
    // hundred loss events a year over ten million years keep the engine busy for many seconds.
    let (s, b) = admin
        .patch("/api/v1/settings", json!({"risk_max_trials": 10_000_000}))
        .await;
    assert_eq!(s, 200, "{b}");
    quantify(
        &api,
        &r,
        json!({"lef": {"constant": 200}, "primary_loss": {"min": 1000, "mode": 2000, "max": 9000}}),
    )
    .await;
    let (s, q) = api
        .post(
            "/api/v1/risk-simulations",
            json!({"scope": "risk", "risk_id": r, "trials": 10_000_000}),
        )
        .await;
    assert_eq!(s, 202, "{q}");
    let id = q["id"].as_str().unwrap().to_string();
    let state = app.state.clone();
    let runner = tokio::spawn(async move {
        let h = jobs::handlers();
        while jobs::run_once(&state, "background", &h).await.unwrap() {}
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (_, now) = api.get(&format!("/api/v1/risk-simulations/{id}")).await;
        if now["status"] == "running" && now["done"].as_i64().unwrap() > 0 {
            assert_eq!(now["total"], 10_000_000);
            break;
        }
        assert!(
            now["status"] != "done",
            "finished before it could be cancelled"
        );
        assert!(std::time::Instant::now() < deadline, "no progress: {now}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (s, c) = api
        .post(&format!("/api/v1/risk-simulations/{id}/cancel"), json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(c["status"], "cancelling");
    runner.await.unwrap();
    let (_, after) = api.get(&format!("/api/v1/risk-simulations/{id}")).await;
    assert_eq!(after["status"], "cancelled", "{after}");
    assert!(after["done"].as_i64().unwrap() < 10_000_000);
    assert!(after["result"].is_null());
    assert_eq!(
        actions(&api, &id).await,
        [
            "risk.simulation.finish",
            "risk.simulation.cancel",
            "risk.simulation.request"
        ]
    );
}
both_backends!(trial_limits_requests_and_cancellation);

async fn settings_of_quantitative_risk(app: TestApp) {
    let admin = app.api(&app.token_for(Role::Administrator).await);
    let (_, s) = admin.get("/api/v1/settings").await;
    assert_eq!(s["currency"], "EUR");
    assert_eq!(s["risk_default_trials"], 100_000);
    assert_eq!(s["risk_max_trials"], 1_000_000);
    assert!(s["risk_tolerance"].is_null());
    let (st, s) = admin
        .patch("/api/v1/settings", json!({"currency": " chf "}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(s["currency"], "CHF");
    for (body, field) in [
        (json!({"currency": "Swiss francs"}), "currency"),
        (json!({"risk_max_trials": 20_000_000}), "risk_max_trials"),
        (json!({"risk_default_trials": 10}), "risk_default_trials"),
        (
            json!({"risk_tolerance": {"points": [{"probability": 0.5, "loss": 1000}]}}),
            "risk_tolerance",
        ),
        (
            json!({"risk_tolerance": {"points": [{"probability": 0.1, "loss": 1000}, {"probability": 0.5, "loss": 9000}]}}),
            "risk_tolerance",
        ),
        (
            json!({"risk_tolerance": {"points": [{"probability": 1.5, "loss": 1000}, {"probability": 0.01, "loss": 9000}]}}),
            "risk_tolerance",
        ),
    ] {
        let (st, p) = admin.patch("/api/v1/settings", body.clone()).await;
        assert_eq!(st, 422, "{body}: {p}");
        assert_eq!(fields(&p), [field], "{body}");
    }
    let tolerance = json!({"points": [{"probability": 0.5, "loss": 50000.0}, {"probability": 0.01, "loss": 2000000.0}]});
    let (st, s) = admin
        .patch("/api/v1/settings", json!({"risk_tolerance": tolerance}))
        .await;
    assert_eq!(st, 200);
    assert_eq!(s["risk_tolerance"], tolerance);
    let (_, s) = admin
        .patch("/api/v1/settings", json!({"organisation_name": "Acme"}))
        .await;
    assert_eq!(s["risk_tolerance"], tolerance, "left out, kept");
    let (_, s) = admin
        .patch("/api/v1/settings", json!({"risk_tolerance": null}))
        .await;
    assert!(s["risk_tolerance"].is_null(), "null removes it");

    // The settings page shows and saves them, percentages as people type them.
    let (st, _, html) = page(&app, &admin.token, reqwest::Method::GET, "/settings", None).await;
    assert_eq!(st, 200);
    assert!(
        html.contains("Quantitative risk") && html.contains("Risk tolerance"),
        "{html}"
    );
    let form = [
        ("organisation_name", "Acme"),
        ("dormant_days", "45"),
        ("username_templates", "{first}.{last}"),
        ("currency", "usd"),
        ("risk_default_trials", "50,000"),
        ("risk_max_trials", "200000"),
        ("tolerance_loss_1", "50,000"),
        ("tolerance_percent_1", "50"),
        ("tolerance_loss_2", "2000000"),
        ("tolerance_percent_2", "1"),
    ];
    let (st, loc, html) = page(
        &app,
        &admin.token,
        reqwest::Method::POST,
        "/settings",
        Some(&form),
    )
    .await;
    assert_eq!(st, 303, "{html}");
    assert_eq!(loc, "/settings?done=saved");
    let (_, s) = admin.get("/api/v1/settings").await;
    assert_eq!(s["currency"], "USD");
    assert_eq!(s["risk_default_trials"], 50000);
    assert_eq!(
        s["risk_tolerance"]["points"][1],
        json!({"probability": 0.01, "loss": 2000000.0})
    );
    let (_, _, html) = page(&app, &admin.token, reqwest::Method::GET, "/settings", None).await;
    assert!(
        html.contains(r#"name="tolerance_percent_2" type="text" inputmode="decimal" value="1""#),
        "{html}"
    );
    let mut bad = form.to_vec();
    bad[7] = ("tolerance_percent_1", "lots");
    let (st, _, html) = page(
        &app,
        &admin.token,
        reqwest::Method::POST,
        "/settings",
        Some(&bad),
    )
    .await;
    assert_eq!(st, 422);
    assert!(html.contains("probability must be in (0, 1]"), "{html}");
}
both_backends!(settings_of_quantitative_risk);

/// A page fetched or posted with a bearer token: status, location, body.
async fn page(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (u16, String, String) {
    let mut r = app
        .browser()
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(token);
    if let Some(f) = form {
        r = r.form(f);
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

async fn pages_estimate_simulate_and_plan(app: TestApp) {
    use reqwest::Method as M;
    let token = app.token_for(Role::SecurityOfficer).await;
    let api = app.api(&token);
    let admin = app.api(&app.token_for(Role::Administrator).await);
    admin
        .patch(
            "/api/v1/settings",
            json!({"risk_tolerance": {"points": [{"probability": 0.5, "loss": 20000}, {"probability": 0.01, "loss": 500000}]}}),
        )
        .await;
    let r = risk(&api, "Ransomware").await;
    let path = format!("/risk/risks/{r}/quantification");

    let (s, _, html) = page(&app, &token, M::GET, &path, None).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("has no estimates yet") && html.contains("Cost of each loss event"),
        "{html}"
    );

    // Refused: a box that is not a number, and what the engine finds, next to their boxes.
    let form = |lo: &'static str| {
        vec![
            ("frequency", "tef"),
            ("tef_kind", "pert"),
            ("tef_min", "1"),
            ("tef_mode", "2"),
            ("tef_max", "6"),
            ("vulnerability_kind", "constant"),
            ("vulnerability_mode", "0.3"),
            ("primary_loss_kind", "pert"),
            ("primary_loss_min", lo),
            ("primary_loss_mode", "40,000"),
            ("primary_loss_max", "130000"),
            ("secondary_probability_kind", ""),
            ("secondary_loss_kind", ""),
        ]
    };
    let (s, _, html) = page(&app, &token, M::POST, &path, Some(&form("lots"))).await;
    assert_eq!(s, 422);
    assert!(
        html.contains(r#"id="f-primary_loss_min-error""#) && html.contains("is not a number"),
        "{html}"
    );
    let (s, _, html) = page(&app, &token, M::POST, &path, Some(&form("50000"))).await;
    assert_eq!(s, 422);
    assert!(
        html.contains(r#"id="f-primary_loss_min-error""#) && html.contains("must be ≤ mode"),
        "{html}"
    );
    assert!(html.contains(r#"value="50000""#), "typed values are kept");
    let (s, loc, _) = page(&app, &token, M::POST, &path, Some(&form("10000"))).await;
    assert_eq!(s, 303);
    assert_eq!(loc, format!("{path}?done=saved"));
    let (_, q) = api.get(&format!("/api/v1/risks/{r}/quantification")).await;
    assert_eq!(q["mean_annual_loss"], 37_500.0);
    let (_, _, html) = page(&app, &token, M::GET, &path, None).await;
    assert!(html.contains("37,500 EUR a year"), "{html}");

    // A control's effect in percent.
    let mfa = control(&api, "MFA for mail", "planned", 6000, 8000, &[]).await;
    let (s, _, _) = page(
        &app,
        &token,
        M::POST,
        &format!("/risk/risks/{r}/effects"),
        Some(&[
            ("control_id", mfa.as_str()),
            ("vulnerability", "50"),
            ("loss", ""),
        ]),
    )
    .await;
    assert_eq!(s, 303);
    let (_, e) = api
        .get(&format!("/api/v1/risks/{r}/controls/{mfa}/effect"))
        .await;
    assert_eq!(e["effect"]["vulnerability"], 0.5);
    let (_, _, html) = page(&app, &token, M::GET, &path, None).await;
    assert!(
        html.contains("MFA for mail") && html.contains("investment"),
        "{html}"
    );

    // Simulate from the list page: its page refreshes itself until done, then shows the figures.
    let (s, _, html) = page(&app, &token, M::GET, "/risk/simulations", None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Quantified open risks: 1."), "{html}");
    let (s, _, html) = page(
        &app,
        &token,
        M::POST,
        "/risk/simulations",
        Some(&[("scope", "portfolio"), ("trials", "lots")]),
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("is not a whole number"), "{html}");
    let (s, loc, _) = page(
        &app,
        &token,
        M::POST,
        "/risk/simulations",
        Some(&[("scope", "portfolio"), ("trials", "5,000")]),
    )
    .await;
    assert_eq!(s, 303);
    assert!(loc.starts_with("/risk/simulations/"), "{loc}");
    let (s, _, html) = page(&app, &token, M::GET, &loc, None).await;
    assert_eq!(s, 200);
    assert!(
        html.contains(r#"<meta http-equiv="refresh" content="2">"#)
            && html.contains("Waiting to start"),
        "{html}"
    );
    app.run_jobs().await;
    let (_, _, html) = page(&app, &token, M::GET, &loc, None).await;
    assert!(!html.contains("http-equiv=\"refresh\""));
    for text in [
        "Expected loss a year",
        "P99",
        "Value at risk (95 %)",
        "Expected shortfall",
        "<svg",
        "Risk tolerance",
        "tolerance</span>",
        "Ransomware",
    ] {
        assert!(html.contains(text), "{text} missing: {html}");
    }

    // What to fund next, in words.
    let (s, _, html) = page(&app, &token, M::GET, "/risk/investments", None).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("MFA for mail") && html.contains("Work out the plan"),
        "{html}"
    );
    let (s, loc, _) = page(
        &app,
        &token,
        M::POST,
        "/risk/simulations",
        Some(&[
            ("scope", "investment"),
            ("budget", "20,000"),
            ("trials", "5000"),
        ]),
    )
    .await;
    assert_eq!(s, 303);
    app.run_jobs().await;
    let (_, _, html) = page(&app, &token, M::GET, "/risk/investments", None).await;
    assert!(
        html.contains(
            "Spending 10,000 EUR a year on MFA for mail is expected to cut the yearly loss from"
        ),
        "{html}"
    );
    assert!(
        html.contains("Fund MFA for mail: costs 10,000 EUR a year"),
        "{html}"
    );
    let (_, _, html) = page(&app, &token, M::GET, &loc, None).await;
    assert!(
        html.contains("What to fund next") && html.contains("Return of each planned control"),
        "{html}"
    );
    let (s, _, html) = page(
        &app,
        &token,
        M::POST,
        "/risk/simulations",
        Some(&[("scope", "investment"), ("budget", "-5")]),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("must not be negative") && html.contains("Work out the plan"),
        "{html}"
    );

    // Removing the estimates.
    let (s, _, _) = page(&app, &token, M::POST, &format!("{path}/delete"), Some(&[])).await;
    assert_eq!(s, 303);
    assert_eq!(
        api.get(&format!("/api/v1/risks/{r}/quantification"))
            .await
            .0,
        404
    );
}
both_backends!(pages_estimate_simulate_and_plan);

async fn staff_and_leadership_are_refused(app: TestApp) {
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    let r = risk(&api, "Ransomware").await;
    quantify(&api, &r, ransomware()).await;
    for role in [Role::Staff, Role::Leadership] {
        let token = app.token_for(role).await;
        let other = app.api(&token);
        assert_eq!(other.get("/api/v1/risk-simulations").await.0, 403);
        assert_eq!(
            other
                .get(&format!("/api/v1/risks/{r}/quantification"))
                .await
                .0,
            403
        );
        assert_eq!(
            other
                .post("/api/v1/risk-simulations", json!({"scope": "portfolio"}))
                .await
                .0,
            403
        );
        for path in ["/risk/simulations", "/risk/investments"] {
            assert_eq!(
                page(&app, &token, reqwest::Method::GET, path, None).await.0,
                403,
                "{path}"
            );
        }
    }
    // Auditors read but do not change.
    let auditor = app.api(&app.token_for(Role::Auditor).await);
    assert_eq!(
        auditor
            .get(&format!("/api/v1/risks/{r}/quantification"))
            .await
            .0,
        200
    );
    assert_eq!(
        auditor
            .post("/api/v1/risk-simulations", json!({"scope": "portfolio"}))
            .await
            .0,
        403
    );
}
both_backends!(staff_and_leadership_are_refused);
