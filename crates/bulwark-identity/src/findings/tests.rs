use chrono::{NaiveDate, TimeZone, Utc};

use super::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const TODAY: &str = "2026-11-23";

fn person(id: &'static str, name: &'static str, leave_date: Option<&str>) -> PersonFact<'static> {
    PersonFact {
        id,
        name,
        status: if leave_date.is_some() {
            PersonStatus::Leaver
        } else {
            PersonStatus::Active
        },
        leave_date: leave_date.map(day),
        manager: None,
    }
}

/// An enabled human account on system 0, used yesterday, with MFA.
fn account(id: &'static str, username: &'static str, person: Option<u32>) -> AccountFact<'static> {
    AccountFact {
        id,
        system: 0,
        username,
        person,
        kind: AccountKind::Human,
        enabled: true,
        privileged: false,
        mfa: true,
        last_login: Some(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()),
        first_seen: day("2026-01-01"),
        groups: &[],
    }
}

/// Each finding's kind and days, in order.
type Kinds = Vec<(FindingKind, Option<i64>)>;

struct World {
    people: Vec<PersonFact<'static>>,
    systems: Vec<SystemFact<'static>>,
    accounts: Vec<AccountFact<'static>>,
    exemptions: Vec<Exemption<'static>>,
    rules: Vec<SodRule<'static>>,
}

impl World {
    fn new(accounts: Vec<AccountFact<'static>>) -> Self {
        let mut alice = person("p-alice", "Alice Smith", Some("2026-09-30"));
        alice.manager = Some(2);
        World {
            people: vec![
                alice,
                person("p-bob", "Bob Jones", None),
                person("p-carol", "Carol King", None),
            ],
            systems: vec![
                SystemFact {
                    id: "s-crm",
                    name: "CRM",
                },
                SystemFact {
                    id: "s-erp",
                    name: "ERP",
                },
            ],
            accounts,
            exemptions: Vec::new(),
            rules: Vec::new(),
        }
    }

    fn evaluate(&self) -> Evaluation {
        evaluate(&Facts {
            people: &self.people,
            systems: &self.systems,
            accounts: &self.accounts,
            exemptions: &self.exemptions,
            sod_rules: &self.rules,
            policy: Policy::default(),
            today: day(TODAY),
        })
    }

    fn kinds(&self) -> Kinds {
        self.evaluate()
            .findings
            .iter()
            .map(|f| (f.kind, f.days))
            .collect()
    }
}

#[test]
fn leaver_with_an_enabled_account() {
    let w = World::new(vec![account("a1", "alice.smith", Some(0))]);
    let f = &w.evaluate().findings[0];
    assert_eq!(
        (f.kind, f.days, f.key.as_str()),
        (FindingKind::LeaverEnabled, Some(54), "leaver_enabled:a1")
    );
    assert_eq!(
        f.explanation,
        "alice.smith on CRM belongs to Alice Smith, who left on 2026-09-30 (54 days ago), and can still sign in."
    );
    assert_eq!(
        f.suggested_action,
        "Disable the account today and check what it did since Alice Smith left. Carol King (Alice Smith's manager) can say whether anything on it must be handed over."
    );
    assert_eq!((f.person, f.accounts.as_slice()), (Some(0), &[0][..]));
}

#[test]
fn account_rules_table() {
    use FindingKind::*;
    let never = |mut a: AccountFact<'static>, first_seen: &str| {
        a.last_login = None;
        a.first_seen = day(first_seen);
        a
    };
    let last = |mut a: AccountFact<'static>, y: i32, m: u32, d: u32| {
        a.last_login = Some(Utc.with_ymd_and_hms(y, m, d, 23, 59, 0).unwrap());
        a
    };
    let with = |mut a: AccountFact<'static>, f: fn(&mut AccountFact<'static>)| {
        f(&mut a);
        a
    };
    let bob = || account("a", "bjones", Some(1));
    let cases: Vec<(&str, AccountFact<'static>, Kinds)> = vec![
        ("clean", bob(), vec![]),
        (
            "disabled leaver",
            with(account("a", "alice", Some(0)), |a| a.enabled = false),
            vec![],
        ),
        (
            "leaver, dormant too",
            last(account("a", "alice", Some(0)), 2026, 1, 1),
            vec![(LeaverEnabled, Some(54))],
        ),
        (
            "orphaned",
            account("a", "zed", None),
            vec![(Orphaned, None)],
        ),
        (
            "service unlinked",
            with(account("a", "svc-backup", None), |a| {
                a.kind = AccountKind::Service
            }),
            vec![],
        ),
        (
            "shared unlinked",
            with(account("a", "frontdesk", None), |a| {
                a.kind = AccountKind::Shared
            }),
            vec![(SharedAccount, None)],
        ),
        (
            "46 days idle",
            last(bob(), 2026, 10, 8),
            vec![(Dormant, Some(46))],
        ),
        ("45 days idle", last(bob(), 2026, 10, 9), vec![]),
        (
            "never used",
            never(bob(), "2026-10-01"),
            vec![(Dormant, Some(53))],
        ),
        ("new, never used", never(bob(), "2026-11-20"), vec![]),
        (
            "privileged without mfa",
            with(bob(), |a| (a.privileged, a.mfa) = (true, false)),
            vec![(PrivilegedWithoutMfa, None)],
        ),
        (
            "privileged with mfa",
            with(bob(), |a| a.privileged = true),
            vec![],
        ),
        (
            "generic name",
            account("a", "CORP\\helpdesk2", Some(1)),
            vec![(SharedAccount, None)],
        ),
        (
            "generic service",
            with(account("a", "scanner", None), |a| {
                a.kind = AccountKind::Service
            }),
            vec![],
        ),
        (
            "everything",
            with(never(account("a", "admin", None), "2025-01-01"), |a| {
                (a.privileged, a.mfa) = (true, false)
            }),
            vec![
                (Orphaned, None),
                (Dormant, Some(691)),
                (PrivilegedWithoutMfa, None),
                (SharedAccount, None),
            ],
        ),
    ];
    for (name, a, want) in cases {
        assert_eq!(World::new(vec![a]).kinds(), want, "{name}");
    }
}

#[test]
fn leave_dates_today_future_and_missing() {
    let mut w = World::new(vec![account("a1", "alice", Some(0))]);
    w.people[0].leave_date = Some(day(TODAY));
    let f = &w.evaluate().findings[0];
    assert_eq!(f.days, Some(0));
    assert!(
        f.explanation.contains("who leaves today (2026-11-23)"),
        "{}",
        f.explanation
    );
    w.people[0].leave_date = Some(day("2026-11-24"));
    assert!(w.kinds().is_empty());
    w.people[0].leave_date = None;
    assert_eq!(w.kinds(), [(FindingKind::LeaverEnabled, None)]);
    w.accounts[0].kind = AccountKind::Service;
    assert!(
        w.evaluate().findings[0]
            .suggested_action
            .starts_with("Give the account a new owner")
    );
}

#[test]
fn generic_names_are_whole_words() {
    for (username, want) in [
        ("admin", Some("admin")),
        ("Admin2", Some("admin")),
        ("scan_admin", Some("admin")),
        ("it.support", Some("support")),
        ("scanner01", Some("scanner")),
        ("administration", None),
        ("testuser", None),
        ("alice.smith", None),
        ("tim.test", Some("test")),
    ] {
        assert_eq!(generic_word(username), want, "{username}");
    }
}

#[test]
fn exemptions_suppress_until_they_expire() {
    let mut w = World::new(vec![account("a1", "zed", None), account("a2", "yan", None)]);
    let exemption = |account: u32, kind: FindingKind, expires: &str| Exemption {
        id: "e",
        account,
        kind,
        reason: "contractor, ends in December",
        expires: day(expires),
    };
    w.exemptions = vec![
        exemption(0, FindingKind::Orphaned, TODAY),
        exemption(1, FindingKind::Orphaned, "2026-10-31"),
        exemption(1, FindingKind::Orphaned, "2026-11-22"),
        exemption(1, FindingKind::Dormant, "2027-01-01"),
    ];
    let out = w.evaluate();
    assert_eq!(out.expired_exemptions, [1, 2]);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(
        (f.key.as_str(), f.expired_exemption),
        ("orphaned:a2", Some(2))
    );
    assert!(
        f.explanation.ends_with("It was accepted until 2026-11-22 (\u{201c}contractor, ends in December\u{201d}); that exemption has expired."),
        "{}",
        f.explanation
    );
}

fn groups(names: &[&str]) -> &'static [String] {
    Box::leak(
        names
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn payments_rule() -> SodRule<'static> {
    SodRule {
        id: "r-pay",
        name: "Create and approve payments",
        first: Entitlement {
            system: Some(1),
            group: "AP-Clerk",
        },
        second: Entitlement {
            system: None,
            group: "Payment-Approver",
        },
    }
}

#[test]
fn segregation_of_duties_across_systems() {
    let mut erp = account("a1", "asmith", Some(1));
    erp.system = 1;
    erp.groups = groups(&["ap-clerk"]);
    let mut crm = account("a2", "bob.jones", Some(1));
    crm.groups = groups(&["Payment-Approver", "Sales"]);
    let mut w = World::new(vec![erp, crm]);
    w.rules = vec![payments_rule()];
    let out = w.evaluate();
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(
        (
            f.kind,
            f.key.as_str(),
            f.accounts.as_slice(),
            f.person,
            f.rule
        ),
        (
            FindingKind::SodConflict,
            "sod_conflict:r-pay:person:p-bob",
            &[0, 1][..],
            Some(1),
            Some(0)
        )
    );
    assert_eq!(
        f.explanation,
        "Bob Jones holds both \u{201c}AP-Clerk\u{201d} on ERP (account asmith) and \u{201c}Payment-Approver\u{201d} on CRM (account bob.jones), which the rule \u{201c}Create and approve payments\u{201d} says nobody may hold together: one person could do alone what should take two."
    );

    // Only enabled accounts count; the ERP side must be on the ERP system.
    w.accounts[1].enabled = false;
    assert!(
        w.evaluate()
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::SodConflict)
    );
    w.accounts[1].enabled = true;
    w.accounts[0].system = 0;
    assert!(
        w.evaluate()
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::SodConflict)
    );
    w.accounts[0].system = 1;

    // An exemption on either account involved suppresses it.
    w.exemptions = vec![Exemption {
        id: "e",
        account: 1,
        kind: FindingKind::SodConflict,
        reason: "small team",
        expires: day("2027-01-01"),
    }];
    assert!(w.evaluate().findings.is_empty());
}

#[test]
fn segregation_of_duties_on_an_unlinked_account() {
    let mut a = account("a9", "ap-batch", None);
    a.system = 1;
    a.kind = AccountKind::Service;
    a.groups = groups(&["AP-Clerk", "payment-approver"]);
    let mut w = World::new(vec![a, account("a3", "x", Some(1))]);
    w.rules = vec![payments_rule()];
    let f = &w.evaluate().findings[0];
    assert_eq!(
        (f.key.as_str(), f.accounts.as_slice(), f.person),
        ("sod_conflict:r-pay:account:a9", &[0][..], None)
    );
    assert!(
        f.explanation
            .starts_with("ap-batch on ERP holds both \u{201c}AP-Clerk\u{201d} on ERP and"),
        "{}",
        f.explanation
    );
}

#[test]
fn keys_do_not_depend_on_order() {
    let mut accounts = vec![
        account("a1", "alice", Some(0)),
        account("a2", "admin", None),
        account("a3", "bob", Some(1)),
    ];
    accounts[2].privileged = true;
    accounts[2].mfa = false;
    let keys = |accounts: Vec<AccountFact<'static>>| {
        let mut k: Vec<String> = World::new(accounts)
            .evaluate()
            .findings
            .into_iter()
            .map(|f| f.key)
            .collect();
        k.sort();
        k
    };
    let forward = keys(accounts.clone());
    accounts.reverse();
    assert_eq!(forward, keys(accounts));
    assert_eq!(
        forward,
        [
            "leaver_enabled:a1",
            "orphaned:a2",
            "privileged_without_mfa:a3",
            "shared_account:a2"
        ]
    );
}
