//! Dependencies between assets: a directed graph ("CRM runs on vm-12"), kept free of cycles.

use std::collections::{HashMap, HashSet};

use bulwark_core::Timestamp;
use bulwark_core::graph;
use bulwark_core::validate::FieldError;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use serde::{Deserialize, Serialize};

use super::{DEPENDENCY_KINDS, one_of};
use crate::audit_log::{Actor, Change, record};
use crate::inventory::assets;
use crate::platform::db::{DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// An asset as named on a dependency.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct AssetRef {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// "`from` `kind` `to`", e.g. "CRM runs_on vm-12".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dependency {
    pub id: String,
    /// The dependent asset.
    pub from: AssetRef,
    /// What it depends on.
    pub to: AssetRef,
    /// runs_on, uses, stores_data_in, connects_through or located_at.
    pub kind: String,
    pub note: String,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    from_id: String,
    from_name: String,
    from_kind: String,
    to_id: String,
    to_name: String,
    to_kind: String,
    kind: String,
    note: String,
    created_at: String,
}

impl From<Row> for Dependency {
    fn from(r: Row) -> Self {
        Dependency {
            id: r.id,
            from: AssetRef {
                id: r.from_id,
                name: r.from_name,
                kind: r.from_kind,
            },
            to: AssetRef {
                id: r.to_id,
                name: r.to_name,
                kind: r.to_kind,
            },
            kind: r.kind,
            note: r.note,
            created_at: r.created_at,
        }
    }
}

fn c(t: &str, c: &str) -> (Alias, Alias) {
    (Alias::new(t), Alias::new(c))
}

fn select() -> SelectStatement {
    let mut q = Query::select();
    q.columns([
        c("d", "id"),
        c("d", "from_id"),
        c("d", "to_id"),
        c("d", "kind"),
    ])
    .columns([c("d", "note"), c("d", "created_at")])
    .from_as(Alias::new("asset_dependencies"), Alias::new("d"));
    for (alias, end) in [("f", "from"), ("t", "to")] {
        q.expr_as(
            Expr::col(c(alias, "name")),
            Alias::new(format!("{end}_name")),
        )
        .expr_as(
            Expr::col(c(alias, "kind")),
            Alias::new(format!("{end}_kind")),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new("assets"),
            Alias::new(alias),
            Expr::col(c(alias, "id")).equals(c("d", &format!("{end}_id"))),
        );
    }
    q.order_by(c("d", "created_at"), Order::Asc).to_owned()
}

/// An asset's dependencies: what depends on it (`upstream`) and what it depends on (`downstream`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Neighbours {
    /// Dependencies whose `to` is this asset.
    pub dependents: Vec<Dependency>,
    /// Dependencies whose `from` is this asset.
    pub depends_on: Vec<Dependency>,
}

/// The dependencies touching an asset.
pub async fn of_asset(h: &mut Handle<'_>, asset_id: &str) -> Result<Neighbours, DbError> {
    let q = select()
        .and_where(
            Expr::col(c("d", "from_id"))
                .eq(asset_id)
                .or(Expr::col(c("d", "to_id")).eq(asset_id)),
        )
        .to_owned();
    let (depends_on, dependents) = h
        .fetch_all::<Row>(&q)
        .await?
        .into_iter()
        .map(Dependency::from)
        .partition(|d| d.from.id == asset_id);
    Ok(Neighbours {
        dependents,
        depends_on,
    })
}

/// One dependency by id.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<Dependency>, DbError> {
    let q = select()
        .and_where(Expr::col(c("d", "id")).eq(id))
        .to_owned();
    Ok(h.fetch_optional::<Row>(&q).await?.map(Dependency::from))
}

#[derive(sqlx::FromRow)]
struct Edge {
    from_id: String,
    to_id: String,
}

/// Every edge as `(from, to)` ids.
async fn edges(h: &mut Handle<'_>) -> Result<Vec<(String, String)>, DbError> {
    let q = Query::select()
        .columns([Alias::new("from_id"), Alias::new("to_id")])
        .from(Alias::new("asset_dependencies"))
        .to_owned();
    Ok(h.fetch_all::<Edge>(&q)
        .await?
        .into_iter()
        .map(|e| (e.from_id, e.to_id))
        .collect())
}

/// A new dependency: `from` depends on `to`. Assets are named by id or exact name.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDependency {
    /// The dependent asset (id or name).
    pub from: String,
    /// What it depends on (id or name).
    pub to: String,
    /// runs_on, uses, stores_data_in, connects_through or located_at.
    pub kind: String,
    #[serde(default)]
    pub note: String,
}

/// Adds a dependency after checking that it closes no cycle; records it.
pub async fn add(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    n: &NewDependency,
) -> AppResult<Dependency> {
    let mut errs = Vec::new();
    let kind = one_of("kind", &n.kind, DEPENDENCY_KINDS)
        .map_err(|e| errs.push(e))
        .ok();
    if n.note.chars().count() > 500 {
        errs.push(FieldError::new("note", "must be at most 500 characters"));
    }
    let mut ends = Vec::new();
    for (field, key) in [("from", &n.from), ("to", &n.to)] {
        match assets::by_id_or_name(&mut tx.h(), key).await? {
            Some(a) => ends.push(a),
            None => errs.push(FieldError::new(field, format!("no asset is called {key}"))),
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let (from, to) = (&ends[0], &ends[1]);
    if from.id == to.id {
        return Err(AppError::field("to", "an asset cannot depend on itself"));
    }
    let all = edges(&mut tx.h()).await?;
    if all.iter().any(|(a, b)| *a == from.id && *b == to.id) {
        return Err(AppError::Conflict(format!(
            "{} already depends on {}",
            from.name, to.name
        )));
    }
    if let Some(path) = graph::path(&all, &to.id, &from.id) {
        let names = names_of(&mut tx.h(), &path).await?;
        return Err(AppError::Conflict(format!(
            "this would create a cycle: {} → {}",
            names.join(" → "),
            to.name
        )));
    }
    let id = new_id(now);
    let q = Query::insert()
        .into_table(Alias::new("asset_dependencies"))
        .columns(["id", "from_id", "to_id", "kind", "note", "created_at"].map(Alias::new))
        .values_panic([
            id.clone().into(),
            from.id.clone().into(),
            to.id.clone().into(),
            kind.unwrap_or_default().into(),
            n.note.trim().into(),
            now.to_db().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    let dep = by_id(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("asset_dependency.create", "asset_dependency", Some(&id)).after(&dep),
    )
    .await?;
    Ok(dep)
}

/// Removes a dependency and records it.
pub async fn remove(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<()> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    rows::delete(tx, "asset_dependencies", id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("asset_dependency.delete", "asset_dependency", Some(id)).before(&before),
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct NameRow {
    id: String,
    name: String,
    kind: String,
}

async fn refs_of(h: &mut Handle<'_>, ids: &[String]) -> Result<HashMap<String, AssetRef>, DbError> {
    let q = Query::select()
        .columns(["id", "name", "kind"].map(Alias::new))
        .from(Alias::new("assets"))
        .and_where(Expr::col(Alias::new("id")).is_in(ids.iter().map(String::as_str)))
        .to_owned();
    Ok(h.fetch_all::<NameRow>(&q)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.id.clone(),
                AssetRef {
                    id: r.id,
                    name: r.name,
                    kind: r.kind,
                },
            )
        })
        .collect())
}

async fn names_of(h: &mut Handle<'_>, ids: &[String]) -> Result<Vec<String>, DbError> {
    let refs = refs_of(h, ids).await?;
    Ok(ids
        .iter()
        .map(|i| {
            refs.get(i)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| i.clone())
        })
        .collect())
}

/// The part of the graph around an asset: everything it depends on and everything depending on
/// it, up to `depth` steps each way (capped at `max_nodes`), with the edges among them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Neighbourhood {
    pub nodes: Vec<AssetRef>,
    /// `(from id, to id)` pairs.
    pub edges: Vec<(String, String)>,
    /// Nodes were left out to keep the picture readable.
    pub truncated: bool,
}

/// Collects the neighbourhood of `asset_id`.
pub async fn neighbourhood(
    h: &mut Handle<'_>,
    asset_id: &str,
    depth: usize,
    max_nodes: usize,
) -> Result<Neighbourhood, DbError> {
    let all = edges(h).await?;
    let start = asset_id.to_string();
    let mut keep: HashSet<String> = HashSet::from([start.clone()]);
    let mut truncated = false;
    for forward in [true, false] {
        let mut frontier: HashSet<&String> = HashSet::from([&start]);
        for _ in 0..depth {
            let mut next = HashSet::new();
            for (a, b) in &all {
                let (here, there) = if forward { (a, b) } else { (b, a) };
                if frontier.contains(here) && !keep.contains(there) {
                    if keep.len() >= max_nodes {
                        truncated = true;
                        continue;
                    }
                    keep.insert(there.clone());
                    next.insert(there);
                }
            }
            frontier = next;
        }
    }
    let ids: Vec<String> = keep.iter().cloned().collect();
    let refs = refs_of(h, &ids).await?;
    let mut nodes: Vec<AssetRef> = refs.into_values().collect();
    nodes.sort();
    let edges = all
        .into_iter()
        .filter(|(a, b)| keep.contains(a) && keep.contains(b))
        .collect();
    Ok(Neighbourhood {
        nodes,
        edges,
        truncated,
    })
}
