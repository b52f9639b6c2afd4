//! The threat catalogue: the built-in threats (`catalogue.rs`) and the organisation's own.
//! Built-in threats are read-only; the organisation adds, edits and removes its own.

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, FieldError};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use super::catalogue::CATEGORIES;
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// A threat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Threat {
    pub id: String,
    /// `T-RANSOMWARE`.
    pub code: String,
    pub name: String,
    /// adversarial, accidental, structural or environmental.
    pub category: String,
    /// MITRE ATT&CK tactic identifiers (`TA0001`).
    pub tactics: Vec<String>,
    pub description: String,
    pub builtin: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A threat as written by a client.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatInput {
    /// Unique; letters, digits and `-` (`T-` and the name in capitals when absent).
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub tactics: Vec<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(sqlx::FromRow)]
struct ThreatRow {
    id: String,
    code: String,
    name: String,
    category: String,
    tactics: String,
    description: String,
    builtin: bool,
    created_at: String,
    updated_at: String,
}

impl From<ThreatRow> for Threat {
    fn from(r: ThreatRow) -> Threat {
        Threat {
            id: r.id,
            code: r.code,
            name: r.name,
            category: r.category,
            tactics: serde_json::from_str(&r.tactics).unwrap_or_default(),
            description: r.description,
            builtin: r.builtin,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: [&str; 9] = [
    "id",
    "code",
    "name",
    "category",
    "tactics",
    "description",
    "builtin",
    "created_at",
    "updated_at",
];

fn select() -> SelectStatement {
    Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("threats"))
        .order_by(Alias::new("code"), Order::Asc)
        .to_owned()
}

/// The whole catalogue, by code.
pub async fn list(h: &mut Handle<'_>) -> Result<Vec<Threat>, DbError> {
    let rows: Vec<ThreatRow> = h.fetch_all(&select()).await?;
    Ok(rows.into_iter().map(Threat::from).collect())
}

/// One threat by id or code.
pub async fn find(h: &mut Handle<'_>, key: &str) -> Result<Option<Threat>, DbError> {
    let q = select()
        .cond_where(
            Expr::col(Alias::new("id"))
                .eq(key)
                .or(Expr::col(Alias::new("code")).eq(key.trim().to_uppercase())),
        )
        .to_owned();
    let row: Option<ThreatRow> = h.fetch_optional(&q).await?;
    Ok(row.map(Threat::from))
}

struct Checked {
    code: String,
    name: String,
    tactics: Vec<String>,
    description: String,
}

fn check(i: &ThreatInput) -> AppResult<Checked> {
    let mut errs = Vec::new();
    let name = validate::label("name", &i.name, 120)
        .map_err(|e| errs.push(e))
        .ok();
    let code = match &i.code {
        Some(c) if !c.trim().is_empty() => c.trim().to_uppercase(),
        _ => {
            let words: String = i
                .name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(12)
                .collect();
            format!("T-{}", words.to_uppercase())
        }
    };
    if code.len() > 40
        || code.len() < 3
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        errs.push(FieldError::new(
            "code",
            "must be 3 to 40 letters, digits or - (for example T-LAB-FIRE)",
        ));
    }
    if !CATEGORIES.iter().any(|(v, _)| *v == i.category) {
        errs.push(FieldError::new(
            "category",
            "must be adversarial, accidental, structural or environmental",
        ));
    }
    let mut tactics = Vec::new();
    for (n, t) in i.tactics.iter().enumerate() {
        let t = t.trim().to_uppercase();
        if t.len() == 6 && t.starts_with("TA") && t[2..].chars().all(|c| c.is_ascii_digit()) {
            tactics.push(t);
        } else {
            errs.push(FieldError::new(
                format!("tactics[{n}]"),
                "must be an ATT&CK tactic identifier like TA0001",
            ));
        }
    }
    let description = validate::free_text("description", &i.description, 2000)
        .map_err(|e| errs.push(e))
        .unwrap_or_default();
    match name {
        Some(name) if errs.is_empty() => Ok(Checked {
            code,
            name,
            tactics,
            description,
        }),
        _ => Err(AppError::Invalid(errs)),
    }
}

async fn code_taken(h: &mut Handle<'_>, code: &str, except: &str) -> Result<bool, DbError> {
    Ok(find(h, code).await?.is_some_and(|t| t.id != except))
}

/// Adds a threat to the catalogue.
pub async fn create(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    i: &ThreatInput,
) -> AppResult<Threat> {
    let c = check(i)?;
    if code_taken(&mut tx.h(), &c.code, "").await? {
        return Err(AppError::Invalid(vec![FieldError::new(
            "code",
            format!("{} is already in the catalogue", c.code),
        )]));
    }
    let id = new_id(now);
    let q = Query::insert()
        .into_table(Alias::new("threats"))
        .columns(COLUMNS.map(Alias::new))
        .values_panic([
            id.clone().into(),
            c.code.into(),
            c.name.into(),
            i.category.clone().into(),
            serde_json::to_string(&c.tactics).unwrap_or_default().into(),
            c.description.into(),
            false.into(),
            now.to_db().into(),
            now.to_db().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let t = find(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.threat.create", "threat", Some(&id)).after(&t),
    )
    .await?;
    Ok(t)
}

async fn own(h: &mut Handle<'_>, id: &str) -> AppResult<Threat> {
    let t = find(h, id).await?.ok_or(AppError::NotFound)?;
    if t.builtin {
        return Err(AppError::Conflict(
            "built-in threats cannot be changed; add your own threat instead".into(),
        ));
    }
    Ok(t)
}

/// Replaces one of the organisation's threats.
pub async fn update(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    i: &ThreatInput,
) -> AppResult<Threat> {
    let before = own(&mut tx.h(), id).await?;
    let c = check(i)?;
    if code_taken(&mut tx.h(), &c.code, &before.id).await? {
        return Err(AppError::Invalid(vec![FieldError::new(
            "code",
            format!("{} is already in the catalogue", c.code),
        )]));
    }
    let q = Query::update()
        .table(Alias::new("threats"))
        .values([
            (Alias::new("code"), c.code.into()),
            (Alias::new("name"), c.name.into()),
            (Alias::new("category"), i.category.clone().into()),
            (
                Alias::new("tactics"),
                serde_json::to_string(&c.tactics).unwrap_or_default().into(),
            ),
            (Alias::new("description"), c.description.into()),
            (Alias::new("updated_at"), now.to_db().into()),
        ])
        .and_where(Expr::col(Alias::new("id")).eq(&before.id))
        .to_owned();
    tx.h().execute(&q).await?;
    let after = find(&mut tx.h(), &before.id)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.threat.update", "threat", Some(&before.id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// Removes one of the organisation's threats (its links to risks go with it).
pub async fn delete(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<()> {
    let t = own(&mut tx.h(), id).await?;
    rows::delete(tx, "threats", &t.id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.threat.delete", "threat", Some(&t.id)).before(&t),
    )
    .await?;
    Ok(())
}
