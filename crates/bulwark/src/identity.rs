//! `bulwark identity …`: identity findings and access-review evidence from the command line.

use bulwark_app::identity::findings::{self, FindingFilter, IdentityFinding};
use bulwark_app::identity::reviews::api::campaign_data;
use bulwark_app::identity::reviews::{evidence, store};
use bulwark_app::platform::secrets::checked_path;
use clap::{Args, Subcommand, ValueEnum};

use crate::cli::{DbArgs, open};

/// Identity commands.
#[derive(Debug, Subcommand)]
pub enum IdentityCmd {
    /// List the open identity findings (orphaned, leaver still enabled, dormant, privileged
    /// without MFA, shared, segregation-of-duties conflicts).
    Findings(FindingsArgs),
    /// List the access-review campaigns, newest first.
    Reviews(ReviewsArgs),
    /// Write an access review's evidence pack for auditors (CSV and/or PDF).
    Evidence(EvidenceArgs),
}

/// `bulwark identity reviews`.
#[derive(Debug, Args)]
pub struct ReviewsArgs {
    #[command(flatten)]
    db: DbArgs,
}

/// `bulwark identity evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The campaign's id (see `bulwark identity reviews`).
    campaign: String,
    /// Write the CSV of every item, decision and task here.
    #[arg(long)]
    csv: Option<String>,
    /// Write the PDF summary here.
    #[arg(long)]
    pdf: Option<String>,
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
    match cmd {
        IdentityCmd::Findings(a) => findings(a).await,
        IdentityCmd::Reviews(a) => reviews(a).await,
        IdentityCmd::Evidence(a) => evidence(a).await,
    }
}

async fn reviews(a: ReviewsArgs) -> anyhow::Result<()> {
    let app = open(&a.db).await?;
    let campaigns =
        store::list_campaigns(&mut app.state.db.read().await?.h(), None, None, 1000).await?;
    for c in &campaigns {
        println!("{}  {:<7} due {}  {}", c.id, c.status, c.deadline, c.name);
    }
    println!("{} campaign(s)", campaigns.len());
    Ok(())
}

async fn evidence(a: EvidenceArgs) -> anyhow::Result<()> {
    if a.csv.is_none() && a.pdf.is_none() {
        anyhow::bail!("say where to write the evidence: --csv FILE and/or --pdf FILE");
    }
    let app = open(&a.db).await?;
    let fail = |e: bulwark_app::platform::http::error::AppError| match e {
        bulwark_app::platform::http::error::AppError::NotFound => {
            anyhow::anyhow!("no access review has the id {}", a.campaign)
        }
        e => anyhow::anyhow!("{}", e.detail()),
    };
    let (c, items, tasks) = campaign_data(&app.state, &a.campaign).await.map_err(fail)?;
    if let Some(path) = &a.csv {
        let path = checked_path(path)?;
        std::fs::write(&path, evidence::csv(&c, &items, &tasks).map_err(fail)?)?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &a.pdf {
        let path = checked_path(path)?;
        std::fs::write(
            &path,
            evidence::pdf(&c, &items, &tasks, app.state.clock.now()),
        )?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

async fn findings(a: FindingsArgs) -> anyhow::Result<()> {
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
