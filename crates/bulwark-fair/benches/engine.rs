//! The engine's throughput: one scenario at 1,000,000 trials (the model `bench/fair-vs-pyfair.sh`
//! gives pyfair), and the documented example model end to end (three scenarios, portfolio,
//! tolerance, four controls re-run for their return, and the funding plan) at 100,000 trials.
//! The 1,000-scenario portfolio is timed by the `fair-bench` example (see docs/BENCHMARKS.md).
//!
//! Run with `cargo bench -p bulwark-fair --bench engine`.

use bulwark_fair::engine::annual_losses;
use bulwark_fair::{Model, Progress, RunOptions, Summary, SummaryOptions, run_model};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const SINGLE: &str = include_str!("../fixtures/bench-single.json");
const EXAMPLE: &str = include_str!("../fixtures/example-model.json");

fn options(trials: u64) -> RunOptions {
    RunOptions {
        trials: Some(trials),
        max_trials: trials,
        ..RunOptions::default()
    }
}

fn engine(c: &mut Criterion) {
    let model = Model::from_json(SINGLE, &options(1_000_000)).expect("valid model");
    let scenario = &model.scenarios[0];
    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    group.bench_function("single scenario, 1,000,000 trials", |b| {
        b.iter(|| annual_losses(black_box(scenario), 1, 0, 1_000_000, &Progress::new()))
    });
    group.bench_function("single scenario, 1,000,000 trials with summary", |b| {
        b.iter(|| {
            let mut losses =
                annual_losses(scenario, 1, 0, 1_000_000, &Progress::new()).expect("not cancelled");
            Summary::from_losses(&mut losses, &SummaryOptions::default())
        })
    });
    group.sample_size(10);
    group.bench_function("example model with funding plan, 100,000 trials", |b| {
        b.iter(|| run_model(black_box(EXAMPLE), options(100_000)).expect("valid model"))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
