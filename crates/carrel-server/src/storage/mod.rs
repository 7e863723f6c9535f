//! The server's storage: an embedded SQLite file by default, or a PostgreSQL database shared by
//! several instances.
//!
//! `--db` names either: a file path (SQLite, created on first start) or a `postgres://` URL. The
//! schema is an ordered, append-only list of migrations (`sql/NNNN_*.sql` for SQLite, with the
//! version in `user_version`; `sql/postgres/` for PostgreSQL, with the version in
//! `carrel_schema`). A database written by a newer server is refused instead of being silently
//! misread. Every module runs its statements through [`sql::Conn`] on a [`sql::Backend`], so
//! one body of SQL serves both; the shared test suite runs against both.
//!
//! SQLite connections run in WAL mode with foreign keys on and a busy timeout; one connection
//! serves the process and every writer takes the write lock at once (`BEGIN IMMEDIATE`).
//! PostgreSQL work runs in serializable transactions from a pool, run again when they lose a
//! race ([`postgres`]). Every blocking call runs off the async runtime.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

mod catalog;
mod migrations;
pub mod postgres;
pub mod sql;

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
    /// The PostgreSQL database could not be reached or read.
    #[error(
        "cannot open the server database {url}: {reason}; check that PostgreSQL runs there and \
         that the URL's user, password and database name are right"
    )]
    Connect {
        /// The URL, without its password.
        url: String,
        /// Why.
        reason: String,
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
        source: sql::Error,
    },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] sql::Error),
    /// The schema is older than this build's and migrating on start is off.
    #[error(
        "the server database {db} has schema version {found}, and this carrel-server needs \
         version {}; run `carrel-server migrate` first (it keeps every record)",
        SCHEMA_VERSION
    )]
    Behind {
        /// The database.
        db: String,
        /// Its schema version.
        found: i64,
    },
    /// The blocking task running a query panicked or was cancelled.
    #[error("database task did not complete: {0}")]
    Task(String),
}

impl From<rusqlite::Error> for StorageError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Query(error.into())
    }
}

impl StorageError {
    /// Whether the work lost a race with another transaction and may be run again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StorageError::Query(error) if error.is_retryable())
    }
}

/// The `server_meta` key of the data folder's absolute path (PostgreSQL only).
pub const DATA_DIR_KEY: &str = "data_dir";

/// How many pooled PostgreSQL connections one instance keeps at most.
pub const POSTGRES_POOL_SIZE: usize = 16;

enum Backend {
    Sqlite(Mutex<Connection>),
    Postgres(postgres::Pool),
}

/// A handle on the server database. Cheap to clone; all clones share one SQLite connection or one
/// pool of PostgreSQL connections.
#[derive(Clone)]
pub struct Storage {
    backend: Arc<Backend>,
    path: PathBuf,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("db", &self.display())
            .finish()
    }
}

impl Storage {
    /// Opens the database `db` names and brings its schema up to date: a SQLite file (created if
    /// needed) or a `postgres://` URL.
    pub fn open(db: &Path) -> Result<Self, StorageError> {
        Self::open_with(db, true)
    }

    /// Like [`Storage::open`]; with `migrate` false, an older schema is refused (naming
    /// `carrel-server migrate`) instead of migrated, and a missing SQLite file is not created.
    pub fn open_with(db: &Path, migrate: bool) -> Result<Self, StorageError> {
        if let Some(url) = postgres_url(db) {
            let found = postgres::migrate(url, migrate).map_err(|e| migrate_error(url, e))?;
            if found != SCHEMA_VERSION {
                return Err(StorageError::Behind {
                    db: postgres::redacted(url),
                    found,
                });
            }
            let pool = postgres::Pool::new(url, POSTGRES_POOL_SIZE).map_err(|reason| {
                StorageError::Connect {
                    url: postgres::redacted(url),
                    reason,
                }
            })?;
            return Ok(Self {
                backend: Arc::new(Backend::Postgres(pool)),
                path: db.to_path_buf(),
            });
        }
        if !migrate {
            let found = Self::schema_version_of(db)?;
            if found != SCHEMA_VERSION {
                return Err(StorageError::Behind {
                    db: db.display().to_string(),
                    found,
                });
            }
        }
        let path = db;
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
            backend: Arc::new(Backend::Sqlite(Mutex::new(conn))),
            path: path.to_path_buf(),
        })
    }

    /// The schema version of the database at `path`, read without changing anything: 0 when
    /// there is no file yet. [`Storage::open`] brings it to [`SCHEMA_VERSION`].
    pub fn schema_version_of(path: &Path) -> Result<i64, StorageError> {
        if let Some(url) = postgres_url(path) {
            return postgres::migrate(url, false).map_err(|e| migrate_error(url, e));
        }
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

    /// What `--db` named: the SQLite file, or the PostgreSQL URL (see [`Storage::display`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database for logs and messages: the file, or the URL without its password.
    pub fn display(&self) -> String {
        match postgres_url(&self.path) {
            Some(url) => postgres::redacted(url),
            None => self.path.display().to_string(),
        }
    }

    /// Records `dir` as the data folder in a PostgreSQL database, where commands run without
    /// `--data` find it (see [`crate::config::resolve`]); a SQLite database keeps its data
    /// folder beside it or where the flags say.
    pub fn remember_data_dir(&self, dir: &Path) -> Result<(), StorageError> {
        let Some(url) = postgres_url(&self.path) else {
            return Ok(());
        };
        let dir = std::path::absolute(dir)
            .map_err(|e| StorageError::Task(format!("cannot resolve {}: {e}", dir.display())))?;
        postgres::set_meta(url, DATA_DIR_KEY, &dir.to_string_lossy()).map_err(|reason| {
            StorageError::Connect {
                url: postgres::redacted(url),
                reason,
            }
        })
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(*self.backend, Backend::Postgres(_))
    }

    /// Runs `f` with a connection on a blocking thread: SQLite's one connection, or a
    /// PostgreSQL transaction (run again if it loses a serialization race).
    pub async fn with_conn<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Fn(&sql::Conn<'_>) -> Result<T, StorageError> + Send + 'static,
    {
        self.run(false, f).await
    }

    /// Runs `f` in a transaction on a blocking thread: committed if `f` returns `Ok`, rolled back
    /// otherwise. On SQLite the transaction takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// a writer in another process makes it wait (busy timeout) instead of failing half-way. On
    /// PostgreSQL it is serializable, and `f` runs again from the start when it loses a race with
    /// another transaction (of this instance or another): `f` must have no effect outside the
    /// database.
    pub async fn transact<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Fn(&sql::Conn<'_>) -> Result<T, StorageError> + Send + 'static,
    {
        self.run(true, f).await
    }

    /// Like [`Storage::transact`], for a hot path whose read-then-write rules are all about the
    /// things `locks` name (`"submission <id>"`): on PostgreSQL the transaction takes an advisory
    /// lock on each key first and runs at `READ COMMITTED`, so writers of different keys never
    /// abort each other (see [`postgres::Connection::run`]); on SQLite it is `transact`.
    pub async fn transact_locked<T, F>(&self, locks: Vec<String>, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Fn(&sql::Conn<'_>) -> Result<T, StorageError> + Send + 'static,
    {
        self.run_with(true, locks, f).await
    }

    async fn run<T, F>(&self, write: bool, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Fn(&sql::Conn<'_>) -> Result<T, StorageError> + Send + 'static,
    {
        self.run_with(write, Vec::new(), f).await
    }

    async fn run_with<T, F>(&self, write: bool, locks: Vec<String>, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Fn(&sql::Conn<'_>) -> Result<T, StorageError> + Send + 'static,
    {
        // A PostgreSQL connection is waited for here, not on a blocking thread.
        let mut connection = match &*self.backend {
            Backend::Postgres(pool) => Some(pool.connection().await?),
            Backend::Sqlite(_) => None,
        };
        let backend = Arc::clone(&self.backend);
        tokio::task::spawn_blocking(move || match &*backend {
            Backend::Sqlite(conn) => {
                // A panic while holding the lock poisons it; the connection itself is still
                // sound (SQLite rolled back any open transaction), so keep serving.
                let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                // Readers too run in a transaction, so what they read is of one moment.
                let tx = guard.transaction_with_behavior(if write {
                    rusqlite::TransactionBehavior::Immediate
                } else {
                    rusqlite::TransactionBehavior::Deferred
                })?;
                let value = f(&sql::Conn::new(&*tx))?;
                tx.commit()?;
                Ok(value)
            }
            Backend::Postgres(_) => connection
                .as_mut()
                .expect("taken above for PostgreSQL")
                .run(
                    &tokio::runtime::Handle::current(),
                    // Not declared read-only: a few readers write what they find stale.
                    false,
                    &locks,
                    StorageError::is_retryable,
                    f,
                ),
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }

    /// Checks that the database answers a query.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.with_conn(|conn| {
            conn.query_row("SELECT count(*) FROM server_meta", sql::params![], |_| {
                Ok(())
            })?;
            Ok(())
        })
        .await
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64, StorageError> {
        self.with_conn(|conn| {
            Ok(match conn.dialect() {
                sql::Dialect::Sqlite => {
                    conn.query_row("PRAGMA user_version", sql::params![], |row| row.get(0))?
                }
                sql::Dialect::Postgres => conn.query_row(
                    "SELECT coalesce(max(version), 0) FROM carrel_schema",
                    sql::params![],
                    |row| row.get(0),
                )?,
            })
        })
        .await
    }
}

/// `db` (what `--db` takes) for messages and logs: the file, or the URL without its password.
pub fn describe(db: &Path) -> String {
    match postgres_url(db) {
        Some(url) => postgres::redacted(url),
        None => db.display().to_string(),
    }
}

/// Whether the database `db` names is there: the SQLite file exists, or PostgreSQL answers at
/// the URL (PostgreSQL databases are made by their administrator, never by the server).
pub fn exists(db: &Path) -> bool {
    match postgres_url(db) {
        Some(url) => postgres::migrate(url, false).is_ok(),
        None => db.exists(),
    }
}

fn postgres_url(db: &Path) -> Option<&str> {
    db.to_str().filter(|s| postgres::is_url(s))
}

fn migrate_error(url: &str, error: postgres::MigrateError) -> StorageError {
    match error {
        postgres::MigrateError::Connect(reason) => StorageError::Connect {
            url: postgres::redacted(url),
            reason,
        },
        postgres::MigrateError::TooNew(found) => StorageError::TooNew {
            path: PathBuf::from(postgres::redacted(url)),
            found,
            supported: SCHEMA_VERSION,
        },
        postgres::MigrateError::Failed { version, source } => StorageError::Migrate {
            path: PathBuf::from(postgres::redacted(url)),
            version,
            source,
        },
    }
}
