//! The inventory end to end on both backends: assets, dependencies, software imports, devices.

mod common;

use bulwark_core::Role;
use common::{TestApp, shared_data};
use serde_json::{Value, json};

async fn person(api: &common::Api, name: &str, email: &str) -> String {
    let (s, p) = api
        .post(
            "/api/v1/people",
            json!({"name": name, "email": email, "department": "IT"}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    p["id"].as_str().unwrap().to_string()
}

async fn asset(api: &common::Api, body: Value) -> String {
    let (s, a) = api.post("/api/v1/assets", body).await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().unwrap().to_string()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

async fn assets_crud_filters_and_audit(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    person(&api, "Dana Ops", "dana@northwind.example").await;

    // Every problem is reported at once.
    let (s, e) = api
        .post(
            "/api/v1/assets",
            json!({"kind": "toaster", "criticality": 7, "owner": "nobody@x.example", "tags": ["a%b"]}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["name", "kind", "criticality", "tags"] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }

    let crm = asset(
        &api,
        json!({"name": "CRM", "kind": "saas_application", "owner": "Dana@Northwind.example",
               "criticality": 5, "tags": ["sales", "customer data"], "internet_exposed": true,
               "custom_fields": {"contract": "C-123", "seats": 40}}),
    )
    .await;
    for (n, k, c) in [
        ("vm-12", "server", 3),
        ("host-3", "server", 4),
        ("db-2", "data_store", 5),
    ] {
        asset(
            &api,
            json!({"name": n, "kind": k, "criticality": c, "location": "Leeds DC"}),
        )
        .await;
    }
    let (s, dup) = api
        .post("/api/v1/assets", json!({"name": "CRM", "kind": "server"}))
        .await;
    assert_eq!(s, 409, "{dup}");

    let (_, a) = api.get(&format!("/api/v1/assets/{crm}")).await;
    assert_eq!(a["owner"]["email"], "dana@northwind.example");
    assert_eq!(a["custom_fields"]["seats"], 40);
    assert_eq!(a["lifecycle"], "active");

    let (_, p) = api.get("/api/v1/assets?kind=server").await;
    assert_eq!(names(&p), ["host-3", "vm-12"]);
    let (_, p) = api.get("/api/v1/assets?min_criticality=5").await;
    assert_eq!(names(&p), ["CRM", "db-2"]);
    let (_, p) = api.get("/api/v1/assets?tag=sales").await;
    assert_eq!(names(&p), ["CRM"]);
    let (_, p) = api.get("/api/v1/assets?owner=dana@northwind.example").await;
    assert_eq!(names(&p), ["CRM"]);
    let (_, p) = api.get("/api/v1/assets?q=leeds&limit=2").await;
    assert_eq!(names(&p).len(), 2);
    let cursor = p["next_cursor"].as_str().unwrap().to_string();
    let (_, p2) = api
        .get(&format!("/api/v1/assets?q=leeds&limit=2&cursor={cursor}"))
        .await;
    assert_eq!(names(&p2), ["vm-12"]);
    let (s, e) = api.get("/api/v1/assets?kind=toaster").await;
    assert_eq!(s, 422, "{e}");

    // null clears; absent fields stay.
    let (s, a) = api
        .patch(
            &format!("/api/v1/assets/{crm}"),
            json!({"owner": null, "lifecycle": "retired"}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["owner"], Value::Null);
    assert_eq!(a["criticality"], 5);

    let (s, _) = api.delete(&format!("/api/v1/assets/{crm}")).await;
    assert_eq!(s, 204);
    let (s, _) = api.get(&format!("/api/v1/assets/{crm}")).await;
    assert_eq!(s, 404);
    let (_, trail) = api
        .get(&format!("/api/v1/audit-entries?entity_id={crm}"))
        .await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["asset.delete", "asset.update", "asset.create"]);

    // Staff see nothing of the inventory.
    let staff = app.api(&app.token_for(Role::Staff).await);
    assert_eq!(staff.get("/api/v1/assets").await.0, 403);
}
both_backends!(assets_crud_filters_and_audit);

async fn dependencies_refuse_cycles(app: TestApp) {
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    for (n, k) in [
        ("CRM", "business_service"),
        ("vm-12", "server"),
        ("host-3", "server"),
        ("db-2", "data_store"),
    ] {
        asset(&api, json!({"name": n, "kind": k})).await;
    }
    for (f, t, k) in [
        ("CRM", "vm-12", "runs_on"),
        ("vm-12", "host-3", "runs_on"),
        ("CRM", "db-2", "uses"),
    ] {
        let (s, d) = api
            .post(
                "/api/v1/asset-dependencies",
                json!({"from": f, "to": t, "kind": k}),
            )
            .await;
        assert_eq!(s, 201, "{d}");
    }
    let (s, e) = api
        .post(
            "/api/v1/asset-dependencies",
            json!({"from": "host-3", "to": "CRM", "kind": "uses"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        e["detail"],
        "this would create a cycle: CRM → vm-12 → host-3 → CRM"
    );
    let (s, e) = api
        .post(
            "/api/v1/asset-dependencies",
            json!({"from": "CRM", "to": "CRM", "kind": "uses"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = api
        .post(
            "/api/v1/asset-dependencies",
            json!({"from": "CRM", "to": "nope", "kind": "sits_on"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"].as_array().unwrap().len(), 2, "{e}");

    let (_, p) = api.get("/api/v1/assets?q=vm-12").await;
    let vm = p["items"][0]["id"].as_str().unwrap().to_string();
    let (_, n) = api.get(&format!("/api/v1/assets/{vm}/dependencies")).await;
    assert_eq!(n["dependents"][0]["from"]["name"], "CRM");
    assert_eq!(n["depends_on"][0]["to"]["name"], "host-3");
    // From vm-12: CRM depends on it, it depends on host-3; CRM's other dependency is a side branch.
    let (_, g) = api
        .get(&format!("/api/v1/assets/{vm}/dependency-graph?depth=2"))
        .await;
    assert_eq!(g["nodes"].as_array().unwrap().len(), 3, "{g}");
    assert_eq!(g["edges"].as_array().unwrap().len(), 2, "{g}");
    let crm = n["dependents"][0]["from"]["id"].as_str().unwrap();
    let (_, g) = api
        .get(&format!("/api/v1/assets/{crm}/dependency-graph?depth=2"))
        .await;
    assert_eq!(g["nodes"].as_array().unwrap().len(), 4, "{g}");
    assert_eq!(g["edges"].as_array().unwrap().len(), 3, "{g}");

    // The page draws it.
    let token = app.token_for(Role::SecurityOfficer).await;
    let html = app
        .browser()
        .get(format!("{}/inventory/assets/{vm}", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains("host-3"));
}
both_backends!(dependencies_refuse_cycles);

async fn software_imports_real_files(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let files = [
        ("juice-shop.cdx.json", "cyclonedx", 900),
        ("keycloak.cdx.json", "cyclonedx", 800),
        ("container-image-1.6.cdx.json", "cyclonedx", 20),
        ("spdx-example11.spdx.json", "spdx", 3),
        ("postgresql-bitnami.spdx.json", "spdx", 3),
        ("debian-dpkg-status", "dpkg", 700),
        ("requirements-freeze.txt", "pip", 21),
        ("package-lock.json", "npm", 1400),
        ("rust-project.Cargo.lock", "cargo", 600),
    ];
    for (file, format, at_least) in files {
        let id = asset(&api, json!({"name": file, "kind": "server"})).await;
        let body = std::fs::read(shared_data(&format!("sbom/{file}"))).unwrap();
        let (s, o) = api
            .upload(
                &format!("/api/v1/assets/{id}/software-imports?file_name={file}"),
                body,
            )
            .await;
        assert_eq!(s, 201, "{file}: {o}");
        assert_eq!(o["import"]["format"], format, "{file}");
        let n = o["import"]["components"].as_i64().unwrap();
        assert!(n >= at_least, "{file}: {n} components");
        assert_eq!(o["import"]["added"].as_i64().unwrap(), n, "{file}: all new");
        if file == "juice-shop.cdx.json" {
            // 1,115 records, 137 of them repeating one listed before (nested node_modules).
            assert_eq!((n, o["duplicates"].as_i64().unwrap()), (978, 137), "{o}");
        }
    }

    // Re-importing records what changed; a refused file changes nothing.
    let id = asset(&api, json!({"name": "app-server", "kind": "server"})).await;
    let path =
        format!("/api/v1/assets/{id}/software-imports?format=pip&file_name=requirements.txt");
    let (s, o) = api
        .upload(
            &path,
            b"Django==3.2\nrequests==2.19.0\nJinja2==2.10\n".to_vec(),
        )
        .await;
    assert_eq!(s, 201, "{o}");
    let (s, o) = api
        .upload(
            &path,
            b"django==4.2.16\nrequests==2.19.0\nflask==1.0\n".to_vec(),
        )
        .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["changed"], json!(["pypi/django 3.2 → 4.2.16"]));
    assert_eq!(o["added"], json!(["pypi/flask@1.0"]));
    assert_eq!(o["removed"], json!(["pypi/jinja2@2.10"]));
    let (s, e) = api
        .upload(&path, b"django==5.0\nrequests>=2\n# fine\nflask\n".to_vec())
        .await;
    assert_eq!(s, 422, "{e}");
    let lines: Vec<i64> = e["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [2, 4], "{e}");
    let (_, list) = api
        .get(&format!("/api/v1/assets/{id}/software?limit=10"))
        .await;
    let got: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(got, ["django@4.2.16", "flask@1.0", "requests@2.19.0"]);
    let (_, h) = api
        .get(&format!("/api/v1/assets/{id}/software-imports"))
        .await;
    assert_eq!(h.as_array().unwrap().len(), 2);
}
both_backends!(software_imports_real_files);

/// Every component of an asset, in name order.
async fn software(api: &common::Api, id: &str) -> Vec<Value> {
    let (_, list) = api
        .get(&format!("/api/v1/assets/{id}/software?limit=500"))
        .await;
    list["items"].as_array().unwrap().clone()
}

async fn software_reimport_keeps_what_stays(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let id = asset(&api, json!({"name": "build-01", "kind": "server"})).await;
    let path = format!("/api/v1/assets/{id}/software-imports?format=csv&file_name=sw.csv");
    let first = "name,version,ecosystem,cpe\n\
                 lodash,4.17.20,npm,\n\
                 lodash,4.17.21,npm,\n\
                 lodash,4.17.21,npm,\n\
                 openssl,3.0.2,deb,\n\
                 left-pad,1.0.0,npm,\n";
    let (s, o) = api.upload(&path, first.as_bytes().to_vec()).await;
    assert_eq!(s, 201, "{o}");
    assert_eq!(o["import"]["components"], 4, "{o}");
    assert_eq!(o["duplicates"], 1, "{o}");
    let before = software(&api, &id).await;
    let openssl = before
        .iter()
        .find(|c| c["name"] == "openssl")
        .unwrap()
        .clone();

    // A day later: one lodash version goes, openssl gains a CPE, left-pad goes, 250 arrive.
    app.clock.advance(86_400);
    let mut second = String::from(
        "name,version,ecosystem,cpe\n\
         lodash,4.17.21,npm,\n\
         openssl,3.0.2,deb,cpe:2.3:a:openssl:openssl:3.0.2:*:*:*:*:*:*:*\n",
    );
    for i in 0..250 {
        second.push_str(&format!("pkg-{i:03},1.0.{i},npm,\n"));
    }
    let (s, o) = api.upload(&path, second.into_bytes()).await;
    assert_eq!(s, 201, "{o}");
    let i = &o["import"];
    assert_eq!(
        (&i["components"], &i["added"], &i["removed"], &i["changed"]),
        (&json!(252), &json!(250), &json!(1), &json!(1)),
        "{o}"
    );
    assert_eq!(o["duplicates"], 0);
    assert_eq!(
        o["changed"],
        json!(["npm/lodash 4.17.20, 4.17.21 → 4.17.21"])
    );
    assert_eq!(o["removed"], json!(["npm/left-pad@1.0.0"]));
    let added = o["added"].as_array().unwrap();
    assert_eq!(added.len(), 200, "the first LISTED by name");
    assert_eq!(added[0], "npm/pkg-000@1.0.0");
    assert_eq!(added[199], "npm/pkg-199@1.0.199");

    // What stays keeps its id and first sighting; what changed is updated; new ones are new.
    let after = software(&api, &id).await;
    assert_eq!(after.len(), 252);
    let kept = after.iter().find(|c| c["name"] == "openssl").unwrap();
    assert_eq!(kept["id"], openssl["id"]);
    assert_eq!(kept["first_seen"], openssl["first_seen"]);
    assert_eq!(kept["cpe"], "cpe:2.3:a:openssl:openssl:3.0.2:*:*:*:*:*:*:*");
    let new = after.iter().find(|c| c["name"] == "pkg-000").unwrap();
    assert_ne!(new["first_seen"], openssl["first_seen"]);
    assert_eq!(
        after
            .iter()
            .filter(|c| c["name"] == "lodash")
            .map(|c| c["version"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["4.17.21"]
    );

    // A refused file changes nothing, and the scratch table is empty after every import.
    let (s, _) = api
        .upload(&path, b"name,version,ecosystem\nx,,npm\n".to_vec())
        .await;
    assert_eq!(s, 422);
    assert_eq!(software(&api, &id).await, after);
    let mut c = app.state.db.read().await.unwrap();
    let q = sea_query::Query::select()
        .expr(sea_query::Expr::cust("COUNT(*)"))
        .from(sea_query::Alias::new("software_staging"))
        .to_owned();
    let (staged,): (i64,) = c.h().fetch_one(&q).await.unwrap();
    assert_eq!(staged, 0);
}
both_backends!(software_reimport_keeps_what_stays);

async fn device_check_names_what_is_wrong(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    asset(
        &api,
        json!({"name": "phone-17", "kind": "mobile_device", "os_name": "Android", "os_version": "10",
               "encrypted": false, "mdm_enrolled": false, "last_check_in": "2026-01-01",
               "supported_until": "2023-01-01"}),
    )
    .await;
    asset(
        &api,
        json!({"name": "phone-18", "kind": "mobile_device", "encrypted": true, "mdm_enrolled": true,
               "last_check_in": common::start_time().to_db(), "supported_until": "2030-01-01"}),
    )
    .await;
    let (s, r) = api.get("/api/v1/device-check").await;
    assert_eq!(s, 200, "{r}");
    let rows = r.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{r}");
    assert_eq!(rows[0]["asset"]["name"], "phone-17");
    assert_eq!(
        rows[0]["issues"],
        json!(["out_of_support", "unencrypted", "unmanaged", "silent"])
    );
}
both_backends!(device_check_names_what_is_wrong);

/// The names the asset search `q` finds.
async fn found(api: &common::Api, q: &str) -> Vec<String> {
    let mut url = reqwest::Url::parse("http://bulwark/api/v1/assets").unwrap();
    url.query_pairs_mut().append_pair("q", q);
    let (s, page) = api
        .get(&format!("{}?{}", url.path(), url.query().unwrap()))
        .await;
    assert_eq!(s, 200, "{q}: {page}");
    names(&page)
}

/// The text search (a trigram index on SQLite, pg_trgm on PostgreSQL) follows every create,
/// update and delete, in any case, in every searched column, and short or odd text still works.
async fn text_search_follows_every_change(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let (s, a) = api
        .post(
            "/api/v1/assets",
            json!({"name": "Payroll Server", "kind": "server",
                   "description": "Runs the MONTHLY payroll", "location": "Leeds rack 4"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap().to_string();
    api.post(
        "/api/v1/assets",
        json!({"name": "Print server", "kind": "server", "location": "York"}),
    )
    .await;
    let payroll = vec!["Payroll Server".to_string()];
    for q in [
        "payroll",
        "PAYROLL SER",
        "monthly pay",
        "rack 4",
        "ds ra",
        "ee",
    ] {
        assert_eq!(found(&api, q).await, payroll, "{q}");
    }
    assert_eq!(found(&api, "server").await.len(), 2);
    for q in ["xyz", "\"payroll", "pay\"roll", "r*"] {
        assert!(found(&api, q).await.is_empty(), "{q}");
    }
    let (s, b) = api
        .patch(
            &format!("/api/v1/assets/{id}"),
            json!({"name": "Ledger host", "description": "Keeps the ledger"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(found(&api, "payroll").await.is_empty());
    assert_eq!(found(&api, "ledger").await, vec!["Ledger host".to_string()]);
    assert_eq!(found(&api, "leeds").await, vec!["Ledger host".to_string()]);
    let (s, _) = api.delete(&format!("/api/v1/assets/{id}")).await;
    assert!(s == 204 || s == 200, "{s}");
    assert!(found(&api, "ledger").await.is_empty());
    assert_eq!(found(&api, "york").await, vec!["Print server".to_string()]);
}
both_backends!(text_search_follows_every_change);

/// A text in more assets than the text index is asked for is found by walking the list in order;
/// the answer is the same either way.
async fn common_text_is_listed_in_order(app: TestApp) {
    use bulwark_app::inventory::assets::{self, AssetInput, TEXT_CANDIDATES};
    let mut tx = app.state.db.begin().await.unwrap();
    for i in 0..=TEXT_CANDIDATES {
        let input = AssetInput {
            name: Some(format!("bulk-{i:05}")),
            kind: Some("server".into()),
            location: Some(format!("Common Street {}", 1 + i % 2)),
            ..Default::default()
        };
        let now = bulwark_app::platform::clock::Clock::now(&app.clock);
        assets::create(
            &mut tx,
            now,
            &bulwark_app::audit_log::Actor::system(),
            &input,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let api = app.api(&app.token_for(Role::ItManager).await);
    let (s, p) = api.get("/api/v1/assets?q=common%20street&limit=50").await;
    assert_eq!(s, 200, "{p}");
    let want: Vec<String> = (0..50).map(|i| format!("bulk-{i:05}")).collect();
    assert_eq!(names(&p), want);
    let cursor = p["next_cursor"].as_str().unwrap();
    let (_, p) = api
        .get(&format!(
            "/api/v1/assets?q=common%20street&limit=50&cursor={cursor}"
        ))
        .await;
    assert_eq!(names(&p)[0], "bulk-00050");
    let (_, p) = api.get("/api/v1/assets?q=street%202&limit=3").await;
    assert_eq!(names(&p), ["bulk-00001", "bulk-00003", "bulk-00005"]);
    let (_, p) = api.get("/api/v1/assets?q=bulk-01999&limit=50").await;
    assert_eq!(names(&p), ["bulk-01999"]);
}
both_backends!(common_text_is_listed_in_order);

/// Every page of a text search, whatever the filter, order and page size, lists exactly the
/// assets whose name, description or location contain the text, in the list's order: the text
/// index choosing the page from its row ids agrees with reading every asset.
async fn text_search_pages_agree_with_reading_everything(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let kinds = ["server", "laptop", "data_store"];
    for i in 0..90 {
        let (s, p) = api
            .post(
                "/api/v1/assets",
                json!({
                    "name": format!("{}-{:03}", ["Mail", "mail", "Ledger"][i % 3], (i * 37) % 90),
                    "kind": kinds[i % kinds.len()],
                    "description": if i % 4 == 0 { "Holds the MAIL archive" } else { "" },
                    "location": format!("Rack {}", i % 5),
                    "lifecycle": if i % 7 == 0 { "retired" } else { "active" },
                }),
            )
            .await;
        assert_eq!(s, 201, "{p}");
    }
    // Every page of a query, following the cursors.
    async fn all_pages(api: &common::Api, query: &str, limit: usize) -> Vec<(String, String)> {
        let mut got = Vec::new();
        let mut url = format!("/api/v1/assets?{query}&limit={limit}");
        loop {
            let (s, p) = api.get(&url).await;
            assert_eq!(s, 200, "{url}: {p}");
            for a in p["items"].as_array().unwrap() {
                got.push((
                    a["name"].as_str().unwrap().into(),
                    a["id"].as_str().unwrap().into(),
                ));
            }
            match p["next_cursor"].as_str() {
                Some(c) => url = format!("/api/v1/assets?{query}&limit={limit}&cursor={c}"),
                None => return got,
            }
        }
    }
    let (_, everything) = api.get("/api/v1/assets?limit=500").await;
    let everything = everything["items"].as_array().unwrap().clone();
    for (filter, sort) in [
        ("", "name"),
        ("kind=server", "name"),
        ("lifecycle=active", "kind"),
        ("kind=data_store", "updated_at"),
    ] {
        for text in ["mail", "MAIL-0", "rack 3", "ail", "no such text"] {
            let mut want: Vec<&Value> = everything
                .iter()
                .filter(|a| {
                    ["name", "description", "location"].iter().any(|c| {
                        a[c].as_str()
                            .unwrap()
                            .to_lowercase()
                            .contains(&text.to_lowercase())
                    }) && (filter.is_empty() || {
                        let (k, v) = filter.split_once('=').unwrap();
                        a[k].as_str() == Some(v)
                    })
                })
                .collect();
            want.sort_by_key(|a| {
                (
                    a[sort].as_str().unwrap().to_string(),
                    a["id"].as_str().unwrap().to_string(),
                )
            });
            let want: Vec<(String, String)> = want
                .iter()
                .map(|a| {
                    (
                        a["name"].as_str().unwrap().into(),
                        a["id"].as_str().unwrap().into(),
                    )
                })
                .collect();
            let q = format!("{filter}&sort={sort}&q={}", text.replace(' ', "%20"));
            for limit in [7, 50] {
                assert_eq!(
                    all_pages(&api, &q, limit).await,
                    want,
                    "{q}, {limit} a page"
                );
            }
        }
    }
}
both_backends!(text_search_pages_agree_with_reading_everything);
