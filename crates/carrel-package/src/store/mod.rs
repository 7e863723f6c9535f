//! The content store: course files kept once by hash, and an index of installed courses.
//!
//! ```text
//! <root>/store.sqlite3           which course is installed at which version; path → hash
//! <root>/objects/ab/ab12…ef      content files, named by SHA-256, never modified
//! <root>/staging/<n>/            an import in progress (removed at the end, or at next start)
//! ```
//!
//! Files are shared across versions and courses: a new version of a course only adds files whose
//! hash is new. An import stages the new files, makes them durable, moves them into `objects/` and
//! then switches the course to the new version in one database transaction. Until that commit the
//! old version is what every reader sees; after it, the new one — a crash at any point leaves one
//! or the other, never a mix. Objects no index row references (left by a crash, or by a version or
//! course that is gone) are removed by [`Store::collect_garbage`], which [`Store::open`] runs.
//!
//! One process owns a store; the app serialises imports and removals through one `Store`.

mod import;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use crate::manifest::{Manifest, is_sha256_hex};
use crate::signature::{Fingerprint, PublicKey};

pub use import::{
    Cancel, ImportError, ImportOptions, ImportOutcome, MAX_DEFINITION_BYTES, Progress, Trust,
    check_space,
};

const DB_FILE: &str = "store.sqlite3";
const OBJECTS: &str = "objects";
const STAGING: &str = "staging";
/// Schema steps, in order; never edit one that has shipped, append.
const MIGRATIONS: &[&str] = &[include_str!("schema.sql")];

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The index database failed.
    #[error("the course store's index failed: {0}")]
    Db(#[from] rusqlite::Error),
    /// The index was written by a newer Carrel.
    #[error(
        "the course store was written by a newer version of Carrel (schema {found}, this one knows {known}); update Carrel"
    )]
    TooNew {
        /// The store's schema version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
    /// No such course.
    #[error("the course “{0}” is not installed")]
    NotInstalled(String),
}

pub(crate) fn io_error(
    operation: &'static str,
    path: &Path,
) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_owned();
    move |source| StoreError::Io {
        operation,
        path,
        source,
    }
}

/// A course as installed.
#[derive(Debug, Clone)]
pub struct InstalledCourse {
    /// The manifest of the installed version.
    pub manifest: Manifest,
    /// The key that signed it.
    pub publisher: PublicKey,
    /// When it was installed (unix ms).
    pub installed_at: i64,
    /// Bytes on disk its files take (shared files counted in full for each course).
    pub size_bytes: u64,
}

/// A file of an installed course, ready to be served.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// Where its bytes are.
    pub path: PathBuf,
    /// Its length.
    pub size: u64,
    /// Its media type, from the signed manifest.
    pub media_type: String,
    /// Its SHA-256 (a strong ETag).
    pub sha256: String,
}

/// The store at one root folder.
pub struct Store {
    root: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("root", &self.root).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `root`, migrates its index, and removes what an
    /// interrupted import or a removal left behind.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        for dir in [root.to_owned(), root.join(OBJECTS), root.join(STAGING)] {
            std::fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
        }
        let mut conn = Connection::open(root.join(DB_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        let store = Self {
            root: root.to_owned(),
            conn: Mutex::new(conn),
        };
        store.collect_garbage()?;
        Ok(store)
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back), so a poisoned lock is still usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Where the object with this hash lives.
    pub fn object_path(&self, sha256: &str) -> PathBuf {
        Self::object_path_in(&self.root, sha256)
    }

    /// Where the object with this hash lives in the store at `root`, without opening it (a
    /// server reads objects by path while another process may hold the store).
    pub fn object_path_in(root: &Path, sha256: &str) -> PathBuf {
        root.join(OBJECTS)
            .join(&sha256[..2.min(sha256.len())])
            .join(sha256)
    }

    /// Whether the object with this hash is present.
    pub fn has_object(&self, sha256: &str) -> bool {
        is_sha256_hex(sha256) && self.object_path(sha256).is_file()
    }

    /// Every installed course, by title.
    pub fn courses(&self) -> Result<Vec<InstalledCourse>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT c.manifest, c.publisher_key, c.installed_at,
                    (SELECT COALESCE(SUM(size), 0) FROM course_files f WHERE f.course_id = c.id)
             FROM courses c ORDER BY c.title COLLATE NOCASE",
        )?;
        let rows = statement.query_map([], row_to_course)?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::from)
    }

    /// One installed course.
    pub fn course(&self, id: &str) -> Result<Option<InstalledCourse>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT c.manifest, c.publisher_key, c.installed_at,
                    (SELECT COALESCE(SUM(size), 0) FROM course_files f WHERE f.course_id = c.id)
             FROM courses c WHERE c.id = ?1",
        )?;
        Ok(statement.query_row([id], row_to_course).optional()?)
    }

    /// The file at `path` in the installed version of `course_id`. Paths are looked up in the
    /// index, never joined onto a folder, so no path can reach outside the course's own files.
    pub fn file(&self, course_id: &str, path: &str) -> Result<Option<StoredFile>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT sha256, size, media_type FROM course_files WHERE course_id = ?1 AND path = ?2",
        )?;
        let found = statement
            .query_row(params![course_id, path], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        Ok(found.map(|(sha256, size, media_type)| StoredFile {
            path: self.object_path(&sha256),
            size: size as u64,
            media_type,
            sha256,
        }))
    }

    /// Removes a course from this laptop. Its files go unless another course shares them.
    pub fn remove_course(&self, id: &str) -> Result<(), StoreError> {
        let removed = self
            .conn()
            .execute("DELETE FROM courses WHERE id = ?1", [id])?;
        if removed == 0 {
            return Err(StoreError::NotInstalled(id.to_owned()));
        }
        self.collect_garbage()
    }

    /// Trusts a publisher key from now on; `added_by` says who vouched for it.
    pub fn trust_key(&self, key: &PublicKey, added_by: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO trusted_keys (public_key, fingerprint, added_by, added_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (public_key) DO NOTHING",
            params![
                key.to_base64(),
                key.fingerprint().as_str(),
                added_by,
                now_ms()
            ],
        )?;
        Ok(())
    }

    /// Whether a publisher key has been trusted on this laptop.
    pub fn is_trusted(&self, key: &PublicKey) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM trusted_keys WHERE public_key = ?1",
                [key.to_base64()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Fingerprints of every trusted key.
    pub fn trusted_fingerprints(&self) -> Result<Vec<Fingerprint>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached("SELECT public_key FROM trusted_keys")?;
        let keys = statement.query_map([], |row| row.get::<_, String>(0))?;
        let mut out = Vec::new();
        for key in keys {
            if let Ok(key) = PublicKey::from_base64(&key?) {
                out.push(key.fingerprint());
            }
        }
        Ok(out)
    }

    /// Checks the files of an installed course on disk and returns the paths of those missing or
    /// damaged: a wrong size always, a wrong SHA-256 too when `deep`. A damaged object is a
    /// corrupt copy of signed content, not the learner's work: it is removed so that the next
    /// install of the course (from the server, or the package file again) fetches it afresh.
    /// Only the listed files are touched; the course stays installed.
    pub fn check_course(&self, course_id: &str, deep: bool) -> Result<Vec<String>, StoreError> {
        let files: Vec<(String, String, u64)> = {
            let conn = self.conn();
            let mut statement = conn.prepare_cached(
                "SELECT path, sha256, size FROM course_files WHERE course_id = ?1 ORDER BY path",
            )?;
            statement
                .query_map([course_id], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get::<_, i64>(2)? as u64))
                })?
                .collect::<Result<_, _>>()?
        };
        if files.is_empty() && self.course(course_id)?.is_none() {
            return Err(StoreError::NotInstalled(course_id.to_owned()));
        }
        let mut damaged = Vec::new();
        for (path, sha256, size) in files {
            let object = self.object_path(&sha256);
            let sound = match std::fs::metadata(&object) {
                Ok(meta) if meta.is_file() && meta.len() == size => {
                    !deep || hash_file(&object).is_ok_and(|found| found == sha256)
                }
                _ => false,
            };
            if !sound {
                if object.exists() {
                    std::fs::remove_file(&object).map_err(io_error("remove", &object))?;
                }
                damaged.push(path);
            }
        }
        Ok(damaged)
    }

    /// Removes leftover staging folders and every object no installed course references.
    pub fn collect_garbage(&self) -> Result<(), StoreError> {
        // Hold the index lock throughout so no import moves objects in meanwhile.
        let conn = self.conn();
        let staging = self.root.join(STAGING);
        for entry in std::fs::read_dir(&staging).map_err(io_error("list", &staging))? {
            let path = entry.map_err(io_error("list", &staging))?.path();
            std::fs::remove_dir_all(&path).map_err(io_error("remove", &path))?;
        }
        let mut statement = conn.prepare_cached("SELECT DISTINCT sha256 FROM course_files")?;
        let referenced: HashSet<String> = statement
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let objects = self.root.join(OBJECTS);
        for shard in std::fs::read_dir(&objects).map_err(io_error("list", &objects))? {
            let shard = shard.map_err(io_error("list", &objects))?.path();
            for object in std::fs::read_dir(&shard).map_err(io_error("list", &shard))? {
                let object = object.map_err(io_error("list", &shard))?.path();
                let name = object
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if !referenced.contains(name) {
                    std::fs::remove_file(&object).map_err(io_error("remove", &object))?;
                }
            }
        }
        Ok(())
    }
}

fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    Ok(crate::pack::hash_reader(&mut file)?.1)
}

fn row_to_course(row: &rusqlite::Row<'_>) -> rusqlite::Result<InstalledCourse> {
    let manifest_bytes: Vec<u8> = row.get(0)?;
    let key: String = row.get(1)?;
    let bad = |error: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, error.into())
    };
    Ok(InstalledCourse {
        // Verified when installed; parsed again to get the typed view.
        manifest: Manifest::parse(&manifest_bytes).map_err(|e| bad(e.to_string()))?,
        publisher: PublicKey::from_base64(&key).map_err(bad)?,
        installed_at: row.get(2)?,
        size_bytes: row.get::<_, i64>(3)? as u64,
    })
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > MIGRATIONS.len() {
        return Err(StoreError::TooNew {
            found,
            known: MIGRATIONS.len(),
        });
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(found) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", step + 1)?;
        tx.commit()?;
    }
    Ok(())
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
