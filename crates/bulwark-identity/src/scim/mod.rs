//! SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol) without the HTTP: Users and Groups parsed
//! from and written back to JSON, PATCH operations, the simple `eq` filters, error bodies.
//!
//! Bulwark keeps what access reviews and findings need. A User becomes an [`AccountRecord`]:
//! `userName` → `username`; the primary (else the first) of `emails` → `email`; `displayName`
//! (else `name.formatted`, else given and family name) → `display_name`; `active` (default true)
//! → `enabled`; the read-only `groups` → `groups`; the enterprise extension's `employeeNumber` →
//! `employee_id`. `externalId`, `name` and the enterprise `manager` are kept beside it in
//! [`ScimUser`]. One email is kept per user; other attributes are ignored, as RFC 7644 allows.
//! Attribute names are matched regardless of letter case (RFC 7643 §2.1).

mod error;
mod filter;
mod patch;
mod render;
mod resource;

pub use error::{ERROR_SCHEMA, ScimError};
pub use filter::{Filter, FilterAttribute, parse_filter};
pub use patch::{PATCH_OP_SCHEMA, patch_group, patch_user};
pub use render::{LIST_RESPONSE_SCHEMA, Meta, group_json, list_response, user_json};
pub use resource::{parse_group, parse_user};

use serde_json::{Map, Value};

use crate::records::AccountRecord;

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension (`employeeNumber`, `manager`).
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A SCIM User as Bulwark stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUser {
    /// The account (`privileged`, `mfa` and `last_login` are not part of SCIM and stay unset).
    pub account: AccountRecord,
    /// The provisioning client's own id for the user.
    pub external_id: Option<String>,
    /// The person's name parts.
    pub name: ScimName,
    /// The SCIM `id` of the user's manager (enterprise extension `manager.value`).
    pub manager: Option<String>,
}

/// The `name` complex attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScimName {
    /// The full name as displayed.
    pub formatted: Option<String>,
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub family_name: Option<String>,
}

/// A SCIM Group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroup {
    /// The group's name.
    pub display_name: String,
    /// The provisioning client's own id for the group.
    pub external_id: Option<String>,
    /// Members, without repeats.
    pub members: Vec<MemberRef>,
}

/// A reference to another resource: a group's member, or a group a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    /// The referenced resource's SCIM `id`.
    pub value: String,
    /// Its name, when known.
    pub display: Option<String>,
}

/// An attribute of an object, matched regardless of letter case; `null` counts as absent.
fn attr<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

/// A JSON object, or `invalidSyntax` naming what it should have been.
fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ScimError> {
    v.as_object().ok_or_else(|| {
        ScimError::bad_request("invalidSyntax", format!("{what} must be a JSON object"))
    })
}

/// A string value, trimmed, or `invalidValue` naming the attribute.
fn text(v: &Value, attribute: &str) -> Result<String, ScimError> {
    v.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
        ScimError::bad_request("invalidValue", format!("{attribute} must be a string"))
    })
}

/// An optional string attribute; an empty string counts as absent.
fn optional_text(v: Option<&Value>, attribute: &str) -> Result<Option<String>, ScimError> {
    Ok(v.map(|v| text(v, attribute))
        .transpose()?
        .filter(|s| !s.is_empty()))
}

/// A boolean; the strings `"True"`/`"False"` that Entra ID sends in PATCH are accepted too.
fn boolean(v: &Value, attribute: &str) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::bad_request(
            "invalidValue",
            format!("{attribute} must be true or false"),
        )),
    }
}

/// Checks that `schemas` lists `schema`.
fn require_schema(obj: &Map<String, Value>, schema: &str) -> Result<(), ScimError> {
    let listed = attr(obj, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema)))
        });
    if listed {
        Ok(())
    } else {
        Err(ScimError::bad_request(
            "invalidSyntax",
            format!("schemas must list {schema}"),
        ))
    }
}
