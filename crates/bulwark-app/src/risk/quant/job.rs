//! The `risk.simulate` job: builds the model from the register, runs it on a blocking thread
//! with `bulwark_fair::Progress`, writes progress to the run about twice a second (and stops the
//! engine when someone cancelled the run), then stores the report.
//!
//! The run records its outcome itself (failed, with the reason, or cancelled), so the job does
//! not retry a simulation that failed: it is started again by asking for a new one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bulwark_fair::{Progress, RunError, RunOptions};
use serde::{Deserialize, Serialize};

use super::runs::{self, Outcome};
use super::{model, status};
use crate::app::AppState;

/// The job kind.
pub const JOB_KIND: &str = "risk.simulate";

/// How often progress is written to the run (and cancellation looked for).
const REPORT_EVERY: Duration = Duration::from_millis(500);

/// The job's payload.
#[derive(Debug, Serialize, Deserialize)]
pub struct Payload {
    pub simulation_id: String,
}

/// The job handler.
pub async fn run(app: AppState, payload: String) -> anyhow::Result<()> {
    let p: Payload = serde_json::from_str(&payload)?;
    let id = p.simulation_id.as_str();
    let Some(sim) = runs::begin(&app.db, app.clock.now(), id).await? else {
        return Ok(());
    };
    let settings = app.settings.get(&app.db, app.clock.now()).await?;
    let built = {
        let mut snapshot = app.db.snapshot().await?;
        model::build(&mut snapshot.h(), &sim, &settings).await?
    };
    let built = match built {
        Ok(b) => b,
        Err(why) => {
            runs::finish(&app.db, app.clock.now(), id, Outcome::Failed(why), None).await?;
            return Ok(());
        }
    };
    runs::set_model(&app.db, id, &built.model, &built.notes).await?;

    let progress = Arc::new(Progress::new());
    let options = RunOptions {
        trials: None,
        seed: None,
        // The trials were checked against the limit when the run was asked for.
        max_trials: u64::try_from(sim.trials).unwrap_or(0),
        progress: Some(progress.clone()),
    };
    let json = built.model.to_string();
    let started = Instant::now();
    let mut engine = tokio::task::spawn_blocking(move || bulwark_fair::run_model(&json, options));
    let result = loop {
        tokio::select! {
            r = &mut engine => break r?,
            () = tokio::time::sleep(REPORT_EVERY) => {
                let now = runs::progress(&app.db, id, progress.done(), progress.total()).await?;
                if now == status::CANCELLING || now == status::CANCELLED {
                    progress.cancel();
                }
            }
        }
    };
    let elapsed = i64::try_from(started.elapsed().as_millis()).ok();
    let outcome = match result {
        Ok(report) => Outcome::Done(serde_json::to_value(&report)?, progress.done()),
        Err(RunError::Cancelled) => Outcome::Cancelled,
        Err(RunError::Invalid(problems)) => Outcome::Failed(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
    };
    runs::finish(&app.db, app.clock.now(), id, outcome, elapsed).await?;
    Ok(())
}
