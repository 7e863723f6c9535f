//! Group work kept for offline: the learner's group in each course, the files the course team
//! placed for it, and where its group assignments stand, whoever of the members submitted
//! (`carrel_protocol::groups`).
//!
//! Each sync round ([`pull`]) asks the course server for the group of every course the account is
//! enrolled in with a group, keeps each answer whole in `sync_meta` (`group <course>`), with when
//! it was fetched, and forgets the groups of courses the account no longer has one in. Then it
//! downloads the group's files and the files of its latest submissions that are not on this
//! computer yet (up to [`PREFETCH_MAX_BYTES`] each; a larger one is fetched when opened), into the
//! attachment store, each checked against its SHA-256 — so the case-study material opens offline.
//!
//! The server decides what the group's submission is (its latest); the laptop shows it
//! ([`work_in`]) beside the learner's own outbox, and [`crate::assess::assignments`] refuses a
//! second submission of an assignment that takes one when another member already submitted it.

use carrel_protocol::groups::{
    GroupGrade, GroupState, GroupSubmission, group_file_path, group_path,
};
use rusqlite::Transaction;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::assess::AssessError;
use crate::assess::attachments::AttachmentStore;
use crate::assess::outbox::AttachmentInfo;
use crate::forums::{FetchError, fetch_attachment};
use crate::http::HttpClient;
use crate::progress::ProgressDb;
use crate::settings::ServerUrl;
use crate::sync::changes::{PullError, enrolments_in, get_json, meta_json_in, set_meta_in};

/// The prefix of the `sync_meta` keys of kept groups (`group <course id>`).
const KEY_PREFIX: &str = "group ";

/// Largest file the sync downloads ahead; larger ones are fetched when the learner opens them.
pub const PREFETCH_MAX_BYTES: u64 = 50 * 1024 * 1024;

fn key(course_id: &str) -> String {
    format!("{KEY_PREFIX}{course_id}")
}

/// What is kept: the server's answer as it came, with when and for whom it was fetched.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Kept {
    owner: String,
    fetched_ms: i64,
    state: GroupState,
}

/// The learner's group in a course, as the course server last told this laptop.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GroupWork {
    /// The group's name.
    pub name: String,
    /// The members, the learner among them.
    pub members: Vec<GroupMemberView>,
    /// The files the course team placed for the group.
    pub files: Vec<GroupFileView>,
    /// The group's latest submission of the assignment asked about, if any member submitted it.
    pub submission: Option<GroupSubmissionView>,
    /// When this laptop fetched it (device clock, ms).
    #[ts(type = "number")]
    pub fetched_ms: i64,
}

/// A member of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GroupMemberView {
    /// Display name.
    pub display_name: String,
    /// The learner using this laptop.
    pub you: bool,
}

/// A file of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GroupFileView {
    /// The file.
    pub file: AttachmentInfo,
    /// Who placed it.
    pub added_by: String,
    /// When (server clock, ms).
    #[ts(type = "number")]
    pub added_ms: i64,
}

/// The group's latest submission of an assignment.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GroupSubmissionView {
    /// The submission's id.
    pub submission_id: String,
    /// Who submitted it.
    pub submitted_by: String,
    /// The learner using this laptop submitted it.
    pub by_you: bool,
    /// When the server received it (server clock, ms).
    #[ts(type = "number")]
    pub received_ms: i64,
    /// Its words.
    pub words: u32,
    /// Its files.
    pub attachments: Vec<AttachmentInfo>,
    /// The group's submissions of the assignment so far, this one included.
    pub count: u32,
    /// Its grade: every member's.
    pub grade: Option<GroupGradeView>,
}

/// The grade of the group's submission.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GroupGradeView {
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// Whether it passes, when the assignment has a pass mark.
    pub passed: Option<bool>,
    /// The tutor's feedback (Markdown).
    pub feedback: Option<String>,
    /// Who graded it.
    pub graded_by: Option<String>,
    /// When (server clock, ms).
    #[ts(type = "number")]
    pub graded_ms: i64,
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn attachment(file: &carrel_protocol::forums::PostAttachment) -> AttachmentInfo {
    AttachmentInfo {
        sha256: file.sha256.clone(),
        name: file.name.clone(),
        size: file.size,
    }
}

fn grade(grade: &GroupGrade) -> GroupGradeView {
    GroupGradeView {
        score: grade.score,
        max_score: grade.max_score,
        passed: grade.passed,
        feedback: grade.feedback.clone(),
        graded_by: grade.graded_by.clone(),
        graded_ms: ms(grade.graded_ms),
    }
}

fn submission(submission: &GroupSubmission) -> GroupSubmissionView {
    GroupSubmissionView {
        submission_id: submission.submission_id.clone(),
        submitted_by: submission.submitted_by.clone(),
        by_you: submission.by_you,
        received_ms: ms(submission.received_ms),
        words: submission.words,
        attachments: submission.attachments.iter().map(attachment).collect(),
        count: submission.count,
        grade: submission.grade.as_ref().map(grade),
    }
}

fn kept_in(tx: &Transaction<'_>, course_id: &str) -> rusqlite::Result<Option<Kept>> {
    meta_json_in(tx, &key(course_id))
}

/// The learner's group in `course_id` as last fetched, with its latest submission of `item_id`
/// (an assignment); `None` before the first fetch, or when the learner has no group there.
pub(crate) fn work_in(
    tx: &Transaction<'_>,
    course_id: &str,
    item_id: &str,
) -> rusqlite::Result<Option<GroupWork>> {
    Ok(kept_in(tx, course_id)?.map(|kept| GroupWork {
        name: kept.state.name,
        members: kept
            .state
            .members
            .into_iter()
            .map(|member| GroupMemberView {
                display_name: member.display_name,
                you: member.you,
            })
            .collect(),
        files: kept
            .state
            .files
            .iter()
            .map(|file| GroupFileView {
                file: attachment(&file.file),
                added_by: file.added_by.clone(),
                added_ms: ms(file.added_ms),
            })
            .collect(),
        submission: kept
            .state
            .submissions
            .iter()
            .find(|submission| submission.item_id == item_id)
            .map(submission),
        fetched_ms: kept.fetched_ms,
    }))
}

/// File `sha256` of the learner's group in `course_id` — one the course team placed, or one of
/// the group's latest submissions — when the kept state names it: what the UI may ask to open.
pub fn file(db: &ProgressDb, course_id: &str, sha256: &str) -> Result<AttachmentInfo, AssessError> {
    db.transact(|tx| {
        kept_in(tx, course_id)?
            .and_then(|kept| files_of(&kept.state).find(|file| file.sha256 == sha256))
            .ok_or_else(|| AssessError::NotFound {
                what: "file",
                id: sha256.to_owned(),
            })
    })
}

/// Every file of a group: the course team's, then its latest submissions'.
fn files_of(state: &GroupState) -> impl Iterator<Item = AttachmentInfo> + '_ {
    state.files.iter().map(|file| attachment(&file.file)).chain(
        state
            .submissions
            .iter()
            .flat_map(|submission| submission.attachments.iter().map(attachment)),
    )
}

/// Makes sure the attachment store holds `file` of the group in `course_id`, downloading it when
/// it does not; answers where it is.
pub async fn fetch_file(
    http: &HttpClient,
    server: &ServerUrl,
    token: Option<&str>,
    store: &AttachmentStore,
    course_id: &str,
    file: &AttachmentInfo,
) -> Result<std::path::PathBuf, FetchError> {
    let path = group_file_path(course_id, &file.sha256);
    fetch_attachment(http, server, token, store, &path, file).await
}

/// Forgets every group kept here (the learner signed out: the next account fetches its own).
pub fn forget(db: &ProgressDb) -> Result<(), AssessError> {
    db.transact(|tx| {
        tx.execute(
            "DELETE FROM sync_meta WHERE substr(key, 1, 6) = ?1",
            [KEY_PREFIX],
        )?;
        Ok(())
    })
}

/// What a round of [`pull`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupPullReport {
    /// Groups kept.
    pub groups: u32,
    /// A kept group changed (members, files or submissions).
    pub changed: bool,
    /// Files downloaded ahead.
    pub fetched: u32,
}

/// Fetches the group of every course the account is enrolled in with a group (as the enrolments
/// were last fetched), keeps it, forgets the others, and downloads the groups' files ahead.
pub async fn pull(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    account_id: i64,
    store: &AttachmentStore,
    now_ms: i64,
) -> Result<GroupPullReport, PullError> {
    let owner = format!("{} {account_id}", server.as_str());
    let courses: Vec<String> = db
        .transact(|tx| Ok::<_, AssessError>(enrolments_in(tx)?))?
        .into_iter()
        .filter(|enrolment| enrolment.group.is_some())
        .map(|enrolment| enrolment.course_id)
        .collect();
    let mut report = GroupPullReport::default();
    let mut fetched = Vec::new();
    // One course failing does not keep the others from being read; its kept state stays.
    let mut failed = None;
    for course_id in &courses {
        match get_json::<GroupState>(http, &server.join(&group_path(course_id)), token).await {
            Ok(state) => fetched.push((course_id.clone(), state)),
            Err(PullError::Unauthorized) => return Err(PullError::Unauthorized),
            Err(error) => failed = failed.or(Some(error)),
        }
    }
    let kept: Vec<(String, GroupState)> = db.transact(|tx| {
        let mut kept = Vec::new();
        // Groups of courses the account has no group in any more, or of another account, go.
        let stale: Vec<String> = tx
            .prepare("SELECT key FROM sync_meta WHERE substr(key, 1, 6) = ?1")?
            .query_map([KEY_PREFIX], |row| row.get::<_, String>(0))?
            .collect::<Result<_, _>>()?;
        for stale_key in stale {
            let course_id = &stale_key[KEY_PREFIX.len()..];
            let previous = kept_in(tx, course_id)?;
            let answered = fetched.iter().any(|(course, _)| course == course_id);
            let other_owner = previous.as_ref().is_none_or(|kept| kept.owner != owner);
            if other_owner || (!answered && !courses.iter().any(|course| course == course_id)) {
                tx.execute("DELETE FROM sync_meta WHERE key = ?1", [&stale_key])?;
                report.changed = true;
            }
        }
        for (course_id, state) in &fetched {
            let previous = kept_in(tx, course_id)?;
            match state {
                // None: no group there any more (or an older server without group work).
                None => {
                    if previous.is_some() {
                        tx.execute("DELETE FROM sync_meta WHERE key = ?1", [key(course_id)])?;
                        report.changed = true;
                    }
                }
                Some(state) => {
                    if previous.is_none_or(|previous| &previous.state != state) {
                        report.changed = true;
                    }
                    let json = serde_json::to_string(&Kept {
                        owner: owner.clone(),
                        fetched_ms: now_ms,
                        state: state.clone(),
                    })
                    .expect("groups serialize");
                    set_meta_in(tx, &key(course_id), &json)?;
                    report.groups += 1;
                    kept.push((course_id.clone(), state.clone()));
                }
            }
        }
        Ok::<_, AssessError>(kept)
    })?;
    for (course_id, state) in &kept {
        for file in files_of(state) {
            // Kept files were checked when written and are named by their hash: their length
            // says enough here (opening one checks it whole).
            if file.size > PREFETCH_MAX_BYTES || store.holds(&file.sha256, file.size) {
                continue;
            }
            match fetch_file(http, server, Some(token), store, course_id, &file).await {
                Ok(_) => report.fetched += 1,
                Err(error) => tracing::info!(%error, file = %file.name, "group file not fetched"),
            }
        }
    }
    failed.map_or(Ok(report), Err)
}
