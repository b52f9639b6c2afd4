//! Configuration: defaults, then a TOML file, then `BULWARK_*` environment variables, then
//! command-line flags. Secrets can be given as files (`…_file` keys).
//!
//! Nested keys use a double underscore in the environment: `BULWARK_SMTP__HOST`.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use super::secrets::read_secret_file;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// How to talk to the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same machine or network).
    #[default]
    None,
    /// STARTTLS upgrade, usually port 587.
    Starttls,
    /// TLS from the start, usually port 465.
    Tls,
}

/// Outgoing mail. Mail is off while `host` is unset.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    /// The sender, e.g. `Bulwark <bulwark@example.org>`.
    pub from: String,
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// Where the SQLite database and other files live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// A file holding the database URL (it may contain a password).
    pub database_url_file: Option<PathBuf>,
    /// Connections per instance to PostgreSQL. Default: two per core of this machine, at least
    /// 4 and at most 16 ([`default_pg_connections`]).
    pub database_max_connections: u32,
    /// The address people use to reach Bulwark, for links in mail.
    pub public_url: String,
    /// Mark the session cookie `Secure`. Browsers accept secure cookies on http://localhost;
    /// turn this off only for plain-HTTP access from other machines in a lab.
    pub secure_cookies: bool,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: i64,
    /// A session ends this many hours after sign-in, active or not.
    pub session_absolute_hours: i64,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest file accepted by an import endpoint (SBOMs, HR and account files), in bytes.
    /// Imports stream, so this bounds disk and time, not memory.
    pub max_import_bytes: usize,
    /// Failed sign-ins per account within 15 minutes before the account is held.
    pub login_max_failures_per_account: i64,
    /// Failed sign-ins per source address within 15 minutes before the address is held.
    pub login_max_failures_per_address: i64,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `bulwark_app=debug,info`.
    pub log_level: String,
    /// How often the job runner looks for work, in milliseconds.
    pub jobs_poll_ms: u64,
    /// Outgoing mail.
    pub smtp: SmtpConfig,
}

/// Two PostgreSQL connections per core, 4 to 16. Requests are short: a larger pool only lets
/// more server processes compete for the same cores. At 64 concurrent clients on two cores,
/// 4 connections gave a p99 of 19–20 ms where 16 gave 24–29 ms (docs/BENCHMARKS.md).
pub fn default_pg_connections() -> u32 {
    std::thread::available_parallelism().map_or(4, |n| (n.get() as u32 * 2).clamp(4, 16))
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_url_file: None,
            database_max_connections: default_pg_connections(),
            public_url: "http://127.0.0.1:8080".into(),
            secure_cookies: true,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            max_body_bytes: 1024 * 1024,
            max_import_bytes: 256 * 1024 * 1024,
            login_max_failures_per_account: 5,
            login_max_failures_per_address: 20,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            jobs_poll_ms: 1000,
            smtp: SmtpConfig {
                from: "Bulwark <bulwark@localhost>".into(),
                ..SmtpConfig::default()
            },
        }
    }
}

/// Top-level keys that the environment may set; other `BULWARK_*` variables (such as
/// `BULWARK_ADMIN_EMAIL`) belong to other parts of the program.
const ENV_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "database_url_file",
    "database_max_connections",
    "public_url",
    "secure_cookies",
    "session_idle_minutes",
    "session_absolute_hours",
    "max_body_bytes",
    "max_import_bytes",
    "login_max_failures_per_account",
    "login_max_failures_per_address",
    "log_format",
    "log_level",
    "jobs_poll_ms",
    "smtp",
];

impl Config {
    /// Loads defaults, then `file` (if given), then the environment, then `overrides`
    /// (command-line flags, as a partial TOML-like structure).
    pub fn load(file: Option<&Path>, overrides: impl Serialize) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            if !f.exists() {
                anyhow::bail!("configuration file {} does not exist", f.display());
            }
            fig = fig.merge(Toml::file(f));
        }
        fig = fig
            .merge(Env::prefixed("BULWARK_").split("__").filter(|k| {
                // The key may arrive before or after splitting, in either case.
                let top = k
                    .as_str()
                    .split("__")
                    .next()
                    .unwrap_or("")
                    .split('.')
                    .next()
                    .unwrap_or("");
                ENV_KEYS.iter().any(|e| e.eq_ignore_ascii_case(top))
            }))
            .merge(Serialized::defaults(overrides));
        let mut c: Config = fig
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        if c.database_url.is_none()
            && let Some(f) = &c.database_url_file
        {
            c.database_url = Some(read_secret_file(f)?);
        }
        if c.smtp.password.is_none()
            && let Some(f) = &c.smtp.password_file
        {
            c.smtp.password = Some(read_secret_file(f)?);
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.session_idle_minutes < 1 || self.session_absolute_hours < 1 {
            anyhow::bail!(
                "configuration: session_idle_minutes and session_absolute_hours must be at least 1"
            );
        }
        if self.max_body_bytes < 1024 {
            anyhow::bail!("configuration: max_body_bytes must be at least 1024");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.toml");
        std::fs::write(
            &f,
            "listen = \"0.0.0.0:9000\"\nsession_idle_minutes = 10\n[smtp]\nhost = \"mail\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&f), serde_json::json!({"session_idle_minutes": 5})).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.session_idle_minutes, 5);
        assert_eq!(c.smtp.host.as_deref(), Some("mail"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.toml");
        std::fs::write(&f, "lisen = \"x\"\n").unwrap();
        let e = Config::load(Some(&f), serde_json::json!({}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("lisen"), "{e}");
    }
}
