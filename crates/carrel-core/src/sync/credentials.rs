//! Where the learner's session (access and refresh tokens) is kept between runs: the operating
//! system's credential store — Keychain on macOS, Credential Manager on Windows, the Secret
//! Service (GNOME Keyring, KWallet) on Linux — and, where none answers, a file in the data folder
//! readable by its owner only (mode 0600), written atomically.
//!
//! Tokens never reach logs: [`StoredSession`]'s `Debug` hides them, and errors name the store, not
//! its contents. Which store holds the session is recorded in `session-store.json` beside the
//! fallback file (no secret in it), so signing out clears the right one.
//!
//! `CARREL_CREDENTIAL_STORE=file` forces the file (tests use it so they never touch a developer's
//! keyring); `=keyring` forces the OS store and fails when it is missing.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use carrel_protocol::auth::{Account, Tokens};
use serde::{Deserialize, Serialize};

/// The environment variable choosing the store: `file`, `keyring`, or unset for automatic.
pub const STORE_ENV: &str = "CARREL_CREDENTIAL_STORE";
/// The keyring service name entries are filed under.
pub const KEYRING_SERVICE: &str = "org.carrel.desktop";
/// The fallback file's name in the data folder.
pub const FILE_NAME: &str = "session.json";

/// A signed-in session, as kept between runs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSession {
    /// The server it belongs to.
    pub server: String,
    /// The account.
    pub account: Account,
    /// The current access token.
    pub access_token: String,
    /// When it expires (server clock, unix ms).
    pub access_expires_ms: u64,
    /// The current refresh token (works once).
    pub refresh_token: String,
    /// When it expires (server clock, unix ms).
    pub refresh_expires_ms: u64,
}

impl StoredSession {
    /// The session `tokens` give on `server`.
    pub fn new(server: &str, tokens: Tokens) -> Self {
        Self {
            server: server.to_owned(),
            account: tokens.account,
            access_token: tokens.access_token,
            access_expires_ms: tokens.access_expires_ms,
            refresh_token: tokens.refresh_token,
            refresh_expires_ms: tokens.refresh_expires_ms,
        }
    }
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("server", &self.server)
            .field("account", &self.account.login)
            .field("access_expires_ms", &self.access_expires_ms)
            .field("tokens", &"<hidden>")
            .finish()
    }
}

/// Which store holds the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// The operating system's credential store.
    Keyring,
    /// The owner-only file in the data folder.
    File,
}

/// Why the session could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The fallback file could not be written or read.
    #[error("cannot {operation} {path}: {source}; check that the data folder is writable")]
    File {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The OS credential store was required (`CARREL_CREDENTIAL_STORE=keyring`) and failed.
    #[error(
        "the system credential store is not available ({0}); unset {STORE_ENV} to use a private file instead"
    )]
    Keyring(String),
}

/// The session store of one data folder.
#[derive(Debug, Clone)]
pub struct Credentials {
    dir: PathBuf,
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Auto,
    File,
    Keyring,
}

#[derive(Serialize, Deserialize)]
struct Marker {
    store: StoreKind,
}

impl Credentials {
    /// The store for data folder `dir`, choosing by [`STORE_ENV`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let mode = match std::env::var(STORE_ENV).as_deref() {
            Ok("file") => Mode::File,
            Ok("keyring") => Mode::Keyring,
            _ => Mode::Auto,
        };
        Self {
            dir: dir.into(),
            mode,
        }
    }

    /// A store that only uses the file (tests, and platforms without a credential store).
    pub fn file_only(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            mode: Mode::File,
        }
    }

    /// The fallback file's path.
    pub fn file_path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    fn marker_path(&self) -> PathBuf {
        self.dir.join("session-store.json")
    }

    /// Keeps `session`, in the OS store when it works, else in the file. Answers where.
    /// Blocking (the OS store may talk to a daemon): call from `spawn_blocking`.
    pub fn save(&self, session: &StoredSession) -> Result<StoreKind, CredentialsError> {
        let json = serde_json::to_string(session).expect("sessions serialize");
        let kind = if self.mode == Mode::File {
            StoreKind::File
        } else {
            let secret = json.clone();
            let stored = within(KEYRING_WAIT, move || {
                keyring_entry().and_then(|entry| entry.set_password(&secret))
            })
            .unwrap_or_else(|| Err(keyring::Error::NoStorageAccess("no answer in time".into())));
            match stored {
                Ok(()) => StoreKind::Keyring,
                Err(error) if self.mode == Mode::Keyring => {
                    return Err(CredentialsError::Keyring(error.to_string()));
                }
                Err(error) => {
                    tracing::info!(%error, "no system credential store; keeping the session in a private file");
                    StoreKind::File
                }
            }
        };
        match kind {
            StoreKind::File => write_private(&self.file_path(), json.as_bytes())?,
            // A session moved to the keyring must not linger in a file.
            StoreKind::Keyring => remove_file(&self.file_path())?,
        }
        let marker = serde_json::to_vec(&Marker { store: kind }).expect("markers serialize");
        write_private(&self.marker_path(), &marker)?;
        Ok(kind)
    }

    /// Which store holds the kept session, if any (no secret is read).
    pub fn kept_in(&self) -> Option<StoreKind> {
        std::fs::read(self.marker_path())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Marker>(&bytes).ok())
            .map(|marker| marker.store)
    }

    /// The kept session, if any. A damaged or unreadable one reads as none (the learner signs in
    /// again; nothing else is lost). Blocking.
    pub fn load(&self) -> Result<Option<StoredSession>, CredentialsError> {
        let json = match self.kept_in() {
            None => return Ok(None),
            Some(StoreKind::File) => match std::fs::read_to_string(self.file_path()) {
                Ok(json) => json,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(source) => {
                    return Err(CredentialsError::File {
                        operation: "read",
                        path: self.file_path(),
                        source,
                    });
                }
            },
            Some(StoreKind::Keyring) => match within(KEYRING_WAIT, || {
                keyring_entry().and_then(|entry| entry.get_password())
            }) {
                Some(Ok(json)) => json,
                Some(Err(error)) => {
                    tracing::warn!(%error, "the system credential store did not give the session back");
                    return Ok(None);
                }
                None => {
                    tracing::warn!(
                        wait = ?KEYRING_WAIT,
                        "the system credential store did not answer (locked, or its service hangs); \
                         sign in again"
                    );
                    return Ok(None);
                }
            },
        };
        Ok(serde_json::from_str(&json).ok())
    }

    /// Forgets the session in every store. Blocking.
    pub fn clear(&self) -> Result<(), CredentialsError> {
        if self.mode != Mode::File
            && let Ok(entry) = keyring_entry()
            && let Err(error) = entry.delete_credential()
            && !matches!(error, keyring::Error::NoEntry)
        {
            tracing::debug!(%error, "no session to remove from the system credential store");
        }
        remove_file(&self.file_path())?;
        remove_file(&self.marker_path())
    }
}

/// The longest the app waits for the system credential store when it starts: a locked keyring
/// or a hung service must not keep Carrel from opening.
pub const KEYRING_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs a call to the system store on a helper thread; `None` when it has not answered within
/// `wait` (the thread is left to finish on its own).
fn within<T: Send + 'static>(
    wait: std::time::Duration,
    call: impl FnOnce() -> keyring::Result<T> + Send + 'static,
) -> Option<keyring::Result<T>> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(call());
    });
    receiver.recv_timeout(wait).ok()
}

fn keyring_entry() -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(KEYRING_SERVICE, "session")
}

fn remove_file(path: &Path) -> Result<(), CredentialsError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(CredentialsError::File {
            operation: "remove",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `bytes` to `path` readable by its owner only, atomically (a temporary file in the same
/// folder, flushed, renamed over).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CredentialsError> {
    let fail = |operation, source| CredentialsError::File {
        operation,
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail("create the folder of", e))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("session"),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&temporary);
    let result = (|| {
        let mut file = options.open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail("write", error));
    }
    Ok(())
}
