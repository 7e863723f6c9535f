//! The outbox: submissions waiting to be sent, being sent, or sent.
//!
//! A submission enters the outbox in the same transaction that closes what it submits (a quiz
//! attempt, or a revision of an assignment draft), keyed by that source under a `UNIQUE`
//! constraint: a double click, a retry after a crash or a race between the timer and the learner
//! can never queue it twice. Its payload is stored exactly as it will be sent, with its SHA-256, so
//! what the learner is shown as submitted is byte for byte what the server receives. The sync
//! (a later piece) moves entries through `queued → sending → received → graded`, or to
//! `needs_attention` with a reason.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::AssessError;
use super::grade::QuizGrade;
use crate::progress::ProgressDb;
use crate::sync::changes::{self, ServerGrade, SubmissionComment};

/// Where a submission is on its way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Saved here, waiting for a connection.
    Queued,
    /// Being sent now.
    Sending,
    /// The server has it; `receipt` is its receipt.
    Received,
    /// Graded; `grade` is the result.
    Graded,
    /// The server refused it or it cannot be sent; `problem` says why and what to do.
    NeedsAttention,
}

impl OutboxState {
    fn parse(text: &str) -> Self {
        match text {
            "sending" => Self::Sending,
            "received" => Self::Received,
            "graded" => Self::Graded,
            "needs_attention" => Self::NeedsAttention,
            _ => Self::Queued,
        }
    }
}

/// What a submission submits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionKind {
    /// A quiz attempt.
    Quiz,
    /// An assignment.
    Assignment,
    /// The result of a session of a SCORM item ([`crate::runtime::RuntimeResult`]).
    Scorm,
    /// The result of a session of a cmi5 AU.
    Cmi5,
    /// A forum post ([`crate::forums`]).
    ForumPost,
}

impl SubmissionKind {
    /// The same kind on the wire.
    pub fn wire(self) -> carrel_protocol::submissions::SubmissionKind {
        use carrel_protocol::submissions::SubmissionKind as Wire;
        match self {
            Self::Quiz => Wire::Quiz,
            Self::Assignment => Wire::Assignment,
            Self::Scorm => Wire::Scorm,
            Self::Cmi5 => Wire::Cmi5,
            Self::ForumPost => Wire::ForumPost,
        }
    }

    /// The kind stored as `name` in the outbox (the wire name).
    fn parse(name: &str) -> Self {
        [
            Self::Quiz,
            Self::Assignment,
            Self::Scorm,
            Self::Cmi5,
            Self::ForumPost,
        ]
        .into_iter()
        .find(|kind| kind.wire().as_str() == name)
        .unwrap_or(Self::Assignment)
    }
}

/// A file sent with a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentInfo {
    /// Its SHA-256: where its bytes are in the attachment store.
    pub sha256: String,
    /// Its file name.
    pub name: String,
    /// Its length in bytes.
    #[ts(type = "number")]
    pub size: u64,
}

impl AttachmentInfo {
    /// Reads one from a row selecting `sha256, name, size`, in that order.
    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            sha256: row.get(0)?,
            name: row.get(1)?,
            size: row.get::<_, i64>(2)? as u64,
        })
    }
}

/// One submission, as the Outbox screen lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// Submission id (UUIDv7).
    pub id: String,
    /// Quiz or assignment.
    pub kind: SubmissionKind,
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// The quiz's or assignment's title.
    pub title: String,
    /// Attempt number, or assignment version (1, 2…).
    pub version: u32,
    /// When it was submitted (device clock, unix ms).
    #[ts(type = "number")]
    pub created_ms: i64,
    /// Where it is.
    pub state: OutboxState,
    /// When it got there.
    #[ts(type = "number")]
    pub state_ms: i64,
    /// Sending attempts so far.
    pub tries: u32,
    /// The server's receipt, once received.
    pub receipt: Option<String>,
    /// The grade: computed here for practice quizzes, from the server otherwise.
    pub grade: Option<QuizGrade>,
    /// Why it needs attention.
    pub problem: Option<String>,
    /// SHA-256 of the payload, as stored and as sent.
    pub payload_sha256: String,
    /// Files sent with it.
    pub attachments: Vec<AttachmentInfo>,
    /// When the next try to send it is due (device clock, unix ms), while it waits after a
    /// failed try.
    #[ts(type = "number | null")]
    pub next_try_ms: Option<i64>,
    /// Why the last try to send it failed.
    pub last_error: Option<String>,
    /// When its item is due or closes (unix ms): the app warns while it is not sent as that nears.
    #[ts(type = "number | null")]
    pub due_ms: Option<i64>,
    /// The course server's grade, once it has graded it.
    pub server_grade: Option<ServerGrade>,
    /// Tutors' comments, oldest first.
    pub comments: Vec<SubmissionComment>,
}

/// A new outbox row, written by the transaction that closes its source.
pub(crate) struct NewSubmission<'a> {
    pub kind: SubmissionKind,
    pub course_id: &'a str,
    pub item_id: &'a str,
    pub title: &'a str,
    pub source: &'a str,
    pub version: u32,
    pub payload: &'a [u8],
    pub grade: Option<&'a QuizGrade>,
    pub attachments: &'a [AttachmentInfo],
    /// When the item is due or closes, for the warning while it is not sent.
    pub due_ms: Option<i64>,
    pub now_ms: i64,
}

/// Queues `new`; fails with [`AssessError::AlreadySubmitted`] when its source is already queued.
pub(crate) fn enqueue(
    tx: &Transaction<'_>,
    id: &str,
    new: &NewSubmission<'_>,
) -> Result<(), AssessError> {
    let existing: Option<String> = tx
        .query_row(
            "SELECT id FROM outbox WHERE source = ?1",
            [new.source],
            |row| row.get(0),
        )
        .optional()?;
    if existing.is_some() {
        return Err(AssessError::AlreadySubmitted);
    }
    let kind = new.kind.wire().as_str();
    let payload = std::str::from_utf8(new.payload).expect("payloads are JSON");
    let grade = new
        .grade
        .map(|grade| serde_json::to_string(grade).expect("grades serialize"));
    (|| -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO outbox (id, kind, course_id, item_id, title, source, version, payload,
                 payload_sha256, created_ms, state_ms, result, due_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12)",
            params![
                id,
                kind,
                new.course_id,
                new.item_id,
                new.title,
                new.source,
                new.version,
                payload,
                sha256_hex(new.payload),
                new.now_ms,
                grade,
                new.due_ms
            ],
        )?;
        for attachment in new.attachments {
            tx.execute(
                "INSERT INTO outbox_attachments (outbox_id, sha256, name, size) VALUES (?1, ?2, ?3, ?4)",
                params![id, attachment.sha256, attachment.name, attachment.size as i64],
            )?;
        }
        Ok(())
    })()?;
    Ok(())
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    carrel_package::archive::hex(&Sha256::digest(bytes))
}

const ENTRY_COLUMNS: &str = "id, kind, course_id, item_id, title, version, created_ms, state,
    state_ms, tries, receipt, result, problem, payload_sha256, next_try_ms, last_error, due_ms";

fn entry(row: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let kind: String = row.get(1)?;
    let state: String = row.get(7)?;
    let result: Option<String> = row.get(11)?;
    Ok(OutboxEntry {
        id: row.get(0)?,
        kind: SubmissionKind::parse(&kind),
        course_id: row.get(2)?,
        item_id: row.get(3)?,
        title: row.get(4)?,
        version: row.get(5)?,
        created_ms: row.get(6)?,
        state: OutboxState::parse(&state),
        state_ms: row.get(8)?,
        tries: row.get(9)?,
        receipt: row.get(10)?,
        grade: result.and_then(|json| serde_json::from_str(&json).ok()),
        problem: row.get(12)?,
        payload_sha256: row.get(13)?,
        attachments: Vec::new(),
        next_try_ms: row.get(14)?,
        last_error: row.get(15)?,
        due_ms: row.get(16)?,
        server_grade: None,
        comments: Vec::new(),
    })
}

/// The files of outbox entry `id`, in the order they were attached.
pub(crate) fn attachments_in(
    tx: &Transaction<'_>,
    id: &str,
) -> rusqlite::Result<Vec<AttachmentInfo>> {
    tx.prepare_cached(
        "SELECT sha256, name, size FROM outbox_attachments WHERE outbox_id = ?1 ORDER BY rowid",
    )?
    .query_map([id], AttachmentInfo::from_row)?
    .collect()
}

fn with_attachments(
    tx: &Transaction<'_>,
    mut entries: Vec<OutboxEntry>,
) -> rusqlite::Result<Vec<OutboxEntry>> {
    for entry in &mut entries {
        entry.attachments = attachments_in(tx, &entry.id)?;
        entry.server_grade = changes::grade_in(tx, &entry.id)?;
        entry.comments = changes::comments_in(tx, &entry.id)?;
    }
    Ok(entries)
}

fn select(
    tx: &Transaction<'_>,
    filter: &str,
    args: impl rusqlite::Params,
) -> rusqlite::Result<Vec<OutboxEntry>> {
    let entries = tx
        .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM outbox {filter}"))?
        .query_map(args, entry)?
        .collect::<Result<Vec<_>, _>>()?;
    with_attachments(tx, entries)
}

/// Every submission, newest first.
pub fn list(db: &ProgressDb) -> Result<Vec<OutboxEntry>, AssessError> {
    db.transact(|tx| Ok(select(tx, "ORDER BY created_ms DESC, id DESC", [])?))
}

/// The submissions of one item, oldest first.
pub fn for_item(
    db: &ProgressDb,
    course_id: &str,
    item_id: &str,
) -> Result<Vec<OutboxEntry>, AssessError> {
    db.transact(|tx| {
        Ok(select(
            tx,
            "WHERE course_id = ?1 AND item_id = ?2 ORDER BY version",
            params![course_id, item_id],
        )?)
    })
}

pub(crate) fn for_item_in(
    tx: &Transaction<'_>,
    course_id: &str,
    item_id: &str,
) -> rusqlite::Result<Vec<OutboxEntry>> {
    select(
        tx,
        "WHERE course_id = ?1 AND item_id = ?2 ORDER BY version",
        params![course_id, item_id],
    )
}

/// One submission with its payload exactly as stored (and as it is sent).
pub fn get(db: &ProgressDb, id: &str) -> Result<(OutboxEntry, Vec<u8>), AssessError> {
    db.transact(|tx| {
        let mut entries = select(tx, "WHERE id = ?1", [id])?;
        let entry = entries.pop().ok_or(AssessError::NotFound {
            what: "submission",
            id: id.to_owned(),
        })?;
        let payload: String =
            tx.query_row("SELECT payload FROM outbox WHERE id = ?1", [id], |row| {
                row.get(0)
            })?;
        Ok((entry, payload.into_bytes()))
    })
}

/// "Try again" on a submission that needs attention: it goes back to the queue with the same id
/// and the same bytes (so a server that did store it answers with its receipt, and one that did
/// not stores it once). Its reason stays as the last error until it is sent. Entries in any other
/// state are left as they are; answers whether it was queued again.
pub fn requeue(db: &ProgressDb, id: &str, now_ms: i64) -> Result<bool, AssessError> {
    db.transact(|tx| {
        let exists: Option<String> = tx
            .query_row("SELECT state FROM outbox WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()?;
        if exists.is_none() {
            return Err(AssessError::NotFound {
                what: "submission",
                id: id.to_owned(),
            });
        }
        let changed = tx.execute(
            "UPDATE outbox SET state = 'queued', state_ms = ?2, last_error = problem,
                 problem = NULL, next_try_ms = NULL, tries = 0
             WHERE id = ?1 AND state = 'needs_attention'",
            params![id, now_ms],
        )?;
        Ok(changed == 1)
    })
}

impl From<rusqlite::Error> for AssessError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Progress(error.into())
    }
}
