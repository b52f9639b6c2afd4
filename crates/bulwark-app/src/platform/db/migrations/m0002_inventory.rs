//! People, assets and services, their dependencies, and the software on each asset.

use crate::platform::db::Backend;
use crate::platform::db::schema::{
    boolean, boolean_null, cascade, id, index, int, render, set_null, table, text, text_null,
};

pub fn up(backend: Backend) -> Vec<String> {
    let tables = [
        table("people")
            .col(id())
            .col(text_null("employee_id").unique_key())
            .col(text("name"))
            .col(text("email").unique_key())
            .col(text("department"))
            .col(text_null("manager_email"))
            .col(text("status"))
            .col(text_null("start_date"))
            .col(text_null("leave_date"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .to_owned(),
        table("assets")
            .col(id())
            .col(text("name").unique_key())
            .col(text("kind"))
            .col(text("description"))
            .col(text_null("owner_id"))
            .col(text_null("custodian_id"))
            .col(int("criticality"))
            .col(int("confidentiality"))
            .col(int("integrity"))
            .col(int("availability"))
            .col(text("classification"))
            .col(text("lifecycle"))
            .col(text("location"))
            .col(text("tags"))
            .col(boolean("internet_exposed"))
            .col(text("custom_fields"))
            .col(text_null("os_name"))
            .col(text_null("os_version"))
            .col(boolean_null("encrypted"))
            .col(boolean_null("mdm_enrolled"))
            .col(text_null("last_check_in"))
            .col(text_null("supported_until"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .foreign_key(&mut set_null("assets", "owner_id", "people"))
            .foreign_key(&mut set_null("assets", "custodian_id", "people"))
            .to_owned(),
        table("asset_dependencies")
            .col(id())
            .col(text("from_id"))
            .col(text("to_id"))
            .col(text("kind"))
            .col(text("note"))
            .col(text("created_at"))
            .foreign_key(&mut cascade("asset_dependencies", "from_id", "assets"))
            .foreign_key(&mut cascade("asset_dependencies", "to_id", "assets"))
            .to_owned(),
        table("software_components")
            .col(id())
            .col(text("asset_id"))
            .col(text("ecosystem"))
            .col(text("name"))
            .col(text("version"))
            .col(text_null("purl"))
            .col(text_null("cpe"))
            .col(text("first_seen"))
            .foreign_key(&mut cascade("software_components", "asset_id", "assets"))
            .to_owned(),
        table("software_imports")
            .col(id())
            .col(text("asset_id"))
            .col(text("format"))
            .col(text("source"))
            .col(int("components"))
            .col(int("added"))
            .col(int("removed"))
            .col(int("changed"))
            .col(text("imported_at"))
            .col(text("actor"))
            .foreign_key(&mut cascade("software_imports", "asset_id", "assets"))
            .to_owned(),
    ];
    let indexes = [
        index("people", &["status"], false),
        index("assets", &["kind"], false),
        index("assets", &["lifecycle"], false),
        index("assets", &["criticality"], false),
        index("assets", &["owner_id"], false),
        index("assets", &["custodian_id"], false),
        index("asset_dependencies", &["from_id", "to_id"], true),
        index("asset_dependencies", &["to_id"], false),
        index(
            "software_components",
            &["asset_id", "ecosystem", "name", "version"],
            true,
        ),
        index("software_components", &["ecosystem", "name"], false),
        index("software_imports", &["asset_id", "imported_at"], false),
    ];
    render(backend, &tables, &indexes)
}
