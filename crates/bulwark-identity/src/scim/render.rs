//! Stored Users and Groups written back as SCIM JSON, and list responses.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, MemberRef, ScimGroup, ScimUser, USER_SCHEMA};

/// The schema URN of a list response.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// What the server knows about a resource besides its attributes (`meta`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta<'a> {
    /// The resource's URL, such as `https://bulwark.example.org/scim/v2/Users/0193…`.
    pub location: &'a str,
    /// When it was created.
    pub created: Option<DateTime<Utc>>,
    /// When it last changed.
    pub last_modified: Option<DateTime<Utc>>,
    /// Its version (an entity tag such as `W/"3"`).
    pub version: Option<&'a str>,
}

/// A stored User as SCIM JSON; `groups` are the groups it belongs to (read-only in SCIM).
pub fn user_json(id: &str, user: &ScimUser, groups: &[MemberRef], meta: &Meta<'_>) -> Value {
    let a = &user.account;
    let mut out = Map::new();
    let enterprise = a.employee_id.is_some() || user.manager.is_some();
    let mut schemas = vec![USER_SCHEMA];
    if enterprise {
        schemas.push(ENTERPRISE_USER_SCHEMA);
    }
    out.insert("schemas".into(), json!(schemas));
    out.insert("id".into(), json!(id));
    insert_some(&mut out, "externalId", user.external_id.as_deref());
    out.insert("userName".into(), json!(a.username));
    let mut name = Map::new();
    insert_some(&mut name, "formatted", user.name.formatted.as_deref());
    insert_some(&mut name, "givenName", user.name.given_name.as_deref());
    insert_some(&mut name, "familyName", user.name.family_name.as_deref());
    if !name.is_empty() {
        out.insert("name".into(), Value::Object(name));
    }
    insert_some(
        &mut out,
        "displayName",
        Some(a.display_name.as_str()).filter(|d| !d.is_empty()),
    );
    if let Some(e) = &a.email {
        out.insert(
            "emails".into(),
            json!([{"value": e, "type": "work", "primary": true}]),
        );
    }
    out.insert("active".into(), json!(a.enabled));
    if !groups.is_empty() {
        out.insert("groups".into(), references(groups));
    }
    if enterprise {
        let mut ext = Map::new();
        insert_some(&mut ext, "employeeNumber", a.employee_id.as_deref());
        if let Some(m) = &user.manager {
            ext.insert("manager".into(), json!({"value": m}));
        }
        out.insert(ENTERPRISE_USER_SCHEMA.into(), Value::Object(ext));
    }
    out.insert("meta".into(), meta_json("User", meta));
    Value::Object(out)
}

/// A stored Group as SCIM JSON.
pub fn group_json(id: &str, group: &ScimGroup, meta: &Meta<'_>) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), json!(id));
    insert_some(&mut out, "externalId", group.external_id.as_deref());
    out.insert("displayName".into(), json!(group.display_name));
    out.insert("members".into(), references(&group.members));
    out.insert("meta".into(), meta_json("Group", meta));
    Value::Object(out)
}

/// A list response: one page of `resources` (1-based `start_index`) out of `total_results`.
pub fn list_response(resources: Vec<Value>, total_results: u64, start_index: u64) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total_results,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

fn insert_some(obj: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        obj.insert(key.into(), json!(v));
    }
}

fn references(refs: &[MemberRef]) -> Value {
    let list = refs.iter().map(|r| {
        let mut m = Map::new();
        m.insert("value".into(), json!(r.value));
        insert_some(&mut m, "display", r.display.as_deref());
        Value::Object(m)
    });
    Value::Array(list.collect())
}

fn meta_json(resource_type: &str, meta: &Meta<'_>) -> Value {
    let mut m = Map::new();
    m.insert("resourceType".into(), json!(resource_type));
    let time = |t: DateTime<Utc>| json!(t.to_rfc3339_opts(SecondsFormat::Secs, true));
    if let Some(t) = meta.created {
        m.insert("created".into(), time(t));
    }
    if let Some(t) = meta.last_modified {
        m.insert("lastModified".into(), time(t));
    }
    m.insert("location".into(), json!(meta.location));
    insert_some(&mut m, "version", meta.version);
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::{parse_group, parse_user};

    const AT: &str = "https://b.example/scim/v2/Users/u1";

    fn meta(location: &str) -> Meta<'_> {
        Meta {
            location,
            created: DateTime::from_timestamp(1_790_000_000, 0),
            last_modified: None,
            version: Some("W/\"1\""),
        }
    }

    #[test]
    fn user_round_trip() {
        let body = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "externalId": "x1",
            "userName": "alice",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "displayName": "Alice Smith",
            "emails": [{"value": "alice@example.org", "type": "work", "primary": true}],
            "active": true,
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": "E1", "manager": {"value": "m1"}},
        });
        let user = parse_user(&body).unwrap();
        let groups = [MemberRef {
            value: "g1".into(),
            display: Some("Finance".into()),
        }];
        let out = user_json("u1", &user, &groups, &meta(AT));
        let mut want = body.clone();
        want["id"] = json!("u1");
        want["groups"] = json!([{"value": "g1", "display": "Finance"}]);
        want["meta"] = json!({
            "resourceType": "User",
            "created": "2026-09-21T14:13:20Z",
            "location": AT,
            "version": "W/\"1\"",
        });
        assert_eq!(out, want);
        let mut again = parse_user(&out).unwrap();
        again.account.groups.clear();
        assert_eq!(again, user);
    }

    #[test]
    fn minimal_user_has_no_extension() {
        let user = parse_user(&json!({"schemas": [USER_SCHEMA], "userName": "bob"})).unwrap();
        let out = user_json("u2", &user, &[], &meta(AT));
        assert_eq!(out["schemas"], json!([USER_SCHEMA]));
        assert!(out.get("emails").is_none() && out.get("groups").is_none());
        assert_eq!(out["active"], json!(true));
    }

    #[test]
    fn group_and_list() {
        let g = parse_group(&json!({"schemas": [GROUP_SCHEMA], "displayName": "Finance", "members": [{"value": "u1"}]})).unwrap();
        let out = group_json("g1", &g, &meta("https://b.example/scim/v2/Groups/g1"));
        assert_eq!(out["members"], json!([{"value": "u1"}]));
        assert_eq!(out["meta"]["resourceType"], json!("Group"));
        let list = list_response(vec![out.clone()], 7, 3);
        assert_eq!(
            list,
            json!({
                "schemas": [LIST_RESPONSE_SCHEMA],
                "totalResults": 7,
                "startIndex": 3,
                "itemsPerPage": 1,
                "Resources": [out],
            })
        );
    }
}
