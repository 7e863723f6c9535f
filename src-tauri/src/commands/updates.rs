//! Updates of Carrel itself: status, check, download (with progress events and cancel), install.
//! None takes a version or an address: the webview cannot choose what gets installed.

use tauri::{AppHandle, Runtime, State};

use crate::error::CommandError;
use crate::update_service::UpdateService;
use crate::updates::UpdateStatus;

/// Where updating stands (with why installing must wait, looked at now).
#[tauri::command]
pub async fn get_update_status<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, UpdateService>,
) -> Result<UpdateStatus, CommandError> {
    Ok(updates.fresh_status(&app).await)
}

/// Asks the course server for a newer Carrel now.
#[tauri::command]
pub async fn check_for_update<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, UpdateService>,
) -> Result<UpdateStatus, CommandError> {
    Ok(updates.check(&app).await)
}

/// Downloads and verifies the update found; progress arrives as `update-status` events.
#[tauri::command]
pub async fn download_update<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, UpdateService>,
) -> Result<UpdateStatus, CommandError> {
    updates.download(&app).await?;
    Ok(updates.status())
}

/// Stops a running update download.
#[tauri::command]
pub fn cancel_update_download(updates: State<'_, UpdateService>) -> bool {
    updates.cancel_download()
}

/// Installs the downloaded update and restarts Carrel; refused while a quiz attempt is open or
/// work is being sent.
#[tauri::command]
pub async fn install_update<R: Runtime>(
    app: AppHandle<R>,
    updates: State<'_, UpdateService>,
) -> Result<(), CommandError> {
    updates.install(&app).await
}
