//! Rust `Cargo.lock`, versions 1 to 4: every `[[package]]` with its `name`, `version` and
//! `source`; the purl only for crates.io sources (`pkg:cargo/<name>@<version>`), since a git,
//! path or other-registry crate is not the crates.io crate of that name.
//!
//! To stream, the file is cut at its table headers (lines starting with `[`, as Cargo writes
//! them) and each `[[package]]` table is parsed on its own with the `toml` crate; other tables
//! (`[metadata]` of version 1, `[[patch.unused]]`) are skipped. The version is the top-level
//! `version` key; without one, 1 if there is a `[metadata]` table, else 2.

use std::io::BufRead;
use std::ops::ControlFlow;

use bulwark_core::InputProblem;

use crate::lines::{Lines, MAX_LINE};
use crate::output::{About, Output};
use crate::{Component, Ecosystem, purl};

/// The crates.io index, as Cargo names it in `source`.
const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// Reads a Cargo.lock.
pub(crate) fn read(input: impl BufRead, out: &mut Output<'_>) -> About {
    let mut lines = Lines::new(input);
    let mut table = Table::new(Kind::Top, 0);
    let mut lock = Lock::default();
    while let Some((number, text)) = lines.next_text(out) {
        if text.starts_with('[') {
            if table.finish(&mut lock, out).is_break() {
                return About::default();
            }
            let header = text.split('#').next().unwrap_or_default().trim();
            let kind = match header {
                "[[package]]" => Kind::Package,
                "[metadata]" => {
                    lock.has_metadata = true;
                    Kind::Other
                }
                _ => Kind::Other,
            };
            table = Table::new(kind, number);
        } else {
            table.push(text, out);
        }
    }
    let _ = table.finish(&mut lock, out);
    let spec_version = match lock.version {
        Some(v) => v.to_string(),
        None if lock.has_metadata => "1".into(),
        None => "2".into(),
    };
    About {
        spec_version: Some(spec_version),
        subject: None,
    }
}

/// What the whole file says about itself.
#[derive(Default)]
struct Lock {
    version: Option<i64>,
    has_metadata: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The keys before the first table.
    Top,
    Package,
    Other,
}

/// One table's text, gathered line by line.
struct Table {
    kind: Kind,
    /// The header's line (0 for the top).
    header: u64,
    text: String,
    too_long: bool,
}

impl Table {
    fn new(kind: Kind, header: u64) -> Self {
        Table {
            kind,
            header,
            text: String::new(),
            too_long: false,
        }
    }

    fn push(&mut self, line: &str, out: &mut Output<'_>) {
        if self.kind == Kind::Other || self.too_long {
            return;
        }
        if self.text.len() + line.len() > MAX_LINE {
            self.too_long = true;
            out.problem(InputProblem::at_line(
                self.header,
                None,
                format!("the table is longer than {MAX_LINE} bytes"),
            ));
            return;
        }
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// Parses the table and delivers its package, if it is one.
    fn finish(&mut self, lock: &mut Lock, out: &mut Output<'_>) -> ControlFlow<()> {
        let go_on = ControlFlow::Continue(());
        if self.kind == Kind::Other || self.too_long {
            return go_on;
        }
        let table = match self.text.parse::<toml::Table>() {
            Ok(t) => t,
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                let line = self.header + 1 + self.text[..offset].matches('\n').count() as u64;
                out.problem(InputProblem::at_line(
                    line,
                    None,
                    format!("invalid TOML: {}", e.message()),
                ));
                return go_on;
            }
        };
        if self.kind == Kind::Top {
            lock.version = version(&table, out);
            return go_on;
        }
        match self.package(&table, out) {
            Some(c) => out.deliver(c),
            None => go_on,
        }
    }

    fn package(&self, table: &toml::Table, out: &mut Output<'_>) -> Option<Component> {
        let mut field = |key: &str, required: bool| match table.get(key) {
            Some(toml::Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(toml::Value::String(_)) | None if required => {
                out.problem(InputProblem::at_line(
                    self.header,
                    Some(key),
                    "is missing or empty",
                ));
                None
            }
            Some(toml::Value::String(_)) | None => None,
            Some(other) => {
                out.problem(InputProblem::at_line(
                    self.header,
                    Some(key),
                    format!("must be a string, not {}", other.type_str()),
                ));
                None
            }
        };
        let (name, version, source) = (
            field("name", true),
            field("version", true),
            field("source", false),
        );
        let (name, version) = (name?, version?);
        let purl = if source.is_some_and(|s| CRATES_IO.contains(&s.as_str())) {
            match purl::derive(Ecosystem::Cargo, &name, &version, None, &[]) {
                Ok(p) => p,
                Err(e) => {
                    out.problem(InputProblem::at_line(self.header, Some("name"), e));
                    return None;
                }
            }
        } else {
            None
        };
        Some(Component {
            ecosystem: Ecosystem::Cargo,
            name,
            version,
            purl,
            cpe: None,
        })
    }
}

/// The top-level `version`, which must be 1 to 4 when present.
fn version(top: &toml::Table, out: &mut Output<'_>) -> Option<i64> {
    match top.get("version")? {
        toml::Value::Integer(v @ 1..=4) => Some(*v),
        other => {
            let shown = match other {
                toml::Value::Integer(v) => v.to_string(),
                _ => other.type_str().to_owned(),
            };
            out.problem(InputProblem {
                field: Some("version".into()),
                ..InputProblem::whole(format!(
                    "Cargo.lock version {shown} is not read: versions 1 to 4 are"
                ))
            });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Result<(Vec<Component>, crate::Summary), Vec<InputProblem>> {
        crate::testing::read_str(crate::Format::CargoLock, text)
    }

    #[test]
    fn packages_are_read_with_purls_for_crates_io_only() {
        let text = "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\n \"serde_derive\",\n]\n\n\
                    [[package]]\nname = \"mine\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"forked\"\nversion = \"2.0.0\"\nsource = \"git+https://example.org/forked#abc\"\n\n\
                    [[package]]\nname = \"sparse\"\nversion = \"1.0.0\"\nsource = \"sparse+https://index.crates.io/\"\n";
        let (got, summary) = read_all(text).unwrap();
        let purls: Vec<_> = got
            .iter()
            .map(|c| (c.name.as_str(), c.purl.as_deref()))
            .collect();
        assert_eq!(
            purls,
            [
                ("serde", Some("pkg:cargo/serde@1.0.200")),
                ("mine", None),
                ("forked", None),
                ("sparse", Some("pkg:cargo/sparse@1.0.0"))
            ]
        );
        assert_eq!(summary.spec_version.as_deref(), Some("3"));
    }

    #[test]
    fn version_one_is_recognised_by_its_metadata() {
        let text = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[metadata]\n\"checksum a 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)\" = \"00\"\n";
        let (got, summary) = read_all(text).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(summary.spec_version.as_deref(), Some("1"));
    }

    #[test]
    fn problems_name_their_lines() {
        let text = "version = 9\n\n[[package]]\nname = \"a\"\n\n[[package]]\nname = \"b\"\nversion = 2\n\n[[package]]\nname = \"c\"\nversion = \"1\nsource = \"x\"\n";
        let problems = read_all(text).unwrap_err();
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.line, p.field.as_deref(), p.message.as_str()))
            .collect();
        assert_eq!(
            got[0],
            (
                None,
                Some("version"),
                "Cargo.lock version 9 is not read: versions 1 to 4 are"
            )
        );
        assert_eq!(got[1], (Some(3), Some("version"), "is missing or empty"));
        assert_eq!(
            got[2],
            (Some(6), Some("version"), "must be a string, not integer")
        );
        assert_eq!(got[3].0, Some(12));
        assert!(got[3].2.starts_with("invalid TOML: "), "{}", got[3].2);
        assert_eq!(got.len(), 4);
    }
}
