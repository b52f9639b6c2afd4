//! `bulwark identity …`: identity findings from the command line.

use bulwark_app::identity::findings::{self, FindingFilter, IdentityFinding};
use clap::{Args, Subcommand, ValueEnum};

use crate::cli::{DbArgs, open};

/// Identity commands.
#[derive(Debug, Subcommand)]
pub enum IdentityCmd {
    /// List the open identity findings (orphaned, leaver still enabled, dormant, privileged
    /// without MFA, shared, segregation-of-duties conflicts).
    Findings(FindingsArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// A JSON array for programs.
    Json,
}

/// `bulwark identity findings`.
#[derive(Debug, Args)]
pub struct FindingsArgs {
    #[command(flatten)]
    db: DbArgs,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Re-evaluate first (dormancy and leave dates move with the calendar).
    #[arg(long)]
    refresh: bool,
}

/// Runs an identity command.
pub async fn run(cmd: IdentityCmd) -> anyhow::Result<()> {
    let IdentityCmd::Findings(a) = cmd;
    let app = open(&a.db).await?;
    let db = &app.state.db;
    if a.refresh {
        let settings = bulwark_app::settings::load(db).await?;
        findings::refresh_now(
            db,
            app.state.clock.now(),
            &bulwark_app::audit_log::Actor::cli(),
            &settings,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    }
    let filter = FindingFilter {
        status: Some("open".into()),
        ..FindingFilter::default()
    };
    let mut all: Vec<IdentityFinding> = Vec::new();
    loop {
        let after = all.last().map(|f| (f.key.clone(), f.id.clone()));
        let page = findings::list(&mut db.read().await?.h(), &filter, after, 1000).await?;
        let done = page.len() < 1000;
        all.extend(page);
        if done {
            break;
        }
    }
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&all)?),
        Format::Table => print!("{}", table(&all)),
    }
    Ok(())
}

/// The findings as aligned columns, one a line, with the explanation last.
fn table(rows: &[IdentityFinding]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|f| {
            [
                f.kind.clone(),
                f.system_name.clone().unwrap_or_default(),
                f.username.clone().unwrap_or_default(),
                f.person_name.clone().unwrap_or_default(),
                f.days.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["KIND", "SYSTEM", "ACCOUNT", "PERSON", "DAYS"];
    let mut width = header.map(str::len);
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: [&str; 5], last: &str| {
        let mut s = String::new();
        for (c, w) in cols.iter().zip(width) {
            s.push_str(&format!("{c:<w$}  "));
        }
        s.push_str(last);
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header, "EXPLANATION");
    for (row, f) in cells.iter().zip(rows) {
        out.push_str(&line(
            [&row[0], &row[1], &row[2], &row[3], &row[4]],
            &f.explanation,
        ));
    }
    out.push_str(&format!("{} open finding(s)\n", rows.len()));
    out
}
