//! Events the shell emits to the UI. Names are constants so the UI module that listens and the Rust
//! code that emits cannot disagree silently.

/// A new [`carrel_core::connectivity::ServerStatus`] (payload), after every probe.
pub const SERVER_STATUS: &str = "server-status";

/// Files dropped on the main window (payload [`DroppedFiles`]); the UI imports the `.carrel` ones.
pub const COURSE_FILES_DROPPED: &str = "course-files-dropped";

/// The learner's progress in an item changed (payload [`ProgressChanged`]).
pub const PROGRESS_CHANGED: &str = "progress-changed";

/// A submission entered the outbox or changed state (no payload): the Outbox re-reads it.
pub const OUTBOX_CHANGED: &str = "outbox-changed";

/// Forum posts arrived from the server, new or changed (no payload): an open forum re-reads them.
pub const FORUM_CHANGED: &str = "forum-changed";

/// The transcript was fetched again (no payload): Home re-reads it.
pub const TRANSCRIPT_CHANGED: &str = "transcript-changed";

/// A learner's group changed on the server, or its files arrived (no payload): an open group
/// assignment re-reads it.
pub const GROUPS_CHANGED: &str = "groups-changed";

/// A new [`carrel_core::sync::engine::SyncStatus`] (payload).
pub const SYNC_STATUS: &str = "sync-status";

/// A course page tried to open a website (payload [`ExternalLink`]): the UI asks the learner
/// whether to open it in their browser.
pub const EXTERNAL_LINK_REQUESTED: &str = "external-link-requested";

/// Payload of [`EXTERNAL_LINK_REQUESTED`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExternalLink {
    /// The http(s) address the page tried to open.
    pub url: String,
}

/// Asks the main window to offer `url` to the learner.
pub fn emit_external_link<R: tauri::Runtime>(app: &tauri::AppHandle<R>, url: &str) {
    use tauri::Emitter;
    let payload = ExternalLink {
        url: url.to_owned(),
    };
    if let Err(error) = app.emit_to("main", EXTERNAL_LINK_REQUESTED, payload) {
        tracing::warn!(%error, "cannot offer a course page's link to the UI");
    }
}

/// Tells the main window the outbox changed.
pub fn emit_outbox_changed<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    use tauri::Emitter;
    if let Err(error) = app.emit_to("main", OUTBOX_CHANGED, ()) {
        tracing::warn!(%error, "cannot tell the UI about the outbox");
    }
}

/// Payload of [`PROGRESS_CHANGED`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ProgressChanged {
    /// The course.
    pub course_id: String,
    /// The item.
    pub item_id: String,
    /// Its progress now.
    pub progress: carrel_core::progress::ItemProgress,
}

/// Tells the main window an item's progress changed.
pub fn emit_progress<R: tauri::Runtime>(app: &tauri::AppHandle<R>, payload: ProgressChanged) {
    use tauri::Emitter;
    if let Err(error) = app.emit_to("main", PROGRESS_CHANGED, payload) {
        tracing::warn!(%error, "cannot tell the UI about progress");
    }
}

/// Payload of [`COURSE_FILES_DROPPED`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct DroppedFiles {
    /// Paths of the dropped files.
    pub paths: Vec<String>,
}

/// Tells the main window which files were dropped on it.
pub fn emit_dropped_files<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    paths: &[std::path::PathBuf],
) {
    use tauri::Emitter;
    let payload = DroppedFiles {
        paths: paths.iter().map(|p| p.display().to_string()).collect(),
    };
    if let Err(error) = app.emit_to("main", COURSE_FILES_DROPPED, payload) {
        tracing::warn!(%error, "cannot tell the UI about dropped files");
    }
}

/// A new [`crate::updates::UpdateStatus`] (payload).
pub const UPDATE_STATUS: &str = "update-status";
