//! Times the engine for `bench/fair-vs-pyfair.sh`.
//!
//! `fair-bench single MODEL.json TRIALS` runs the model's first scenario and prints the time of the
//! simulation alone (as pyfair's is timed), its CPU time summed over all threads (from
//! `/proc/self/task/*/schedstat`, a measure that a busy machine disturbs less), then the time with
//! the summary, and the mean.
//! `fair-bench portfolio SCENARIOS TRIALS` runs a generated portfolio end to end (every scenario's
//! summary and tolerance check, the portfolio summed trial by trial) and prints the time.

use bulwark_fair::engine::annual_losses;
use bulwark_fair::model::Portfolio;
use bulwark_fair::tolerance::TolerancePoint;
use bulwark_fair::{
    Estimate, Frequency, Model, Progress, RunOptions, Scenario, SecondaryLoss, Summary,
    SummaryOptions, Tolerance,
};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> usize {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| usage())
    };
    match args.first().map(String::as_str) {
        Some("single") => single(args.get(1).unwrap_or_else(|| usage()), number(2)),
        Some("portfolio") => portfolio(number(1), number(2) as u64),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: fair-bench single MODEL.json TRIALS | fair-bench portfolio SCENARIOS TRIALS");
    std::process::exit(2)
}

fn single(path: &str, trials: usize) {
    let json = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let options = RunOptions {
        max_trials: trials as u64,
        trials: Some(trials as u64),
        ..RunOptions::default()
    };
    let model = Model::from_json(&json, &options).unwrap_or_else(|problems| {
        problems.iter().for_each(|p| eprintln!("{p}"));
        std::process::exit(1)
    });
    let scenario = &model.scenarios[0];
    let progress = Progress::new();
    rayon::broadcast(|_| ()); // start the worker threads before measuring
    let cpu_start = cpu_seconds();
    let start = Instant::now();
    let mut losses =
        annual_losses(scenario, model.seed, 0, trials, &progress).expect("nothing cancels");
    let simulated = start.elapsed();
    let cpu = cpu_seconds() - cpu_start;
    let summary = Summary::from_losses(&mut losses, &SummaryOptions::default());
    let total = start.elapsed();
    println!(
        "threads={} trials={trials} simulation_s={:.6} simulation_cpu_s={cpu:.6} with_summary_s={:.6} mean={:.2} stddev={:.0} analytic_mean={:.2} p99={:.0}",
        rayon::current_num_threads(),
        simulated.as_secs_f64(),
        total.as_secs_f64(),
        summary.mean,
        summary.stddev,
        scenario.mean_annual_loss(),
        summary.p99
    );
}

/// CPU time of this process's live threads, in seconds (Linux).
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let nanos: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    nanos as f64 / 1e9
}

/// A deterministic, varied portfolio: frequencies from once in fifty years to about four a year, losses from thousands to
/// millions, a third with secondary loss.
fn portfolio(count: usize, trials: u64) {
    let scenarios: Vec<Scenario> = (0..count)
        .map(|i| {
            let k = i as f64;
            let rate = 0.02 + (k * 0.37) % 4.0;
            let loss = 1_000.0 * (1.0 + (k * 7.3) % 500.0);
            let frequency = if i % 2 == 0 {
                Frequency::LossEvents(Estimate::Pert {
                    min: rate * 0.2,
                    mode: rate,
                    max: rate * 3.0,
                })
            } else {
                Frequency::ThreatEvents {
                    tef: Estimate::Lognormal90 {
                        low: rate,
                        high: rate * 4.0,
                    },
                    vulnerability: Estimate::Pert {
                        min: 0.05,
                        mode: 0.2,
                        max: 0.6,
                    },
                }
            };
            Scenario {
                id: format!("s{i}"),
                name: format!("Scenario {i}"),
                frequency,
                primary_loss: Estimate::Lognormal90 {
                    low: loss,
                    high: loss * 20.0,
                },
                secondary: (i % 3 == 0).then_some(SecondaryLoss {
                    probability: Estimate::Constant(0.2),
                    loss: Estimate::Pert {
                        min: loss,
                        mode: loss * 2.0,
                        max: loss * 10.0,
                    },
                }),
            }
        })
        .collect();
    let tolerance = Tolerance::new(
        TolerancePoint {
            probability: 0.5,
            loss: 1_000_000.0,
        },
        TolerancePoint {
            probability: 0.01,
            loss: 100_000_000.0,
        },
    )
    .expect("valid points");
    let model = Model {
        currency: "EUR".into(),
        trials,
        seed: 1,
        portfolio: Some(Portfolio {
            name: "All".into(),
            members: (0..count).collect(),
        }),
        scenarios,
        summary: SummaryOptions::default(),
        tolerance: Some(tolerance),
        controls: Vec::new(),
        budget: None,
    };
    let start = Instant::now();
    let report = model.run(&Progress::new()).expect("nothing cancels");
    let elapsed = start.elapsed();
    let p = report.portfolio.expect("a portfolio was asked for").result;
    let sum_of_means: f64 = report.scenarios.iter().map(|s| s.result.mean).sum();
    println!(
        "threads={} scenarios={count} trials={trials} run_s={:.3} portfolio_mean={:.0} sum_of_means={:.0} portfolio_p99={:.0}",
        rayon::current_num_threads(),
        elapsed.as_secs_f64(),
        p.mean,
        sum_of_means,
        p.p99
    );
}
