//! Roles, permissions and the one function that decides who may do what.
//!
//! Every route of the application declares an [`Access`]; [`Access::allows`] is the single place
//! where a role is checked against it. The role × route test in the application walks every route
//! with every role through this function.

use serde::{Deserialize, Serialize};

/// A user's role. Each account has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the installation: users, settings, everything else.
    Administrator,
    /// Sets strategy and policy, runs risk and compliance, triages incidents.
    SecurityOfficer,
    /// The IT manager who was handed security: operates every area.
    ItManager,
    /// Reads everything; changes only audit work.
    Auditor,
    /// Reads dashboards and reports.
    Leadership,
    /// Sees only their own tasks: policies to acknowledge, training, incident reports.
    Staff,
}

impl Role {
    /// Every role, most privileged first.
    pub const ALL: [Role; 6] = [
        Role::Administrator,
        Role::SecurityOfficer,
        Role::ItManager,
        Role::Auditor,
        Role::Leadership,
        Role::Staff,
    ];

    /// The stable identifier used in storage, the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::SecurityOfficer => "security_officer",
            Role::ItManager => "it_manager",
            Role::Auditor => "auditor",
            Role::Leadership => "leadership",
            Role::Staff => "staff",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::SecurityOfficer => "Security officer",
            Role::ItManager => "IT manager",
            Role::Auditor => "Auditor",
            Role::Leadership => "Leadership",
            Role::Staff => "Staff",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role holds `permission`.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Administrator => true,
            Role::SecurityOfficer if permission == AcceptRisk => true,
            Role::SecurityOfficer | Role::ItManager => {
                matches!(permission, Read(_) | Write(_) | UsersRead | AuditTrailRead)
            }
            Role::Auditor => matches!(
                permission,
                Read(_) | Write(Area::Audit) | UsersRead | AuditTrailRead
            ),
            Role::Leadership => matches!(permission, Read(Area::Reporting)),
            Role::Staff => false,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The product's areas. Each becomes a module of the application with its own routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Inventory,
    Identity,
    Risk,
    Compliance,
    Policies,
    Vulnerabilities,
    Detection,
    Incidents,
    Continuity,
    Audit,
    Vendors,
    Reporting,
}

impl Area {
    /// Every area, in navigation order.
    pub const ALL: [Area; 12] = [
        Area::Inventory,
        Area::Identity,
        Area::Risk,
        Area::Compliance,
        Area::Policies,
        Area::Vulnerabilities,
        Area::Detection,
        Area::Incidents,
        Area::Continuity,
        Area::Audit,
        Area::Vendors,
        Area::Reporting,
    ];

    /// The identifier used in URLs.
    pub fn slug(self) -> &'static str {
        match self {
            Area::Inventory => "inventory",
            Area::Identity => "identity",
            Area::Risk => "risk",
            Area::Compliance => "compliance",
            Area::Policies => "policies",
            Area::Vulnerabilities => "vulnerabilities",
            Area::Detection => "detection",
            Area::Incidents => "incidents",
            Area::Continuity => "continuity",
            Area::Audit => "audits",
            Area::Vendors => "vendors",
            Area::Reporting => "reporting",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Area::Inventory => "Inventory",
            Area::Identity => "Identity & access",
            Area::Risk => "Risk",
            Area::Compliance => "Compliance",
            Area::Policies => "Policies & awareness",
            Area::Vulnerabilities => "Vulnerabilities",
            Area::Detection => "Detection",
            Area::Incidents => "Incidents",
            Area::Continuity => "Continuity",
            Area::Audit => "Audits",
            Area::Vendors => "Vendors",
            Area::Reporting => "Reporting",
        }
    }
}

/// Something a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See an area's records.
    Read(Area),
    /// Change an area's records.
    Write(Area),
    /// See the list of user accounts.
    UsersRead,
    /// Create, change, disable accounts and reset passwords.
    UsersManage,
    /// Browse and export the audit trail.
    AuditTrailRead,
    /// Change installation-wide settings.
    SettingsManage,
    /// Approve the acceptance of a risk (the organisation lives with it until an expiry date).
    AcceptRisk,
}

/// What a route requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login page, health checks).
    Public,
    /// Any signed-in user, whatever the role (their own profile, tokens, tasks).
    SignedIn,
    /// A signed-in user whose role holds the permission.
    Requires(Permission),
    /// An identity provider with a provisioning (SCIM) token; no user passes, whatever the
    /// role: the route checks the token itself.
    Provisioning,
}

impl Access {
    /// The single authorization decision: may a caller with `role` (None when anonymous) pass?
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (Access::Provisioning, _) | (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Requires(p), Some(r)) => r.can(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_identifiers_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn administrator_holds_everything_and_staff_nothing() {
        let all = [
            Permission::UsersRead,
            Permission::UsersManage,
            Permission::AuditTrailRead,
            Permission::SettingsManage,
            Permission::Read(Area::Risk),
            Permission::Write(Area::Risk),
        ];
        for p in all {
            assert!(Role::Administrator.can(p));
            assert!(!Role::Staff.can(p));
        }
    }

    #[test]
    fn auditor_reads_everything_but_writes_only_audits() {
        for a in Area::ALL {
            assert!(Role::Auditor.can(Permission::Read(a)));
            assert_eq!(Role::Auditor.can(Permission::Write(a)), a == Area::Audit);
        }
        assert!(!Role::Auditor.can(Permission::UsersManage));
    }

    #[test]
    fn leadership_reads_reports_only() {
        for a in Area::ALL {
            assert_eq!(
                Role::Leadership.can(Permission::Read(a)),
                a == Area::Reporting
            );
            assert!(!Role::Leadership.can(Permission::Write(a)));
        }
    }

    #[test]
    fn only_administrators_and_security_officers_accept_risks() {
        for r in Role::ALL {
            assert_eq!(
                r.can(Permission::AcceptRisk),
                matches!(r, Role::Administrator | Role::SecurityOfficer),
                "{r}"
            );
        }
    }

    #[test]
    fn anonymous_passes_only_public() {
        assert!(Access::Public.allows(None));
        assert!(!Access::SignedIn.allows(None));
        assert!(Access::SignedIn.allows(Some(Role::Staff)));
        assert!(!Access::Requires(Permission::UsersRead).allows(Some(Role::Staff)));
    }
}
