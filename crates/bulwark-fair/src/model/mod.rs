//! A model file: scenarios, an optional portfolio, tolerance, controls and budget; checked and run.

mod check;
mod file;
mod report;

pub use report::{
    ControlReport, FundingPlan, FundingStep, NotFunded, PortfolioReport, Report, ScenarioReport,
};

use crate::engine::{Cancelled, Progress};
use crate::invest::Control;
use crate::scenario::Scenario;
use crate::summary::SummaryOptions;
use crate::tolerance::Tolerance;
use bulwark_core::InputProblem;
use std::sync::Arc;

/// Trials run when neither the file nor the caller says (lowered to the caller's limit).
pub const DEFAULT_TRIALS: u64 = 100_000;
/// Fewest trials accepted: enough for a 99th percentile to mean something.
pub const MIN_TRIALS: u64 = 1_000;
/// Most scenarios in one model.
pub const MAX_SCENARIOS: usize = 5_000;
/// Most controls in one model (the funding plan is an exact search over them).
pub const MAX_CONTROLS: usize = 40;

/// A checked model, ready to run.
///
/// Build it with [`Model::from_json`]. A model built by hand must pass the same checks (estimates
/// free of `problems`, ids that exist, requirements without cycles), or [`Model::run`] may panic.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Currency code used in the funding plan's sentences (for example `EUR`).
    pub currency: String,
    /// Simulated years per scenario.
    pub trials: u64,
    /// Seed: the same model, trials and seed give the same results.
    pub seed: u64,
    /// The scenarios; their position selects their random numbers.
    pub scenarios: Vec<Scenario>,
    /// What each result reports besides the fixed statistics.
    pub summary: SummaryOptions,
    /// The scenarios summed year by year, if asked for.
    pub portfolio: Option<Portfolio>,
    /// The organisation's risk tolerance, if given.
    pub tolerance: Option<Tolerance>,
    /// Controls and planned initiatives.
    pub controls: Vec<Control>,
    /// Yearly budget for the funding plan, compared with annualised costs.
    pub budget: Option<f64>,
}

/// Scenarios aggregated trial by trial (the same trial index is the same simulated year).
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    /// Name shown to people.
    pub name: String,
    /// Indices into [`Model::scenarios`].
    pub members: Vec<usize>,
}

/// What the caller decides, whatever the file says.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides the file's `trials`.
    pub trials: Option<u64>,
    /// Overrides the file's `seed`.
    pub seed: Option<u64>,
    /// Most trials a run may use (a server setting, so one request cannot exhaust the machine).
    pub max_trials: u64,
    /// Progress counter and cancellation switch for a background job.
    pub progress: Option<Arc<Progress>>,
}

/// Why a model did not run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// The file has problems; every one is listed with its JSON path (a 4xx for a server).
    Invalid(Vec<InputProblem>),
    /// The caller cancelled the run.
    Cancelled,
}

impl From<Cancelled> for RunError {
    fn from(_: Cancelled) -> Self {
        RunError::Cancelled
    }
}

impl Model {
    /// Reads and checks a model file; every problem is reported, each naming its JSON path.
    pub fn from_json(json: &str, options: &RunOptions) -> Result<Model, Vec<InputProblem>> {
        check::model(json, options)
    }
}

/// Reads, checks and runs a model file: the entry point for `bulwark risk simulate` and the API.
pub fn run_model(json: &str, options: RunOptions) -> Result<Report, RunError> {
    let model = Model::from_json(json, &options).map_err(RunError::Invalid)?;
    let progress = options.progress.unwrap_or_default();
    Ok(model.run(&progress)?)
}

#[cfg(test)]
mod tests;
