//! Form bodies and the errors shown next to their fields.

use axum::extract::{FromRequest, Request};
use bulwark_core::validate::FieldError;

use super::PageError;
use crate::platform::http::error::AppError;

/// A URL-encoded form body as name/value pairs (repeated names kept, for checkboxes).
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of a field, or "" when absent.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The value of a field, None when absent or blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_string()).filter(|v| !v.is_empty())
    }

    /// Whether the form has the field at all (an emptied field counts).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// Every value of a field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map(|f| FormData(f.0))
            .map_err(|e| {
                PageError(AppError::BadRequest(format!(
                    "the form could not be read: {e}"
                )))
            })
    }
}

/// Errors to show on a form: per field, and one for the whole form.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    fields: Vec<FieldError>,
    /// A problem that belongs to no single field.
    pub general: Option<String>,
}

impl Errors {
    /// No errors.
    pub fn none() -> Self {
        Errors::default()
    }

    /// One message for the whole form.
    pub fn general(msg: impl Into<String>) -> Self {
        Errors {
            fields: Vec::new(),
            general: Some(msg.into()),
        }
    }

    /// One field's message.
    pub fn field(name: &str, msg: impl Into<String>) -> Self {
        Errors {
            fields: vec![FieldError::new(name, msg)],
            general: None,
        }
    }

    /// Whether a field has an error.
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.field == name)
    }

    /// A field's message ("" when none).
    pub fn msg(&self, name: &str) -> String {
        self.fields
            .iter()
            .filter(|f| f.field == name)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether there is any error.
    pub fn any(&self) -> bool {
        self.general.is_some() || !self.fields.is_empty()
    }

    /// Every message, for the summary at the top of the form.
    pub fn summary(&self) -> Vec<String> {
        let mut out: Vec<String> = self.general.iter().cloned().collect();
        out.extend(
            self.fields
                .iter()
                .map(|f| format!("{}: {}", label(&f.field), f.message)),
        );
        out
    }

    /// Sorts an application error into form errors; errors no form can show pass through.
    pub fn from_app(e: AppError, fields_on_form: &[&str]) -> Result<Errors, PageError> {
        match e {
            AppError::Invalid(errs) => {
                let (mine, other): (Vec<_>, Vec<_>) = errs
                    .into_iter()
                    .partition(|f| fields_on_form.contains(&f.field.as_str()));
                Ok(Errors {
                    fields: mine,
                    general: (!other.is_empty()).then(|| {
                        other
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    }),
                })
            }
            AppError::Conflict(m) | AppError::Forbidden(m) | AppError::BadRequest(m) => {
                Ok(Errors::general(m))
            }
            other => Err(PageError(other)),
        }
    }
}

fn label(field: &str) -> String {
    let s = field.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

/// Form or query values by name, read in templates with `v("name")` ("" when absent).
#[derive(Debug, Default)]
pub struct Values(pub std::collections::HashMap<String, String>);

impl Values {
    /// The value of a field, "" when absent.
    pub fn v(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    /// Whether a field has this value (for `selected` options).
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.v(name) == value
    }
}

/// A `<select>` option.
#[derive(Debug)]
pub struct Opt {
    pub value: &'static str,
    pub label: &'static str,
}

/// The options of a `<select>` for a set of choices.
pub fn opts(c: bulwark_core::validate::Choices) -> Vec<Opt> {
    c.iter()
        .map(|(value, label)| Opt { value, label })
        .collect()
}
