//! Facts about this installation, and its settings.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use carrel_core::settings::ServerUrlSource;

use crate::error::CommandError;
use crate::state::AppState;

/// What the shell shows about this installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// Carrel's version.
    pub version: String,
    /// The course server in use.
    pub server_url: String,
    /// Where that address came from.
    pub server_url_source: ServerUrlSource,
    /// The folder holding this installation's data.
    pub data_dir: String,
    /// What course content tried this run and was stopped from doing.
    pub content_guard: crate::ipc_guard::ContentGuard,
}

fn app_info(state: &AppState) -> AppInfo {
    let server = state.server();
    AppInfo {
        version: carrel_core::CARREL_VERSION.to_owned(),
        server_url: server.url.to_string(),
        server_url_source: server.source,
        data_dir: state.data_dir().display().to_string(),
        content_guard: crate::ipc_guard::snapshot(),
    }
}

/// Returns the app version, the server in use and the data folder.
#[tauri::command]
pub fn get_app_info(state: State<'_, AppState>) -> AppInfo {
    app_info(&state)
}

/// Saves a new course server address (validated) and starts checking it.
#[tauri::command]
pub fn set_server_url<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    url: String,
) -> Result<AppInfo, CommandError> {
    state.set_server_url(&app, &url)?;
    // Which release is offered depends on the server: ask the new one.
    let checker = app.clone();
    tauri::async_runtime::spawn(async move {
        use tauri::Manager;
        checker
            .state::<crate::update_service::UpdateService>()
            .check(&checker)
            .await;
    });
    Ok(app_info(&state))
}

/// When the process started, for [`mark_interactive`].
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// The UI says its first screen is interactive (its data loaded and shown). Logged once per run
/// with the time since the process started: the figure users can quote and the cold-start
/// benchmark reads (`interactive` in the log).
#[tauri::command]
pub fn mark_interactive(screen: String) {
    static MARKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if MARKED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let elapsed_ms = STARTED
        .get()
        .map_or(0, |started| started.elapsed().as_millis());
    tracing::info!(screen, elapsed_ms, "interactive");
}
