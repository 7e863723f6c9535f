//! Courses: the library, imports from a file or the server, removal, and opening content.

use std::path::PathBuf;
use std::sync::Arc;

use carrel_core::library::download::{self, DownloadError};
use carrel_core::library::{
    self, CatalogView, CourseOutline, CourseSummary, ImportReport, TaskProgress,
};
use carrel_core::progress::ProgressError;
use carrel_core::study;
use carrel_package::manifest::{Item, ItemKind, Manifest};
use carrel_package::store::{ImportError, StoreError, Trust};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::content;
use crate::error::{CommandError, codes};
use crate::progress::Notice;
use crate::state::AppState;

/// Every course on this laptop, with the learner's progress in each.
#[tauri::command]
pub async fn list_courses(state: State<'_, AppState>) -> Result<Vec<CourseSummary>, CommandError> {
    let library = state.library();
    let courses = blocking(move || library.list().map_err(store_error)).await?;
    // The library still lists when progress cannot be read; the learner is told once, elsewhere.
    let Ok(db) = state.progress().db().await else {
        return Ok(courses);
    };
    blocking(move || study::decorate_summaries(courses, &db).map_err(progress_error)).await
}

/// The outline of one installed course, with the learner's progress, "continue" and "next".
#[tauri::command]
pub async fn get_course_outline(
    state: State<'_, AppState>,
    course_id: String,
) -> Result<CourseOutline, CommandError> {
    let library = state.library();
    let outline = blocking(move || library.outline(&course_id).map_err(store_error)).await?;
    let Ok(db) = state.progress().db().await else {
        return Ok(outline);
    };
    blocking(move || study::decorate_outline(outline, &db).map_err(progress_error)).await
}

/// Removes a course's files from this laptop.
#[tauri::command]
pub async fn remove_course(
    state: State<'_, AppState>,
    course_id: String,
) -> Result<(), CommandError> {
    let library = state.library();
    blocking(move || library.remove(&course_id).map_err(store_error)).await
}

/// Shows the system's open-file dialog for a course package; `None` when the learner cancels.
#[tauri::command]
pub async fn pick_course_file<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Option<String>, CommandError> {
    use tauri_plugin_dialog::DialogExt;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Import a Carrel course")
        .add_filter("Carrel course package", &["carrel"])
        .pick_file(move |path| {
            let _ = sender.send(path);
        });
    let picked = receiver
        .await
        .map_err(|error| CommandError::internal("The file dialog closed unexpectedly", error))?;
    Ok(picked
        .and_then(|path| path.into_path().ok())
        .map(|path| path.display().to_string()))
}

/// Installs the package file at `path`, reporting progress on `on_progress`. After an
/// `untrusted_publisher` error the UI may call again with the fingerprint the learner accepted.
#[tauri::command]
pub async fn import_course_file(
    state: State<'_, AppState>,
    path: String,
    confirmed_fingerprint: Option<String>,
    task_id: String,
    on_progress: Channel<TaskProgress>,
) -> Result<ImportReport, CommandError> {
    let task = state.start_task(&task_id);
    let cancel = task.cancel();
    let library = state.library();
    let trust = Trust {
        vouched: Vec::new(),
        confirmed: library::confirmed(confirmed_fingerprint.as_deref()),
    };
    let report = blocking(move || {
        let progress = |p: TaskProgress| {
            let _ = on_progress.send(p);
        };
        library
            .import_file(&PathBuf::from(path), trust, &progress, cancel)
            .map_err(import_error)
    })
    .await;
    drop(task);
    report
}

/// The server's catalogue, compared with what is installed.
#[tauri::command]
pub async fn get_catalog(state: State<'_, AppState>) -> Result<CatalogView, CommandError> {
    let server = state.server().url;
    let catalog = download::fetch_catalog(state.http(), &server)
        .await
        .map_err(download_error)?;
    let library = state.library();
    let installed = blocking(move || library.list().map_err(store_error)).await?;
    Ok(library::catalog_view(&catalog, &installed))
}

/// Downloads (resuming) and installs a course from the server, or updates it with only the files
/// that changed.
#[tauri::command]
pub async fn download_course(
    state: State<'_, AppState>,
    course_id: String,
    task_id: String,
    on_progress: Channel<TaskProgress>,
) -> Result<ImportReport, CommandError> {
    let task = state.start_task(&task_id);
    let server = state.server().url;
    let catalog = download::fetch_catalog(state.http(), &server)
        .await
        .map_err(download_error)?;
    let course = catalog
        .courses
        .iter()
        .find(|course| course.id == course_id)
        .ok_or_else(|| {
            CommandError::new(
                codes::NOT_INSTALLED,
                "This course is no longer offered by your course server.",
            )
        })?
        .clone();
    let progress = Arc::new(move |p: TaskProgress| {
        let _ = on_progress.send(p);
    });
    let result = download::install_from_server(
        state.library(),
        state.http(),
        &server,
        &catalog,
        &course,
        &state.downloads_dir(),
        download::Task {
            progress,
            cancel: task.cancel(),
        },
    )
    .await;
    drop(task);
    result.map_err(download_error)
}

/// Stops a running import or download.
#[tauri::command]
pub fn cancel_task(state: State<'_, AppState>, task_id: String) {
    if !state.cancel_task(&task_id) {
        tracing::debug!(task_id, "cancel for a task that is not running");
    }
}

/// Package files given on the command line, for the UI to import once.
#[tauri::command]
pub fn take_pending_imports(state: State<'_, AppState>) -> Vec<String> {
    state
        .take_pending_imports()
        .into_iter()
        .map(|path| path.display().to_string())
        .collect()
}

/// Opens an item of an installed course in the isolated content window, at the learner's place,
/// and records that it was opened.
#[tauri::command]
pub async fn open_course_item<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<(), CommandError> {
    let manifest = manifest_of(&state, &course_id)?;
    let item = find_item(&manifest, &item_id)?;
    let shown = matches!(
        item.kind,
        ItemKind::Page { .. } | ItemKind::Pdf { .. } | ItemKind::Video { .. }
    );
    let (true, Some(&path)) = (shown, item.kind.paths().first()) else {
        return Err(CommandError::new(
            codes::NOT_INSTALLED,
            "This item is not shown in Carrel's reader.",
        ));
    };
    let view = content::View::for_kind(&item.kind);
    ensure_file(&state, &course_id, path)?;
    let db = state.progress().db().await;
    if let Ok(db) = db {
        let (course, item) = (course_id.clone(), item_id.clone());
        blocking(move || {
            study::record_opened(&db, &course, &item, now_ms()).map_err(progress_error)
        })
        .await?;
    }
    content::open(&app, &state, &course_id, path, view, &item.title)
        .map_err(|error| CommandError::internal("The course content could not be opened", error))
}

/// Opens the course's home page (its description) in the content window.
#[tauri::command]
pub fn open_course_home<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
) -> Result<(), CommandError> {
    let manifest = manifest_of(&state, &course_id)?;
    let Some(path) = manifest.course.description.clone() else {
        return Err(CommandError::new(
            codes::NOT_INSTALLED,
            "This course has no home page.",
        ));
    };
    ensure_file(&state, &course_id, &path)?;
    content::open(
        &app,
        &state,
        &course_id,
        &path,
        content::View::File,
        &manifest.course.title,
    )
    .map_err(|error| CommandError::internal("The course content could not be opened", error))
}

/// Marks an item done that counts as done when the learner says so (a webinar attended, a forum
/// visited, an external activity finished).
#[tauri::command]
pub async fn mark_item_done(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<(), CommandError> {
    let manifest = manifest_of(&state, &course_id)?;
    let item = find_item(&manifest, &item_id)?;
    if !study::CompletionRule::for_kind(&item.kind).is_marked_by_learner() {
        return Err(CommandError::new(
            codes::NOT_MARKABLE,
            "This item is completed by doing it, not by marking it done.",
        ));
    }
    let db = state.progress().db().await?;
    blocking(move || {
        study::record_completed(&db, &course_id, &item_id, now_ms()).map_err(progress_error)
    })
    .await
}

/// What the learner must be told about their progress since the app started (a restored
/// backup, a database that cannot be used).
#[tauri::command]
pub async fn take_notices(state: State<'_, AppState>) -> Result<Vec<Notice>, CommandError> {
    // Wait for the database to open, so a recovery is known before the first screen settles.
    let _ = state.progress().wait().await;
    Ok(state.progress().take_notices())
}

fn manifest_of(state: &AppState, course_id: &str) -> Result<Manifest, CommandError> {
    state
        .library()
        .store()
        .course(course_id)
        .map_err(store_error)?
        .map(|course| course.manifest)
        .ok_or_else(|| {
            CommandError::new(
                codes::NOT_INSTALLED,
                "This course is not on this computer. Import or download it again.",
            )
        })
}

fn ensure_file(state: &AppState, course_id: &str, path: &str) -> Result<(), CommandError> {
    let exists = state
        .library()
        .file(course_id, path)
        .map_err(store_error)?
        .is_some();
    if exists {
        Ok(())
    } else {
        Err(CommandError::new(
            codes::NOT_INSTALLED,
            "This part of the course is not on this computer. Import or download the course again.",
        ))
    }
}

fn find_item<'a>(manifest: &'a Manifest, item_id: &str) -> Result<&'a Item, CommandError> {
    manifest
        .items()
        .map(|(_, _, item)| item)
        .find(|item| item.id == item_id)
        .ok_or_else(|| {
            CommandError::new(
                codes::NOT_INSTALLED,
                "This item is not in the installed version of the course. Reopen the course.",
            )
        })
}

fn now_ms() -> i64 {
    carrel_protocol::unix_time_ms() as i64
}

fn progress_error(error: ProgressError) -> CommandError {
    CommandError::internal("Your progress could not be read or saved", error)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| CommandError::internal("A background task failed", error))?
}

fn store_error(error: StoreError) -> CommandError {
    match error {
        StoreError::NotInstalled(_) => CommandError::new(codes::NOT_INSTALLED, error.to_string()),
        other => CommandError::internal("The course library could not be read", other),
    }
}

fn import_error(error: ImportError) -> CommandError {
    let message = error.to_string();
    match error {
        ImportError::UntrustedPublisher { fingerprint, .. } => {
            CommandError::new(codes::UNTRUSTED_PUBLISHER, message).with_detail(fingerprint.as_str())
        }
        ImportError::Cancelled => CommandError::new(codes::CANCELLED, message),
        ImportError::NoSpace { .. } => CommandError::new(codes::NO_SPACE, message),
        ImportError::Store(StoreError::Io { .. }) | ImportError::Fetch { .. } => {
            tracing::warn!(%message, "import failed");
            CommandError::new(codes::PACKAGE_INVALID, message)
        }
        ImportError::Store(other) => {
            CommandError::internal("The course could not be installed", other)
        }
        _ => CommandError::new(codes::PACKAGE_INVALID, message),
    }
}

fn download_error(error: DownloadError) -> CommandError {
    let message = error.to_string();
    match error {
        DownloadError::Import(inner) => import_error(inner),
        DownloadError::Network(_) => CommandError::new(codes::OFFLINE, message),
        DownloadError::Cancelled => CommandError::new(codes::CANCELLED, message),
        DownloadError::Status { .. } | DownloadError::Protocol(_) | DownloadError::Corrupt => {
            CommandError::new(codes::PACKAGE_INVALID, message)
        }
        DownloadError::Io { .. } => {
            CommandError::internal("The download could not be saved", message)
        }
    }
}
