//! PATCH (RFC 7644 §3.5.2): `add`, `replace` and `remove` on the attributes Bulwark keeps, with
//! or without `path`, as Entra ID and Okta send them. A request is applied whole or not at all.
//!
//! Paths may carry the schema URN (`urn:…:enterprise:2.0:User:employeeNumber`), a sub-attribute
//! (`name.givenName`) and a simple filter (`emails[type eq "work"].value`,
//! `members[value eq "id"]`). Attributes of the User schemas that Bulwark does not keep (title,
//! phoneNumbers, addresses…) are accepted and ignored, like unknown attributes in a POST, so that
//! provisioning clients do not fail; other unknown paths are `invalidPath`. One email is kept per
//! user: email paths, filtered or not, address that one.

use serde_json::{Map, Value};

use super::resource::{NAME_PARTS, email, emails, manager, members, merge_name, user_name};
use super::{
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, ScimError, ScimGroup, ScimUser, USER_SCHEMA, attr,
    boolean, object, optional_text, require_schema, text,
};

/// The schema URN of a PATCH request.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// User attributes (core and enterprise) that are accepted in PATCH but not kept.
const IGNORED_USER_ATTRIBUTES: &[&str] = &[
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "password",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
    "costCenter",
    "organization",
    "division",
    "department",
];

/// Read-only attributes that clients sometimes send along in a path-less value; they are skipped.
const READ_ONLY: &[&str] = &["id", "schemas", "meta"];

/// Applies a PatchOp request body to a user; on error the user is unchanged.
pub fn patch_user(user: &mut ScimUser, body: &Value) -> Result<(), ScimError> {
    let mut next = user.clone();
    for (i, op) in operations(body)?.into_iter().enumerate() {
        each_target(&op, &mut |path, value| {
            apply_user(&mut next, op.kind, path, value)
        })
        .map_err(|e| within(i, e))?;
    }
    *user = next;
    Ok(())
}

/// Applies a PatchOp request body to a group; on error the group is unchanged.
pub fn patch_group(group: &mut ScimGroup, body: &Value) -> Result<(), ScimError> {
    let mut next = group.clone();
    for (i, op) in operations(body)?.into_iter().enumerate() {
        each_target(&op, &mut |path, value| {
            apply_group(&mut next, op.kind, path, value)
        })
        .map_err(|e| within(i, e))?;
    }
    *group = next;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

struct Operation<'a> {
    kind: Kind,
    path: Option<Path>,
    value: Option<&'a Value>,
}

/// A parsed `path`: `attribute[filter].sub`, the schema URN removed.
#[derive(Debug, Clone, PartialEq)]
struct Path {
    /// In the enterprise User extension.
    enterprise: bool,
    attribute: String,
    /// `(attribute, value)` of an `eq` filter.
    filter: Option<(String, Value)>,
    sub: Option<String>,
}

impl Path {
    fn is(&self, name: &str) -> bool {
        self.attribute.eq_ignore_ascii_case(name)
    }

    fn plain(enterprise: bool, attribute: &str) -> Path {
        Path {
            enterprise,
            attribute: attribute.to_string(),
            filter: None,
            sub: None,
        }
    }

    fn display(&self) -> String {
        let mut s = self.attribute.clone();
        if let Some((a, v)) = &self.filter {
            s.push_str(&format!("[{a} eq {v}]"));
        }
        if let Some(sub) = &self.sub {
            s.push('.');
            s.push_str(sub);
        }
        s
    }
}

fn within(i: usize, e: ScimError) -> ScimError {
    ScimError {
        detail: format!("Operations[{i}]: {}", e.detail),
        ..e
    }
}

fn invalid_path(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request("invalidPath", detail)
}

fn operations(body: &Value) -> Result<Vec<Operation<'_>>, ScimError> {
    let obj = object(body, "the request body")?;
    require_schema(obj, PATCH_OP_SCHEMA)?;
    let list = attr(obj, "Operations")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "Operations must be a non-empty array")
        })?;
    let mut out = Vec::with_capacity(list.len());
    for (i, op) in list.iter().enumerate() {
        let op = object(op, &format!("Operations[{i}]"))?;
        let kind = match attr(op, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(k) if k == "add" => Kind::Add,
            Some(k) if k == "replace" => Kind::Replace,
            Some(k) if k == "remove" => Kind::Remove,
            _ => {
                return Err(ScimError::bad_request(
                    "invalidSyntax",
                    format!("Operations[{i}].op must be add, replace or remove"),
                ));
            }
        };
        let path = optional_text(attr(op, "path"), "path")
            .and_then(|p| p.as_deref().map(parse_path).transpose())
            .map_err(|e| within(i, e))?;
        let value = attr(op, "value");
        if kind != Kind::Remove && value.is_none() {
            return Err(ScimError::bad_request(
                "invalidValue",
                format!("Operations[{i}]: value is required for add and replace"),
            ));
        }
        if kind == Kind::Remove && path.is_none() {
            return Err(ScimError::bad_request(
                "noTarget",
                format!("Operations[{i}]: remove needs a path"),
            ));
        }
        out.push(Operation { kind, path, value });
    }
    Ok(out)
}

/// Splits an `attribute[filter].sub` path; only `eq` filters are understood.
fn parse_path(s: &str) -> Result<Path, ScimError> {
    let strip = |urn: &str| {
        s.get(..urn.len() + 1)
            .filter(|p| p[..urn.len()].eq_ignore_ascii_case(urn) && p.ends_with(':'))
            .map(|_| &s[urn.len() + 1..])
    };
    let (enterprise, rest) = match strip(ENTERPRISE_USER_SCHEMA) {
        Some(rest) => (true, rest),
        None => (
            false,
            strip(USER_SCHEMA)
                .or_else(|| strip(GROUP_SCHEMA))
                .unwrap_or(s),
        ),
    };
    let bad = || invalid_path(format!("`{s}` is not a path Bulwark understands"));
    let end = rest.find(['[', '.']).unwrap_or(rest.len());
    let attribute = &rest[..end];
    let mut tail = &rest[end..];
    let mut filter = None;
    if let Some(f) = tail.strip_prefix('[') {
        let close = f.find(']').ok_or_else(bad)?;
        filter = Some(parse_filter(&f[..close]).ok_or_else(bad)?);
        tail = &f[close + 1..];
    }
    let sub = match tail.strip_prefix('.') {
        Some(sub) => Some(sub.to_string()),
        None if tail.is_empty() => None,
        None => return Err(bad()),
    };
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '$' || c == '_' || c == '-')
    };
    if !name_ok(attribute) || sub.as_deref().is_some_and(|s| !name_ok(s)) {
        return Err(bad());
    }
    Ok(Path {
        enterprise,
        attribute: attribute.to_string(),
        filter,
        sub,
    })
}

/// `attribute eq <JSON value>`.
fn parse_filter(f: &str) -> Option<(String, Value)> {
    let mut parts = f.trim().splitn(3, char::is_whitespace);
    let (a, op, v) = (parts.next()?, parts.next()?, parts.next()?);
    let v: Value = serde_json::from_str(v.trim()).ok()?;
    (op.eq_ignore_ascii_case("eq") && !v.is_array() && !v.is_object()).then(|| (a.to_string(), v))
}

/// Calls `apply` for the operation's path or, without one, for each attribute of the value object.
fn each_target<F>(op: &Operation<'_>, apply: &mut F) -> Result<(), ScimError>
where
    F: FnMut(&Path, Option<&Value>) -> Result<(), ScimError>,
{
    if let Some(path) = &op.path {
        return apply(path, op.value);
    }
    let value = op
        .value
        .map(|v| object(v, "value without a path"))
        .transpose()?;
    for (key, v) in value.into_iter().flat_map(Map::iter) {
        if READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(key)) {
            continue;
        }
        if key.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA) {
            for (k, v) in object(v, ENTERPRISE_USER_SCHEMA)? {
                apply(&Path::plain(true, k), Some(v))?;
            }
        } else {
            apply(&parse_path(key)?, Some(v))?;
        }
    }
    Ok(())
}

/// The value of an add or replace (checked present when the operations were read).
fn given(value: Option<&Value>) -> &Value {
    value.unwrap_or(&Value::Null)
}

fn apply_user(
    u: &mut ScimUser,
    kind: Kind,
    path: &Path,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let remove = kind == Kind::Remove;
    let v = given(value);
    let no_filter = || {
        if path.filter.is_some() {
            Err(invalid_path(format!("{} takes no filter", path.attribute)))
        } else {
            Ok(())
        }
    };
    let no_sub = || match &path.sub {
        Some(_) => Err(invalid_path(format!(
            "{} has no sub-attribute",
            path.display()
        ))),
        None => no_filter(),
    };
    if path.enterprise {
        if path.is("employeeNumber") {
            no_sub()?;
            u.account.employee_id = if remove {
                None
            } else {
                optional_text(Some(v), "employeeNumber")?
            };
        } else if path.is("manager") {
            no_filter()?;
            if path
                .sub
                .as_deref()
                .is_some_and(|s| !s.eq_ignore_ascii_case("value"))
            {
                return Err(invalid_path(format!(
                    "{} is not an attribute",
                    path.display()
                )));
            }
            u.manager = if remove { None } else { manager(v)? };
        } else if !IGNORED_USER_ATTRIBUTES.iter().any(|a| path.is(a)) {
            return Err(invalid_path(format!(
                "{} is not an enterprise User attribute",
                path.attribute
            )));
        }
        return Ok(());
    }
    if path.is("userName") {
        no_sub()?;
        if remove {
            return Err(ScimError::bad_request(
                "invalidValue",
                "userName is required and cannot be removed",
            ));
        }
        u.account.username = user_name(Some(v))?;
    } else if path.is("displayName") {
        no_sub()?;
        u.account.display_name = if remove {
            String::new()
        } else {
            text(v, "displayName")?
        };
    } else if path.is("externalId") {
        no_sub()?;
        u.external_id = if remove {
            None
        } else {
            optional_text(Some(v), "externalId")?
        };
    } else if path.is("active") {
        no_sub()?;
        if remove {
            return Err(ScimError::bad_request(
                "invalidValue",
                "active cannot be removed; replace it with false to disable the user",
            ));
        }
        u.account.enabled = boolean(v, "active")?;
    } else if path.is("name") {
        no_filter()?;
        match (&path.sub, remove) {
            (None, true) => u.name = Default::default(),
            (None, false) => merge_name(&mut u.name, object(v, "name")?)?,
            (Some(sub), _) => {
                if !NAME_PARTS.iter().any(|p| p.eq_ignore_ascii_case(sub)) {
                    return Err(invalid_path(format!("name.{sub} is not an attribute")));
                }
                let part = if remove { Value::Null } else { v.clone() };
                merge_name(&mut u.name, &Map::from_iter([(sub.clone(), part)]))?;
            }
        }
    } else if path.is("emails") {
        if path
            .sub
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case("value"))
        {
            return Err(invalid_path(format!(
                "{}: only the address (value) is kept",
                path.display()
            )));
        }
        apply_email(u, kind, path, v)?;
    } else if path.is("groups") {
        return Err(ScimError::bad_request(
            "mutability",
            "groups is read-only; change the group's members instead",
        ));
    } else if READ_ONLY.iter().any(|r| path.is(r)) {
        return Err(ScimError::bad_request(
            "mutability",
            format!("{} is read-only", path.attribute),
        ));
    } else if !IGNORED_USER_ATTRIBUTES.iter().any(|a| path.is(a)) {
        return Err(invalid_path(format!(
            "{} is not a User attribute",
            path.attribute
        )));
    }
    Ok(())
}

/// The one email kept: a filter with `value eq` must name it for a remove; other filters
/// (`type eq "work"`, `primary eq true`) address it whatever it is.
fn apply_email(u: &mut ScimUser, kind: Kind, path: &Path, v: &Value) -> Result<(), ScimError> {
    let addressed = match (&path.filter, &u.account.email) {
        (Some((a, want)), Some(have)) if a.eq_ignore_ascii_case("value") => {
            want.as_str().is_some_and(|w| w.eq_ignore_ascii_case(have))
        }
        (_, have) => have.is_some(),
    };
    let single = path.filter.is_some() || path.sub.is_some();
    match kind {
        Kind::Remove if path.filter.is_some() && !addressed => {
            return Err(ScimError::bad_request(
                "noTarget",
                format!("{} matches no email", path.display()),
            ));
        }
        Kind::Remove => u.account.email = None,
        _ if single => {
            // `emails[type eq "work"]` may carry `{"value": …}` rather than the bare address.
            let address = v.as_object().and_then(|o| attr(o, "value")).unwrap_or(v);
            u.account.email = Some(email(Some(address), "emails.value")?);
        }
        // Adding to a list: a new address replaces the kept one only if it is marked primary.
        Kind::Add => match emails(v)? {
            Some((e, primary)) if primary || u.account.email.is_none() => u.account.email = Some(e),
            _ => {}
        },
        Kind::Replace => u.account.email = emails(v)?.map(|(e, _)| e),
    }
    Ok(())
}

fn apply_group(
    g: &mut ScimGroup,
    kind: Kind,
    path: &Path,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let remove = kind == Kind::Remove;
    let v = given(value);
    if path.enterprise || (path.sub.is_some() && !path.is("members")) {
        return Err(invalid_path(format!(
            "{} is not a Group attribute",
            path.display()
        )));
    }
    if path.is("displayName") && path.filter.is_none() {
        if remove {
            return Err(ScimError::bad_request(
                "invalidValue",
                "displayName is required and cannot be removed",
            ));
        }
        g.display_name = optional_text(Some(v), "displayName")?.ok_or_else(|| {
            ScimError::bad_request("invalidValue", "displayName must not be empty")
        })?;
    } else if path.is("externalId") && path.filter.is_none() {
        g.external_id = if remove {
            None
        } else {
            optional_text(Some(v), "externalId")?
        };
    } else if path.is("members") {
        apply_members(g, kind, path, value)?;
    } else if READ_ONLY.iter().any(|r| path.is(r)) {
        return Err(ScimError::bad_request(
            "mutability",
            format!("{} is read-only", path.attribute),
        ));
    } else {
        return Err(invalid_path(format!(
            "{} is not a Group attribute",
            path.display()
        )));
    }
    Ok(())
}

fn apply_members(
    g: &mut ScimGroup,
    kind: Kind,
    path: &Path,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    if path
        .sub
        .as_deref()
        .is_some_and(|s| !s.eq_ignore_ascii_case("value"))
        || (path.sub.is_some() && path.filter.is_none())
    {
        return Err(invalid_path(format!(
            "{}: address members with members[value eq \"id\"]",
            path.display()
        )));
    }
    match (&path.filter, kind) {
        (Some((a, want)), Kind::Remove) if a.eq_ignore_ascii_case("value") => {
            let before = g.members.len();
            g.members
                .retain(|m| Some(m.value.as_str()) != want.as_str());
            if g.members.len() == before {
                return Err(ScimError::bad_request(
                    "noTarget",
                    format!("{} matches no member", path.display()),
                ));
            }
        }
        (Some(_), _) => {
            return Err(invalid_path(format!(
                "{}: only remove takes a members[value eq \"id\"] filter",
                path.display()
            )));
        }
        (None, Kind::Add) => {
            for m in members(given(value))? {
                if !g.members.iter().any(|o| o.value == m.value) {
                    g.members.push(m);
                }
            }
        }
        (None, Kind::Replace) => g.members = members(given(value))?,
        // Entra ID removes members with a value list rather than a filter.
        (None, Kind::Remove) => match value {
            Some(v) => {
                let gone = members(v)?;
                g.members
                    .retain(|m| !gone.iter().any(|x| x.value == m.value));
            }
            None => g.members.clear(),
        },
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::{MemberRef, parse_group, parse_user};
    use serde_json::json;

    fn alice() -> ScimUser {
        parse_user(&json!({
            "schemas": [USER_SCHEMA],
            "userName": "alice",
            "displayName": "Alice Smith",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [{"value": "alice@example.org", "primary": true}],
        }))
        .unwrap()
    }

    fn ops(list: Value) -> Value {
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": list})
    }

    #[test]
    fn deactivation_as_entra_and_okta_send_it() {
        for body in [
            ops(json!([{"op": "Replace", "path": "active", "value": "False"}])),
            ops(json!([{"op": "replace", "value": {"active": false}}])),
            ops(json!([{"op": "replace", "value": {"id": "x", "active": false}}])),
        ] {
            let mut u = alice();
            patch_user(&mut u, &body).unwrap();
            assert!(!u.account.enabled, "{body}");
        }
    }

    #[test]
    fn user_paths() {
        let mut u = alice();
        patch_user(
            &mut u,
            &ops(json!([
                {"op": "replace", "path": "userName", "value": "asmith"},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "A.Smith@Example.org"},
                {"op": "add", "path": "name.familyName", "value": "Smith-Jones"},
                {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "E9"},
                {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"},
                {"op": "add", "path": "title", "value": "Clerk"},
                {"op": "add", "path": "addresses[type eq \"work\"].locality", "value": "Leeds"},
                {"op": "remove", "path": "displayName"},
                {"op": "replace", "value": {"externalId": "x-1", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m-2"}}}},
            ])),
        )
        .unwrap();
        assert_eq!(u.account.username, "asmith");
        assert_eq!(u.account.email.as_deref(), Some("a.smith@example.org"));
        assert_eq!(u.name.family_name.as_deref(), Some("Smith-Jones"));
        assert_eq!(u.name.given_name.as_deref(), Some("Alice"));
        assert_eq!(u.account.employee_id.as_deref(), Some("E9"));
        assert_eq!(u.manager.as_deref(), Some("m-2"));
        assert_eq!(u.external_id.as_deref(), Some("x-1"));
        assert_eq!(u.account.display_name, "");

        patch_user(
            &mut u,
            &ops(json!([
                {"op": "remove", "path": "emails[value eq \"a.smith@example.org\"]"},
                {"op": "remove", "path": "name"},
            ])),
        )
        .unwrap();
        assert_eq!(
            (u.account.email.as_ref(), u.name.given_name.as_ref()),
            (None, None)
        );
        patch_user(
            &mut u,
            &ops(json!([{"op": "add", "path": "emails", "value": [{"value": "x@example.org"}]}])),
        )
        .unwrap();
        assert_eq!(u.account.email.as_deref(), Some("x@example.org"));

        // Paths as keys of a path-less value, as Entra ID sends them.
        let body = ops(json!([{"op": "Replace", "value": {
            "name.givenName": "Al",
            "emails[type eq \"work\"].value": "al@example.org",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "E10",
        }}]));
        patch_user(&mut u, &body).unwrap();
        assert_eq!(u.name.given_name.as_deref(), Some("Al"));
        assert_eq!(u.account.email.as_deref(), Some("al@example.org"));
        assert_eq!(u.account.employee_id.as_deref(), Some("E10"));
    }

    #[test]
    fn user_errors_change_nothing() {
        for body in [json!({"Operations": []}), ops(json!([]))] {
            let e = patch_user(&mut alice(), &body).unwrap_err();
            assert_eq!(e.scim_type, Some("invalidSyntax"), "{body}");
        }
        let cases = [
            (
                json!({"op": "move", "path": "userName", "value": "x"}),
                "invalidSyntax",
            ),
            (json!({"op": "remove"}), "noTarget"),
            (json!({"op": "replace", "path": "userName"}), "invalidValue"),
            (json!({"op": "remove", "path": "userName"}), "invalidValue"),
            (
                json!({"op": "replace", "path": "active", "value": "maybe"}),
                "invalidValue",
            ),
            (
                json!({"op": "replace", "path": "emails[type eq \"work\"].value", "value": "nope"}),
                "invalidValue",
            ),
            (
                json!({"op": "remove", "path": "emails[value eq \"other@example.org\"]"}),
                "noTarget",
            ),
            (
                json!({"op": "add", "path": "groups", "value": [{"value": "g"}]}),
                "mutability",
            ),
            (
                json!({"op": "replace", "path": "id", "value": "x"}),
                "mutability",
            ),
            (
                json!({"op": "replace", "path": "shoeSize", "value": 9}),
                "invalidPath",
            ),
            (
                json!({"op": "replace", "path": "emails[type ne \"work\"].value", "value": "a@b.org"}),
                "invalidPath",
            ),
            (
                json!({"op": "replace", "path": "userName[", "value": "a"}),
                "invalidPath",
            ),
            (
                json!({"op": "replace", "path": "name.middle", "value": "a"}),
                "invalidPath",
            ),
            (
                json!({"op": "replace", "value": {"shoeSize": 9}}),
                "invalidPath",
            ),
            (json!({"op": "replace", "value": "x"}), "invalidSyntax"),
        ];
        for (op, scim_type) in cases {
            let mut u = alice();
            // A valid operation first: it must not survive the failing one.
            let body =
                ops(json!([{"op": "replace", "path": "displayName", "value": "changed"}, op]));
            let e = patch_user(&mut u, &body).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(scim_type)),
                "{op}: {}",
                e.detail
            );
            assert!(e.detail.starts_with("Operations[1]"), "{}", e.detail);
            assert_eq!(u, alice(), "{op}");
        }
    }

    fn finance() -> ScimGroup {
        parse_group(&json!({"schemas": [GROUP_SCHEMA], "displayName": "Finance", "members": [{"value": "u1"}, {"value": "u2"}]})).unwrap()
    }

    fn ids(g: &ScimGroup) -> Vec<&str> {
        g.members.iter().map(|m| m.value.as_str()).collect()
    }

    #[test]
    fn group_members() {
        let mut g = finance();
        patch_group(&mut g, &ops(json!([
            {"op": "Add", "path": "members", "value": [{"value": "u3", "display": "Cy"}, {"value": "u1"}]},
            {"op": "Remove", "path": "members[value eq \"u2\"]"},
        ]))).unwrap();
        assert_eq!(ids(&g), ["u1", "u3"]);
        assert_eq!(
            g.members[1],
            MemberRef {
                value: "u3".into(),
                display: Some("Cy".into())
            }
        );
        patch_group(&mut g, &ops(json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u9"}]}]))).unwrap();
        assert_eq!(ids(&g), ["u3"]);
        patch_group(&mut g, &ops(json!([{"op": "replace", "value": {"displayName": "Payables", "members": [{"value": "u7"}]}}]))).unwrap();
        assert_eq!((g.display_name.as_str(), ids(&g)), ("Payables", vec!["u7"]));
        patch_group(&mut g, &ops(json!([{"op": "remove", "path": "members"}]))).unwrap();
        assert!(g.members.is_empty());
    }

    #[test]
    fn group_errors_change_nothing() {
        let cases = [
            (
                json!([{"op": "remove", "path": "members[value eq \"nobody\"]"}]),
                "noTarget",
            ),
            (
                json!([{"op": "remove", "path": "displayName"}]),
                "invalidValue",
            ),
            (
                json!([{"op": "add", "path": "members", "value": [{"display": "x"}]}]),
                "invalidValue",
            ),
            (
                json!([{"op": "add", "path": "members[value eq \"u1\"]", "value": "x"}]),
                "invalidPath",
            ),
            (
                json!([{"op": "add", "path": "owner", "value": "x"}]),
                "invalidPath",
            ),
            (
                json!([{"op": "replace", "path": "meta", "value": {}}]),
                "mutability",
            ),
        ];
        for (list, scim_type) in cases {
            let mut g = finance();
            let e = patch_group(&mut g, &ops(list.clone())).unwrap_err();
            assert_eq!(e.scim_type, Some(scim_type), "{list}: {}", e.detail);
            assert!(
                e.detail.starts_with("Operations[0]") || scim_type == "invalidSyntax",
                "{}",
                e.detail
            );
            assert_eq!(g, finance());
        }
    }

    #[test]
    fn paths() {
        let p =
            parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value")
                .unwrap();
        assert!(p.enterprise && p.is("manager") && p.sub.as_deref() == Some("value"));
        let p = parse_path("emails[type eq \"work\"].value").unwrap();
        assert_eq!(p.filter, Some(("type".into(), json!("work"))));
        let p = parse_path("urn:ietf:params:scim:schemas:core:2.0:User:userName").unwrap();
        assert!(!p.enterprise && p.is("userName"));
        for bad in ["", "a[b eq]", "a[b eq \"c\"", "a.b.c", "a[b gt 1]", "a]"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
