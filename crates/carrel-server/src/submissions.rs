//! Submissions stored exactly once, keyed by the client's id, answered with a receipt.
//!
//! The client's id is a permanent unique key (`submissions.client_id`): the first request that
//! stores a submission decides it, and every later request with the same id gets the same receipt
//! (when its payload and account are the same) or `idempotency_conflict` (when not). Two requests
//! with the same id at the same moment: the second is told `in_flight` (409, retry in a second)
//! rather than waiting on the first. The payload is stored as the exact bytes received and hashed
//! as such, so the receipt proves which bytes the server holds.
//!
//! A *new* submission needs its account enrolled in the course as a learner — or, for a forum
//! post, as a learner or a tutor — (else 403 `not_enrolled`) and every attachment its payload
//! names uploaded completely by that account (else 409 `attachments_missing`, naming them); a
//! stored one replays its receipt whatever changed since. A quiz attempt is graded in the
//! transaction that stores it when the server has its key, and a SCORM or cmi5 result by the
//! score its content reported ([`crate::autograde`]). A forum post is checked and stored with its
//! place in the course's forum by [`crate::forums`]. An assignment follows the rules the published
//! package gives it ([`crate::assignments`]): group work is stored for the submitter's group in
//! the course as the server has it at that moment ([`crate::groups`]), whatever the payload names,
//! and an assignment that takes one submission refuses a second one from the learner, or from
//! their group (422 `already_submitted`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::storage::sql::{OptionalExtension, params};
use carrel_protocol::auth::Role;
use carrel_protocol::submissions::{Receipt, SubmissionKind, SubmissionUpload};

use crate::storage::{Storage, StorageError};

/// Largest submission body accepted (an essay of 200,000 characters fits many times over).
pub const MAX_SUBMISSION_BYTES: usize = 4 * 1024 * 1024;

/// Why a submission was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The id is stored with another payload or for another account.
    #[error(
        "a different submission is already stored under the id {0}; a new submission needs a new id"
    )]
    Conflict(String),
    /// A request with the same id is being stored.
    #[error("the submission {0} is being stored by another request; try again in a second")]
    InFlight(String),
    /// The payload does not match the request.
    #[error("the submission is not valid: {0}")]
    Invalid(String),
    /// The account is not enrolled in the course as a learner (for a forum post: at all).
    #[error(
        "you are not enrolled as a learner in the course “{0}”, so it cannot take your work; \
         ask the course team to enrol you, then send it again"
    )]
    NotEnrolled(String),
    /// The assignment takes one submission (of a learner, or of a group), and it was made.
    #[error("{0}; your work stays on your computer")]
    AlreadySubmitted(String),
    /// A forum post the course's forum cannot take (see [`crate::forums`]).
    #[error("the forum post was refused: {0}")]
    InvalidPost(String),
    /// Files the submission names have not been uploaded (completely) by this account.
    #[error(
        "the attachments {} have not been uploaded yet; upload them, then send the submission again",
        .0.join(", ")
    )]
    AttachmentsMissing(Vec<String>),
}

/// Ids being stored right now, so a concurrent duplicate is told at once.
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<Mutex<HashSet<String>>>);

struct Claim {
    set: InFlight,
    id: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.set
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.id);
    }
}

impl InFlight {
    fn claim(&self, id: &str) -> Option<Claim> {
        let mut set = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        set.insert(id.to_owned()).then(|| Claim {
            set: self.clone(),
            id: id.to_owned(),
        })
    }
}

fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The fields the server reads from a payload; the rest is stored as is.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    submission_id: String,
    course_id: String,
    item_id: String,
    /// An assignment's files, uploaded before it.
    #[serde(default)]
    attachments: Vec<AttachmentRef>,
}

/// A file an assignment names.
#[derive(serde::Deserialize)]
struct AttachmentRef {
    sha256: String,
    size: u64,
}

/// Stores the submission `id` of `user_id`, or answers the receipt of the one stored before.
pub async fn submit(
    storage: &Storage,
    in_flight: &InFlight,
    user_id: i64,
    id: &str,
    upload: SubmissionUpload,
) -> Result<Receipt, SubmissionError> {
    if !is_valid_id(id) {
        return Err(SubmissionError::Invalid(
            "the id must be 1–64 letters, digits, '-' or '_'".into(),
        ));
    }
    let payload = upload.payload.get().to_owned();
    let header: Header = serde_json::from_str(&payload).map_err(|error| {
        SubmissionError::Invalid(format!(
            "the payload must be an object with submissionId, courseId and itemId ({error})"
        ))
    })?;
    if header.submission_id != id {
        return Err(SubmissionError::Invalid(format!(
            "the payload's submissionId “{}” is not the id in the path",
            header.submission_id
        )));
    }
    let Some(_claim) = in_flight.claim(id) else {
        return Err(SubmissionError::InFlight(id.to_owned()));
    };
    let sha256 = crate::sha256_hex(payload.as_bytes());
    let kind = upload.kind;
    let lookup = (id.to_owned(), sha256.clone());
    let stored = storage
        .with_conn(move |conn| Ok(stored_in(conn, &lookup.0, user_id, kind, &lookup.1)?))
        .await?;
    if let Some(answer) = stored {
        return answer;
    }
    let post = check_new(storage, user_id, kind, &header, &payload).await?;
    let id = id.to_owned();
    // What this transaction reads before it writes: whether this id is stored, and for an
    // assignment, whether the learner (or their group: see assignment_group_in) already
    // submitted it. Other writers go on at the same time (on PostgreSQL; SQLite has one writer).
    let mut locks = vec![format!("submission {id}")];
    if kind == SubmissionKind::Assignment {
        locks.push(assignment_lock(&header, &format!("user {user_id}")));
    }
    storage
        .transact_locked(locks, move |tx| {
            if post.is_some() {
                // First, so this transaction reads the course's forum versions only after the
                // post before it committed (see crate::forums::insert_in).
                tx.lock_feed()?;
            }
            if let Some(answer) = stored_in(tx, &id, user_id, kind, &sha256)? {
                return Ok(answer);
            }
            let received_ms = carrel_protocol::unix_time_ms();
            let group_name = match assignment_group_in(tx, user_id, kind, &header)? {
                Ok(group_name) => group_name,
                Err(refused) => return Ok(Err(refused)),
            };
            let server_id: i64 = tx.query_row(
                "INSERT INTO submissions (client_id, user_id, kind, course_id, item_id, payload,
                     payload_sha256, received_ms, group_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                params![
                    id,
                    user_id,
                    kind.as_str(),
                    header.course_id,
                    header.item_id,
                    payload,
                    sha256,
                    received_ms as i64,
                    group_name
                ],
                |row| row.get(0),
            )?;
            // Its statements first: what was submitted comes before how it was graded.
            queue_statements_in(
                tx,
                server_id,
                user_id,
                &id,
                kind,
                &header,
                &payload,
                received_ms,
            )?;
            if kind == SubmissionKind::Quiz {
                crate::autograde::grade_in(
                    tx,
                    server_id,
                    &header.course_id,
                    &header.item_id,
                    &payload,
                )?;
            } else if kind.is_runtime_result() {
                crate::autograde::record_runtime_in(tx, server_id, &payload)?;
            }
            if let Some(post) = &post {
                crate::forums::insert_in(tx, server_id, user_id, post, received_ms)?;
            }
            Ok(Ok(Receipt {
                server_id,
                submission_id: id.clone(),
                sha256: sha256.clone(),
                received_ms,
                replayed: false,
            }))
        })
        .await?
}

/// For an assignment, what the published course's rules make of a new submission
/// ([`crate::assignments`]): `Ok(Some(group))` to record it for the submitter's group as the
/// server has it now (group work, whatever the payload names), `Ok(None)` for individual work,
/// `Err` when the assignment takes one submission and the learner — or, for group work, their
/// group — already made it.
fn assignment_group_in(
    tx: &crate::storage::sql::Conn<'_>,
    user_id: i64,
    kind: SubmissionKind,
    header: &Header,
) -> crate::storage::sql::Result<Result<Option<String>, SubmissionError>> {
    if kind != SubmissionKind::Assignment {
        return Ok(Ok(None));
    }
    let Some(rules) = crate::assignments::rules_in(tx, &header.course_id, &header.item_id)? else {
        return Ok(Ok(None));
    };
    let group = if rules.group {
        crate::groups::group_in(tx, user_id, &header.course_id)?
    } else {
        None
    };
    if !rules.resubmission {
        if let Some(group) = &group {
            // Taken after the learner's own (see submit): always in that order.
            tx.lock(&assignment_lock(header, &format!("group {group}")))?;
        }
        let earlier: Option<String> = tx
            .prepare_cached(
                "SELECT u.display_name FROM submissions s JOIN users u ON u.id = s.user_id
                 WHERE s.kind = 'assignment' AND s.course_id = ?1 AND s.item_id = ?2
                   AND (s.group_name = ?3 OR (CAST(?3 AS TEXT) IS NULL AND s.user_id = ?4))
                 ORDER BY s.id LIMIT 1",
            )?
            .query_row(
                params![header.course_id, header.item_id, group, user_id],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(by) = earlier {
            return Ok(Err(SubmissionError::AlreadySubmitted(match &group {
                Some(group) => format!(
                    "{by} already submitted this assignment for the group “{group}”, and it \
                     takes one submission per group"
                ),
                None => {
                    "you already submitted this assignment, and it takes one submission".to_owned()
                }
            })));
        }
    }
    Ok(Ok(group))
}

/// The advisory lock of one learner's or group's (`whose`) submissions of one assignment.
fn assignment_lock(header: &Header, whose: &str) -> String {
    format!("assignment {} {} {whose}", header.course_id, header.item_id)
}

/// Queues the xAPI statements of the submission just stored (see [`crate::xapi`]): a SCORM or
/// cmi5 session's, or `completed` for a quiz attempt or an assignment; none for a forum post.
#[allow(clippy::too_many_arguments)]
fn queue_statements_in(
    tx: &crate::storage::sql::Conn<'_>,
    server_id: i64,
    user_id: i64,
    client_id: &str,
    kind: SubmissionKind,
    header: &Header,
    payload: &str,
    received_ms: u64,
) -> Result<(), StorageError> {
    let result = || serde_json::from_str::<carrel_core::runtime::RuntimeResult>(payload).ok();
    let statements = match kind {
        SubmissionKind::Quiz | SubmissionKind::Assignment => {
            vec![crate::xapi::submitted_statement(
                client_id,
                &header.course_id,
                &header.item_id,
                received_ms as i64,
            )]
        }
        SubmissionKind::Cmi5 => result()
            .map(|result| crate::xapi::cmi5_statements(&result))
            .unwrap_or_default(),
        SubmissionKind::Scorm => result()
            .map(|result| crate::xapi::scorm_statements(&user_id.to_string(), client_id, &result))
            .unwrap_or_default(),
        SubmissionKind::ForumPost => Vec::new(),
    };
    crate::xapi::queue_in(tx, server_id, &statements)
}

/// A kind from its stored name (the table's CHECK admits only known names).
pub(crate) fn kind_of(name: &str) -> SubmissionKind {
    SubmissionKind::parse(name).unwrap_or(SubmissionKind::Assignment)
}

/// What to answer when the id is already stored: its receipt again (same account, kind and
/// bytes) or a conflict; `None` when nothing is stored under it.
fn stored_in(
    conn: &crate::storage::sql::Conn<'_>,
    id: &str,
    user_id: i64,
    kind: SubmissionKind,
    sha256: &str,
) -> crate::storage::sql::Result<Option<Result<Receipt, SubmissionError>>> {
    let existing = conn
        .query_row(
            "SELECT id, user_id, kind, payload_sha256, received_ms FROM submissions
             WHERE client_id = ?1",
            [&id],
            |row| {
                Ok((
                    row.get::<i64>(0)?,
                    row.get::<i64>(1)?,
                    row.get::<String>(2)?,
                    row.get::<String>(3)?,
                    row.get::<i64>(4)?,
                ))
            },
        )
        .optional()?;
    Ok(
        existing.map(|(server_id, owner, stored_kind, stored_sha, received_ms)| {
            if owner != user_id || stored_kind != kind.as_str() || stored_sha != sha256 {
                return Err(SubmissionError::Conflict(id.to_owned()));
            }
            Ok(Receipt {
                server_id,
                submission_id: id.to_owned(),
                sha256: stored_sha,
                received_ms: received_ms as u64,
                replayed: true,
            })
        }),
    )
}

/// Checks what a new submission needs: its account enrolled in the course as a learner (a forum
/// post: as a learner or a tutor), and every attachment it names uploaded by that account.
/// Answers the post to store with a forum post.
async fn check_new(
    storage: &Storage,
    user_id: i64,
    kind: SubmissionKind,
    header: &Header,
    payload: &str,
) -> Result<Option<crate::forums::NewPost>, SubmissionError> {
    let course_id = header.course_id.clone();
    let role = storage
        .with_conn(move |conn| Ok(crate::enrolments::role_in(conn, user_id, &course_id)?))
        .await?;
    let post = match (kind, role) {
        (SubmissionKind::ForumPost, Some(role)) => {
            Some(crate::forums::check_new(storage, role, payload).await?)
        }
        (_, Some(Role::Learner)) => None,
        _ => return Err(SubmissionError::NotEnrolled(header.course_id.clone())),
    };
    // A SCORM or cmi5 result is graded by the score it reports: it is taken only for an item of
    // that kind in the published course, never for a quiz or an assignment.
    if kind.is_runtime_result() {
        let item_kind =
            published_item_kind(storage, header.course_id.clone(), header.item_id.clone()).await?;
        if item_kind != Some(kind.as_str()) {
            return Err(SubmissionError::Invalid(format!(
                "“{}” is not a {} item of the course “{}”",
                header.item_id,
                kind.as_str(),
                header.course_id
            )));
        }
    }
    let attachments = header
        .attachments
        .iter()
        .map(|attachment| (attachment.sha256.clone(), attachment.size))
        .collect::<Vec<_>>();
    if !attachments.is_empty() {
        let missing = crate::uploads::missing(storage, user_id, attachments).await?;
        if !missing.is_empty() {
            return Err(SubmissionError::AttachmentsMissing(missing));
        }
    }
    Ok(post)
}

/// The kind (`"quiz"`, `"webinar"`…) of item `item_id` in the published course `course_id`, if
/// the course is published and has it.
pub(crate) async fn published_item_kind(
    storage: &Storage,
    course_id: String,
    item_id: String,
) -> Result<Option<&'static str>, StorageError> {
    Ok(published_manifest(storage, course_id)
        .await?
        .and_then(|manifest| {
            manifest
                .items()
                .find(|(_, _, item)| item.id == item_id)
                .map(|(_, _, item)| item.kind.name())
        }))
}

/// The manifest of the published course `course_id`, if it is published.
pub(crate) async fn published_manifest(
    storage: &Storage,
    course_id: String,
) -> Result<Option<carrel_package::Manifest>, StorageError> {
    storage
        .with_conn(move |conn| {
            let manifest: Option<Vec<u8>> = conn
                .query_row(
                    "SELECT manifest FROM catalog_courses WHERE course_id = ?1",
                    [&course_id],
                    |row| row.get(0),
                )
                .optional()?;
            Ok(manifest.and_then(|bytes| carrel_package::Manifest::parse(&bytes).ok()))
        })
        .await
}
