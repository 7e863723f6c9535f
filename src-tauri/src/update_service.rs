//! The app's update service: one check, download or install at a time, its status published to the
//! UI (event [`crate::events::UPDATE_STATUS`]), a check at start and every [`CHECK_EVERY`], and,
//! when the learner chose it, installing by itself once Carrel is idle.
//!
//! Installing waits while a quiz attempt is open or the outbox is sending ([`InstallBlock`]):
//! the restart that follows an install would interrupt them. Nothing of the learner's is at risk
//! either way (answers and submissions are saved as they are made), but a timed attempt would
//! lose minutes.

use std::sync::Mutex;
use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_store::StoreExt;
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::error::{CommandError, codes};
use crate::events;
use crate::settings::{self, Stored};
use crate::state::{AppState, SETTINGS_FILE};
use crate::updates::{
    self, AvailableUpdate, CHECK_EVERY, CancelDownload, InstallBlock, Rules, UpdateError,
    UpdatePhase, UpdateStatus,
};

/// How long after start the first check runs (the window and the learner's work come first).
const FIRST_CHECK_AFTER: Duration = Duration::from_secs(20);
/// How often an automatic install looks again whether Carrel is idle.
const IDLE_RECHECK: Duration = Duration::from_secs(60);

/// The update service, managed by Tauri beside [`AppState`].
pub struct UpdateService {
    status: Mutex<UpdateStatus>,
    found: Mutex<Option<Update>>,
    downloaded: Mutex<Option<Vec<u8>>>,
    cancel: Mutex<Option<CancelDownload>>,
    busy: tokio::sync::Mutex<()>,
    rules: Rules,
}

impl UpdateService {
    /// A service for this app at `current_version` (what the updater compares with) that has not
    /// checked yet; `last_success_ms` is the saved last good check.
    pub fn new(current_version: String, last_success_ms: Option<i64>, auto_install: bool) -> Self {
        let now = now_ms();
        let phase = if updates::installed_bundle().is_some() {
            UpdatePhase::Idle
        } else {
            UpdatePhase::Unsupported
        };
        Self {
            status: Mutex::new(UpdateStatus {
                current_version,
                phase,
                available: None,
                downloaded_bytes: 0,
                total_bytes: None,
                last_check_ms: None,
                last_success_ms,
                // Not before this run has tried: a first start has nothing to warn about yet.
                stale: phase != UpdatePhase::Unsupported
                    && last_success_ms.is_some()
                    && updates::is_stale(last_success_ms, now),
                error: None,
                blocked_by: None,
                auto_install,
            }),
            found: Mutex::new(None),
            downloaded: Mutex::new(None),
            cancel: Mutex::new(None),
            busy: tokio::sync::Mutex::new(()),
            rules: Rules::default(),
        }
    }

    /// The status now.
    pub fn status(&self) -> UpdateStatus {
        lock(&self.status).clone()
    }

    /// The status now, with why installing must wait looked at again (an attempt submitted since,
    /// sending finished) when an update is ready.
    pub async fn fresh_status<R: Runtime>(&self, app: &AppHandle<R>) -> UpdateStatus {
        if self.status().phase == UpdatePhase::Ready {
            let block = self.blocked_by(app).await;
            if self.status().blocked_by != block {
                self.change(app, |status| status.blocked_by = block);
            }
        }
        self.status()
    }

    fn change<R: Runtime>(&self, app: &AppHandle<R>, edit: impl FnOnce(&mut UpdateStatus)) {
        let status = {
            let mut status = lock(&self.status);
            edit(&mut status);
            status.stale = status.phase != UpdatePhase::Unsupported
                && (status.last_success_ms.is_some() || status.last_check_ms.is_some())
                && updates::is_stale(status.last_success_ms, now_ms());
            status.clone()
        };
        if let Err(error) = app.emit_to("main", events::UPDATE_STATUS, status) {
            tracing::warn!(%error, "cannot send the update status to the UI");
        }
    }

    /// The learner changed the automatic-install choice.
    pub fn set_auto_install<R: Runtime>(&self, app: &AppHandle<R>, auto_install: bool) {
        self.change(app, |status| status.auto_install = auto_install);
    }

    /// Asks the course server for a newer release on the learner's channel.
    pub async fn check<R: Runtime>(&self, app: &AppHandle<R>) -> UpdateStatus {
        let Some(bundle) = updates::installed_bundle() else {
            self.change(app, |status| status.phase = UpdatePhase::Unsupported);
            return self.status();
        };
        let _busy = self.busy.lock().await;
        if matches!(
            self.status().phase,
            UpdatePhase::Ready | UpdatePhase::Installing
        ) {
            return self.status();
        }
        self.change(app, |status| {
            status.phase = UpdatePhase::Checking;
            status.last_check_ms = Some(now_ms());
        });
        let state = app.state::<AppState>();
        let channel = read_stored(app).update_channel;
        let endpoint = carrel_protocol::updates::update_endpoint(
            state.server().url.as_str(),
            channel.into(),
            bundle,
        );
        let result = match url::Url::parse(&endpoint) {
            Ok(endpoint) => updates::check(app.updater_builder(), endpoint, &self.rules).await,
            Err(error) => Err(UpdateError::Check(error.to_string())),
        };
        match result {
            Ok(found) => {
                let now = now_ms();
                save_last_success(app, now);
                let available = found.as_ref().map(AvailableUpdate::of);
                tracing::info!(
                    available = available.as_ref().map(|a| a.version.as_str()),
                    "update check"
                );
                *lock(&self.found) = found;
                self.change(app, |status| {
                    status.last_success_ms = Some(now);
                    status.error = None;
                    status.phase = if available.is_some() {
                        UpdatePhase::Available
                    } else {
                        UpdatePhase::UpToDate
                    };
                    status.available = available;
                });
            }
            Err(error) => {
                tracing::info!(%error, "update check failed");
                self.change(app, |status| {
                    status.phase = UpdatePhase::Failed;
                    status.error = Some(error.to_string());
                });
            }
        }
        self.status()
    }

    /// Downloads and verifies the release found by the last check.
    pub async fn download<R: Runtime>(&self, app: &AppHandle<R>) -> Result<(), CommandError> {
        let _busy = self.busy.lock().await;
        let Some(update) = lock(&self.found).clone() else {
            return Err(CommandError::new(
                codes::NO_UPDATE,
                "There is no update to download; check for updates first",
            ));
        };
        if lock(&self.downloaded).is_some() {
            return Ok(());
        }
        let cancel = CancelDownload::default();
        *lock(&self.cancel) = Some(cancel.clone());
        self.change(app, |status| {
            status.phase = UpdatePhase::Downloading;
            status.downloaded_bytes = 0;
            status.total_bytes = None;
            status.error = None;
        });
        let emitter = app.clone();
        let mut last_emit = std::time::Instant::now();
        let result = updates::download(&update, &self.rules, &cancel, move |done, total| {
            // A progress bar needs a few updates a second, not one per network chunk.
            if last_emit.elapsed() >= Duration::from_millis(150) {
                last_emit = std::time::Instant::now();
                let service = emitter.state::<UpdateService>();
                service.change(&emitter, |status| {
                    status.downloaded_bytes = done;
                    status.total_bytes = total;
                });
            }
        })
        .await;
        *lock(&self.cancel) = None;
        match result {
            Ok(bytes) => {
                let size = bytes.len() as u64;
                *lock(&self.downloaded) = Some(bytes);
                self.change(app, |status| {
                    status.phase = UpdatePhase::Ready;
                    status.downloaded_bytes = size;
                    status.total_bytes = Some(size);
                });
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, "update not downloaded");
                let message = error.to_string();
                let refused = matches!(error, UpdateError::Refused { .. });
                if refused {
                    // Never offer a bundle that failed its signature again in this run.
                    *lock(&self.found) = None;
                }
                self.change(app, |status| {
                    status.phase = if refused {
                        UpdatePhase::Failed
                    } else {
                        UpdatePhase::Available
                    };
                    if refused {
                        status.available = None;
                    }
                    status.downloaded_bytes = 0;
                    status.error = Some(message.clone());
                });
                let code = match error {
                    UpdateError::Cancelled => codes::CANCELLED,
                    _ => codes::UPDATE_FAILED,
                };
                Err(CommandError::new(code, message))
            }
        }
    }

    /// Stops a running download.
    pub fn cancel_download(&self) -> bool {
        lock(&self.cancel)
            .as_ref()
            .map(CancelDownload::cancel)
            .is_some()
    }

    /// Why installing must wait now, if it must.
    pub async fn blocked_by<R: Runtime>(&self, app: &AppHandle<R>) -> Option<InstallBlock> {
        let state = app.state::<AppState>();
        if state.sync().status().sending.is_some() {
            return Some(InstallBlock::Sending);
        }
        let db = state.progress().db().await.ok()?;
        let open = tauri::async_runtime::spawn_blocking(move || {
            carrel_core::assess::attempts::open_count(&db, now_ms())
        })
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
        (open > 0).then_some(InstallBlock::AttemptOpen)
    }

    /// Installs the downloaded release and restarts Carrel, unless an attempt is open or the
    /// outbox is sending.
    pub async fn install<R: Runtime>(&self, app: &AppHandle<R>) -> Result<(), CommandError> {
        let _busy = self.busy.lock().await;
        let (Some(update), Some(bytes)) =
            (lock(&self.found).clone(), lock(&self.downloaded).clone())
        else {
            return Err(CommandError::new(
                codes::NO_UPDATE,
                "Download the update before installing it",
            ));
        };
        if let Some(block) = self.blocked_by(app).await {
            self.change(app, |status| status.blocked_by = Some(block));
            let message = match block {
                InstallBlock::AttemptOpen => {
                    "A quiz attempt is open. Submit it, then install the update"
                }
                InstallBlock::Sending => {
                    "Carrel is sending your work. Install the update when it has finished"
                }
            };
            return Err(CommandError::new(codes::UPDATE_BLOCKED, message));
        }
        self.change(app, |status| {
            status.phase = UpdatePhase::Installing;
            status.blocked_by = None;
        });
        tracing::info!(version = update.version, "installing update");
        let installed =
            tauri::async_runtime::spawn_blocking(move || updates::install(&update, &bytes))
                .await
                .map_err(|error| UpdateError::Install(error.to_string()))
                .and_then(|result| result);
        match installed {
            Ok(()) => {
                tracing::info!("update installed; restarting");
                app.restart();
            }
            Err(error) => {
                tracing::warn!(%error, "update not installed");
                *lock(&self.downloaded) = None;
                let message = error.to_string();
                self.change(app, |status| {
                    status.phase = UpdatePhase::Failed;
                    status.error = Some(message.clone());
                });
                Err(CommandError::new(codes::UPDATE_FAILED, message))
            }
        }
    }

    /// Checks at start and every [`CHECK_EVERY`]; installs by itself when the learner chose so.
    pub fn spawn_background<R: Runtime>(app: AppHandle<R>) {
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(FIRST_CHECK_AFTER).await;
            loop {
                let service = app.state::<UpdateService>();
                let status = service.check(&app).await;
                if status.phase == UpdatePhase::Unsupported {
                    return;
                }
                if status.phase == UpdatePhase::Available && read_stored(&app).auto_install_updates
                {
                    service.install_when_idle(&app).await;
                }
                tokio::time::sleep(CHECK_EVERY).await;
            }
        });
    }

    async fn install_when_idle<R: Runtime>(&self, app: &AppHandle<R>) {
        if self.download(app).await.is_err() {
            return;
        }
        loop {
            if !read_stored(app).auto_install_updates {
                return;
            }
            match self.blocked_by(app).await {
                Some(block) => {
                    self.change(app, |status| status.blocked_by = Some(block));
                    tokio::time::sleep(IDLE_RECHECK).await;
                }
                None => {
                    let _ = self.install(app).await;
                    return;
                }
            }
        }
    }
}

/// The stored settings.
pub fn read_stored<R: Runtime>(app: &AppHandle<R>) -> Stored {
    match app.store(SETTINGS_FILE) {
        Ok(store) => Stored::read(|key| store.get(key)),
        Err(error) => {
            tracing::warn!(%error, "settings unreadable; using defaults");
            Stored::default()
        }
    }
}

/// The saved time of the last successful update check.
pub fn read_last_success<R: Runtime>(app: &AppHandle<R>) -> Option<i64> {
    app.store(SETTINGS_FILE)
        .ok()?
        .get(settings::LAST_UPDATE_CHECK_KEY)?
        .as_i64()
}

fn save_last_success<R: Runtime>(app: &AppHandle<R>, now: i64) {
    if let Ok(store) = app.store(SETTINGS_FILE) {
        store.set(settings::LAST_UPDATE_CHECK_KEY, now);
        if let Err(error) = store.save() {
            tracing::warn!(%error, "cannot save the time of the update check");
        }
    }
}

fn now_ms() -> i64 {
    carrel_protocol::unix_time_ms() as i64
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
