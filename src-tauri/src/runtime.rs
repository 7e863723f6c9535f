//! The content window's runtime route: how SCORM content in the content window saves its state.
//!
//! `viewer/runtime.html` (bundled with the app, `ui/public/viewer/runtime.js`) gives a SCORM
//! item's content the `API` or `API_1484_11` object (scorm-again). It asks
//! `GET .carrel/runtime?item=<id>` where to start, and sends every commit to
//! `POST .carrel/runtime?item=<id>&attempt=<n>&launch=<l>&seq=<s>[&terminate=true]`, which
//! answers only after the
//! commit is stored ([`carrel_core::runtime::commit`]). Like the other routes of the content
//! scheme, it serves only the content window and only the course it shows, and it touches only
//! the item the window was opened on ([`OpenItem`]): content reaches no command, and cannot read
//! or write another course's or another item's state. Sessions the content never ended are ended by the app when
//! the content window is destroyed and when Carrel starts ([`end_open_sessions`]).

use carrel_core::runtime::{self, Commit, Order, RuntimeError, RuntimeItem};
use carrel_package::manifest::{Item, ItemKind, ScormItem, ScormVersion};
use tauri::http::{Response, StatusCode};
use tauri::{AppHandle, Manager, Runtime};

use crate::content::{json_response, query_value, url_of};
use crate::events;
use crate::state::AppState;

/// The item the content window was opened on with the runtime (`None` when it shows anything
/// else): the only item whose state the window may read or write.
#[derive(Debug, Default)]
pub struct OpenItem(std::sync::Mutex<Option<(String, String)>>);

impl OpenItem {
    /// Records what the content window now shows: `Some((course, item))` for the runtime.
    pub fn set(&self, shown: Option<(String, String)>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = shown;
    }

    pub(crate) fn is(&self, course_id: &str, item_id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .is_some_and(|(course, item)| course == course_id && item == item_id)
    }
}

/// The SCORM item `item=` names in the open course; only the item the window was opened on (a
/// module cannot reach another item's state from its pages).
fn scorm_item<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    query: &str,
) -> Result<(Item, ScormItem), StatusCode> {
    let item_id = query_value(query, "item").ok_or(StatusCode::BAD_REQUEST)?;
    if !app.state::<OpenItem>().is(course_id, &item_id) {
        tracing::info!(
            item_id,
            "a runtime request for an item the window does not show refused"
        );
        return Err(StatusCode::FORBIDDEN);
    }
    let manifest = match state.library().store().course(course_id) {
        Ok(Some(course)) => course.manifest,
        _ => return Err(StatusCode::NOT_FOUND),
    };
    let item = manifest
        .items()
        .map(|(_, _, item)| item)
        .find(|item| item.id == item_id)
        .ok_or(StatusCode::NOT_FOUND)?;
    match &item.kind {
        ItemKind::Scorm(scorm) => Ok((item.clone(), scorm.clone())),
        _ => Err(StatusCode::NOT_FOUND),
    }
}

/// `GET runtime?item=…`: the item's launch (where to start from), and who the learner is.
pub fn launch<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    query: &str,
) -> Response<Vec<u8>> {
    let (item, scorm) = match scorm_item(app, state, course_id, query) {
        Ok(found) => found,
        Err(code) => return json_response(code, &serde_json::json!({})),
    };
    let Ok(db) = state.progress().db_blocking() else {
        return json_response(StatusCode::SERVICE_UNAVAILABLE, &serde_json::json!({}));
    };
    let launch = match runtime::launch(&db, course_id, &item.id) {
        Ok(launch) => launch,
        Err(error) => {
            tracing::error!(%error, "the runtime state could not be read");
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &serde_json::json!({ "message": error.to_string() }),
            );
        }
    };
    let (learner_id, learner_name) = state
        .session()
        .current()
        .map(|session| (session.account.login, session.account.display_name))
        .unwrap_or_else(|| ("learner".to_owned(), "Learner".to_owned()));
    let mut launch_url = url_of(course_id, &scorm.path);
    if !scorm.parameters.is_empty() {
        launch_url = format!("{launch_url}?{}", scorm.parameters);
    }
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "itemId": item.id,
            "title": item.title,
            // "1.2" or "2004", as in the manifest.
            "version": scorm.scorm_version,
            "sco": scorm.sco,
            "launchUrl": launch_url,
            "launchData": scorm.launch_data,
            "masteryScore": scorm.mastery_score,
            "completionThreshold": scorm.completion_threshold,
            "learner": { "id": learner_id, "name": learner_name },
            "launch": launch,
        }),
    )
}

/// `POST runtime?item=…&attempt=…&launch=…&seq=…[&terminate=true]`: stores a commit durably
/// (or ignores it when a newer one is stored: [`Order`]), then answers as
/// scorm-again expects (`{"result": true, "errorCode": 0}`); a refusal carries SCORM's general
/// commit error (391 in SCORM 2004, 101 in SCORM 1.2) and the reason.
pub fn commit<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    query: &str,
    body: &[u8],
) -> Response<Vec<u8>> {
    let (item, scorm) = match scorm_item(app, state, course_id, query) {
        Ok(found) => found,
        Err(code) => return json_response(code, &serde_json::json!({ "result": false })),
    };
    let failure = |code: StatusCode, message: String| {
        let error_code = match scorm.scorm_version {
            ScormVersion::Scorm12 => 101,
            ScormVersion::Scorm2004 => 391,
        };
        json_response(
            code,
            &serde_json::json!({ "result": false, "errorCode": error_code, "message": message }),
        )
    };
    let number = |key: &str| query_value(query, key).and_then(|v| v.parse::<u64>().ok());
    let (Some(attempt), Some(launch), Some(seq)) = (
        number("attempt").and_then(|a| u32::try_from(a).ok()),
        number("launch"),
        number("seq"),
    ) else {
        return failure(
            StatusCode::BAD_REQUEST,
            "a commit names its attempt, launch and seq".to_owned(),
        );
    };
    let order = Order { launch, seq };
    let terminate = query_value(query, "terminate").as_deref() == Some("true");
    let commit = match Commit::parse(body) {
        Ok(commit) => commit,
        Err(error) => return failure(StatusCode::BAD_REQUEST, error.to_string()),
    };
    let Ok(db) = state.progress().db_blocking() else {
        return failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "the progress database is not open".to_owned(),
        );
    };
    let now = carrel_protocol::unix_time_ms() as i64;
    let target = RuntimeItem {
        course_id,
        item_id: &item.id,
        title: &item.title,
        standard: match scorm.scorm_version {
            ScormVersion::Scorm12 => "scorm-1.2",
            ScormVersion::Scorm2004 => "scorm-2004",
        },
    };
    match runtime::commit(&db, &target, attempt, order, &commit, terminate, now) {
        Ok(committed) => {
            if terminate {
                queued(app, state);
            }
            events::emit_progress(
                app,
                events::ProgressChanged {
                    course_id: course_id.to_owned(),
                    item_id: item.id.clone(),
                    progress: committed.progress,
                },
            );
            json_response(
                StatusCode::OK,
                &serde_json::json!({ "result": true, "errorCode": 0 }),
            )
        }
        Err(error @ RuntimeError::StaleAttempt { .. }) => {
            failure(StatusCode::CONFLICT, error.to_string())
        }
        Err(error) => {
            tracing::error!(%error, "a SCORM commit was not stored");
            failure(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
        }
    }
}

/// Tells the UI and the sync that a result may have been queued.
fn queued<R: Runtime>(app: &AppHandle<R>, state: &AppState) {
    events::emit_outbox_changed(app);
    state.sync().wake();
}

/// Ends the sessions content never ended ([`runtime::end_open_sessions`]): called when the content
/// window is gone and when Carrel starts, off the UI thread.
pub fn end_open_sessions<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let Ok(db) = state.progress().db().await else {
            return;
        };
        let now = carrel_protocol::unix_time_ms() as i64;
        match tauri::async_runtime::spawn_blocking(move || runtime::end_open_sessions(&db, now))
            .await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(ended)) => {
                tracing::info!(ended, "ended the SCORM sessions their content left open");
                queued(&app, &state);
            }
            Ok(Err(error)) => tracing::error!(%error, "open SCORM sessions could not be ended"),
            Err(error) => tracing::error!(%error, "ending open SCORM sessions failed"),
        }
    });
}
