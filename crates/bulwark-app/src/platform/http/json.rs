//! A JSON body extractor whose refusals are problem documents naming the field and position.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// Like `axum::Json`, but malformed JSON, wrong types and unknown fields become a 400/422
/// problem that says where (JSON path, line and column) instead of plain text.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !(ct.starts_with("application/json") || ct.starts_with("application/merge-patch+json")) {
            return Err(AppError::BadRequest(
                "the body must be JSON with Content-Type: application/json".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::TooLarge
                } else {
                    AppError::BadRequest(format!("the body could not be read: {e}"))
                }
            })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            AppError::BadRequest(format!(
                "the body is not valid UTF-8 (at byte {})",
                e.valid_up_to()
            ))
        })?;
        let de = &mut serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize(de) {
            Ok(v) => Ok(Json(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let at = format!("line {}, column {}", inner.line(), inner.column());
                match inner.classify() {
                    serde_json::error::Category::Data => {
                        let field = if path == "." {
                            "body".to_string()
                        } else {
                            path
                        };
                        Err(AppError::field(
                            &field,
                            format!("{} ({at})", strip_position(&inner.to_string())),
                        ))
                    }
                    _ => Err(AppError::BadRequest(format!("malformed JSON: {}", inner))),
                }
            }
        }
    }
}

fn strip_position(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}
