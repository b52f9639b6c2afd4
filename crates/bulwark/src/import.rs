//! `bulwark import …`: bring inventories, people and accounts in from files and directories,
//! with a progress bar.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, bail};
use bulwark_app::audit_log::Actor;
use bulwark_app::identity::api::accounts::import_from_directory;
use bulwark_app::identity::imports::{self, ImportOutcome};
use bulwark_app::identity::ldap::LdapSource;
use bulwark_app::inventory::assets::{self, Asset};
use bulwark_app::inventory::software;
use bulwark_app::platform::db::Db;
use bulwark_app::platform::http::error::AppError;
use bulwark_app::platform::secrets::{checked_path, read_secret_file};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{DbArgs, open};

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Replace an asset's software inventory with an SBOM or lockfile (CycloneDX or SPDX JSON,
    /// dpkg status, pip requirements, npm package-lock.json, Cargo.lock, CSV).
    Sbom(SbomArgs),
    /// Add and update people from the HR file (CSV with the header
    /// employee_id,name,email,department,manager_email,status,start_date,leave_date).
    People(PeopleArgs),
    /// Replace a system's accounts with a CSV file (header
    /// username,email,display_name,privileged,mfa,last_login,groups,status).
    Accounts(AccountsArgs),
    /// Replace a system's accounts with the users of an LDAP directory or Active Directory.
    Ldap(LdapArgs),
}

/// `bulwark import people`.
#[derive(Debug, Args)]
pub struct PeopleArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The HR file.
    file: String,
}

/// `bulwark import accounts`.
#[derive(Debug, Args)]
pub struct AccountsArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The system (an asset or SaaS application), by name or id.
    #[arg(long)]
    system: String,
    /// The accounts file.
    file: String,
}

/// `bulwark import ldap`.
#[derive(Debug, Args)]
pub struct LdapArgs {
    #[command(flatten)]
    db: DbArgs,
    /// ldap://host[:port] or ldaps://host[:port].
    #[arg(long)]
    url: String,
    /// Where the searches start, e.g. dc=example,dc=com.
    #[arg(long)]
    base_dn: String,
    /// The DN to bind as (Active Directory also accepts user@domain).
    #[arg(long)]
    bind_dn: String,
    /// A file holding the bind password (owner-only permissions).
    #[arg(long)]
    password_file: String,
    /// The system the accounts belong to, by name or id.
    #[arg(long)]
    system: String,
    /// The LDAP filter selecting user entries.
    #[arg(long)]
    user_filter: Option<String>,
    /// A group whose members are privileged (repeat; replaces the built-in list).
    #[arg(long = "privileged-group")]
    privileged_groups: Vec<String>,
    /// A group whose members sign in with a second factor (repeat).
    #[arg(long = "mfa-group")]
    mfa_groups: Vec<String>,
    /// Upgrade ldap:// with StartTLS before binding.
    #[arg(long)]
    starttls: bool,
    /// An extra trusted CA certificate (PEM).
    #[arg(long)]
    ca_file: Option<String>,
    /// Seconds to wait for the server.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

/// `bulwark import sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The asset, by name or id.
    #[arg(long)]
    asset: String,
    /// cyclonedx, spdx, dpkg, pip, npm, cargo or csv (detected when left out).
    #[arg(long)]
    format: Option<String>,
    /// The file.
    file: String,
}

/// A progress bar over a file's bytes, on standard error (hidden when it is not a terminal).
fn progress(path: &Path) -> anyhow::Result<(ProgressBar, File)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(len).with_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Ok((bar, file))
}

/// Prints every problem of a refused file and fails; passes other errors on.
fn refused(file: &Path, e: AppError) -> anyhow::Error {
    match e {
        AppError::Rejected(problems) => {
            for p in &problems {
                eprintln!("{}: {p}", file.display());
            }
            anyhow::anyhow!(
                "{} was refused ({} problem{}); nothing was changed",
                file.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            )
        }
        AppError::Invalid(errs) => anyhow::anyhow!(
            "{}",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{}", other.detail()),
    }
}

async fn system(db: &Db, key: &str) -> anyhow::Result<Asset> {
    match assets::by_id_or_name(&mut db.read().await?.h(), key).await? {
        Some(a) => Ok(a),
        None => bail!("no asset or system is called {key}"),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One line on what an identity import did.
fn report(what: &str, o: &ImportOutcome) {
    let open: Vec<String> = o
        .findings
        .open
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!(
        "{what}: {} records from {}; {} added, {} removed, {} changed; {} linked, {} accounts waiting to be linked; open findings: {}",
        o.import.records,
        o.import.name,
        o.import.added,
        o.import.removed,
        o.import.changed,
        o.linked,
        o.unlinked,
        if open.is_empty() {
            "none".into()
        } else {
            open.join(", ")
        }
    );
    if !o.not_in_file.is_empty() {
        println!(
            "not in the file (kept; mark leavers as such): {}",
            o.not_in_file.join(", ")
        );
    }
    if !o.extra_columns.is_empty() {
        println!("ignored columns: {}", o.extra_columns.join(", "));
    }
}

/// Runs an import command.
pub async fn run(cmd: ImportCmd) -> anyhow::Result<()> {
    match cmd {
        ImportCmd::People(a) => {
            let path = checked_path(&a.file)?;
            let app = open(&a.db).await?;
            let settings = bulwark_app::settings::load(&app.state.db).await?;
            let (bar, file) = progress(&path)?;
            let outcome = imports::import_people(
                &app.state.db,
                app.state.clock.now(),
                &Actor::cli(),
                &settings,
                file_name(&path),
                bar.wrap_read(file),
            )
            .await;
            bar.finish_and_clear();
            report("people", &outcome.map_err(|e| refused(&path, e))?);
            Ok(())
        }
        ImportCmd::Accounts(a) => {
            let path = checked_path(&a.file)?;
            let app = open(&a.db).await?;
            let system = system(&app.state.db, &a.system).await?;
            let settings = bulwark_app::settings::load(&app.state.db).await?;
            let (bar, file) = progress(&path)?;
            let outcome = imports::import_accounts_csv(
                &app.state.db,
                app.state.clock.now(),
                &Actor::cli(),
                &settings,
                &system.id,
                file_name(&path),
                bar.wrap_read(file),
            )
            .await;
            bar.finish_and_clear();
            report(&system.name, &outcome.map_err(|e| refused(&path, e))?);
            Ok(())
        }
        ImportCmd::Ldap(a) => {
            let password = read_secret_file(&checked_path(&a.password_file)?)?;
            let app = open(&a.db).await?;
            let system = system(&app.state.db, &a.system).await?;
            let mut src = LdapSource::new(&a.url, &a.base_dn, &a.bind_dn, password.trim_end());
            src.user_filter = a.user_filter;
            if !a.privileged_groups.is_empty() {
                src.privileged_groups = a.privileged_groups;
            }
            src.mfa_groups = a.mfa_groups;
            src.starttls = a.starttls;
            src.ca_file = a.ca_file.as_deref().map(checked_path).transpose()?;
            src.timeout = std::time::Duration::from_secs(a.timeout.clamp(1, 300));
            let bar = ProgressBar::new_spinner().with_message(format!("reading {}", a.url));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let outcome = import_from_directory(&app.state, &Actor::cli(), &system.id, &src).await;
            bar.finish_and_clear();
            report(
                &system.name,
                &outcome.map_err(|e| refused(Path::new(&a.url), e))?,
            );
            Ok(())
        }
        ImportCmd::Sbom(a) => {
            let path = checked_path(&a.file)?;
            let app = open(&a.db).await?;
            let db = &app.state.db;
            let asset = system(db, &a.asset).await?;
            let name = file_name(&path);
            let mut head = vec![0u8; 4096];
            let n = std::io::Read::read(&mut File::open(&path)?, &mut head).unwrap_or(0);
            head.truncate(n);
            let format = software::choose_format(a.format.as_deref(), &name, &head)
                .map_err(|e| refused(&path, e))?;
            let (bar, file) = progress(&path)?;
            let outcome = software::import(
                db,
                app.state.clock.now(),
                &Actor::cli(),
                &asset.id,
                software::Source { name, format },
                bar.wrap_read(file),
            )
            .await;
            bar.finish_and_clear();
            let o = outcome.map_err(|e| refused(&path, e))?;
            println!(
                "{}: {} components from {} ({}); {} added, {} removed, {} changed{}",
                asset.name,
                o.import.components,
                o.import.source,
                o.import.format,
                o.import.added,
                o.import.removed,
                o.import.changed,
                if o.duplicates > 0 {
                    format!("; {} exact duplicates stored once", o.duplicates)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
    }
}
