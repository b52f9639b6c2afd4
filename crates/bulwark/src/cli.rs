//! The command line: every command takes the same database options as `serve`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use bulwark_app::access::users::{self, STATUS_DISABLED, UserFilter, UserSort};
use bulwark_app::app::{App, FirstAdmin};
use bulwark_app::audit_log::Actor;
use bulwark_app::platform::clock::SystemClock;
use bulwark_app::platform::config::Config;
use bulwark_app::platform::secrets::{checked_path, read_secret_file};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

/// Bulwark: risk, compliance, identity, detection and response for one organisation.
#[derive(Debug, Parser)]
#[command(name = "bulwark", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data is; shared by every command.
#[derive(Debug, Args, Clone, Serialize)]
pub struct DbArgs {
    /// Configuration file (TOML).
    #[arg(long, env = "BULWARK_CONFIG", global = true)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// Data directory for the embedded SQLite database.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<PathBuf>,
    /// `postgres://user@host/db` to use PostgreSQL.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Apply schema migrations and exit.
    Migrate(DbOnly),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Write a consistent backup while the server runs.
    Backup(BackupArgs),
    /// Restore a backup into an empty database.
    Restore(RestoreArgs),
    /// Export the whole database in the portable format.
    Export(ExportArgs),
    /// Import a whole-database export into an empty database (also SQLite → PostgreSQL).
    ImportAll(ImportArgs),
    /// Import inventories, people and accounts from files.
    #[command(subcommand)]
    Import(crate::import::ImportCmd),
    /// Identity findings.
    #[command(subcommand)]
    Identity(crate::identity::IdentityCmd),
    /// The risk register: export it to a file, or run a quantitative model file.
    #[command(subcommand)]
    Risk(crate::risk::RiskCmd),
}

#[derive(Debug, Args)]
struct DbOnly {
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long)]
    listen: Option<String>,
    /// Load the demo organisation (into an empty database).
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Create an account. The password is read from --password-file, or generated and printed.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// administrator, security_officer, it_manager, auditor, leadership or staff.
        #[arg(long)]
        role: String,
        /// A file holding the password.
        #[arg(long)]
        password_file: Option<String>,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[command(flatten)]
        db: DbArgs,
        email: String,
    },
    /// Reset a password to a temporary one, printed once; the user must change it at sign-in.
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Create an API token for a user and print only the token.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long, default_value_t = 90)]
        expires_days: i64,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCmd {
    /// Check the hash chain; exits non-zero and names the first broken entry when altered.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Args)]
struct BackupArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The file to write.
    #[arg(long)]
    out: String,
}

#[derive(Debug, Args)]
struct RestoreArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The backup file.
    file: String,
}

#[derive(Debug, Args)]
struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The file to write.
    #[arg(long)]
    out: String,
}

#[derive(Debug, Args)]
struct ImportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The export file.
    file: String,
}

fn config(db: &DbArgs, listen: Option<&str>) -> anyhow::Result<Config> {
    let mut overrides = serde_json::to_value(db)?;
    if let Some(l) = listen {
        overrides["listen"] = l.into();
    }
    Config::load(db.config.as_deref(), overrides)
}

/// Opens the database (migrating it) for an operator command.
pub async fn open(db: &DbArgs) -> anyhow::Result<App> {
    App::open(config(db, None)?, Arc::new(SystemClock)).await
}

/// Runs a command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(a) => serve(a).await,
        Command::Migrate(a) => {
            let app = open(&a.db).await?;
            println!(
                "schema at version {}",
                bulwark_app::platform::db::migrate::current_version(&app.state.db).await?
            );
            Ok(())
        }
        Command::User(c) => user(c).await,
        Command::Token(TokenCmd::Create {
            db,
            user,
            name,
            expires_days,
        }) => {
            let app = open(&db).await?;
            let s = &app.state;
            let email = bulwark_core::validate::Email::parse("--user", &user)?;
            let u = users::by_email(&mut s.db.read().await?.h(), email.as_str())
                .await?
                .with_context(|| format!("no account with the email {}", email.as_str()))?;
            let mut tx = s.db.begin().await?;
            let t = bulwark_app::access::tokens::create(
                &mut tx,
                s.clock.now(),
                &Actor::cli(),
                &u.id,
                &bulwark_app::access::tokens::NewToken {
                    name,
                    expires_days: Some(expires_days),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.detail()))?;
            tx.commit().await?;
            println!("{}", t.secret);
            Ok(())
        }
        Command::Audit(AuditCmd::Verify { db }) => {
            let app = open(&db).await?;
            let v = bulwark_app::audit_log::store::verify(&app.state.db).await?;
            if v.intact {
                println!(
                    "audit trail intact: {} entries verified; head hash {}",
                    v.entries_checked, v.head_hash
                );
                Ok(())
            } else {
                anyhow::bail!(
                    "audit trail BROKEN at entry {}: {} ({} entries verified before it)",
                    v.first_broken_seq.unwrap_or_default(),
                    v.problem.unwrap_or_default(),
                    v.entries_checked
                )
            }
        }
        Command::Backup(a) => {
            let out = checked_path(&a.out)?;
            let app = open(&a.db).await?;
            let n = bulwark_app::portable::backup(&app.state.db, &out).await?;
            println!("backup written to {} ({n} rows)", out.display());
            Ok(())
        }
        Command::Restore(a) => {
            let file = checked_path(&a.file)?;
            let app = open(&a.db).await?;
            let n = bulwark_app::portable::restore(&app.state.db, &file).await?;
            println!("restored {n} rows from {}", file.display());
            Ok(())
        }
        Command::Export(a) => {
            let out = checked_path(&a.out)?;
            let app = open(&a.db).await?;
            let n = bulwark_app::portable::export_file(&app.state.db, &out).await?;
            println!("exported {n} rows to {}", out.display());
            Ok(())
        }
        Command::ImportAll(a) => {
            let file = checked_path(&a.file)?;
            let app = open(&a.db).await?;
            let n = bulwark_app::portable::import_file(&app.state.db, &file).await?;
            println!("imported {n} rows from {}", file.display());
            Ok(())
        }
        Command::Import(c) => crate::import::run(c).await,
        Command::Identity(c) => crate::identity::run(c).await,
        Command::Risk(c) => crate::risk::run(c).await,
    }
}

async fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let cfg = config(&a.db, a.listen.as_deref())?;
    bulwark_app::platform::logging::init(&cfg);
    let app = App::open(cfg.clone(), Arc::new(SystemClock)).await?;
    let env_email = std::env::var("BULWARK_ADMIN_EMAIL").ok();
    let env_password = match (
        std::env::var("BULWARK_ADMIN_PASSWORD").ok(),
        std::env::var("BULWARK_ADMIN_PASSWORD_FILE").ok(),
    ) {
        (Some(p), _) => Some(p),
        (None, Some(f)) => Some(read_secret_file(&checked_path(&f)?)?),
        (None, None) => None,
    };
    if a.demo {
        bulwark_app::demo::load(&app.state).await?;
    }
    match app.ensure_admin(env_email, env_password).await? {
        FirstAdmin::Existing => {}
        FirstAdmin::FromEnvironment(email) => println!(
            "Created the administrator {email} from BULWARK_ADMIN_EMAIL / BULWARK_ADMIN_PASSWORD."
        ),
        FirstAdmin::Generated { email, password } => {
            println!(
                "Created the first administrator. This password is shown once; you will choose your own at first sign-in:"
            );
            println!("  email:    {email}");
            println!("  password: {password}");
        }
    }
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    println!("Bulwark is ready at http://{addr}/");
    let demo_login = a.demo
        && users::by_email(
            &mut app.state.db.read().await?.h(),
            bulwark_app::demo::ADMIN_EMAIL,
        )
        .await?
        .is_some();
    if demo_login {
        println!(
            "Demo organisation: sign in as {} with password {}",
            bulwark_app::demo::ADMIN_EMAIL,
            bulwark_app::demo::PASSWORD
        );
    }
    tracing::info!(%addr, backend = ?app.state.db.backend(), "ready");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = tokio::spawn(bulwark_app::platform::jobs::run(app.state.clone(), stop_rx));
    bulwark_app::platform::http::serve(
        app.state.clone(),
        listener,
        bulwark_app::platform::http::shutdown_signal(),
    )
    .await?;
    let _ = stop_tx.send(true);
    let _ = jobs.await;
    app.state.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn user(c: UserCmd) -> anyhow::Result<()> {
    match c {
        UserCmd::Add {
            db,
            email,
            name,
            role,
            password_file,
        } => {
            let app = open(&db).await?;
            let s = &app.state;
            let password = match password_file {
                Some(f) => Some(read_secret_file(&checked_path(&f)?)?),
                None => None,
            };
            let generated = password.is_none();
            let n = users::NewUser {
                email,
                name,
                role,
                password,
            };
            let (email, name, role) =
                users::validate_new(&n).map_err(|e| anyhow::anyhow!(e.detail()))?;
            let pw = n
                .password
                .unwrap_or_else(bulwark_app::access::password::temporary);
            let hash = bulwark_app::access::password::hash(pw.clone()).await?;
            let mut tx = s.db.begin().await?;
            let u = users::create(
                &mut tx,
                s.clock.now(),
                &Actor::cli(),
                &email,
                &name,
                role,
                hash,
                generated,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.detail()))?;
            tx.commit().await?;
            println!("created {} ({})", u.email, u.role);
            if generated {
                println!("temporary password (shown once; to be changed at first sign-in): {pw}");
            }
            Ok(())
        }
        UserCmd::List { db, json } => {
            let app = open(&db).await?;
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let page = users::list(
                    &app.state.db,
                    &UserFilter::default(),
                    UserSort::Email,
                    after,
                    500,
                )
                .await?;
                let Some(last) = page.last() else { break };
                after = Some((last.email.clone(), last.id.clone()));
                all.extend(page);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                println!(
                    "{:<36} {:<17} {:<9} {:<4} NAME",
                    "EMAIL", "ROLE", "STATUS", "MFA"
                );
                for u in all {
                    println!(
                        "{:<36} {:<17} {:<9} {:<4} {}",
                        u.email,
                        u.role.as_str(),
                        u.status,
                        if u.mfa_enabled { "yes" } else { "no" },
                        u.name
                    );
                }
            }
            Ok(())
        }
        UserCmd::Disable { db, email } => {
            let app = open(&db).await?;
            let s = &app.state;
            let u = find(&app, &email).await?;
            let mut tx = s.db.begin().await?;
            users::patch(
                &mut tx,
                s.clock.now(),
                &Actor::cli(),
                &u.id,
                &users::UserPatch {
                    status: Some(STATUS_DISABLED.into()),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.detail()))?;
            tx.commit().await?;
            println!("disabled {}", u.email);
            Ok(())
        }
        UserCmd::ResetPassword { db, email } => {
            let app = open(&db).await?;
            let u = find(&app, &email).await?;
            let r =
                bulwark_app::access::api::reset_password_action(&app.state, &Actor::cli(), &u.id)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.detail()))?;
            println!(
                "temporary password for {} (shown once; to be changed at sign-in): {}",
                u.email, r.temporary_password
            );
            Ok(())
        }
    }
}

async fn find(app: &App, email: &str) -> anyhow::Result<users::UserRow> {
    let e = bulwark_core::validate::Email::parse("email", email)?;
    users::by_email(&mut app.state.db.read().await?.h(), e.as_str())
        .await?
        .with_context(|| format!("no account with the email {}", e.as_str()))
}
