//! Identity findings, kept with their history: re-evaluated from the whole population after
//! every import and every change to links, exemptions, rules or settings, by the pure rules of
//! `bulwark_identity::findings`. A finding keeps its id and first-seen time while its situation
//! lasts (its key stays the same); when the situation ends it is resolved, and it reopens if the
//! situation comes back.

use std::collections::{BTreeMap, HashMap};

use bulwark_core::Timestamp;
use bulwark_identity::PersonStatus;
use bulwark_identity::findings::{
    AccountFact, AccountKind, Entitlement, Exemption, Facts, FindingKind, PersonFact, Policy,
    SodRule, SystemFact, evaluate,
};
use chrono::NaiveDate;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, Value};
use serde::{Deserialize, Serialize};

use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{Db, DbError, Handle, Tx};
use crate::platform::http::error::AppResult;
use crate::platform::ids::new_id;
use crate::settings::Settings;

/// The finding kinds, as stored.
pub const KINDS: [&str; 6] = [
    "orphaned",
    "leaver_enabled",
    "dormant",
    "privileged_without_mfa",
    "shared_account",
    "sod_conflict",
];

/// Finding states.
pub const STATUSES: [&str; 2] = ["open", "resolved"];

/// A finding as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct IdentityFinding {
    pub id: String,
    /// Stays the same while the situation does: `<kind>:<account id>`, or
    /// `sod_conflict:<rule id>:person:<person id>` / `…:account:<account id>`.
    pub key: String,
    /// orphaned, leaver_enabled, dormant, privileged_without_mfa, shared_account or sod_conflict.
    pub kind: String,
    pub system_id: Option<String>,
    pub system_name: Option<String>,
    /// The account concerned (the first one, for a segregation-of-duties conflict).
    pub account_id: Option<String>,
    pub username: Option<String>,
    /// Every account involved, as a JSON list of ids.
    pub account_ids: String,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub rule_id: Option<String>,
    pub rule_name: Option<String>,
    /// Days since the leave date (leaver_enabled) or the last sign-in (dormant).
    pub days: Option<i64>,
    /// What is wrong, in plain words.
    pub explanation: String,
    /// What to do about it.
    pub suggested_action: String,
    /// An exemption that used to cover this finding and has expired.
    pub expired_exemption_id: Option<String>,
    /// open or resolved.
    pub status: String,
    pub first_seen: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
}

/// What a re-evaluation changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Refresh {
    /// Open findings now, by kind.
    pub open: BTreeMap<String, u64>,
    /// Findings raised (or raised again) by this evaluation.
    pub raised: u64,
    /// Findings whose situation ended.
    pub resolved: u64,
}

fn col(t: &str, c: &str) -> (Alias, Alias) {
    (Alias::new(t), Alias::new(c))
}

/// The stored columns, in `IdentityFinding` order (names joined in by `select`).
const STORED: [&str; 16] = [
    "id",
    "key",
    "kind",
    "system_id",
    "account_id",
    "account_ids",
    "person_id",
    "rule_id",
    "days",
    "explanation",
    "suggested_action",
    "expired_exemption_id",
    "status",
    "first_seen",
    "updated_at",
    "resolved_at",
];

fn select() -> SelectStatement {
    let mut q = Query::select();
    for c in STORED {
        q.column(col("f", c));
    }
    for (alias, table, column, name, on) in [
        ("s", "assets", "name", "system_name", "system_id"),
        ("a", "accounts", "username", "username", "account_id"),
        ("p", "people", "name", "person_name", "person_id"),
        ("r", "sod_rules", "name", "rule_name", "rule_id"),
    ] {
        q.expr_as(Expr::col(col(alias, column)), Alias::new(name))
            .join_as(
                JoinType::LeftJoin,
                Alias::new(table),
                Alias::new(alias),
                Expr::col(col(alias, "id")).equals(col("f", on)),
            );
    }
    q.from_as(Alias::new("identity_findings"), Alias::new("f"))
        .to_owned()
}

/// Filters for listing findings.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// open (default in the API) or resolved; both when absent.
    pub status: Option<String>,
    pub kind: Option<String>,
    pub system_id: Option<String>,
    pub person_id: Option<String>,
    pub account_id: Option<String>,
}

/// Lists findings by key, after the cursor `(key, id)`, up to `limit`.
pub async fn list(
    h: &mut Handle<'_>,
    f: &FindingFilter,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<IdentityFinding>, DbError> {
    let mut q = select();
    for (column, v) in [
        ("status", &f.status),
        ("kind", &f.kind),
        ("system_id", &f.system_id),
        ("person_id", &f.person_id),
        ("account_id", &f.account_id),
    ] {
        if let Some(v) = v {
            q.and_where(Expr::col(col("f", column)).eq(v.as_str()));
        }
    }
    if let Some((key, _)) = after {
        q.and_where(Expr::col(col("f", "key")).gt(key));
    }
    q.order_by(col("f", "key"), Order::Asc).limit(limit);
    h.fetch_all(&q).await
}

/// Finds a finding by id.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<IdentityFinding>, DbError> {
    h.fetch_optional(select().and_where(Expr::col(col("f", "id")).eq(id)))
        .await
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: String,
    name: String,
    email: String,
    status: String,
    leave_date: Option<String>,
    manager_email: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    system_id: String,
    username: String,
    person_id: Option<String>,
    kind: String,
    enabled: bool,
    privileged: bool,
    mfa: bool,
    last_login: Option<String>,
    first_seen: String,
    /// Absent when no rule needs it.
    #[sqlx(default)]
    groups: Option<String>,
}

#[derive(sqlx::FromRow)]
struct NamedRow {
    id: String,
    name: String,
}

#[derive(sqlx::FromRow)]
struct ExemptionRow {
    id: String,
    account_id: String,
    kind: String,
    reason: String,
    expires: String,
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: String,
    name: String,
    first_system_id: Option<String>,
    first_group: String,
    second_system_id: Option<String>,
    second_group: String,
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    id: String,
    key: String,
    status: String,
    days: Option<i64>,
    explanation: String,
    expired_exemption_id: Option<String>,
}

fn all(table: &str, columns: &[&str]) -> SelectStatement {
    Query::select()
        .columns(columns.iter().map(|c| Alias::new(*c)))
        .from(Alias::new(table))
        .to_owned()
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn index(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 4 billion rows")
}

/// The account columns the evaluation reads (`groups` is added when SoD rules exist).
const ACCOUNT_COLUMNS: [&str; 10] = [
    "id",
    "system_id",
    "username",
    "person_id",
    "kind",
    "enabled",
    "privileged",
    "mfa",
    "last_login",
    "first_seen",
];

/// The accounts that could raise a finding: a cheap over-approximation of every rule in SQL, so
/// that a large, mostly healthy population is not loaded whole (the exact decision stays with
/// `bulwark_identity::findings`; an account left out here can raise nothing there). Enabled, and:
/// linked to nobody or to a leaver; unused since (at least) the dormancy cut-off; privileged
/// without MFA; shared, or with a generic word anywhere in a personal username; or holding a
/// group some SoD rule names (matched as text in the stored JSON; every account when a rule's
/// group has a character JSON would escape).
fn candidates(rules: &[RuleRow], dormant_days: u32, today: NaiveDate) -> sea_query::Condition {
    let c = |n: &str| Expr::col(Alias::new(n));
    // Idle for more than `dormant_days` full days means last used before this day (one day of
    // slack keeps this a superset whatever the time of day).
    let cutoff_day = today - chrono::Days::new(u64::from(dormant_days).saturating_sub(1));
    let cutoff =
        Timestamp::from_datetime(cutoff_day.and_time(chrono::NaiveTime::MIN).and_utc()).to_db();
    let leavers = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("people"))
        .cond_where(
            sea_query::Cond::any()
                .add(c("leave_date").is_not_null())
                .add(c("status").eq("leaver")),
        )
        .to_owned();
    let mut generic = sea_query::Cond::any();
    for w in bulwark_identity::findings::GENERIC_NAMES {
        // `username_key` is stored lower-cased: no per-row lower() (which doubled the scan).
        generic = generic.add(c("username_key").like(format!("%{w}%")));
    }
    let mut any = sea_query::Cond::any()
        .add(c("person_id").is_null())
        .add(c("person_id").in_subquery(leavers))
        .add(c("last_login").lt(cutoff.clone()))
        .add(c("last_login").is_null().and(c("first_seen").lt(cutoff)))
        .add(c("privileged").eq(true).and(c("mfa").eq(false)))
        .add(c("kind").eq("shared"))
        .add(
            sea_query::Cond::all()
                .add(c("kind").eq("human"))
                .add(generic),
        );
    let groups = rules
        .iter()
        .flat_map(|r| [r.first_group.as_str(), r.second_group.as_str()]);
    for g in groups {
        if g.chars()
            .any(|ch| ch == '"' || ch == '\\' || ch.is_control())
        {
            return sea_query::Cond::all().add(c("enabled").eq(true));
        }
        any = any
            .add(sea_query::Func::lower(c("groups")).like(format!("%\"{}\"%", g.to_lowercase())));
    }
    sea_query::Cond::all().add(c("enabled").eq(true)).add(any)
}

/// Re-evaluates every identity finding inside `tx` and stores the result; one audit entry
/// records what was raised and resolved.
pub async fn refresh(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
) -> AppResult<Refresh> {
    let mut h = tx.h();
    let people: Vec<PersonRow> = h
        .fetch_all(&all(
            "people",
            &[
                "id",
                "name",
                "email",
                "status",
                "leave_date",
                "manager_email",
            ],
        ))
        .await?;
    let systems: Vec<NamedRow> = h
        .fetch_all(
            all("assets", &["id", "name"]).and_where(
                Expr::col(Alias::new("id")).in_subquery(
                    Query::select()
                        .distinct()
                        .column(Alias::new("system_id"))
                        .from(Alias::new("accounts"))
                        .to_owned(),
                ),
            ),
        )
        .await?;
    let exemptions: Vec<ExemptionRow> = h
        .fetch_all(&all(
            "identity_exemptions",
            &["id", "account_id", "kind", "reason", "expires"],
        ))
        .await?;
    let rules: Vec<RuleRow> = h
        .fetch_all(&all(
            "sod_rules",
            &[
                "id",
                "name",
                "first_system_id",
                "first_group",
                "second_system_id",
                "second_group",
            ],
        ))
        .await?;

    let today = now.datetime().date_naive();
    let mut q = all("accounts", &ACCOUNT_COLUMNS);
    if !rules.is_empty() {
        q.column(Alias::new("groups"));
    }
    q.cond_where(candidates(&rules, settings.dormant_days, today));
    let accounts: Vec<AccountRow> = h.fetch_all(&q).await?;
    let person_ix: HashMap<&str, u32> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), index(i)))
        .collect();
    let email_ix: HashMap<&str, u32> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.email.as_str(), index(i)))
        .collect();
    let system_ix: HashMap<&str, u32> = systems
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), index(i)))
        .collect();
    let account_ix: HashMap<&str, u32> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), index(i)))
        .collect();
    let person_facts: Vec<PersonFact> = people
        .iter()
        .map(|p| PersonFact {
            id: &p.id,
            name: &p.name,
            status: PersonStatus::parse(&p.status).unwrap_or(PersonStatus::Active),
            leave_date: p.leave_date.as_deref().and_then(day),
            manager: p
                .manager_email
                .as_deref()
                .and_then(|m| email_ix.get(m).copied()),
        })
        .collect();
    let system_facts: Vec<SystemFact> = systems
        .iter()
        .map(|s| SystemFact {
            id: &s.id,
            name: &s.name,
        })
        .collect();
    let groups: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            a.groups
                .as_deref()
                .and_then(|g| serde_json::from_str(g).ok())
                .unwrap_or_default()
        })
        .collect();
    let account_facts: Vec<AccountFact> = accounts
        .iter()
        .zip(&groups)
        .map(|(a, g)| AccountFact {
            id: &a.id,
            system: system_ix[a.system_id.as_str()],
            username: &a.username,
            person: a
                .person_id
                .as_deref()
                .and_then(|p| person_ix.get(p).copied()),
            kind: match a.kind.as_str() {
                "service" => AccountKind::Service,
                "shared" => AccountKind::Shared,
                _ => AccountKind::Human,
            },
            enabled: a.enabled,
            privileged: a.privileged,
            mfa: a.mfa,
            last_login: a
                .last_login
                .as_deref()
                .and_then(|t| Timestamp::parse(t).ok())
                .map(Timestamp::datetime),
            first_seen: Timestamp::parse(&a.first_seen)
                .map(|t| t.datetime().date_naive())
                .unwrap_or_else(|_| now.datetime().date_naive()),
            groups: g,
        })
        .collect();
    let exemption_facts: Vec<Exemption> = exemptions
        .iter()
        .filter_map(|e| {
            Some(Exemption {
                id: &e.id,
                account: *account_ix.get(e.account_id.as_str())?,
                kind: FindingKind::parse(&e.kind)?,
                reason: &e.reason,
                expires: day(&e.expires)?,
            })
        })
        .collect();
    // A rule naming a system without accounts cannot be broken there yet.
    let entitlement = |system: &Option<String>| -> Option<Option<u32>> {
        match system {
            None => Some(None),
            Some(s) => system_ix.get(s.as_str()).map(|i| Some(*i)),
        }
    };
    let rule_facts: Vec<(usize, SodRule)> = rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            Some((
                i,
                SodRule {
                    id: &r.id,
                    name: &r.name,
                    first: Entitlement {
                        system: entitlement(&r.first_system_id)?,
                        group: &r.first_group,
                    },
                    second: Entitlement {
                        system: entitlement(&r.second_system_id)?,
                        group: &r.second_group,
                    },
                },
            ))
        })
        .collect();
    let rule_ids: Vec<&str> = rule_facts
        .iter()
        .map(|(i, _)| rules[*i].id.as_str())
        .collect();
    let rule_facts: Vec<SodRule> = rule_facts.into_iter().map(|(_, r)| r).collect();
    let facts = Facts {
        people: &person_facts,
        systems: &system_facts,
        accounts: &account_facts,
        exemptions: &exemption_facts,
        sod_rules: &rule_facts,
        policy: Policy {
            dormant_days: settings.dormant_days,
        },
        today: now.datetime().date_naive(),
    };
    let evaluation = evaluate(&facts);

    let stored: Vec<StoredRow> = h
        .fetch_all(&all(
            "identity_findings",
            &[
                "id",
                "key",
                "status",
                "days",
                "explanation",
                "expired_exemption_id",
            ],
        ))
        .await?;
    let mut stored: HashMap<String, StoredRow> =
        stored.into_iter().map(|r| (r.key.clone(), r)).collect();
    let mut out = Refresh::default();
    let mut raised_keys: Vec<String> = Vec::new();
    let mut insert = new_rows();
    let mut pending = 0usize;
    for f in &evaluation.findings {
        *out.open.entry(f.kind.as_str().to_string()).or_default() += 1;
        let account_ids: Vec<&str> = f
            .accounts
            .iter()
            .map(|i| accounts[*i as usize].id.as_str())
            .collect();
        let first = f.accounts.first().map(|i| &accounts[*i as usize]);
        let expired = f
            .expired_exemption
            .map(|i| exemption_facts[i as usize].id.to_string());
        let values: [(&str, Value); 9] = [
            ("kind", f.kind.as_str().into()),
            ("system_id", first.map(|a| a.system_id.clone()).into()),
            ("account_id", first.map(|a| a.id.clone()).into()),
            (
                "account_ids",
                serde_json::to_string(&account_ids)
                    .unwrap_or_default()
                    .into(),
            ),
            (
                "person_id",
                f.person.map(|p| people[p as usize].id.clone()).into(),
            ),
            (
                "rule_id",
                f.rule.map(|r| rule_ids[r as usize].to_string()).into(),
            ),
            ("days", f.days.into()),
            ("explanation", f.explanation.clone().into()),
            ("suggested_action", f.suggested_action.clone().into()),
        ];
        match stored.remove(&f.key) {
            Some(old)
                if old.status == "open"
                    && old.days == f.days
                    && old.explanation == f.explanation
                    && old.expired_exemption_id == expired => {}
            Some(old) => {
                if old.status != "open" {
                    out.raised += 1;
                    raised_keys.push(f.key.clone());
                }
                let mut q = Query::update();
                q.table(Alias::new("identity_findings"))
                    .values(values.map(|(c, v)| (Alias::new(c), v.into())))
                    .value(Alias::new("expired_exemption_id"), expired)
                    .value(Alias::new("status"), "open")
                    .value(Alias::new("resolved_at"), Option::<String>::None)
                    .value(Alias::new("updated_at"), now.to_db())
                    .and_where(Expr::col(Alias::new("id")).eq(old.id));
                h.execute(&q).await?;
            }
            None => {
                out.raised += 1;
                raised_keys.push(f.key.clone());
                let mut row: Vec<sea_query::SimpleExpr> =
                    vec![new_id(now).into(), f.key.clone().into()];
                row.extend(values.map(|(_, v)| v.into()));
                row.extend([
                    expired.into(),
                    "open".into(),
                    now.to_db().into(),
                    now.to_db().into(),
                    Option::<String>::None.into(),
                ]);
                insert.values_panic(row);
                pending += 1;
                if pending == 200 {
                    h.execute(&insert).await?;
                    insert = new_rows();
                    pending = 0;
                }
            }
        }
    }
    if pending > 0 {
        h.execute(&insert).await?;
    }
    let ended: Vec<String> = stored
        .into_values()
        .filter(|r| r.status == "open")
        .map(|r| r.id)
        .collect();
    for chunk in ended.chunks(500) {
        let q = Query::update()
            .table(Alias::new("identity_findings"))
            .value(Alias::new("status"), "resolved")
            .value(Alias::new("resolved_at"), now.to_db())
            .value(Alias::new("updated_at"), now.to_db())
            .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().map(String::as_str)))
            .to_owned();
        h.execute(&q).await?;
    }
    out.resolved = ended.len() as u64;
    if out.raised > 0 || out.resolved > 0 {
        raised_keys.truncate(200);
        record(
            tx,
            now,
            actor,
            Change::new("identity.findings.refresh", "identity_findings", None).after(
                &serde_json::json!({
                    "open": out.open,
                    "raised": out.raised,
                    "resolved": out.resolved,
                    "raised_keys": raised_keys,
                }),
            ),
        )
        .await?;
    }
    Ok(out)
}

fn new_rows() -> sea_query::InsertStatement {
    Query::insert()
        .into_table(Alias::new("identity_findings"))
        .columns(STORED.map(Alias::new))
        .to_owned()
}

/// Re-evaluates in a transaction of its own (after a change of settings, or on demand).
pub async fn refresh_now(
    db: &Db,
    now: Timestamp,
    actor: &Actor,
    s: &Settings,
) -> AppResult<Refresh> {
    let mut tx = db.begin().await?;
    let r = refresh(&mut tx, now, actor, s).await?;
    tx.commit().await?;
    Ok(r)
}

/// The scheduled re-evaluation (after provisioning, and hourly): links accounts again, since
/// provisioned accounts arrive unlinked, then re-evaluates.
pub async fn scheduled(app: &crate::app::AppState) -> anyhow::Result<()> {
    let now = app.clock.now();
    let settings = crate::settings::load(&app.db).await?;
    let actor = Actor::system();
    let mut tx = app.db.begin().await?;
    let run = async {
        crate::identity::imports::relink(&mut tx.h(), now, &settings).await?;
        refresh(&mut tx, now, &actor, &settings).await
    };
    run.await.map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    tx.commit().await?;
    Ok(())
}

/// Open findings per kind.
pub async fn open_by_kind(h: &mut Handle<'_>) -> Result<HashMap<String, i64>, DbError> {
    let q = Query::select()
        .column(Alias::new("kind"))
        .expr(Expr::col(Alias::new("id")).count())
        .from(Alias::new("identity_findings"))
        .and_where(Expr::col(Alias::new("status")).eq("open"))
        .group_by_col(Alias::new("kind"))
        .to_owned();
    let rows: Vec<(String, i64)> = h.fetch_all(&q).await?;
    Ok(rows.into_iter().collect())
}
