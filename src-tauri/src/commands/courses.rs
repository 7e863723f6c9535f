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
    let index = state.search();
    blocking(move || {
        library.remove(&course_id).map_err(store_error)?;
        if let Some(index) = index
            && let Err(error) = index.remove_course(&course_id)
        {
            tracing::warn!(%error, course_id, "course left in the search index");
        }
        Ok(())
    })
    .await
}

/// Shows the system's open-file dialog for a course package; `None` when the learner cancels.
#[tauri::command]
pub async fn pick_course_file<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Option<String>, CommandError> {
    let picked = pick_files(
        &app,
        "Import a Carrel course",
        ("Carrel course package", &["carrel"]),
        false,
    )
    .await?;
    Ok(picked.into_iter().next())
}

/// Shows the system's open-file dialog titled `title`, offering `filter` (a name and extensions;
/// none: any file), for one file or several; the paths picked, none when the learner cancels.
pub(crate) async fn pick_files<R: Runtime>(
    app: &AppHandle<R>,
    title: &str,
    filter: (&str, &[&str]),
    multiple: bool,
) -> Result<Vec<String>, CommandError> {
    use tauri_plugin_dialog::DialogExt;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(title);
    if !filter.1.is_empty() {
        dialog = dialog.add_filter(filter.0, filter.1);
    }
    if multiple {
        dialog.pick_files(move |paths| {
            let _ = sender.send(paths.unwrap_or_default());
        });
    } else {
        dialog.pick_file(move |path| {
            let _ = sender.send(path.into_iter().collect());
        });
    }
    let picked = receiver
        .await
        .map_err(|error| CommandError::internal("The file dialog closed unexpectedly", error))?;
    Ok(picked
        .into_iter()
        .filter_map(|path| path.into_path().ok())
        .map(|path| path.display().to_string())
        .collect())
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
    if let Ok(report) = &report {
        state.reindex(&report.course_id);
    }
    report
}

/// The server's catalogue, compared with what is installed.
#[tauri::command]
pub async fn get_catalog(state: State<'_, AppState>) -> Result<CatalogView, CommandError> {
    let server = state.server().url;
    let http = state.course_http(&server).await;
    let catalog = download::fetch_catalog(&http, &server)
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
    let result = install_from_server(&state, &course_id, task.cancel(), on_progress).await;
    drop(task);
    if result.is_ok() {
        state.reindex(&course_id);
    }
    result
}

/// Checks every file of an installed course (size and SHA-256) and downloads again only those
/// missing or damaged. Nothing else is touched; the learner's progress is not involved.
#[tauri::command]
pub async fn repair_course(
    state: State<'_, AppState>,
    course_id: String,
    task_id: String,
    on_progress: Channel<TaskProgress>,
) -> Result<RepairReport, CommandError> {
    let task = state.start_task(&task_id);
    let library = state.library();
    let id = course_id.clone();
    let damaged =
        blocking(move || library.store().check_course(&id, true).map_err(store_error)).await?;
    if damaged.is_empty() {
        return Ok(RepairReport {
            damaged_files: Vec::new(),
            new_bytes: 0,
        });
    }
    tracing::warn!(
        course_id,
        files = damaged.len(),
        "repairing damaged course files"
    );
    let report = install_from_server(&state, &course_id, task.cancel(), on_progress)
        .await
        .map_err(|error| {
            if error.code == codes::OFFLINE {
                CommandError::new(
                    codes::OFFLINE,
                    "The course server cannot be reached. Connect and repair again, or import \
                     the course package file again.",
                )
            } else {
                error
            }
        })?;
    drop(task);
    state.reindex(&course_id);
    Ok(RepairReport {
        damaged_files: damaged,
        new_bytes: report.new_bytes,
    })
}

/// What a repair did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RepairReport {
    /// The files that were missing or damaged (now downloaded again).
    pub damaged_files: Vec<String>,
    /// Bytes downloaded.
    #[ts(type = "number")]
    pub new_bytes: u64,
}

async fn install_from_server(
    state: &AppState,
    course_id: &str,
    cancel: carrel_package::store::Cancel,
    on_progress: Channel<TaskProgress>,
) -> Result<ImportReport, CommandError> {
    let server = state.server().url;
    let http = state.course_http(&server).await;
    let catalog = download::fetch_catalog(&http, &server)
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
    download::install_from_server(
        state.library(),
        &http,
        &server,
        &catalog,
        &course,
        &state.downloads_dir(),
        download::Task { progress, cancel },
    )
    .await
    .map_err(download_error)
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

/// A place inside a page to open at (a search hit): the heading's id, or its position among the
/// page's `h1`–`h3` headings when it has none.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    /// The heading's `id`.
    pub anchor: Option<String>,
    /// Its position among `h1, h2, h3` (0-based).
    pub heading_index: Option<u32>,
}

impl Place {
    /// The URL fragment that takes the page there (see `content_page.js`).
    fn fragment(&self) -> Option<String> {
        match (&self.anchor, self.heading_index) {
            (Some(anchor), _) if !anchor.is_empty() => Some(format!(
                "#{}",
                url::form_urlencoded::byte_serialize(anchor.as_bytes()).collect::<String>()
            )),
            (_, Some(index)) => Some(format!("#carrel-heading-{index}")),
            _ => None,
        }
    }
}

/// Opens an item of an installed course in the isolated content window — at the learner's place,
/// or at `place` (a search hit) — and records that it was opened.
#[tauri::command]
pub async fn open_course_item<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    place: Option<Place>,
) -> Result<(), CommandError> {
    let manifest = manifest_of(&state, &course_id)?;
    let item = find_item(&manifest, &item_id)?;
    let shown = matches!(
        item.kind,
        ItemKind::Page { .. }
            | ItemKind::Pdf { .. }
            | ItemKind::Video { .. }
            | ItemKind::Scorm(_)
            | ItemKind::Cmi5(_)
    );
    let (true, Some(&path)) = (shown, item.kind.paths().first()) else {
        return Err(CommandError::new(
            codes::NOT_INSTALLED,
            "This item is not shown in Carrel's reader.",
        ));
    };
    let view = content::View::for_kind(&item.kind);
    let damaged = state
        .library()
        .damaged_files(&course_id, &item.kind.paths())
        .map_err(store_error)?;
    if !damaged.is_empty() {
        return Err(CommandError::new(
            codes::CONTENT_DAMAGED,
            format!(
                "This part of the course is missing or damaged on this computer ({}). Repair the \
                 course to download only the files it needs again.",
                damaged.join(", ")
            ),
        )
        .with_detail(course_id));
    }
    let db = state.progress().db().await;
    if let Ok(db) = &db {
        let (db, course, item) = (db.clone(), course_id.clone(), item_id.clone());
        blocking(move || {
            study::record_opened(&db, &course, &item, now_ms()).map_err(progress_error)
        })
        .await?;
    }
    if let ItemKind::Cmi5(_) = &item.kind {
        // The AU is launched with its own URL and a new cmi5 session (see `crate::cmi5`).
        let db = db?;
        let (launch_app, launch_item) = (app.clone(), item.clone());
        let (course, manifest) = (course_id.clone(), manifest.clone());
        let url = blocking(move || {
            let state = tauri::Manager::state::<AppState>(&launch_app);
            crate::cmi5::launch_url(&state, &db, &course, &manifest, &launch_item)
                .map_err(|error| CommandError::internal("The module could not be started", error))
        })
        .await?;
        return content::open_launched(&app, &state, &course_id, &item.id, &url, &item.title)
            .map_err(|error| {
                CommandError::internal("The course content could not be opened", error)
            });
    }
    let fragment = place.as_ref().and_then(Place::fragment);
    // The runtime plays an item, not a file: two SCORM items may launch the same file.
    let target = if view == content::View::Runtime {
        item.id.as_str()
    } else {
        path
    };
    content::open(
        &app,
        &state,
        &course_id,
        target,
        view,
        fragment.as_deref(),
        &item.title,
    )
    .map_err(|error| CommandError::internal("The course content could not be opened", error))
}

/// Opens in the learner's web browser the website a course page tried to open, once the learner
/// said yes in the main window. Only the address the content window last asked for, once, and
/// only http(s) (see [`crate::content::ExternalLinks`]).
#[tauri::command]
pub fn open_external_link<R: Runtime>(
    app: AppHandle<R>,
    links: State<'_, crate::content::ExternalLinks>,
    url: String,
) -> Result<(), CommandError> {
    use tauri_plugin_opener::OpenerExt;
    if !links.take(&url) {
        return Err(CommandError::new(
            codes::LINK_REFUSED,
            "This link is no longer waiting to be opened. Click it again in the course page.",
        ));
    }
    app.opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|error| {
            tracing::warn!(%error, "no browser opened a course page's link");
            CommandError::new(
                codes::NO_APPLICATION,
                format!(
                    "No web browser on this computer opened the link. Copy it into a browser: \
                     {url}"
                ),
            )
        })
}

/// Opens a webinar session's join address in the learner's web browser. The address is the
/// installed (signed) package's, or the course team's from the server, never the UI's, and must
/// be https.
#[tauri::command]
pub async fn open_webinar_session<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    session_id: String,
) -> Result<(), CommandError> {
    use tauri_plugin_opener::OpenerExt;
    let session = planned_session(&state, &course_id, &item_id, &session_id).await?;
    let Some(url) = session
        .join_url
        .filter(|url| carrel_package::manifest::is_https_url(url))
    else {
        return Err(CommandError::new(
            codes::LINK_REFUSED,
            "This session has no join address in the course. Ask your course team for it.",
        ));
    };
    app.opener().open_url(&url, None::<&str>).map_err(|error| {
        tracing::warn!(%error, "no browser opened a webinar's join address");
        CommandError::new(
            codes::NO_APPLICATION,
            format!(
                "No web browser on this computer opened the session. Copy its address into a \
                 browser: {url}"
            ),
        )
    })
}

/// A webinar session of an installed course as the plan has it (the package's, changed by the
/// course team on the server), with its recording.
async fn planned_session(
    state: &AppState,
    course_id: &str,
    item_id: &str,
    session_id: &str,
) -> Result<carrel_core::plan::PlanSession, CommandError> {
    let library = state.library();
    let db = state.progress().db().await?;
    let (course, item, session) = (
        course_id.to_owned(),
        item_id.to_owned(),
        session_id.to_owned(),
    );
    blocking(move || {
        carrel_core::plan::session_installed(&library, &db, &course, &item, &session)
            .map_err(super::study::plan_error)
    })
    .await?
    .ok_or_else(|| {
        CommandError::new(
            codes::NOT_INSTALLED,
            "This session is no longer in the course's calendar. Sync, then look again.",
        )
    })
}

/// Downloads (resuming after a cut) the recording of a webinar session for offline viewing,
/// checked against its size and SHA-256. Progress goes to `on_progress`; `cancel_task(task_id)`
/// stops it, keeping what arrived for next time.
#[tauri::command]
pub async fn download_recording(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    session_id: String,
    task_id: String,
    on_progress: Channel<TaskProgress>,
) -> Result<(), CommandError> {
    let session = planned_session(&state, &course_id, &item_id, &session_id).await?;
    let Some(recording) = session.recording else {
        return Err(CommandError::new(
            codes::NOT_INSTALLED,
            "This session has no recording yet.",
        ));
    };
    // One download of a recording at a time: two would write the same partial file.
    let Some(_downloading) = RecordingDownload::start(&recording.sha256) else {
        return Err(CommandError::new(
            codes::NOT_READY,
            "This recording is already downloading. Wait for it to finish.",
        ));
    };
    let task = state.start_task(&task_id);
    let server = state.server().url;
    let http = state.course_http(&server).await;
    let progress = Arc::new(move |p: TaskProgress| {
        let _ = on_progress.send(p);
    });
    let work = download::Task {
        progress,
        cancel: task.cancel(),
    };
    download::download_recording(
        &http,
        &server,
        &state.library(),
        &course_id,
        &recording,
        &work,
    )
    .await
    .map_err(download_error)?;
    drop(task);
    Ok(())
}

/// The recordings downloading now, by SHA-256.
static RECORDINGS_DOWNLOADING: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// A recording's download in progress; dropping it ends it.
struct RecordingDownload(String);

impl RecordingDownload {
    /// Starts the download of recording `sha256`, unless one is running.
    fn start(sha256: &str) -> Option<Self> {
        let mut running = RECORDINGS_DOWNLOADING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.iter().any(|hash| hash == sha256) {
            return None;
        }
        running.push(sha256.to_owned());
        Some(Self(sha256.to_owned()))
    }
}

impl Drop for RecordingDownload {
    fn drop(&mut self) {
        RECORDINGS_DOWNLOADING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|hash| hash != &self.0);
    }
}

/// Plays a downloaded recording with the system's media player.
#[tauri::command]
pub async fn open_recording<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    session_id: String,
) -> Result<(), CommandError> {
    use tauri_plugin_opener::OpenerExt;
    let session = planned_session(&state, &course_id, &item_id, &session_id).await?;
    let Some(recording) = session.recording.filter(|recording| recording.downloaded) else {
        return Err(CommandError::new(
            codes::NOT_INSTALLED,
            "This recording is not on this computer. Download it first.",
        ));
    };
    let path = state
        .library()
        .recording_path(&course_id, &recording.sha256, &recording.media_type);
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|error| {
            tracing::warn!(%error, "no application played a recording");
            CommandError::new(
                codes::NO_APPLICATION,
                format!(
                    "No application on this computer plays this recording. It is saved at {}",
                    path.display()
                ),
            )
        })
}

/// Opens a downloadable file of a course with the system's application for its type (the UI has
/// asked the learner first), and records the item as done. The file is copied out of the store
/// into `opened/<course>/` in the data folder; types that could run code are refused.
#[tauri::command]
pub async fn open_course_file<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<(), CommandError> {
    use tauri_plugin_opener::OpenerExt;
    let manifest = manifest_of(&state, &course_id)?;
    let item = find_item(&manifest, &item_id)?;
    let ItemKind::File { path } = &item.kind else {
        return Err(CommandError::new(
            codes::NOT_INSTALLED,
            "This item is not a file to open with another application.",
        ));
    };
    let name = path.rsplit('/').next().unwrap_or(path).to_owned();
    if !study::openable_with_app(path) {
        return Err(CommandError::new(
            codes::FILE_TYPE_REFUSED,
            format!(
                "Carrel does not open “{name}” with another application: files of this type can \
                 run programs on your computer. Ask your course team for another format."
            ),
        ));
    }
    let library = state.library();
    let dir = state.data_dir().join(OPENED_DIR);
    let (course, file) = (course_id.clone(), path.clone());
    let exported = blocking(move || {
        if !library
            .damaged_files(&course, &[&file])
            .map_err(store_error)?
            .is_empty()
        {
            return Err(CommandError::new(
                codes::CONTENT_DAMAGED,
                "This file is missing or damaged on this computer. Repair the course to download \
                 it again.",
            )
            .with_detail(course));
        }
        library
            .export_file(&course, &file, &dir)
            .map_err(store_error)
    })
    .await?;
    app.opener()
        .open_path(exported.to_string_lossy(), None::<&str>)
        .map_err(|error| {
            tracing::warn!(%error, file = %exported.display(), "no application opened the file");
            CommandError::new(
                codes::NO_APPLICATION,
                format!(
                    "No application on this computer opened “{name}”. Install one for this type \
                     of file; the file is at {}.",
                    exported.display()
                ),
            )
        })?;
    let db = state.progress().db().await?;
    blocking(move || {
        study::record_completed(&db, &course_id, &item_id, now_ms()).map_err(progress_error)
    })
    .await
}

/// Where course files handed to other applications are copied, in the data folder.
pub const OPENED_DIR: &str = "opened";

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
        None,
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

pub(crate) fn manifest_of(state: &AppState, course_id: &str) -> Result<Manifest, CommandError> {
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

pub(crate) fn now_ms() -> i64 {
    carrel_protocol::unix_time_ms() as i64
}

pub(crate) fn progress_error(error: ProgressError) -> CommandError {
    CommandError::internal("Your progress could not be read or saved", error)
}

pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| CommandError::internal("A background task failed", error))?
}

pub(crate) fn store_error(error: StoreError) -> CommandError {
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
