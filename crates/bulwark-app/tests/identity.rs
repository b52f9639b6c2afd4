//! Identity end to end on both backends: the HR import, account imports, linking, findings,
//! exemptions and segregation-of-duties rules.

mod common;

use bulwark_core::Role;
use common::TestApp;
use serde_json::{Value, json};

const HR: &str = "\
employee_id,name,email,department,manager_email,status,start_date,leave_date,cost_centre
E1,Alice Smith,alice@northwind.example,Finance,carol@northwind.example,active,2020-01-06,,CC1
E2,Bob Jones,bob@northwind.example,Sales,carol@northwind.example,leaver,2019-05-01,2026-02-01,CC2
E3,Carol White,carol@northwind.example,Management,,active,2015-03-01,,CC3
E4,José Müller,jose@northwind.example,IT,carol@northwind.example,active,2021-09-01,,CC4
";

const ERP: &str = "\
username,email,display_name,privileged,mfa,last_login,groups,status
asmith,,Alice Smith,false,true,2026-03-01T08:00:00Z,AP Clerk;Vendor Master,enabled
bob@northwind.example,,Bob Jones,false,true,2026-01-20T08:00:00Z,Sales,enabled
jmuller,,José Müller,true,false,2026-02-28T08:00:00Z,Admins,enabled
ghost,ghost@elsewhere.example,Who Knows,false,true,2026-03-01T08:00:00Z,,enabled
erp-admin,,Shared admin,true,true,2026-03-01T08:00:00Z,Admins,enabled
old.timer,,Old Timer,false,true,2025-10-01T08:00:00Z,,disabled
carol.white,,Carol White,false,true,2025-12-01T08:00:00Z,Approvers,enabled
";

async fn system(api: &common::Api, name: &str) -> String {
    let (s, a) = api
        .post(
            "/api/v1/assets",
            json!({"name": name, "kind": "saas_application", "criticality": 4}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().unwrap().to_string()
}

async fn findings(api: &common::Api, query: &str) -> Vec<Value> {
    let (s, f) = api
        .get(&format!("/api/v1/identity/findings?limit=500{query}"))
        .await;
    assert_eq!(s, 200, "{f}");
    f["items"].as_array().unwrap().clone()
}

fn kinds_of(findings: &[Value], username: &str) -> Vec<String> {
    let mut k: Vec<String> = findings
        .iter()
        .filter(|f| f["username"] == username)
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect();
    k.sort();
    k
}

async fn hr_and_account_imports_link_and_raise_findings(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let (s, out) = api
        .upload("/api/v1/people/import?file_name=hr.csv", HR.into())
        .await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["import"]["added"], 4);
    assert_eq!(out["extra_columns"], json!(["cost_centre"]));

    let erp = system(&api, "ERP").await;
    let (s, out) = api
        .upload(
            &format!("/api/v1/assets/{erp}/account-imports?file_name=erp.csv"),
            ERP.into(),
        )
        .await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["import"]["records"], 7);
    assert_eq!(out["import"]["added"], 7);
    // asmith ({f}{last}), bob (email in username), jmuller (diacritics folded), carol.white
    // ({first}.{last}); ghost, erp-admin and old.timer are left for a person to decide.
    assert_eq!(out["linked"], 4, "{out}");
    assert_eq!(out["unlinked"], 3, "{out}");

    let (_, queue) = api.get("/api/v1/accounts?unlinked=true").await;
    let queued: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(queued, ["erp-admin", "ghost", "old.timer"]);

    let f = findings(&api, "").await;
    assert_eq!(kinds_of(&f, "ghost"), ["orphaned"]);
    assert_eq!(kinds_of(&f, "bob@northwind.example"), ["leaver_enabled"]);
    assert_eq!(kinds_of(&f, "jmuller"), ["privileged_without_mfa"]);
    assert_eq!(kinds_of(&f, "erp-admin"), ["orphaned", "shared_account"]);
    // carol.white last signed in 2025-12-01: 91 days before the test clock, dormant at 45.
    assert_eq!(kinds_of(&f, "carol.white"), ["dormant"]);
    // Disabled accounts raise nothing.
    assert!(kinds_of(&f, "old.timer").is_empty());
    let leaver = f.iter().find(|f| f["kind"] == "leaver_enabled").unwrap();
    assert_eq!(leaver["days"], 29, "{leaver}");
    assert_eq!(leaver["person_name"], "Bob Jones");
    assert!(
        leaver["explanation"]
            .as_str()
            .unwrap()
            .contains("Bob Jones")
    );
    assert!(!leaver["suggested_action"].as_str().unwrap().is_empty());

    // The queue: erp-admin is shared, ghost belongs to Alice after all.
    let id_of = |name: &str| {
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["username"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (s, a) = api
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{}/link", id_of("erp-admin")),
            Some(json!({"kind": "shared"})),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let (_, alice) = api.get("/api/v1/people?q=alice").await;
    let alice_id = alice["items"][0]["id"].as_str().unwrap().to_string();
    let (s, a) = api
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{}/link", id_of("ghost")),
            Some(json!({"person_id": alice_id})),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["link_reason"], "manual");
    let f = findings(&api, "").await;
    assert!(kinds_of(&f, "ghost").is_empty(), "{f:?}");
    assert_eq!(kinds_of(&f, "erp-admin"), ["shared_account"]);
    let (_, resolved) = api.get("/api/v1/identity/findings?status=resolved").await;
    assert_eq!(resolved["items"].as_array().unwrap().len(), 2, "{resolved}");

    // A re-import keeps the manual link and reports only what changed.
    let changed = ERP.replace(
        "carol.white,,Carol White,false,true,2025-12-01T08:00:00Z",
        "carol.white,,Carol White,false,true,2026-03-01T08:00:00Z",
    );
    let changed = changed.replace(
        "old.timer,,Old Timer,false,true,2025-10-01T08:00:00Z,,disabled\n",
        "",
    );
    let (s, out) = api
        .upload(
            &format!("/api/v1/assets/{erp}/account-imports"),
            changed.into(),
        )
        .await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(out["changed"], json!(["carol.white"]));
    assert_eq!(out["removed"], json!(["old.timer"]));
    assert_eq!(out["added"], json!([]));
    let (_, ghost) = api
        .get(&format!("/api/v1/accounts/{}", id_of("ghost")))
        .await;
    assert_eq!(ghost["person"]["email"], "alice@northwind.example");
    let f = findings(&api, "").await;
    assert!(kinds_of(&f, "carol.white").is_empty());

    // Every step is in the audit trail.
    let (_, trail) = api.get("/api/v1/audit-entries?limit=200").await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "people.import",
        "accounts.import",
        "account.link",
        "identity.findings.refresh",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}
both_backends!(hr_and_account_imports_link_and_raise_findings);

async fn refused_imports_list_every_problem_and_change_nothing(app: TestApp) {
    let api = app.api(&app.token_for(Role::ItManager).await);
    let (s, _) = api.upload("/api/v1/people/import", HR.into()).await;
    assert_eq!(s, 201);
    let bad_hr = "\
employee_id,name,email,department,manager_email,status,start_date,leave_date
E9,New Person,new@northwind.example,IT,,active,2026-01-01,
E10,,not-an-email,IT,,gone,2026-13-01,
E11,Late Leaver,late@northwind.example,IT,,leaver,2026-01-01,
";
    let (s, e) = api.upload("/api/v1/people/import", bad_hr.into()).await;
    assert_eq!(s, 422, "{e}");
    let problems = e["problems"].as_array().unwrap();
    let at: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for want in [
        (3, "name"),
        (3, "email"),
        (3, "status"),
        (3, "start_date"),
        (4, "leave_date"),
    ] {
        assert!(at.contains(&want), "{want:?} not in {at:?}");
    }
    let (_, people) = api.get("/api/v1/people?q=new").await;
    assert!(people["items"].as_array().unwrap().is_empty());

    let erp = system(&api, "ERP").await;
    let (s, _) = api
        .upload(&format!("/api/v1/assets/{erp}/account-imports"), ERP.into())
        .await;
    assert_eq!(s, 201);
    let bad = "\
username,email,display_name,privileged,mfa,last_login,groups,status
newbie,,New,false,true,,,enabled
asmith,,Dup,maybe,true,yesterday,,enabled
ASMITH,,Again,false,true,,,archived
";
    let (s, e) = api
        .upload(&format!("/api/v1/assets/{erp}/account-imports"), bad.into())
        .await;
    assert_eq!(s, 422, "{e}");
    let at: Vec<(u64, &str)> = e["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for want in [
        (3, "privileged"),
        (3, "last_login"),
        (4, "username"),
        (4, "status"),
    ] {
        assert!(at.contains(&want), "{want:?} not in {at:?}");
    }
    let (_, accounts) = api
        .get(&format!("/api/v1/accounts?system_id={erp}&limit=500"))
        .await;
    assert_eq!(accounts["items"].as_array().unwrap().len(), 7);
    let (_, newbie) = api.get("/api/v1/accounts?q=newbie").await;
    assert!(newbie["items"].as_array().unwrap().is_empty());

    // An unknown system is a 404, a wrong filter a 422.
    let (s, _) = api
        .upload(
            "/api/v1/assets/0190f000-0000-7000-8000-000000000000/account-imports",
            ERP.into(),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = api.get("/api/v1/identity/findings?kind=bad").await;
    assert_eq!(s, 422);
}
both_backends!(refused_imports_list_every_problem_and_change_nothing);

async fn exemptions_sod_rules_and_settings(app: TestApp) {
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    api.upload("/api/v1/people/import", HR.into()).await;
    let erp = system(&api, "ERP").await;
    let bank = system(&api, "Bank portal").await;
    api.upload(&format!("/api/v1/assets/{erp}/account-imports"), ERP.into())
        .await;
    let (s, _) = api
        .upload(
            &format!("/api/v1/assets/{bank}/account-imports"),
            "username,email,display_name,privileged,mfa,last_login,groups,status\n\
             alice.smith,alice@northwind.example,Alice,false,true,2026-03-01T00:00:00Z,Payment Approver,enabled\n"
                .into(),
        )
        .await;
    assert_eq!(s, 201);

    // Nobody may both maintain vendors (ERP) and approve payments (bank).
    let (s, e) = api
        .post(
            "/api/v1/identity/sod-rules",
            json!({"name": "", "first_system": "Nowhere", "first_group": "x", "second_group": ""}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"].as_array().unwrap().len(), 3, "{e}");
    let (s, rule) = api
        .post(
            "/api/v1/identity/sod-rules",
            json!({"name": "Vendors vs payments", "first_system": "ERP", "first_group": "vendor master",
                   "second_system": bank, "second_group": "Payment Approver"}),
        )
        .await;
    assert_eq!(s, 201, "{rule}");
    let sod = findings(&api, "&kind=sod_conflict").await;
    assert_eq!(sod.len(), 1, "{sod:?}");
    assert_eq!(sod[0]["person_name"], "Alice Smith");
    assert_eq!(sod[0]["rule_name"], "Vendors vs payments");
    assert_eq!(
        serde_json::from_str::<Vec<String>>(sod[0]["account_ids"].as_str().unwrap())
            .unwrap()
            .len(),
        2
    );

    // Break-glass: an exemption needs a reason and an expiry within a year.
    let (_, acc) = api.get("/api/v1/accounts?q=jmuller").await;
    let jm = acc["items"][0]["id"].as_str().unwrap().to_string();
    let (s, e) = api
        .post(
            "/api/v1/identity/exemptions",
            json!({"account_id": jm, "kind": "privileged_without_mfa", "reason": " ", "expires": "2030-01-01"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"].as_array().unwrap().len(), 2, "{e}");
    let (s, ex) = api
        .post(
            "/api/v1/identity/exemptions",
            json!({"account_id": jm, "kind": "privileged_without_mfa",
                   "reason": "Break-glass account, token in the safe", "expires": "2026-03-10"}),
        )
        .await;
    assert_eq!(s, 201, "{ex}");
    assert!(kinds_of(&findings(&api, "").await, "jmuller").is_empty());
    // After the expiry the finding comes back, naming the expired exemption.
    app.clock.advance(10 * 86_400);
    let (s, _) = api
        .post("/api/v1/identity/findings/refresh", json!({}))
        .await;
    assert_eq!(s, 200);
    let f = findings(&api, "&kind=privileged_without_mfa").await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["expired_exemption_id"], ex["id"]);

    // Settings: dormancy threshold and username patterns, checked.
    let admin = app.api(&app.token_for(Role::Administrator).await);
    let (s, e) = admin
        .patch(
            "/api/v1/settings",
            json!({"dormant_days": 0, "username_templates": ["{first}.{nope}"]}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"].as_array().unwrap().len(), 2, "{e}");
    let (s, set) = admin
        .patch("/api/v1/settings", json!({"dormant_days": 120}))
        .await;
    assert_eq!(s, 200, "{set}");
    assert!(findings(&api, "&kind=dormant").await.is_empty());

    let (s, _) = api
        .delete(&format!(
            "/api/v1/identity/sod-rules/{}",
            rule["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 204);
    assert!(findings(&api, "&kind=sod_conflict").await.is_empty());

    // Staff see nothing of this.
    let staff = app.api(&app.token_for(Role::Staff).await);
    for path in [
        "/api/v1/accounts",
        "/api/v1/identity/findings",
        "/api/v1/identity/exemptions",
    ] {
        assert_eq!(staff.get(path).await.0, 403, "{path}");
    }
}
both_backends!(exemptions_sod_rules_and_settings);

/// A page fetched or posted with a bearer token (pages take tokens as well as sessions).
async fn page(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    form: Option<&[(&str, &str)]>,
    file: Option<(&str, &str)>,
) -> (u16, String, String) {
    let mut r = app
        .browser()
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(token);
    if let Some(f) = form {
        r = r.form(f);
    }
    if let Some((name, body)) = file {
        let part = reqwest::multipart::Part::text(body.to_string()).file_name(name.to_string());
        r = r.multipart(reqwest::multipart::Form::new().part("file", part));
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

async fn pages_import_link_and_manage_rules(app: TestApp) {
    use reqwest::Method as M;
    let token = app.token_for(Role::ItManager).await;
    let api = app.api(&token);

    let (s, _, html) = page(&app, &token, M::GET, "/identity", None, None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Import the HR file"), "{html}");

    // The HR file through the page, then a refused one listing its problems.
    let (s, _, html) = page(
        &app,
        &token,
        M::POST,
        "/identity/people-imports",
        None,
        Some(("hr.csv", HR)),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("4 records read from hr.csv"), "{html}");
    let (s, _, html) = page(
        &app,
        &token,
        M::POST,
        "/identity/people-imports",
        None,
        Some((
            "bad.csv",
            "employee_id,name,email,department,manager_email,status,start_date,leave_date\nE1,,nope,IT,,active,,\n",
        )),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        html.contains("nothing was changed") && html.contains("line 2"),
        "{html}"
    );

    // A system's page: upload its accounts.
    let erp = system(&api, "ERP").await;
    let (s, _, html) = page(
        &app,
        &token,
        M::GET,
        &format!("/identity/systems/{erp}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("Import accounts from LDAP"));
    let (s, _, html) = page(
        &app,
        &token,
        M::POST,
        &format!("/identity/systems/{erp}/account-imports"),
        None,
        Some(("erp.csv", ERP)),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("7 records read from erp.csv"), "{html}");

    // The directory form: an unreachable server changes nothing and says why.
    let (s, _, html) = page(
        &app,
        &token,
        M::POST,
        &format!("/identity/systems/{erp}/ldap-imports"),
        Some(&[
            ("url", "ldap://127.0.0.1:1"),
            ("base_dn", "dc=example,dc=org"),
            ("bind_dn", "cn=admin,dc=example,dc=org"),
            ("password", "secret"),
        ]),
        None,
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("Nothing was changed"), "{html}");
    assert!(!html.contains("secret\""), "the password is not echoed");

    // A provisioning token is shown once.
    let (s, _, html) = page(
        &app,
        &token,
        M::POST,
        &format!("/identity/systems/{erp}/scim-tokens"),
        Some(&[]),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("bws_"), "{html}");

    // The linking queue: ghost belongs to Alice.
    let (s, _, html) = page(
        &app,
        &token,
        M::GET,
        "/identity/accounts?unlinked=yes",
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("ghost") && html.contains("erp-admin"),
        "{html}"
    );
    let (_, acc) = api.get("/api/v1/accounts?q=ghost").await;
    let ghost = acc["items"][0]["id"].as_str().unwrap().to_string();
    let (s, to, _) = page(
        &app,
        &token,
        M::POST,
        &format!("/identity/accounts/{ghost}/link"),
        Some(&[
            ("person_email", "Alice@northwind.example"),
            ("kind", "human"),
            ("back", "/identity/accounts?unlinked=yes"),
        ]),
        None,
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(to, "/identity/accounts?unlinked=yes&done=saved");
    let (_, a) = api.get(&format!("/api/v1/accounts/{ghost}")).await;
    assert_eq!(a["person"]["name"], "Alice Smith");
    let (s, to, _) = page(
        &app,
        &token,
        M::POST,
        &format!("/identity/accounts/{ghost}/link"),
        Some(&[
            ("person_email", "nobody@x.example"),
            ("back", "/identity/accounts"),
        ]),
        None,
    )
    .await;
    assert_eq!(s, 303);
    assert!(to.contains("error=nobody"), "{to}");

    // Findings page, and an exemption from it.
    let (s, _, html) = page(
        &app,
        &token,
        M::GET,
        "/identity/findings?kind=privileged_without_mfa",
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("jmuller") && html.contains("Accept as an exception"),
        "{html}"
    );
    let (_, acc) = api.get("/api/v1/accounts?q=jmuller").await;
    let jm = acc["items"][0]["id"].as_str().unwrap().to_string();
    let (s, _, html) = page(
        &app,
        &token,
        M::POST,
        "/identity/exemptions",
        Some(&[
            ("account_id", &jm),
            ("kind", "privileged_without_mfa"),
            ("reason", ""),
            ("expires", "2020-01-01"),
        ]),
        None,
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    let (s, to, _) = page(
        &app,
        &token,
        M::POST,
        "/identity/exemptions",
        Some(&[
            ("account_id", &jm),
            ("kind", "privileged_without_mfa"),
            ("reason", "Break-glass"),
            ("expires", "2026-06-01"),
        ]),
        None,
    )
    .await;
    assert_eq!(s, 303, "{to}");
    let (_, _, html) = page(&app, &token, M::GET, "/identity/rules", None, None).await;
    assert!(html.contains("Break-glass"), "{html}");

    // A rule through the form.
    let (s, to, _) = page(
        &app,
        &token,
        M::POST,
        "/identity/sod-rules",
        Some(&[
            ("name", "Admins are not approvers"),
            ("first_system", &erp),
            ("first_group", "Admins"),
            ("second_system", ""),
            ("second_group", "Approvers"),
        ]),
        None,
    )
    .await;
    assert_eq!(s, 303, "{to}");
    let (_, _, html) = page(&app, &token, M::GET, "/identity/rules", None, None).await;
    assert!(html.contains("Admins are not approvers"));

    // Staff are refused the pages.
    let staff = app.token_for(Role::Staff).await;
    let (s, _, _) = page(&app, &staff, M::GET, "/identity", None, None).await;
    assert_eq!(s, 403);
}
both_backends!(pages_import_link_and_manage_rules);

/// The SQL pre-selection of accounts that could raise findings never hides one: groups with
/// characters JSON escapes, generic words inside longer names, dormancy at the day boundary.
async fn pre_selection_hides_nothing(app: TestApp) {
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    api.upload("/api/v1/people/import", HR.into()).await;
    let sys = system(&api, "Treasury").await;
    // The test clock is 2026-03-02 09:00; 45 idle days: 2026-01-15 is dormant (46 days), and
    // 2026-01-16 is not (45 days).
    let file = "username,email,display_name,privileged,mfa,last_login,groups,status\n\
        asmith,,Alice,false,true,2026-03-01T00:00:00Z,\"Approver \"\"L2\"\"\",enabled\n\
        alice.smith,,Alice,false,true,2026-03-01T00:00:00Z,Payer,enabled\n\
        administration-desk,carol@northwind.example,Carol,false,true,2026-03-01T00:00:00Z,,enabled\n\
        jose.muller,,José,false,true,2026-01-15T23:59:59Z,,enabled\n\
        carol.white,,Carol,false,true,2026-01-16T00:00:00Z,,enabled\n";
    let (s, out) = api
        .upload(
            &format!("/api/v1/assets/{sys}/account-imports"),
            file.into(),
        )
        .await;
    assert_eq!(s, 201, "{out}");
    let (s, r) = api
        .post(
            "/api/v1/identity/sod-rules",
            json!({"name": "Approve and pay", "first_group": "Approver \"L2\"", "second_group": "payer"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let f = findings(&api, "").await;
    let sod: Vec<&Value> = f.iter().filter(|f| f["kind"] == "sod_conflict").collect();
    assert_eq!(sod.len(), 1, "{f:?}");
    assert_eq!(sod[0]["person_name"], "Alice Smith");
    assert_eq!(kinds_of(&f, "jose.muller"), ["dormant"]);
    assert!(kinds_of(&f, "carol.white").is_empty(), "{f:?}");
    // "administration" contains "admin" but is not the generic word.
    assert!(kinds_of(&f, "administration-desk").is_empty(), "{f:?}");
}
both_backends!(pre_selection_hides_nothing);
