//! The tamper-evident audit trail: every change to data is recorded here, in the same
//! transaction as the change, chained by hashes (see `bulwark_core::audit`).

pub mod api;
pub mod pages;
pub mod store;

pub use store::{Actor, Change, record};
