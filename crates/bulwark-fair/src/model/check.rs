//! From the file as written to a checked [`Model`]: every problem found, each with its JSON path.

use super::file::{
    ControlFile, EstimateFile, Lenient, ModelFile, PortfolioFile, ScenarioFile, ToleranceFile,
    join_path,
};
use super::{
    DEFAULT_TRIALS, MAX_CONTROLS, MAX_SCENARIOS, MIN_TRIALS, Model, Portfolio, RunOptions,
};
use crate::estimate::Estimate;
use crate::invest::{Control, DEFAULT_LIFETIME_YEARS, Effect};
use crate::scenario::{Frequency, Scenario, SecondaryLoss};
use crate::summary::SummaryOptions;
use crate::tolerance::{Tolerance, TolerancePoint};
use bulwark_core::InputProblem;
use std::collections::{HashMap, HashSet};

/// Problems reported at most; past it one last problem says how many more there were.
const MAX_PROBLEMS: usize = 1_000;
/// Thresholds per model at most.
const MAX_THRESHOLDS: usize = 100;
/// Longest id or name.
const MAX_TEXT: usize = 200;

pub(super) fn model(json: &str, options: &RunOptions) -> Result<Model, Vec<InputProblem>> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let file: ModelFile = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(file) => file,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.to_string();
            let message = match message.rfind(" at line ") {
                Some(cut) => message[..cut].to_owned(),
                None => message,
            };
            let field = join_path("", &path, &message);
            return Err(vec![InputProblem {
                line: Some(inner.line() as u64),
                record: None,
                field: (!field.is_empty()).then_some(field),
                message,
            }]);
        }
    };
    let mut p = Problems::default();
    let model = checked(file, options, &mut p);
    p.finish().map(|()| model)
}

/// Problems found so far.
#[derive(Default)]
struct Problems(Vec<InputProblem>);

impl Problems {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(InputProblem {
            line: None,
            record: None,
            field: Some(field.to_owned()),
            message: message.into(),
        });
    }

    fn finish(mut self) -> Result<(), Vec<InputProblem>> {
        if self.0.is_empty() {
            return Ok(());
        }
        if self.0.len() > MAX_PROBLEMS {
            let more = self.0.len() - (MAX_PROBLEMS - 1);
            self.0.truncate(MAX_PROBLEMS - 1);
            self.0
                .push(InputProblem::whole(format!("… and {more} more")));
        }
        Err(self.0)
    }

    /// The element's value, or its structural problem recorded under `path`.
    fn read<T>(&mut self, path: &str, element: Lenient<T>) -> Option<T> {
        match element.0 {
            Ok(v) => Some(v),
            Err((inner, message)) => {
                self.add(&join_path(path, &inner, &message), message);
                None
            }
        }
    }

    fn number(&mut self, field: &str, v: f64, low: f64, high: f64) {
        if !(v.is_finite() && low <= v && v <= high) {
            self.add(field, format!("must be between {low} and {high} (got {v})"));
        }
    }

    fn text(&mut self, field: &str, v: &str) {
        if v.trim().is_empty() {
            self.add(field, "must not be empty");
        } else if v.chars().count() > MAX_TEXT {
            self.add(field, format!("must be at most {MAX_TEXT} characters"));
        }
    }
}

fn checked(file: ModelFile, options: &RunOptions, p: &mut Problems) -> Model {
    let trials = options
        .trials
        .or(file.trials)
        .unwrap_or(DEFAULT_TRIALS.min(options.max_trials));
    if trials < MIN_TRIALS || trials > options.max_trials {
        p.add(
            "trials",
            format!(
                "must be between {MIN_TRIALS} and {} (this installation's limit); got {trials}",
                options.max_trials
            ),
        );
    }
    let var_level = file.var_level.unwrap_or(0.95);
    if !(var_level > 0.0 && var_level < 1.0) {
        p.add(
            "var_level",
            format!("must be between 0 and 1, exclusive (got {var_level})"),
        );
    }
    if file.thresholds.len() > MAX_THRESHOLDS {
        p.add("thresholds", format!("at most {MAX_THRESHOLDS} thresholds"));
    }
    for (i, &t) in file.thresholds.iter().enumerate() {
        p.number(&format!("thresholds[{i}]"), t, 0.0, f64::MAX);
    }
    let currency = file.currency.unwrap_or_else(|| "EUR".to_owned());
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        p.add(
            "currency",
            format!("must be a three-letter code such as EUR (got {currency:?})"),
        );
    }

    if file.scenarios.is_empty() {
        p.add("scenarios", "must list at least one scenario");
    } else if file.scenarios.len() > MAX_SCENARIOS {
        p.add("scenarios", format!("at most {MAX_SCENARIOS} scenarios"));
    }
    let scenarios: Vec<(usize, Scenario)> = file
        .scenarios
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let path = format!("scenarios[{i}]");
            let s = p.read(&path, s)?;
            scenario(&path, s, p).map(|s| (i, s))
        })
        .collect();
    let index = ids(
        scenarios.iter().map(|(i, s)| (*i, s.id.as_str())),
        "scenarios",
        p,
    );
    let scenarios: Vec<Scenario> = scenarios.into_iter().map(|(_, s)| s).collect();

    let portfolio = file
        .portfolio
        .and_then(|f| p.read("portfolio", f))
        .map(|f| portfolio(f, &index, scenarios.len(), p));
    let tolerance = file
        .tolerance
        .and_then(|f| p.read("tolerance", f))
        .and_then(|f| tolerance(f, p));

    if file.controls.len() > MAX_CONTROLS {
        p.add("controls", format!("at most {MAX_CONTROLS} controls"));
    }
    let controls: Vec<(usize, Control)> = file
        .controls
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let path = format!("controls[{i}]");
            let c = p.read(&path, c)?;
            Some((i, control(&path, c, &index, p)))
        })
        .collect();
    let control_index = ids(
        controls.iter().map(|(i, c)| (*i, c.id.as_str())),
        "controls",
        p,
    );
    requirements(&controls, &control_index, p);
    let controls: Vec<Control> = controls.into_iter().map(|(_, c)| c).collect();
    if let Some(b) = file.budget {
        p.number("budget", b, 0.0, f64::MAX);
    }

    Model {
        currency,
        trials,
        seed: options.seed.or(file.seed).unwrap_or(1),
        scenarios,
        summary: SummaryOptions {
            var_level,
            thresholds: file.thresholds,
            ..SummaryOptions::default()
        },
        portfolio,
        tolerance,
        controls,
        budget: file.budget,
    }
}

/// Positions in the checked list by id, from (position in the file, id); duplicates reported.
fn ids<'a>(
    ids: impl Iterator<Item = (usize, &'a str)>,
    list: &str,
    p: &mut Problems,
) -> HashMap<String, usize> {
    let mut index = HashMap::new();
    for (position, (in_file, id)) in ids.enumerate() {
        if index.insert(id.to_owned(), position).is_some() {
            p.add(
                &format!("{list}[{in_file}].id"),
                format!("{id:?} is used twice"),
            );
        }
    }
    index
}

fn estimate(path: &str, e: EstimateFile, p: &mut Problems) -> Option<Estimate> {
    let has = |v: Option<f64>| v.is_some();
    let groups = [
        has(e.constant),
        has(e.min) || has(e.mode) || has(e.max),
        has(e.low) || has(e.high),
    ];
    let shape =
        "give `constant`, or `min`, `mode` and `max` (PERT), or `low` and `high` (90 % interval)";
    match (groups.iter().filter(|&&g| g).count(), e) {
        (
            1,
            EstimateFile {
                constant: Some(c), ..
            },
        ) => Some(Estimate::Constant(c)),
        (
            1,
            EstimateFile {
                min: Some(min),
                mode: Some(mode),
                max: Some(max),
                ..
            },
        ) => Some(Estimate::Pert { min, mode, max }),
        (
            1,
            EstimateFile {
                low: Some(low),
                high: Some(high),
                ..
            },
        ) => Some(Estimate::Lognormal90 { low, high }),
        (1, _) => {
            let missing: Vec<&str> = [
                ("min", e.min, groups[1]),
                ("mode", e.mode, groups[1]),
                ("max", e.max, groups[1]),
                ("low", e.low, groups[2]),
                ("high", e.high, groups[2]),
            ]
            .into_iter()
            .filter(|(_, v, group)| *group && v.is_none())
            .map(|(name, _, _)| name)
            .collect();
            for name in missing {
                p.add(&format!("{path}.{name}"), format!("is missing ({shape})"));
            }
            None
        }
        (0, _) => {
            p.add(path, format!("is empty: {shape}"));
            None
        }
        _ => {
            p.add(path, format!("mixes kinds of estimate: {shape}"));
            None
        }
    }
}

fn scenario(path: &str, f: ScenarioFile, p: &mut Problems) -> Option<Scenario> {
    p.text(&format!("{path}.id"), &f.id);
    let mut est = |name: &str, e: Option<EstimateFile>| {
        e.and_then(|e| estimate(&format!("{path}.{name}"), e, p))
    };
    let tef = est("tef", f.tef);
    let vulnerability = est("vulnerability", f.vulnerability);
    let lef = est("lef", f.lef);
    let primary_loss = est("primary_loss", Some(f.primary_loss));
    let secondary = f.secondary.map(|s| {
        (
            est("secondary.probability", Some(s.probability)),
            est("secondary.loss", Some(s.loss)),
        )
    });
    let frequency = match (f.tef.is_some(), f.vulnerability.is_some(), f.lef.is_some()) {
        (_, _, true) if f.tef.is_some() || f.vulnerability.is_some() => {
            p.add(
                &format!("{path}.lef"),
                "give either `lef`, or `tef` and `vulnerability`, not both",
            );
            None
        }
        (false, false, true) => lef.map(Frequency::LossEvents),
        (true, true, false) => tef
            .zip(vulnerability)
            .map(|(tef, vulnerability)| Frequency::ThreatEvents { tef, vulnerability }),
        (true, false, false) => {
            p.add(
                &format!("{path}.vulnerability"),
                "is missing (it goes with `tef`)",
            );
            None
        }
        (false, true, false) => {
            p.add(
                &format!("{path}.tef"),
                "is missing (it goes with `vulnerability`)",
            );
            None
        }
        _ => {
            p.add(
                &format!("{path}.lef"),
                "is missing: give `lef`, or `tef` and `vulnerability`",
            );
            None
        }
    };
    let secondary = match secondary {
        None => Some(None),
        Some((Some(probability), Some(loss))) => Some(Some(SecondaryLoss { probability, loss })),
        Some(_) => None,
    };
    let name = f.name.unwrap_or_else(|| f.id.clone());
    p.text(&format!("{path}.name"), &name);
    let scenario = Scenario {
        id: f.id,
        name,
        frequency: frequency?,
        primary_loss: primary_loss?,
        secondary: secondary?,
    };
    let problems = scenario.problems(path);
    let fine = problems.is_empty();
    p.0.extend(problems);
    fine.then_some(scenario)
}

fn portfolio(
    f: PortfolioFile,
    index: &HashMap<String, usize>,
    count: usize,
    p: &mut Problems,
) -> Portfolio {
    let name = f.name.unwrap_or_else(|| "Portfolio".to_owned());
    p.text("portfolio.name", &name);
    let members = match f.scenarios {
        None => (0..count).collect(),
        Some(ids) => {
            let mut seen = HashSet::new();
            ids.iter()
                .enumerate()
                .filter_map(|(i, id)| {
                    let field = format!("portfolio.scenarios[{i}]");
                    match index.get(id) {
                        None => p.add(&field, format!("no scenario has the id {id:?}")),
                        Some(_) if !seen.insert(id) => {
                            p.add(&field, format!("{id:?} is listed twice"))
                        }
                        Some(&s) => return Some(s),
                    }
                    None
                })
                .collect()
        }
    };
    Portfolio { name, members }
}

fn tolerance(f: ToleranceFile, p: &mut Problems) -> Option<Tolerance> {
    let [a, b] = f.points[..] else {
        p.add(
            "tolerance.points",
            format!("must have exactly 2 points (got {})", f.points.len()),
        );
        return None;
    };
    let point = |f: super::file::PointFile| TolerancePoint {
        probability: f.probability,
        loss: f.loss,
    };
    Tolerance::new(point(a), point(b))
        .map_err(|message| p.add("tolerance.points", message))
        .ok()
}

fn control(
    path: &str,
    f: ControlFile,
    scenarios: &HashMap<String, usize>,
    p: &mut Problems,
) -> Control {
    p.text(&format!("{path}.id"), &f.id);
    let lifetime_years = f.lifetime_years.unwrap_or(DEFAULT_LIFETIME_YEARS);
    p.number(
        &format!("{path}.one_off_cost"),
        f.one_off_cost,
        0.0,
        f64::MAX,
    );
    p.number(&format!("{path}.yearly_cost"), f.yearly_cost, 0.0, f64::MAX);
    if !(1.0..=100.0).contains(&lifetime_years) {
        p.add(
            &format!("{path}.lifetime_years"),
            format!("must be between 1 and 100 years (got {lifetime_years})"),
        );
    }
    if !(f.one_off_cost > 0.0 || f.yearly_cost > 0.0) {
        p.add(
            &format!("{path}.yearly_cost"),
            "a control must cost something (one_off_cost or yearly_cost above 0) for its return to be computed",
        );
    }
    let mut seen = HashSet::new();
    for (i, e) in f.effects.iter().enumerate() {
        let at = format!("{path}.effects[{i}]");
        if !scenarios.contains_key(&e.scenario) {
            p.add(
                &format!("{at}.scenario"),
                format!("no scenario has the id {:?}", e.scenario),
            );
        } else if !seen.insert(&e.scenario) {
            p.add(
                &format!("{at}.scenario"),
                format!("{:?} already has an effect in this control", e.scenario),
            );
        }
        for (name, v) in [
            ("tef", e.tef),
            ("vulnerability", e.vulnerability),
            ("lef", e.lef),
            ("loss", e.loss),
        ] {
            p.number(&format!("{at}.{name}"), v, 0.0, 1.0);
        }
    }
    let name = f.name.unwrap_or_else(|| f.id.clone());
    p.text(&format!("{path}.name"), &name);
    Control {
        id: f.id,
        name,
        one_off_cost: f.one_off_cost,
        yearly_cost: f.yearly_cost,
        lifetime_years,
        requires: f.requires,
        effects: f
            .effects
            .into_iter()
            .map(|e| Effect {
                scenario: e.scenario,
                tef: e.tef,
                vulnerability: e.vulnerability,
                lef: e.lef,
                loss: e.loss,
            })
            .collect(),
    }
}

/// Every requirement names another control, and requirements form no cycle.
fn requirements(controls: &[(usize, Control)], index: &HashMap<String, usize>, p: &mut Problems) {
    let mut edges = vec![Vec::new(); controls.len()];
    for (i, (in_file, c)) in controls.iter().enumerate() {
        for (k, r) in c.requires.iter().enumerate() {
            let field = format!("controls[{in_file}].requires[{k}]");
            match index.get(r) {
                None => p.add(&field, format!("no control has the id {r:?}")),
                Some(&j) if j == i => p.add(&field, "a control cannot require itself"),
                Some(&j) => edges[i].push(j),
            }
        }
    }
    // Depth-first search; 1 = on the current path, 2 = done.
    fn visit(i: usize, edges: &[Vec<usize>], state: &mut [u8]) -> bool {
        match state[i] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        state[i] = 1;
        let cycle = edges[i].iter().any(|&j| visit(j, edges, state));
        state[i] = 2;
        cycle
    }
    let mut state = vec![0u8; controls.len()];
    if (0..controls.len()).any(|i| visit(i, &edges, &mut state)) {
        p.add(
            "controls",
            "requirements form a cycle (A requires B requires … A)",
        );
    }
}
