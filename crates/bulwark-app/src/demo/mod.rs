//! The demo organisation: a fictional company with people in every role.
//!
//! Northwind Logistics is a freight forwarder. [`PEOPLE`] is its roster of Bulwark accounts;
//! its HR file ([`people`]) adds the rest of its 150 staff, its inventory ([`inventory`]) has
//! over 200 assets with their dependencies, and six of its systems carry accounts ([`identity`])
//! with the problems an auditor would find, and its risk register ([`risks`]) has forty risks
//! with controls, plans, appetite and an acceptance about to end; six of them are quantified
//! ([`risk_quant`]) and a portfolio and an investment simulation are queued. Everything goes
//! through the same importers, store functions and checks as real data. Later areas hang their
//! demo records off the same people by email.

mod identity;
mod inventory;
pub mod people;
mod reviews;
pub mod risk_quant;
pub mod risks;

use bulwark_core::Role;
use bulwark_core::validate::Email;

use crate::access::{password, users};
use crate::app::AppState;
use crate::audit_log::Actor;
use crate::settings::{self, SettingsPatch};

/// The demo administrator's email.
pub const ADMIN_EMAIL: &str = "admin@northwind.example";
/// The password of every demo account.
pub const PASSWORD: &str = "demo-password-2026";
/// The demo organisation's name.
pub const ORGANISATION_NAME: &str = "Northwind Logistics";

/// One person of the demo organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// Full name, as stored on the account.
    pub name: &'static str,
    /// Sign-in email, @northwind.example.
    pub email: &'static str,
    /// Bulwark role.
    pub role: Role,
    /// Job title (not stored yet).
    pub title: &'static str,
    /// Department (not stored yet).
    pub department: &'static str,
}

const fn p(
    name: &'static str,
    email: &'static str,
    role: Role,
    title: &'static str,
    department: &'static str,
) -> Person {
    Person {
        name,
        email,
        role,
        title,
        department,
    }
}

/// Everyone with an account in the demo, most privileged roles first.
pub const PEOPLE: &[Person] = &[
    // Administrators.
    p(
        "Dana Whitfield",
        ADMIN_EMAIL,
        Role::Administrator,
        "Systems Administrator",
        "IT",
    ),
    p(
        "Rafael Okafor",
        "rafael.okafor@northwind.example",
        Role::Administrator,
        "Infrastructure Lead",
        "IT",
    ),
    // Security and IT.
    p(
        "Priya Raman",
        "priya.raman@northwind.example",
        Role::SecurityOfficer,
        "Information Security Officer",
        "Information Security",
    ),
    p(
        "Marcus Lindqvist",
        "marcus.lindqvist@northwind.example",
        Role::ItManager,
        "Head of IT",
        "IT",
    ),
    // Auditors: one internal, one from the external audit firm.
    p(
        "Helen Carter",
        "helen.carter@northwind.example",
        Role::Auditor,
        "Internal Audit Lead",
        "Internal Audit",
    ),
    p(
        "Tomasz Nowak",
        "ext.tomasz.nowak@northwind.example",
        Role::Auditor,
        "External Auditor, Halden & Reeve LLP",
        "External",
    ),
    // Leadership.
    p(
        "Catherine Mbeki",
        "catherine.mbeki@northwind.example",
        Role::Leadership,
        "Chief Executive Officer",
        "Executive",
    ),
    p(
        "Jonathan Price",
        "jonathan.price@northwind.example",
        Role::Leadership,
        "Chief Financial Officer",
        "Executive",
    ),
    p(
        "Aisha Rahman",
        "aisha.rahman@northwind.example",
        Role::Leadership,
        "Chief Operating Officer",
        "Executive",
    ),
    // Staff.
    p(
        "Elena Petrova",
        "elena.petrova@northwind.example",
        Role::Staff,
        "Licensed Customs Broker",
        "Customs & Compliance",
    ),
    p(
        "James O'Connor",
        "james.oconnor@northwind.example",
        Role::Staff,
        "Road Freight Dispatcher",
        "Operations",
    ),
    p(
        "Mei Chen",
        "mei.chen@northwind.example",
        Role::Staff,
        "Air Freight Coordinator",
        "Operations",
    ),
    p(
        "Lucas Moreau",
        "lucas.moreau@northwind.example",
        Role::Staff,
        "Ocean Freight Specialist",
        "Operations",
    ),
    p(
        "Kwame Asante",
        "kwame.asante@northwind.example",
        Role::Staff,
        "Warehouse Supervisor",
        "Warehousing",
    ),
    p(
        "Noah Williams",
        "noah.williams@northwind.example",
        Role::Staff,
        "Warehouse Operative",
        "Warehousing",
    ),
    p(
        "Hannah Schmidt",
        "hannah.schmidt@northwind.example",
        Role::Staff,
        "Fleet Coordinator",
        "Fleet",
    ),
    p(
        "Sofia García",
        "sofia.garcia@northwind.example",
        Role::Staff,
        "Accounts Payable Specialist",
        "Finance",
    ),
    p(
        "Samuel Adeyemi",
        "samuel.adeyemi@northwind.example",
        Role::Staff,
        "Procurement Officer",
        "Finance",
    ),
    p(
        "Grace Kim",
        "grace.kim@northwind.example",
        Role::Staff,
        "Payroll Specialist",
        "Human Resources",
    ),
    p(
        "Fatima Al-Sayed",
        "fatima.alsayed@northwind.example",
        Role::Staff,
        "HR Business Partner",
        "Human Resources",
    ),
    p(
        "Daniel Fischer",
        "daniel.fischer@northwind.example",
        Role::Staff,
        "Key Account Manager",
        "Sales",
    ),
    p(
        "Isabella Rossi",
        "isabella.rossi@northwind.example",
        Role::Staff,
        "Marketing Coordinator",
        "Sales",
    ),
    p(
        "Oliver Bennett",
        "oliver.bennett@northwind.example",
        Role::Staff,
        "Customer Service Agent",
        "Customer Service",
    ),
    p(
        "Arjun Mehta",
        "arjun.mehta@northwind.example",
        Role::Staff,
        "Service Desk Analyst",
        "IT",
    ),
    p(
        "Chloe Dubois",
        "chloe.dubois@northwind.example",
        Role::Staff,
        "Legal Counsel",
        "Legal",
    ),
];

/// Loads the demo organisation into an empty database; does nothing when accounts exist.
///
/// Everything is written in one transaction as the system actor, through the same functions
/// the API uses, so each account and the settings change land in the audit trail, and a failed
/// load leaves nothing behind. A second `--demo` start finds accounts and changes nothing.
///
/// The demo turns off the MFA requirement (`mfa_required_roles` is emptied): a newcomer trying
/// Bulwark signs in with the printed password and no authenticator app. The production
/// default, administrators must use MFA, is untouched for installations started without
/// `--demo`, and an administrator can turn it back on in the settings.
pub async fn load(app: &AppState) -> anyhow::Result<()> {
    if users::count(&app.db).await? > 0 {
        tracing::info!("accounts exist; the demo organisation is not loaded");
        return Ok(());
    }
    // One hash for everyone: argon2 takes tens of milliseconds per password.
    let hash = password::hash(PASSWORD.to_string()).await?;
    let before = settings::load(&app.db).await?;
    let now = app.clock.now();
    let actor = Actor::system();
    let mut tx = app.db.begin().await?;
    settings::update(
        &mut tx,
        now,
        &actor,
        &before,
        &SettingsPatch {
            organisation_name: Some(ORGANISATION_NAME.into()),
            mfa_required_roles: Some(Vec::new()),
            ..SettingsPatch::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo settings: {}", e.detail()))?;
    for person in PEOPLE {
        let email = Email::parse("email", person.email)?;
        users::create(
            &mut tx,
            now,
            &actor,
            &email,
            person.name,
            person.role,
            hash.clone(),
            false,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo account {}: {}", person.email, e.detail()))?;
    }
    tx.commit().await?;
    app.settings.invalidate();

    let settings = settings::load(&app.db).await?;
    let staff = people::staff(now.datetime().date_naive());
    let hr = people::hr_csv(&staff);
    crate::identity::imports::import_people(
        &app.db,
        now,
        &actor,
        &settings,
        "northwind-hr.csv".into(),
        std::io::Cursor::new(hr.into_bytes()),
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo people: {}", e.detail()))?;
    let mut tx = app.db.begin().await?;
    let assets = inventory::load(&mut tx, now, &actor)
        .await
        .map_err(|e| anyhow::anyhow!("demo inventory: {}", e.detail()))?;
    tx.commit().await?;
    identity::load(&app.db, now, &actor, &settings, &staff).await?;
    reviews::load(&app.db, now, &actor, &app.config.public_url).await?;
    risks::load(&app.db, now, &actor).await?;
    risk_quant::load(app, now, &actor).await?;
    tracing::info!(
        accounts = PEOPLE.len(),
        people = staff.len(),
        assets,
        organisation = ORGANISATION_NAME,
        "demo organisation loaded"
    );
    Ok(())
}

/// A deterministic scramble (SplitMix64), so that the demo is the same every time.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_is_consistent() {
        let mut emails: Vec<&str> = PEOPLE.iter().map(|p| p.email).collect();
        emails.sort_unstable();
        emails.dedup();
        assert_eq!(emails.len(), PEOPLE.len(), "duplicate email");
        for p in PEOPLE {
            let e = Email::parse("email", p.email).unwrap();
            assert_eq!(e.as_str(), p.email, "emails are stored normalised");
            assert!(p.email.ends_with("@northwind.example"));
            bulwark_core::validate::label("name", p.name, 200).unwrap();
        }
        for r in Role::ALL {
            assert!(PEOPLE.iter().any(|p| p.role == r), "nobody is {r:?}");
        }
        assert!(
            PEOPLE
                .iter()
                .any(|p| p.email == ADMIN_EMAIL && p.role == Role::Administrator)
        );
        bulwark_core::validate::new_password("password", PASSWORD, None).unwrap();
    }
}
