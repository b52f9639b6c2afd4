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

mod error;
mod map;
mod syntax;
mod target;

pub use error::{LdapError, Phase, TlsProblem};

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use bulwark_core::InputProblem;
use bulwark_identity::AccountRecord;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use tokio::task::JoinHandle;

use map::{Collected, GroupIndex, GroupRules, map_entry};
use target::{Target, tls_config};

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

#[cfg(test)]
mod tests {
    use super::*;

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
