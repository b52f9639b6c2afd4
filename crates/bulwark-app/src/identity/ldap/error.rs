//! Why reading a directory failed, in words for the person running the import.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

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

/// `: text`, or nothing for an empty text.
pub(super) fn with_colon(text: &str) -> String {
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
pub(super) fn explain_ad_bind_text(text: &str) -> String {
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
