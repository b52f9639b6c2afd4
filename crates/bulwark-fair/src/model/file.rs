//! The model file as written (JSON), before its values are checked.
//!
//! Lists hold [`Lenient`] elements, so a structural problem in one scenario or control (a missing
//! or unknown field, a wrong type) is reported with its path and the other elements are still read
//! and checked: one pass reports every problem.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelFile {
    pub currency: Option<String>,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    pub var_level: Option<f64>,
    #[serde(default)]
    pub thresholds: Vec<f64>,
    pub scenarios: Vec<Lenient<ScenarioFile>>,
    pub portfolio: Option<Lenient<PortfolioFile>>,
    pub tolerance: Option<Lenient<ToleranceFile>>,
    #[serde(default)]
    pub controls: Vec<Lenient<ControlFile>>,
    pub budget: Option<f64>,
}

/// An estimate: `constant`, or `min`/`mode`/`max` (PERT), or `low`/`high` (90 % interval).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EstimateFile {
    pub constant: Option<f64>,
    pub min: Option<f64>,
    pub mode: Option<f64>,
    pub max: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioFile {
    pub id: String,
    pub name: Option<String>,
    pub tef: Option<EstimateFile>,
    pub vulnerability: Option<EstimateFile>,
    pub lef: Option<EstimateFile>,
    pub primary_loss: EstimateFile,
    pub secondary: Option<SecondaryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecondaryFile {
    pub probability: EstimateFile,
    pub loss: EstimateFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PortfolioFile {
    pub name: Option<String>,
    pub scenarios: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToleranceFile {
    pub points: Vec<PointFile>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PointFile {
    pub probability: f64,
    pub loss: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControlFile {
    pub id: String,
    pub name: Option<String>,
    #[serde(default)]
    pub one_off_cost: f64,
    #[serde(default)]
    pub yearly_cost: f64,
    pub lifetime_years: Option<f64>,
    #[serde(default)]
    pub requires: Vec<String>,
    #[serde(default)]
    pub effects: Vec<EffectFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EffectFile {
    pub scenario: String,
    #[serde(default)]
    pub tef: f64,
    #[serde(default)]
    pub vulnerability: f64,
    #[serde(default)]
    pub lef: f64,
    #[serde(default)]
    pub loss: f64,
}

/// A list element read on its own: its value, or where inside it reading failed and why.
#[derive(Debug)]
pub(crate) struct Lenient<T>(pub Result<T, (String, String)>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(Lenient(serde_path_to_error::deserialize(value).map_err(
            |e| {
                let path = e.path().to_string();
                (path, e.into_inner().to_string())
            },
        )))
    }
}

/// A serde message's path made precise: `missing field `x`` at `a.b` becomes field `a.b.x`.
pub(crate) fn join_path(prefix: &str, inner: &str, message: &str) -> String {
    let mut path = match inner {
        "" | "." => prefix.to_owned(),
        p if prefix.is_empty() => p.to_owned(),
        p if p.starts_with('[') => format!("{prefix}{p}"),
        p => format!("{prefix}.{p}"),
    };
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(name);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_missing_field() {
        assert_eq!(
            join_path("scenarios[2]", ".", "missing field `primary_loss`"),
            "scenarios[2].primary_loss"
        );
        assert_eq!(
            join_path("scenarios[2]", "tef.mode", "invalid type"),
            "scenarios[2].tef.mode"
        );
        assert_eq!(join_path("", "trials", "invalid type"), "trials");
        assert_eq!(join_path("controls[0]", "[1]", "x"), "controls[0][1]");
    }
}
