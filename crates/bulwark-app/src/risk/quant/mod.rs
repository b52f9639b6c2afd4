//! Quantitative risk in the application: each risk's FAIR estimates (its quantification), each
//! control's effect on a risk, and simulations run by `bulwark_fair` as background jobs with
//! progress: one risk, the portfolio of every quantified open risk (checked against the risk
//! tolerance), or the investment analysis (planned controls' return and what to fund next).
//!
//! `store.rs` reads and writes quantifications and effects; `model.rs` builds the engine's model
//! from the register; `runs.rs` stores simulations; `job.rs` runs them; `report.rs` reads a
//! stored report for the pages; `api.rs` and `pages.rs` are the interfaces.

pub mod api;
pub mod job;
pub mod model;
pub mod pages;
pub mod report;
pub mod runs;
pub mod store;
pub mod summary;

use serde::{Deserialize, Serialize};

/// An estimate as entered: `constant`, or `min`/`mode`/`max` (PERT: the mode is the most likely
/// value), or `low`/`high` (a 90 % confidence interval, modelled as a lognormal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Estimate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constant: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
}

/// Losses that follow some loss events (fines, lawsuits, customers leaving).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Secondary {
    /// Probability that a loss event brings a secondary loss (0 to 1; constant or PERT).
    pub probability: Estimate,
    /// Each secondary loss, in the currency.
    pub loss: Estimate,
}

/// A risk's quantitative model: one Open FAIR scenario. Give how often loss events happen either
/// directly (`lef`, events a year) or as threat events a year (`tef`) times the probability that
/// one becomes a loss event (`vulnerability`); then what each loss event costs (`primary_loss`,
/// required) and optionally the `secondary` losses. Stored in the engine's model-file format
/// (docs/risk-model.md) without `id` and `name`: the risk supplies those.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Estimates {
    /// Threat events a year (with `vulnerability`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tef: Option<Estimate>,
    /// Probability that a threat event becomes a loss event (0 to 1; with `tef`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<Estimate>,
    /// Loss events a year (instead of `tef` and `vulnerability`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lef: Option<Estimate>,
    /// What each loss event costs (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_loss: Option<Estimate>,
    /// Secondary losses, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary: Option<Secondary>,
}

/// A risk's stored quantification.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Quantification {
    pub risk_id: String,
    /// The estimates.
    pub model: Estimates,
    /// The exact mean annual loss these estimates give (what simulations estimate).
    pub mean_annual_loss: f64,
    pub updated_by: String,
    pub updated_at: String,
}

/// What a control does to one risk, as reductions (fractions from 0 to 1, each 0 when left out):
/// how much less often threat events happen (`tef`), how much less likely one becomes a loss
/// (`vulnerability`), how much less often loss events happen (`lef`), how much less each loss
/// costs (`loss`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Effect {
    #[serde(default)]
    pub tef: f64,
    #[serde(default)]
    pub vulnerability: f64,
    #[serde(default)]
    pub lef: f64,
    #[serde(default)]
    pub loss: f64,
}

/// A control linked to a risk, with its effect on it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ControlEffect {
    pub risk_id: String,
    pub control_id: String,
    pub control_code: String,
    pub control_name: String,
    /// planned, in_progress, implemented or retired. Only planned and in-progress controls are
    /// investments; an implemented control's effect is already in the risk's estimates.
    pub control_status: String,
    pub one_off_cost: i64,
    pub yearly_cost: i64,
    /// None while the link carries no effect.
    pub effect: Option<Effect>,
}

/// What a simulation covers.
pub const SCOPES: crate::risk::Choices = &[
    ("risk", "One risk"),
    ("portfolio", "All quantified risks"),
    ("investment", "What to fund next"),
];

/// Simulation states: queued → running → done, failed or cancelled (a running simulation asked
/// to stop is `cancelling` until it has).
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const CANCELLING: &str = "cancelling";
    pub const DONE: &str = "done";
    pub const FAILED: &str = "failed";
    pub const CANCELLED: &str = "cancelled";
}

/// A simulation run.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Simulation {
    pub id: String,
    /// risk, portfolio or investment.
    pub scope: String,
    /// The risk of a `risk` simulation.
    pub risk_id: Option<String>,
    /// Simulated years per scenario.
    pub trials: i64,
    pub seed: i64,
    /// The yearly budget of an investment analysis.
    pub budget: Option<i64>,
    /// queued, running, cancelling, done, failed or cancelled.
    pub status: String,
    /// Simulated years so far, all scenarios and re-runs together.
    pub done: i64,
    /// Simulated years expected (it grows while the funding plan is worked out).
    pub total: i64,
    /// The report (`bulwark risk simulate` prints the same shape; see docs/risk-model.md):
    /// only when reading one simulation that is done.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// The model simulated, built from the register when the run started (a model file that
    /// `bulwark risk simulate` reproduces exactly): only when reading one simulation.
    #[schema(value_type = Option<Object>)]
    pub model: Option<serde_json::Value>,
    /// What the model left out of the register, and why.
    pub notes: Vec<String>,
    /// Why it failed.
    pub error: Option<String>,
    pub requested_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Time spent simulating, in milliseconds.
    pub elapsed_ms: Option<i64>,
}

impl Simulation {
    /// Whether it may still change (queued, running or stopping).
    pub fn is_active(&self) -> bool {
        [status::QUEUED, status::RUNNING, status::CANCELLING].contains(&self.status.as_str())
    }

    /// Progress in whole percent.
    pub fn percent(&self) -> i64 {
        if self.total <= 0 {
            0
        } else {
            (self.done * 100 / self.total).clamp(0, 100)
        }
    }
}
