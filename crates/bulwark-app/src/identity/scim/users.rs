//! SCIM Users: the accounts of the token's system.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use bulwark_core::Timestamp;
use bulwark_identity::scim::{
    FilterAttribute, MemberRef, Meta, ScimName, ScimUser, list_response, parse_filter, parse_user,
    patch_user, user_json,
};
use sea_query::{Alias, Expr, ExprTrait, Order};
use serde::Deserialize;
use serde_json::json;

use super::{Provisioner, Scim, ScimResult, body, error, location, provisioner, recorded, window};
use crate::app::AppState;
use crate::audit_log::Change;
use crate::identity::accounts::{self, Account, NewAccount};
use crate::platform::db::Handle;
use crate::platform::ids::new_id;

/// The query of a list request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
}

/// The SCIM profile kept beside the account: name parts and manager, which accounts lack.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
struct Profile {
    formatted: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    manager: Option<String>,
}

async fn profile(h: &mut Handle<'_>, id: &str) -> Result<Profile, Scim> {
    let q = sea_query::Query::select()
        .column(Alias::new("scim_profile"))
        .from(Alias::new("accounts"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    let row: Option<(Option<String>,)> = h.fetch_optional(&q).await?;
    Ok(row
        .and_then(|(p,)| p)
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default())
}

/// An account of the system, or 404.
async fn account(h: &mut Handle<'_>, who: &Provisioner, id: &str) -> Result<Account, Scim> {
    accounts::by_id(h, id)
        .await?
        .filter(|a| a.system_id == who.system_id)
        .ok_or_else(|| error(404, None, format!("no User {id}")))
}

async fn as_user(h: &mut Handle<'_>, a: &Account) -> Result<ScimUser, Scim> {
    let p = profile(h, &a.id).await?;
    Ok(ScimUser {
        account: a.record(),
        external_id: a.external_id.clone(),
        name: ScimName {
            formatted: p.formatted,
            given_name: p.given_name,
            family_name: p.family_name,
        },
        manager: p.manager,
    })
}

/// The SCIM groups of the system an account holds.
async fn memberships(h: &mut Handle<'_>, a: &Account) -> Result<Vec<MemberRef>, Scim> {
    let keys: Vec<String> = a.groups.iter().map(|g| g.to_lowercase()).collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let q = sea_query::Query::select()
        .columns([Alias::new("id"), Alias::new("display_name")])
        .from(Alias::new("scim_groups"))
        .and_where(Expr::col(Alias::new("system_id")).eq(a.system_id.as_str()))
        .and_where(Expr::col(Alias::new("display_key")).is_in(keys))
        .order_by(Alias::new("display_key"), Order::Asc)
        .to_owned();
    let rows: Vec<(String, String)> = h.fetch_all(&q).await?;
    Ok(rows
        .into_iter()
        .map(|(value, display)| MemberRef {
            value,
            display: Some(display),
        })
        .collect())
}

async fn render(
    app: &AppState,
    h: &mut Handle<'_>,
    a: &Account,
) -> Result<serde_json::Value, Scim> {
    let user = as_user(h, a).await?;
    let groups = memberships(h, a).await?;
    let loc = location(app, "Users", &a.id);
    let meta = Meta {
        location: &loc,
        created: Timestamp::parse(&a.created_at)
            .ok()
            .map(Timestamp::datetime),
        last_modified: Timestamp::parse(&a.updated_at)
            .ok()
            .map(Timestamp::datetime),
        version: None,
    };
    Ok(user_json(&a.id, &user, &groups, &meta))
}

fn profile_json(u: &ScimUser) -> String {
    json!(Profile {
        formatted: u.name.formatted.clone(),
        given_name: u.name.given_name.clone(),
        family_name: u.name.family_name.clone(),
        manager: u.manager.clone(),
    })
    .to_string()
}

/// `GET /scim/v2/Users`: a page of the system's users, optionally filtered.
pub async fn list(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let filter = q.filter.as_deref().map(parse_filter).transpose()?;
    let (start, count) = window(q.start_index, q.count);
    let mut conn = app.db.read().await?;
    let all =
        accounts::on_systems(&mut conn.h(), std::slice::from_ref(&who.system_id), false).await?;
    let matching: Vec<&Account> = all
        .iter()
        .filter(|a| match &filter {
            None => true,
            Some(f) => match f.attribute {
                FilterAttribute::UserName => f.matches(&a.username),
                FilterAttribute::ExternalId => {
                    a.external_id.as_deref().is_some_and(|e| f.matches(e))
                }
                FilterAttribute::DisplayName => f.matches(&a.display_name),
            },
        })
        .collect();
    let mut resources = Vec::new();
    for a in matching
        .iter()
        .skip(start as usize - 1)
        .take(count as usize)
    {
        resources.push(render(&app, &mut conn.h(), a).await?);
    }
    Ok(Scim::Body(
        StatusCode::OK,
        list_response(resources, matching.len() as u64, start),
    ))
}

/// `GET /scim/v2/Users/{id}`.
pub async fn get(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let mut conn = app.db.read().await?;
    let a = account(&mut conn.h(), &who, &id).await?;
    Ok(Scim::Body(
        StatusCode::OK,
        render(&app, &mut conn.h(), &a).await?,
    ))
}

/// Refuses a username another account of the system already has.
async fn unique(
    h: &mut Handle<'_>,
    who: &Provisioner,
    username: &str,
    except: Option<&str>,
) -> Result<(), Scim> {
    match accounts::by_username(h, &who.system_id, username).await? {
        Some(other) if Some(other.id.as_str()) != except => Err(error(
            409,
            Some("uniqueness"),
            format!("userName {username:?} is already taken on this system"),
        )),
        _ => Ok(()),
    }
}

/// `POST /scim/v2/Users`: provisions an account.
pub async fn create(State(app): State<AppState>, headers: HeaderMap, bytes: Bytes) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let mut user = parse_user(&body(&bytes)?)?;
    // `groups` is read-only on a User (RFC 7643 §4.1.2): membership is set through Groups.
    user.account.groups.clear();
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    unique(&mut tx.h(), &who, &user.account.username, None).await?;
    let id = new_id(now);
    let mut q = accounts::insert();
    q.values_panic(
        NewAccount {
            id: id.clone(),
            system_id: &who.system_id,
            person_id: None,
            link_reason: None,
            source: "scim",
            record: &user.account,
            external_id: user.external_id.clone(),
            scim_profile: Some(profile_json(&user)),
        }
        .values(now),
    );
    tx.h().execute(&q).await?;
    let a = account(&mut tx.h(), &who, &id).await?;
    let change = Change::new("account.provision", "account", Some(&id)).after(&a);
    recorded(&mut tx, now, &who, change).await?;
    let out = render(&app, &mut tx.h(), &a).await?;
    tx.commit().await?;
    Ok(Scim::Body(StatusCode::CREATED, out))
}

/// Stores a user's new state (PUT and PATCH); SCIM does not carry privilege, MFA, last sign-in
/// or groups, so those stay as they were.
async fn save(
    app: &AppState,
    who: &Provisioner,
    before: &Account,
    mut user: ScimUser,
) -> ScimResult {
    let old = before.record();
    user.account.privileged = old.privileged;
    user.account.mfa = old.mfa;
    user.account.last_login = old.last_login;
    user.account.groups = old.groups;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    unique(&mut tx.h(), who, &user.account.username, Some(&before.id)).await?;
    let q = sea_query::Query::update()
        .table(Alias::new("accounts"))
        .values(accounts::record_values(&user.account).map(|(c, v)| (Alias::new(c), v.into())))
        .value(Alias::new("external_id"), user.external_id.clone())
        .value(Alias::new("scim_profile"), profile_json(&user))
        .value(Alias::new("source"), "scim")
        .value(Alias::new("updated_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(before.id.as_str()))
        .to_owned();
    tx.h().execute(&q).await?;
    let after = account(&mut tx.h(), who, &before.id).await?;
    let change = Change::new("account.provision", "account", Some(&after.id))
        .before(before)
        .after(&after);
    recorded(&mut tx, now, who, change).await?;
    let out = render(app, &mut tx.h(), &after).await?;
    tx.commit().await?;
    Ok(Scim::Body(StatusCode::OK, out))
}

/// `PUT /scim/v2/Users/{id}`: replaces a user.
pub async fn replace(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let user = parse_user(&body(&bytes)?)?;
    let before = account(&mut app.db.read().await?.h(), &who, &id).await?;
    save(&app, &who, &before, user).await
}

/// `PATCH /scim/v2/Users/{id}`: applies a PatchOp (deactivation is `active: false`).
pub async fn patch(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let ops = body(&bytes)?;
    let mut conn = app.db.read().await?;
    let before = account(&mut conn.h(), &who, &id).await?;
    let mut user = as_user(&mut conn.h(), &before).await?;
    drop(conn);
    patch_user(&mut user, &ops)?;
    save(&app, &who, &before, user).await
}

/// `DELETE /scim/v2/Users/{id}`: the account is gone from the system.
pub async fn delete(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult {
    let who = provisioner(&app, &headers).await?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let before = account(&mut tx.h(), &who, &id).await?;
    let q = sea_query::Query::delete()
        .from_table(Alias::new("accounts"))
        .and_where(Expr::col(Alias::new("id")).eq(id.as_str()))
        .to_owned();
    tx.h().execute(&q).await?;
    let change = Change::new("account.deprovision", "account", Some(&id)).before(&before);
    recorded(&mut tx, now, &who, change).await?;
    tx.commit().await?;
    Ok(Scim::NoContent)
}
