//! Debian's dpkg status file (`/var/lib/dpkg/status`): paragraphs of `Field: value` lines
//! separated by blank lines, continuation lines starting with a space or tab.
//!
//! Only packages whose `Status` (`want flag status`) ends in the status word `installed` are
//! taken (`half-installed`, `config-files` and the like are skipped); each needs `Package`,
//! `Version` and `Architecture`. The purl is `pkg:deb/debian/<name>@<version>?arch=<arch>`:
//! the status file does not say which Debian derivative it comes from.

use std::io::BufRead;
use std::ops::ControlFlow;

use bulwark_core::InputProblem;

use crate::lines::Lines;
use crate::output::{About, Output};
use crate::{Component, Ecosystem, purl};

/// Reads a dpkg status file.
pub(crate) fn read(input: impl BufRead, out: &mut Output<'_>) -> About {
    let mut lines = Lines::new(input);
    let mut paragraph = Paragraph::default();
    while let Some((number, text)) = lines.next_text(out) {
        if text.trim().is_empty() {
            if paragraph.finish(out).is_break() {
                return About::default();
            }
            continue;
        }
        if text.starts_with([' ', '\t']) {
            if paragraph.start == 0 {
                out.problem(InputProblem::at_line(
                    number,
                    None,
                    "a continuation line (starting with a space) must follow a field",
                ));
            }
            continue;
        }
        if paragraph.start == 0 {
            paragraph.start = number;
        }
        match text.split_once(':') {
            Some((field, value)) if !field.is_empty() && !field.contains(char::is_whitespace) => {
                paragraph.set(field, value.trim(), number);
            }
            _ => out.problem(InputProblem::at_line(
                number,
                None,
                "is not a `Field: value` line",
            )),
        }
    }
    let _ = paragraph.finish(out);
    About::default()
}

/// The fields of one paragraph that are used, with the line each was on.
#[derive(Default)]
struct Paragraph {
    /// The paragraph's first line; 0 between paragraphs.
    start: u64,
    package: Option<(String, u64)>,
    status: Option<(String, u64)>,
    version: Option<(String, u64)>,
    architecture: Option<(String, u64)>,
}

impl Paragraph {
    fn set(&mut self, field: &str, value: &str, line: u64) {
        let slot = if field.eq_ignore_ascii_case("Package") {
            &mut self.package
        } else if field.eq_ignore_ascii_case("Status") {
            &mut self.status
        } else if field.eq_ignore_ascii_case("Version") {
            &mut self.version
        } else if field.eq_ignore_ascii_case("Architecture") {
            &mut self.architecture
        } else {
            return;
        };
        *slot = Some((value.to_owned(), line));
    }

    /// Delivers the paragraph's package if it is installed, and starts a new paragraph.
    fn finish(&mut self, out: &mut Output<'_>) -> ControlFlow<()> {
        let p = std::mem::take(self);
        if p.start == 0 {
            return ControlFlow::Continue(());
        }
        match p.component(out) {
            Some(c) => out.deliver(c),
            None => ControlFlow::Continue(()),
        }
    }

    fn component(self, out: &mut Output<'_>) -> Option<Component> {
        let missing = |field: &str| {
            InputProblem::at_line(
                self.start,
                Some(field),
                format!("the paragraph has no `{field}` field"),
            )
        };
        let Some((name, _)) = self.package.as_ref().filter(|(n, _)| !n.is_empty()) else {
            out.problem(missing("Package"));
            return None;
        };
        let Some((status, status_line)) = &self.status else {
            out.problem(missing("Status"));
            return None;
        };
        let words: Vec<&str> = status.split_whitespace().collect();
        if words.len() != 3 {
            out.problem(InputProblem::at_line(
                *status_line,
                Some("Status"),
                format!("must be three words (want, flag, status), not `{status}`"),
            ));
            return None;
        }
        if words[2] != "installed" {
            out.skip();
            return None;
        }
        let version = self.version.as_ref().filter(|(v, _)| !v.is_empty());
        let arch = self.architecture.as_ref().filter(|(a, _)| !a.is_empty());
        if version.is_none() {
            out.problem(missing("Version"));
        }
        if arch.is_none() {
            out.problem(missing("Architecture"));
        }
        let ((version, line), (arch, _)) = (version?, arch?);
        let name = Ecosystem::Deb.normalise_name(name);
        let qualifiers = [("arch", arch.as_str())];
        match purl::derive(Ecosystem::Deb, &name, version, Some("debian"), &qualifiers) {
            Ok(purl) => Some(Component {
                ecosystem: Ecosystem::Deb,
                name,
                version: version.clone(),
                purl,
                cpe: None,
            }),
            Err(e) => {
                out.problem(InputProblem::at_line(*line, Some("Version"), e));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Result<(Vec<Component>, crate::Summary), Vec<InputProblem>> {
        crate::testing::read_str(crate::Format::Dpkg, text)
    }

    #[test]
    fn installed_packages_are_taken() {
        let text = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u4\nDescription: GNU C Library\n lines\n .\n more\n\n\
                    Package: old\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: all\n\n\n\
                    Package: Half\nStatus: install reinstreq half-installed\nVersion: 1\n";
        let (got, summary) = read_all(text).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "libc6");
        assert_eq!(
            got[0].purl.as_deref(),
            Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64")
        );
        assert_eq!((summary.components, summary.skipped), (1, 2));
    }

    #[test]
    fn every_problem_is_located() {
        let text = " stray continuation\nPackage: a\nStatus: install ok installed\n\nPackage: b\nStatus: installed\nVersion: 1\n\n\
                    Status: install ok installed\nno colon here\n\nPackage: c\nStatus: install ok installed\n";
        let problems = read_all(text).unwrap_err();
        let got: Vec<_> = problems
            .iter()
            .map(|p| (p.line, p.field.as_deref(), p.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some(1),
                    None,
                    "a continuation line (starting with a space) must follow a field"
                ),
                (
                    Some(2),
                    Some("Version"),
                    "the paragraph has no `Version` field"
                ),
                (
                    Some(2),
                    Some("Architecture"),
                    "the paragraph has no `Architecture` field"
                ),
                (
                    Some(6),
                    Some("Status"),
                    "must be three words (want, flag, status), not `installed`"
                ),
                (Some(10), None, "is not a `Field: value` line"),
                (
                    Some(9),
                    Some("Package"),
                    "the paragraph has no `Package` field"
                ),
                (
                    Some(12),
                    Some("Version"),
                    "the paragraph has no `Version` field"
                ),
                (
                    Some(12),
                    Some("Architecture"),
                    "the paragraph has no `Architecture` field"
                ),
            ]
        );
    }
}
