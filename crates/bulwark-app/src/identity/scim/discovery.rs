//! The SCIM discovery endpoints (RFC 7644 §4): what this server supports, so that providers
//! configure themselves.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use bulwark_identity::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, list_response};
use serde_json::{Value, json};

use super::{Scim, ScimResult, provisioner};
use crate::app::AppState;

/// `GET /scim/v2/ServiceProviderConfig`.
pub async fn service_provider_config(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> ScimResult {
    provisioner(&app, &headers).await?;
    Ok(Scim::Body(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": 1000},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A provisioning token issued for one system in Bulwark",
                "primary": true
            }],
            "meta": {"resourceType": "ServiceProviderConfig"}
        }),
    ))
}

/// `GET /scim/v2/ResourceTypes`.
pub async fn resource_types(State(app): State<AppState>, headers: HeaderMap) -> ScimResult {
    provisioner(&app, &headers).await?;
    let types = vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users",
            "description": "An account on the system",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType"}
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups",
            "description": "A group or entitlement on the system",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType"}
        }),
    ];
    Ok(Scim::Body(StatusCode::OK, list_response(types, 2, 1)))
}

fn attribute(name: &str, kind: &str, required: bool, uniqueness: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": required,
        "caseExact": false, "mutability": "readWrite", "returned": "default",
        "uniqueness": uniqueness
    })
}

/// `GET /scim/v2/Schemas`: the attributes this server keeps.
pub async fn schemas(State(app): State<AppState>, headers: HeaderMap) -> ScimResult {
    provisioner(&app, &headers).await?;
    let schemas = vec![
        json!({
            "id": USER_SCHEMA, "name": "User", "description": "An account",
            "attributes": [
                attribute("userName", "string", true, "server"),
                attribute("displayName", "string", false, "none"),
                attribute("active", "boolean", false, "none"),
                attribute("externalId", "string", false, "none"),
                {"name": "name", "type": "complex", "multiValued": false, "required": false,
                 "subAttributes": [
                    attribute("formatted", "string", false, "none"),
                    attribute("givenName", "string", false, "none"),
                    attribute("familyName", "string", false, "none")]},
                {"name": "emails", "type": "complex", "multiValued": true, "required": false,
                 "subAttributes": [attribute("value", "string", false, "none"),
                                   attribute("primary", "boolean", false, "none")]},
                {"name": "groups", "type": "complex", "multiValued": true, "required": false,
                 "mutability": "readOnly",
                 "subAttributes": [attribute("value", "string", false, "none"),
                                   attribute("display", "string", false, "none")]}
            ],
            "meta": {"resourceType": "Schema"}
        }),
        json!({
            "id": ENTERPRISE_USER_SCHEMA, "name": "EnterpriseUser",
            "description": "Enterprise User extension",
            "attributes": [
                attribute("employeeNumber", "string", false, "none"),
                {"name": "manager", "type": "complex", "multiValued": false, "required": false,
                 "subAttributes": [attribute("value", "string", false, "none")]}
            ],
            "meta": {"resourceType": "Schema"}
        }),
        json!({
            "id": GROUP_SCHEMA, "name": "Group", "description": "A group",
            "attributes": [
                attribute("displayName", "string", true, "server"),
                attribute("externalId", "string", false, "none"),
                {"name": "members", "type": "complex", "multiValued": true, "required": false,
                 "subAttributes": [attribute("value", "string", false, "none"),
                                   attribute("display", "string", false, "none")]}
            ],
            "meta": {"resourceType": "Schema"}
        }),
    ];
    Ok(Scim::Body(StatusCode::OK, list_response(schemas, 3, 1)))
}
