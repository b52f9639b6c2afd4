//! What people decide about findings: exemptions (an accepted exception on one account, with a
//! reason and an expiry, such as a break-glass account that is rarely used) and
//! segregation-of-duties rules ("nobody may hold both X and Y"). Every change re-evaluates the
//! findings in the same transaction.

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, FieldError};
use chrono::NaiveDate;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use super::accounts;
use super::findings::{self, KINDS};
use crate::audit_log::{Actor, Change, record};
use crate::inventory::assets;
use crate::platform::db::{DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;
use crate::settings::Settings;

/// The longest an exemption may run before someone must look at it again.
pub const MAX_EXEMPTION_DAYS: i64 = 366;

/// An accepted exception.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct IdentityExemption {
    pub id: String,
    pub account_id: String,
    pub username: String,
    pub system_name: String,
    /// The finding kind it covers.
    pub kind: String,
    pub reason: String,
    /// Last day covered (`YYYY-MM-DD`).
    pub expires: String,
    pub created_by: String,
    pub created_at: String,
}

/// A new exemption.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExemption {
    pub account_id: String,
    /// dormant, privileged_without_mfa, shared_account, orphaned, leaver_enabled or sod_conflict.
    pub kind: String,
    /// Why the exception is accepted (required).
    pub reason: String,
    /// Last day covered, `YYYY-MM-DD`, at most a year ahead.
    pub expires: String,
}

fn exemption_select() -> SelectStatement {
    let c = |t: &str, c: &str| (Alias::new(t), Alias::new(c));
    Query::select()
        .columns(
            [
                "id",
                "account_id",
                "kind",
                "reason",
                "expires",
                "created_by",
                "created_at",
            ]
            .map(|n| c("e", n)),
        )
        .expr_as(Expr::col(c("a", "username")), Alias::new("username"))
        .expr_as(Expr::col(c("s", "name")), Alias::new("system_name"))
        .from_as(Alias::new("identity_exemptions"), Alias::new("e"))
        .join_as(
            JoinType::InnerJoin,
            Alias::new("accounts"),
            Alias::new("a"),
            Expr::col(c("a", "id")).equals(c("e", "account_id")),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new("assets"),
            Alias::new("s"),
            Expr::col(c("s", "id")).equals(c("a", "system_id")),
        )
        .order_by(c("e", "expires"), Order::Asc)
        .to_owned()
}

/// Every exemption, soonest expiry first.
pub async fn exemptions(h: &mut Handle<'_>) -> Result<Vec<IdentityExemption>, DbError> {
    h.fetch_all(&exemption_select()).await
}

async fn exemption(h: &mut Handle<'_>, id: &str) -> Result<Option<IdentityExemption>, DbError> {
    h.fetch_optional(
        exemption_select().and_where(Expr::col((Alias::new("e"), Alias::new("id"))).eq(id)),
    )
    .await
}

/// Adds an exemption (every problem listed at once) and re-evaluates the findings.
pub async fn add_exemption(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    n: &NewExemption,
) -> AppResult<IdentityExemption> {
    let mut errs = Vec::new();
    if !KINDS.contains(&n.kind.as_str()) {
        errs.push(FieldError::new(
            "kind",
            format!("must be one of {}", KINDS.join(", ")),
        ));
    }
    let reason = validate::label("reason", &n.reason, 1000)
        .map_err(|e| errs.push(e))
        .ok();
    let today = now.datetime().date_naive();
    match NaiveDate::parse_from_str(n.expires.trim(), "%Y-%m-%d") {
        Err(_) => errs.push(FieldError::new("expires", "must be a date like 2026-12-31")),
        Ok(d) if d < today => errs.push(FieldError::new("expires", "must not be in the past")),
        Ok(d) if (d - today).num_days() > MAX_EXEMPTION_DAYS => errs.push(FieldError::new(
            "expires",
            format!(
                "must be within {MAX_EXEMPTION_DAYS} days: exemptions are reviewed at least yearly"
            ),
        )),
        Ok(_) => {}
    }
    if accounts::by_id(&mut tx.h(), &n.account_id).await?.is_none() {
        errs.push(FieldError::new("account_id", "no such account"));
    }
    let Some(reason) = reason.filter(|_| errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let id = new_id(now);
    let q = Query::insert()
        .into_table(Alias::new("identity_exemptions"))
        .columns(
            [
                "id",
                "account_id",
                "kind",
                "reason",
                "expires",
                "created_by",
                "created_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.clone().into(),
            n.account_id.clone().into(),
            n.kind.clone().into(),
            reason.into(),
            n.expires.trim().into(),
            actor.label.clone().into(),
            now.to_db().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let e = exemption(&mut tx.h(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("identity.exemption.create", "identity_exemption", Some(&id)).after(&e),
    )
    .await?;
    findings::refresh(tx, now, actor, settings).await?;
    Ok(e)
}

/// Withdraws an exemption and re-evaluates the findings.
pub async fn remove_exemption(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    id: &str,
) -> AppResult<()> {
    let e = exemption(&mut tx.h(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change =
        Change::new("identity.exemption.delete", "identity_exemption", Some(id)).before(&e);
    remove(tx, now, actor, settings, "identity_exemptions", id, change).await
}

/// Deletes a row, records the change, and re-evaluates the findings.
async fn remove(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    table: &str,
    id: &str,
    change: Change,
) -> AppResult<()> {
    rows::delete(tx, table, id).await?;
    record(tx, now, actor, change).await?;
    findings::refresh(tx, now, actor, settings).await?;
    Ok(())
}

/// A segregation-of-duties rule: nobody may hold both entitlements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct SodRuleView {
    pub id: String,
    pub name: String,
    /// The system of the first entitlement; any system when absent.
    pub first_system_id: Option<String>,
    pub first_system_name: Option<String>,
    /// A group or entitlement name (compared without regard to case).
    pub first_group: String,
    pub second_system_id: Option<String>,
    pub second_system_name: Option<String>,
    pub second_group: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A rule as written by a client.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SodRuleInput {
    pub name: String,
    /// System id or name; any system when absent.
    #[serde(default)]
    pub first_system: Option<String>,
    pub first_group: String,
    #[serde(default)]
    pub second_system: Option<String>,
    pub second_group: String,
}

fn rule_select() -> SelectStatement {
    let c = |t: &str, c: &str| (Alias::new(t), Alias::new(c));
    let mut q = Query::select();
    q.columns(
        [
            "id",
            "name",
            "first_system_id",
            "first_group",
            "second_system_id",
            "second_group",
            "created_at",
            "updated_at",
        ]
        .map(|n| c("r", n)),
    );
    for (alias, which) in [("s1", "first"), ("s2", "second")] {
        q.expr_as(
            Expr::col(c(alias, "name")),
            Alias::new(format!("{which}_system_name")),
        )
        .join_as(
            JoinType::LeftJoin,
            Alias::new("assets"),
            Alias::new(alias),
            Expr::col(c(alias, "id")).equals(c("r", &format!("{which}_system_id"))),
        );
    }
    q.from_as(Alias::new("sod_rules"), Alias::new("r"))
        .order_by(c("r", "name"), Order::Asc)
        .to_owned()
}

/// Every rule, by name.
pub async fn sod_rules(h: &mut Handle<'_>) -> Result<Vec<SodRuleView>, DbError> {
    h.fetch_all(&rule_select()).await
}

async fn sod_rule(h: &mut Handle<'_>, id: &str) -> Result<Option<SodRuleView>, DbError> {
    h.fetch_optional(rule_select().and_where(Expr::col((Alias::new("r"), Alias::new("id"))).eq(id)))
        .await
}

/// Checks a rule, resolving system names; every problem listed.
async fn check_rule(
    h: &mut Handle<'_>,
    r: &SodRuleInput,
) -> AppResult<(String, Option<String>, String, Option<String>, String)> {
    let mut errs = Vec::new();
    let name = validate::label("name", &r.name, 200)
        .map_err(|e| errs.push(e))
        .ok();
    let mut side = async |field: &str, system: &Option<String>, group: &str| {
        let group = validate::label(&format!("{field}_group"), group, 200)
            .map_err(|e| errs.push(e))
            .ok();
        let system = match system.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(s) => match assets::by_id_or_name(h, s).await {
                Ok(Some(a)) => Some(Some(a.id)),
                Ok(None) => {
                    errs.push(FieldError::new(
                        format!("{field}_system"),
                        format!("no asset or system is called {s:?}"),
                    ));
                    None
                }
                Err(e) => return Err(e),
            },
        };
        Ok(system.zip(group))
    };
    let first = side("first", &r.first_system, &r.first_group).await?;
    let second = side("second", &r.second_system, &r.second_group).await?;
    if let (Some((s1, g1)), Some((s2, g2))) = (&first, &second)
        && s1 == s2
        && g1.eq_ignore_ascii_case(g2)
    {
        errs.push(FieldError::new(
            "second_group",
            "must differ from the first entitlement",
        ));
    }
    match (name, first, second) {
        (Some(n), Some((s1, g1)), Some((s2, g2))) if errs.is_empty() => Ok((n, s1, g1, s2, g2)),
        _ => Err(AppError::Invalid(errs)),
    }
}

/// Adds or replaces (`id` given) a rule, records it, and re-evaluates the findings.
pub async fn save_sod_rule(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    id: Option<&str>,
    r: &SodRuleInput,
) -> AppResult<SodRuleView> {
    let before = match id {
        Some(id) => Some(sod_rule(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    let (name, s1, g1, s2, g2) = check_rule(&mut tx.h(), r).await?;
    let values = [
        ("name", name.into()),
        ("first_system_id", s1.into()),
        ("first_group", g1.into()),
        ("second_system_id", s2.into()),
        ("second_group", g2.into()),
        ("updated_at", now.to_db().into()),
    ];
    let rid = match id {
        Some(id) => {
            let q = Query::update()
                .table(Alias::new("sod_rules"))
                .values(values.map(|(c, v): (&str, sea_query::Value)| (Alias::new(c), v.into())))
                .and_where(Expr::col(Alias::new("id")).eq(id))
                .to_owned();
            tx.h().execute(&q).await?;
            id.to_string()
        }
        None => {
            let id = new_id(now);
            let mut cols = vec![
                ("id", id.clone().into()),
                ("created_at", now.to_db().into()),
            ];
            cols.extend(values);
            let q = Query::insert()
                .into_table(Alias::new("sod_rules"))
                .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
                .values_panic(
                    cols.into_iter()
                        .map(|(_, v): (&str, sea_query::Value)| v.into()),
                )
                .to_owned();
            tx.h().execute(&q).await?;
            id
        }
    };
    let after = sod_rule(&mut tx.h(), &rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut change = Change::new(
        if before.is_some() {
            "identity.sod_rule.update"
        } else {
            "identity.sod_rule.create"
        },
        "sod_rule",
        Some(&rid),
    )
    .after(&after);
    if let Some(b) = &before {
        change = change.before(b);
    }
    record(tx, now, actor, change).await?;
    findings::refresh(tx, now, actor, settings).await?;
    Ok(after)
}

/// Removes a rule and re-evaluates the findings.
pub async fn remove_sod_rule(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &Settings,
    id: &str,
) -> AppResult<()> {
    let before = sod_rule(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let change = Change::new("identity.sod_rule.delete", "sod_rule", Some(id)).before(&before);
    remove(tx, now, actor, settings, "sod_rules", id, change).await
}
