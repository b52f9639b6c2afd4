//! A small writer of text reports as PDF: a title, headings, paragraphs, tables that wrap and
//! break across A4 pages and grids of coloured cells (heat maps), in the built-in Helvetica fonts (no font files), page numbers
//! in the footer. Pure: it takes the text and returns the bytes. Uses `pdf-writer` for the file
//! structure; content streams are left uncompressed.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const BODY: f32 = 9.0;
const HEADING: f32 = 12.0;
const TITLE: f32 = 16.0;
const LEADING: f32 = 1.3;
const CELL_PAD: f32 = 3.0;

/// A report under construction.
#[derive(Debug, Clone, Default)]
pub struct Report {
    title: String,
    blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
enum Block {
    Heading(String),
    Paragraph(String),
    Table {
        /// Headings and their share of the width.
        columns: Vec<(String, f32)>,
        rows: Vec<Vec<String>>,
    },
    Grids(Vec<Grid>),
}

/// A grid of coloured cells, such as a heat map: rows are drawn with the first at the bottom,
/// labelled on the left; columns are numbered, with their labels in a legend underneath.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub title: String,
    /// What the rows are (written above their labels), such as "Likelihood".
    pub rows_name: String,
    /// Row labels, first (bottom) row first.
    pub rows: Vec<String>,
    /// What the columns are (written before the legend), such as "Impact".
    pub columns_name: String,
    /// Column labels, first (left) column first.
    pub columns: Vec<String>,
    /// `cells[row][column]`: a `#rrggbb` fill and the text in the middle (may be empty).
    pub cells: Vec<Vec<(String, String)>>,
}

impl Report {
    /// A report with a title (also the document's title).
    pub fn new(title: impl Into<String>) -> Report {
        Report {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a heading.
    pub fn heading(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading(text.into()));
        self
    }

    /// Adds a paragraph (wrapped; `\n` starts a new line).
    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// Adds a table: `columns` are headings with relative widths; cells wrap within them.
    pub fn table(&mut self, columns: &[(&str, f32)], rows: Vec<Vec<String>>) -> &mut Self {
        self.blocks.push(Block::Table {
            columns: columns.iter().map(|(h, w)| (h.to_string(), *w)).collect(),
            rows,
        });
        self
    }

    /// Adds grids side by side (two fit across the page).
    pub fn grids(&mut self, grids: Vec<Grid>) -> &mut Self {
        self.blocks.push(Block::Grids(grids));
        self
    }

    /// The PDF file.
    pub fn render(&self) -> Vec<u8> {
        let mut l = Layout::default();
        l.new_page();
        l.lines(&self.title, TITLE, true, PAGE_W - 2.0 * MARGIN);
        l.y -= BODY;
        for b in &self.blocks {
            match b {
                Block::Heading(t) => {
                    l.room(HEADING * LEADING * 3.0);
                    l.y -= HEADING * 0.6;
                    l.lines(t, HEADING, true, PAGE_W - 2.0 * MARGIN);
                }
                Block::Paragraph(t) => l.lines(t, BODY, false, PAGE_W - 2.0 * MARGIN),
                Block::Table { columns, rows } => l.table(columns, rows),
                Block::Grids(grids) => l.grids(grids),
            }
        }
        l.finish(&self.title)
    }
}

/// Pages being filled, and the position on the current one.
#[derive(Default)]
struct Layout {
    pages: Vec<Content>,
    y: f32,
}

impl Layout {
    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_H - MARGIN;
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.new_page();
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Starts a new page unless `height` fits on this one.
    fn room(&mut self, height: f32) -> bool {
        if self.y - height < MARGIN + BODY * 2.0 {
            self.new_page();
            true
        } else {
            false
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, s: &str) {
        let font = if bold { "F2" } else { "F1" };
        let bytes = win_ansi(s);
        self.page()
            .begin_text()
            .set_font(Name(font.as_bytes()), size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    /// Wrapped lines across the full width, breaking pages as needed.
    fn lines(&mut self, s: &str, size: f32, bold: bool, width: f32) {
        for line in wrap(s, size, width) {
            self.room(size * LEADING);
            self.y -= size * LEADING;
            self.text(MARGIN, self.y, size, bold, &line);
        }
    }

    fn table(&mut self, columns: &[(String, f32)], rows: &[Vec<String>]) {
        let total: f32 = columns.iter().map(|(_, w)| *w).sum::<f32>().max(0.001);
        let widths: Vec<f32> = columns
            .iter()
            .map(|(_, w)| (PAGE_W - 2.0 * MARGIN) * w / total)
            .collect();
        let header: Vec<String> = columns.iter().map(|(h, _)| h.clone()).collect();
        self.y -= BODY * 0.5;
        // The header and the first row start the table together, never a header alone.
        let first = rows.first().map_or(0.0, |r| self.row_height(&widths, r));
        self.room(self.row_height(&widths, &header) + first);
        self.row(&widths, &header, true);
        for r in rows {
            let height = self.row_height(&widths, r);
            if self.room(height) {
                self.row(&widths, &header, true);
            }
            self.row(&widths, r, false);
        }
    }

    /// Grids side by side, each in an equal share of the width; the tallest sets the height.
    fn grids(&mut self, grids: &[Grid]) {
        const GAP: f32 = 18.0;
        const LABELS: f32 = 64.0;
        const SMALL: f32 = 7.0;
        if grids.is_empty() {
            return;
        }
        let n = grids.len() as f32;
        let share = (PAGE_W - 2.0 * MARGIN - GAP * (n - 1.0)) / n;
        let cell = |g: &Grid| {
            let across = g.columns.len().max(1) as f32;
            ((share - LABELS) / across).min(30.0)
        };
        let legends: Vec<Vec<String>> = grids
            .iter()
            .map(|g| {
                let legend = g
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{} {c}", i + 1))
                    .collect::<Vec<_>>()
                    .join(", ");
                wrap(&format!("{}: {legend}", g.columns_name), SMALL, share)
            })
            .collect();
        let height = grids
            .iter()
            .zip(&legends)
            .map(|(g, legend)| {
                BODY * LEADING * 2.0
                    + g.rows.len() as f32 * cell(g)
                    + SMALL * LEADING * (1.0 + legend.len() as f32)
            })
            .fold(0.0, f32::max);
        self.y -= BODY * 0.5;
        self.room(height);
        let top = self.y;
        for (k, (g, legend)) in grids.iter().zip(&legends).enumerate() {
            let left = MARGIN + k as f32 * (share + GAP);
            let size = cell(g);
            let mut y = top - BODY * LEADING;
            self.text(left, y, BODY, true, &g.title);
            y -= BODY * LEADING;
            self.text(left, y + 2.0, SMALL, false, &g.rows_name);
            let grid_top = y;
            for (r, label) in g.rows.iter().enumerate() {
                // The first row is at the bottom.
                let row_top = grid_top - (g.rows.len() - 1 - r) as f32 * size;
                let line = wrap(label, SMALL, LABELS - 4.0).remove(0);
                self.text(
                    left,
                    row_top - size / 2.0 - SMALL / 3.0,
                    SMALL,
                    false,
                    &line,
                );
                for (c, (fill, text)) in g.cells.get(r).into_iter().flatten().enumerate() {
                    let x = left + LABELS + c as f32 * size;
                    // Grey where the colour is not `#rrggbb`.
                    let [red, green, blue] = bulwark_risk::rgb(fill).unwrap_or([0.6; 3]);
                    self.page()
                        .set_fill_rgb(red, green, blue)
                        .set_stroke_rgb(1.0, 1.0, 1.0)
                        .set_line_width(1.0)
                        .rect(x, row_top - size, size, size)
                        .fill_nonzero_and_stroke();
                    if !text.is_empty() {
                        let ink = if bulwark_risk::ink_on(fill) == "#000000" {
                            0.0
                        } else {
                            1.0
                        };
                        self.page().set_fill_rgb(ink, ink, ink);
                        let x = x + (size - width(text, BODY)) / 2.0;
                        self.text(x, row_top - size / 2.0 - BODY / 3.0, BODY, true, text);
                    }
                    self.page().set_fill_rgb(0.0, 0.0, 0.0);
                }
            }
            let mut y = grid_top - g.rows.len() as f32 * size;
            for c in 0..g.columns.len() {
                let label = (c + 1).to_string();
                let x = left + LABELS + c as f32 * size + (size - width(&label, SMALL)) / 2.0;
                self.text(x, y - SMALL * LEADING, SMALL, false, &label);
            }
            y -= SMALL * LEADING;
            for line in legend {
                y -= SMALL * LEADING;
                self.text(left, y, SMALL, false, line);
            }
        }
        self.y = top - height;
    }

    fn row_height(&self, widths: &[f32], cells: &[String]) -> f32 {
        let lines = widths
            .iter()
            .zip(cells)
            .map(|(w, c)| wrap(c, BODY, w - 2.0 * CELL_PAD).len())
            .max()
            .unwrap_or(1)
            .max(1);
        lines as f32 * BODY * LEADING + 2.0 * CELL_PAD
    }

    fn row(&mut self, widths: &[f32], cells: &[String], bold: bool) {
        let height = self.row_height(widths, cells);
        let top = self.y;
        let mut x = MARGIN;
        for (w, c) in widths.iter().zip(cells) {
            for (n, line) in wrap(c, BODY, w - 2.0 * CELL_PAD).iter().enumerate() {
                let y = top - CELL_PAD - (n as f32 + 1.0) * BODY * LEADING + BODY * 0.3;
                self.text(x + CELL_PAD, y, BODY, bold, line);
            }
            x += w;
        }
        let bottom = top - height;
        self.page()
            .set_line_width(if bold { 0.8 } else { 0.3 })
            .move_to(MARGIN, bottom)
            .line_to(PAGE_W - MARGIN, bottom)
            .stroke();
        self.y = bottom;
    }

    fn finish(mut self, title: &str) -> Vec<u8> {
        let count = self.pages.len();
        for n in 0..count {
            let footer = format!("{title} - page {} of {count}", n + 1);
            let bytes = win_ansi(&footer);
            self.pages[n]
                .begin_text()
                .set_font(Name(b"F1"), 7.0)
                .next_line(MARGIN, MARGIN / 2.0)
                .show(Str(&bytes))
                .end_text();
        }
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 6;
        let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(first + 2 * i as i32)).collect();
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(count as i32);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        let title_bytes = win_ansi(title);
        pdf.document_info(info)
            .title(pdf_writer::TextStr(&String::from_utf8_lossy(&title_bytes)))
            .producer(pdf_writer::TextStr("Bulwark"));
        for (i, content) in self.pages.into_iter().enumerate() {
            let id = page_ids[i];
            let content_id = Ref::new(id.get() + 1);
            let mut page = pdf.page(id);
            page.parent(tree)
                .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .contents(content_id);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), regular);
            fonts.pair(Name(b"F2"), bold);
            fonts.finish();
            resources.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

/// Helvetica's advance widths (thousandths of the font size) for the printable ASCII range.
const WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// The width of text in points (bold is taken as 5% wider).
fn width(s: &str, size: f32) -> f32 {
    s.chars()
        .map(|c| {
            let i = (c as usize).wrapping_sub(32);
            f32::from(WIDTHS.get(i).copied().unwrap_or(556))
        })
        .sum::<f32>()
        * size
        * 1.05
        / 1000.0
}

/// Splits text into lines no wider than `max` points, at spaces where possible.
fn wrap(s: &str, size: f32, max: f32) -> Vec<String> {
    let mut out = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            // A word wider than the line is cut.
            for c in word.chars() {
                if !line.is_empty() && width(&format!("{line}{c}"), size) > max {
                    out.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
        out.push(line);
    }
    out
}

/// Text in the WinAnsi encoding of the built-in fonts; what it cannot show becomes `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        let lines = wrap("alpha beta gamma delta", 10.0, 60.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, 10.0) <= 60.0));
        let long = wrap(&"x".repeat(200), 10.0, 50.0);
        assert!(long.len() > 5 && long.iter().all(|l| width(l, 10.0) <= 50.0));
    }

    #[test]
    fn renders_pages_with_the_text_readable() {
        let mut r = Report::new("Test report");
        r.heading("Section")
            .paragraph("Héllo (world) – ok")
            .paragraph("ASCII (balanced) \\ )");
        let rows = (0..200)
            .map(|i| vec![format!("row {i}"), "some text".into()])
            .collect();
        r.table(&[("Name", 1.0), ("Text", 2.0)], rows);
        let pdf = r.render();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("(Section) Tj"), "heading shown");
        let pages = text.matches("/Type /Page\n").count() + text.matches("/Type /Page/").count();
        assert!(pages > 3, "200 rows take several pages: {pages}");
        assert!(text.contains(&format!("/Count {pages}")), "{pages} pages");
        assert!(text.contains(&format!("(Test report - page {pages} of {pages}) Tj")));
        assert!(text.contains("(row 199) Tj"));
        // Latin-1 text is written in WinAnsi bytes (as a hex string).
        let hex: String = win_ansi("Héllo (world) – ok")
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(&hex[..12], "48E96C6C6F20");
        assert!(
            text.to_uppercase().contains(&format!("<{hex}> TJ")),
            "{hex}"
        );
        assert!(text.contains("(ASCII \\(balanced\\) \\\\ \\)) Tj"));
        assert!(text.trim_end().ends_with("%%EOF"));
    }

    #[test]
    fn a_table_header_is_never_alone_at_the_foot_of_a_page() {
        let tall = "a reason given at length ".repeat(40);
        for lines_before in 0..70 {
            let mut r = Report::new("Test report");
            for i in 0..lines_before {
                r.paragraph(format!("line {i}"));
            }
            r.table(
                &[("Risk", 1.0), ("Why", 3.0)],
                vec![vec!["first-row".into(), tall.clone()]],
            );
            let pdf = String::from_utf8_lossy(&r.render()).into_owned();
            let header = pdf.find("(Risk) Tj").expect("header drawn");
            let row = pdf.find("(first-row) Tj").expect("row drawn");
            assert!(
                !pdf[header..row].contains("endstream"),
                "after {lines_before} lines the header and the first row are on different pages"
            );
        }
    }

    #[test]
    fn draws_grids_side_by_side() {
        let grid = |title: &str| Grid {
            title: title.into(),
            rows_name: "Likelihood".into(),
            rows: vec!["Rare".into(), "Likely".into()],
            columns_name: "Impact".into(),
            columns: vec!["Minor".into(), "Severe".into()],
            cells: vec![
                vec![
                    ("#2e7d32".into(), String::new()),
                    ("#f9a825".into(), "3".into()),
                ],
                vec![
                    ("#f9a825".into(), "1".into()),
                    ("#c62828".into(), String::new()),
                ],
            ],
        };
        let mut r = Report::new("Grids");
        r.grids(vec![grid("Before"), grid("After")]);
        let text = String::from_utf8_lossy(&r.render()).into_owned();
        assert!(text.contains("(Before) Tj") && text.contains("(After) Tj"));
        assert!(text.contains("(Impact: 1 Minor, 2 Severe) Tj"), "legend");
        // Four cells per grid, each filled in its colour: #c62828 is 0.776 0.157 0.157.
        assert_eq!(text.matches(" re\n").count(), 8);
        assert!(
            text.contains("0.7764706 0.15686275 0.15686275 rg"),
            "{text}"
        );
    }
}
