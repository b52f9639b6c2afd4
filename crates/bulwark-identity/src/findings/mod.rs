//! Identity findings: what an auditor would raise about the accounts, from plain facts.
//!
//! Only enabled accounts can raise findings. The kinds:
//!
//! * **leaver_enabled**: the account's person has left (`leave_date` ≤ today, or a leaver without
//!   a date); `days` since the leave date;
//! * **orphaned**: a human account linked to nobody (service and shared accounts never are);
//! * **dormant**: no sign-in for more than [`Policy::dormant_days`] days, counted from the last
//!   sign-in or, for an account that never signed in, from when it was first seen; `days` since
//!   then. Not raised together with leaver_enabled, which asks for more (disabling) already;
//! * **privileged_without_mfa**: privileged, without a second factor;
//! * **shared_account**: marked shared, or a human account whose username has one of the
//!   [`GENERIC_NAMES`] as a whole word (`admin`, `scan-01`, `CORP\helpdesk`, not `administration`);
//! * **sod_conflict**: one person (across all their enabled accounts, on any systems) or one
//!   unlinked account holds both sides of a segregation-of-duties rule.
//!
//! An [`Exemption`] suppresses one kind on one account up to and including its `expires` day
//! (an sod_conflict is suppressed when any account involved has one). Expired exemptions are
//! listed in [`Evaluation::expired_exemptions`], and a finding that one of them used to suppress
//! says so.
//!
//! Each finding has a `key` that stays the same while the situation does, so the caller can keep
//! its history across evaluations: `<kind>:<account id>`, or `sod_conflict:<rule id>:person:<person
//! id>` / `sod_conflict:<rule id>:account:<account id>`.

mod sod;
mod wording;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::records::PersonStatus;

/// Usernames containing one of these as a whole word look shared (compared lower-cased; words are
/// runs of letters, so `admin2` and `scan_admin` count but `administration` does not).
pub const GENERIC_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "test",
    "tester",
    "demo",
    "shared",
    "info",
    "support",
    "helpdesk",
    "servicedesk",
    "reception",
    "office",
    "scanner",
    "printer",
    "kiosk",
    "temp",
    "tmp",
    "guest",
    "training",
    "generic",
    "noreply",
    "team",
    "staff",
];

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An enabled human account that belongs to nobody.
    Orphaned,
    /// An enabled account of someone who has left.
    LeaverEnabled,
    /// An enabled account unused for too long.
    Dormant,
    /// A privileged account without a second factor.
    PrivilegedWithoutMfa,
    /// An account several people use.
    SharedAccount,
    /// One holder with both sides of a segregation-of-duties rule.
    SodConflict,
}

impl FindingKind {
    /// Every kind, in the order findings are listed by kind.
    pub const ALL: [FindingKind; 6] = [
        FindingKind::Orphaned,
        FindingKind::LeaverEnabled,
        FindingKind::Dormant,
        FindingKind::PrivilegedWithoutMfa,
        FindingKind::SharedAccount,
        FindingKind::SodConflict,
    ];

    /// The kind of a stored name (see [`FindingKind::as_str`]).
    pub fn parse(s: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The stored name: `orphaned`, `leaver_enabled`, `dormant`, `privileged_without_mfa`,
    /// `shared_account` or `sod_conflict`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Orphaned => "orphaned",
            FindingKind::LeaverEnabled => "leaver_enabled",
            FindingKind::Dormant => "dormant",
            FindingKind::PrivilegedWithoutMfa => "privileged_without_mfa",
            FindingKind::SharedAccount => "shared_account",
            FindingKind::SodConflict => "sod_conflict",
        }
    }
}

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// Used by one person.
    Human,
    /// Used by a program (never orphaned; its `person` is its owner).
    Service,
    /// Used by several people.
    Shared,
}

/// A person. Other facts refer to people by their index in [`Facts::people`].
#[derive(Debug, Clone, Copy)]
pub struct PersonFact<'a> {
    /// The caller's stable id (used in finding keys).
    pub id: &'a str,
    /// Full name, as written in explanations.
    pub name: &'a str,
    /// Active or leaver.
    pub status: PersonStatus,
    /// Last day, when known.
    pub leave_date: Option<NaiveDate>,
    /// Index of the person's manager.
    pub manager: Option<u32>,
}

/// A system accounts live on, referred to by its index in [`Facts::systems`].
#[derive(Debug, Clone, Copy)]
pub struct SystemFact<'a> {
    /// The caller's stable id.
    pub id: &'a str,
    /// Its name, as written in explanations.
    pub name: &'a str,
}

/// An account, referred to by its index in [`Facts::accounts`].
#[derive(Debug, Clone, Copy)]
pub struct AccountFact<'a> {
    /// The caller's stable id (used in finding keys).
    pub id: &'a str,
    /// Index of its system.
    pub system: u32,
    /// Login name, as written in explanations.
    pub username: &'a str,
    /// Index of the person it is linked to (the owner, for a service account).
    pub person: Option<u32>,
    /// Human, service or shared.
    pub kind: AccountKind,
    /// Can sign in.
    pub enabled: bool,
    /// Holds privileged rights.
    pub privileged: bool,
    /// Signs in with a second factor.
    pub mfa: bool,
    /// Last sign-in, when known.
    pub last_login: Option<DateTime<Utc>>,
    /// When Bulwark first saw the account.
    pub first_seen: NaiveDate,
    /// Groups or entitlements held.
    pub groups: &'a [String],
}

/// An accepted exception: `kind` is not raised on `account` up to and including `expires`.
#[derive(Debug, Clone, Copy)]
pub struct Exemption<'a> {
    /// The caller's stable id.
    pub id: &'a str,
    /// Index of the account.
    pub account: u32,
    /// The finding kind it suppresses.
    pub kind: FindingKind,
    /// Why it was accepted.
    pub reason: &'a str,
    /// Last day it applies.
    pub expires: NaiveDate,
}

/// One side of a segregation-of-duties rule: a group on one system, or on any system.
#[derive(Debug, Clone, Copy)]
pub struct Entitlement<'a> {
    /// Index of the system, or `None` for any system.
    pub system: Option<u32>,
    /// The group or entitlement name (compared ignoring ASCII letter case).
    pub group: &'a str,
}

/// "Nobody may hold both `first` and `second`".
#[derive(Debug, Clone, Copy)]
pub struct SodRule<'a> {
    /// The caller's stable id (used in finding keys).
    pub id: &'a str,
    /// Its name, as written in explanations.
    pub name: &'a str,
    /// One side.
    pub first: Entitlement<'a>,
    /// The other side.
    pub second: Entitlement<'a>,
}

/// Thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// An enabled account unused for more than this many days is dormant.
    pub dormant_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { dormant_days: 45 }
    }
}

/// Everything evaluated. Indexes must be within the slices they refer to (otherwise this panics).
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// People.
    pub people: &'a [PersonFact<'a>],
    /// Systems.
    pub systems: &'a [SystemFact<'a>],
    /// Accounts on all systems.
    pub accounts: &'a [AccountFact<'a>],
    /// Accepted exceptions, current and expired.
    pub exemptions: &'a [Exemption<'a>],
    /// Segregation-of-duties rules.
    pub sod_rules: &'a [SodRule<'a>],
    /// Thresholds.
    pub policy: Policy,
    /// The day of the evaluation.
    pub today: NaiveDate,
}

/// One problem to act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// Stays the same while the situation does (see the module documentation).
    pub key: String,
    /// Indexes of the accounts involved (one, except for sod_conflict).
    pub accounts: Vec<u32>,
    /// Index of the person involved, if any.
    pub person: Option<u32>,
    /// Index of the segregation-of-duties rule, for sod_conflict.
    pub rule: Option<u32>,
    /// Days since the leave date (leaver_enabled) or the last sign-in (dormant).
    pub days: Option<i64>,
    /// What is wrong, in plain words.
    pub explanation: String,
    /// What to do about it.
    pub suggested_action: String,
    /// Index of an expired exemption that used to suppress this finding.
    pub expired_exemption: Option<u32>,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Evaluation {
    /// Findings: per account in account order, then segregation-of-duties conflicts.
    pub findings: Vec<Finding>,
    /// Indexes of exemptions that have expired (`expires` before today).
    pub expired_exemptions: Vec<u32>,
}

/// Evaluates every rule over the facts.
pub fn evaluate(facts: &Facts<'_>) -> Evaluation {
    let exemptions = Exemptions::new(facts);
    let mut findings = Vec::new();
    let mut situations = Vec::new();
    for (i, a) in facts.accounts.iter().enumerate() {
        if !a.enabled {
            continue;
        }
        let i = u32::try_from(i).expect("fewer than 4 billion accounts");
        situations.clear();
        account_situations(facts, a, &mut situations);
        situations.retain(|s| !exemptions.suppressed(&[i], s.kind()));
        if situations.is_empty() {
            continue;
        }
        // Worded only when something is raised: most accounts raise nothing.
        let words = wording::Account::new(facts, a);
        for s in &situations {
            let (explanation, suggested_action) = words.explain(s);
            let mut f = Finding {
                kind: s.kind(),
                key: format!("{}:{}", s.kind().as_str(), a.id),
                accounts: vec![i],
                person: a.person,
                rule: None,
                days: s.days(),
                explanation,
                suggested_action,
                expired_exemption: None,
            };
            exemptions.note_expired(&mut f);
            findings.push(f);
        }
    }
    for mut f in sod::conflicts(facts) {
        if !exemptions.suppressed(&f.accounts, f.kind) {
            exemptions.note_expired(&mut f);
            findings.push(f);
        }
    }
    Evaluation {
        findings,
        expired_exemptions: exemptions.expired_list,
    }
}

/// What is wrong with one account on its own, before exemptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Situation {
    /// The person left on this day (`None`: a leaver without a date), this many days ago.
    Leaver(Option<NaiveDate>, Option<i64>),
    Orphaned,
    /// Unused since this day, for this many days.
    Dormant(NaiveDate, i64),
    PrivilegedWithoutMfa,
    /// Marked shared (`None`) or named with this generic word.
    Shared(Option<&'static str>),
}

impl Situation {
    fn kind(&self) -> FindingKind {
        match self {
            Situation::Leaver(..) => FindingKind::LeaverEnabled,
            Situation::Orphaned => FindingKind::Orphaned,
            Situation::Dormant(..) => FindingKind::Dormant,
            Situation::PrivilegedWithoutMfa => FindingKind::PrivilegedWithoutMfa,
            Situation::Shared(_) => FindingKind::SharedAccount,
        }
    }

    fn days(&self) -> Option<i64> {
        match self {
            Situation::Leaver(_, days) => *days,
            Situation::Dormant(_, days) => Some(*days),
            _ => None,
        }
    }
}

/// The situations of one enabled account, in the order findings list them.
fn account_situations(facts: &Facts<'_>, a: &AccountFact<'_>, out: &mut Vec<Situation>) {
    let person = a.person.map(|p| &facts.people[p as usize]);
    let left = person.and_then(|p| match (p.leave_date, p.status) {
        (Some(d), _) if d <= facts.today => Some(Some(d)),
        (None, PersonStatus::Leaver) => Some(None),
        _ => None,
    });
    if let Some(on) = left {
        out.push(Situation::Leaver(
            on,
            on.map(|d| (facts.today - d).num_days()),
        ));
    }
    if a.kind == AccountKind::Human && person.is_none() {
        out.push(Situation::Orphaned);
    }
    let since = a.last_login.map_or(a.first_seen, |t| t.date_naive());
    let idle = (facts.today - since).num_days();
    if left.is_none() && idle > i64::from(facts.policy.dormant_days) {
        out.push(Situation::Dormant(since, idle));
    }
    if a.privileged && !a.mfa {
        out.push(Situation::PrivilegedWithoutMfa);
    }
    match a.kind {
        AccountKind::Shared => out.push(Situation::Shared(None)),
        AccountKind::Human => {
            if let Some(word) = generic_word(a.username) {
                out.push(Situation::Shared(Some(word)));
            }
        }
        AccountKind::Service => {}
    }
}

/// The first word of a username that is one of the [`GENERIC_NAMES`].
fn generic_word(username: &str) -> Option<&'static str> {
    username
        .split(|c: char| !c.is_ascii_alphabetic())
        .find_map(|w| {
            GENERIC_NAMES
                .iter()
                .find(|g| g.eq_ignore_ascii_case(w))
                .copied()
        })
}

/// Exemptions by (account, kind): those in force and those expired.
struct Exemptions<'f> {
    facts: &'f Facts<'f>,
    active: HashMap<(u32, FindingKind), u32>,
    /// The latest expired exemption per (account, kind).
    expired: HashMap<(u32, FindingKind), u32>,
    expired_list: Vec<u32>,
}

impl<'f> Exemptions<'f> {
    fn new(facts: &'f Facts<'f>) -> Self {
        let mut ex = Exemptions {
            facts,
            active: HashMap::new(),
            expired: HashMap::new(),
            expired_list: Vec::new(),
        };
        for (i, e) in facts.exemptions.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 4 billion exemptions");
            if e.expires >= facts.today {
                ex.active.insert((e.account, e.kind), i);
            } else {
                ex.expired_list.push(i);
                let slot = ex.expired.entry((e.account, e.kind)).or_insert(i);
                if facts.exemptions[*slot as usize].expires < e.expires {
                    *slot = i;
                }
            }
        }
        ex
    }

    /// Whether an exemption in force covers `kind` on one of `accounts`.
    fn suppressed(&self, accounts: &[u32], kind: FindingKind) -> bool {
        accounts
            .iter()
            .any(|a| self.active.contains_key(&(*a, kind)))
    }

    /// Notes on a finding the expired exemption that used to suppress it, if any.
    fn note_expired(&self, f: &mut Finding) {
        let expired = f
            .accounts
            .iter()
            .find_map(|a| self.expired.get(&(*a, f.kind)));
        if let Some(&e) = expired {
            f.expired_exemption = Some(e);
            f.explanation.push(' ');
            f.explanation.push_str(&wording::exemption_expired(
                &self.facts.exemptions[e as usize],
            ));
        }
    }
}

#[cfg(test)]
mod tests;
