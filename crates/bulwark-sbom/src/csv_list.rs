//! CSV with a header naming its columns, in any order and any letter case: `ecosystem`,
//! `name` and `version`, or `purl`, or both; `cpe` is optional. Other columns are ignored;
//! a line starting with `#` is a comment.
//!
//! A row with a purl takes its identity from it; any `ecosystem`, `name` and `version` given
//! beside it must agree (a person typed them, so a mismatch is a mistake). A row without a purl
//! needs all three, and gets a derived purl (none for deb, apk and rpm, whose distribution a
//! row does not say). The ecosystem is a purl type or an OSV ecosystem name (`PyPI`,
//! `crates.io`); a Maven name is `group:artifact`.

use std::io::Read;

use bulwark_core::InputProblem;
use csv::{ErrorKind, StringRecord};

use crate::lines::io_problem;
use crate::output::{About, Output};
use crate::{Component, Ecosystem, cpe, purl};

/// The columns read, by their index in [`COLUMNS`].
const COLUMNS: [&str; 5] = ["ecosystem", "name", "version", "purl", "cpe"];
const ECOSYSTEM: usize = 0;
const NAME: usize = 1;
const VERSION: usize = 2;
const PURL: usize = 3;
const CPE: usize = 4;

/// Reads a CSV inventory.
pub(crate) fn read(input: impl Read, out: &mut Output<'_>) -> About {
    // The header is read as a record, so that it has a line.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut record = StringRecord::new();
    let Some(columns) = header(&mut reader, &mut record, out) else {
        return About::default();
    };
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) if is_comment(&record) => {}
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                if let Some(c) = row(&record, &columns, line, out)
                    && out.deliver(c).is_break()
                {
                    break;
                }
            }
            Err(e) => {
                let fatal = !matches!(e.kind(), ErrorKind::Utf8 { .. });
                out.problem(csv_problem(&e));
                if fatal {
                    break;
                }
            }
        }
    }
    About::default()
}

/// Where each known column is, and how wide the header is.
struct Columns {
    at: [Option<usize>; 5],
    width: usize,
}

impl Columns {
    fn get<'r>(&self, record: &'r StringRecord, column: usize) -> Option<&'r str> {
        self.at[column]
            .and_then(|i| record.get(i))
            .filter(|v| !v.is_empty())
    }
}

/// Reads the header into `headers` and finds the columns in it.
fn header<R: Read>(
    reader: &mut csv::Reader<R>,
    headers: &mut StringRecord,
    out: &mut Output<'_>,
) -> Option<Columns> {
    loop {
        match reader.read_record(headers) {
            Ok(true) if is_comment(headers) => {}
            Ok(_) => break,
            Err(e) => {
                out.problem(csv_problem(&e));
                return None;
            }
        }
    }
    let line = headers.position().map_or(1, csv::Position::line);
    let mut columns = Columns {
        at: [None; 5],
        width: headers.len(),
    };
    let mut ok = true;
    for (i, h) in headers.iter().enumerate() {
        let Some(c) = COLUMNS.iter().position(|c| c.eq_ignore_ascii_case(h)) else {
            continue;
        };
        if columns.at[c].replace(i).is_some() {
            out.problem(InputProblem::at_line(
                line,
                Some(COLUMNS[c]),
                "the column is named twice",
            ));
            ok = false;
        }
    }
    let has = |c: usize| columns.at[c].is_some();
    if !(has(PURL) || (has(ECOSYSTEM) && has(NAME) && has(VERSION))) {
        let missing: Vec<&str> = [ECOSYSTEM, NAME, VERSION]
            .into_iter()
            .filter(|&c| !has(c))
            .map(|c| COLUMNS[c])
            .collect();
        out.problem(InputProblem::at_line(
            line,
            None,
            format!(
                "the header must name the columns ecosystem, name and version, or purl; `{}` missing",
                missing.join("`, `")
            ),
        ));
        ok = false;
    }
    ok.then_some(columns)
}

/// The component of one row, with every problem reported.
fn row(
    record: &StringRecord,
    columns: &Columns,
    line: u64,
    out: &mut Output<'_>,
) -> Option<Component> {
    let mut bad = false;
    let mut problem = |field: Option<&str>, message: String| {
        bad = true;
        out.problem(InputProblem::at_line(line, field, message));
    };
    if record.len() > columns.width {
        problem(
            None,
            format!(
                "the row has {} fields, the header {}",
                record.len(),
                columns.width
            ),
        );
    }
    let given_ecosystem = columns.get(record, ECOSYSTEM);
    let ecosystem = given_ecosystem.and_then(|e| {
        let parsed = Ecosystem::parse(e);
        if parsed.is_none() {
            problem(Some("ecosystem"), format!("`{e}` is not a known ecosystem (a purl type such as npm, pypi, cargo, maven, deb)"));
        }
        parsed
    });
    let name = columns.get(record, NAME);
    let version = columns.get(record, VERSION);
    let cpe = columns
        .get(record, CPE)
        .and_then(|c| cpe::normalise(c).map_err(|e| problem(Some("cpe"), e)).ok());
    let identity = match columns.get(record, PURL) {
        Some(p) => from_purl(p, ecosystem, name, version, &mut problem),
        None => from_columns(
            ecosystem,
            given_ecosystem.is_some(),
            name,
            version,
            &mut problem,
        ),
    };
    let (ecosystem, name, version, purl) = identity?;
    (!bad).then_some(Component {
        ecosystem,
        name,
        version,
        purl,
        cpe,
    })
}

type Identity = (Ecosystem, String, String, Option<String>);

fn from_purl(
    text: &str,
    ecosystem: Option<Ecosystem>,
    name: Option<&str>,
    version: Option<&str>,
    problem: &mut impl FnMut(Option<&str>, String),
) -> Option<Identity> {
    let p = purl::parse(text)
        .map_err(|e| problem(Some("purl"), e))
        .ok()?;
    if let Some(e) = ecosystem.filter(|e| *e != p.ecosystem) {
        problem(
            Some("ecosystem"),
            format!("is `{e}` but the purl's type is `{}`", p.ecosystem),
        );
    }
    let name = match name.map(|n| p.ecosystem.normalise_name(n)) {
        Some(n)
            if n == p.name
                || (p.ecosystem == Ecosystem::Npm && n.eq_ignore_ascii_case(&p.name)) =>
        {
            n
        }
        Some(n) => {
            problem(
                Some("name"),
                format!("is `{n}` but the purl names `{}`", p.name),
            );
            n
        }
        None => p.name,
    };
    let version = match (version, p.version) {
        (Some(v), Some(pv)) if v != pv => {
            problem(
                Some("version"),
                format!("is `{v}` but the purl's version is `{pv}`"),
            );
            pv
        }
        (_, Some(pv)) => pv,
        (Some(v), None) => v.to_owned(),
        (None, None) => {
            problem(Some("version"), "is missing, and the purl has none".into());
            return None;
        }
    };
    Some((p.ecosystem, name, version, Some(p.text)))
}

fn from_columns(
    ecosystem: Option<Ecosystem>,
    ecosystem_given: bool,
    name: Option<&str>,
    version: Option<&str>,
    problem: &mut impl FnMut(Option<&str>, String),
) -> Option<Identity> {
    let mut missing = |field: &str| problem(Some(field), "is empty, and there is no purl".into());
    if !ecosystem_given {
        missing("ecosystem");
    }
    if name.is_none() {
        missing("name");
    }
    if version.is_none() {
        missing("version");
    }
    let (ecosystem, name, version) = (ecosystem?, name?, version?);
    let name = ecosystem.normalise_name(name);
    match purl::derive(ecosystem, &name, version, None, &[]) {
        Ok(purl) => Some((ecosystem, name, version.to_owned(), purl)),
        Err(e) => {
            problem(Some("name"), e);
            None
        }
    }
}

/// Whether a record is a comment line: its first field starts with `#`. (The `csv` crate's own
/// comment support leaves comment lines out of its line numbers.)
fn is_comment(record: &StringRecord) -> bool {
    record.get(0).is_some_and(|f| f.starts_with('#'))
}

/// A CSV error as a problem on its line.
fn csv_problem(e: &csv::Error) -> InputProblem {
    let line = e.position().map(csv::Position::line);
    match (e.kind(), line) {
        (ErrorKind::Io(io), _) => io_problem(io),
        (ErrorKind::Utf8 { err, .. }, Some(line)) => InputProblem::at_line(
            line,
            None,
            format!("field {} is not UTF-8 text", err.field() + 1),
        ),
        (_, Some(line)) => InputProblem::at_line(line, None, e.to_string()),
        (_, None) => InputProblem::whole(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{Located, problems, read_str};
    use crate::{Ecosystem, Format};

    fn line(n: u64, field: Option<&str>, message: &str) -> Located {
        (Some(n), None, field.map(Into::into), message.into())
    }

    #[test]
    fn columns_in_any_order_with_or_without_purls() {
        let text = "Version,Name,notes,Ecosystem,purl,cpe\n\
                    3.2,Django,old,PyPI,,\n\
                    ,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,cpe:/a:apache:log4j:2.14.1\n\
                    # a comment\n\
                    \n\
                    5.2.15,bash,,deb,,\n\
                    1.0,org.a:b,,maven,,\n\
                    3.2,django,,pypi,pkg:pypi/django@3.2,\n";
        let (got, s) = read_str(Format::Csv, text).unwrap();
        let got: Vec<_> = got
            .iter()
            .map(|c| {
                (
                    c.ecosystem,
                    c.name.as_str(),
                    c.version.as_str(),
                    c.purl.as_deref(),
                    c.cpe.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    Ecosystem::Pypi,
                    "django",
                    "3.2",
                    Some("pkg:pypi/django@3.2"),
                    None
                ),
                (
                    Ecosystem::Maven,
                    "org.apache.logging.log4j:log4j-core",
                    "2.14.1",
                    Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
                    Some("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*")
                ),
                (Ecosystem::Deb, "bash", "5.2.15", None, None),
                (
                    Ecosystem::Maven,
                    "org.a:b",
                    "1.0",
                    Some("pkg:maven/org.a/b@1.0"),
                    None
                ),
                (
                    Ecosystem::Pypi,
                    "django",
                    "3.2",
                    Some("pkg:pypi/django@3.2"),
                    None
                ),
            ]
        );
        assert_eq!(s.components, 5);
    }

    #[test]
    fn headers_without_the_needed_columns_are_refused() {
        assert_eq!(
            problems(Format::Csv, "name,version\nx,1\n"),
            [line(
                1,
                None,
                "the header must name the columns ecosystem, name and version, or purl; `ecosystem` missing"
            )]
        );
        assert_eq!(
            problems(Format::Csv, "# exported by hand\npurl,PURL\n"),
            [line(2, Some("purl"), "the column is named twice")]
        );
        assert_eq!(
            problems(Format::Csv, "")[0].3,
            "the header must name the columns ecosystem, name and version, or purl; `ecosystem`, `name`, `version` missing"
        );
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_column() {
        let text = "ecosystem,name,version,purl\n\
                    npm,left-pad,,\n\
                    cobol,x,1,\n\
                    maven,no-group,1,\n\
                    pypi,requests,2.0,pkg:npm/requests@2.1\n\
                    ,,,not-a-purl\n\
                    ,,,pkg:cargo/serde\n\
                    npm,a,1,,extra\n";
        assert_eq!(
            problems(Format::Csv, text),
            [
                line(2, Some("version"), "is empty, and there is no purl"),
                line(
                    3,
                    Some("ecosystem"),
                    "`cobol` is not a known ecosystem (a purl type such as npm, pypi, cargo, maven, deb)"
                ),
                line(
                    4,
                    Some("name"),
                    "a Maven name is `group:artifact`, not `no-group`"
                ),
                line(
                    5,
                    Some("ecosystem"),
                    "is `pypi` but the purl's type is `npm`"
                ),
                line(
                    5,
                    Some("version"),
                    "is `2.0` but the purl's version is `2.1`"
                ),
                line(
                    6,
                    Some("purl"),
                    "`not-a-purl` is not a valid package URL: missing scheme"
                ),
                line(7, Some("version"), "is missing, and the purl has none"),
                line(8, None, "the row has 5 fields, the header 4"),
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_reported_and_reading_goes_on() {
        let bytes = b"ecosystem,name,version\nnpm,\xff,1\nnpm,b,\n";
        let result = crate::read(Format::Csv, &bytes[..], |_| {
            std::ops::ControlFlow::Continue(())
        });
        let Err(crate::ReadError::Invalid(list)) = result else {
            panic!("expected problems");
        };
        let got: Vec<_> = list.into_iter().map(|p| (p.line, p.message)).collect();
        assert_eq!(
            got,
            [
                (Some(2), "field 2 is not UTF-8 text".into()),
                (Some(3), "is empty, and there is no purl".into())
            ]
        );
    }
}
