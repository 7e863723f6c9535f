//! The state every command shares: where data lives, which server is in use, and the handle on the
//! background connectivity monitor.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use carrel_core::library::media_server::{MediaServer, OpenCourse};
use carrel_core::library::{self, Library};
use carrel_core::search::{self, SearchIndex};
use carrel_package::store::Cancel;

use std::sync::atomic::{AtomicBool, Ordering};

use carrel_core::assess::attachments::AttachmentStore;
use carrel_core::connectivity::{ConnectionState, Monitor};
use carrel_core::http::HttpClient;
use carrel_core::progress::ProgressDb;
use carrel_core::settings::{self, ResolvedServerUrl, ServerUrl, ServerUrlSource};
use carrel_core::sync::credentials::Credentials;
use carrel_core::sync::engine::{SyncEngine, SyncHost, SyncStatus};
use carrel_core::sync::session::SessionManager;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_store::StoreExt;

use crate::error::{CommandError, codes};
use crate::events;
use crate::progress::ProgressService;

/// The settings file, in the app's data folder (managed by tauri-plugin-store).
pub const SETTINGS_FILE: &str = "settings.json";
/// The key of the saved server address in [`SETTINGS_FILE`].
pub const SERVER_URL_KEY: &str = "serverUrl";
/// The settings key of the learner's choice to hold sync (a metered connection).
pub const SYNC_HELD_KEY: &str = "syncHeld";
/// How often the server is probed in the background.
const STATUS_INTERVAL: Duration = Duration::from_secs(15);

/// Shared app state, managed by Tauri.
pub struct AppState {
    data_dir: PathBuf,
    library_dir: PathBuf,
    server: Arc<RwLock<ResolvedServerUrl>>,
    monitor: Monitor,
    http: HttpClient,
    library: Arc<Library>,
    tasks: Mutex<HashMap<String, Cancel>>,
    cancelled_early: Mutex<std::collections::HashSet<String>>,
    pending_imports: Mutex<Vec<PathBuf>>,
    open_course: OpenCourse,
    media: Option<MediaServer>,
    progress: Arc<ProgressService>,
    search: Option<Arc<SearchIndex>>,
    session: Arc<SessionManager>,
    sync: SyncEngine,
}

impl AppState {
    /// Creates the data folder, reads the server address, and starts the connectivity monitor.
    pub fn init<R: Runtime>(app: &AppHandle<R>) -> Result<Self, Box<dyn std::error::Error>> {
        let data_dir = app.path().app_data_dir()?;
        std::fs::create_dir_all(&data_dir).map_err(|error| {
            format!(
                "cannot create the data folder {}: {error}",
                data_dir.display()
            )
        })?;
        let saved = app
            .store(SETTINGS_FILE)?
            .get(SERVER_URL_KEY)
            .and_then(|value| value.as_str().map(str::to_owned));
        let env_value = std::env::var(settings::SERVER_URL_ENV).ok();
        let server = settings::resolve_server_url(env_value.as_deref(), saved.as_deref());
        tracing::info!(
            version = %app.package_info().version,
            url = %server.url,
            source = ?server.source,
            data_dir = %data_dir.display(),
            "Carrel starting"
        );
        let progress = ProgressService::start(&data_dir);
        let client = HttpClient::new()?;
        let http = client.clone();
        let library_dir = choose_library_dir(app, &data_dir);
        let library = Library::open(&library_dir).map_err(|error| {
            format!(
                "cannot open the course library in {}: {error}",
                library_dir.display()
            )
        })?;
        let library = Arc::new(library);
        let search = open_search(&data_dir, &library);
        let open_course = OpenCourse::default();
        let media = if cfg!(target_os = "linux") {
            let (library, open) = (library.clone(), open_course.clone());
            tauri::async_runtime::block_on(MediaServer::start(library, open))
                .map_err(|error| tracing::warn!(%error, "no media server: videos will not play"))
                .ok()
        } else {
            None
        };
        let server = Arc::new(RwLock::new(server));
        let session = Arc::new(SessionManager::load(Credentials::new(&data_dir)));
        let held = app
            .store(SETTINGS_FILE)?
            .get(SYNC_HELD_KEY)
            .and_then(|value| value.as_bool())
            .unwrap_or(false);
        let host = SyncApp {
            app: app.clone(),
            progress: progress.clone(),
            server: server.clone(),
        };
        let attachments = AttachmentStore::new(data_dir.join("attachments"));
        let (sync_http, sync_session) = (http.clone(), session.clone());
        // Both background tasks must live on Tauri's tokio runtime.
        let sync = tauri::async_runtime::block_on(async move {
            SyncEngine::spawn(host, sync_http, sync_session, attachments, held)
        });
        let emitter = app.clone();
        let url = read(&server).url.clone();
        let waker = sync.clone();
        let monitor = tauri::async_runtime::block_on(async move {
            let was_online = AtomicBool::new(false);
            Monitor::spawn(client, url, STATUS_INTERVAL, move |status| {
                let online = status.state == ConnectionState::Online;
                if online && !was_online.swap(online, Ordering::SeqCst) {
                    // The connection is back: send what waited.
                    waker.wake();
                }
                was_online.store(online, Ordering::SeqCst);
                if let Err(error) = emitter.emit(events::SERVER_STATUS, status) {
                    tracing::warn!(%error, "cannot send the server status to the UI");
                }
            })
        });
        Ok(Self {
            data_dir,
            library_dir,
            server,
            monitor,
            http,
            library,
            tasks: Mutex::new(HashMap::new()),
            cancelled_early: Mutex::new(std::collections::HashSet::new()),
            pending_imports: Mutex::new(pending_imports_from_args()),
            open_course,
            media,
            progress,
            search,
            session,
            sync,
        })
    }

    /// The learner's progress database.
    pub fn progress(&self) -> &ProgressService {
        &self.progress
    }

    /// The full-text index of the installed courses (none if it could not be opened).
    pub fn search(&self) -> Option<Arc<SearchIndex>> {
        self.search.clone()
    }

    /// Re-indexes a course after it was installed, updated or repaired, in the background.
    pub fn reindex(&self, course_id: &str) {
        let (Some(index), library) = (self.search(), self.library()) else {
            return;
        };
        let course_id = course_id.to_owned();
        tauri::async_runtime::spawn_blocking(move || {
            if let Err(error) = search::index_installed(&library, &index, &course_id) {
                tracing::warn!(%error, course_id, "course not indexed for search");
            }
        });
    }

    /// The HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The courses on this laptop.
    pub fn library(&self) -> Arc<Library> {
        self.library.clone()
    }

    /// The folder the course library is in.
    pub fn library_dir(&self) -> PathBuf {
        self.library_dir.clone()
    }

    /// Shows the main window in `theme` (its title bar and the page's colours follow).
    pub fn apply_theme<R: Runtime>(&self, app: &AppHandle<R>, theme: crate::settings::Theme) {
        let theme = match theme {
            crate::settings::Theme::System => None,
            crate::settings::Theme::Light => Some(tauri::Theme::Light),
            crate::settings::Theme::Dark => Some(tauri::Theme::Dark),
        };
        if let Some(window) = app.get_webview_window("main")
            && let Err(error) = window.set_theme(theme)
        {
            tracing::warn!(%error, "cannot set the window theme");
        }
    }

    /// The store of files attached to assignment drafts.
    pub fn attachments(&self) -> carrel_core::assess::attachments::AttachmentStore {
        carrel_core::assess::attachments::AttachmentStore::new(self.data_dir.join("attachments"))
    }

    /// Where partial downloads are kept until they finish.
    pub fn downloads_dir(&self) -> PathBuf {
        self.data_dir.join("downloads")
    }

    /// Registers a long task the learner can cancel by `task_id`; dropping the guard forgets it.
    pub fn start_task(&self, task_id: &str) -> TaskGuard<'_> {
        let cancel = Cancel::default();
        // A cancel that arrived before the task started still counts.
        if lock(&self.cancelled_early).remove(task_id) {
            cancel.cancel();
        }
        lock(&self.tasks).insert(task_id.to_owned(), cancel.clone());
        TaskGuard {
            state: self,
            task_id: task_id.to_owned(),
            cancel,
        }
    }

    /// Asks the task `task_id` to stop; false when no such task runs yet (it will stop as soon
    /// as it starts).
    pub fn cancel_task(&self, task_id: &str) -> bool {
        let running = lock(&self.tasks).get(task_id).map(Cancel::cancel).is_some();
        if !running {
            let mut early = lock(&self.cancelled_early);
            // Bounded: ids of tasks that never start must not pile up.
            if early.len() >= 64 {
                early.clear();
            }
            early.insert(task_id.to_owned());
        }
        running
    }

    /// Package files given on the command line, handed to the UI once.
    pub fn take_pending_imports(&self) -> Vec<PathBuf> {
        std::mem::take(&mut *lock(&self.pending_imports))
    }

    /// The course the content window shows: the only one the scheme and media server serve.
    pub fn open_course(&self) -> &OpenCourse {
        &self.open_course
    }

    /// The loopback media server (Linux only; see `carrel_core::library::media_server`).
    pub fn media_server(&self) -> Option<&MediaServer> {
        self.media.as_ref()
    }

    /// The folder holding this installation's data.
    pub fn data_dir(&self) -> &PathBuf {
        &self.data_dir
    }

    /// The server address in use and its source.
    pub fn server(&self) -> ResolvedServerUrl {
        read(&self.server)
    }

    /// The signed-in session.
    pub fn session(&self) -> &Arc<SessionManager> {
        &self.session
    }

    /// The HTTP client for course requests to `server`: signed in when the learner is (so courses
    /// open only to enrolled learners are listed and downloaded), anonymous otherwise.
    pub async fn course_http(&self, server: &ServerUrl) -> HttpClient {
        let now = carrel_protocol::unix_time_ms();
        let token = match self.session.access_token(&self.http, server, now).await {
            Ok((token, _)) => Some(token),
            Err(carrel_core::sync::session::SessionError::SignedOut) => None,
            Err(error) => {
                tracing::info!(%error, "courses are listed as for a visitor");
                None
            }
        };
        self.http.signed_in(token)
    }

    /// The background sync engine.
    pub fn sync(&self) -> &SyncEngine {
        &self.sync
    }

    /// The connectivity monitor.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// Validates `text`, saves it as the server address, and switches the monitor to it.
    pub fn set_server_url<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        text: &str,
    ) -> Result<ResolvedServerUrl, CommandError> {
        if self.server().source == ServerUrlSource::Environment {
            return Err(CommandError::new(
                codes::SERVER_URL_LOCKED,
                format!(
                    "The server address is set by the {} environment variable; change it there.",
                    settings::SERVER_URL_ENV
                ),
            ));
        }
        let url = ServerUrl::parse(text)
            .map_err(|error| CommandError::new(codes::INVALID_SERVER_URL, error.to_string()))?;
        let store = app.store(SETTINGS_FILE).map_err(settings_error)?;
        store.set(SERVER_URL_KEY, url.as_str());
        store.save().map_err(settings_error)?;
        Ok(self.use_server(url))
    }

    /// Switches to `url` (already saved): sync and the connectivity monitor follow.
    pub fn use_server(&self, url: ServerUrl) -> ResolvedServerUrl {
        let resolved = ResolvedServerUrl {
            url: url.clone(),
            source: ServerUrlSource::Settings,
        };
        *self
            .server
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = resolved.clone();
        self.sync.wake();
        // The new status reaches the UI through the server-status event.
        let monitor = self.monitor.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(error) = monitor.set_url(url).await {
                tracing::warn!(%error, "cannot switch the connectivity monitor");
            }
        });
        resolved
    }
}

/// A running task; removes itself from the registry when dropped.
pub struct TaskGuard<'a> {
    state: &'a AppState,
    task_id: String,
    cancel: Cancel,
}

impl TaskGuard<'_> {
    /// The task's cancel flag.
    pub fn cancel(&self) -> Cancel {
        self.cancel.clone()
    }
}

impl Drop for TaskGuard<'_> {
    fn drop(&mut self) {
        lock(&self.state.tasks).remove(&self.task_id);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The course library's folder: the one chosen in Settings, or the default in the data folder.
/// A folder a move left behind is removed now that nothing holds it open. A chosen folder that is
/// missing (a drive not plugged in) is not recreated empty: Carrel uses the default one and says
/// so in the log, and the setting stays for when the drive returns.
fn choose_library_dir<R: Runtime>(app: &AppHandle<R>, data_dir: &std::path::Path) -> PathBuf {
    let default = library::library_dir(data_dir);
    let Ok(store) = app.store(SETTINGS_FILE) else {
        return default;
    };
    if let Some(old) = store
        .get(crate::settings::LIBRARY_MOVED_FROM_KEY)
        .and_then(|value| value.as_str().map(PathBuf::from))
    {
        match library::relocate::remove_old(&old) {
            Ok(removed) => {
                tracing::info!(old = %old.display(), removed, "old course folder after a move")
            }
            Err(error) => tracing::warn!(%error, "the old course folder could not be removed"),
        }
        store.delete(crate::settings::LIBRARY_MOVED_FROM_KEY);
        let _ = store.save();
    }
    match store
        .get(crate::settings::LIBRARY_DIR_KEY)
        .and_then(|value| value.as_str().map(PathBuf::from))
    {
        Some(chosen) if chosen.is_dir() => chosen,
        Some(chosen) => {
            tracing::warn!(chosen = %chosen.display(), "the chosen course folder is missing; using the default one");
            default
        }
        None => default,
    }
}

/// The search index in the data folder: rebuilt when damaged (it is derived from the courses),
/// caught up with the installed courses in the background.
fn open_search(data_dir: &std::path::Path, library: &Arc<Library>) -> Option<Arc<SearchIndex>> {
    let path = data_dir.join(SEARCH_FILE);
    let index = match SearchIndex::open_or_rebuild(&path) {
        Ok((index, recovery)) => {
            if recovery != search::Recovery::None {
                tracing::warn!(?recovery, "search index rebuilt");
            }
            Arc::new(index)
        }
        Err(error) => {
            tracing::error!(%error, "no search: the index cannot be opened");
            return None;
        }
    };
    let (catching, library) = (index.clone(), library.clone());
    tauri::async_runtime::spawn_blocking(move || match search::catch_up(&library, &catching) {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "courses indexed for search"),
        Err(error) => tracing::warn!(%error, "search index not caught up"),
    });
    Some(index)
}

/// The search index file, in the data folder.
pub const SEARCH_FILE: &str = "search.sqlite3";

/// `carrel course.carrel …`: package files named on the command line.
fn pending_imports_from_args() -> Vec<PathBuf> {
    std::env::args_os()
        .skip(1)
        .map(PathBuf::from)
        .filter(|path| is_course_package(path))
        .collect()
}

/// A `.carrel` file that exists.
pub fn is_course_package(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|ext| ext == "carrel") && path.is_file()
}

fn settings_error(error: tauri_plugin_store::Error) -> CommandError {
    tracing::error!(%error, "cannot save settings");
    CommandError::new(
        codes::SETTINGS_UNAVAILABLE,
        format!(
            "Carrel could not save your settings ({error}). Check that the disk is not full and \
             that you can write to Carrel's data folder."
        ),
    )
}

fn read(server: &RwLock<ResolvedServerUrl>) -> ResolvedServerUrl {
    server
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// What the sync engine reaches of the app: the progress database, the server in use, and the UI.
struct SyncApp<R: Runtime> {
    app: AppHandle<R>,
    progress: Arc<ProgressService>,
    server: Arc<RwLock<ResolvedServerUrl>>,
}

impl<R: Runtime> SyncHost for SyncApp<R> {
    async fn db(&self) -> Option<Arc<ProgressDb>> {
        self.progress.wait().await.ok()
    }

    fn server(&self) -> ServerUrl {
        read(&self.server).url
    }

    fn status_changed(&self, status: &SyncStatus) {
        if let Err(error) = self.app.emit_to("main", events::SYNC_STATUS, status) {
            tracing::warn!(%error, "cannot send the sync status to the UI");
        }
    }

    fn outbox_changed(&self) {
        events::emit_outbox_changed(&self.app);
    }

    fn transcript_changed(&self) {
        if let Err(error) = self.app.emit_to("main", events::TRANSCRIPT_CHANGED, ()) {
            tracing::warn!(%error, "cannot tell the UI about the transcript");
        }
    }

    fn groups_changed(&self) {
        if let Err(error) = self.app.emit_to("main", events::GROUPS_CHANGED, ()) {
            tracing::warn!(%error, "cannot tell the UI about group work");
        }
    }

    fn forum_changed(&self, _pulled: &carrel_core::forums::ForumPullReport) {
        if let Err(error) = self.app.emit_to("main", events::FORUM_CHANGED, ()) {
            tracing::warn!(%error, "cannot tell the UI about new forum posts");
        }
    }

    fn metered(&self) -> Option<bool> {
        carrel_core::connectivity::metered()
    }

    fn news(&self, pulled: &carrel_core::sync::changes::PullReport) {
        use tauri_plugin_notification::NotificationExt;
        let settings = crate::update_service::read_stored(&self.app);
        if !settings.notifications {
            return;
        }
        let others = pulled.applied.saturating_sub(pulled.grades);
        let Some(body) = crate::words::Words::of(settings.language).news(pulled.grades, others)
        else {
            return;
        };
        if let Err(error) = self
            .app
            .notification()
            .builder()
            .title("Carrel")
            .body(body)
            .show()
        {
            tracing::info!(%error, "no system notification");
        }
    }
}
