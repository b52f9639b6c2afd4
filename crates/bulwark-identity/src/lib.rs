//! Identity rules: people and accounts as imported, linking accounts to people, identity
//! findings and access-review outcomes. No I/O: parsers read from any `Read`, time is passed in.
//!
//! * [`people`]: the HR file (CSV) → [`PersonRecord`]s;
//! * [`accounts`]: one system's account list (CSV) → [`AccountRecord`]s;
//! * [`scim`]: SCIM 2.0 Users and Groups, PATCH, filters and errors, for a provisioning endpoint;
//! * [`link`]: which person an account belongs to (email, employee id, username templates);
//! * [`findings`]: orphaned, leavers', dormant, unprotected privileged, shared and conflicting
//!   accounts, explained for an IT manager;
//! * [`review`]: access-review decisions, multi-stage settlement and reviewer choice.

pub mod accounts;
pub mod findings;
pub mod link;
pub mod people;
pub mod records;
pub mod review;
pub mod scim;
mod table;
mod values;

pub use records::{AccountRecord, PersonRecord, PersonStatus};
