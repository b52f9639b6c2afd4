//! Prometheus metrics: requests by route and status, and their latency.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::app::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// The metrics of one instance.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    /// Jobs finished, by outcome; incremented by the job runner.
    pub jobs_done: Counter,
    /// Jobs that failed an attempt.
    pub jobs_failed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("bulwark");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        let jobs_done = Counter::default();
        let jobs_failed = Counter::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        registry.register("jobs_done", "Background jobs completed", jobs_done.clone());
        registry.register(
            "jobs_failed",
            "Background job attempts that failed",
            jobs_failed.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            jobs_done,
            jobs_failed,
        }
    }
}

impl Metrics {
    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if prometheus_client::encoding::text::encode(&mut s, &self.registry).is_err() {
            s.clear();
        }
        s
    }
}

/// Middleware counting every request by matched route (not raw path, to bound cardinality).
pub async fn track(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    // The request log: method, route pattern, status and time only — never the raw path,
    // query, headers or body, which can carry secrets.
    if status >= 500 {
        tracing::warn!(target: "bulwark::http", %method, %route, status, ms = elapsed.as_millis() as u64, "request");
    } else if status >= 400 {
        tracing::info!(target: "bulwark::http", %method, %route, status, ms = elapsed.as_millis() as u64, "request");
    } else {
        tracing::debug!(target: "bulwark::http", %method, %route, status, ms = elapsed.as_millis() as u64, "request");
    }
    app.metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(elapsed.as_secs_f64());
    app.metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status,
        })
        .inc();
    res
}
