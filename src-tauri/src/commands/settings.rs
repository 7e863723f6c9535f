//! The Settings screen: read every setting, change some at once, move the course library.

use std::path::PathBuf;

use carrel_core::library::{TaskProgress, TaskStage, relocate};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_store::StoreExt;

use crate::error::{CommandError, codes};
use crate::settings::{self, Settings, SettingsChange};
use crate::state::{AppState, SETTINGS_FILE};
use crate::update_service::{UpdateService, read_stored};

fn current<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> Settings {
    let stored = read_stored(app);
    let server = state.server();
    Settings {
        server_url: server.url.to_string(),
        server_url_source: server.source,
        language: stored.language,
        theme: stored.theme,
        library_dir: state.library_dir().display().to_string(),
        library_dir_is_default: state.library_dir()
            == carrel_core::library::library_dir(state.data_dir()),
        sync_on_metered: stored.sync_on_metered,
        notifications: stored.notifications,
        update_channel: stored.update_channel,
        auto_install_updates: stored.auto_install_updates,
    }
}

/// Every setting.
#[tauri::command]
pub fn get_settings<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Settings {
    current(&app, &state)
}

/// Checks a change as a whole, saves it, and applies it at once. Nothing is saved when any part
/// of it is wrong.
#[tauri::command]
pub fn update_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    change: SettingsChange,
) -> Result<Settings, CommandError> {
    let before = read_stored(&app);
    let server = state.server();
    let locked = server.source == carrel_core::settings::ServerUrlSource::Environment;
    let validated = change.validate(before, &server.url, locked)?;
    // One write for the whole change: all of it is saved, or none.
    let store = app.store(SETTINGS_FILE).map_err(settings_unavailable)?;
    for (key, value) in validated.stored.entries() {
        store.set(key, value);
    }
    if let Some(url) = &validated.server_url {
        store.set(crate::state::SERVER_URL_KEY, url.as_str());
    }
    if let Err(error) = store.save() {
        // Leave the file's values as they were on disk.
        let _ = store.reload();
        return Err(settings_unavailable(error));
    }
    if let Some(url) = &validated.server_url {
        state.use_server(url.clone());
    }
    let after = validated.stored;
    state.sync().set_held(!after.sync_on_metered);
    let updates = app.state::<UpdateService>();
    updates.set_auto_install(&app, after.auto_install_updates);
    if after.update_channel != before.update_channel || validated.server_url.is_some() {
        // What is offered depends on both: ask again now.
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            app.state::<UpdateService>().check(&app).await;
        });
    }
    state.apply_theme(&app, after.theme);
    Ok(current(&app, &state))
}

fn settings_unavailable(error: tauri_plugin_store::Error) -> CommandError {
    CommandError::new(
        codes::SETTINGS_UNAVAILABLE,
        format!("Your settings could not be saved ({error}). Check that the disk is not full"),
    )
}

/// Copies the course library to `dir` (an empty or new folder), reporting progress, then points
/// Carrel at it and restarts. The old folder is removed at the next start. Cancel with
/// `cancel_task(task_id)`: the library then stays where it was.
#[tauri::command]
pub async fn move_library<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    dir: String,
    task_id: String,
    on_progress: Channel<TaskProgress>,
) -> Result<(), CommandError> {
    let target = PathBuf::from(dir.trim());
    let current = state.library_dir();
    let task = state.start_task(&task_id);
    let cancel = task.cancel();
    let (from, to) = (current.clone(), target.clone());
    let copied = tauri::async_runtime::spawn_blocking(move || {
        relocate::copy_library(&from, &to, &cancel, &|done, total| {
            let _ = on_progress.send(TaskProgress {
                stage: TaskStage::Install,
                done_bytes: done,
                total_bytes: total,
            });
        })
    })
    .await
    .map_err(|error| CommandError::internal("The courses could not be moved", error))?;
    drop(task);
    copied.map_err(|error| match error {
        relocate::RelocateError::Cancelled => {
            CommandError::new(codes::CANCELLED, error.to_string())
        }
        relocate::RelocateError::Io { .. } => {
            CommandError::new(codes::LIBRARY_MOVE_REFUSED, error.to_string())
        }
        other => CommandError::new(codes::LIBRARY_MOVE_REFUSED, other.to_string()),
    })?;
    let store = app.store(SETTINGS_FILE).map_err(settings_unavailable)?;
    store.set(settings::LIBRARY_DIR_KEY, target.display().to_string());
    store.set(
        settings::LIBRARY_MOVED_FROM_KEY,
        current.display().to_string(),
    );
    if let Err(error) = store.save() {
        // The copy is complete but Carrel would not find it: remove it, keep the library.
        let _ = std::fs::remove_dir_all(&target);
        return Err(settings_unavailable(error));
    }
    tracing::info!(from = %current.display(), to = %target.display(), "course library moved; restarting");
    // Answer first, so the UI can say Carrel is restarting; then restart.
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        app.restart();
    });
    Ok(())
}
