//! The server's data folder: published package files and the content store.
//!
//! ```text
//! <data>/packages/<sha256>.carrel   each published package, byte for byte as published
//! <data>/store/                     a carrel_package Store: every published course's files by hash
//! <data>/releases/<sha256>          each published bundle of the desktop app (`release publish`)
//! <data>/blobs/<aa>/<sha256>        attachments uploaded by learners, and groups' files
//! <data>/publish.lock               held by `carrel-server publish` for its whole run
//! ```
//!
//! The database (`--db`) says which course versions are published; this folder holds their bytes.
//! By default it is `carrel-data` beside the database file.
//!
//! A `Store` assumes one process owns it: opening one removes staging folders and unreferenced
//! objects, which would wreck an import running in another process. So the lock file serialises
//! the two moments that touch the store's layout — a whole publish, and the server opening the
//! store at start — and nothing else. After start the server only reads object files by path
//! (never imports or collects garbage), so it keeps serving while a publish runs.

use std::fs::File;
use std::path::{Path, PathBuf};

use carrel_package::store::{Store, StoreError};

use crate::file_io::io_error;

/// The name of the default data folder, created beside the database file.
pub const DEFAULT_DATA_DIR: &str = "carrel-data";
const PACKAGES: &str = "packages";
const STORE: &str = "store";
const LOCK: &str = "publish.lock";
/// Extension of the stored package files.
pub const PACKAGE_EXTENSION: &str = "carrel";

/// Why the data folder could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file operation failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The content store could not be opened.
    #[error("could not open the content store: {0}")]
    Store(#[from] StoreError),
}

crate::file_io::from_file_io!(DataError);

/// The layout of one data folder. Creating the value touches nothing on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data folder at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The default data folder for the database file `db`: `carrel-data` beside it.
    pub fn beside(db: &Path) -> Self {
        let parent = db.parent().unwrap_or(Path::new(""));
        Self::new(parent.join(DEFAULT_DATA_DIR))
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of published package files.
    pub fn packages_dir(&self) -> PathBuf {
        self.root.join(PACKAGES)
    }

    /// Where the package file with this SHA-256 is kept.
    pub fn package_path(&self, sha256: &str) -> PathBuf {
        self.packages_dir()
            .join(format!("{sha256}.{PACKAGE_EXTENSION}"))
    }

    /// The folder of webinar recordings.
    pub fn recordings_dir(&self) -> PathBuf {
        self.root.join("recordings")
    }

    /// Where the recording with this SHA-256 is kept.
    pub fn recording_path(&self, sha256: &str) -> PathBuf {
        self.recordings_dir().join(sha256)
    }

    /// The content store's root folder.
    pub fn store_dir(&self) -> PathBuf {
        self.root.join(STORE)
    }

    /// Creates the folders if needed and takes the publish lock, waiting for a publish in
    /// progress to finish. Blocking.
    pub fn lock(&self) -> Result<DataLock, DataError> {
        for dir in [self.root.clone(), self.packages_dir()] {
            std::fs::create_dir_all(&dir).map_err(io_error("create the folder", &dir))?;
        }
        let path = self.root.join(LOCK);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_error("open", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::info!(lock = %path.display(), "waiting for a publish in progress to finish");
                file.lock().map_err(io_error("lock", &path))?;
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(io_error("lock", &path)(source).into());
            }
        }
        Ok(DataLock {
            _file: file,
            dir: self.clone(),
        })
    }

    /// Opens the content store for serving: takes the publish lock while the store opens (and
    /// cleans up), then releases it. Blocking.
    pub fn open_store(&self) -> Result<Store, DataError> {
        self.lock()?.open_store()
    }
}

/// The publish lock on a data folder, released when dropped (or when the process ends, however
/// it ends: the operating system drops the lock with the file handle).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    dir: DataDir,
}

impl DataLock {
    /// The locked folder.
    pub fn dir(&self) -> &DataDir {
        &self.dir
    }

    /// Opens the content store. Safe only under the lock: opening collects garbage.
    pub fn open_store(&self) -> Result<Store, DataError> {
        Ok(Store::open(&self.dir.store_dir())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_data_folder_is_beside_the_database() {
        assert_eq!(
            DataDir::beside(Path::new("/srv/carrel/server.sqlite3")).root(),
            Path::new("/srv/carrel/carrel-data")
        );
        assert_eq!(
            DataDir::beside(Path::new("server.sqlite3")).root(),
            Path::new("carrel-data"),
            "a bare file name means the current folder"
        );
    }

    #[test]
    fn the_lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("data"));
        let held = data.lock().unwrap();
        let lock_file = File::open(dir.path().join("data").join(LOCK)).unwrap();
        assert!(
            matches!(lock_file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
            "a second holder must wait while the lock is held"
        );
        drop(held);
        assert!(
            lock_file.try_lock().is_ok(),
            "dropping the guard releases the lock"
        );
    }
}
