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
use carrel_core::study;
use carrel_package::manifest::ItemKind;
use tauri::http::{Request, Response, StatusCode};
use tauri::{AppHandle, Manager, Runtime, UriSchemeContext, UriSchemeResponder, WebviewUrl};

use crate::events;
use crate::ipc_guard;
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
        return refused(StatusCode::FORBIDDEN);
    }
    if let Some(route) = request.uri().path().strip_prefix(APP_PREFIX) {
        return app_route(app, &state, route, request);
    }
    let Some((course, path)) = parse_path(request.uri().path()) else {
        return refused(StatusCode::NOT_FOUND);
    };
    if state.open_course().get().as_deref() != Some(course.as_str()) {
        tracing::info!(course, "a request for another course's files refused");
        return refused(StatusCode::FORBIDDEN);
    }
    let mut response = content::serve_with_policy(
        &state.library(),
        &course,
        &path,
        request.method(),
        request.headers(),
        policy_for(&state, &course, &path),
    );
    if matches!(
        response.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) {
        ipc_guard::content_request_refused();
    }
    response.headers_mut().insert(
        "Cross-Origin-Opener-Policy",
        tauri::http::HeaderValue::from_static("same-origin"),
    );
    response
}

/// The Content-Security-Policy for `path` of `course_id`: a document of a course with SCORM or
/// cmi5 items gets [`content::INTERACTIVE_CONTENT_SECURITY_POLICY`] (their pages are written with
/// inline script), anything else the strict [`content::CONTENT_SECURITY_POLICY`]. Only documents
/// are looked at: a policy governs the document it comes with, not the scripts and images it loads.
fn policy_for(state: &AppState, course_id: &str, path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let document = matches!(extension.as_deref(), Some("html" | "htm" | "xhtml" | "svg"));
    let interactive = document
        && matches!(
            state.library().store().course(course_id),
            Ok(Some(course)) if course.manifest.items().any(|(_, _, item)| {
                matches!(item.kind, ItemKind::Scorm(_) | ItemKind::Cmi5(_))
            })
        );
    if interactive {
        content::INTERACTIVE_CONTENT_SECURITY_POLICY
    } else {
        content::CONTENT_SECURITY_POLICY
    }
}

/// A refusal of a content-scheme request, counted (see [`ipc_guard`]).
fn refused(code: StatusCode) -> Response<Vec<u8>> {
    ipc_guard::content_request_refused();
    status(code)
}

/// What the content window shows: a course file as it is, or one of the app's viewers for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The file itself (HTML pages).
    File,
    /// The media player (`viewer/media.html`).
    Media,
    /// The PDF viewer (`viewer/pdf.html`).
    Pdf,
    /// The SCORM runtime (`viewer/runtime.html`), which plays the item named by id.
    Runtime,
}

impl View {
    /// How an item of `kind` is shown.
    pub fn for_kind(kind: &ItemKind) -> Self {
        match kind {
            ItemKind::Video { .. } => Self::Media,
            ItemKind::Pdf { .. } => Self::Pdf,
            ItemKind::Scorm(_) => Self::Runtime,
            // A cmi5 AU is launched with its own URL: see `crate::cmi5`.
            _ => Self::File,
        }
    }
}

/// The URL of `target` of `course_id` shown as `view`: `target` is a file's path, or for
/// [`View::Runtime`] the item's id (two SCORM items may launch the same file).
pub fn view_url(course_id: &str, target: &str, view: View) -> String {
    let (viewer, key) = match view {
        View::File => return url_of(course_id, target),
        View::Media => ("media", "path"),
        View::Pdf => ("pdf", "path"),
        View::Runtime => ("runtime", "item"),
    };
    format!(
        "{}.carrel/viewer/{viewer}.html?{key}={}",
        base_url(),
        encode_path(target)
    )
}

/// Shows `target` of `course_id` in the content window as `view` (see [`view_url`]), creating
/// the window on first use.
pub fn open<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    target: &str,
    view: View,
    fragment: Option<&str>,
    title: &str,
) -> tauri::Result<()> {
    let url = view_url(course_id, target, view) + fragment.unwrap_or("");
    let played = (view == View::Runtime).then_some(target);
    show(app, state, course_id, played, &url, title)
}

/// Shows `url`, a launch of the item `item_id` of `course_id` (a cmi5 AU's page with its launch
/// parameters: see [`crate::cmi5`]), in the content window.
pub fn open_launched<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    item_id: &str,
    url: &str,
    title: &str,
) -> tauri::Result<()> {
    show(app, state, course_id, Some(item_id), url, title)
}

/// Shows `url` of `course_id` in the content window, creating it on first use; `played` is the
/// item whose runtime state the window may use ([`crate::runtime::OpenItem`]).
fn show<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    played: Option<&str>,
    url: &str,
    title: &str,
) -> tauri::Result<()> {
    state.open_course().set(Some(course_id.to_owned()));
    app.state::<crate::runtime::OpenItem>()
        .set(played.map(|item| (course_id.to_owned(), item.to_owned())));
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
    let handle = app.clone();
    let allowed: Vec<String> = std::iter::once(base_url().to_owned())
        .chain(state.media_server().map(|media| media.base()))
        .collect();
    let mut builder =
        tauri::WebviewWindowBuilder::new(app, CONTENT_LABEL, WebviewUrl::CustomProtocol(parsed));
    if let Some(proxy) = state
        .media_server()
        .and_then(|media| media.origin().parse().ok())
    {
        // Every http(s) and WebSocket connection the window's engine opens goes to the media
        // server as its proxy, which answers only requests for its own address: no course page
        // can open a connection to any other host. WebKit connects ahead to a link's host while
        // Carrel's navigation handler is still deciding, so refusing the navigation alone is not
        // enough (the hostile-course test saw those connections).
        builder = builder.proxy_url(proxy);
    }
    builder
        .title(title)
        .inner_size(1000.0, 760.0)
        .min_inner_size(480.0, 360.0)
        .initialization_script(PAGE_SCRIPT)
        .on_navigation(move |url| {
            let inside = allowed.iter().any(|base| url.as_str().starts_with(base));
            if !inside {
                ipc_guard::navigation_blocked();
                tracing::info!(%url, "course content tried to leave the course; blocked");
                if handle
                    .state::<ExternalLinks>()
                    .ask(url, std::time::Instant::now())
                {
                    events::emit_external_link(&handle, url.as_str());
                    // The question is in the main window: bring it to the front.
                    crate::focus_main_window(&handle);
                }
            }
            inside
        })
        .on_new_window(|url, _| {
            ipc_guard::window_blocked();
            tracing::info!(%url, "course content tried to open a window; blocked");
            tauri::webview::NewWindowResponse::Deny
        })
        .build()?;
    Ok(())
}

/// The website a course page last tried to open, waiting for the learner's answer in the main
/// window (see [`events::EXTERNAL_LINK_REQUESTED`]): only http(s) addresses are offered, at most
/// one every [`ExternalLinks::INTERVAL`] so a page cannot keep the question up, and only the
/// address offered may be opened, once.
#[derive(Debug, Default)]
pub struct ExternalLinks(std::sync::Mutex<PendingLink>);

#[derive(Debug, Default)]
struct PendingLink {
    url: Option<String>,
    offered_at: Option<std::time::Instant>,
}

impl ExternalLinks {
    /// The shortest time between two offers.
    pub const INTERVAL: std::time::Duration = std::time::Duration::from_secs(3);

    /// The content window tried to open `url` at `now`: whether to ask the learner.
    pub fn ask(&self, url: &tauri::Url, now: std::time::Instant) -> bool {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return false;
        }
        let mut pending = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pending
            .offered_at
            .is_some_and(|at| now.saturating_duration_since(at) < Self::INTERVAL)
        {
            return false;
        }
        pending.url = Some(url.as_str().to_owned());
        pending.offered_at = Some(now);
        true
    }

    /// Takes the offered link if it is `url`: whether it may be opened.
    pub fn take(&self, url: &str) -> bool {
        let mut pending = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pending.url.as_deref() == Some(url) {
            pending.url = None;
            true
        } else {
            false
        }
    }
}

/// Where the app's own routes live on the scheme. Course ids cannot start with a dot, so no
/// course file is ever shadowed.
const APP_PREFIX: &str = "/.carrel/";

/// Run in every page of the content window before the page's own scripts: keeps the reading
/// place and reports scrolling and time on task for course pages (not for the app's viewers,
/// which report for themselves). See `study` in carrel-core for what reports may do.
const PAGE_SCRIPT: &str = include_str!("content_page.js");

/// Answers the app's routes: `item` (where the learner is in a file of the open course),
/// `report` (progress from the window) and `viewer/…`, `pdfjs/…` (the app's bundled viewers).
fn app_route<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    route: &str,
    request: &Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    let Some(course_id) = state.open_course().get() else {
        return status(StatusCode::FORBIDDEN);
    };
    let query = request.uri().query().unwrap_or("");
    match (request.method().as_str(), route) {
        ("GET", "item") => item_state(state, &course_id, query),
        ("POST", "report") => report(app, state, &course_id, request.body()),
        ("GET", "runtime") => crate::runtime::launch(app, state, &course_id, query),
        ("POST", "runtime") => {
            crate::runtime::commit(app, state, &course_id, query, request.body())
        }
        ("POST", "cmi5/fetch") => crate::cmi5::fetch(app, state, query),
        (_, xapi) if xapi.starts_with("xapi/") => {
            crate::cmi5::xapi(app, state, &course_id, &xapi["xapi/".len()..], request)
        }
        ("GET" | "HEAD", asset) if is_bundled(asset) => bundled(app, state, asset),
        _ => status(StatusCode::NOT_FOUND),
    }
}

/// `GET item?path=…`: the item showing that file, where the learner is in it, and where its
/// media is served from.
fn item_state(state: &AppState, course_id: &str, query: &str) -> Response<Vec<u8>> {
    // A whole path in one query value: `/` arrives encoded. It is only compared with the
    // manifest's paths, never used to read a file.
    let Some(path) = query_value(query, "path") else {
        return status(StatusCode::BAD_REQUEST);
    };
    let manifest = match state.library().store().course(course_id) {
        Ok(Some(course)) => course.manifest,
        _ => return status(StatusCode::NOT_FOUND),
    };
    let Some(item) = study::item_for_path(&manifest, &path) else {
        return status(StatusCode::NOT_FOUND);
    };
    let progress = state
        .progress()
        .db_blocking()
        .ok()
        .and_then(|db| db.item(course_id, &item.id).ok());
    let media_url = |file: &str| match state.media_server() {
        // WebKitGTK cannot play media from a custom scheme (see carrel_core's media_server).
        Some(media) => media.url_of(course_id, file),
        None => url_of(course_id, file),
    };
    let (media, captions, duration) = match &item.kind {
        ItemKind::Video {
            path,
            captions,
            duration_seconds,
        } => (
            Some(media_url(path)),
            captions.as_deref().map(|c| url_of(course_id, c)),
            *duration_seconds,
        ),
        _ => (None, None, None),
    };
    let pdf = matches!(item.kind, ItemKind::Pdf { .. }).then(|| url_of(course_id, &path));
    let body = serde_json::json!({
        "itemId": item.id,
        "title": item.title,
        "kind": item.kind.name(),
        "rule": study::CompletionRule::for_kind(&item.kind),
        "progress": progress,
        "mediaUrl": media,
        "captionsUrl": captions,
        "pdfUrl": pdf,
        "durationSeconds": duration,
    });
    json_response(StatusCode::OK, &body)
}

/// `POST report`: records what the window reports, durably, before answering.
fn report<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    body: &[u8],
) -> Response<Vec<u8>> {
    const MAX_REPORT: usize = 4096;
    if body.len() > MAX_REPORT {
        return status(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let Ok(report) = serde_json::from_slice::<study::Report>(body) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let manifest = match state.library().store().course(course_id) {
        Ok(Some(course)) => course.manifest,
        _ => return status(StatusCode::NOT_FOUND),
    };
    let Ok(db) = state.progress().db_blocking() else {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    };
    let now = carrel_protocol::unix_time_ms() as i64;
    match study::record_report(&db, &manifest, &report, now) {
        Ok((item_id, progress)) => {
            events::emit_progress(
                app,
                events::ProgressChanged {
                    course_id: course_id.to_owned(),
                    item_id,
                    progress,
                },
            );
            status(StatusCode::NO_CONTENT)
        }
        Err(study::ReportError::UnknownPath(_)) => status(StatusCode::NOT_FOUND),
        Err(study::ReportError::Invalid(reason)) => {
            tracing::debug!(reason, "content report refused");
            status(StatusCode::BAD_REQUEST)
        }
        Err(study::ReportError::Progress(error)) => {
            tracing::error!(%error, "progress not recorded");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// Whether `asset` is under one of the bundle's folders the content window may load: the viewers
/// (`ui/public/viewer/`), pdf.js and scorm-again (copied from npm by the UI build).
fn is_bundled(asset: &str) -> bool {
    ["viewer/", "pdfjs/", "scorm-again/"]
        .iter()
        .any(|folder| asset.starts_with(folder))
}

/// The app's bundled viewer files (built into the UI bundle from `ui/public/`), with a policy
/// that lets them load the open course's files and its media.
fn bundled<R: Runtime>(app: &AppHandle<R>, state: &AppState, asset: &str) -> Response<Vec<u8>> {
    // Tauri's resolver answers a missing asset with the app's own index.html (a fallback for
    // single-page apps): only names the bundle really holds are looked up.
    static BUNDLED: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    let bundled = BUNDLED.get_or_init(|| {
        app.asset_resolver()
            .iter()
            .map(|(key, _)| key.trim_start_matches('/').to_owned())
            .filter(|key| is_bundled(key))
            .collect()
    });
    if !bundled.contains(asset) {
        return refused(StatusCode::NOT_FOUND);
    }
    let Some(found) = app.asset_resolver().get(asset.to_owned()) else {
        return refused(StatusCode::NOT_FOUND);
    };
    let media = state.media_server().map(|m| m.origin()).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         media-src 'self' blob: {media}; connect-src 'self'; worker-src 'self' blob:; \
         font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", found.mime_type)
        .header("Content-Security-Policy", policy)
        .header("X-Content-Type-Options", "nosniff")
        .header("Cache-Control", "no-cache")
        .body(found.bytes)
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
}

/// The decoded value of `key` in a URL query string.
pub(crate) fn query_value(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, value)| value.into_owned())
}

pub(crate) fn json_response(code: StatusCode, body: &serde_json::Value) -> Response<Vec<u8>> {
    Response::builder()
        .status(code)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-store")
        .body(body.to_string().into_bytes())
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR))
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
    fn only_web_links_are_offered_at_most_every_interval_and_opened_once() {
        let links = ExternalLinks::default();
        let at = std::time::Instant::now();
        let url = |s: &str| -> tauri::Url { s.parse().unwrap() };
        assert!(!links.ask(&url("file:///etc/passwd"), at));
        assert!(!links.ask(&url("javascript:alert(1)"), at));
        assert!(links.ask(&url("https://www.ilo.org/standards"), at));
        // A page that keeps navigating does not keep the question up.
        assert!(!links.ask(
            &url("https://evil.example/"),
            at + ExternalLinks::INTERVAL / 2
        ));
        assert!(
            !links.take("https://evil.example/"),
            "only the offered link opens"
        );
        assert!(links.take("https://www.ilo.org/standards"));
        assert!(!links.take("https://www.ilo.org/standards"), "once");
        assert!(links.ask(&url("http://example.org/b"), at + ExternalLinks::INTERVAL));
        assert!(links.take("http://example.org/b"));
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
