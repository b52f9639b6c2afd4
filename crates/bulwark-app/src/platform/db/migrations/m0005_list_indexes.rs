//! Indexes that let the filtered lists read one page instead of sorting every match
//! (docs/BENCHMARKS.md, identity and inventory at scale): the asset list by kind, lifecycle or
//! criticality in name order, accounts across systems by username, and the open findings in
//! key order.

use crate::platform::db::Backend;
use crate::platform::db::schema::{index, render};

pub fn up(backend: Backend) -> Vec<String> {
    let indexes = [
        index("assets", &["kind", "name", "id"], false),
        index("assets", &["lifecycle", "name", "id"], false),
        index("assets", &["criticality", "name", "id"], false),
        index("identity_findings", &["status", "key"], false),
        index("accounts", &["username_key", "id"], false),
    ];
    render(backend, &[], &indexes)
}
