//! Static files compiled into the binary, served with long cache lifetimes. Pages link them
//! with a content hash in the query (`?v=…`), so a new build is fetched at once.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Name, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    (
        "bulwark.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/bulwark.css"),
    ),
    (
        "bulwark.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/bulwark.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../assets/favicon.svg"),
    ),
];

fn find(name: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    FILES.iter().find(|(n, _, _)| *n == name)
}

/// The URL of an asset, versioned by its content.
pub fn url(name: &str) -> String {
    static VERSIONS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let versions = VERSIONS.get_or_init(|| {
        FILES
            .iter()
            .map(|(n, _, body)| (*n, hex::encode(&Sha256::digest(body.as_bytes())[..6])))
            .collect()
    });
    match versions.iter().find(|(n, _)| *n == name) {
        Some((n, v)) => format!("/assets/{n}?v={v}"),
        None => format!("/assets/{name}"),
    }
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let Some((_, content_type, body)) = find(&file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mut res = (*body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    res
}
