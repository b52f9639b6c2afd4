//! A loss-exceedance curve drawn as SVG: for every amount, the chance of losing more than it in a
//! year, on logarithmic axes (loss rightwards, probability upwards), with the organisation's risk
//! tolerance over it when one is set.
//!
//! On log–log axes a tolerance curve through two stated points is a straight line, and the parts
//! of the loss-exceedance curve above it are the losses more likely than leadership accepts.

use crate::svg::escape;
use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 92.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 52.0;
const BOTTOM: f64 = 56.0;
/// The lowest probability the chart shows (one year in 10,000).
const FLOOR: f64 = 1e-4;
/// Points at which the tolerance curve is drawn.
const TOLERANCE_POINTS: usize = 64;

/// A loss and the probability that a year's loss is greater.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The amount of money.
    pub loss: f64,
    /// Probability per year of losing more than `loss`, in [0, 1].
    pub probability: f64,
}

/// The curve of a simulation, with what the chart is about.
#[derive(Clone, Copy)]
pub struct Chart<'a> {
    /// Heading of the chart (a risk's name, or "Whole organisation").
    pub title: &'a str,
    /// Currency code written on the loss axis.
    pub currency: &'a str,
    /// The loss-exceedance curve, in increasing order of loss.
    pub curve: &'a [Point],
    /// The tolerated probability of a loss above each amount, if a tolerance is set.
    pub tolerance: Option<&'a dyn Fn(f64) -> f64>,
}

/// The powers of ten from `10^lo` to `10^hi`.
fn decades(lo: i32, hi: i32) -> impl Iterator<Item = f64> {
    (lo..=hi).map(|e| 10f64.powi(e))
}

/// A money amount in few characters: `500`, `20k`, `1.5M`, `3B`.
pub fn short_money(amount: f64) -> String {
    let (value, unit) = match amount.abs() {
        a if a >= 1e9 => (amount / 1e9, "B"),
        a if a >= 1e6 => (amount / 1e6, "M"),
        a if a >= 1e3 => (amount / 1e3, "k"),
        _ => (amount, ""),
    };
    let digits = if value.abs() < 10.0 && value.fract().abs() > 1e-9 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    format!("{digits}{unit}")
}

/// A probability as a percentage for axis labels: `100 %`, `1 %`, `0.1 %`.
fn percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct >= 1.0 {
        format!("{pct:.0} %")
    } else {
        // 0.1 → "0.1", 0.01 → "0.01": as many decimals as the power of ten needs.
        let decimals = (-pct.log10()).ceil().max(1.0) as usize;
        format!("{pct:.decimals$} %")
    }
}

impl Chart<'_> {
    /// The chart as an accessible SVG element; a note in its place when the curve is empty (no
    /// simulated year lost anything).
    pub fn svg(&self) -> String {
        let drawn: Vec<Point> = self
            .curve
            .iter()
            .copied()
            .filter(|p| p.loss > 0.0 && p.loss.is_finite() && p.probability.is_finite())
            .collect();
        let mut out = String::new();
        let head = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="lec" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{t}: loss-exceedance curve" font-family="sans-serif" font-size="12"><title>{t}: chance of losing more than each amount in a year</title>"#,
            t = escape(self.title),
        );
        out.push_str(&head);
        let _ = write!(
            out,
            r#"<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{}</text>"#,
            escape(self.title)
        );
        if drawn.is_empty() {
            let _ = write!(
                out,
                r#"<text x="{LEFT}" y="{y}">No simulated year had a loss: there is no curve to draw.</text></svg>"#,
                y = TOP + 40.0,
            );
            return out;
        }
        // Whole decades around the losses; probabilities from 100 % down to the smallest shown.
        let (lo, hi) = drawn.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
            (lo.min(p.loss), hi.max(p.loss))
        });
        let x_lo = lo.log10().floor() as i32;
        let x_hi = (hi.log10().ceil() as i32).max(x_lo + 1);
        let smallest = drawn
            .iter()
            .map(|p| p.probability)
            .filter(|&p| p > 0.0)
            .fold(1.0f64, f64::min)
            .max(FLOOR);
        let y_lo = (smallest.log10().floor() as i32).min(-1);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let x =
            |loss: f64| LEFT + (loss.log10() - f64::from(x_lo)) / f64::from(x_hi - x_lo) * plot_w;
        let y = |p: f64| {
            let p = p.clamp(10f64.powi(y_lo), 1.0);
            TOP + (0.0 - p.log10()) / f64::from(-y_lo) * plot_h
        };

        // Grid and tick labels.
        for d in decades(x_lo, x_hi) {
            let _ = write!(
                out,
                r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{b}" stroke="#d9dee3"/><text x="{gx:.1}" y="{ty}" text-anchor="middle">{label}</text>"##,
                gx = x(d),
                b = TOP + plot_h,
                ty = TOP + plot_h + 16.0,
                label = short_money(d),
            );
        }
        for d in decades(y_lo, 0) {
            let _ = write!(
                out,
                r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{r}" y2="{gy:.1}" stroke="#d9dee3"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text>"##,
                gy = y(d),
                r = LEFT + plot_w,
                tx = LEFT - 8.0,
                ty = y(d) + 4.0,
                label = percent(d),
            );
        }
        let _ = write!(
            out,
            r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#7b8794"/><text x="{cx}" y="{ly}" text-anchor="middle" font-style="italic">Loss in a year ({cur}), logarithmic</text><text x="14" y="{my}" font-style="italic" transform="rotate(-90 14 {my})" text-anchor="middle">Chance of losing more</text>"##,
            cx = LEFT + plot_w / 2.0,
            ly = HEIGHT - 12.0,
            cur = escape(self.currency),
            my = TOP + plot_h / 2.0,
        );

        // The tolerance under the curve, so the curve stays readable where they cross.
        if let Some(tolerated) = self.tolerance {
            let (a, b) = (f64::from(x_lo), f64::from(x_hi));
            let points: Vec<String> = (0..TOLERANCE_POINTS)
                .map(|i| {
                    let loss = 10f64.powf(a + (b - a) * i as f64 / (TOLERANCE_POINTS - 1) as f64);
                    format!("{:.1},{:.1}", x(loss), y(tolerated(loss)))
                })
                .collect();
            let _ = write!(
                out,
                r##"<polyline points="{}" fill="none" stroke="#c62828" stroke-width="2" stroke-dasharray="6 4"><title>Risk tolerance: the most the organisation accepts</title></polyline>"##,
                points.join(" ")
            );
        }
        let points: Vec<String> = drawn
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.loss), y(p.probability)))
            .collect();
        let _ = write!(
            out,
            r##"<polyline points="{}" fill="none" stroke="#1f4e79" stroke-width="2.5"><title>Simulated chance of losing more than each amount</title></polyline>"##,
            points.join(" ")
        );

        // Legend.
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="36" x2="{l2}" y2="36" stroke="#1f4e79" stroke-width="2.5"/><text x="{t1}" y="40">Simulated</text>"##,
            l2 = LEFT + 24.0,
            t1 = LEFT + 30.0,
        );
        if self.tolerance.is_some() {
            let _ = write!(
                out,
                r##"<line x1="{a}" y1="36" x2="{b}" y2="36" stroke="#c62828" stroke-width="2" stroke-dasharray="6 4"/><text x="{t}" y="40">Risk tolerance</text>"##,
                a = LEFT + 110.0,
                b = LEFT + 134.0,
                t = LEFT + 140.0,
            );
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve() -> Vec<Point> {
        [
            (1_000.0, 0.5),
            (10_000.0, 0.2),
            (100_000.0, 0.05),
            (1_000_000.0, 0.004),
            (2_500_000.0, 0.0),
        ]
        .map(|(loss, probability)| Point { loss, probability })
        .to_vec()
    }

    /// The numbers of a polyline's `points` attribute, the n-th polyline of the chart.
    fn polyline(svg: &str, n: usize) -> Vec<(f64, f64)> {
        let attr = svg.split("<polyline points=\"").nth(n + 1).unwrap();
        attr[..attr.find('"').unwrap()]
            .split(' ')
            .map(|xy| {
                let (x, y) = xy.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn draws_the_curve_on_log_axes_with_decade_ticks() {
        let c = curve();
        let s = Chart {
            title: "Ransomware <R-1>",
            currency: "EUR",
            curve: &c,
            tolerance: None,
        }
        .svg();
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("Ransomware &lt;R-1&gt;"));
        assert!(s.contains("Loss in a year (EUR)"));
        for label in [
            ">1k<", ">10k<", ">100k<", ">1M<", ">10M<", ">100 %<", ">1 %<", ">0.1 %<",
        ] {
            assert!(s.contains(label), "{label} missing");
        }
        assert_eq!(s.matches("<polyline").count(), 1);
        assert!(!s.contains("Risk tolerance"));
        let line = polyline(&s, 0);
        assert_eq!(line.len(), 5);
        // Equal steps in log-loss are equal steps across; the curve falls to the right.
        let dx1 = line[1].0 - line[0].0;
        let dx2 = line[2].0 - line[1].0;
        assert!((dx1 - dx2).abs() < 0.2, "{line:?}");
        assert!(line.windows(2).all(|w| w[1].1 >= w[0].1), "{line:?}");
        // Three decades (100 % to 0.1 %, below the smallest probability, 0.4 %): 50 % sits
        // between the 100 % and 10 % grid lines, log10(2) of a decade down.
        assert!(!s.contains(">0.01 %<"));
        let decade = (HEIGHT - TOP - BOTTOM) / 3.0;
        assert!((line[0].1 - (TOP + 2f64.log10() * decade)).abs() < 0.2);
        // A zero probability is drawn on the lowest grid line.
        assert!((line[4].1 - (HEIGHT - BOTTOM)).abs() < 0.2);
    }

    #[test]
    fn tolerance_is_drawn_as_given_and_straight_on_log_log_axes() {
        let c = curve();
        // Through (10,000; 50 %) and (1,000,000; 1 %), like bulwark_fair's Tolerance.
        let k = (0.01f64 / 0.5).ln() / 100f64.ln();
        let tolerated = move |loss: f64| (0.5 * (loss / 10_000.0).powf(k)).min(1.0);
        let s = Chart {
            title: "Whole organisation",
            currency: "USD",
            curve: &c,
            tolerance: Some(&tolerated),
        }
        .svg();
        assert!(s.contains("Risk tolerance"));
        let tol = polyline(&s, 0);
        assert_eq!(tol.len(), TOLERANCE_POINTS);
        // Below the cap at 100 %, the line has one slope.
        let under_cap: Vec<_> = tol.iter().filter(|p| p.1 > TOP + 0.5).collect();
        let slope = |a: &(f64, f64), b: &(f64, f64)| (b.1 - a.1) / (b.0 - a.0);
        let s0 = slope(under_cap[0], under_cap[1]);
        let s1 = slope(
            under_cap[under_cap.len() - 2],
            under_cap[under_cap.len() - 1],
        );
        assert!((s0 - s1).abs() < 0.02, "{s0} {s1}");
        assert_eq!(polyline(&s, 1).len(), 5);
    }

    #[test]
    fn says_so_when_nothing_was_lost() {
        let s = Chart {
            title: "Quiet",
            currency: "EUR",
            curve: &[],
            tolerance: None,
        }
        .svg();
        assert!(s.contains("No simulated year had a loss"));
        assert!(!s.contains("<polyline"));
    }

    #[test]
    fn short_amounts() {
        assert_eq!(short_money(500.0), "500");
        assert_eq!(short_money(20_000.0), "20k");
        assert_eq!(short_money(1_500_000.0), "1.5M");
        assert_eq!(short_money(3e9), "3B");
        assert_eq!(percent(1.0), "100 %");
        assert_eq!(percent(0.001), "0.1 %");
        assert_eq!(percent(0.0001), "0.01 %");
    }
}
