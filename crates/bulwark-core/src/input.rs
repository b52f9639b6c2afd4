//! Problems found in imported files, located precisely enough for a person to fix them.

use serde::Serialize;

/// One problem in an input file: where it is (line, record, field) and what is wrong.
///
/// Imports collect every problem before refusing, so a user fixes a file in one pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputProblem {
    /// 1-based line in the file, when the format has lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The record's position or key when lines do not say enough (for example `components[12]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The field or column at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

impl InputProblem {
    /// A problem on a line, optionally in a field.
    pub fn at_line(line: u64, field: Option<&str>, message: impl Into<String>) -> Self {
        InputProblem {
            line: Some(line),
            record: None,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A problem in a record named by its position or key, optionally in a field.
    pub fn in_record(
        record: impl Into<String>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        InputProblem {
            line: None,
            record: Some(record.into()),
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// A problem with the file as a whole.
    pub fn whole(message: impl Into<String>) -> Self {
        InputProblem {
            line: None,
            record: None,
            field: None,
            message: message.into(),
        }
    }
}

/// At most this many problems are returned; the last one then says how many more there were.
pub const MAX_PROBLEMS: usize = 1000;

/// Problems collected over a whole input, capped at [`MAX_PROBLEMS`]: beyond the cap they are
/// only counted, and the list ends with "… and N more problems".
#[derive(Debug, Default)]
pub struct Problems {
    list: Vec<InputProblem>,
    more: u64,
}

impl Problems {
    /// Records a problem (counted only, once the list is full).
    pub fn push(&mut self, p: InputProblem) {
        if self.list.len() < MAX_PROBLEMS - 1 {
            self.list.push(p);
        } else {
            self.more += 1;
        }
    }

    /// No problem so far.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// How many problems were found, kept or only counted.
    pub fn count(&self) -> u64 {
        self.list.len() as u64 + self.more
    }

    /// Every kept problem, the last one counting those left out.
    pub fn into_vec(mut self) -> Vec<InputProblem> {
        if self.more > 0 {
            let s = if self.more == 1 { "" } else { "s" };
            self.list.push(InputProblem::whole(format!(
                "… and {} more problem{s}",
                self.more
            )));
        }
        self.list
    }

    /// `ok` when nothing was wrong, else every problem.
    pub fn finish<T>(self, ok: T) -> Result<T, Vec<InputProblem>> {
        if self.is_empty() {
            Ok(ok)
        } else {
            Err(self.into_vec())
        }
    }
}

impl std::fmt::Display for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut wrote = false;
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            wrote = true;
        }
        if let Some(record) = &self.record {
            write!(f, "{}{record}", if wrote { ", " } else { "" })?;
            wrote = true;
        }
        if let Some(field) = &self.field {
            write!(f, "{}field `{field}`", if wrote { ", " } else { "" })?;
            wrote = true;
        }
        if wrote {
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_known_place() {
        assert_eq!(
            InputProblem::at_line(12, Some("email"), "must be an email address").to_string(),
            "line 12, field `email`: must be an email address"
        );
        assert_eq!(
            InputProblem::in_record("components[3]", Some("version"), "is missing").to_string(),
            "components[3], field `version`: is missing"
        );
        assert_eq!(InputProblem::whole("is empty").to_string(), "is empty");
    }

    #[test]
    fn problems_are_capped_with_a_count_of_the_rest() {
        let mut p = Problems::default();
        assert_eq!(p.count(), 0);
        for i in 0..1500 {
            p.push(InputProblem::at_line(i, None, "bad"));
        }
        assert_eq!(p.count(), 1500);
        let list = p.finish(()).unwrap_err();
        assert_eq!(list.len(), MAX_PROBLEMS);
        assert_eq!(list[MAX_PROBLEMS - 1].message, "… and 501 more problems");
        assert_eq!(Problems::default().finish(7), Ok(7));
    }
}
