//! Operational endpoints for load balancers and monitoring.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use bulwark_core::Access;

use super::routes::Routes;
use crate::app::AppState;
use crate::platform::db::migrate;

/// `/healthz`, `/readyz`, `/metrics`.
pub fn routes() -> Routes {
    Routes::default()
        .add(axum::http::Method::GET, "/healthz", Access::Public, healthz)
        .add(axum::http::Method::GET, "/readyz", Access::Public, readyz)
        .add(axum::http::Method::GET, "/metrics", Access::Public, metrics)
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready: the database answers and its schema is the one this binary expects.
async fn readyz(State(app): State<AppState>) -> impl IntoResponse {
    match migrate::current_version_readonly(&app.db).await {
        Ok(v) if v == migrate::latest_version() => (StatusCode::OK, "ready\n".to_string()),
        Ok(v) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "schema version {v}, expected {}\n",
                migrate::latest_version()
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable\n".to_string(),
            )
        }
    }
}

/// Prometheus metrics.
async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
}
