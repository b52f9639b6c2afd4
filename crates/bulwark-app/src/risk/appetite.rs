//! Risk appetite per category: the highest level a category may carry before it must be
//! treated. Risks whose score in force (current, else inherent) is above it are highlighted.

use std::collections::HashMap;

use bulwark_core::Timestamp;
use bulwark_core::validate::FieldError;
use bulwark_risk::Appetite;
use sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use serde::{Deserialize, Serialize};

use super::assessments::Assessment;
use super::{CATEGORIES, check_choice, matrices};
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// The appetite of one category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct CategoryAppetite {
    pub category: String,
    /// The highest acceptable level's index on the matrix it was set on (0 = lowest).
    pub max_level: i64,
    /// How many levels that matrix has.
    pub levels: i64,
    /// The level's name ("Medium").
    pub level_name: String,
    pub updated_at: String,
}

/// Setting a category's appetite.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppetiteInput {
    /// The matrix whose level is named (the built-in 5×5 when absent).
    #[serde(default)]
    pub matrix_id: Option<String>,
    /// The highest acceptable level, by name ("Medium").
    pub max_level: String,
}

impl CategoryAppetite {
    /// Whether a score is above this appetite (compared by place on each matrix's scale).
    pub fn exceeded_by(&self, a: &Assessment) -> bool {
        Appetite {
            max_level: usize::try_from(self.max_level).unwrap_or(0),
            levels: usize::try_from(self.levels).unwrap_or(0),
        }
        .exceeded_by(
            usize::try_from(a.level).unwrap_or(0),
            usize::try_from(a.matrix_levels).unwrap_or(0),
        )
    }
}

/// Every category's appetite, by category.
pub async fn list(h: &mut Handle<'_>) -> Result<Vec<CategoryAppetite>, DbError> {
    let q = Query::select()
        .columns(
            [
                "category",
                "max_level",
                "levels",
                "level_name",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .from(Alias::new("risk_appetite"))
        .order_by(Alias::new("category"), Order::Asc)
        .to_owned();
    h.fetch_all(&q).await
}

/// The appetites by category.
pub async fn by_category(h: &mut Handle<'_>) -> Result<HashMap<String, CategoryAppetite>, DbError> {
    Ok(list(h)
        .await?
        .into_iter()
        .map(|a| (a.category.clone(), a))
        .collect())
}

/// Sets (or replaces) a category's appetite.
pub async fn set(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    category: &str,
    i: &AppetiteInput,
) -> AppResult<CategoryAppetite> {
    let mut errs = Vec::new();
    check_choice("category", CATEGORIES, category, &mut errs);
    let matrix_id = i
        .matrix_id
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(matrices::default_id);
    let Some(m) = matrices::by_id(&mut tx.h(), &matrix_id).await? else {
        errs.push(FieldError::new("matrix_id", "no such matrix"));
        return Err(AppError::Invalid(errs));
    };
    let level = m
        .definition
        .levels
        .iter()
        .position(|l| l.name.eq_ignore_ascii_case(i.max_level.trim()));
    let Some(level) = level.filter(|_| errs.is_empty()) else {
        if level.is_none() {
            let names: Vec<&str> = m
                .definition
                .levels
                .iter()
                .map(|l| l.name.as_str())
                .collect();
            errs.push(FieldError::new(
                "max_level",
                format!("must be a level of {}: {}", m.name, names.join(", ")),
            ));
        }
        return Err(AppError::Invalid(errs));
    };
    let before = by_category(&mut tx.h()).await?.remove(category);
    let q = Query::insert()
        .into_table(Alias::new("risk_appetite"))
        .columns(
            [
                "id",
                "category",
                "max_level",
                "levels",
                "level_name",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            new_id(now).into(),
            category.into(),
            (level as i64).into(),
            (m.definition.levels.len() as i64).into(),
            m.definition.levels[level].name.clone().into(),
            now.to_db().into(),
        ])
        .on_conflict(
            OnConflict::column(Alias::new("category"))
                .update_columns(["max_level", "levels", "level_name", "updated_at"].map(Alias::new))
                .to_owned(),
        )
        .to_owned();
    tx.h().execute(&q).await?;
    let after = by_category(&mut tx.h())
        .await?
        .remove(category)
        .ok_or(AppError::NotFound)?;
    let mut change =
        Change::new("risk.appetite.set", "risk_appetite", Some(category)).after(&after);
    if let Some(b) = before {
        change = change.before(&b);
    }
    record(tx, now, actor, change).await?;
    Ok(after)
}

/// Removes a category's appetite.
pub async fn remove(tx: &mut Tx, now: Timestamp, actor: &Actor, category: &str) -> AppResult<()> {
    let before = by_category(&mut tx.h())
        .await?
        .remove(category)
        .ok_or(AppError::NotFound)?;
    let q = Query::delete()
        .from_table(Alias::new("risk_appetite"))
        .and_where(Expr::col(Alias::new("category")).eq(category))
        .to_owned();
    tx.h().execute(&q).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.appetite.remove", "risk_appetite", Some(category)).before(&before),
    )
    .await?;
    Ok(())
}
