//! Quizzes and assignments, taken and written offline.
//!
//! - [`answer`]: what a learner answers and how a question is shown (never with its key).
//! - [`grade`]: grading as a pure function of a definition and answers, and the seeded order an
//!   attempt presents its questions and choices in.
//! - [`attempts`]: the attempt lifecycle in the progress database — start, every answer saved as it
//!   is given, a wall-clock time limit that keeps running across restarts, submit.
//! - [`assignments`]: drafts with autosave and a short version history, attachments copied into
//!   the [`attachments`] store by hash, submit and resubmit.
//! - [`outbox`]: the durable queue of submissions the sync sends; a submission enters it in the
//!   same transaction that closes its attempt or draft revision, under a unique key, so it can
//!   never be queued twice.
//!
//! Everything the learner does here is written to the progress database before the call returns.

pub mod answer;
pub mod assignments;
pub mod attachments;
pub mod attempts;
pub mod grade;
pub mod outbox;

pub use answer::{Answer, PresentedKind, PresentedQuestion, ShownOption};
use carrel_package::activity::{AssignmentDefinition, QuizDefinition};
use carrel_package::manifest::ItemKind;

use crate::library::Library;
use crate::progress::ProgressError;

/// Why a quiz or assignment action failed; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// The progress database failed.
    #[error(transparent)]
    Progress(#[from] ProgressError),
    /// Reading the installed course failed.
    #[error("the course cannot be read: {0}")]
    Store(#[from] carrel_package::store::StoreError),
    /// No such course, item, attempt, question…
    #[error("there is no {what} “{id}” here")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The item is not a quiz, or not an assignment.
    #[error("“{0}” is not a {1}")]
    WrongKind(String, &'static str),
    /// The definition file is missing or cannot be read.
    #[error("the {0} cannot be read from the course ({1}); repair the course from the Library")]
    Damaged(&'static str, String),
    /// The quiz does not open yet.
    #[error("this quiz opens on {opens}; come back then")]
    NotYetOpen {
        /// When it opens.
        opens: jiff::Timestamp,
    },
    /// The quiz closed.
    #[error("this quiz closed on {closed}; no new attempt can start")]
    Closed {
        /// When it closed.
        closed: jiff::Timestamp,
    },
    /// Every attempt is used.
    #[error("you have used all {allowed} attempts at this quiz")]
    NoAttemptsLeft {
        /// Attempts allowed.
        allowed: u32,
    },
    /// The time limit passed; the attempt was submitted with the answers saved until then.
    #[error("time is up: your attempt was submitted with the answers saved until then")]
    TimeUp,
    /// Already submitted; nothing changed.
    #[error("this was already submitted; it is in the Outbox")]
    AlreadySubmitted,
    /// A practice answer was checked and is locked.
    #[error("this answer was checked and can no longer change")]
    Checked,
    /// Checking a question needs an answer.
    #[error("answer the question before checking it")]
    Unanswered,
    /// Checking is for practice quizzes.
    #[error("this quiz is graded after it is submitted; answers are not checked one by one")]
    NotPractice,
    /// The answer does not fit the question.
    #[error("this answer does not fit the question: {0}")]
    BadAnswer(String),
    /// An attachment was refused or is damaged; the draft is unchanged.
    #[error("“{name}” cannot be attached: {problem}. Your draft is unchanged")]
    Attachment {
        /// File name.
        name: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The draft changed after the learner reviewed it.
    #[error("your draft changed since you reviewed it; review it again, then submit")]
    DraftChanged,
    /// Not ready to submit; the message says why.
    #[error("{0}")]
    NotReady(String),
    /// The assignment takes one submission.
    #[error("this assignment takes one submission, and yours is in the Outbox")]
    NoResubmission,
    /// A file operation failed.
    #[error("{0}")]
    Io(String),
}

/// Reads the installed definition of a quiz item.
pub fn quiz_item(
    library: &Library,
    course_id: &str,
    item_id: &str,
) -> Result<attempts::QuizItem, AssessError> {
    let (course_version, title, path, bytes) = definition(library, course_id, item_id, "quiz")?;
    let quiz: QuizDefinition = serde_json::from_slice(&bytes)
        .map_err(|error| AssessError::Damaged("quiz", format!("{path}: {error}")))?;
    Ok(attempts::QuizItem {
        course_id: course_id.to_owned(),
        course_version,
        item_id: item_id.to_owned(),
        title,
        sha256: outbox::sha256_hex(&bytes),
        quiz,
    })
}

/// Reads the installed definition of an assignment item.
pub fn assignment_item(
    library: &Library,
    course_id: &str,
    item_id: &str,
) -> Result<assignments::AssignmentItem, AssessError> {
    let (course_version, title, path, bytes) =
        definition(library, course_id, item_id, "assignment")?;
    let assignment: AssignmentDefinition = serde_json::from_slice(&bytes)
        .map_err(|error| AssessError::Damaged("assignment", format!("{path}: {error}")))?;
    Ok(assignments::AssignmentItem {
        course_id: course_id.to_owned(),
        course_version,
        item_id: item_id.to_owned(),
        title,
        assignment,
    })
}

fn definition(
    library: &Library,
    course_id: &str,
    item_id: &str,
    kind: &'static str,
) -> Result<(String, String, String, Vec<u8>), AssessError> {
    let (course_version, item) = installed_item(library, course_id, item_id)?;
    let path = match (&item.kind, kind) {
        (ItemKind::Quiz { path }, "quiz") | (ItemKind::Assignment { path }, "assignment") => {
            path.clone()
        }
        _ => return Err(AssessError::WrongKind(item.title.clone(), kind)),
    };
    let file = library
        .file(course_id, &path)?
        .ok_or_else(|| AssessError::Damaged(kind, format!("{path} is missing")))?;
    let bytes = std::fs::read(&file.path)
        .map_err(|error| AssessError::Damaged(kind, format!("{path}: {error}")))?;
    Ok((course_version, item.title.clone(), path, bytes))
}

/// Item `item_id` of the installed course `course_id`, with the course's version.
pub(crate) fn installed_item(
    library: &Library,
    course_id: &str,
    item_id: &str,
) -> Result<(String, carrel_package::manifest::Item), AssessError> {
    let course = library
        .store()
        .course(course_id)?
        .ok_or_else(|| AssessError::NotFound {
            what: "course",
            id: course_id.to_owned(),
        })?;
    let item = course
        .manifest
        .items()
        .map(|(_, _, item)| item)
        .find(|item| item.id == item_id)
        .ok_or_else(|| AssessError::NotFound {
            what: "item",
            id: item_id.to_owned(),
        })?
        .clone();
    Ok((course.manifest.course.version, item))
}
