//! The built-in threat catalogue, written for Bulwark. Each threat names the MITRE ATT&CK®
//! tactics it usually involves (tactic identifiers only, as references); organisations add their
//! own threats beside these.
//!
//! Shipped in migration 6; later additions come in new migrations so installed catalogues grow
//! the same way everywhere.

/// The fixed id of built-in row `n` of a kind (matrices 1, threats 2): UUIDv7-shaped and
/// sorting before any id made later.
pub fn builtin_id(kind: u8, n: usize) -> String {
    format!("01900000-0000-7000-8{kind:03x}-{n:012x}")
}

/// `(code, name, category, ATT&CK tactics, description)`.
pub type CatalogueThreat = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

/// Threat categories: adversarial, accidental, structural (failure), environmental.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("adversarial", "Adversarial (someone means harm)"),
    ("accidental", "Accidental (a mistake)"),
    ("structural", "Structural (equipment or software fails)"),
    (
        "environmental",
        "Environmental (fire, flood, power, pandemic)",
    ),
];

/// The catalogue shipped with migration 6.
pub const THREATS: &[CatalogueThreat] = &[
    (
        "T-RANSOMWARE",
        "Ransomware",
        "adversarial",
        &["TA0001", "TA0002", "TA0008", "TA0040"],
        "Criminals get in, spread, and encrypt or steal data to demand payment.",
    ),
    (
        "T-PHISHING",
        "Phishing and credential theft",
        "adversarial",
        &["TA0001", "TA0006"],
        "Staff are tricked into giving away passwords or running malicious attachments.",
    ),
    (
        "T-BEC",
        "Business email compromise and payment fraud",
        "adversarial",
        &["TA0001", "TA0009", "TA0040"],
        "A mailbox is taken over or impersonated to redirect payments or invoices.",
    ),
    (
        "T-CREDSTUFF",
        "Password spraying and credential stuffing",
        "adversarial",
        &["TA0006", "TA0001"],
        "Leaked or guessed passwords are tried against internet-facing logins.",
    ),
    (
        "T-EXPLOIT",
        "Exploitation of an internet-facing system",
        "adversarial",
        &["TA0001", "TA0002"],
        "A known or unknown weakness in an exposed service is used to get in.",
    ),
    (
        "T-SUPPLYCHAIN",
        "Compromise through a supplier or software update",
        "adversarial",
        &["TA0001", "TA0003"],
        "A trusted vendor, managed service provider or software package is used to reach us.",
    ),
    (
        "T-INSIDER",
        "Malicious insider",
        "adversarial",
        &["TA0009", "TA0010", "TA0040"],
        "Someone with legitimate access steals, sells or destroys information.",
    ),
    (
        "T-DDOS",
        "Denial of service",
        "adversarial",
        &["TA0040"],
        "Public services are flooded so customers cannot use them.",
    ),
    (
        "T-EXFIL",
        "Data theft by an outside attacker",
        "adversarial",
        &["TA0009", "TA0010"],
        "Personal or confidential data is copied out of the organisation.",
    ),
    (
        "T-ACCOUNT",
        "Takeover of a privileged or cloud account",
        "adversarial",
        &["TA0004", "TA0006", "TA0003"],
        "An administrator, cloud console or SaaS admin account falls into the wrong hands.",
    ),
    (
        "T-WEBAPP",
        "Attack on a web application",
        "adversarial",
        &["TA0001", "TA0009"],
        "Injection, broken access control or session theft in our own web applications.",
    ),
    (
        "T-MALWARE",
        "Malware on endpoints",
        "adversarial",
        &["TA0002", "TA0003", "TA0005"],
        "Laptops or servers run malicious software from downloads, USB sticks or drive-by attacks.",
    ),
    (
        "T-ESPIONAGE",
        "Targeted espionage",
        "adversarial",
        &["TA0043", "TA0001", "TA0009"],
        "A capable adversary studies the organisation to steal designs, bids or plans.",
    ),
    (
        "T-PHYSICAL",
        "Theft or loss of devices",
        "adversarial",
        &[],
        "Laptops, phones or storage media are stolen or lost with data on them.",
    ),
    (
        "T-INTRUSION",
        "Physical intrusion",
        "adversarial",
        &["TA0001"],
        "Someone enters offices or the server room without permission.",
    ),
    (
        "T-MISDELIVERY",
        "Sending data to the wrong person",
        "accidental",
        &[],
        "An email, letter or shared link reaches someone who should not see it.",
    ),
    (
        "T-MISCONFIG",
        "Misconfiguration",
        "accidental",
        &[],
        "A storage bucket, firewall rule or sharing setting exposes data or services.",
    ),
    (
        "T-DELETION",
        "Accidental deletion or corruption of data",
        "accidental",
        &[],
        "Someone deletes or overwrites records and the mistake spreads to backups.",
    ),
    (
        "T-CHANGE",
        "A failed change or upgrade",
        "accidental",
        &[],
        "A change to a system breaks it or something that depends on it.",
    ),
    (
        "T-SHADOWIT",
        "Unapproved services and tools",
        "accidental",
        &[],
        "Staff put organisation data in services nobody reviewed.",
    ),
    (
        "T-HWFAIL",
        "Hardware failure",
        "structural",
        &[],
        "Disks, servers, network equipment or storage fail.",
    ),
    (
        "T-SWFAIL",
        "Software failure",
        "structural",
        &[],
        "A bug or an expired certificate or licence stops a system.",
    ),
    (
        "T-PROVIDER",
        "Outage of a cloud or SaaS provider",
        "structural",
        &[],
        "A provider we depend on is unavailable for hours or days.",
    ),
    (
        "T-TELCO",
        "Loss of network or telecommunications",
        "structural",
        &[],
        "Internet links, telephony or the WAN go down.",
    ),
    (
        "T-EOL",
        "Unsupported systems",
        "structural",
        &[],
        "Systems past their support date no longer get security fixes.",
    ),
    (
        "T-POWER",
        "Power failure",
        "environmental",
        &[],
        "Mains power is lost for longer than the batteries last.",
    ),
    (
        "T-FIRE",
        "Fire",
        "environmental",
        &[],
        "Fire or smoke damages a site or its equipment.",
    ),
    (
        "T-FLOOD",
        "Flood or water damage",
        "environmental",
        &[],
        "Water from outside, pipes or cooling damages a site.",
    ),
    (
        "T-WEATHER",
        "Severe weather",
        "environmental",
        &[],
        "Storms, heat or snow close sites or cut services.",
    ),
    (
        "T-PANDEMIC",
        "Pandemic or loss of key staff",
        "environmental",
        &[],
        "Many people, or the few who know a system, are unavailable at once.",
    ),
];
