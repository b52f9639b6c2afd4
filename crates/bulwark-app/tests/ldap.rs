//! The LDAP account import against a real OpenLDAP `slapd` that `scripts/test.sh` starts with
//! the fixture directory `tests/fixtures/ldap/directory.ldif` (a small company, Northwind).
//!
//! Without `BULWARK_TEST_LDAP_URL` the tests are skipped with a message, unless
//! `BULWARK_TEST_REQUIRE_LDAP=1` makes that a failure.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bulwark_app::identity::ldap::{LdapError, LdapFetch, LdapSource, TlsProblem, fetch_accounts};
use bulwark_app::platform::secrets::read_secret_file;
use bulwark_identity::AccountRecord;
use chrono::{DateTime, TimeZone, Utc};

/// People in ou=people with a uid, plus the two service accounts.
const ACCOUNTS: usize = 38;

/// The fixture server, as `scripts/test.sh` exports it.
struct Server {
    url: String,
    ldaps_url: String,
    base_dn: String,
    bind_dn: String,
    password: String,
    ca: PathBuf,
}

fn server() -> Option<Server> {
    let Ok(url) = std::env::var("BULWARK_TEST_LDAP_URL") else {
        assert!(
            std::env::var("BULWARK_TEST_REQUIRE_LDAP").as_deref() != Ok("1"),
            "BULWARK_TEST_REQUIRE_LDAP=1 but BULWARK_TEST_LDAP_URL is not set"
        );
        eprintln!("skipping LDAP test: BULWARK_TEST_LDAP_URL is not set (scripts/test.sh sets it)");
        return None;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let password_file = PathBuf::from(var("BULWARK_TEST_LDAP_PASSWORD_FILE"));
    Some(Server {
        url,
        ldaps_url: var("BULWARK_TEST_LDAPS_URL"),
        base_dn: var("BULWARK_TEST_LDAP_BASE_DN"),
        bind_dn: var("BULWARK_TEST_LDAP_BIND_DN"),
        password: read_secret_file(&password_file).expect("password file"),
        ca: PathBuf::from(var("BULWARK_TEST_LDAP_CA")),
    })
}

impl Server {
    fn source(&self) -> LdapSource {
        let mut src = LdapSource::new(&self.url, &self.base_dn, &self.bind_dn, &self.password);
        src.timeout = Duration::from_secs(10);
        src
    }

    fn tls_source(&self) -> LdapSource {
        let mut src = self.source();
        src.url = self.ldaps_url.clone();
        src.ca_file = Some(self.ca.clone());
        src
    }
}

fn account<'a>(fetch: &'a LdapFetch, username: &str) -> &'a AccountRecord {
    fetch
        .accounts
        .iter()
        .find(|a| a.username == username)
        .unwrap_or_else(|| panic!("no account {username}"))
}

fn utc(s: &str) -> DateTime<Utc> {
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    Utc.from_utc_datetime(&t)
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn every_user_comes_with_groups_flags_and_last_login() {
    let Some(server) = server() else { return };
    let mut src = server.source();
    src.mfa_groups = vec!["MFA-Enrolled".into()];
    let fetch = fetch_accounts(&src).await.unwrap();

    assert_eq!(fetch.accounts.len(), ACCOUNTS, "{:#?}", fetch.problems);
    let names: Vec<_> = fetch.accounts.iter().map(|a| a.username.as_str()).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted: {names:?}");

    // The entry without a uid is the one problem, named by its DN.
    assert_eq!(fetch.problems.len(), 1, "{:#?}", fetch.problems);
    let p = &fetch.problems[0];
    assert_eq!(
        p.record.as_deref(),
        Some("cn=Reception Desk,ou=people,dc=northwind,dc=test")
    );
    assert_eq!(p.field.as_deref(), Some("uid"));

    let nora = account(&fetch, "nwhite");
    assert_eq!(nora.email.as_deref(), Some("nora.white@northwind.test"));
    assert_eq!(nora.display_name, "Nora White");
    assert_eq!(nora.employee_id.as_deref(), Some("E1014"));
    assert_eq!(
        nora.groups,
        [
            "admins",
            "it-ops",
            "management",
            "mfa-enrolled",
            "vpn-users"
        ]
    );
    assert!(nora.privileged && nora.mfa && nora.enabled);
    assert_eq!(
        nora.last_login,
        Some(utc("2025-06-14 03:15:00")),
        "authTimestamp"
    );

    // groupOfUniqueNames and posixGroup memberships, which memberOf does not carry.
    let sophie = account(&fetch, "sdubois");
    assert_eq!(
        sophie.groups,
        ["auditors", "finance", "mfa-enrolled", "vpn-users"]
    );
    let bola = account(&fetch, "bokafor");
    assert_eq!(bola.groups, ["developers", "engineering", "vpn-users"]);
    assert!(!bola.privileged && !bola.mfa);

    // Locked (ppolicy) and disabled (nsAccountLock); everyone else can sign in.
    let disabled: Vec<_> = fetch
        .accounts
        .iter()
        .filter(|a| !a.enabled)
        .map(|a| a.username.as_str())
        .collect();
    assert_eq!(disabled, ["mkovacs", "rlindqvist"]);

    // No mail, no employee number, no authTimestamp: last modified stands in.
    let dylan = account(&fetch, "dtaylor");
    assert_eq!(
        (dylan.email.as_ref(), dylan.employee_id.as_ref()),
        (None, None)
    );
    assert_eq!(
        dylan.last_login,
        Some(utc("2025-01-02 12:00:00")),
        "modifyTimestamp"
    );

    // The service accounts.
    let backup = account(&fetch, "svc-backup");
    assert_eq!(backup.email, None);
    assert_eq!(backup.display_name, "Backup service");
    assert_eq!(backup.groups, ["backup-operators"]);
    assert!(
        !backup.privileged,
        "backup-operators is not a default privileged group"
    );
    assert_eq!(backup.last_login, Some(utc("2025-06-30 02:15:00")));
    let jenkins = account(&fetch, "svc-jenkins");
    assert_eq!(jenkins.groups, ["developers"]);

    let privileged: Vec<_> = fetch
        .accounts
        .iter()
        .filter(|a| a.privileged)
        .map(|a| a.username.as_str())
        .collect();
    assert_eq!(privileged, ["ahansen", "nwhite", "oandersen"]);
}

#[tokio::test]
async fn configured_groups_and_user_filter_apply() {
    let Some(server) = server() else { return };
    let mut src = server.source();
    src.privileged_groups = vec!["Backup-Operators".into()];
    src.user_filter = Some("(|(departmentNumber=Finance)(uid=svc-*))".into());
    let fetch = fetch_accounts(&src).await.unwrap();
    let names: Vec<_> = fetch.accounts.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(
        names,
        [
            "rlindqvist",
            "sdubois",
            "svc-backup",
            "svc-jenkins",
            "tmuller",
            "ucosta",
            "vsingh",
            "wbrown"
        ]
    );
    assert!(fetch.problems.is_empty());
    let privileged: Vec<_> = fetch
        .accounts
        .iter()
        .filter(|a| a.privileged)
        .map(|a| a.username.as_str())
        .collect();
    assert_eq!(privileged, ["svc-backup"]);
}

#[tokio::test]
async fn small_pages_give_the_same_accounts() {
    let Some(server) = server() else { return };
    let whole = fetch_accounts(&server.source()).await.unwrap();
    let mut src = server.source();
    src.page_size = 5;
    let paged = fetch_accounts(&src).await.unwrap();
    assert_eq!(paged, whole);
    assert_eq!(paged.accounts.len(), ACCOUNTS);
}

#[tokio::test]
async fn a_size_limit_is_an_error_not_a_short_list() {
    let Some(server) = server() else { return };
    let mut src = server.source();
    // The fixture's reader whose searches stop after 10 entries (config.ldif, olcLimits).
    src.bind_dn = format!("cn=limited-reader,ou=services,{}", server.base_dn);
    src.password = "limited-test-secret-3Kp".into();
    src.page_size = 4;
    let err = fetch_accounts(&src).await.unwrap_err();
    assert!(matches!(err, LdapError::Limit { rc: 4, .. }), "{err:?}");
    assert!(err.to_string().contains("sizeLimitExceeded"), "{err}");
}

#[tokio::test]
async fn a_wrong_password_is_a_refused_bind() {
    let Some(server) = server() else { return };
    let mut src = server.source();
    src.password = "Wrong-Secret-93".into();
    let err = fetch_accounts(&src).await.unwrap_err();
    assert!(matches!(err, LdapError::BindRefused { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("invalid credentials") && msg.contains("49") && msg.contains(&server.bind_dn),
        "{msg}"
    );
    assert!(!msg.contains("Wrong-Secret-93") && !format!("{err:?}").contains("Wrong-Secret-93"));
}

#[tokio::test]
async fn an_unknown_base_dn_is_named() {
    let Some(server) = server() else { return };
    let mut src = server.source();
    src.base_dn = format!("ou=nowhere,{}", server.base_dn);
    let err = fetch_accounts(&src).await.unwrap_err();
    assert!(matches!(err, LdapError::BaseNotFound { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("ou=nowhere,dc=northwind,dc=test")
            && msg.contains("32 noSuchObject")
            && msg.contains("nearest existing entry is `dc=northwind,dc=test`"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_closed_port_cannot_be_connected_to() {
    let Some(server) = server() else { return };
    let port = closed_port();
    let mut src = server.source();
    src.url = format!("ldap://127.0.0.1:{port}");
    let err = fetch_accounts(&src).await.unwrap_err();
    assert!(matches!(err, LdapError::Connect { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("127.0.0.1:{port}")) && msg.contains("connection refused"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_silent_server_times_out_within_the_timeout() {
    let Some(server) = server() else { return };
    // Listening, so TCP connects, but nobody ever accepts or answers.
    let blackhole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = blackhole.local_addr().unwrap().port();
    for (url, phase) in [
        (format!("ldap://127.0.0.1:{port}"), "binding"),
        (format!("ldaps://127.0.0.1:{port}"), "connecting"),
    ] {
        let mut src = server.source();
        src.url = url;
        src.ca_file = None;
        src.timeout = Duration::from_secs(1);
        let started = Instant::now();
        let err = fetch_accounts(&src).await.unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, LdapError::Timeout { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!("the LDAP server at 127.0.0.1:{port} did not answer within 1 s while {phase}")
        );
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(3),
            "{took:?}"
        );
    }
    drop(blackhole);
}

#[tokio::test]
async fn ldaps_needs_the_ca_and_then_works() {
    let Some(server) = server() else { return };
    let mut untrusted = server.tls_source();
    untrusted.ca_file = None;
    let err = fetch_accounts(&untrusted).await.unwrap_err();
    assert!(
        matches!(
            err,
            LdapError::Tls {
                problem: TlsProblem::NotTrusted,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("not trusted") && msg.contains("--ca-file"),
        "{msg}"
    );

    let fetch = fetch_accounts(&server.tls_source()).await.unwrap();
    assert_eq!(fetch.accounts.len(), ACCOUNTS);
}

#[tokio::test]
async fn starttls_works_with_the_ca() {
    let Some(server) = server() else { return };
    let mut src = server.source();
    src.starttls = true;
    src.ca_file = Some(server.ca.clone());
    let fetch = fetch_accounts(&src).await.unwrap();
    assert_eq!(fetch.accounts.len(), ACCOUNTS);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_a_name_mismatch() {
    let Some(server) = server() else { return };
    // The server certificate names only 127.0.0.1; `localhost` reaches the same listener.
    let mut src = server.tls_source();
    src.url = server.ldaps_url.replace("127.0.0.1", "localhost");
    let err = fetch_accounts(&src).await.unwrap_err();
    assert!(
        matches!(
            err,
            LdapError::Tls {
                problem: TlsProblem::NameMismatch { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("does not match") && msg.contains("(it is valid for 127.0.0.1)"),
        "{msg}"
    );
}

#[tokio::test]
async fn plain_ldap_on_the_ldaps_port_says_so() {
    let Some(server) = server() else { return };
    let mut src = server.source();
    src.url = server.ldaps_url.replace("ldaps://", "ldap://");
    let err = fetch_accounts(&src).await.unwrap_err();
    assert!(matches!(err, LdapError::ConnectionLost { .. }), "{err:?}");
    assert!(err.to_string().contains("use an ldaps:// URL"), "{err}");

    let mut src = server.tls_source();
    src.url = server.url.replace("ldap://", "ldaps://");
    let err = fetch_accounts(&src).await.unwrap_err();
    assert!(
        matches!(
            err,
            LdapError::Tls {
                problem: TlsProblem::NotTls,
                ..
            }
        ),
        "{err:?}"
    );
}

mod common;

/// The directory's accounts through the API into a system; a refused bind or an unreachable
/// server changes nothing and says why.
async fn imports_through_the_api_and_refusals_change_nothing(app: common::TestApp) {
    let Some(s) = server() else { return };
    let api = app.api(&app.token_for(bulwark_core::Role::ItManager).await);
    let (st, sys) = api
        .post(
            "/api/v1/assets",
            serde_json::json!({"name": "Directory", "kind": "server"}),
        )
        .await;
    assert_eq!(st, 201, "{sys}");
    let sys = sys["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/assets/{sys}/ldap-imports");
    // The default filter also matches an entry without a login name: the import is refused,
    // naming it, and nothing is stored.
    let (st, e) = api
        .post(
            &path,
            serde_json::json!({"url": s.url, "base_dn": s.base_dn, "bind_dn": s.bind_dn,
                               "password": s.password}),
        )
        .await;
    assert_eq!(st, 422, "{e}");
    assert_eq!(
        e["problems"][0]["record"],
        "cn=Reception Desk,ou=people,dc=northwind,dc=test"
    );
    let (_, none) = api.get(&format!("/api/v1/accounts?system_id={sys}")).await;
    assert!(none["items"].as_array().unwrap().is_empty());

    // With a filter for login accounts only, everyone comes in.
    let body = |url: &str, password: &str| {
        serde_json::json!({"url": url, "base_dn": s.base_dn, "bind_dn": s.bind_dn,
                           "password": password, "timeout_secs": 10,
                           "user_filter": "(&(|(objectClass=inetOrgPerson)(objectClass=posixAccount))(uid=*))"})
    };
    let (st, out) = api.post(&path, body(&s.url, &s.password)).await;
    assert_eq!(st, 201, "{out}");
    assert_eq!(out["import"]["source"], "ldap");
    assert_eq!(out["import"]["added"], ACCOUNTS as i64, "{out}");
    let count = |v: &serde_json::Value| v["items"].as_array().unwrap().len();
    let (_, all) = api
        .get(&format!("/api/v1/accounts?system_id={sys}&limit=500"))
        .await;
    assert_eq!(count(&all), ACCOUNTS);

    let (st, e) = api.post(&path, body(&s.url, "wrong password")).await;
    assert_eq!(st, 400, "{e}");
    assert!(
        !e.to_string().contains("wrong password"),
        "the password is never echoed: {e}"
    );
    let closed = format!("ldap://127.0.0.1:{}", closed_port());
    let (st, e) = api.post(&path, body(&closed, &s.password)).await;
    assert_eq!(st, 400, "{e}");
    let (_, after) = api
        .get(&format!("/api/v1/accounts?system_id={sys}&limit=500"))
        .await;
    assert_eq!(after, all, "refused imports change nothing");

    // A second read of the same directory changes nothing either.
    let (st, out) = api.post(&path, body(&s.url, &s.password)).await;
    assert_eq!(st, 201, "{out}");
    assert_eq!(out["import"]["added"], 0);
    assert_eq!(out["import"]["removed"], 0);
    assert_eq!(out["import"]["changed"], 0);
}
both_backends!(imports_through_the_api_and_refusals_change_nothing);
