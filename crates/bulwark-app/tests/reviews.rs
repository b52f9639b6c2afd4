//! Access-review campaigns end to end on both backends: launch and the frozen snapshot,
//! reviewer resolution, decisions and who may make them, multi-stage strategies, tasks and their
//! verification by imports, reminders and escalation, the evidence pack, the audit trail.

mod common;

use bulwark_app::audit_log::Actor;
use bulwark_app::identity::reviews;
use bulwark_app::platform::clock::Clock;
use bulwark_app::platform::mail::Mail;
use bulwark_core::{Access, Area, Permission, Role, Timestamp};
use common::{Api, TestApp};
use sea_query::{Alias, Expr, ExprTrait, Query};
use serde_json::{Value, json};

async fn person(api: &Api, name: &str, email: &str, manager: Option<&str>) -> String {
    let (s, p) = api
        .post(
            "/api/v1/people",
            json!({"name": name, "email": email, "department": "Sales", "manager_email": manager}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    p["id"].as_str().unwrap().to_string()
}

async fn system(api: &Api, name: &str, owner: Option<&str>) -> String {
    let (s, a) = api
        .post(
            "/api/v1/assets",
            json!({"name": name, "kind": "saas_application", "owner": owner}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().unwrap().to_string()
}

/// Inserts an account row the way an import would (no accounts API exists yet).
async fn account(
    app: &TestApp,
    system_id: &str,
    username: &str,
    display_name: &str,
    person_id: Option<&str>,
    privileged: bool,
) -> String {
    let now = app.clock.now();
    let id = bulwark_app::platform::ids::new_id(now);
    let cols = [
        "id",
        "system_id",
        "username",
        "username_key",
        "email",
        "display_name",
        "privileged",
        "mfa",
        "last_login",
        "groups",
        "enabled",
        "person_id",
        "kind",
        "source",
        "first_seen",
        "created_at",
        "updated_at",
    ];
    let q = Query::insert()
        .into_table(Alias::new("accounts"))
        .columns(cols.map(Alias::new))
        .values_panic([
            id.clone().into(),
            system_id.into(),
            username.into(),
            username.to_lowercase().into(),
            None::<String>.into(),
            display_name.into(),
            privileged.into(),
            false.into(),
            None::<String>.into(),
            "[\"users\"]".into(),
            true.into(),
            person_id.map(String::from).into(),
            if person_id.is_some() {
                "human"
            } else {
                "service"
            }
            .into(),
            "csv".into(),
            now.to_db().into(),
            now.to_db().into(),
            now.to_db().into(),
        ])
        .to_owned();
    let mut tx = app.state.db.begin().await.unwrap();
    tx.h().execute(&q).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Changes columns of an account row (as a later import would).
async fn change_account(app: &TestApp, id: &str, set: &[(&str, sea_query::Value)]) {
    let mut q = Query::update();
    q.table(Alias::new("accounts"))
        .and_where(Expr::col(Alias::new("id")).eq(id));
    for (c, v) in set {
        q.value(Alias::new(*c), v.clone());
    }
    let mut tx = app.state.db.begin().await.unwrap();
    tx.h().execute(&q).await.unwrap();
    tx.commit().await.unwrap();
}

/// A user with a given email and an API client for them.
async fn user_api(app: &TestApp, email: &str, role: Role) -> Api {
    app.api(&app.token_as(email, role).await)
}

/// Queued or sent mail, oldest first.
async fn mails(app: &TestApp) -> Vec<Mail> {
    let mut jobs = bulwark_app::platform::jobs::recent(&app.state.db, 1000)
        .await
        .unwrap();
    jobs.reverse();
    jobs.into_iter()
        .filter(|j| j.kind == "mail.send")
        .map(|j| serde_json::from_str(&j.payload).unwrap())
        .collect()
}

fn by_user(items: &Value) -> std::collections::BTreeMap<String, Value> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                format!(
                    "{}@{}",
                    i["username"].as_str().unwrap(),
                    i["system_name"].as_str().unwrap()
                ),
                i.clone(),
            )
        })
        .collect()
}

/// With the SMTP sink of `scripts/test.sh` (`BULWARK_TEST_MAILDIR`), checks that a message with
/// this subject was delivered over SMTP once the mail jobs ran.
async fn delivered(app: &TestApp, subject: &str) {
    let Ok(dir) = std::env::var("BULWARK_TEST_MAILDIR") else {
        return;
    };
    app.run_jobs().await;
    let want = format!("Subject: {subject}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        for e in std::fs::read_dir(std::path::Path::new(&dir).join("new")).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap_or_default();
            if text.contains(&want) {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no delivered message with {want:?} in {dir}");
}

/// The organisation every test starts from.
struct Org {
    mgr: Api,
    crm: String,
    legacy: String,
    alice_crm: String,
    bob_crm: String,
}

async fn org(app: &TestApp) -> Org {
    let mgr = user_api(app, "ivy@corp.example", Role::ItManager).await;
    person(&mgr, "Mark Manager", "mark@corp.example", None).await;
    person(&mgr, "Olivia Owner", "olivia@corp.example", None).await;
    person(&mgr, "Fiona Fallback", "fiona@corp.example", None).await;
    let alice = person(
        &mgr,
        "Alice",
        "alice@corp.example",
        Some("mark@corp.example"),
    )
    .await;
    let bob = person(&mgr, "Bob", "bob@corp.example", None).await;
    let olivia = mgr.get("/api/v1/people?q=olivia").await.1["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let crm = system(&mgr, "CRM", Some("olivia@corp.example")).await;
    let legacy = system(&mgr, "Legacy", None).await;
    let alice_crm = account(app, &crm, "alice", "Alice A.", Some(&alice), true).await;
    let bob_crm = account(app, &crm, "bob", "Bob B.", Some(&bob), false).await;
    account(
        app,
        &crm,
        "svc-backup",
        "=HYPERLINK(\"http://evil.example\")",
        None,
        true,
    )
    .await;
    account(app, &crm, "olivia", "Olivia O.", Some(&olivia), true).await;
    account(app, &legacy, "alice2", "Alice A.", Some(&alice), false).await;
    account(app, &legacy, "orphan", "Nobody", None, false).await;
    Org {
        mgr,
        crm,
        legacy,
        alice_crm,
        bob_crm,
    }
}

async fn launch(o: &Org, body: Value) -> Value {
    let (s, c) = o.mgr.post("/api/v1/access-reviews", body).await;
    assert_eq!(s, 201, "{c}");
    c
}

async fn items(api: &Api, cid: &str) -> std::collections::BTreeMap<String, Value> {
    let (s, p) = api
        .get(&format!("/api/v1/access-reviews/{cid}/items?limit=500"))
        .await;
    assert_eq!(s, 200, "{p}");
    by_user(&p["items"])
}

async fn decide(api: &Api, ids: &[&Value], decision: &str, why: &str) -> (u16, Value) {
    api.post(
        "/api/v1/access-review-decisions",
        json!({"item_ids": ids.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
               "decision": decision, "justification": why}),
    )
    .await
}

async fn launch_snapshot_reviewers_and_decisions(app: TestApp) {
    let o = org(&app).await;

    // Every problem at once.
    let (s, e) = o
        .mgr
        .post(
            "/api/v1/access-reviews",
            json!({"system_ids": ["nope"], "stages": ["boss", "manager", "manager", "manager"],
                   "deadline": "2026-03-01", "fallback_reviewer": "ghost@corp.example",
                   "strategy": "vote"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in [
        "name",
        "deadline",
        "stages",
        "stages[0]",
        "strategy",
        "system_ids[0]",
        "fallback_reviewer",
    ] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    // A system without accounts has nothing to review.
    let empty = system(&o.mgr, "Empty", None).await;
    let (s, e) = o
        .mgr
        .post(
            "/api/v1/access-reviews",
            json!({"name": "Q1", "system_ids": [empty], "stages": ["manager"],
                   "deadline": "2026-03-20", "fallback_reviewer": "fiona@corp.example"}),
        )
        .await;
    assert_eq!(
        (s, e["errors"][0]["field"].as_str()),
        (422, Some("system_ids")),
        "{e}"
    );

    let c = launch(
        &o,
        json!({"name": "Q1 review", "system_ids": [o.crm, o.legacy], "stages": ["manager"],
               "deadline": "2026-03-20", "fallback_reviewer": "fiona@corp.example"}),
    )
    .await;
    let cid = c["id"].as_str().unwrap();
    assert_eq!(c["status"], "active");
    assert_eq!(c["strategy"], "any_deny_denies");
    let all = items(&o.mgr, cid).await;
    let reviewer = |k: &str| all[k]["reviewer"].as_str().unwrap().to_string();
    assert_eq!(all.len(), 6);
    // The manager; without one the system owner; nobody reviews themselves; else the fallback.
    assert_eq!(reviewer("alice@CRM"), "mark@corp.example");
    assert_eq!(reviewer("alice2@Legacy"), "mark@corp.example");
    assert_eq!(reviewer("bob@CRM"), "olivia@corp.example");
    assert_eq!(reviewer("svc-backup@CRM"), "olivia@corp.example");
    assert_eq!(reviewer("olivia@CRM"), "fiona@corp.example");
    assert_eq!(reviewer("orphan@Legacy"), "fiona@corp.example");
    // One announcement per reviewer.
    let sent = mails(&app).await;
    let mut to: Vec<&str> = sent.iter().map(|m| m.to.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "fiona@corp.example",
            "mark@corp.example",
            "olivia@corp.example"
        ]
    );
    assert!(sent.iter().any(|m| m.to == "mark@corp.example"
        && m.subject.contains("2 to review")
        && m.body.contains("CRM, Legacy")));

    // The snapshot is frozen: later account changes leave the items alone; a removed account
    // leaves its item with no live account.
    change_account(
        &app,
        &o.alice_crm,
        &[
            ("display_name", "Changed".into()),
            ("privileged", false.into()),
        ],
    )
    .await;
    let mut tx = app.state.db.begin().await.unwrap();
    tx.h()
        .execute(
            Query::delete()
                .from_table(Alias::new("accounts"))
                .and_where(Expr::col(Alias::new("id")).eq(o.bob_crm.as_str())),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let all = items(&o.mgr, cid).await;
    assert_eq!(all["alice@CRM"]["display_name"], "Alice A.");
    assert_eq!(all["alice@CRM"]["privileged"], true);
    assert_eq!(all["bob@CRM"]["account_id"], Value::Null);
    assert_eq!(all["bob@CRM"]["display_name"], "Bob B.");

    // Reviewers sign in as users with their email.
    let mark = user_api(&app, "mark@corp.example", Role::Staff).await;
    let olivia = user_api(&app, "olivia@corp.example", Role::Staff).await;
    let stranger = user_api(&app, "stan@corp.example", Role::Staff).await;
    let auditor = user_api(&app, "audrey@corp.example", Role::Auditor).await;

    // Staff see their own queue and nothing else of identity.
    let (s, q) = mark.get("/api/v1/my/access-reviews").await;
    assert_eq!(s, 200);
    assert_eq!(
        by_user(&q["items"]).keys().collect::<Vec<_>>(),
        ["alice2@Legacy", "alice@CRM"]
    );
    let (_, q) = stranger.get("/api/v1/my/access-reviews").await;
    assert_eq!(q["items"], json!([]));
    for path in [
        "/api/v1/access-reviews".to_string(),
        format!("/api/v1/access-reviews/{cid}/items"),
        format!("/api/v1/access-reviews/{cid}/progress"),
        format!("/api/v1/access-reviews/{cid}/evidence.csv"),
        "/api/v1/access-review-tasks".into(),
        "/api/v1/people".into(),
    ] {
        assert_eq!(mark.get(&path).await.0, 403, "{path}");
    }

    // Only the reviewer decides; the auditor reads but does not decide for others either.
    let (s, e) = decide(&stranger, &[&all["alice@CRM"]], "keep", "").await;
    assert_eq!(s, 403, "{e}");
    let (s, _) = decide(&auditor, &[&all["alice@CRM"]], "keep", "").await;
    assert_eq!(s, 403);
    // Revoke and modify need a reason; every problem is named.
    let (s, e) = decide(&olivia, &[&all["bob@CRM"]], "revoke", "  ").await;
    assert_eq!(
        (s, e["errors"][0]["field"].as_str()),
        (422, Some("justification")),
        "{e}"
    );
    let (s, e) = olivia
        .post(
            "/api/v1/access-review-decisions",
            json!({"item_ids": [], "decision": "approve"}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(e["errors"].as_array().unwrap().len(), 2, "{e}");
    // Bulk: all or nothing.
    let (s, _) = decide(&mark, &[&all["alice@CRM"], &all["bob@CRM"]], "keep", "").await;
    assert_eq!(s, 403);
    let (s, d) = decide(
        &mark,
        &[&all["alice@CRM"], &all["alice2@Legacy"]],
        "keep",
        "still in sales",
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d[0]["outcome"], "kept");
    assert_eq!(d[1]["decisions"][0]["decided_by"], "mark@corp.example");
    let (s, d) = decide(&olivia, &[&all["bob@CRM"]], "revoke", "-left in January").await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d[0]["outcome"], "revoked");
    let (s, _) = decide(&olivia, &[&all["bob@CRM"]], "keep", "").await;
    assert_eq!(s, 409);
    // An identity manager may decide on the reviewer's behalf, recorded as such.
    let (s, d) = decide(
        &o.mgr,
        &[&all["orphan@Legacy"]],
        "modify",
        "=drop admin group",
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d[0]["decisions"][0]["on_behalf"], true);
    assert_eq!(d[0]["decisions"][0]["decided_by"], "ivy@corp.example");

    // Tasks follow revoke and modify outcomes.
    let (_, t) = o
        .mgr
        .get(&format!("/api/v1/access-review-tasks?campaign_id={cid}"))
        .await;
    let tasks = t["items"].as_array().unwrap();
    let mut kinds: Vec<(&str, &str, &str)> = tasks
        .iter()
        .map(|t| {
            (
                t["username"].as_str().unwrap(),
                t["kind"].as_str().unwrap(),
                t["assignee"].as_str().unwrap(),
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("bob", "revoke", "olivia@corp.example"),
            ("orphan", "modify", "fiona@corp.example")
        ]
    );

    // Progress.
    let (s, p) = o
        .mgr
        .get(&format!("/api/v1/access-reviews/{cid}/progress"))
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        (
            &p["items"],
            &p["kept"],
            &p["revoked"],
            &p["modified"],
            &p["open_tasks"]
        ),
        (&json!(6), &json!(2), &json!(1), &json!(1), &json!(2))
    );
    assert_eq!(
        p["totals"],
        json!({"decided": 4, "pending": 2, "overdue": 0})
    );
    let olivia_line = p["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "olivia@corp.example")
        .unwrap();
    assert_eq!(
        (&olivia_line["decided"], &olivia_line["pending"]),
        (&json!(1), &json!(1))
    );

    // Filters.
    let (_, f) = o
        .mgr
        .get(&format!(
            "/api/v1/access-reviews/{cid}/items?status=pending&reviewer=Olivia@corp.example"
        ))
        .await;
    assert_eq!(
        by_user(&f["items"]).keys().collect::<Vec<_>>(),
        ["svc-backup@CRM"]
    );
    let (_, f) = o
        .mgr
        .get(&format!("/api/v1/access-reviews/{cid}/items?limit=4"))
        .await;
    let cursor = f["next_cursor"].as_str().unwrap();
    let (_, f2) = o
        .mgr
        .get(&format!(
            "/api/v1/access-reviews/{cid}/items?limit=4&cursor={cursor}"
        ))
        .await;
    assert_eq!(f2["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        o.mgr
            .get(&format!("/api/v1/access-reviews/{cid}/items?status=maybe"))
            .await
            .0,
        422
    );

    // Closing empties the queues; nothing more can be decided.
    let (s, closed) = o
        .mgr
        .post(&format!("/api/v1/access-reviews/{cid}/close"), json!({}))
        .await;
    assert_eq!((s, closed["status"].as_str()), (200, Some("closed")));
    let (_, q) = olivia.get("/api/v1/my/access-reviews").await;
    assert_eq!(q["items"], json!([]));
    let (s, _) = decide(&o.mgr, &[&all["svc-backup@CRM"]], "keep", "").await;
    assert_eq!(s, 409);

    // Every change is in the audit trail.
    let (_, trail) = o
        .mgr
        .get(&format!("/api/v1/audit-entries?entity_id={cid}"))
        .await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["access_review.close", "access_review.launch"]);
    let bob_item = all["bob@CRM"]["id"].as_str().unwrap();
    let (_, trail) = o
        .mgr
        .get(&format!("/api/v1/audit-entries?entity_id={bob_item}"))
        .await;
    assert_eq!(trail["items"][0]["action"], "access_review.decide");
    assert_eq!(trail["items"][0]["actor"], "olivia@corp.example");
}
both_backends!(launch_snapshot_reviewers_and_decisions);

async fn stages_settle_by_strategy(app: TestApp) {
    let o = org(&app).await;
    let olivia = user_api(&app, "olivia@corp.example", Role::Staff).await;
    let mark = user_api(&app, "mark@corp.example", Role::Staff).await;
    // One deny denies: a modify goes on to the next stage and ends modified; a later revoke wins.
    let any = launch(
        &o,
        json!({"name": "Two stages", "system_ids": [o.crm], "privileged_only": true,
               "stages": ["system_owner", "manager"], "deadline": "2026-04-01",
               "fallback_reviewer": "fiona@corp.example"}),
    )
    .await;
    let all = items(&o.mgr, any["id"].as_str().unwrap()).await;
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        ["alice@CRM", "olivia@CRM", "svc-backup@CRM"],
        "privileged only"
    );
    assert_eq!(
        all["alice@CRM"]["reviewers"],
        json!(["olivia@corp.example", "mark@corp.example"])
    );
    let (s, d) = decide(
        &olivia,
        &[&all["alice@CRM"]],
        "modify",
        "read-only is enough",
    )
    .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(
        (&d[0]["outcome"], &d[0]["stage"], &d[0]["reviewer"]),
        (&Value::Null, &json!(2), &json!("mark@corp.example"))
    );
    // The first-stage reviewer cannot decide the second stage.
    assert_eq!(
        decide(&olivia, &[&all["alice@CRM"]], "keep", "").await.0,
        403
    );
    let (_, d) = decide(&mark, &[&all["alice@CRM"]], "keep", "").await;
    assert_eq!(
        (&d[0]["outcome"], &d[0]["stage"]),
        (&json!("modified"), &json!(2))
    );
    let (_, d) = decide(&olivia, &[&all["svc-backup@CRM"]], "revoke", "unused").await;
    assert_eq!(
        (&d[0]["outcome"], &d[0]["stage"]),
        (&json!("revoked"), &json!(1))
    );

    // All must accept: the first modify settles at once.
    let every = launch(
        &o,
        json!({"name": "Strict", "system_ids": [o.crm], "stages": ["system_owner", "fiona@corp.example"],
               "strategy": "all_must_accept", "deadline": "2026-04-01",
               "fallback_reviewer": "fiona@corp.example"}),
    )
    .await;
    let all = items(&o.mgr, every["id"].as_str().unwrap()).await;
    assert_eq!(
        all["bob@CRM"]["reviewers"],
        json!(["olivia@corp.example", "fiona@corp.example"])
    );
    let (_, d) = decide(&olivia, &[&all["bob@CRM"]], "modify", "too many groups").await;
    assert_eq!(
        (&d[0]["outcome"], &d[0]["stage"]),
        (&json!("modified"), &json!(1))
    );
    let (_, d) = decide(&olivia, &[&all["alice@CRM"]], "keep", "").await;
    assert_eq!(
        (&d[0]["outcome"], &d[0]["reviewer"]),
        (&Value::Null, &json!("fiona@corp.example"))
    );
    let (_, d) = decide(&o.mgr, &[&all["alice@CRM"]], "keep", "").await;
    assert_eq!(d[0]["outcome"], "kept");
}
both_backends!(stages_settle_by_strategy);

async fn tasks_are_verified_by_the_next_import(app: TestApp) {
    let o = org(&app).await;
    let c = launch(
        &o,
        json!({"name": "Q1", "system_ids": [o.crm], "stages": ["system_owner"],
               "deadline": "2026-03-20", "fallback_reviewer": "fiona@corp.example"}),
    )
    .await;
    let all = items(&o.mgr, c["id"].as_str().unwrap()).await;
    let (s, _) = decide(
        &o.mgr,
        &[&all["bob@CRM"], &all["alice@CRM"]],
        "revoke",
        "left",
    )
    .await;
    assert_eq!(s, 200);
    let (_, t) = o.mgr.get("/api/v1/access-review-tasks?status=open").await;
    let tasks = by_user_tasks(&t);
    let (bob_task, alice_task) = (&tasks["bob"], &tasks["alice"]);

    let (s, e) = o
        .mgr
        .post(
            &format!("/api/v1/access-review-tasks/{bob_task}/done"),
            json!({"note": " "}),
        )
        .await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (422, Some("note")));
    let (s, done) = o
        .mgr
        .post(
            &format!("/api/v1/access-review-tasks/{bob_task}/done"),
            json!({"note": "removed in the CRM admin"}),
        )
        .await;
    assert_eq!((s, done["status"].as_str()), (200, Some("done")), "{done}");
    assert_eq!(
        o.mgr
            .post(
                &format!("/api/v1/access-review-tasks/{bob_task}/done"),
                json!({"note": "again"})
            )
            .await
            .0,
        409
    );

    // The import still shows bob, enabled: the done task reopens; alice's open task stays open.
    let verify = |app: &TestApp| {
        let s = app.state.clone();
        let crm = o.crm.clone();
        async move {
            let mut tx = s.db.begin().await.unwrap();
            reviews::verify_revocations(&mut tx, s.clock.now(), &Actor::system(), &crm)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    verify(&app).await;
    let status = |t: &Value, id: &str| {
        t["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .map(|x| {
                (
                    x["status"].as_str().unwrap().to_string(),
                    x["notes"].as_str().unwrap().to_string(),
                )
            })
            .unwrap()
    };
    let (_, t) = o.mgr.get("/api/v1/access-review-tasks").await;
    let (st, notes) = status(&t, bob_task);
    assert_eq!(st, "reopened");
    assert!(
        notes.contains("removed in the CRM admin") && notes.contains("still shows"),
        "{notes}"
    );
    assert_eq!(status(&t, alice_task).0, "open");

    // Bob is disabled, alice gone: both verified.
    change_account(&app, &o.bob_crm, &[("enabled", false.into())]).await;
    let mut tx = app.state.db.begin().await.unwrap();
    tx.h()
        .execute(
            Query::delete()
                .from_table(Alias::new("accounts"))
                .and_where(Expr::col(Alias::new("id")).eq(o.alice_crm.as_str())),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    verify(&app).await;
    let (_, t) = o
        .mgr
        .get("/api/v1/access-review-tasks?status=verified")
        .await;
    assert_eq!(t["items"].as_array().unwrap().len(), 2, "{t}");
    assert!(t["items"][0]["verified_at"].is_string());
    let (_, trail) = o
        .mgr
        .get(&format!("/api/v1/audit-entries?entity_id={bob_task}"))
        .await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "access_review_task.verify",
            "access_review_task.reopen",
            "access_review_task.done",
            "access_review_task.create"
        ]
    );
}
both_backends!(tasks_are_verified_by_the_next_import);

fn by_user_tasks(t: &Value) -> std::collections::BTreeMap<String, String> {
    t["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["username"].as_str().unwrap().to_string(),
                x["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Sets the test clock to a UTC time.
fn set_clock(app: &TestApp, to: &str) {
    let target = Timestamp::parse(to).unwrap();
    app.clock.advance(target.unix() - app.clock.now().unix());
}

async fn reminders_and_escalation_are_sent_once_a_day(app: TestApp) {
    let o = org(&app).await;
    let c = launch(
        &o,
        json!({"name": "Q1", "system_ids": [o.crm, o.legacy], "stages": ["manager"],
               "deadline": "2026-03-20", "remind_days_before": 3,
               "fallback_reviewer": "fiona@corp.example"}),
    )
    .await;
    let cid = c["id"].as_str().unwrap().to_string();
    let all = items(&o.mgr, &cid).await;
    // Mark has decided; Olivia and Fiona have not.
    let mark = user_api(&app, "mark@corp.example", Role::Staff).await;
    decide(
        &mark,
        &[&all["alice@CRM"], &all["alice2@Legacy"]],
        "keep",
        "",
    )
    .await;
    let count = |m: &[Mail], s: &str| m.iter().filter(|m| m.subject.contains(s)).count();

    // Too early: nothing; the job runs daily.
    app.run_jobs().await;
    set_clock(&app, "2026-03-10T07:00:00Z");
    app.run_jobs().await;
    assert_eq!(count(&mails(&app).await, "Reminder"), 0);

    // Within the reminder window: each reviewer with pending items, once that day.
    set_clock(&app, "2026-03-18T07:00:00Z");
    app.run_jobs().await;
    let m = mails(&app).await;
    let mut to: Vec<&str> = m
        .iter()
        .filter(|m| m.subject.starts_with("Reminder"))
        .map(|m| m.to.as_str())
        .collect();
    to.sort();
    assert_eq!(to, ["fiona@corp.example", "olivia@corp.example"]);
    assert!(
        m.iter()
            .any(|m| m.to == "olivia@corp.example" && m.body.contains("2 accounts"))
    );
    let mut tx = app.state.db.begin().await.unwrap();
    reviews::reminders::remind(&mut tx, app.clock.now(), &cid, "http://x")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(&mails(&app).await, "Reminder"), 2, "not twice a day");
    delivered(&app, "Reminder: access review \"Q1\" due 2026-03-20").await;

    // Overdue: the fallback reviewer and the launcher hear who is late, once a day.
    set_clock(&app, "2026-03-21T07:00:00Z");
    app.run_jobs().await;
    let mut tx = app.state.db.begin().await.unwrap();
    reviews::reminders::remind(&mut tx, app.clock.now(), &cid, "http://x")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let m = mails(&app).await;
    let esc: Vec<&Mail> = m.iter().filter(|m| m.subject.contains("overdue")).collect();
    let mut to: Vec<&str> = esc.iter().map(|m| m.to.as_str()).collect();
    to.sort();
    assert_eq!(to, ["fiona@corp.example", "ivy@corp.example"]);
    assert!(
        esc[0].body.contains("olivia@corp.example: 2 pending"),
        "{}",
        esc[0].body
    );
    let (_, p) = o
        .mgr
        .get(&format!("/api/v1/access-reviews/{cid}/progress"))
        .await;
    assert_eq!(p["totals"]["overdue"], 4);
    let (_, trail) = o
        .mgr
        .get(&format!("/api/v1/audit-entries?entity_id={cid}"))
        .await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "access_review.escalate",
            "access_review.remind",
            "access_review.launch"
        ]
    );

    // A closed campaign stops its daily job.
    o.mgr
        .post(&format!("/api/v1/access-reviews/{cid}/close"), json!({}))
        .await;
    set_clock(&app, "2026-03-22T07:00:00Z");
    app.run_jobs().await;
    let jobs = bulwark_app::platform::jobs::recent(&app.state.db, 1000)
        .await
        .unwrap();
    assert!(
        jobs.iter()
            .filter(|j| j.kind == reviews::reminders::JOB_KIND)
            .all(|j| j.status == "done"),
        "no further run"
    );
}
both_backends!(reminders_and_escalation_are_sent_once_a_day);

async fn evidence_pack(app: TestApp) {
    let o = org(&app).await;
    let c = launch(
        &o,
        json!({"name": "Q1 review", "system_ids": [o.crm, o.legacy], "stages": ["manager", "fiona@corp.example"],
               "deadline": "2026-03-20", "fallback_reviewer": "fiona@corp.example"}),
    )
    .await;
    let cid = c["id"].as_str().unwrap();
    let all = items(&o.mgr, cid).await;
    decide(&o.mgr, &[&all["svc-backup@CRM"]], "revoke", "=1+1 no owner").await;
    decide(&o.mgr, &[&all["alice@CRM"]], "keep", "").await;
    let auditor = user_api(&app, "audrey@corp.example", Role::Auditor).await;

    let res = auditor
        .client
        .get(format!(
            "{}/api/v1/access-reviews/{cid}/evidence.csv",
            app.url
        ))
        .bearer_auth(&auditor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = res.text().await.unwrap();
    let mut r = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for h in [
        "username",
        "stage1_decision",
        "stage2_reviewer",
        "stage1_justification",
        "outcome",
        "task_status",
    ] {
        assert!(header.contains(&h.to_string()), "{h} in {header:?}");
    }
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    let svc = rows
        .iter()
        .find(|r| &r[col("username")] == "svc-backup")
        .unwrap();
    assert_eq!(
        &svc[col("display_name")],
        "'=HYPERLINK(\"http://evil.example\")"
    );
    assert_eq!(&svc[col("stage1_justification")], "'=1+1 no owner");
    assert_eq!(&svc[col("stage1_decided_by")], "ivy@corp.example");
    assert_eq!(&svc[col("stage1_on_behalf")], "yes");
    assert_eq!(&svc[col("outcome")], "revoked");
    assert_eq!(&svc[col("task_status")], "open");
    let alice = rows
        .iter()
        .find(|r| &r[col("username")] == "alice")
        .unwrap();
    assert_eq!(&alice[col("stage2_reviewer")], "fiona@corp.example");
    assert_eq!(&alice[col("outcome")], "pending");

    let res = auditor
        .client
        .get(format!(
            "{}/api/v1/access-reviews/{cid}/evidence.pdf",
            app.url
        ))
        .bearer_auth(&auditor.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-1.7"));
    assert!(text.trim_end().ends_with("%%EOF"));
    for shown in [
        "(Access review: Q1 review) Tj",
        "(Decisions) Tj",
        "(svc-backup on CRM) Tj",
        "(=1+1 no owner) Tj",
        // Cells wrap within their column.
        "(ivy@corp.example \\(on) Tj",
        "(behalf\\)) Tj",
        "(mark@corp.example) Tj",
    ] {
        assert!(text.contains(shown), "{shown} missing from the PDF");
    }
    assert!(text.contains("/Count 1"), "one page");
}
both_backends!(evidence_pack);

/// Every route of the area is in the table the role × route test walks, with the access
/// intended: managers' routes need the identity permissions, reviewers' only a sign-in.
#[test]
fn routes_are_in_the_role_matrix() {
    let (_, specs) = bulwark_app::platform::http::routes().into_parts();
    let read = Access::Requires(Permission::Read(Area::Identity));
    let write = Access::Requires(Permission::Write(Area::Identity));
    let want = [
        ("GET", "/api/v1/access-reviews", read),
        ("POST", "/api/v1/access-reviews", write),
        ("GET", "/api/v1/access-reviews/{id}", read),
        ("POST", "/api/v1/access-reviews/{id}/close", write),
        ("GET", "/api/v1/access-reviews/{id}/items", read),
        ("GET", "/api/v1/access-reviews/{id}/progress", read),
        ("GET", "/api/v1/access-reviews/{id}/evidence.csv", read),
        ("GET", "/api/v1/access-reviews/{id}/evidence.pdf", read),
        ("GET", "/api/v1/access-review-tasks", read),
        ("POST", "/api/v1/access-review-tasks/{id}/done", write),
        ("POST", "/api/v1/access-review-decisions", Access::SignedIn),
        ("GET", "/api/v1/my/access-reviews", Access::SignedIn),
    ];
    for (m, p, access) in want {
        let spec = specs
            .iter()
            .find(|s| s.method.as_str() == m && s.path == p)
            .unwrap_or_else(|| panic!("{m} {p} is not routed"));
        assert_eq!(spec.access, access, "{m} {p}");
    }
    let ours = specs
        .iter()
        .filter(|s| {
            s.path.contains("access-review")
                || s.path.starts_with("/identity/reviews")
                || s.path.starts_with("/reviews")
        })
        .count();
    assert!(ours >= want.len());
}

async fn pages_launch_decide_and_follow_tasks(app: TestApp) {
    let o = org(&app).await;
    user_api(&app, "olivia@corp.example", Role::Staff).await;
    let (mgr, mgr_csrf) = app.signed_in("ivy@corp.example").await;
    let (olivia, olivia_csrf) = app.signed_in("olivia@corp.example").await;
    let get = |c: &reqwest::Client, path: &str| {
        let req = c.get(format!("{}{path}", app.url));
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let post = |c: &reqwest::Client, path: &str, form: Vec<(&str, String)>| {
        let req = c.post(format!("{}{path}", app.url)).form(&form);
        async move {
            let r = req.send().await.unwrap();
            let to = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string())
                .unwrap_or_default();
            (r.status().as_u16(), to, r.text().await.unwrap())
        }
    };

    let (s, form) = get(&mgr, "/identity/reviews/new").await;
    assert_eq!(s, 200);
    assert!(form.contains("name=\"system_ids\"") && form.contains("CRM"));
    // Refused: the form comes back with the errors and the input kept.
    let (s, _, page) = post(
        &mgr,
        "/identity/reviews",
        vec![
            ("csrf_token", mgr_csrf.clone()),
            ("name", "Q1 pages".into()),
            ("stage1", "system_owner".into()),
            ("deadline", "2026-01-01".into()),
            ("remind_days_before", "3".into()),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        page.contains("must be after today") && page.contains("value=\"Q1 pages\""),
        "{page}"
    );
    let (s, to, _) = post(
        &mgr,
        "/identity/reviews",
        vec![
            ("csrf_token", mgr_csrf.clone()),
            ("name", "Q1 pages".into()),
            ("system_ids", o.crm.clone()),
            ("stage1", "system_owner".into()),
            ("stage2", "person".into()),
            ("stage2_email", "fiona@corp.example".into()),
            ("strategy", "all_must_accept".into()),
            ("fallback_reviewer", "fiona@corp.example".into()),
            ("deadline", "2026-03-20".into()),
            ("remind_days_before", "3".into()),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let cid = to
        .strip_prefix("/identity/reviews/")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, c) = o.mgr.get(&format!("/api/v1/access-reviews/{cid}")).await;
    assert_eq!(c["stages"], json!(["system_owner", "fiona@corp.example"]));
    let (s, detail) = get(&mgr, &to).await;
    assert_eq!(s, 200);
    assert!(
        detail.contains("0 of 4 decided") && detail.contains("evidence.pdf"),
        "{detail}"
    );

    // The reviewer's queue: staff see it, and nothing else of identity.
    let (s, q) = get(&olivia, "/reviews").await;
    assert_eq!(s, 200);
    assert!(q.contains("svc-backup") && q.contains("Q1 pages"), "{q}");
    assert_eq!(get(&olivia, "/identity/reviews").await.0, 403);
    assert_eq!(get(&olivia, &to).await.0, 403);
    let all = items(&o.mgr, &cid).await;
    let bob = all["bob@CRM"]["id"].as_str().unwrap().to_string();
    let svc = all["svc-backup@CRM"]["id"].as_str().unwrap().to_string();
    let (s, _, page) = post(
        &olivia,
        "/reviews",
        vec![
            ("csrf_token", olivia_csrf.clone()),
            ("back", "/reviews".into()),
            ("item_ids", bob.clone()),
            ("item_ids", svc.clone()),
            ("decision", "revoke".into()),
        ],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        page.contains("f-justification-error") && page.contains("checked"),
        "{page}"
    );
    let (s, to_queue, _) = post(
        &olivia,
        "/reviews",
        vec![
            ("csrf_token", olivia_csrf.clone()),
            ("back", "/reviews".into()),
            ("item_ids", bob.clone()),
            ("item_ids", svc.clone()),
            ("decision", "revoke".into()),
            ("justification", "no longer needed".into()),
        ],
    )
    .await;
    assert_eq!((s, to_queue.as_str()), (303, "/reviews?done=saved"));
    let (_, q) = get(&olivia, "/reviews?done=saved").await;
    assert!(!q.contains("svc-backup") && q.contains("Saved."), "{q}");

    // The manager decides on behalf from the campaign page, then follows the tasks.
    let alice = all["alice@CRM"]["id"].as_str().unwrap().to_string();
    let (s, back, _) = post(
        &mgr,
        "/reviews",
        vec![
            ("csrf_token", mgr_csrf.clone()),
            ("back", format!("/identity/reviews/{cid}")),
            ("item_ids", alice),
            ("decision", "keep".into()),
        ],
    )
    .await;
    assert_eq!(
        (s, back),
        (303, format!("/identity/reviews/{cid}?done=saved"))
    );
    let (s, tasks) = get(&mgr, "/identity/reviews/tasks?status=open").await;
    assert_eq!(s, 200);
    assert!(
        tasks.contains("svc-backup") && tasks.contains("Mark done"),
        "{tasks}"
    );
    let (_, t) = o.mgr.get("/api/v1/access-review-tasks").await;
    let tid = t["items"][0]["id"].as_str().unwrap().to_string();
    let (s, to, _) = post(
        &mgr,
        &format!("/identity/reviews/tasks/{tid}/done"),
        vec![
            ("csrf_token", mgr_csrf.clone()),
            ("note", "disabled".into()),
        ],
    )
    .await;
    assert_eq!(
        (s, to.as_str()),
        (303, "/identity/reviews/tasks?done=saved")
    );
    let (s, list) = get(&mgr, "/identity/reviews").await;
    assert_eq!(s, 200);
    assert!(list.contains("Q1 pages"));
    let (s, to, _) = post(
        &mgr,
        &format!("/identity/reviews/{cid}/close"),
        vec![("csrf_token", mgr_csrf.clone())],
    )
    .await;
    assert_eq!(s, 303, "{to}");
}
both_backends!(pages_launch_decide_and_follow_tasks);
