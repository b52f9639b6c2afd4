//! The people register: who works here (from the HR file or entered by hand), and its storage.

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, Email, FieldError};
use bulwark_identity::{PersonRecord, PersonStatus};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement, Value};
use serde::{Deserialize, Serialize};

use crate::audit_log::{Actor, Change, record};
use crate::inventory::assets::date;
use crate::platform::db::{Db, DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// A person as clients and the audit trail see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Person {
    pub id: String,
    /// The HR system's key, when the person came from the HR file.
    pub employee_id: Option<String>,
    pub name: String,
    pub email: String,
    pub department: String,
    pub manager_email: Option<String>,
    /// `active` or `leaver`.
    pub status: String,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`.
    pub leave_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The columns of `people`, in `Person` order.
pub(crate) const COLUMNS: [&str; 11] = [
    "id",
    "employee_id",
    "name",
    "email",
    "department",
    "manager_email",
    "status",
    "start_date",
    "leave_date",
    "created_at",
    "updated_at",
];

fn select() -> SelectStatement {
    Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("people"))
        .to_owned()
}

/// Finds a person by (normalised) email.
pub async fn by_email(h: &mut Handle<'_>, email: &str) -> Result<Option<Person>, DbError> {
    h.fetch_optional(select().and_where(Expr::col(Alias::new("email")).eq(email)))
        .await
}

/// Finds a person by id.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<Person>, DbError> {
    h.fetch_optional(select().and_where(Expr::col(Alias::new("id")).eq(id)))
        .await
}

/// Every person (for linking and findings, which look at the whole population).
pub async fn all(h: &mut Handle<'_>) -> Result<Vec<Person>, DbError> {
    h.fetch_all(select().order_by(Alias::new("email"), Order::Asc))
        .await
}

/// Filters for listing people.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub status: Option<String>,
    pub department: Option<String>,
    /// Text in the name or email.
    pub q: Option<String>,
}

/// Lists people by name, after the cursor `(name, id)`, up to `limit`.
pub async fn list(
    db: &Db,
    f: &PersonFilter,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<Person>, DbError> {
    let mut q = select();
    if let Some(s) = &f.status {
        q.and_where(Expr::col(Alias::new("status")).eq(s.as_str()));
    }
    if let Some(d) = &f.department {
        q.and_where(Expr::col(Alias::new("department")).eq(d.as_str()));
    }
    if let Some(text) = &f.q {
        let pat = crate::platform::db::contains_pattern(text);
        q.and_where(
            Expr::col(Alias::new("email"))
                .like(pat.clone())
                .or(sea_query::Func::lower(Expr::col(Alias::new("name"))).like(pat)),
        );
    }
    if let Some((key, id)) = after {
        q.and_where(
            Expr::col(Alias::new("name"))
                .gt(key.clone())
                .or(Expr::col(Alias::new("name"))
                    .eq(key)
                    .and(Expr::col(Alias::new("id")).gt(id))),
        );
    }
    q.order_by(Alias::new("name"), Order::Asc)
        .order_by(Alias::new("id"), Order::Asc)
        .limit(limit);
    db.fetch_all(&q).await
}

/// A person entered by hand (the HR import fills the same fields).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub employee_id: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub manager_email: Option<String>,
    /// `active` (default) or `leaver`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub start_date: Option<String>,
    /// Required for leavers.
    #[serde(default)]
    pub leave_date: Option<String>,
}

/// A field's trimmed text, none when absent or blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks a hand-entered person into the record the HR import would produce.
pub fn check(n: &NewPerson) -> Result<PersonRecord, AppError> {
    let mut errs: Vec<FieldError> = Vec::new();
    let mut keep = |r: Result<String, FieldError>| r.map_err(|e| errs.push(e)).ok();
    let name = keep(validate::label("name", &n.name, 200));
    let email = keep(Email::parse("email", &n.email).map(|e| e.as_str().to_string()));
    let employee_id =
        given(&n.employee_id).and_then(|s| keep(validate::label("employee_id", s, 100)));
    let department = given(&n.department).and_then(|s| keep(validate::label("department", s, 200)));
    let manager_email = given(&n.manager_email)
        .and_then(|s| keep(Email::parse("manager_email", s).map(|e| e.as_str().to_string())));
    let start = given(&n.start_date).and_then(|s| keep(date("start_date", s)));
    let leave = given(&n.leave_date).and_then(|s| keep(date("leave_date", s)));
    let status = PersonStatus::parse(n.status.as_deref().unwrap_or("active"));
    if status.is_none() {
        errs.push(FieldError::new("status", "must be active or leaver"));
    }
    if status == Some(PersonStatus::Leaver) && leave.is_none() {
        errs.push(FieldError::new("leave_date", "is required for a leaver"));
    }
    if let (Some(s), Some(l)) = (&start, &leave)
        && l < s
    {
        errs.push(FieldError::new(
            "leave_date",
            "must not be before start_date",
        ));
    }
    match (name, email, status) {
        (Some(name), Some(email), Some(status)) if errs.is_empty() => Ok(PersonRecord {
            employee_id: employee_id.unwrap_or_default(),
            name,
            email,
            department: department.unwrap_or_default(),
            manager_email,
            status,
            start_date: start.and_then(|d| d.parse().ok()),
            leave_date: leave.and_then(|d| d.parse().ok()),
        }),
        _ => Err(AppError::Invalid(errs)),
    }
}

/// The stored values of a record, in `COLUMNS` order after id (timestamps excluded).
fn values(p: &PersonRecord) -> [(&'static str, Value); 8] {
    let d = |d: Option<chrono::NaiveDate>| -> Value {
        d.map(|d| d.format("%Y-%m-%d").to_string()).into()
    };
    [
        (
            "employee_id",
            Some(p.employee_id.clone()).filter(|s| !s.is_empty()).into(),
        ),
        ("name", p.name.clone().into()),
        ("email", p.email.clone().into()),
        ("department", p.department.clone().into()),
        ("manager_email", p.manager_email.clone().into()),
        ("status", p.status.as_str().into()),
        ("start_date", d(p.start_date)),
        ("leave_date", d(p.leave_date)),
    ]
}

/// Inserts a person (checked) and records it.
pub async fn create(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    p: &PersonRecord,
) -> AppResult<Person> {
    if by_email(&mut tx.h(), &p.email).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "a person with the email {} already exists",
            p.email
        )));
    }
    let id = new_id(now);
    insert(&mut tx.h(), now, &id, p).await?;
    let person = by_id(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("person.create", "person", Some(&id)).after(&person),
    )
    .await?;
    Ok(person)
}

/// Inserts one row without recording it (bulk imports record one summary entry instead).
pub(crate) async fn insert(
    h: &mut Handle<'_>,
    now: Timestamp,
    id: &str,
    p: &PersonRecord,
) -> Result<(), DbError> {
    let mut cols: Vec<(&str, Value)> = vec![("id", id.into())];
    cols.extend(values(p));
    cols.push(("created_at", now.to_db().into()));
    cols.push(("updated_at", now.to_db().into()));
    let q = Query::insert()
        .into_table(Alias::new("people"))
        .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(cols.into_iter().map(|(_, v)| v.into()))
        .to_owned();
    h.execute(&q).await?;
    Ok(())
}

/// Overwrites a person's fields with `p` without recording it.
pub(crate) async fn overwrite(
    h: &mut Handle<'_>,
    now: Timestamp,
    id: &str,
    p: &PersonRecord,
) -> Result<(), DbError> {
    let mut q = Query::update();
    q.table(Alias::new("people"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .value(Alias::new("updated_at"), now.to_db());
    for (c, v) in values(p) {
        q.value(Alias::new(c), v);
    }
    h.execute(&q).await?;
    Ok(())
}

/// Replaces a person's fields and records before and after.
pub async fn update(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    p: &PersonRecord,
) -> AppResult<Person> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    if let Some(other) = by_email(&mut tx.h(), &p.email).await?
        && other.id != id
    {
        return Err(AppError::Conflict(format!(
            "a person with the email {} already exists",
            p.email
        )));
    }
    overwrite(&mut tx.h(), now, id, p).await?;
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("person.update", "person", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}
