//! `bulwark risk …`: the risk register's export, and the quantitative risk engine without a
//! database.

use bulwark_app::platform::http::error::AppError;
use bulwark_app::platform::secrets::checked_path;
use bulwark_app::risk::api::RisksQuery;
use bulwark_app::risk::export::{self, Format};
use bulwark_app::risk::register;
use bulwark_app::settings::RISK_TRIALS_CEILING;
use bulwark_fair::{RunError, RunOptions, run_model};
use clap::{Args, Subcommand};

use crate::cli::{DbArgs, open};

/// Risk commands.
#[derive(Debug, Subcommand)]
pub enum RiskCmd {
    /// Write the risk register to a file (CSV, XLSX or JSON), one row per risk.
    Export(ExportArgs),
    /// Run a model file (scenarios, portfolio, tolerance, controls, budget; see
    /// docs/risk-model.md) and print the report as JSON. Needs no database.
    Simulate(SimulateArgs),
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

/// `bulwark risk simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The model file (JSON).
    file: String,
    /// Simulated years per scenario (overrides the file's `trials`; 1,000 to 10,000,000).
    #[arg(long)]
    trials: Option<u64>,
    /// Random seed (overrides the file's `seed`): the same model, trials and seed give the same
    /// report.
    #[arg(long)]
    seed: Option<u64>,
}

/// Runs a risk command.
pub async fn run(cmd: RiskCmd) -> anyhow::Result<()> {
    match cmd {
        RiskCmd::Export(a) => export(a).await,
        RiskCmd::Simulate(a) => simulate(a),
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

fn simulate(a: SimulateArgs) -> anyhow::Result<()> {
    let path = checked_path(&a.file)?;
    let json = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let options = RunOptions {
        trials: a.trials,
        seed: a.seed,
        max_trials: RISK_TRIALS_CEILING,
        progress: None,
    };
    match run_model(&json, options) {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Err(RunError::Invalid(problems)) => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            anyhow::bail!(
                "{} has {} problem{}; nothing was simulated:\n{}",
                path.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                lines.join("\n")
            )
        }
        Err(RunError::Cancelled) => anyhow::bail!("the simulation was cancelled"),
    }
}
