//! Accounts read from an LDAP directory: OpenLDAP-style servers and Active Directory.
//!
//! [`fetch_accounts`] binds with a DN and password, runs paged searches (the Simple Paged
//! Results control, so directories of any size work) for groups and for users, and maps every
//! user entry to an [`AccountRecord`]. It writes nothing anywhere: storing the result is the
//! caller's business, so a refusal, a timeout or a TLS error leaves the stored data untouched.
//!
//! What is read, per directory style:
//!
//! | | OpenLDAP (`inetOrgPerson`, `posixAccount`) | Active Directory (`user`) |
//! | --- | --- | --- |
//! | username | `uid` (the RDN's value when there are several) | `sAMAccountName` |
//! | email | `mail` | `mail` |
//! | display name | `displayName`, else `cn` | `displayName`, else `cn` |
//! | employee id | `employeeNumber` | `employeeID` |
//! | groups | `memberOf`, plus `groupOfNames`/`groupOfUniqueNames` (`member`/`uniqueMember`) and `posixGroup` (`memberUid`) groups naming the user | `memberOf` (direct groups only) |
//! | disabled | `pwdAccountLockedTime` (ppolicy) or `nsAccountLock: true` | `userAccountControl` bit 0x2 |
//! | last login | `authTimestamp` (lastbind overlay), else `pwdLastSuccess`, else `modifyTimestamp` | `lastLogonTimestamp` (replicated, so up to about 14 days behind) |
//!
//! `modifyTimestamp` is when the entry last *changed*, not when its owner last signed in: a
//! weaker signal, used only when the server records no sign-ins. Group names are the groups'
//! CNs. LDAP knows nothing of second factors: `mfa` is true only for members of a configured
//! MFA group. An entry that cannot be mapped (no login name, an unreadable value) becomes an
//! [`InputProblem`] whose record is the entry's DN.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bulwark_core::InputProblem;
use bulwark_core::validate::Email;
use bulwark_identity::AccountRecord;
use chrono::{DateTime, NaiveDate, Utc};
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapResult, Scope, SearchEntry};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::task::JoinHandle;

/// Members of these groups are privileged unless the source names its own list.
pub const DEFAULT_PRIVILEGED_GROUPS: [&str; 8] = [
    "Domain Admins",
    "Enterprise Admins",
    "Schema Admins",
    "Administrators",
    "Account Operators",
    "Backup Operators",
    "Server Operators",
    "admins",
];

/// The user filter when the source sets none: people on OpenLDAP-style servers, and AD user
/// objects that are people (not computers, whose class derives from `user`).
pub const DEFAULT_USER_FILTER: &str = "(|(objectClass=inetOrgPerson)(objectClass=posixAccount)(&(objectCategory=person)(objectClass=user)))";

/// Static groups searched to find memberships that `memberOf` does not show.
const GROUP_FILTER: &str =
    "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))";
const GROUP_ATTRS: [&str; 4] = ["cn", "member", "uniqueMember", "memberUid"];
const USER_ATTRS: [&str; 16] = [
    "uid",
    "sAMAccountName",
    "userPrincipalName",
    "mail",
    "cn",
    "displayName",
    "employeeNumber",
    "employeeID",
    "memberOf",
    "pwdAccountLockedTime",
    "nsAccountLock",
    "authTimestamp",
    "pwdLastSuccess",
    "modifyTimestamp",
    "userAccountControl",
    "lastLogonTimestamp",
];

/// At most this many problems are returned; the last one then says how many more there were.
const MAX_PROBLEMS: usize = 1000;

/// Where and how to read accounts from a directory.
#[derive(Clone)]
pub struct LdapSource {
    /// `ldap://host[:port]` (389 by default) or `ldaps://host[:port]` (636).
    pub url: String,
    /// Where the searches start, e.g. `dc=example,dc=com`.
    pub base_dn: String,
    /// The DN to bind as (AD also accepts `user@domain`).
    pub bind_dn: String,
    /// The bind password; never printed by `Debug` nor put in any message.
    pub password: String,
    /// The LDAP filter selecting user entries; [`DEFAULT_USER_FILTER`] when `None`.
    pub user_filter: Option<String>,
    /// Group names (CNs, any letter case) whose members are privileged.
    pub privileged_groups: Vec<String>,
    /// Group names whose members sign in with a second factor.
    pub mfa_groups: Vec<String>,
    /// Upgrade an `ldap://` connection with StartTLS before binding.
    pub starttls: bool,
    /// An extra trusted CA certificate (PEM), besides the system's.
    pub ca_file: Option<PathBuf>,
    /// How long to wait for the connection and for each answer of the server.
    pub timeout: Duration,
    /// Entries per page of the paged searches (AD serves at most 1,000).
    pub page_size: u16,
}

impl LdapSource {
    /// A source with the defaults: default filter and privileged groups, no MFA groups, no
    /// StartTLS, system CAs only, a 30 s timeout and pages of 500 entries.
    pub fn new(url: &str, base_dn: &str, bind_dn: &str, password: &str) -> Self {
        LdapSource {
            url: url.to_owned(),
            base_dn: base_dn.to_owned(),
            bind_dn: bind_dn.to_owned(),
            password: password.to_owned(),
            user_filter: None,
            privileged_groups: DEFAULT_PRIVILEGED_GROUPS.map(String::from).to_vec(),
            mfa_groups: Vec::new(),
            starttls: false,
            ca_file: None,
            timeout: Duration::from_secs(30),
            page_size: 500,
        }
    }
}

impl fmt::Debug for LdapSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LdapSource")
            .field("url", &self.url)
            .field("base_dn", &self.base_dn)
            .field("bind_dn", &self.bind_dn)
            .field("password", &"<redacted>")
            .field("user_filter", &self.user_filter)
            .field("privileged_groups", &self.privileged_groups)
            .field("mfa_groups", &self.mfa_groups)
            .field("starttls", &self.starttls)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("page_size", &self.page_size)
            .finish()
    }
}

/// What a directory yielded: the accounts, sorted by username, and the entries that could not
/// be mapped (each problem's record is the entry's DN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapFetch {
    /// One record per user entry that could be mapped.
    pub accounts: Vec<AccountRecord>,
    /// Entries left out, and why; at most 1,000, the last then counting the rest.
    pub problems: Vec<InputProblem>,
}

/// What the client was doing when something went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opening the TCP connection, and TLS or StartTLS on it.
    Connecting,
    /// The simple bind.
    Binding,
    /// The search for groups.
    SearchingGroups,
    /// The search for users.
    SearchingUsers,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connecting => "connecting",
            Phase::Binding => "binding",
            Phase::SearchingGroups => "searching for groups",
            Phase::SearchingUsers => "searching for users",
        })
    }
}

/// Why TLS with the server failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// The certificate chain does not lead to a trusted CA.
    NotTrusted,
    /// The certificate does not name the host in the URL; it names these instead.
    NameMismatch {
        /// The names the certificate is valid for (empty when the server did not say).
        presented: Vec<String>,
    },
    /// The certificate has expired or is not valid yet.
    OutsideValidity,
    /// The server did not answer in TLS, or hung up during the handshake.
    NotTls,
    /// Anything else, as the TLS library puts it.
    Other(String),
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsProblem::NotTrusted => f.write_str(
                "the server's certificate is not trusted (no trusted certificate authority signed \
                 it); pass the CA certificate that did, as PEM, with --ca-file",
            ),
            TlsProblem::NameMismatch { presented } => {
                f.write_str("the server's certificate does not match the host name in the URL")?;
                if !presented.is_empty() {
                    write!(f, " (it is valid for {})", presented.join(", "))?;
                }
                f.write_str(
                    "; connect by a name the certificate lists (--ca-file does not help here)",
                )
            }
            TlsProblem::OutsideValidity => {
                f.write_str("the server's certificate has expired or is not valid yet")
            }
            TlsProblem::NotTls => f.write_str(
                "the server did not complete a TLS handshake; if the port speaks plain LDAP, use \
                 an ldap:// URL (with StartTLS if the server offers it)",
            ),
            TlsProblem::Other(s) => f.write_str(s),
        }
    }
}

/// Why accounts could not be read. Messages are meant for the person running the import and
/// never contain the password.
#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    /// A setting of the source is unusable; nothing was sent.
    #[error("{setting}: {message}")]
    Setting {
        /// The setting at fault (`url`, `password`, `user filter`, …).
        setting: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The extra CA file cannot be read or holds no certificate.
    #[error("cannot use the CA file {}: {reason}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// No TCP connection could be opened.
    #[error("cannot connect to the LDAP server at {server}: {reason}")]
    Connect {
        /// `host:port`.
        server: String,
        /// The system's reason.
        reason: String,
    },
    /// The server did not answer in time.
    #[error("the LDAP server at {server} did not answer within {} while {phase}", seconds(*timeout))]
    Timeout {
        /// `host:port`.
        server: String,
        /// The configured timeout.
        timeout: Duration,
        /// What was waited for.
        phase: Phase,
    },
    /// TLS (ldaps:// or StartTLS) failed.
    #[error("TLS with the LDAP server at {server} failed: {problem}")]
    Tls {
        /// `host:port`.
        server: String,
        /// Which check failed.
        problem: TlsProblem,
    },
    /// The connection broke off.
    #[error("the LDAP server at {server} closed the connection while {phase} ({reason}){}",
        if *phase == Phase::Binding { "; if this port expects TLS, use an ldaps:// URL" } else { "" })]
    ConnectionLost {
        /// `host:port`.
        server: String,
        /// What was going on.
        phase: Phase,
        /// What the connection reported.
        reason: String,
    },
    /// The bind was refused: wrong DN or password (LDAP result 49).
    #[error(
        "the LDAP server refused the bind as `{bind_dn}`: invalid credentials (LDAP result 49 invalidCredentials){detail}; check the bind DN and the password file"
    )]
    BindRefused {
        /// The DN bound as.
        bind_dn: String,
        /// The server's diagnostic, explained where known (Active Directory's `data` codes).
        detail: String,
    },
    /// The base DN does not exist (LDAP result 32).
    #[error("the base DN `{base_dn}` does not exist on the server (LDAP result 32 noSuchObject{})",
        if matched.is_empty() { String::new() } else { format!("; the nearest existing entry is `{matched}`") })]
    BaseNotFound {
        /// The base DN searched.
        base_dn: String,
        /// The longest existing part of it, as the server said.
        matched: String,
    },
    /// The server stopped a search at a size, time or administrative limit, so the result
    /// would be incomplete (LDAP results 3, 4 and 11).
    #[error("the LDAP server stopped {phase} at one of its limits (LDAP result {rc} {}); the accounts would be incomplete, so none are returned. Raise the limit for the bind DN (OpenLDAP `limits`, Active Directory MaxPageSize and MaxResultSetSize) or narrow the base DN or user filter", result_code_name(*rc))]
    Limit {
        /// The search.
        phase: Phase,
        /// 3, 4 or 11.
        rc: u32,
    },
    /// Any other refusal, with the server's result code and diagnostic.
    #[error("the LDAP server refused the request while {phase}: LDAP result {rc} {}{}{}", result_code_name(*rc), with_colon(text), result_code_hint(*rc))]
    Refused {
        /// What was refused.
        phase: Phase,
        /// The LDAP result code.
        rc: u32,
        /// The server's diagnostic message (and referrals).
        text: String,
    },
    /// Anything else the LDAP client reported.
    #[error("LDAP error while {phase}: {reason}")]
    Other {
        /// What was going on.
        phase: Phase,
        /// The client's message.
        reason: String,
    },
}

/// Reads every user account from the directory `src` describes.
///
/// Nothing is written anywhere; on any error no accounts are returned.
pub async fn fetch_accounts(src: &LdapSource) -> Result<LdapFetch, LdapError> {
    let target = Target::parse(src)?;
    let user_filter = src.user_filter.as_deref().unwrap_or(DEFAULT_USER_FILTER);
    if ldap3::parse_filter(user_filter).is_err() {
        return Err(LdapError::Setting {
            setting: "user filter",
            message: format!("`{user_filter}` is not an LDAP filter such as (objectClass=person)"),
        });
    }
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(src.timeout)
        .set_starttls(src.starttls);
    if target.tls {
        settings = settings.set_config(tls_config(src.ca_file.as_deref())?);
    }

    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &src.url)
        .await
        .map_err(|e| target.error(e, Phase::Connecting, None))?;
    let mut session = Session {
        driver: Some(tokio::spawn(conn.drive())),
        target: &target,
    };
    let result = ldap
        .with_timeout(src.timeout)
        .simple_bind(&src.bind_dn, &src.password)
        .await;
    let bound = match result {
        Ok(r) => r.success().map_err(|e| session.error(e, Phase::Binding)),
        Err(e) => Err(session.error_after_drive(e, Phase::Binding).await),
    };
    let fetched = match bound {
        Ok(_) => read_accounts(&mut ldap, &mut session, src, user_filter).await,
        Err(e) => Err(e),
    };
    // Best effort (bounded, as the server may be the one that stopped answering): the server
    // drops the connection on its own when the socket closes.
    let _ = tokio::time::timeout(src.timeout, ldap.unbind()).await;
    if let Some(driver) = session.driver.take() {
        driver.abort();
    }
    let fetch = fetched?;
    tracing::info!(
        server = %target.server,
        base_dn = %src.base_dn,
        accounts = fetch.accounts.len(),
        problems = fetch.problems.len(),
        "LDAP accounts read"
    );
    Ok(fetch)
}

/// Groups first (to know every membership), then users, mapped as they arrive.
async fn read_accounts(
    ldap: &mut Ldap,
    session: &mut Session<'_>,
    src: &LdapSource,
    user_filter: &str,
) -> Result<LdapFetch, LdapError> {
    let mut groups = GroupIndex::default();
    paged_search(
        ldap,
        session,
        src,
        GROUP_FILTER,
        &GROUP_ATTRS,
        Phase::SearchingGroups,
        |e| groups.add(&e.dn, &e.attrs),
    )
    .await?;
    let rules = GroupRules::new(&src.privileged_groups, &src.mfa_groups);
    let mut collected = Collected::default();
    paged_search(
        ldap,
        session,
        src,
        user_filter,
        &USER_ATTRS,
        Phase::SearchingUsers,
        |e| {
            let binary = USER_ATTRS
                .iter()
                .filter(|a| e.bin_attrs.keys().any(|k| k.eq_ignore_ascii_case(a)));
            let unreadable: Vec<_> = binary
                .map(|a| InputProblem::in_record(&e.dn, Some(a), "is not UTF-8 text"))
                .collect();
            let mapped = if unreadable.is_empty() {
                map_entry(&e.dn, &e.attrs, &groups.of(&e.dn, &e.attrs), &rules)
            } else {
                Err(unreadable)
            };
            collected.push(&e.dn, mapped);
        },
    )
    .await?;
    Ok(collected.finish())
}

/// Runs one paged subtree search under the base DN, handing each entry to `each`.
async fn paged_search(
    ldap: &mut Ldap,
    session: &mut Session<'_>,
    src: &LdapSource,
    filter: &str,
    attrs: &[&'static str],
    phase: Phase,
    mut each: impl FnMut(SearchEntry),
) -> Result<(), LdapError> {
    let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(i32::from(src.page_size.max(1)))),
    ];
    let started = ldap
        .with_timeout(src.timeout)
        .streaming_search_with(
            adapters,
            &src.base_dn,
            Scope::Subtree,
            filter,
            attrs.to_vec(),
        )
        .await;
    let mut stream = match started {
        Ok(s) => s,
        Err(e) => return Err(session.error_after_drive(e, phase).await),
    };
    loop {
        match stream.next().await {
            Ok(Some(entry)) => each(SearchEntry::construct(entry)),
            Ok(None) => break,
            Err(e) => return Err(session.error_after_drive(e, phase).await),
        }
    }
    let done = stream.finish().await;
    match done.rc {
        0 => Ok(()),
        _ => Err(session.target.result_error(done, phase)),
    }
}

/// The server as the URL names it, for messages and checks made before connecting.
#[derive(Debug)]
struct Target {
    /// `host:port`.
    server: String,
    /// TLS is used (ldaps:// or StartTLS).
    tls: bool,
    bind_dn: String,
    base_dn: String,
    timeout: Duration,
}

impl Target {
    /// Checks the URL and the settings that can be checked without the network.
    fn parse(src: &LdapSource) -> Result<Target, LdapError> {
        let bad_url = |message: String| LdapError::Setting {
            setting: "url",
            message,
        };
        let lower = src.url.to_ascii_lowercase();
        let (rest, ldaps) = if let Some(rest) = lower.strip_prefix("ldaps://") {
            (rest, true)
        } else if let Some(rest) = lower.strip_prefix("ldap://") {
            (rest, false)
        } else {
            return Err(bad_url(format!(
                "`{}` must start with ldap:// or ldaps://",
                src.url
            )));
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') {
            return Err(bad_url(format!(
                "`{}` must name a host, as in ldaps://ldap.example.com",
                src.url
            )));
        }
        let has_port = authority
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.ends_with(':') && port.parse::<u16>().is_ok());
        // The authority as written (the URL was lower-cased only to compare the scheme).
        let start = src.url.len() - rest.len();
        let written = &src.url[start..start + authority.len()];
        let server = match (has_port, ldaps) {
            (true, _) => written.to_owned(),
            (false, true) => format!("{written}:636"),
            (false, false) => format!("{written}:389"),
        };
        if ldaps && src.starttls {
            return Err(LdapError::Setting {
                setting: "starttls",
                message: "StartTLS is for ldap:// URLs; an ldaps:// URL uses TLS already".into(),
            });
        }
        let tls = ldaps || src.starttls;
        if let (Some(path), false) = (&src.ca_file, tls) {
            return Err(LdapError::Setting {
                setting: "ca file",
                message: format!(
                    "{} would not be used: the connection has no TLS; use an ldaps:// URL or StartTLS",
                    path.display()
                ),
            });
        }
        if src.password.is_empty() && !src.bind_dn.is_empty() {
            return Err(LdapError::Setting {
                setting: "password",
                message: "is empty; servers take a DN with an empty password as an \
                          unauthenticated (anonymous) bind, so it is refused"
                    .into(),
            });
        }
        if src.timeout.is_zero() {
            return Err(LdapError::Setting {
                setting: "timeout",
                message: "must be longer than zero".into(),
            });
        }
        Ok(Target {
            server,
            tls,
            bind_dn: src.bind_dn.clone(),
            base_dn: src.base_dn.clone(),
            timeout: src.timeout,
        })
    }

    /// Turns the client's error into one that says what happened, in the user's terms.
    /// `lost` is the connection driver's own error, when it ended.
    fn error(&self, e: ldap3::LdapError, phase: Phase, lost: Option<String>) -> LdapError {
        use ldap3::LdapError as E;
        let server = self.server.clone();
        match e {
            E::Timeout { .. } => LdapError::Timeout {
                server,
                timeout: self.timeout,
                phase,
            },
            E::LdapResult { result } => self.result_error(result, phase),
            E::Rustls { source } => LdapError::Tls {
                server,
                problem: tls_problem(&source),
            },
            E::Io { source } => {
                let tls = source
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>());
                let eof = source.kind() == std::io::ErrorKind::UnexpectedEof;
                match (tls, phase) {
                    (Some(tls), _) => LdapError::Tls {
                        server,
                        problem: tls_problem(tls),
                    },
                    (None, Phase::Connecting) if eof && self.tls => LdapError::Tls {
                        server,
                        problem: TlsProblem::NotTls,
                    },
                    (None, Phase::Connecting) => LdapError::Connect {
                        server,
                        reason: match source.kind() {
                            std::io::ErrorKind::ConnectionRefused => {
                                "connection refused (is the server running, and is the port right?)"
                                    .to_owned()
                            }
                            _ => source.to_string(),
                        },
                    },
                    (None, _) => LdapError::ConnectionLost {
                        server,
                        phase,
                        reason: source.to_string(),
                    },
                }
            }
            E::ResultRecv { .. }
            | E::OpSend { .. }
            | E::IdScrubSend { .. }
            | E::MiscSend { .. }
            | E::EndOfStream => LdapError::ConnectionLost {
                server,
                phase,
                reason: lost.unwrap_or_else(|| "the connection was closed".into()),
            },
            E::UrlParsing { .. } | E::UnknownScheme(_) | E::DNSName { .. } => LdapError::Setting {
                setting: "url",
                message: e.to_string(),
            },
            other => LdapError::Other {
                phase,
                reason: other.to_string(),
            },
        }
    }

    /// The error for an LDAP result code other than success.
    fn result_error(&self, r: LdapResult, phase: Phase) -> LdapError {
        match (r.rc, phase) {
            (49, Phase::Binding) => LdapError::BindRefused {
                bind_dn: self.bind_dn.clone(),
                detail: with_colon(&explain_ad_bind_text(&r.text)),
            },
            (32, Phase::SearchingGroups | Phase::SearchingUsers) => LdapError::BaseNotFound {
                base_dn: self.base_dn.clone(),
                matched: r.matched,
            },
            (3 | 4 | 11, Phase::SearchingGroups | Phase::SearchingUsers) => {
                LdapError::Limit { phase, rc: r.rc }
            }
            (rc, _) => {
                let mut text = r.text.trim().to_owned();
                if !r.refs.is_empty() {
                    let sep = if text.is_empty() { "" } else { "; " };
                    text = format!("{text}{sep}referred to {}", r.refs.join(", "));
                }
                LdapError::Refused { phase, rc, text }
            }
        }
    }
}

/// The open connection's driver task, and what it needs to explain errors.
struct Session<'a> {
    driver: Option<JoinHandle<ldap3::result::Result<()>>>,
    target: &'a Target,
}

impl Session<'_> {
    fn error(&self, e: ldap3::LdapError, phase: Phase) -> LdapError {
        self.target.error(e, phase, None)
    }

    /// Like [`Session::error`], but when the connection broke, waits briefly for the driver to
    /// say why (for example "connection reset by peer").
    async fn error_after_drive(&mut self, e: ldap3::LdapError, phase: Phase) -> LdapError {
        use ldap3::LdapError as E;
        let broke = matches!(e, E::ResultRecv { .. } | E::OpSend { .. } | E::EndOfStream);
        let mut lost = None;
        if let (true, Some(driver)) = (broke, self.driver.as_mut()) {
            if let Ok(Ok(Err(reason))) = tokio::time::timeout(Duration::from_secs(1), driver).await
            {
                lost = Some(reason.to_string());
            }
            self.driver = None;
        }
        self.target.error(e, phase, lost)
    }
}

/// The client TLS configuration: the system's CAs plus the extra CA file, if any.
fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, LdapError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_file {
        let ca_error = |reason: String| LdapError::CaFile {
            path: path.to_owned(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ca_error(format!("not a PEM certificate file ({e})")))?;
        if certs.is_empty() {
            return Err(ca_error(
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| ca_error(format!("holds an unusable certificate ({e})")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapError::Other {
            phase: Phase::Connecting,
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Which TLS check failed, from the TLS library's error.
fn tls_problem(e: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer | C::BadSignature => TlsProblem::NotTrusted,
            C::NotValidForName => TlsProblem::NameMismatch { presented: vec![] },
            C::NotValidForNameContext { presented, .. } => TlsProblem::NameMismatch {
                presented: presented.iter().map(|n| plain_name(n)).collect(),
            },
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsProblem::OutsideValidity,
            other => TlsProblem::Other(format!("the server's certificate was refused: {other}")),
        },
        rustls::Error::InvalidMessage(_) => TlsProblem::NotTls,
        other => TlsProblem::Other(other.to_string()),
    }
}

/// A certificate name as the TLS library lists it (`DnsName("x")`, `IpAddress(x)`), as people
/// write it.
fn plain_name(listed: &str) -> String {
    let inner = listed
        .strip_prefix("DnsName(\"")
        .and_then(|r| r.strip_suffix("\")"))
        .or_else(|| listed.strip_prefix("IpAddress(")?.strip_suffix(')'));
    inner.unwrap_or(listed).to_owned()
}

/// `: text`, or nothing for an empty text.
fn with_colon(text: &str) -> String {
    match text.trim() {
        "" => String::new(),
        t => format!(": {t}"),
    }
}

/// A duration as people write it in a message: `5 s`, `1.5 s`.
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// The name RFC 4511 (appendix A) gives an LDAP result code.
fn result_code_name(rc: u32) -> &'static str {
    match rc {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        16 => "noSuchAttribute",
        17 => "undefinedAttributeType",
        18 => "inappropriateMatching",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        54 => "loopDetect",
        80 => "other",
        _ => "(unknown result code)",
    }
}

/// What to do about a result code, when there is something to say.
fn result_code_hint(rc: u32) -> &'static str {
    match rc {
        8 | 13 => "; the server requires TLS: use an ldaps:// URL or StartTLS",
        34 => "; check the bind DN and the base DN",
        48 | 53 => "; the server may refuse simple binds without TLS, or for this DN",
        50 => "; the bind DN may not read this part of the directory",
        51 | 52 => "; try again later",
        _ => "",
    }
}

/// Active Directory's bind diagnostics carry a `data NNN` code; this adds what it means.
fn explain_ad_bind_text(text: &str) -> String {
    let text = text.trim_end_matches('\0').trim();
    let code = text
        .split(", data ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .map(str::trim);
    let meaning = match code {
        Some("525") => "the user does not exist",
        Some("52e") => "wrong password",
        Some("530") => "not permitted to sign in at this time",
        Some("531") => "not permitted to sign in from this workstation",
        Some("532") => "the password has expired",
        Some("533") => "the account is disabled",
        Some("701") => "the account has expired",
        Some("773") => "the password must be changed first",
        Some("775") => "the account is locked out",
        _ => return text.to_owned(),
    };
    format!("{text} ({meaning})")
}

// ---------------------------------------------------------------------------------------------
// Mapping: pure functions over an entry's attributes
// ---------------------------------------------------------------------------------------------

/// The configured group names, lower-cased for comparison.
#[derive(Debug)]
struct GroupRules {
    privileged: HashSet<String>,
    mfa: HashSet<String>,
}

impl GroupRules {
    fn new(privileged: &[String], mfa: &[String]) -> Self {
        let set = |names: &[String]| names.iter().map(|n| n.trim().to_lowercase()).collect();
        GroupRules {
            privileged: set(privileged),
            mfa: set(mfa),
        }
    }
}

/// An entry's attributes looked up by name in any letter case (servers answer in their own).
struct Attrs<'a>(HashMap<String, &'a [String]>);

impl<'a> Attrs<'a> {
    fn new(attrs: &'a HashMap<String, Vec<String>>) -> Self {
        Attrs(
            attrs
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.as_slice()))
                .collect(),
        )
    }

    /// Every non-empty value, trimmed.
    fn all(&self, name: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let values: &'a [String] = self
            .0
            .get(&name.to_ascii_lowercase())
            .copied()
            .unwrap_or_default();
        values.iter().map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The first non-empty value.
    fn first(&self, name: &str) -> Option<&'a str> {
        self.all(name).next()
    }
}

/// Maps one user entry. `found_groups` are the names of groups found by searching that list
/// the entry as a member; `memberOf` adds the rest. Every problem of the entry is reported.
fn map_entry(
    dn: &str,
    attrs: &HashMap<String, Vec<String>>,
    found_groups: &[String],
    rules: &GroupRules,
) -> Result<AccountRecord, Vec<InputProblem>> {
    let a = Attrs::new(attrs);
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: String| {
        problems.push(InputProblem::in_record(dn, Some(field), message));
    };
    let active_directory = a.first("sAMAccountName").is_some();

    let username = a
        .first("sAMAccountName")
        .or_else(|| uid_of(dn, &a))
        .or_else(|| a.first("userPrincipalName"));
    if username.is_none() {
        problem(
            "uid",
            "has no login name: none of uid, sAMAccountName or userPrincipalName is set".into(),
        );
    }
    let email = a.first("mail").and_then(|m| match Email::parse("mail", m) {
        Ok(e) => Some(e.as_str().to_owned()),
        Err(_) => {
            problem("mail", format!("`{m}` is not an email address"));
            None
        }
    });

    let mut groups = Vec::new();
    for value in a.all("memberOf") {
        match group_name_of_dn(value) {
            Some(name) => groups.push(name),
            None => problem("memberOf", format!("`{value}` is not a DN")),
        }
    }
    groups.extend(found_groups.iter().cloned());
    let groups = sorted_unique(groups);
    let in_any = |set: &HashSet<String>| groups.iter().any(|g| set.contains(&g.to_lowercase()));
    let (privileged, mfa) = (in_any(&rules.privileged), in_any(&rules.mfa));

    let mut disabled = a.first("pwdAccountLockedTime").is_some();
    if let Some(lock) = a.first("nsAccountLock") {
        match lock.to_ascii_lowercase().as_str() {
            "true" => disabled = true,
            "false" => {}
            _ => problem("nsAccountLock", format!("`{lock}` must be true or false")),
        }
    }
    if let Some(uac) = a.first("userAccountControl") {
        match uac.parse::<i64>() {
            Ok(flags) => disabled |= flags & 0x2 != 0,
            Err(_) => problem("userAccountControl", format!("`{uac}` is not a number")),
        }
    }

    // AD keeps modifyTimestamp too, but there it would make accounts that never signed in
    // look recently used: only lastLogonTimestamp counts.
    let login_attrs: &[&str] = if active_directory {
        &["lastLogonTimestamp"]
    } else {
        &["authTimestamp", "pwdLastSuccess", "modifyTimestamp"]
    };
    let mut last_login = None;
    if let Some((field, value)) = login_attrs.iter().find_map(|f| a.first(f).map(|v| (*f, v))) {
        let parsed = if field == "lastLogonTimestamp" {
            filetime(value)
        } else {
            generalized_time(value).map(Some)
        };
        match parsed {
            Some(t) => last_login = t,
            None => problem(field, format!("`{value}` is not a valid time")),
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AccountRecord {
        username: username.unwrap_or_default().to_owned(),
        email,
        display_name: a
            .first("displayName")
            .or_else(|| a.first("cn"))
            .unwrap_or_default()
            .to_owned(),
        privileged,
        mfa,
        last_login,
        groups,
        enabled: !disabled,
        employee_id: a
            .first("employeeID")
            .or_else(|| a.first("employeeNumber"))
            .map(str::to_owned),
    })
}

/// The `uid` to use: the DN's own when its first RDN is a uid (entries may hold several).
fn uid_of<'a>(dn: &str, a: &Attrs<'a>) -> Option<&'a str> {
    let from_rdn = parse_dn(dn)
        .and_then(|rdns| rdns.into_iter().next())
        .and_then(|rdn| rdn.into_iter().find(|(t, _)| t == "uid"))
        .map(|(_, v)| v);
    match from_rdn {
        Some(v) => a
            .all("uid")
            .find(|u| u.eq_ignore_ascii_case(&v))
            .or_else(|| a.first("uid")),
        None => a.first("uid"),
    }
}

/// Group names without duplicates (in any letter case), in alphabetical order.
fn sorted_unique(mut names: Vec<String>) -> Vec<String> {
    names.sort_by_cached_key(|n| (n.to_lowercase(), n.clone()));
    names.dedup_by(|a, b| a.to_lowercase() == b.to_lowercase());
    names
}

/// Memberships found by searching the static groups, by member DN and by `memberUid`.
#[derive(Debug, Default)]
struct GroupIndex {
    by_dn: HashMap<String, Vec<String>>,
    by_uid: HashMap<String, Vec<String>>,
}

impl GroupIndex {
    /// Adds one group entry (`groupOfNames`, `groupOfUniqueNames` or `posixGroup`).
    fn add(&mut self, dn: &str, attrs: &HashMap<String, Vec<String>>) {
        let a = Attrs::new(attrs);
        let Some(name) = a
            .first("cn")
            .map(str::to_owned)
            .or_else(|| group_name_of_dn(dn))
        else {
            return;
        };
        let members = a.all("member").chain(a.all("uniqueMember").map(|m| {
            // uniqueMember may end with an optional unique id: `dn#'0101'B`.
            match m.rsplit_once("#'") {
                Some((dn, id)) if id.ends_with("'B") => dn,
                _ => m,
            }
        }));
        for member in members {
            if let Some(key) = dn_key(member) {
                self.by_dn.entry(key).or_default().push(name.clone());
            }
        }
        for uid in a.all("memberUid") {
            self.by_uid
                .entry(uid.to_lowercase())
                .or_default()
                .push(name.clone());
        }
    }

    /// The names of the groups listing the user entry `dn` (by DN, or by any of its `uid`s).
    fn of(&self, dn: &str, attrs: &HashMap<String, Vec<String>>) -> Vec<String> {
        let a = Attrs::new(attrs);
        let by_dn = dn_key(dn).and_then(|k| self.by_dn.get(&k)).into_iter();
        let by_uid = a
            .all("uid")
            .filter_map(|u| self.by_uid.get(&u.to_lowercase()));
        by_dn.chain(by_uid).flatten().cloned().collect()
    }
}

/// A DN's relative distinguished names, first (leaf) first, each a list of
/// (attribute type lower-cased, value unescaped) pairs; `None` when it is not a DN.
///
/// Written by hand: the LDAP client parses no DNs, and this RFC 4514 subset (escapes `\,` and
/// `\2C`, multi-valued RDNs with `+`, spaces around separators) is all the mapping needs.
fn parse_dn(dn: &str) -> Option<Vec<Vec<(String, String)>>> {
    let mut rdns = Vec::new();
    let mut rdn = Vec::new();
    let mut chars = dn.trim().chars().peekable();
    chars.peek()?;
    loop {
        let attr: String = chars.by_ref().take_while(|&c| c != '=').collect();
        let attr = attr.trim().to_ascii_lowercase();
        if attr.is_empty()
            || !attr
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return None;
        }
        let mut value = Vec::<u8>::new();
        let mut end_kept = 0; // length of the value without unescaped trailing spaces
        let mut separator = None;
        while let Some(c) = chars.next() {
            match c {
                ',' | '+' | ';' => {
                    separator = Some(c);
                    break;
                }
                '\\' => {
                    let next = chars.next()?;
                    if next.is_ascii_hexdigit() {
                        let low = chars.next().filter(char::is_ascii_hexdigit)?;
                        let byte = u8::from_str_radix(&format!("{next}{low}"), 16).ok()?;
                        value.push(byte);
                    } else {
                        let mut buf = [0; 4];
                        value.extend_from_slice(next.encode_utf8(&mut buf).as_bytes());
                    }
                    end_kept = value.len();
                }
                ' ' if value.is_empty() => {}
                c => {
                    let mut buf = [0; 4];
                    value.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    if c != ' ' {
                        end_kept = value.len();
                    }
                }
            }
        }
        value.truncate(end_kept);
        rdn.push((attr, String::from_utf8(value).ok()?));
        match separator {
            Some('+') => {}
            Some(_) => rdns.push(std::mem::take(&mut rdn)),
            None => {
                rdns.push(rdn);
                return Some(rdns);
            }
        }
    }
}

/// A DN in a form two spellings of the same DN share (letter case, spaces, escapes).
fn dn_key(dn: &str) -> Option<String> {
    let rdns = parse_dn(dn)?;
    let rdn_keys: Vec<String> = rdns
        .iter()
        .map(|rdn| {
            let mut avas: Vec<String> = rdn
                .iter()
                .map(|(t, v)| format!("{t}={}", v.to_lowercase()))
                .collect();
            avas.sort();
            avas.join("+")
        })
        .collect();
    Some(rdn_keys.join(","))
}

/// A group's name from its DN: the value of the first RDN (its CN, as a rule).
fn group_name_of_dn(dn: &str) -> Option<String> {
    let first = parse_dn(dn)?.into_iter().next()?;
    first
        .iter()
        .find(|(t, _)| t == "cn")
        .or(first.first())
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// An LDAP GeneralizedTime (RFC 4517): `YYYYMMDDHH[MM[SS]][.fraction](Z|±HH[MM])`.
fn generalized_time(s: &str) -> Option<DateTime<Utc>> {
    let zone_at = s.find(['Z', 'z', '+', '-'])?;
    let (local, zone) = s.split_at(zone_at);
    let (digits, fraction) = match local.find(['.', ',']) {
        Some(i) => (&local[..i], Some(&local[i + 1..])),
        None => (local, None),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![10, 12, 14].contains(&digits.len()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).map_or(Some(0), |d| d.parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(4..6)?, num(6..8)?)?;
    let time = date.and_hms_opt(num(8..10)?, num(10..12)?, num(12..14)?)?;
    // A fraction belongs to the last unit given: hour, minute or second.
    let unit_seconds = match digits.len() {
        10 => 3600.0,
        12 => 60.0,
        _ => 1.0,
    };
    let extra_nanos = match fraction {
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            (format!("0.{f}").parse::<f64>().ok()? * unit_seconds * 1e9).round() as i64
        }
        Some(_) => return None,
        None => 0,
    };
    let offset_minutes = match zone {
        "Z" | "z" => 0,
        z if (z.len() == 3 || z.len() == 5) && z[1..].bytes().all(|b| b.is_ascii_digit()) => {
            let hours: i64 = z[1..3].parse().ok()?;
            let minutes: i64 = z.get(3..5).map_or(Some(0), |m| m.parse().ok())?;
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (hours * 60 + minutes)
        }
        _ => return None,
    };
    let utc = time.and_utc() + chrono::Duration::nanoseconds(extra_nanos)
        - chrono::Duration::minutes(offset_minutes);
    Some(utc)
}

/// A Windows FILETIME (100 ns ticks since 1601-01-01 UTC) as AD writes `lastLogonTimestamp`;
/// `Some(None)` for 0 and the "never" value, `None` when it is not such a number.
fn filetime(s: &str) -> Option<Option<DateTime<Utc>>> {
    const TICKS_PER_SECOND: i64 = 10_000_000;
    const SECONDS_1601_TO_1970: i64 = 11_644_473_600;
    let ticks: i64 = s.parse().ok()?;
    if ticks == 0 || ticks == i64::MAX {
        return Some(None);
    }
    if ticks < 0 {
        return None;
    }
    let secs = ticks / TICKS_PER_SECOND - SECONDS_1601_TO_1970;
    let nanos = u32::try_from((ticks % TICKS_PER_SECOND) * 100).ok()?;
    DateTime::from_timestamp(secs, nanos).map(Some)
}

/// Accounts and problems gathered over a whole directory.
#[derive(Debug, Default)]
struct Collected {
    accounts: Vec<AccountRecord>,
    /// Lower-cased username → the DN that has it.
    owners: HashMap<String, String>,
    problems: Vec<InputProblem>,
    more_problems: u64,
}

impl Collected {
    /// Adds one entry's outcome; a username already taken (in any letter case) is a problem.
    fn push(&mut self, dn: &str, mapped: Result<AccountRecord, Vec<InputProblem>>) {
        match mapped {
            Ok(account) => match self.owners.get(&account.username.to_lowercase()) {
                Some(owner) => {
                    let message = format!(
                        "the username `{}` is already used by `{owner}`",
                        account.username
                    );
                    self.problem(InputProblem::in_record(dn, Some("uid"), message));
                }
                None => {
                    self.owners
                        .insert(account.username.to_lowercase(), dn.to_owned());
                    self.accounts.push(account);
                }
            },
            Err(problems) => problems.into_iter().for_each(|p| self.problem(p)),
        }
    }

    fn problem(&mut self, p: InputProblem) {
        if self.problems.len() < MAX_PROBLEMS - 1 {
            self.problems.push(p);
        } else {
            self.more_problems += 1;
        }
    }

    fn finish(mut self) -> LdapFetch {
        match self.more_problems {
            0 => {}
            1 => self
                .problems
                .push(InputProblem::whole("… and 1 more problem")),
            n => self
                .problems
                .push(InputProblem::whole(format!("… and {n} more problems"))),
        }
        self.accounts
            .sort_by_cached_key(|a| (a.username.to_lowercase(), a.username.clone()));
        LdapFetch {
            accounts: self.accounts,
            problems: self.problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn attrs(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    fn default_rules() -> GroupRules {
        let src = LdapSource::new("ldap://h", "dc=x", "cn=r", "pw");
        GroupRules::new(&src.privileged_groups, &["MFA Users".to_owned()])
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn active_directory_user_is_mapped() {
        let dn = "CN=Smith\\, Anna,OU=Staff,DC=corp,DC=example";
        let entry = attrs(&[
            ("sAMAccountName", &["asmith"]),
            ("userPrincipalName", &["asmith@corp.example"]),
            ("mail", &["Anna.Smith@Corp.Example"]),
            ("displayName", &["Smith, Anna"]),
            ("cn", &["Smith, Anna"]),
            ("employeeID", &["4711"]),
            (
                "memberOf",
                &[
                    "CN=Domain Admins,CN=Users,DC=corp,DC=example",
                    "CN=MFA Users,OU=Groups,DC=corp,DC=example",
                    "CN=R\\2BD Team,OU=Groups,DC=corp,DC=example",
                ],
            ),
            ("userAccountControl", &["512"]),
            // 2025-06-01T12:00:00Z
            ("lastLogonTimestamp", &["133932528000000000"]),
            ("modifyTimestamp", &["20250701000000.0Z"]),
        ]);
        let a = map_entry(dn, &entry, &[], &default_rules()).unwrap();
        assert_eq!(a.username, "asmith");
        assert_eq!(a.email.as_deref(), Some("anna.smith@corp.example"));
        assert_eq!(a.display_name, "Smith, Anna");
        assert_eq!(a.employee_id.as_deref(), Some("4711"));
        assert_eq!(a.groups, ["Domain Admins", "MFA Users", "R+D Team"]);
        assert!(a.privileged && a.mfa && a.enabled);
        assert_eq!(a.last_login, Some(at(2025, 6, 1, 12, 0, 0)));
    }

    #[test]
    fn active_directory_disabled_flag_and_never_logged_on() {
        let base = [
            ("sAMAccountName", &["old"][..]),
            ("userAccountControl", &["514"][..]),
        ];
        let a = map_entry("CN=old,DC=c", &attrs(&base), &[], &default_rules()).unwrap();
        assert!(!a.enabled, "0x2 in 514 means disabled");
        assert_eq!(
            a.last_login, None,
            "no lastLogonTimestamp: never; modifyTimestamp not used"
        );
        let mut never = attrs(&base);
        never.insert("lastLogonTimestamp".into(), vec!["0".into()]);
        never.insert("modifyTimestamp".into(), vec!["20250101000000Z".into()]);
        let a = map_entry("CN=old,DC=c", &never, &[], &default_rules()).unwrap();
        assert_eq!(a.last_login, None);
        assert!(!a.privileged && !a.mfa);
        let enabled = attrs(&[
            ("sAMAccountName", &["x"]),
            ("userAccountControl", &["66048"]),
        ]);
        assert!(
            map_entry("CN=x,DC=c", &enabled, &[], &default_rules())
                .unwrap()
                .enabled
        );
    }

    #[test]
    fn openldap_user_is_mapped_with_found_groups_and_fallbacks() {
        let dn = "uid=jdoe,ou=people,dc=example,dc=com";
        let entry = attrs(&[
            ("objectClass", &["inetOrgPerson", "posixAccount"]),
            ("uid", &["john", "jdoe"]),
            ("cn", &["John Doe"]),
            ("employeeNumber", &["E7"]),
            ("modifyTimestamp", &["20250102030405Z"]),
        ]);
        let found = ["developers".to_owned(), "admins".to_owned()];
        let a = map_entry(dn, &entry, &found, &default_rules()).unwrap();
        assert_eq!(a.username, "jdoe", "the RDN's uid wins");
        assert_eq!(a.email, None);
        assert_eq!(a.display_name, "John Doe");
        assert_eq!(a.employee_id.as_deref(), Some("E7"));
        assert_eq!(a.groups, ["admins", "developers"]);
        assert!(a.privileged && !a.mfa && a.enabled);
        assert_eq!(
            a.last_login,
            Some(at(2025, 1, 2, 3, 4, 5)),
            "modifyTimestamp fallback"
        );

        let mut e = entry.clone();
        e.insert("authTimestamp".into(), vec!["20250601080000Z".into()]);
        e.insert("pwdLastSuccess".into(), vec!["20250501080000Z".into()]);
        let a = map_entry(dn, &e, &[], &default_rules()).unwrap();
        assert_eq!(
            a.last_login,
            Some(at(2025, 6, 1, 8, 0, 0)),
            "authTimestamp first"
        );
        e.remove("authTimestamp");
        let a = map_entry(dn, &e, &[], &default_rules()).unwrap();
        assert_eq!(
            a.last_login,
            Some(at(2025, 5, 1, 8, 0, 0)),
            "then pwdLastSuccess"
        );
    }

    #[test]
    fn openldap_locks_disable() {
        let dn = "uid=a,dc=x";
        for lock in [
            ("pwdAccountLockedTime", "000001010000Z"),
            ("nsAccountLock", "TRUE"),
        ] {
            let e = attrs(&[("uid", &["a"]), (lock.0, &[lock.1])]);
            assert!(
                !map_entry(dn, &e, &[], &default_rules()).unwrap().enabled,
                "{lock:?}"
            );
        }
        let e = attrs(&[("uid", &["a"]), ("nsAccountLock", &["false"])]);
        assert!(map_entry(dn, &e, &[], &default_rules()).unwrap().enabled);
    }

    #[test]
    fn attribute_names_match_in_any_case() {
        let e = attrs(&[("SAMACCOUNTNAME", &["bob"]), ("MAIL", &["bob@x.org"])]);
        let a = map_entry("CN=bob,DC=x", &e, &[], &default_rules()).unwrap();
        assert_eq!(
            (a.username.as_str(), a.email.as_deref()),
            ("bob", Some("bob@x.org"))
        );
    }

    #[test]
    fn every_problem_of_an_entry_is_reported() {
        let e = attrs(&[
            ("cn", &["Reception"]),
            ("mail", &["not-an-address"]),
            ("userAccountControl", &["lots"]),
            ("nsAccountLock", &["maybe"]),
            ("memberOf", &["no dn here"]),
            ("modifyTimestamp", &["yesterday"]),
        ]);
        let problems = map_entry("cn=Reception,dc=x", &e, &[], &default_rules()).unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.clone().unwrap()).collect();
        assert_eq!(
            fields,
            [
                "uid",
                "mail",
                "memberOf",
                "nsAccountLock",
                "userAccountControl",
                "modifyTimestamp"
            ]
        );
        assert!(
            problems
                .iter()
                .all(|p| p.record.as_deref() == Some("cn=Reception,dc=x"))
        );
        assert_eq!(
            problems[0].to_string(),
            "cn=Reception,dc=x, field `uid`: has no login name: none of uid, sAMAccountName or \
             userPrincipalName is set"
        );
    }

    #[test]
    fn group_index_inverts_member_unique_member_and_member_uid() {
        let mut index = GroupIndex::default();
        index.add(
            "cn=admins,ou=groups,dc=x",
            &attrs(&[
                ("cn", &["admins"]),
                ("member", &["UID=Ann, OU=People,DC=x"]),
            ]),
        );
        index.add(
            "cn=auditors,ou=groups,dc=x",
            &attrs(&[("uniqueMember", &["uid=ann,ou=people,dc=x#'0101'B"])]),
        );
        index.add(
            "cn=devs,ou=groups,dc=x",
            &attrs(&[("cn", &["devs"]), ("memberUid", &["ANN", "bob"])]),
        );
        let ann = attrs(&[("uid", &["ann"])]);
        let mut groups = index.of("uid=ann,ou=people,dc=x", &ann);
        groups.sort();
        assert_eq!(groups, ["admins", "auditors", "devs"]);
        assert_eq!(
            index.of("uid=bob,ou=people,dc=x", &attrs(&[("uid", &["bob"])])),
            ["devs"]
        );
        assert!(
            index
                .of("uid=eve,dc=x", &attrs(&[("uid", &["eve"])]))
                .is_empty()
        );
    }

    #[test]
    fn member_of_and_found_groups_merge_without_duplicates() {
        let e = attrs(&[
            ("uid", &["ann"]),
            (
                "memberOf",
                &["cn=Admins,ou=groups,dc=x", "cn=vpn,ou=groups,dc=x"],
            ),
        ]);
        let found = ["admins".to_owned(), "developers".to_owned()];
        let a = map_entry("uid=ann,dc=x", &e, &found, &default_rules()).unwrap();
        assert_eq!(a.groups, ["Admins", "developers", "vpn"]);
    }

    #[test]
    fn dns_are_parsed_per_rfc_4514() {
        assert_eq!(
            parse_dn("CN=Smith\\, Anna+UID=as , OU = R\\2BD,DC=x").unwrap(),
            vec![
                vec![
                    ("cn".into(), "Smith, Anna".into()),
                    ("uid".into(), "as".into())
                ],
                vec![("ou".into(), "R+D".into())],
                vec![("dc".into(), "x".into())],
            ]
        );
        assert_eq!(parse_dn("cn=M\\C3\\BCller,dc=x").unwrap()[0][0].1, "Müller");
        assert_eq!(
            parse_dn("cn=trailing\\ ,dc=x").unwrap()[0][0].1,
            "trailing "
        );
        assert_eq!(
            dn_key("UID=Ann, OU=People,DC=x"),
            dn_key("uid=ann,ou=people,dc=x")
        );
        for bad in ["", "no dn here", "=x,dc=y", "cn=a\\", "cn=a\\4"] {
            assert_eq!(parse_dn(bad), None, "{bad:?}");
        }
        assert_eq!(
            group_name_of_dn("ou=Team A,dc=x").as_deref(),
            Some("Team A")
        );
    }

    #[test]
    fn generalized_times() {
        let cases = [
            ("20250102030405Z", Some(at(2025, 1, 2, 3, 4, 5))),
            (
                "20250102030405.5Z",
                Some(at(2025, 1, 2, 3, 4, 5) + chrono::Duration::milliseconds(500)),
            ),
            ("202501020304Z", Some(at(2025, 1, 2, 3, 4, 0))),
            ("2025010203Z", Some(at(2025, 1, 2, 3, 0, 0))),
            ("2025010203.5Z", Some(at(2025, 1, 2, 3, 30, 0))),
            ("20250102030405+0130", Some(at(2025, 1, 2, 1, 34, 5))),
            ("20250102030405-02", Some(at(2025, 1, 2, 5, 4, 5))),
            ("20250230000000Z", None),
            ("20250102030405", None),
            ("2025-01-02T03:04:05Z", None),
            ("20250102030405.Z", None),
        ];
        for (s, want) in cases {
            assert_eq!(generalized_time(s), want, "{s}");
        }
    }

    #[test]
    fn filetimes() {
        assert_eq!(
            filetime("116444736000000000"),
            Some(Some(at(1970, 1, 1, 0, 0, 0)))
        );
        assert_eq!(filetime("0"), Some(None));
        assert_eq!(filetime("9223372036854775807"), Some(None));
        assert_eq!(filetime("-5"), None);
        assert_eq!(filetime("soon"), None);
    }

    #[test]
    fn duplicate_usernames_and_the_problem_cap() {
        let account = |name: &str| AccountRecord {
            username: name.into(),
            email: None,
            display_name: String::new(),
            privileged: false,
            mfa: false,
            last_login: None,
            groups: vec![],
            enabled: true,
            employee_id: None,
        };
        let mut c = Collected::default();
        c.push("uid=b,dc=x", Ok(account("b")));
        c.push("uid=a,dc=x", Ok(account("a")));
        c.push("uid=A,ou=other,dc=x", Ok(account("A")));
        for i in 0..1500 {
            c.push(
                &format!("cn={i},dc=x"),
                Err(vec![InputProblem::whole("bad")]),
            );
        }
        let fetch = c.finish();
        let names: Vec<_> = fetch.accounts.iter().map(|a| a.username.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            fetch.problems[0].to_string(),
            "uid=A,ou=other,dc=x, field `uid`: the username `A` is already used by `uid=a,dc=x`"
        );
        assert_eq!(fetch.problems.len(), MAX_PROBLEMS);
        assert_eq!(
            fetch.problems[MAX_PROBLEMS - 1].message,
            "… and 502 more problems"
        );
    }

    #[test]
    fn settings_are_checked_before_connecting() {
        let ok = LdapSource::new("ldaps://dc1.corp.example", "dc=corp", "cn=r", "pw");
        assert_eq!(Target::parse(&ok).unwrap().server, "dc1.corp.example:636");
        let plain = LdapSource::new("LDAP://[::1]:1389/", "dc=x", "cn=r", "pw");
        assert_eq!(Target::parse(&plain).unwrap().server, "[::1]:1389");
        type Change = fn(&mut LdapSource);
        let cases: [(&str, Change); 6] = [
            ("url: `http://x` must start with ldap:// or ldaps://", |s| {
                s.url = "http://x".into()
            }),
            (
                "url: `ldap:///dc=x` must name a host, as in ldaps://ldap.example.com",
                |s| s.url = "ldap:///dc=x".into(),
            ),
            (
                "starttls: StartTLS is for ldap:// URLs; an ldaps:// URL uses TLS already",
                |s| {
                    s.url = "ldaps://h".into();
                    s.starttls = true;
                },
            ),
            (
                "ca file: ca.pem would not be used: the connection has no TLS; use an ldaps:// URL or StartTLS",
                |s| s.ca_file = Some("ca.pem".into()),
            ),
            (
                "password: is empty; servers take a DN with an empty password as an unauthenticated (anonymous) bind, so it is refused",
                |s| s.password = String::new(),
            ),
            ("timeout: must be longer than zero", |s| {
                s.timeout = Duration::ZERO
            }),
        ];
        for (want, change) in cases {
            let mut src = LdapSource::new("ldap://h", "dc=x", "cn=r", "pw");
            change(&mut src);
            assert_eq!(Target::parse(&src).unwrap_err().to_string(), want);
        }
    }

    #[test]
    fn certificate_names_are_shown_plainly() {
        assert_eq!(
            plain_name("DnsName(\"ldap.corp.example\")"),
            "ldap.corp.example"
        );
        assert_eq!(plain_name("IpAddress(10.0.0.5)"), "10.0.0.5");
        assert_eq!(plain_name("DirectoryName"), "DirectoryName");
    }

    #[test]
    fn result_codes_become_clear_errors() {
        let src = LdapSource::new("ldap://h:389", "dc=x", "cn=reader,dc=x", "pw");
        let target = Target::parse(&src).unwrap();
        let result = |rc: u32, text: &str| LdapResult {
            rc,
            matched: String::new(),
            text: text.into(),
            refs: vec![],
            ctrls: vec![],
        };
        let ad = "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563";
        assert_eq!(
            target
                .result_error(result(49, ad), Phase::Binding)
                .to_string(),
            format!(
                "the LDAP server refused the bind as `cn=reader,dc=x`: invalid credentials (LDAP \
                 result 49 invalidCredentials): {ad} (the account is locked out); check the bind \
                 DN and the password file"
            )
        );
        assert_eq!(
            target
                .result_error(result(13, "TLS required"), Phase::Binding)
                .to_string(),
            "the LDAP server refused the request while binding: LDAP result 13 \
             confidentialityRequired: TLS required; the server requires TLS: use an ldaps:// \
             URL or StartTLS"
        );
        assert!(matches!(
            target.result_error(result(4, ""), Phase::SearchingUsers),
            LdapError::Limit { rc: 4, .. }
        ));
        let timeout = LdapError::Timeout {
            server: "h:389".into(),
            timeout: Duration::from_millis(1500),
            phase: Phase::Binding,
        };
        assert_eq!(
            timeout.to_string(),
            "the LDAP server at h:389 did not answer within 1.5 s while binding"
        );
    }

    #[test]
    fn the_fetch_can_run_on_any_runtime_thread() {
        fn send<T: Send>(_: T) {}
        let src = LdapSource::new("ldap://h", "dc=x", "cn=r", "pw");
        send(fetch_accounts(&src));
    }

    #[test]
    fn debug_hides_the_password() {
        let src = LdapSource::new("ldap://h", "dc=x", "cn=r", "hunter2-secret");
        let shown = format!("{src:?}");
        assert!(
            !shown.contains("hunter2-secret") && shown.contains("<redacted>"),
            "{shown}"
        );
    }
}
