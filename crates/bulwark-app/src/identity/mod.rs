//! Identity: people, the accounts they hold on each system, identity findings and access reviews.

pub mod accounts;
pub mod api;
pub mod findings;
pub mod imports;
pub mod ldap;
pub mod pages;
pub mod people;
pub mod reviews;
pub mod rules;
pub mod scim;
