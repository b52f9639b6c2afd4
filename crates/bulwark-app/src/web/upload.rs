//! File uploads from forms, streamed to the importers' blocking readers.

use std::future::Future;
use std::io::Read;

use axum::body::Bytes;
use axum::extract::multipart::{Field, MultipartError};

use crate::platform::http::error::AppError;

/// An unreadable upload.
pub fn unreadable(e: MultipartError) -> AppError {
    AppError::BadRequest(format!("the upload could not be read: {e}"))
}

/// Hands a multipart file field to `import` as a blocking reader, with the field's file name and
/// first chunk (for format detection; the reader starts with it too). The field borrows the
/// request, so its chunks are pumped to the reader through a channel while `import` runs.
pub async fn stream_field<T, F, Fut>(mut field: Field<'_>, import: F) -> Result<T, AppError>
where
    F: FnOnce(String, Bytes, Box<dyn Read + Send>) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let name = field.file_name().unwrap_or("upload").to_string();
    let head = field.chunk().await.map_err(unreadable)?.unwrap_or_default();
    if head.is_empty() {
        return Err(AppError::field("file", "choose a file to import"));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
    let input = std::io::Read::chain(
        std::io::Cursor::new(head.clone()),
        crate::inventory::api::body_reader(axum::body::Body::from_stream(stream)),
    );
    let pump = async move {
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(b)) => Ok(b),
                Ok(None) => break,
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
    };
    let ((), out) = tokio::join!(pump, import(name, head, Box::new(input)));
    out
}

/// A page handler taking an upload: the body streams to an importer, so the import size limit
/// applies rather than the form one; errors become error pages as with [`super::html`].
pub fn streamed<H, T>(h: H) -> impl axum::handler::Handler<T, crate::app::AppState>
where
    H: axum::handler::Handler<T, crate::app::AppState>,
    T: 'static,
{
    super::html(axum::handler::Handler::layer(
        h,
        axum::extract::DefaultBodyLimit::disable(),
    ))
}
