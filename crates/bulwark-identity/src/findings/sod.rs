//! Segregation of duties: one holder with both sides of a rule.

use super::{AccountFact, Entitlement, Facts, Finding, FindingKind, wording};

/// Who holds entitlements: a person through all their enabled accounts, or an unlinked account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Holder {
    Person(u32),
    Account(u32),
}

/// An enabled account holding one side of a rule.
#[derive(Debug, Clone, Copy)]
struct Hit {
    holder: Holder,
    rule: u32,
    second: bool,
    account: u32,
}

fn holds(a: &AccountFact<'_>, e: &Entitlement<'_>) -> bool {
    e.system.is_none_or(|s| s == a.system)
        && a.groups.iter().any(|g| g.eq_ignore_ascii_case(e.group))
}

/// Every holder with both sides of a rule, by holder then rule.
pub(super) fn conflicts(facts: &Facts<'_>) -> Vec<Finding> {
    if facts.sod_rules.is_empty() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for (i, a) in facts
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.enabled && !a.groups.is_empty())
    {
        let account = i as u32;
        let holder = a.person.map_or(Holder::Account(account), Holder::Person);
        for (r, rule) in facts.sod_rules.iter().enumerate() {
            for (second, side) in [(false, &rule.first), (true, &rule.second)] {
                if holds(a, side) {
                    hits.push(Hit {
                        holder,
                        rule: r as u32,
                        second,
                        account,
                    });
                }
            }
        }
    }
    hits.sort_unstable_by_key(|h| (h.holder, h.rule, h.second, h.account));
    hits.chunk_by(|x, y| x.holder == y.holder && x.rule == y.rule)
        .filter_map(|chunk| finding(facts, chunk))
        .collect()
}

/// The finding for one holder and rule, if they hold both sides.
fn finding(facts: &Facts<'_>, hits: &[Hit]) -> Option<Finding> {
    let first = hits.iter().find(|h| !h.second)?;
    let second = hits.iter().find(|h| h.second)?;
    let rule = &facts.sod_rules[first.rule as usize];
    let mut accounts: Vec<u32> = hits.iter().map(|h| h.account).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let (holder, key, person, name_accounts) = match first.holder {
        Holder::Person(p) => {
            let person = &facts.people[p as usize];
            (
                person.name.to_string(),
                format!("person:{}", person.id),
                Some(p),
                true,
            )
        }
        Holder::Account(a) => {
            let account = &facts.accounts[a as usize];
            let system = facts.systems[account.system as usize].name;
            (
                format!("{} on {system}", account.username),
                format!("account:{}", account.id),
                None,
                false,
            )
        }
    };
    let (explanation, suggested_action) = wording::sod(
        &holder,
        &wording::holding(facts, rule.first.group, first.account, name_accounts),
        &wording::holding(facts, rule.second.group, second.account, name_accounts),
        rule.name,
    );
    Some(Finding {
        kind: FindingKind::SodConflict,
        key: format!("{}:{}:{key}", FindingKind::SodConflict.as_str(), rule.id),
        accounts,
        person,
        rule: Some(first.rule),
        days: None,
        explanation,
        suggested_action,
        expired_exemption: None,
    })
}
