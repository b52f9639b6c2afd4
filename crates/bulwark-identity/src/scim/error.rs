//! SCIM error responses (RFC 7644 §3.12).

use serde_json::{Value, json};

/// The schema URN of an error response.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A failed SCIM request: the HTTP status, the RFC 7644 `scimType` and a detail for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// HTTP status code (400, 404, 409…).
    pub status: u16,
    /// `invalidFilter`, `invalidSyntax`, `invalidValue`, `invalidPath`, `noTarget`, `mutability`,
    /// `uniqueness` or `tooMany`, when one applies.
    pub scim_type: Option<&'static str>,
    /// What is wrong, naming the attribute or operation.
    pub detail: String,
}

impl ScimError {
    /// A 400 error of a given `scimType`.
    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        ScimError {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// The error response body, `application/scim+json`.
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::from(t);
        }
        body
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl std::error::Error for ScimError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_follows_rfc_7644() {
        let e = ScimError::bad_request("invalidValue", "userName is required");
        assert_eq!(
            e.to_json(),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidValue",
                "detail": "userName is required",
            })
        );
        let e = ScimError {
            status: 404,
            scim_type: None,
            detail: "no such user".into(),
        };
        assert!(e.to_json().get("scimType").is_none());
        assert_eq!(e.to_string(), "404 no such user");
    }
}
