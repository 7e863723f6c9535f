//! The server grades quiz attempts itself, with the client's own grading code
//! (`carrel_core::assess::grade`), so a learner's device and the server always agree.
//!
//! When a course version is published, the definition of each of its quizzes is kept
//! (`quiz_definitions`), found by the SHA-256 of the quiz file the package ships: a practice quiz
//! ships its key; a graded quiz ships without one and its key comes from the answer-keys file
//! `carrel-pack build` writes beside the package, checked to be that very quiz with its key
//! ([`keyed_definitions`]). When a quiz submission is stored, it is graded in the same transaction
//! by the definition it names (`definitionSha256`), if the server has that definition's key: the
//! grade (`graded_by` none, `complete` false while essays wait for a tutor, `detail` the
//! question-by-question `QuizGrade`) and its change in the learner's feed are committed with it.
//! A submission the server cannot grade (an unknown definition, a graded quiz published without
//! its keys) waits for a tutor. A tutor's grade replaces the automatic one.
//!
//! The result of a SCORM or cmi5 session carries the score its content reported
//! ([`record_runtime_in`]): that score, as a percentage, is its grade, with `passed` from its
//! success status. Such results never wait for a tutor.

use std::collections::BTreeMap;

use crate::storage::sql::{OptionalExtension, params};
use carrel_core::assess::attempts::QuizSubmission;
use carrel_core::assess::grade::grade_quiz;
use carrel_core::runtime::RuntimeResult;
use carrel_package::activity::{QuizDefinition, QuizMode};

use crate::storage::StorageError;
use crate::tutor::grade::{NewGrade, write_in};

/// A published quiz's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptQuiz {
    /// The quiz item's id.
    pub item_id: String,
    /// SHA-256 of the quiz file in the package.
    pub definition_sha256: String,
    /// The definition, with its key when [`KeptQuiz::keyed`].
    pub definition: QuizDefinition,
    /// The server can grade it.
    pub keyed: bool,
}

/// A quiz file as a package ships it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedQuiz {
    /// The quiz item's id.
    pub item_id: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Its path in the package.
    pub path: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Why a package's quizzes and answer keys do not go together.
#[derive(Debug, thiserror::Error)]
pub enum AnswerKeyError {
    /// The answer-keys file could not be read.
    #[error("could not read the answer keys {path}: {reason}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// A key does not match the quiz the package ships.
    #[error(
        "the answer keys of the quiz “{0}” are not those of the quiz in this package; \
         give the answer-keys file built with this very package"
    )]
    Mismatch(String),
    /// A quiz file of the package is not a quiz definition.
    #[error("the quiz file {path} in the package cannot be read: {reason}")]
    Quiz {
        /// Its path in the package.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Reads an answer-keys file: a JSON array of full quiz definitions.
pub fn read_answer_keys(path: &std::path::Path) -> Result<Vec<QuizDefinition>, AnswerKeyError> {
    let fail = |reason: String| AnswerKeyError::Read {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|error| fail(error.to_string()))?;
    let keys: Vec<QuizDefinition> =
        serde_json::from_slice(&bytes).map_err(|error| fail(error.to_string()))?;
    for key in &keys {
        key.validate(true)
            .map_err(|error| fail(format!("quiz “{}”: {}", key.id, error.problem)))?;
    }
    Ok(keys)
}

/// The definitions to keep for a package's quizzes: `shipped` as the package holds them, `keys`
/// the answer keys given with it.
pub fn keyed_definitions(
    shipped: Vec<ShippedQuiz>,
    keys: &[QuizDefinition],
) -> Result<Vec<KeptQuiz>, AnswerKeyError> {
    let mut kept = Vec::new();
    for ShippedQuiz {
        item_id,
        sha256,
        path,
        bytes,
    } in shipped
    {
        let quiz: QuizDefinition =
            serde_json::from_slice(&bytes).map_err(|error| AnswerKeyError::Quiz {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        let key = keys.iter().find(|key| key.id == quiz.id);
        let (definition, keyed) = match (quiz.mode, key) {
            (QuizMode::Practice, _) => (quiz, true),
            (QuizMode::Graded, Some(key)) if key.without_key() == quiz => (key.clone(), true),
            (QuizMode::Graded, Some(_)) => return Err(AnswerKeyError::Mismatch(quiz.id)),
            (QuizMode::Graded, None) => {
                tracing::warn!(quiz = %quiz.id, "no answer keys for this graded quiz: its submissions wait for a tutor");
                (quiz, false)
            }
        };
        kept.push(KeptQuiz {
            item_id,
            definition_sha256: sha256,
            definition,
            keyed,
        });
    }
    Ok(kept)
}

/// Keeps `quizzes` of version `version` of `course_id` (a definition already kept is replaced
/// only to gain its key).
pub(crate) fn keep_in(
    tx: &crate::storage::sql::Conn<'_>,
    course_id: &str,
    version: &str,
    quizzes: &[KeptQuiz],
) -> Result<(), StorageError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO quiz_definitions
             (course_id, item_id, definition_sha256, quiz_id, version, definition, keyed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (course_id, item_id, definition_sha256) DO UPDATE SET
             definition = excluded.definition, keyed = 1
         WHERE excluded.keyed = 1 AND quiz_definitions.keyed = 0",
    )?;
    for quiz in quizzes {
        let definition = serde_json::to_string(&quiz.definition)
            .map_err(|error| StorageError::Task(format!("a quiz does not serialise: {error}")))?;
        insert.execute(params![
            course_id,
            quiz.item_id,
            quiz.definition_sha256,
            quiz.definition.id,
            version,
            definition,
            quiz.keyed
        ])?;
    }
    Ok(())
}

/// The kept definition `(definition, keyed)` a quiz submission names.
fn definition_in(
    conn: &crate::storage::sql::Conn<'_>,
    course_id: &str,
    item_id: &str,
    definition_sha256: &str,
) -> Result<Option<(QuizDefinition, bool)>, StorageError> {
    let found: Option<(String, bool)> = conn
        .prepare_cached(
            "SELECT definition, keyed FROM quiz_definitions
             WHERE course_id = ?1 AND item_id = ?2 AND definition_sha256 = ?3",
        )?
        .query_row(params![course_id, item_id, definition_sha256], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    Ok(found.and_then(|(json, keyed)| {
        serde_json::from_str(&json)
            .ok()
            .map(|definition| (definition, keyed))
    }))
}

/// The definition of the quiz stored submission `server_id` answers, if the server has it.
pub(crate) fn quiz_of_in(
    conn: &crate::storage::sql::Conn<'_>,
    server_id: i64,
) -> Result<Option<QuizDefinition>, StorageError> {
    let (course_id, item_id, payload): (String, String, String) = conn.query_row(
        "SELECT course_id, item_id, payload FROM submissions WHERE id = ?1",
        [&server_id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let Ok(submission) = serde_json::from_str::<QuizSubmission>(&payload) else {
        return Ok(None);
    };
    Ok(
        definition_in(conn, &course_id, &item_id, &submission.definition_sha256)?
            .map(|(definition, _)| definition),
    )
}

/// Grades the quiz submission just stored as `server_id` with `payload`, if the server has the
/// key of the definition it names; stores the grade and its change. Returns whether it graded.
pub(crate) fn grade_in(
    tx: &crate::storage::sql::Conn<'_>,
    server_id: i64,
    course_id: &str,
    item_id: &str,
    payload: &str,
) -> Result<bool, StorageError> {
    let submission = match serde_json::from_str::<QuizSubmission>(payload) {
        Ok(submission) => submission,
        Err(error) => {
            tracing::warn!(server_id, %error, "a quiz submission the server cannot read waits for a tutor");
            return Ok(false);
        }
    };
    let Some((quiz, true)) = definition_in(tx, course_id, item_id, &submission.definition_sha256)?
    else {
        tracing::info!(
            server_id,
            course_id,
            item_id,
            "no key for this quiz definition: the submission waits for a tutor"
        );
        return Ok(false);
    };
    if quiz.id != submission.quiz_id {
        tracing::warn!(
            server_id,
            "the submission names another quiz than its definition: it waits for a tutor"
        );
        return Ok(false);
    }
    let answers: BTreeMap<_, _> = submission
        .answers
        .into_iter()
        .map(|answer| (answer.question_id, answer.answer))
        .collect();
    let grade = grade_quiz(&quiz, &answers);
    let detail = serde_json::to_string(&grade)
        .map_err(|error| StorageError::Task(format!("a grade does not serialise: {error}")))?;
    write_in(
        tx,
        server_id,
        &NewGrade {
            score: grade.score,
            max_score: grade.max_score,
            passed: grade.passed,
            complete: grade.fraction.is_some(),
            feedback: None,
            graded_by: None,
            grader_id: None,
            detail: Some(detail),
        },
    )?;
    Ok(true)
}

/// Records the score a SCORM or cmi5 session reported (`payload`, a [`RuntimeResult`]) as the
/// grade of submission `server_id`, in the transaction that stores it; `false` when the session
/// reported no score (or the payload is not a result the server can read), which leaves it
/// ungraded.
pub(crate) fn record_runtime_in(
    tx: &crate::storage::sql::Conn<'_>,
    server_id: i64,
    payload: &str,
) -> Result<bool, StorageError> {
    let result = match serde_json::from_str::<RuntimeResult>(payload) {
        Ok(result) => result,
        Err(error) => {
            tracing::warn!(server_id, %error, "a SCORM or cmi5 result the server cannot read");
            return Ok(false);
        }
    };
    let Some(scaled) = result.score_scaled.filter(|s| s.is_finite()) else {
        return Ok(false);
    };
    let passed = match result.success_status.as_str() {
        "passed" => Some(true),
        "failed" => Some(false),
        _ => None,
    };
    write_in(
        tx,
        server_id,
        &NewGrade {
            score: (scaled.clamp(0.0, 1.0) * 100.0 * 100.0).round() / 100.0,
            max_score: 100.0,
            passed,
            complete: true,
            feedback: None,
            graded_by: None,
            grader_id: None,
            detail: None,
        },
    )?;
    Ok(true)
}
