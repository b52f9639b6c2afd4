//! The audit trail API: browse, export, verify.

use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use bulwark_core::audit::AuditEntry;
use bulwark_core::{Access, Permission};
use serde::Deserialize;

use super::store::{self, Filter, Verification};
use crate::app::AppState;
use crate::platform::files::attachment;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::http::page::{Page, limit, page};
use crate::platform::http::query::Query;

/// The routes.
pub fn routes() -> Routes {
    let read = Access::Requires(Permission::AuditTrailRead);
    Routes::default()
        .add(Method::GET, "/api/v1/audit-entries", read, list)
        .add(Method::GET, "/api/v1/audit-entries/export", read, export)
        .add(
            Method::GET,
            "/api/v1/audit-entries/verification",
            read,
            verification,
        )
}

/// Paging of the trail.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// The query of the list and export endpoints: filters, paging, format.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    actor: Option<String>,
    action: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<u64>,
    format: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        Filter {
            actor: self.actor.clone(),
            action: self.action.clone(),
            entity_type: self.entity_type.clone(),
            entity_id: self.entity_id.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

/// Browse the audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit-entries", tag = "audit trail", operation_id = "list_audit_entries", params(Filter, Paging),
    responses((status = 200, body = Page<AuditEntry>), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn list(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<axum::Json<Page<AuditEntry>>> {
    let lim = limit(q.limit)?;
    let before = match &q.cursor {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::field("cursor", "is not a cursor this server issued"))?,
        ),
        None => None,
    };
    let rows = store::list(&app.db, &q.filter(), before, lim + 1)
        .await?
        .map_err(AppError::from)?;
    Ok(axum::Json(page(rows, lim, |e| e.seq.to_string())))
}

/// Export format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFormat {
    /// `csv` or `json` (default).
    pub format: Option<String>,
}

/// Export the matching entries (oldest first) as CSV or JSON.
#[utoipa::path(get, path = "/api/v1/audit-entries/export", tag = "audit trail", operation_id = "export_audit_entries", params(Filter, ExportFormat),
    responses((status = 200, description = "The entries as a JSON array or a CSV file (an attachment)",
        content((Vec<AuditEntry> = "application/json"), (String = "text/csv"))),
        (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn export(
    State(app): State<AppState>,
    Query(lq): Query<ListQuery>,
) -> AppResult<Response> {
    let format = lq.format.clone().unwrap_or_else(|| "json".into());
    let mut rows = Vec::new();
    let mut before = None;
    loop {
        let batch = store::list(&app.db, &lq.filter(), before, 2000)
            .await?
            .map_err(AppError::from)?;
        let Some(last) = batch.last() else { break };
        before = Some(last.seq);
        rows.extend(batch);
    }
    rows.reverse();
    match format.as_str() {
        "json" => Ok(attachment(
            "application/json",
            "audit-trail.json",
            serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?,
        )),
        "csv" => Ok(attachment(
            "text/csv; charset=utf-8",
            "audit-trail.csv",
            to_csv(&rows),
        )),
        _ => Err(AppError::field("format", "must be csv or json")),
    }
}

/// CSV of entries. Cells that a spreadsheet would read as a formula are prefixed with `'`.
pub fn to_csv(rows: &[AuditEntry]) -> String {
    let mut out = String::from(
        "seq,id,at,actor_id,actor,action,entity_type,entity_id,before,after,prev_hash,hash\r\n",
    );
    for e in rows {
        let cells = [
            e.seq.to_string(),
            e.id.clone(),
            e.at.clone(),
            e.actor_id.clone().unwrap_or_default(),
            e.actor.clone(),
            e.action.clone(),
            e.entity_type.clone(),
            e.entity_id.clone().unwrap_or_default(),
            e.before.clone().unwrap_or_default(),
            e.after.clone().unwrap_or_default(),
            e.prev_hash.clone(),
            e.hash.clone(),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// One CSV cell: quoted when needed, formula injection neutralised.
pub fn csv_cell(s: &str) -> String {
    let s = crate::platform::files::neutralise(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Verify the hash chain of the whole trail.
#[utoipa::path(get, path = "/api/v1/audit-entries/verification", tag = "audit trail", operation_id = "verify_audit_trail", responses((status = 200, body = Verification)))]
pub async fn verification(State(app): State<AppState>) -> AppResult<axum::Json<Verification>> {
    Ok(axum::Json(store::verify(&app.db).await?))
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_safe() {
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
