//! Imports of people (the HR file) and of each system's accounts (CSV, LDAP), all or nothing.
//!
//! Files stream through the pure readers of `bulwark-identity` on a blocking thread, in batches
//! written inside one transaction; any problem rolls everything back and returns every problem
//! located by line and column. After the writes, in the same transaction, accounts are linked to
//! people, the identity findings are re-evaluated, and revocations from access reviews are checked
//! against what the system now holds. One audit entry lists what was added, removed and changed.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read};

use bulwark_core::{InputProblem, Timestamp};
use bulwark_identity::link::{LinkOutcome, LinkReason, Linker, PersonKey};
use bulwark_identity::{AccountRecord, PersonRecord};
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde::{Deserialize, Serialize};

use super::accounts::{self, Account};
use super::findings::{self, Refresh};
use super::people::{self, Person};
use crate::audit_log::{Actor, Change, record};
use crate::inventory::assets;
use crate::platform::batches::Batches;
use crate::platform::db::{Db, DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;
use crate::settings::Settings;

/// How many added/removed/changed names an outcome and its audit entry list.
pub const LISTED: usize = 200;
const BATCH: usize = 500;

/// One accepted import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct IdentityImport {
    pub id: String,
    /// people or accounts.
    pub kind: String,
    /// The system, for accounts.
    pub system_id: Option<String>,
    /// hr, csv, ldap or scim.
    pub source: String,
    /// The file name or directory address.
    pub name: String,
    /// Records in the source.
    pub records: i64,
    pub added: i64,
    pub removed: i64,
    pub changed: i64,
    pub imported_at: String,
    pub actor: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub import: IdentityImport,
    /// Usernames or emails added (the first 200).
    pub added: Vec<String>,
    /// Usernames removed (the first 200). People are never removed by an HR import; see
    /// `not_in_file`.
    pub removed: Vec<String>,
    /// Usernames or emails whose details changed (the first 200).
    pub changed: Vec<String>,
    /// HR import: emails of people on record who are not in the file (the first 200).
    pub not_in_file: Vec<String>,
    /// Columns of the file that are not part of the format (ignored).
    pub extra_columns: Vec<String>,
    /// Accounts linked to a person automatically by this import.
    pub linked: u64,
    /// Human accounts left for someone to link (the linking queue).
    pub unlinked: u64,
    /// The identity findings after the import.
    pub findings: Refresh,
}

const IMPORT_COLUMNS: [&str; 11] = [
    "id",
    "kind",
    "system_id",
    "source",
    "name",
    "records",
    "added",
    "removed",
    "changed",
    "imported_at",
    "actor",
];

/// The import history, newest first; of one system when given.
pub async fn history(
    db: &Db,
    system_id: Option<&str>,
    limit: u64,
) -> Result<Vec<IdentityImport>, DbError> {
    let mut q = Query::select()
        .columns(IMPORT_COLUMNS.map(Alias::new))
        .from(Alias::new("identity_imports"))
        .order_by(Alias::new("imported_at"), Order::Desc)
        .limit(limit)
        .to_owned();
    if let Some(s) = system_id {
        q.and_where(Expr::col(Alias::new("system_id")).eq(s));
    }
    db.fetch_all(&q).await
}

/// Counts and names for the outcome.
#[derive(Debug, Default)]
struct Tally {
    records: i64,
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
    counts: [i64; 3],
    linked: u64,
}

impl Tally {
    fn note(&mut self, which: usize, name: &str) {
        self.counts[which] += 1;
        let list = match which {
            0 => &mut self.added,
            1 => &mut self.removed,
            _ => &mut self.changed,
        };
        if list.len() < LISTED {
            list.push(name.to_string());
        }
    }
}

/// The people linking uses, from the register.
struct LinkIndex {
    linker: Linker<String>,
}

impl LinkIndex {
    async fn load(h: &mut Handle<'_>, s: &Settings) -> Result<LinkIndex, DbError> {
        let everyone = people::all(h).await?;
        let keys: Vec<PersonKey<String>> = everyone
            .iter()
            .map(|p| PersonKey {
                id: p.id.clone(),
                employee_id: p.employee_id.as_deref().unwrap_or(""),
                name: &p.name,
                email: &p.email,
            })
            .collect();
        Ok(LinkIndex {
            linker: Linker::new(&keys, &s.link_rules()),
        })
    }

    /// The person and the stored reason for an account, if the rules find exactly one.
    fn find(&self, a: &AccountRecord) -> (Option<String>, Option<&'static str>) {
        match self.linker.link(a) {
            LinkOutcome::Linked { person, reason } => (
                Some(person),
                Some(match reason {
                    LinkReason::Email => "email",
                    LinkReason::EmployeeId => "employee_id",
                    LinkReason::Username(_) => "username_rule",
                }),
            ),
            LinkOutcome::Ambiguous { .. } | LinkOutcome::Unmatched => (None, None),
        }
    }
}

/// Where accounts come from.
#[derive(Debug, Clone)]
pub struct AccountSource {
    /// csv, ldap or scim.
    pub kind: &'static str,
    /// The file name or directory address.
    pub name: String,
}

/// Replaces a system's accounts, keeping what people decided (manual links and kinds) for the
/// accounts that remain. Accounts are matched by username, ignoring case.
struct AccountSync {
    system_id: String,
    source: &'static str,
    existing: HashMap<String, Account>,
    seen: HashSet<String>,
    index: LinkIndex,
    tally: Tally,
}

impl AccountSync {
    async fn start(
        h: &mut Handle<'_>,
        system_id: &str,
        source: &'static str,
        s: &Settings,
    ) -> AppResult<AccountSync> {
        let existing = accounts::on_systems(h, &[system_id.to_string()], false)
            .await?
            .into_iter()
            .map(|a| (accounts::username_key(&a.username), a))
            .collect();
        Ok(AccountSync {
            system_id: system_id.to_string(),
            source,
            existing,
            seen: HashSet::new(),
            index: LinkIndex::load(h, s).await?,
            tally: Tally::default(),
        })
    }

    async fn write(
        &mut self,
        h: &mut Handle<'_>,
        now: Timestamp,
        batch: Vec<AccountRecord>,
    ) -> AppResult<()> {
        let mut insert = accounts::insert();
        let mut inserts = 0;
        for a in batch {
            self.tally.records += 1;
            let key = accounts::username_key(&a.username);
            if !self.seen.insert(key.clone()) {
                return Err(AppError::Rejected(vec![InputProblem::in_record(
                    &a.username,
                    Some("username"),
                    "appears twice in the source",
                )]));
            }
            match self.existing.get(&key) {
                Some(old) => {
                    let relink = old.link_reason.as_deref() != Some("manual");
                    let (person, reason) = if relink {
                        self.index.find(&a)
                    } else {
                        (None, None)
                    };
                    let old_person = old.person.as_ref().map(|p| p.id.clone());
                    let link_changed =
                        relink && (person != old_person || reason != old.link_reason.as_deref());
                    let record_changed = old.record() != a;
                    if !link_changed && !record_changed {
                        continue;
                    }
                    if record_changed {
                        self.tally.note(2, &a.username);
                    }
                    if link_changed && person.is_some() {
                        self.tally.linked += 1;
                    }
                    let mut q = Query::update();
                    q.table(Alias::new("accounts"))
                        .values(accounts::record_values(&a).map(|(c, v)| (Alias::new(c), v.into())))
                        .value(Alias::new("source"), self.source)
                        .value(Alias::new("updated_at"), now.to_db())
                        .and_where(Expr::col(Alias::new("id")).eq(old.id.as_str()));
                    if link_changed {
                        q.value(Alias::new("person_id"), person)
                            .value(Alias::new("link_reason"), reason);
                    }
                    h.execute(&q).await?;
                }
                None => {
                    let (person, reason) = self.index.find(&a);
                    if person.is_some() {
                        self.tally.linked += 1;
                    }
                    self.tally.note(0, &a.username);
                    insert.values_panic(
                        accounts::NewAccount {
                            id: new_id(now),
                            system_id: &self.system_id,
                            person_id: person,
                            link_reason: reason,
                            source: self.source,
                            record: &a,
                            external_id: None,
                            scim_profile: None,
                        }
                        .values(now),
                    );
                    inserts += 1;
                }
            }
        }
        if inserts > 0 {
            h.execute(&insert).await?;
        }
        Ok(())
    }

    /// Removes the accounts the source no longer has.
    async fn finish(&mut self, h: &mut Handle<'_>) -> AppResult<()> {
        let gone: Vec<(String, String)> = self
            .existing
            .iter()
            .filter(|(k, _)| !self.seen.contains(*k))
            .map(|(_, a)| (a.id.clone(), a.username.clone()))
            .collect();
        for (_, username) in &gone {
            self.tally.note(1, username);
        }
        for chunk in gone.chunks(BATCH) {
            let q = Query::delete()
                .from_table(Alias::new("accounts"))
                .and_where(
                    Expr::col(Alias::new("id")).is_in(chunk.iter().map(|(id, _)| id.as_str())),
                )
                .to_owned();
            h.execute(&q).await?;
        }
        Ok(())
    }
}

/// Imports a system's accounts from records produced by `read` (a CSV file, a directory).
/// `read` is run on a blocking thread and hands every record to the sink; problems refuse all.
pub async fn import_accounts<S: Send + 'static>(
    db: &Db,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    system_id: &str,
    source: AccountSource,
    read: impl FnOnce(&mut dyn FnMut(AccountRecord)) -> Result<S, Vec<InputProblem>> + Send + 'static,
) -> AppResult<(ImportOutcome, S)> {
    let mut tx = db.begin().await?;
    let system = assets::by_id(&mut tx.h(), system_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut sync = AccountSync::start(&mut tx.h(), &system.id, source.kind, settings).await?;
    let mut records = Batches::start(read);
    while let Some(batch) = records.next().await {
        sync.write(&mut tx.h(), now, batch).await?;
    }
    let summary = records.finish().await?;
    sync.finish(&mut tx.h()).await?;
    // Revocations from access reviews are checked against what the system now holds.
    super::reviews::verify_revocations(&mut tx, now, actor, &system.id).await?;
    let tally = std::mem::take(&mut sync.tally);
    let outcome = conclude(
        &mut tx,
        now,
        actor,
        settings,
        (
            "accounts",
            Some(system.id.clone()),
            source.kind,
            source.name,
        ),
        tally,
        Vec::new(),
        Vec::new(),
    )
    .await?;
    tx.commit().await?;
    Ok((outcome, summary))
}

/// Imports a system's accounts from a CSV file (see `bulwark_identity::accounts`).
pub async fn import_accounts_csv<R: Read + Send + 'static>(
    db: &Db,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    system_id: &str,
    name: String,
    input: R,
) -> AppResult<ImportOutcome> {
    let source = AccountSource { kind: "csv", name };
    let read = move |sink: &mut dyn FnMut(AccountRecord)| {
        bulwark_identity::accounts::read_accounts(BufReader::with_capacity(1 << 16, input), sink)
    };
    let (outcome, _) = import_accounts(db, now, actor, settings, system_id, source, read).await?;
    Ok(outcome)
}

/// Stores the import's history row, re-evaluates findings, and records the audit entry.
#[allow(clippy::too_many_arguments)]
async fn conclude(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    (kind, system_id, source, name): (&str, Option<String>, &str, String),
    tally: Tally,
    not_in_file: Vec<String>,
    extra_columns: Vec<String>,
) -> AppResult<ImportOutcome> {
    let import = IdentityImport {
        id: new_id(now),
        kind: kind.to_string(),
        system_id,
        source: source.to_string(),
        name,
        records: tally.records,
        added: tally.counts[0],
        removed: tally.counts[1],
        changed: tally.counts[2],
        imported_at: now.to_db(),
        actor: actor.label.clone(),
    };
    let q = Query::insert()
        .into_table(Alias::new("identity_imports"))
        .columns(IMPORT_COLUMNS.map(Alias::new))
        .values_panic([
            import.id.clone().into(),
            import.kind.clone().into(),
            import.system_id.clone().into(),
            import.source.clone().into(),
            import.name.clone().into(),
            import.records.into(),
            import.added.into(),
            import.removed.into(),
            import.changed.into(),
            import.imported_at.clone().into(),
            import.actor.clone().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let findings = findings::refresh(tx, now, actor, settings).await?;
    let unlinked = unlinked(&mut tx.h()).await?;
    let outcome = ImportOutcome {
        import,
        added: tally.added,
        removed: tally.removed,
        changed: tally.changed,
        not_in_file,
        extra_columns,
        linked: tally.linked,
        unlinked,
        findings,
    };
    let (action, target, id) = match outcome.import.system_id.as_deref() {
        Some(s) => ("accounts.import", "asset", Some(s)),
        None => ("people.import", "people", None),
    };
    record(
        tx,
        now,
        actor,
        Change::new(action, target, id).after(&outcome),
    )
    .await?;
    Ok(outcome)
}

/// How many human accounts wait in the linking queue.
pub async fn unlinked(h: &mut Handle<'_>) -> Result<u64, DbError> {
    #[derive(sqlx::FromRow)]
    struct Count {
        n: i64,
    }
    let q = Query::select()
        .expr_as(Expr::col(Alias::new("id")).count(), Alias::new("n"))
        .from(Alias::new("accounts"))
        .and_where(Expr::col(Alias::new("kind")).eq("human"))
        .and_where(Expr::col(Alias::new("person_id")).is_null())
        .to_owned();
    Ok(h.fetch_one::<Count>(&q).await?.n as u64)
}

/// Imports an HR file (CSV): adds new people and updates known ones (matched by employee id,
/// else by email). People missing from the file are listed, not removed: they may own assets
/// and hold accounts, and a leaver should be marked as one, not vanish. Afterwards every account
/// not linked by hand is linked again, since new people may match accounts waiting in the queue.
pub async fn import_people<R: Read + Send + 'static>(
    db: &Db,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    name: String,
    input: R,
) -> AppResult<ImportOutcome> {
    let mut tx = db.begin().await?;
    let everyone = people::all(&mut tx.h()).await?;
    let by_employee: HashMap<String, usize> = everyone
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((p.employee_id.clone()?, i)))
        .collect();
    let by_email: HashMap<String, usize> = everyone
        .iter()
        .enumerate()
        .map(|(i, p)| (p.email.clone(), i))
        .collect();
    let mut seen = vec![false; everyone.len()];
    let mut tally = Tally::default();
    let mut records = Batches::start(move |sink| {
        bulwark_identity::people::read_people(BufReader::with_capacity(1 << 16, input), sink)
    });
    while let Some(batch) = records.next().await {
        for p in batch {
            tally.records += 1;
            let known = (!p.employee_id.is_empty())
                .then(|| by_employee.get(&p.employee_id))
                .flatten()
                .or_else(|| by_email.get(&p.email))
                .copied();
            let written = match known {
                Some(i) => {
                    seen[i] = true;
                    if !differs(&everyone[i], &p) {
                        continue;
                    }
                    tally.note(2, &p.email);
                    people::overwrite(&mut tx.h(), now, &everyone[i].id, &p).await
                }
                None => {
                    tally.note(0, &p.email);
                    people::insert(&mut tx.h(), now, &new_id(now), &p).await
                }
            };
            written.map_err(|e| match AppError::from(e) {
                AppError::Conflict(_) => AppError::Conflict(format!(
                    "{}: another person on record already has this email or employee ID",
                    p.email
                )),
                e => e,
            })?;
        }
    }
    let summary = records.finish().await?;
    let not_in_file: Vec<String> = everyone
        .iter()
        .zip(&seen)
        .filter(|(_, s)| !**s)
        .map(|(p, _)| p.email.clone())
        .take(LISTED)
        .collect();
    tally.linked = relink(&mut tx.h(), now, settings).await?;
    let outcome = conclude(
        &mut tx,
        now,
        actor,
        settings,
        ("people", None, "hr", name),
        tally,
        not_in_file,
        summary.extra_columns,
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Whether an HR record changes a stored person.
fn differs(p: &Person, r: &PersonRecord) -> bool {
    let d = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    p.employee_id.as_deref().unwrap_or("") != r.employee_id
        || p.name != r.name
        || p.email != r.email
        || p.department != r.department
        || p.manager_email != r.manager_email
        || p.status != r.status.as_str()
        || p.start_date != d(r.start_date)
        || p.leave_date != d(r.leave_date)
}

/// Links again every account not linked by hand; returns how many gained a person.
pub async fn relink(h: &mut Handle<'_>, now: Timestamp, s: &Settings) -> AppResult<u64> {
    let index = LinkIndex::load(h, s).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        username: String,
        email: Option<String>,
        employee_id: Option<String>,
        person_id: Option<String>,
        link_reason: Option<String>,
    }
    let q = Query::select()
        .columns(
            [
                "id",
                "username",
                "email",
                "employee_id",
                "person_id",
                "link_reason",
            ]
            .map(Alias::new),
        )
        .from(Alias::new("accounts"))
        .and_where(
            Expr::col(Alias::new("link_reason"))
                .is_null()
                .or(Expr::col(Alias::new("link_reason")).ne("manual")),
        )
        .to_owned();
    let rows: Vec<Row> = h.fetch_all(&q).await?;
    let mut linked = 0;
    for r in rows {
        let probe = AccountRecord {
            username: r.username,
            email: r.email,
            employee_id: r.employee_id,
            display_name: String::new(),
            privileged: false,
            mfa: false,
            last_login: None,
            groups: Vec::new(),
            enabled: true,
        };
        let (person, reason) = index.find(&probe);
        if person == r.person_id && reason == r.link_reason.as_deref() {
            continue;
        }
        if person.is_some() {
            linked += 1;
        }
        let q = Query::update()
            .table(Alias::new("accounts"))
            .value(Alias::new("person_id"), person)
            .value(Alias::new("link_reason"), reason)
            .value(Alias::new("updated_at"), now.to_db())
            .and_where(Expr::col(Alias::new("id")).eq(r.id))
            .to_owned();
        h.execute(&q).await?;
    }
    Ok(linked)
}
