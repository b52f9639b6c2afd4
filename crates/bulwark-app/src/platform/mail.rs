//! Outgoing mail over SMTP (lettre). Messages are queued as background jobs (`mail.send`) in
//! the same transaction as the change that causes them, so a notice is never lost and never
//! sent for a change that was rolled back.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::config::{SmtpConfig, SmtpSecurity};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends mail, or does nothing when no SMTP host is configured.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("enabled", &self.transport.is_some())
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// Builds the transport from configuration.
    pub fn new(c: &SmtpConfig) -> anyhow::Result<Mailer> {
        let from: Mailbox = c
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("smtp.from {:?} is not a mailbox: {e}", c.from))?;
        let Some(host) = &c.host else {
            return Ok(Mailer {
                transport: None,
                from,
            });
        };
        let mut b = match c.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
        };
        if let Some(p) = c.port {
            b = b.port(p);
        }
        if let (Some(u), Some(p)) = (&c.username, &c.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Mailer {
            transport: Some(b.timeout(Some(std::time::Duration::from_secs(20))).build()),
            from,
        })
    }

    /// Whether mail is configured.
    pub fn enabled(&self) -> bool {
        self.transport.is_some()
    }

    /// Sends one message now.
    pub async fn send(&self, m: &Mail) -> anyhow::Result<()> {
        let Some(t) = &self.transport else {
            tracing::info!(subject = %m.subject, "mail not configured; message dropped");
            return Ok(());
        };
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| anyhow::anyhow!("recipient {:?}: {e}", m.to))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&m.subject)
            .body(m.body.clone())?;
        t.send(msg)
            .await
            .map_err(|e| anyhow::anyhow!("SMTP: {e}"))?;
        Ok(())
    }
}

/// The job kind that sends one [`Mail`].
pub const JOB_KIND: &str = "mail.send";

/// Queues a message in `tx`; the job runner sends it after the transaction commits.
pub async fn queue(
    tx: &mut super::db::Tx,
    now: bulwark_core::Timestamp,
    mail: &Mail,
) -> Result<(), super::db::DbError> {
    super::jobs::enqueue(tx, now, JOB_KIND, mail, None)
        .await
        .map(|_| ())
}
