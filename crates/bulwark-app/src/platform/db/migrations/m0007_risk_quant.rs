//! Quantitative risk runs: the budget of an investment run, the model the run simulated (so it
//! can be read back and re-run with `bulwark risk simulate`), and notes on what the model left
//! out of the register and why.

use crate::platform::db::Backend;
use crate::platform::db::schema::{int_null, text_null};
use sea_query::{Alias, PostgresQueryBuilder, SqliteQueryBuilder, Table};

pub fn up(backend: Backend) -> Vec<String> {
    // SQLite adds one column per statement.
    [int_null("budget"), text_null("model"), text_null("notes")]
        .into_iter()
        .map(|mut column| {
            let alter = Table::alter()
                .table(Alias::new("risk_simulations"))
                .add_column(&mut column)
                .to_owned();
            match backend {
                Backend::Sqlite => alter.build(SqliteQueryBuilder),
                Backend::Postgres => alter.build(PostgresQueryBuilder),
            }
        })
        .collect()
}
