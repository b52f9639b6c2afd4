//! Likelihood × impact matrices as stored records: the three built-in ones and the
//! organisation's own. A matrix used by assessments may change its name, labels and colours but
//! not its shape or grid (earlier scores must keep their meaning): make a new matrix instead and
//! move risks to it; their earlier scores stay in the history under the old one.

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, FieldError};
use bulwark_risk::Matrix;
use sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use super::catalogue::builtin_id;
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// A matrix as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskMatrix {
    pub id: String,
    pub name: String,
    /// `5×5`.
    pub size: String,
    /// Shipped with Bulwark (may be renamed and relabelled like any matrix in use).
    pub builtin: bool,
    /// Axes (lowest first), levels (lowest first) and `grid[likelihood − 1][impact − 1]` = level
    /// index.
    #[schema(value_type = Object)]
    pub definition: Matrix,
    /// Assessments scored on it.
    pub assessments: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A matrix as written by a client.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatrixInput {
    pub name: String,
    #[schema(value_type = Object)]
    pub definition: Matrix,
}

#[derive(sqlx::FromRow)]
struct MatrixRow {
    id: String,
    name: String,
    builtin: bool,
    definition: String,
    assessments: i64,
    created_at: String,
    updated_at: String,
}

impl MatrixRow {
    fn into_matrix(self) -> Result<RiskMatrix, DbError> {
        let definition: Matrix =
            serde_json::from_str(&self.definition).map_err(|e| DbError::Decode(e.into()))?;
        Ok(RiskMatrix {
            size: definition.size(),
            id: self.id,
            name: self.name,
            builtin: self.builtin,
            definition,
            assessments: self.assessments,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The matrix new risks are scored on unless they choose another: the built-in 5×5.
pub fn default_id() -> String {
    builtin_id(1, 3)
}

fn select() -> SelectStatement {
    let uses = Query::select()
        .expr(Expr::col(Alias::new("id")).count())
        .from(Alias::new("risk_assessments"))
        .and_where(
            Expr::col((Alias::new("risk_assessments"), Alias::new("matrix_id")))
                .equals((Alias::new("risk_matrices"), Alias::new("id"))),
        )
        .to_owned();
    Query::select()
        .columns(
            [
                "id",
                "name",
                "builtin",
                "definition",
                "created_at",
                "updated_at",
            ]
            .map(|c| (Alias::new("risk_matrices"), Alias::new(c))),
        )
        .expr_as(
            Expr::SubQuery(None, Box::new(uses.into())),
            Alias::new("assessments"),
        )
        .from(Alias::new("risk_matrices"))
        .order_by(Alias::new("id"), Order::Asc)
        .to_owned()
}

/// Every matrix, built-in ones first.
pub async fn list(h: &mut Handle<'_>) -> Result<Vec<RiskMatrix>, DbError> {
    let rows: Vec<MatrixRow> = h.fetch_all(&select()).await?;
    rows.into_iter().map(MatrixRow::into_matrix).collect()
}

/// One matrix.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<RiskMatrix>, DbError> {
    let row: Option<MatrixRow> = h
        .fetch_optional(
            select().and_where(Expr::col((Alias::new("risk_matrices"), Alias::new("id"))).eq(id)),
        )
        .await?;
    row.map(MatrixRow::into_matrix).transpose()
}

fn check(i: &MatrixInput) -> AppResult<String> {
    let mut errs = Vec::new();
    let name = validate::label("name", &i.name, 100)
        .map_err(|e| errs.push(e))
        .ok();
    errs.extend(i.definition.problems().into_iter().map(|e| FieldError {
        field: format!("definition.{}", e.field),
        message: e.message,
    }));
    match name {
        Some(n) if errs.is_empty() => Ok(n),
        _ => Err(AppError::Invalid(errs)),
    }
}

/// Adds a matrix.
pub async fn create(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    i: &MatrixInput,
) -> AppResult<RiskMatrix> {
    let name = check(i)?;
    let id = new_id(now);
    let definition = serde_json::to_string(&i.definition).map_err(anyhow::Error::from)?;
    let q = Query::insert()
        .into_table(Alias::new("risk_matrices"))
        .columns(
            [
                "id",
                "name",
                "definition",
                "builtin",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.clone().into(),
            name.into(),
            definition.into(),
            false.into(),
            now.to_db().into(),
            now.to_db().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let m = by_id(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.matrix.create", "risk_matrix", Some(&id)).after(&m),
    )
    .await?;
    Ok(m)
}

/// Whether `new` keeps the meaning of every score made on `old`: the same axes and levels
/// counts and the same grid.
fn same_shape(old: &Matrix, new: &Matrix) -> bool {
    old.likelihood.len() == new.likelihood.len()
        && old.impact.len() == new.impact.len()
        && old.levels.len() == new.levels.len()
        && old.grid == new.grid
}

/// Replaces a matrix's name and definition. A matrix with assessments keeps its shape and grid.
pub async fn update(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    i: &MatrixInput,
) -> AppResult<RiskMatrix> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let name = check(i)?;
    if before.assessments > 0 && !same_shape(&before.definition, &i.definition) {
        return Err(AppError::Invalid(vec![FieldError::new(
            "definition",
            format!(
                "{} assessments are scored on this matrix, so its size, levels and grid cannot \
                 change (names, labels and colours can). Create a new matrix and score the risks \
                 on it; their earlier scores stay in the history",
                before.assessments
            ),
        )]));
    }
    let definition = serde_json::to_string(&i.definition).map_err(anyhow::Error::from)?;
    let q = Query::update()
        .table(Alias::new("risk_matrices"))
        .values([
            (Alias::new("name"), name.into()),
            (Alias::new("definition"), definition.into()),
            (Alias::new("updated_at"), now.to_db().into()),
        ])
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    tx.h().execute(&q).await?;
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.matrix.update", "risk_matrix", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// Removes a matrix nobody uses (built-in matrices stay).
pub async fn delete(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<()> {
    let m = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    if m.builtin {
        return Err(AppError::Conflict(
            "built-in matrices cannot be removed".into(),
        ));
    }
    let risks = Query::select()
        .expr(Expr::col(Alias::new("id")).count())
        .from(Alias::new("risks"))
        .and_where(Expr::col(Alias::new("matrix_id")).eq(id))
        .to_owned();
    let (used_by,): (i64,) = tx.h().fetch_one(&risks).await?;
    if m.assessments > 0 || used_by > 0 {
        return Err(AppError::Conflict(format!(
            "the matrix is in use ({} assessments, {used_by} risks); it cannot be removed",
            m.assessments
        )));
    }
    rows::delete(tx, "risk_matrices", id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("risk.matrix.delete", "risk_matrix", Some(id)).before(&m),
    )
    .await?;
    Ok(())
}
