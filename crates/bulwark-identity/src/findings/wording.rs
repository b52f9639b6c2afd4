//! The explanations and suggested actions, written for an IT manager rather than an auditor.

use chrono::NaiveDate;

use super::{AccountFact, AccountKind, Exemption, Facts, PersonFact, Situation};

/// "1 day" / "12 days".
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// An account as explanations speak of it.
pub(super) struct Account<'f> {
    /// `alice.smith on CRM`.
    subject: String,
    account: &'f AccountFact<'f>,
    person: Option<&'f PersonFact<'f>>,
    manager: Option<&'f PersonFact<'f>>,
    dormant_days: u32,
}

impl<'f> Account<'f> {
    pub(super) fn new(facts: &'f Facts<'f>, a: &'f AccountFact<'f>) -> Self {
        let person = a.person.map(|p| &facts.people[p as usize]);
        Account {
            subject: format!(
                "{} on {}",
                a.username, facts.systems[a.system as usize].name
            ),
            account: a,
            person,
            manager: person
                .and_then(|p| p.manager)
                .map(|m| &facts.people[m as usize]),
            dormant_days: facts.policy.dormant_days,
        }
    }

    /// The explanation and suggested action for a situation of this account.
    pub(super) fn explain(&self, s: &Situation) -> (String, String) {
        match *s {
            Situation::Leaver(on, ago) => self.leaver(on, ago),
            Situation::Orphaned => self.orphaned(),
            Situation::Dormant(since, idle) => self.dormant(since, idle),
            Situation::PrivilegedWithoutMfa => self.privileged_without_mfa(),
            Situation::Shared(word) => self.shared(word),
        }
    }

    fn leaver(&self, left_on: Option<NaiveDate>, ago: Option<i64>) -> (String, String) {
        let name = self.person.map_or("", |p| p.name);
        let when = match (left_on, ago) {
            (Some(d), Some(0)) => format!("who leaves today ({d})"),
            (Some(d), Some(n)) => format!("who left on {d} ({} ago)", days(n)),
            _ => "who is recorded as having left".to_string(),
        };
        let explanation = format!(
            "{} belongs to {name}, {when}, and can still sign in.",
            self.subject
        );
        let mut action = if self.account.kind == AccountKind::Service {
            format!(
                "Give the account a new owner who still works here and change its password or keys, which {name} may know."
            )
        } else {
            format!("Disable the account today and check what it did since {name} left.")
        };
        if let Some(m) = self.manager {
            action.push_str(&format!(
                " {} ({name}'s manager) can say whether anything on it must be handed over.",
                m.name
            ));
        }
        (explanation, action)
    }

    fn orphaned(&self) -> (String, String) {
        (
            format!("{} is enabled but belongs to nobody in the HR list, so nobody answers for what it does.", self.subject),
            "Find out who uses it. Link it to that person, mark it as a service account if a program uses it, or disable it if nobody claims it.".to_string(),
        )
    }

    fn dormant(&self, since: NaiveDate, idle: i64) -> (String, String) {
        let threshold = format!(
            "accounts unused for more than {} count as dormant",
            days(self.dormant_days.into())
        );
        let explanation = match self.account.last_login {
            Some(_) => format!(
                "{} has not been used for {} (last sign-in {since}); {threshold}.",
                self.subject,
                days(idle)
            ),
            None => format!(
                "{} has never been used in the {} since it was first seen on {since}; {threshold}.",
                self.subject,
                days(idle)
            ),
        };
        let ask = match self.person {
            Some(p) => format!("Ask {} whether they still need it", p.name),
            None => "Ask the system's owner whether it is still needed".to_string(),
        };
        (
            explanation,
            format!(
                "{ask}, and disable it if not: an unused account is an easy way in that nobody would notice."
            ),
        )
    }

    fn privileged_without_mfa(&self) -> (String, String) {
        (
            format!(
                "{} has administrative rights but signs in with a password alone: a stolen or guessed password is enough to take it over.",
                self.subject
            ),
            "Turn on a second factor (MFA) for this account today, or remove its administrative rights.".to_string(),
        )
    }

    /// Marked shared (`word` is `None`) or named like a shared account.
    fn shared(&self, word: Option<&str>) -> (String, String) {
        match word {
            None => (
                format!("{} is marked as shared: several people sign in with it, so nobody can tell who did what.", self.subject),
                "Give each person their own account and disable this one. If it must stay, keep its password in a password manager, change it whenever one of its users leaves, and record who uses it.".to_string(),
            ),
            Some(w) => (
                format!(
                    "{} looks like an account several people share (its name contains \u{201c}{w}\u{201d}); if so, nobody can tell who did what.",
                    self.subject
                ),
                "Find out who uses it. If one person does, link it to them; if several do, give each their own account and mark this one as shared; if nobody does, disable it.".to_string(),
            ),
        }
    }
}

/// One side of a conflict as held: `“AP-Clerk” on ERP (account asmith)`.
pub(super) fn holding(facts: &Facts<'_>, group: &str, account: u32, name_account: bool) -> String {
    let a = &facts.accounts[account as usize];
    let system = facts.systems[a.system as usize].name;
    if name_account {
        format!(
            "\u{201c}{group}\u{201d} on {system} (account {})",
            a.username
        )
    } else {
        format!("\u{201c}{group}\u{201d} on {system}")
    }
}

/// A segregation-of-duties conflict: `holder` is a person's name or an account's subject.
pub(super) fn sod(holder: &str, first: &str, second: &str, rule: &str) -> (String, String) {
    (
        format!(
            "{holder} holds both {first} and {second}, which the rule \u{201c}{rule}\u{201d} says nobody may hold together: one person could do alone what should take two."
        ),
        format!(
            "Remove one of the two from {holder}. If the business cannot avoid it, record an exemption with a compensating control, such as a second person reviewing what they do."
        ),
    )
}

/// Said of a finding that an expired exemption used to suppress.
pub(super) fn exemption_expired(e: &Exemption<'_>) -> String {
    format!(
        "It was accepted until {} (\u{201c}{}\u{201d}); that exemption has expired.",
        e.expires, e.reason
    )
}
