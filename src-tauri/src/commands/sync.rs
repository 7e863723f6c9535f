//! Signing in to the course server, the background sync's status and controls, and exports for
//! when sync cannot help: a submission as a file a tutor can accept by hand, and a support bundle.

use carrel_core::assess::outbox;
use carrel_core::sync::changes;
use carrel_core::sync::credentials::StoreKind;
use carrel_core::sync::engine::SyncStatus;
use carrel_core::sync::export;
use carrel_core::sync::session::SessionError;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_store::StoreExt;
use ts_rs::TS;

use crate::error::{CommandError, codes};
use crate::state::{AppState, SETTINGS_FILE, SYNC_HELD_KEY};

/// The signed-in account, as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// The login.
    pub login: String,
    /// The name shown.
    pub display_name: String,
    /// The server signed in to.
    pub server: String,
    /// Where the session is kept on this device.
    pub store: Option<StoreKind>,
}

fn session_error(error: SessionError) -> CommandError {
    match error {
        SessionError::Refused(message) => CommandError::new(codes::SIGN_IN_REFUSED, message),
        SessionError::Unavailable(_) => CommandError::new(codes::OFFLINE, error.to_string()),
        SessionError::SignedOut => CommandError::new(codes::SIGNED_OUT, error.to_string()),
        SessionError::Credentials(error) => {
            CommandError::internal("The session could not be kept on this computer", error)
        }
    }
}

/// Who is signed in, if anyone.
#[tauri::command]
pub fn get_account(state: State<'_, AppState>) -> Option<AccountView> {
    state.session().current().map(|session| AccountView {
        login: session.account.login,
        display_name: session.account.display_name,
        server: session.server,
        store: state.session().kept_in(),
    })
}

/// Signs in to the course server in use, keeps the session in the system's credential store (or
/// a private file), and starts a sync round.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    login: String,
    password: String,
) -> Result<AccountView, CommandError> {
    if login.trim().is_empty() || password.is_empty() {
        return Err(CommandError::new(
            codes::SIGN_IN_REFUSED,
            "Enter your login and your password",
        ));
    }
    let server = state.server().url;
    let device = Some(format!("Carrel on {}", std::env::consts::OS));
    let (session, store) = state
        .session()
        .sign_in(state.http(), &server, &login, &password, device)
        .await
        .map_err(session_error)?;
    state.sync().sync_now();
    Ok(AccountView {
        login: session.account.login,
        display_name: session.account.display_name,
        server: session.server,
        store: Some(store),
    })
}

/// Signs out here (and on the server when it can be reached). Queued work stays queued.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<(), CommandError> {
    state
        .session()
        .sign_out(state.http())
        .await
        .map_err(session_error)?;
    // The account's group (members, files, grades) is not the next account's to see.
    let db = state.progress().db().await?;
    if let Err(error) = carrel_core::groups::forget(&db) {
        tracing::warn!(%error, "the signed-out account's groups were not forgotten");
    }
    state.sync().wake();
    Ok(())
}

/// The sync's latest status.
#[tauri::command]
pub fn get_sync_status(state: State<'_, AppState>) -> SyncStatus {
    state.sync().status()
}

/// Starts a sync round now (also while sync is held); the result arrives as `sync-status` events.
#[tauri::command]
pub fn sync_now(state: State<'_, AppState>) -> SyncStatus {
    state.sync().sync_now();
    state.sync().status()
}

/// "Try again" on a submission that needs attention: it is queued again, with the same content,
/// and sync starts. Answers whether it was queued (false: it did not need attention).
#[tauri::command]
pub async fn retry_submission<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Result<bool, CommandError> {
    let db = state.progress().db().await?;
    let now = carrel_protocol::unix_time_ms() as i64;
    let queued = tauri::async_runtime::spawn_blocking(move || outbox::requeue(&db, &id, now))
        .await
        .map_err(|error| CommandError::internal("Queuing the submission again stopped", error))?
        .map_err(|error| {
            CommandError::internal("The submission could not be queued again", error)
        })?;
    if queued {
        crate::events::emit_outbox_changed(&app);
        state.sync().sync_now();
    }
    Ok(queued)
}

/// Holds sync (a metered or costly connection) or releases it; remembered across restarts.
#[tauri::command]
pub fn set_sync_held<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    held: bool,
) -> Result<SyncStatus, CommandError> {
    let store = app
        .store(SETTINGS_FILE)
        .map_err(|error| CommandError::internal("The settings could not be opened", error))?;
    store.set(SYNC_HELD_KEY, held);
    store
        .save()
        .map_err(|error| CommandError::internal("The settings could not be saved", error))?;
    state.sync().set_held(held);
    Ok(state.sync().status())
}

/// The path the learner picks in the system's save dialog (`None`: they cancelled), offering
/// `file_name` and files of the type `filter` (its name, its extension).
pub(crate) async fn save_path<R: Runtime>(
    app: &AppHandle<R>,
    title: &str,
    file_name: &str,
    filter: (&str, &str),
) -> Result<Option<std::path::PathBuf>, CommandError> {
    use tauri_plugin_dialog::DialogExt;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter(filter.0, &[filter.1])
        .save_file(move |path| {
            let _ = sender.send(path);
        });
    let picked = receiver
        .await
        .map_err(|error| CommandError::internal("The file dialog closed unexpectedly", error))?;
    Ok(picked.and_then(|path| path.into_path().ok()))
}

/// The save dialog's filter for zip files.
const ZIP: (&str, &str) = ("Zip archive", "zip");

pub(crate) fn export_error(error: export::ExportError) -> CommandError {
    CommandError::new(codes::EXPORT_FAILED, error.to_string())
}

/// Saves submission `id` — its exact payload, receipt, files and a note for the tutor — as a zip
/// the learner chooses where to put. Answers the path, or `None` when they cancelled.
#[tauri::command]
pub async fn export_submission<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Result<Option<String>, CommandError> {
    let db = state.progress().db().await?;
    let Some(path) = save_path(
        &app,
        "Export the submission",
        &format!("submission-{id}.zip"),
        ZIP,
    )
    .await?
    else {
        return Ok(None);
    };
    let attachments = state.attachments();
    let target = path.clone();
    tauri::async_runtime::spawn_blocking(move || {
        export::export_submission(&db, &attachments, &id, &target)
    })
    .await
    .map_err(|error| CommandError::internal("The export stopped", error))?
    .map_err(export_error)?;
    Ok(Some(path.display().to_string()))
}

/// Saves a support bundle — versions, the sync status, every submission's state and the recent
/// log, with no tokens, passwords or submission contents — for the learner to send to support.
#[tauri::command]
pub async fn export_support_bundle<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Option<String>, CommandError> {
    let db = state.progress().db().await?;
    let Some(path) = save_path(&app, "Save a support bundle", "carrel-support.zip", ZIP).await?
    else {
        return Ok(None);
    };
    let facts = export::SupportFacts {
        app_version: app.package_info().version.to_string(),
        os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        server: state.server().url.as_str().to_owned(),
        server_status: serde_json::to_value(state.monitor().current()).unwrap_or_default(),
        sync_status: serde_json::to_value(state.sync().status()).unwrap_or_default(),
        signed_in: state.session().current().map(|s| s.account.login),
        content_guard: serde_json::to_value(crate::ipc_guard::snapshot()).unwrap_or_default(),
        log: crate::log_ring::snapshot(),
    };
    let target = path.clone();
    tauri::async_runtime::spawn_blocking(move || export::support_bundle(&db, &facts, &target))
        .await
        .map_err(|error| CommandError::internal("The export stopped", error))?
        .map_err(export_error)?;
    Ok(Some(path.display().to_string()))
}

/// The newest messages from the course server: announcements, new course versions, new due dates.
#[tauri::command]
pub async fn list_course_notices(
    state: State<'_, AppState>,
) -> Result<Vec<changes::CourseNotice>, CommandError> {
    let db = state.progress().db().await?;
    let library = state.library();
    tauri::async_runtime::spawn_blocking(move || {
        let notices = changes::notices(&db, 50).map_err(|error| {
            CommandError::internal("The course notices could not be read", error)
        })?;
        let installed: std::collections::HashMap<String, String> = library
            .list()
            .map(|courses| courses.into_iter().map(|c| (c.id, c.version)).collect())
            .unwrap_or_default();
        Ok(notices
            .into_iter()
            .filter(|notice| notice.is_news(installed.get(&notice.course_id).map(String::as_str)))
            .collect())
    })
    .await
    .map_err(|error| CommandError::internal("Reading the course notices stopped", error))?
}

/// The learner has seen every notice up to `seq`.
#[tauri::command]
pub async fn mark_notices_seen(state: State<'_, AppState>, seq: i64) -> Result<(), CommandError> {
    let db = state.progress().db().await?;
    tauri::async_runtime::spawn_blocking(move || changes::mark_notices_seen(&db, seq))
        .await
        .map_err(|error| CommandError::internal("Marking the notices stopped", error))?
        .map_err(|error| CommandError::internal("The notices could not be marked as seen", error))
}
