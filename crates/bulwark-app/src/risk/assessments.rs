//! Qualitative assessments: a risk's inherent, current and target scores on a matrix. Every score
//! is kept; the latest of each kind is the one in force. Scoring on another matrix moves the
//! risk to it, and the earlier scores stay in the history under the matrix they were made on.

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, FieldError};
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use super::{ASSESSMENT_KINDS, check_choice, matrices, register};
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// One score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Assessment {
    pub id: String,
    pub risk_id: String,
    /// inherent, current or target.
    pub kind: String,
    /// The matrix it was scored on (empty if that matrix was removed since).
    pub matrix_id: Option<String>,
    pub matrix_name: String,
    /// How many levels that matrix had (to compare scores across matrices).
    pub matrix_levels: i64,
    pub likelihood: i64,
    pub impact: i64,
    pub likelihood_label: String,
    pub impact_label: String,
    /// Index of the level, 0 = lowest.
    pub level: i64,
    pub level_name: String,
    /// `#rrggbb`.
    pub colour: String,
    pub rationale: String,
    pub assessed_by: String,
    pub assessed_at: String,
}

/// A new score.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// inherent, current or target.
    pub kind: String,
    /// 1 (lowest) to the matrix's size.
    pub likelihood: i64,
    /// 1 (lowest) to the matrix's size.
    pub impact: i64,
    /// The matrix to score on; the risk's matrix when absent.
    #[serde(default)]
    pub matrix_id: Option<String>,
    /// Why this score (optional but recommended).
    #[serde(default)]
    pub rationale: String,
}

const COLUMNS: [&str; 16] = [
    "id",
    "risk_id",
    "kind",
    "matrix_id",
    "matrix_name",
    "matrix_levels",
    "likelihood",
    "impact",
    "likelihood_label",
    "impact_label",
    "level",
    "level_name",
    "colour",
    "rationale",
    "assessed_by",
    "assessed_at",
];

fn select() -> SelectStatement {
    Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("risk_assessments"))
        .order_by(Alias::new("assessed_at"), Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .to_owned()
}

/// A risk's scores, newest first.
pub async fn history(h: &mut Handle<'_>, risk_id: &str) -> Result<Vec<Assessment>, DbError> {
    h.fetch_all(select().and_where(Expr::col(Alias::new("risk_id")).eq(risk_id)))
        .await
}

/// The scores in force: the newest of each kind, for one risk or (None) every risk.
pub async fn in_force(
    h: &mut Handle<'_>,
    risk_id: Option<&str>,
) -> Result<Vec<Assessment>, DbError> {
    let mut q = select();
    if let Some(id) = risk_id {
        q.and_where(Expr::col(Alias::new("risk_id")).eq(id));
    }
    let all: Vec<Assessment> = h.fetch_all(&q).await?;
    let mut seen = std::collections::HashSet::new();
    Ok(all
        .into_iter()
        .filter(|a| seen.insert((a.risk_id.clone(), a.kind.clone())))
        .collect())
}

/// Scores a risk (every problem at once). The score is placed on the matrix and stored with
/// its labels, level and colour, so the history reads the same after the matrix changes.
pub async fn assess(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    risk_id: &str,
    i: &AssessmentInput,
) -> AppResult<Assessment> {
    let risk = register::by_id(&mut tx.h(), risk_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errs = Vec::new();
    check_choice("kind", ASSESSMENT_KINDS, &i.kind, &mut errs);
    let rationale = validate::free_text("rationale", &i.rationale, 4000)
        .map_err(|e| errs.push(e))
        .unwrap_or_default();
    let matrix_id = i
        .matrix_id
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or(risk.matrix_id.clone());
    let Some(matrix) = matrices::by_id(&mut tx.h(), &matrix_id).await? else {
        errs.push(FieldError::new("matrix_id", "no such matrix"));
        return Err(AppError::Invalid(errs));
    };
    let placed = matrix.definition.place(
        usize::try_from(i.likelihood).unwrap_or(0),
        usize::try_from(i.impact).unwrap_or(0),
    );
    let placed = match placed {
        Ok(p) if errs.is_empty() => p,
        Ok(_) => return Err(AppError::Invalid(errs)),
        Err(more) => {
            errs.extend(more);
            return Err(AppError::Invalid(errs));
        }
    };
    let a = Assessment {
        id: new_id(now),
        risk_id: risk.id.clone(),
        kind: i.kind.clone(),
        matrix_id: Some(matrix.id.clone()),
        matrix_name: matrix.name.clone(),
        matrix_levels: matrix.definition.levels.len() as i64,
        likelihood: i.likelihood,
        impact: i.impact,
        likelihood_label: placed.likelihood_label,
        impact_label: placed.impact_label,
        level: placed.level as i64,
        level_name: placed.level_name,
        colour: placed.colour,
        rationale,
        assessed_by: actor.label.clone(),
        assessed_at: now.to_db(),
    };
    let q = Query::insert()
        .into_table(Alias::new("risk_assessments"))
        .columns(COLUMNS.map(Alias::new))
        .values_panic([
            a.id.clone().into(),
            a.risk_id.clone().into(),
            a.kind.clone().into(),
            a.matrix_id.clone().into(),
            a.matrix_name.clone().into(),
            a.matrix_levels.into(),
            a.likelihood.into(),
            a.impact.into(),
            a.likelihood_label.clone().into(),
            a.impact_label.clone().into(),
            a.level.into(),
            a.level_name.clone().into(),
            a.colour.clone().into(),
            a.rationale.clone().into(),
            a.assessed_by.clone().into(),
            a.assessed_at.clone().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    if risk.matrix_id != matrix.id {
        register::set_matrix(tx, now, &risk.id, &matrix.id).await?;
    }
    record(
        tx,
        now,
        actor,
        Change::new("risk.assess", "risk", Some(&risk.id)).after(&a),
    )
    .await?;
    Ok(a)
}
