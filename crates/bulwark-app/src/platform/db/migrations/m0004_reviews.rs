//! Access-review campaigns: the campaign, its frozen population (one item per account), the
//! reviewers' decisions per stage, and the revocation or modification tasks they produce.

use crate::platform::db::Backend;
use crate::platform::db::schema::{
    boolean, cascade, id, index, int, render, set_null, table, text, text_null,
};

pub fn up(backend: Backend) -> Vec<String> {
    let tables = [
        table("review_campaigns")
            .col(id())
            .col(text("name"))
            .col(text("description"))
            .col(text("systems"))
            .col(boolean("privileged_only"))
            .col(text("stages"))
            .col(text("strategy"))
            .col(text_null("fallback_person_id"))
            .col(text("fallback_email"))
            .col(text("deadline"))
            .col(int("remind_days_before"))
            .col(text("status"))
            .col(text("launched_by"))
            .col(text_null("launcher_email"))
            .col(text("launched_at"))
            .col(text_null("closed_at"))
            .col(text_null("reminded_on"))
            .col(text_null("escalated_on"))
            .col(text("updated_at"))
            .foreign_key(&mut set_null(
                "review_campaigns",
                "fallback_person_id",
                "people",
            ))
            .to_owned(),
        table("review_items")
            .col(id())
            .col(text("campaign_id"))
            .col(text_null("account_id"))
            .col(text_null("system_id"))
            .col(text("system_name"))
            .col(text("username"))
            .col(text("username_key"))
            .col(text("display_name"))
            .col(text_null("email"))
            .col(text_null("person_id"))
            .col(text_null("person_name"))
            .col(boolean("privileged"))
            .col(boolean("mfa"))
            .col(text("groups"))
            .col(text_null("last_login"))
            .col(boolean("enabled"))
            .col(text("reviewers"))
            .col(int("stage"))
            .col(text_null("reviewer"))
            .col(text_null("outcome"))
            .col(text_null("settled_at"))
            .col(text("updated_at"))
            .foreign_key(&mut cascade(
                "review_items",
                "campaign_id",
                "review_campaigns",
            ))
            .foreign_key(&mut set_null("review_items", "account_id", "accounts"))
            .foreign_key(&mut set_null("review_items", "system_id", "assets"))
            .foreign_key(&mut set_null("review_items", "person_id", "people"))
            .to_owned(),
        table("review_decisions")
            .col(id())
            .col(text("campaign_id"))
            .col(text("item_id"))
            .col(int("stage"))
            .col(text("decision"))
            .col(text("justification"))
            .col(text("decided_by"))
            .col(text_null("decided_by_id"))
            .col(boolean("on_behalf"))
            .col(text("decided_at"))
            .foreign_key(&mut cascade(
                "review_decisions",
                "campaign_id",
                "review_campaigns",
            ))
            .foreign_key(&mut cascade("review_decisions", "item_id", "review_items"))
            .to_owned(),
        table("review_tasks")
            .col(id())
            .col(text("campaign_id"))
            .col(text("item_id"))
            .col(text("system_id"))
            .col(text("system_name"))
            .col(text("username"))
            .col(text("username_key"))
            .col(text("kind"))
            .col(text("status"))
            .col(text_null("assignee"))
            .col(text("notes"))
            .col(text("created_at"))
            .col(text_null("done_at"))
            .col(text_null("verified_at"))
            .col(text("updated_at"))
            .foreign_key(&mut cascade(
                "review_tasks",
                "campaign_id",
                "review_campaigns",
            ))
            .foreign_key(&mut cascade("review_tasks", "item_id", "review_items"))
            .foreign_key(&mut cascade("review_tasks", "system_id", "assets"))
            .to_owned(),
    ];
    let indexes = [
        index("review_campaigns", &["status"], false),
        index("review_items", &["campaign_id", "username_key"], false),
        index("review_items", &["reviewer", "outcome"], false),
        index("review_decisions", &["item_id", "stage"], true),
        index("review_decisions", &["campaign_id"], false),
        index("review_tasks", &["system_id", "kind", "status"], false),
        index("review_tasks", &["campaign_id"], false),
        index("review_tasks", &["item_id"], true),
    ];
    render(backend, &tables, &indexes)
}
