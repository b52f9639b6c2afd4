//! Assets and services: the model, its validation and its storage (every change audited).

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, FieldError};
use chrono::NaiveDate;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, Value};
use serde::{Deserialize, Deserializer, Serialize};

use super::{CLASSIFICATIONS, KINDS, LIFECYCLES, one_of};
use crate::audit_log::{Actor, Change, record};
use crate::identity::people;
use crate::platform::db::{Backend, Db, DbError, Handle, Tx, rows};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;

/// A person named on a record (owner, custodian).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// An asset or service as clients and the audit trail see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Asset {
    pub id: String,
    /// Unique name, e.g. `vm-12` or `CRM`.
    pub name: String,
    /// server, workstation, laptop, mobile_device, network_device, iot_device, cloud_service,
    /// saas_application, data_store, business_service or site.
    pub kind: String,
    pub description: String,
    /// The accountable person.
    pub owner: Option<PersonRef>,
    /// The person who runs it day to day.
    pub custodian: Option<PersonRef>,
    /// Business criticality, 1 (low) to 5 (vital).
    pub criticality: i64,
    /// Confidentiality rating, 1 to 5.
    pub confidentiality: i64,
    /// Integrity rating, 1 to 5.
    pub integrity: i64,
    /// Availability rating, 1 to 5.
    pub availability: i64,
    /// public, internal, confidential or restricted.
    pub classification: String,
    /// planned, active or retired.
    pub lifecycle: String,
    pub location: String,
    pub tags: Vec<String>,
    /// Reachable from the internet.
    pub internet_exposed: bool,
    /// Organisation-specific fields: names to text, number or true/false.
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// Operating system (devices).
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    /// Storage encrypted (devices); absent when unknown.
    pub encrypted: Option<bool>,
    /// Enrolled in mobile-device management; absent when unknown.
    pub mdm_enrolled: Option<bool>,
    /// Last check-in with management (UTC timestamp).
    pub last_check_in: Option<String>,
    /// Date the vendor stops security updates (`YYYY-MM-DD`).
    pub supported_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The stored row, joined with the owner's and custodian's names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssetRow {
    id: String,
    name: String,
    kind: String,
    description: String,
    owner_id: Option<String>,
    owner_name: Option<String>,
    owner_email: Option<String>,
    custodian_id: Option<String>,
    custodian_name: Option<String>,
    custodian_email: Option<String>,
    criticality: i64,
    confidentiality: i64,
    integrity: i64,
    availability: i64,
    classification: String,
    lifecycle: String,
    location: String,
    tags: String,
    internet_exposed: bool,
    custom_fields: String,
    os_name: Option<String>,
    os_version: Option<String>,
    encrypted: Option<bool>,
    mdm_enrolled: Option<bool>,
    last_check_in: Option<String>,
    supported_until: Option<String>,
    created_at: String,
    updated_at: String,
}

fn person(id: Option<String>, name: Option<String>, email: Option<String>) -> Option<PersonRef> {
    Some(PersonRef {
        id: id?,
        name: name.unwrap_or_default(),
        email: email.unwrap_or_default(),
    })
}

impl From<AssetRow> for Asset {
    fn from(r: AssetRow) -> Asset {
        Asset {
            id: r.id,
            name: r.name,
            kind: r.kind,
            description: r.description,
            owner: person(r.owner_id, r.owner_name, r.owner_email),
            custodian: person(r.custodian_id, r.custodian_name, r.custodian_email),
            criticality: r.criticality,
            confidentiality: r.confidentiality,
            integrity: r.integrity,
            availability: r.availability,
            classification: r.classification,
            lifecycle: r.lifecycle,
            location: r.location,
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            internet_exposed: r.internet_exposed,
            custom_fields: serde_json::from_str(&r.custom_fields).unwrap_or_default(),
            os_name: r.os_name,
            os_version: r.os_version,
            encrypted: r.encrypted,
            mdm_enrolled: r.mdm_enrolled,
            last_check_in: r.last_check_in,
            supported_until: r.supported_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Columns of `assets` that are copied as they are.
const PLAIN: [&str; 22] = [
    "id",
    "name",
    "kind",
    "description",
    "owner_id",
    "custodian_id",
    "criticality",
    "confidentiality",
    "integrity",
    "availability",
    "classification",
    "lifecycle",
    "location",
    "tags",
    "internet_exposed",
    "custom_fields",
    "os_name",
    "os_version",
    "encrypted",
    "mdm_enrolled",
    "last_check_in",
    "supported_until",
];

fn col(c: &str) -> (Alias, Alias) {
    (Alias::new("a"), Alias::new(c))
}

/// The FTS5 phrase that finds the text of a `%text%` pattern as a substring: `"text"`, with
/// quotes doubled. None under three characters, which a trigram index cannot look up.
fn trigram_phrase(pattern: &str) -> Option<String> {
    let text = pattern.trim_matches('%');
    (text.chars().count() >= 3).then(|| format!("\"{}\"", text.replace('"', "\"\"")))
}

/// The rowids of the assets whose text contains `phrase`, from SQLite's trigram index.
fn containing(phrase: &str) -> SelectStatement {
    Query::select()
        .expr(Expr::cust("rowid"))
        .from(Alias::new("assets_search"))
        .and_where(Expr::cust_with_values("assets_search MATCH ?", [phrase]))
        .to_owned()
}

/// How many assets the text index may find before a text counts as common.
pub const TEXT_CANDIDATES: u64 = 2_000;

/// How many assets the trigram index finds for `phrase` (SQLite), counting no further than one
/// past [`TEXT_CANDIDATES`]. Reading and sorting every match of a common text costs more than
/// walking the list in its order until a page is full: a text in every one of 50,000 assets took
/// 35 ms through the index and 1.5 ms this way (docs/BENCHMARKS.md). Only the count crosses
/// over from SQLite, not the row ids.
async fn text_matches(db: &Db, phrase: &str) -> Result<u64, DbError> {
    let mut hits = containing(phrase);
    hits.limit(TEXT_CANDIDATES + 1);
    let q = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(hits, Alias::new("hits"))
        .to_owned();
    let n = db.fetch_optional::<(i64,)>(&q).await?.map_or(0, |(n,)| n);
    Ok(n as u64)
}

/// `SELECT … FROM assets a LEFT JOIN people o … LEFT JOIN people c …`.
fn select() -> SelectStatement {
    let mut q = Query::select();
    for c in PLAIN.iter().chain(&["created_at", "updated_at"]) {
        q.column(col(c));
    }
    for (alias, who) in [("o", "owner"), ("c", "custodian")] {
        q.expr_as(
            Expr::col((Alias::new(alias), Alias::new("name"))),
            Alias::new(format!("{who}_name")),
        )
        .expr_as(
            Expr::col((Alias::new(alias), Alias::new("email"))),
            Alias::new(format!("{who}_email")),
        )
        .join_as(
            JoinType::LeftJoin,
            Alias::new("people"),
            Alias::new(alias),
            Expr::col((Alias::new(alias), Alias::new("id")))
                .equals((Alias::new("a"), Alias::new(format!("{who}_id")))),
        );
    }
    q.from_as(Alias::new("assets"), Alias::new("a")).to_owned()
}

/// Every asset's id and name, by name (for pickers).
pub async fn names(h: &mut Handle<'_>) -> Result<Vec<(String, String)>, DbError> {
    let q = Query::select()
        .columns([Alias::new("id"), Alias::new("name")])
        .from(Alias::new("assets"))
        .order_by(Alias::new("name"), Order::Asc)
        .to_owned();
    h.fetch_all(&q).await
}

/// Finds an asset by id.
pub async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<Asset>, DbError> {
    let q = select().and_where(Expr::col(col("id")).eq(id)).to_owned();
    Ok(h.fetch_optional::<AssetRow>(&q).await?.map(Asset::from))
}

/// Finds an asset by its exact name.
pub async fn by_name(h: &mut Handle<'_>, name: &str) -> Result<Option<Asset>, DbError> {
    let q = select()
        .and_where(Expr::col(col("name")).eq(name.trim()))
        .to_owned();
    Ok(h.fetch_optional::<AssetRow>(&q).await?.map(Asset::from))
}

/// Finds an asset by id, or else by exact name (what people type in the CLI).
pub async fn by_id_or_name(h: &mut Handle<'_>, key: &str) -> Result<Option<Asset>, DbError> {
    match by_id(h, key).await? {
        Some(a) => Ok(Some(a)),
        None => by_name(h, key).await,
    }
}

/// Sort orders for listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetSort {
    #[default]
    Name,
    Kind,
    UpdatedAt,
}

impl AssetSort {
    fn column(self) -> &'static str {
        match self {
            AssetSort::Name => "name",
            AssetSort::Kind => "kind",
            AssetSort::UpdatedAt => "updated_at",
        }
    }

    /// The sort key of an asset, as text (for cursors).
    pub fn key(self, a: &Asset) -> String {
        match self {
            AssetSort::Name => a.name.clone(),
            AssetSort::Kind => a.kind.clone(),
            AssetSort::UpdatedAt => a.updated_at.clone(),
        }
    }
}

/// Filters for listing assets (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    /// Any of these kinds (all kinds when empty).
    pub kinds: Vec<String>,
    pub lifecycle: Option<String>,
    pub classification: Option<String>,
    /// At least this criticality.
    pub min_criticality: Option<i64>,
    /// Owned by the person with this id.
    pub owner_id: Option<String>,
    pub tag: Option<String>,
    pub internet_exposed: Option<bool>,
    /// Text in the name, description or location (case-insensitive).
    pub q: Option<String>,
}

/// Lists assets by `sort` ascending, after the cursor position `(key, id)`, up to `limit`.
///
/// On SQLite a text of three characters or more is looked up in the trigram index first (see
/// [`text_matches`]). When it names at most [`TEXT_CANDIDATES`] assets, the page is chosen
/// among those row ids by their sort keys alone and only its rows are then read in full: the
/// index's phrase match is the substring match, so the `LIKE` is not repeated on every candidate.
/// Reading, rechecking and sorting whole rows for a thousand candidates cost twice as much
/// (docs/BENCHMARKS.md).
pub async fn list(
    db: &Db,
    f: &AssetFilter,
    sort: AssetSort,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<Asset>, DbError> {
    let sc = sort.column();
    let in_order = |q: &mut SelectStatement| {
        q.order_by(col(sc), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .limit(limit);
    };
    let pattern = f.q.as_deref().map(crate::platform::db::contains_pattern);
    let phrase = pattern
        .as_deref()
        .filter(|_| db.backend() == Backend::Sqlite)
        .and_then(trigram_phrase);
    // The text's phrase when the index names few enough assets to pick the page from.
    let indexed = match phrase {
        Some(phrase) => match text_matches(db, &phrase).await? {
            0 => return Ok(Vec::new()),
            n if n <= TEXT_CANDIDATES => Some(phrase),
            _ => None,
        },
        None => None,
    };
    let mut q = match indexed {
        Some(phrase) => {
            let mut page = Query::select()
                .expr(Expr::col(col("rowid")))
                .from_as(Alias::new("assets"), Alias::new("a"))
                .to_owned();
            restrict(&mut page, f, sort, after, None);
            page.and_where(Expr::col(col("rowid")).in_subquery(containing(&phrase)));
            in_order(&mut page);
            select()
                .and_where(Expr::col(col("rowid")).in_subquery(page))
                .to_owned()
        }
        // No text, PostgreSQL (whose pg_trgm indexes serve the `LIKE` itself), a text too short
        // for trigrams, or a common text: the list's own order reaches a page of matches sooner.
        None => {
            let mut q = select();
            restrict(&mut q, f, sort, after, pattern.as_deref());
            q
        }
    };
    in_order(&mut q);
    Ok(db
        .fetch_all::<AssetRow>(&q)
        .await?
        .into_iter()
        .map(Asset::from)
        .collect())
}

/// Adds the filter's conditions (but for its text), the text's `LIKE` pattern when given, and
/// the cursor position to a query over `assets a`.
fn restrict(
    q: &mut SelectStatement,
    f: &AssetFilter,
    sort: AssetSort,
    after: Option<(String, String)>,
    like: Option<&str>,
) {
    if !f.kinds.is_empty() {
        q.and_where(Expr::col(col("kind")).is_in(f.kinds.iter().map(String::as_str)));
    }
    for (c, v) in [
        ("lifecycle", &f.lifecycle),
        ("classification", &f.classification),
        ("owner_id", &f.owner_id),
    ] {
        if let Some(v) = v {
            q.and_where(Expr::col(col(c)).eq(v.as_str()));
        }
    }
    if let Some(n) = f.min_criticality {
        q.and_where(Expr::col(col("criticality")).gte(n));
    }
    if let Some(b) = f.internet_exposed {
        q.and_where(Expr::col(col("internet_exposed")).eq(b));
    }
    if let Some(t) = &f.tag {
        // Tags are stored as a JSON array of strings whose characters cannot be LIKE wildcards.
        q.and_where(Expr::col(col("tags")).like(format!("%{}%", serde_json::json!(t))));
    }
    if let Some(pat) = like {
        q.and_where(
            sea_query::Func::lower(Expr::col(col("name")))
                .like(pat)
                .or(sea_query::Func::lower(Expr::col(col("description"))).like(pat))
                .or(sea_query::Func::lower(Expr::col(col("location"))).like(pat)),
        );
    }
    if let Some((key, id)) = after {
        let sc = sort.column();
        q.and_where(
            Expr::col(col(sc))
                .gt(key.clone())
                .or(Expr::col(col(sc)).eq(key).and(Expr::col(col("id")).gt(id))),
        );
    }
}

/// Input for creating or changing an asset. On creation `name` and `kind` are required and the
/// rest have defaults; on change, fields left out stay as they are and `null` clears optional ones.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetInput {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub description: Option<String>,
    /// The owner's email (a person in the identity area); null removes the owner.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    /// The custodian's email; null removes the custodian.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub custodian: Option<Option<String>>,
    /// 1 to 5 (default 3).
    pub criticality: Option<i64>,
    pub confidentiality: Option<i64>,
    pub integrity: Option<i64>,
    pub availability: Option<i64>,
    /// public, internal (default), confidential or restricted.
    pub classification: Option<String>,
    /// planned, active (default) or retired.
    pub lifecycle: Option<String>,
    pub location: Option<String>,
    pub tags: Option<Vec<String>>,
    pub internet_exposed: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub os_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub os_version: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub encrypted: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub mdm_enrolled: Option<Option<bool>>,
    /// RFC 3339 timestamp or `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub last_check_in: Option<Option<String>>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub supported_until: Option<Option<String>>,
}

/// Deserialises a field that is present (possibly `null`) as `Some(value)`, so that an absent
/// field (`None`) and an explicit `null` (`Some(None)`) can be told apart.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

const MAX_TAGS: usize = 30;
const MAX_CUSTOM_FIELDS: usize = 50;

fn rating(field: &str, v: i64) -> Result<i64, FieldError> {
    if (1..=5).contains(&v) {
        Ok(v)
    } else {
        Err(FieldError::new(field, "must be a whole number from 1 to 5"))
    }
}

fn tag(t: &str) -> Result<String, FieldError> {
    let t = validate::label("tags", t, 40)?;
    if t.chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '.' | ':' | '/'))
    {
        Ok(t)
    } else {
        Err(FieldError::new(
            "tags",
            format!("`{t}`: use letters, digits, spaces and - . : / only"),
        ))
    }
}

fn custom(
    m: &serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, FieldError> {
    if m.len() > MAX_CUSTOM_FIELDS {
        return Err(FieldError::new(
            "custom_fields",
            format!("at most {MAX_CUSTOM_FIELDS} fields"),
        ));
    }
    let mut out = serde_json::Map::new();
    for (k, v) in m {
        let k = validate::label("custom_fields", k, 60)?;
        match v {
            serde_json::Value::String(s) if s.chars().count() <= 500 => {}
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {}
            _ => {
                return Err(FieldError::new(
                    format!("custom_fields.{k}"),
                    "must be text (up to 500 characters), a number or true/false",
                ));
            }
        }
        out.insert(k, v.clone());
    }
    Ok(out)
}

/// A date `YYYY-MM-DD`, kept as that text.
pub fn date(field: &str, s: &str) -> Result<String, FieldError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| FieldError::new(field, "must be a date YYYY-MM-DD"))
}

/// A moment given as RFC 3339 or as a date (midnight UTC), stored as a [`Timestamp`].
pub fn moment(field: &str, s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(Timestamp::from_datetime(t.with_timezone(&chrono::Utc)).to_db());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| Timestamp::from_datetime(d.and_time(chrono::NaiveTime::MIN).and_utc()).to_db())
        .map_err(|_| {
            FieldError::new(
                field,
                "must be a date YYYY-MM-DD or a time such as 2026-11-23T09:30:00Z",
            )
        })
}

fn opt_text(field: &str, v: &Option<String>, max: usize) -> Result<Value, FieldError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Value::String(None)),
        Some(s) => validate::label(field, s, max).map(Into::into),
    }
}

/// Validated column changes, and the people to look up by email.
struct Checked {
    set: Vec<(&'static str, Value)>,
    owner: Option<Option<String>>,
    custodian: Option<Option<String>>,
}

/// Checks every given field and reports all problems at once. `creating` applies defaults and
/// requires the name and kind.
fn check(i: &AssetInput, creating: bool) -> Result<Checked, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut set: Vec<(&'static str, Value)> = Vec::new();
    let mut put = |c: &'static str, r: Result<Value, FieldError>| match r {
        Ok(v) => set.push((c, v)),
        Err(e) => errs.push(e),
    };
    let default = |v: &Option<String>, d: &str| -> Option<String> {
        v.clone().or_else(|| creating.then(|| d.to_string()))
    };
    match &i.name {
        Some(n) => put("name", validate::label("name", n, 120).map(Into::into)),
        None if creating => put("name", Err(FieldError::new("name", "is required"))),
        None => {}
    }
    match &i.kind {
        Some(k) => put("kind", one_of("kind", k, KINDS).map(Into::into)),
        None if creating => put("kind", Err(FieldError::new("kind", "is required"))),
        None => {}
    }
    if let Some(d) = default(&i.description, "") {
        put(
            "description",
            validate::free_text("description", &d, 4000).map(Into::into),
        );
    }
    for (c, v) in [
        ("criticality", i.criticality),
        ("confidentiality", i.confidentiality),
        ("integrity", i.integrity),
        ("availability", i.availability),
    ] {
        if let Some(v) = v.or(creating.then_some(3)) {
            put(c, rating(c, v).map(Into::into));
        }
    }
    if let Some(v) = default(&i.classification, "internal") {
        put(
            "classification",
            one_of("classification", &v, CLASSIFICATIONS).map(Into::into),
        );
    }
    if let Some(v) = default(&i.lifecycle, "active") {
        put(
            "lifecycle",
            one_of("lifecycle", &v, LIFECYCLES).map(Into::into),
        );
    }
    if let Some(v) = default(&i.location, "") {
        put(
            "location",
            validate::free_text("location", &v, 200).map(Into::into),
        );
    }
    if let Some(tags) = i.tags.clone().or(creating.then(Vec::new)) {
        let checked: Result<Vec<String>, FieldError> = if tags.len() > MAX_TAGS {
            Err(FieldError::new("tags", format!("at most {MAX_TAGS} tags")))
        } else {
            tags.iter().map(|t| tag(t)).collect()
        };
        put(
            "tags",
            checked.map(|mut t| {
                let mut seen = std::collections::HashSet::new();
                t.retain(|x| seen.insert(x.to_lowercase()));
                serde_json::to_string(&t)
                    .unwrap_or_else(|_| "[]".into())
                    .into()
            }),
        );
    }
    if let Some(b) = i.internet_exposed.or(creating.then_some(false)) {
        put("internet_exposed", Ok(b.into()));
    }
    if let Some(m) = i.custom_fields.clone().or(creating.then(Default::default)) {
        put(
            "custom_fields",
            custom(&m).map(|m| serde_json::Value::Object(m).to_string().into()),
        );
    }
    for (c, v, max) in [
        ("os_name", &i.os_name, 80),
        ("os_version", &i.os_version, 80),
    ] {
        if let Some(v) = v.clone().or(creating.then_some(None)) {
            put(c, opt_text(c, &v, max));
        }
    }
    for (c, v) in [("encrypted", i.encrypted), ("mdm_enrolled", i.mdm_enrolled)] {
        if let Some(v) = v.or(creating.then_some(None)) {
            put(c, Ok(v.into()));
        }
    }
    if let Some(v) = i.last_check_in.clone().or(creating.then_some(None)) {
        put(
            "last_check_in",
            match v.as_deref().filter(|s| !s.trim().is_empty()) {
                None => Ok(Value::String(None)),
                Some(s) => moment("last_check_in", s).map(Into::into),
            },
        );
    }
    if let Some(v) = i.supported_until.clone().or(creating.then_some(None)) {
        put(
            "supported_until",
            match v.as_deref().filter(|s| !s.trim().is_empty()) {
                None => Ok(Value::String(None)),
                Some(s) => date("supported_until", s).map(Into::into),
            },
        );
    }
    if errs.is_empty() {
        Ok(Checked {
            set,
            owner: i.owner.clone(),
            custodian: i.custodian.clone(),
        })
    } else {
        Err(errs)
    }
}

/// Resolves owner and custodian emails to person ids, adding problems to `errs`.
async fn people_columns(
    h: &mut Handle<'_>,
    c: &Checked,
    errs: &mut Vec<FieldError>,
) -> Result<Vec<(&'static str, Value)>, DbError> {
    let mut set = Vec::new();
    for (field, column, v) in [
        ("owner", "owner_id", &c.owner),
        ("custodian", "custodian_id", &c.custodian),
    ] {
        match v.as_ref().map(|e| e.as_deref().map(str::trim)) {
            None => {}
            Some(None) | Some(Some("")) => set.push((column, Value::String(None))),
            Some(Some(email)) => match people::by_email(h, &email.to_lowercase()).await? {
                Some(p) => set.push((column, p.id.into())),
                None => errs.push(FieldError::new(
                    field,
                    format!("nobody with the email {email} is in the people register"),
                )),
            },
        }
    }
    Ok(set)
}

/// Creates an asset in `tx` and records it.
pub async fn create(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    i: &AssetInput,
) -> AppResult<Asset> {
    let checked = check(i, true).map_err(AppError::Invalid)?;
    let mut errs = Vec::new();
    let people = people_columns(&mut tx.h(), &checked, &mut errs).await?;
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let name = i.name.as_deref().unwrap_or_default().trim();
    if by_name(&mut tx.h(), name).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "an asset named {name} already exists"
        )));
    }
    let id = new_id(now);
    let mut cols: Vec<(&str, Value)> = vec![
        ("id", id.clone().into()),
        ("created_at", now.to_db().into()),
        ("updated_at", now.to_db().into()),
        ("owner_id", Value::String(None)),
        ("custodian_id", Value::String(None)),
    ];
    cols.extend(checked.set);
    for (c, v) in people {
        if let Some(slot) = cols.iter_mut().find(|(k, _)| *k == c) {
            slot.1 = v;
        }
    }
    let q = Query::insert()
        .into_table(Alias::new("assets"))
        .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(cols.into_iter().map(|(_, v)| v.into()))
        .to_owned();
    tx.h().execute(&q).await?;
    let asset = by_id(&mut tx.h(), &id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("asset.create", "asset", Some(&id)).after(&asset),
    )
    .await?;
    Ok(asset)
}

/// Changes the given fields of an asset and records before and after.
pub async fn update(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    id: &str,
    i: &AssetInput,
) -> AppResult<Asset> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    let checked = check(i, false).map_err(AppError::Invalid)?;
    let mut errs = Vec::new();
    let people = people_columns(&mut tx.h(), &checked, &mut errs).await?;
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    if checked.set.is_empty() && people.is_empty() {
        return Err(AppError::field("body", "give at least one field to change"));
    }
    if let Some(n) = &i.name
        && let Some(other) = by_name(&mut tx.h(), n).await?
        && other.id != id
    {
        return Err(AppError::Conflict(format!(
            "an asset named {} already exists",
            n.trim()
        )));
    }
    let mut q = Query::update();
    q.table(Alias::new("assets"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .value(Alias::new("updated_at"), now.to_db());
    for (c, v) in checked.set.into_iter().chain(people) {
        q.value(Alias::new(c), v);
    }
    tx.h().execute(&q).await?;
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("asset.update", "asset", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// Deletes an asset with its dependencies and software inventory, and records it.
pub async fn delete(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<()> {
    let before = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    rows::delete(tx, "assets", id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("asset.delete", "asset", Some(id)).before(&before),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_needs_name_and_kind_and_reports_every_problem() {
        let i = AssetInput {
            criticality: Some(9),
            tags: Some(vec!["bad%tag".into()]),
            supported_until: Some(Some("31/12/2026".into())),
            ..Default::default()
        };
        let errs = check(&i, true).err().unwrap();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["name", "kind", "criticality", "tags", "supported_until"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn creation_fills_defaults() {
        let i = AssetInput {
            name: Some("crm".into()),
            kind: Some("business_service".into()),
            ..Default::default()
        };
        let c = check(&i, true).unwrap();
        let get = |k: &str| c.set.iter().find(|(c, _)| *c == k).map(|(_, v)| v.clone());
        assert_eq!(get("criticality"), Some(3i64.into()));
        assert_eq!(get("lifecycle"), Some("active".into()));
        assert_eq!(get("tags"), Some("[]".into()));
    }

    #[test]
    fn a_change_touches_only_given_fields_and_null_clears() {
        let i: AssetInput = serde_json::from_str(r#"{"os_name": null, "criticality": 5}"#).unwrap();
        let c = check(&i, false).unwrap();
        assert_eq!(c.set.len(), 2);
        assert!(c.set.contains(&("os_name", Value::String(None))));
    }

    #[test]
    fn moments_accept_dates_and_rfc3339() {
        assert_eq!(
            moment("t", "2026-11-01").unwrap(),
            "2026-11-01T00:00:00.000000Z"
        );
        assert_eq!(
            moment("t", "2026-11-01T10:00:00+01:00").unwrap(),
            "2026-11-01T09:00:00.000000Z"
        );
        assert!(moment("t", "yesterday").is_err());
    }
}
