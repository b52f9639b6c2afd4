//! The SCIM 2.0 endpoint on both backends, driven the way identity providers drive it.

mod common;

use bulwark_core::Role;
use common::TestApp;
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A provider's client: the SCIM base URL and a bearer token.
struct Provider {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Provider {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, String) {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            ct,
        )
    }
}

async fn provisioning_users_and_groups(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let (_, hr) = api
        .post(
            "/api/v1/people",
            json!({"name": "Alice Smith", "email": "alice@northwind.example"}),
        )
        .await;
    assert!(hr["id"].is_string());
    let (s, sys) = api
        .post(
            "/api/v1/assets",
            json!({"name": "Slack", "kind": "saas_application"}),
        )
        .await;
    assert_eq!(s, 201);
    let sys = sys["id"].as_str().unwrap().to_string();
    let (s, issued) = api
        .post(&format!("/api/v1/assets/{sys}/scim-tokens"), json!({}))
        .await;
    assert_eq!(s, 201, "{issued}");
    let secret = issued["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("bws_"));
    assert!(issued["base_url"].as_str().unwrap().ends_with("/scim/v2"));
    let idp = Provider {
        base: format!("{}/scim/v2", app.url),
        token: secret.clone(),
        client: reqwest::Client::new(),
    };
    use reqwest::Method as M;

    // Discovery.
    let (s, cfg, ct) = idp.call(M::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("application/scim+json"));
    assert_eq!(cfg["patch"]["supported"], true);

    // Create as Okta does, then find by filter.
    let (s, u, _) = idp
        .call(
            M::POST,
            "/Users",
            Some(json!({
                "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "userName": "alice@northwind.example",
                "name": {"givenName": "Alice", "familyName": "Smith"},
                "emails": [{"value": "alice@northwind.example", "primary": true, "type": "work"}],
                "active": true,
                "externalId": "00u1",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E1"}
            })),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    let uid = u["id"].as_str().unwrap().to_string();
    assert_eq!(u["name"]["familyName"], "Smith");
    assert!(
        u["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{uid}"))
    );
    let (s, dup, _) = idp
        .call(
            M::POST,
            "/Users",
            Some(json!({"schemas": [USER], "userName": "ALICE@northwind.example"})),
        )
        .await;
    assert_eq!(s, 409, "{dup}");
    assert_eq!(dup["scimType"], "uniqueness");
    assert_eq!(dup["schemas"], json!([ERROR]));
    let (s, bad, _) = idp
        .call(
            M::POST,
            "/Users",
            Some(json!({"schemas": ["urn:nope"], "userName": 5})),
        )
        .await;
    assert_eq!(s, 400, "{bad}");
    assert_eq!(bad["schemas"], json!([ERROR]));
    let (s, found, _) = idp
        .call(
            M::GET,
            "/Users?filter=userName%20eq%20%22Alice%40northwind.example%22",
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["id"], uid);
    let (s, bad, _) = idp
        .call(M::GET, "/Users?filter=title%20co%20%22x%22", None)
        .await;
    assert_eq!(s, 400);
    assert_eq!(bad["scimType"], "invalidFilter");

    // A second user and a group with both.
    let (_, bob, _) = idp
        .call(
            M::POST,
            "/Users",
            Some(json!({"schemas": [USER], "userName": "bob", "displayName": "Bob"})),
        )
        .await;
    let bob = bob["id"].as_str().unwrap().to_string();
    let (s, g, _) = idp
        .call(
            M::POST,
            "/Groups",
            Some(
                json!({"schemas": [GROUP], "displayName": "Workspace Admins",
                        "members": [{"value": uid}, {"value": bob}]}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    let (_, a) = api.get(&format!("/api/v1/accounts/{uid}")).await;
    assert_eq!(a["groups"], json!(["Workspace Admins"]));
    assert_eq!(a["source"], "scim");
    let (_, u, _) = idp.call(M::GET, &format!("/Users/{uid}"), None).await;
    assert_eq!(u["groups"][0]["value"], gid);

    // Entra ID style PATCH: remove a member, rename.
    let (s, g, _) = idp
        .call(
            M::PATCH,
            &format!("/Groups/{gid}"),
            Some(json!({"schemas": [PATCH], "Operations": [
                {"op": "remove", "path": format!("members[value eq \"{bob}\"]")},
                {"op": "replace", "value": {"displayName": "Admins"}}
            ]})),
        )
        .await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["displayName"], "Admins");
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    let (_, b) = api.get(&format!("/api/v1/accounts/{bob}")).await;
    assert_eq!(b["groups"], json!([]));
    let (_, a) = api.get(&format!("/api/v1/accounts/{uid}")).await;
    assert_eq!(a["groups"], json!(["Admins"]));
    let (s, _, _) = idp
        .call(M::PATCH, &format!("/Groups/{gid}"), Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": "0190f000-0000-7000-8000-000000000000"}]}
        ]})))
        .await;
    assert_eq!(s, 400);

    // Deactivation, then the findings follow once the scheduled re-evaluation has run.
    let (s, u, _) = idp
        .call(
            M::PATCH,
            &format!("/Users/{bob}"),
            Some(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": false}]})),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["active"], false);
    app.run_jobs().await;
    let (_, a) = api.get(&format!("/api/v1/accounts/{uid}")).await;
    assert_eq!(a["person"]["email"], "alice@northwind.example", "{a}");
    let (_, f) = api.get("/api/v1/identity/findings").await;
    let kinds: Vec<(&str, &str)> = f["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["username"].as_str().unwrap(), f["kind"].as_str().unwrap()))
        .collect();
    // bob is disabled now: nothing; alice is linked: nothing.
    assert!(kinds.is_empty(), "{kinds:?}");

    let (s, _, _) = idp.call(M::DELETE, &format!("/Users/{bob}"), None).await;
    assert_eq!(s, 204);
    let (s, gone, _) = idp.call(M::GET, &format!("/Users/{bob}"), None).await;
    assert_eq!(s, 404);
    assert_eq!(gone["schemas"], json!([ERROR]));
    let (s, _, _) = idp.call(M::DELETE, &format!("/Groups/{gid}"), None).await;
    assert_eq!(s, 204);
    let (_, a) = api.get(&format!("/api/v1/accounts/{uid}")).await;
    assert_eq!(a["groups"], json!([]));

    // Audit trail names the provider.
    let (_, trail) = api
        .get(&format!("/api/v1/audit-entries?entity_id={uid}"))
        .await;
    let actors: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap_or(""))
        .collect();
    assert!(
        actors.iter().all(|a| *a == "scim:Slack"),
        "{actors:?} {trail}"
    );

    // Credentials: none → 401, a user's token → 403, another system's token sees nothing,
    // a revoked token → 401.
    let anon = Provider {
        token: String::new(),
        ..idp_clone(&idp)
    };
    assert_eq!(anon.call(M::GET, "/Users", None).await.0, 401);
    let user_token = Provider {
        token: api.token.clone(),
        ..idp_clone(&idp)
    };
    assert_eq!(user_token.call(M::GET, "/Users", None).await.0, 403);
    let (_, other) = api
        .post(
            "/api/v1/assets",
            json!({"name": "Zoom", "kind": "saas_application"}),
        )
        .await;
    let (_, other_token) = api
        .post(
            &format!(
                "/api/v1/assets/{}/scim-tokens",
                other["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    let zoom = Provider {
        token: other_token["secret"].as_str().unwrap().into(),
        ..idp_clone(&idp)
    };
    assert_eq!(
        zoom.call(M::GET, &format!("/Users/{uid}"), None).await.0,
        404
    );
    let (s, _) = api
        .delete(&format!(
            "/api/v1/scim-tokens/{}",
            issued["token"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 204);
    let (s, e, _) = idp.call(M::GET, "/Users", None).await;
    assert_eq!(s, 401);
    assert_eq!(e["schemas"], json!([ERROR]));
}
both_backends!(provisioning_users_and_groups);

fn idp_clone(p: &Provider) -> Provider {
    Provider {
        base: p.base.clone(),
        token: p.token.clone(),
        client: p.client.clone(),
    }
}
