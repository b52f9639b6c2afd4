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
}
