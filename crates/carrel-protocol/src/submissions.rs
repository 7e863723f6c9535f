//! Submissions: quiz attempts and assignments the client's outbox sends, each exactly once.
//!
//! `PUT /api/v1/submissions/{submission_id}` with a [`SubmissionUpload`]. The client makes the
//! id (a UUIDv7) when the learner submits; the server keeps it forever as the submission's unique
//! key. So a retry — after a timeout, a cut connection, a crash — can never create a second
//! submission:
//!
//! | the server has… | answer |
//! | --- | --- |
//! | nothing under this id | **201** and a [`Receipt`]: stored |
//! | the same payload (same SHA-256) from the same account | **200** and the same receipt, `replayed: true` |
//! | a different payload, or another account's | **422** `idempotency_conflict`; nothing changes |
//! | the same id being stored right now | **409** `in_flight` with `Retry-After: 1` |
//!
//! The receipt's `sha256` is the SHA-256 of the payload's exact bytes as received (the JSON value
//! of `payload`, byte for byte, as the client stored it in its outbox), so the client proves what
//! the server holds by comparing it with its own.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The route of one submission; `{submission_id}` is the client's id.
pub const SUBMISSION_ROUTE: &str = "/api/v1/submissions/{submission_id}";

/// The path of submission `id`.
pub fn submission_path(id: &str) -> String {
    format!("/api/v1/submissions/{id}")
}

/// What a submission submits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionKind {
    /// A quiz attempt.
    Quiz,
    /// An assignment.
    Assignment,
    /// The result of a session of a SCORM item, as its content reported it.
    Scorm,
    /// The result of a session of a cmi5 AU.
    Cmi5,
    /// A forum post: a new topic or a reply ([`crate::forums`]).
    ForumPost,
}

impl SubmissionKind {
    /// Every kind.
    pub const ALL: [Self; 5] = [
        Self::Quiz,
        Self::Assignment,
        Self::Scorm,
        Self::Cmi5,
        Self::ForumPost,
    ];

    /// The kind's name on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Quiz => "quiz",
            Self::Assignment => "assignment",
            Self::Scorm => "scorm",
            Self::Cmi5 => "cmi5",
            Self::ForumPost => "forum_post",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Whether a tutor grades it: results of SCORM and cmi5 content are the content's own, and
    /// forum posts are not graded.
    pub fn graded_by_tutor(self) -> bool {
        matches!(self, Self::Quiz | Self::Assignment)
    }

    /// Whether it is the result of a session of SCORM or cmi5 content, graded by its own score.
    pub fn is_runtime_result(self) -> bool {
        matches!(self, Self::Scorm | Self::Cmi5)
    }
}

/// The body of a submission upload.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmissionUpload {
    /// Quiz or assignment.
    pub kind: SubmissionKind,
    /// The payload exactly as the outbox stores it (a JSON object whose `submissionId` is the
    /// path's id, with `courseId` and `itemId`).
    pub payload: Box<RawValue>,
}

/// The server's proof that it holds a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The server's own id for it.
    pub server_id: i64,
    /// The client's id.
    pub submission_id: String,
    /// SHA-256 (hex) of the payload's bytes as stored.
    pub sha256: String,
    /// When the server stored it (ms since the epoch, server clock).
    pub received_ms: u64,
    /// This answer repeats the first one: the submission was already stored.
    pub replayed: bool,
}
