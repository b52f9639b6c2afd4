//! The demo's quantitative risk: Open FAIR estimates for six of Northwind's risks, what the
//! planned controls would change, a risk tolerance, and a portfolio and an investment
//! simulation queued for the job runner, so the pages have results minutes after start.
//!
//! The figures are invented for a freight forwarder of about 300 people (euros).

use bulwark_core::Timestamp;

use crate::app::AppState;
use crate::audit_log::Actor;
use crate::platform::db::Tx;
use crate::platform::http::error::{AppError, AppResult};
use crate::risk::controls;
use crate::risk::quant::runs::{self, NewSimulation};
use crate::risk::quant::{Effect, Estimates, store};
use crate::risk::register::{self, RiskFilter};
use crate::settings::{self, RiskTolerance, SettingsPatch, TolerancePoint};

/// Estimates per risk code (the API's JSON, as a user would PUT it). Ranges are lowest, most
/// likely and highest; `low`/`high` are 90 % intervals, used where bad cases run far.
const ESTIMATES: [(&str, &str); 6] = [
    (
        "R-001",
        r#"{"tef": {"min": 0.5, "mode": 2, "max": 6},
            "vulnerability": {"min": 0.05, "mode": 0.1, "max": 0.3},
            "primary_loss": {"low": 150000, "high": 2500000},
            "secondary": {"probability": {"constant": 0.3}, "loss": {"low": 50000, "high": 1000000}}}"#,
    ),
    (
        "R-002",
        r#"{"lef": {"min": 0.2, "mode": 0.5, "max": 2},
            "primary_loss": {"min": 10000, "mode": 45000, "max": 250000}}"#,
    ),
    (
        "R-004",
        r#"{"tef": {"min": 1, "mode": 4, "max": 12},
            "vulnerability": {"min": 0.02, "mode": 0.05, "max": 0.15},
            "primary_loss": {"low": 40000, "high": 800000}}"#,
    ),
    (
        "R-018",
        r#"{"lef": {"min": 0.05, "mode": 0.2, "max": 0.5},
            "primary_loss": {"low": 80000, "high": 1500000}}"#,
    ),
    (
        "R-020",
        r#"{"lef": {"min": 0.02, "mode": 0.05, "max": 0.2},
            "primary_loss": {"min": 20000, "mode": 100000, "max": 600000},
            "secondary": {"probability": {"min": 0.1, "mode": 0.3, "max": 0.6},
                          "loss": {"low": 50000, "high": 2000000}}}"#,
    ),
    (
        "R-031",
        r#"{"tef": {"min": 2, "mode": 6, "max": 20},
            "vulnerability": {"min": 0.01, "mode": 0.03, "max": 0.1},
            "primary_loss": {"min": 5000, "mode": 60000, "max": 400000}}"#,
    ),
];

/// What a planned or in-progress control would change: risk code, control code, effect.
const EFFECTS: [(&str, &str, Effect); 6] = [
    ("R-001", "C-003", reduce(0.0, 0.0, 0.0, 0.5)),
    ("R-001", "C-008", reduce(0.0, 0.3, 0.0, 0.0)),
    ("R-001", "C-010", reduce(0.0, 0.0, 0.0, 0.3)),
    ("R-018", "C-003", reduce(0.0, 0.0, 0.6, 0.0)),
    ("R-004", "C-005", reduce(0.0, 0.6, 0.0, 0.0)),
    ("R-002", "C-009", reduce(0.0, 0.0, 0.3, 0.0)),
];

const fn reduce(tef: f64, vulnerability: f64, lef: f64, loss: f64) -> Effect {
    Effect {
        tef,
        vulnerability,
        lef,
        loss,
    }
}

/// The yearly budget the demo's "what to fund next" is asked about.
pub const BUDGET: i64 = 60_000;

/// Stores the estimates, effects and tolerance, and queues the two simulations.
pub async fn load(app: &AppState, now: Timestamp, actor: &Actor) -> anyhow::Result<()> {
    let before = settings::load(&app.db).await?;
    let mut tx = app.db.begin().await?;
    let settings = settings::update(
        &mut tx,
        now,
        actor,
        &before,
        &SettingsPatch {
            risk_tolerance: Some(Some(RiskTolerance {
                points: vec![
                    TolerancePoint {
                        probability: 0.5,
                        loss: 50_000.0,
                    },
                    TolerancePoint {
                        probability: 0.01,
                        loss: 2_000_000.0,
                    },
                ],
            })),
            ..SettingsPatch::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo risk tolerance: {}", e.detail()))?;
    load_in(&mut tx, now, actor, &settings)
        .await
        .map_err(|e| anyhow::anyhow!("demo quantitative risk: {}", e.detail()))?;
    tx.commit().await?;
    app.settings.invalidate();
    Ok(())
}

async fn load_in(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    settings: &settings::Settings,
) -> AppResult<()> {
    let risks = register::list(&mut tx.h(), &RiskFilter::default()).await?;
    let controls = controls::list(&mut tx.h()).await?;
    let risk_id = |code: &str| {
        risks
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.id.clone())
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the demo has no risk {code}")))
    };
    for (code, json) in ESTIMATES {
        let estimates: Estimates = serde_json::from_str(json).map_err(anyhow::Error::from)?;
        store::put(tx, now, actor, &risk_id(code)?, &estimates).await?;
    }
    for (risk, control, effect) in EFFECTS {
        let control_id = controls
            .iter()
            .find(|c| c.code == control)
            .map(|c| c.id.clone())
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("the demo has no control {control}"))
            })?;
        store::set_effect(tx, now, actor, &risk_id(risk)?, &control_id, &effect).await?;
    }
    for (scope, budget) in [("portfolio", None), ("investment", Some(BUDGET))] {
        let n = NewSimulation {
            scope: scope.into(),
            budget,
            ..NewSimulation::default()
        };
        runs::request(tx, now, actor, settings, &n).await?;
    }
    Ok(())
}
