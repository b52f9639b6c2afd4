//! Opaque cursors for keyset pagination.
//!
//! A cursor names the last row of a page by its sort key and id; the next page starts after it.
//! Clients treat it as opaque text; it is base64url of a small JSON object.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort column's value on the last row, as text.
    pub key: String,
    /// The id of the last row (tie-breaker).
    pub id: String,
}

/// The cursor could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the cursor is not one this server issued")]
pub struct BadCursor;

impl Cursor {
    /// The opaque text form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads the opaque text form.
    pub fn decode(s: &str) -> Result<Cursor, BadCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| BadCursor)?;
        serde_json::from_slice(&bytes).map_err(|_| BadCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let c = Cursor {
            key: "alice@example.org".into(),
            id: "0190".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        assert_eq!(Cursor::decode("%%%"), Err(BadCursor));
        assert_eq!(Cursor::decode("e30"), Err(BadCursor));
    }
}
