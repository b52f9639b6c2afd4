//! Identity: people, the accounts they hold on each system, identity findings and access reviews.

pub mod accounts;
pub mod api;
pub mod ldap;
pub mod people;
pub mod reviews;
