//! Accounts, sign-in, sessions, MFA and API tokens.

pub mod api;
pub mod identity;
pub mod mfa;
pub mod pages;
pub mod password;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use identity::Identity;
pub use users::User;
