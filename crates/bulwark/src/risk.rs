//! `bulwark risk …`: the quantitative risk engine from the command line, without a database.

use bulwark_app::platform::secrets::checked_path;
use bulwark_app::settings::RISK_TRIALS_CEILING;
use bulwark_fair::{RunError, RunOptions, run_model};
use clap::{Args, Subcommand};

/// Risk commands.
#[derive(Debug, Subcommand)]
pub enum RiskCmd {
    /// Run a model file (scenarios, portfolio, tolerance, controls, budget; see
    /// docs/risk-model.md) and print the report as JSON.
    Simulate(SimulateArgs),
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
pub fn run(cmd: RiskCmd) -> anyhow::Result<()> {
    match cmd {
        RiskCmd::Simulate(a) => simulate(a),
    }
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
