//! The OpenAPI document and the API's contract: the document matches the committed snapshot
//! (so API changes are deliberate), agrees with the route table, is served with its page, and
//! errors are RFC 9457 problem documents.

mod common;

use std::collections::BTreeSet;

use bulwark_app::platform::http::Surface;
use bulwark_core::Role;
use common::TestApp;
use serde_json::{Value, json};

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");

/// Stands for the package version in the snapshot, so a release does not count as an API change.
const VERSION_PLACEHOLDER: &str = "(CARGO_PKG_VERSION)";

fn document() -> Value {
    serde_json::to_value(bulwark_app::web::openapi::document()).unwrap()
}

#[test]
fn document_matches_the_snapshot() {
    let mut doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Bulwark");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    doc["info"]["version"] = VERSION_PLACEHOLDER.into();
    let actual = serde_json::to_string_pretty(&doc).unwrap() + "\n";

    if std::env::var("BULWARK_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(std::path::Path::new(SNAPSHOT).parent().unwrap()).unwrap();
        std::fs::write(SNAPSHOT, &actual).unwrap();
        eprintln!("updated {SNAPSHOT}");
        return;
    }
    let expected = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if expected == actual {
        return;
    }
    let diff: Vec<String> = expected
        .lines()
        .zip(actual.lines())
        .enumerate()
        .filter(|(_, (e, a))| e != a)
        .take(12)
        .map(|(i, (e, a))| format!("  line {}:\n    - {e}\n    + {a}", i + 1))
        .collect();
    panic!(
        "the OpenAPI document differs from the snapshot {SNAPSHOT} ({} vs {} lines){}{}\n\n\
         If the API change is deliberate, update the snapshot and commit it:\n\
         \n    BULWARK_UPDATE_SNAPSHOTS=1 cargo nextest run -p bulwark-app --test openapi\n",
        expected.lines().count(),
        actual.lines().count(),
        if diff.is_empty() {
            ""
        } else {
            "; first differences:\n"
        },
        diff.join("\n"),
    );
}

#[test]
fn document_and_route_table_agree() {
    let doc = document();
    let (_, specs) = bulwark_app::platform::http::routes().into_parts();
    let routed: BTreeSet<(String, String)> = specs
        .iter()
        .filter(|s| s.path.starts_with("/api/v1/"))
        .map(|s| (s.method.as_str().to_lowercase(), s.path.to_string()))
        .collect();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert((method.to_string(), path.clone()));
            }
        }
    }
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented
        .iter()
        .filter(|(_, p)| p.starts_with("/api/v1/"))
        .filter(|k| !routed.contains(*k))
        .collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "routes without an OpenAPI operation (add `#[utoipa::path]` and list the handler in \
         web/openapi.rs): {undocumented:?}\ndocumented operations without a route: {unrouted:?}"
    );
    assert!(!routed.is_empty());
    for s in &specs {
        if s.path.starts_with("/api/") {
            assert_eq!(s.surface, Surface::Api, "{} {}", s.method, s.path);
        }
    }
}

#[test]
fn every_operation_is_complete() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}: no summary (doc comment)"
            );
            assert!(op["tags"][0].is_string(), "{at}: no tag");
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(
                ids.insert(id.clone()),
                "{at}: operationId {id:?} is not unique"
            );
            assert!(
                op["x-bulwark-roles"].is_array(),
                "{at}: not in the route table"
            );
            for (status, r) in op["responses"].as_object().unwrap() {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{at} {status}: no description"
                );
                if status.as_str() >= "400" {
                    assert_eq!(
                        r["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{at} {status}: errors are problem documents"
                    );
                }
            }
            if op["x-bulwark-access"] != "public" {
                for status in ["401", "403"] {
                    assert!(op["responses"][status].is_object(), "{at}: no {status}");
                }
            }
        }
    }
    // Every reference resolves; every path parameter is in the path, every other is not required
    // unless it must be.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(&r);
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} does not resolve: list the type in components(schemas(…)) in web/openapi.rs"
        );
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    p["in"] == "path",
                    in_path,
                    "{method} {path}: parameter {name} is `in: {}`",
                    p["in"]
                );
            }
        }
    }
    let schemes = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(schemes["type"], "http");
    assert_eq!(schemes["scheme"], "bearer");
    assert_eq!(doc["security"], json!([{"bearer": []}]));
    assert_eq!(doc["servers"][0]["url"], "/");
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Asserts that a response is a problem document with the given status.
async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "{}", res.url());
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    let body: Value = res.json().await.unwrap();
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "{body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    body
}

async fn served_and_contract(app: TestApp) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = |p: &str| format!("{}{p}", app.url);

    // The document, served without credentials, equals the generated one.
    let res = client.get(url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let served: Value = res.json().await.unwrap();
    assert_eq!(served, document());

    // The page: every operation and schema, nothing that CSP would block.
    let res = client.get(url("/api/docs")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.headers().contains_key("content-security-policy"));
    let page = res.text().await.unwrap();
    for path in served["paths"].as_object().unwrap().keys() {
        assert!(page.contains(&format!("{path}</code>")), "{path} missing");
    }
    for name in served["components"]["schemas"].as_object().unwrap().keys() {
        assert!(page.contains(&format!(">{name}</code>")), "{name} missing");
    }
    assert!(page.contains("rel=\"stylesheet\" href=\"/assets/bulwark.css"));
    assert!(!page.contains("<script"));
    assert!(!page.contains("<style"));
    assert!(!page.contains(" style="));

    // 401: problem document with a Bearer challenge, for a missing or a wrong token.
    let res = client.get(url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    problem(res, 401).await;
    let res = client
        .get(url("/api/v1/me"))
        .bearer_auth("bwk_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    problem(res, 401).await;
    let res = client
        .get(url("/api/v1/me"))
        .header("authorization", "Basic dXNlcjpwdw==")
        .send()
        .await
        .unwrap();
    problem(res, 401).await;

    // 403 for a role without the permission.
    let staff = app.token_for(Role::Staff).await;
    let res = client
        .get(url("/api/v1/settings"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    let body = problem(res, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("Staff"), "{body}");

    // 404 for unknown API paths, signed in or not, and for unknown records.
    let admin = app.token_for(Role::Administrator).await;
    for token in [None, Some(&admin)] {
        for path in [
            "/api/v1/no-such-thing",
            "/api/nothing",
            "/api/v1/users/x/y/z",
        ] {
            let mut req = client.get(url(path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            problem(req.send().await.unwrap(), 404).await;
        }
    }
    let res = client
        .get(url("/api/v1/users/0190f000-0000-7000-8000-000000000000"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    problem(res, 404).await;

    // 400 for unreadable bodies, 422 naming fields for wrong ones.
    let res = client
        .post(url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
    let res = client
        .post(url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"name": 7}))
        .send()
        .await
        .unwrap();
    let body = problem(res, 422).await;
    assert_eq!(body["errors"][0]["field"], "name", "{body}");
    let res = client
        .get(url("/api/v1/audit-entries?colour=blue"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let body = problem(res, 422).await;
    assert!(
        body["detail"].as_str().unwrap().contains("colour"),
        "{body}"
    );
}
both_backends!(served_and_contract);
