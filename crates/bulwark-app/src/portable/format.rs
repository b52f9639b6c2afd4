//! The lines of a `bulwark-export` file, and reading and writing them with the running SHA-256.

use std::io::{BufRead, Read, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `format` of the header line.
pub const FORMAT: &str = "bulwark-export";
/// The version of the format this program writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Lines longer than this are refused (a damaged file must not exhaust memory).
const MAX_LINE: usize = 64 * 1024 * 1024;

/// The first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    pub schema_version: i64,
    pub exported_at: String,
    pub source_backend: String,
}

/// The line that starts a table's rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableLine {
    pub table: String,
    pub columns: Vec<String>,
    pub types: Vec<String>,
}

/// The last line: how many rows came before and the SHA-256 of every byte before it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trailer {
    pub end: bool,
    pub rows: u64,
    pub sha256: String,
}

/// A parsed line.
#[derive(Debug)]
pub enum Line {
    Header(Header),
    Table(TableLine),
    Row(Vec<Value>),
    Trailer(Trailer),
}

/// Writes lines, hashing every byte, and finishes with the trailer.
pub struct LineWriter<W: Write> {
    out: W,
    hash: Sha256,
    rows: u64,
}

impl<W: Write> LineWriter<W> {
    pub fn new(out: W) -> Self {
        LineWriter {
            out,
            hash: Sha256::new(),
            rows: 0,
        }
    }

    fn line(&mut self, v: &impl Serialize) -> std::io::Result<()> {
        let mut buf = serde_json::to_vec(v)?;
        buf.push(b'\n');
        self.hash.update(&buf);
        self.out.write_all(&buf)
    }

    pub fn header(&mut self, h: &Header) -> std::io::Result<()> {
        self.line(h)
    }

    pub fn table(&mut self, t: &TableLine) -> std::io::Result<()> {
        self.line(t)
    }

    pub fn row(&mut self, values: &[Value]) -> std::io::Result<()> {
        self.rows += 1;
        self.line(&values)
    }

    /// Writes the trailer; returns the writer and the number of rows.
    pub fn finish(mut self) -> std::io::Result<(W, u64)> {
        let t = Trailer {
            end: true,
            rows: self.rows,
            sha256: hex::encode(self.hash.finalize_reset()),
        };
        let mut buf = serde_json::to_vec(&t)?;
        buf.push(b'\n');
        self.out.write_all(&buf)?;
        self.out.flush()?;
        Ok((self.out, self.rows))
    }
}

/// Reads lines one at a time, hashing every byte before the trailer.
pub struct LineReader<R: BufRead> {
    input: R,
    buf: Vec<u8>,
    number: u64,
    hash: Sha256,
    digest: Option<String>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(input: R) -> Self {
        LineReader {
            input,
            buf: Vec::new(),
            number: 0,
            hash: Sha256::new(),
            digest: None,
        }
    }

    /// The number of the last line read (from 1).
    pub fn line_number(&self) -> u64 {
        self.number
    }

    /// The SHA-256 of every byte before the trailer (or of everything read, if none yet).
    pub fn sha256(&self) -> String {
        self.digest
            .clone()
            .unwrap_or_else(|| hex::encode(self.hash.clone().finalize()))
    }

    /// The next line: None at the end of the file; Err(message) for a line that does not parse.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, Result<Line, String>)>> {
        self.buf.clear();
        let n =
            Read::take(&mut self.input, MAX_LINE as u64 + 1).read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        let number = self.number;
        if self.buf.len() > MAX_LINE {
            // Skip the rest of the over-long line so counting stays right.
            self.hash.update(&self.buf);
            loop {
                self.buf.clear();
                let m = Read::take(&mut self.input, MAX_LINE as u64)
                    .read_until(b'\n', &mut self.buf)?;
                self.hash.update(&self.buf);
                if m == 0 || self.buf.ends_with(b"\n") {
                    break;
                }
            }
            return Ok(Some((
                number,
                Err(format!("the line is longer than {MAX_LINE} bytes")),
            )));
        }
        let complete = self.buf.ends_with(b"\n");
        let text = if complete {
            &self.buf[..self.buf.len() - 1]
        } else {
            &self.buf[..]
        };
        let parsed = parse(text, complete);
        if self.digest.is_none() && matches!(parsed, Ok(Line::Trailer(_))) {
            self.digest = Some(hex::encode(self.hash.clone().finalize()));
        } else {
            self.hash.update(&self.buf);
        }
        Ok(Some((number, parsed)))
    }
}

fn parse(text: &[u8], complete: bool) -> Result<Line, String> {
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err("the line is empty".into());
    }
    let v: Value = serde_json::from_slice(text).map_err(|e| {
        if complete {
            format!("not valid JSON ({e})")
        } else {
            format!("the file ends in the middle of this line, which is not valid JSON ({e})")
        }
    })?;
    match v {
        Value::Array(a) => Ok(Line::Row(a)),
        Value::Object(o) if o.contains_key("end") => serde_json::from_value(Value::Object(o))
            .map(Line::Trailer)
            .map_err(|e| format!("a damaged trailer line ({e})")),
        Value::Object(o) if o.contains_key("table") => serde_json::from_value(Value::Object(o))
            .map(Line::Table)
            .map_err(|e| format!("a damaged table line ({e})")),
        Value::Object(o) if o.contains_key("format") => serde_json::from_value(Value::Object(o))
            .map(Line::Header)
            .map_err(|e| format!("a damaged header line ({e})")),
        _ => Err("neither a row (JSON array) nor a header, table or trailer line".into()),
    }
}

/// A short description of a JSON value for messages.
pub fn describe(v: &Value) -> String {
    let s = match v {
        Value::Null => return "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("text {s:?}"),
        Value::Array(_) => return "an array".into(),
        Value::Object(_) => return "an object".into(),
    };
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}
