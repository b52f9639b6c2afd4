//! The OpenAPI document, generated from the code.

use crate::platform::http::Routes;

/// `/api/openapi.json` and `/api/docs`.
pub fn routes() -> Routes {
    Routes::default()
}
