//! `bulwark risk …`: the risk register from the command line.

use bulwark_app::platform::http::error::AppError;
use bulwark_app::platform::secrets::checked_path;
use bulwark_app::risk::api::RisksQuery;
use bulwark_app::risk::export::{self, Format};
use bulwark_app::risk::register;
use clap::{Args, Subcommand};

use crate::cli::{DbArgs, open};

/// Risk commands.
#[derive(Debug, Subcommand)]
pub enum RiskCmd {
    /// Write the risk register to a file (CSV, XLSX or JSON), one row per risk.
    Export(ExportArgs),
}

/// `bulwark risk export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// csv, xlsx or json.
    #[arg(long)]
    format: String,
    /// The file to write.
    #[arg(long)]
    out: String,
    /// Only risks with this status (open, treating, accepted, closed).
    #[arg(long)]
    status: Option<String>,
    /// Only risks of this category (technology, information, financial, …).
    #[arg(long)]
    category: Option<String>,
    /// Only risks with this treatment (undecided, mitigate, transfer, avoid, accept).
    #[arg(long)]
    treatment: Option<String>,
    /// Only risks above their category's appetite.
    #[arg(long)]
    above_appetite: bool,
}

/// Runs a risk command.
pub async fn run(cmd: RiskCmd) -> anyhow::Result<()> {
    match cmd {
        RiskCmd::Export(a) => export(a).await,
    }
}

async fn export(a: ExportArgs) -> anyhow::Result<()> {
    let format = Format::parse(&a.format)
        .ok_or_else(|| anyhow::anyhow!("--format must be csv, xlsx or json"))?;
    let path = checked_path(&a.out)?;
    let query = RisksQuery {
        status: a.status,
        category: a.category,
        treatment: a.treatment,
        above_appetite: a.above_appetite.then_some(true),
        ..RisksQuery::default()
    };
    let detail = |e: AppError| match e {
        AppError::Internal(e) => e,
        e => anyhow::anyhow!("{}", e.detail()),
    };
    let filter = query.filter().map_err(detail)?;
    let app = open(&a.db).await?;
    let risks = register::list(&mut app.state.db.read().await?.h(), &filter).await?;
    std::fs::write(&path, export::file(format, &risks).map_err(detail)?)?;
    println!("wrote {} risk(s) to {}", risks.len(), path.display());
    Ok(())
}
