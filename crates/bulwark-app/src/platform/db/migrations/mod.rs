//! The ordered list of schema migrations. Shipped migrations never change; add a new one.

mod m0001_platform;
mod m0002_inventory;
mod m0003_identity;
mod m0004_reviews;
mod m0005_list_indexes;
mod m0006_risk;
mod m0007_risk_quant;
mod m0008_asset_search;
mod m0009_software_staging;

use super::Backend;

/// One schema change.
pub struct Migration {
    /// Increasing from 1, without gaps.
    pub version: i64,
    /// What it does, in a few words.
    pub name: &'static str,
    /// The statements for a backend, run in one transaction.
    pub up: fn(Backend) -> Vec<String>,
}

/// Every migration, in order.
pub const ALL: &[Migration] = &[
    Migration {
        version: 1,
        name: "platform: users, sessions, tokens, settings, jobs, audit trail",
        up: m0001_platform::up,
    },
    Migration {
        version: 2,
        name: "inventory: people, assets, dependencies, software",
        up: m0002_inventory::up,
    },
    Migration {
        version: 3,
        name: "identity: accounts, imports, findings, exemptions, SoD rules, SCIM",
        up: m0003_identity::up,
    },
    Migration {
        version: 4,
        name: "access reviews: campaigns, items, decisions, tasks",
        up: m0004_reviews::up,
    },
    Migration {
        version: 5,
        name: "indexes for filtered asset lists and open findings",
        up: m0005_list_indexes::up,
    },
    Migration {
        version: 6,
        name: "risk: matrices, threats, controls, register, assessments, treatment, models",
        up: m0006_risk::up,
    },
    Migration {
        version: 7,
        name: "risk simulations: budget, simulated model, notes",
        up: m0007_risk_quant::up,
    },
    Migration {
        version: 8,
        name: "text index for the asset search",
        up: m0008_asset_search::up,
    },
    Migration {
        version: 9,
        name: "software imports compared in the database",
        up: m0009_software_staging::up,
    },
];
