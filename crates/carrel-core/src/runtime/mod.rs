//! The state SCORM and cmi5 content keeps through Carrel's runtime, durably, in the progress
//! database.
//!
//! The content window plays a SCORM item inside Carrel's runtime page (`viewer/runtime.html`),
//! which gives the content the `API` (SCORM 1.2) or `API_1484_11` (SCORM 2004) object. Each commit
//! the content makes — on `LMSCommit`/`Commit`, on `LMSFinish`/`Terminate`, and shortly after
//! every `SetValue` — reaches [`commit`], which stores the whole data model in one transaction
//! before the runtime is told it succeeded. [`launch`] gives the runtime what to start from:
//!
//! - the saved data model, with `entry` = `resume`, when the last session ended suspended
//!   (`exit` = `suspend`), or did not end at all (the window or the app was closed before the
//!   content called Finish) — the location and suspend data come back;
//! - nothing, with `entry` = `ab-initio` and the next attempt number, when the last session ended
//!   otherwise; the earlier attempt's result stays counted.
//!
//! Commits name their attempt, so a commit from a window left open on an earlier attempt cannot
//! overwrite a newer one ([`RuntimeError::StaleAttempt`]). They also name their launch and their
//! order in it ([`Order`]): requests may be handled in any order, so a draft sent before a commit
//! but stored after it would otherwise put older data back; an older one is acknowledged and
//! ignored. An item counts as completed, once and
//! for good, the first time a commit reports it completed (SCORM 1.2 `completed` or `passed`,
//! SCORM 2004 `completion_status` = `completed`; an asset once it is shown).
//!
//! The end of each session (`LMSFinish`/`Terminate`) queues its result in the outbox in the same
//! transaction ([`RuntimeResult`], keyed by item, attempt and session, so it is queued once), and
//! the sync delivers it to the course server like a quiz attempt: exactly once, with a receipt.
//! A session the content never ended — its window was closed (WebKit runs no unload handler when
//! a window is destroyed), or Carrel stopped — is ended by the app ([`end_open_sessions`], when
//! the content window closes and when Carrel starts): its result is queued from the last commit,
//! as suspended, and the next launch resumes it. A Finish that arrives after that stores its data
//! but queues nothing more: one session, one result.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::assess::AssessError;
use crate::assess::outbox::{self, NewSubmission, SubmissionKind};
use crate::progress::{
    self, Event, EventKind, ItemProgress, ProgressDb, ProgressError, new_event_id,
};

/// The largest data model a commit may carry (SCORM 2004 allows 64,000 characters of suspend
/// data alone; interactions and objectives add to it).
pub const MAX_COMMIT_BYTES: usize = 1024 * 1024;

/// Why a commit was not stored.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The progress database failed.
    #[error(transparent)]
    Progress(#[from] ProgressError),
    /// The commit is not the runtime's shape.
    #[error("the content's data could not be read: {0}")]
    Invalid(String),
    /// A commit for an attempt that is no longer the current one.
    #[error(
        "this window is showing an earlier attempt (attempt {sent}; the current one is {current}); close it and open the item again"
    )]
    StaleAttempt {
        /// The attempt the commit names.
        sent: u32,
        /// The current attempt.
        current: u32,
    },
}

impl From<rusqlite::Error> for RuntimeError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Progress(error.into())
    }
}

impl From<AssessError> for RuntimeError {
    fn from(error: AssessError) -> Self {
        match error {
            AssessError::Progress(error) => Self::Progress(error),
            other => Self::Invalid(other.to_string()),
        }
    }
}

impl From<cmi5::XapiError> for RuntimeError {
    fn from(error: cmi5::XapiError) -> Self {
        match error {
            cmi5::XapiError::Progress(error) => Self::Progress(error),
            other => Self::Invalid(other.to_string()),
        }
    }
}

/// The item a commit is for.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeItem<'a> {
    /// Its course.
    pub course_id: &'a str,
    /// Its id.
    pub item_id: &'a str,
    /// Its title, for the outbox.
    pub title: &'a str,
    /// `scorm-1.2`, `scorm-2004` or `cmi5`.
    pub standard: &'a str,
}

/// How a launch starts, in SCORM's words (`cmi.core.entry` / `cmi.entry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Entry {
    /// A new attempt.
    AbInitio,
    /// Back to a suspended attempt.
    Resume,
}

/// Where a commit stands among all commits of an item: its launch (1, 2…, counted by [`launch`])
/// and its number in that launch (1, 2…, counted by the runtime page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Order {
    /// The launch.
    pub launch: u64,
    /// The commit's number in it.
    pub seq: u64,
}

/// What the runtime starts from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Launch {
    /// This launch's number; commits name it with their own number ([`Order`]).
    pub launch: u64,
    /// The attempt this launch belongs to (1, 2…); commits must name it.
    pub attempt: u32,
    /// New or resumed.
    pub entry: Entry,
    /// The saved data model to resume from (`{"cmi": …}`), when resuming.
    pub data: Option<serde_json::Value>,
    /// Total time spent in earlier sessions of this attempt, in seconds.
    pub total_time_s: f64,
}

/// A score as the runtime reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct Score {
    /// Raw score.
    #[serde(default)]
    pub raw: Option<f64>,
    /// Lowest possible.
    #[serde(default)]
    pub min: Option<f64>,
    /// Highest possible.
    #[serde(default)]
    pub max: Option<f64>,
    /// Scaled (-1–1).
    #[serde(default)]
    pub scaled: Option<f64>,
}

/// One commit from the runtime (scorm-again's commit object, `renderCommonCommitFields`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commit {
    /// `completed`, `incomplete`, `not attempted` or `unknown`.
    pub completion_status: String,
    /// `passed`, `failed` or `unknown`.
    pub success_status: String,
    /// The score, when the content set one.
    #[serde(default)]
    pub score: Option<Score>,
    /// Total time of the attempt, in seconds, when the runtime computed it.
    #[serde(default)]
    pub total_time_seconds: Option<f64>,
    /// The whole data model (`{"cmi": …}`).
    pub runtime_data: serde_json::Value,
}

impl Commit {
    /// Parses and checks a commit body.
    pub fn parse(body: &[u8]) -> Result<Self, RuntimeError> {
        if body.len() > MAX_COMMIT_BYTES {
            return Err(RuntimeError::Invalid(format!(
                "{} bytes, more than the {MAX_COMMIT_BYTES} a commit may carry",
                body.len()
            )));
        }
        let commit: Self =
            serde_json::from_slice(body).map_err(|e| RuntimeError::Invalid(e.to_string()))?;
        if !commit
            .runtime_data
            .get("cmi")
            .is_some_and(|cmi| cmi.is_object())
        {
            return Err(RuntimeError::Invalid("it has no cmi data model".to_owned()));
        }
        const COMPLETION: [&str; 4] = ["completed", "incomplete", "not attempted", "unknown"];
        const SUCCESS: [&str; 3] = ["passed", "failed", "unknown"];
        if !COMPLETION.contains(&commit.completion_status.as_str())
            || !SUCCESS.contains(&commit.success_status.as_str())
        {
            return Err(RuntimeError::Invalid(format!(
                "unknown status “{}”/“{}”",
                commit.completion_status, commit.success_status
            )));
        }
        Ok(commit)
    }

    /// Whether the session ended suspended: SCORM 1.2 `cmi.core.exit`, SCORM 2004 `cmi.exit`.
    fn suspended(&self) -> bool {
        let cmi = &self.runtime_data["cmi"];
        [&cmi["core"]["exit"], &cmi["exit"]]
            .iter()
            .any(|exit| exit.as_str() == Some("suspend"))
    }

    /// The scaled score: as reported, else raw within min–max.
    fn scaled(&self) -> Option<f64> {
        let score = self.score.as_ref()?;
        score
            .scaled
            .or_else(|| match (score.raw, score.min.unwrap_or(0.0), score.max) {
                (Some(raw), min, Some(max)) if max > min => Some((raw - min) / (max - min)),
                (Some(raw), _, None) => Some(raw / 100.0),
                _ => None,
            })
            .map(|s| s.clamp(-1.0, 1.0))
    }
}

/// The saved state of an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeState {
    /// The current attempt.
    pub attempt: u32,
    /// Sessions of it ended so far.
    pub session: u32,
    /// `completed`, `incomplete`…
    pub completion: String,
    /// `passed`, `failed`, `unknown`.
    pub success: String,
    /// The scaled score, if any.
    pub score_scaled: Option<f64>,
    /// Total time of the attempt, in seconds.
    pub total_time_s: f64,
    /// Whether the last session ended without suspend, so the next launch is a new attempt.
    pub ended: bool,
    /// Whether a session has committed and not ended yet.
    pub open: bool,
    /// The newest commit stored.
    pub order: Order,
    /// The data model as last committed.
    pub data: serde_json::Value,
}

/// The saved state of an item, if the content ever committed.
pub fn state(
    db: &ProgressDb,
    course_id: &str,
    item_id: &str,
) -> Result<Option<RuntimeState>, RuntimeError> {
    db.transact(|tx| state_in(tx, course_id, item_id))
}

fn state_in(
    tx: &Transaction<'_>,
    course_id: &str,
    item_id: &str,
) -> Result<Option<RuntimeState>, RuntimeError> {
    let row = tx
        .query_row(
            "SELECT attempt, session, completion, success, score_scaled, total_time_s, ended,
                 open, launch, seq, data
             FROM runtime_state WHERE course_id = ?1 AND item_id = ?2",
            params![course_id, item_id],
            |row| {
                Ok((
                    RuntimeState {
                        attempt: row.get(0)?,
                        session: row.get(1)?,
                        completion: row.get(2)?,
                        success: row.get(3)?,
                        score_scaled: row.get(4)?,
                        total_time_s: row.get(5)?,
                        ended: row.get(6)?,
                        open: row.get(7)?,
                        order: Order {
                            launch: row.get(8)?,
                            seq: row.get(9)?,
                        },
                        data: serde_json::Value::Null,
                    },
                    row.get::<_, String>(10)?,
                ))
            },
        )
        .optional()?;
    row.map(|(mut state, data)| {
        state.data = serde_json::from_str(&data)
            .map_err(|e| RuntimeError::Invalid(format!("the saved data is damaged: {e}")))?;
        Ok(state)
    })
    .transpose()
}

/// What the runtime of `item_id` starts from (see the module docs); counts the launch.
pub fn launch(db: &ProgressDb, course_id: &str, item_id: &str) -> Result<Launch, RuntimeError> {
    db.transact(|tx| {
        let Some(saved) = state_in(tx, course_id, item_id)? else {
            return Ok(Launch {
                launch: 1,
                attempt: 1,
                entry: Entry::AbInitio,
                data: None,
                total_time_s: 0.0,
            });
        };
        let launch = saved.order.launch + 1;
        tx.execute(
            "UPDATE runtime_state SET launch = ?3, seq = 0 WHERE course_id = ?1 AND item_id = ?2",
            params![course_id, item_id, launch],
        )?;
        Ok(if saved.ended {
            Launch {
                launch,
                attempt: saved.attempt + 1,
                entry: Entry::AbInitio,
                data: None,
                total_time_s: 0.0,
            }
        } else {
            // Suspended, or never finished (the window was closed before Finish): carry on.
            Launch {
                launch,
                attempt: saved.attempt,
                entry: Entry::Resume,
                data: Some(saved.data),
                total_time_s: saved.total_time_s,
            }
        })
    })
}

/// The result of one session, as the outbox sends it to the course server (the payload of a
/// submission of kind `scorm` or `cmi5`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeResult {
    /// The outbox id: the server's idempotency key.
    pub submission_id: String,
    /// The course.
    pub course_id: String,
    /// The item.
    pub item_id: String,
    /// `scorm-1.2`, `scorm-2004` or `cmi5`.
    pub standard: String,
    /// The attempt (1, 2…).
    pub attempt: u32,
    /// The session of that attempt that ended (1, 2…).
    pub session: u32,
    /// `completed`, `incomplete`, `not attempted` or `unknown`.
    pub completion_status: String,
    /// `passed`, `failed` or `unknown`.
    pub success_status: String,
    /// The score, when the content set one.
    pub score: Option<Score>,
    /// The scaled score (-1–1) Carrel derived from it.
    pub score_scaled: Option<f64>,
    /// Total time of the attempt so far, in seconds.
    pub total_time_seconds: f64,
    /// Whether the learner can come back to this attempt (it ended suspended).
    pub suspended: bool,
    /// When the session ended (device clock, unix ms).
    #[ts(type = "number")]
    pub ended_ms: i64,
    /// The whole data model as the content left it.
    #[ts(type = "unknown")]
    pub runtime_data: serde_json::Value,
}

/// What a stored commit changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The item's progress afterwards.
    pub progress: ItemProgress,
    /// Whether this commit completed the item (the first time).
    pub completed_now: bool,
    /// Whether it was stored: `false` when a newer commit already was (it is then ignored).
    pub stored: bool,
}

/// Stores `commit` of `attempt` for the item in one durable transaction; `terminate` marks the
/// end of a session (`LMSFinish`/`Terminate`), whose result is queued in the outbox in the same
/// transaction.
#[allow(clippy::too_many_arguments)]
pub fn commit(
    db: &ProgressDb,
    item: &RuntimeItem<'_>,
    attempt: u32,
    order: Order,
    commit: &Commit,
    terminate: bool,
    now_ms: i64,
) -> Result<Committed, RuntimeError> {
    let (course_id, item_id) = (item.course_id, item.item_id);
    let (completed_now, stored) = db.transact(|tx| {
        let saved = state_in(tx, course_id, item_id)?;
        // A window still showing an earlier attempt is told so, whatever its order.
        if let Some(saved) = &saved
            && attempt < saved.attempt
        {
            return Err(RuntimeError::StaleAttempt {
                sent: attempt,
                current: saved.attempt,
            });
        }
        if saved.as_ref().is_some_and(|saved| order <= saved.order) {
            return Ok((false, false));
        }
        let (session, open) = match &saved {
            Some(saved) if saved.attempt == attempt => (saved.session, saved.open),
            // The next attempt, once the last one ended without suspend (see `launch`).
            Some(saved) if attempt == saved.attempt + 1 && saved.ended => (0, false),
            None if attempt == 1 => (0, false),
            other => {
                return Err(RuntimeError::StaleAttempt {
                    sent: attempt,
                    current: other.as_ref().map_or(1, |s| s.attempt),
                });
            }
        };
        // A Finish for a session the app already ended (its window closed first) ends nothing
        // more; any other Finish ends the session it belongs to — including one handled before
        // the draft its launch sent first (nothing of this launch stored yet: `seq` 0).
        let ends_session = terminate
            && (open
                || saved
                    .as_ref()
                    .is_none_or(|s| s.attempt != attempt || s.order.seq == 0));
        let session = session + u32::from(ends_session);
        let data = serde_json::to_string(&commit.runtime_data)
            .map_err(|e| RuntimeError::Invalid(e.to_string()))?;
        // Only a session's end computes the attempt's total time; other commits carry 0.
        let reported = commit
            .total_time_seconds
            .filter(|t| terminate && t.is_finite() && *t >= 0.0);
        let total_time = reported
            .or(saved
                .as_ref()
                .filter(|s| s.attempt == attempt)
                .map(|s| s.total_time_s))
            .unwrap_or(0.0);
        tx.execute(
            "INSERT INTO runtime_state (course_id, item_id, attempt, session, data, completion,
                 success, score_scaled, total_time_s, ended, open, title, standard, updated_ms,
                 launch, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT (course_id, item_id) DO UPDATE SET attempt = excluded.attempt,
                 session = excluded.session, data = excluded.data,
                 completion = excluded.completion, success = excluded.success,
                 score_scaled = excluded.score_scaled, total_time_s = excluded.total_time_s,
                 ended = excluded.ended, open = excluded.open, title = excluded.title,
                 standard = excluded.standard, updated_ms = excluded.updated_ms,
                 launch = excluded.launch, seq = excluded.seq",
            params![
                course_id,
                item_id,
                attempt,
                session,
                data,
                commit.completion_status,
                commit.success_status,
                commit.scaled(),
                total_time,
                terminate && !commit.suspended(),
                !terminate,
                item.title,
                item.standard,
                now_ms,
                order.launch,
                order.seq
            ],
        )?;
        if ends_session {
            let commit = Commit {
                total_time_seconds: Some(total_time),
                ..commit.clone()
            };
            let ended = Ended {
                attempt,
                session,
                commit: &commit,
                score_scaled: commit.scaled(),
                suspended: commit.suspended(),
            };
            queue_result(tx, item, &ended, now_ms)?;
        }
        let done = commit.completion_status == "completed";
        let completed_now = done && !progress::completed_in(tx, course_id, item_id)?;
        if completed_now {
            progress::record_in(
                tx,
                &[Event {
                    id: new_event_id(),
                    course_id: course_id.to_owned(),
                    item_id: item_id.to_owned(),
                    kind: EventKind::Completed,
                    at_ms: now_ms,
                    value: None,
                    unit: None,
                    end: None,
                }],
            )?;
        }
        Ok::<_, RuntimeError>((completed_now, true))
    })?;
    Ok(Committed {
        progress: db.item(course_id, item_id)?,
        completed_now,
        stored,
    })
}

/// Ends every session the content did not end (see the module docs): each one's result is queued
/// from its last commit, as suspended, and the next launch resumes it; open cmi5 sessions are
/// abandoned ([`cmi5::abandon_open_in`]). Returns how many.
pub fn end_open_sessions(db: &ProgressDb, now_ms: i64) -> Result<usize, RuntimeError> {
    db.transact(|tx| {
        let open: Vec<(String, String, String, String)> = tx
            .prepare(
                "SELECT course_id, item_id, title, standard FROM runtime_state WHERE open = 1",
            )?
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        for (course_id, item_id, title, standard) in &open {
            let Some(saved) = state_in(tx, course_id, item_id)? else {
                continue;
            };
            let session = saved.session + 1;
            // A new launch number: a commit still on its way from the closed page is older than
            // anything stored from now on, and cannot reopen the session.
            tx.execute(
                "UPDATE runtime_state SET session = ?3, open = 0, ended = 0, updated_ms = ?4,
                     launch = launch + 1, seq = 0
                 WHERE course_id = ?1 AND item_id = ?2",
                params![course_id, item_id, session, now_ms],
            )?;
            let commit = Commit {
                completion_status: saved.completion,
                success_status: saved.success,
                score: None,
                total_time_seconds: Some(saved.total_time_s),
                runtime_data: saved.data,
            };
            let item = RuntimeItem {
                course_id,
                item_id,
                title,
                standard,
            };
            let ended = Ended {
                attempt: saved.attempt,
                session,
                commit: &commit,
                score_scaled: saved.score_scaled,
                suspended: true,
            };
            queue_result(tx, &item, &ended, now_ms)?;
        }
        let abandoned = cmi5::abandon_open_in(tx, None, now_ms)?;
        Ok::<_, RuntimeError>(open.len() + abandoned)
    })
}

/// A session that ended, as its result is queued.
struct Ended<'a> {
    attempt: u32,
    session: u32,
    /// The last commit of the session, with the attempt's total time.
    commit: &'a Commit,
    score_scaled: Option<f64>,
    /// Whether the attempt can go on.
    suspended: bool,
}

/// Queues the result of `ended` in the outbox.
fn queue_result(
    tx: &Transaction<'_>,
    item: &RuntimeItem<'_>,
    ended: &Ended<'_>,
    now_ms: i64,
) -> Result<(), RuntimeError> {
    let Ended {
        attempt,
        session,
        commit,
        score_scaled,
        suspended,
    } = *ended;
    let id = new_event_id();
    let result = RuntimeResult {
        submission_id: id.clone(),
        course_id: item.course_id.to_owned(),
        item_id: item.item_id.to_owned(),
        standard: item.standard.to_owned(),
        attempt,
        session,
        completion_status: commit.completion_status.clone(),
        success_status: commit.success_status.clone(),
        score: commit.score.clone(),
        score_scaled,
        total_time_seconds: commit.total_time_seconds.unwrap_or(0.0),
        suspended,
        ended_ms: now_ms,
        runtime_data: commit.runtime_data.clone(),
    };
    let payload = serde_json::to_vec(&result).map_err(|e| RuntimeError::Invalid(e.to_string()))?;
    let kind = if item.standard == "cmi5" {
        SubmissionKind::Cmi5
    } else {
        SubmissionKind::Scorm
    };
    let source = format!(
        "runtime:{}:{}:{attempt}:{session}",
        item.course_id, item.item_id
    );
    outbox::enqueue(
        tx,
        &id,
        &NewSubmission {
            kind,
            course_id: item.course_id,
            item_id: item.item_id,
            title: item.title,
            source: &source,
            version: attempt,
            payload: &payload,
            grade: None,
            attachments: &[],
            due_ms: None,
            now_ms,
        },
    )?;
    Ok(())
}

pub mod cmi5;

#[cfg(test)]
mod tests;
