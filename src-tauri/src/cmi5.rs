//! cmi5 in the content window: Carrel launches the AU and is its local LRS.
//!
//! Opening a cmi5 item ([`launch_url`]) starts a session in the progress database
//! ([`carrel_core::runtime::cmi5::launch`]) and loads the AU's own page with the launch
//! parameters of cmi5 §8.1. The AU then talks to two routes of the content scheme, which — like
//! every route of it — serve only the content window:
//!
//! - `POST .carrel/cmi5/fetch?k=…`, the one-time fetch URL that hands out the session's auth
//!   token;
//! - `.carrel/xapi/…`, the xAPI endpoint: `statements`, `activities/state`, `agents/profile`,
//!   `about`. A request must carry the token of an open session of the course the window shows
//!   (only the page the session was launched in ever had it); anything else is refused before
//!   the request is looked at.
//!
//! What the routes store, check and queue is `carrel_core::runtime::cmi5`'s. Sessions left open
//! are abandoned with the SCORM ones ([`crate::runtime::end_open_sessions`]).

use carrel_core::runtime::cmi5::{self, Actor, Au, XapiError, XapiRequest, XapiResponse};
use carrel_package::manifest::{Item, ItemKind, Manifest, MoveOn};
use tauri::http::{Request, Response, StatusCode};
use tauri::{AppHandle, Runtime};

use crate::content::{base_url, json_response, query_value, url_of};
use crate::events;
use crate::state::AppState;

/// The xAPI endpoint the AU is given (its resources are below it).
pub fn endpoint() -> String {
    format!("{}.carrel/xapi", base_url())
}

/// Where the AU goes when it is done (`returnURL`).
fn return_url() -> String {
    format!("{}.carrel/viewer/ended.html", base_url())
}

/// The account the AU is launched for: the signed-in learner on their course server, or the
/// learner of this computer.
fn actor(state: &AppState) -> Actor {
    match state.session().current() {
        Some(session) => Actor {
            home_page: session.server,
            name: session.account.login,
            display_name: session.account.display_name,
        },
        None => Actor {
            home_page: "https://localhost/carrel".to_owned(),
            name: "learner".to_owned(),
            display_name: "Learner".to_owned(),
        },
    }
}

/// Starts a session of the cmi5 `item` and returns the URL the content window loads: the AU's
/// page with its own query, then the launch parameters.
pub fn launch_url(
    state: &AppState,
    db: &carrel_core::progress::ProgressDb,
    course_id: &str,
    manifest: &Manifest,
    item: &Item,
) -> Result<String, XapiError> {
    let ItemKind::Cmi5(au) = &item.kind else {
        return Err(XapiError::NotFound);
    };
    // The AUs the course's satisfaction waits for: a NotApplicable one is satisfied without
    // being launched (cmi5 §9.3), so it does not hold the course up.
    let course_aus: Vec<String> = manifest
        .items()
        .filter(|(_, _, item)| {
            matches!(&item.kind, ItemKind::Cmi5(au) if au.move_on != MoveOn::NotApplicable)
        })
        .map(|(_, _, item)| item.id.clone())
        .collect();
    let launch = cmi5::launch(
        db,
        &Au {
            course_id,
            item_id: &item.id,
            title: &item.title,
            au,
            course_aus: &course_aus,
        },
        &actor(state),
        carrel_protocol::unix_time_ms() as i64,
    )?;
    let fetch = format!("{}.carrel/cmi5/fetch?k={}", base_url(), launch.fetch_key);
    Ok(format!(
        "{}?{}",
        url_of(course_id, &au.path),
        launch.query(&au.query, &endpoint(), &fetch)
    ))
}

/// `POST cmi5/fetch?k=…`: the session's auth token, once (always 200, errors in the body, as
/// cmi5 §8.2 says). Sessions the window left open are abandoned then.
pub fn fetch<R: Runtime>(app: &AppHandle<R>, state: &AppState, query: &str) -> Response<Vec<u8>> {
    let Some(key) = query_value(query, "k") else {
        return json_response(
            StatusCode::OK,
            &cmi5::FetchAnswer::Error(2, "This is not a fetch URL Carrel gave.").to_json(),
        );
    };
    let Ok(db) = state.progress().db_blocking() else {
        return json_response(StatusCode::SERVICE_UNAVAILABLE, &serde_json::json!({}));
    };
    match cmi5::fetch(&db, &key, carrel_protocol::unix_time_ms() as i64) {
        Ok(fetched) => {
            if fetched.abandoned > 0 {
                queued(app, state);
            }
            json_response(StatusCode::OK, &fetched.answer.to_json())
        }
        Err(error) => {
            tracing::error!(%error, "the cmi5 fetch URL failed");
            json_response(
                StatusCode::OK,
                &cmi5::FetchAnswer::Error(3, "Carrel could not read its progress database.")
                    .to_json(),
            )
        }
    }
}

/// `… xapi/<resource>`: one request of the local LRS, from the content window.
pub fn xapi<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    course_id: &str,
    resource: &str,
    request: &Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let Ok(db) = state.progress().db_blocking() else {
        return json_response(StatusCode::SERVICE_UNAVAILABLE, &serde_json::json!({}));
    };
    let authorization = header("Authorization");
    if resource != "about" {
        // Only an open session of the course the window shows. The token is the session's
        // capability: only the page it was launched in ever had it (the fetch URL hands it out
        // once), so a page leaving may still finish its session while the next one starts.
        match cmi5::session_item(&db, authorization) {
            Ok((course, _)) if course == course_id => {}
            Ok((_, item)) => {
                tracing::info!(item, "an xAPI request for another course's session refused");
                return respond(&XapiResponse::refusal(&XapiError::Forbidden(
                    "this session belongs to a course the window does not show".to_owned(),
                )));
            }
            Err(error) => return respond(&XapiResponse::refusal(&error)),
        }
    }
    let return_url = return_url();
    let xapi_request = XapiRequest {
        method: request.method().as_str(),
        resource,
        query: request.uri().query().unwrap_or(""),
        authorization,
        content_type: header("Content-Type"),
        if_match: header("If-Match"),
        if_none_match: header("If-None-Match"),
        body: request.body(),
        return_url: Some(&return_url),
    };
    let now = carrel_protocol::unix_time_ms() as i64;
    match cmi5::handle(&db, &xapi_request, now) {
        Ok(response) => {
            if response.queued {
                queued(app, state);
            }
            if let (true, Some((course, item))) = (response.completed_now, &response.item)
                && let Ok(progress) = db.item(course, item)
            {
                events::emit_progress(
                    app,
                    events::ProgressChanged {
                        course_id: course.clone(),
                        item_id: item.clone(),
                        progress,
                    },
                );
            }
            respond(&response)
        }
        Err(error) => {
            if matches!(error, XapiError::Progress(_)) {
                tracing::error!(%error, "an xAPI request could not be stored");
            } else {
                tracing::info!(%error, resource, "an xAPI request refused");
            }
            respond(&XapiResponse::refusal(&error))
        }
    }
}

fn respond(response: &XapiResponse) -> Response<Vec<u8>> {
    let mut builder = Response::builder()
        .status(response.status)
        .header("X-Experience-API-Version", cmi5::XAPI_VERSION)
        .header("Cache-Control", "no-store");
    if let Some(content_type) = &response.content_type {
        builder = builder.header("Content-Type", content_type);
    }
    if let Some(etag) = &response.etag {
        builder = builder.header("ETag", etag);
    }
    builder.body(response.body.clone()).unwrap_or_else(|_| {
        carrel_core::library::content::status(StatusCode::INTERNAL_SERVER_ERROR)
    })
}

/// Tells the UI and the sync that a result was queued.
fn queued<R: Runtime>(app: &AppHandle<R>, state: &AppState) {
    events::emit_outbox_changed(app);
    state.sync().wake();
}
