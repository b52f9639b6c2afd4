//! The demo's accounts on six systems, imported as the account files those systems export, with
//! the cases an auditor would find planted among them: orphaned accounts, leavers still enabled,
//! dormant accounts, privileged accounts without MFA, shared accounts and segregation-of-duties
//! conflicts; and the rules and exemption a security officer would have written.

use std::fmt::Write;

use bulwark_core::Timestamp;

use super::mix;
use super::people::Staff;
use crate::audit_log::Actor;
use crate::identity::accounts::{self, LinkChange};
use crate::identity::imports;
use crate::identity::rules::{self, NewExemption, SodRuleInput};
use crate::inventory::assets;
use crate::platform::db::Db;
use crate::platform::http::error::{AppError, AppResult};
use crate::settings::Settings;

/// One account line of an export.
struct Line {
    username: String,
    email: String,
    display: String,
    privileged: bool,
    mfa: bool,
    days_since_login: Option<u64>,
    groups: Vec<&'static str>,
    enabled: bool,
}

impl Line {
    fn of(s: &Staff, username: String, groups: Vec<&'static str>) -> Line {
        let r = mix(s.employee_id[1..].parse::<u64>().unwrap_or(7));
        Line {
            username,
            email: String::new(),
            display: s.name.clone(),
            privileged: false,
            mfa: true,
            days_since_login: Some(r % 20),
            groups,
            // Leavers are disabled, except the ones the demo plants.
            enabled: s.left.is_none(),
        }
    }
}

/// The account file of a system.
fn csv(now: Timestamp, lines: &[Line]) -> String {
    let mut out =
        String::from("username,email,display_name,privileged,mfa,last_login,groups,status\n");
    for l in lines {
        let login = l
            .days_since_login
            .map(|d| now.plus_seconds(-(d as i64) * 86_400 - 3_600).to_db())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{},\"{}\",{},{},{},{},{}",
            l.username,
            l.email,
            l.display,
            l.privileged,
            l.mfa,
            login,
            l.groups.join(";"),
            if l.enabled { "enabled" } else { "disabled" }
        );
    }
    out
}

fn in_dept<'a>(staff: &'a [Staff], departments: &[&str]) -> impl Iterator<Item = &'a Staff> {
    staff
        .iter()
        .filter(move |s| departments.contains(&s.department.as_str()))
}

fn by_email<'a>(staff: &'a [Staff], email: &str) -> &'a Staff {
    staff
        .iter()
        .find(|s| s.email == email)
        .expect("the demo names people on its roster")
}

/// The six systems' account files.
fn exports(now: Timestamp, staff: &[Staff]) -> Vec<(&'static str, String)> {
    let leavers: Vec<&Staff> = staff.iter().filter(|s| s.left.is_some()).collect();
    let fl = |s: &Staff| s.first_last();

    // Microsoft 365: everyone by email; two leavers never disabled; a shared mailbox; an account
    // of a contractor who is on no HR file; an administrator without MFA; some dormant.
    let mut m365: Vec<Line> = staff
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut l = Line::of(s, s.email.clone(), vec!["All staff"]);
            if s.department == "IT" && i < 2 {
                l.privileged = true;
                l.groups.push("Global Administrators");
            }
            if i % 37 == 11 {
                l.days_since_login = Some(70 + i as u64);
            }
            l
        })
        .collect();
    for l in m365.iter_mut().filter(|l| !l.enabled).take(2) {
        l.enabled = true;
    }
    if let Some(l) = m365
        .iter_mut()
        .find(|l| l.username == "rafael.okafor@northwind.example")
    {
        l.mfa = false;
    }
    for (username, display, groups) in [
        (
            "reception@northwind.example",
            "Reception",
            vec!["All staff"],
        ),
        (
            "j.doe.contractor@northwind.example",
            "J. Doe (contractor)",
            vec!["All staff"],
        ),
    ] {
        m365.push(Line {
            username: username.into(),
            email: String::new(),
            display: display.into(),
            privileged: false,
            mfa: false,
            days_since_login: Some(2),
            groups,
            enabled: true,
        });
    }

    // Active Directory: {f}{last} usernames; separate admin accounts; a service account.
    // Like a real directory, a username already taken gets a number (which the rules then
    // cannot match: the linking queue).
    let mut taken = std::collections::HashSet::new();
    let mut ad: Vec<Line> = staff
        .iter()
        .map(|s| {
            let (f, l) = fl(s);
            let base = format!("{}{l}", &f[..1]);
            let username = (1..)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        format!("{base}{n}")
                    }
                })
                .find(|u| taken.insert(u.clone()))
                .unwrap_or(base);
            let mut line = Line::of(s, username, vec!["Domain Users"]);
            line.groups.push(match s.department.as_str() {
                "Finance" => "GG-Finance",
                "IT" => "GG-IT",
                "Warehousing" | "Operations" | "Fleet" => "GG-Operations",
                _ => "GG-Office",
            });
            line
        })
        .collect();
    if let Some(l) = ad.iter_mut().find(|l| !l.enabled) {
        l.enabled = true;
    }
    for (username, display, mfa, days) in [
        ("adm-dwhitfield", "Dana Whitfield (admin)", true, Some(1)),
        ("adm-rokafor", "Rafael Okafor (admin)", false, Some(3)),
        ("svc-backup", "Backup service", false, Some(0)),
        (
            "adm-old-consultant",
            "Former consultant (admin)",
            false,
            Some(240),
        ),
    ] {
        ad.push(Line {
            username: username.into(),
            email: String::new(),
            display: display.into(),
            privileged: true,
            mfa,
            days_since_login: days,
            groups: vec!["Domain Admins"],
            enabled: true,
        });
    }

    // ERP: finance, operations and warehousing by first.last; one clerk who also maintains
    // vendors; one buyer who also approves; a shared administrator.
    let mut erp: Vec<Line> = in_dept(staff, &["Finance", "Operations", "Warehousing"])
        .enumerate()
        .filter(|(i, s)| s.department == "Finance" || i % 3 == 0)
        .map(|(i, s)| {
            let (f, l) = fl(s);
            let groups = match (s.department.as_str(), i % 4) {
                ("Finance", 0) => vec!["GL Accountant"],
                ("Finance", 1) => vec!["AP Clerk"],
                ("Finance", _) => vec!["Approver"],
                (_, 0) => vec!["Purchasing"],
                _ => vec!["Warehouse clerk"],
            };
            let mut line = Line::of(s, format!("{f}.{l}"), groups);
            if i % 9 == 4 {
                line.days_since_login = Some(90);
            }
            line
        })
        .collect();
    let samuel = by_email(staff, "samuel.adeyemi@northwind.example");
    let (f, l) = fl(samuel);
    erp.retain(|x| x.username != format!("{f}.{l}"));
    erp.push(Line::of(
        samuel,
        format!("{f}.{l}"),
        vec!["AP Clerk", "Vendor Master"],
    ));
    let mei = by_email(staff, "mei.chen@northwind.example");
    let (f, l) = fl(mei);
    erp.retain(|x| x.username != format!("{f}.{l}"));
    erp.push(Line::of(
        mei,
        format!("{f}.{l}"),
        vec!["Purchasing", "Approver"],
    ));
    if let Some(leaver) = leavers
        .iter()
        .find(|s| s.department == "Finance" || s.department == "Operations")
    {
        let (f, l) = fl(leaver);
        erp.retain(|x| x.username != format!("{f}.{l}"));
        let mut line = Line::of(leaver, format!("{f}.{l}"), vec!["Purchasing"]);
        line.enabled = true;
        erp.push(line);
    }
    erp.push(Line {
        username: "erp-admin".into(),
        email: String::new(),
        display: "ERP administrator".into(),
        privileged: true,
        mfa: false,
        days_since_login: Some(5),
        groups: vec!["System Administrator"],
        enabled: true,
    });

    // Salesforce: sales and customer service by email, an integration user, some dormant.
    let mut crm: Vec<Line> = in_dept(staff, &["Sales", "Customer Service"])
        .enumerate()
        .map(|(i, s)| {
            let mut line = Line::of(
                s,
                s.email.clone(),
                vec![if s.department == "Sales" {
                    "Sales User"
                } else {
                    "Service User"
                }],
            );
            if i % 6 == 2 {
                line.days_since_login = Some(60 + 10 * i as u64);
            }
            line
        })
        .collect();
    crm.push(Line {
        username: "integration.user@northwind.example".into(),
        email: String::new(),
        display: "Integration user".into(),
        privileged: true,
        mfa: false,
        days_since_login: Some(0),
        groups: vec!["System Administrator"],
        enabled: true,
    });

    // GitHub: IT by handle (so the rules cannot link them: the queue), owners need MFA.
    let mut github: Vec<Line> = in_dept(staff, &["IT", "Information Security"])
        .enumerate()
        .map(|(i, s)| {
            let (f, l) = fl(s);
            let mut line = Line::of(s, format!("{f}-{l}-nw"), vec!["Developers"]);
            // Half give their work email; the others wait in the linking queue.
            if i % 2 == 0 {
                line.email = s.email.clone();
            }
            if i < 2 {
                line.privileged = true;
                line.groups = vec!["Owners"];
                line.mfa = i == 0;
            }
            line
        })
        .collect();
    github.push(Line {
        username: "northwind-deploy-bot".into(),
        email: String::new(),
        display: "Deploy bot".into(),
        privileged: false,
        mfa: false,
        days_since_login: Some(0),
        groups: vec!["Developers"],
        enabled: true,
    });

    // Bank portal: payment approvers, one of whom also maintains ERP vendors; a shared login.
    let mut bank: Vec<Line> = [
        "sofia.garcia@northwind.example",
        "samuel.adeyemi@northwind.example",
    ]
    .iter()
    .map(|e| {
        let s = by_email(staff, e);
        let mut l = Line::of(s, s.email.clone(), vec!["Payment Approver"]);
        l.privileged = true;
        l
    })
    .collect();
    bank.push(Line {
        username: "treasury".into(),
        email: String::new(),
        display: "Treasury desk".into(),
        privileged: false,
        mfa: true,
        days_since_login: Some(4),
        groups: vec!["Payment Preparer"],
        enabled: true,
    });

    [
        ("Microsoft 365", m365),
        ("Active Directory", ad),
        ("ERP", erp),
        ("Salesforce", crm),
        ("GitHub", github),
        ("Bank portal", bank),
    ]
    .into_iter()
    .map(|(system, lines)| (system, csv(now, &lines)))
    .collect()
}

fn failed(what: &str, e: AppError) -> anyhow::Error {
    anyhow::anyhow!("demo {what}: {}", e.detail())
}

/// Imports the accounts of the six systems, marks the service and shared accounts, and adds the
/// segregation-of-duties rules and one exemption.
pub async fn load(
    db: &Db,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    staff: &[Staff],
) -> anyhow::Result<()> {
    for (system, file) in exports(now, staff) {
        let id = assets::by_name(&mut db.read().await?.h(), system)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo system {system} is missing"))?
            .id;
        let name = format!("{}-accounts.csv", system.to_lowercase().replace(' ', "-"));
        imports::import_accounts_csv(
            db,
            now,
            actor,
            settings,
            &id,
            name,
            std::io::Cursor::new(file),
        )
        .await
        .map_err(|e| failed(system, e))?;
    }
    let mut tx = db.begin().await?;
    let marks: AppResult<()> = async {
        for (system, username, kind, owner) in [
            ("Active Directory", "svc-backup", "service", Some("rafael.okafor@northwind.example")),
            ("Salesforce", "integration.user@northwind.example", "service", Some("marcus.lindqvist@northwind.example")),
            ("GitHub", "northwind-deploy-bot", "service", Some("marcus.lindqvist@northwind.example")),
            ("Microsoft 365", "reception@northwind.example", "shared", None),
            ("ERP", "erp-admin", "shared", None),
            ("Bank portal", "treasury", "shared", None),
            ("Active Directory", "adm-dwhitfield", "human", Some(super::ADMIN_EMAIL)),
        ] {
            let sys = assets::by_name(&mut tx.h(), system).await?.ok_or(AppError::NotFound)?;
            let account = accounts::by_username(&mut tx.h(), &sys.id, username)
                .await?
                .ok_or(AppError::NotFound)?;
            let person_id = match owner {
                Some(e) => crate::identity::people::by_email(&mut tx.h(), e).await?.map(|p| p.id),
                None => None,
            };
            let change = LinkChange {
                person_id,
                kind: Some(kind.into()),
            };
            accounts::set_link(&mut tx, now, actor, settings, &account.id, &change).await?;
        }
        for (name, s1, g1, s2, g2) in [
            ("Vendor master vs payment approval", "ERP", "Vendor Master", "Bank portal", "Payment Approver"),
            ("Raise and approve purchases", "ERP", "Purchasing", "ERP", "Approver"),
        ] {
            let r = SodRuleInput {
                name: name.into(),
                first_system: Some(s1.into()),
                first_group: g1.into(),
                second_system: Some(s2.into()),
                second_group: g2.into(),
            };
            rules::save_sod_rule(&mut tx, now, actor, settings, None, &r).await?;
        }
        let ad = assets::by_name(&mut tx.h(), "Active Directory").await?.ok_or(AppError::NotFound)?;
        let svc = accounts::by_username(&mut tx.h(), &ad.id, "svc-backup")
            .await?
            .ok_or(AppError::NotFound)?;
        let until = now.datetime().date_naive() + chrono::Days::new(90);
        rules::add_exemption(
            &mut tx,
            now,
            actor,
            settings,
            &NewExemption {
                account_id: svc.id,
                kind: "privileged_without_mfa".into(),
                reason: "Service account: interactive sign-in is denied by group policy; the password is 40 random characters in the vault.".into(),
                expires: until.to_string(),
            },
        )
        .await?;
        Ok(())
    }
    .await;
    marks.map_err(|e| failed("links and rules", e))?;
    tx.commit().await?;
    Ok(())
}
