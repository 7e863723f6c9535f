//! Streams an immutable file named by its SHA-256 from disk, with the answer
//! [`carrel_protocol::http_range`] decides: 200, 206, 304 or 416.
//!
//! The file is opened before anything is decided, so a publish that replaces or removes it
//! meanwhile cannot change what this response sends (on Unix the open handle keeps the old bytes).
//! Bodies are read in chunks as the client takes them; a file is never loaded whole.

use std::io::SeekFrom;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::ServerError;
use carrel_protocol::http_range::{self, Answer};

/// `Cache-Control` of a file that never changes under its URL.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Bytes read from disk per chunk of the body.
const CHUNK: usize = 64 * 1024;

/// A file to send.
#[derive(Debug, Clone)]
pub struct FileToSend {
    /// Where it is.
    pub path: PathBuf,
    /// Its SHA-256 (lowercase hex): its strong ETag.
    pub sha256: String,
    /// Its length as recorded when it was published; a different length on disk is damage.
    pub length: u64,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// A `Content-Disposition`, if any.
    pub disposition: Option<String>,
}

/// Answers `method` + `headers` with `file`. `Ok(None)` if the file is not on disk.
pub async fn send_file(
    method: &Method,
    headers: &HeaderMap,
    file: FileToSend,
) -> Result<Option<Response>, ServerError> {
    let io_error = |operation: &'static str| {
        let path = file.path.clone();
        move |source| ServerError::File {
            operation,
            path,
            source,
        }
    };
    let mut handle = match tokio::fs::File::open(&file.path).await {
        Ok(handle) => handle,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error("open")(error)),
    };
    let found = handle.metadata().await.map_err(io_error("inspect"))?.len();
    if found != file.length {
        return Err(ServerError::Damaged {
            path: file.path,
            expected: file.length,
            found,
        });
    }

    let etag = http_range::strong_etag(&file.sha256);
    let answer = http_range::evaluate(method, headers, &etag, file.length);
    let mut response = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, IMMUTABLE)
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
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        if start > 0 {
            handle
                .seek(SeekFrom::Start(start))
                .await
                .map_err(io_error("seek in"))?;
        }
        Body::from_stream(ReaderStream::with_capacity(handle.take(size), CHUNK))
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
        .header(header::CACHE_CONTROL, IMMUTABLE)
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
    data: &crate::DataDir,
    method: &Method,
    headers: &HeaderMap,
    sha256: &str,
    found: Option<(u64, String)>,
    not_found: impl Fn() -> ServerError,
) -> Result<Response, ServerError> {
    let (length, name) = found.ok_or_else(&not_found)?;
    send_uploaded(data, method, headers, sha256, length, &name)
        .await?
        .ok_or_else(not_found)
}

/// Answers `method` + `headers` with the uploaded file `sha256` (`length` bytes) of `data` as a
/// download named `name` (a submission's or a forum post's attachment). `Ok(None)` if its bytes
/// are not on disk.
pub async fn send_uploaded(
    data: &crate::DataDir,
    method: &Method,
    headers: &HeaderMap,
    sha256: &str,
    length: u64,
    name: &str,
) -> Result<Option<Response>, ServerError> {
    let file = FileToSend {
        path: crate::uploads::blob_path(data, sha256),
        sha256: sha256.to_owned(),
        length,
        content_type: "application/octet-stream",
        disposition: attachment(name),
    };
    send_file(method, headers, file).await
}
