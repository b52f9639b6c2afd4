//! What the HR and account readers share: a CSV table whose header is checked against the
//! expected columns, read one record at a time with its line number, and a capped problem list.

use std::io::Read;

use bulwark_core::validate::FieldError;
use bulwark_core::{InputProblem, Problems};
use csv::{ByteRecord, ErrorKind};

/// Records a value's problem on a line.
pub(crate) fn field_problem(problems: &mut Problems, line: u64, e: FieldError) {
    problems.push(InputProblem::at_line(line, Some(&e.field), e.message));
}

/// A CSV file with a header naming (at least) the expected columns, in any order.
///
/// Records end at `\n` (a `\r` before it is trimmed with the other surrounding whitespace), and
/// rows whose cells are all empty are skipped, as spreadsheets leave them behind.
pub(crate) struct Table<R> {
    reader: csv::Reader<Counted<R>>,
    /// Where each expected column is in the file, in the order of `names`.
    index: Vec<usize>,
    names: &'static [&'static str],
    width: usize,
    record: ByteRecord,
    line: u64,
    rows: u64,
}

impl<R: Read> Table<R> {
    /// Reads the header. Unknown columns are returned by name; a missing or repeated column, or an
    /// unreadable header, is a problem with the whole file (then `None`).
    pub(crate) fn open(
        input: R,
        names: &'static [&'static str],
        problems: &mut Problems,
    ) -> Option<(Self, Vec<String>)> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(Counted::new(input));
        let header = match reader.headers() {
            Ok(h) => h.iter().map(|h| h.trim().to_string()).collect::<Vec<_>>(),
            Err(e) => {
                problems.push(InputProblem::at_line(
                    1,
                    None,
                    format!("the header line cannot be read: {}", reason(&e)),
                ));
                return None;
            }
        };
        if header.iter().all(String::is_empty) {
            problems.push(InputProblem::whole(format!(
                "the file is empty; it must start with the header line {}",
                names.join(",")
            )));
            return None;
        }
        let mut extra = Vec::new();
        let mut index = vec![usize::MAX; names.len()];
        for (i, h) in header.iter().enumerate() {
            match names.iter().position(|n| n.eq_ignore_ascii_case(h)) {
                Some(k) if index[k] != usize::MAX => problems.push(column_problem(
                    names[k],
                    "appears twice in the header (line 1)",
                )),
                Some(k) => index[k] = i,
                None if h.is_empty() => extra.push(format!("column {} (unnamed)", i + 1)),
                None => extra.push(h.clone()),
            }
        }
        for (k, _) in index.iter().enumerate().filter(|(_, i)| **i == usize::MAX) {
            problems.push(column_problem(
                names[k],
                "is a required column but is missing from the header (line 1)",
            ));
        }
        if index.contains(&usize::MAX) || !problems.is_empty() {
            return None;
        }
        let table = Table {
            reader,
            index,
            names,
            width: header.len(),
            record: ByteRecord::new(),
            line: 1,
            rows: 0,
        };
        Some((table, extra))
    }

    /// Moves to the next record that has the header's number of fields and is UTF-8 text;
    /// records that are not are reported and skipped. `false` at the end of the file, or when the
    /// file cannot be read further.
    pub(crate) fn advance(&mut self, problems: &mut Problems) -> bool {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return false,
                Ok(true) => {}
                Err(e) => {
                    let line = self.reader.position().line();
                    problems.push(InputProblem::at_line(
                        line,
                        None,
                        format!("the file cannot be read from here on: {}", reason(&e)),
                    ));
                    return false;
                }
            }
            if self.record.iter().all(|f| f.trim_ascii().is_empty()) {
                continue;
            }
            self.rows += 1;
            self.line = self.start_line();
            if let Some(bad) = self
                .record
                .iter()
                .position(|f| std::str::from_utf8(f).is_err())
            {
                problems.push(InputProblem::at_line(
                    self.line,
                    self.column_at(bad),
                    "is not UTF-8 text; save the file as UTF-8",
                ));
            } else if self.record.len() != self.width {
                problems.push(InputProblem::at_line(
                    self.line,
                    None,
                    format!(
                        "has {} fields but the header has {}",
                        self.record.len(),
                        self.width
                    ),
                ));
            } else {
                return true;
            }
        }
    }

    /// The line the current record starts on, worked out from where it ends: the `csv` crate's
    /// start positions do not count the blank lines it skips.
    fn start_line(&self) -> u64 {
        let end = self.reader.position();
        let inner: usize = self
            .record
            .iter()
            .map(|f| f.iter().filter(|b| **b == b'\n').count())
            .sum();
        let src = self.reader.get_ref();
        let ended_by_newline = !(src.eof && end.byte() == src.total && src.last != Some(b'\n'));
        end.line()
            .saturating_sub(inner as u64 + u64::from(ended_by_newline))
            .max(2)
    }

    /// The current record's value in an expected column, trimmed.
    pub(crate) fn get(&self, column: &str) -> &str {
        let k = self.names.iter().position(|n| *n == column);
        let field = k
            .and_then(|k| self.record.get(self.index[k]))
            .unwrap_or_default();
        // `advance` only stops on records whose fields are all UTF-8.
        std::str::from_utf8(field).unwrap_or_default().trim()
    }

    /// The current record's line (the header is line 1).
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Data records read so far, good or not (empty rows not counted).
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// The expected column at a position in the file, if it is one.
    fn column_at(&self, field: usize) -> Option<&'static str> {
        let k = self.index.iter().position(|i| *i == field)?;
        Some(self.names[k])
    }
}

/// The input, counting the bytes handed to the CSV reader and noting the last one.
struct Counted<R> {
    inner: R,
    total: u64,
    last: Option<u8>,
    eof: bool,
}

impl<R> Counted<R> {
    fn new(inner: R) -> Self {
        Counted {
            inner,
            total: 0,
            last: None,
            eof: false,
        }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.eof = !buf.is_empty();
        } else {
            self.total += n as u64;
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

fn column_problem(column: &str, message: &str) -> InputProblem {
    InputProblem {
        field: Some(column.to_string()),
        ..InputProblem::whole(format!("column `{column}` {message}"))
    }
}

/// A CSV error in plain words, without the position (the problem carries it).
fn reason(e: &csv::Error) -> String {
    match e.kind() {
        ErrorKind::Io(io) => io.to_string(),
        ErrorKind::Utf8 { .. } => "it is not UTF-8 text; save the file as UTF-8".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["a", "b"];

    /// `(line, a, b)` of each row read.
    type Rows = Vec<(u64, String, String)>;

    fn rows(input: &str) -> (Rows, Vec<String>, Vec<InputProblem>) {
        let mut problems = Problems::default();
        let mut out = Vec::new();
        let mut extra = Vec::new();
        if let Some((mut t, x)) = Table::open(input.as_bytes(), NAMES, &mut problems) {
            extra = x;
            while t.advance(&mut problems) {
                out.push((t.line(), t.get("a").to_string(), t.get("b").to_string()));
            }
        }
        (out, extra, problems.finish(()).err().unwrap_or_default())
    }

    #[test]
    fn columns_in_any_order_with_extras_and_line_numbers() {
        let (out, extra, problems) = rows("\u{feff}B, X ,a\n2,x,1\n\n\"multi\nline\",x,3\n4,x,5\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(extra, ["X"]);
        assert_eq!(
            out,
            [
                (2, "1".into(), "2".into()),
                (4, "3".into(), "multi\nline".into()),
                (6, "5".into(), "4".into())
            ]
        );
    }

    #[test]
    fn line_numbers_with_crlf_blank_rows_and_no_final_newline() {
        for input in [
            "a,b\r\n1,2\r\n\r\n,\r\n3,4",
            "a,b\n1,2\n\n,\n3,4\n\n",
            "a,b\n1,2\n\n \n3,4",
        ] {
            let (out, _, problems) = rows(input);
            assert!(problems.is_empty(), "{problems:?}");
            let lines: Vec<u64> = out.iter().map(|r| r.0).collect();
            assert_eq!(lines, [2, 5], "{input:?}");
            assert_eq!(out[1].2, "4");
        }
    }

    #[test]
    fn header_problems_name_the_column() {
        let (_, _, p) = rows("a,c\n1,2\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field.as_deref(), Some("b"));
        let (_, _, p) = rows("a,b,A\n");
        assert!(p[0].message.contains("twice"), "{p:?}");
        let (_, _, p) = rows("");
        assert!(p[0].message.contains("empty"), "{p:?}");
    }

    #[test]
    fn short_rows_and_bad_utf8_are_reported_and_skipped() {
        let mut problems = Problems::default();
        let input: &[u8] = b"a,b\n1\n\xff,2\n3,4\n";
        let (mut t, _) = Table::open(input, NAMES, &mut problems).unwrap();
        let mut seen = Vec::new();
        while t.advance(&mut problems) {
            seen.push(t.line());
        }
        assert_eq!(seen, [4]);
        assert_eq!(t.rows(), 3);
        let p = problems.finish(()).unwrap_err();
        assert_eq!(p[0].line, Some(2));
        assert!(p[0].message.contains("1 fields"), "{p:?}");
        assert_eq!((p[1].line, p[1].field.as_deref()), (Some(3), Some("a")));
    }
}
