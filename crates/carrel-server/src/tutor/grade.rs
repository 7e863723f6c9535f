//! Grading a submission: a tutor's [`GradeInput`] becomes its grade (replacing any earlier one,
//! the server's automatic grade of a quiz included) and a [`Grade`] change in the learner's feed,
//! in one transaction.
//!
//! By default the points possible are the quiz's total (from its definition and answer keys) or
//! 100 for an assignment, and a quiz's pass is computed from its passing score; an assignment has
//! no pass unless the tutor gives one. The score must be a finite number between 0 and the points
//! possible.

use crate::storage::sql::params;
use carrel_protocol::changes::{ChangeBody, Grade};
use carrel_protocol::submissions::SubmissionKind;
use carrel_protocol::tutor::{GradeInput, SubmissionSummary};

use super::{Actor, TutorError, signature_in, summary_in, visible_in};
use crate::storage::{Storage, StorageError};

/// Points possible for an assignment when the tutor does not say.
pub const DEFAULT_ASSIGNMENT_POINTS: f64 = 100.0;
/// Longest feedback, in characters.
pub const MAX_FEEDBACK_CHARS: usize = 100_000;
/// Slack when comparing a fraction with a passing score (as the client's grading does).
const PASS_EPSILON: f64 = 1e-9;

/// A grade to store.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewGrade {
    pub score: f64,
    pub max_score: f64,
    pub passed: Option<bool>,
    pub complete: bool,
    pub feedback: Option<String>,
    /// The tutor's name, or `None` for the server's automatic grading.
    pub graded_by: Option<String>,
    pub grader_id: Option<i64>,
    /// The automatic grading's detail (JSON); `None` keeps what is stored.
    pub detail: Option<String>,
}

/// Stores `grade` as submission `server_id`'s grade and appends it to its learner's feed.
pub(crate) fn write_in(
    tx: &crate::storage::sql::Conn<'_>,
    server_id: i64,
    grade: &NewGrade,
) -> Result<Grade, StorageError> {
    tx.prepare_cached(
        "INSERT INTO grades (submission_id, score, max_score, passed, complete, feedback,
             graded_by, grader_id, graded_ms, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (submission_id) DO UPDATE SET
             score = excluded.score, max_score = excluded.max_score, passed = excluded.passed,
             complete = excluded.complete, feedback = excluded.feedback,
             graded_by = excluded.graded_by, grader_id = excluded.grader_id,
             graded_ms = excluded.graded_ms, detail = coalesce(excluded.detail, grades.detail)",
    )?
    .execute(params![
        server_id,
        grade.score,
        grade.max_score,
        grade.passed,
        grade.complete,
        grade.feedback,
        grade.graded_by,
        grade.grader_id,
        carrel_protocol::unix_time_ms() as i64,
        grade.detail,
    ])?;
    let summary = summary_in(tx, server_id)?
        .ok_or_else(|| StorageError::Task(format!("submission {server_id} vanished")))?;
    let stored = summary
        .grade
        .ok_or_else(|| StorageError::Task(format!("the grade of {server_id} vanished")))?;
    crate::changes::append_in(
        tx,
        Some(summary.learner.id),
        &summary.course_id,
        &ChangeBody::Grade(stored.clone()),
    )?;
    // SCORM and cmi5 results carry their own statements (see `crate::xapi`).
    if stored.kind.graded_by_tutor() {
        crate::xapi::queue_in(tx, server_id, &crate::xapi::grade_statements(&stored))?;
    }
    Ok(stored)
}

/// Points possible and passing score (a fraction) of `summary`'s item when the tutor does not
/// say: a quiz's from its definition, else its automatic grade's; an assignment's 100 and none.
fn defaults_in(
    conn: &crate::storage::sql::Conn<'_>,
    summary: &SubmissionSummary,
) -> Result<(f64, Option<f64>), StorageError> {
    if summary.kind == SubmissionKind::Assignment {
        return Ok((DEFAULT_ASSIGNMENT_POINTS, None));
    }
    if let Some(quiz) = crate::autograde::quiz_of_in(conn, summary.server_id)? {
        let total = quiz
            .questions
            .iter()
            .map(|question| question.points)
            .filter(|points| points.is_finite() && *points >= 0.0)
            .sum();
        return Ok((total, Some(quiz.passing_score)));
    }
    Ok((
        summary
            .grade
            .as_ref()
            .map_or(DEFAULT_ASSIGNMENT_POINTS, |grade| grade.max_score),
        None,
    ))
}

/// Checks `input` against the defaults; returns the score, points possible and pass to store.
fn checked(
    input: &GradeInput,
    default_max: f64,
    passing: Option<f64>,
) -> Result<(f64, f64, Option<bool>), TutorError> {
    let max = input.max_score.unwrap_or(default_max);
    if !max.is_finite() || max < 0.0 {
        return Err(TutorError::InvalidGrade(format!(
            "the points possible must be a number ≥ 0, not {max}"
        )));
    }
    if !input.score.is_finite() || input.score < 0.0 || input.score > max {
        return Err(TutorError::InvalidGrade(format!(
            "the score must be a number between 0 and {max}, not {}",
            input.score
        )));
    }
    if let Some(feedback) = &input.feedback
        && feedback.chars().count() > MAX_FEEDBACK_CHARS
    {
        return Err(TutorError::InvalidGrade(format!(
            "the feedback is longer than {MAX_FEEDBACK_CHARS} characters"
        )));
    }
    let passed = input.passed.or_else(|| {
        passing.map(|passing| {
            let fraction = if max > 0.0 { input.score / max } else { 1.0 };
            fraction + PASS_EPSILON >= passing
        })
    });
    Ok((input.score, max, passed))
}

/// Grades submission `server_id` as `actor`; returns the grade as the learner will see it.
pub async fn set(
    storage: &Storage,
    actor: Actor,
    server_id: i64,
    input: GradeInput,
) -> Result<Grade, TutorError> {
    storage
        .transact(move |tx| {
            let result = (|| {
                let summary = visible_in(tx, &actor, server_id)?;
                if summary.kind == SubmissionKind::ForumPost {
                    return Err(TutorError::InvalidGrade(
                        "forum posts are not graded; hide or pin them with `forum-post` instead"
                            .into(),
                    ));
                }
                let (name, grader_id) = signature_in(tx, &actor)?;
                let (default_max, passing) = defaults_in(tx, &summary)?;
                let (score, max_score, passed) = checked(&input, default_max, passing)?;
                let feedback = input
                    .feedback
                    .as_deref()
                    .map(str::trim)
                    .filter(|text| !text.is_empty())
                    .map(str::to_owned);
                let grade = NewGrade {
                    score,
                    max_score,
                    passed,
                    complete: true,
                    feedback,
                    graded_by: Some(name),
                    grader_id,
                    detail: None,
                };
                Ok(write_in(tx, server_id, &grade)?)
            })();
            match result {
                // Roll back whatever was written before the failure.
                Err(TutorError::Storage(error)) => Err(error),
                // A refusal is an answer: nothing was written.
                answer => Ok(answer),
            }
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(score: f64, max: Option<f64>, passed: Option<bool>) -> GradeInput {
        GradeInput {
            score,
            max_score: max,
            passed,
            feedback: None,
        }
    }

    /// An input, the default points possible and passing score, and what is stored (or refused).
    type Case = (
        GradeInput,
        f64,
        Option<f64>,
        Option<(f64, f64, Option<bool>)>,
    );

    #[test]
    fn scores_are_checked_and_passes_follow_the_passing_score() {
        let cases: &[Case] = &[
            (
                input(7.0, None, None),
                10.0,
                Some(0.7),
                Some((7.0, 10.0, Some(true))),
            ),
            (
                input(6.9, None, None),
                10.0,
                Some(0.7),
                Some((6.9, 10.0, Some(false))),
            ),
            (
                input(6.9, None, Some(true)),
                10.0,
                Some(0.7),
                Some((6.9, 10.0, Some(true))),
            ),
            (
                input(80.0, None, None),
                100.0,
                None,
                Some((80.0, 100.0, None)),
            ),
            (
                input(4.0, Some(5.0), None),
                100.0,
                None,
                Some((4.0, 5.0, None)),
            ),
            (
                input(0.0, Some(0.0), None),
                10.0,
                Some(0.5),
                Some((0.0, 0.0, Some(true))),
            ),
            (input(11.0, None, None), 10.0, None, None),
            (input(-1.0, None, None), 10.0, None, None),
            (input(f64::NAN, None, None), 10.0, None, None),
            (
                input(f64::INFINITY, Some(f64::INFINITY), None),
                10.0,
                None,
                None,
            ),
            (input(1.0, Some(-5.0), None), 10.0, None, None),
        ];
        for (input, max, passing, expected) in cases {
            let got = checked(input, *max, *passing).ok();
            assert_eq!(
                &got, expected,
                "{input:?} with max {max}, passing {passing:?}"
            );
        }
    }
}
