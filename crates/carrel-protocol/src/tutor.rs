//! What tutors (and admins) use to read, grade and comment learners' submissions, and what a
//! learner reads about their own: the bodies of `/api/v1/tutor/*`, `/api/v1/enrolments` and the
//! `GET` of a submission.
//!
//! A tutor sees the submissions of the courses they are enrolled in as a tutor (an admin sees all);
//! a learner sees only their own. Grading sets a submission's grade (grading again replaces it) and
//! puts a [`Grade`](crate::changes::Grade) change in the learner's feed; a comment adds a
//! [`Comment`](crate::changes::Comment) change.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::auth::Role;
use crate::changes::{Comment, Grade};
use crate::submissions::{Receipt, SubmissionKind};

/// `GET` (authenticated): the account's enrolments.
pub const ENROLMENTS_PATH: &str = "/api/v1/enrolments";
/// `GET` (tutor): submissions, filtered by `course`, `item`, `ungraded=true`.
pub const TUTOR_SUBMISSIONS_PATH: &str = "/api/v1/tutor/submissions";
/// `GET` (tutor): one submission with its payload.
pub const TUTOR_SUBMISSION_ROUTE: &str = "/api/v1/tutor/submissions/{server_id}";
/// `PUT` (tutor): a submission's grade, with a [`GradeInput`].
pub const TUTOR_GRADE_ROUTE: &str = "/api/v1/tutor/submissions/{server_id}/grade";
/// `POST` (tutor): a comment on a submission, with a [`CommentInput`].
pub const TUTOR_COMMENTS_ROUTE: &str = "/api/v1/tutor/submissions/{server_id}/comments";
/// `GET` (tutor): an attachment's bytes.
pub const TUTOR_ATTACHMENT_ROUTE: &str =
    "/api/v1/tutor/submissions/{server_id}/attachments/{sha256}";

/// The path of submission `server_id` for a tutor.
pub fn tutor_submission_path(server_id: i64) -> String {
    format!("{TUTOR_SUBMISSIONS_PATH}/{server_id}")
}

/// The path to grade submission `server_id`.
pub fn tutor_grade_path(server_id: i64) -> String {
    format!("{TUTOR_SUBMISSIONS_PATH}/{server_id}/grade")
}

/// The path to comment on submission `server_id`.
pub fn tutor_comments_path(server_id: i64) -> String {
    format!("{TUTOR_SUBMISSIONS_PATH}/{server_id}/comments")
}

/// An account's place in a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrolment {
    /// Course id.
    pub course_id: String,
    /// Learner or tutor in this course.
    pub role: Role,
    /// The group the account works in for group work, if any.
    pub group: Option<String>,
    /// The other members of that group (display names), for the learner to see who they work with.
    #[serde(default)]
    pub group_members: Vec<String>,
}

/// Who submitted, as a tutor sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submitter {
    /// Account id.
    pub id: i64,
    /// Login.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Their group in the course, if any.
    pub group: Option<String>,
}

/// A submission in a tutor's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionSummary {
    /// The server's id.
    pub server_id: i64,
    /// The client's id.
    pub submission_id: String,
    /// Quiz or assignment.
    pub kind: SubmissionKind,
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// Who submitted it.
    pub learner: Submitter,
    /// When the server stored it (ms since the epoch).
    pub received_ms: u64,
    /// Its grade, if graded (automatically or by a tutor).
    pub grade: Option<Grade>,
}

/// A submission in full, for a tutor.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionDetail {
    /// What the list shows.
    pub summary: SubmissionSummary,
    /// The payload exactly as stored.
    pub payload: Box<RawValue>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
}

/// Body of a grade `PUT`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GradeInput {
    /// Points earned (0 ≤ score ≤ max score).
    pub score: f64,
    /// Points possible; by default the quiz's total, or 100 for an assignment.
    #[serde(default)]
    pub max_score: Option<f64>,
    /// Whether it passes; by default from the quiz's passing score, none for an assignment.
    #[serde(default)]
    pub passed: Option<bool>,
    /// Feedback for the learner (Markdown).
    #[serde(default)]
    pub feedback: Option<String>,
}

/// Body of a comment `POST`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentInput {
    /// The comment (Markdown, at most 20,000 characters).
    pub text: String,
}

/// A learner's own submission: `GET /api/v1/submissions/{submission_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionStatus {
    /// The receipt it was given.
    pub receipt: Receipt,
    /// Its grade, if any.
    pub grade: Option<Grade>,
    /// Tutors' comments, oldest first.
    pub comments: Vec<Comment>,
}
