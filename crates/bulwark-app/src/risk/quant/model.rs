//! The engine's model built from the register: a quantified risk is a scenario (its id is the
//! risk's id, its name the risk's code and title); the portfolio is every quantified risk that
//! is not closed; an investment analysis adds the planned and in-progress controls with their
//! effects, costs and requirements, and the budget. Estimates are checked by the engine itself,
//! so the application accepts exactly what `bulwark risk simulate` accepts.

use std::collections::{BTreeMap, HashMap, HashSet};

use bulwark_core::validate::FieldError;
use bulwark_fair::model::{MAX_CONTROLS, MIN_TRIALS};
use bulwark_fair::{Model, RunOptions};
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use serde_json::{Value, json};

use super::{Effect, Estimates, Simulation};
use crate::platform::db::{DbError, Handle};
use crate::risk::controls::{self, Control};
use crate::settings::Settings;

/// Longest scenario or control name the engine takes.
const MAX_NAME: usize = 200;

/// The name of the portfolio in reports.
pub const PORTFOLIO_NAME: &str = "All quantified risks";

/// Control statuses that make a control an investment still to fund.
const TO_FUND: [&str; 2] = ["planned", "in_progress"];

/// The scenario of a risk in the engine's format: its estimates with the risk's id and name.
fn scenario(id: &str, name: &str, estimates: &Value) -> Value {
    let mut s = json!({"id": id, "name": name.chars().take(MAX_NAME).collect::<String>()});
    if let (Some(s), Some(e)) = (s.as_object_mut(), estimates.as_object()) {
        s.extend(e.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    s
}

/// Checks estimates with the engine; their exact mean annual loss, or every problem, each named
/// by its path in the estimates (`primary_loss.min`, `secondary.probability.max`).
pub fn check(estimates: &Estimates) -> Result<f64, Vec<FieldError>> {
    let value = serde_json::to_value(estimates).unwrap_or(Value::Null);
    let model = json!({"trials": MIN_TRIALS, "scenarios": [scenario("risk", "risk", &value)]});
    let options = RunOptions {
        max_trials: MIN_TRIALS,
        ..RunOptions::default()
    };
    match Model::from_json(&model.to_string(), &options) {
        Ok(m) => Ok(m.scenarios.iter().map(|s| s.mean_annual_loss()).sum()),
        Err(problems) => Err(problems
            .into_iter()
            .map(|p| {
                let path = [p.record.as_deref(), p.field.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(".");
                let field = path
                    .strip_prefix("scenarios[0]")
                    .unwrap_or(&path)
                    .trim_start_matches('.');
                FieldError::new(if field.is_empty() { "body" } else { field }, p.message)
            })
            .collect()),
    }
}

/// A quantified risk as the model needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuantifiedRisk {
    pub risk_id: String,
    pub code: String,
    pub title: String,
    /// The stored estimates (JSON).
    pub model: String,
}

/// Quantified risks that are not closed (or the one risk asked for, whatever its status), by code.
pub async fn quantified(
    h: &mut Handle<'_>,
    risk_id: Option<&str>,
) -> Result<Vec<QuantifiedRisk>, DbError> {
    let c = |t: &str, c: &str| (Alias::new(t), Alias::new(c));
    let mut q = Query::select();
    q.expr_as(Expr::col(c("q", "risk_id")), Alias::new("risk_id"))
        .expr_as(Expr::col(c("r", "code")), Alias::new("code"))
        .expr_as(Expr::col(c("r", "title")), Alias::new("title"))
        .expr_as(Expr::col(c("q", "model")), Alias::new("model"))
        .from_as(Alias::new("risk_quantifications"), Alias::new("q"))
        .join_as(
            JoinType::InnerJoin,
            Alias::new("risks"),
            Alias::new("r"),
            Expr::col(c("r", "id")).equals(c("q", "risk_id")),
        )
        .order_by(c("r", "code"), Order::Asc);
    match risk_id {
        Some(id) => q.and_where(Expr::col(c("q", "risk_id")).eq(id)),
        None => q.and_where(Expr::col(c("r", "status")).ne("closed")),
    };
    h.fetch_all(&q).await
}

/// A control's effect on a risk, as stored on their link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EffectRow {
    pub risk_id: String,
    pub control_id: String,
    pub effect: String,
}

/// A model ready to run, and what it left out of the register.
#[derive(Debug, Clone)]
pub struct Built {
    pub model: Value,
    pub notes: Vec<String>,
}

/// Builds the model of a simulation from the register as it is now; a refusal says in plain words
/// why there is nothing to simulate.
pub async fn build(
    h: &mut Handle<'_>,
    sim: &Simulation,
    settings: &Settings,
) -> Result<Result<Built, String>, DbError> {
    let risks = quantified(h, sim.risk_id.as_deref()).await?;
    if risks.is_empty() {
        return Ok(Err(match sim.risk_id {
            Some(_) => "the risk has no quantification any more".to_string(),
            None => "no open risk is quantified".to_string(),
        }));
    }
    let mut model = json!({
        "currency": settings.currency,
        "trials": sim.trials,
        "seed": sim.seed,
        "scenarios": risks.iter().map(|r| {
            let estimates = serde_json::from_str(&r.model).unwrap_or(Value::Null);
            scenario(&r.risk_id, &format!("{} {}", r.code, r.title), &estimates)
        }).collect::<Vec<_>>(),
    });
    if let Some(t) = &settings.risk_tolerance {
        model["tolerance"] = json!(t);
        model["thresholds"] = json!(t.points.iter().map(|p| p.loss).collect::<Vec<_>>());
    }
    if sim.scope != "risk" {
        model["portfolio"] = json!({"name": PORTFOLIO_NAME});
    }
    let mut notes = Vec::new();
    if sim.scope == "investment" {
        let rows = controls::list(h).await?;
        let in_model: HashSet<&str> = risks.iter().map(|r| r.risk_id.as_str()).collect();
        let (list, left_out) = investment_controls(h, &rows, &in_model).await?;
        notes = left_out;
        if list.len() > MAX_CONTROLS {
            return Ok(Err(format!(
                "{} planned or in-progress controls have effects; an analysis compares at most {MAX_CONTROLS}: retire or implement some, or remove their effects",
                list.len()
            )));
        }
        model["controls"] = Value::Array(list);
        if let Some(b) = sim.budget {
            model["budget"] = json!(b);
        }
    }
    Ok(Ok(Built { model, notes }))
}

/// The engine's controls for an investment analysis of the risks `in_model` (see
/// [`investments`]), read from the register's effects and requirements.
pub async fn investment_controls(
    h: &mut Handle<'_>,
    controls: &[Control],
    in_model: &HashSet<&str>,
) -> Result<(Vec<Value>, Vec<String>), DbError> {
    let effects = Query::select()
        .columns(["risk_id", "control_id", "effect"].map(Alias::new))
        .from(Alias::new("risk_controls"))
        .and_where(Expr::col(Alias::new("effect")).is_not_null())
        .to_owned();
    let effects = h.fetch_all::<EffectRow>(&effects).await?;
    Ok(investments(controls, &effects, in_model))
}

/// The engine's controls for an investment analysis, and a note for each control left out.
///
/// Planned and in-progress controls with an effect on a risk of the model are the candidates.
/// A requirement on an implemented control is met already; one on a planned or in-progress
/// control brings that control in (even without effects of its own). A control is left out when
/// it needs a retired control, costs nothing (its return cannot be computed), or needs a control
/// that is left out.
pub fn investments(
    controls: &[Control],
    effects: &[EffectRow],
    in_model: &HashSet<&str>,
) -> (Vec<Value>, Vec<String>) {
    let by_id: HashMap<&str, &Control> = controls.iter().map(|c| (c.id.as_str(), c)).collect();
    let to_fund = |id: &str| {
        by_id
            .get(id)
            .is_some_and(|c| TO_FUND.contains(&c.status.as_str()))
    };
    let label = |id: &str| by_id.get(id).map_or(id.to_string(), |c| label(c));
    let mut notes = Vec::new();

    let mut effects_of: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut elsewhere = 0;
    for e in effects.iter().filter(|e| to_fund(&e.control_id)) {
        if !in_model.contains(e.risk_id.as_str()) {
            elsewhere += 1;
            continue;
        }
        let effect: Effect = serde_json::from_str(&e.effect).unwrap_or_default();
        let mut v = json!(effect);
        v["scenario"] = json!(e.risk_id);
        effects_of.entry(&e.control_id).or_default().push(v);
    }
    if elsewhere > 0 {
        notes.push(format!(
            "{elsewhere} effect{} of planned controls on risks that are closed or not quantified {} not counted.",
            if elsewhere == 1 { "" } else { "s" },
            if elsewhere == 1 { "is" } else { "are" },
        ));
    }
    let requires = |id: &str| {
        by_id
            .get(id)
            .map(|c| c.requires.iter().map(String::as_str).collect::<Vec<_>>())
            .unwrap_or_default()
    };

    // The candidates and, transitively, the unfunded controls they need.
    let mut chosen: Vec<&str> = effects_of.keys().copied().collect();
    let mut seen: HashSet<&str> = chosen.iter().copied().collect();
    let mut i = 0;
    while i < chosen.len() {
        for r in requires(chosen[i]) {
            if to_fund(r) && seen.insert(r) {
                chosen.push(r);
            }
        }
        i += 1;
    }
    let mut left_out: BTreeMap<&str, String> = BTreeMap::new();
    for &c in &chosen {
        let row = by_id[c];
        if row.one_off_cost <= 0 && row.yearly_cost <= 0 {
            left_out.insert(
                c,
                format!(
                    "{} is left out: it has no cost recorded, so its return cannot be worked out.",
                    label(c)
                ),
            );
        } else if let Some(r) = requires(c)
            .into_iter()
            .find(|r| by_id.get(r).is_none_or(|rc| rc.status == "retired"))
        {
            left_out.insert(
                c,
                format!(
                    "{} is left out: it needs {}, which is retired.",
                    label(c),
                    label(r)
                ),
            );
        }
    }
    loop {
        let newly: Vec<(&str, &str)> = chosen
            .iter()
            .filter(|c| !left_out.contains_key(*c))
            .filter_map(|&c| {
                requires(c)
                    .into_iter()
                    .find(|r| left_out.contains_key(r))
                    .map(|r| (c, r))
            })
            .collect();
        if newly.is_empty() {
            break;
        }
        for (c, r) in newly {
            left_out.insert(
                c,
                format!(
                    "{} is left out: it needs {}, which is left out.",
                    label(c),
                    label(r)
                ),
            );
        }
    }
    notes.extend(left_out.values().cloned());

    let mut kept: Vec<&Control> = chosen
        .iter()
        .filter(|c| !left_out.contains_key(*c))
        .map(|c| by_id[c])
        .collect();
    kept.sort_by(|a, b| a.code.cmp(&b.code));
    let kept_ids: HashSet<&str> = kept.iter().map(|c| c.id.as_str()).collect();
    let list = kept
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name.chars().take(MAX_NAME).collect::<String>(),
                "one_off_cost": c.one_off_cost,
                "yearly_cost": c.yearly_cost,
                "requires": requires(&c.id).into_iter()
                    .filter(|r| kept_ids.contains(r)).collect::<Vec<_>>(),
                "effects": effects_of.get(c.id.as_str()).cloned().unwrap_or_default(),
            })
        })
        .collect();
    (list, notes)
}

/// A control as notes name it: `C-004 Outsourced monitoring`.
fn label(c: &Control) -> String {
    format!("{} {}", c.code, c.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(id: &str, status: &str, cost: i64, requires: &[&str]) -> Control {
        Control {
            id: id.into(),
            code: format!("C-{id}"),
            name: id.to_uppercase(),
            description: String::new(),
            kind: "preventive".into(),
            status: status.into(),
            owner: None,
            one_off_cost: 0,
            yearly_cost: cost,
            requires: requires.iter().map(|r| r.to_string()).collect(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn effect(control: &str, risk: &str) -> EffectRow {
        EffectRow {
            risk_id: risk.into(),
            control_id: control.into(),
            effect: r#"{"tef":0,"vulnerability":0.5,"lef":0,"loss":0}"#.into(),
        }
    }

    #[test]
    fn estimates_are_checked_by_the_engine_with_fields_named() {
        let e: Estimates = serde_json::from_value(json!({
            "tef": {"min": 2, "mode": 1, "max": 3},
            "vulnerability": {"min": 0, "mode": 0.5, "max": 1.5},
            "primary_loss": {"low": -5, "high": 10},
            "secondary": {"probability": {"low": 0.1, "high": 0.2}, "loss": {"constant": 1}}
        }))
        .unwrap();
        let errs = check(&e).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "tef.min",
            "vulnerability.max",
            "primary_loss.low",
            "secondary.probability",
        ] {
            assert!(
                fields.iter().any(|x| x.starts_with(f)),
                "{f} not in {errs:?}"
            );
        }
        assert!(check(&Estimates::default()).is_err());
        let ok: Estimates = serde_json::from_value(json!({
            "lef": {"constant": 2}, "primary_loss": {"min": 0, "mode": 10, "max": 20}
        }))
        .unwrap();
        assert_eq!(check(&ok).unwrap(), 20.0);
    }

    #[test]
    fn investments_follow_requirements_and_leave_out_what_cannot_be_funded() {
        let controls = [
            control("mfa", "planned", 1000, &[]),
            control("edr", "in_progress", 5000, &[]),
            control("soc", "planned", 9000, &["siem", "av"]),
            control("siem", "planned", 3000, &[]),
            control("old", "retired", 100, &[]),
            control("legacy", "planned", 500, &["old"]),
            control("free", "planned", 0, &[]),
            control("after", "planned", 100, &["free"]),
            control("av", "implemented", 100, &[]),
        ];
        let effects = [
            effect("mfa", "r1"),
            effect("soc", "r1"),
            effect("legacy", "r2"),
            effect("free", "r1"),
            effect("after", "r1"),
            effect("av", "r1"),
            effect("mfa", "closed-risk"),
        ];
        let in_model: HashSet<&str> = ["r1", "r2"].into();
        let (list, notes) = investments(&controls, &effects, &in_model);
        let ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
        // siem comes in without effects because soc needs it; av is implemented, so met.
        assert_eq!(ids, ["mfa", "siem", "soc"]);
        assert_eq!(list[2]["requires"], json!(["siem"]));
        assert_eq!(list[1]["effects"], json!([]));
        assert_eq!(list[0]["effects"][0]["scenario"], "r1");
        assert_eq!(list[0]["effects"][0]["vulnerability"], 0.5);
        let text = notes.join("\n");
        assert!(text.contains("1 effect of planned controls"), "{text}");
        assert!(text.contains("C-legacy LEGACY is left out: it needs C-old OLD, which is retired"));
        assert!(text.contains("C-free FREE is left out: it has no cost recorded"));
        assert!(
            text.contains("C-after AFTER is left out: it needs C-free FREE, which is left out")
        );
        assert_eq!(notes.len(), 4);
    }
}
