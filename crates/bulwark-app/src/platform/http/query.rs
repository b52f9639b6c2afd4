//! A query-string extractor whose refusals are problem documents naming the parameter.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// Like `axum::extract::Query`, but unknown parameters and wrong types become a 422 problem
/// naming the parameter, instead of plain text.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse(parts.uri.query().unwrap_or("")).map(Query)
    }
}

/// A query string read into `T`, refused as [`Query`] refuses it.
pub fn parse<T: DeserializeOwned>(q: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        let field = if path == "." {
            msg.split('`').nth(1).unwrap_or("query").to_string()
        } else {
            path
        };
        AppError::field(&field, msg)
    })
}
