//! Course content: the `carrel-content` scheme and the isolated window that shows it.
//!
//! Course files are untrusted HTML, PDF and media. They reach a webview only through this scheme,
//! which looks every path up in the content store's index (never joining it onto a folder, so `..`,
//! encoded separators or symlinks lead nowhere), serves only the course the content window is
//! showing, sends the media type recorded in the signed manifest with `nosniff`, supports `Range`
//! (video seeking) and sends a strict Content-Security-Policy header — the CSP in
//! `tauri.conf.json` does not reach custom-scheme pages, a header from the handler does.
//!
//! The HTTP semantics (Range, ETag, CSP, media types) are `carrel_core::library::content`'s; this
//! module adds who may ask: only the content window, only for the course it shows.
//!
//! The content window's webview is labelled [`CONTENT_LABEL`], which no capability file names, so
//! any IPC call it makes is refused before reaching a command. It may navigate only within the
//! scheme; new windows are refused.

use carrel_core::library::content::{self, status};
use tauri::http::{Request, Response, StatusCode};
use tauri::{AppHandle, Manager, Runtime, UriSchemeContext, UriSchemeResponder, WebviewUrl};

use crate::state::AppState;

/// The custom scheme course content is served on.
pub const SCHEME: &str = "carrel-content";
/// The label of the content window's webview. No capability grants it anything.
pub const CONTENT_LABEL: &str = "content";

/// The base of content URLs on this platform (Windows and Android serve custom schemes over http).
pub fn base_url() -> &'static str {
    if cfg!(any(windows, target_os = "android")) {
        "http://carrel-content.localhost/"
    } else {
        "carrel-content://localhost/"
    }
}

/// The URL of `path` inside `course_id`.
pub fn url_of(course_id: &str, path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
    format!(
        "{}{}/{}",
        base_url(),
        encode_segment(course_id),
        encoded.join("/")
    )
}

fn encode_segment(text: &str) -> String {
    use std::fmt::Write;
    text.bytes().fold(String::new(), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

/// Splits a request path `/<course>/<path…>` into its decoded parts.
fn parse_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix('/')?;
    let (course, file) = rest.split_once('/')?;
    let course = percent_decode(course)?;
    let file = file
        .split('/')
        .map(percent_decode)
        .collect::<Option<Vec<_>>>()?
        .join("/");
    Some((course, file))
}

fn percent_decode(segment: &str) -> Option<String> {
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
    // An encoded separator would let one segment name two; refuse it.
    if out.contains(&b'/') || out.contains(&b'\\') {
        return None;
    }
    String::from_utf8(out).ok()
}

/// Handles one request of the content scheme.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    let label = ctx.webview_label().to_owned();
    // File reads happen off the webview's thread.
    tauri::async_runtime::spawn_blocking(move || {
        responder.respond(respond(&app, &label, &request));
    });
}

fn respond<R: Runtime>(
    app: &AppHandle<R>,
    label: &str,
    request: &Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    let Some(state) = app.try_state::<AppState>() else {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    };
    // Only the content window reads course files, and only those of the course it shows.
    if label != CONTENT_LABEL {
        tracing::warn!(label, "content request from another webview refused");
        return status(StatusCode::FORBIDDEN);
    }
    let Some((course, path)) = parse_path(request.uri().path()) else {
        return status(StatusCode::NOT_FOUND);
    };
    if state.content_course().as_deref() != Some(course.as_str()) {
        return status(StatusCode::FORBIDDEN);
    }
    let mut response = content::serve(
        &state.library(),
        &course,
        &path,
        request.method(),
        request.headers(),
    );
    response.headers_mut().insert(
        "Cross-Origin-Opener-Policy",
        tauri::http::HeaderValue::from_static("same-origin"),
    );
    response
}

/// Shows `path` of `course_id` in the content window, creating it on first use.
pub fn open<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    path: &str,
    title: &str,
) -> tauri::Result<()> {
    state.set_content_course(Some(course_id.to_owned()));
    let url = url_of(course_id, path);
    let parsed: tauri::Url = url
        .parse()
        .map_err(|_| tauri::Error::InvalidWebviewUrl("content"))?;
    if let Some(window) = app.get_webview_window(CONTENT_LABEL) {
        window.navigate(parsed)?;
        window.set_title(title)?;
        window.show()?;
        window.set_focus()?;
        return Ok(());
    }
    let allowed = base_url().to_owned();
    tauri::WebviewWindowBuilder::new(app, CONTENT_LABEL, WebviewUrl::CustomProtocol(parsed))
        .title(title)
        .inner_size(1000.0, 760.0)
        .min_inner_size(480.0, 360.0)
        .on_navigation(move |url| {
            let inside = url.as_str().starts_with(&allowed);
            if !inside {
                tracing::info!(%url, "course content tried to leave the course; blocked");
            }
            inside
        })
        .on_new_window(|url, _| {
            tracing::info!(%url, "course content tried to open a window; blocked");
            tauri::webview::NewWindowResponse::Deny
        })
        .build()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_decode_per_segment_and_refuse_encoded_separators() {
        assert_eq!(
            parse_path("/demo/pages/a%20b.html"),
            Some(("demo".into(), "pages/a b.html".into()))
        );
        assert_eq!(parse_path("/demo/pages%2F..%2Fx"), None);
        assert_eq!(parse_path("/demo/pages%5Cx"), None);
        assert_eq!(parse_path("/demo"), None);
        // `..` decodes to a name the index simply does not have.
        assert_eq!(
            parse_path("/demo/../other/x"),
            Some(("demo".into(), "../other/x".into()))
        );
    }

    #[test]
    fn urls_round_trip_through_the_parser() {
        let url = url_of("demo", "pages/a b é.html");
        let path = url.strip_prefix(base_url()).map(|rest| format!("/{rest}"));
        assert_eq!(
            parse_path(&path.unwrap_or_default()),
            Some(("demo".into(), "pages/a b é.html".into()))
        );
    }
}
