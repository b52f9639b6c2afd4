//! Revocation and modification tasks: marked done by people, then verified by the next import
//! of the system — a revoked account that is still there reopens its task.

use bulwark_core::Timestamp;
use sea_query::{Alias, Expr, ExprTrait, Query};

use super::{ReviewTask, store};
use crate::audit_log::{Actor, Change, record};
use crate::identity::accounts;
use crate::platform::db::Tx;
use crate::platform::http::error::{AppError, AppResult};

/// Appends a dated line to a task's notes.
fn noted(notes: &str, now: Timestamp, by: &str, text: &str) -> String {
    let line = format!("{} {by}: {text}", now.human());
    if notes.is_empty() {
        line
    } else {
        format!("{notes}\n{line}")
    }
}

async fn set_status(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    before: &ReviewTask,
    status: &str,
    note: &str,
    action: &str,
) -> AppResult<ReviewTask> {
    let mut q = Query::update();
    q.table(Alias::new("review_tasks"))
        .value(Alias::new("status"), status)
        .value(
            Alias::new("notes"),
            noted(&before.notes, now, &actor.label, note),
        )
        .value(Alias::new("updated_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(before.id.as_str()));
    match status {
        "done" => {
            q.value(Alias::new("done_at"), now.to_db());
        }
        "verified" => {
            q.value(Alias::new("verified_at"), now.to_db());
        }
        _ => {}
    }
    tx.h().execute(&q).await?;
    let after = store::task(&mut tx.h(), &before.id)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new(action, "access_review_task", Some(&before.id))
            .before(before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// Marks a task done with a note saying what was done; recorded. Verified and done tasks are
/// refused (a reopened one may be done again).
pub async fn mark_done(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    note: &str,
) -> AppResult<ReviewTask> {
    let before = store::task(&mut tx.h(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(AppError::field(
            "note",
            "say what was done (up to 2000 characters)",
        ));
    }
    if !matches!(before.status.as_str(), "open" | "reopened") {
        return Err(AppError::Conflict(format!(
            "the task is already {}",
            before.status
        )));
    }
    set_status(
        tx,
        now,
        actor,
        &before,
        "done",
        note,
        "access_review_task.done",
    )
    .await
}

/// Checks the revoke tasks of `system_id` against its accounts as they are now; call it at the
/// end of every import of the system, inside the import's transaction. A task whose account is
/// gone or disabled becomes `verified`; a task marked done whose account is still present and
/// enabled becomes `reopened`, with the reason. Open and reopened tasks whose account is still
/// there stay as they are. Every change is recorded.
pub async fn verify_revocations(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    system_id: &str,
) -> AppResult<()> {
    let f = store::TaskFilter {
        system_id: Some(system_id.to_string()),
        statuses: vec!["open".into(), "done".into(), "reopened".into()],
        ..Default::default()
    };
    let tasks = store::tasks(&mut tx.h(), &f, None, None).await?;
    for t in tasks.into_iter().filter(|t| t.kind == "revoke") {
        let present = accounts::by_username(&mut tx.h(), system_id, &t.username)
            .await?
            .filter(|a| a.enabled);
        match (present, t.status.as_str()) {
            (None, _) => {
                set_status(
                    tx,
                    now,
                    actor,
                    &t,
                    "verified",
                    "the import no longer shows an enabled account: revocation verified",
                    "access_review_task.verify",
                )
                .await?;
            }
            (Some(_), "done") => {
                set_status(
                    tx,
                    now,
                    actor,
                    &t,
                    "reopened",
                    "the import still shows the account, enabled: reopened",
                    "access_review_task.reopen",
                )
                .await?;
            }
            (Some(_), _) => {}
        }
    }
    Ok(())
}
