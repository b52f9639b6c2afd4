//! People and accounts as they arrive from HR files, account CSVs, LDAP and SCIM.

use chrono::{DateTime, NaiveDate, Utc};

/// Whether a person still works here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PersonStatus {
    /// Employed.
    Active,
    /// Has left (or is leaving on `leave_date`).
    Leaver,
}

impl PersonStatus {
    /// The stored and exchanged name: `active` or `leaver`.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::Leaver => "leaver",
        }
    }

    /// Parses `active` or `leaver` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Some(PersonStatus::Active),
            "leaver" => Some(PersonStatus::Leaver),
            _ => None,
        }
    }
}

/// One person from the HR file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// The HR system's key; unique.
    pub employee_id: String,
    /// Full name.
    pub name: String,
    /// Work email, lower-cased; unique.
    pub email: String,
    /// Department (may be empty).
    pub department: String,
    /// The manager's work email, lower-cased.
    pub manager_email: Option<String>,
    /// Active or leaver.
    pub status: PersonStatus,
    /// First day.
    pub start_date: Option<NaiveDate>,
    /// Last day (required for leavers).
    pub leave_date: Option<NaiveDate>,
}

/// One account on one system, from a CSV, LDAP or SCIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The login name on the system; unique per system (compared case-insensitively).
    pub username: String,
    /// Email, lower-cased, when the system knows it.
    pub email: Option<String>,
    /// Display name (may be empty).
    pub display_name: String,
    /// Holds administrative or otherwise privileged rights.
    pub privileged: bool,
    /// Signs in with a second factor.
    pub mfa: bool,
    /// Last sign-in, when known.
    pub last_login: Option<DateTime<Utc>>,
    /// Groups or entitlements held on the system, in input order, without duplicates.
    pub groups: Vec<String>,
    /// Can sign in (false when disabled or locked).
    pub enabled: bool,
    /// The HR employee id, when the source carries it (LDAP `employeeID`, SCIM enterprise extension).
    pub employee_id: Option<String>,
}
