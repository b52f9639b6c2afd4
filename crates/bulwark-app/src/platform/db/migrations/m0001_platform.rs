//! The platform's tables.

use crate::platform::db::Backend;
use crate::platform::db::schema::{
    boolean, cascade, id, index, int, int_null, render, table, text, text_null,
};

pub fn up(backend: Backend) -> Vec<String> {
    let tables = [
        table("settings")
            .col(text("key").primary_key())
            .col(text("value"))
            .col(text("updated_at"))
            .to_owned(),
        table("users")
            .col(id())
            .col(text("email").unique_key())
            .col(text("name"))
            .col(text("role"))
            .col(text("password_hash"))
            .col(text("status"))
            .col(boolean("must_change_password"))
            .col(text_null("totp_secret"))
            .col(boolean("totp_enabled"))
            .col(int_null("totp_last_step"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .col(text_null("last_login_at"))
            .to_owned(),
        table("recovery_codes")
            .col(id())
            .col(text("user_id"))
            .col(text("code_hash"))
            .col(text_null("used_at"))
            .foreign_key(&mut cascade("recovery_codes", "user_id", "users"))
            .to_owned(),
        table("sessions")
            .col(id())
            .col(text("user_id"))
            .col(text("csrf_token"))
            .col(boolean("mfa_passed"))
            .col(text("created_at"))
            .col(text("last_seen_at"))
            .col(text("expires_at"))
            .col(text_null("ip"))
            .foreign_key(&mut cascade("sessions", "user_id", "users"))
            .to_owned(),
        table("api_tokens")
            .col(id())
            .col(text("user_id"))
            .col(text("name"))
            .col(text("token_hash").unique_key())
            .col(text("prefix"))
            .col(text("created_at"))
            .col(text_null("expires_at"))
            .col(text_null("last_used_at"))
            .col(text_null("revoked_at"))
            .foreign_key(&mut cascade("api_tokens", "user_id", "users"))
            .to_owned(),
        table("login_attempts")
            .col(id())
            .col(text("at"))
            .col(text("email"))
            .col(text("ip"))
            .col(boolean("success"))
            .to_owned(),
        table("jobs")
            .col(id())
            .col(text("kind"))
            .col(text("payload"))
            .col(text("status"))
            .col(text("run_at"))
            .col(int("attempts"))
            .col(int("max_attempts"))
            .col(text_null("locked_by"))
            .col(text_null("locked_until"))
            .col(text_null("last_error"))
            .col(text("created_at"))
            .col(text("updated_at"))
            .to_owned(),
        table("audit_log")
            .col(int("seq").primary_key())
            .col(text("id").unique_key())
            .col(text("at"))
            .col(text_null("actor_id"))
            .col(text("actor"))
            .col(text("action"))
            .col(text("entity_type"))
            .col(text_null("entity_id"))
            .col(text_null("before"))
            .col(text_null("after"))
            .col(text("prev_hash"))
            .col(text("hash"))
            .to_owned(),
    ];
    let indexes = [
        index("recovery_codes", &["user_id"], false),
        index("sessions", &["user_id"], false),
        index("api_tokens", &["user_id"], false),
        index("login_attempts", &["email", "at"], false),
        index("login_attempts", &["ip", "at"], false),
        index("jobs", &["status", "run_at"], false),
        index("audit_log", &["at"], false),
        index("audit_log", &["entity_type", "entity_id"], false),
        index("audit_log", &["actor_id"], false),
        index("users", &["role"], false),
    ];
    let mut out = render(backend, &tables, &indexes);
    // The audit trail is append-only: the database itself refuses UPDATE and DELETE.
    // Trigger syntax differs between the backends; this is the one place it is written twice.
    match backend {
        Backend::Sqlite => {
            for op in ["UPDATE", "DELETE"] {
                out.push(format!(
                    "CREATE TRIGGER audit_log_no_{} BEFORE {op} ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                    op.to_lowercase()
                ));
            }
        }
        Backend::Postgres => {
            out.push(
                "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
                    .to_string(),
            );
            out.push(
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
                    .to_string(),
            );
            out.push(
                "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
                 FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
                    .to_string(),
            );
        }
    }
    out
}
