//! The server a source names: settings checked before connecting, TLS configuration, and the
//! translation of the LDAP client's errors into [`LdapError`]s.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ldap3::LdapResult;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::LdapSource;
use super::error::{LdapError, Phase, TlsProblem, explain_ad_bind_text, with_colon};

/// The server as the URL names it, for messages and checks made before connecting.
#[derive(Debug)]
pub(super) struct Target {
    /// `host:port`.
    pub(super) server: String,
    /// TLS is used (ldaps:// or StartTLS).
    pub(super) tls: bool,
    bind_dn: String,
    base_dn: String,
    timeout: Duration,
}

impl Target {
    /// Checks the URL and the settings that can be checked without the network.
    pub(super) fn parse(src: &LdapSource) -> Result<Target, LdapError> {
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
    pub(super) fn error(
        &self,
        e: ldap3::LdapError,
        phase: Phase,
        lost: Option<String>,
    ) -> LdapError {
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
    pub(super) fn result_error(&self, r: LdapResult, phase: Phase) -> LdapError {
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

/// The client TLS configuration: the system's CAs plus the extra CA file, if any.
pub(super) fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, LdapError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
