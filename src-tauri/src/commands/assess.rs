//! Quizzes, assignments and the outbox: thin commands over [`carrel_core::assess`].
//!
//! Every write is committed to the progress database before the command answers, so what the UI
//! shows as saved or submitted is on disk. Submitting tells the UI (`outbox-changed`,
//! `progress-changed`) so the Outbox and the course outline follow.

use carrel_core::assess::assignments::{self, AssignmentState, Draft, DraftEdit};
use carrel_core::assess::attempts::{self, AttemptView, QuestionFeedback, QuizState, Saved};
use carrel_core::assess::outbox::{self, AttachmentInfo, OutboxEntry};
use carrel_core::assess::{self, Answer, AssessError};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use super::courses::{blocking, now_ms, pick_files, progress_error, store_error};
use crate::error::{CommandError, codes};
use crate::events;
use crate::state::AppState;

pub(crate) fn assess_error(error: AssessError) -> CommandError {
    let message = error.to_string();
    let code = match error {
        AssessError::Progress(error) => return progress_error(error),
        AssessError::Store(error) => return store_error(error),
        AssessError::Io(_) => {
            return CommandError::internal("Your work could not be saved", message);
        }
        AssessError::NotFound { .. } | AssessError::WrongKind(..) => codes::NOT_INSTALLED,
        AssessError::Damaged(..) => codes::CONTENT_DAMAGED,
        AssessError::NotYetOpen { .. }
        | AssessError::Closed { .. }
        | AssessError::NoAttemptsLeft { .. } => codes::QUIZ_UNAVAILABLE,
        AssessError::TimeUp => codes::TIME_UP,
        AssessError::AlreadySubmitted => codes::ALREADY_SUBMITTED,
        AssessError::Checked
        | AssessError::Unanswered
        | AssessError::NotPractice
        | AssessError::BadAnswer(_) => codes::ANSWER_REFUSED,
        AssessError::Attachment { .. } => codes::ATTACHMENT_REFUSED,
        AssessError::DraftChanged => codes::DRAFT_CHANGED,
        AssessError::NotReady(_) | AssessError::NoResubmission => codes::NOT_READY,
    };
    CommandError::new(code, message)
}

/// Runs `work` with the progress database and the installed quiz, off the async runtime. An
/// attempt whose time ran out is submitted first, and the UI told.
async fn with_quiz<R: Runtime, T: Send + 'static>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: String,
    item_id: String,
    work: impl FnOnce(&carrel_core::progress::ProgressDb, &attempts::QuizItem) -> Result<T, AssessError>
    + Send
    + 'static,
) -> Result<T, CommandError> {
    let db = state.progress().db().await?;
    let library = state.library();
    let (expired, result) = blocking(move || {
        let item = assess::quiz_item(&library, &course_id, &item_id).map_err(assess_error)?;
        let expired = attempts::submit_expired(&db, &item, now_ms()).map_err(assess_error)?;
        Ok((expired, work(&db, &item).map_err(assess_error)))
    })
    .await?;
    if let Some(entry) = expired {
        submitted(app, state, &entry).await;
    }
    result
}

/// Runs `work` with the progress database and the installed assignment, off the async runtime.
async fn with_assignment<T: Send + 'static>(
    state: &AppState,
    course_id: String,
    item_id: String,
    work: impl FnOnce(
        &carrel_core::progress::ProgressDb,
        &assignments::AssignmentItem,
    ) -> Result<T, AssessError>
    + Send
    + 'static,
) -> Result<T, CommandError> {
    let db = state.progress().db().await?;
    let library = state.library();
    blocking(move || {
        let item = assess::assignment_item(&library, &course_id, &item_id).map_err(assess_error)?;
        work(&db, &item).map_err(assess_error)
    })
    .await
}

/// Tells the UI a submission was queued: the outbox and the item's progress changed.
pub(crate) async fn submitted<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    entry: &OutboxEntry,
) {
    events::emit_outbox_changed(app);
    state.sync().wake();
    if let Ok(db) = state.progress().db().await
        && let Ok(progress) = db.item(&entry.course_id, &entry.item_id)
    {
        events::emit_progress(
            app,
            events::ProgressChanged {
                course_id: entry.course_id.clone(),
                item_id: entry.item_id.clone(),
                progress,
            },
        );
    }
}

/// A quiz's settings, availability and attempts.
#[tauri::command]
pub async fn get_quiz<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<QuizState, CommandError> {
    with_quiz(&app, &state, course_id, item_id, |db, item| {
        attempts::quiz_state(db, item, now_ms())
    })
    .await
}

/// Starts an attempt (or returns the one in progress).
#[tauri::command]
pub async fn start_quiz_attempt<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<AttemptView, CommandError> {
    let offset = state.monitor().current().clock_offset_ms;
    with_quiz(&app, &state, course_id, item_id, move |db, item| {
        attempts::start(db, item, now_ms(), offset)
    })
    .await
}

/// An attempt, to resume or review.
#[tauri::command]
pub async fn get_quiz_attempt<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    attempt_id: String,
) -> Result<AttemptView, CommandError> {
    with_quiz(&app, &state, course_id, item_id, move |db, item| {
        attempts::attempt(db, item, &attempt_id, now_ms())
    })
    .await
}

/// Saves one answer, durably, before answering.
#[tauri::command]
pub async fn save_quiz_answer<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    attempt_id: String,
    question_id: String,
    answer: Answer,
) -> Result<Saved, CommandError> {
    with_quiz(&app, &state, course_id, item_id, move |db, item| {
        attempts::save_answer(db, item, &attempt_id, &question_id, &answer, now_ms())
    })
    .await
}

/// Practice quizzes: locks a question's answer and returns its feedback.
#[tauri::command]
pub async fn check_quiz_answer<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    attempt_id: String,
    question_id: String,
) -> Result<QuestionFeedback, CommandError> {
    with_quiz(&app, &state, course_id, item_id, move |db, item| {
        attempts::check(db, item, &attempt_id, &question_id, now_ms())
    })
    .await
}

/// Submits an attempt into the outbox, once.
#[tauri::command]
pub async fn submit_quiz_attempt<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    attempt_id: String,
) -> Result<OutboxEntry, CommandError> {
    let entry = with_quiz(&app, &state, course_id, item_id, move |db, item| {
        attempts::submit(db, item, &attempt_id, now_ms())
    })
    .await?;
    submitted(&app, &state, &entry).await;
    Ok(entry)
}

/// An assignment with the learner's draft, attachments, history and submissions.
#[tauri::command]
pub async fn get_assignment(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<AssignmentState, CommandError> {
    with_assignment(&state, course_id, item_id, |db, item| {
        assignments::state(db, item, now_ms())
    })
    .await
}

/// Saves the draft, durably, before answering.
#[tauri::command]
pub async fn save_assignment_draft(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    edit: DraftEdit,
) -> Result<Draft, CommandError> {
    with_assignment(&state, course_id, item_id, move |db, item| {
        assignments::save_draft(db, item, &edit, now_ms())
    })
    .await
}

/// The full text of an earlier version of the draft.
#[tauri::command]
pub async fn get_draft_version(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    version_id: i64,
) -> Result<String, CommandError> {
    with_assignment(&state, course_id, item_id, move |db, item| {
        assignments::version_text(db, item, version_id)
    })
    .await
}

/// Makes an earlier version the draft again (the current text is kept in the history).
#[tauri::command]
pub async fn restore_draft_version(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    version_id: i64,
) -> Result<Draft, CommandError> {
    with_assignment(&state, course_id, item_id, move |db, item| {
        assignments::restore_version(db, item, version_id, now_ms())
    })
    .await
}

/// Shows the system's open-file dialog for attachments, offering the assignment's allowed types;
/// empty when the learner cancels.
#[tauri::command]
pub async fn pick_attachments<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<Vec<String>, CommandError> {
    let library = state.library();
    let item = assess::assignment_item(&library, &course_id, &item_id).map_err(assess_error)?;
    let extensions: Vec<&str> = item
        .assignment
        .allowed_types
        .iter()
        .map(String::as_str)
        .collect();
    pick_files(&app, "Attach files", ("Accepted files", &extensions), true).await
}

/// A file that could not be attached, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefusedAttachment {
    /// The file's path as given.
    pub path: String,
    /// Why, and what to do.
    pub message: String,
}

/// What happened to files given to attach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachReport {
    /// Attached.
    pub added: Vec<AttachmentInfo>,
    /// Refused; the draft is unchanged for them.
    pub refused: Vec<RefusedAttachment>,
}

/// Attaches files (from the dialog or dropped on the window), each checked on its own.
#[tauri::command]
pub async fn add_attachments(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    paths: Vec<String>,
) -> Result<AttachReport, CommandError> {
    let store = state.attachments();
    with_assignment(&state, course_id, item_id, move |db, item| {
        attach_each(paths, |path| {
            assignments::add_attachment(db, &store, item, path, now_ms())
        })
    })
    .await
}

/// Adds each file of `paths` with `add`, each checked on its own: one refused for what it is goes
/// to the report's `refused` with the reason, and the others are still added; a failure of the
/// database or the disk stops there.
pub(crate) fn attach_each(
    paths: Vec<String>,
    mut add: impl FnMut(&std::path::Path) -> Result<AttachmentInfo, AssessError>,
) -> Result<AttachReport, AssessError> {
    let mut report = AttachReport {
        added: Vec::new(),
        refused: Vec::new(),
    };
    for path in paths {
        match add(std::path::Path::new(&path)) {
            Ok(info) => report.added.push(info),
            Err(error @ (AssessError::Progress(_) | AssessError::Io(_))) => return Err(error),
            Err(error) => report.refused.push(RefusedAttachment {
                path,
                message: crate::error::sentence(error.to_string()),
            }),
        }
    }
    Ok(report)
}

/// Takes an attachment off the draft.
#[tauri::command]
pub async fn remove_attachment(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    sha256: String,
) -> Result<Draft, CommandError> {
    with_assignment(&state, course_id, item_id, move |db, item| {
        assignments::remove_attachment(db, item, &sha256, now_ms())
    })
    .await
}

/// Submits the draft revision the learner reviewed into the outbox.
#[tauri::command]
pub async fn submit_assignment<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    revision: i64,
) -> Result<OutboxEntry, CommandError> {
    let store = state.attachments();
    let entry = with_assignment(&state, course_id, item_id, move |db, item| {
        assignments::submit(db, &store, item, revision, now_ms())
    })
    .await?;
    submitted(&app, &state, &entry).await;
    Ok(entry)
}

/// Every submission, newest first.
#[tauri::command]
pub async fn list_outbox(state: State<'_, AppState>) -> Result<Vec<OutboxEntry>, CommandError> {
    let db = state.progress().db().await?;
    blocking(move || outbox::list(&db).map_err(assess_error)).await
}

/// Exactly what a submission submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SubmittedWork {
    /// A quiz attempt.
    Quiz(carrel_core::assess::attempts::QuizSubmission),
    /// An assignment.
    Assignment(carrel_core::assess::assignments::AssignmentSubmission),
    /// The result of a session of a SCORM item or cmi5 AU.
    Runtime(carrel_core::runtime::RuntimeResult),
    /// A forum post.
    ForumPost(carrel_core::forums::SubmittedPost),
}

/// One submission with what it submitted.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionDetail {
    /// The outbox entry.
    pub entry: OutboxEntry,
    /// Its payload, as stored and sent.
    pub work: SubmittedWork,
}

/// A submission with exactly what it submitted.
#[tauri::command]
pub async fn get_submission(
    state: State<'_, AppState>,
    id: String,
) -> Result<SubmissionDetail, CommandError> {
    let db = state.progress().db().await?;
    blocking(move || {
        let (entry, payload) = outbox::get(&db, &id).map_err(assess_error)?;
        let work = match entry.kind {
            outbox::SubmissionKind::Quiz => {
                serde_json::from_slice(&payload).map(SubmittedWork::Quiz)
            }
            outbox::SubmissionKind::Assignment => {
                serde_json::from_slice(&payload).map(SubmittedWork::Assignment)
            }
            outbox::SubmissionKind::Scorm | outbox::SubmissionKind::Cmi5 => {
                serde_json::from_slice(&payload).map(SubmittedWork::Runtime)
            }
            outbox::SubmissionKind::ForumPost => {
                serde_json::from_slice(&payload).map(SubmittedWork::ForumPost)
            }
        }
        .map_err(|error| CommandError::internal("This submission cannot be read", error))?;
        Ok(SubmissionDetail { entry, work })
    })
    .await
}

/// Opens an assignment's brief (a page of the course) in the content window.
#[tauri::command]
pub async fn open_assignment_brief<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<(), CommandError> {
    let library = state.library();
    let item = assess::assignment_item(&library, &course_id, &item_id).map_err(assess_error)?;
    let path = item.assignment.instructions;
    crate::content::open(
        &app,
        &state,
        &course_id,
        &path,
        crate::content::View::File,
        None,
        &item.title,
    )
    .map_err(|error| CommandError::internal("The brief could not be opened", error))
}
