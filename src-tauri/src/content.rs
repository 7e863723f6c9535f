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

use carrel_core::library::content::{self, decode_path, encode_path, status};
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

/// The URL of `path` inside `course_id` on the content scheme.
pub fn url_of(course_id: &str, path: &str) -> String {
    format!(
        "{}{}/{}",
        base_url(),
        encode_path(course_id),
        encode_path(path)
    )
}

/// Splits a request path `/<course>/<path…>` into its decoded parts.
fn parse_path(path: &str) -> Option<(String, String)> {
    let (course, file) = path.strip_prefix('/')?.split_once('/')?;
    Some((decode_path(course)?, decode_path(file)?))
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
    if state.open_course().get().as_deref() != Some(course.as_str()) {
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
    state.open_course().set(Some(course_id.to_owned()));
    let is_media = state
        .library()
        .file(course_id, path)
        .ok()
        .flatten()
        .is_some_and(|file| {
            file.media_type.starts_with("video/") || file.media_type.starts_with("audio/")
        });
    // WebKitGTK cannot play media from a custom scheme (see carrel_core's media_server).
    let url = match state.media_server() {
        Some(media) if is_media => media.url_of(course_id, path),
        _ => url_of(course_id, path),
    };
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
    let allowed: Vec<String> = std::iter::once(base_url().to_owned())
        .chain(state.media_server().map(|media| media.base()))
        .collect();
    tauri::WebviewWindowBuilder::new(app, CONTENT_LABEL, WebviewUrl::CustomProtocol(parsed))
        .title(title)
        .inner_size(1000.0, 760.0)
        .min_inner_size(480.0, 360.0)
        .on_navigation(move |url| {
            let inside = allowed.iter().any(|base| url.as_str().starts_with(base));
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
