//! The risk register end to end on both backends: risks and their links, scores on the
//! built-in and custom matrices with history, appetite, controls and their requirements,
//! action plans, acceptances (who may approve, expiry reopening the risk and mailing its owner),
//! the threat catalogue, heat maps and the audit trail.

mod common;

use bulwark_app::platform::mail::Mail;
use bulwark_core::{Role, Timestamp};
use common::{Api, TestApp};
use serde_json::{Value, json};

async fn person(api: &Api, name: &str, email: &str) -> String {
    let (s, p) = api
        .post(
            "/api/v1/people",
            json!({"name": name, "email": email, "department": "IT"}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    p["id"].as_str().unwrap().to_string()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

async fn mails(app: &TestApp) -> Vec<Mail> {
    bulwark_app::platform::jobs::recent(&app.state.db, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "mail.send")
        .map(|j| serde_json::from_str(&j.payload).unwrap())
        .collect()
}

async fn register_links_scores_and_appetite(app: TestApp) {
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    person(&api, "Olga Owner", "olga@example.org").await;
    let (s, crm) = api
        .post(
            "/api/v1/assets",
            json!({"name": "CRM", "kind": "saas_application"}),
        )
        .await;
    assert_eq!(s, 201, "{crm}");

    // Every problem at once, each named.
    let (s, p) = api
        .post(
            "/api/v1/risks",
            json!({"category": "weather", "owner": "nobody@example.org", "review_date": "soon",
                   "assets": ["no-such-asset"], "threats": ["T-NOPE"], "status": "accepted"}),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    let mut f = fields(&p);
    f.sort();
    assert_eq!(
        f,
        [
            "assets[0]",
            "category",
            "owner",
            "review_date",
            "status",
            "threats[0]",
            "title"
        ]
    );
    let (_, list) = api.get("/api/v1/risks").await;
    assert_eq!(list["items"], json!([]), "nothing was written");

    let (s, r) = api
        .post(
            "/api/v1/risks",
            json!({"title": "Ransomware stops the CRM", "category": "technology",
                   "owner": "OLGA@example.org", "assets": ["CRM"], "threats": ["t-ransomware", "T-PHISHING"],
                   "weaknesses": ["No offline backups"], "review_date": "2026-09-01"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["code"], "R-001");
    assert_eq!(r["owner"]["email"], "olga@example.org");
    assert_eq!(r["assets"][0]["label"], "CRM");
    assert_eq!(
        r["threats"][0]["label"],
        "T-PHISHING Phishing and credential theft"
    );
    assert_eq!(r["status"], "open");
    assert_eq!(r["treatment"], "undecided");
    let rid = r["id"].as_str().unwrap().to_string();

    // Scores on the default 5×5.
    let (s, a) = api
        .post(
            &format!("/api/v1/risks/{rid}/assessments"),
            json!({"kind": "inherent", "likelihood": 4, "impact": 5, "rationale": "no EDR"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["level_name"], "Very high");
    assert_eq!(a["likelihood_label"], "Likely");
    assert_eq!(a["impact_label"], "Severe");
    let (s, p) = api
        .post(
            &format!("/api/v1/risks/{rid}/assessments"),
            json!({"kind": "residual", "likelihood": 6, "impact": 0}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&p), ["kind", "likelihood", "impact"]);
    app.clock.advance(60);
    let (s, a) = api
        .post(
            &format!("/api/v1/risks/{rid}/assessments"),
            json!({"kind": "current", "likelihood": 3, "impact": 4}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["level_name"], "High");

    // Appetite: technology may carry Medium at most; the risk is above it.
    let (s, ap) = api
        .call(
            reqwest::Method::PUT,
            "/api/v1/risk-appetite/technology",
            Some(json!({"max_level": "medium"})),
        )
        .await;
    assert_eq!(s, 200, "{ap}");
    assert_eq!(ap["level_name"], "Medium");
    let (s, p) = api
        .call(
            reqwest::Method::PUT,
            "/api/v1/risk-appetite/technology",
            Some(json!({"max_level": "Tiny"})),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Low, Medium, High, Very high")
    );
    let (_, above) = api.get("/api/v1/risks?above_appetite=true").await;
    assert_eq!(above["items"][0]["code"], "R-001");
    assert_eq!(above["items"][0]["above_appetite"], true);

    // A custom 3-level matrix; scoring on it moves the risk there, the history keeps the 5×5 scores.
    let (_, builtins) = api.get("/api/v1/risk-matrices").await;
    assert_eq!(builtins.as_array().unwrap().len(), 3);
    let mut def = builtins[0]["definition"].clone();
    def["levels"][2]["colour"] = json!("red");
    def["grid"][2][2] = json!(0);
    let (s, p) = api
        .post(
            "/api/v1/risk-matrices",
            json!({"name": "Simple", "definition": def}),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(
        fields(&p),
        ["definition.levels[2].colour", "definition.grid[2][2]"]
    );
    let def = builtins[0]["definition"].clone();
    let (s, m) = api
        .post(
            "/api/v1/risk-matrices",
            json!({"name": "Simple", "definition": def}),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    let mid = m["id"].as_str().unwrap();
    app.clock.advance(60);
    let (s, a) = api
        .post(
            &format!("/api/v1/risks/{rid}/assessments"),
            json!({"kind": "current", "likelihood": 2, "impact": 2, "matrix_id": mid}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["level_name"], "Medium");
    let (_, r) = api.get(&format!("/api/v1/risks/{rid}")).await;
    assert_eq!(r["matrix_id"], mid);
    assert_eq!(r["current"]["matrix_name"], "Simple");
    assert_eq!(
        r["inherent"]["level_name"], "Very high",
        "the earlier score stays in force"
    );
    // Medium of 3 levels (½) is above Medium of 4 (⅓).
    assert_eq!(r["above_appetite"], true);
    let (_, h) = api.get(&format!("/api/v1/risks/{rid}/assessments")).await;
    let names: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["matrix_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Simple",
            "5×5 (ISO/IEC 27005 style)",
            "5×5 (ISO/IEC 27005 style)"
        ]
    );

    // A matrix in use keeps its grid; labels may change.
    let mut changed = def.clone();
    changed["grid"][2][0] = json!(2);
    let (s, p) = api
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/risk-matrices/{mid}"),
            Some(json!({"name": "Simple", "definition": changed})),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1 assessments")
    );
    let mut relabelled = def.clone();
    relabelled["levels"][0]["name"] = json!("Acceptable");
    let (s, _) = api
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/risk-matrices/{mid}"),
            Some(json!({"name": "Simple v2", "definition": relabelled})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = api.delete(&format!("/api/v1/risk-matrices/{mid}")).await;
    assert_eq!(s, 409, "in use");

    // Heat maps.
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/risks/heatmap?kind=inherent", app.url))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    let svg = res.text().await.unwrap();
    assert!(
        svg.contains("Likely × Severe: Very high, R-001 Ransomware stops the CRM"),
        "{svg}"
    );

    // Filters and text search.
    let (_, l) = api
        .get("/api/v1/risks?q=crm&category=technology&status=open")
        .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    let (s, _) = api.get("/api/v1/risks?status=maybe").await;
    assert_eq!(s, 422);

    // The audit trail has each change.
    let (_, audit) = api.get("/api/v1/audit-entries?limit=100").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "risk.create",
        "risk.assess",
        "risk.appetite.set",
        "risk.matrix.create",
        "risk.matrix.update",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}
both_backends!(register_links_scores_and_appetite);

async fn controls_threats_and_actions(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let (_, threats) = api.get("/api/v1/threats").await;
    assert_eq!(threats.as_array().unwrap().len(), 30);
    let builtin = threats[0]["id"].as_str().unwrap();
    let (s, _) = api.delete(&format!("/api/v1/threats/{builtin}")).await;
    assert_eq!(s, 409, "built-in threats are read-only");
    let (s, t) = api
        .post(
            "/api/v1/threats",
            json!({"name": "Lab fire", "category": "environmental", "tactics": ["ta0040", "x"]}),
        )
        .await;
    assert_eq!(s, 422, "{t}");
    assert_eq!(fields(&t), ["tactics[1]"]);
    let (s, t) = api
        .post(
            "/api/v1/threats",
            json!({"code": "t-lab-fire", "name": "Lab fire", "category": "environmental"}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["code"], "T-LAB-FIRE");

    let mk = |name: &str, requires: Vec<&str>| json!({"name": name, "status": "planned", "one_off_cost": 1000, "yearly_cost": 200, "requires": requires});
    let (s, edr) = api
        .post("/api/v1/controls", mk("EDR on every laptop", vec![]))
        .await;
    assert_eq!(s, 201, "{edr}");
    assert_eq!(edr["code"], "C-001");
    let (s, soc) = api
        .post("/api/v1/controls", mk("24/7 monitoring", vec!["C-001"]))
        .await;
    assert_eq!(s, 201, "{soc}");
    let (s, p) = api
        .patch(
            &format!("/api/v1/controls/{}", edr["id"].as_str().unwrap()),
            json!({"requires": ["C-002"]}),
        )
        .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(
        p["errors"][0]["message"],
        "would make a cycle: C-001 requires C-002 requires C-001"
    );
    let (s, p) = api
        .post(
            "/api/v1/controls",
            json!({"name": "X", "kind": "magic", "yearly_cost": -1}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&p), ["kind", "yearly_cost"]);

    let (_, r) = api
        .post(
            "/api/v1/risks",
            json!({"title": "Laptop malware", "category": "technology", "controls": ["C-001"]}),
        )
        .await;
    let rid = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["controls"][0]["label"], "C-001 EDR on every laptop");
    assert_eq!(r["controls"][0]["status"], "planned");
    let soc_id = soc["id"].as_str().unwrap();
    let (s, _) = api
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/risks/{rid}/controls/{soc_id}"),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (_, by_control) = api.get(&format!("/api/v1/risks?control_id={soc_id}")).await;
    assert_eq!(by_control["items"][0]["id"], rid.as_str());
    let (s, _) = api
        .delete(&format!("/api/v1/risks/{rid}/controls/{soc_id}"))
        .await;
    assert_eq!(s, 204);

    // The action plan.
    let (s, p) = api
        .post(
            &format!("/api/v1/risks/{rid}/actions"),
            json!({"due_date": "tomorrow"}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&p), ["title", "due_date"]);
    let (s, a) = api
        .post(
            &format!("/api/v1/risks/{rid}/actions"),
            json!({"title": "Roll out EDR", "due_date": "2026-04-30"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let (_, r) = api.get(&format!("/api/v1/risks/{rid}")).await;
    assert_eq!(r["open_actions"], 1);
    assert_eq!(r["next_action_due"], "2026-04-30");
    let (s, a) = api
        .patch(
            &format!("/api/v1/risk-actions/{}", a["id"].as_str().unwrap()),
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["done_at"], "2026-03-02T09:00:00.000000Z");
    let (_, r) = api.get(&format!("/api/v1/risks/{rid}")).await;
    assert_eq!(r["open_actions"], 0);

    // Removing a control removes its links.
    let (s, _) = api
        .delete(&format!("/api/v1/controls/{}", edr["id"].as_str().unwrap()))
        .await;
    assert_eq!(s, 204);
    let (_, r) = api.get(&format!("/api/v1/risks/{rid}")).await;
    assert_eq!(r["controls"], json!([]));
}
both_backends!(controls_threats_and_actions);

async fn acceptance_needs_the_right_approver_and_expires(app: TestApp) {
    let officer = app.api(&app.token_as("sam@example.org", Role::SecurityOfficer).await);
    let it = app.api(&app.token_for(Role::ItManager).await);
    person(&officer, "Sam Officer", "sam@example.org").await;
    person(&officer, "Olga Owner", "olga@example.org").await;
    let (_, r) = it
        .post(
            "/api/v1/risks",
            json!({"title": "Old ERP", "category": "technology", "owner": "sam@example.org"}),
        )
        .await;
    let rid = r["id"].as_str().unwrap().to_string();
    let body =
        json!({"justification": "Replaced next year; isolated network", "expires": "2026-06-30"});

    let (s, _) = it
        .post(&format!("/api/v1/risks/{rid}/acceptances"), body.clone())
        .await;
    assert_eq!(s, 403, "IT managers may not accept risks");
    let (s, p) = officer
        .post(&format!("/api/v1/risks/{rid}/acceptances"), body.clone())
        .await;
    assert_eq!(s, 422, "the owner may not approve their own risk: {p}");
    assert_eq!(fields(&p), ["approver"]);
    let (_, _) = it
        .patch(
            &format!("/api/v1/risks/{rid}"),
            json!({"owner": "olga@example.org"}),
        )
        .await;
    let (s, p) = officer
        .post(
            &format!("/api/v1/risks/{rid}/acceptances"),
            json!({"justification": "ok", "expires": "2028-01-01"}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(fields(&p), ["justification", "expires"]);
    let (s, a) = officer
        .post(&format!("/api/v1/risks/{rid}/acceptances"), body.clone())
        .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["approver"], "sam@example.org");
    assert_eq!(a["approver_role"], "security_officer");
    let (_, r) = it.get(&format!("/api/v1/risks/{rid}")).await;
    assert_eq!(r["status"], "accepted");
    assert_eq!(r["treatment"], "accept");
    assert_eq!(r["acceptance"]["expires"], "2026-06-30");
    let (s, p) = it
        .patch(&format!("/api/v1/risks/{rid}"), json!({"status": "open"}))
        .await;
    assert_eq!(s, 422, "{p}");

    // Nothing happens before the last day has passed.
    app.run_jobs().await;
    let mut tx = app.state.db.begin().await.unwrap();
    bulwark_app::risk::treatment::schedule_expiry(&mut tx, app.state.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await;
    let (_, r) = it.get(&format!("/api/v1/risks/{rid}")).await;
    assert_eq!(r["status"], "accepted");

    // The day after the expiry the job reopens the risk and mails the owner.
    let to = Timestamp::parse("2026-07-01T08:00:00Z").unwrap();
    app.clock.advance(to.unix() - app.state.clock.now().unix());
    // Tokens made at the start have expired by now.
    let it = app.api(&app.token_for(Role::ItManager).await);
    let officer = app.api(&app.token_for(Role::SecurityOfficer).await);
    let mut tx = app.state.db.begin().await.unwrap();
    bulwark_app::risk::treatment::schedule_expiry(&mut tx, app.state.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await;
    let (_, r) = it.get(&format!("/api/v1/risks/{rid}")).await;
    assert_eq!(r["status"], "open");
    assert_eq!(r["acceptance"], Value::Null);
    let (_, hist) = it.get(&format!("/api/v1/risks/{rid}/acceptances")).await;
    assert_eq!(hist[0]["status"], "expired");
    let m = mails(&app).await;
    let expired: Vec<&Mail> = m
        .iter()
        .filter(|m| m.subject.contains("acceptance expired"))
        .collect();
    assert_eq!(expired.len(), 1, "{m:?}");
    assert_eq!(expired[0].to, "olga@example.org");
    assert!(expired[0].body.contains("Replaced next year"));
    let (_, audit) = it.get("/api/v1/audit-entries?limit=50").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "risk.acceptance.expire")
    );

    // Withdrawal needs an acceptance in force.
    let (s, _) = officer
        .post(
            &format!("/api/v1/risks/{rid}/acceptances/withdrawal"),
            json!({}),
        )
        .await;
    assert_eq!(s, 409);
}
both_backends!(acceptance_needs_the_right_approver_and_expires);

async fn pages_show_the_register_and_change_it(app: TestApp) {
    let api = app.api(&app.token_as("sol@example.org", Role::SecurityOfficer).await);
    person(&api, "Olga Owner", "olga@example.org").await;
    let (c, csrf) = app.signed_in("sol@example.org").await;
    let get = |path: &str| {
        let req = c.get(format!("{}{path}", app.url));
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let post = |path: &str, form: Vec<(&str, &str)>| {
        let mut form: Vec<(String, String)> = form
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        form.push(("csrf_token".into(), csrf.clone()));
        let req = c.post(format!("{}{path}", app.url)).form(&form);
        async move {
            let r = req.send().await.unwrap();
            let to = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string())
                .unwrap_or_default();
            (r.status().as_u16(), to, r.text().await.unwrap())
        }
    };
    let (s, page) = get("/risk").await;
    assert_eq!(s, 200);
    assert!(
        page.contains("No risks match") && page.contains("<svg"),
        "{page}"
    );

    // A refused form comes back with the errors and what was typed.
    let (s, _, page) = post(
        "/risk/risks",
        vec![
            ("title", "Supplier breach"),
            ("category", ""),
            ("review_date", "later"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        page.contains("value=\"Supplier breach\"") && page.contains("must be a date"),
        "{page}"
    );
    let (s, to, _) = post(
        "/risk/risks",
        vec![
            ("title", "Supplier breach"),
            ("category", "third_party"),
            ("owner", "olga@example.org"),
            ("treatment", "transfer"),
            ("treatment_plan", "Cyber insurance policy 123"),
            ("weaknesses", "No supplier audits\nShared accounts"),
            ("threats", "T-SUPPLYCHAIN"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{to}");
    let rid = to
        .strip_prefix("/risk/risks/")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (s, to, _) = post(
        &format!("/risk/risks/{rid}/assessments"),
        vec![
            ("kind", "inherent"),
            ("likelihood", "5"),
            ("impact", "4"),
            ("rationale", "many suppliers"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{to}");
    let (s, _, page) = post(
        &format!("/risk/risks/{rid}/actions"),
        vec![("title", ""), ("due_date", "2026-04-01")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(page.contains("must not be empty"), "{page}");
    let (s, _, _) = post(
        &format!("/risk/risks/{rid}/actions"),
        vec![
            ("title", "Audit the top 5 suppliers"),
            ("due_date", "2026-02-01"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _, _) = post(
        &format!("/risk/risks/{rid}/acceptances"),
        vec![
            ("justification", "Insurance covers it fully"),
            ("expires", "2026-12-31"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (s, page) = get(&format!("/risk/risks/{rid}")).await;
    assert_eq!(s, 200);
    for want in [
        "R-001 Supplier breach",
        "Very high",
        "Almost certain × Major",
        "No supplier audits; Shared accounts",
        "Audit the top 5 suppliers",
        "overdue",
        "Accepted by sol@example.org until <strong>2026-12-31",
        "Cyber insurance policy 123",
    ] {
        assert!(page.contains(want), "{want} in {page}");
    }
    let (_, page) = get("/risk?category=third_party").await;
    assert!(
        page.contains("R-001 Supplier breach") && page.contains("action overdue"),
        "{page}"
    );
    assert!(page.contains("Almost certain × Major: Very high, R-001 Supplier breach"));

    // Controls, threats, matrices, appetite.
    let (s, to, _) = post(
        "/risk/controls",
        vec![
            ("name", "Supplier audits"),
            ("kind", "detective"),
            ("status", "planned"),
            ("one_off_cost", "12,000"),
            ("yearly_cost", "3000"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{to}");
    let (_, page) = get("/risk/controls").await;
    assert!(
        page.contains("C-001 Supplier audits") && page.contains("12000"),
        "{page}"
    );
    let (s, _, page) = post(
        "/risk/controls",
        vec![("name", "X"), ("one_off_cost", "lots")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(page.contains("must be a whole amount"), "{page}");
    let (s, _, _) = post(
        "/risk/threats",
        vec![
            ("name", "Lab fire"),
            ("category", "environmental"),
            ("tactics", ""),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (_, page) = get("/risk/threats").await;
    assert!(
        page.contains("T-LABFIRE") && page.contains("Ransomware"),
        "{page}"
    );
    let (s, _, _) = post(
        "/risk/matrices",
        vec![
            ("name", "Two by two"),
            ("likelihood", "Rare\nOften | monthly"),
            ("impact", "Small\nBig"),
            ("levels", "Fine #2e7d32\nBad #c62828"),
            ("grid", "1 2\n1 1"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (_, m) = api.get("/api/v1/risk-matrices").await;
    let two = m
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Two by two")
        .unwrap();
    assert_eq!(two["definition"]["grid"], json!([[0, 0], [0, 1]]));
    assert_eq!(two["definition"]["likelihood"][1]["description"], "monthly");
    let (s, _, page) = post(
        "/risk/matrices",
        vec![
            ("name", "Bad"),
            ("likelihood", "A"),
            ("impact", "B\nC"),
            ("levels", "X red"),
            ("grid", "1 x"),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(page.contains("level numbers"), "{page}");
    let (s, _, _) = post("/risk/appetite", vec![("appetite_third_party", "Medium")]).await;
    assert_eq!(s, 303);
    let (_, page) = get("/risk?above_appetite=true").await;
    assert!(page.contains("above appetite"), "{page}");
    let (_, page) = get("/risk/appetite").await;
    assert!(
        page.contains("<option value=\"Medium\" selected>"),
        "{page}"
    );

    // The IT manager sees no acceptance form; staff see nothing of the area.
    app.user("it@example.org", Role::ItManager, "a-long-enough-pw-1")
        .await;
    let (it, _) = app.signed_in("it@example.org").await;
    let page = it
        .get(format!("{}/risk/risks/{rid}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Approve the acceptance") && page.contains("Record the score"));
    app.user("st@example.org", Role::Staff, "a-long-enough-pw-1")
        .await;
    let (st, _) = app.signed_in("st@example.org").await;
    let r = st.get(format!("{}/risk", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 403);
}
both_backends!(pages_show_the_register_and_change_it);
