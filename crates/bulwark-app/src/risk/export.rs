//! The register as a file: CSV, XLSX or JSON, one row per risk, filtered as the list is
//! (`GET /api/v1/risks/export?format=…` and `bulwark risk export`).
//!
//! Values are the API's (`technology`, `treating`, `mitigate`), so a file can be read back by a
//! program. CSV cells that a spreadsheet would run as a formula start with `'`; the workbook
//! stores every text as text (never as a formula), fills each level's cell with the level's
//! colour, and keeps the header and the code column in view while scrolling.

use axum::extract::{RawQuery, State};
use axum::http::Method;
use axum::response::Response;
use bulwark_core::{Access, Area, Permission};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format as CellFormat, FormatBorder, Workbook, Worksheet, XlsxError};
use serde::Serialize;

use super::api::RisksQuery;
use super::assessments::Assessment;
use super::register::{self, Linked, Risk, RiskFilter};
use crate::app::AppState;
use crate::platform::files::{attachment, neutralise};
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult, Problem};
use crate::platform::http::query;

/// The route.
pub fn routes() -> Routes {
    Routes::default().add(
        Method::GET,
        "/api/v1/risks/export",
        Access::Requires(Permission::Read(Area::Risk)),
        export,
    )
}

/// A file format of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

impl Format {
    /// Every format, as named in `?format=` and `--format`.
    pub const ALL: [(&'static str, Format); 3] = [
        ("csv", Format::Csv),
        ("xlsx", Format::Xlsx),
        ("json", Format::Json),
    ];

    /// The format called `name` (`csv`, `xlsx` or `json`).
    pub fn parse(name: &str) -> Option<Format> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .map(|(_, f)| *f)
    }

    /// The file name's extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json => "application/json",
        }
    }
}

/// One score of a row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RowScore {
    /// 1 (lowest) to the matrix's size.
    pub likelihood: i64,
    /// 1 (lowest) to the matrix's size.
    pub impact: i64,
    /// The level's name ("High").
    pub level: String,
    /// The level's colour, `#rrggbb`.
    pub colour: String,
    /// The matrix it was scored on.
    pub matrix: String,
}

/// One risk as exported.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RegisterRow {
    pub id: String,
    pub code: String,
    pub title: String,
    pub category: String,
    /// The owner's name.
    pub owner: Option<String>,
    pub owner_email: Option<String>,
    /// open, treating, accepted or closed.
    pub status: String,
    /// undecided, mitigate, transfer, avoid or accept.
    pub treatment: String,
    pub inherent: Option<RowScore>,
    pub current: Option<RowScore>,
    pub target: Option<RowScore>,
    /// The score in force (current, else inherent) is above the category's appetite.
    pub above_appetite: bool,
    /// Who approved the acceptance in force.
    pub accepted_by: Option<String>,
    /// The last day the acceptance in force covers (`YYYY-MM-DD`).
    pub acceptance_expires: Option<String>,
    /// Codes and names of the linked controls.
    pub controls: Vec<String>,
    /// Names of the linked assets and services.
    pub assets: Vec<String>,
    /// Codes and names of the linked threats.
    pub threats: Vec<String>,
    pub open_actions: i64,
    /// The earliest due date of the open actions.
    pub next_action_due: Option<String>,
    /// The next review (`YYYY-MM-DD`).
    pub review_date: Option<String>,
}

fn score(a: Option<&Assessment>) -> Option<RowScore> {
    a.map(|a| RowScore {
        likelihood: a.likelihood,
        impact: a.impact,
        level: a.level_name.clone(),
        colour: a.colour.clone(),
        matrix: a.matrix_name.clone(),
    })
}

fn labels(links: &[Linked]) -> Vec<String> {
    links.iter().map(|l| l.label.clone()).collect()
}

impl From<&Risk> for RegisterRow {
    fn from(r: &Risk) -> Self {
        RegisterRow {
            id: r.id.clone(),
            code: r.code.clone(),
            title: r.title.clone(),
            category: r.category.clone(),
            owner: r.owner_name.clone().filter(|n| !n.is_empty()),
            owner_email: r.owner.as_ref().map(|o| o.email.clone()),
            status: r.status.clone(),
            treatment: r.treatment.clone(),
            inherent: score(r.inherent.as_ref()),
            current: score(r.current.as_ref()),
            target: score(r.target.as_ref()),
            above_appetite: r.above_appetite,
            accepted_by: r.acceptance.as_ref().map(|a| a.approver.clone()),
            acceptance_expires: r.acceptance.as_ref().map(|a| a.expires.clone()),
            controls: labels(&r.controls),
            assets: labels(&r.assets),
            threats: labels(&r.threats),
            open_actions: r.open_actions,
            next_action_due: r.next_action_due.clone(),
            review_date: r.review_date.clone(),
        }
    }
}

/// The columns of the CSV and the workbook, in order.
pub const COLUMNS: [&str; 26] = [
    "code",
    "title",
    "category",
    "owner",
    "owner_email",
    "status",
    "treatment",
    "inherent_likelihood",
    "inherent_impact",
    "inherent_level",
    "current_likelihood",
    "current_impact",
    "current_level",
    "target_likelihood",
    "target_impact",
    "target_level",
    "matrix",
    "above_appetite",
    "accepted_by",
    "acceptance_expires",
    "controls",
    "assets",
    "threats",
    "open_actions",
    "next_action_due",
    "review_date",
];

/// A cell of the flat forms.
enum Cell {
    Text(String),
    Number(i64),
    /// A level's name on its colour.
    Level(String, String),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Level(s, _) => s.clone(),
            Cell::Number(n) => n.to_string(),
        }
    }
}

impl RegisterRow {
    /// The row's cells, one per [`COLUMNS`] entry.
    fn cells(&self) -> Vec<Cell> {
        let text = |s: &Option<String>| Cell::Text(s.clone().unwrap_or_default());
        let mut cells = vec![
            Cell::Text(self.code.clone()),
            Cell::Text(self.title.clone()),
            Cell::Text(self.category.clone()),
            text(&self.owner),
            text(&self.owner_email),
            Cell::Text(self.status.clone()),
            Cell::Text(self.treatment.clone()),
        ];
        for s in [&self.inherent, &self.current, &self.target] {
            match s {
                Some(s) => cells.extend([
                    Cell::Number(s.likelihood),
                    Cell::Number(s.impact),
                    Cell::Level(s.level.clone(), s.colour.clone()),
                ]),
                None => cells.extend([0, 1, 2].map(|_| Cell::Text(String::new()))),
            }
        }
        let matrix = [&self.current, &self.inherent, &self.target]
            .into_iter()
            .flatten()
            .next()
            .map(|s| s.matrix.clone());
        cells.extend([
            text(&matrix),
            Cell::Text(if self.above_appetite { "yes" } else { "no" }.into()),
            text(&self.accepted_by),
            text(&self.acceptance_expires),
            Cell::Text(self.controls.join("; ")),
            Cell::Text(self.assets.join("; ")),
            Cell::Text(self.threats.join("; ")),
            Cell::Number(self.open_actions),
            text(&self.next_action_due),
            text(&self.review_date),
        ]);
        cells
    }
}

/// The file of `risks` in `format`.
pub fn file(format: Format, risks: &[Risk]) -> AppResult<Vec<u8>> {
    let rows: Vec<RegisterRow> = risks.iter().map(RegisterRow::from).collect();
    match format {
        Format::Csv => csv(&rows),
        Format::Xlsx => xlsx(&rows)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the workbook: {e}"))),
        Format::Json => Ok(serde_json::to_vec_pretty(&rows).map_err(anyhow::Error::from)?),
    }
}

fn csv(rows: &[RegisterRow]) -> AppResult<Vec<u8>> {
    let fail = |e: csv::Error| AppError::Internal(e.into());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(fail)?;
    for r in rows {
        w.write_record(r.cells().iter().map(|c| neutralise(&c.text())))
            .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the CSV: {e}")))
}

/// Column widths of the workbook, in characters.
fn width(column: &str) -> f64 {
    match column {
        "title" => 48.0,
        "controls" | "assets" | "threats" => 40.0,
        "owner" | "owner_email" | "accepted_by" => 26.0,
        "category" | "matrix" => 22.0,
        c if c.ends_with("_level") => 12.0,
        c if c.ends_with("likelihood") || c.ends_with("impact") => 9.0,
        _ => 14.0,
    }
}

fn xlsx(rows: &[RegisterRow]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet: &mut Worksheet = book.add_worksheet();
    sheet.set_name("Risk register")?;
    let bold = CellFormat::new()
        .set_bold()
        .set_background_color("#f0f4f8")
        .set_border_bottom(FormatBorder::Thin);
    for (c, name) in COLUMNS.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, *name, &bold)?;
        sheet.set_column_width(c, width(name))?;
    }
    for (n, r) in rows.iter().enumerate() {
        let row = n as u32 + 1;
        for (c, cell) in r.cells().into_iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) if s.is_empty() => {}
                Cell::Text(s) => {
                    sheet.write_string(row, c, s)?;
                }
                Cell::Number(v) => {
                    sheet.write_number(row, c, v as f64)?;
                }
                Cell::Level(name, colour) => {
                    let fill = CellFormat::new()
                        .set_background_color(colour.as_str())
                        .set_font_color(bulwark_risk::ink_on(&colour));
                    sheet.write_string_with_format(row, c, name, &fill)?;
                }
            }
        }
    }
    let last_col = COLUMNS.len() as u16 - 1;
    sheet.set_freeze_panes(1, 2)?;
    sheet.autofilter(0, 0, rows.len() as u32, last_col)?;
    book.save_to_buffer()
}

/// `risk-register-2026-03-02.csv`.
pub fn file_name(format: Format, today: NaiveDate) -> String {
    format!("risk-register-{today}.{}", format.extension())
}

/// Query of the export besides the list's filters.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFormat {
    /// csv, xlsx or json (default).
    pub format: Option<String>,
}

/// The register as a file: every risk the list's filters keep (`cursor` and `limit` do not
/// apply), one row each, as CSV, an Excel workbook or JSON.
#[utoipa::path(get, path = "/api/v1/risks/export", tag = "risk", operation_id = "export_risks",
    params(ExportFormat, RisksQuery),
    responses((status = 200, description = "The register as an attachment",
        content((Vec<RegisterRow> = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 422, body = Problem)))]
pub async fn export(State(app): State<AppState>, RawQuery(q): RawQuery) -> AppResult<Response> {
    let (format, filter) = export_query(q.as_deref().unwrap_or_default())?;
    let risks = register::list(&mut app.db.read().await?.h(), &filter).await?;
    let body = file(format, &risks)?;
    let today = app.clock.now().datetime().date_naive();
    Ok(attachment(
        format.content_type(),
        &file_name(format, today),
        body,
    ))
}

/// The format (JSON when absent) and the list's filter, read from the export's query string.
fn export_query(q: &str) -> AppResult<(Format, RiskFilter)> {
    let mut format = None;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        match k.as_ref() {
            "format" => format = Some(v.into_owned()),
            "cursor" | "limit" => {
                return Err(AppError::field(
                    &k,
                    "does not apply: the export holds every risk the filters keep",
                ));
            }
            _ => {
                rest.append_pair(&k, &v);
            }
        }
    }
    let format = match format.as_deref() {
        None => Format::Json,
        Some(f) => Format::parse(f)
            .ok_or_else(|| AppError::field("format", "must be csv, xlsx or json"))?,
    };
    let filter = query::parse::<RisksQuery>(&rest.finish())?.filter()?;
    Ok((format, filter))
}
