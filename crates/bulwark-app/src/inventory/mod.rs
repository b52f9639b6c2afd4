//! Inventory: assets and services, their dependencies, and the software installed on each.
