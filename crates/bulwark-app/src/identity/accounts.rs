//! Accounts: who can sign in to each system (an asset or SaaS application), and to whom each
//! account belongs. Accounts arrive by import (CSV, LDAP) or SCIM provisioning; the link to a
//! person is made automatically where the rules find one, otherwise by hand from the queue.

use bulwark_core::Timestamp;
use bulwark_identity::AccountRecord;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, Value};
use serde::{Deserialize, Serialize};

use crate::audit_log::{Actor, Change, record};
use crate::inventory::assets::PersonRef;
use crate::platform::db::{Db, DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};

/// Account kinds: used by one person, by a program, or by several people.
pub const KINDS: [&str; 3] = ["human", "service", "shared"];

/// How an account came to be linked to its person.
pub const LINK_REASONS: [&str; 4] = ["email", "employee_id", "username_rule", "manual"];

/// An account as clients and the audit trail see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    pub id: String,
    /// The asset or SaaS application the account lives on.
    pub system_id: String,
    pub system_name: String,
    pub username: String,
    pub email: Option<String>,
    pub display_name: String,
    /// Holds administrative rights.
    pub privileged: bool,
    /// Signs in with a second factor.
    pub mfa: bool,
    /// Last sign-in (UTC timestamp), when the system reports it.
    pub last_login: Option<String>,
    /// Groups or entitlements held on the system.
    pub groups: Vec<String>,
    pub enabled: bool,
    pub employee_id: Option<String>,
    /// The identity provider's id (SCIM `externalId`).
    pub external_id: Option<String>,
    /// The person the account belongs to (for a service account: its owner).
    pub person: Option<PersonRef>,
    /// human, service or shared.
    pub kind: String,
    /// email, employee_id, username_rule or manual; absent while unlinked.
    pub link_reason: Option<String>,
    /// csv, ldap or scim.
    pub source: String,
    /// When the account was first imported.
    pub first_seen: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The stored row, joined with the system's and person's names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: String,
    system_id: String,
    system_name: String,
    username: String,
    email: Option<String>,
    display_name: String,
    privileged: bool,
    mfa: bool,
    last_login: Option<String>,
    groups: String,
    enabled: bool,
    employee_id: Option<String>,
    external_id: Option<String>,
    person_id: Option<String>,
    person_name: Option<String>,
    person_email: Option<String>,
    kind: String,
    link_reason: Option<String>,
    source: String,
    first_seen: String,
    created_at: String,
    updated_at: String,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Account {
        Account {
            person: r.person_id.map(|id| PersonRef {
                id,
                name: r.person_name.unwrap_or_default(),
                email: r.person_email.unwrap_or_default(),
            }),
            id: r.id,
            system_id: r.system_id,
            system_name: r.system_name,
            username: r.username,
            email: r.email,
            display_name: r.display_name,
            privileged: r.privileged,
            mfa: r.mfa,
            last_login: r.last_login,
            groups: serde_json::from_str(&r.groups).unwrap_or_default(),
            enabled: r.enabled,
            employee_id: r.employee_id,
            external_id: r.external_id,
            kind: r.kind,
            link_reason: r.link_reason,
            source: r.source,
            first_seen: r.first_seen,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl Account {
    /// The record the importers compare with.
    pub fn record(&self) -> AccountRecord {
        AccountRecord {
            username: self.username.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            privileged: self.privileged,
            mfa: self.mfa,
            last_login: self
                .last_login
                .as_deref()
                .and_then(|t| Timestamp::parse(t).ok())
                .map(Timestamp::datetime),
            groups: self.groups.clone(),
            enabled: self.enabled,
            employee_id: self.employee_id.clone(),
        }
    }
}

/// Columns of `accounts` read as they are.
const PLAIN: [&str; 19] = [
    "id",
    "system_id",
    "username",
    "email",
    "display_name",
    "privileged",
    "mfa",
    "last_login",
    "groups",
    "enabled",
    "employee_id",
    "external_id",
    "person_id",
    "kind",
    "link_reason",
    "source",
    "first_seen",
    "created_at",
    "updated_at",
];

fn col(c: &str) -> (Alias, Alias) {
    (Alias::new("ac"), Alias::new(c))
}

/// `SELECT … FROM accounts ac JOIN assets s … LEFT JOIN people p …`.
fn select() -> SelectStatement {
    let mut q = Query::select();
    for c in PLAIN {
        q.column(col(c));
    }
    q.expr_as(
        Expr::col((Alias::new("s"), Alias::new("name"))),
        Alias::new("system_name"),
    )
    .expr_as(
        Expr::col((Alias::new("p"), Alias::new("name"))),
        Alias::new("person_name"),
    )
    .expr_as(
        Expr::col((Alias::new("p"), Alias::new("email"))),
        Alias::new("person_email"),
    )
    .from_as(Alias::new("accounts"), Alias::new("ac"))
    .join_as(
        JoinType::InnerJoin,
        Alias::new("assets"),
        Alias::new("s"),
        Expr::col((Alias::new("s"), Alias::new("id"))).equals(col("system_id")),
    )
    .join_as(
        JoinType::LeftJoin,
        Alias::new("people"),
        Alias::new("p"),
        Expr::col((Alias::new("p"), Alias::new("id"))).equals(col("person_id")),
    )
    .to_owned()
}

/// Finds an account by id.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<Account>, DbError> {
    Ok(
        h.fetch_optional::<AccountRow>(select().and_where(Expr::col(col("id")).eq(id)))
            .await?
            .map(Account::from),
    )
}

/// Finds an account by system and username (case-insensitive).
pub async fn by_username(
    h: &mut Handle<'_>,
    system_id: &str,
    username: &str,
) -> Result<Option<Account>, DbError> {
    let q = select()
        .and_where(Expr::col(col("system_id")).eq(system_id))
        .and_where(Expr::col(col("username_key")).eq(username.to_lowercase()))
        .to_owned();
    Ok(h.fetch_optional::<AccountRow>(&q).await?.map(Account::from))
}

/// Filters for listing accounts.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub system_id: Option<String>,
    pub person_id: Option<String>,
    pub kind: Option<String>,
    /// Only human accounts linked to nobody: the linking queue.
    pub unlinked: bool,
    pub privileged: Option<bool>,
    pub enabled: Option<bool>,
    /// Text in the username, display name or email.
    pub q: Option<String>,
}

impl AccountFilter {
    fn apply(&self, q: &mut SelectStatement) {
        if let Some(s) = &self.system_id {
            q.and_where(Expr::col(col("system_id")).eq(s.as_str()));
        }
        if let Some(p) = &self.person_id {
            q.and_where(Expr::col(col("person_id")).eq(p.as_str()));
        }
        if let Some(k) = &self.kind {
            q.and_where(Expr::col(col("kind")).eq(k.as_str()));
        }
        if self.unlinked {
            q.and_where(Expr::col(col("kind")).eq("human"))
                .and_where(Expr::col(col("person_id")).is_null());
        }
        if let Some(b) = self.privileged {
            q.and_where(Expr::col(col("privileged")).eq(b));
        }
        if let Some(b) = self.enabled {
            q.and_where(Expr::col(col("enabled")).eq(b));
        }
        if let Some(t) = &self.q {
            let pat = crate::platform::db::contains_pattern(t);
            q.and_where(
                Expr::col(col("username_key"))
                    .like(pat.clone())
                    .or(sea_query::Func::lower(Expr::col(col("display_name"))).like(pat.clone()))
                    .or(Expr::col(col("email")).like(pat)),
            );
        }
    }
}

/// Lists accounts by username, after the cursor `(username_key, id)`, up to `limit`.
pub async fn list(
    db: &Db,
    f: &AccountFilter,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<Account>, DbError> {
    let mut q = select();
    f.apply(&mut q);
    if let Some((key, id)) = after {
        q.and_where(
            Expr::col(col("username_key"))
                .gt(key.clone())
                .or(Expr::col(col("username_key"))
                    .eq(key)
                    .and(Expr::col(col("id")).gt(id))),
        );
    }
    q.order_by(col("username_key"), Order::Asc)
        .order_by(col("id"), Order::Asc)
        .limit(limit);
    Ok(db
        .fetch_all::<AccountRow>(&q)
        .await?
        .into_iter()
        .map(Account::from)
        .collect())
}

/// Every account on the given systems (all when `privileged_only` is false), by system and
/// username: the population an access review freezes.
pub async fn on_systems(
    h: &mut Handle<'_>,
    system_ids: &[String],
    privileged_only: bool,
) -> Result<Vec<Account>, DbError> {
    let mut q = select();
    q.and_where(Expr::col(col("system_id")).is_in(system_ids.iter().map(String::as_str)));
    if privileged_only {
        q.and_where(Expr::col(col("privileged")).eq(true));
    }
    q.order_by((Alias::new("s"), Alias::new("name")), Order::Asc)
        .order_by(col("username_key"), Order::Asc);
    Ok(h.fetch_all::<AccountRow>(&q)
        .await?
        .into_iter()
        .map(Account::from)
        .collect())
}

/// The sort key of a username (usernames are unique per system without regard to case).
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// The stored values of an account record (the columns an import may change).
pub(crate) fn record_values(a: &AccountRecord) -> [(&'static str, Value); 10] {
    [
        ("username", a.username.clone().into()),
        ("username_key", username_key(&a.username).into()),
        ("email", a.email.clone().into()),
        ("display_name", a.display_name.clone().into()),
        ("privileged", a.privileged.into()),
        ("mfa", a.mfa.into()),
        (
            "last_login",
            a.last_login
                .map(|t| Timestamp::from_datetime(t).to_db())
                .into(),
        ),
        (
            "groups",
            serde_json::to_string(&a.groups)
                .unwrap_or_else(|_| "[]".into())
                .into(),
        ),
        ("enabled", a.enabled.into()),
        ("employee_id", a.employee_id.clone().into()),
    ]
}

/// A new account row.
pub(crate) struct NewAccount<'a> {
    pub id: String,
    pub system_id: &'a str,
    pub person_id: Option<String>,
    pub link_reason: Option<&'static str>,
    /// csv, ldap or scim.
    pub source: &'static str,
    pub record: &'a AccountRecord,
    pub external_id: Option<String>,
    /// The SCIM name parts and manager, as JSON.
    pub scim_profile: Option<String>,
}

/// An insert of account rows, to which [`NewAccount::values`] rows are added.
pub(crate) fn insert() -> sea_query::InsertStatement {
    let record_columns = record_values(&AccountRecord {
        username: String::new(),
        email: None,
        display_name: String::new(),
        privileged: false,
        mfa: false,
        last_login: None,
        groups: Vec::new(),
        enabled: true,
        employee_id: None,
    })
    .map(|(c, _)| c);
    Query::insert()
        .into_table(Alias::new("accounts"))
        .columns(
            [
                "id",
                "system_id",
                "person_id",
                "kind",
                "link_reason",
                "source",
                "external_id",
                "scim_profile",
                "first_seen",
                "created_at",
                "updated_at",
            ]
            .into_iter()
            .chain(record_columns)
            .map(Alias::new),
        )
        .to_owned()
}

impl NewAccount<'_> {
    /// The row's values, in [`insert`]'s column order; a new account is a human's until someone
    /// says otherwise.
    pub(crate) fn values(self, now: Timestamp) -> Vec<sea_query::SimpleExpr> {
        let mut row: Vec<Value> = vec![
            self.id.into(),
            self.system_id.into(),
            self.person_id.into(),
            "human".into(),
            self.link_reason.into(),
            self.source.into(),
            self.external_id.into(),
            self.scim_profile.into(),
            now.to_db().into(),
            now.to_db().into(),
            now.to_db().into(),
        ];
        row.extend(record_values(self.record).map(|(_, v)| v));
        row.into_iter().map(Into::into).collect()
    }
}

/// What a person decided about an account in the linking queue.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkChange {
    /// The person the account belongs to (for a service account, its owner); null unlinks.
    #[serde(default)]
    pub person_id: Option<String>,
    /// human, service or shared; unchanged when absent.
    #[serde(default)]
    pub kind: Option<String>,
}

/// Links an account to a person or marks its kind by hand, records it, and re-evaluates the
/// findings. A manual decision is kept by later imports.
pub async fn set_link(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &crate::settings::Settings,
    id: &str,
    change: &LinkChange,
) -> AppResult<Account> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let kind = match change.kind.as_deref() {
        None => before.kind.clone(),
        Some(k) if KINDS.contains(&k) => k.to_string(),
        Some(_) => return Err(AppError::field("kind", "must be human, service or shared")),
    };
    let person_id = match change.person_id.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(
            crate::identity::people::by_id(&mut tx.h(), p)
                .await?
                .ok_or_else(|| AppError::field("person_id", "no such person"))?
                .id,
        ),
        None => None,
    };
    let q = Query::update()
        .table(Alias::new("accounts"))
        .value(Alias::new("person_id"), person_id.clone())
        .value(Alias::new("kind"), kind)
        .value(Alias::new("link_reason"), "manual")
        .value(Alias::new("updated_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    tx.h().execute(&q).await?;
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("account.link", "account", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    crate::identity::findings::refresh(tx, now, actor, settings).await?;
    Ok(after)
}

/// One system's accounts at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SystemSummary {
    pub id: String,
    pub name: String,
    pub accounts: i64,
    pub privileged: i64,
    pub disabled: i64,
    /// Human accounts linked to nobody.
    pub unlinked: i64,
}

/// Every system holding accounts, by name.
pub async fn systems(h: &mut Handle<'_>) -> Result<Vec<SystemSummary>, DbError> {
    // COUNT(CASE WHEN … THEN 1 END): a 64-bit count on both backends (SUM is NUMERIC on
    // PostgreSQL).
    let count_if = |cond: sea_query::Expr, alias: &str| {
        (
            sea_query::Func::count(sea_query::CaseStatement::new().case(cond, Expr::val(1))),
            Alias::new(alias),
        )
    };
    let mut q = Query::select();
    q.column((Alias::new("s"), Alias::new("id")))
        .column((Alias::new("s"), Alias::new("name")))
        .expr_as(Expr::col(col("id")).count(), Alias::new("accounts"));
    for (cond, alias) in [
        count_if(Expr::col(col("privileged")).eq(true), "privileged"),
        count_if(Expr::col(col("enabled")).eq(false), "disabled"),
        count_if(
            Expr::col(col("kind"))
                .eq("human")
                .and(Expr::col(col("person_id")).is_null()),
            "unlinked",
        ),
    ] {
        q.expr_as(cond, alias);
    }
    q.from_as(Alias::new("accounts"), Alias::new("ac"))
        .join_as(
            JoinType::InnerJoin,
            Alias::new("assets"),
            Alias::new("s"),
            Expr::col((Alias::new("s"), Alias::new("id"))).equals(col("system_id")),
        )
        .group_by_col((Alias::new("s"), Alias::new("id")))
        .group_by_col((Alias::new("s"), Alias::new("name")))
        .order_by((Alias::new("s"), Alias::new("name")), Order::Asc);
    h.fetch_all(&q).await
}
