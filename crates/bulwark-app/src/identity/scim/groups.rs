//! SCIM Groups: a system's groups, whose members are the accounts holding them. Membership lives
//! on the accounts (their `groups`), where findings, segregation-of-duties rules and access
//! reviews read it, whether the accounts came from SCIM, a file or a directory.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use bulwark_core::Timestamp;
use bulwark_identity::scim::{
    FilterAttribute, MemberRef, Meta, ScimGroup, group_json, list_response, parse_filter,
    parse_group, patch_group,
};
use sea_query::{Alias, Expr, ExprTrait, Order};
use serde_json::Value;

use super::users::ListQuery;
use super::{Provisioner, Scim, ScimResult, body, error, location, provisioner, recorded, window};
use crate::app::AppState;
use crate::audit_log::Change;
use crate::identity::accounts;
use crate::platform::db::Handle;
use crate::platform::ids::new_id;

/// A stored group.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
struct GroupRow {
    id: String,
    system_id: String,
    display_name: String,
    external_id: Option<String>,
    created_at: String,
    updated_at: String,
}

fn select() -> sea_query::SelectStatement {
    sea_query::Query::select()
        .columns(
            [
                "id",
                "system_id",
                "display_name",
                "external_id",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .from(Alias::new("scim_groups"))
        .order_by(Alias::new("display_key"), Order::Asc)
        .to_owned()
}

async fn group(h: &mut Handle<'_>, who: &Provisioner, id: &str) -> Result<GroupRow, Scim> {
    h.fetch_optional::<GroupRow>(
        select()
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .and_where(Expr::col(Alias::new("system_id")).eq(who.system_id.as_str())),
    )
    .await?
    .ok_or_else(|| error(404, None, format!("no Group {id}")))
}

/// The accounts of the system holding a group (by name, regardless of case).
async fn members(h: &mut Handle<'_>, system_id: &str, name: &str) -> Result<Vec<MemberRef>, Scim> {
    Ok(accounts::on_systems(h, &[system_id.to_string()], false)
        .await?
        .into_iter()
        .filter(|a| a.groups.iter().any(|g| g.eq_ignore_ascii_case(name)))
        .map(|a| MemberRef {
            value: a.id,
            display: Some(a.username),
        })
        .collect())
}

async fn render(app: &AppState, h: &mut Handle<'_>, g: &GroupRow) -> Result<Value, Scim> {
    let group = ScimGroup {
        display_name: g.display_name.clone(),
        external_id: g.external_id.clone(),
        members: members(h, &g.system_id, &g.display_name).await?,
    };
    let loc = location(app, "Groups", &g.id);
    let meta = Meta {
        location: &loc,
        created: Timestamp::parse(&g.created_at)
            .ok()
            .map(Timestamp::datetime),
        last_modified: Timestamp::parse(&g.updated_at)
            .ok()
            .map(Timestamp::datetime),
        version: None,
    };
    Ok(group_json(&g.id, &group, &meta))
}

/// Makes the accounts of `members` (and only they) hold the group `new_name`, which was called
/// `old_name` (the same unless renamed; none for a new group).
async fn set_membership(
    h: &mut Handle<'_>,
    now: Timestamp,
    system_id: &str,
    old_name: Option<&str>,
    new_name: Option<&str>,
    members: &[MemberRef],
) -> Result<(), Scim> {
    let wanted: HashSet<&str> = members.iter().map(|m| m.value.as_str()).collect();
    let all = accounts::on_systems(h, &[system_id.to_string()], false).await?;
    let known: HashSet<&str> = all.iter().map(|a| a.id.as_str()).collect();
    if let Some(unknown) = wanted.iter().find(|m| !known.contains(**m)) {
        return Err(error(
            400,
            Some("invalidValue"),
            format!("member {unknown} is not a User of this system"),
        ));
    }
    for a in &all {
        let mut groups: Vec<String> = a
            .groups
            .iter()
            .filter(|g| {
                !old_name.is_some_and(|o| g.eq_ignore_ascii_case(o))
                    && !new_name.is_some_and(|n| g.eq_ignore_ascii_case(n))
            })
            .cloned()
            .collect();
        if let Some(n) = new_name
            && wanted.contains(a.id.as_str())
        {
            groups.push(n.to_string());
        }
        if groups == a.groups {
            continue;
        }
        let q = sea_query::Query::update()
            .table(Alias::new("accounts"))
            .value(
                Alias::new("groups"),
                serde_json::to_string(&groups).unwrap_or_default(),
            )
            .value(Alias::new("updated_at"), now.to_db())
            .and_where(Expr::col(Alias::new("id")).eq(a.id.as_str()))
            .to_owned();
        h.execute(&q).await?;
    }
    Ok(())
}

/// `GET /scim/v2/Groups`.
pub async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let filter = q.filter.as_deref().map(parse_filter).transpose()?;
    let (start, count) = window(q.start_index, q.count);
    let mut conn = app.db.read().await?;
    let rows: Vec<GroupRow> = conn
        .h()
        .fetch_all(
            select().and_where(Expr::col(Alias::new("system_id")).eq(who.system_id.as_str())),
        )
        .await?;
    let matching: Vec<&GroupRow> = rows
        .iter()
        .filter(|g| match &filter {
            None => true,
            Some(f) => match f.attribute {
                FilterAttribute::DisplayName => f.matches(&g.display_name),
                FilterAttribute::ExternalId => {
                    g.external_id.as_deref().is_some_and(|e| f.matches(e))
                }
                FilterAttribute::UserName => false,
            },
        })
        .collect();
    let mut resources = Vec::new();
    for g in matching
        .iter()
        .skip(start as usize - 1)
        .take(count as usize)
    {
        resources.push(render(&app, &mut conn.h(), g).await?);
    }
    Ok(Scim::Body(
        StatusCode::OK,
        list_response(resources, matching.len() as u64, start),
    ))
}

/// `GET /scim/v2/Groups/{id}`.
pub async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let mut conn = app.db.read().await?;
    let g = group(&mut conn.h(), &who, &id).await?;
    Ok(Scim::Body(
        StatusCode::OK,
        render(&app, &mut conn.h(), &g).await?,
    ))
}

/// Refuses a name another group of the system already has.
async fn unique(
    h: &mut Handle<'_>,
    who: &Provisioner,
    name: &str,
    except: Option<&str>,
) -> Result<(), Scim> {
    let q = select()
        .and_where(Expr::col(Alias::new("system_id")).eq(who.system_id.as_str()))
        .and_where(Expr::col(Alias::new("display_key")).eq(name.to_lowercase()))
        .to_owned();
    match h.fetch_optional::<GroupRow>(&q).await? {
        Some(g) if Some(g.id.as_str()) != except => Err(error(
            409,
            Some("uniqueness"),
            format!("displayName {name:?} is already taken on this system"),
        )),
        _ => Ok(()),
    }
}

/// `POST /scim/v2/Groups`.
pub async fn create(State(app): State<AppState>, headers: HeaderMap, bytes: Bytes) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let g = parse_group(&body(&bytes)?)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    unique(&mut tx.h(), &who, &g.display_name, None).await?;
    let id = new_id(now);
    let q = sea_query::Query::insert()
        .into_table(Alias::new("scim_groups"))
        .columns(
            [
                "id",
                "system_id",
                "display_name",
                "display_key",
                "external_id",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.clone().into(),
            who.system_id.clone().into(),
            g.display_name.clone().into(),
            g.display_name.to_lowercase().into(),
            g.external_id.clone().into(),
            now.to_db().into(),
            now.to_db().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    set_membership(
        &mut tx.h(),
        now,
        &who.system_id,
        None,
        Some(&g.display_name),
        &g.members,
    )
    .await?;
    let row = group(&mut tx.h(), &who, &id).await?;
    let out = render(&app, &mut tx.h(), &row).await?;
    let change = Change::new("scim_group.create", "scim_group", Some(&id)).after(&out);
    recorded(&mut tx, now, &who, change).await?;
    tx.commit().await?;
    Ok(Scim::Body(StatusCode::CREATED, out))
}

/// Stores a group's new state (PUT and PATCH).
async fn save(app: &AppState, who: &Provisioner, before: &GroupRow, g: ScimGroup) -> ScimResult {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    unique(&mut tx.h(), who, &g.display_name, Some(&before.id)).await?;
    let q = sea_query::Query::update()
        .table(Alias::new("scim_groups"))
        .value(Alias::new("display_name"), g.display_name.clone())
        .value(Alias::new("display_key"), g.display_name.to_lowercase())
        .value(Alias::new("external_id"), g.external_id.clone())
        .value(Alias::new("updated_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(before.id.as_str()))
        .to_owned();
    tx.h().execute(&q).await?;
    set_membership(
        &mut tx.h(),
        now,
        &who.system_id,
        Some(&before.display_name),
        Some(&g.display_name),
        &g.members,
    )
    .await?;
    let row = group(&mut tx.h(), who, &before.id).await?;
    let out = render(app, &mut tx.h(), &row).await?;
    let change = Change::new("scim_group.update", "scim_group", Some(&before.id))
        .before(before)
        .after(&out);
    recorded(&mut tx, now, who, change).await?;
    tx.commit().await?;
    Ok(Scim::Body(StatusCode::OK, out))
}

/// `PUT /scim/v2/Groups/{id}`.
pub async fn replace(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let g = parse_group(&body(&bytes)?)?;
    let before = group(&mut app.db.read().await?.h(), &who, &id).await?;
    save(&app, &who, &before, g).await
}

/// `PATCH /scim/v2/Groups/{id}`: add or remove members, rename.
pub async fn patch(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let ops = body(&bytes)?;
    let mut conn = app.db.read().await?;
    let before = group(&mut conn.h(), &who, &id).await?;
    let mut g = ScimGroup {
        display_name: before.display_name.clone(),
        external_id: before.external_id.clone(),
        members: members(&mut conn.h(), &before.system_id, &before.display_name).await?,
    };
    drop(conn);
    patch_group(&mut g, &ops)?;
    save(&app, &who, &before, g).await
}

/// `DELETE /scim/v2/Groups/{id}`: the group is gone, and nobody holds it any more.
pub async fn delete(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let before = group(&mut tx.h(), &who, &id).await?;
    set_membership(
        &mut tx.h(),
        now,
        &who.system_id,
        Some(&before.display_name),
        None,
        &[],
    )
    .await?;
    let q = sea_query::Query::delete()
        .from_table(Alias::new("scim_groups"))
        .and_where(Expr::col(Alias::new("id")).eq(id.as_str()))
        .to_owned();
    tx.h().execute(&q).await?;
    let change = Change::new("scim_group.delete", "scim_group", Some(&id)).before(&before);
    recorded(&mut tx, now, &who, change).await?;
    tx.commit().await?;
    Ok(Scim::NoContent)
}
