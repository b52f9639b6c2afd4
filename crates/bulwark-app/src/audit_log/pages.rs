//! Pages of this area.

use crate::platform::http::Routes;

/// The page routes.
pub fn routes() -> Routes {
    Routes::default()
}
