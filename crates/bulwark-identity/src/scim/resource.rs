//! Users and Groups read from request bodies, and the attribute readers PATCH shares.

use bulwark_core::validate::Email;
use serde_json::{Map, Value};

use super::{
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, MemberRef, ScimError, ScimGroup, ScimName, ScimUser,
    USER_SCHEMA, attr, boolean, object, optional_text, require_schema,
};
use crate::records::AccountRecord;
use crate::values::add_group;

/// Reads a User from a POST or PUT body.
pub fn parse_user(body: &Value) -> Result<ScimUser, ScimError> {
    let obj = object(body, "the request body")?;
    require_schema(obj, USER_SCHEMA)?;
    let mut name = ScimName::default();
    if let Some(n) = attr(obj, "name") {
        merge_name(&mut name, object(n, "name")?)?;
    }
    let mut groups = Vec::new();
    if let Some(g) = attr(obj, "groups") {
        for (i, g) in array(g, "groups")?.iter().enumerate() {
            let g = object(g, &format!("groups[{i}]"))?;
            let label = attr(g, "display").or_else(|| attr(g, "value"));
            add_group(
                &mut groups,
                &text_or_empty(label, &format!("groups[{i}].display"))?,
            );
        }
    }
    let mut user = ScimUser {
        account: AccountRecord {
            username: user_name(attr(obj, "userName"))?,
            email: attr(obj, "emails")
                .map(emails)
                .transpose()?
                .flatten()
                .map(|(e, _)| e),
            display_name: String::new(),
            privileged: false,
            mfa: false,
            last_login: None,
            groups,
            enabled: attr(obj, "active").map_or(Ok(true), |v| boolean(v, "active"))?,
            employee_id: None,
        },
        external_id: optional_text(attr(obj, "externalId"), "externalId")?,
        name,
        manager: None,
    };
    user.account.display_name = optional_text(attr(obj, "displayName"), "displayName")?
        .unwrap_or_else(|| display_from(&user.name));
    if let Some(ext) = attr(obj, ENTERPRISE_USER_SCHEMA) {
        let ext = object(ext, ENTERPRISE_USER_SCHEMA)?;
        user.account.employee_id = optional_text(attr(ext, "employeeNumber"), "employeeNumber")?;
        user.manager = attr(ext, "manager").map(manager).transpose()?.flatten();
    }
    Ok(user)
}

/// Reads a Group from a POST or PUT body.
pub fn parse_group(body: &Value) -> Result<ScimGroup, ScimError> {
    let obj = object(body, "the request body")?;
    require_schema(obj, GROUP_SCHEMA)?;
    Ok(ScimGroup {
        display_name: optional_text(attr(obj, "displayName"), "displayName")?
            .ok_or_else(|| ScimError::bad_request("invalidValue", "displayName is required"))?,
        external_id: optional_text(attr(obj, "externalId"), "externalId")?,
        members: match attr(obj, "members") {
            Some(m) => members(m)?,
            None => Vec::new(),
        },
    })
}

/// A JSON array, or `invalidValue` naming the attribute.
pub(super) fn array<'a>(v: &'a Value, attribute: &str) -> Result<&'a [Value], ScimError> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| {
        ScimError::bad_request("invalidValue", format!("{attribute} must be an array"))
    })
}

fn text_or_empty(v: Option<&Value>, attribute: &str) -> Result<String, ScimError> {
    Ok(optional_text(v, attribute)?.unwrap_or_default())
}

/// The required `userName`.
pub(super) fn user_name(v: Option<&Value>) -> Result<String, ScimError> {
    optional_text(v, "userName")?
        .ok_or_else(|| ScimError::bad_request("invalidValue", "userName is required"))
}

/// The address to keep from `emails`, and whether it is marked primary: the primary one, else the
/// first; `None` for an empty list.
pub(super) fn emails(v: &Value) -> Result<Option<(String, bool)>, ScimError> {
    let list = array(v, "emails")?;
    let primary =
        |e: &Value| e.as_object().and_then(|e| attr(e, "primary")) == Some(&Value::Bool(true));
    let chosen = list.iter().position(primary);
    let Some(i) = chosen.or(if list.is_empty() { None } else { Some(0) }) else {
        return Ok(None);
    };
    let value = attr(object(&list[i], &format!("emails[{i}]"))?, "value");
    Ok(Some((
        email(value, &format!("emails[{i}].value"))?,
        chosen.is_some(),
    )))
}

/// One valid email address, lower-cased.
pub(super) fn email(v: Option<&Value>, attribute: &str) -> Result<String, ScimError> {
    let s = text_or_empty(v, attribute)?;
    Email::parse(attribute, &s)
        .map(|e| e.as_str().to_string())
        .map_err(|e| ScimError::bad_request("invalidValue", e.to_string()))
}

/// The manager's id from `{"value": id}` or, as Entra ID sends it in PATCH, a bare string.
pub(super) fn manager(v: &Value) -> Result<Option<String>, ScimError> {
    match v {
        Value::Object(m) => optional_text(attr(m, "value"), "manager.value"),
        other => optional_text(Some(other), "manager"),
    }
}

/// The sub-attributes of `name` that are kept.
pub(super) const NAME_PARTS: [&str; 3] = ["formatted", "givenName", "familyName"];

/// Copies the sub-attributes present in a `name` object (`null` clears one); others are left as
/// they are.
pub(super) fn merge_name(name: &mut ScimName, obj: &Map<String, Value>) -> Result<(), ScimError> {
    let slots = [
        &mut name.formatted,
        &mut name.given_name,
        &mut name.family_name,
    ];
    for (sub, slot) in NAME_PARTS.into_iter().zip(slots) {
        if let Some(v) = obj
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(sub))
            .map(|(_, v)| v)
        {
            *slot = optional_text(Some(v).filter(|v| !v.is_null()), &format!("name.{sub}"))?;
        }
    }
    Ok(())
}

/// A display name made from the name parts when `displayName` is not given.
fn display_from(name: &ScimName) -> String {
    if let Some(f) = &name.formatted {
        return f.clone();
    }
    let parts = [&name.given_name, &name.family_name];
    parts
        .iter()
        .filter_map(|p| p.as_deref())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `members` (or a PATCH value for it): objects with a `value`, repeats dropped.
pub(super) fn members(v: &Value) -> Result<Vec<MemberRef>, ScimError> {
    let mut out: Vec<MemberRef> = Vec::new();
    for (i, m) in array(v, "members")?.iter().enumerate() {
        let m = object(m, &format!("members[{i}]"))?;
        let value =
            optional_text(attr(m, "value"), &format!("members[{i}].value"))?.ok_or_else(|| {
                ScimError::bad_request("invalidValue", format!("members[{i}].value is required"))
            })?;
        if !out.iter().any(|o| o.value == value) {
            let display = optional_text(attr(m, "display"), &format!("members[{i}].display"))?;
            out.push(MemberRef { value, display });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_an_entra_style_user() {
        let u = parse_user(&json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "externalId": "8c1a",
            "UserName": "Alice.Smith@example.org",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [
                {"value": "alice@home.example", "type": "home"},
                {"value": "Alice.Smith@Example.org", "type": "work", "primary": true}
            ],
            "active": "False",
            "groups": [{"value": "g1", "display": "Finance"}, {"value": "g2"}],
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": "E1", "manager": {"value": "m-7"}}
        }))
        .unwrap();
        assert_eq!(u.account.username, "Alice.Smith@example.org");
        assert_eq!(u.account.email.as_deref(), Some("alice.smith@example.org"));
        assert_eq!(u.account.display_name, "Alice Smith");
        assert!(!u.account.enabled);
        assert_eq!(u.account.groups, ["Finance", "g2"]);
        assert_eq!(u.account.employee_id.as_deref(), Some("E1"));
        assert_eq!(u.external_id.as_deref(), Some("8c1a"));
        assert_eq!(u.manager.as_deref(), Some("m-7"));
        assert_eq!(u.name.family_name.as_deref(), Some("Smith"));
    }

    #[test]
    fn minimal_user_defaults() {
        let u =
            parse_user(&json!({"schemas": [USER_SCHEMA], "userName": "bob", "displayName": "Bob"}))
                .unwrap();
        assert!(u.account.enabled);
        assert_eq!(
            (u.account.email, u.account.display_name.as_str()),
            (None, "Bob")
        );
        let u = parse_user(
            &json!({"schemas": [USER_SCHEMA], "userName": "bob", "emails": [{"value": "b@x.org"}]}),
        )
        .unwrap();
        assert_eq!(u.account.email.as_deref(), Some("b@x.org"));
    }

    #[test]
    fn bad_users_are_refused_with_the_attribute_named() {
        let cases = [
            (json!([]), "invalidSyntax", "object"),
            (json!({"userName": "a"}), "invalidSyntax", "schemas"),
            (
                json!({"schemas": [USER_SCHEMA]}),
                "invalidValue",
                "userName",
            ),
            (
                json!({"schemas": [USER_SCHEMA], "userName": "  "}),
                "invalidValue",
                "userName",
            ),
            (
                json!({"schemas": [USER_SCHEMA], "userName": 7}),
                "invalidValue",
                "userName",
            ),
            (
                json!({"schemas": [USER_SCHEMA], "userName": "a", "active": "yes"}),
                "invalidValue",
                "active",
            ),
            (
                json!({"schemas": [USER_SCHEMA], "userName": "a", "emails": [{"value": "nope"}]}),
                "invalidValue",
                "emails[0].value",
            ),
            (
                json!({"schemas": [USER_SCHEMA], "userName": "a", "emails": {"value": "a@x.org"}}),
                "invalidValue",
                "emails",
            ),
        ];
        for (body, scim_type, names) in cases {
            let e = parse_user(&body).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some(scim_type)), "{body}");
            assert!(e.detail.contains(names), "{body}: {}", e.detail);
        }
    }

    #[test]
    fn reads_groups() {
        let g = parse_group(&json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": "Finance",
            "members": [{"value": "u1", "display": "Alice"}, {"value": "u2"}, {"value": "u1"}]
        }))
        .unwrap();
        assert_eq!(g.display_name, "Finance");
        let ids: Vec<_> = g.members.iter().map(|m| m.value.as_str()).collect();
        assert_eq!(ids, ["u1", "u2"]);
        assert_eq!(g.members[0].display.as_deref(), Some("Alice"));
        let e = parse_group(
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "x", "members": [{"display": "a"}]}),
        )
        .unwrap_err();
        assert!(e.detail.contains("members[0].value"), "{}", e.detail);
        assert!(parse_group(&json!({"schemas": [GROUP_SCHEMA]})).is_err());
    }
}
