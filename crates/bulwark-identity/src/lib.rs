//! Identity rules: people and accounts as imported, linking accounts to people, identity
//! findings and access-review outcomes. No I/O: parsers read from any `Read`, time is passed in.

pub mod records;

pub use records::{AccountRecord, PersonRecord, PersonStatus};
