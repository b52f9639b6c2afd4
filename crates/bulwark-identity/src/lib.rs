//! Identity rules: people and accounts as imported, linking accounts to people, identity
//! findings and access-review outcomes. No I/O: parsers read from any `Read`, time is passed in.

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
