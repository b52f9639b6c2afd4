//! Helpers for writing the schema once for both backends, and the list of tables.
//!
//! Columns use three storage types only: text, 64-bit integer and boolean. Ids are UUIDv7 text,
//! timestamps are fixed-width UTC text (see [`bulwark_core::Timestamp`]), structured values are
//! JSON text. That keeps both backends, the export format and the audit trail byte-identical.

use sea_query::{
    Alias, ColumnDef, ForeignKey, ForeignKeyAction, Index, IndexCreateStatement,
    PostgresQueryBuilder, SqliteQueryBuilder, Table, TableCreateStatement,
};

use super::Backend;

/// Every application table, parents before children: the order exports write and imports read.
/// A test compares it with the tables the migrations create.
pub const TABLES: &[&str] = &[
    "settings",
    "users",
    "recovery_codes",
    "sessions",
    "api_tokens",
    "login_attempts",
    "jobs",
    "audit_log",
    "people",
    "assets",
    "asset_dependencies",
    "software_components",
    "software_imports",
    "software_staging",
    "accounts",
    "identity_imports",
    "sod_rules",
    "identity_exemptions",
    "identity_findings",
    "scim_groups",
    "scim_tokens",
    "review_campaigns",
    "review_items",
    "review_decisions",
    "review_tasks",
    "risk_matrices",
    "threats",
    "controls",
    "control_dependencies",
    "risks",
    "risk_assets",
    "risk_threats",
    "risk_controls",
    "risk_assessments",
    "risk_actions",
    "risk_acceptances",
    "risk_appetite",
    "risk_quantifications",
    "risk_simulations",
];

/// Tables into which migrations insert built-in rows (marked by the column `builtin`): a fresh
/// database holds them, and a whole-database import replaces them with the export's rows.
pub const SEEDED: &[&str] = &["risk_matrices", "threats"];

/// Text-search indexes that only SQLite keeps as tables (FTS5, with its shadow tables named
/// `{index}_…`): derived from application tables by triggers, never exported, rebuilt by
/// `INSERT INTO {index}({index}) VALUES ('rebuild')`. PostgreSQL uses `pg_trgm` indexes instead.
pub const SEARCH_INDEXES: &[&str] = &["assets_search"];

/// Tables whose rows are not carried by an export (short-lived secrets and counters, and the
/// software import's scratch table, empty outside an import).
pub const NOT_EXPORTED: &[&str] = &["sessions", "login_attempts", "software_staging"];

/// A column of text, required.
pub fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .text()
        .not_null()
        .to_owned()
}

/// A column of text, optional.
pub fn text_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().to_owned()
}

/// A 64-bit integer, required.
pub fn int(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .not_null()
        .to_owned()
}

/// A 64-bit integer, optional.
pub fn int_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .big_integer()
        .null()
        .to_owned()
}

/// A boolean, optional (unknown).
pub fn boolean_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).boolean().null().to_owned()
}

/// A boolean, required.
pub fn boolean(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
        .boolean()
        .not_null()
        .to_owned()
}

/// The text primary key `id`.
pub fn id() -> ColumnDef {
    ColumnDef::new(Alias::new("id"))
        .text()
        .not_null()
        .primary_key()
        .to_owned()
}

/// A new table.
pub fn table(name: &str) -> TableCreateStatement {
    Table::create().table(Alias::new(name)).to_owned()
}

/// A foreign key `table.column → parent.id`, removing children with the parent.
pub fn cascade(table: &str, column: &str, parent: &str) -> sea_query::ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(parent), Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A foreign key `table.column → parent.id` that is emptied when the parent goes.
pub fn set_null(table: &str, column: &str, parent: &str) -> sea_query::ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(parent), Alias::new("id"))
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

/// The statements creating `tables` then `indexes`, rendered for `backend`.
pub fn render(
    backend: Backend,
    tables: &[TableCreateStatement],
    indexes: &[IndexCreateStatement],
) -> Vec<String> {
    let tables = tables.iter().map(|t| match backend {
        Backend::Sqlite => t.build(SqliteQueryBuilder),
        Backend::Postgres => t.build(PostgresQueryBuilder),
    });
    let indexes = indexes.iter().map(|i| match backend {
        Backend::Sqlite => i.build(SqliteQueryBuilder),
        Backend::Postgres => i.build(PostgresQueryBuilder),
    });
    tables.chain(indexes).collect()
}

/// An index on some columns.
pub fn index(table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("ix_{table}_{}", columns.join("_")))
        .table(Alias::new(table));
    for c in columns {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}
