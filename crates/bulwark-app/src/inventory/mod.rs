//! Inventory: assets and services, their dependencies, and the software installed on each.
//!
//! `assets.rs` holds the model and its storage, `dependencies.rs` the directed graph between
//! assets (cycles refused), `software.rs` the per-asset software inventory imported from SBOMs and
//! lockfiles, `devices.rs` the check of mobile and IoT devices. `api.rs` and `pages.rs` are the
//! interfaces; the CLI calls the same actions.

pub mod api;
pub mod assets;
pub mod dependencies;
pub mod devices;
pub mod pages;
pub mod software;

pub use assets::{Asset, AssetInput, PersonRef};

pub use bulwark_core::validate::{Choices, label_of, one_of};

/// Kinds of asset.
pub const KINDS: Choices = &[
    ("server", "Server"),
    ("workstation", "Workstation"),
    ("laptop", "Laptop"),
    ("mobile_device", "Mobile device"),
    ("network_device", "Network device"),
    ("iot_device", "IoT / OT device"),
    ("cloud_service", "Cloud service"),
    ("saas_application", "SaaS application"),
    ("data_store", "Database or data store"),
    ("business_service", "Business service"),
    ("site", "Site"),
];

/// Data classifications, least to most sensitive.
pub const CLASSIFICATIONS: Choices = &[
    ("public", "Public"),
    ("internal", "Internal"),
    ("confidential", "Confidential"),
    ("restricted", "Restricted"),
];

/// Lifecycle states.
pub const LIFECYCLES: Choices = &[
    ("planned", "Planned"),
    ("active", "Active"),
    ("retired", "Retired"),
];

/// Kinds of dependency between assets.
pub const DEPENDENCY_KINDS: Choices = &[
    ("runs_on", "runs on"),
    ("uses", "uses"),
    ("stores_data_in", "stores data in"),
    ("connects_through", "connects through"),
    ("located_at", "is located at"),
];
