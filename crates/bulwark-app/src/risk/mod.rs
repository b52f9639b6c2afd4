//! Risk management: the register of risk scenarios linked to assets, threats and weaknesses;
//! qualitative assessments on configurable matrices (inherent, current, target; every score kept);
//! treatment with controls, action plans and approved acceptances that expire; appetite per
//! category; quantitative (Open FAIR) models run by `bulwark_fair`, and what to fund next.
//!
//! `matrices.rs`, `threats.rs`, `controls.rs` hold the shared records; `register.rs` the risks and
//! their links; `assessments.rs`, `treatment.rs` (actions, acceptances, their expiry job),
//! `appetite.rs`; `api.rs` and `pages.rs` are the interfaces.

pub mod catalogue;

pub use bulwark_core::validate::{Choices, label_of};

/// Risk categories (appetite is set per category).
pub const CATEGORIES: Choices = &[
    ("strategic", "Strategic"),
    ("operational", "Operational"),
    ("technology", "Technology and cyber"),
    ("information", "Information and privacy"),
    ("compliance", "Legal and compliance"),
    ("financial", "Financial and fraud"),
    ("third_party", "Third parties and suppliers"),
    ("people", "People"),
    ("reputation", "Reputation"),
];

/// Where a risk stands.
pub const STATUSES: Choices = &[
    ("open", "Open"),
    ("treating", "Being treated"),
    ("accepted", "Accepted"),
    ("closed", "Closed"),
];

/// What the organisation does about a risk.
pub const TREATMENTS: Choices = &[
    ("undecided", "Not decided yet"),
    ("mitigate", "Mitigate (controls and actions)"),
    ("transfer", "Transfer (insurance, contract)"),
    ("avoid", "Avoid (stop the activity)"),
    ("accept", "Accept (live with it until a date)"),
];

/// The three assessments of a risk.
pub const ASSESSMENT_KINDS: Choices = &[
    ("inherent", "Inherent (no controls)"),
    ("current", "Current (controls in place)"),
    ("target", "Target (after the plan)"),
];

/// Kinds of control.
pub const CONTROL_KINDS: Choices = &[
    ("preventive", "Preventive"),
    ("detective", "Detective"),
    ("corrective", "Corrective"),
    ("deterrent", "Deterrent"),
    ("recovery", "Recovery"),
];

/// Where a control stands; planned and in-progress controls are the initiatives to fund.
pub const CONTROL_STATUSES: Choices = &[
    ("planned", "Planned"),
    ("in_progress", "In progress"),
    ("implemented", "Implemented"),
    ("retired", "Retired"),
];

pub mod api;
pub mod appetite;
pub mod assessments;
pub mod controls;
pub mod export;
pub mod matrices;
pub mod pages;
pub mod quant;
pub mod register;
pub mod report;
pub mod threats;
pub mod treatment;

use bulwark_core::validate::FieldError;
use sea_query::{Alias, Expr, ExprTrait, Query};

use crate::identity::people;
use crate::platform::db::{DbError, Handle};

/// The person with this email, for an owner field: `Ok(None)` when the field is empty, and a
/// problem in `errs` when nobody has the email.
pub(crate) async fn person_by_email(
    h: &mut Handle<'_>,
    field: &str,
    email: Option<&str>,
    errs: &mut Vec<FieldError>,
) -> Result<Option<String>, DbError> {
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    match people::by_email(h, &email.to_lowercase()).await? {
        Some(p) => Ok(Some(p.id)),
        None => {
            errs.push(FieldError::new(
                field,
                format!("nobody with the email {email} is in the people register"),
            ));
            Ok(None)
        }
    }
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    code: String,
}

/// The next free code `PREFIX-NNN` in `table` (one more than the highest number in use).
pub(crate) async fn next_code(
    h: &mut Handle<'_>,
    table: &str,
    prefix: &str,
) -> Result<String, DbError> {
    let q = Query::select()
        .column(Alias::new("code"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("code")).like(format!("{prefix}-%")))
        .to_owned();
    let rows: Vec<CodeRow> = h.fetch_all(&q).await?;
    let highest = rows
        .iter()
        .filter_map(|r| r.code[prefix.len() + 1..].parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    Ok(format!("{prefix}-{:03}", highest + 1))
}

/// A problem naming the allowed values when `value` is not one of `choices`.
pub(crate) fn check_choice(field: &str, choices: Choices, value: &str, errs: &mut Vec<FieldError>) {
    if let Err(e) = bulwark_core::validate::one_of(field, value, choices) {
        errs.push(e);
    }
}
