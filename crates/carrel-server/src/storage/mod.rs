//! The server's storage: one embedded SQLite file.
//!
//! The file is created on first start. The schema is an ordered, append-only list of migrations
//! (`sql/NNNN_*.sql`); the number applied is kept in SQLite's `user_version`. A database written by
//! a newer server is refused instead of being silently misread. Connections run in WAL mode with
//! foreign keys on and a busy timeout, and every blocking call runs off the async runtime.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

mod catalog;
mod migrations;

pub use catalog::{CatalogEntry, CourseDocument, NewCatalogEntry};
pub use migrations::SCHEMA_VERSION;

/// What can go wrong opening or using the server's database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The folder for the database file could not be created.
    #[error("cannot create the folder {path} for the server database: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused to open or set up the file.
    #[error("cannot open the server database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The file was written by a newer carrel-server; reading it could corrupt it.
    #[error(
        "the server database {path} has schema version {found}, newer than this carrel-server \
         understands ({supported}); run a newer carrel-server or point --db at another file"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A migration failed; the transaction was rolled back and the file is unchanged.
    #[error("migrating the server database {path} to schema version {version} failed: {source}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The migration that failed.
        version: i64,
        /// Why.
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] rusqlite::Error),
    /// The blocking task running a query panicked or was cancelled.
    #[error("database task did not complete: {0}")]
    Task(String),
}

/// A handle on the server database. Cheap to clone; all clones share one connection.
#[derive(Clone)]
pub struct Storage {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("path", &self.path).finish()
    }
}

impl Storage {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StorageError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| StorageError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        migrations::apply(&mut conn, path)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }

    /// The schema version of the database at `path`, read without changing anything: 0 when
    /// there is no file yet. [`Storage::open`] brings it to [`SCHEMA_VERSION`].
    pub fn schema_version_of(path: &Path) -> Result<i64, StorageError> {
        if !path.exists() {
            return Ok(0);
        }
        let open_err = |source| StorageError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(open_err)?;
        migrations::user_version(&conn).map_err(open_err)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn with_conn<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock poisons it; the connection itself is still sound
            // (SQLite rolled back any open transaction), so keep serving.
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }

    /// Runs `f` in a transaction on a blocking thread: committed if `f` returns `Ok`, rolled back
    /// otherwise. The transaction takes the write lock at once (`BEGIN IMMEDIATE`), so a writer in
    /// another process makes it wait (busy timeout) instead of failing half-way.
    pub async fn transact<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StorageError> + Send + 'static,
    {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    /// Checks that the database answers a query.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.with_conn(|conn| {
            conn.query_row("SELECT count(*) FROM server_meta", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64, StorageError> {
        self.with_conn(|conn| Ok(migrations::user_version(conn)?))
            .await
    }
}
