//! Group work: the learner's group in a course as the course server has it — its members, the
//! files the course team gave it, and where its group assignments stand.
//!
//! **Groups live on the server.** An enrolment names the learner's group in its course
//! (`carrel-server enrol LOGIN COURSE --group NAME`); a learner is in at most one group per course.
//!
//! **One submission for the group.** A group assignment (an assignment of kind `group` in the
//! published package) is submitted by any one member, as any assignment, through
//! `PUT /api/v1/submissions/{id}`. The server records it for the submitter's group as it stands
//! at that moment, and the group's *latest* submission of an item is the group's: the one a tutor
//! grades, the one whose grade counts for every member. A member who submits again (when the
//! assignment allows resubmission) replaces it for the whole group.
//!
//! **The group's state.** `GET /api/v1/courses/{course_id}/group` (a learner enrolled in the
//! course with a group) answers a [`GroupState`]: the members, the group's files and, for each
//! group assignment the group has submitted, its latest submission with who sent it and its grade.
//! Every member's laptop fetches it each sync round and keeps it, so the state is visible offline
//! to every member, whoever submitted. Anyone else — not enrolled, a tutor, a learner without a
//! group — gets 404 `no_group`.
//!
//! **The group's files.** The course team places files for a group (the case-study material the
//! group works on: `carrel-server group-file-add COURSE GROUP FILE`). Members download them
//! with `GET /api/v1/courses/{course_id}/group/files/{sha256}` (with `Range`), which also serves
//! the files of the group's submissions, and check each against its SHA-256 and size.

use serde::{Deserialize, Serialize};

use crate::forums::PostAttachment;

/// `GET` (a learner with a group in the course): the group's [`GroupState`].
pub const GROUP_ROUTE: &str = "/api/v1/courses/{course_id}/group";
/// `GET` (a member of the group): one of the group's files, or a file of one of its submissions.
pub const GROUP_FILE_ROUTE: &str = "/api/v1/courses/{course_id}/group/files/{sha256}";

/// The longest name of a group's file, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// The path of the group state of the signed-in learner in `course_id`.
pub fn group_path(course_id: &str) -> String {
    format!("/api/v1/courses/{course_id}/group")
}

/// The path of the group file `sha256` in `course_id`.
pub fn group_file_path(course_id: &str, sha256: &str) -> String {
    format!("/api/v1/courses/{course_id}/group/files/{sha256}")
}

/// The learner's group in a course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupState {
    /// The course.
    pub course_id: String,
    /// The group's name (unique within the course).
    pub name: String,
    /// Every member, the asking learner among them, by display name.
    pub members: Vec<GroupMember>,
    /// The files the course team placed for the group, by name.
    pub files: Vec<GroupFile>,
    /// For each group assignment the group has submitted, its latest submission.
    pub submissions: Vec<GroupSubmission>,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    /// The member's display name.
    pub display_name: String,
    /// The member is the asking learner.
    pub you: bool,
}

/// A file the course team placed for a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupFile {
    /// The file's bytes.
    #[serde(flatten)]
    pub file: PostAttachment,
    /// Who placed it (a display name, or the operator's `course team`).
    pub added_by: String,
    /// When (ms since the epoch, server clock).
    pub added_ms: u64,
}

/// The group's latest submission of a group assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSubmission {
    /// The assignment.
    pub item_id: String,
    /// The submitting client's id of it.
    pub submission_id: String,
    /// Who submitted it (display name).
    pub submitted_by: String,
    /// The asking learner submitted it.
    pub by_you: bool,
    /// When the server received it (ms since the epoch, server clock).
    pub received_ms: u64,
    /// Its text's length in words.
    pub words: u32,
    /// Its files, which every member may download.
    pub attachments: Vec<PostAttachment>,
    /// How many submissions the group has made of this item, this one included.
    pub count: u32,
    /// Its grade, once a tutor graded it.
    pub grade: Option<GroupGrade>,
}

/// The grade of a group's submission: the grade of every member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupGrade {
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// Whether it passes; `None` when the item has no pass mark.
    pub passed: Option<bool>,
    /// The tutor's feedback (Markdown), if any.
    pub feedback: Option<String>,
    /// Who graded it.
    pub graded_by: Option<String>,
    /// When (ms since the epoch, server clock).
    pub graded_ms: u64,
}
