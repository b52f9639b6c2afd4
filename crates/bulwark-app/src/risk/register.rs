//! The risk register: risk scenarios, their owner, category, status and treatment, and their
//! links to assets and services, threats, weaknesses and controls. A risk is read whole (links,
//! scores in force, the active acceptance, open actions, appetite) by [`load`]; the register of
//! a small or mid-size organisation is hundreds of risks, so lists are filtered in memory after
//! a handful of queries.

use std::collections::HashMap;

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, FieldError};
use chrono::NaiveDate;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, Value};
use serde::{Deserialize, Serialize};

use super::appetite::{self, CategoryAppetite};
use super::assessments::{self, Assessment};
use super::treatment::{self, Acceptance};
use super::{CATEGORIES, STATUSES, TREATMENTS, check_choice, matrices, next_code, person_by_email};
use crate::audit_log::{Actor, Change, record};
use crate::inventory::PersonRef;
use crate::platform::db::{DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// A record a risk links to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Linked {
    pub id: String,
    /// Its name (an asset), or code and name (a threat or control).
    pub label: String,
    /// A control's status; empty for assets and threats.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

/// A risk scenario, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Risk {
    pub id: String,
    /// `R-001`.
    pub code: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub owner: Option<PersonRef>,
    /// The owner's name (empty when nobody owns it).
    pub owner_name: Option<String>,
    /// open, treating, accepted or closed.
    pub status: String,
    /// undecided, mitigate, transfer, avoid or accept.
    pub treatment: String,
    /// How: the insurer and policy, the contract, what stops, the plan in words.
    pub treatment_plan: String,
    /// Next review (`YYYY-MM-DD`).
    pub review_date: Option<String>,
    /// The matrix new scores are made on.
    pub matrix_id: String,
    /// Weaknesses that make it possible (free text; vulnerabilities will link here).
    pub weaknesses: Vec<String>,
    pub assets: Vec<Linked>,
    pub threats: Vec<Linked>,
    pub controls: Vec<Linked>,
    pub inherent: Option<Assessment>,
    pub current: Option<Assessment>,
    pub target: Option<Assessment>,
    /// The acceptance in force.
    pub acceptance: Option<Acceptance>,
    pub open_actions: i64,
    /// The earliest due date of the open actions (`YYYY-MM-DD`).
    pub next_action_due: Option<String>,
    /// Whether the score in force (current, else inherent) is above its category's appetite.
    pub above_appetite: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Risk {
    /// The score that says where the risk stands now: current, else inherent.
    pub fn in_force(&self) -> Option<&Assessment> {
        self.current.as_ref().or(self.inherent.as_ref())
    }
}

/// A risk as written by a client. On update, absent fields keep their value; lists replace.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskInput {
    /// Unique; the next `R-NNN` when absent.
    pub code: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// strategic, operational, technology, information, compliance, financial, third_party,
    /// people or reputation.
    pub category: Option<String>,
    /// The owner's email (a person in the people register); empty for none.
    pub owner: Option<String>,
    /// open, treating or closed (a risk becomes accepted through an approved acceptance).
    pub status: Option<String>,
    /// undecided, mitigate, transfer, avoid or accept.
    pub treatment: Option<String>,
    pub treatment_plan: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    pub review_date: Option<String>,
    pub matrix_id: Option<String>,
    pub weaknesses: Option<Vec<String>>,
    /// Asset ids or names.
    pub assets: Option<Vec<String>>,
    /// Threat ids or codes.
    pub threats: Option<Vec<String>>,
    /// Control ids or codes.
    pub controls: Option<Vec<String>>,
}

/// Which risks a list shows.
#[derive(Debug, Clone, Default)]
pub struct RiskFilter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub treatment: Option<String>,
    pub owner_id: Option<String>,
    pub asset_id: Option<String>,
    pub control_id: Option<String>,
    pub above_appetite: Option<bool>,
    /// Text in the code, title or description (case-insensitive).
    pub q: Option<String>,
}

impl RiskFilter {
    /// Whether the filter keeps `r`.
    pub fn keeps(&self, r: &Risk) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        let q = self.q.as_deref().map(str::to_lowercase);
        eq(&self.status, &r.status)
            && eq(&self.category, &r.category)
            && eq(&self.treatment, &r.treatment)
            && self
                .owner_id
                .as_deref()
                .is_none_or(|o| r.owner.as_ref().is_some_and(|p| p.id == o))
            && self
                .asset_id
                .as_deref()
                .is_none_or(|a| r.assets.iter().any(|l| l.id == a))
            && self
                .control_id
                .as_deref()
                .is_none_or(|c| r.controls.iter().any(|l| l.id == c))
            && self.above_appetite.is_none_or(|a| a == r.above_appetite)
            && q.is_none_or(|q| {
                r.code.to_lowercase().contains(&q)
                    || r.title.to_lowercase().contains(&q)
                    || r.description.to_lowercase().contains(&q)
            })
    }
}

#[derive(sqlx::FromRow)]
struct RiskRow {
    id: String,
    code: String,
    title: String,
    description: String,
    category: String,
    owner_id: Option<String>,
    owner_name: Option<String>,
    owner_email: Option<String>,
    status: String,
    treatment: String,
    treatment_plan: String,
    review_date: Option<String>,
    matrix_id: Option<String>,
    weaknesses: String,
    created_at: String,
    updated_at: String,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    risk_id: String,
    id: String,
    code: String,
    name: String,
    status: String,
}

fn col(t: &str, c: &str) -> (Alias, Alias) {
    (Alias::new(t), Alias::new(c))
}

fn select(risk_id: Option<&str>) -> SelectStatement {
    let mut q = Query::select();
    q.columns(
        [
            "id",
            "code",
            "title",
            "description",
            "category",
            "status",
            "treatment",
            "treatment_plan",
            "review_date",
            "matrix_id",
            "weaknesses",
            "created_at",
            "updated_at",
        ]
        .map(|c| col("r", c)),
    )
    .expr_as(
        Expr::col(col("r", "owner_person_id")),
        Alias::new("owner_id"),
    )
    .expr_as(Expr::col(col("p", "name")), Alias::new("owner_name"))
    .expr_as(Expr::col(col("p", "email")), Alias::new("owner_email"))
    .from_as(Alias::new("risks"), Alias::new("r"))
    .join_as(
        JoinType::LeftJoin,
        Alias::new("people"),
        Alias::new("p"),
        Expr::col(col("p", "id")).equals(col("r", "owner_person_id")),
    )
    .order_by(col("r", "code"), Order::Asc);
    if let Some(id) = risk_id {
        q.and_where(Expr::col(col("r", "id")).eq(id));
    }
    q
}

/// The links from risks (one, or all) through `table.column` to `parent` (assets, threats or
/// controls; the last two have codes).
async fn links(
    h: &mut Handle<'_>,
    table: &str,
    column: &str,
    parent: &str,
    risk_id: Option<&str>,
) -> Result<Vec<LinkRow>, DbError> {
    let coded = parent != "assets";
    let or_empty = |yes: bool, c: &str| {
        if yes {
            Expr::col(col("t", c))
        } else {
            Expr::val("")
        }
    };
    let mut q = Query::select();
    q.expr_as(Expr::col(col("l", "risk_id")), Alias::new("risk_id"))
        .expr_as(Expr::col(col("t", "id")), Alias::new("id"))
        .expr_as(or_empty(coded, "code"), Alias::new("code"))
        .expr_as(Expr::col(col("t", "name")), Alias::new("name"))
        .expr_as(
            or_empty(parent == "controls", "status"),
            Alias::new("status"),
        )
        .from_as(Alias::new(table), Alias::new("l"))
        .join_as(
            JoinType::InnerJoin,
            Alias::new(parent),
            Alias::new("t"),
            Expr::col(col("t", "id")).equals(col("l", column)),
        )
        .order_by(col("t", if coded { "code" } else { "name" }), Order::Asc);
    if let Some(id) = risk_id {
        q.and_where(Expr::col(col("l", "risk_id")).eq(id));
    }
    h.fetch_all(&q).await
}

fn group(rows: Vec<LinkRow>) -> HashMap<String, Vec<Linked>> {
    let mut out: HashMap<String, Vec<Linked>> = HashMap::new();
    for r in rows {
        let label = if r.code.is_empty() {
            r.name
        } else {
            format!("{} {}", r.code, r.name)
        };
        out.entry(r.risk_id).or_default().push(Linked {
            id: r.id,
            label,
            status: r.status,
        });
    }
    out
}

/// Risks whole: one (`risk_id`) or all, by code.
pub async fn load(h: &mut Handle<'_>, risk_id: Option<&str>) -> Result<Vec<Risk>, DbError> {
    let rows: Vec<RiskRow> = h.fetch_all(&select(risk_id)).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut assets = group(links(h, "risk_assets", "asset_id", "assets", risk_id).await?);
    let mut threats = group(links(h, "risk_threats", "threat_id", "threats", risk_id).await?);
    let mut controls = group(links(h, "risk_controls", "control_id", "controls", risk_id).await?);
    let mut scores: HashMap<(String, String), Assessment> = assessments::in_force(h, risk_id)
        .await?
        .into_iter()
        .map(|a| ((a.risk_id.clone(), a.kind.clone()), a))
        .collect();
    let mut accepted: HashMap<String, Acceptance> = treatment::active_acceptances(h, risk_id)
        .await?
        .into_iter()
        .map(|a| (a.risk_id.clone(), a))
        .collect();
    let mut actions = treatment::open_action_counts(h, risk_id).await?;
    let appetite = appetite::by_category(h).await?;
    let default_matrix = matrices::default_id();
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut take = |kind: &str| scores.remove(&(r.id.clone(), kind.to_string()));
            let (inherent, current, target) = (take("inherent"), take("current"), take("target"));
            let (open_actions, next_action_due) = actions.remove(&r.id).unwrap_or_default();
            let mut risk = Risk {
                owner: r.owner_id.map(|id| PersonRef {
                    id,
                    name: r.owner_name.clone().unwrap_or_default(),
                    email: r.owner_email.unwrap_or_default(),
                }),
                owner_name: r.owner_name,
                assets: assets.remove(&r.id).unwrap_or_default(),
                threats: threats.remove(&r.id).unwrap_or_default(),
                controls: controls.remove(&r.id).unwrap_or_default(),
                acceptance: accepted.remove(&r.id),
                weaknesses: serde_json::from_str(&r.weaknesses).unwrap_or_default(),
                matrix_id: r.matrix_id.unwrap_or_else(|| default_matrix.clone()),
                id: r.id,
                code: r.code,
                title: r.title,
                description: r.description,
                category: r.category,
                status: r.status,
                treatment: r.treatment,
                treatment_plan: r.treatment_plan,
                review_date: r.review_date,
                inherent,
                current,
                target,
                open_actions,
                next_action_due,
                above_appetite: false,
                created_at: r.created_at,
                updated_at: r.updated_at,
            };
            risk.above_appetite = above(&appetite, &risk);
            risk
        })
        .collect())
}

fn above(appetite: &HashMap<String, CategoryAppetite>, r: &Risk) -> bool {
    r.status != "closed"
        && match (appetite.get(&r.category), r.in_force()) {
            (Some(a), Some(s)) => a.exceeded_by(s),
            _ => false,
        }
}

/// One risk, whole.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<Risk>, DbError> {
    Ok(load(h, Some(id)).await?.pop())
}

/// The risks `filter` keeps, by code.
pub async fn list(h: &mut Handle<'_>, filter: &RiskFilter) -> Result<Vec<Risk>, DbError> {
    Ok(load(h, None)
        .await?
        .into_iter()
        .filter(|r| filter.keeps(r))
        .collect())
}

/// Links to replace, resolved to ids.
#[derive(Default)]
struct Links {
    assets: Option<Vec<String>>,
    threats: Option<Vec<String>>,
    controls: Option<Vec<String>>,
}

/// Resolves keys (ids, or names/codes) to ids of `table`, with a problem per unknown key.
async fn resolve(
    h: &mut Handle<'_>,
    field: &str,
    table: &str,
    name_column: &str,
    keys: &[String],
    errs: &mut Vec<FieldError>,
) -> Result<Vec<String>, DbError> {
    #[derive(sqlx::FromRow)]
    struct IdRow {
        id: String,
    }
    let mut ids: Vec<String> = Vec::new();
    for (n, k) in keys.iter().enumerate() {
        let k = k.trim();
        let by_name = if name_column == "code" {
            k.to_uppercase()
        } else {
            k.to_string()
        };
        let q = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new(table))
            .cond_where(
                Expr::col(Alias::new("id"))
                    .eq(k)
                    .or(Expr::col(Alias::new(name_column)).eq(by_name)),
            )
            .limit(1)
            .to_owned();
        match h.fetch_optional::<IdRow>(&q).await? {
            Some(r) if !ids.contains(&r.id) => ids.push(r.id),
            Some(_) => {}
            None => errs.push(FieldError::new(
                format!("{field}[{n}]"),
                format!("no {field} {k}"),
            )),
        }
    }
    Ok(ids)
}

/// Checks every given field (all problems at once) into columns to set and links to replace.
async fn check(
    h: &mut Handle<'_>,
    i: &RiskInput,
    this: Option<&Risk>,
) -> AppResult<(Vec<(&'static str, Value)>, Links)> {
    let mut errs = Vec::new();
    let mut set: Vec<(&'static str, Value)> = Vec::new();
    let creating = this.is_none();
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
        } else {
            let q = Query::select()
                .column(Alias::new("id"))
                .from(Alias::new("risks"))
                .and_where(Expr::col(Alias::new("code")).eq(code.clone()))
                .to_owned();
            let taken: Option<(String,)> = h.fetch_optional(&q).await?;
            if taken.is_some_and(|(id,)| Some(&id) != this.map(|t| &t.id)) {
                errs.push(FieldError::new(
                    "code",
                    format!("{code} is already used by another risk"),
                ));
            } else {
                set.push(("code", code.into()));
            }
        }
    }
    match &i.title {
        Some(t) => match validate::label("title", t, 200) {
            Ok(t) => set.push(("title", t.into())),
            Err(e) => errs.push(e),
        },
        None if creating => errs.push(FieldError::new("title", "is required")),
        None => {}
    }
    for (field, value, max) in [
        ("description", &i.description, 8000),
        ("treatment_plan", &i.treatment_plan, 8000),
    ] {
        match value {
            Some(v) => match validate::free_text(field, v, max) {
                Ok(v) => set.push((field, v.into())),
                Err(e) => errs.push(e),
            },
            None if creating => set.push((field, "".into())),
            None => {}
        }
    }
    match &i.category {
        Some(c) => {
            check_choice("category", CATEGORIES, c, &mut errs);
            set.push(("category", c.clone().into()));
        }
        None if creating => errs.push(FieldError::new("category", "is required")),
        None => {}
    }
    match &i.status {
        Some(s) if s == "accepted" && this.is_none_or(|t| t.status != "accepted") => {
            errs.push(FieldError::new(
                "status",
                "a risk becomes accepted when someone allowed to approve it records an acceptance \
                 (POST /api/v1/risks/{id}/acceptances)",
            ));
        }
        Some(s) if this.is_some_and(|t| t.acceptance.is_some() && s != "accepted") => {
            errs.push(FieldError::new(
                "status",
                "the risk is accepted until its acceptance expires: withdraw the acceptance first",
            ));
        }
        Some(s) => {
            check_choice("status", STATUSES, s, &mut errs);
            set.push(("status", s.clone().into()));
        }
        None if creating => set.push(("status", "open".into())),
        None => {}
    }
    match &i.treatment {
        Some(t) => {
            check_choice("treatment", TREATMENTS, t, &mut errs);
            set.push(("treatment", t.clone().into()));
        }
        None if creating => set.push(("treatment", "undecided".into())),
        None => {}
    }
    match i.review_date.as_deref().map(str::trim) {
        Some("") => set.push(("review_date", Option::<String>::None.into())),
        Some(d) => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(_) => set.push(("review_date", d.to_string().into())),
            Err(_) => errs.push(FieldError::new(
                "review_date",
                "must be a date like 2027-03-31",
            )),
        },
        None if creating => set.push(("review_date", Option::<String>::None.into())),
        None => {}
    }
    match i.matrix_id.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => {
            if matrices::by_id(h, m).await?.is_none() {
                errs.push(FieldError::new("matrix_id", "no such matrix"));
            }
            set.push(("matrix_id", m.to_string().into()));
        }
        None if creating => set.push(("matrix_id", matrices::default_id().into())),
        None => {}
    }
    match &i.weaknesses {
        Some(w) => {
            let mut list = Vec::new();
            for (n, item) in w.iter().enumerate() {
                if item.trim().is_empty() {
                    continue;
                }
                match validate::label(&format!("weaknesses[{n}]"), item, 500) {
                    Ok(v) => list.push(v),
                    Err(e) => errs.push(e),
                }
            }
            set.push((
                "weaknesses",
                serde_json::to_string(&list).unwrap_or_default().into(),
            ));
        }
        None if creating => set.push(("weaknesses", "[]".into())),
        None => {}
    }
    if let Some(owner) = &i.owner {
        let id = person_by_email(h, "owner", Some(owner), &mut errs).await?;
        set.push(("owner_person_id", id.into()));
    } else if creating {
        set.push(("owner_person_id", Option::<String>::None.into()));
    }
    let mut links = Links::default();
    if let Some(keys) = &i.assets {
        links.assets = Some(resolve(h, "assets", "assets", "name", keys, &mut errs).await?);
    }
    if let Some(keys) = &i.threats {
        links.threats = Some(resolve(h, "threats", "threats", "code", keys, &mut errs).await?);
    }
    if let Some(keys) = &i.controls {
        links.controls = Some(resolve(h, "controls", "controls", "code", keys, &mut errs).await?);
    }
    if errs.is_empty() {
        Ok((set, links))
    } else {
        Err(AppError::Invalid(errs))
    }
}

/// Replaces the links of one kind, keeping rows (and a control's recorded effect) that stay.
async fn replace_links(
    tx: &mut Tx,
    now: Timestamp,
    table: &str,
    column: &str,
    risk_id: &str,
    ids: &[String],
) -> Result<(), DbError> {
    let mut q = Query::delete();
    q.from_table(Alias::new(table))
        .and_where(Expr::col(Alias::new("risk_id")).eq(risk_id));
    if !ids.is_empty() {
        q.and_where(Expr::col(Alias::new(column)).is_not_in(ids.iter().cloned()));
    }
    tx.h().execute(&q).await?;
    for id in ids {
        link(tx, now, table, column, risk_id, id).await?;
    }
    Ok(())
}

/// Adds one link unless it exists.
async fn link(
    tx: &mut Tx,
    now: Timestamp,
    table: &str,
    column: &str,
    risk_id: &str,
    id: &str,
) -> Result<(), DbError> {
    let q = Query::insert()
        .into_table(Alias::new(table))
        .columns(["id", "risk_id", column].map(Alias::new))
        .values_panic([new_id(now).into(), risk_id.into(), id.into()])
        .on_conflict(
            sea_query::OnConflict::columns([Alias::new("risk_id"), Alias::new(column)])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    tx.h().execute(&q).await.map(|_| ())
}

async fn write_links(tx: &mut Tx, now: Timestamp, risk_id: &str, l: &Links) -> Result<(), DbError> {
    for (ids, table, column) in [
        (&l.assets, "risk_assets", "asset_id"),
        (&l.threats, "risk_threats", "threat_id"),
        (&l.controls, "risk_controls", "control_id"),
    ] {
        if let Some(ids) = ids {
            replace_links(tx, now, table, column, risk_id, ids).await?;
        }
    }
    Ok(())
}

/// Adds a risk to the register.
pub async fn create(tx: &mut Tx, now: Timestamp, actor: &Actor, i: &RiskInput) -> AppResult<Risk> {
    let (mut set, links) = check(&mut tx.h(), i, None).await?;
    if !set.iter().any(|(c, _)| *c == "code") {
        set.push(("code", next_code(&mut tx.h(), "risks", "R").await?.into()));
    }
    let id = new_id(now);
    set.extend([
        ("id", id.clone().into()),
        ("created_at", now.to_db().into()),
        ("updated_at", now.to_db().into()),
    ]);
    rows::insert(tx, "risks", set).await?;
    write_links(tx, now, &id, &links).await?;
    let r = by_id(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.create", "risk", Some(&id)).after(&r),
    )
    .await?;
    Ok(r)
}

/// Changes the given fields of a risk.
pub async fn update(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    i: &RiskInput,
) -> AppResult<Risk> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let (mut set, links) = check(&mut tx.h(), i, Some(&before)).await?;
    set.push(("updated_at", now.to_db().into()));
    rows::update(tx, "risks", id, set).await?;
    write_links(tx, now, id, &links).await?;
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.update", "risk", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// Removes a risk with its scores, links, actions and acceptances.
pub async fn delete(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<()> {
    let r = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    rows::delete(tx, "risks", id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.delete", "risk", Some(id)).before(&r),
    )
    .await?;
    Ok(())
}

/// Links a control to a risk (nothing happens if it is linked already).
pub async fn link_control(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    risk_id: &str,
    control_id: &str,
) -> AppResult<()> {
    let r = by_id(&mut tx.h(), risk_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = super::controls::by_id(&mut tx.h(), control_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if r.controls.iter().any(|l| l.id == c.id) {
        return Ok(());
    }
    link(tx, now, "risk_controls", "control_id", &r.id, &c.id).await?;
    touch(tx, now, &r.id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.control.link", "risk", Some(&r.id))
            .after(&serde_json::json!({"control_id": c.id, "control": c.code})),
    )
    .await?;
    Ok(())
}

/// Unlinks a control from a risk.
pub async fn unlink_control(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    risk_id: &str,
    control_id: &str,
) -> AppResult<()> {
    let r = by_id(&mut tx.h(), risk_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !r.controls.iter().any(|l| l.id == control_id) {
        return Err(AppError::NotFound);
    }
    let q = Query::delete()
        .from_table(Alias::new("risk_controls"))
        .and_where(Expr::col(Alias::new("risk_id")).eq(&r.id))
        .and_where(Expr::col(Alias::new("control_id")).eq(control_id))
        .to_owned();
    tx.h().execute(&q).await?;
    touch(tx, now, &r.id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.control.unlink", "risk", Some(&r.id))
            .before(&serde_json::json!({"control_id": control_id})),
    )
    .await?;
    Ok(())
}

/// Marks a risk changed now.
pub(crate) async fn touch(tx: &mut Tx, now: Timestamp, id: &str) -> Result<(), DbError> {
    set_columns(tx, now, id, vec![]).await
}

/// Moves a risk to another matrix (its next scores are made on it).
pub(crate) async fn set_matrix(
    tx: &mut Tx,
    now: Timestamp,
    id: &str,
    matrix_id: &str,
) -> Result<(), DbError> {
    set_columns(tx, now, id, vec![("matrix_id", matrix_id.into())]).await
}

/// Sets a risk's status and treatment (acceptances do).
pub(crate) async fn set_status(
    tx: &mut Tx,
    now: Timestamp,
    id: &str,
    status: &str,
    treatment: Option<&str>,
) -> Result<(), DbError> {
    let mut set = vec![("status", status.into())];
    if let Some(t) = treatment {
        set.push(("treatment", t.into()));
    }
    set_columns(tx, now, id, set).await
}

async fn set_columns(
    tx: &mut Tx,
    now: Timestamp,
    id: &str,
    mut set: Vec<(&'static str, Value)>,
) -> Result<(), DbError> {
    set.push(("updated_at", now.to_db().into()));
    rows::update(tx, "risks", id, set).await
}
