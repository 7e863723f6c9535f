//! The learner's progress database, owned by this process.
//!
//! At start the profile lock is taken and the database opened in the background (with its
//! `quick_check`, and recovery from the last backup if the file is damaged), so the window shows
//! while that runs; commands that need it wait for it. What happened is kept as a [`Notice`] for
//! the UI to tell the learner. A database that cannot be used (written by a newer Carrel, profile
//! held by another process, or an upgrade to this version that failed and left the file as it
//! was: `progress_upgrade_failed`) leaves the app running for everything else, with a clear
//! message.
//! A backup (`VACUUM INTO`) is made at start when the last one is over an hour old, then hourly.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carrel_core::progress::{ProfileLock, ProgressDb, ProgressError, Recovery};
use serde::Serialize;
use tokio::sync::OnceCell;
use ts_rs::TS;

use crate::error::{CommandError, codes, sentence};

/// The database file, in the app's data folder.
pub const FILE: &str = "progress.sqlite3";
/// The lock that makes one process the owner of the profile.
pub const LOCK_FILE: &str = "progress.lock";
/// How often a backup is made.
const BACKUP_EVERY: Duration = Duration::from_secs(3600);

/// Something the learner must be told about their progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    /// `progress_restored`, `progress_reset`, `progress_unavailable` or `progress_upgrade_failed`.
    pub code: String,
    /// What happened and what to do, in a sentence or two.
    pub message: String,
}

/// The progress database, once it is open.
pub struct ProgressService {
    path: PathBuf,
    cell: OnceCell<Result<Arc<ProgressDb>, String>>,
    lock: Mutex<Option<ProfileLock>>,
    notices: Mutex<Vec<Notice>>,
}

impl ProgressService {
    /// Starts opening the database of the profile in `data_dir` in the background.
    pub fn start(data_dir: &std::path::Path) -> Arc<Self> {
        let service = Arc::new(Self {
            path: data_dir.join(FILE),
            cell: OnceCell::new(),
            lock: Mutex::new(None),
            notices: Mutex::new(Vec::new()),
        });
        let lock_path = data_dir.join(LOCK_FILE);
        let opening = service.clone();
        tauri::async_runtime::spawn(async move {
            if opening.db_with(&lock_path).await.is_ok() {
                opening.keep_backups().await;
            }
        });
        service
    }

    /// The open database, waiting for it to open if needed.
    pub async fn db(&self) -> Result<Arc<ProgressDb>, CommandError> {
        self.wait().await.map_err(unavailable)
    }

    async fn db_with(&self, lock_path: &std::path::Path) -> Result<Arc<ProgressDb>, String> {
        self.cell
            .get_or_init(|| async {
                let path = self.path.clone();
                let lock_path = lock_path.to_owned();
                let opened = tauri::async_runtime::spawn_blocking(move || {
                    let lock = ProfileLock::acquire(&lock_path)?;
                    ProgressDb::open_or_recover(&path).map(|(db, recovery)| (lock, db, recovery))
                })
                .await;
                match opened {
                    Ok(Ok((lock, db, recovery))) => {
                        *lock_slot(&self.lock) = Some(lock);
                        if let Some(notice) = recovery_notice(&recovery) {
                            tracing::warn!(?recovery, "progress database recovered");
                            lock_slot(&self.notices).push(notice);
                        }
                        Ok(Arc::new(db))
                    }
                    Ok(Err(error)) => Err(self.failed(&error)),
                    Err(error) => Err(format!("Your progress could not be opened ({error}).")),
                }
            })
            .await
            .clone()
    }

    fn failed(&self, error: &ProgressError) -> String {
        tracing::error!(%error, path = %self.path.display(), "progress database unavailable");
        let message = sentence(error.to_string());
        // A failed upgrade is told apart: the file is intact, and going back to the previous
        // Carrel is the way on.
        let code = match error {
            ProgressError::MigrationFailed { .. } => "progress_upgrade_failed",
            _ => "progress_unavailable",
        };
        lock_slot(&self.notices).push(Notice {
            code: code.into(),
            message: message.clone(),
        });
        message
    }

    /// Waits for the database to open, then returns it (the scheme handler's blocking threads
    /// call this).
    pub fn db_blocking(&self) -> Result<Arc<ProgressDb>, CommandError> {
        tauri::async_runtime::block_on(self.wait()).map_err(unavailable)
    }

    /// Waits until opening has finished.
    pub async fn wait(&self) -> Result<Arc<ProgressDb>, String> {
        loop {
            if let Some(result) = self.cell.get() {
                return result.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What the learner has not been told yet.
    pub fn take_notices(&self) -> Vec<Notice> {
        std::mem::take(&mut *lock_slot(&self.notices))
    }

    async fn keep_backups(&self) {
        let backup = PathBuf::from(format!("{}.backup", self.path.display()));
        let age = std::fs::metadata(&backup)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        let mut wait = match age {
            Some(age) if age < BACKUP_EVERY => BACKUP_EVERY - age,
            _ => Duration::ZERO,
        };
        loop {
            tokio::time::sleep(wait).await;
            wait = BACKUP_EVERY;
            let Ok(db) = self.wait().await else { return };
            match tauri::async_runtime::spawn_blocking(move || db.backup()).await {
                Ok(Ok(path)) => tracing::info!(path = %path.display(), "progress backed up"),
                Ok(Err(error)) => tracing::warn!(%error, "progress backup failed"),
                Err(error) => tracing::warn!(%error, "progress backup task failed"),
            }
        }
    }
}

fn unavailable(message: String) -> CommandError {
    CommandError::new(codes::PROGRESS_UNAVAILABLE, message)
}

fn recovery_notice(recovery: &Recovery) -> Option<Notice> {
    match recovery {
        Recovery::None => None,
        Recovery::RestoredFromBackup {
            moved_to,
            backup_ms,
        } => Some(Notice {
            code: "progress_restored".into(),
            message: format!(
                "Your progress file was damaged, so Carrel restored the backup made on {}. Anything \
                 recorded after that is missing from this computer; the damaged file was kept at {}.",
                describe_ms(*backup_ms),
                moved_to.display()
            ),
        }),
        Recovery::StartedFresh { moved_to } => Some(Notice {
            code: "progress_reset".into(),
            message: format!(
                "Your progress file was damaged and there was no backup, so Carrel started a new \
                 one. The damaged file was kept at {}.",
                moved_to.display()
            ),
        }),
    }
}

fn describe_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| "an unknown date".into())
}

fn lock_slot<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
