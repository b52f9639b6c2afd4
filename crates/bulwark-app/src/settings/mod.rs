//! Installation-wide settings: organisation name, which roles must use MFA, identity rules, the
//! currency and the limits and tolerance of quantitative risk.
//!
//! Stored as JSON values in the `settings` table; read through a short cache so that every
//! request can consult them without a query, and several instances see a change within seconds.

pub mod api;
pub mod pages;

use std::sync::RwLock;

use bulwark_core::validate::FieldError;
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
    /// An enabled account unused for more than this many days is dormant (1 to 3650).
    pub dormant_days: u32,
    /// Username patterns that link accounts to people, tried in order after the email and
    /// employee-id rules: placeholders `{first}`, `{last}`, `{f}`, `{l}`, `{employee_id}`,
    /// `{email_local}`.
    pub username_templates: Vec<String>,
    /// Currency of every amount (costs, losses): an ISO 4217 code such as EUR.
    pub currency: String,
    /// Simulated years per scenario when a risk simulation does not say (1,000 to
    /// `risk_max_trials`).
    pub risk_default_trials: u64,
    /// The most simulated years per scenario one simulation may ask for (1,000 to 10,000,000),
    /// so that one request cannot exhaust the server.
    pub risk_max_trials: u64,
    /// The organisation's risk tolerance, if leadership has stated it.
    pub risk_tolerance: Option<RiskTolerance>,
}

/// The risk tolerance: "a loss above `loss` with at most `probability` a year", at two points;
/// between and beyond them the straight line on the log–log chart (see docs/risk-model.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskTolerance {
    /// Exactly two points; the larger loss must have the smaller probability.
    pub points: Vec<TolerancePoint>,
}

/// One point of the risk tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TolerancePoint {
    /// Probability per year, above 0 and at most 1.
    pub probability: f64,
    /// Loss in the currency, above 0.
    pub loss: f64,
}

impl RiskTolerance {
    /// The tolerance curve, or why the points do not make one.
    pub fn curve(&self) -> Result<bulwark_fair::Tolerance, String> {
        let [a, b] = self.points[..] else {
            return Err(format!(
                "give exactly two points (got {})",
                self.points.len()
            ));
        };
        let point = |p: TolerancePoint| bulwark_fair::tolerance::TolerancePoint {
            probability: p.probability,
            loss: p.loss,
        };
        bulwark_fair::Tolerance::new(point(a), point(b))
    }
}

/// The most simulated years per scenario any run may use, whatever the settings say (three
/// vectors of this many numbers are held while a portfolio runs: 240 MB at the ceiling).
pub const RISK_TRIALS_CEILING: u64 = 10_000_000;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            organisation_name: "Our organisation".into(),
            mfa_required_roles: vec![Role::Administrator],
            dormant_days: 45,
            username_templates: vec!["{first}.{last}".into(), "{f}{last}".into()],
            currency: "EUR".into(),
            risk_default_trials: bulwark_fair::model::DEFAULT_TRIALS,
            risk_max_trials: 1_000_000,
            risk_tolerance: None,
        }
    }
}

impl Settings {
    /// The username templates, parsed (they were checked when saved).
    pub fn link_rules(&self) -> bulwark_identity::link::LinkRules {
        let t: Vec<&str> = self.username_templates.iter().map(String::as_str).collect();
        bulwark_identity::link::LinkRules::parse(&t).unwrap_or_default()
    }
}

/// A change to the settings; fields left out stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub organisation_name: Option<String>,
    pub mfa_required_roles: Option<Vec<String>>,
    pub dormant_days: Option<u32>,
    pub username_templates: Option<Vec<String>>,
    pub currency: Option<String>,
    pub risk_default_trials: Option<u64>,
    pub risk_max_trials: Option<u64>,
    /// A new tolerance; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RiskTolerance>)]
    pub risk_tolerance: Option<Option<RiskTolerance>>,
}

/// A field that is present, even as `null` (`Some(None)`), as opposed to left out (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
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
            "dormant_days" => {
                s.dormant_days = serde_json::from_str(&r.value).unwrap_or(s.dormant_days)
            }
            "username_templates" => {
                s.username_templates =
                    serde_json::from_str(&r.value).unwrap_or(s.username_templates)
            }
            "currency" => s.currency = serde_json::from_str(&r.value).unwrap_or(s.currency),
            "risk_default_trials" => {
                s.risk_default_trials =
                    serde_json::from_str(&r.value).unwrap_or(s.risk_default_trials)
            }
            "risk_max_trials" => {
                s.risk_max_trials = serde_json::from_str(&r.value).unwrap_or(s.risk_max_trials)
            }
            "risk_tolerance" => {
                s.risk_tolerance = serde_json::from_str(&r.value).unwrap_or(s.risk_tolerance)
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
            // Named by line, since the form has one pattern a line.
            Err(e) => errs.push(bulwark_core::validate::FieldError::new(
                "username_templates",
                format!(
                    "pattern {}: {}",
                    e.field
                        .trim_start_matches("username_templates[")
                        .trim_end_matches(']')
                        .parse::<usize>()
                        .map_or(0, |i| i + 1),
                    e.message
                ),
            )),
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
    if let Some(d) = p.dormant_days {
        if (1..=3650).contains(&d) {
            after.dormant_days = d;
        } else {
            errs.push(bulwark_core::validate::FieldError::new(
                "dormant_days",
                "must be from 1 to 3650",
            ));
        }
    }
    if let Some(t) = &p.username_templates {
        let t: Vec<String> = t
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let refs: Vec<&str> = t.iter().map(String::as_str).collect();
        match bulwark_identity::link::LinkRules::parse(&refs) {
            Ok(_) => after.username_templates = t,
            // Named by line, since the form has one pattern a line.
            Err(e) => errs.push(bulwark_core::validate::FieldError::new(
                "username_templates",
                format!(
                    "pattern {}: {}",
                    e.field
                        .trim_start_matches("username_templates[")
                        .trim_end_matches(']')
                        .parse::<usize>()
                        .map_or(0, |i| i + 1),
                    e.message
                ),
            )),
        }
    }
    risk(p, &mut after, &mut errs);
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
        ("dormant_days", serde_json::to_string(&after.dormant_days)),
        (
            "username_templates",
            serde_json::to_string(&after.username_templates),
        ),
        ("currency", serde_json::to_string(&after.currency)),
        (
            "risk_default_trials",
            serde_json::to_string(&after.risk_default_trials),
        ),
        (
            "risk_max_trials",
            serde_json::to_string(&after.risk_max_trials),
        ),
        (
            "risk_tolerance",
            serde_json::to_string(&after.risk_tolerance),
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

/// Applies the quantitative-risk part of a patch: currency, trial limits, tolerance.
fn risk(p: &SettingsPatch, after: &mut Settings, errs: &mut Vec<FieldError>) {
    use bulwark_fair::model::MIN_TRIALS;
    if let Some(c) = &p.currency {
        let c = c.trim().to_ascii_uppercase();
        if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
            after.currency = c;
        } else {
            errs.push(FieldError::new(
                "currency",
                "must be a three-letter ISO 4217 code such as EUR, USD or CHF",
            ));
        }
    }
    if let Some(m) = p.risk_max_trials {
        if (MIN_TRIALS..=RISK_TRIALS_CEILING).contains(&m) {
            after.risk_max_trials = m;
        } else {
            errs.push(FieldError::new(
                "risk_max_trials",
                format!("must be from {MIN_TRIALS} to {RISK_TRIALS_CEILING}"),
            ));
        }
    }
    if let Some(d) = p.risk_default_trials {
        after.risk_default_trials = d;
    }
    if !(MIN_TRIALS..=after.risk_max_trials).contains(&after.risk_default_trials) {
        errs.push(FieldError::new(
            "risk_default_trials",
            format!(
                "must be from {MIN_TRIALS} to the maximum per simulation ({})",
                after.risk_max_trials
            ),
        ));
    }
    if let Some(t) = &p.risk_tolerance {
        if let Some(Err(why)) = t.as_ref().map(RiskTolerance::curve) {
            errs.push(FieldError::new("risk_tolerance", why));
        }
        after.risk_tolerance = t.clone();
    }
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
