//! Serving a course's files to the content view: the HTTP semantics of the `carrel-content`
//! scheme, independent of Tauri so they are tested and benchmarked directly.
//!
//! A path is looked up in the content store's index (never joined onto a folder), answered with
//! the media type from the signed manifest and `nosniff`, a strong ETag (the SHA-256), `Range`
//! support for seeking, and a strict Content-Security-Policy. Partial answers are capped at
//! [`MAX_SLICE`] bytes so memory per response stays bounded however large a video is; media
//! elements ask again for the rest.

#[cfg(not(unix))]
use std::io::{Read, Seek, SeekFrom};

use carrel_protocol::http_range::{self, Answer};
use http::{HeaderMap, Method, Response, StatusCode, header};

use super::Library;

/// The policy every content response carries: the course's own files only, no inline script or
/// eval, no network, no forms, no framing by others, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; \
     font-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// The most bytes one partial response carries.
pub const MAX_SLICE: u64 = 8 * 1024 * 1024;

/// The policy of every page of a course with SCORM or cmi5 items (its publisher signed it so), which
/// the standards' authoring tools write with inline scripts and handlers (and some with `eval`):
/// script is allowed inline, everything else stays as [`CONTENT_SECURITY_POLICY`] — the course's
/// own files only, no network. Script
/// never gained anything from the content window but the page itself: that window reaches no
/// Carrel command whatever runs in it (see the app's `ipc_guard`).
pub const INTERACTIVE_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; \
     connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'self'";

/// Answers a request for `path` of `course_id` with [`CONTENT_SECURITY_POLICY`].
pub fn serve(
    library: &Library,
    course_id: &str,
    path: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Response<Vec<u8>> {
    serve_with_policy(
        library,
        course_id,
        path,
        method,
        headers,
        CONTENT_SECURITY_POLICY,
    )
}

/// Answers a request for `path` of `course_id` with the Content-Security-Policy `policy`.
pub fn serve_with_policy(
    library: &Library,
    course_id: &str,
    path: &str,
    method: &Method,
    headers: &HeaderMap,
    policy: &'static str,
) -> Response<Vec<u8>> {
    let file = match library.file(course_id, path) {
        Ok(Some(file)) => file,
        Ok(None) => return status(StatusCode::NOT_FOUND),
        Err(error) => {
            tracing::error!(%error, "content lookup failed");
            return status(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let etag = http_range::strong_etag(&file.sha256);
    let answer = http_range::evaluate(method, headers, &etag, file.size);
    let builder = Response::builder()
        .header(header::CONTENT_SECURITY_POLICY, policy)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::CONTENT_TYPE, &file.media_type)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, "no-cache");
    let (builder, start, length) = match answer {
        Answer::NotModified => return finish(builder.status(StatusCode::NOT_MODIFIED), Vec::new()),
        Answer::Unsatisfiable => {
            return finish(
                builder.status(StatusCode::RANGE_NOT_SATISFIABLE).header(
                    header::CONTENT_RANGE,
                    http_range::unsatisfied_content_range(file.size),
                ),
                Vec::new(),
            );
        }
        Answer::Full => (builder.status(StatusCode::OK), 0, file.size),
        Answer::Partial(mut range) => {
            range.end = range.end.min(range.start + MAX_SLICE - 1);
            (
                builder
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header(header::CONTENT_RANGE, range.content_range(file.size)),
                range.start,
                range.size(),
            )
        }
    };
    let builder = builder.header(header::CONTENT_LENGTH, length);
    if method == Method::HEAD {
        return finish(builder, Vec::new());
    }
    match read_slice(&file.path, start, length) {
        Ok(body) => finish(builder, body),
        Err(error) => {
            tracing::error!(%error, path = %file.path.display(), "content read failed");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

fn read_slice(path: &std::path::Path, start: u64, length: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    // Zeroed allocations this large come straight from the kernel already zero, and one
    // positioned read of the exact size needs no seek and no end-of-file probe.
    let mut body = vec![0u8; length as usize];
    #[cfg(unix)]
    std::os::unix::fs::FileExt::read_exact_at(&file, &mut body, start)?;
    #[cfg(not(unix))]
    {
        let mut file = file;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut body)?;
    }
    Ok(body)
}

fn finish(builder: http::response::Builder, body: Vec<u8>) -> Response<Vec<u8>> {
    builder
        .body(body)
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// An empty response with `code`.
pub fn status(code: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = code;
    response
}

/// Percent-encodes each `/`-separated segment of `path` (everything but RFC 3986 unreserved
/// characters), keeping the separators.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(carrel_protocol::catalog::encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// Decodes `%XX` in each segment of `path`; `None` for bad escapes, non-UTF-8, or an encoded
/// `/` or `\` (one segment must never name two).
pub fn decode_path(path: &str) -> Option<String> {
    path.split('/')
        .map(|segment| {
            let bytes = segment.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' {
                    let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            if out.contains(&b'/') || out.contains(&b'\\') {
                return None;
            }
            String::from_utf8(out).ok()
        })
        .collect::<Option<Vec<_>>>()
        .map(|segments| segments.join("/"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// A content-scheme path decodes to as many segments as it has, none with a separator in
        /// it, so an escape can never make one segment into two (or into `a\\b` for Windows).
        /// The decoded path is then only looked up in the store's index, never joined to a folder.
        #[test]
        fn a_decoded_path_keeps_its_segments(raw in prop_oneof![
            any::<String>(),
            r"([a-z.]{0,3}|%2[fF]|%5[cC]|%2[eE]|%[0-9a-fA-F]{2}|%|/|\\\\){0,12}",
        ]) {
            if let Some(decoded) = decode_path(&raw) {
                prop_assert_eq!(decoded.split('/').count(), raw.split('/').count());
                prop_assert!(!decoded.contains('\\'), "{:?} decoded to {:?}", raw, decoded);
            }
        }

        /// Every path, however odd, survives encoding and decoding unchanged.
        #[test]
        fn any_path_round_trips(path in any::<String>()) {
            prop_assume!(!path.contains('\\'));
            prop_assert_eq!(decode_path(&encode_path(&path)), Some(path));
        }
    }

    #[test]
    fn paths_round_trip_and_encoded_separators_are_refused() {
        let path = "pages/a b é%.html";
        assert_eq!(decode_path(&encode_path(path)).as_deref(), Some(path));
        assert_eq!(decode_path("pages%2F..%2Fx"), None);
        assert_eq!(decode_path("pages%5Cx"), None);
        assert_eq!(decode_path("bad%zz"), None);
        assert_eq!(
            decode_path("../x").as_deref(),
            Some("../x"),
            "decoded, then unknown to the index"
        );
    }
}
