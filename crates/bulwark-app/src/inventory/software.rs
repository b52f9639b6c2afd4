//! The software installed on each asset, imported from SBOMs and lockfiles.
//!
//! An import streams the file through `bulwark-sbom` on a blocking thread and writes components
//! in batches to a scratch table inside one transaction, where the database drops repeats and
//! compares the file with the asset's inventory: memory stays flat however large the file. A
//! refused file rolls everything back, so an asset's inventory is always the last accepted file,
//! whole. What was added, removed and changed is counted, kept in `software_imports` and written
//! to the audit trail.

use std::io::{BufReader, Read};
use std::ops::ControlFlow;

use bulwark_core::{InputProblem, Timestamp};
use bulwark_sbom::{Format, ReadError};
use sea_query::{
    Alias, Cond, Expr, ExprTrait, Func, OnConflict, Order, Query, SelectStatement, UnionType,
};
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
///
/// Memory does not grow with the file: the components go in batches to `software_staging`,
/// whose unique index drops repeats; the database then counts what was added, removed and
/// changed, lists the first [`LISTED`] of each, and applies the difference. Components the
/// file still lists keep their id and `first_seen`.
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
    let import_id = new_id(now);

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
    let mut stored: u64 = 0;
    while let Some(batch) = batches.next().await {
        let mut q = Query::insert()
            .into_table(Side::Staging.table())
            .columns(
                std::iter::once("import_id")
                    .chain(FROM_FILE)
                    .map(Alias::new),
            )
            .on_conflict(
                OnConflict::columns(["import_id", "ecosystem", "name", "version"].map(Alias::new))
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        for c in batch {
            q.values_panic([
                import_id.clone().into(),
                new_id(now).into(),
                c.ecosystem.as_str().into(),
                c.name.into(),
                c.version.into(),
                c.purl.into(),
                c.cpe.into(),
            ]);
        }
        stored += tx.h().execute(&q).await?;
    }
    let summary = batches.finish().await?;

    let pair = Pair {
        asset_id: asset.id.clone(),
        import_id,
    };
    let diff = pair.diff(&mut tx.h()).await?;
    pair.apply(&mut tx.h(), now).await?;

    let [added, removed, changed] = diff.counts;
    let import = SoftwareImport {
        id: pair.import_id.clone(),
        asset_id: asset.id.clone(),
        format: format.as_str().to_string(),
        source: source.name,
        components: stored as i64,
        added,
        removed,
        changed,
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
        duplicates: summary.components - stored,
        added: diff.added,
        removed: diff.removed,
        changed: diff.changed,
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

/// The two sides of an import: the asset's inventory and the file's staged rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Components,
    Staging,
}

impl Side {
    fn table(self) -> Alias {
        Alias::new(match self {
            Side::Components => "software_components",
            Side::Staging => "software_staging",
        })
    }

    fn other(self) -> Side {
        match self {
            Side::Components => Side::Staging,
            Side::Staging => Side::Components,
        }
    }

    /// `table.column`.
    fn col(self, column: &str) -> Expr {
        Expr::col((self.table(), Alias::new(column)))
    }

    /// `(table, column)`, for comparing with [`Side::col`].
    fn column(self, column: &str) -> (Alias, Alias) {
        (self.table(), Alias::new(column))
    }
}

/// The columns a component takes from the file, in `software_staging` as in
/// `software_components` (which adds `asset_id` and `first_seen`).
const FROM_FILE: [&str; 6] = ["id", "ecosystem", "name", "version", "purl", "cpe"];

/// An asset's current inventory (`software_components`) and the file being imported
/// (`software_staging` rows of one import), compared and merged by SQL.
struct Pair {
    asset_id: String,
    import_id: String,
}

/// Added, removed and changed: the counts, then the first [`LISTED`] of each by name.
#[derive(Debug, Default)]
struct Diff {
    /// Versions added, versions removed, packages changed.
    counts: [i64; 3],
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Package {
    ecosystem: String,
    name: String,
}

#[derive(sqlx::FromRow)]
struct Versioned {
    ecosystem: String,
    name: String,
    version: String,
}

impl Versioned {
    fn label(&self) -> String {
        format!("{}/{}@{}", self.ecosystem, self.name, self.version)
    }
}

impl Pair {
    /// The rows of `side` this pair compares: the asset's components, or this import's.
    fn rows_of(&self, side: Side) -> Expr {
        match side {
            Side::Components => side.col("asset_id").eq(self.asset_id.as_str()),
            Side::Staging => side.col("import_id").eq(self.import_id.as_str()),
        }
    }

    /// A subquery over the other side for the current row of `side`: the same package, or with
    /// `exact` the same version of it.
    fn same_on_other_side(&self, side: Side, exact: bool) -> SelectStatement {
        let other = side.other();
        let mut q = Query::select()
            .expr(Expr::val(1))
            .from(other.table())
            .and_where(self.rows_of(other))
            .to_owned();
        let keys: &[&str] = if exact {
            &["ecosystem", "name", "version"]
        } else {
            &["ecosystem", "name"]
        };
        for k in keys {
            q.and_where(other.col(k).equals(side.column(k)));
        }
        q
    }

    /// Rows of `side` whose package the other side lacks: added (staging) or removed
    /// (components), as `ecosystem`, `name`, `version`.
    fn only_on(&self, side: Side) -> SelectStatement {
        Query::select()
            .columns(["ecosystem", "name", "version"].map(|c| side.column(c)))
            .from(side.table())
            .and_where(self.rows_of(side))
            .and_where(Expr::not_exists(self.same_on_other_side(side, false)))
            .to_owned()
    }

    /// Packages on both sides whose versions differ, as `ecosystem`, `name` (each once).
    fn changed(&self) -> SelectStatement {
        let half = |side: Side| {
            Query::select()
                .columns(["ecosystem", "name"].map(|c| side.column(c)))
                .from(side.table())
                .and_where(self.rows_of(side))
                .and_where(Expr::exists(self.same_on_other_side(side, false)))
                .and_where(Expr::not_exists(self.same_on_other_side(side, true)))
                .to_owned()
        };
        half(Side::Staging)
            .union(UnionType::Distinct, half(Side::Components))
            .to_owned()
    }

    /// The first [`LISTED`] rows of `rows` by ecosystem, name (and version when `versioned`).
    fn first(rows: SelectStatement, versioned: bool) -> SelectStatement {
        let mut q = Query::select()
            .columns(["ecosystem", "name"].map(Alias::new))
            .from_subquery(rows, Alias::new("k"))
            .order_by(Alias::new("ecosystem"), Order::Asc)
            .order_by(Alias::new("name"), Order::Asc)
            .limit(LISTED as u64)
            .to_owned();
        if versioned {
            q.column(Alias::new("version"))
                .order_by(Alias::new("version"), Order::Asc);
        }
        q
    }

    /// Compares the two sides.
    async fn diff(&self, h: &mut Handle<'_>) -> Result<Diff, DbError> {
        let mut d = Diff::default();
        let sets = [
            self.only_on(Side::Staging),
            self.only_on(Side::Components),
            self.changed(),
        ];
        for (n, rows) in d.counts.iter_mut().zip(sets) {
            let q = Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from_subquery(rows, Alias::new("k"))
                .to_owned();
            *n = h.fetch_one::<(i64,)>(&q).await?.0;
        }
        for (side, list) in [
            (Side::Staging, &mut d.added),
            (Side::Components, &mut d.removed),
        ] {
            let q = Self::first(self.only_on(side), true);
            *list = h
                .fetch_all::<Versioned>(&q)
                .await?
                .iter()
                .map(Versioned::label)
                .collect();
        }
        let packages = h
            .fetch_all::<Package>(&Self::first(self.changed(), false))
            .await?;
        if packages.is_empty() {
            return Ok(d);
        }
        let versions_of = |side: Side| {
            let mut any = Cond::any();
            for p in &packages {
                any = any.add(
                    side.col("ecosystem")
                        .eq(p.ecosystem.as_str())
                        .and(side.col("name").eq(p.name.as_str())),
                );
            }
            Query::select()
                .columns(["ecosystem", "name", "version"].map(|c| side.column(c)))
                .from(side.table())
                .and_where(self.rows_of(side))
                .cond_where(any)
                .to_owned()
        };
        let old = h
            .fetch_all::<Versioned>(&versions_of(Side::Components))
            .await?;
        let new = h
            .fetch_all::<Versioned>(&versions_of(Side::Staging))
            .await?;
        let join = |rows: &[Versioned], p: &Package| {
            let mut v: Vec<&str> = rows
                .iter()
                .filter(|r| r.ecosystem == p.ecosystem && r.name == p.name)
                .map(|r| r.version.as_str())
                .collect();
            v.sort_unstable();
            v.join(", ")
        };
        d.changed = packages
            .iter()
            .map(|p| {
                format!(
                    "{}/{} {} → {}",
                    p.ecosystem,
                    p.name,
                    join(&old, p),
                    join(&new, p)
                )
            })
            .collect();
        Ok(d)
    }

    /// Makes the staged file the asset's inventory: removes the versions it no longer lists,
    /// refreshes purl and CPE of the ones it keeps, adds the new ones, and empties the stage.
    async fn apply(&self, h: &mut Handle<'_>, now: Timestamp) -> Result<(), DbError> {
        let gone = Query::delete()
            .from_table(Side::Components.table())
            .and_where(self.rows_of(Side::Components))
            .and_where(Expr::not_exists(
                self.same_on_other_side(Side::Components, true),
            ))
            .to_owned();
        h.execute(&gone).await?;

        let staged = |column: &str| {
            let mut q = self.same_on_other_side(Side::Components, true);
            q.clear_selects().column(Side::Staging.column(column));
            Expr::SubQuery(None, Box::new(q.into()))
        };
        // Purl and CPE are never empty when present, so '' stands for "none" in the comparison.
        let or_empty = |e: Expr| Expr::from(Func::coalesce([e, Expr::val("")]));
        let mut differs = self.same_on_other_side(Side::Components, true);
        differs.cond_where(
            Cond::any()
                .add(or_empty(Side::Staging.col("purl")).ne(or_empty(Side::Components.col("purl"))))
                .add(or_empty(Side::Staging.col("cpe")).ne(or_empty(Side::Components.col("cpe")))),
        );
        let refresh = Query::update()
            .table(Side::Components.table())
            .values(["purl", "cpe"].map(|c| (Alias::new(c), staged(c))))
            .and_where(self.rows_of(Side::Components))
            .and_where(Expr::exists(differs))
            .to_owned();
        h.execute(&refresh).await?;

        let mut added = Query::select()
            .columns(FROM_FILE.map(|c| Side::Staging.column(c)))
            .from(Side::Staging.table())
            .and_where(self.rows_of(Side::Staging))
            .and_where(Expr::not_exists(
                self.same_on_other_side(Side::Staging, true),
            ))
            .to_owned();
        added
            .expr(Expr::val(self.asset_id.as_str()))
            .expr(Expr::val(now.to_db()));
        let insert = Query::insert()
            .into_table(Side::Components.table())
            .columns(
                FROM_FILE
                    .into_iter()
                    .chain(["asset_id", "first_seen"])
                    .map(Alias::new),
            )
            .select_from(added)
            .map_err(|e| DbError::Protocol(format!("software import: {e}")))?
            .to_owned();
        h.execute(&insert).await?;

        let done = Query::delete()
            .from_table(Side::Staging.table())
            .and_where(self.rows_of(Side::Staging))
            .to_owned();
        h.execute(&done).await?;
        Ok(())
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
        .columns(FROM_FILE.into_iter().chain(["first_seen"]).map(Alias::new))
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
