//! Quiz attempts: start, answers saved as they are given, a time limit that keeps running across
//! restarts, practice feedback, submit into the outbox.
//!
//! Every call is one transaction of the progress database (`synchronous = FULL`), so an answer the
//! player has been told is saved survives a crash or a power cut. The time limit is wall-clock:
//! the deadline is fixed when the attempt starts (`started + limit`, or the quiz's closing if
//! sooner) and checked against the clock on every call, so closing the app does not stop it. An
//! attempt whose deadline passed is submitted with the answers saved before it, the next time it
//! is looked at. The attempt's start and the device's clock offset from the server (when known)
//! travel with the submission, so the server can judge the times by its own clock.
//!
//! Submitting closes the attempt and queues it in the outbox in one transaction; the outbox's
//! unique source key and the attempt's `submitted_ms` make a second submit fail, whoever makes it.

use std::collections::BTreeMap;

use carrel_package::activity::{QuizDefinition, QuizMode};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::grade::{self, QuestionGrade, QuizGrade};
use super::outbox::{self, NewSubmission, OutboxEntry, SubmissionKind};
use super::{Answer, AssessError, PresentedQuestion};
use crate::progress::{self, ProgressDb};

/// The quiz an attempt belongs to, as installed.
#[derive(Debug, Clone)]
pub struct QuizItem {
    /// Course id.
    pub course_id: String,
    /// Course version installed.
    pub course_version: String,
    /// Item id.
    pub item_id: String,
    /// Item title.
    pub title: String,
    /// The definition.
    pub quiz: QuizDefinition,
    /// SHA-256 of its file.
    pub sha256: String,
}

/// Whether an attempt can start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Yes (or one is in progress).
    Open,
    /// Not before `opensMs`.
    NotYetOpen,
    /// Closed at `closesMs`.
    Closed,
    /// Every allowed attempt is used.
    NoAttemptsLeft,
}

/// Who ended an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SubmittedBy {
    /// The learner submitted it.
    Learner,
    /// Its time ran out; the answers saved until then were submitted.
    TimeLimit,
}

/// A quiz with the learner's attempts, for its page.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuizState {
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// Title.
    pub title: String,
    /// Practice (key here, feedback per question) or graded (by the server, after sync).
    pub practice: bool,
    /// Attempts allowed; 0 means unlimited.
    pub attempts_allowed: u32,
    /// Time limit in minutes.
    pub time_limit_minutes: Option<u32>,
    /// When it opens (unix ms).
    #[ts(type = "number | null")]
    pub opens_ms: Option<i64>,
    /// When it closes (unix ms).
    #[ts(type = "number | null")]
    pub closes_ms: Option<i64>,
    /// Fraction needed to pass.
    pub passing_score: f64,
    /// Number of questions.
    pub question_count: u32,
    /// Points in all.
    pub max_score: f64,
    /// Whether an attempt can start.
    pub availability: Availability,
    /// The attempt in progress, if any.
    pub current: Option<String>,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptSummary>,
    /// The clock this was computed at (unix ms).
    #[ts(type = "number")]
    pub now_ms: i64,
}

/// One attempt, listed.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptSummary {
    /// Attempt id.
    pub id: String,
    /// 1, 2…
    pub number: u32,
    /// Started (unix ms).
    #[ts(type = "number")]
    pub started_ms: i64,
    /// Deadline (unix ms).
    #[ts(type = "number | null")]
    pub deadline_ms: Option<i64>,
    /// Submitted (unix ms).
    #[ts(type = "number | null")]
    pub submitted_ms: Option<i64>,
    /// Who ended it.
    pub submitted_by: Option<SubmittedBy>,
    /// Questions answered.
    pub answered: u32,
    /// Its submission in the outbox.
    pub submission: Option<OutboxEntry>,
}

/// Practice feedback on one question, or the review of a graded one.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuestionFeedback {
    /// Score and verdict.
    pub grade: QuestionGrade,
    /// Why (Markdown).
    pub feedback: Option<String>,
    /// The right answer.
    pub key: Option<Answer>,
}

/// A question of an attempt with the learner's answer.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptQuestion {
    /// The question as shown.
    pub question: PresentedQuestion,
    /// The saved answer.
    pub answer: Option<Answer>,
    /// When it was saved (unix ms).
    #[ts(type = "number | null")]
    pub saved_ms: Option<i64>,
    /// Practice feedback, once checked (or after submitting a practice quiz).
    pub feedback: Option<QuestionFeedback>,
}

/// An attempt, for the player or its review.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    /// Attempt id.
    pub id: String,
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// Quiz title.
    pub title: String,
    /// 1, 2…
    pub number: u32,
    /// Practice or graded.
    pub practice: bool,
    /// Fraction needed to pass.
    pub passing_score: f64,
    /// Started (unix ms).
    #[ts(type = "number")]
    pub started_ms: i64,
    /// Deadline (unix ms).
    #[ts(type = "number | null")]
    pub deadline_ms: Option<i64>,
    /// The clock this was computed at (unix ms), to run the countdown from.
    #[ts(type = "number")]
    pub now_ms: i64,
    /// Submitted (unix ms).
    #[ts(type = "number | null")]
    pub submitted_ms: Option<i64>,
    /// Who ended it.
    pub submitted_by: Option<SubmittedBy>,
    /// The questions in this attempt's order.
    pub questions: Vec<AttemptQuestion>,
    /// The grade: for a submitted practice quiz, computed here; else the server's once graded.
    pub grade: Option<QuizGrade>,
    /// Its submission in the outbox, once submitted.
    pub submission: Option<OutboxEntry>,
}

/// An answer as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmittedAnswer {
    /// Question id.
    pub question_id: String,
    /// The answer.
    pub answer: Answer,
    /// When it was saved (device clock, unix ms).
    #[ts(type = "number")]
    pub saved_ms: i64,
}

/// A quiz attempt as the server receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuizSubmission {
    /// The outbox id: the server's idempotency key.
    pub submission_id: String,
    /// Course id.
    pub course_id: String,
    /// Course version the attempt was taken on.
    pub course_version: String,
    /// Item id.
    pub item_id: String,
    /// Quiz id.
    pub quiz_id: String,
    /// SHA-256 of the quiz file.
    pub definition_sha256: String,
    /// Attempt id.
    pub attempt_id: String,
    /// Attempt number.
    pub attempt_number: u32,
    /// Started (device clock, unix ms).
    #[ts(type = "number")]
    pub started_ms: i64,
    /// Deadline (device clock, unix ms).
    #[ts(type = "number | null")]
    pub deadline_ms: Option<i64>,
    /// Submitted (device clock, unix ms).
    #[ts(type = "number")]
    pub submitted_ms: i64,
    /// Who ended it.
    pub submitted_by: SubmittedBy,
    /// Server clock − device clock when the attempt started, if it was known.
    #[ts(type = "number | null")]
    pub clock_offset_ms: Option<i64>,
    /// The answers, in the quiz's question order.
    pub answers: Vec<SubmittedAnswer>,
}

struct AttemptRow {
    id: String,
    number: u32,
    seed: i64,
    started_ms: i64,
    clock_offset_ms: Option<i64>,
    deadline_ms: Option<i64>,
    submitted_ms: Option<i64>,
    submitted_by: Option<SubmittedBy>,
}

const ATTEMPT_COLUMNS: &str =
    "id, number, seed, started_ms, clock_offset_ms, deadline_ms, submitted_ms, submitted_by";

fn attempt_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AttemptRow> {
    let by: Option<String> = row.get(7)?;
    Ok(AttemptRow {
        id: row.get(0)?,
        number: row.get(1)?,
        seed: row.get(2)?,
        started_ms: row.get(3)?,
        clock_offset_ms: row.get(4)?,
        deadline_ms: row.get(5)?,
        submitted_ms: row.get(6)?,
        submitted_by: by.map(|by| {
            if by == "time_limit" {
                SubmittedBy::TimeLimit
            } else {
                SubmittedBy::Learner
            }
        }),
    })
}

fn attempts_in(tx: &Transaction<'_>, item: &QuizItem) -> rusqlite::Result<Vec<AttemptRow>> {
    tx.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE course_id = ?1 AND item_id = ?2 ORDER BY number"
    ))?
    .query_map(params![item.course_id, item.item_id], attempt_row)?
    .collect()
}

fn attempt_in(
    tx: &Transaction<'_>,
    item: &QuizItem,
    attempt_id: &str,
) -> Result<AttemptRow, AssessError> {
    tx.prepare_cached(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = ?1 AND course_id = ?2 AND item_id = ?3"
    ))?
    .query_row(
        params![attempt_id, item.course_id, item.item_id],
        attempt_row,
    )
    .optional()?
    .ok_or_else(|| AssessError::NotFound {
        what: "attempt",
        id: attempt_id.to_owned(),
    })
}

struct SavedRow {
    answer: Answer,
    saved_ms: i64,
    checked_ms: Option<i64>,
}

fn answers_in(
    tx: &Transaction<'_>,
    attempt_id: &str,
) -> rusqlite::Result<BTreeMap<String, SavedRow>> {
    let mut statement = tx.prepare_cached(
        "SELECT question_id, answer, saved_ms, checked_ms FROM answers WHERE attempt_id = ?1",
    )?;
    let rows = statement.query_map([attempt_id], |row| {
        let json: String = row.get(1)?;
        Ok((
            row.get::<_, String>(0)?,
            json,
            row.get::<_, i64>(2)?,
            row.get::<_, Option<i64>>(3)?,
        ))
    })?;
    let mut answers = BTreeMap::new();
    for row in rows {
        let (question_id, json, saved_ms, checked_ms) = row?;
        // An answer this build cannot read (written by a newer one) is left in the file, unshown.
        if let Ok(answer) = serde_json::from_str(&json) {
            answers.insert(
                question_id,
                SavedRow {
                    answer,
                    saved_ms,
                    checked_ms,
                },
            );
        }
    }
    Ok(answers)
}

fn to_ms(timestamp: Option<jiff::Timestamp>) -> Option<i64> {
    timestamp.map(|t| t.as_millisecond())
}

fn availability(item: &QuizItem, rows: &[AttemptRow], now_ms: i64) -> Availability {
    let quiz = &item.quiz;
    if rows.iter().any(|row| row.submitted_ms.is_none()) {
        Availability::Open
    } else if to_ms(quiz.opens).is_some_and(|opens| now_ms < opens) {
        Availability::NotYetOpen
    } else if to_ms(quiz.closes).is_some_and(|closes| now_ms >= closes) {
        Availability::Closed
    } else if quiz.attempts != 0 && rows.len() as u32 >= quiz.attempts {
        Availability::NoAttemptsLeft
    } else {
        Availability::Open
    }
}

/// The quiz's page: its settings, whether an attempt can start, and every attempt. An attempt in
/// progress whose time ran out is submitted first.
pub fn quiz_state(db: &ProgressDb, item: &QuizItem, now_ms: i64) -> Result<QuizState, AssessError> {
    db.transact(|tx| {
        submit_expired_in(tx, item, now_ms)?;
        let rows = attempts_in(tx, item)?;
        let submissions = outbox::for_item_in(tx, &item.course_id, &item.item_id)?;
        let mut attempts = Vec::with_capacity(rows.len());
        for row in &rows {
            let answered = answers_in(tx, &row.id)?.len() as u32;
            let submission = submissions
                .iter()
                .find(|entry| entry.version == row.number && row.submitted_ms.is_some())
                .cloned();
            attempts.push(AttemptSummary {
                id: row.id.clone(),
                number: row.number,
                started_ms: row.started_ms,
                deadline_ms: row.deadline_ms,
                submitted_ms: row.submitted_ms,
                submitted_by: row.submitted_by,
                answered,
                submission,
            });
        }
        let quiz = &item.quiz;
        Ok(QuizState {
            course_id: item.course_id.clone(),
            item_id: item.item_id.clone(),
            title: item.title.clone(),
            practice: quiz.mode == QuizMode::Practice,
            attempts_allowed: quiz.attempts,
            time_limit_minutes: quiz.time_limit_minutes,
            opens_ms: to_ms(quiz.opens),
            closes_ms: to_ms(quiz.closes),
            passing_score: quiz.passing_score,
            question_count: quiz.questions.len() as u32,
            max_score: quiz.questions.iter().map(|q| q.points).sum(),
            availability: availability(item, &rows, now_ms),
            current: rows
                .iter()
                .find(|row| row.submitted_ms.is_none())
                .map(|row| row.id.clone()),
            attempts,
            now_ms,
        })
    })
}

/// Starts an attempt, or returns the one in progress. Refused before the quiz opens, after it
/// closes and when every attempt is used.
pub fn start(
    db: &ProgressDb,
    item: &QuizItem,
    now_ms: i64,
    clock_offset_ms: Option<i64>,
) -> Result<AttemptView, AssessError> {
    let id = db.transact(|tx| {
        submit_expired_in(tx, item, now_ms)?;
        let rows = attempts_in(tx, item)?;
        if let Some(open) = rows.iter().find(|row| row.submitted_ms.is_none()) {
            return Ok(open.id.clone());
        }
        let quiz = &item.quiz;
        match availability(item, &rows, now_ms) {
            Availability::Open => {}
            Availability::NotYetOpen => {
                return Err(AssessError::NotYetOpen {
                    opens: quiz.opens.expect("not yet open means an opening"),
                });
            }
            Availability::Closed => {
                return Err(AssessError::Closed {
                    closed: quiz.closes.expect("closed means a closing"),
                });
            }
            Availability::NoAttemptsLeft => {
                return Err(AssessError::NoAttemptsLeft {
                    allowed: quiz.attempts,
                });
            }
        }
        let limit = quiz
            .time_limit_minutes
            .map(|minutes| now_ms + i64::from(minutes) * 60_000);
        let deadline = match (limit, to_ms(quiz.closes)) {
            (Some(limit), Some(closes)) => Some(limit.min(closes)),
            (limit, closes) => limit.or(closes),
        };
        let id = progress::new_event_id();
        let number = rows.last().map_or(1, |row| row.number + 1);
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).map_err(|error| AssessError::Io(error.to_string()))?;
        tx.execute(
            "INSERT INTO attempts (id, course_id, item_id, quiz_id, course_version,
                 definition_sha256, number, seed, started_ms, clock_offset_ms, deadline_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                id,
                item.course_id,
                item.item_id,
                quiz.id,
                item.course_version,
                item.sha256,
                number,
                i64::from_le_bytes(seed),
                now_ms,
                clock_offset_ms,
                deadline
            ],
        )?;
        progress::record_in(tx, &[opened(item, now_ms)])?;
        Ok(id)
    })?;
    attempt(db, item, &id, now_ms)
}

fn opened(item: &QuizItem, now_ms: i64) -> progress::Event {
    progress::Event {
        id: progress::new_event_id(),
        course_id: item.course_id.clone(),
        item_id: item.item_id.clone(),
        kind: progress::EventKind::Opened,
        at_ms: now_ms,
        value: None,
        unit: None,
        end: None,
    }
}

/// An attempt for the player (in progress) or its review (submitted). One whose time ran out is
/// submitted first.
pub fn attempt(
    db: &ProgressDb,
    item: &QuizItem,
    attempt_id: &str,
    now_ms: i64,
) -> Result<AttemptView, AssessError> {
    db.transact(|tx| {
        submit_expired_in(tx, item, now_ms)?;
        let row = attempt_in(tx, item, attempt_id)?;
        let saved = answers_in(tx, attempt_id)?;
        let practice = item.quiz.mode == QuizMode::Practice;
        let submitted = row.submitted_ms.is_some();
        let questions = grade::present(&item.quiz, row.seed as u64)
            .into_iter()
            .map(|question| {
                let saved = saved.get(&question.id);
                let feedback = (practice
                    && (submitted || saved.is_some_and(|s| s.checked_ms.is_some())))
                .then(|| feedback_on(item, &question.id, saved.map(|s| &s.answer)))
                .flatten();
                AttemptQuestion {
                    answer: saved.map(|s| s.answer.clone()),
                    saved_ms: saved.map(|s| s.saved_ms),
                    feedback,
                    question,
                }
            })
            .collect();
        let submission = outbox::for_item_in(tx, &item.course_id, &item.item_id)?
            .into_iter()
            .find(|entry| submitted && entry.version == row.number);
        Ok(AttemptView {
            id: row.id,
            course_id: item.course_id.clone(),
            item_id: item.item_id.clone(),
            title: item.title.clone(),
            number: row.number,
            practice,
            passing_score: item.quiz.passing_score,
            started_ms: row.started_ms,
            deadline_ms: row.deadline_ms,
            now_ms,
            submitted_ms: row.submitted_ms,
            submitted_by: row.submitted_by,
            questions,
            grade: submission.as_ref().and_then(|entry| entry.grade.clone()),
            submission,
        })
    })
}

fn feedback_on(
    item: &QuizItem,
    question_id: &str,
    answer: Option<&Answer>,
) -> Option<QuestionFeedback> {
    let question = item.quiz.questions.iter().find(|q| q.id == question_id)?;
    Some(QuestionFeedback {
        grade: grade::grade_question(question, answer),
        feedback: question.feedback.clone(),
        key: grade::key_answer(question),
    })
}

/// When an answer was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    /// Unix ms.
    #[ts(type = "number")]
    pub saved_ms: i64,
}

fn open_attempt_in(
    tx: &Transaction<'_>,
    item: &QuizItem,
    attempt_id: &str,
    now_ms: i64,
) -> Result<AttemptRow, AssessError> {
    submit_expired_in(tx, item, now_ms)?;
    let row = attempt_in(tx, item, attempt_id)?;
    if row.submitted_ms.is_some() {
        return Err(if row.submitted_by == Some(SubmittedBy::TimeLimit) {
            AssessError::TimeUp
        } else {
            AssessError::AlreadySubmitted
        });
    }
    Ok(row)
}

/// Saves the answer to one question, durably, before returning. Refused once the attempt is
/// submitted or its time is up, for a question checked in practice mode, and for an answer that
/// does not fit the question.
pub fn save_answer(
    db: &ProgressDb,
    item: &QuizItem,
    attempt_id: &str,
    question_id: &str,
    answer: &Answer,
    now_ms: i64,
) -> Result<Saved, AssessError> {
    let question = item
        .quiz
        .questions
        .iter()
        .find(|q| q.id == question_id)
        .ok_or_else(|| AssessError::NotFound {
            what: "question",
            id: question_id.to_owned(),
        })?;
    grade::check_answer(question, answer).map_err(AssessError::BadAnswer)?;
    let json = serde_json::to_string(answer).expect("answers serialize");
    db.transact(|tx| {
        open_attempt_in(tx, item, attempt_id, now_ms)?;
        let checked: Option<Option<i64>> = tx
            .query_row(
                "SELECT checked_ms FROM answers WHERE attempt_id = ?1 AND question_id = ?2",
                params![attempt_id, question_id],
                |row| row.get(0),
            )
            .optional()?;
        if checked.flatten().is_some() {
            return Err(AssessError::Checked);
        }
        tx.execute(
            "INSERT INTO answers (attempt_id, question_id, answer, saved_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (attempt_id, question_id)
             DO UPDATE SET answer = excluded.answer, saved_ms = excluded.saved_ms",
            params![attempt_id, question_id, json, now_ms],
        )?;
        Ok(Saved { saved_ms: now_ms })
    })
}

/// Practice mode: locks the question's answer and gives its feedback.
pub fn check(
    db: &ProgressDb,
    item: &QuizItem,
    attempt_id: &str,
    question_id: &str,
    now_ms: i64,
) -> Result<QuestionFeedback, AssessError> {
    if item.quiz.mode != QuizMode::Practice {
        return Err(AssessError::NotPractice);
    }
    db.transact(|tx| {
        open_attempt_in(tx, item, attempt_id, now_ms)?;
        let changed = tx.execute(
            "UPDATE answers SET checked_ms = coalesce(checked_ms, ?3)
             WHERE attempt_id = ?1 AND question_id = ?2",
            params![attempt_id, question_id, now_ms],
        )?;
        if changed == 0 {
            return Err(AssessError::Unanswered);
        }
        let saved = answers_in(tx, attempt_id)?;
        feedback_on(item, question_id, saved.get(question_id).map(|s| &s.answer)).ok_or_else(|| {
            AssessError::NotFound {
                what: "question",
                id: question_id.to_owned(),
            }
        })
    })
}

/// Submits the attempt into the outbox, once: a second submit fails with
/// [`AssessError::AlreadySubmitted`] and changes nothing.
pub fn submit(
    db: &ProgressDb,
    item: &QuizItem,
    attempt_id: &str,
    now_ms: i64,
) -> Result<OutboxEntry, AssessError> {
    db.transact(|tx| {
        let row = open_attempt_in(tx, item, attempt_id, now_ms)?;
        submit_in(tx, item, &row, now_ms, SubmittedBy::Learner)
    })
}

fn source_of(attempt_id: &str) -> String {
    format!("attempt:{attempt_id}")
}

/// How many quiz attempts are in progress at `now_ms` (started, not submitted, time not run out):
/// Carrel does not restart for an update while there is one.
pub fn open_count(db: &ProgressDb, now_ms: i64) -> Result<u32, AssessError> {
    db.transact(|tx| {
        Ok(tx.query_row(
            "SELECT COUNT(*) FROM attempts WHERE submitted_ms IS NULL
             AND (deadline_ms IS NULL OR deadline_ms > ?1)",
            [now_ms],
            |row| row.get(0),
        )?)
    })
}

/// Submits the item's attempt in progress if its deadline has passed, with the answers saved
/// before it; returns its outbox entry then. Every other call does this first too; the shell
/// calls it on its own to tell the UI the outbox changed.
pub fn submit_expired(
    db: &ProgressDb,
    item: &QuizItem,
    now_ms: i64,
) -> Result<Option<OutboxEntry>, AssessError> {
    db.transact(|tx| submit_expired_in(tx, item, now_ms))
}

fn submit_expired_in(
    tx: &Transaction<'_>,
    item: &QuizItem,
    now_ms: i64,
) -> Result<Option<OutboxEntry>, AssessError> {
    let expired = tx
        .prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE course_id = ?1 AND item_id = ?2
             AND submitted_ms IS NULL AND deadline_ms IS NOT NULL AND deadline_ms <= ?3"
        ))?
        .query_row(params![item.course_id, item.item_id, now_ms], attempt_row)
        .optional()?;
    let Some(row) = expired else {
        return Ok(None);
    };
    let deadline = row.deadline_ms.expect("selected on its deadline");
    submit_in(tx, item, &row, deadline, SubmittedBy::TimeLimit).map(Some)
}

fn submit_in(
    tx: &Transaction<'_>,
    item: &QuizItem,
    row: &AttemptRow,
    submitted_ms: i64,
    by: SubmittedBy,
) -> Result<OutboxEntry, AssessError> {
    let closed = tx.execute(
        "UPDATE attempts SET submitted_ms = ?2, submitted_by = ?3 WHERE id = ?1 AND submitted_ms IS NULL",
        params![
            row.id,
            submitted_ms,
            match by {
                SubmittedBy::Learner => "learner",
                SubmittedBy::TimeLimit => "time_limit",
            }
        ],
    )?;
    if closed != 1 {
        return Err(AssessError::AlreadySubmitted);
    }
    let saved = answers_in(tx, &row.id)?;
    let answers: Vec<SubmittedAnswer> = item
        .quiz
        .questions
        .iter()
        .filter_map(|question| {
            let saved = saved.get(&question.id)?;
            Some(SubmittedAnswer {
                question_id: question.id.clone(),
                answer: saved.answer.clone(),
                saved_ms: saved.saved_ms,
            })
        })
        .collect();
    let id = progress::new_event_id();
    let submission = QuizSubmission {
        submission_id: id.clone(),
        course_id: item.course_id.clone(),
        course_version: item.course_version.clone(),
        item_id: item.item_id.clone(),
        quiz_id: item.quiz.id.clone(),
        definition_sha256: item.sha256.clone(),
        attempt_id: row.id.clone(),
        attempt_number: row.number,
        started_ms: row.started_ms,
        deadline_ms: row.deadline_ms,
        submitted_ms,
        submitted_by: by,
        clock_offset_ms: row.clock_offset_ms,
        answers,
    };
    let grade = (item.quiz.mode == QuizMode::Practice).then(|| {
        let answers = saved
            .into_iter()
            .map(|(question_id, saved)| (question_id, saved.answer))
            .collect();
        grade::grade_quiz(&item.quiz, &answers)
    });
    let payload = serde_json::to_vec(&submission).expect("submissions serialize");
    let source = source_of(&row.id);
    outbox::enqueue(
        tx,
        &id,
        &NewSubmission {
            kind: SubmissionKind::Quiz,
            course_id: &item.course_id,
            item_id: &item.item_id,
            title: &item.title,
            source: &source,
            version: row.number,
            payload: &payload,
            grade: grade.as_ref(),
            attachments: &[],
            due_ms: to_ms(item.quiz.closes),
            now_ms: submitted_ms,
        },
    )?;
    let mut completed = opened(item, submitted_ms);
    completed.kind = progress::EventKind::Completed;
    progress::record_in(tx, &[completed])?;
    let entry = outbox::for_item_in(tx, &item.course_id, &item.item_id)?
        .into_iter()
        .find(|entry| entry.id == id)
        .expect("just queued");
    Ok(entry)
}
