//! `bulwark import …`: bring inventories and people in from files, with a progress bar.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, bail};
use bulwark_app::audit_log::Actor;
use bulwark_app::inventory::{assets, software};
use bulwark_app::platform::http::error::AppError;
use bulwark_app::platform::secrets::checked_path;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{DbArgs, open};

/// What to import.
#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Replace an asset's software inventory with an SBOM or lockfile (CycloneDX or SPDX JSON,
    /// dpkg status, pip requirements, npm package-lock.json, Cargo.lock, CSV).
    Sbom(SbomArgs),
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

/// Runs an import command.
pub async fn run(cmd: ImportCmd) -> anyhow::Result<()> {
    match cmd {
        ImportCmd::Sbom(a) => {
            let path = checked_path(&a.file)?;
            let app = open(&a.db).await?;
            let db = &app.state.db;
            let Some(asset) = assets::by_id_or_name(&mut db.read().await?.h(), &a.asset).await?
            else {
                bail!("no asset is called {}", a.asset);
            };
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
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
                None,
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
