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

/// A closed set of values stored as text: `(value, label)` pairs.
pub type Choices = &'static [(&'static str, &'static str)];

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

/// The label of a stored value, or the value itself when unknown.
pub fn label_of(choices: Choices, value: &str) -> &'static str {
    choices
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| *l)
        .unwrap_or("unknown")
}

/// Checks that `value` is one of `choices`.
pub fn one_of(
    field: &str,
    value: &str,
    choices: Choices,
) -> Result<&'static str, bulwark_core::validate::FieldError> {
    choices
        .iter()
        .find(|(v, _)| *v == value.trim())
        .map(|(v, _)| *v)
        .ok_or_else(|| {
            bulwark_core::validate::FieldError::new(
                field,
                format!(
                    "must be one of {}",
                    choices
                        .iter()
                        .map(|(v, _)| *v)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}
