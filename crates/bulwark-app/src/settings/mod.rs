//! Installation-wide settings: organisation name, which roles must use MFA.
//!
//! Stored as JSON values in the `settings` table; read through a short cache so that every
//! request can consult them without a query, and several instances see a change within seconds.

pub mod api;
pub mod pages;

use std::sync::RwLock;

use bulwark_core::{Role, Timestamp};
use sea_query::{Alias, OnConflict, Query};
use serde::{Deserialize, Serialize};

use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{Db, DbError, Tx};
use crate::platform::http::error::{AppError, AppResult};

/// The settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settings {
    /// The organisation's name, shown in pages and reports.
    pub organisation_name: String,
    /// Roles whose members must enrol TOTP before they can use Bulwark.
    #[schema(value_type = Vec<String>)]
    pub mfa_required_roles: Vec<Role>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            organisation_name: "Our organisation".into(),
            mfa_required_roles: vec![Role::Administrator],
        }
    }
}

/// A change to the settings; fields left out stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub organisation_name: Option<String>,
    pub mfa_required_roles: Option<Vec<String>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    key: String,
    value: String,
}

/// Reads the settings from the database.
pub async fn load(db: &Db) -> Result<Settings, DbError> {
    let q = Query::select()
        .columns([Alias::new("key"), Alias::new("value")])
        .from(Alias::new("settings"))
        .to_owned();
    let mut s = Settings::default();
    for r in db.fetch_all::<Row>(&q).await? {
        match r.key.as_str() {
            "organisation_name" => {
                s.organisation_name = serde_json::from_str(&r.value).unwrap_or(s.organisation_name)
            }
            "mfa_required_roles" => {
                s.mfa_required_roles =
                    serde_json::from_str(&r.value).unwrap_or(s.mfa_required_roles)
            }
            _ => {}
        }
    }
    Ok(s)
}

/// Applies a patch, recorded in the audit trail.
pub async fn update(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    before: &Settings,
    p: &SettingsPatch,
) -> AppResult<Settings> {
    let mut after = before.clone();
    let mut errs = Vec::new();
    if let Some(n) = &p.organisation_name {
        match bulwark_core::validate::label("organisation_name", n, 200) {
            Ok(n) => after.organisation_name = n,
            Err(e) => errs.push(e),
        }
    }
    if let Some(roles) = &p.mfa_required_roles {
        let mut out = Vec::new();
        for (i, r) in roles.iter().enumerate() {
            match Role::parse(r) {
                Some(r) if !out.contains(&r) => out.push(r),
                Some(_) => {}
                None => errs.push(bulwark_core::validate::FieldError::new(
                    format!("mfa_required_roles/{i}"),
                    format!("{r:?} is not a role"),
                )),
            }
        }
        after.mfa_required_roles = out;
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    for (key, value) in [
        (
            "organisation_name",
            serde_json::to_string(&after.organisation_name),
        ),
        (
            "mfa_required_roles",
            serde_json::to_string(&after.mfa_required_roles),
        ),
    ] {
        let q = Query::insert()
            .into_table(Alias::new("settings"))
            .columns([
                Alias::new("key"),
                Alias::new("value"),
                Alias::new("updated_at"),
            ])
            .values_panic([
                key.into(),
                value.map_err(anyhow::Error::from)?.into(),
                now.to_db().into(),
            ])
            .on_conflict(
                OnConflict::column(Alias::new("key"))
                    .update_columns([Alias::new("value"), Alias::new("updated_at")])
                    .to_owned(),
            )
            .to_owned();
        tx.h().execute(&q).await?;
    }
    record(
        tx,
        now,
        actor,
        Change::new("settings.update", "settings", None)
            .before(before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// Settings read at most every few seconds.
#[derive(Debug, Default)]
pub struct SettingsCache(RwLock<Option<(i64, Settings)>>);

/// How long cached settings are trusted, in seconds.
const CACHE_SECS: i64 = 5;

impl SettingsCache {
    /// The settings, from the cache when fresh.
    pub async fn get(&self, db: &Db, now: Timestamp) -> Result<Settings, DbError> {
        if let Some((at, s)) = self.0.read().unwrap_or_else(|p| p.into_inner()).as_ref()
            && now.unix() - at < CACHE_SECS
        {
            return Ok(s.clone());
        }
        let s = load(db).await?;
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some((now.unix(), s.clone()));
        Ok(s)
    }

    /// Forgets the cached value (after a local change).
    pub fn invalidate(&self) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
