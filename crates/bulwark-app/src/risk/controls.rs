//! Controls: safeguards the organisation runs or plans (first-class records that risks link to
//! and the compliance area will map to requirements). Planned and in-progress controls are the
//! initiatives to fund; they carry one-off and yearly costs and may require other controls first
//! (a requirement that would close a cycle is refused, naming it).

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, FieldError};
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use super::{CONTROL_KINDS, CONTROL_STATUSES, check_choice, next_code, person_by_email};
use crate::audit_log::{Actor, Change, record};
use crate::inventory::PersonRef;
use crate::platform::db::{DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// A control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Control {
    pub id: String,
    /// `C-001`.
    pub code: String,
    pub name: String,
    pub description: String,
    /// preventive, detective, corrective, deterrent or recovery.
    pub kind: String,
    /// planned, in_progress, implemented or retired.
    pub status: String,
    pub owner: Option<PersonRef>,
    /// One-off cost, whole units of the currency setting.
    pub one_off_cost: i64,
    /// Yearly cost, whole units of the currency setting.
    pub yearly_cost: i64,
    /// Ids of the controls that must be in place first.
    pub requires: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A control as written by a client. On update, absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlInput {
    /// Unique; the next `C-NNN` when absent.
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// The owner's email (a person in the people register); empty for none.
    pub owner: Option<String>,
    pub one_off_cost: Option<i64>,
    pub yearly_cost: Option<i64>,
    /// Ids or codes of the controls that must be in place first.
    pub requires: Option<Vec<String>>,
}

#[derive(sqlx::FromRow)]
struct ControlRow {
    id: String,
    code: String,
    name: String,
    description: String,
    kind: String,
    status: String,
    owner_id: Option<String>,
    owner_name: Option<String>,
    owner_email: Option<String>,
    one_off_cost: i64,
    yearly_cost: i64,
    created_at: String,
    updated_at: String,
}

#[derive(sqlx::FromRow)]
struct Edge {
    control_id: String,
    requires_id: String,
}

fn select() -> SelectStatement {
    let c = |n: &str| (Alias::new("c"), Alias::new(n));
    Query::select()
        .columns(
            [
                "id",
                "code",
                "name",
                "description",
                "kind",
                "status",
                "one_off_cost",
                "yearly_cost",
                "created_at",
                "updated_at",
            ]
            .map(c),
        )
        .expr_as(Expr::col(c("owner_person_id")), Alias::new("owner_id"))
        .expr_as(
            Expr::col((Alias::new("p"), Alias::new("name"))),
            Alias::new("owner_name"),
        )
        .expr_as(
            Expr::col((Alias::new("p"), Alias::new("email"))),
            Alias::new("owner_email"),
        )
        .from_as(Alias::new("controls"), Alias::new("c"))
        .join_as(
            JoinType::LeftJoin,
            Alias::new("people"),
            Alias::new("p"),
            Expr::col((Alias::new("p"), Alias::new("id"))).equals(c("owner_person_id")),
        )
        .order_by(c("code"), Order::Asc)
        .to_owned()
}

async fn edges(h: &mut Handle<'_>) -> Result<Vec<Edge>, DbError> {
    let q = Query::select()
        .columns(["control_id", "requires_id"].map(Alias::new))
        .from(Alias::new("control_dependencies"))
        .order_by(Alias::new("requires_id"), Order::Asc)
        .to_owned();
    h.fetch_all(&q).await
}

fn assemble(rows: Vec<ControlRow>, edges: &[Edge]) -> Vec<Control> {
    rows.into_iter()
        .map(|r| Control {
            requires: edges
                .iter()
                .filter(|e| e.control_id == r.id)
                .map(|e| e.requires_id.clone())
                .collect(),
            owner: r.owner_id.map(|id| PersonRef {
                id,
                name: r.owner_name.unwrap_or_default(),
                email: r.owner_email.unwrap_or_default(),
            }),
            id: r.id,
            code: r.code,
            name: r.name,
            description: r.description,
            kind: r.kind,
            status: r.status,
            one_off_cost: r.one_off_cost,
            yearly_cost: r.yearly_cost,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect()
}

/// Every control, by code.
pub async fn list(h: &mut Handle<'_>) -> Result<Vec<Control>, DbError> {
    let rows = h.fetch_all(&select()).await?;
    let e = edges(h).await?;
    Ok(assemble(rows, &e))
}

/// One control by id.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<Control>, DbError> {
    find(h, id).await
}

/// One control by id or code.
pub async fn find(h: &mut Handle<'_>, key: &str) -> Result<Option<Control>, DbError> {
    let q = select()
        .cond_where(
            Expr::col((Alias::new("c"), Alias::new("id")))
                .eq(key)
                .or(Expr::col((Alias::new("c"), Alias::new("code"))).eq(key.trim().to_uppercase())),
        )
        .to_owned();
    let rows = h.fetch_all(&q).await?;
    let e = edges(h).await?;
    Ok(assemble(rows, &e).pop())
}

/// Checks `i`, resolving people and required controls; every problem at once.
async fn columns(
    h: &mut Handle<'_>,
    i: &ControlInput,
    this: Option<&Control>,
) -> AppResult<(Vec<(&'static str, sea_query::Value)>, Option<Vec<String>>)> {
    let mut errs = Vec::new();
    let mut set: Vec<(&'static str, sea_query::Value)> = Vec::new();
    if let Some(code) = &i.code {
        let code = code.trim().to_uppercase();
        if code.len() < 2
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            errs.push(FieldError::new(
                "code",
                "must be 2 to 40 letters, digits, - or .",
            ));
        } else if find(h, &code)
            .await?
            .is_some_and(|c| Some(&c.id) != this.map(|t| &t.id))
        {
            errs.push(FieldError::new(
                "code",
                format!("{code} is already used by another control"),
            ));
        } else {
            set.push(("code", code.into()));
        }
    }
    match &i.name {
        Some(n) => match validate::label("name", n, 200) {
            Ok(n) => set.push(("name", n.into())),
            Err(e) => errs.push(e),
        },
        None if this.is_none() => errs.push(FieldError::new("name", "is required")),
        None => {}
    }
    match &i.description {
        Some(d) => match validate::free_text("description", d, 4000) {
            Ok(d) => set.push(("description", d.into())),
            Err(e) => errs.push(e),
        },
        None if this.is_none() => set.push(("description", "".into())),
        None => {}
    }
    for (field, choices, value, default) in [
        ("kind", CONTROL_KINDS, &i.kind, "preventive"),
        ("status", CONTROL_STATUSES, &i.status, "planned"),
    ] {
        match value {
            Some(v) => {
                check_choice(field, choices, v, &mut errs);
                set.push((field, v.clone().into()));
            }
            None if this.is_none() => set.push((field, default.into())),
            None => {}
        }
    }
    for (field, value) in [
        ("one_off_cost", i.one_off_cost),
        ("yearly_cost", i.yearly_cost),
    ] {
        match value {
            Some(v) if !(0..=1_000_000_000_000).contains(&v) => errs.push(FieldError::new(
                field,
                "must be between 0 and 1,000,000,000,000",
            )),
            Some(v) => set.push((field, v.into())),
            None if this.is_none() => set.push((field, 0i64.into())),
            None => {}
        }
    }
    if let Some(owner) = &i.owner {
        let id = person_by_email(h, "owner", Some(owner), &mut errs).await?;
        set.push(("owner_person_id", id.into()));
    } else if this.is_none() {
        set.push(("owner_person_id", Option::<String>::None.into()));
    }
    let mut requires = None;
    if let Some(keys) = &i.requires {
        let mut ids = Vec::new();
        for (n, k) in keys.iter().enumerate() {
            match find(h, k).await? {
                Some(c) if Some(&c.id) == this.map(|t| &t.id) => errs.push(FieldError::new(
                    format!("requires[{n}]"),
                    "a control cannot require itself",
                )),
                Some(c) if !ids.contains(&c.id) => ids.push(c.id),
                Some(_) => {}
                None => errs.push(FieldError::new(
                    format!("requires[{n}]"),
                    format!("no control {k}"),
                )),
            }
        }
        if let Some(t) = this {
            let all = edges(h).await?;
            let pairs: Vec<(String, String)> = all
                .iter()
                .filter(|e| e.control_id != t.id)
                .map(|e| (e.control_id.clone(), e.requires_id.clone()))
                .collect();
            for (n, r) in ids.iter().enumerate() {
                if let Some(cycle) = bulwark_core::graph::path(&pairs, r, &t.id) {
                    let mut names = Vec::new();
                    for id in &cycle {
                        names.push(find(h, id).await?.map_or(id.clone(), |c| c.code));
                    }
                    errs.push(FieldError::new(
                        format!("requires[{n}]"),
                        format!(
                            "would make a cycle: {} requires {}",
                            t.code,
                            names.join(" requires ")
                        ),
                    ));
                }
            }
        }
        requires = Some(ids);
    }
    if errs.is_empty() {
        Ok((set, requires))
    } else {
        Err(AppError::Invalid(errs))
    }
}

async fn set_requires(
    tx: &mut Tx,
    now: Timestamp,
    id: &str,
    requires: &[String],
) -> Result<(), DbError> {
    let q = Query::delete()
        .from_table(Alias::new("control_dependencies"))
        .and_where(Expr::col(Alias::new("control_id")).eq(id))
        .to_owned();
    tx.h().execute(&q).await?;
    for r in requires {
        let q = Query::insert()
            .into_table(Alias::new("control_dependencies"))
            .columns(["id", "control_id", "requires_id"].map(Alias::new))
            .values_panic([new_id(now).into(), id.into(), r.clone().into()])
            .to_owned();
        tx.h().execute(&q).await?;
    }
    Ok(())
}

/// Adds a control.
pub async fn create(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    i: &ControlInput,
) -> AppResult<Control> {
    let (mut set, requires) = columns(&mut tx.h(), i, None).await?;
    if !set.iter().any(|(c, _)| *c == "code") {
        set.push((
            "code",
            next_code(&mut tx.h(), "controls", "C").await?.into(),
        ));
    }
    let id = new_id(now);
    set.extend([
        ("id", id.clone().into()),
        ("created_at", now.to_db().into()),
        ("updated_at", now.to_db().into()),
    ]);
    rows::insert(tx, "controls", set).await?;
    set_requires(tx, now, &id, requires.as_deref().unwrap_or_default()).await?;
    let c = by_id(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.control.create", "control", Some(&id)).after(&c),
    )
    .await?;
    Ok(c)
}

/// Changes the given fields of a control.
pub async fn update(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    i: &ControlInput,
) -> AppResult<Control> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let (mut set, requires) = columns(&mut tx.h(), i, Some(&before)).await?;
    set.push(("updated_at", now.to_db().into()));
    rows::update(tx, "controls", id, set).await?;
    if let Some(r) = requires {
        set_requires(tx, now, id, &r).await?;
    }
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.control.update", "control", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// Removes a control, its links to risks and the requirements on it.
pub async fn delete(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<()> {
    let c = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    rows::delete(tx, "controls", id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.control.delete", "control", Some(id)).before(&c),
    )
    .await?;
    Ok(())
}
