//! The one error type of the HTTP layer, answered as RFC 9457 `application/problem+json`.
//!
//! Handlers return `Result<_, AppError>`. Validation errors name every offending field.
//! Internal errors are logged with their cause and answered without it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bulwark_core::validate::FieldError;
use serde::Serialize;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input was understood but some fields are wrong.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// An imported file was refused: every problem, located; nothing was changed.
    #[error("the file was refused and nothing was changed")]
    Rejected(Vec<bulwark_core::InputProblem>),
    /// The body is larger than this server accepts.
    #[error("the body is larger than this server accepts")]
    TooLarge,
    /// The request could not be read (malformed JSON, wrong content type…).
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials.
    #[error("sign-in required")]
    Unauthenticated,
    /// Signed in but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such record (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The path exists but not with this method.
    #[error("this address does not accept that method")]
    MethodNotAllowed,
    /// Clashes with existing data.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; retry after some seconds.
    #[error("{message}")]
    TooMany {
        message: String,
        retry_after_secs: i64,
    },
    /// Something broke on our side.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) | AppError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, safe explanation for people.
    pub fn detail(&self) -> String {
        match self {
            AppError::Invalid(errs) => errs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            AppError::Rejected(p) => format!(
                "the file was refused and nothing was changed: {} problem{} ({}{})",
                p.len(),
                if p.len() == 1 { "" } else { "s" },
                p.first().map(ToString::to_string).unwrap_or_default(),
                if p.len() > 1 { "; see problems" } else { "" }
            ),
            AppError::Internal(_) => {
                "something went wrong on the server; the error was logged".into()
            }
            other => other.to_string(),
        }
    }
}

impl From<bulwark_core::validate::FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::platform::db::is_unique_violation(&e) {
            return AppError::Conflict("a record with the same unique value already exists".into());
        }
        AppError::Internal(e.into())
    }
}

/// The problem document (RFC 9457) with Bulwark's `errors` extension.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// For invalid input: every offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
    /// For a refused file: every problem with its line, record and field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<bulwark_core::InputProblem>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let slug = match &self {
            AppError::Invalid(_) => "invalid-input",
            AppError::Rejected(_) => "file-refused",
            AppError::BadRequest(_) => "bad-request",
            AppError::TooLarge => "too-large",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not-found",
            AppError::MethodNotAllowed => "method-not-allowed",
            AppError::Conflict(_) => "conflict",
            AppError::TooMany { .. } => "too-many-requests",
            AppError::Internal(_) => "internal",
        };
        let problem = Problem {
            kind: format!("https://bulwark.invalid/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                AppError::Invalid(ref e) => e.clone(),
                _ => Vec::new(),
            },
            problems: match self {
                AppError::Rejected(ref p) => p.clone(),
                _ => Vec::new(),
            },
        };
        let mut res = (status, axum::Json(problem)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let AppError::TooMany {
            retry_after_secs, ..
        } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The result type of handlers.
pub type AppResult<T> = Result<T, AppError>;
