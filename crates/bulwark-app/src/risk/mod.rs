//! Risk management: the register of risk scenarios linked to assets, threats and weaknesses;
//! qualitative assessments on configurable matrices (inherent, current, target; every score kept);
//! treatment with controls, action plans and approved acceptances that expire; appetite per
//! category; quantitative (Open FAIR) models run by `bulwark_fair`, and what to fund next.
//!
//! `matrices.rs`, `threats.rs`, `controls.rs` hold the shared records; `register.rs` the risks and
//! their links; `assessments.rs`, `treatment.rs` (actions, acceptances, their expiry job),
//! `appetite.rs`; `api.rs` and `pages.rs` are the interfaces.

pub mod catalogue;
pub mod quant;

/// A closed set of values stored as text: `(value, label)` pairs.
pub type Choices = &'static [(&'static str, &'static str)];

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
