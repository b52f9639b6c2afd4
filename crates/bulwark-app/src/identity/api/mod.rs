//! The identity API: people, accounts and their imports, findings, exemptions, segregation-of-
//! duties rules.

pub mod accounts;
pub mod findings;
pub mod people;

use serde::Deserialize;

use crate::platform::http::Routes;

/// The routes.
pub fn routes() -> Routes {
    people::routes()
        .merge(accounts::routes())
        .merge(findings::routes())
        .merge(crate::identity::scim::tokens::routes())
        .merge(crate::identity::scim::routes())
}

/// The name of an uploaded file.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The file's name, kept in the import history.
    pub file_name: Option<String>,
}

impl FileQuery {
    /// The name given, else `default`.
    pub fn name(&self, default: &str) -> String {
        self.file_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| default.to_string())
    }
}
