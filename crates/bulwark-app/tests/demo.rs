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
    assert_eq!(v.entries_checked, demo::PEOPLE.len() as u64 + 1);
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
