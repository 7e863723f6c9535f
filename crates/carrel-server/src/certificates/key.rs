//! The server's certificate signing key: an Ed25519 key in `carrel_package`'s secret key file
//! format, kept as `certificate-key.json` in the data folder.
//!
//! It is made the first time a certificate is issued or the key is asked for, and then read once
//! per process. Making it must never leave half a key under its name, nor replace a key another
//! process made at the same moment: the key is written complete (owner-only, flushed) in a
//! private temporary folder beside its place, then hard-linked to its name, which fails when a
//! key is already there — the one that was there first is then read and used. The key never
//! reaches a log: [`SecretKey`]'s `Debug` shows its public fingerprint only.
//!
//! Losing the file means certificates can no longer be issued with the key clients pinned, so the
//! operator backs it up with the data folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use carrel_package::{SecretKey, SignatureError};
use tokio::sync::OnceCell;

use crate::DataDir;

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "certificate-key.json";
/// The stem `SecretKey::write_files` is given in the temporary folder.
const STEM: &str = "certificate-key";

/// Why the certificate key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file is there but cannot be read or is not a secret key.
    #[error(
        "the certificate key {path} cannot be used: {source}; restore it from a backup (the \
         certificates already issued are signed with it), or, only if none were issued, remove \
         it so a new one is made"
    )]
    Unreadable {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: SignatureError,
    },
    /// A new key could not be generated or written.
    #[error(
        "could not make the certificate key {path}: {reason}; check that the data folder is \
         writable by the server's account"
    )]
    Create {
        /// The key file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

/// The data folder's certificate key, read (or made) on first use and kept for the process.
#[derive(Debug)]
pub struct SigningKey {
    data: DataDir,
    key: OnceCell<Arc<SecretKey>>,
}

impl SigningKey {
    /// The key of the data folder `data`; nothing is read yet.
    pub fn new(data: DataDir) -> Self {
        Self {
            data,
            key: OnceCell::new(),
        }
    }

    /// Where the key file is.
    pub fn path(&self) -> PathBuf {
        self.data.root().join(KEY_FILE)
    }

    /// The key: read from its file, or made there if there is none, the first time; kept after.
    pub async fn get(&self) -> Result<Arc<SecretKey>, KeyError> {
        let key = self
            .key
            .get_or_try_init(|| async {
                let path = self.path();
                let task_path = path.clone();
                tokio::task::spawn_blocking(move || read_or_create(&task_path))
                    .await
                    .map_err(|error| KeyError::Create {
                        path,
                        reason: error.to_string(),
                    })?
                    .map(Arc::new)
            })
            .await?;
        Ok(Arc::clone(key))
    }
}

/// The key at `path`, made there first if there is none. Blocking.
pub(crate) fn read_or_create(path: &Path) -> Result<SecretKey, KeyError> {
    match read(path) {
        Err(KeyError::Unreadable {
            source: SignatureError::Io { source, .. },
            ..
        }) if source.kind() == std::io::ErrorKind::NotFound => create(path),
        found => found,
    }
}

/// Reads the key at `path`, warning when others than its owner may read it.
fn read(path: &Path) -> Result<SecretKey, KeyError> {
    let key = SecretKey::read_file(path).map_err(|source| KeyError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    #[cfg(unix)]
    if let Ok(metadata) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "the certificate key can be read by other accounts than its owner; \
                 make it private: chmod 600"
            );
        }
    }
    Ok(key)
}

/// Makes a new key at `path`, or reads the one another process made there first.
fn create(path: &Path) -> Result<SecretKey, KeyError> {
    let fail = |reason: String| KeyError::Create {
        path: path.to_owned(),
        reason,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|error| {
        fail(format!(
            "cannot create the folder {}: {error}",
            dir.display()
        ))
    })?;
    let key = SecretKey::generate().map_err(|error| fail(error.to_string()))?;
    // A private folder (0700) beside the key's place, so the hard link stays on one file system;
    // removed with what is left in it when this returns.
    let staging = tempfile::Builder::new()
        .prefix(".certificate-key-")
        .tempdir_in(dir)
        .map_err(|error| {
            fail(format!(
                "cannot create a folder in {}: {error}",
                dir.display()
            ))
        })?;
    let [secret, _public] = key
        .write_files(staging.path(), STEM)
        .map_err(|error| fail(error.to_string()))?;
    match std::fs::hard_link(&secret, path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            tracing::info!(
                path = %path.display(),
                "another process made the certificate key first; using it"
            );
            return read(path);
        }
        Err(error) => return Err(fail(error.to_string())),
    }
    crate::file_io::sync_dir(dir).map_err(|error| fail(error.source.to_string()))?;
    tracing::info!(
        path = %path.display(),
        fingerprint = %key.public_key().fingerprint(),
        "made the certificate signing key; back it up with the data folder"
    );
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_privately_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join(KEY_FILE);
        let made = read_or_create(&path).unwrap();
        let again = read_or_create(&path).unwrap();
        assert_eq!(
            made.public_key(),
            again.public_key(),
            "an existing key is read, never replaced"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only its owner may read the key: {mode:o}");
        }
        let left: Vec<_> = std::fs::read_dir(dir.path().join("data"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(left, [KEY_FILE], "the staging folder is removed");
    }

    #[test]
    fn a_key_made_meanwhile_by_another_process_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let first = SecretKey::generate().unwrap();
        let [secret, _] = first.write_files(dir.path(), "other").unwrap();
        std::fs::rename(secret, &path).unwrap();
        let used = create(&path).unwrap();
        assert_eq!(
            used.public_key(),
            first.public_key(),
            "the key that was there first wins"
        );
    }

    #[test]
    fn a_damaged_key_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, "not a key").unwrap();
        let error = read_or_create(&path).unwrap_err();
        assert!(
            error.to_string().contains("restore it from a backup"),
            "{error}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "not a key",
            "a damaged key is left for the operator"
        );
    }
}
