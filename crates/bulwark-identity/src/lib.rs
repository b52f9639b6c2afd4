//! Identity rules: people and accounts as imported, linking accounts to people, identity

pub mod accounts;
pub mod link;
pub mod people;
pub mod records;
pub mod scim;
mod table;
mod values;

pub use records::{AccountRecord, PersonRecord, PersonStatus};
