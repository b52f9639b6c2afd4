//! HTTP plumbing: the router with its layers, serving with graceful shutdown, and the
//! operational endpoints (`/healthz`, `/readyz`, `/metrics`).

pub mod error;
pub mod json;
pub mod ops;
pub mod page;
pub mod query;
pub mod routes;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::from_fn_with_state;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::app::AppState;
pub use routes::{RouteSpec, Routes, Surface};

/// Every route of the application, with its table.
pub fn routes() -> Routes {
    Routes::default()
        .merge(ops::routes())
        .merge(crate::web::routes())
        .merge(crate::access::api::routes())
        .merge(crate::access::pages::routes())
        .merge(crate::audit_log::api::routes())
        .merge(crate::audit_log::pages::routes())
        .merge(crate::settings::api::routes())
        .merge(crate::settings::pages::routes())
        .merge(crate::inventory::api::routes())
        .merge(crate::inventory::pages::routes())
        .merge(crate::risk::api::routes())
        .merge(crate::risk::pages::routes())
        .merge(crate::risk::export::routes())
        .merge(crate::risk::report::routes())
        .merge(crate::risk::quant::api::routes())
        .merge(crate::risk::quant::pages::routes())
        .merge(crate::identity::api::routes())
        .merge(crate::identity::pages::routes())
        .merge(crate::identity::reviews::api::routes())
        .merge(crate::identity::reviews::pages::routes())
        .merge(openapi_routes())
}

/// The OpenAPI document and its browsable page.
fn openapi_routes() -> Routes {
    crate::web::openapi::routes()
}

/// The complete service: routes, identity, limits, security headers.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes().into_parts();
    let limit = state.config.max_body_bytes;
    let csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
    router
        .route_layer(from_fn_with_state(
            state.clone(),
            crate::platform::metrics::track,
        ))
        .fallback(crate::web::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(
            crate::access::identity::Resolver::new(state.clone()),
            crate::access::identity::resolve,
        ))
        // Extractors (JSON, forms) stop at `max_body_bytes`; import handlers read the raw body
        // (or opt out of the default limit) and stop at `max_import_bytes`.
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(
            limit.max(state.config.max_import_bytes),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// The answer for a known path with a method it does not take.
async fn method_not_allowed(req: axum::extract::Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    let e = error::AppError::MethodNotAllowed;
    match req.extensions().get::<AppState>().cloned() {
        Some(app) if !req.uri().path().starts_with("/api/") => {
            let id = req.extensions().get::<crate::access::Identity>().cloned();
            crate::web::error_page(&app, id.as_ref(), &e).await
        }
        _ => e.into_response(),
    }
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
