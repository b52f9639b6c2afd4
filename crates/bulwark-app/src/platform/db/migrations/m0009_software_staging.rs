//! A scratch table for software imports: the file's components are written here first, so
//! that duplicates are dropped and the new inventory is compared with the old one by the
//! database, not in memory. Rows live only inside an import's transaction.

use crate::platform::db::Backend;
use crate::platform::db::schema::{index, render, table, text, text_null};

pub fn up(backend: Backend) -> Vec<String> {
    let tables = [table("software_staging")
        .col(text("import_id"))
        .col(text("id"))
        .col(text("ecosystem"))
        .col(text("name"))
        .col(text("version"))
        .col(text_null("purl"))
        .col(text_null("cpe"))
        .to_owned()];
    let indexes = [index(
        "software_staging",
        &["import_id", "ecosystem", "name", "version"],
        true,
    )];
    render(backend, &tables, &indexes)
}
