//! The connection to the course server.

use carrel_core::connectivity::ServerStatus;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// The last known server status, without waiting for the network.
#[tauri::command]
pub fn get_server_status(state: State<'_, AppState>) -> ServerStatus {
    state.monitor().current()
}

/// Checks the server now and returns the fresh status.
#[tauri::command]
pub async fn check_server_now(state: State<'_, AppState>) -> Result<ServerStatus, CommandError> {
    state
        .monitor()
        .check_now()
        .await
        .map_err(|error| CommandError::internal("Checking the course server failed", error))
}
