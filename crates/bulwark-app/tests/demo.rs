//! The demo organisation: loads people in every role, audited, once.

mod common;

use bulwark_app::access::{password, users};
use bulwark_app::audit_log::store;
use bulwark_app::demo;
use bulwark_app::platform::db::Db;
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
