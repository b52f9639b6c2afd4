//! The web interface's shared parts: layout, navigation, assets, error pages, home.

pub mod openapi;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::access::Identity;
use crate::app::AppState;
use crate::platform::http::Routes;
use crate::platform::http::error::AppError;

/// Shared page routes (home, assets).
pub fn routes() -> Routes {
    Routes::default()
}

/// The answer for unknown paths.
pub async fn not_found(req: axum::extract::Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        return AppError::NotFound.into_response();
    }
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><title>Not found</title><h1>Not found</h1>".to_string()),
    )
        .into_response()
}

/// An error as a page.
pub async fn error_page(_app: &AppState, _id: Option<&Identity>, e: &AppError) -> Response {
    (
        e.status(),
        Html(format!(
            "<!doctype html><title>Error</title><h1>{}</h1>",
            e.detail()
        )),
    )
        .into_response()
}
