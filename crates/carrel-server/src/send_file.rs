//! Streams an immutable file named by its SHA-256 from the blob store ([`crate::blobs`]), with the answer
//! [`carrel_protocol::http_range`] decides: 200, 206, 304 or 416.
//!
//! Files are immutable under their hash; one removed between the length check and the read
//! (a replaced package) answers as missing.
//! Bodies are read in chunks as the client takes them; a file is never loaded whole.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;

use crate::ServerError;
use crate::blobs::{BlobKind, BlobStore};
use carrel_protocol::http_range::{self, Answer};

/// `Cache-Control` of a file that never changes under its URL.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of such a file sent in answer to a signed-in request: a shared cache (a CDN in
/// front of the server) must not keep it for others (RFC 9111 §3.5), the device may.
pub const PRIVATE_IMMUTABLE: &str = "private, max-age=31536000, immutable";

/// The `Cache-Control` of an immutable file for a request with `headers`: public only when the
/// request carries no credentials, so what a CDN keeps is what anyone may download.
pub fn cache_control(headers: &HeaderMap) -> &'static str {
    if headers.contains_key(header::AUTHORIZATION) {
        PRIVATE_IMMUTABLE
    } else {
        IMMUTABLE
    }
}

/// A file to send.
#[derive(Debug, Clone)]
pub struct FileToSend {
    /// What it is, which says where the blob store keeps it.
    pub kind: BlobKind,
    /// Its SHA-256 (lowercase hex): its name in the blob store and its strong ETag.
    pub sha256: String,
    /// Its length as recorded when it was published; a different length in the store is damage.
    pub length: u64,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// A `Content-Disposition`, if any.
    pub disposition: Option<String>,
}

/// Answers `method` + `headers` with `file` from `blobs`. `Ok(None)` if the store lacks it.
pub async fn send_file(
    blobs: &dyn BlobStore,
    method: &Method,
    headers: &HeaderMap,
    file: FileToSend,
) -> Result<Option<Response>, ServerError> {
    let Some(found) = blobs.len(file.kind, &file.sha256).await? else {
        return Ok(None);
    };
    if found != file.length {
        return Err(ServerError::Damaged {
            path: PathBuf::from(file.kind.key(&file.sha256)),
            expected: file.length,
            found,
        });
    }

    let etag = http_range::strong_etag(&file.sha256);
    let answer = http_range::evaluate(method, headers, &etag, file.length);
    let mut response = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, cache_control(headers))
        .header(header::ACCEPT_RANGES, "bytes");
    let (status, start, size) = match answer {
        Answer::NotModified => {
            // A 304 may carry the length a 200 would have (RFC 9110 §8.6); set it so nothing
            // mistakes the empty body for an empty file.
            let response = response
                .status(StatusCode::NOT_MODIFIED)
                .header(header::CONTENT_LENGTH, file.length)
                .body(Body::empty());
            return Ok(Some(built(response)));
        }
        Answer::Unsatisfiable => {
            return Err(ServerError::RangeNotSatisfiable {
                length: file.length,
            });
        }
        Answer::Full => (StatusCode::OK, 0, file.length),
        Answer::Partial(range) => {
            response = response.header(header::CONTENT_RANGE, range.content_range(file.length));
            (StatusCode::PARTIAL_CONTENT, range.start, range.size())
        }
    };
    response = response
        .status(status)
        .header(header::CONTENT_TYPE, file.content_type)
        .header(header::CONTENT_LENGTH, size);
    if let Some(disposition) = &file.disposition {
        response = response.header(header::CONTENT_DISPOSITION, disposition);
    }
    let body = if method == Method::HEAD || size == 0 {
        Body::empty()
    } else {
        match blobs.read(file.kind, &file.sha256, start, size).await? {
            Some(stream) => Body::from_stream(stream),
            // Removed between the two questions: as if it had never been there.
            None => return Ok(None),
        }
    };
    Ok(Some(built(response.body(body))))
}

/// Answers `method` + `headers` with `bytes` held in memory (whose SHA-256 is `sha256`, their
/// strong ETag), as [`send_file`] answers a file: 200, 206, 304 or 416.
pub fn send_bytes(
    method: &Method,
    headers: &HeaderMap,
    bytes: Vec<u8>,
    sha256: &str,
    content_type: &'static str,
    disposition: Option<String>,
) -> Result<Response, ServerError> {
    let length = bytes.len() as u64;
    let etag = http_range::strong_etag(sha256);
    let mut response = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, cache_control(headers))
        .header(header::ACCEPT_RANGES, "bytes");
    let (status, body) = match http_range::evaluate(method, headers, &etag, length) {
        Answer::NotModified => {
            let response = response
                .status(StatusCode::NOT_MODIFIED)
                .header(header::CONTENT_LENGTH, length)
                .body(Body::empty());
            return Ok(built(response));
        }
        Answer::Unsatisfiable => return Err(ServerError::RangeNotSatisfiable { length }),
        Answer::Full => (StatusCode::OK, bytes),
        Answer::Partial(range) => {
            response = response.header(header::CONTENT_RANGE, range.content_range(length));
            let start = usize::try_from(range.start).unwrap_or(usize::MAX);
            let end = usize::try_from(range.start + range.size()).unwrap_or(usize::MAX);
            let part = bytes
                .get(start..end)
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            (StatusCode::PARTIAL_CONTENT, part)
        }
    };
    response = response
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len());
    if let Some(disposition) = &disposition {
        response = response.header(header::CONTENT_DISPOSITION, disposition);
    }
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    };
    Ok(built(response.body(body)))
}

/// Every header above is built from valid values, so the builder cannot fail; should it ever,
/// answer 500 rather than panic.
fn built(result: Result<Response, axum::http::Error>) -> Response {
    result.unwrap_or_else(|error| {
        tracing::error!(%error, "could not build a file response");
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}

/// A `Content-Disposition` suggesting `name` as the saved file's name (ASCII names only; others
/// get none, which is harmless).
pub fn attachment(name: &str) -> Option<String> {
    let safe = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    safe.then(|| format!("attachment; filename=\"{name}\""))
}

/// Answers `method` + `headers` with the uploaded file `sha256` of `data` as `found` it — its
/// length and the name to download it as, when the asker may have it — or `not_found()` when
/// `found` is `None` or its bytes are not on disk.
pub async fn send_found_upload(
    blobs: &dyn BlobStore,
    method: &Method,
    headers: &HeaderMap,
    sha256: &str,
    found: Option<(u64, String)>,
    not_found: impl Fn() -> ServerError,
) -> Result<Response, ServerError> {
    let (length, name) = found.ok_or_else(&not_found)?;
    send_uploaded(blobs, method, headers, sha256, length, &name)
        .await?
        .ok_or_else(not_found)
}

/// Answers `method` + `headers` with the uploaded file `sha256` (`length` bytes) of `data` as a
/// download named `name` (a submission's or a forum post's attachment). `Ok(None)` if its bytes
/// are not on disk.
pub async fn send_uploaded(
    blobs: &dyn BlobStore,
    method: &Method,
    headers: &HeaderMap,
    sha256: &str,
    length: u64,
    name: &str,
) -> Result<Option<Response>, ServerError> {
    let file = FileToSend {
        kind: BlobKind::Attachment,
        sha256: sha256.to_owned(),
        length,
        content_type: "application/octet-stream",
        disposition: attachment(name),
    };
    send_file(blobs, method, headers, file).await
}
