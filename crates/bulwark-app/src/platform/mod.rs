//! What every area stands on.

pub mod batches;
pub mod clock;
pub mod config;
pub mod db;
pub mod files;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod pdf;
pub mod secrets;
