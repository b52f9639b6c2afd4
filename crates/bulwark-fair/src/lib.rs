//! Quantitative risk analysis (Open FAIR). No I/O.
//!
//! Scenarios give loss event frequency (directly, or as threat event frequency × vulnerability)
//! and loss magnitude as calibrated estimates ([`Estimate`]). A Monte Carlo run simulates years:
//! each year draws its rate, a Poisson number of loss events, and a loss for every event
//! (a compound Poisson model; see `docs/risk-model.md`). Results ([`Summary`]) give the mean
//! annual loss, percentiles, value at risk, expected shortfall, exceedance probabilities and the
//! loss-exceedance curve; portfolios add scenarios year by year; a [`Tolerance`] curve is checked
//! against every result; controls get a return on security investment and a funding plan.
//!
//! Runs are seeded and bit-identical whatever the number of threads, and use every core.
//! [`run_model`] reads a JSON model file and is what the CLI and the API call.

pub mod advice;
mod count;
pub mod engine;
pub mod estimate;
mod exponential;
mod funding;
pub mod invest;
pub mod model;
mod quantile;
pub mod scenario;
pub mod summary;
pub mod tolerance;

pub use engine::{Cancelled, Progress};
pub use estimate::Estimate;
pub use invest::{Control, Effect};
pub use model::{Model, Report, RunError, RunOptions, run_model};
pub use scenario::{Frequency, Scenario, SecondaryLoss};
pub use summary::{Summary, SummaryOptions};
pub use tolerance::{Tolerance, ToleranceCheck};
