//! Bulwark's pure domain rules.
//!
//! Everything here is deterministic and free of I/O: no database, no network, no clock reads.
//! Time and randomness are passed in by the caller, so the rules can be tested, benchmarked and
//! fuzzed on their own. The application crate (`bulwark-app`) owns storage and HTTP.

pub mod access;
pub mod audit;
pub mod cursor;
pub mod graph;
pub mod input;
pub mod mfa;
pub mod timestamp;
pub mod validate;

pub use access::{Access, Area, Permission, Role};
pub use input::{InputProblem, Problems};
pub use timestamp::Timestamp;
