//! Values checked once at the edge: emails, display names, passwords, token names.

use serde::Serialize;

/// A field that failed validation: which one and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's name as the client sent it (a JSON pointer-like path for nested fields).
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl FieldError {
    /// A new field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl Email {
    /// Checks the shape `local@domain.tld` without spaces, up to 254 characters.
    pub fn parse(field: &str, s: &str) -> Result<Email, FieldError> {
        let s = s.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(s.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !d.contains('@'));
        if ok {
            Ok(Email(s))
        } else {
            Err(FieldError::new(
                field,
                "must be an email address such as name@example.org",
            ))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short single-line human text (names, labels): 1 to `max` characters, no control characters.
pub fn label(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(t.to_string())
}

/// Checks free text (a description, a justification): trimmed, at most `max` characters; line
/// breaks are allowed, and it may be empty.
pub fn free_text(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let s = s.trim();
    if s.chars().count() > max {
        Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(s.to_string())
    }
}

/// A closed set of values stored as text: `(value, label)` pairs.
pub type Choices = &'static [(&'static str, &'static str)];

/// The label of a stored value (`unknown` when it is not one of the choices).
pub fn label_of(choices: Choices, value: &str) -> &'static str {
    choices
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| *l)
        .unwrap_or("unknown")
}

/// Checks that `value` is one of `choices`.
pub fn one_of(field: &str, value: &str, choices: Choices) -> Result<&'static str, FieldError> {
    choices
        .iter()
        .find(|(v, _)| *v == value.trim())
        .map(|(v, _)| *v)
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!(
                    "must be one of {}",
                    choices
                        .iter()
                        .map(|(v, _)| *v)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// Minimum password length. Length beats composition rules (NIST SP 800-63B).
pub const PASSWORD_MIN: usize = 12;
/// Maximum password length, to bound hashing work.
pub const PASSWORD_MAX: usize = 256;

/// Checks a new password: 12 to 256 characters, not only one repeated character, not the email.
pub fn new_password(field: &str, password: &str, email: Option<&str>) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(FieldError::new(
            field,
            format!("must be at least {PASSWORD_MIN} characters"),
        ));
    }
    if n > PASSWORD_MAX {
        return Err(FieldError::new(
            field,
            format!("must be at most {PASSWORD_MAX} characters"),
        ));
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err(FieldError::new(field, "must not be one character repeated"));
    }
    if email.is_some_and(|e| password.eq_ignore_ascii_case(e)) {
        return Err(FieldError::new(field, "must not be your email address"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("email", " Alice@Example.ORG ")
                .unwrap()
                .as_str(),
            "alice@example.org"
        );
        for bad in [
            "",
            "alice",
            "alice@",
            "@x.org",
            "a b@x.org",
            "a@x",
            "a@.x.org",
            "a@x.org.",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(new_password("p", "short", None).is_err());
        assert!(new_password("p", "aaaaaaaaaaaaaaa", None).is_err());
        assert!(new_password("p", "bob@example.org", Some("bob@example.org")).is_err());
        assert!(new_password("p", "correct horse battery", None).is_ok());
    }

    #[test]
    fn labels() {
        assert_eq!(label("name", "  Ada  ", 10).unwrap(), "Ada");
        assert!(label("name", "", 10).is_err());
        assert!(label("name", "a\u{0}b", 10).is_err());
        assert!(label("name", "abcdefghijk", 10).is_err());
    }
}
