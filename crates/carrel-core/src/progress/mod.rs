//! The progress database: what the learner has done, kept as an append-only event log.
//!
//! One SQLite file per profile. Every learner action (opened, progressed, completed, time on task,
//! position in a page or video) is an event with a client-made UUIDv7 id; per-item summaries are
//! derived from events by rules that do not depend on order — furthest progress, first completion,
//! summed time, latest position — and updated in the same transaction as the insert. So an event
//! recorded twice counts once, and merging another device's events later is a union that loses
//! nothing to last-writer-wins.
//!
//! Durability: WAL with `synchronous = FULL`, so a write the UI calls saved survives a power cut;
//! every write goes through [`ProgressDb::transact`]. [`ProgressDb::open_or_recover`] runs
//! `quick_check`, and a file that fails it (or cannot be opened) is moved aside, never deleted, and
//! replaced by the last [`ProgressDb::backup`] (`VACUUM INTO`), or by an empty database when there
//! is none; the returned [`Recovery`] says which, for the learner. A file written by a newer Carrel
//! is refused and left untouched.
//!
//! Updates: migrations are an ordered, append-only list, and a file from an earlier Carrel is
//! upgraded on the first start of the new one in a single transaction that also sets its
//! `user_version`, so the upgrade happens whole or not at all. Before upgrading, a copy of the file
//! as the earlier Carrel left it is kept beside it (`<file>.before-v<version>`, only the newest such
//! copy), so the learner can go back to that Carrel. An upgrade that fails is rolled back, leaving
//! the file exactly as it was, outbox included; it is reported as
//! [`ProgressError::MigrationFailed`] and is never taken for damage: nothing is moved or replaced.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::Serialize;
use ts_rs::TS;

/// Schema steps, in order. Never edit a step that has shipped; append a new one. The steps an
/// upgrade needs run together in one transaction, so a step cannot `VACUUM`, and
/// `PRAGMA foreign_keys` has no effect inside it.
const MIGRATIONS: &[&str] = &[
    include_str!("0001_progress.sql"),
    include_str!("0002_watched.sql"),
    include_str!("0003_assessments.sql"),
    include_str!("0004_outbox_sync.sql"),
    include_str!("0005_server_feed.sql"),
    include_str!("0006_runtime.sql"),
    include_str!("0007_cmi5.sql"),
    include_str!("0008_calendar.sql"),
    include_str!("0009_forums.sql"),
    include_str!("0010_certificates.sql"),
];

/// Why the progress database failed.
#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    /// SQLite failed. [`ProgressDb::open_or_recover`] takes it, from opening, for a damaged file.
    #[error("the progress database failed: {0}")]
    Db(rusqlite::Error),
    /// The disk is full (SQLite's `SQLITE_FULL`): the write was rolled back, nothing saved before
    /// it is lost, and the file is not damaged.
    #[error(
        "the disk is full, so this was not saved; everything saved before is kept. Free some disk space and try again"
    )]
    DiskFull,
    /// Reading or writing the disk failed (SQLite's `SQLITE_IOERR`, e.g. an `fsync` that
    /// failed): the write was rolled back and not saved.
    #[error(
        "Carrel could not write to the disk (an input/output error), so this was not saved; everything saved before is kept. Try again; if it keeps happening, the disk may be failing: copy your data folder elsewhere"
    )]
    DiskError(rusqlite::Error),
    /// Upgrading a file from an earlier Carrel failed; it was rolled back and the file left as it
    /// was.
    #[error(
        "Carrel could not upgrade your progress to this version (database version {from} to {to}: {reason}). Your progress file is unchanged at {path} and nothing was lost. Install the previous version of Carrel to keep studying, or contact support with this message"
    )]
    MigrationFailed {
        /// The database file, left as it was.
        path: PathBuf,
        /// Its schema version, still.
        from: usize,
        /// The version this build tried to bring it to.
        to: usize,
        /// What failed, for support.
        reason: String,
    },
    /// Written by a newer Carrel; left untouched.
    #[error(
        "your progress was saved by a newer version of Carrel (database version {found}, this one knows {known}). Update Carrel to continue; nothing was changed"
    )]
    TooNew {
        /// The file's schema version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
    /// Another Carrel process holds this profile.
    #[error(
        "Carrel is already running with this profile ({path}); switch to its window, or close it and start Carrel again"
    )]
    InUse {
        /// The profile's lock file.
        path: PathBuf,
    },
    /// A file operation (moving a damaged file aside, a backup) failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What.
        operation: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for ProgressError {
    fn from(error: rusqlite::Error) -> Self {
        let extended = match &error {
            rusqlite::Error::SqliteFailure(failure, _) => failure.extended_code,
            _ => 0,
        };
        match error.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Self::DiskFull,
            // The WAL index (`-shm`) could not grow: on a full disk SQLite says I/O error.
            Some(ErrorCode::SystemIoFailure) if extended == rusqlite::ffi::SQLITE_IOERR_SHMSIZE => {
                Self::DiskFull
            }
            Some(ErrorCode::SystemIoFailure) => Self::DiskError(error),
            _ => Self::Db(error),
        }
    }
}

/// What kind of learner action an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The item was opened.
    Opened,
    /// The learner got this far (`value`: fraction 0–1).
    Progressed,
    /// The item's completion rule was met.
    Completed,
    /// Time spent (`value`: seconds).
    TimeOnTask,
    /// Where the learner is in the item (`value` in `unit`).
    Position,
    /// A span of a video or audio was played (`value` from, `end` to, in seconds).
    Watched,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Progressed => "progressed",
            Self::Completed => "completed",
            Self::TimeOnTask => "time_on_task",
            Self::Position => "position",
            Self::Watched => "watched",
        }
    }
}

/// One learner action.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// UUIDv7, made on this device ([`new_event_id`]).
    pub id: String,
    /// Course.
    pub course_id: String,
    /// Item.
    pub item_id: String,
    /// What happened.
    pub kind: EventKind,
    /// When (unix ms).
    pub at_ms: i64,
    /// Its measure (see [`EventKind`]).
    pub value: Option<f64>,
    /// For positions: `seconds`, `fraction` or `page`.
    pub unit: Option<String>,
    /// For watched spans: where the span ends (seconds).
    pub end: Option<f64>,
}

/// Where a learner is in one item, derived from its events.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ItemProgress {
    /// Item.
    pub item_id: String,
    /// First opened (unix ms).
    #[ts(type = "number | null")]
    pub first_opened_ms: Option<i64>,
    /// Last opened.
    #[ts(type = "number | null")]
    pub last_opened_ms: Option<i64>,
    /// Furthest progress, 0–1.
    pub progress: f64,
    /// First completed.
    #[ts(type = "number | null")]
    pub completed_ms: Option<i64>,
    /// Seconds spent in all.
    pub time_on_task_s: f64,
    /// Latest position.
    pub position: Option<f64>,
    /// Its unit.
    pub position_unit: Option<String>,
}

/// A course's progress, derived from its items'.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourseProgress {
    /// Items completed.
    pub completed_items: u32,
    /// Seconds spent in all.
    pub time_on_task_s: f64,
    /// When the learner last did anything (unix ms).
    #[ts(type = "number | null")]
    pub last_studied_ms: Option<i64>,
    /// The item they last worked in: where "continue" goes.
    pub last_item_id: Option<String>,
}

/// What opening had to do, to tell the learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The file was fine.
    None,
    /// It was damaged; it was moved to `moved_to` and the backup from `backup_ms` restored.
    RestoredFromBackup {
        /// Where the damaged file is now.
        moved_to: PathBuf,
        /// When the restored backup was made (unix ms).
        backup_ms: i64,
    },
    /// It was damaged and there was no backup; it was moved aside and progress starts empty.
    StartedFresh {
        /// Where the damaged file is now.
        moved_to: PathBuf,
    },
}

/// The progress database of one profile.
pub struct ProgressDb {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for ProgressDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressDb")
            .field("path", &self.path)
            .finish()
    }
}

/// One process owns a profile's database: this lock, held for as long as the process runs,
/// makes a second one fail with [`ProgressError::InUse`] instead of writing beside it. The OS
/// releases it when the process ends, however it ends.
#[derive(Debug)]
pub struct ProfileLock {
    _file: std::fs::File,
}

impl ProfileLock {
    /// Takes the lock file `path` (creating it), or says who has it.
    pub fn acquire(path: &Path) -> Result<Self, ProgressError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io("open", path))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(ProgressError::InUse {
                path: path.to_owned(),
            }),
            Err(std::fs::TryLockError::Error(error)) => Err(io("lock", path)(error)),
        }
    }
}

/// A new UUIDv7 for an event made now on this device.
pub fn new_event_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ProgressError {
    let path = path.to_owned();
    move |source| ProgressError::Io {
        operation,
        path,
        source,
    }
}

impl ProgressDb {
    /// Opens (creating) the database at `path` and migrates it. Refuses a newer one untouched;
    /// an upgrade that fails leaves the file as it was ([`ProgressError::MigrationFailed`]).
    pub fn open(path: &Path) -> Result<Self, ProgressError> {
        Self::open_with(path, MIGRATIONS)
    }

    /// [`Self::open`] with the schema steps given (tests pass steps that fail).
    fn open_with(path: &Path, migrations: &[&str]) -> Result<Self, ProgressError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Read the version before anything writes: a newer file stays as it was.
        let found: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let latest = migrations.len();
        if found > latest {
            return Err(ProgressError::TooNew {
                found,
                known: latest,
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        if found < latest {
            let failed = |during: &str, error| upgrade_failed(path, found, latest, during, error);
            if found > 0 {
                keep_pre_upgrade_copy(&conn, path, found)
                    .map_err(|error| failed("keeping a copy of it first", error))?;
            }
            migrate(&mut conn, found, migrations)
                .map_err(|(during, error)| failed(&during, error.into()))?;
        }
        // Only now: switching a file in rollback-journal mode to WAL rewrites its header, and a
        // file that could not be upgraded stays byte for byte as it was.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Ok(Self {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    /// Opens the database, recovering from a damaged file: it is moved aside (never deleted) and
    /// the last backup restored, or an empty database started. A newer file, and one whose upgrade
    /// failed, are not damaged: they are refused and left where they are, as they are.
    pub fn open_or_recover(path: &Path) -> Result<(Self, Recovery), ProgressError> {
        Self::open_or_recover_with(path, MIGRATIONS)
    }

    /// [`Self::open_or_recover`] with the schema steps given (tests pass steps that fail).
    fn open_or_recover_with(
        path: &Path,
        migrations: &[&str],
    ) -> Result<(Self, Recovery), ProgressError> {
        match Self::open_with(path, migrations).and_then(|db| db.quick_check().map(|ok| (db, ok))) {
            Ok((db, true)) => return Ok((db, Recovery::None)),
            Err(
                error @ (ProgressError::TooNew { .. }
                | ProgressError::MigrationFailed { .. }
                | ProgressError::InUse { .. }
                | ProgressError::DiskFull),
            ) => {
                return Err(error);
            }
            Err(ProgressError::Io { .. } | ProgressError::Db(_) | ProgressError::DiskError(_))
            | Ok((_, false)) => {}
        }
        let moved_to = path.with_extension(format!("damaged-{}.sqlite3", now_ms()));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", path.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", moved_to.display()));
                std::fs::rename(&from, &to).map_err(io("move aside", &from))?;
            }
        }
        tracing::warn!(path = %path.display(), moved_to = %moved_to.display(), "damaged progress database moved aside");
        let backup = backup_path(path);
        if let Ok(metadata) = std::fs::metadata(&backup) {
            std::fs::copy(&backup, path).map_err(io("restore", &backup))?;
            let db = Self::open_with(path, migrations)?;
            if db.quick_check()? {
                let backup_ms = metadata
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_millis() as i64);
                return Ok((
                    db,
                    Recovery::RestoredFromBackup {
                        moved_to,
                        backup_ms,
                    },
                ));
            }
            drop(db);
            std::fs::remove_file(path).map_err(io("remove", path))?;
        }
        Ok((
            Self::open_with(path, migrations)?,
            Recovery::StartedFresh { moved_to },
        ))
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in one transaction: committed (durably) if it returns `Ok`, rolled back
    /// otherwise. Every write goes through here.
    pub fn transact<T, E: From<ProgressError>>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(ProgressError::from)?;
        let value = work(&tx)?;
        tx.commit().map_err(ProgressError::from)?;
        Ok(value)
    }

    /// `PRAGMA quick_check` says the file is sound.
    pub fn quick_check(&self) -> Result<bool, ProgressError> {
        let result: String = self
            .conn()
            .query_row("PRAGMA quick_check", [], |row| row.get(0))?;
        Ok(result == "ok")
    }

    /// Writes a consistent copy next to the database (`<file>.backup`), atomically replacing the
    /// previous one.
    pub fn backup(&self) -> Result<PathBuf, ProgressError> {
        let backup = backup_path(&self.path);
        let temp = backup.with_extension("backup-new");
        synced_copy(&self.conn(), &temp)?;
        std::fs::rename(&temp, &backup).map_err(io("replace", &backup))?;
        Ok(backup)
    }

    /// Records events (durably, in one transaction); events already recorded are ignored.
    /// Returns how many were new.
    pub fn record(&self, events: &[Event]) -> Result<usize, ProgressError> {
        self.transact(|tx| record_in(tx, events))
    }

    /// Every time-on-task event of a course, as `(at_ms, seconds)`.
    pub fn time_on_task(&self, course_id: &str) -> Result<Vec<(i64, f64)>, ProgressError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT at_ms, COALESCE(value, 0) FROM events
             WHERE course_id = ?1 AND kind = 'time_on_task'",
        )?;
        let rows = statement.query_map([course_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that reminder `key` of a course was shown at `now_ms`; `false` when it already
    /// was, so each reminder is shown once.
    pub fn claim_reminder(
        &self,
        course_id: &str,
        key: &str,
        now_ms: i64,
    ) -> Result<bool, ProgressError> {
        let changed = self.conn().execute(
            "INSERT OR IGNORE INTO reminders_shown (course_id, key, shown_ms) VALUES (?1, ?2, ?3)",
            rusqlite::params![course_id, key, now_ms],
        )?;
        Ok(changed == 1)
    }

    /// Forgets that reminder `key` of a course was shown (the system refused it): it may be shown
    /// again.
    pub fn forget_reminder(&self, course_id: &str, key: &str) -> Result<(), ProgressError> {
        self.conn().execute(
            "DELETE FROM reminders_shown WHERE course_id = ?1 AND key = ?2",
            rusqlite::params![course_id, key],
        )?;
        Ok(())
    }

    /// The spans of an item's media the learner played, `(from, to)` in seconds, in any order.
    pub fn watched(
        &self,
        course_id: &str,
        item_id: &str,
    ) -> Result<Vec<(f64, f64)>, ProgressError> {
        self.transact(|tx| watched_in(tx, course_id, item_id))
    }

    /// The progress of one item (all zero when it was never touched).
    pub fn item(&self, course_id: &str, item_id: &str) -> Result<ItemProgress, ProgressError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT item_id, first_opened_ms, last_opened_ms, progress, completed_ms,
                    time_on_task_s, position, position_unit
             FROM item_summaries WHERE course_id = ?1 AND item_id = ?2",
        )?;
        let found = statement
            .query_row(params![course_id, item_id], row_to_item)
            .optional()?;
        Ok(found.unwrap_or(ItemProgress {
            item_id: item_id.to_owned(),
            first_opened_ms: None,
            last_opened_ms: None,
            progress: 0.0,
            completed_ms: None,
            time_on_task_s: 0.0,
            position: None,
            position_unit: None,
        }))
    }

    /// The progress of every touched item of a course.
    pub fn items(&self, course_id: &str) -> Result<Vec<ItemProgress>, ProgressError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT item_id, first_opened_ms, last_opened_ms, progress, completed_ms,
                    time_on_task_s, position, position_unit
             FROM item_summaries WHERE course_id = ?1 ORDER BY item_id",
        )?;
        let rows = statement.query_map([course_id], row_to_item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A course's progress.
    pub fn course(&self, course_id: &str) -> Result<CourseProgress, ProgressError> {
        let conn = self.conn();
        let (completed, time): (u32, f64) = conn.query_row(
            "SELECT COUNT(completed_ms), COALESCE(SUM(time_on_task_s), 0)
             FROM item_summaries WHERE course_id = ?1",
            [course_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let last: Option<(String, i64)> = conn
            .query_row(
                "SELECT item_id, at_ms FROM events WHERE course_id = ?1
                 ORDER BY at_ms DESC, id DESC LIMIT 1",
                [course_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(CourseProgress {
            completed_items: completed,
            time_on_task_s: time,
            last_studied_ms: last.as_ref().map(|(_, at)| *at),
            last_item_id: last.map(|(item, _)| item),
        })
    }

    /// Rebuilds every summary from the event log (after a merge, or to check the derivation).
    pub fn rebuild_summaries(&self) -> Result<(), ProgressError> {
        self.transact(|tx| {
            tx.execute("DELETE FROM item_summaries", [])?;
            let mut statement = tx.prepare(
                "SELECT id, course_id, item_id, kind, at_ms, value, detail, value_end FROM events",
            )?;
            let events = statement
                .query_map([], |row| {
                    let kind: String = row.get(3)?;
                    Ok(Event {
                        id: row.get(0)?,
                        course_id: row.get(1)?,
                        item_id: row.get(2)?,
                        kind: match kind.as_str() {
                            "opened" => EventKind::Opened,
                            "progressed" => EventKind::Progressed,
                            "completed" => EventKind::Completed,
                            "time_on_task" => EventKind::TimeOnTask,
                            "watched" => EventKind::Watched,
                            _ => EventKind::Position,
                        },
                        at_ms: row.get(4)?,
                        value: row.get(5)?,
                        unit: row.get(6)?,
                        end: row.get(7)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for event in &events {
                apply_event(tx, event)?;
            }
            Ok(())
        })
    }
}

fn backup_path(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.backup", path.display()))
}

/// Where the copy of the database from before its upgrade from `version` is kept.
fn pre_upgrade_path(path: &Path, version: usize) -> PathBuf {
    PathBuf::from(format!("{}.before-v{version}", path.display()))
}

/// Keeps a consistent copy of the database as the earlier Carrel left it (schema `version`), so
/// the learner can go back to that Carrel. Only the newest such copy is kept: an older one holds
/// less progress, for a Carrel further back, and would only mislead.
/// Writes a copy of the database to `target` (replaced if there) and syncs it: `VACUUM INTO` does
/// not sync what it wrote, and a copy must be on disk before it takes its final name. A failed
/// copy leaves nothing at `target`.
fn synced_copy(conn: &Connection, target: &Path) -> Result<(), ProgressError> {
    let _ = std::fs::remove_file(target);
    if let Err(error) = conn.execute("VACUUM INTO ?1", [target.to_string_lossy()]) {
        let _ = std::fs::remove_file(target);
        return Err(error.into());
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(target)
        .and_then(|file| file.sync_all())
        .map_err(|error| {
            let _ = std::fs::remove_file(target);
            io("sync", target)(error)
        })
}

fn keep_pre_upgrade_copy(
    conn: &Connection,
    path: &Path,
    version: usize,
) -> Result<PathBuf, ProgressError> {
    let copy = pre_upgrade_path(path, version);
    let partial = PathBuf::from(format!("{}.partial", copy.display()));
    synced_copy(conn, &partial)?;
    std::fs::rename(&partial, &copy).map_err(io("replace", &copy))?;
    let prefix = format!(
        "{}.before-v",
        path.file_name().unwrap_or_default().display()
    );
    let older = path
        .parent()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|other| {
            *other != copy
                && other
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with(&prefix))
        });
    for other in older {
        if let Err(error) = std::fs::remove_file(&other) {
            tracing::warn!(%error, path = %other.display(), "an older pre-upgrade copy stays");
        }
    }
    tracing::info!(copy = %copy.display(), "progress database copied before its upgrade");
    Ok(copy)
}

/// Applies the steps after `found` and sets the version in one transaction: on any error it rolls
/// back, and the file keeps exactly its old schema and rows. An error says during what.
fn migrate(
    conn: &mut Connection,
    found: usize,
    migrations: &[&str],
) -> Result<(), (String, rusqlite::Error)> {
    let during = |what: String| move |error| (what, error);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(during("starting the upgrade".into()))?;
    for (index, sql) in migrations.iter().enumerate().skip(found) {
        tx.execute_batch(sql)
            .map_err(during(format!("step {}", index + 1)))?;
    }
    tx.pragma_update(None, "user_version", migrations.len())
        .map_err(during("setting the new version".into()))?;
    tx.commit().map_err(during("committing the upgrade".into()))
}

/// What an upgrade from `from` to `to` that failed `during` something is: damage when SQLite
/// finds the file unreadable (recovery's business), otherwise [`ProgressError::MigrationFailed`].
fn upgrade_failed(
    path: &Path,
    from: usize,
    to: usize,
    during: &str,
    error: ProgressError,
) -> ProgressError {
    let reason = match error {
        ProgressError::Db(rusqlite::Error::SqliteFailure(ref failure, _))
            if matches!(
                failure.code,
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase
            ) =>
        {
            return error;
        }
        ProgressError::Db(error) => format!("{during}: {error}"),
        other => format!("{during}: {other}"),
    };
    ProgressError::MigrationFailed {
        path: path.to_owned(),
        from,
        to,
        reason,
    }
}

fn now_ms() -> i64 {
    carrel_protocol::unix_time_ms() as i64
}

fn row_to_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemProgress> {
    Ok(ItemProgress {
        item_id: row.get(0)?,
        first_opened_ms: row.get(1)?,
        last_opened_ms: row.get(2)?,
        progress: row.get(3)?,
        completed_ms: row.get(4)?,
        time_on_task_s: row.get(5)?,
        position: row.get(6)?,
        position_unit: row.get(7)?,
    })
}

/// Records `events` inside a transaction the caller holds; returns how many were new.
pub(crate) fn record_in(tx: &Transaction<'_>, events: &[Event]) -> Result<usize, ProgressError> {
    let mut new = 0;
    for event in events {
        if insert_event(tx, event)? {
            apply_event(tx, event)?;
            new += 1;
        }
    }
    Ok(new)
}

/// [`ProgressDb::watched`] inside a transaction the caller holds.
pub(crate) fn watched_in(
    tx: &Transaction<'_>,
    course_id: &str,
    item_id: &str,
) -> Result<Vec<(f64, f64)>, ProgressError> {
    let mut statement = tx.prepare_cached(
        "SELECT value, value_end FROM events
         WHERE course_id = ?1 AND item_id = ?2 AND kind = 'watched'",
    )?;
    let spans = statement.query_map(params![course_id, item_id], |row| {
        Ok((
            row.get::<_, Option<f64>>(0)?.unwrap_or(0.0),
            row.get::<_, Option<f64>>(1)?.unwrap_or(0.0),
        ))
    })?;
    Ok(spans.collect::<Result<_, _>>()?)
}

/// Whether the item already has a completion, inside a transaction the caller holds.
pub(crate) fn completed_in(
    tx: &Transaction<'_>,
    course_id: &str,
    item_id: &str,
) -> Result<bool, ProgressError> {
    Ok(tx
        .prepare_cached(
            "SELECT completed_ms IS NOT NULL FROM item_summaries
             WHERE course_id = ?1 AND item_id = ?2",
        )?
        .query_row(params![course_id, item_id], |row| row.get(0))
        .optional()?
        .unwrap_or(false))
}

/// Inserts the event unless its id is already there; true when it was new.
fn insert_event(tx: &Transaction<'_>, event: &Event) -> Result<bool, ProgressError> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO events (id, course_id, item_id, kind, at_ms, value, detail, value_end)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            event.id,
            event.course_id,
            event.item_id,
            event.kind.as_str(),
            event.at_ms,
            event.value,
            event.unit,
            event.end
        ])?;
    Ok(inserted == 1)
}

/// Folds one event into its item's summary with order-independent rules: earliest and latest
/// opening, furthest progress, first completion, summed time, latest position (ties broken by
/// event id). Any order of the same events gives the same summary.
fn apply_event(tx: &Transaction<'_>, event: &Event) -> Result<(), ProgressError> {
    let (course, item, at) = (&event.course_id, &event.item_id, event.at_ms);
    tx.prepare_cached(
        "INSERT INTO item_summaries (course_id, item_id) VALUES (?1, ?2)
         ON CONFLICT (course_id, item_id) DO NOTHING",
    )?
    .execute(params![course, item])?;
    let value = event.value.filter(|v| v.is_finite()).unwrap_or(0.0);
    match event.kind {
        EventKind::Opened => tx
            .prepare_cached(
                "UPDATE item_summaries SET
                    first_opened_ms = MIN(COALESCE(first_opened_ms, ?3), ?3),
                    last_opened_ms = MAX(COALESCE(last_opened_ms, ?3), ?3)
                 WHERE course_id = ?1 AND item_id = ?2",
            )?
            .execute(params![course, item, at])?,
        EventKind::Progressed => tx
            .prepare_cached(
                "UPDATE item_summaries SET progress = MAX(progress, ?3)
                 WHERE course_id = ?1 AND item_id = ?2",
            )?
            .execute(params![course, item, value.clamp(0.0, 1.0)])?,
        EventKind::Completed => tx
            .prepare_cached(
                "UPDATE item_summaries SET
                    completed_ms = MIN(COALESCE(completed_ms, ?3), ?3), progress = 1
                 WHERE course_id = ?1 AND item_id = ?2",
            )?
            .execute(params![course, item, at])?,
        EventKind::TimeOnTask => tx
            .prepare_cached(
                "UPDATE item_summaries SET time_on_task_s = time_on_task_s + ?3
                 WHERE course_id = ?1 AND item_id = ?2",
            )?
            .execute(params![course, item, value.max(0.0)])?,
        EventKind::Position => tx
            .prepare_cached(
                "UPDATE item_summaries SET
                    position = ?4, position_unit = ?5, position_at_ms = ?3, position_event = ?6
                 WHERE course_id = ?1 AND item_id = ?2
                   AND (position_at_ms IS NULL OR position_at_ms < ?3
                        OR (position_at_ms = ?3 AND position_event < ?6))",
            )?
            .execute(params![course, item, at, event.value, event.unit, event.id])?,
        // Spans are read back whole ([`ProgressDb::watched`]); the progress they amount to arrives
        // as a `progressed` event recorded with them.
        EventKind::Watched => 0,
    };
    Ok(())
}

#[cfg(test)]
mod tests;
