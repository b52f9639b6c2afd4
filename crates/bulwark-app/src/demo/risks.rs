//! The demo's risk register: forty risks of a freight forwarder, owned by its people and linked
//! to its inventory and the threat catalogue, with twelve controls (some in place, some planned
//! with costs, three needing another first), action plans with a few overdue actions, appetite
//! for five categories, one risk accepted until two weeks from now, two closed risks and one
//! risk scored on the 4×4 matrix.
//!
//! The register has a history: each risk was added some weeks or months before "now", scored
//! then and rescored later, so the leadership report's 90-day trend has something to show. The
//! records (and their audit entries) carry those earlier times; everything goes through the
//! register's own store functions.

use bulwark_core::{Role, Timestamp};
use chrono::Days;

use crate::access::users;
use crate::audit_log::Actor;
use crate::platform::db::{Db, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::risk::appetite::{self, AppetiteInput};
use crate::risk::assessments::{self, AssessmentInput};
use crate::risk::catalogue::builtin_id;
use crate::risk::controls::{self, ControlInput};
use crate::risk::register::{self, RiskInput};
use crate::risk::treatment::{self, AcceptanceInput, ActionInput, Approver};

const MARCUS: &str = "marcus.lindqvist@northwind.example";
const RAFAEL: &str = "rafael.okafor@northwind.example";
const PRIYA: &str = "priya.raman@northwind.example";
const SOFIA: &str = "sofia.garcia@northwind.example";
const ELENA: &str = "elena.petrova@northwind.example";
const KWAME: &str = "kwame.asante@northwind.example";
const CHLOE: &str = "chloe.dubois@northwind.example";
const GRACE: &str = "grace.kim@northwind.example";
const OLIVER: &str = "oliver.bennett@northwind.example";
const DANIEL: &str = "daniel.fischer@northwind.example";
const JAMES: &str = "james.oconnor@northwind.example";
const HANNAH: &str = "hannah.schmidt@northwind.example";
const ISABELLA: &str = "isabella.rossi@northwind.example";
const SAMUEL: &str = "samuel.adeyemi@northwind.example";
const AISHA: &str = "aisha.rahman@northwind.example";
const JONATHAN: &str = "jonathan.price@northwind.example";

/// The risk accepted until two weeks after the demo's "now".
pub const ACCEPTED: &str = "R-011";

/// How many days after "now" the acceptance of [`ACCEPTED`] ends.
pub const ACCEPTED_FOR_DAYS: u64 = 14;

/// A control: code, name, kind, status, owner, one-off and yearly cost, required controls.
type DemoControl = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    &'static [&'static str],
);

/// Each control comes after the controls it requires.
const CONTROLS: [DemoControl; 12] = [
    (
        "C-001",
        "Multi-factor authentication for all staff",
        "preventive",
        "implemented",
        RAFAEL,
        6_000,
        18_000,
        &[],
    ),
    (
        "C-002",
        "Endpoint detection and response on servers and laptops",
        "detective",
        "implemented",
        MARCUS,
        10_000,
        42_000,
        &[],
    ),
    (
        "C-003",
        "Immutable offline backups",
        "recovery",
        "in_progress",
        RAFAEL,
        35_000,
        9_000,
        &[],
    ),
    (
        "C-004",
        "Security awareness training and phishing simulations",
        "preventive",
        "implemented",
        PRIYA,
        0,
        8_000,
        &[],
    ),
    (
        "C-005",
        "Privileged access management",
        "preventive",
        "planned",
        RAFAEL,
        60_000,
        22_000,
        &["C-001"],
    ),
    (
        "C-006",
        "Call-back check before changing a supplier's bank details",
        "preventive",
        "implemented",
        SOFIA,
        2_000,
        0,
        &[],
    ),
    (
        "C-007",
        "Vulnerability scanning with patch deadlines",
        "detective",
        "implemented",
        MARCUS,
        5_000,
        15_000,
        &[],
    ),
    (
        "C-011",
        "Asset and configuration management",
        "detective",
        "in_progress",
        MARCUS,
        25_000,
        5_000,
        &[],
    ),
    (
        "C-008",
        "Separate networks for depots, scanners and cameras",
        "preventive",
        "planned",
        MARCUS,
        80_000,
        6_000,
        &["C-011"],
    ),
    (
        "C-009",
        "Security assessment of suppliers with access",
        "preventive",
        "planned",
        SAMUEL,
        12_000,
        10_000,
        &[],
    ),
    (
        "C-010",
        "Disaster recovery site for transport and warehouse systems",
        "recovery",
        "planned",
        RAFAEL,
        120_000,
        30_000,
        &["C-003"],
    ),
    (
        "C-012",
        "Data loss prevention for email and cloud storage",
        "preventive",
        "planned",
        PRIYA,
        30_000,
        14_000,
        &[],
    ),
];

/// Likelihood and impact (1-based).
type Score = (i64, i64);

/// One demo risk.
#[derive(Clone, Copy)]
struct DemoRisk {
    code: &'static str,
    title: &'static str,
    category: &'static str,
    owner: &'static str,
    assets: &'static [&'static str],
    threats: &'static [&'static str],
    weaknesses: &'static [&'static str],
    treatment: &'static str,
    plan: &'static str,
    controls: &'static [&'static str],
    inherent: Score,
    /// The current score when the risk was added, if it was rescored later.
    was: Option<Score>,
    current: Option<Score>,
    target: Option<Score>,
    /// Scored on the built-in 4×4 instead of the 5×5.
    four_by_four: bool,
    /// Added this many days before "now".
    age: u64,
    /// Rescored (from `was` to `current`) this many days before "now".
    rescored: u64,
    /// Closed this many days before "now".
    closed: Option<u64>,
}

const BASE: DemoRisk = DemoRisk {
    code: "",
    title: "",
    category: "technology",
    owner: MARCUS,
    assets: &[],
    threats: &[],
    weaknesses: &[],
    treatment: "mitigate",
    plan: "",
    controls: &[],
    inherent: (3, 3),
    was: None,
    current: None,
    target: None,
    four_by_four: false,
    age: 200,
    rescored: 0,
    closed: None,
};

const RISKS: [DemoRisk; 40] = [
    DemoRisk {
        code: "R-001",
        title: "Ransomware stops transport and warehouse operations",
        assets: &[
            "Transport management",
            "Warehouse management",
            "Active Directory",
        ],
        threats: &["T-RANSOMWARE", "T-PHISHING"],
        weaknesses: &[
            "Backups can be reached from the domain",
            "No separation between the office and depot networks",
        ],
        plan: "Immutable backups, then a recovery site; separate the depot networks.",
        controls: &["C-002", "C-003", "C-008", "C-010"],
        inherent: (4, 5),
        was: Some((4, 5)),
        current: Some((3, 5)),
        target: Some((2, 4)),
        age: 240,
        rescored: 25,
        ..BASE
    },
    DemoRisk {
        code: "R-002",
        title: "Invoice fraud through a compromised supplier mailbox",
        category: "financial",
        owner: SOFIA,
        assets: &["ERP", "Microsoft 365", "Bank portal"],
        threats: &["T-BEC", "T-PHISHING"],
        weaknesses: &["Bank detail changes were accepted by email"],
        controls: &["C-001", "C-004", "C-006"],
        inherent: (4, 4),
        current: Some((2, 4)),
        target: Some((1, 4)),
        age: 300,
        ..BASE
    },
    DemoRisk {
        code: "R-003",
        title: "Customer portal breached through an unpatched web flaw",
        category: "information",
        owner: OLIVER,
        assets: &["Customer portal", "db-portal", "Cloudflare"],
        threats: &["T-WEBAPP", "T-EXPLOIT"],
        weaknesses: &["The portal's framework is two major versions behind"],
        controls: &["C-007"],
        inherent: (4, 4),
        was: Some((2, 4)),
        current: Some((3, 4)),
        target: Some((2, 3)),
        age: 180,
        rescored: 12,
        ..BASE
    },
    DemoRisk {
        code: "R-004",
        title: "Administrator accounts taken over for lack of MFA",
        owner: RAFAEL,
        assets: &["Active Directory", "Entra ID", "AWS production"],
        threats: &["T-ACCOUNT", "T-CREDSTUFF"],
        weaknesses: &[
            "Privileged accounts without MFA (identity findings)",
            "A shared administrator account",
        ],
        controls: &["C-001", "C-005"],
        inherent: (4, 5),
        current: Some((4, 4)),
        target: Some((2, 4)),
        age: 150,
        ..BASE
    },
    DemoRisk {
        code: "R-005",
        title: "Payroll data leaked by a misdirected email",
        category: "information",
        owner: GRACE,
        assets: &["Payroll", "Workday", "Microsoft 365"],
        threats: &["T-MISDELIVERY"],
        weaknesses: &["No data loss prevention on outgoing mail"],
        controls: &["C-012"],
        inherent: (3, 4),
        current: Some((3, 4)),
        target: Some((2, 3)),
        age: 60,
        ..BASE
    },
    DemoRisk {
        code: "R-006",
        title: "The transport management supplier fails",
        category: "third_party",
        owner: JAMES,
        assets: &["Transport management"],
        threats: &["T-PROVIDER"],
        weaknesses: &["A single supplier and no source-code escrow"],
        treatment: "transfer",
        plan: "Escrow agreement and a service-credit clause in the contract renewal.",
        inherent: (2, 5),
        current: Some((2, 5)),
        age: 400,
        ..BASE
    },
    DemoRisk {
        code: "R-007",
        title: "Customs declarations filed late after an outage",
        category: "compliance",
        owner: ELENA,
        assets: &["Customs declarations", "vm-09"],
        threats: &["T-SWFAIL", "T-HWFAIL"],
        weaknesses: &["One virtual machine and no failover"],
        controls: &["C-010"],
        inherent: (3, 4),
        current: Some((3, 3)),
        target: Some((2, 3)),
        age: 320,
        ..BASE
    },
    DemoRisk {
        code: "R-008",
        title: "Warehouse scanners and cameras used as a way in",
        owner: KWAME,
        assets: &["scanner-01", "cam-01", "wifi-controller"],
        threats: &["T-INTRUSION", "T-EOL"],
        weaknesses: &[
            "Scanners and cameras share the office network",
            "A camera out of support",
        ],
        controls: &["C-008", "C-011"],
        inherent: (3, 4),
        was: Some((3, 3)),
        current: Some((4, 4)),
        target: Some((2, 3)),
        age: 200,
        rescored: 40,
        ..BASE
    },
    DemoRisk {
        code: "R-009",
        title: "A lost or stolen laptop exposes customer data",
        category: "information",
        assets: &["lt-001", "lt-002", "lt-003"],
        threats: &["T-PHYSICAL"],
        weaknesses: &["A few laptops are not encrypted (device check)"],
        controls: &["C-011"],
        inherent: (4, 3),
        current: Some((3, 3)),
        target: Some((2, 2)),
        age: 260,
        ..BASE
    },
    DemoRisk {
        code: "R-010",
        title: "Phishing steals Microsoft 365 sessions",
        owner: PRIYA,
        assets: &["Microsoft 365", "Entra ID"],
        threats: &["T-PHISHING"],
        weaknesses: &["Legacy authentication is still allowed"],
        controls: &["C-001", "C-004"],
        inherent: (5, 4),
        current: Some((3, 3)),
        target: Some((2, 3)),
        age: 330,
        ..BASE
    },
    DemoRisk {
        code: "R-011",
        title: "Power failure in the Rotterdam server room",
        category: "operational",
        owner: RAFAEL,
        assets: &["Rotterdam HQ", "host-1", "host-2"],
        threats: &["T-POWER"],
        weaknesses: &["The UPS lasts 20 minutes", "No generator"],
        treatment: "accept",
        plan: "The building owner installs a generator next year; until then the UPS allows a \
               clean shutdown.",
        inherent: (2, 5),
        current: Some((2, 4)),
        age: 340,
        ..BASE
    },
    DemoRisk {
        code: "R-012",
        title: "Fire at the Felixstowe depot",
        category: "operational",
        owner: KWAME,
        assets: &["Felixstowe depot"],
        threats: &["T-FIRE"],
        treatment: "transfer",
        plan: "Property and business-interruption insurance; sprinklers inspected yearly.",
        inherent: (1, 5),
        current: Some((1, 4)),
        age: 500,
        ..BASE
    },
    DemoRisk {
        code: "R-013",
        title: "Flooding of the Hamburg depot",
        category: "operational",
        owner: KWAME,
        assets: &["Hamburg depot"],
        threats: &["T-FLOOD", "T-WEATHER"],
        treatment: "transfer",
        plan: "Flood cover in the property insurance; stock kept off the ground floor.",
        inherent: (2, 4),
        current: Some((2, 3)),
        age: 500,
        ..BASE
    },
    DemoRisk {
        code: "R-014",
        title: "A denial-of-service attack takes the customer portal offline",
        owner: OLIVER,
        assets: &["Customer portal", "Cloudflare"],
        threats: &["T-DDOS"],
        inherent: (3, 3),
        current: Some((2, 2)),
        age: 280,
        ..BASE
    },
    DemoRisk {
        code: "R-015",
        title: "Source code and secrets leak from GitHub",
        category: "information",
        assets: &["GitHub"],
        threats: &["T-EXFIL", "T-MISCONFIG"],
        weaknesses: &["Passwords committed to repositories"],
        controls: &["C-007"],
        inherent: (3, 4),
        current: Some((3, 3)),
        target: Some((2, 3)),
        age: 95,
        ..BASE
    },
    DemoRisk {
        code: "R-016",
        title: "A departing employee copies the customer list",
        category: "information",
        owner: DANIEL,
        assets: &["CRM", "Salesforce"],
        threats: &["T-INSIDER", "T-EXFIL"],
        weaknesses: &["Leavers keep Salesforce access (identity findings)"],
        controls: &["C-012"],
        inherent: (3, 4),
        current: Some((3, 4)),
        target: Some((2, 3)),
        age: 45,
        ..BASE
    },
    DemoRisk {
        code: "R-017",
        title: "Unsupported Windows Server 2012 R2 machines exploited",
        assets: &["vm-12", "vm-24", "vm-36"],
        threats: &["T-EOL", "T-EXPLOIT"],
        weaknesses: &["Three servers out of support since October 2023"],
        controls: &["C-007", "C-011"],
        inherent: (4, 4),
        was: Some((3, 4)),
        current: Some((4, 5)),
        target: Some((1, 4)),
        age: 210,
        rescored: 10,
        ..BASE
    },
    DemoRisk {
        code: "R-018",
        title: "Backups cannot be restored when needed",
        owner: RAFAEL,
        assets: &["backup-vault", "Offsite backup"],
        threats: &["T-HWFAIL", "T-DELETION"],
        weaknesses: &["Restores have never been tested end to end"],
        controls: &["C-003"],
        inherent: (3, 5),
        current: Some((3, 4)),
        target: Some((1, 4)),
        age: 170,
        ..BASE
    },
    DemoRisk {
        code: "R-019",
        title: "Misconfigured cloud storage exposes shipment data",
        category: "information",
        owner: RAFAEL,
        assets: &["AWS production"],
        threats: &["T-MISCONFIG"],
        controls: &["C-011"],
        inherent: (3, 4),
        current: Some((2, 4)),
        target: Some((2, 2)),
        age: 140,
        ..BASE
    },
    DemoRisk {
        code: "R-020",
        title: "Regulator's fine after a personal data breach",
        category: "compliance",
        owner: CHLOE,
        assets: &["Payroll", "CRM", "Customer portal"],
        threats: &["T-EXFIL"],
        weaknesses: &["Records of processing are incomplete"],
        controls: &["C-012"],
        inherent: (3, 5),
        current: Some((3, 4)),
        target: Some((2, 4)),
        age: 365,
        ..BASE
    },
    DemoRisk {
        code: "R-021",
        title: "Sanctions screening missed for a shipment",
        category: "compliance",
        owner: ELENA,
        assets: &["Customs declarations"],
        weaknesses: &["Screening is manual at peak times"],
        inherent: (2, 5),
        current: Some((2, 4)),
        target: Some((1, 4)),
        age: 230,
        ..BASE
    },
    DemoRisk {
        code: "R-022",
        title: "Payroll errors after an unreviewed change",
        category: "financial",
        owner: GRACE,
        assets: &["Payroll", "Workday"],
        threats: &["T-CHANGE"],
        inherent: (3, 3),
        current: Some((2, 3)),
        age: 190,
        ..BASE
    },
    DemoRisk {
        code: "R-023",
        title: "The fleet telematics provider goes down",
        category: "third_party",
        owner: HANNAH,
        assets: &["Transport management"],
        threats: &["T-PROVIDER", "T-TELCO"],
        treatment: "undecided",
        inherent: (3, 3),
        age: 30,
        ..BASE
    },
    DemoRisk {
        code: "R-024",
        title: "Files shared through unapproved cloud services",
        category: "information",
        owner: PRIYA,
        assets: &["Microsoft 365"],
        threats: &["T-SHADOWIT"],
        controls: &["C-012"],
        inherent: (4, 3),
        current: Some((3, 3)),
        age: 110,
        ..BASE
    },
    DemoRisk {
        code: "R-025",
        title: "ERP outage during the month-end close",
        category: "financial",
        owner: SOFIA,
        assets: &["ERP", "db-erp", "vm-01"],
        threats: &["T-SWFAIL", "T-HWFAIL"],
        controls: &["C-010"],
        inherent: (3, 4),
        current: Some((2, 4)),
        target: Some((2, 3)),
        age: 280,
        ..BASE
    },
    DemoRisk {
        code: "R-026",
        title: "Key IT staff leave and their knowledge goes with them",
        category: "people",
        weaknesses: &["Runbooks are missing for most systems"],
        plan: "Runbooks for the ten most critical systems; a second person trained on each.",
        inherent: (3, 3),
        current: Some((3, 3)),
        target: Some((2, 2)),
        age: 150,
        ..BASE
    },
    DemoRisk {
        code: "R-027",
        title: "A pandemic keeps warehouse staff at home",
        category: "people",
        owner: AISHA,
        assets: &["Warehouse management"],
        threats: &["T-PANDEMIC"],
        treatment: "undecided",
        inherent: (2, 4),
        current: Some((2, 3)),
        age: 420,
        ..BASE
    },
    DemoRisk {
        code: "R-028",
        title: "The corporate website is defaced",
        category: "reputation",
        owner: ISABELLA,
        assets: &["Corporate website", "vm-13"],
        threats: &["T-WEBAPP"],
        controls: &["C-007"],
        inherent: (3, 2),
        current: Some((2, 2)),
        age: 260,
        ..BASE
    },
    DemoRisk {
        code: "R-029",
        title: "A company social media account is hijacked",
        category: "reputation",
        owner: ISABELLA,
        threats: &["T-ACCOUNT"],
        controls: &["C-001"],
        inherent: (3, 2),
        current: Some((2, 2)),
        age: 120,
        ..BASE
    },
    DemoRisk {
        code: "R-030",
        title: "A supplier with network access is breached",
        category: "third_party",
        owner: SAMUEL,
        assets: &["vpn-gateway"],
        threats: &["T-SUPPLYCHAIN"],
        weaknesses: &["Suppliers' VPN accounts are never reviewed"],
        controls: &["C-005", "C-009"],
        inherent: (3, 4),
        was: Some((2, 4)),
        current: Some((3, 4)),
        target: Some((2, 3)),
        age: 250,
        rescored: 50,
        ..BASE
    },
    DemoRisk {
        code: "R-031",
        title: "Bank portal credentials phished",
        category: "financial",
        owner: SOFIA,
        assets: &["Bank portal"],
        threats: &["T-PHISHING", "T-BEC"],
        controls: &["C-001", "C-006"],
        inherent: (3, 5),
        current: Some((2, 4)),
        target: Some((1, 4)),
        age: 300,
        ..BASE
    },
    DemoRisk {
        code: "R-032",
        title: "A telecom outage cuts the depots off",
        category: "operational",
        owner: RAFAEL,
        assets: &["fw-felixstowe", "fw-hamburg"],
        threats: &["T-TELCO"],
        plan: "A second line from another carrier at each depot.",
        inherent: (3, 3),
        current: Some((3, 3)),
        target: Some((2, 3)),
        age: 100,
        ..BASE
    },
    DemoRisk {
        code: "R-033",
        title: "Wrong tariff codes lead to customs penalties",
        category: "compliance",
        owner: ELENA,
        assets: &["Customs declarations"],
        inherent: (3, 3),
        current: Some((2, 3)),
        age: 160,
        ..BASE
    },
    DemoRisk {
        code: "R-034",
        title: "An executive's email is impersonated to order payments",
        category: "financial",
        owner: JONATHAN,
        assets: &["Email and collaboration", "Microsoft 365"],
        threats: &["T-BEC"],
        controls: &["C-004", "C-006"],
        inherent: (3, 5),
        current: Some((3, 3)),
        target: Some((2, 3)),
        age: 200,
        ..BASE
    },
    DemoRisk {
        code: "R-035",
        title: "Cargo stolen from a depot yard",
        category: "operational",
        owner: KWAME,
        assets: &["Hamburg depot", "cam-03"],
        threats: &["T-PHYSICAL"],
        weaknesses: &["Yard cameras do not cover the trailer park"],
        plan: "Scored on the 4×4 matrix the depots use for physical security.",
        inherent: (3, 4),
        current: Some((2, 3)),
        target: Some((2, 2)),
        four_by_four: true,
        age: 130,
        ..BASE
    },
    DemoRisk {
        code: "R-036",
        title: "A competitor spies on key customer accounts",
        category: "strategic",
        owner: DANIEL,
        assets: &["CRM"],
        threats: &["T-ESPIONAGE"],
        inherent: (2, 4),
        current: Some((2, 3)),
        age: 130,
        ..BASE
    },
    DemoRisk {
        code: "R-037",
        title: "New EU customs data rules not met in time",
        category: "strategic",
        owner: AISHA,
        assets: &["Customs declarations"],
        treatment: "undecided",
        inherent: (3, 3),
        current: Some((3, 3)),
        target: Some((2, 2)),
        age: 20,
        ..BASE
    },
    DemoRisk {
        code: "R-038",
        title: "The portal depends on a single cloud region",
        owner: RAFAEL,
        assets: &["AWS production", "Customer portal"],
        threats: &["T-PROVIDER"],
        controls: &["C-010"],
        inherent: (2, 4),
        current: Some((2, 4)),
        age: 75,
        ..BASE
    },
    DemoRisk {
        code: "R-039",
        title: "The old FTP server is exposed to the internet",
        assets: &["vm-11"],
        threats: &["T-EXPLOIT"],
        plan: "Decommissioned; partners moved to the customer portal.",
        inherent: (4, 4),
        current: Some((1, 2)),
        age: 280,
        closed: Some(35),
        ..BASE
    },
    DemoRisk {
        code: "R-040",
        title: "Printers still use their default passwords",
        threats: &["T-MISCONFIG"],
        inherent: (3, 2),
        current: Some((1, 2)),
        age: 200,
        closed: Some(70),
        ..BASE
    },
];

/// Appetite: category and the highest acceptable level on the 5×5.
const APPETITE: [(&str, &str); 5] = [
    ("technology", "High"),
    ("information", "Medium"),
    ("financial", "Medium"),
    ("compliance", "Medium"),
    ("operational", "Medium"),
];

/// Actions: risk, title, owner, due in days from now (negative: overdue), done.
const ACTIONS: [(&str, &str, &str, i64, bool); 10] = [
    (
        "R-001",
        "Move the backups to immutable storage",
        RAFAEL,
        20,
        false,
    ),
    (
        "R-001",
        "Separate the depot networks from the office",
        MARCUS,
        -12,
        false,
    ),
    (
        "R-002",
        "Introduce call-back checks for bank detail changes",
        SOFIA,
        -40,
        true,
    ),
    (
        "R-003",
        "Upgrade the customer portal's framework",
        MARCUS,
        -5,
        false,
    ),
    (
        "R-004",
        "Enrol every administrator in MFA",
        RAFAEL,
        -20,
        false,
    ),
    (
        "R-017",
        "Migrate the three Windows Server 2012 R2 machines",
        MARCUS,
        45,
        false,
    ),
    (
        "R-018",
        "Run a full restore test of the ERP",
        RAFAEL,
        10,
        false,
    ),
    (
        "R-020",
        "Complete the records of processing",
        CHLOE,
        60,
        false,
    ),
    (
        "R-030",
        "Review the suppliers' VPN accounts",
        SAMUEL,
        -3,
        false,
    ),
    (
        "R-035",
        "Extend camera cover to the trailer park",
        KWAME,
        30,
        false,
    ),
];

fn days_ago(now: Timestamp, days: u64) -> Timestamp {
    now.plus_seconds(-(days as i64) * 86_400)
}

fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn score(
    tx: &mut Tx,
    at: Timestamp,
    actor: &Actor,
    risk_id: &str,
    kind: &str,
    (likelihood, impact): Score,
    matrix_id: Option<String>,
) -> AppResult<()> {
    let i = AssessmentInput {
        kind: kind.into(),
        likelihood,
        impact,
        matrix_id,
        rationale: String::new(),
    };
    assessments::assess(tx, at, actor, risk_id, &i)
        .await
        .map(|_| ())
}

/// Adds one risk with its history: added `age` days ago and scored then, rescored later,
/// closed when it was.
async fn add(tx: &mut Tx, now: Timestamp, actor: &Actor, d: &DemoRisk) -> AppResult<String> {
    let added = days_ago(now, d.age);
    let today = now.datetime().date_naive();
    let i = RiskInput {
        code: Some(d.code.into()),
        title: Some(d.title.into()),
        category: Some(d.category.into()),
        owner: Some(d.owner.into()),
        treatment: Some(d.treatment.into()),
        treatment_plan: Some(d.plan.into()),
        review_date: Some((today + Days::new(30 + d.age % 150)).to_string()),
        weaknesses: Some(codes(d.weaknesses)),
        assets: Some(codes(d.assets)),
        threats: Some(codes(d.threats)),
        controls: Some(codes(d.controls)),
        ..RiskInput::default()
    };
    let r = register::create(tx, added, actor, &i).await?;
    let matrix = d.four_by_four.then(|| builtin_id(1, 2));
    let at = added.plus_seconds(600);
    score(tx, at, actor, &r.id, "inherent", d.inherent, matrix.clone()).await?;
    if let Some(was) = d.was {
        score(tx, at, actor, &r.id, "current", was, matrix.clone()).await?;
    }
    if let Some(current) = d.current {
        let when = if d.was.is_some() {
            days_ago(now, d.rescored)
        } else {
            at
        };
        score(tx, when, actor, &r.id, "current", current, matrix.clone()).await?;
    }
    if let Some(target) = d.target {
        score(tx, at, actor, &r.id, "target", target, matrix).await?;
    }
    if d.treatment == "mitigate" && d.closed.is_none() {
        register::update(
            tx,
            at,
            actor,
            &r.id,
            &RiskInput {
                status: Some("treating".into()),
                ..RiskInput::default()
            },
        )
        .await?;
    }
    if let Some(closed) = d.closed {
        register::update(
            tx,
            days_ago(now, closed),
            actor,
            &r.id,
            &RiskInput {
                status: Some("closed".into()),
                review_date: Some(String::new()),
                ..RiskInput::default()
            },
        )
        .await?;
    }
    Ok(r.id)
}

async fn approver(tx: &mut Tx) -> AppResult<Approver> {
    let u = users::by_email(&mut tx.h(), PRIYA)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Approver {
        actor: Actor::user(&u.id, &u.email),
        email: u.email.clone(),
        role: Role::SecurityOfficer,
    })
}

async fn load_in(tx: &mut Tx, now: Timestamp, actor: &Actor) -> AppResult<()> {
    let today = now.datetime().date_naive();
    let long_ago = days_ago(now, 520);
    for (code, name, kind, status, owner, one_off, yearly, requires) in CONTROLS {
        let i = ControlInput {
            code: Some(code.into()),
            name: Some(name.into()),
            kind: Some(kind.into()),
            status: Some(status.into()),
            owner: Some(owner.into()),
            one_off_cost: Some(one_off),
            yearly_cost: Some(yearly),
            requires: Some(codes(requires)),
            ..ControlInput::default()
        };
        controls::create(tx, long_ago, actor, &i).await?;
    }
    for (category, level) in APPETITE {
        let i = AppetiteInput {
            matrix_id: None,
            max_level: level.into(),
        };
        appetite::set(tx, long_ago, actor, category, &i).await?;
    }
    let mut ids = Vec::new();
    for d in &RISKS {
        ids.push((d.code, add(tx, now, actor, d).await?));
    }
    let id_of = |code: &str| {
        ids.iter()
            .find(|(c, _)| *c == code)
            .map(|(_, id)| id.clone())
            .ok_or(AppError::NotFound)
    };
    for (code, title, owner, due, done) in ACTIONS {
        let due = if due < 0 {
            today - Days::new(due.unsigned_abs())
        } else {
            today + Days::new(due.unsigned_abs())
        };
        let i = ActionInput {
            title: Some(title.into()),
            owner: Some(owner.into()),
            due_date: Some(due.to_string()),
            status: Some(if done { "done" } else { "open" }.into()),
        };
        treatment::add_action(tx, days_ago(now, 60), actor, &id_of(code)?, &i).await?;
    }
    let i = AcceptanceInput {
        justification: "A generator is being installed by the building owner next year; until \
                        then the UPS gives time for a clean shutdown and the depots can work \
                        offline for a day."
            .into(),
        expires: (today + Days::new(ACCEPTED_FOR_DAYS)).to_string(),
    };
    let priya = approver(tx).await?;
    treatment::accept(tx, now, &priya, &id_of(ACCEPTED)?, &i).await?;
    Ok(())
}

/// Loads the register in one transaction (after the inventory and the people it links to).
pub async fn load(db: &Db, now: Timestamp, actor: &Actor) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    load_in(&mut tx, now, actor)
        .await
        .map_err(|e| anyhow::anyhow!("demo risks: {}", e.detail()))?;
    tx.commit().await?;
    Ok(())
}
