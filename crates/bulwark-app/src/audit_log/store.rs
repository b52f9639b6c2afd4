//! Writing, reading and verifying the audit trail.

use bulwark_core::Timestamp;
use bulwark_core::audit::{AuditEntry, ChainBreak, ChainVerifier, GENESIS_HASH};
use sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query, SelectStatement};
use serde::Serialize;

use crate::platform::db::{Backend, Db, DbError, Handle, Tx};
use crate::platform::ids::new_id;

/// Who made a change.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    /// The user's id; none for the system.
    pub id: Option<String>,
    /// As people read it: an email, `system`, or `cli`.
    pub label: String,
}

impl Actor {
    /// Bulwark itself (start-up, jobs, demo loading).
    pub fn system() -> Actor {
        Actor {
            id: None,
            label: "system".into(),
        }
    }

    /// An operator at the command line.
    pub fn cli() -> Actor {
        Actor {
            id: None,
            label: "cli".into(),
        }
    }

    /// A signed-in user.
    pub fn user(id: &str, email: &str) -> Actor {
        Actor {
            id: Some(id.into()),
            label: email.into(),
        }
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change {
    /// What was done, `entity.verb` (e.g. `user.create`).
    pub action: String,
    /// The kind of record.
    pub entity_type: String,
    /// The record.
    pub entity_id: Option<String>,
    /// The record before (none for creations).
    pub before: Option<serde_json::Value>,
    /// The record after (none for deletions).
    pub after: Option<serde_json::Value>,
}

impl Change {
    /// A change to a record of `entity_type`.
    pub fn new(action: &str, entity_type: &str, entity_id: Option<&str>) -> Change {
        Change {
            action: action.into(),
            entity_type: entity_type.into(),
            entity_id: entity_id.map(Into::into),
            before: None,
            after: None,
        }
    }

    /// With the record as it was.
    pub fn before(mut self, v: &impl Serialize) -> Change {
        self.before = serde_json::to_value(v).ok();
        self
    }

    /// With the record as it is now.
    pub fn after(mut self, v: &impl Serialize) -> Change {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

#[derive(sqlx::FromRow)]
struct TailRow {
    seq: i64,
    hash: String,
}

const COLUMNS: [&str; 12] = [
    "seq",
    "id",
    "at",
    "actor_id",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "prev_hash",
    "hash",
];

/// Appends an entry inside `tx`. Appends are serialised (the SQLite write lock; an advisory
/// lock on PostgreSQL), so the chain has no forks and sequence numbers have no gaps.
pub async fn record(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    change: Change,
) -> Result<AuditEntry, DbError> {
    if tx.backend() == Backend::Postgres {
        tx.h()
            .execute_raw("SELECT pg_advisory_xact_lock(7433002)")
            .await?;
    }
    let tail = Query::select()
        .columns([Alias::new("seq"), Alias::new("hash")])
        .from(Alias::new("audit_log"))
        .order_by(Alias::new("seq"), Order::Desc)
        .limit(1)
        .to_owned();
    let (seq, prev_hash) = match tx.h().fetch_optional::<TailRow>(&tail).await? {
        Some(t) => (t.seq + 1, t.hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let entry = AuditEntry {
        seq,
        id: new_id(now),
        at: now.to_db(),
        actor_id: actor.id.clone(),
        actor: actor.label.clone(),
        action: change.action,
        entity_type: change.entity_type,
        entity_id: change.entity_id,
        before: change.before.map(|v| v.to_string()),
        after: change.after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    }
    .seal();
    let q = Query::insert()
        .into_table(Alias::new("audit_log"))
        .columns(COLUMNS.map(Alias::new))
        .values_panic([
            entry.seq.into(),
            entry.id.clone().into(),
            entry.at.clone().into(),
            entry.actor_id.clone().into(),
            entry.actor.clone().into(),
            entry.action.clone().into(),
            entry.entity_type.clone().into(),
            entry.entity_id.clone().into(),
            entry.before.clone().into(),
            entry.after.clone().into(),
            entry.prev_hash.clone().into(),
            entry.hash.clone().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    Ok(entry)
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    id: String,
    at: String,
    actor_id: Option<String>,
    actor: String,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    before: Option<String>,
    after: Option<String>,
    prev_hash: String,
    hash: String,
}

impl From<EntryRow> for AuditEntry {
    fn from(r: EntryRow) -> Self {
        AuditEntry {
            seq: r.seq,
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor: r.actor,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Filters for browsing the trail. All are optional and combine with AND.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// Entries by this actor (email, `system` or `cli`), exact.
    pub actor: Option<String>,
    /// Entries whose action starts with this, e.g. `user.` or `user.create`.
    pub action: Option<String>,
    /// Entries about this kind of record.
    pub entity_type: Option<String>,
    /// Entries about this record.
    pub entity_id: Option<String>,
    /// Entries at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Entries before this time (RFC 3339).
    pub to: Option<String>,
}

impl Filter {
    fn condition(&self) -> Result<Cond, bulwark_core::validate::FieldError> {
        let mut c = Cond::all();
        if let Some(a) = &self.actor {
            c = c.add(Expr::col(Alias::new("actor")).eq(a.as_str()));
        }
        if let Some(a) = &self.action {
            c = c.add(
                Expr::col(Alias::new("action"))
                    .like(format!("{}%", a.replace('%', "").replace('_', "\\_"))),
            );
        }
        if let Some(t) = &self.entity_type {
            c = c.add(Expr::col(Alias::new("entity_type")).eq(t.as_str()));
        }
        if let Some(i) = &self.entity_id {
            c = c.add(Expr::col(Alias::new("entity_id")).eq(i.as_str()));
        }
        for (field, v, after) in [("from", &self.from, true), ("to", &self.to, false)] {
            if let Some(v) = v {
                let t = Timestamp::parse(v).map_err(|_| {
                    bulwark_core::validate::FieldError::new(
                        field,
                        "must be an RFC 3339 time such as 2026-01-31T00:00:00Z",
                    )
                })?;
                c = c.add(if after {
                    Expr::col(Alias::new("at")).gte(t.to_db())
                } else {
                    Expr::col(Alias::new("at")).lt(t.to_db())
                });
            }
        }
        Ok(c)
    }
}

fn select() -> SelectStatement {
    Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("audit_log"))
        .to_owned()
}

/// Newest first: up to `limit` entries older than `before_seq` that match `filter`.
pub async fn list(
    db: &Db,
    filter: &Filter,
    before_seq: Option<i64>,
    limit: u64,
) -> Result<Result<Vec<AuditEntry>, bulwark_core::validate::FieldError>, DbError> {
    let cond = match filter.condition() {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let mut q = select();
    q.cond_where(cond)
        .order_by(Alias::new("seq"), Order::Desc)
        .limit(limit);
    if let Some(b) = before_seq {
        q.and_where(Expr::col(Alias::new("seq")).lt(b));
    }
    Ok(Ok(db
        .fetch_all::<EntryRow>(&q)
        .await?
        .into_iter()
        .map(Into::into)
        .collect()))
}

/// Reads the whole trail in sequence order, in batches, calling `f` for each entry.
pub async fn for_each(
    h: &mut Handle<'_>,
    mut f: impl FnMut(AuditEntry) -> Result<(), ChainBreak>,
) -> Result<Result<(), ChainBreak>, DbError> {
    let mut after = 0i64;
    loop {
        let mut q = select();
        q.and_where(Expr::col(Alias::new("seq")).gt(after))
            .order_by(Alias::new("seq"), Order::Asc)
            .limit(2000);
        let batch = h.fetch_all::<EntryRow>(&q).await?;
        if batch.is_empty() {
            return Ok(Ok(()));
        }
        for r in batch {
            after = r.seq;
            if let Err(b) = f(r.into()) {
                return Ok(Err(b));
            }
        }
    }
}

/// The outcome of verifying the trail.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// True when every entry is intact and linked.
    pub intact: bool,
    /// Entries checked before stopping.
    pub entries_checked: u64,
    /// The first broken entry, when not intact.
    pub first_broken_seq: Option<i64>,
    /// What is wrong, in plain words.
    pub problem: Option<String>,
    /// The hash of the last intact entry (a value auditors can note and compare later).
    pub head_hash: String,
}

/// Verifies the whole chain.
pub async fn verify(db: &Db) -> Result<Verification, DbError> {
    verify_on(&mut db.read().await?.h()).await
}

/// Verifies the whole chain as one connection or transaction sees it (an import checks the
/// entries it wrote before it commits).
pub async fn verify_on(h: &mut Handle<'_>) -> Result<Verification, DbError> {
    let mut v = ChainVerifier::default();
    let outcome = for_each(h, |e| v.push(&e)).await?;
    Ok(match outcome {
        Ok(()) => Verification {
            intact: true,
            entries_checked: v.checked(),
            first_broken_seq: None,
            problem: None,
            head_hash: v.last_hash().into(),
        },
        Err(b) => Verification {
            intact: false,
            entries_checked: v.checked(),
            first_broken_seq: Some(match b {
                ChainBreak::Altered { seq } | ChainBreak::Unlinked { seq, .. } => seq,
                ChainBreak::Gap { expected, .. } => expected,
            }),
            problem: Some(b.to_string()),
            head_hash: v.last_hash().into(),
        },
    })
}
