//! Identity findings over a large organisation: 10,000 people with accounts on 20 systems
//! (about 200,000 accounts), ten segregation-of-duties rules and 2,000 exemptions. One person in
//! twenty has left, one account in a hundred is unlinked, most accounts were used in the last
//! month, some are stale or were never used, one in fifteen is privileged and 15% lack MFA.
//!
//! Run with `cargo bench -p bulwark-identity --bench findings`.

use std::hint::black_box;

use bulwark_identity::PersonStatus;
use bulwark_identity::findings::{
    AccountFact, AccountKind, Entitlement, Exemption, Facts, FindingKind, PersonFact, Policy,
    SodRule, SystemFact, evaluate,
};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};

const PEOPLE: u32 = 10_000;
const SYSTEMS: u32 = 20;
const GROUPS_PER_SYSTEM: u32 = 12;

/// A small deterministic generator (xorshift), so every run evaluates the same population.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(n)) as u32
    }
}

/// The owned data the facts borrow from.
struct Population {
    ids: Vec<String>,
    names: Vec<String>,
    usernames: Vec<String>,
    groups: Vec<Vec<String>>,
    shape: Vec<Shape>,
}

/// An account's facts apart from the borrowed ones.
#[derive(Clone, Copy)]
struct Shape {
    system: u32,
    person: Option<u32>,
    kind: AccountKind,
    enabled: bool,
    privileged: bool,
    mfa: bool,
    /// Days since the last sign-in; `None` for never.
    idle: Option<i64>,
}

/// Days since the last sign-in: mostly recent, some stale, some never (`None`).
fn idle(dice: &mut Dice) -> Option<i64> {
    let days = match dice.below(100) {
        0..80 => dice.below(30),
        80..92 => 30 + dice.below(90),
        92..95 => 120 + dice.below(280),
        _ => return None,
    };
    Some(i64::from(days))
}

fn population() -> Population {
    let mut dice = Dice(0x5eed_cafe);
    let mut p = Population {
        ids: Vec::new(),
        names: (0..PEOPLE).map(|i| format!("Person {i}")).collect(),
        usernames: Vec::new(),
        groups: Vec::new(),
        shape: Vec::new(),
    };
    for person in 0..PEOPLE {
        for system in 0..SYSTEMS {
            // Most people have an account on most systems.
            if dice.below(20) == 0 {
                continue;
            }
            let unlinked = dice.below(100) == 0;
            let kind = match dice.below(200) {
                0 => AccountKind::Service,
                1 => AccountKind::Shared,
                _ => AccountKind::Human,
            };
            let groups = (0..1 + dice.below(4))
                .map(|_| format!("G{}-{}", system, dice.below(GROUPS_PER_SYSTEM)))
                .collect();
            p.ids.push(format!("acct-{person}-{system}"));
            p.usernames.push(if dice.below(500) == 0 {
                format!("admin{person}")
            } else {
                format!("user{person}")
            });
            p.groups.push(groups);
            p.shape.push(Shape {
                system,
                person: (!unlinked).then_some(person),
                kind,
                enabled: dice.below(10) != 0,
                privileged: dice.below(15) == 0,
                mfa: dice.below(20) >= 3,
                idle: idle(&mut dice),
            });
        }
    }
    p
}

fn bench(c: &mut Criterion) {
    let pop = population();
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
    let midday = Utc
        .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
        .single()
        .expect("a time");
    let person_ids: Vec<String> = (0..PEOPLE).map(|i| format!("person-{i}")).collect();
    let people: Vec<PersonFact<'_>> = (0..PEOPLE as usize)
        .map(|i| {
            let leaver = i % 20 == 0;
            PersonFact {
                id: &person_ids[i],
                name: &pop.names[i],
                status: if leaver {
                    PersonStatus::Leaver
                } else {
                    PersonStatus::Active
                },
                leave_date: leaver.then(|| today - Duration::days((i % 90) as i64)),
                manager: (i > 0).then_some((i / 10) as u32),
            }
        })
        .collect();
    let system_names: Vec<String> = (0..SYSTEMS).map(|s| format!("System {s}")).collect();
    let systems: Vec<SystemFact<'_>> = system_names
        .iter()
        .map(|n| SystemFact { id: n, name: n })
        .collect();
    let accounts: Vec<AccountFact<'_>> = pop
        .shape
        .iter()
        .enumerate()
        .map(|(i, s)| AccountFact {
            id: &pop.ids[i],
            system: s.system,
            username: &pop.usernames[i],
            person: s.person,
            kind: s.kind,
            enabled: s.enabled,
            privileged: s.privileged,
            mfa: s.mfa,
            last_login: s.idle.map(|d| midday - Duration::days(d)),
            first_seen: today - Duration::days(10 + (i % 400) as i64),
            groups: &pop.groups[i],
        })
        .collect();
    let rule_names: Vec<(String, String, String)> = (0..10)
        .map(|r| {
            (
                format!("rule-{r}"),
                format!("G{}-{}", r, r % GROUPS_PER_SYSTEM),
                format!("G{}-{}", r + 1, (r + 5) % GROUPS_PER_SYSTEM),
            )
        })
        .collect();
    let rules: Vec<SodRule<'_>> = rule_names
        .iter()
        .enumerate()
        .map(|(r, (id, a, b))| SodRule {
            id,
            name: id,
            first: Entitlement {
                system: Some(r as u32),
                group: a,
            },
            second: Entitlement {
                system: if r % 2 == 0 { None } else { Some(r as u32 + 1) },
                group: b,
            },
        })
        .collect();
    let exemptions: Vec<Exemption<'_>> = (0..2_000u32)
        .map(|i| Exemption {
            id: "exemption",
            account: i * 97,
            kind: FindingKind::PrivilegedWithoutMfa,
            reason: "break-glass account",
            expires: today + Duration::days(i64::from(i % 60) - 30),
        })
        .collect();
    let facts = Facts {
        people: &people,
        systems: &systems,
        accounts: &accounts,
        exemptions: &exemptions,
        sod_rules: &rules,
        policy: Policy::default(),
        today,
    };
    let out = evaluate(&facts);
    println!(
        "{} people, {} accounts, {} rules: {} findings, {} expired exemptions",
        people.len(),
        accounts.len(),
        rules.len(),
        out.findings.len(),
        out.expired_exemptions.len()
    );
    c.bench_function("findings_10k_people_200k_accounts", |b| {
        b.iter(|| evaluate(black_box(&facts)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
