//! The demo organisation: loads people in every role, audited, once.

mod common;

use bulwark_app::access::{password, users};
use bulwark_app::audit_log::store;
use bulwark_app::demo;
use bulwark_app::platform::db::Db;
use bulwark_app::platform::jobs;
use bulwark_core::Role;
use common::TestApp;

/// Every account, in email order.
async fn all_users(db: &Db) -> Vec<users::User> {
    users::list(
        db,
        &users::UserFilter::default(),
        users::UserSort::Email,
        None,
        500,
    )
    .await
    .unwrap()
}

async fn loads_once_in_every_role(app: TestApp) {
    let s = &app.state;
    demo::load(s).await.unwrap();

    let accounts = all_users(&s.db).await;
    assert_eq!(accounts.len(), demo::PEOPLE.len());
    assert!((20..=30).contains(&accounts.len()), "{}", accounts.len());
    for role in Role::ALL {
        assert!(
            accounts.iter().any(|u| u.role == role),
            "no demo account is {role:?}"
        );
    }
    let admins = accounts
        .iter()
        .filter(|u| u.role == Role::Administrator)
        .count();
    assert!((1..=2).contains(&admins), "{admins} administrators");
    assert_eq!(
        accounts
            .iter()
            .filter(|u| u.role == Role::Leadership)
            .count(),
        3
    );
    assert_eq!(
        accounts.iter().filter(|u| u.role == Role::Auditor).count(),
        2
    );
    for u in &accounts {
        assert!(u.email.ends_with("@northwind.example"), "{}", u.email);
        assert_eq!(u.status, users::STATUS_ACTIVE);
        assert!(!u.must_change_password, "{}", u.email);
        assert!(!u.mfa_enabled, "{}", u.email);
    }

    // The administrator signs in with the printed password, without an authenticator.
    let admin = users::by_email(&mut s.db.read().await.unwrap().h(), demo::ADMIN_EMAIL)
        .await
        .unwrap()
        .expect("demo administrator");
    assert_eq!(admin.role, Role::Administrator.as_str());
    assert!(password::verify(demo::PASSWORD.into(), admin.password_hash.clone()).await);
    let settings = bulwark_app::settings::load(&s.db).await.unwrap();
    assert_eq!(settings.organisation_name, demo::ORGANISATION_NAME);
    assert!(settings.mfa_required_roles.is_empty());

    // Every creation and the settings change are in an intact audit trail.
    let v = store::verify(&s.db).await.unwrap();
    assert!(v.intact, "{v:?}");
    assert!(v.entries_checked > demo::PEOPLE.len() as u64 + 200);
    let created = store::list(
        &s.db,
        &store::Filter {
            action: Some("user.create".into()),
            ..Default::default()
        },
        None,
        500,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(created.len(), demo::PEOPLE.len());
    assert!(created.iter().all(|e| e.actor == "system"));

    // A second load (a second `serve --demo` on the same data) changes nothing.
    app.clock.advance(60);
    demo::load(s).await.unwrap();
    assert_eq!(all_users(&s.db).await, accounts);
    let again = store::verify(&s.db).await.unwrap();
    assert_eq!(again.entries_checked, v.entries_checked);
    assert_eq!(again.head_hash, v.head_hash);
}
both_backends!(loads_once_in_every_role);

/// The demo inventory and identity data, read back through the API.
async fn inventory_identity_and_a_review_under_way(app: TestApp) {
    demo::load(&app.state).await.unwrap();
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    let count = |v: &serde_json::Value| v["items"].as_array().unwrap().len();
    let (_, people) = api.get("/api/v1/people?limit=500").await;
    assert_eq!(count(&people), 150);
    let (_, leavers) = api.get("/api/v1/people?status=leaver&limit=500").await;
    assert!((8..=15).contains(&count(&leavers)), "{}", count(&leavers));
    let (_, assets) = api.get("/api/v1/assets?limit=500").await;
    assert!(count(&assets) >= 200, "{}", count(&assets));
    let (_, erp) = api.get("/api/v1/assets?q=ERP&kind=business_service").await;
    let erp_id = erp["items"][0]["id"].as_str().unwrap();
    let (_, g) = api
        .get(&format!("/api/v1/assets/{erp_id}/dependency-graph?depth=3"))
        .await;
    assert!(g["edges"].as_array().unwrap().len() >= 3, "{g}");
    let (_, devices) = api.get("/api/v1/device-check").await;
    assert!(devices.as_array().unwrap().len() >= 3, "{devices}");

    // Six systems with accounts, and every kind of finding planted among them.
    let (_, accounts) = api.get("/api/v1/accounts?limit=500").await;
    let mut systems: Vec<&str> = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["system_name"].as_str().unwrap())
        .collect();
    systems.sort();
    systems.dedup();
    assert_eq!(systems.len(), 6, "{systems:?}");
    for kind in [
        "orphaned",
        "leaver_enabled",
        "dormant",
        "privileged_without_mfa",
        "shared_account",
        "sod_conflict",
    ] {
        let (_, f) = api
            .get(&format!("/api/v1/identity/findings?kind={kind}"))
            .await;
        assert!(count(&f) >= 1, "no {kind} finding");
    }
    let (_, sod) = api.get("/api/v1/identity/findings?kind=sod_conflict").await;
    assert!(count(&sod) >= 2, "{sod}");
    let (_, queue) = api.get("/api/v1/accounts?unlinked=true").await;
    assert!(count(&queue) >= 2, "{queue}");
    let (_, ex) = api.get("/api/v1/identity/exemptions").await;
    assert_eq!(ex.as_array().unwrap().len(), 1);

    // One campaign under way: some decided, a revocation to carry out.
    let (_, campaigns) = api.get("/api/v1/access-reviews").await;
    let c = &campaigns["items"][0];
    assert_eq!(c["status"], "active", "{campaigns}");
    let (_, progress) = api
        .get(&format!(
            "/api/v1/access-reviews/{}/progress",
            c["id"].as_str().unwrap()
        ))
        .await;
    let p = progress.to_string();
    assert!(p.contains("pending") && p.contains("decided"), "{p}");
    let (_, tasks) = api.get("/api/v1/access-review-tasks").await;
    assert!(count(&tasks) >= 1, "{tasks}");

    // The demo's users sign in as the people of the register.
    let (_, sofia) = api.get("/api/v1/people?q=sofia.garcia").await;
    assert_eq!(sofia["items"][0]["department"], "Finance");
}
both_backends!(inventory_identity_and_a_review_under_way);

async fn not_loaded_over_existing_accounts(app: TestApp) {
    app.user(
        "someone@example.org",
        Role::Administrator,
        "correct horse battery",
    )
    .await;
    demo::load(&app.state).await.unwrap();
    let accounts = all_users(&app.state.db).await;
    assert_eq!(accounts.len(), 1);
    let settings = bulwark_app::settings::load(&app.state.db).await.unwrap();
    assert_ne!(settings.organisation_name, demo::ORGANISATION_NAME);
    assert_eq!(settings.mfa_required_roles, [Role::Administrator]);
}
both_backends!(not_loaded_over_existing_accounts);

/// The demo's risk register: forty risks with history, controls, plans, appetite, an
/// acceptance about to end, and the leadership report over them.
async fn risk_register_with_history(app: TestApp) {
    demo::load(&app.state).await.unwrap();
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    let (_, all) = api.get("/api/v1/risks?limit=500").await;
    let risks = all["items"].as_array().unwrap();
    assert_eq!(risks.len(), 40);
    let count = |f: &dyn Fn(&serde_json::Value) -> bool| risks.iter().filter(|r| f(r)).count();
    assert_eq!(count(&|r| r["status"] == "closed"), 2);
    assert!(
        count(&|r| r["owner"]["email"].is_string()) == 40,
        "every risk has an owner"
    );
    assert!(
        count(&|r| r["inherent"].is_object()) == 40,
        "every risk is scored"
    );
    assert!(count(&|r| r["target"].is_object()) >= 15);
    assert!(count(&|r| !r["assets"].as_array().unwrap().is_empty()) >= 30);
    assert!(count(&|r| !r["threats"].as_array().unwrap().is_empty()) >= 30);
    assert!(count(&|r| !r["weaknesses"].as_array().unwrap().is_empty()) >= 15);
    assert_eq!(
        count(&|r| r["current"]["matrix_name"] == "4×4"),
        1,
        "one risk on the 4×4"
    );
    let mut categories: Vec<&str> = risks
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    categories.sort();
    categories.dedup();
    assert!(categories.len() >= 8, "{categories:?}");

    // A handful above the appetite set for five categories.
    let (_, appetite) = api.get("/api/v1/risk-appetite").await;
    assert_eq!(appetite.as_array().unwrap().len(), 5);
    let above = count(&|r| r["above_appetite"] == true && r["status"] != "closed");
    assert!((4..=8).contains(&above), "{above} above appetite");

    // One acceptance, by the security officer, ending two weeks after the demo's now.
    let accepted: Vec<&serde_json::Value> =
        risks.iter().filter(|r| r["status"] == "accepted").collect();
    assert_eq!(accepted.len(), 1);
    let a = &accepted[0];
    assert_eq!(a["code"], demo::risks::ACCEPTED);
    assert_eq!(a["acceptance"]["expires"], "2026-03-16");
    assert_eq!(a["acceptance"]["approver"], "priya.raman@northwind.example");
    assert_eq!(a["acceptance"]["approver_role"], "security_officer");
    assert_ne!(a["owner"]["email"], "priya.raman@northwind.example");

    // Twelve controls, some planned with costs, some needing another first; overdue actions.
    let (_, controls) = api.get("/api/v1/controls").await;
    let controls = controls.as_array().unwrap();
    assert_eq!(controls.len(), 12);
    assert!(
        controls
            .iter()
            .filter(|c| c["status"] == "planned" && c["one_off_cost"].as_i64() > Some(0))
            .count()
            >= 3
    );
    assert!(
        controls
            .iter()
            .any(|c| !c["requires"].as_array().unwrap().is_empty())
    );
    assert!(controls.iter().any(|c| c["status"] == "implemented"));
    let overdue = count(&|r| {
        r["next_action_due"]
            .as_str()
            .is_some_and(|d| d < "2026-03-02")
    });
    assert!(overdue >= 3, "{overdue} risks with overdue actions");

    // Six risks are quantified; the queued portfolio and investment simulations run to the end.
    let mut quantified = 0;
    for r in risks.iter() {
        let (s, q) = api
            .get(&format!(
                "/api/v1/risks/{}/quantification",
                r["id"].as_str().unwrap()
            ))
            .await;
        if s == 200 {
            assert!(q["mean_annual_loss"].as_f64().unwrap() > 0.0, "{q}");
            quantified += 1;
        }
    }
    assert_eq!(quantified, 6);
    let h = jobs::handlers();
    while jobs::run_once(&app.state, "background", &h).await.unwrap() {}
    let (_, runs) = api.get("/api/v1/risk-simulations").await;
    let runs = runs["items"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r["status"] == "done"), "{runs:?}");
    let investment = runs.iter().find(|r| r["scope"] == "investment").unwrap();
    let (_, investment) = api
        .get(&format!(
            "/api/v1/risk-simulations/{}",
            investment["id"].as_str().unwrap()
        ))
        .await;
    let plan = &investment["result"]["funding"];
    assert!(!plan["steps"].as_array().unwrap().is_empty(), "{plan}");
    assert!(
        plan["annual_cost"].as_f64().unwrap() <= demo::risk_quant::BUDGET as f64,
        "{plan}"
    );

    // The history gives the leadership report a trend.
    let r = bulwark_app::risk::report::gather(
        &mut app.state.db.read().await.unwrap().h(),
        app.state.clock.now(),
        demo::ORGANISATION_NAME,
    )
    .await
    .unwrap();
    assert_eq!((r.trend.opened, r.trend.closed), (5, 2), "{:?}", r.trend);
    assert!(r.trend.worse >= 3 && r.trend.better >= 1, "{:?}", r.trend);
    assert_eq!(r.top.len(), 10);
    assert!(r.top[0].above_appetite, "{:?}", r.top[0]);
    assert!(r.initiatives.len() >= 5);
    assert!(r.summary.contains("R-011"), "{}", r.summary);
    let leader = app.api(&app.token_for(Role::Leadership).await);
    let res = leader
        .client
        .get(format!("{}/api/v1/reports/risk.pdf", app.url))
        .bearer_auth(&leader.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let pdf = res.bytes().await.unwrap();
    let pdf = String::from_utf8_lossy(&pdf);
    assert!(pdf.contains("(Risk report: Northwind Logistics) Tj"));
    // The heat maps, and what the simulations say in words.
    assert!(pdf.contains("(Without controls) Tj") && pdf.contains("(Impact: 1 "));
    assert!(pdf.contains("(What the risks may cost) Tj"), "costs");
    assert!(pdf.contains("(What to fund next) Tj"), "funding");
    let q = r
        .quantified
        .as_ref()
        .expect("the simulations are in the report");
    let costs = q.costs_paragraph();
    assert!(
        costs.contains("of the 6 risks with cost estimates"),
        "{costs}"
    );
    assert!(costs.contains("risk tolerance"), "{costs}");
    assert!(
        q.funding_lines()[0]
            .starts_with("Spending 34,667 EUR a year on Immutable offline backups and"),
        "{:?}",
        q.funding_lines()
    );
}
both_backends!(risk_register_with_history);
