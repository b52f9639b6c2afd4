//! The REST API end to end, on both backends.

mod common;

use bulwark_core::Role;
use common::TestApp;
use serde_json::json;

async fn users_crud_and_audit(app: TestApp) {
    let api = app.api(&app.token_for(Role::Administrator).await);
    let (s, created) = api
        .post(
            "/api/v1/users",
            json!({"email": "Bob@Example.org", "name": "Bob", "role": "staff"}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["email"], "bob@example.org");
    assert!(created["temporary_password"].as_str().unwrap().len() >= 20);
    let id = created["id"].as_str().unwrap().to_string();

    let (s, dup) = api
        .post(
            "/api/v1/users",
            json!({"email": "bob@example.org", "name": "Bob 2", "role": "staff"}),
        )
        .await;
    assert_eq!(s, 409, "{dup}");

    let (s, p) = api
        .patch(&format!("/api/v1/users/{id}"), json!({"role": "auditor"}))
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["role"], "auditor");

    let (s, list) = api
        .get(
            "/api/v1/audit-entries?entity_type=user&entity_id="
                .to_string()
                .as_str(),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let (s, list) = api
        .get(&format!("/api/v1/audit-entries?entity_id={id}"))
        .await;
    assert_eq!(s, 200);
    let actions: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.update", "user.create"]);
    let update = &list["items"][0];
    assert!(update["before"].as_str().unwrap().contains("\"staff\""));
    assert!(update["after"].as_str().unwrap().contains("\"auditor\""));
    assert!(!update["after"].as_str().unwrap().contains("password_hash"));

    let (s, v) = api.get("/api/v1/audit-entries/verification").await;
    assert_eq!(s, 200);
    assert_eq!(v["intact"], true, "{v}");
}
both_backends!(users_crud_and_audit);

async fn bad_input_names_the_field_and_writes_nothing(app: TestApp) {
    let api = app.api(&app.token_for(Role::Administrator).await);
    let before = api.get("/api/v1/audit-entries?limit=500").await.1["items"]
        .as_array()
        .unwrap()
        .len();

    let (s, e) = api
        .post(
            "/api/v1/users",
            json!({"email": "not-an-email", "name": "", "role": "king"}),
        )
        .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "name", "role"]);

    let (s, e) = api
        .post(
            "/api/v1/users",
            json!({"email": "a@b.org", "name": "A", "role": "staff", "admin": true}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert!(e["detail"].as_str().unwrap().contains("admin"), "{e}");

    let (s, e) = api
        .post(
            "/api/v1/users",
            json!({"email": 5, "name": "A", "role": "staff"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"][0]["field"], "email");

    let raw = |body: Vec<u8>| {
        // A fresh client per request: the server may close the connection after a 413.
        let c = reqwest::Client::new()
            .post(format!("{}/api/v1/users", api.url))
            .bearer_auth(&api.token)
            .header("content-type", "application/json")
            .body(body);
        async move {
            let r = c.send().await.unwrap();
            (
                r.status().as_u16(),
                r.headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string()),
                r.text().await.unwrap(),
            )
        }
    };
    let (s, ct, body) = raw(b"{\"email\": ".to_vec()).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    let (s, _, body) = raw(vec![b'{', 0xff, 0xfe, b'}']).await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("UTF-8"));
    let (s, _, _) = raw(vec![b' '; app.config.max_body_bytes + 10]).await;
    assert_eq!(s, 413);

    let (s, e) = api.get("/api/v1/users?limit=100000").await;
    assert_eq!(s, 422);
    assert_eq!(e["errors"][0]["field"], "limit");
    let (s, e) = api.get("/api/v1/users?cursor=garbage").await;
    assert_eq!(s, 422);
    assert_eq!(e["errors"][0]["field"], "cursor");

    let after = api.get("/api/v1/audit-entries?limit=500").await.1["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused request wrote to the audit trail");
}
both_backends!(bad_input_names_the_field_and_writes_nothing);

async fn pagination_walks_everything_once(app: TestApp) {
    let admin = app.token_for(Role::Administrator).await;
    for i in 0..23 {
        app.user(
            &format!("p{i:02}@example.org"),
            Role::Staff,
            "correct horse battery",
        )
        .await;
    }
    let api = app.api(&admin);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=5&sort=email&role=staff&cursor={c}"),
            None => "/api/v1/users?limit=5&sort=email&role=staff".into(),
        };
        let (s, page) = api.get(&path).await;
        assert_eq!(s, 200, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 23);
    assert_eq!(seen, sorted);
    let (_, found) = api.get("/api/v1/users?q=P07").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
}
both_backends!(pagination_walks_everything_once);

async fn tokens_are_shown_once_and_revocable(app: TestApp) {
    let api = app.api(&app.token_for(Role::Staff).await);
    let (s, t) = api
        .post("/api/v1/tokens", json!({"name": "ci", "expires_days": 7}))
        .await;
    assert_eq!(s, 201, "{t}");
    let secret = t["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("bwk_"));
    let (_, list) = api.get("/api/v1/tokens").await;
    assert!(
        !list.to_string().contains(&secret),
        "the secret must not be listed"
    );
    let other = app.api(&secret);
    assert_eq!(other.get("/api/v1/me").await.0, 200);
    let (s, _) = api
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/tokens/{}", t["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(other.get("/api/v1/me").await.0, 401);
    // Expiry follows the injected clock.
    let (_, t2) = api
        .post(
            "/api/v1/tokens",
            json!({"name": "short", "expires_days": 1}),
        )
        .await;
    let short = app.api(t2["secret"].as_str().unwrap());
    assert_eq!(short.get("/api/v1/me").await.0, 200);
    app.clock.advance(86_400 + 1);
    assert_eq!(short.get("/api/v1/me").await.0, 401);
}
both_backends!(tokens_are_shown_once_and_revocable);

async fn wrong_method_is_a_problem_document(app: TestApp) {
    let api = app.api(&app.token_for(Role::Administrator).await);
    let (s, e) = api
        .call(reqwest::Method::PUT, "/api/v1/users", Some(json!({})))
        .await;
    assert_eq!(s, 405);
    assert_eq!(e["status"], 405, "{e}");
}
both_backends!(wrong_method_is_a_problem_document);
