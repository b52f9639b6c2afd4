//! The leadership risk report, in plain language: where the register stands, the top risks, how
//! it moved over the last 90 days, what the planned controls cost and which risks they lower,
//! and the risks the organisation has accepted. One [`RiskReport`] is gathered and shown twice:
//! as a PDF (`GET /api/v1/reports/risk.pdf`) and as a page with the heat maps
//! (`/reporting/risk`); `/reporting` lists the reports. Leadership reads them
//! (`Permission::Read(Area::Reporting)`) without access to the register itself.
//!
//! Money is what the controls record: whole units of the organisation's currency.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulwark_core::{Access, Area, Permission, Timestamp};
use chrono::{Days, NaiveDate};
use sea_query::{Alias, Expr, ExprTrait, Order, Query};

use super::controls::{self, Control};
use super::matrices::{self, RiskMatrix};
use super::quant::summary::{self, Latest};
use super::register::{self, Risk, RiskFilter};
use super::{CONTROL_STATUSES, api, label_of};
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::db::{DbError, Handle};
use crate::platform::files::attachment;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppResult, Problem};
use crate::platform::pdf;
use crate::web::{Chrome, PageResult, chrome, html, render};

/// How far back the trend looks.
pub const TREND_DAYS: u64 = 90;
/// Acceptances ending within this many days are called out in the summary.
pub const EXPIRY_WARNING_DAYS: i64 = 60;
/// How many risks the top list shows.
pub const TOP: usize = 10;
/// Where the PDF is.
pub const PDF_PATH: &str = "/api/v1/reports/risk.pdf";

/// What the report says about reading it, for readers who do not work with risk every day.
pub const HOW_TO_READ: &str = "Each risk is something that could go wrong, scored by how likely \
it is and how much harm it would do. The two together give a level (Low, Medium, High, Very \
high). \"Without controls\" is the level if we had no safeguards; \"now\" is the level with the \
safeguards in place today; the target is where the planned work should bring it. The appetite \
is the highest level leadership has agreed to live with in each category of risk: a risk above \
it needs a decision, either funding to lower it or an approved acceptance. An acceptance is a \
signed decision to live with a risk until a date, after which it is looked at again.";

/// The routes: the reports' index and page, and the PDF.
pub fn routes() -> Routes {
    let read = Access::Requires(Permission::Read(Area::Reporting));
    Routes::default()
        .add(Method::GET, "/reporting", read, html(index_page))
        .add(Method::GET, "/reporting/risk", read, html(report_page))
        .add(Method::GET, PDF_PATH, read, risk_pdf)
}

/// A risk as the report names it: its code and title.
fn name(r: &Risk) -> String {
    format!("{} {}", r.code, r.title)
}

/// One of the top risks.
#[derive(Debug, Clone, PartialEq)]
pub struct TopRisk {
    pub rank: usize,
    pub code: String,
    pub title: String,
    /// The level now (current, else inherent), and its colour.
    pub level: String,
    pub colour: String,
    /// The level without controls.
    pub inherent: String,
    pub owner: String,
    /// What the organisation does about it, in words.
    pub treatment: String,
    pub above_appetite: bool,
}

/// Something that happened to a risk within the trend's window.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendEvent {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub risk: String,
    pub what: String,
}

/// How the register moved over the last [`TREND_DAYS`] days.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trend {
    /// The first day of the window.
    pub since: String,
    pub opened: usize,
    pub closed: usize,
    pub worse: usize,
    pub better: usize,
    /// Scores recorded in the window.
    pub scores: usize,
    /// Newest first.
    pub events: Vec<TrendEvent>,
}

/// A risk a planned control addresses, with where it is and where the plan takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Addressed {
    pub risk: String,
    pub now: String,
    /// The target level, or a word saying none is set.
    pub target: String,
}

/// A planned or in-progress control: what it costs and what it buys.
#[derive(Debug, Clone, PartialEq)]
pub struct Initiative {
    pub code: String,
    pub name: String,
    /// Planned or In progress.
    pub status: &'static str,
    pub one_off_cost: i64,
    pub yearly_cost: i64,
    /// Codes of the controls that must be in place first.
    pub requires: Vec<String>,
    pub risks: Vec<Addressed>,
}

impl Initiative {
    /// The one-off cost, for people.
    pub fn one_off(&self) -> String {
        money(self.one_off_cost)
    }

    /// The yearly cost, for people.
    pub fn yearly(&self) -> String {
        money(self.yearly_cost)
    }
}

/// An acceptance in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub risk: String,
    pub approver: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
    pub days_left: i64,
    pub justification: String,
}

/// The report, gathered.
#[derive(Debug, Clone)]
pub struct RiskReport {
    pub organisation: String,
    /// When it was made, for people.
    pub generated: String,
    /// The summary paragraph.
    pub summary: String,
    pub top: Vec<TopRisk>,
    pub trend: Trend,
    /// What the initiatives cost and buy, in one paragraph.
    pub money: String,
    pub initiatives: Vec<Initiative>,
    pub acceptances: Vec<Accepted>,
    /// The register, for the heat maps.
    pub risks: Vec<Risk>,
    /// The matrix the heat maps are drawn on (the default one).
    pub matrix: RiskMatrix,
    /// What the latest simulations say, if any has finished.
    pub quantified: Option<Latest>,
}

/// A score as the trend reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScoreRow {
    pub risk_id: String,
    pub kind: String,
    pub level: i64,
    pub matrix_levels: i64,
    pub level_name: String,
    pub assessed_at: String,
}

impl ScoreRow {
    fn position(&self) -> f64 {
        bulwark_risk::matrix::position(
            usize::try_from(self.level).unwrap_or(0),
            usize::try_from(self.matrix_levels).unwrap_or(0),
        )
    }
}

/// Every inherent and current score, oldest first.
async fn scores(h: &mut Handle<'_>) -> Result<Vec<ScoreRow>, DbError> {
    let q = Query::select()
        .columns(
            [
                "risk_id",
                "kind",
                "level",
                "matrix_levels",
                "level_name",
                "assessed_at",
            ]
            .map(Alias::new),
        )
        .from(Alias::new("risk_assessments"))
        .and_where(Expr::col(Alias::new("kind")).is_in(["inherent", "current"]))
        .order_by(Alias::new("assessed_at"), Order::Asc)
        .order_by(Alias::new("id"), Order::Asc)
        .to_owned();
    h.fetch_all(&q).await
}

/// Reads the register and builds the report as of `now`.
pub async fn gather(
    h: &mut Handle<'_>,
    now: Timestamp,
    organisation: &str,
) -> Result<RiskReport, DbError> {
    let risks = register::list(h, &RiskFilter::default()).await?;
    let controls = controls::list(h).await?;
    let scores = scores(h).await?;
    let matrix = matrices::by_id(h, &matrices::default_id())
        .await?
        .ok_or(DbError::RowNotFound)?;
    let mut report = build(now, organisation, risks, &controls, &scores, matrix);
    report.quantified = summary::latest(h).await?;
    Ok(report)
}

/// Where a score sits on a 0–1 scale, to compare scores made on different matrices.
fn position(a: &super::assessments::Assessment) -> f64 {
    bulwark_risk::matrix::position(
        usize::try_from(a.level).unwrap_or(0),
        usize::try_from(a.matrix_levels).unwrap_or(0),
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `12500` as `12,500`.
pub fn money(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// What the organisation does about a risk, in words.
fn treatment_in_words(r: &Risk) -> String {
    match r.treatment.as_str() {
        "mitigate" => "Reducing it with controls and actions".into(),
        "transfer" => "Passing it on (insurance or contract)".into(),
        "avoid" => "Stopping the activity that causes it".into(),
        "accept" => match &r.acceptance {
            Some(a) => format!("Accepted until {}", a.expires),
            None => "Living with it".into(),
        },
        _ => "Not decided yet".into(),
    }
}

fn date_of(stored: &str) -> NaiveDate {
    Timestamp::parse(stored).map_or(NaiveDate::MIN, |t| t.datetime().date_naive())
}

fn summary(today: NaiveDate, live: &[&Risk], closed: usize, accepted: &[Accepted]) -> String {
    let above: Vec<&&Risk> = live.iter().filter(|r| r.above_appetite).collect();
    let unscored = live.iter().filter(|r| r.in_force().is_none()).count();
    let mut s = format!(
        "As of {today}, the register holds {} that {} not closed",
        plural(live.len(), "risk", "risks"),
        if live.len() == 1 { "is" } else { "are" }
    );
    if closed > 0 {
        s.push_str(&format!(" ({closed} more closed)"));
    }
    s.push_str(". ");
    match above.len() {
        0 => s.push_str("None is above the level leadership has agreed to live with (the appetite). "),
        n => s.push_str(&format!(
            "{} above the appetite, the level leadership has agreed to live with, and {} a decision: {}. ",
            plural(n, "is", "are"),
            if n == 1 { "needs" } else { "need" },
            above
                .iter()
                .map(|r| r.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    let expiring: Vec<&Accepted> = accepted
        .iter()
        .filter(|a| a.days_left <= EXPIRY_WARNING_DAYS)
        .collect();
    match expiring.len() {
        0 => s.push_str(&format!(
            "No acceptance ends within {EXPIRY_WARNING_DAYS} days."
        )),
        _ => s.push_str(&format!(
            "{} within {EXPIRY_WARNING_DAYS} days and must be decided again: {}.",
            plural(expiring.len(), "accepted risk ends", "accepted risks end"),
            expiring
                .iter()
                .map(|a| format!("{} on {} ({} days)", a.risk, a.expires, a.days_left))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
    if unscored > 0 {
        s.push_str(&format!(
            " {} not been scored yet.",
            plural(unscored, "risk has", "risks have")
        ));
    }
    s
}

fn top(live: &[&Risk]) -> Vec<TopRisk> {
    let mut scored: Vec<&&Risk> = live.iter().filter(|r| r.in_force().is_some()).collect();
    let key = |r: &Risk| {
        (
            r.in_force().map_or(0.0, position),
            r.inherent.as_ref().map_or(0.0, position),
        )
    };
    scored.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(a.code.cmp(&b.code))
    });
    scored
        .into_iter()
        .take(TOP)
        .enumerate()
        .map(|(i, r)| {
            let now = r.in_force();
            TopRisk {
                rank: i + 1,
                code: r.code.clone(),
                title: r.title.clone(),
                level: now.map(|a| a.level_name.clone()).unwrap_or_default(),
                colour: now.map(|a| a.colour.clone()).unwrap_or_default(),
                inherent: r
                    .inherent
                    .as_ref()
                    .map_or_else(|| "not scored".into(), |a| a.level_name.clone()),
                owner: r
                    .owner_name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "nobody yet".into()),
                treatment: treatment_in_words(r),
                above_appetite: r.above_appetite,
            }
        })
        .collect()
}

/// The score in force at the end of `day` among `scores` (one risk's, oldest first).
fn in_force_on<'a>(scores: &[&'a ScoreRow], day: &str) -> Option<&'a ScoreRow> {
    let until: Vec<&&ScoreRow> = scores
        .iter()
        .filter(|s| s.assessed_at.as_str() < day)
        .collect();
    let last = |kind: &str| until.iter().rev().find(|s| s.kind == kind).map(|s| **s);
    last("current").or_else(|| last("inherent"))
}

fn trend(now: Timestamp, risks: &[Risk], scores: &[ScoreRow]) -> Trend {
    let today = now.datetime().date_naive();
    let since = today - Days::new(TREND_DAYS);
    // Stored times sort as text; the day after `since` starts the window.
    let start = since.to_string();
    let end = format!("{}", today + Days::new(1));
    let mut by_risk: HashMap<&str, Vec<&ScoreRow>> = HashMap::new();
    for s in scores {
        by_risk.entry(s.risk_id.as_str()).or_default().push(s);
    }
    let mut t = Trend {
        since: start.clone(),
        scores: scores.iter().filter(|s| s.assessed_at >= start).count(),
        ..Trend::default()
    };
    for r in risks {
        if r.created_at >= start {
            t.opened += 1;
            t.events.push(TrendEvent {
                date: date_of(&r.created_at).to_string(),
                risk: name(r),
                what: "Added to the register".into(),
            });
        }
        if r.status == "closed" && r.updated_at >= start {
            t.closed += 1;
            t.events.push(TrendEvent {
                date: date_of(&r.updated_at).to_string(),
                risk: name(r),
                what: "Closed".into(),
            });
        }
        let mine = by_risk.get(r.id.as_str()).cloned().unwrap_or_default();
        let (Some(before), Some(after)) = (in_force_on(&mine, &start), in_force_on(&mine, &end))
        else {
            continue;
        };
        let (from, to) = (before.position(), after.position());
        if (from - to).abs() < 1e-9 {
            continue;
        }
        let worse = to > from;
        if worse {
            t.worse += 1;
        } else {
            t.better += 1;
        }
        t.events.push(TrendEvent {
            date: date_of(&after.assessed_at).to_string(),
            risk: name(r),
            what: format!(
                "{}: from {} to {}",
                if worse { "Worse" } else { "Better" },
                before.level_name,
                after.level_name
            ),
        });
    }
    t.events
        .sort_by(|a, b| b.date.cmp(&a.date).then(a.risk.cmp(&b.risk)));
    t
}

fn initiatives(live: &[&Risk], controls: &[Control]) -> Vec<Initiative> {
    let code_of: HashMap<&str, &str> = controls
        .iter()
        .map(|c| (c.id.as_str(), c.code.as_str()))
        .collect();
    let mut out: Vec<Initiative> = controls
        .iter()
        .filter(|c| matches!(c.status.as_str(), "planned" | "in_progress"))
        .map(|c| Initiative {
            code: c.code.clone(),
            name: c.name.clone(),
            status: label_of(CONTROL_STATUSES, &c.status),
            one_off_cost: c.one_off_cost,
            yearly_cost: c.yearly_cost,
            requires: c
                .requires
                .iter()
                .map(|id| {
                    code_of
                        .get(id.as_str())
                        .map_or(id.clone(), |c| c.to_string())
                })
                .collect(),
            risks: live
                .iter()
                .filter(|r| r.controls.iter().any(|l| l.id == c.id))
                .map(|r| Addressed {
                    risk: name(r),
                    now: r
                        .in_force()
                        .map_or_else(|| "not scored".into(), |a| a.level_name.clone()),
                    target: r
                        .target
                        .as_ref()
                        .map_or_else(|| "no target set".into(), |a| a.level_name.clone()),
                })
                .collect(),
        })
        .collect();
    // Work under way first, then the plans; by code within each.
    out.sort_by(|a, b| a.status.cmp(b.status).then(a.code.cmp(&b.code)));
    out
}

fn money_paragraph(initiatives: &[Initiative], live: &[&Risk]) -> String {
    if initiatives.is_empty() {
        return "No control is planned or in progress, so no money is asked for.".into();
    }
    let one_off: i64 = initiatives.iter().map(|i| i.one_off_cost).sum();
    let yearly: i64 = initiatives.iter().map(|i| i.yearly_cost).sum();
    let mut covered: Vec<&str> = initiatives
        .iter()
        .flat_map(|i| i.risks.iter().map(|r| r.risk.as_str()))
        .collect();
    covered.sort_unstable();
    covered.dedup();
    let above = live
        .iter()
        .filter(|r| r.above_appetite && covered.contains(&name(r).as_str()))
        .count();
    format!(
        "{} planned or under way. Together they cost {} once and {} a year (in the \
         organisation's currency units). They address {}, {} of them above the appetite today. \
         Each line below shows where a risk is now and where the plan should bring it; an \
         initiative that needs another in place first says so.",
        plural(
            initiatives.len(),
            "initiative (a control) is",
            "initiatives (controls) are"
        ),
        money(one_off),
        money(yearly),
        plural(covered.len(), "risk", "risks"),
        above
    )
}

fn accepted(today: NaiveDate, live: &[&Risk]) -> Vec<Accepted> {
    let mut out: Vec<Accepted> = live
        .iter()
        .filter_map(|r| {
            let a = r.acceptance.as_ref()?;
            let expires = NaiveDate::parse_from_str(&a.expires, "%Y-%m-%d").ok()?;
            Some(Accepted {
                risk: name(r),
                approver: a.approver.clone(),
                expires: a.expires.clone(),
                days_left: (expires - today).num_days(),
                justification: a.justification.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.expires.cmp(&b.expires).then(a.risk.cmp(&b.risk)));
    out
}

/// Builds the report from the register (pure).
pub fn build(
    now: Timestamp,
    organisation: &str,
    risks: Vec<Risk>,
    controls: &[Control],
    scores: &[ScoreRow],
    matrix: RiskMatrix,
) -> RiskReport {
    let today = now.datetime().date_naive();
    let live: Vec<&Risk> = risks.iter().filter(|r| r.status != "closed").collect();
    let closed = risks.len() - live.len();
    let acceptances = accepted(today, &live);
    let initiatives = initiatives(&live, controls);
    RiskReport {
        organisation: organisation.to_string(),
        generated: now.human(),
        summary: summary(today, &live, closed, &acceptances),
        top: top(&live),
        trend: trend(now, &risks, scores),
        money: money_paragraph(&initiatives, &live),
        initiatives,
        acceptances,
        risks,
        matrix,
        quantified: None,
    }
}

impl RiskReport {
    /// The trend in one paragraph.
    pub fn trend_paragraph(&self) -> String {
        let t = &self.trend;
        format!(
            "Since {}: {} added and {} closed; {} and {} \
             (judged by the level now against the level {TREND_DAYS} days ago); {} recorded.",
            t.since,
            plural(t.opened, "risk was", "risks were"),
            t.closed,
            plural(t.worse, "risk got worse", "risks got worse"),
            plural(t.better, "improved", "improved"),
            plural(t.scores, "score was", "scores were"),
        )
    }

    /// Risks not closed whose score of this kind is on another matrix than the one drawn.
    pub fn elsewhere(&self) -> usize {
        self.risks
            .iter()
            .filter(|x| x.status != "closed")
            .filter_map(Risk::in_force)
            .filter(|a| a.matrix_id.as_deref() != Some(self.matrix.id.as_str()))
            .count()
    }

    /// What the heat maps show, in a paragraph.
    pub fn maps_paragraph(&self) -> String {
        let mut p = format!(
            "Each square counts the risks that are not closed at that likelihood and impact on \
             the {} matrix. Compare the level without controls with the level now.",
            self.matrix.name
        );
        let elsewhere = self.elsewhere();
        if elsewhere > 0 {
            p.push_str(&format!(
                " {} scored on another matrix {} not drawn.",
                plural(elsewhere, "risk", "risks"),
                if elsewhere == 1 { "is" } else { "are" }
            ));
        }
        p
    }

    /// The heat map of the `kind` scores as SVG, for the page.
    pub fn heat_svg(&self, kind: &str) -> String {
        api::heatmap_svg(&self.risks, &self.matrix, kind)
    }

    /// The heat map of the `inherent` or `current` scores for the PDF.
    fn grid(&self, kind: &str) -> pdf::Grid {
        let m = &self.matrix.definition;
        let points = api::heat_points(&self.risks, &self.matrix, kind);
        let counts = bulwark_risk::heatmap::cells(m, &points);
        pdf::Grid {
            title: if kind == "inherent" {
                "Without controls"
            } else {
                "Now, with today's controls"
            }
            .into(),
            rows_name: "Likelihood".into(),
            rows: m.likelihood.iter().map(|a| a.label.clone()).collect(),
            columns_name: "Impact".into(),
            columns: m.impact.iter().map(|a| a.label.clone()).collect(),
            cells: counts
                .iter()
                .enumerate()
                .map(|(l, row)| {
                    row.iter()
                        .enumerate()
                        .map(|(i, names)| {
                            let colour = m.levels[m.grid[l][i]].colour.clone();
                            let n = if names.is_empty() {
                                String::new()
                            } else {
                                names.len().to_string()
                            };
                            (colour, n)
                        })
                        .collect()
                })
                .collect(),
        }
    }

    /// The report as a PDF.
    pub fn pdf(&self) -> Vec<u8> {
        let mut r = pdf::Report::new(format!("Risk report: {}", self.organisation));
        r.paragraph(format!("Made {} by Bulwark.", self.generated));
        r.heading("Summary").paragraph(self.summary.clone());
        r.heading("How to read this").paragraph(HOW_TO_READ);
        r.heading("Heat maps").paragraph(self.maps_paragraph());
        r.grids(
            ["inherent", "current"]
                .iter()
                .map(|kind| self.grid(kind))
                .collect(),
        );
        r.heading(format!("The top {} risks", self.top.len()));
        if self.top.is_empty() {
            r.paragraph("No risk has been scored yet.");
        } else {
            r.table(
                &[
                    ("#", 0.4),
                    ("Risk", 3.0),
                    ("Level now", 1.3),
                    ("Without controls", 1.3),
                    ("Owner", 1.8),
                    ("What we do", 2.4),
                    ("Above appetite", 1.0),
                ],
                self.top
                    .iter()
                    .map(|t| {
                        vec![
                            t.rank.to_string(),
                            format!("{} {}", t.code, t.title),
                            t.level.clone(),
                            t.inherent.clone(),
                            t.owner.clone(),
                            t.treatment.clone(),
                            if t.above_appetite { "yes" } else { "no" }.into(),
                        ]
                    })
                    .collect(),
            );
        }
        r.heading(format!("The last {TREND_DAYS} days"))
            .paragraph(self.trend_paragraph());
        if !self.trend.events.is_empty() {
            r.table(
                &[("Date", 1.0), ("Risk", 3.0), ("What happened", 2.0)],
                self.trend
                    .events
                    .iter()
                    .map(|e| vec![e.date.clone(), e.risk.clone(), e.what.clone()])
                    .collect(),
            );
        }
        r.heading("What the money buys")
            .paragraph(self.money.clone());
        if !self.initiatives.is_empty() {
            r.table(
                &[
                    ("Initiative", 2.4),
                    ("One-off", 0.9),
                    ("Yearly", 0.9),
                    ("Risks it lowers: level now, then target", 4.0),
                ],
                self.initiatives
                    .iter()
                    .map(|i| {
                        let mut what = format!("{} {} ({})", i.code, i.name, i.status);
                        if !i.requires.is_empty() {
                            what.push_str(&format!("; needs {} first", i.requires.join(", ")));
                        }
                        vec![
                            what,
                            money(i.one_off_cost),
                            money(i.yearly_cost),
                            if i.risks.is_empty() {
                                "none linked yet".into()
                            } else {
                                i.risks
                                    .iter()
                                    .map(|a| format!("{}: {}, then {}", a.risk, a.now, a.target))
                                    .collect::<Vec<_>>()
                                    .join("\n")
                            },
                        ]
                    })
                    .collect(),
            );
        }
        if let Some(q) = &self.quantified {
            r.heading("What the risks may cost")
                .paragraph(q.costs_paragraph());
            let funding = q.funding_lines();
            if !funding.is_empty() {
                r.heading("What to fund next").paragraph(funding.join("\n"));
            }
        }
        r.heading("Risks we have accepted");
        if self.acceptances.is_empty() {
            r.paragraph("No acceptance is in force.");
        } else {
            r.table(
                &[
                    ("Risk", 2.6),
                    ("Approved by", 1.8),
                    ("Until", 1.2),
                    ("Days left", 0.8),
                    ("Why", 3.0),
                ],
                self.acceptances
                    .iter()
                    .map(|a| {
                        vec![
                            a.risk.clone(),
                            a.approver.clone(),
                            a.expires.clone(),
                            a.days_left.to_string(),
                            a.justification.clone(),
                        ]
                    })
                    .collect(),
            );
        }
        r.render()
    }
}

async fn report(app: &AppState) -> AppResult<RiskReport> {
    let now = app.clock.now();
    let org = app.settings.get(&app.db, now).await?.organisation_name;
    // One snapshot, so the sections agree with each other.
    let mut tx = app.db.snapshot().await?;
    Ok(gather(&mut tx.h(), now, &org).await?)
}

/// The leadership risk report as PDF: summary, top risks, the trend over 90 days, what the
/// planned controls cost and buy, and the acceptances in force.
#[utoipa::path(get, path = "/api/v1/reports/risk.pdf", tag = "reports", operation_id = "risk_report_pdf",
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 500, body = Problem)))]
pub async fn risk_pdf(State(app): State<AppState>) -> AppResult<Response> {
    let r = report(&app).await?;
    let today = app.clock.now().datetime().date_naive();
    Ok(attachment(
        "application/pdf",
        &format!("risk-report-{today}.pdf"),
        r.pdf(),
    ))
}

#[derive(Template)]
#[template(path = "risk/report_index.html")]
struct IndexPage {
    c: Chrome,
    pdf: &'static str,
}

/// `GET /reporting`: the reports there are.
async fn index_page(State(app): State<AppState>, Extension(id): Extension<Identity>) -> PageResult {
    let c = chrome(&app, Some(&id), None, "/reporting", "Reporting").await;
    Ok(render(StatusCode::OK, &IndexPage { c, pdf: PDF_PATH }))
}

#[derive(Template)]
#[template(path = "risk/report.html")]
struct ReportPage {
    c: Chrome,
    r: RiskReport,
    how_to_read: &'static str,
    trend: String,
    maps: String,
    inherent_map: String,
    current_map: String,
    /// What the risks may cost, and the loss-exceedance chart (SVG), if a simulation finished.
    costs: Option<(String, String)>,
    funding: Vec<String>,
    pdf: &'static str,
}

/// `GET /reporting/risk`: the report with the heat maps and the loss-exceedance curve.
async fn report_page(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
) -> PageResult {
    let r = report(&app).await?;
    let tolerance = app
        .settings
        .get(&app.db, app.clock.now())
        .await?
        .risk_tolerance;
    let costs = r.quantified.as_ref().and_then(|q| {
        let (_, s, check) = q.costs.whole()?;
        let chart = q
            .costs
            .figures("What a year may cost", s, check, tolerance.as_ref())
            .chart;
        Some((q.costs_paragraph(), chart))
    });
    let c = chrome(&app, Some(&id), None, "/reporting", "Risk report").await;
    let page = ReportPage {
        c,
        how_to_read: HOW_TO_READ,
        trend: r.trend_paragraph(),
        maps: r.maps_paragraph(),
        inherent_map: r.heat_svg("inherent"),
        current_map: r.heat_svg("current"),
        costs,
        funding: r
            .quantified
            .as_ref()
            .map(Latest::funding_lines)
            .unwrap_or_default(),
        pdf: PDF_PATH,
        r,
    };
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_has_thousands_separators() {
        assert_eq!(money(0), "0");
        assert_eq!(money(999), "999");
        assert_eq!(money(1000), "1,000");
        assert_eq!(money(125_000), "125,000");
        assert_eq!(money(1_234_567), "1,234,567");
        assert_eq!(money(-4500), "-4,500");
    }
}
