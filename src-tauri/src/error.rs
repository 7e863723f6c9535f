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
    /// Data the UI needs to act on the code (e.g. the publisher fingerprint of
    /// `untrusted_publisher`), never shown instead of `message`.
    pub detail: Option<String>,
}

impl CommandError {
    /// An error with a code the UI knows.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: sentence(message.into()),
            detail: None,
        }
    }

    /// The same error with `detail` set.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
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

/// Library errors read as clauses ("the package entry … is …"); the learner reads a sentence.
pub fn sentence(message: String) -> String {
    let mut chars = message.chars();
    let Some(first) = chars.next() else {
        return message;
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The codes the UI branches on.
pub mod codes {
    /// The server address typed in Settings is not usable.
    pub const INVALID_SERVER_URL: &str = "invalid_server_url";
    /// The server address is fixed by `CARREL_SERVER_URL` and cannot be changed in Settings.
    pub const SERVER_URL_LOCKED: &str = "server_url_locked";
    /// Settings could not be saved to disk.
    pub const SETTINGS_UNAVAILABLE: &str = "settings_unavailable";
    /// A package signed by a key this laptop does not trust; `detail` is the key's fingerprint.
    pub const UNTRUSTED_PUBLISHER: &str = "untrusted_publisher";
    /// A package that is broken, tampered with or not for this Carrel; nothing was installed.
    pub const PACKAGE_INVALID: &str = "package_invalid";
    /// The learner cancelled a long task.
    pub const CANCELLED: &str = "cancelled";
    /// The course server cannot be reached; what was downloaded is kept.
    pub const OFFLINE: &str = "offline";
    /// Not enough disk space.
    pub const NO_SPACE: &str = "no_space";
    /// The course is not on this laptop (or not in the catalogue).
    pub const NOT_INSTALLED: &str = "not_installed";
    /// Anything else.
    pub const INTERNAL: &str = "internal";
    /// The progress database cannot be used (newer Carrel, another process, unreadable).
    pub const PROGRESS_UNAVAILABLE: &str = "progress_unavailable";
    /// Files of an installed course are missing or damaged; `detail` is the course id to repair.
    pub const CONTENT_DAMAGED: &str = "content_damaged";
    /// A course file of a type Carrel will not hand to other applications.
    pub const FILE_TYPE_REFUSED: &str = "file_type_refused";
    /// No application opened a course file.
    pub const NO_APPLICATION: &str = "no_application";
    /// The search index cannot be used.
    pub const SEARCH_UNAVAILABLE: &str = "search_unavailable";
    /// Weekly study hours out of range.
    pub const INVALID_WEEKLY_HOURS: &str = "invalid_weekly_hours";
    /// The item cannot be completed that way (its rule is not "mark done").
    pub const NOT_MARKABLE: &str = "not_markable";
    /// A quiz that is not open (yet, or any more) or has no attempts left; the message says which.
    pub const QUIZ_UNAVAILABLE: &str = "quiz_unavailable";
    /// The attempt's time ran out; it was submitted with the answers saved until then.
    pub const TIME_UP: &str = "time_up";
    /// Already submitted; nothing changed. It is in the Outbox.
    pub const ALREADY_SUBMITTED: &str = "already_submitted";
    /// An answer that cannot be saved or checked (locked, not fitting the question).
    pub const ANSWER_REFUSED: &str = "answer_refused";
    /// A file that cannot be attached (type, size, count, unreadable); the draft is unchanged.
    pub const ATTACHMENT_REFUSED: &str = "attachment_refused";
    /// The draft changed after the learner reviewed it; review again.
    pub const DRAFT_CHANGED: &str = "draft_changed";
    /// Not ready to submit (declaration, group, nothing written); the message says what.
    pub const NOT_READY: &str = "not_ready";
    /// The server refused the login and password.
    pub const SIGN_IN_REFUSED: &str = "sign_in_refused";
    /// Not signed in to the course server.
    pub const SIGNED_OUT: &str = "signed_out";
    /// An export could not be written.
    pub const EXPORT_FAILED: &str = "export_failed";
    /// There is no update to download or install.
    pub const NO_UPDATE: &str = "no_update";
    /// Installing must wait (a quiz attempt is open, or work is being sent).
    pub const UPDATE_BLOCKED: &str = "update_blocked";
    /// An update could not be checked, downloaded, verified or installed.
    pub const UPDATE_FAILED: &str = "update_failed";
    /// The course library cannot move to the folder chosen.
    pub const LIBRARY_MOVE_REFUSED: &str = "library_move_refused";
    /// A link the content window did not ask to open, or not a web address.
    pub const LINK_REFUSED: &str = "link_refused";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_the_learner_as_sentences() {
        let error = CommandError::new(codes::PACKAGE_INVALID, "the package entry “a” is a link");
        assert_eq!(error.message, "The package entry “a” is a link.");
        let kept = CommandError::new(codes::OFFLINE, "Already a sentence.");
        assert_eq!(kept.message, "Already a sentence.");
        assert_eq!(CommandError::new(codes::INTERNAL, "").message, "");
    }
}
