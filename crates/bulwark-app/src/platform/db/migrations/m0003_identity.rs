//! Accounts on each system, identity imports, findings, exemptions, segregation-of-duties rules
//! and SCIM provisioning.

use crate::platform::db::Backend;
use crate::platform::db::schema::{
    boolean, cascade, id, index, int, int_null, render, set_null, table, text, text_null,
};

pub fn up(backend: Backend) -> Vec<String> {
    let tables = [
        table("accounts")
            .col(id())
            .col(text("system_id"))
            .col(text("username"))
            .col(text("username_key"))
            .col(text_null("email"))
            .col(text("display_name"))
            .col(boolean("privileged"))
            .col(boolean("mfa"))
            .col(text_null("last_login"))
            .col(text("groups"))
            .col(boolean("enabled"))
            .col(text_null("employee_id"))
            .col(text_null("external_id"))
            .col(text_null("scim_profile"))
            .col(text_null("person_id"))
            .col(text("kind"))
            .col(text_null("link_reason"))
            .col(text("source"))
            .col(text("first_seen"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .foreign_key(&mut cascade("accounts", "system_id", "assets"))
            .foreign_key(&mut set_null("accounts", "person_id", "people"))
            .to_owned(),
        table("identity_imports")
            .col(id())
            .col(text("kind"))
            .col(text_null("system_id"))
            .col(text("source"))
            .col(text("name"))
            .col(int("records"))
            .col(int("added"))
            .col(int("removed"))
            .col(int("changed"))
            .col(text("imported_at"))
            .col(text("actor"))
            .foreign_key(&mut cascade("identity_imports", "system_id", "assets"))
            .to_owned(),
        table("sod_rules")
            .col(id())
            .col(text("name").unique_key())
            .col(text_null("first_system_id"))
            .col(text("first_group"))
            .col(text_null("second_system_id"))
            .col(text("second_group"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .foreign_key(&mut cascade("sod_rules", "first_system_id", "assets"))
            .foreign_key(&mut cascade("sod_rules", "second_system_id", "assets"))
            .to_owned(),
        table("identity_exemptions")
            .col(id())
            .col(text("account_id"))
            .col(text("kind"))
            .col(text("reason"))
            .col(text("expires"))
            .col(text("created_by"))
            .col(text("created_at"))
            .foreign_key(&mut cascade(
                "identity_exemptions",
                "account_id",
                "accounts",
            ))
            .to_owned(),
        table("identity_findings")
            .col(id())
            .col(text("key").unique_key())
            .col(text("kind"))
            .col(text_null("system_id"))
            .col(text_null("account_id"))
            .col(text("account_ids"))
            .col(text_null("person_id"))
            .col(text_null("rule_id"))
            .col(int_null("days"))
            .col(text("explanation"))
            .col(text("suggested_action"))
            .col(text_null("expired_exemption_id"))
            .col(text("status"))
            .col(text("first_seen"))
            .col(text("updated_at"))
            .col(text_null("resolved_at"))
            .foreign_key(&mut set_null("identity_findings", "system_id", "assets"))
            .foreign_key(&mut set_null("identity_findings", "account_id", "accounts"))
            .foreign_key(&mut set_null("identity_findings", "person_id", "people"))
            .foreign_key(&mut set_null("identity_findings", "rule_id", "sod_rules"))
            .foreign_key(&mut set_null(
                "identity_findings",
                "expired_exemption_id",
                "identity_exemptions",
            ))
            .to_owned(),
        table("scim_groups")
            .col(id())
            .col(text("system_id"))
            .col(text("display_name"))
            .col(text("display_key"))
            .col(text_null("external_id"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .foreign_key(&mut cascade("scim_groups", "system_id", "assets"))
            .to_owned(),
        table("scim_tokens")
            .col(id())
            .col(text("system_id"))
            .col(text("token_hash").unique_key())
            .col(text("created_by"))
            .col(text("created_at"))
            .col(text_null("last_used_at"))
            .foreign_key(&mut cascade("scim_tokens", "system_id", "assets"))
            .to_owned(),
    ];
    let indexes = [
        index("accounts", &["system_id", "username_key"], true),
        index("accounts", &["person_id"], false),
        index("accounts", &["kind", "person_id"], false),
        index("identity_imports", &["system_id", "imported_at"], false),
        index("identity_exemptions", &["account_id"], false),
        index("identity_findings", &["status", "kind"], false),
        index("identity_findings", &["account_id"], false),
        index("identity_findings", &["person_id"], false),
        index("scim_groups", &["system_id", "display_key"], true),
        index("scim_tokens", &["system_id"], false),
    ];
    render(backend, &tables, &indexes)
}
