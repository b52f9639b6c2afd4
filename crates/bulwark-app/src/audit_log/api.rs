//! The audit trail API: browse, export, verify.

use axum::extract::{Query, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use bulwark_core::audit::AuditEntry;
use bulwark_core::{Access, Permission};
use serde::Deserialize;

use super::store::{self, Filter, Verification};
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::http::page::{Page, limit, page};

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
pub struct Paging {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(flatten)]
    filter: Filter,
    cursor: Option<String>,
    limit: Option<u64>,
}

/// Browse the audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/audit-entries", tag = "audit trail", params(Filter, Paging),
    responses((status = 200, body = Page<Object>), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn list(
    State(app): State<AppState>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> AppResult<axum::Json<Page<AuditEntry>>> {
    let q = parse_query(&q)?;
    let lim = limit(q.limit)?;
    let before = match &q.cursor {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::field("cursor", "is not a cursor this server issued"))?,
        ),
        None => None,
    };
    let rows = store::list(&app.db, &q.filter, before, lim + 1)
        .await?
        .map_err(AppError::from)?;
    Ok(axum::Json(page(rows, lim, |e| e.seq.to_string())))
}

fn parse_query(q: &std::collections::HashMap<String, String>) -> AppResult<ListQuery> {
    // Through JSON so that unknown parameters are named in the error.
    let v = serde_json::to_value(q).map_err(anyhow::Error::from)?;
    let mut v = v;
    if let Some(l) = v.get("limit").and_then(|l| l.as_str()).map(str::to_string) {
        v["limit"] = l
            .parse::<u64>()
            .map(Into::into)
            .map_err(|_| AppError::field("limit", "must be a whole number"))?;
    }
    serde_path_to_error::deserialize(v).map_err(|e| {
        let msg = e.inner().to_string();
        let field = msg.split('`').nth(1).unwrap_or("query").to_string();
        AppError::field(&field, msg)
    })
}

/// Export format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportFormat {
    /// `csv` or `json` (default).
    pub format: Option<String>,
}

/// Export the matching entries (oldest first) as CSV or JSON.
#[utoipa::path(get, path = "/api/v1/audit-entries/export", tag = "audit trail", params(Filter, ExportFormat),
    responses((status = 200, description = "CSV or JSON file"), (status = 422, body = crate::platform::http::error::Problem)))]
pub async fn export(
    State(app): State<AppState>,
    Query(mut q): Query<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    let format = q.remove("format").unwrap_or_else(|| "json".into());
    let lq = parse_query(&q)?;
    let mut rows = Vec::new();
    let mut before = None;
    loop {
        let batch = store::list(&app.db, &lq.filter, before, 2000)
            .await?
            .map_err(AppError::from)?;
        let Some(last) = batch.last() else { break };
        before = Some(last.seq);
        rows.extend(batch);
    }
    rows.reverse();
    match format.as_str() {
        "json" => Ok((
            [
                (header::CONTENT_TYPE, "application/json"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit-trail.json\"",
                ),
            ],
            serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?,
        )
            .into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit-trail.csv\"",
                ),
            ],
            to_csv(&rows),
        )
            .into_response()),
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
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Verify the hash chain of the whole trail.
#[utoipa::path(get, path = "/api/v1/audit-entries/verification", tag = "audit trail", responses((status = 200, body = Verification)))]
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
