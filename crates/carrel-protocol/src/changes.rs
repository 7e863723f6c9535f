//! The changes feed: what happened on the server that a learner's device should know — grades,
//! tutors' comments, new versions of their courses, deadline changes, announcements — in order,
//! from a cursor.
//!
//! `GET /api/v1/changes?after=<cursor>&limit=<n>` (authenticated) answers a [`ChangesPage`]: the
//! account's changes with a sequence number greater than `after` (0, or absent, for all), oldest
//! first, at most `limit` (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]). The client stores the
//! page's `cursor` only after it has applied the page, and asks again while `more` is true. So a
//! crash between the two only makes it apply a page twice: every change is a state to set (the
//! grade of a submission *is* this), never an increment, so applying it twice is harmless.
//!
//! A learner sees the changes of their own submissions and those of the courses they are enrolled
//! in; nobody else's. Change types a client does not know are skipped ([`ChangeBody::Unknown`]),
//! so a newer server can add types without breaking older clients.

use serde::{Deserialize, Serialize};

use crate::submissions::SubmissionKind;

/// `GET` (authenticated): the account's changes after a cursor.
pub const CHANGES_PATH: &str = "/api/v1/changes";
/// Changes per page when the request does not say.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most changes a page holds.
pub const MAX_LIMIT: u32 = 500;

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangesPage {
    /// The changes, oldest first.
    pub changes: Vec<Change>,
    /// Ask with `after=<cursor>` next time (the last change's `seq`, or the request's `after`
    /// when there was nothing new).
    pub cursor: i64,
    /// More changes are waiting: ask again now.
    pub more: bool,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Its place in the server's feed (increasing, not necessarily contiguous for one account).
    pub seq: i64,
    /// When it happened (ms since the epoch, server clock).
    pub at_ms: u64,
    /// What happened.
    pub body: ChangeBody,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeBody {
    /// A submission was graded, or its grade changed: this is its grade now.
    Grade(Grade),
    /// A tutor commented on a submission.
    Comment(Comment),
    /// A new version of a course was published.
    Package(PackageNotice),
    /// An item's dates changed for this learner (an extension) or for everyone.
    Schedule(ScheduleNotice),
    /// A message to a course's participants.
    Announcement(Announcement),
    /// A webinar session added, moved or cancelled by the course team after the package was
    /// published (for everyone in the course).
    Session(SessionNotice),
    /// The recording of a webinar session was published (for everyone in the course).
    Recording(RecordingNotice),
    /// A change type this build does not know: skip it.
    #[serde(other)]
    Unknown,
}

/// The grade of a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Grade {
    /// The client's id of the submission.
    pub submission_id: String,
    /// The server's id of it.
    pub server_id: i64,
    /// Quiz or assignment.
    pub kind: SubmissionKind,
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// Whether it passes; `None` when the item has no pass mark.
    pub passed: Option<bool>,
    /// `false` while part of it waits for a tutor (an essay question of a quiz graded by the
    /// server): `score` counts only what is graded.
    pub complete: bool,
    /// The tutor's feedback (Markdown), if any.
    pub feedback: Option<String>,
    /// Who graded it (a tutor's name), or `None` for the server's automatic grading.
    pub graded_by: Option<String>,
    /// When (ms since the epoch, server clock).
    pub graded_ms: u64,
    /// For a quiz graded by the server: each question's result, in the shape of the client's
    /// quiz grade (`carrel_core::assess::grade::QuizGrade`).
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

/// A tutor's comment on a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    /// The server's id of the comment.
    pub comment_id: i64,
    /// The client's id of the submission.
    pub submission_id: String,
    /// Course id.
    pub course_id: String,
    /// Who wrote it.
    pub author: String,
    /// The comment (Markdown).
    pub text: String,
    /// When (ms since the epoch, server clock).
    pub at_ms: u64,
}

/// A new version of a course the learner is enrolled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageNotice {
    /// Course id.
    pub course_id: String,
    /// The new version.
    pub version: String,
    /// Its title.
    pub title: String,
}

/// A webinar session as the course team set it on the server: it replaces the package's session
/// of the same id (or adds one), or cancels it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionNotice {
    /// The course.
    pub course_id: String,
    /// The webinar item.
    pub item_id: String,
    /// The session's id (the package's, to move or cancel it; a new one to add one).
    pub session_id: String,
    /// When it starts, RFC 3339; `None`: cancelled.
    pub starts: Option<String>,
    /// The IANA zone it is organised in (required unless cancelled).
    pub time_zone: Option<String>,
    /// Its length in minutes (required unless cancelled).
    pub duration_minutes: Option<u32>,
    /// Where to join (https).
    pub join_url: Option<String>,
    /// Who presents it.
    pub presenter: Option<String>,
}

/// A session's recording, to download for offline viewing from `url` (on the course server,
/// `GET` with `Range`, for those who may see the course), checked against `sha256` and `size`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingNotice {
    /// The course.
    pub course_id: String,
    /// The webinar item.
    pub item_id: String,
    /// The session recorded.
    pub session_id: String,
    /// The file's SHA-256 (lower-case hex).
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type (`video/mp4`, `audio/mpeg`…).
    pub media_type: String,
    /// Where to download it, relative to the server ([`recording_url`]).
    pub url: String,
}

/// The recording formats a course server takes, as (extension, media type): what every Carrel
/// platform plays. The first extension of a media type is the one a client saves it under.
pub const RECORDING_FORMATS: [(&str, &str); 7] = [
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("webm", "video/webm"),
    ("m4a", "audio/mp4"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("oga", "audio/ogg"),
];

/// The route of a recording file.
pub const RECORDING_ROUTE: &str = "/api/v1/courses/{course_id}/recordings/{sha256}";

/// The path of the recording `sha256` of `course_id`.
pub fn recording_url(course_id: &str, sha256: &str) -> String {
    format!("/api/v1/courses/{course_id}/recordings/{sha256}")
}

/// New dates for an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleNotice {
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// The new due date or closing time (RFC 3339), or `None` for no limit.
    pub due: Option<String>,
    /// Why, for the learner ("extension agreed with your tutor").
    pub reason: Option<String>,
}

/// A message to a course's participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Announcement {
    /// Course id.
    pub course_id: String,
    /// Its title.
    pub title: String,
    /// The message (Markdown).
    pub body: String,
}
