//! One-row writes by id that many stores share: insert a row from named values, update some
//! columns of a row, delete a row. The statements are built with sea-query like any other.

use sea_query::{Alias, Expr, ExprTrait, Query, Value};

use super::{DbError, Tx};

/// Named column values.
pub type Columns = Vec<(&'static str, Value)>;

/// Inserts one row into `table`.
pub async fn insert(tx: &mut Tx, table: &str, set: Columns) -> Result<(), DbError> {
    let q = Query::insert()
        .into_table(Alias::new(table))
        .columns(set.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(set.into_iter().map(|(_, v)| v.into()))
        .to_owned();
    tx.h().execute(&q).await.map(|_| ())
}

/// Sets columns of the row of `table` whose id is `id`.
pub async fn update(tx: &mut Tx, table: &str, id: &str, set: Columns) -> Result<(), DbError> {
    let q = Query::update()
        .table(Alias::new(table))
        .values(set.into_iter().map(|(c, v)| (Alias::new(c), v.into())))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    tx.h().execute(&q).await.map(|_| ())
}

/// Deletes the row of `table` whose id is `id` (rows that reference it follow their foreign
/// keys' rules).
pub async fn delete(tx: &mut Tx, table: &str, id: &str) -> Result<(), DbError> {
    let q = Query::delete()
        .from_table(Alias::new(table))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    tx.h().execute(&q).await.map(|_| ())
}
