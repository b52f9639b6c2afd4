//! Access-review campaigns: a frozen snapshot of who can sign in where, reviewed by the system
//! owners or the people's managers in one to three stages, with every decision, the revocation
//! tasks it produces and their verification by the next import kept as evidence.
//!
//! `store.rs` reads and writes the rows, `launch.rs` validates a campaign and freezes its
//! population, `decide.rs` records decisions and settles items, `tasks.rs` follows revocations
//! to done and verifies them, `progress.rs` counts, `reminders.rs` is the daily job,
//! `evidence.rs` writes the CSV and PDF for auditors; `api.rs` and `pages.rs` are the interfaces.
//! The outcome rules themselves are pure: [`bulwark_identity::review`].

pub mod api;
pub mod decide;
pub mod evidence;
pub mod launch;
pub mod pages;
pub mod progress;
pub mod reminders;
pub mod store;
pub mod tasks;

use bulwark_identity::review::{ReviewerRule, Strategy};
use serde::{Deserialize, Serialize};

pub use tasks::verify_revocations;

/// Campaign states.
pub const ACTIVE: &str = "active";
pub const CLOSED: &str = "closed";

/// Task states: open → done → verified by the next import, or reopened when the account is
/// still there.
pub const TASK_STATUSES: [&str; 4] = ["open", "done", "verified", "reopened"];

/// A system in a campaign's scope, as it was named at launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SystemRef {
    pub id: String,
    pub name: String,
}

/// A campaign as clients and the audit trail see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The systems reviewed.
    pub systems: Vec<SystemRef>,
    /// Only privileged accounts were taken into the snapshot.
    pub privileged_only: bool,
    /// Who reviews at each stage: `system_owner`, `manager`, or a person's email.
    pub stages: Vec<String>,
    /// `any_deny_denies` or `all_must_accept`.
    pub strategy: String,
    /// Reviews what nobody else can, and is told about overdue reviewers.
    pub fallback_email: String,
    /// Last day for decisions (`YYYY-MM-DD`).
    pub deadline: String,
    /// Reviewers with pending items are reminded daily from this many days before the deadline.
    pub remind_days_before: i64,
    /// `active` or `closed`.
    pub status: String,
    pub launched_by: String,
    pub launched_at: String,
    pub closed_at: Option<String>,
    /// The last day reminders were sent (`YYYY-MM-DD`).
    pub reminded_on: Option<String>,
    /// The last day overdue reviewers were escalated (`YYYY-MM-DD`).
    pub escalated_on: Option<String>,
    pub updated_at: String,
}

impl Campaign {
    /// The outcome strategy.
    pub fn strategy(&self) -> Strategy {
        strategy_of(&self.strategy).unwrap_or(Strategy::AnyDenyDenies)
    }
}

/// One stage's decision on an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemDecision {
    /// 1-based.
    pub stage: i64,
    /// keep, revoke or modify.
    pub decision: String,
    pub justification: String,
    /// The user who decided (their email).
    pub decided_by: String,
    /// Decided by an identity manager instead of the assigned reviewer.
    pub on_behalf: bool,
    pub decided_at: String,
}

/// One account of the frozen population, with its reviewers and decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub id: String,
    pub campaign_id: String,
    /// The live account; null once it is gone.
    pub account_id: Option<String>,
    pub system_id: Option<String>,
    pub system_name: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub privileged: bool,
    pub mfa: bool,
    pub groups: Vec<String>,
    pub last_login: Option<String>,
    pub enabled: bool,
    /// The reviewer's email for each stage, resolved at launch.
    pub reviewers: Vec<String>,
    /// The stage (1-based) awaiting a decision, or the one that settled the item.
    pub stage: i64,
    /// Who must decide now; null once settled.
    pub reviewer: Option<String>,
    /// kept, revoked or modified; null while pending.
    pub outcome: Option<String>,
    pub settled_at: Option<String>,
    pub decisions: Vec<ItemDecision>,
}

/// A revocation or modification to carry out on a system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct ReviewTask {
    pub id: String,
    pub campaign_id: String,
    pub item_id: String,
    pub system_id: String,
    pub system_name: String,
    pub username: String,
    /// revoke or modify.
    pub kind: String,
    /// open, done, verified or reopened.
    pub status: String,
    /// Who should carry it out (the system owner, else the fallback reviewer).
    pub assignee: Option<String>,
    /// What was done, and what the imports found, newest last.
    pub notes: String,
    pub created_at: String,
    pub done_at: Option<String>,
    pub verified_at: Option<String>,
    pub updated_at: String,
}

/// Who reviews at a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageRule {
    /// The system owner or the person's manager (each falling back to the other).
    Rule(ReviewerRule),
    /// A named person, by email.
    Person(String),
}

impl StageRule {
    /// Parses `system_owner`, `manager` or an email address.
    pub fn parse(field: &str, s: &str) -> Result<StageRule, bulwark_core::validate::FieldError> {
        match s.trim() {
            "system_owner" => Ok(StageRule::Rule(ReviewerRule::SystemOwner)),
            "manager" => Ok(StageRule::Rule(ReviewerRule::Manager)),
            other => bulwark_core::validate::Email::parse(field, other)
                .map(|e| StageRule::Person(e.as_str().to_string()))
                .map_err(|_| {
                    bulwark_core::validate::FieldError::new(
                        field,
                        "must be system_owner, manager or a person's email",
                    )
                }),
        }
    }

    /// The stored form.
    pub fn as_string(&self) -> String {
        match self {
            StageRule::Rule(ReviewerRule::SystemOwner) => "system_owner".into(),
            StageRule::Rule(ReviewerRule::Manager) => "manager".into(),
            StageRule::Person(e) => e.clone(),
        }
    }
}

/// The stored names of the strategies.
pub const STRATEGIES: [(&str, &str); 2] = [
    ("any_deny_denies", "One deny denies"),
    ("all_must_accept", "All must accept"),
];

/// Parses a strategy's stored name.
pub fn strategy_of(s: &str) -> Option<Strategy> {
    match s {
        "any_deny_denies" => Some(Strategy::AnyDenyDenies),
        "all_must_accept" => Some(Strategy::AllMustAccept),
        _ => None,
    }
}

/// The stored name of an outcome.
pub fn outcome_name(o: bulwark_identity::review::Outcome) -> &'static str {
    use bulwark_identity::review::Outcome;
    match o {
        Outcome::Kept => "kept",
        Outcome::Revoked => "revoked",
        Outcome::Modified => "modified",
    }
}
