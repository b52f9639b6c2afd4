//! The register's exports (CSV, XLSX, JSON) and the leadership risk report (PDF and page) on
//! both backends: formats, file names, formula neutralisation, filters, the report's sections
//! and who may read what.

mod common;

use std::io::Read;

use bulwark_app::access::sessions;
use bulwark_core::{Access, Area, Permission, Role};
use common::{Api, TestApp};
use serde_json::{Value, json};

/// A title a spreadsheet would run as a formula, with a comma and quotes for the CSV.
const FORMULA_TITLE: &str = "=HYPERLINK(\"http://evil.example\", \"click\")";

async fn created(api: &Api, path: &str, body: Value) -> Value {
    let (s, v) = api.post(path, body).await;
    assert!(s == 201 || s == 200, "{path}: {s} {v}");
    v
}

async fn score(api: &Api, rid: &str, kind: &str, l: i64, i: i64) {
    created(
        api,
        &format!("/api/v1/risks/{rid}/assessments"),
        json!({"kind": kind, "likelihood": l, "impact": i}),
    )
    .await;
}

/// Three risks: R-001 ransomware (Very high → High, above a Medium appetite, with a planned
/// control), R-002 with a formula for a title (accepted), R-003 low and closed.
async fn register(app: &TestApp) -> (Api, Vec<String>) {
    let api = app.api(&app.token_for(Role::SecurityOfficer).await);
    let admin = app.api(&app.token_for(Role::Administrator).await);
    created(
        &api,
        "/api/v1/people",
        json!({"name": "Olga Owner", "email": "olga@example.org", "department": "IT"}),
    )
    .await;
    created(
        &api,
        "/api/v1/assets",
        json!({"name": "CRM", "kind": "saas_application"}),
    )
    .await;
    let c1 = created(
        &api,
        "/api/v1/controls",
        json!({"name": "Offline backups", "status": "implemented", "yearly_cost": 9000}),
    )
    .await;
    created(
        &api,
        "/api/v1/controls",
        json!({"name": "Recovery site", "status": "planned", "one_off_cost": 120000,
               "yearly_cost": 30000, "requires": [c1["code"]]}),
    )
    .await;
    let r1 = created(
        &api,
        "/api/v1/risks",
        json!({"title": "Ransomware", "category": "technology", "owner": "olga@example.org",
               "treatment": "mitigate", "assets": ["CRM"], "threats": ["T-RANSOMWARE"],
               "controls": ["C-001", "C-002"], "review_date": "2026-06-30"}),
    )
    .await;
    let r2 = created(
        &api,
        "/api/v1/risks",
        json!({"title": FORMULA_TITLE, "category": "financial",
               "weaknesses": ["-2 approvals, @finance"]}),
    )
    .await;
    let r3 = created(
        &api,
        "/api/v1/risks",
        json!({"title": "Printers with default passwords", "category": "technology"}),
    )
    .await;
    let ids: Vec<String> = [&r1, &r2, &r3]
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    score(&api, &ids[0], "inherent", 4, 5).await;
    score(&api, &ids[0], "current", 4, 5).await;
    score(&api, &ids[0], "target", 2, 3).await;
    score(&api, &ids[1], "inherent", 3, 3).await;
    score(&api, &ids[2], "inherent", 2, 2).await;
    let (s, _) = api
        .call(
            reqwest::Method::PUT,
            "/api/v1/risk-appetite/technology",
            Some(json!({"max_level": "Medium"})),
        )
        .await;
    assert_eq!(s, 200);
    created(
        &admin,
        &format!("/api/v1/risks/{}/acceptances", ids[1]),
        json!({"justification": "Two approvers already check every payment.",
               "expires": "2026-03-20"}),
    )
    .await;
    (api, ids)
}

async fn download(api: &Api, path: &str) -> reqwest::Response {
    api.client
        .get(format!("{}{path}", api.url))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn exports_in_three_formats(app: TestApp) {
    let (api, ids) = register(&app).await;

    // CSV: a header, one row per risk by code, formulas neutralised, commas and quotes kept.
    let res = download(&api, "/api/v1/risks/export?format=csv").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename=\"risk-register-2026-03-02.csv\""
    );
    let body = res.text().await.unwrap();
    let mut r = csv::Reader::from_reader(body.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(head, bulwark_app::risk::export::COLUMNS);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let codes: Vec<&str> = rows.iter().map(|r| &r[col("code")]).collect();
    assert_eq!(codes, ["R-001", "R-002", "R-003"]);
    let r1 = &rows[0];
    assert_eq!(&r1[col("owner")], "Olga Owner");
    assert_eq!(&r1[col("inherent_likelihood")], "4");
    assert_eq!(&r1[col("inherent_level")], "Very high");
    assert_eq!(&r1[col("target_level")], "Medium");
    assert_eq!(&r1[col("above_appetite")], "yes");
    assert_eq!(&r1[col("assets")], "CRM");
    assert_eq!(&r1[col("threats")], "T-RANSOMWARE Ransomware");
    assert_eq!(
        &r1[col("controls")],
        "C-001 Offline backups; C-002 Recovery site"
    );
    assert_eq!(&r1[col("review_date")], "2026-06-30");
    let r2 = &rows[1];
    assert_eq!(&r2[col("title")], format!("'{FORMULA_TITLE}"));
    assert_eq!(&r2[col("status")], "accepted");
    assert_eq!(&r2[col("acceptance_expires")], "2026-03-20");
    assert!(r2[col("accepted_by")].starts_with("administrator-"));
    assert_eq!(&r2[col("current_level")], "");
    assert!(body.contains("\"'=HYPERLINK(\"\"http://evil.example\"\", \"\"click\"\")\""));

    // JSON: the same rows with nested scores.
    let res = download(&api, "/api/v1/risks/export?format=json").await;
    assert_eq!(header(&res, "content-type"), "application/json");
    assert!(header(&res, "content-disposition").contains("risk-register-2026-03-02.json"));
    let rows: Value = res.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!(rows[0]["id"], ids[0]);
    assert_eq!(rows[0]["current"]["level"], "Very high");
    assert_eq!(rows[0]["current"]["colour"], "#c62828");
    assert_eq!(rows[0]["current"]["matrix"], "5×5 (ISO/IEC 27005 style)");
    assert_eq!(rows[1]["title"], FORMULA_TITLE, "JSON is not neutralised");
    assert_eq!(rows[1]["current"], Value::Null);

    // XLSX: a workbook (a zip) whose sheet has the header, the frozen panes, a filter, and
    // level cells filled with the level's colour; texts are shared strings, never formulas.
    let res = download(&api, "/api/v1/risks/export?format=xlsx").await;
    assert_eq!(
        header(&res, "content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(header(&res, "content-disposition").contains("risk-register-2026-03-02.xlsx"));
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut part = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let sheet = part("xl/worksheets/sheet1.xml");
    let strings = part("xl/sharedStrings.xml");
    let styles = part("xl/styles.xml");
    let book = part("xl/workbook.xml");
    assert!(book.contains("name=\"Risk register\""), "{book}");
    assert!(
        sheet.contains("xSplit=\"2\"")
            && sheet.contains("ySplit=\"1\"")
            && sheet.contains("state=\"frozen\""),
        "{sheet}"
    );
    assert!(sheet.contains("<autoFilter ref=\"A1:Z4\"/>"), "{sheet}");
    assert!(!sheet.contains("<f>"), "no formulas: {sheet}");
    for s in ["R-001", "R-002", "Ransomware", "Olga Owner", "review_date"] {
        assert!(strings.contains(s), "{s} missing: {strings}");
    }
    assert!(strings.contains("=HYPERLINK("), "kept as text: {strings}");
    assert!(
        styles.contains("FFC62828"),
        "Very high's red fill: {styles}"
    );

    // The list's filters apply; paging and unknown formats are refused, each named.
    let (s, only) = api
        .get("/api/v1/risks/export?format=json&status=accepted")
        .await;
    assert_eq!(s, 200);
    assert_eq!(only.as_array().unwrap().len(), 1);
    assert_eq!(only[0]["code"], "R-002");
    let (_, above) = api
        .get("/api/v1/risks/export?above_appetite=true&q=ransom")
        .await;
    assert_eq!(above.as_array().unwrap().len(), 1, "JSON is the default");
    let res = download(&api, "/api/v1/risks/export?format=csv&category=financial").await;
    assert_eq!(res.text().await.unwrap().lines().count(), 2);
    for (query, field) in [
        ("format=pdf", "format"),
        ("format=csv&limit=5", "limit"),
        ("format=csv&cursor=x", "cursor"),
        ("format=csv&status=bogus", "status"),
        ("format=csv&colour=red", "colour"),
    ] {
        let (s, p) = api.get(&format!("/api/v1/risks/export?{query}")).await;
        assert_eq!(s, 422, "{query}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
}
both_backends!(exports_in_three_formats);

/// A signed-in browser session's cookie for a new user of `role`.
async fn session_cookie(app: &TestApp, role: Role) -> String {
    let email = format!("{}-page@test.example", role.as_str().replace('_', "-"));
    let user_id = app.user(&email, role, "correct horse battery").await;
    let s = &app.state;
    let mut tx = s.db.begin().await.unwrap();
    let (token, _) = sessions::create(&mut tx.h(), s.clock.now(), &user_id, true, 12, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    format!("{}={token}", sessions::COOKIE)
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn leadership_report(app: TestApp) {
    let (api, ids) = register(&app).await;
    // Later: the ransomware risk improves, the printers are closed.
    app.clock.advance(10 * 86_400);
    score(&api, &ids[0], "current", 3, 5).await;
    let (s, _) = api
        .patch(
            &format!("/api/v1/risks/{}", ids[2]),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(s, 200);

    let leader = app.api(&app.token_for(Role::Leadership).await);
    let res = download(&leader, "/api/v1/reports/risk.pdf").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "application/pdf");
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename=\"risk-report-2026-03-12.pdf\""
    );
    let pdf = res.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF"));
    assert!(text.trim_end().ends_with("%%EOF"));
    for shown in [
        "(Summary) Tj",
        "(How to read this) Tj",
        "(The top 2 risks) Tj",
        // The top risk first, with its owner and treatment in words.
        "(R-001 Ransomware) Tj",
        "(Olga Owner) Tj",
        "(The last 90 days) Tj",
        "(What the money buys) Tj",
        "(120,000) Tj",
        "(Risks we have accepted) Tj",
        "(2026-03-20) Tj",
    ] {
        assert!(text.contains(shown), "{shown} missing from the PDF");
    }
    // The summary: two risks not closed, one above appetite, an acceptance ending in 8 days.
    let r = bulwark_app::risk::report::gather(
        &mut app.state.db.read().await.unwrap().h(),
        app.state.clock.now(),
        "Acme",
    )
    .await
    .unwrap();
    assert!(
        r.summary.starts_with(
            "As of 2026-03-12, the register holds 2 risks that are not closed (1 more closed)."
        ),
        "{}",
        r.summary
    );
    assert!(
        r.summary.contains("1 is above the appetite"),
        "{}",
        r.summary
    );
    assert!(
        r.summary.contains("on 2026-03-20 (8 days)"),
        "{}",
        r.summary
    );
    assert_eq!(r.top[0].code, "R-001");
    assert_eq!(r.top[0].level, "High");
    assert_eq!(r.top[0].inherent, "Very high");
    assert_eq!(r.top[0].treatment, "Reducing it with controls and actions");
    assert_eq!(r.top[1].treatment, "Accepted until 2026-03-20");
    assert_eq!((r.trend.opened, r.trend.closed), (3, 1));
    // Scored within the window from the start: new risks are not "changes".
    assert_eq!((r.trend.worse, r.trend.better), (0, 0));
    assert!(r.trend.events.iter().any(|e| e.what == "Closed"));
    assert_eq!(r.initiatives.len(), 1);
    assert_eq!(r.initiatives[0].requires, ["C-001"]);
    assert_eq!(r.initiatives[0].risks[0].now, "High");
    assert_eq!(r.initiatives[0].risks[0].target, "Medium");
    assert_eq!(r.acceptances[0].days_left, 8);

    // A quarter later the window starts after the first scores: the improvement shows.
    app.clock.advance(85 * 86_400);
    let r = bulwark_app::risk::report::gather(
        &mut app.state.db.read().await.unwrap().h(),
        app.state.clock.now(),
        "Acme",
    )
    .await
    .unwrap();
    assert_eq!((r.trend.opened, r.trend.better, r.trend.worse), (0, 1, 0));
    assert!(
        r.trend
            .events
            .iter()
            .any(|e| e.risk == "R-001 Ransomware" && e.what == "Better: from Very high to High"),
        "{:?}",
        r.trend.events
    );

    // Leadership reads the report and its page, not the register.
    let (s, _) = leader.get("/api/v1/risks").await;
    assert_eq!(s, 403);
    let (s, _) = leader.get("/api/v1/risks/export?format=csv").await;
    assert_eq!(s, 403);
    let cookie = session_cookie(&app, Role::Leadership).await;
    let (s, html) = page(&app, &cookie, "/reporting/risk").await;
    assert_eq!(s, 200, "{html}");
    for shown in [
        "Risk report:",
        "R-001</strong> Ransomware",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\"",
        "Inherent (no controls)",
        "Current (controls in place)",
        "/api/v1/reports/risk.pdf",
        "Two approvers already check every payment.",
    ] {
        assert!(html.contains(shown), "{shown} missing from the page");
    }
    let (s, html) = page(&app, &cookie, "/reporting").await;
    assert_eq!(s, 200);
    assert!(html.contains("href=\"/reporting/risk\""));
    assert!(
        html.contains("href=\"/reporting\" aria-current=\"page\""),
        "the Reporting area is a link: {html}"
    );

    // Staff read neither.
    let staff = app.api(&app.token_for(Role::Staff).await);
    for path in [
        "/api/v1/reports/risk.pdf",
        "/api/v1/risks/export?format=json",
    ] {
        let (s, _) = staff.get(path).await;
        assert_eq!(s, 403, "{path}");
    }
    let cookie = session_cookie(&app, Role::Staff).await;
    for path in ["/reporting", "/reporting/risk"] {
        let (s, _) = page(&app, &cookie, path).await;
        assert_eq!(s, 403, "{path}");
    }
}
both_backends!(leadership_report);

/// An empty register still makes a readable report.
async fn empty_register_report(app: TestApp) {
    let leader = app.api(&app.token_for(Role::Leadership).await);
    let res = download(&leader, "/api/v1/reports/risk.pdf").await;
    assert_eq!(res.status(), 200);
    let text = String::from_utf8_lossy(&res.bytes().await.unwrap()).to_string();
    for shown in [
        "(No risk has been scored yet.) Tj",
        "(No acceptance is in force.) Tj",
    ] {
        assert!(text.contains(shown), "{shown} missing from the PDF");
    }
    let api = app.api(&app.token_for(Role::Auditor).await);
    let res = download(&api, "/api/v1/risks/export?format=csv").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.text().await.unwrap().lines().count(),
        1,
        "the header only"
    );
}
both_backends!(empty_register_report);

/// The new routes are in the table the role × route test walks, with the access intended.
#[test]
fn routes_are_in_the_role_matrix() {
    let (_, specs) = bulwark_app::platform::http::routes().into_parts();
    let reporting = Access::Requires(Permission::Read(Area::Reporting));
    for (m, p, access) in [
        (
            "GET",
            "/api/v1/risks/export",
            Access::Requires(Permission::Read(Area::Risk)),
        ),
        ("GET", "/api/v1/reports/risk.pdf", reporting),
        ("GET", "/reporting", reporting),
        ("GET", "/reporting/risk", reporting),
    ] {
        let spec = specs
            .iter()
            .find(|s| s.method.as_str() == m && s.path == p)
            .unwrap_or_else(|| panic!("{m} {p} is not routed"));
        assert_eq!(spec.access, access, "{m} {p}");
    }
    for role in [
        Role::Administrator,
        Role::SecurityOfficer,
        Role::ItManager,
        Role::Auditor,
        Role::Leadership,
    ] {
        assert!(reporting.allows(Some(role)), "{role:?} reads the report");
    }
    assert!(!reporting.allows(Some(Role::Staff)));
}
