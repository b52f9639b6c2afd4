//! The register drawn on a matrix: an SVG grid coloured by level, each cell showing how many
//! risks fall in it (and naming them in its tooltip), likelihood rising upwards, impact rightwards.

use crate::matrix::Matrix;
use crate::svg::{escape, ink_on};
use std::fmt::Write;

const CELL: usize = 64;
const LEFT: usize = 150;
const TOP: usize = 34;
const BOTTOM: usize = 70;

/// One risk on the map: its likelihood and impact (1-based) and how it is named in the tooltip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub likelihood: usize,
    pub impact: usize,
    pub label: String,
}

/// The labels of `points` in each cell: `cells[likelihood − 1][impact − 1]`. Points outside the
/// matrix are left out.
pub fn cells<'a>(matrix: &Matrix, points: &'a [Point]) -> Vec<Vec<Vec<&'a str>>> {
    let rows = matrix.likelihood.len();
    let cols = matrix.impact.len();
    let mut cells = vec![vec![Vec::<&str>::new(); cols]; rows];
    for p in points {
        if (1..=rows).contains(&p.likelihood) && (1..=cols).contains(&p.impact) {
            cells[p.likelihood - 1][p.impact - 1].push(&p.label);
        }
    }
    cells
}

/// An accessible SVG heat map of `points` on `matrix`, titled `title`. Points outside the matrix
/// are left out (the caller places them with `Matrix::place` first).
pub fn svg(title: &str, matrix: &Matrix, points: &[Point]) -> String {
    let rows = matrix.likelihood.len();
    let cols = matrix.impact.len();
    let cells = cells(matrix, points);
    // Wide enough for the title too (bold 14 px text is under 9 px a character).
    let width = (LEFT + cols * CELL + 10).max(LEFT + title.chars().count() * 9);
    let height = TOP + rows * CELL + BOTTOM;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{t}: {n} risks on a {size} matrix" font-family="sans-serif" font-size="12"><title>{t}</title>"#,
        t = escape(title),
        n = points.len(),
        size = matrix.size(),
    );
    let _ = write!(
        out,
        r#"<text x="{x}" y="20" font-size="14" font-weight="bold">{}</text>"#,
        escape(title),
        x = LEFT,
    );
    for (r, row) in cells.iter().enumerate() {
        // Likelihood rises upwards: row r is drawn from the bottom.
        let y = TOP + (rows - 1 - r) * CELL;
        let _ = write!(
            out,
            r#"<text x="{x}" y="{ty}" text-anchor="end">{}</text>"#,
            escape(&matrix.likelihood[r].label),
            x = LEFT - 8,
            ty = y + CELL / 2 + 4,
        );
        for (c, names) in row.iter().enumerate() {
            let level = &matrix.levels[matrix.grid[r][c]];
            let x = LEFT + c * CELL;
            let tip = if names.is_empty() {
                format!(
                    "{} × {}: {}, no risks",
                    matrix.likelihood[r].label, matrix.impact[c].label, level.name
                )
            } else {
                format!(
                    "{} × {}: {}, {}",
                    matrix.likelihood[r].label,
                    matrix.impact[c].label,
                    level.name,
                    names.join(", ")
                )
            };
            let _ = write!(
                out,
                r##"<g><title>{tip}</title><rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fill}" stroke="#ffffff" stroke-width="2"/>"##,
                tip = escape(&tip),
                fill = escape(&level.colour),
            );
            if !names.is_empty() {
                let _ = write!(
                    out,
                    r#"<text x="{cx}" y="{cy}" text-anchor="middle" font-size="18" font-weight="bold" fill="{ink}">{n}</text>"#,
                    cx = x + CELL / 2,
                    cy = y + CELL / 2 + 6,
                    ink = ink_on(&level.colour),
                    n = names.len(),
                );
            }
            out.push_str("</g>");
        }
    }
    let base = TOP + rows * CELL;
    for (c, axis) in matrix.impact.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{x}" y="{y}" text-anchor="middle">{}</text>"#,
            escape(&axis.label),
            x = LEFT + c * CELL + CELL / 2,
            y = base + 16,
        );
    }
    let _ = write!(
        out,
        r#"<text x="{x}" y="{y}" text-anchor="middle" font-style="italic">Impact →</text><text x="12" y="{ly}" font-style="italic" transform="rotate(-90 12 {ly})" text-anchor="middle">Likelihood →</text></svg>"#,
        x = LEFT + cols * CELL / 2,
        y = base + 40,
        ly = TOP + rows * CELL / 2,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn five() -> Matrix {
        Matrix::defaults().remove(2).2
    }

    #[test]
    fn counts_risks_per_cell_and_names_them() {
        let points = [
            Point {
                likelihood: 5,
                impact: 5,
                label: "R-1 Ransomware".into(),
            },
            Point {
                likelihood: 5,
                impact: 5,
                label: "R-2 <Fraud>".into(),
            },
            Point {
                likelihood: 1,
                impact: 2,
                label: "R-3".into(),
            },
            Point {
                likelihood: 9,
                impact: 1,
                label: "outside".into(),
            },
        ];
        let s = svg("Inherent", &five(), &points);
        assert!(s.starts_with("<svg"));
        assert!(s.ends_with("</svg>"));
        assert!(
            s.contains("Almost certain × Severe: Very high, R-1 Ransomware, R-2 &lt;Fraud&gt;")
        );
        assert!(s.contains(">2</text>"));
        assert!(s.contains("Rare × Minor: Low, R-3"));
        assert!(!s.contains("outside"));
        assert_eq!(s.matches("<rect").count(), 25);
        assert!(s.contains(r#"aria-label="Inherent: 4 risks on a 5×5 matrix""#));
    }
}
