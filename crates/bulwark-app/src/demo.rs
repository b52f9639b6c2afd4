//! The demo organisation: a fictional company with people in every role.

use crate::app::AppState;

/// The demo administrator's email.
pub const ADMIN_EMAIL: &str = "admin@northwind.example";
/// The password of every demo account.
pub const PASSWORD: &str = "demo-password-2026";

/// Loads the demo organisation into an empty database; does nothing when accounts exist.
pub async fn load(_app: &AppState) -> anyhow::Result<()> {
    Ok(())
}
