//! The error every command returns to the UI: `{ code, message }`.
//!
//! `code` is stable and the UI may branch on it; `message` is a sentence for the learner saying what
//! is wrong and what to do. The UI never matches on message text. Add a code only when the UI needs
//! to tell it apart; everything else is `internal`.

use serde::Serialize;
use ts_rs::TS;

/// A command failure as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CommandError {
    /// Stable machine-readable code, e.g. `invalid_server_url`.
    pub code: String,
    /// For the learner.
    pub message: String,
}

impl CommandError {
    /// An error with a code the UI knows.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// Something the learner cannot fix by changing their input; logged in full.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "{context}");
        Self::new(
            codes::INTERNAL,
            format!(
                "{context}. Restart Carrel; if it happens again, report it to your course team."
            ),
        )
    }
}

/// The codes the UI branches on.
pub mod codes {
    /// The server address typed in Settings is not usable.
    pub const INVALID_SERVER_URL: &str = "invalid_server_url";
    /// The server address is fixed by `CARREL_SERVER_URL` and cannot be changed in Settings.
    pub const SERVER_URL_LOCKED: &str = "server_url_locked";
    /// Settings could not be saved to disk.
    pub const SETTINGS_UNAVAILABLE: &str = "settings_unavailable";
    /// Anything else.
    pub const INTERNAL: &str = "internal";
}
