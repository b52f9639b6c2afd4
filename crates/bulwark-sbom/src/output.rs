//! Where a reader's results go: components to the caller's sink, problems to a capped list,
//! and the counts that make the summary.

use std::ops::ControlFlow;

use bulwark_core::{InputProblem, Problems};

use crate::{Component, Format};

/// What a read file held, once it is read without problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The format read.
    pub format: Format,
    /// The format's version as the file states it (`1.6`, `2.3`, lockfile `3`), when it has one.
    pub spec_version: Option<String>,
    /// Components delivered. A file may list the same ecosystem, name and version more than
    /// once (npm's nested `node_modules`, a test jar beside its jar): each is delivered, and the
    /// caller drops the repeats (so that memory never grows with the file).
    pub components: u64,
    /// Records read but deliberately not delivered: packages not installed, npm links and the
    /// root project, an SPDX document's subject when it is not software, non-software
    /// CycloneDX components.
    pub skipped: u64,
    /// What the document describes (CycloneDX `metadata.component`, the packages an SPDX
    /// document describes, the npm root project), as `name@version`.
    pub subject: Option<String>,
}

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The file has problems, every one listed (at most 1,000, the last counting the rest).
    #[error("the file has {} problem(s), the first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<InputProblem>),
    /// The sink asked to stop.
    #[error("reading was stopped by the receiver")]
    Stopped,
}

/// What a format reader learnt about the document as a whole.
#[derive(Debug, Default)]
pub(crate) struct About {
    pub spec_version: Option<String>,
    pub subject: Option<String>,
}

/// Collects a reader's output: see the module documentation.
pub(crate) struct Output<'s> {
    sink: &'s mut dyn FnMut(Component) -> ControlFlow<()>,
    problems: Problems,
    components: u64,
    skipped: u64,
    stopped: bool,
}

impl<'s> Output<'s> {
    /// Output to `sink`.
    pub(crate) fn new(sink: &'s mut dyn FnMut(Component) -> ControlFlow<()>) -> Self {
        Output {
            sink,
            problems: Problems::default(),
            components: 0,
            skipped: 0,
            stopped: false,
        }
    }

    /// Delivers a component. Once the file is known to have problems, components are only
    /// counted: the caller would discard them anyway.
    pub(crate) fn deliver(&mut self, c: Component) -> ControlFlow<()> {
        self.components += 1;
        if self.problems.is_empty() && (self.sink)(c).is_break() {
            self.stopped = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// Counts a record deliberately left out.
    pub(crate) fn skip(&mut self) {
        self.skipped += 1;
    }

    /// Records a problem (only counted once the list is full).
    pub(crate) fn problem(&mut self, p: InputProblem) {
        self.problems.push(p);
    }

    /// How many problems were found so far.
    pub(crate) fn problem_count(&self) -> u64 {
        self.problems.count()
    }

    /// Whether the sink asked to stop.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    /// The summary, or every problem found, or `Stopped`.
    pub(crate) fn finish(self, format: Format, about: About) -> Result<Summary, ReadError> {
        if self.stopped {
            return Err(ReadError::Stopped);
        }
        if !self.problems.is_empty() {
            return Err(ReadError::Invalid(self.problems.into_vec()));
        }
        Ok(Summary {
            format,
            spec_version: about.spec_version,
            components: self.components,
            skipped: self.skipped,
            subject: about.subject,
        })
    }
}

#[cfg(test)]
mod tests {
    use bulwark_core::input::MAX_PROBLEMS;

    use crate::Ecosystem;

    use super::*;

    fn c(name: &str, version: &str) -> Component {
        Component {
            ecosystem: Ecosystem::Cargo,
            name: name.into(),
            version: version.into(),
            purl: None,
            cpe: None,
        }
    }

    #[test]
    fn repeats_are_delivered_and_counted() {
        let mut got = Vec::new();
        let mut sink = |c: Component| {
            got.push(c.version);
            ControlFlow::Continue(())
        };
        let mut out = Output::new(&mut sink);
        let _ = out.deliver(c("a", "1"));
        let _ = out.deliver(c("a", "1"));
        let _ = out.deliver(c("a", "2"));
        out.skip();
        let s = out.finish(Format::CargoLock, About::default()).unwrap();
        assert_eq!((s.components, s.skipped), (3, 1));
        assert_eq!(got, ["1", "1", "2"]);
    }

    #[test]
    fn problems_are_capped_with_a_count_of_the_rest() {
        let mut sink = |_| ControlFlow::Continue(());
        let mut out = Output::new(&mut sink);
        for i in 0..1500 {
            out.problem(InputProblem::at_line(i, None, "bad"));
        }
        let Err(ReadError::Invalid(list)) = out.finish(Format::Pip, About::default()) else {
            panic!("expected problems");
        };
        assert_eq!(list.len(), MAX_PROBLEMS);
        assert_eq!(list[MAX_PROBLEMS - 1].message, "… and 501 more problems");
    }

    #[test]
    fn nothing_reaches_the_sink_after_a_problem_or_a_stop() {
        let mut n = 0;
        let mut sink = |_| {
            n += 1;
            if n == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let mut out = Output::new(&mut sink);
        assert!(out.deliver(c("a", "1")).is_continue());
        assert!(out.deliver(c("b", "1")).is_break());
        assert!(out.stopped());
        assert_eq!(
            out.finish(Format::Csv, About::default()),
            Err(ReadError::Stopped)
        );

        let mut m = 0;
        let mut sink = |_| {
            m += 1;
            ControlFlow::Continue(())
        };
        let mut out = Output::new(&mut sink);
        out.problem(InputProblem::whole("bad"));
        let _ = out.deliver(c("a", "1"));
        assert!(out.finish(Format::Csv, About::default()).is_err());
        assert_eq!(m, 0);
    }
}
