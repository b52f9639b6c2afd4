//! Cursor pagination for list endpoints.

use serde::{Deserialize, Serialize};

use super::error::AppError;

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

/// A page of results.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Checks a requested page size.
pub fn limit(requested: Option<u64>) -> Result<u64, AppError> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(AppError::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// The position `(sort key, id)` after which a page starts, from a `cursor` parameter.
pub fn after(cursor: Option<&str>) -> Result<Option<(String, String)>, AppError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(|c| {
            bulwark_core::cursor::Cursor::decode(c)
                .map(|c| (c.key, c.id))
                .map_err(|e| AppError::field("cursor", e.to_string()))
        })
        .transpose()
}

/// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
pub fn page<T>(mut rows: Vec<T>, limit: u64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}
