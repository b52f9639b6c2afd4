//! Likelihood × impact matrices: their definition, validation, built-in defaults and look-ups.

use bulwark_core::validate::FieldError;
use serde::{Deserialize, Serialize};

/// The most positions an axis may have.
pub const MAX_AXIS: usize = 10;
/// The most levels a matrix may have.
pub const MAX_LEVELS: usize = 7;

/// One position on an axis (likelihood or impact), lowest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    /// What people call it ("Likely").
    pub label: String,
    /// What it means in this organisation ("once a year or more"); may be empty.
    #[serde(default)]
    pub description: String,
}

/// A risk level ("High"), lowest first, with the colour it is drawn in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
}

/// A matrix: axes, levels, and the level of every cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    /// Likelihood positions, lowest first (row 1 is the first).
    pub likelihood: Vec<Axis>,
    /// Impact positions, lowest first (column 1 is the first).
    pub impact: Vec<Axis>,
    /// Levels, lowest first.
    pub levels: Vec<Level>,
    /// `grid[l − 1][i − 1]` is the index in `levels` of likelihood `l` and impact `i`.
    pub grid: Vec<Vec<usize>>,
}

/// Where an assessment falls on a matrix, ready to be stored beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub likelihood: usize,
    pub impact: usize,
    pub likelihood_label: String,
    pub impact_label: String,
    /// Index of the level in `levels` (0 = lowest).
    pub level: usize,
    pub level_name: String,
    pub colour: String,
}

impl Matrix {
    /// The level of likelihood `l` and impact `i` (both 1-based), with the labels, or the
    /// problems with the coordinates.
    pub fn place(&self, l: usize, i: usize) -> Result<Placement, Vec<FieldError>> {
        let mut errs = Vec::new();
        if l == 0 || l > self.likelihood.len() {
            errs.push(FieldError::new(
                "likelihood",
                format!("must be between 1 and {}", self.likelihood.len()),
            ));
        }
        if i == 0 || i > self.impact.len() {
            errs.push(FieldError::new(
                "impact",
                format!("must be between 1 and {}", self.impact.len()),
            ));
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        let level = self.grid[l - 1][i - 1];
        Ok(Placement {
            likelihood: l,
            impact: i,
            likelihood_label: self.likelihood[l - 1].label.clone(),
            impact_label: self.impact[i - 1].label.clone(),
            level,
            level_name: self.levels[level].name.clone(),
            colour: self.levels[level].colour.clone(),
        })
    }

    /// The matrix's size as people say it ("5×5").
    pub fn size(&self) -> String {
        format!("{}×{}", self.likelihood.len(), self.impact.len())
    }

    /// Where level `level` sits on this matrix's scale: 0 for the lowest, 1 for the highest.
    pub fn position(&self, level: usize) -> f64 {
        position(level, self.levels.len())
    }

    /// Every problem with the definition, each naming its field. A valid matrix has 2 to
    /// [`MAX_AXIS`] positions per axis and 2 to [`MAX_LEVELS`] levels, with distinct non-empty
    /// labels and `#rrggbb` colours, a complete grid of existing levels, and levels that never
    /// fall when likelihood or impact rises.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errs = Vec::new();
        axis_problems("likelihood", &self.likelihood, &mut errs);
        axis_problems("impact", &self.impact, &mut errs);
        if !(2..=MAX_LEVELS).contains(&self.levels.len()) {
            errs.push(FieldError::new(
                "levels",
                format!("must have 2 to {MAX_LEVELS} levels"),
            ));
        }
        for (n, level) in self.levels.iter().enumerate() {
            if level.name.trim().is_empty() {
                errs.push(FieldError::new(format!("levels[{n}].name"), "is empty"));
            } else if self.levels[..n]
                .iter()
                .any(|o| o.name.trim().eq_ignore_ascii_case(level.name.trim()))
            {
                errs.push(FieldError::new(
                    format!("levels[{n}].name"),
                    format!("\"{}\" is used twice", level.name.trim()),
                ));
            }
            if !is_colour(&level.colour) {
                errs.push(FieldError::new(
                    format!("levels[{n}].colour"),
                    format!("must be a colour like #c62828 (got \"{}\")", level.colour),
                ));
            }
        }
        if self.grid.len() != self.likelihood.len() {
            errs.push(FieldError::new(
                "grid",
                format!(
                    "must have one row per likelihood ({}), found {}",
                    self.likelihood.len(),
                    self.grid.len()
                ),
            ));
            return errs;
        }
        let mut complete = true;
        for (r, row) in self.grid.iter().enumerate() {
            if row.len() != self.impact.len() {
                errs.push(FieldError::new(
                    format!("grid[{r}]"),
                    format!(
                        "must have one cell per impact ({}), found {}",
                        self.impact.len(),
                        row.len()
                    ),
                ));
                complete = false;
                continue;
            }
            for (c, &level) in row.iter().enumerate() {
                if level >= self.levels.len() {
                    errs.push(FieldError::new(
                        format!("grid[{r}][{c}]"),
                        format!(
                            "level {level} does not exist (levels are 0 to {})",
                            self.levels.len().saturating_sub(1)
                        ),
                    ));
                    complete = false;
                }
            }
        }
        if complete {
            self.monotony_problems(&mut errs);
        }
        errs
    }

    fn monotony_problems(&self, errs: &mut Vec<FieldError>) {
        let name = |l: usize| self.levels[l].name.trim().to_owned();
        for (r, row) in self.grid.iter().enumerate() {
            for (c, &level) in row.iter().enumerate() {
                if r > 0 && level < self.grid[r - 1][c] {
                    errs.push(FieldError::new(
                        format!("grid[{r}][{c}]"),
                        format!(
                            "{} is lower than {} below it: a higher likelihood must never lower the level",
                            name(level),
                            name(self.grid[r - 1][c])
                        ),
                    ));
                } else if c > 0 && level < row[c - 1] {
                    errs.push(FieldError::new(
                        format!("grid[{r}][{c}]"),
                        format!(
                            "{} is lower than {} to its left: a higher impact must never lower the level",
                            name(level),
                            name(row[c - 1])
                        ),
                    ));
                }
            }
        }
    }

    /// The three built-in matrices: (key, name, matrix).
    pub fn defaults() -> Vec<(&'static str, &'static str, Matrix)> {
        vec![
            ("3x3", "3×3 (simple)", three()),
            ("4x4", "4×4", four()),
            ("5x5", "5×5 (ISO/IEC 27005 style)", five()),
        ]
    }
}

/// Where level `level` of `count` sits on a 0–1 scale.
pub fn position(level: usize, count: usize) -> f64 {
    if count <= 1 {
        0.0
    } else {
        level as f64 / (count - 1) as f64
    }
}

fn axis_problems(field: &str, axis: &[Axis], errs: &mut Vec<FieldError>) {
    if !(2..=MAX_AXIS).contains(&axis.len()) {
        errs.push(FieldError::new(
            field,
            format!("must have 2 to {MAX_AXIS} positions"),
        ));
    }
    for (n, a) in axis.iter().enumerate() {
        let label = a.label.trim();
        if label.is_empty() {
            errs.push(FieldError::new(format!("{field}[{n}].label"), "is empty"));
        } else if label.chars().count() > 60 {
            errs.push(FieldError::new(
                format!("{field}[{n}].label"),
                "must be at most 60 characters",
            ));
        } else if axis[..n]
            .iter()
            .any(|o| o.label.trim().eq_ignore_ascii_case(label))
        {
            errs.push(FieldError::new(
                format!("{field}[{n}].label"),
                format!("\"{label}\" is used twice"),
            ));
        }
        if a.description.chars().count() > 300 {
            errs.push(FieldError::new(
                format!("{field}[{n}].description"),
                "must be at most 300 characters",
            ));
        }
    }
}

fn is_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn axis(items: &[(&str, &str)]) -> Vec<Axis> {
    items
        .iter()
        .map(|(label, description)| Axis {
            label: (*label).into(),
            description: (*description).into(),
        })
        .collect()
}

fn levels(items: &[(&str, &str)]) -> Vec<Level> {
    items
        .iter()
        .map(|(name, colour)| Level {
            name: (*name).into(),
            colour: (*colour).into(),
        })
        .collect()
}

/// A grid from the product likelihood × impact and the smallest product of each level above
/// the lowest.
fn grid_by_score(size_l: usize, size_i: usize, thresholds: &[usize]) -> Vec<Vec<usize>> {
    (1..=size_l)
        .map(|l| {
            (1..=size_i)
                .map(|i| thresholds.iter().filter(|&&t| l * i >= t).count())
                .collect()
        })
        .collect()
}

const GREEN: &str = "#2e7d32";
const AMBER: &str = "#f9a825";
const ORANGE: &str = "#ef6c00";
const RED: &str = "#c62828";

fn three() -> Matrix {
    Matrix {
        likelihood: axis(&[
            ("Unlikely", "less than once in ten years"),
            ("Possible", "once in one to ten years"),
            ("Likely", "once a year or more"),
        ]),
        impact: axis(&[
            ("Minor", "absorbed in normal operations"),
            ("Moderate", "noticeable harm, recovered within weeks"),
            ("Major", "serious harm to the organisation"),
        ]),
        levels: levels(&[("Low", GREEN), ("Medium", AMBER), ("High", RED)]),
        grid: grid_by_score(3, 3, &[3, 6]),
    }
}

fn four() -> Matrix {
    Matrix {
        likelihood: axis(&[
            ("Rare", "less than once in ten years"),
            ("Unlikely", "once in three to ten years"),
            ("Likely", "once in one to three years"),
            ("Almost certain", "once a year or more"),
        ]),
        impact: axis(&[
            ("Low", "little effect, no data exposed"),
            ("Moderate", "limited disruption or exposure"),
            ("High", "significant loss, regulator or customers involved"),
            ("Severe", "threatens the organisation's operation"),
        ]),
        levels: levels(&[
            ("Low", GREEN),
            ("Medium", AMBER),
            ("High", ORANGE),
            ("Critical", RED),
        ]),
        grid: grid_by_score(4, 4, &[3, 6, 12]),
    }
}

fn five() -> Matrix {
    Matrix {
        likelihood: axis(&[
            ("Rare", "may happen only in exceptional circumstances"),
            (
                "Unlikely",
                "could happen, but not expected (once in 10+ years)",
            ),
            ("Possible", "might happen (once in 3–10 years)"),
            ("Likely", "will probably happen (once in 1–3 years)"),
            ("Almost certain", "expected to happen (once a year or more)"),
        ]),
        impact: axis(&[
            ("Negligible", "no noticeable effect"),
            ("Minor", "small, quickly absorbed effect"),
            ("Moderate", "disruption or loss felt by a department"),
            (
                "Major",
                "serious loss, harm to customers or a regulator involved",
            ),
            (
                "Severe",
                "threatens the organisation's survival or people's safety",
            ),
        ]),
        levels: levels(&[
            ("Low", GREEN),
            ("Medium", AMBER),
            ("High", ORANGE),
            ("Very high", RED),
        ]),
        grid: grid_by_score(5, 5, &[5, 10, 20]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level_names(m: &Matrix) -> Vec<Vec<&str>> {
        m.grid
            .iter()
            .map(|row| row.iter().map(|&l| m.levels[l].name.as_str()).collect())
            .collect()
    }

    #[test]
    fn three_by_three_cell_by_cell() {
        let m = three();
        assert_eq!(
            level_names(&m),
            [
                ["Low", "Low", "Medium"],
                ["Low", "Medium", "High"],
                ["Medium", "High", "High"],
            ]
        );
    }

    #[test]
    fn four_by_four_cell_by_cell() {
        let m = four();
        assert_eq!(
            level_names(&m),
            [
                ["Low", "Low", "Medium", "Medium"],
                ["Low", "Medium", "High", "High"],
                ["Medium", "High", "High", "Critical"],
                ["Medium", "High", "Critical", "Critical"],
            ]
        );
    }

    #[test]
    fn five_by_five_cell_by_cell() {
        let m = five();
        assert_eq!(
            level_names(&m),
            [
                ["Low", "Low", "Low", "Low", "Medium"],
                ["Low", "Low", "Medium", "Medium", "High"],
                ["Low", "Medium", "Medium", "High", "High"],
                ["Low", "Medium", "High", "High", "Very high"],
                ["Medium", "High", "High", "Very high", "Very high"],
            ]
        );
    }

    #[test]
    fn place_reads_every_cell_of_every_default() {
        for (_, _, m) in Matrix::defaults() {
            assert!(m.problems().is_empty(), "{:?}", m.problems());
            for l in 1..=m.likelihood.len() {
                for i in 1..=m.impact.len() {
                    let p = m.place(l, i).unwrap();
                    assert_eq!(p.level, m.grid[l - 1][i - 1]);
                    assert_eq!(p.level_name, m.levels[p.level].name);
                    assert_eq!(p.likelihood_label, m.likelihood[l - 1].label);
                    assert_eq!(p.impact_label, m.impact[i - 1].label);
                }
            }
        }
    }

    #[test]
    fn place_refuses_cells_outside() {
        let m = three();
        let errs = m.place(0, 4).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].field, "likelihood");
        assert_eq!(errs[1].message, "must be between 1 and 3");
    }

    #[test]
    fn problems_name_each_field() {
        let mut m = three();
        m.levels[1].colour = "orange".into();
        m.likelihood[2].label = "unlikely".into();
        m.grid[2][0] = 0;
        m.grid[0][1] = 5;
        let fields: Vec<_> = m.problems().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["likelihood[2].label", "levels[1].colour", "grid[0][1]"]
        );
        let mut m = three();
        m.grid[2][2] = 0;
        let errs = m.problems();
        assert_eq!(errs[0].field, "grid[2][2]");
        assert!(errs[0].message.contains("higher likelihood"), "{errs:?}");
        let mut m = three();
        m.grid.pop();
        assert_eq!(m.problems()[0].field, "grid");
    }

    #[test]
    fn positions_span_zero_to_one() {
        let m = five();
        assert_eq!(m.position(0), 0.0);
        assert_eq!(m.position(3), 1.0);
        assert!((three().position(1) - 0.5).abs() < 1e-12);
    }
}
