//! The demo's inventory: sites, business services and what they run on, SaaS, data stores,
//! network gear and end-user devices (a few of them out of support, unencrypted or silent), with
//! the dependencies between them.

use bulwark_core::Timestamp;

use super::mix;
use crate::audit_log::Actor;
use crate::inventory::assets::{self, AssetInput};
use crate::inventory::dependencies::{self, NewDependency};
use crate::platform::db::Tx;
use crate::platform::http::error::AppResult;

const IT_LEAD: &str = "rafael.okafor@northwind.example";
const IT_MANAGER: &str = "marcus.lindqvist@northwind.example";
const SITES: [&str; 3] = ["Rotterdam HQ", "Felixstowe depot", "Hamburg depot"];

/// Business services: name, owner, criticality, what they run on or use, their data store.
const SERVICES: [(&str, &str, i64, &str, Option<&str>); 10] = [
    (
        "ERP",
        "sofia.garcia@northwind.example",
        5,
        "vm-01",
        Some("db-erp"),
    ),
    (
        "Transport management",
        "james.oconnor@northwind.example",
        5,
        "vm-03",
        Some("db-tms"),
    ),
    (
        "Warehouse management",
        "kwame.asante@northwind.example",
        5,
        "vm-05",
        Some("db-wms"),
    ),
    (
        "Customer portal",
        "oliver.bennett@northwind.example",
        4,
        "vm-07",
        Some("db-portal"),
    ),
    (
        "Customs declarations",
        "elena.petrova@northwind.example",
        4,
        "vm-09",
        None,
    ),
    (
        "Finance reporting",
        "sofia.garcia@northwind.example",
        3,
        "vm-11",
        Some("data-warehouse"),
    ),
    (
        "CRM",
        "daniel.fischer@northwind.example",
        4,
        "Salesforce",
        None,
    ),
    ("Email and collaboration", IT_LEAD, 4, "Microsoft 365", None),
    ("Payroll", "grace.kim@northwind.example", 4, "Workday", None),
    (
        "Corporate website",
        "isabella.rossi@northwind.example",
        2,
        "vm-13",
        None,
    ),
];

/// SaaS applications: name, owner.
const SAAS: [(&str, &str); 8] = [
    ("Microsoft 365", IT_LEAD),
    ("Salesforce", "daniel.fischer@northwind.example"),
    ("GitHub", IT_MANAGER),
    ("Slack", IT_MANAGER),
    ("Bank portal", "sofia.garcia@northwind.example"),
    ("Workday", "grace.kim@northwind.example"),
    ("DocuSign", "chloe.dubois@northwind.example"),
    ("Zoom", IT_MANAGER),
];

fn input(name: &str, kind: &str) -> AssetInput {
    AssetInput {
        name: Some(name.into()),
        kind: Some(kind.into()),
        ..AssetInput::default()
    }
}

struct Loader<'a> {
    tx: &'a mut Tx,
    now: Timestamp,
    actor: &'a Actor,
}

impl Loader<'_> {
    async fn add(&mut self, i: AssetInput) -> AppResult<()> {
        assets::create(self.tx, self.now, self.actor, &i)
            .await
            .map(|_| ())
    }

    async fn link(&mut self, from: &str, to: &str, kind: &str) -> AppResult<()> {
        let n = NewDependency {
            from: from.into(),
            to: to.into(),
            kind: kind.into(),
            note: String::new(),
        };
        dependencies::add(self.tx, self.now, self.actor, &n)
            .await
            .map(|_| ())
    }
}

/// Adds the inventory (219 assets) and its dependencies.
pub async fn load(tx: &mut Tx, now: Timestamp, actor: &Actor) -> AppResult<usize> {
    let today = now.datetime().date_naive();
    let days_ago = |d: u64| (today - chrono::Days::new(d)).to_string();
    let mut l = Loader { tx, now, actor };
    let mut count = 0;
    for site in SITES {
        l.add(AssetInput {
            location: Some(site.into()),
            criticality: Some(4),
            ..input(site, "site")
        })
        .await?;
        count += 1;
    }
    for h in 1..=6 {
        let name = format!("host-{h}");
        l.add(AssetInput {
            custodian: Some(Some(IT_LEAD.into())),
            criticality: Some(5),
            location: Some(SITES[0].into()),
            os_name: Some(Some("VMware ESXi".into())),
            os_version: Some(Some("8.0".into())),
            ..input(&name, "server")
        })
        .await?;
        l.link(&name, SITES[0], "located_at").await?;
        count += 1;
    }
    for v in 1..=36 {
        let name = format!("vm-{v:02}");
        let (os, version, supported) = if v % 12 == 0 {
            ("Windows Server", "2012 R2", "2023-10-10")
        } else if v % 2 == 0 {
            ("Ubuntu", "22.04", "2027-04-30")
        } else {
            ("Windows Server", "2022", "2031-10-14")
        };
        l.add(AssetInput {
            custodian: Some(Some(IT_MANAGER.into())),
            criticality: Some(3),
            os_name: Some(Some(os.into())),
            os_version: Some(Some(version.into())),
            supported_until: Some(Some(supported.into())),
            ..input(&name, "server")
        })
        .await?;
        l.link(&name, &format!("host-{}", 1 + v % 6), "runs_on")
            .await?;
        count += 1;
    }
    for (name, owner) in SAAS {
        l.add(AssetInput {
            owner: Some(Some(owner.into())),
            custodian: Some(Some(IT_MANAGER.into())),
            criticality: Some(4),
            classification: Some("confidential".into()),
            internet_exposed: Some(true),
            tags: Some(vec!["saas".into()]),
            ..input(name, "saas_application")
        })
        .await?;
        count += 1;
    }
    for (name, kind) in [
        ("Active Directory", "server"),
        ("AWS production", "cloud_service"),
        ("Entra ID", "cloud_service"),
        ("Offsite backup", "cloud_service"),
        ("Cloudflare", "cloud_service"),
    ] {
        l.add(AssetInput {
            owner: Some(Some(IT_LEAD.into())),
            custodian: Some(Some(IT_MANAGER.into())),
            criticality: Some(5),
            ..input(name, kind)
        })
        .await?;
        count += 1;
    }
    l.link("Active Directory", "vm-35", "runs_on").await?;
    for (i, name) in [
        "db-erp",
        "db-tms",
        "db-wms",
        "db-portal",
        "data-warehouse",
        "file-share-hq",
        "backup-vault",
    ]
    .into_iter()
    .enumerate()
    {
        l.add(AssetInput {
            custodian: Some(Some(IT_MANAGER.into())),
            criticality: Some(5),
            confidentiality: Some(4),
            classification: Some("confidential".into()),
            ..input(name, "data_store")
        })
        .await?;
        l.link(name, &format!("vm-{:02}", 20 + i), "runs_on")
            .await?;
        count += 1;
    }
    l.link("backup-vault", "Offsite backup", "uses").await?;
    for (name, owner, crit, on, data) in SERVICES {
        l.add(AssetInput {
            owner: Some(Some(owner.into())),
            custodian: Some(Some(IT_MANAGER.into())),
            criticality: Some(crit),
            availability: Some(crit),
            classification: Some("confidential".into()),
            internet_exposed: Some(name == "Customer portal" || name == "Corporate website"),
            ..input(name, "business_service")
        })
        .await?;
        let kind = if on.starts_with("vm-") {
            "runs_on"
        } else {
            "uses"
        };
        l.link(name, on, kind).await?;
        if let Some(d) = data {
            l.link(name, d, "stores_data_in").await?;
        }
        count += 1;
    }
    l.link("Customer portal", "Cloudflare", "connects_through")
        .await?;
    l.link("Finance reporting", "ERP", "uses").await?;
    for (i, name) in [
        "fw-hq",
        "fw-felixstowe",
        "fw-hamburg",
        "core-sw-hq",
        "sw-01",
        "sw-02",
        "sw-03",
        "sw-04",
        "sw-05",
        "sw-06",
        "wifi-controller",
        "vpn-gateway",
    ]
    .into_iter()
    .enumerate()
    {
        let site = SITES[if i < 3 { i } else { i % 3 }];
        l.add(AssetInput {
            custodian: Some(Some(IT_MANAGER.into())),
            criticality: Some(if name.starts_with("fw") || name == "vpn-gateway" {
                5
            } else {
                3
            }),
            internet_exposed: Some(name.starts_with("fw") || name == "vpn-gateway"),
            location: Some(site.into()),
            ..input(name, "network_device")
        })
        .await?;
        l.link(name, site, "located_at").await?;
        count += 1;
    }
    // End-user devices: a few unencrypted, unmanaged, out of support or silent.
    for (prefix, kind, n, os, version) in [
        ("ws", "workstation", 40, "Windows", "11 23H2"),
        ("lt", "laptop", 50, "Windows", "11 23H2"),
        ("mob", "mobile_device", 30, "iOS", "17.5"),
    ] {
        for i in 1..=n {
            let name = format!("{prefix}-{i:03}");
            let r = mix((i as u64) << 8 | kind.len() as u64);
            let (os, version, supported) = match (kind, r % 15) {
                ("mobile_device", 0) => ("Android", "10", "2023-03-01"),
                ("workstation", 0) => ("Windows", "10 22H2", "2025-10-14"),
                _ => (os, version, "2028-11-10"),
            };
            l.add(AssetInput {
                criticality: Some(2),
                location: Some(SITES[i % 3].into()),
                os_name: Some(Some(os.into())),
                os_version: Some(Some(version.into())),
                encrypted: Some(Some(!(kind == "laptop" && r % 17 == 3))),
                mdm_enrolled: Some(Some(!(kind == "mobile_device" && r % 11 == 4))),
                last_check_in: Some(Some(days_ago(if r % 23 == 7 { 60 } else { r % 3 }))),
                supported_until: Some(Some(supported.into())),
                ..input(&name, kind)
            })
            .await?;
            count += 1;
        }
    }
    for (prefix, n, what) in [
        ("cam", 6, "CCTV camera"),
        ("scanner", 6, "Handheld scanner"),
    ] {
        for i in 1..=n {
            let name = format!("{prefix}-{i:02}");
            l.add(AssetInput {
                description: Some(what.into()),
                criticality: Some(2),
                location: Some(SITES[i % 3].into()),
                last_check_in: Some(Some(days_ago(mix(i as u64) % 2))),
                supported_until: Some(Some(
                    if i == 1 { "2024-06-30" } else { "2029-01-01" }.into(),
                )),
                ..input(&name, "iot_device")
            })
            .await?;
            l.link(&name, "wifi-controller", "connects_through").await?;
            count += 1;
        }
    }
    Ok(count)
}
