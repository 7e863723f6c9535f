//! Group work: the files of the learner's group, opened from this computer (the sync fetched them
//! ahead) or downloaded first. The group's state itself reaches the UI with the assignment
//! ([`carrel_core::assess::assignments::AssignmentState::group_work`]).

use carrel_core::groups;
use tauri::{AppHandle, Runtime, State};

use super::assess::assess_error;
use super::courses::blocking;
use super::forums::open_course_file;
use crate::error::CommandError;
use crate::state::AppState;

/// Opens file `sha256` of the learner's group in `course_id` — one the course team placed for the
/// group, or one of the group's latest submissions — with the system's application for its type.
#[tauri::command]
pub async fn open_group_file<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    sha256: String,
) -> Result<(), CommandError> {
    let db = state.progress().db().await?;
    let file = {
        let course_id = course_id.clone();
        blocking(move || groups::file(&db, &course_id, &sha256).map_err(assess_error)).await?
    };
    let on_server = carrel_protocol::groups::group_file_path(&course_id, &file.sha256);
    open_course_file(&app, &state, &course_id, file, &on_server).await
}
