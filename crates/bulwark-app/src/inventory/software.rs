//! The software installed on each asset, imported from SBOMs and lockfiles.
//!
//! An import streams the file through `bulwark-sbom` on a blocking thread and writes components
//! in batches inside one transaction: a refused file rolls everything back, so an asset's
//! inventory is always the last accepted file, whole. What was added, removed and changed is
//! counted, kept in `software_imports` and written to the audit trail.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufReader, Read};
use std::ops::ControlFlow;

use bulwark_core::{InputProblem, Timestamp};
use bulwark_sbom::{Format, ReadError};
use sea_query::{Alias, Expr, ExprTrait, InsertStatement, Order, Query};
use serde::{Deserialize, Serialize};

use crate::audit_log::{Actor, Change, record};
use crate::inventory::assets;
use crate::platform::batches::Batches;
use crate::platform::db::{Db, DbError, Handle};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// One installed component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Component {
    pub id: String,
    /// The package ecosystem, named as the purl type (npm, pypi, cargo, maven, deb, …).
    pub ecosystem: String,
    /// The name, normalised for the ecosystem (PEP 503 for PyPI, `group:artifact` for Maven).
    pub name: String,
    /// The version exactly as the source gave it.
    pub version: String,
    pub purl: Option<String>,
    pub cpe: Option<String>,
    /// When this exact version was first seen on the asset.
    pub first_seen: String,
}

/// One accepted import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct SoftwareImport {
    pub id: String,
    pub asset_id: String,
    /// cyclonedx, spdx, dpkg, pip, npm, cargo or csv.
    pub format: String,
    /// The file name given.
    pub source: String,
    /// Components now on the asset.
    pub components: i64,
    pub added: i64,
    pub removed: i64,
    /// Packages whose version changed.
    pub changed: i64,
    pub imported_at: String,
    /// Who imported it.
    pub actor: String,
}

/// What an import did, with the changes listed (up to [`LISTED`] of each).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub import: SoftwareImport,
    /// Exact duplicates in the file, stored once.
    pub duplicates: u64,
    /// `ecosystem/name@version`.
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// `ecosystem/name old → new`.
    pub changed: Vec<String>,
}

/// How many added/removed/changed packages an outcome and its audit entry list by name.
pub const LISTED: usize = 200;

const COLUMNS: [&str; 8] = [
    "id",
    "asset_id",
    "ecosystem",
    "name",
    "version",
    "purl",
    "cpe",
    "first_seen",
];

/// The columns of `software_imports`, in `SoftwareImport` order.
const IMPORT_COLUMNS: [&str; 10] = [
    "id",
    "asset_id",
    "format",
    "source",
    "components",
    "added",
    "removed",
    "changed",
    "imported_at",
    "actor",
];

/// Versions per `(ecosystem, name)`.
type Versions = BTreeMap<(String, String), BTreeSet<String>>;

#[derive(sqlx::FromRow)]
struct Seen {
    ecosystem: String,
    name: String,
    version: String,
    first_seen: String,
}

/// Where a file comes from and what it is.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file name shown in the history.
    pub name: String,
    pub format: Format,
}

/// Picks the format: the one asked for, else detected from the name and first bytes.
pub fn choose_format(asked: Option<&str>, file_name: &str, head: &[u8]) -> AppResult<Format> {
    match asked.filter(|f| !f.is_empty()) {
        Some(f) => Format::parse(f).ok_or_else(|| {
            AppError::field(
                "format",
                "must be one of cyclonedx, spdx, dpkg, pip, npm, cargo, csv",
            )
        }),
        None => Format::detect(file_name, head).ok_or_else(|| {
            AppError::field(
                "format",
                "could not tell the file's format; give one of cyclonedx, spdx, dpkg, pip, npm, cargo, csv",
            )
        }),
    }
}

/// Replaces the software inventory of `asset_id` with the components read from `input`.
/// All or nothing: a file with any problem is refused with every problem listed, and the
/// previous inventory stays.
pub async fn import<R: Read + Send + 'static>(
    db: &Db,
    now: Timestamp,
    actor: &Actor,
    asset_id: &str,
    source: Source,
    input: R,
) -> AppResult<ImportOutcome> {
    let mut tx = db.begin().await?;
    let asset = assets::by_id(&mut tx.h(), asset_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let old = previous(&mut tx.h(), asset_id).await?;
    let del = Query::delete()
        .from_table(Alias::new("software_components"))
        .and_where(Expr::col(Alias::new("asset_id")).eq(asset_id))
        .to_owned();
    tx.h().execute(&del).await?;

    let format = source.format;
    let mut batches = Batches::start(move |sink: &mut dyn FnMut(bulwark_sbom::Component)| {
        let input = BufReader::with_capacity(1 << 16, input);
        match bulwark_sbom::read(format, input, |c| {
            sink(c);
            ControlFlow::Continue(())
        }) {
            Ok(summary) => Ok(summary),
            Err(ReadError::Invalid(problems)) => Err(problems),
            // The sink never stops the reader.
            Err(ReadError::Stopped) => Err(vec![InputProblem::whole("reading stopped early")]),
        }
    });
    let mut new: Versions = BTreeMap::new();
    let mut stored: i64 = 0;
    while let Some(batch) = batches.next().await {
        let mut q = insert();
        for c in &batch {
            let key = (c.ecosystem.as_str().to_string(), c.name.clone());
            let first_seen = old
                .first_seen
                .get(&(key.0.clone(), key.1.clone(), c.version.clone()))
                .cloned()
                .unwrap_or_else(|| now.to_db());
            new.entry(key).or_default().insert(c.version.clone());
            q.values_panic([
                new_id(now).into(),
                asset_id.into(),
                c.ecosystem.as_str().into(),
                c.name.clone().into(),
                c.version.clone().into(),
                c.purl.clone().into(),
                c.cpe.clone().into(),
                first_seen.into(),
            ]);
        }
        tx.h().execute(&q).await?;
        stored += batch.len() as i64;
    }
    let summary = batches.finish().await?;

    let diff = Diff::between(&old.versions, &new);
    let import = SoftwareImport {
        id: new_id(now),
        asset_id: asset.id.clone(),
        format: format.as_str().to_string(),
        source: source.name,
        components: stored,
        added: diff.added.len() as i64,
        removed: diff.removed.len() as i64,
        changed: diff.changed.len() as i64,
        imported_at: now.to_db(),
        actor: actor.label.clone(),
    };
    let q = Query::insert()
        .into_table(Alias::new("software_imports"))
        .columns(IMPORT_COLUMNS.map(Alias::new))
        .values_panic([
            import.id.clone().into(),
            import.asset_id.clone().into(),
            import.format.clone().into(),
            import.source.clone().into(),
            import.components.into(),
            import.added.into(),
            import.removed.into(),
            import.changed.into(),
            import.imported_at.clone().into(),
            import.actor.clone().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let outcome = ImportOutcome {
        import,
        duplicates: summary.duplicates,
        added: diff.added.into_iter().take(LISTED).collect(),
        removed: diff.removed.into_iter().take(LISTED).collect(),
        changed: diff.changed.into_iter().take(LISTED).collect(),
    };
    record(
        &mut tx,
        now,
        actor,
        Change::new("software.import", "asset", Some(&asset.id)).after(&outcome),
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

fn insert() -> InsertStatement {
    Query::insert()
        .into_table(Alias::new("software_components"))
        .columns(COLUMNS.map(Alias::new))
        .to_owned()
}

/// The inventory before an import: versions per package, and when each version was first seen.
struct Previous {
    versions: Versions,
    first_seen: HashMap<(String, String, String), String>,
}

async fn previous(h: &mut Handle<'_>, asset_id: &str) -> Result<Previous, DbError> {
    let q = Query::select()
        .columns(["ecosystem", "name", "version", "first_seen"].map(Alias::new))
        .from(Alias::new("software_components"))
        .and_where(Expr::col(Alias::new("asset_id")).eq(asset_id))
        .to_owned();
    let mut p = Previous {
        versions: BTreeMap::new(),
        first_seen: HashMap::new(),
    };
    for r in h.fetch_all::<Seen>(&q).await? {
        p.versions
            .entry((r.ecosystem.clone(), r.name.clone()))
            .or_default()
            .insert(r.version.clone());
        p.first_seen
            .insert((r.ecosystem, r.name, r.version), r.first_seen);
    }
    Ok(p)
}

/// Packages added, removed, and changed (same package, other versions), as display strings.
#[derive(Debug, Default, PartialEq)]
struct Diff {
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
}

impl Diff {
    fn between(old: &Versions, new: &Versions) -> Diff {
        let mut d = Diff::default();
        let join = |v: &BTreeSet<String>| v.iter().cloned().collect::<Vec<_>>().join(", ");
        for ((eco, name), nv) in new {
            match old.get(&(eco.clone(), name.clone())) {
                None => d
                    .added
                    .extend(nv.iter().map(|v| format!("{eco}/{name}@{v}"))),
                Some(ov) if ov != nv => {
                    d.changed
                        .push(format!("{eco}/{name} {} → {}", join(ov), join(nv)))
                }
                Some(_) => {}
            }
        }
        for ((eco, name), ov) in old {
            if !new.contains_key(&(eco.clone(), name.clone())) {
                d.removed
                    .extend(ov.iter().map(|v| format!("{eco}/{name}@{v}")));
            }
        }
        d
    }
}

/// Lists an asset's components by ecosystem and name, after the cursor `(key, id)`.
pub async fn list(
    db: &Db,
    asset_id: &str,
    q_text: Option<&str>,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<Component>, DbError> {
    let mut q = Query::select()
        .columns(
            [
                "id",
                "ecosystem",
                "name",
                "version",
                "purl",
                "cpe",
                "first_seen",
            ]
            .map(Alias::new),
        )
        .from(Alias::new("software_components"))
        .and_where(Expr::col(Alias::new("asset_id")).eq(asset_id))
        .to_owned();
    if let Some(t) = q_text.filter(|t| !t.is_empty()) {
        let pat = crate::platform::db::contains_pattern(t);
        q.and_where(sea_query::Func::lower(Expr::col(Alias::new("name"))).like(pat));
    }
    if let Some((key, id)) = after {
        q.and_where(
            Expr::col(Alias::new("name"))
                .gt(key.clone())
                .or(Expr::col(Alias::new("name"))
                    .eq(key)
                    .and(Expr::col(Alias::new("id")).gt(id))),
        );
    }
    q.order_by(Alias::new("name"), Order::Asc)
        .order_by(Alias::new("id"), Order::Asc)
        .limit(limit);
    db.fetch_all(&q).await
}

/// The import history of an asset, newest first.
pub async fn history(db: &Db, asset_id: &str, limit: u64) -> Result<Vec<SoftwareImport>, DbError> {
    let q = Query::select()
        .columns(IMPORT_COLUMNS.map(Alias::new))
        .from(Alias::new("software_imports"))
        .and_where(Expr::col(Alias::new("asset_id")).eq(asset_id))
        .order_by(Alias::new("imported_at"), Order::Desc)
        .limit(limit)
        .to_owned();
    db.fetch_all(&q).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[(&str, &str, &str)]) -> Versions {
        let mut m: Versions = BTreeMap::new();
        for (e, n, ver) in items {
            m.entry((e.to_string(), n.to_string()))
                .or_default()
                .insert(ver.to_string());
        }
        m
    }

    #[test]
    fn diff_tells_added_removed_and_changed_apart() {
        let old = v(&[
            ("pypi", "django", "3.2"),
            ("pypi", "jinja2", "2.10"),
            ("npm", "left-pad", "1.0.0"),
        ]);
        let new = v(&[
            ("pypi", "django", "4.2.1"),
            ("pypi", "jinja2", "2.10"),
            ("cargo", "serde", "1.0.0"),
        ]);
        let d = Diff::between(&old, &new);
        assert_eq!(d.added, vec!["cargo/serde@1.0.0"]);
        assert_eq!(d.removed, vec!["npm/left-pad@1.0.0"]);
        assert_eq!(d.changed, vec!["pypi/django 3.2 → 4.2.1"]);
    }
}
