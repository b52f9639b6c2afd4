//! A text index for the asset list's `q=` search (a substring of the name, description or
//! location, in any case), which otherwise reads every asset (docs/BENCHMARKS.md, identity and
//! inventory at scale).
//!
//! SQLite: an FTS5 table with the `trigram` tokenizer over the `assets` rows (external content,
//! keyed by their rowid), kept in step by triggers and filled from the existing rows. PostgreSQL:
//! `pg_trgm` GIN indexes on the lower-cased columns, which the list's `LIKE` uses as it is.
//! `pg_trgm` is a trusted extension (any user who may create objects in the database may add
//! it); where it cannot be added the migration says so and search keeps reading every row.

use crate::platform::db::Backend;
use crate::platform::db::schema::SEARCH_INDEXES;

/// The columns searched, in the index's order.
const COLUMNS: [&str; 3] = ["name", "description", "location"];

pub fn up(backend: Backend) -> Vec<String> {
    let index = SEARCH_INDEXES[0];
    let cols = COLUMNS.join(", ");
    match backend {
        Backend::Sqlite => {
            let values = |row: &str| COLUMNS.map(|c| format!("{row}.{c}")).join(", ");
            let forget = format!(
                "INSERT INTO {index}({index}, rowid, {cols}) VALUES ('delete', old.rowid, {});",
                values("old")
            );
            let add = format!(
                "INSERT INTO {index}(rowid, {cols}) VALUES (new.rowid, {});",
                values("new")
            );
            vec![
                format!(
                    "CREATE VIRTUAL TABLE {index} USING fts5({cols}, content='assets', \
                     content_rowid='rowid', tokenize='trigram')"
                ),
                format!("CREATE TRIGGER {index}_insert AFTER INSERT ON assets BEGIN {add} END"),
                format!("CREATE TRIGGER {index}_delete AFTER DELETE ON assets BEGIN {forget} END"),
                format!(
                    "CREATE TRIGGER {index}_update AFTER UPDATE OF {cols} ON assets \
                     BEGIN {forget} {add} END"
                ),
                format!("INSERT INTO {index}({index}) VALUES ('rebuild')"),
            ]
        }
        Backend::Postgres => {
            let indexes: String = COLUMNS
                .map(|c| {
                    format!(
                        "CREATE INDEX IF NOT EXISTS ix_assets_{c}_trgm ON assets \
                         USING gin (lower({c}) gin_trgm_ops); "
                    )
                })
                .concat();
            vec![format!(
                "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; {indexes}\
                 EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN \
                 RAISE WARNING 'pg_trgm could not be added (%): the asset search reads every row', SQLERRM; \
                 END $$"
            )]
        }
    }
}
