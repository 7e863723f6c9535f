//! What tutors do with learners' submissions — list, read, grade, comment — and what a learner
//! reads about their own (`carrel_protocol::tutor`).
//!
//! Who may act: an admin on every submission; a tutor on the submissions of the courses they are
//! enrolled in as a tutor; the operator at the command line (`carrel-server grade …`) on all,
//! optionally naming the tutor they act for. An account that tutors nothing is refused (403); a
//! submission outside a tutor's courses answers 404, as one that does not exist. A learner reads
//! only their own submissions, by their own id; another learner's id answers 404.
//!
//! Forum posts are submissions too, but tutors reach them through [`crate::forums`]: the list
//! leaves them out, and grading one is refused.
//!
//! - [`grade`]: set (or replace) a submission's grade.
//! - [`comment`]: add a comment.
//!
//! Both append a change for the learner ([`crate::changes`]) in the same transaction.

pub mod comment;
pub mod grade;

use crate::storage::sql::{OptionalExtension, Row, named_params};
use carrel_protocol::auth::{Account, Role};
use carrel_protocol::changes::{Comment, Grade};
use carrel_protocol::submissions::Receipt;
use carrel_protocol::tutor::{SubmissionDetail, SubmissionStatus, SubmissionSummary, Submitter};
use serde_json::value::RawValue;

use crate::storage::{Storage, StorageError};
use crate::submissions::kind_of;

/// The name a grade or comment made at the command line without `--tutor` is shown under.
pub const OPERATOR_NAME: &str = "Course team";

/// Who acts on submissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in account: a tutor of the submission's course, or an admin.
    Account(Account),
    /// The server's operator at the command line, acting for the tutor with this login if given.
    Operator {
        /// The tutor's login.
        tutor: Option<String>,
    },
}

/// Why a tutor's action was refused.
#[derive(Debug, thiserror::Error)]
pub enum TutorError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The account tutors no course and is not an admin.
    #[error("only the tutors of a course and admins can do this")]
    Forbidden,
    /// No such submission, or not one this account may see.
    #[error("there is no submission {0} among those you can see")]
    NotFound(String),
    /// The grade is not valid.
    #[error("the grade is not valid: {0}")]
    InvalidGrade(String),
    /// The comment is not valid.
    #[error("the comment is not valid: {0}")]
    InvalidComment(String),
    /// No account has the tutor's login.
    #[error("there is no account with the login “{0}”")]
    NoSuchAccount(String),
}

/// Filters of the tutor's list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this course.
    pub course: Option<String>,
    /// Only this item.
    pub item: Option<String>,
    /// Only submissions a tutor grades (quizzes, assignments) that have no complete grade.
    pub ungraded: bool,
}

/// Everything a summary shows, from `submissions s` joined with its learner `u`, their enrolment
/// `e` and grade `g`.
const SUMMARY_SELECT: &str = "SELECT s.id, s.client_id, s.kind, s.course_id, s.item_id,
        s.received_ms, u.id, u.login, u.display_name, e.group_name,
        g.score, g.max_score, g.passed, g.complete, g.feedback, g.graded_by, g.graded_ms, g.detail
    FROM submissions s
    JOIN users u ON u.id = s.user_id
    LEFT JOIN enrolments e ON e.user_id = s.user_id AND e.course_id = s.course_id
    LEFT JOIN grades g ON g.submission_id = s.id";

fn row_to_summary(row: &Row) -> crate::storage::sql::Result<SubmissionSummary> {
    let (server_id, submission_id): (i64, String) = (row.get(0)?, row.get(1)?);
    let kind = kind_of(&row.get::<String>(2)?);
    let (course_id, item_id): (String, String) = (row.get(3)?, row.get(4)?);
    let grade = match row.get::<Option<f64>>(10)? {
        None => None,
        Some(score) => Some(Grade {
            submission_id: submission_id.clone(),
            server_id,
            kind,
            course_id: course_id.clone(),
            item_id: item_id.clone(),
            score,
            max_score: row.get(11)?,
            passed: row.get(12)?,
            complete: row.get(13)?,
            feedback: row.get(14)?,
            graded_by: row.get(15)?,
            graded_ms: row.get::<i64>(16)? as u64,
            detail: row
                .get::<Option<String>>(17)?
                .and_then(|detail| serde_json::from_str(&detail).ok()),
        }),
    };
    Ok(SubmissionSummary {
        server_id,
        submission_id,
        kind,
        course_id,
        item_id,
        learner: Submitter {
            id: row.get(6)?,
            login: row.get(7)?,
            display_name: row.get(8)?,
            group: row.get(9)?,
        },
        received_ms: row.get::<i64>(5)? as u64,
        grade,
    })
}

/// The summary of submission `server_id`.
pub(crate) fn summary_in(
    conn: &crate::storage::sql::Conn<'_>,
    server_id: i64,
) -> crate::storage::sql::Result<Option<SubmissionSummary>> {
    conn.prepare_cached(&format!("{SUMMARY_SELECT} WHERE s.id = ?1"))?
        .query_row([&server_id], row_to_summary)
        .optional()
}

/// What `actor` may see: `None` for everything, else the courses it tutors. An account that
/// tutors nothing is refused.
pub(crate) fn scope_in(
    conn: &crate::storage::sql::Conn<'_>,
    actor: &Actor,
) -> Result<Option<Vec<String>>, TutorError> {
    match actor {
        Actor::Operator { .. } => Ok(None),
        Actor::Account(account) if account.role == Role::Admin => Ok(None),
        Actor::Account(account) => {
            let courses = conn
                .prepare_cached(
                    "SELECT course_id FROM enrolments WHERE user_id = ?1 AND role = 'tutor'",
                )
                .map_err(StorageError::from)?
                .query_map([&account.id], |row| row.get(0))
                .map_err(StorageError::from)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(StorageError::from)?;
            if courses.is_empty() {
                return Err(TutorError::Forbidden);
            }
            Ok(Some(courses))
        }
    }
}

/// Submission `server_id`, if `actor` may act on it.
pub(crate) fn visible_in(
    conn: &crate::storage::sql::Conn<'_>,
    actor: &Actor,
    server_id: i64,
) -> Result<SubmissionSummary, TutorError> {
    let scope = scope_in(conn, actor)?;
    summary_in(conn, server_id)
        .map_err(StorageError::from)?
        .filter(|summary| {
            scope
                .as_ref()
                .is_none_or(|courses| courses.contains(&summary.course_id))
        })
        .ok_or_else(|| TutorError::NotFound(server_id.to_string()))
}

/// The comments on submission `server_id`, oldest first.
pub(crate) fn comments_in(
    conn: &crate::storage::sql::Conn<'_>,
    server_id: i64,
) -> crate::storage::sql::Result<Vec<Comment>> {
    conn.prepare_cached(
        "SELECT c.id, s.client_id, s.course_id, c.author, c.text, c.at_ms
         FROM comments c JOIN submissions s ON s.id = c.submission_id
         WHERE c.submission_id = ?1 ORDER BY c.id",
    )?
    .query_map([&server_id], |row| {
        Ok(Comment {
            comment_id: row.get(0)?,
            submission_id: row.get(1)?,
            course_id: row.get(2)?,
            author: row.get(3)?,
            text: row.get(4)?,
            at_ms: row.get::<i64>(5)? as u64,
        })
    })?
    .collect()
}

/// The submissions `actor` may see that pass `filter`, oldest first.
pub async fn list(
    storage: &Storage,
    actor: Actor,
    filter: ListFilter,
) -> Result<Vec<SubmissionSummary>, TutorError> {
    storage
        .with_conn(move |conn| {
            let tutor = match scope_in(conn, &actor) {
                Ok(None) => None,
                Ok(Some(_)) => match &actor {
                    Actor::Account(account) => Some(account.id),
                    Actor::Operator { .. } => None,
                },
                Err(error) => return Ok(Err(error)),
            };
            let mut statement = conn.prepare_cached(&format!(
                "{SUMMARY_SELECT}
                 WHERE (CAST(:tutor AS BIGINT) IS NULL OR s.course_id IN
                        (SELECT course_id FROM enrolments WHERE user_id = :tutor AND role = 'tutor'))
                   AND s.kind != 'forum_post'
                   AND (CAST(:course AS TEXT) IS NULL OR s.course_id = :course)
                   AND (CAST(:item AS TEXT) IS NULL OR s.item_id = :item)
                   AND (NOT :ungraded OR ((g.submission_id IS NULL OR g.complete = 0)
                        AND s.kind IN ('quiz', 'assignment')))
                 ORDER BY s.id"
            ))?;
            let rows = statement.query_map(
                named_params! {
                    ":tutor": tutor,
                    ":course": filter.course,
                    ":item": filter.item,
                    ":ungraded": filter.ungraded,
                },
                row_to_summary,
            )?;
            Ok(Ok(rows.collect::<Result<Vec<_>, _>>()?))
        })
        .await?
}

/// Submission `server_id` in full, if `actor` may see it.
pub async fn detail(
    storage: &Storage,
    actor: Actor,
    server_id: i64,
) -> Result<SubmissionDetail, TutorError> {
    storage
        .with_conn(move |conn| {
            let summary = match visible_in(conn, &actor, server_id) {
                Ok(summary) => summary,
                Err(error) => return Ok(Err(error)),
            };
            let payload: String = conn.query_row(
                "SELECT payload FROM submissions WHERE id = ?1",
                [&server_id],
                |row| row.get(0),
            )?;
            let payload = RawValue::from_string(payload)
                .map_err(|error| StorageError::Task(format!("a stored payload: {error}")))?;
            Ok(Ok(SubmissionDetail {
                summary,
                payload,
                comments: comments_in(conn, server_id)?,
            }))
        })
        .await?
}

/// The learner `user_id`'s own submission with the client id `submission_id`: its receipt, grade
/// and comments. `None` when they have none with this id (another learner's included).
pub async fn status(
    storage: &Storage,
    user_id: i64,
    submission_id: &str,
) -> Result<Option<SubmissionStatus>, StorageError> {
    let submission_id = submission_id.to_owned();
    storage
        .with_conn(move |conn| {
            let found = conn
                .query_row(
                    "SELECT id, payload_sha256 FROM submissions
                     WHERE client_id = ?1 AND user_id = ?2",
                    crate::storage::sql::params![submission_id, user_id],
                    |row| Ok((row.get::<i64>(0)?, row.get::<String>(1)?)),
                )
                .optional()?;
            let Some((server_id, sha256)) = found else {
                return Ok(None);
            };
            let Some(summary) = summary_in(conn, server_id)? else {
                return Ok(None);
            };
            Ok(Some(SubmissionStatus {
                receipt: Receipt {
                    server_id,
                    submission_id: summary.submission_id,
                    sha256,
                    received_ms: summary.received_ms,
                    replayed: false,
                },
                grade: summary.grade,
                comments: comments_in(conn, server_id)?,
            }))
        })
        .await
}

/// The size and name of the file `sha256` that submission `server_id` names as an attachment, if
/// `actor` may see the submission and it names that file.
pub async fn attachment(
    storage: &Storage,
    actor: Actor,
    server_id: i64,
    sha256: &str,
) -> Result<Option<(u64, String)>, TutorError> {
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(default)]
        attachments: Vec<Attachment>,
    }
    #[derive(serde::Deserialize)]
    struct Attachment {
        sha256: String,
        size: u64,
        #[serde(default)]
        name: String,
    }
    let sha256 = sha256.to_owned();
    storage
        .with_conn(move |conn| {
            if let Err(error) = visible_in(conn, &actor, server_id) {
                return Ok(Err(error));
            }
            let payload: String = conn.query_row(
                "SELECT payload FROM submissions WHERE id = ?1",
                [&server_id],
                |row| row.get(0),
            )?;
            let named = serde_json::from_str::<Named>(&payload)
                .map(|named| named.attachments)
                .unwrap_or_default();
            Ok(Ok(named
                .into_iter()
                .find(|file| file.sha256 == sha256)
                .map(|file| (file.size, file.name))))
        })
        .await?
}

/// The server id of the submission `reference` names: a server id, or a client id.
pub async fn resolve(storage: &Storage, reference: &str) -> Result<Option<i64>, StorageError> {
    let reference = reference.trim().to_owned();
    storage
        .with_conn(move |conn| {
            if let Ok(server_id) = reference.parse::<i64>()
                && let Some(id) = conn
                    .query_row(
                        "SELECT id FROM submissions WHERE id = ?1",
                        [&server_id],
                        |row| row.get(0),
                    )
                    .optional()?
            {
                return Ok(Some(id));
            }
            Ok(conn
                .query_row(
                    "SELECT id FROM submissions WHERE client_id = ?1",
                    [&reference],
                    |row| row.get(0),
                )
                .optional()?)
        })
        .await
}

/// The name and account id `actor` signs grades and comments with.
pub(crate) fn signature_in(
    conn: &crate::storage::sql::Conn<'_>,
    actor: &Actor,
) -> Result<(String, Option<i64>), TutorError> {
    match actor {
        Actor::Account(account) => Ok((account.display_name.clone(), Some(account.id))),
        Actor::Operator { tutor: None } => Ok((OPERATOR_NAME.to_owned(), None)),
        Actor::Operator { tutor: Some(login) } => conn
            .query_row(
                &format!(
                    "SELECT id, display_name FROM users WHERE {}",
                    conn.dialect().same_login("login", "?1")
                ),
                [&login],
                |row| Ok((row.get::<String>(1)?, Some(row.get::<i64>(0)?))),
            )
            .optional()
            .map_err(StorageError::from)?
            .ok_or_else(|| TutorError::NoSuchAccount(login.clone())),
    }
}
