//! The Bulwark application.
//!
//! `platform` holds what every area stands on: configuration, the clock, storage, HTTP plumbing,
//! jobs, mail and metrics. Each product area is a module beside it that owns its model, storage,
//! API routes and pages: `access` (accounts, sessions, MFA, tokens), `audit_log` (the
//! tamper-evident trail), `settings`. The areas of the product (inventory, identity, risk, …)
//! are added the same way; see `docs/ARCHITECTURE.md`.

pub mod access;
pub mod app;
pub mod audit_log;
pub mod demo;
pub mod identity;
pub mod inventory;
pub mod platform;
pub mod portable;
pub mod risk;
pub mod settings;
pub mod web;

pub use app::{App, AppState};
