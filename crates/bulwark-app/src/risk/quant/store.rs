//! A risk's quantification and its controls' effects: read, written and audited.

use bulwark_core::Timestamp;
use bulwark_core::validate::FieldError;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};

use super::{ControlEffect, Effect, Estimates, Quantification, model};
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;
use crate::risk::register;

#[derive(sqlx::FromRow)]
struct QuantificationRow {
    risk_id: String,
    model: String,
    updated_by: String,
    updated_at: String,
}

/// A risk's quantification, if it has one.
pub async fn get(h: &mut Handle<'_>, risk_id: &str) -> Result<Option<Quantification>, DbError> {
    let q = Query::select()
        .columns(["risk_id", "model", "updated_by", "updated_at"].map(Alias::new))
        .from(Alias::new("risk_quantifications"))
        .and_where(Expr::col(Alias::new("risk_id")).eq(risk_id))
        .to_owned();
    let Some(r) = h.fetch_optional::<QuantificationRow>(&q).await? else {
        return Ok(None);
    };
    let model: Estimates = serde_json::from_str(&r.model).unwrap_or_default();
    Ok(Some(Quantification {
        mean_annual_loss: model::check(&model).unwrap_or(f64::NAN),
        risk_id: r.risk_id,
        model,
        updated_by: r.updated_by,
        updated_at: r.updated_at,
    }))
}

/// Sets a risk's estimates, checked by the engine (every problem named by its field).
pub async fn put(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    risk_id: &str,
    estimates: &Estimates,
) -> AppResult<Quantification> {
    register::by_id(&mut tx.h(), risk_id)
        .await?
        .ok_or(AppError::NotFound)?;
    model::check(estimates).map_err(AppError::Invalid)?;
    let before = get(&mut tx.h(), risk_id).await?;
    let json = serde_json::to_string(estimates).map_err(anyhow::Error::from)?;
    if before.is_some() {
        let q = Query::update()
            .table(Alias::new("risk_quantifications"))
            .value(Alias::new("model"), json)
            .value(Alias::new("updated_by"), actor.label.clone())
            .value(Alias::new("updated_at"), now.to_db())
            .and_where(Expr::col(Alias::new("risk_id")).eq(risk_id))
            .to_owned();
        tx.h().execute(&q).await?;
    } else {
        let set = vec![
            ("id", new_id(now).into()),
            ("risk_id", risk_id.into()),
            ("model", json.into()),
            ("updated_by", actor.label.clone().into()),
            ("updated_at", now.to_db().into()),
        ];
        rows::insert(tx, "risk_quantifications", set).await?;
    }
    let after = get(&mut tx.h(), risk_id).await?.ok_or(AppError::NotFound)?;
    let mut change = Change::new(
        "risk.quantification.update",
        "risk_quantification",
        Some(risk_id),
    )
    .after(&after);
    if let Some(b) = &before {
        change = change.before(b);
    }
    record(tx, now, actor, change).await?;
    Ok(after)
}

/// Removes a risk's quantification (its simulations keep the model they ran).
pub async fn delete(tx: &mut Tx, now: Timestamp, actor: &Actor, risk_id: &str) -> AppResult<()> {
    let before = get(&mut tx.h(), risk_id).await?.ok_or(AppError::NotFound)?;
    let q = Query::delete()
        .from_table(Alias::new("risk_quantifications"))
        .and_where(Expr::col(Alias::new("risk_id")).eq(risk_id))
        .to_owned();
    tx.h().execute(&q).await?;
    record(
        tx,
        now,
        actor,
        Change::new(
            "risk.quantification.delete",
            "risk_quantification",
            Some(risk_id),
        )
        .before(&before),
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EffectRow {
    risk_id: String,
    control_id: String,
    control_code: String,
    control_name: String,
    control_status: String,
    one_off_cost: i64,
    yearly_cost: i64,
    effect: Option<String>,
}

impl From<EffectRow> for ControlEffect {
    fn from(r: EffectRow) -> Self {
        ControlEffect {
            effect: r.effect.and_then(|e| serde_json::from_str(&e).ok()),
            risk_id: r.risk_id,
            control_id: r.control_id,
            control_code: r.control_code,
            control_name: r.control_name,
            control_status: r.control_status,
            one_off_cost: r.one_off_cost,
            yearly_cost: r.yearly_cost,
        }
    }
}

fn effect_select(risk_id: &str) -> SelectStatement {
    let c = |t: &str, c: &str| (Alias::new(t), Alias::new(c));
    Query::select()
        .columns(["risk_id", "control_id", "effect"].map(|n| c("l", n)))
        .expr_as(Expr::col(c("c", "code")), Alias::new("control_code"))
        .expr_as(Expr::col(c("c", "name")), Alias::new("control_name"))
        .expr_as(Expr::col(c("c", "status")), Alias::new("control_status"))
        .columns(["one_off_cost", "yearly_cost"].map(|n| c("c", n)))
        .from_as(Alias::new("risk_controls"), Alias::new("l"))
        .join_as(
            JoinType::InnerJoin,
            Alias::new("controls"),
            Alias::new("c"),
            Expr::col(c("c", "id")).equals(c("l", "control_id")),
        )
        .and_where(Expr::col(c("l", "risk_id")).eq(risk_id))
        .order_by(c("c", "code"), Order::Asc)
        .to_owned()
}

/// The controls linked to a risk, with their effects on it, by code.
pub async fn effects(h: &mut Handle<'_>, risk_id: &str) -> Result<Vec<ControlEffect>, DbError> {
    let rows = h.fetch_all::<EffectRow>(&effect_select(risk_id)).await?;
    Ok(rows.into_iter().map(ControlEffect::from).collect())
}

/// One control's link to a risk, if they are linked.
pub async fn effect(
    h: &mut Handle<'_>,
    risk_id: &str,
    control_id: &str,
) -> Result<Option<ControlEffect>, DbError> {
    let q = effect_select(risk_id)
        .and_where(Expr::col((Alias::new("l"), Alias::new("control_id"))).eq(control_id))
        .to_owned();
    Ok(h.fetch_optional::<EffectRow>(&q).await?.map(Into::into))
}

/// Checks an effect: every reduction a fraction from 0 to 1.
pub fn check_effect(e: &Effect) -> Result<(), Vec<FieldError>> {
    let errs: Vec<FieldError> = [
        ("tef", e.tef),
        ("vulnerability", e.vulnerability),
        ("lef", e.lef),
        ("loss", e.loss),
    ]
    .into_iter()
    .filter(|(_, v)| !(0.0..=1.0).contains(v))
    .map(|(name, v)| {
        FieldError::new(
            name,
            format!("must be a fraction from 0 to 1, such as 0.3 for 30 % (got {v})"),
        )
    })
    .collect();
    if errs.is_empty() { Ok(()) } else { Err(errs) }
}

/// Sets what a control does to a risk, linking them (audited as a link) if they are not linked
/// yet.
pub async fn set_effect(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    risk_id: &str,
    control_id: &str,
    e: &Effect,
) -> AppResult<ControlEffect> {
    check_effect(e).map_err(AppError::Invalid)?;
    let before = effect(&mut tx.h(), risk_id, control_id).await?;
    if before.is_none() {
        // Checks that both exist (else 404) and records the link.
        register::link_control(tx, now, actor, risk_id, control_id).await?;
    }
    let q = Query::update()
        .table(Alias::new("risk_controls"))
        .value(
            Alias::new("effect"),
            serde_json::to_string(e).map_err(anyhow::Error::from)?,
        )
        .and_where(Expr::col(Alias::new("risk_id")).eq(risk_id))
        .and_where(Expr::col(Alias::new("control_id")).eq(control_id))
        .to_owned();
    tx.h().execute(&q).await?;
    let after = effect(&mut tx.h(), risk_id, control_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut change = Change::new("risk.control.effect", "risk", Some(risk_id)).after(&after);
    if let Some(b) = &before {
        change = change.before(b);
    }
    record(tx, now, actor, change).await?;
    Ok(after)
}
