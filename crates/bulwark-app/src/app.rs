//! The application state shared by every request, and start-up.

use std::ops::Deref;
use std::sync::Arc;

use bulwark_core::Role;

use crate::audit_log::Actor;
use crate::platform::clock::Clock;
use crate::platform::config::Config;
use crate::platform::db::{Db, migrate};
use crate::platform::mail::Mailer;
use crate::platform::metrics::Metrics;
use crate::settings::SettingsCache;

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct Inner {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    pub settings: SettingsCache,
    pub mailer: Mailer,
    pub metrics: Metrics,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state from its parts.
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: Config) -> anyhow::Result<AppState> {
        let mailer = Mailer::new(&config.smtp)?;
        Ok(AppState(Arc::new(Inner {
            db,
            clock,
            config,
            settings: SettingsCache::default(),
            mailer,
            metrics: Metrics::default(),
        })))
    }
}

/// A ready application: database open and migrated, first administrator present.
#[derive(Debug)]
pub struct App {
    pub state: AppState,
}

/// What start-up did about the first administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstAdmin {
    /// Accounts already existed.
    Existing,
    /// Created from `BULWARK_ADMIN_EMAIL` / `BULWARK_ADMIN_PASSWORD`.
    FromEnvironment(String),
    /// Created with a one-time password, to be shown once.
    Generated { email: String, password: String },
}

impl App {
    /// Opens the database the configuration names and migrates it.
    pub async fn open(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
        let db = Db::open_with(
            config.database_url.as_deref(),
            &config.data_dir,
            config.database_max_connections,
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
        migrate::run(&db, clock.now()).await?;
        Ok(App {
            state: AppState::new(db, clock, config)?,
        })
    }

    /// Creates the first administrator when there are no accounts.
    pub async fn ensure_admin(
        &self,
        email: Option<String>,
        password: Option<String>,
    ) -> anyhow::Result<FirstAdmin> {
        let s = &self.state;
        if crate::access::users::count(&s.db).await? > 0 {
            return Ok(FirstAdmin::Existing);
        }
        let email_raw = email.unwrap_or_else(|| "admin@localhost.localdomain".into());
        let email = bulwark_core::validate::Email::parse("BULWARK_ADMIN_EMAIL", &email_raw)?;
        let (password, generated) = match password {
            Some(p) => {
                bulwark_core::validate::new_password(
                    "BULWARK_ADMIN_PASSWORD",
                    &p,
                    Some(email.as_str()),
                )?;
                (p, false)
            }
            None => (crate::access::password::temporary(), true),
        };
        let hash = crate::access::password::hash(password.clone()).await?;
        let now = s.clock.now();
        let mut tx = s.db.begin().await?;
        crate::access::users::create(
            &mut tx,
            now,
            &Actor::system(),
            &email,
            "Administrator",
            Role::Administrator,
            hash,
            generated,
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the first administrator: {}", e.detail()))?;
        tx.commit().await?;
        Ok(if generated {
            FirstAdmin::Generated {
                email: email.as_str().into(),
                password,
            }
        } else {
            FirstAdmin::FromEnvironment(email.as_str().into())
        })
    }
}
