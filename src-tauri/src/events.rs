//! Events the shell emits to the UI. Names are constants so the UI module that listens and the Rust
//! code that emits cannot disagree silently.

/// A new [`carrel_core::connectivity::ServerStatus`] (payload), after every probe.
pub const SERVER_STATUS: &str = "server-status";

/// Files dropped on the main window (payload [`DroppedFiles`]); the UI imports the `.carrel` ones.
pub const COURSE_FILES_DROPPED: &str = "course-files-dropped";

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
