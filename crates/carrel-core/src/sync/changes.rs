//! Pulling the course server's changes feed (`carrel_protocol::changes`) into the progress
//! database: grades and tutors' comments on the learner's submissions, announcements, new course
//! versions and deadline changes.
//!
//! Each page is applied in one transaction together with the cursor that follows it, so the
//! database never holds a cursor past changes it has not applied. Applying a change twice (after a
//! crash between reading a page and committing it) sets the same state again: a grade *replaces*
//! the submission's grade, a comment is keyed by its id, a notice by its sequence number.
//!
//! A complete grade moves the submission's outbox entry from `received` to `graded`. A grade for
//! a submission the outbox still shows as queued (its receipt was lost) is kept, and shown once
//! the receipt arrives.

use carrel_protocol::changes::{
    CHANGES_PATH, Change, ChangeBody, ChangesPage, Comment, DEFAULT_LIMIT, Grade,
};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::assess::AssessError;
use crate::assess::grade::QuizGrade;
use crate::http::HttpClient;
use crate::progress::ProgressDb;
use crate::settings::ServerUrl;

/// A grade from the course server, as the app shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerGrade {
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// Whether it passes, when the item has a pass mark.
    pub passed: Option<bool>,
    /// `false` while part of it waits for a tutor.
    pub complete: bool,
    /// The tutor's feedback (Markdown).
    pub feedback: Option<String>,
    /// The tutor's name, or `None` when the server graded it automatically.
    pub graded_by: Option<String>,
    /// When (server clock, unix ms).
    #[ts(type = "number")]
    pub graded_ms: u64,
    /// Each question's result, for a quiz the server graded.
    pub detail: Option<QuizGrade>,
}

impl From<&Grade> for ServerGrade {
    fn from(grade: &Grade) -> Self {
        Self {
            score: grade.score,
            max_score: grade.max_score,
            passed: grade.passed,
            complete: grade.complete,
            feedback: grade.feedback.clone(),
            graded_by: grade.graded_by.clone(),
            graded_ms: grade.graded_ms,
            detail: grade
                .detail
                .as_ref()
                .and_then(|detail| serde_json::from_value(detail.clone()).ok()),
        }
    }
}

/// A tutor's comment on a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionComment {
    /// Who wrote it.
    pub author: String,
    /// The comment (Markdown).
    pub text: String,
    /// When (server clock, unix ms).
    #[ts(type = "number")]
    pub at_ms: i64,
}

/// What a pull brought.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Changes applied.
    pub applied: u32,
    /// Grades among them.
    pub grades: u32,
    /// The cursor after the pull.
    pub cursor: i64,
}

/// Why a pull stopped.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The server wants the learner to sign in again.
    #[error("the course server asks you to sign in again")]
    Unauthorized,
    /// The server could not be reached or answered with an error; try later.
    #[error("the changes were not fetched: {0}")]
    Unavailable(String),
    /// The local database failed.
    #[error(transparent)]
    Local(#[from] AssessError),
}

/// The key of the cursor for one server and account in `sync_meta`.
fn cursor_key(server: &ServerUrl, account_id: i64) -> String {
    format!("changes-cursor {} {account_id}", server.as_str())
}

/// The stored cursor of `server` for `account_id` (0 when none).
pub fn cursor(db: &ProgressDb, server: &ServerUrl, account_id: i64) -> Result<i64, AssessError> {
    meta_number(db, &cursor_key(server, account_id))
}

/// Up to where the feed of `server` for `account_id` is being read again (0 when it is not): a
/// build that learned new kinds of change restarts its cursors (progress migration 8) and moves
/// the old one here, so what was already announced is not announced again.
fn replayed_until(
    db: &ProgressDb,
    server: &ServerUrl,
    account_id: i64,
) -> Result<i64, AssessError> {
    let key = format!("changes-replayed-until {} {account_id}", server.as_str());
    meta_number(db, &key)
}

/// Sets `key` of `sync_meta` to `value`.
pub(crate) fn set_meta_in(tx: &Transaction<'_>, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO sync_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// The value stored under `key` in `sync_meta`, if any.
pub(crate) fn meta_in(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<Option<String>> {
    tx.query_row("SELECT value FROM sync_meta WHERE key = ?1", [key], |row| {
        row.get(0)
    })
    .optional()
}

/// The JSON value stored under `key` in `sync_meta`, read as a `T`; `None` when there is none or
/// it is not one (written by another build: the next fetch replaces it).
pub(crate) fn meta_json_in<T: serde::de::DeserializeOwned>(
    tx: &Transaction<'_>,
    key: &str,
) -> rusqlite::Result<Option<T>> {
    Ok(meta_in(tx, key)?.and_then(|json| serde_json::from_str(&json).ok()))
}

/// The number stored under `key` in `sync_meta` (0 when none).
pub(crate) fn meta_number(db: &ProgressDb, key: &str) -> Result<i64, AssessError> {
    db.transact(|tx| Ok(meta_in(tx, key)?.and_then(|v| v.parse().ok()).unwrap_or(0)))
}

/// Fetches and applies every change after the stored cursor, page by page.
pub async fn pull(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    account_id: i64,
) -> Result<PullReport, PullError> {
    let mut report = PullReport {
        cursor: cursor(db, server, account_id)?,
        ..PullReport::default()
    };
    let replayed = replayed_until(db, server, account_id)?;
    loop {
        let url = format!(
            "{}?after={}&limit={DEFAULT_LIMIT}",
            server.join(CHANGES_PATH),
            report.cursor
        );
        let Some(page) = get_json::<ChangesPage>(http, &url, token).await? else {
            // A server without a changes feed: nothing to pull.
            tracing::debug!("the course server has no changes feed");
            return Ok(report);
        };
        // Changes read again after an upgrade were announced the first time.
        let news: Vec<&Change> = page
            .changes
            .iter()
            .filter(|change| change.seq > replayed)
            .collect();
        let grades = news
            .iter()
            .filter(|change| matches!(change.body, ChangeBody::Grade(_)))
            .count() as u32;
        apply(db, server, account_id, &page)?;
        report.applied += news.len() as u32;
        report.grades += grades;
        report.cursor = page.cursor;
        if !page.more || page.changes.is_empty() {
            return Ok(report);
        }
    }
}

/// Applies one page and stores its cursor, in one transaction.
pub fn apply(
    db: &ProgressDb,
    server: &ServerUrl,
    account_id: i64,
    page: &ChangesPage,
) -> Result<(), AssessError> {
    let key = cursor_key(server, account_id);
    db.transact(|tx| {
        for change in &page.changes {
            apply_one(tx, change)?;
        }
        set_meta_in(tx, &key, &page.cursor.to_string())?;
        Ok(())
    })
}

fn apply_one(tx: &Transaction<'_>, change: &Change) -> rusqlite::Result<()> {
    let at_ms = change.at_ms as i64;
    match &change.body {
        ChangeBody::Grade(grade) => set_grade(tx, grade),
        ChangeBody::Comment(comment) => add_comment(tx, comment),
        ChangeBody::Package(notice) => add_notice(
            tx,
            change.seq,
            &notice.course_id,
            "package",
            &change.body,
            at_ms,
        ),
        ChangeBody::Schedule(notice) => add_notice(
            tx,
            change.seq,
            &notice.course_id,
            "schedule",
            &change.body,
            at_ms,
        ),
        ChangeBody::Announcement(notice) => add_notice(
            tx,
            change.seq,
            &notice.course_id,
            "announcement",
            &change.body,
            at_ms,
        ),
        ChangeBody::Session(notice) => add_notice(
            tx,
            change.seq,
            &notice.course_id,
            "session",
            &change.body,
            at_ms,
        ),
        ChangeBody::Recording(notice) => add_notice(
            tx,
            change.seq,
            &notice.course_id,
            "recording",
            &change.body,
            at_ms,
        ),
        ChangeBody::Unknown => Ok(()),
    }
}

fn set_grade(tx: &Transaction<'_>, grade: &Grade) -> rusqlite::Result<()> {
    let json = serde_json::to_string(&ServerGrade::from(grade)).expect("grades serialize");
    tx.execute(
        "INSERT INTO server_grades (submission_id, grade, complete, graded_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (submission_id) DO UPDATE SET grade = excluded.grade,
             complete = excluded.complete, graded_ms = excluded.graded_ms",
        params![grade.submission_id, json, grade.complete, grade.graded_ms as i64],
    )?;
    settle_graded(tx)
}

/// Moves received entries whose complete grade has arrived to `graded`.
pub(crate) fn settle_graded(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'graded',
             state_ms = (SELECT graded_ms FROM server_grades g WHERE g.submission_id = outbox.id)
         WHERE state = 'received'
           AND id IN (SELECT submission_id FROM server_grades WHERE complete = 1)",
        [],
    )?;
    Ok(())
}

fn add_comment(tx: &Transaction<'_>, comment: &Comment) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO submission_comments (comment_id, submission_id, author, text, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (comment_id) DO UPDATE SET text = excluded.text",
        params![
            comment.comment_id,
            comment.submission_id,
            comment.author,
            comment.text,
            comment.at_ms as i64
        ],
    )?;
    Ok(())
}

fn add_notice(
    tx: &Transaction<'_>,
    seq: i64,
    course_id: &str,
    kind: &str,
    body: &ChangeBody,
    at_ms: i64,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(body).expect("changes serialize");
    tx.execute(
        "INSERT INTO course_notices (seq, course_id, kind, body, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (seq) DO NOTHING",
        params![seq, course_id, kind, json, at_ms],
    )?;
    Ok(())
}

/// The server's grade of submission `id`, if any.
pub(crate) fn grade_in(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<Option<ServerGrade>> {
    let json: Option<String> = tx
        .query_row(
            "SELECT grade FROM server_grades WHERE submission_id = ?1",
            [id],
            |row| row.get(0),
        )
        .optional()?;
    Ok(json.and_then(|json| serde_json::from_str(&json).ok()))
}

/// Tutors' comments on submission `id`, oldest first.
pub(crate) fn comments_in(
    tx: &Transaction<'_>,
    id: &str,
) -> rusqlite::Result<Vec<SubmissionComment>> {
    tx.prepare_cached(
        "SELECT author, text, at_ms FROM submission_comments WHERE submission_id = ?1
         ORDER BY at_ms, comment_id",
    )?
    .query_map([id], |row| {
        Ok(SubmissionComment {
            author: row.get(0)?,
            text: row.get(1)?,
            at_ms: row.get(2)?,
        })
    })?
    .collect()
}

/// A message about a course from its server: an announcement, a new version, a new due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourseNotice {
    /// Its place in the feed (newest first in lists).
    #[ts(type = "number")]
    pub seq: i64,
    /// The course it is about.
    pub course_id: String,
    /// When the server made it (server clock, unix ms).
    #[ts(type = "number")]
    pub at_ms: i64,
    /// The learner has seen it.
    pub seen: bool,
    /// What it says.
    pub what: NoticeBody,
}

impl CourseNotice {
    /// Whether the learner should see it, given the version of its course installed here: "a new
    /// version is out" is news only while this laptop has none or an older one.
    pub fn is_news(&self, installed_version: Option<&str>) -> bool {
        let NoticeBody::NewVersion { version, .. } = &self.what else {
            return true;
        };
        installed_version.is_none_or(|have| {
            let parse = carrel_package::manifest::parse_version;
            match (parse(have), parse(version)) {
                (Some(have), Some(new)) => new > have,
                _ => have != version,
            }
        })
    }
}

/// What a [`CourseNotice`] says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NoticeBody {
    /// A message to the course's participants (Markdown body, untrusted).
    Announcement {
        /// Its title.
        title: String,
        /// The message (Markdown).
        body: String,
    },
    /// A new version of the course is on the server.
    NewVersion {
        /// The version.
        version: String,
        /// The course's title in it.
        title: String,
    },
    /// An item's due date changed for this learner.
    Schedule {
        /// The item.
        item_id: String,
        /// The new due date (RFC 3339), or none for no limit.
        due: Option<String>,
        /// Why.
        reason: Option<String>,
    },
    /// A webinar session was added, moved or cancelled.
    Session {
        /// The webinar item.
        item_id: String,
        /// The session.
        session_id: String,
        /// When it starts now (RFC 3339), or none: cancelled.
        starts: Option<String>,
        /// The zone it is organised in.
        time_zone: Option<String>,
    },
    /// A session's recording can be downloaded.
    Recording {
        /// The webinar item.
        item_id: String,
        /// The session.
        session_id: String,
        /// Its size in bytes.
        #[ts(type = "number")]
        size: u64,
    },
}

/// The course notices, newest first (at most `limit`).
pub fn notices(db: &ProgressDb, limit: u32) -> Result<Vec<CourseNotice>, AssessError> {
    db.transact(|tx| {
        let mut statement = tx.prepare_cached(
            "SELECT seq, course_id, at_ms, seen, body FROM course_notices
             ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = statement.query_map([limit], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, bool>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, course_id, at_ms, seen, body) = row?;
            let what = match serde_json::from_str::<ChangeBody>(&body) {
                Ok(ChangeBody::Announcement(a)) => NoticeBody::Announcement {
                    title: a.title,
                    body: a.body,
                },
                Ok(ChangeBody::Package(p)) => NoticeBody::NewVersion {
                    version: p.version,
                    title: p.title,
                },
                Ok(ChangeBody::Schedule(s)) => NoticeBody::Schedule {
                    item_id: s.item_id,
                    due: s.due,
                    reason: s.reason,
                },
                Ok(ChangeBody::Session(s)) => NoticeBody::Session {
                    item_id: s.item_id,
                    session_id: s.session_id,
                    starts: s.starts,
                    time_zone: s.time_zone,
                },
                Ok(ChangeBody::Recording(r)) => NoticeBody::Recording {
                    item_id: r.item_id,
                    session_id: r.session_id,
                    size: r.size,
                },
                // Stored by an older or newer build in a shape this one cannot show.
                _ => continue,
            };
            out.push(CourseNotice {
                seq,
                course_id,
                at_ms,
                seen,
                what,
            });
        }
        Ok(out)
    })
}

/// Marks every notice up to `seq` as seen.
pub fn mark_notices_seen(db: &ProgressDb, seq: i64) -> Result<(), AssessError> {
    db.transact(|tx| {
        tx.execute(
            "UPDATE course_notices SET seen = 1 WHERE seq <= ?1 AND seen = 0",
            [seq],
        )?;
        Ok(())
    })
}

/// The learner's group in a course, as the course server has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerGroup {
    /// The group's name.
    pub name: String,
    /// The other members (display names).
    pub members: Vec<String>,
}

/// The `sync_meta` key of the signed-in account's enrolments.
const ENROLMENTS_KEY: &str = "enrolments";

/// Fetches the account's enrolments (`GET /api/v1/enrolments`) and keeps them, so group work can
/// name the learner's group offline.
pub async fn pull_enrolments(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
) -> Result<usize, PullError> {
    let url = server.join(carrel_protocol::tutor::ENROLMENTS_PATH);
    let Some(enrolments) =
        get_json::<Vec<carrel_protocol::tutor::Enrolment>>(http, url.as_str(), token).await?
    else {
        return Ok(0);
    };
    let json = serde_json::to_string(&enrolments).expect("enrolments serialize");
    db.transact(|tx| {
        set_meta_in(tx, ENROLMENTS_KEY, &json)?;
        Ok::<_, AssessError>(())
    })?;
    Ok(enrolments.len())
}

/// `GET url` with the access `token`, read as JSON: `None` when the server answers 404 (an older
/// server without that resource, or one this account may not see); 401 is [`PullError::Unauthorized`],
/// any other failure [`PullError::Unavailable`].
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    http: &HttpClient,
    url: &str,
    token: &str,
) -> Result<Option<T>, PullError> {
    let response = http
        .inner()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|error| PullError::Unavailable(crate::http::describe(&error).to_owned()))?;
    let status = response.status();
    if status == http::StatusCode::UNAUTHORIZED {
        return Err(PullError::Unauthorized);
    }
    if status == http::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(PullError::Unavailable(format!(
            "the server answered {status}"
        )));
    }
    response
        .json()
        .await
        .map(Some)
        .map_err(|error| PullError::Unavailable(format!("unreadable answer: {error}")))
}

/// The account's enrolments as last fetched (none before the first fetch).
pub(crate) fn enrolments_in(
    tx: &Transaction<'_>,
) -> rusqlite::Result<Vec<carrel_protocol::tutor::Enrolment>> {
    Ok(meta_json_in(tx, ENROLMENTS_KEY)?.unwrap_or_default())
}

/// The learner's group in `course_id`, from the enrolments last fetched.
pub(crate) fn group_in(
    tx: &Transaction<'_>,
    course_id: &str,
) -> rusqlite::Result<Option<ServerGroup>> {
    Ok(enrolments_in(tx)?
        .into_iter()
        .find(|enrolment| enrolment.course_id == course_id)
        .and_then(|enrolment| {
            enrolment.group.map(|name| ServerGroup {
                name,
                members: enrolment.group_members,
            })
        }))
}

/// A due date the course server set for this learner (an extension), overriding the package's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueOverride {
    /// The new due date (unix ms), or `None` for no limit.
    pub due_ms: Option<i64>,
    /// Why, as the tutor said.
    pub reason: Option<String>,
}

/// The webinar sessions added, moved or cancelled, and the recordings published, in `course_id`,
/// oldest first.
pub(crate) fn session_changes_in(
    tx: &Transaction<'_>,
    course_id: &str,
) -> rusqlite::Result<Vec<ChangeBody>> {
    let mut statement = tx.prepare_cached(
        "SELECT body FROM course_notices
         WHERE course_id = ?1 AND kind IN ('session', 'recording') ORDER BY seq",
    )?;
    let bodies = statement.query_map([course_id], |row| row.get::<_, String>(0))?;
    let mut out = Vec::new();
    for body in bodies {
        if let Ok(change @ (ChangeBody::Session(_) | ChangeBody::Recording(_))) =
            serde_json::from_str::<ChangeBody>(&body?)
        {
            out.push(change);
        }
    }
    Ok(out)
}

/// The latest due date the server set for `item_id` of `course_id`, if any.
pub(crate) fn due_override_in(
    tx: &Transaction<'_>,
    course_id: &str,
    item_id: &str,
) -> rusqlite::Result<Option<DueOverride>> {
    let mut statement = tx.prepare_cached(
        "SELECT body FROM course_notices WHERE course_id = ?1 AND kind = 'schedule'
         ORDER BY seq DESC",
    )?;
    let bodies = statement.query_map([course_id], |row| row.get::<_, String>(0))?;
    for body in bodies {
        if let Ok(ChangeBody::Schedule(notice)) = serde_json::from_str::<ChangeBody>(&body?)
            && notice.item_id == item_id
        {
            let due_ms = match notice.due.as_deref() {
                None => None,
                Some(text) => match text.parse::<jiff::Timestamp>() {
                    Ok(due) => Some(due.as_millisecond()),
                    // A date this build cannot read: keep the package's.
                    Err(_) => continue,
                },
            };
            return Ok(Some(DueOverride {
                due_ms,
                reason: notice.reason,
            }));
        }
    }
    Ok(None)
}
