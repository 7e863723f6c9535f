//! Carrel updating itself: checking the course server for a newer release, downloading it with a
//! progress bar and a cancel button, and installing it when the learner agrees.
//!
//! Built on tauri-plugin-updater, held to what `threats.md` asks of it:
//! - **Signed, and signed for that version.** The plugin checks the bundle's minisign signature
//!   against the public key built into this app and, with `requireSignedVersion`, that the version
//!   in the signature's trusted comment is the version the (unsigned) manifest announces.
//! - **Never older, never the same.** The version comparator is set in code (`newer_only`), so
//!   no configuration can allow a downgrade, and no webview can call the plugin: the UI only has
//!   Carrel's own commands, which never take a version.
//! - **Bounded.** The check has a timeout; the download has a byte cap ([`Rules::max_bytes`]) and a
//!   stall limit ([`Rules::stall`]): an endless or frozen body is abandoned, nothing is installed.
//! - **https in release builds.** The plugin refuses plain-http endpoints there; [`download`]
//!   also refuses a plain-http bundle address (the plugin only warns).
//! - **Never at a bad moment.** [`crate::state::AppState`] refuses to install while a quiz attempt
//!   is open or the outbox is sending.
//!
//! The functions here take the plugin's builder or update, so the headless tests (`tests/updates`)
//! drive exactly this code against a real course server with throwaway keys.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tauri_plugin_updater::{Update, UpdaterBuilder};
use ts_rs::TS;

/// The largest bundle Carrel downloads (installers are ~10 MB; this leaves room to grow).
pub const MAX_UPDATE_BYTES: u64 = 300 * 1024 * 1024;
/// How long the update check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a download may go without receiving a byte.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// How often Carrel looks for an update while it runs.
pub const CHECK_EVERY: Duration = Duration::from_secs(4 * 3600);
/// After this long without a successful check, the learner is warned (they may miss security
/// fixes, or someone may be holding updates back).
pub const STALE_AFTER_MS: i64 = 14 * 24 * 3600 * 1000;

/// The limits of one update check and download.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The largest bundle accepted, in bytes.
    pub max_bytes: u64,
    /// The longest a download may receive nothing.
    pub stall: Duration,
    /// The longest the check may take.
    pub check_timeout: Duration,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            max_bytes: MAX_UPDATE_BYTES,
            stall: STALL_TIMEOUT,
            check_timeout: CHECK_TIMEOUT,
        }
    }
}

/// Why an update was not found, downloaded or installed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The update server could not be asked or answered something unusable.
    #[error("Carrel could not check for updates: {0}. It will try again later")]
    Check(String),
    /// This copy of Carrel was not installed from one of its installers.
    #[error(
        "This copy of Carrel was not installed with one of its installers, so it cannot update \
         itself. Install Carrel from your course team's download page to get updates"
    )]
    NotInstalled,
    /// The bundle is larger than [`Rules::max_bytes`].
    #[error(
        "The update was larger than {limit_mb} MB and was stopped; nothing was installed. Tell \
         your course team"
    )]
    TooLarge {
        /// The limit, in megabytes.
        limit_mb: u64,
    },
    /// Nothing arrived for [`Rules::stall`].
    #[error(
        "The update download stopped receiving data and was abandoned; nothing was installed. \
         Try again when your connection is better"
    )]
    Stalled,
    /// The learner cancelled.
    #[error("The update download was cancelled; nothing was installed")]
    Cancelled,
    /// The bundle is not what the publisher signed (tampered, other key, other version).
    #[error(
        "The update was refused because it is not signed by Carrel's publisher for version \
         {version} ({reason}); nothing was installed. Tell your course team"
    )]
    Refused {
        /// The version announced.
        version: String,
        /// What the check found.
        reason: String,
    },
    /// The bundle address is not https in a release build.
    #[error("The update address {0} is not secure (https); nothing was downloaded")]
    Insecure(String),
    /// The download failed.
    #[error("The update could not be downloaded: {0}. Try again later")]
    Download(String),
    /// Installing failed.
    #[error("The update could not be installed: {0}. Carrel keeps running the current version")]
    Install(String),
}

/// What kind of installer this copy of Carrel came from, as the update endpoint names it, or
/// `None` for a copy built and run from source.
pub fn installed_bundle() -> Option<&'static str> {
    use tauri::utils::config::BundleType;
    use tauri::utils::platform::bundle_type;
    Some(match bundle_type()? {
        BundleType::Deb => "deb",
        BundleType::Rpm => "rpm",
        BundleType::AppImage => "appimage",
        BundleType::Msi => "msi",
        BundleType::Nsis => "nsis",
        BundleType::App | BundleType::Dmg => "app",
    })
}

/// The only version comparison Carrel accepts: strictly newer.
pub fn newer_only(current: &semver::Version, offered: &semver::Version) -> bool {
    offered > current
}

/// Asks `endpoint` (see [`carrel_protocol::updates::update_endpoint`]) for a newer release.
pub async fn check(
    builder: UpdaterBuilder,
    endpoint: url::Url,
    rules: &Rules,
) -> Result<Option<Update>, UpdateError> {
    let updater = builder
        .version_comparator(|current, release| newer_only(&current, &release.version))
        .timeout(rules.check_timeout)
        .endpoints(vec![endpoint])
        .and_then(|builder| builder.build())
        .map_err(|error| UpdateError::Check(error.to_string()))?;
    updater
        .check()
        .await
        .map_err(|error| UpdateError::Check(error.to_string()))
}

/// Asks a running download to stop.
#[derive(Debug, Clone, Default)]
pub struct CancelDownload(Arc<(AtomicBool, tokio::sync::Notify)>);

impl CancelDownload {
    /// Stops the download at once.
    pub fn cancel(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    async fn cancelled(&self) {
        loop {
            let notified = self.0.1.notified();
            if self.0.0.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// Downloads the bundle of `update` and checks its signature, reporting `(received, total)`.
/// Stops at [`Rules::max_bytes`], after [`Rules::stall`] without data, or when cancelled.
pub async fn download(
    update: &Update,
    rules: &Rules,
    cancel: &CancelDownload,
    mut progress: impl FnMut(u64, Option<u64>) + Send,
) -> Result<Vec<u8>, UpdateError> {
    if !cfg!(debug_assertions) && update.download_url.scheme() != "https" {
        return Err(UpdateError::Insecure(update.download_url.to_string()));
    }
    let received = Arc::new(AtomicU64::new(0));
    let too_large = Arc::new(tokio::sync::Notify::new());
    let over = Arc::new(AtomicBool::new(false));
    let max_bytes = rules.max_bytes;
    let on_chunk = {
        let (received, too_large, over) = (received.clone(), too_large.clone(), over.clone());
        move |length: usize, content_length: Option<u64>| {
            let total = received.fetch_add(length as u64, Ordering::SeqCst) + length as u64;
            if total > max_bytes || content_length.is_some_and(|declared| declared > max_bytes) {
                over.store(true, Ordering::SeqCst);
                too_large.notify_one();
            }
            progress(total.min(max_bytes), content_length);
        }
    };
    let stalled = watch_for_stall(received.clone(), rules.stall);
    let result = tokio::select! {
        result = update.download(on_chunk, || {}) => result.map_err(|error| refusal(update, error)),
        () = too_large.notified() => Err(UpdateError::TooLarge { limit_mb: max_bytes / (1024 * 1024) }),
        () = cancel.cancelled() => Err(UpdateError::Cancelled),
        () = stalled => Err(UpdateError::Stalled),
    };
    if over.load(Ordering::SeqCst) {
        return Err(UpdateError::TooLarge {
            limit_mb: max_bytes / (1024 * 1024),
        });
    }
    result
}

/// Resolves when `received` has not grown for `stall`.
async fn watch_for_stall(received: Arc<AtomicU64>, stall: Duration) {
    let mut seen = received.load(Ordering::SeqCst);
    let mut since = Instant::now();
    let tick = (stall / 4).max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(tick).await;
        let now = received.load(Ordering::SeqCst);
        if now != seen {
            seen = now;
            since = Instant::now();
        } else if since.elapsed() >= stall {
            return;
        }
    }
}

fn refusal(update: &Update, error: tauri_plugin_updater::Error) -> UpdateError {
    use tauri_plugin_updater::Error;
    match error {
        Error::Minisign(_)
        | Error::Base64(_)
        | Error::SignatureUtf8(_)
        | Error::SignedVersionMismatch { .. }
        | Error::MissingSignedVersion => UpdateError::Refused {
            version: update.version.clone(),
            reason: error.to_string(),
        },
        other => UpdateError::Download(other.to_string()),
    }
}

/// Installs verified bundle bytes (checked again against the signature first). On Linux a `.deb`
/// or `.rpm` is installed with the system's package tool (asking for the administrator's
/// password); an AppImage replaces itself. The caller restarts Carrel afterwards.
pub fn install(update: &Update, bytes: &[u8]) -> Result<(), UpdateError> {
    update
        .install(bytes)
        .map_err(|error| match refusal(update, error) {
            UpdateError::Download(message) => UpdateError::Install(message),
            refused => refused,
        })
}

/// What the learner sees of updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStatus {
    /// This Carrel's version.
    pub current_version: String,
    /// What is happening.
    pub phase: UpdatePhase,
    /// The newer release found, if any.
    pub available: Option<AvailableUpdate>,
    /// Bytes downloaded so far.
    #[ts(type = "number")]
    pub downloaded_bytes: u64,
    /// The bundle's size, when the server said.
    #[ts(type = "number | null")]
    pub total_bytes: Option<u64>,
    /// When Carrel last asked the update server (unix ms).
    #[ts(type = "number | null")]
    pub last_check_ms: Option<i64>,
    /// When the update server last answered (unix ms).
    #[ts(type = "number | null")]
    pub last_success_ms: Option<i64>,
    /// No successful check for [`STALE_AFTER_MS`] (or never): warn the learner.
    pub stale: bool,
    /// What went wrong last, for the learner.
    pub error: Option<String>,
    /// Why installing must wait, if it must.
    pub blocked_by: Option<InstallBlock>,
    /// Install without asking when idle.
    pub auto_install: bool,
}

/// The stage of updating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum UpdatePhase {
    /// Not checked yet in this run.
    Idle,
    /// Asking the update server.
    Checking,
    /// This is the newest version.
    UpToDate,
    /// A newer version can be downloaded.
    Available,
    /// Downloading it.
    Downloading,
    /// Downloaded and verified; waiting for the learner to agree (or for idle time).
    Ready,
    /// Installing; Carrel restarts next.
    Installing,
    /// The last step failed (`error` says what); the current version keeps running.
    Failed,
    /// This copy cannot update itself (not installed from an installer).
    Unsupported,
}

/// A newer release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AvailableUpdate {
    /// Its version.
    pub version: String,
    /// Its release notes (Markdown).
    pub notes: String,
    /// When it was published (unix ms).
    #[ts(type = "number | null")]
    pub published_ms: Option<i64>,
}

impl AvailableUpdate {
    /// The release `update` describes.
    pub fn of(update: &Update) -> Self {
        Self {
            version: update.version.clone(),
            notes: update.body.clone().unwrap_or_default(),
            published_ms: update
                .date
                .map(|date| (date.unix_timestamp_nanos() / 1_000_000) as i64),
        }
    }
}

/// Why an update cannot be installed right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum InstallBlock {
    /// A quiz attempt is open: installing restarts Carrel in the middle of it.
    AttemptOpen,
    /// Work is being sent to the course server.
    Sending,
}

/// Whether `last_success_ms` is too long ago at `now_ms` (never counts as too long).
pub fn is_stale(last_success_ms: Option<i64>, now_ms: i64) -> bool {
    last_success_ms.is_none_or(|last| now_ms.saturating_sub(last) > STALE_AFTER_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_strictly_newer_version_is_an_update() {
        let v = |text: &str| semver::Version::parse(text).unwrap();
        assert!(newer_only(&v("0.1.0"), &v("0.2.0")));
        assert!(newer_only(&v("0.2.0-beta.1"), &v("0.2.0")));
        assert!(!newer_only(&v("0.2.0"), &v("0.2.0")));
        assert!(!newer_only(&v("0.2.0"), &v("0.1.9")));
        assert!(!newer_only(&v("0.2.0"), &v("0.2.0-beta.2")));
    }

    #[test]
    fn a_check_too_long_ago_or_never_is_stale() {
        let day = 24 * 3600 * 1000;
        let now = 100 * day;
        assert!(is_stale(None, now));
        assert!(!is_stale(Some(now - day), now));
        assert!(is_stale(Some(now - 15 * day), now));
    }
}
