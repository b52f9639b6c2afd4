//! Structured logs with `tracing`: text or JSON. Request logs carry method, route and status,
//! never headers, cookies, query strings or bodies, so no secret reaches them.

use tracing_subscriber::EnvFilter;

use super::config::{Config, LogFormat};

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(c: &Config) {
    let filter =
        EnvFilter::try_from_env("BULWARK_LOG").unwrap_or_else(|_| EnvFilter::new(&c.log_level));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match c.log_format {
        LogFormat::Json => b.json().flatten_event(true).try_init(),
        LogFormat::Text => b.try_init(),
    };
}
