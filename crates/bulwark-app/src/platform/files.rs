//! What files handed to people share: spreadsheet-safe CSV cells, and the answer that makes a
//! browser save a download under a given name.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return at
/// the start) gets a leading `'`, so it is shown as text.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// A download: the body with its type, saved as `name` (letters, digits, `-`, `_` and `.`).
pub fn attachment(content_type: &'static str, name: &str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_are_neutralised() {
        for (cell, want) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("alice", "alice"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), want);
        }
    }
}
