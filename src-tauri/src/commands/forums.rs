//! Course forums: thin commands over [`carrel_core::forums`].
//!
//! Reading works offline from what the sync downloaded; posting queues the post in the outbox
//! (committed before the command answers) and wakes the sync, like submitting work.

use carrel_core::assess::AssessError;
use carrel_core::assess::outbox::{AttachmentInfo, OutboxEntry};
use carrel_core::forums::{self, ForumDraft, ForumItem, ForumView, NewPost, TopicView};
use carrel_core::progress::ProgressDb;
use tauri::{AppHandle, Runtime, State};

use super::assess::{AttachReport, assess_error, attach_each, submitted};
use super::courses::{OPENED_DIR, blocking, now_ms, pick_files, store_error};
use crate::error::{CommandError, codes};
use crate::state::AppState;

/// Runs `work` with the progress database and the installed forum, off the async runtime.
async fn with_forum<T: Send + 'static>(
    state: &AppState,
    course_id: String,
    item_id: String,
    work: impl FnOnce(&ProgressDb, &ForumItem) -> Result<T, AssessError> + Send + 'static,
) -> Result<T, CommandError> {
    let db = state.progress().db().await?;
    let library = state.library();
    blocking(move || {
        let item = forums::forum_item(&library, &course_id, &item_id).map_err(assess_error)?;
        work(&db, &item).map_err(assess_error)
    })
    .await
}

/// A forum with its topics, what is new in each, and the draft of a new topic.
#[tauri::command]
pub async fn get_forum(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
) -> Result<ForumView, CommandError> {
    with_forum(&state, course_id, item_id, |db, item| {
        forums::forum(db, item)
    })
    .await
}

/// A topic with its posts (those not read before marked new) and the learner's draft reply.
#[tauri::command]
pub async fn get_forum_topic(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    topic_id: String,
) -> Result<TopicView, CommandError> {
    with_forum(&state, course_id, item_id, move |db, item| {
        forums::topic(db, item, &topic_id)
    })
    .await
}

/// Marks the posts of the topic the UI has shown (`post_ids`) read; posts that arrived since stay
/// new.
#[tauri::command]
pub async fn mark_forum_topic_read(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    topic_id: String,
    post_ids: Vec<String>,
) -> Result<(), CommandError> {
    with_forum(&state, course_id, item_id, move |db, item| {
        forums::mark_read(db, item, &topic_id, &post_ids).map(|_| ())
    })
    .await
}

/// Saves what the learner is writing in a topic, or a new topic (`topicId` "").
#[tauri::command]
pub async fn save_forum_draft(
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    draft: ForumDraft,
) -> Result<(), CommandError> {
    with_forum(&state, course_id, item_id, move |db, item| {
        forums::save_draft(db, item, &draft, now_ms())
    })
    .await
}

/// Queues a reply or a new topic in the outbox, clears its draft and wakes the sync.
#[tauri::command]
pub async fn post_to_forum<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    post: NewPost,
) -> Result<OutboxEntry, CommandError> {
    let store = state.attachments();
    let entry = with_forum(&state, course_id, item_id, move |db, item| {
        forums::post(db, &store, item, post, now_ms())
    })
    .await?;
    submitted(&app, &state, &entry).await;
    Ok(entry)
}

/// Shows the system's open-file dialog for files to add to a post; empty when the learner
/// cancels.
#[tauri::command]
pub async fn pick_forum_attachments<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Vec<String>, CommandError> {
    pick_files(&app, "Add files to your post", ("Any file", &[]), true).await
}

/// Copies files into the attachment store for a post, each checked on its own; the UI adds the
/// accepted ones to the draft.
#[tauri::command]
pub async fn add_forum_attachments(
    state: State<'_, AppState>,
    paths: Vec<String>,
) -> Result<AttachReport, CommandError> {
    let store = state.attachments();
    blocking(move || {
        attach_each(paths, |path| forums::add_attachment(&store, path)).map_err(assess_error)
    })
    .await
}

/// Opens a file of a post with the system's application for its type: from this computer when it
/// was fetched before (or is the learner's own), else downloaded from the course's forum first.
/// The file is copied to `opened/<course>/` under a safe name; types that could run code are
/// refused.
#[tauri::command]
pub async fn open_forum_attachment<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    item_id: String,
    post_id: String,
    sha256: String,
) -> Result<(), CommandError> {
    let file = with_forum(&state, course_id.clone(), item_id, move |db, item| {
        forums::post_attachment(db, item, &post_id, &sha256)
    })
    .await?;
    let on_server = carrel_protocol::forums::forum_attachment_path(&course_id, &file.sha256);
    open_course_file(&app, &state, &course_id, file, &on_server).await
}

/// Opens `file` of course `course_id` with the system's application for its type: from this
/// computer when it is in the attachment store, else downloaded from `on_server` first (and
/// kept). The file is copied to `opened/<course>/` under a safe name; types that could run code
/// are refused.
pub(super) async fn open_course_file<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    file: AttachmentInfo,
    on_server: &str,
) -> Result<(), CommandError> {
    use tauri_plugin_opener::OpenerExt;
    let name = forums::safe_file_name(&file.name);
    if !carrel_core::study::openable_with_app(&name) {
        return Err(CommandError::new(
            codes::FILE_TYPE_REFUSED,
            format!(
                "Carrel does not open “{name}” with another application: files of this type can \
                 run programs on your computer."
            ),
        ));
    }
    let server = state.server().url;
    let token = state
        .session()
        .access_token(state.http(), &server, carrel_protocol::unix_time_ms())
        .await
        .ok()
        .map(|(token, _)| token);
    let store = state.attachments();
    let source = forums::fetch_attachment(
        state.http(),
        &server,
        token.as_deref(),
        &store,
        on_server,
        &file,
    )
    .await
    .map_err(|error| match error {
        forums::FetchError::Local(error) => assess_error(error),
        forums::FetchError::Unavailable(_) => CommandError::new(codes::OFFLINE, error.to_string()),
        forums::FetchError::Mismatch => {
            CommandError::new(codes::CONTENT_DAMAGED, error.to_string())
        }
    })?;
    let folder = state.data_dir().join(OPENED_DIR).join(course_id);
    let exported = blocking(move || {
        carrel_core::library::copy_out(&source, file.size, &file.sha256, &folder, &name)
            .map_err(store_error)
    })
    .await?;
    app.opener()
        .open_path(exported.to_string_lossy(), None::<&str>)
        .map_err(|error| {
            tracing::warn!(%error, "no application opened a course file");
            CommandError::new(
                codes::NO_APPLICATION,
                format!(
                    "No application on this computer opened this file. It is at {}.",
                    exported.display()
                ),
            )
        })
}
