//! `/api/v1/courses/{course_id}/group…`: a learner's group in a course and the files it shares.
//! See [`crate::groups`]; group submissions themselves arrive as submissions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use carrel_protocol::groups::GroupState;

use crate::AppState;
use crate::error::ServerError;
use crate::handlers::auth::Auth;
use crate::send_file::send_found_upload;

/// `GET /api/v1/courses/{course_id}/group`: the asking learner's group in the course; 404
/// `no_group` for anyone not in one.
pub async fn get_group(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(course_id): Path<String>,
) -> Result<Json<GroupState>, ServerError> {
    Ok(Json(
        crate::groups::state(state.storage(), &who.account, &course_id).await?,
    ))
}

/// `GET|HEAD /api/v1/courses/{course_id}/group/files/{sha256}`: one of the group's files or a
/// file of one of its group submissions, from the uploads' store, with `Range`, `If-Range` and
/// `If-None-Match`; 404 `no_group` for anyone not in a group of the course, 404 `not_found` for
/// a file that is not the group's.
pub async fn get_file(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path((course_id, sha256)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    if !carrel_package::manifest::is_sha256_hex(&sha256) {
        return Err(ServerError::MalformedHash { value: sha256 });
    }
    let not_found = || ServerError::FileNotFound {
        sha256: sha256.clone(),
    };
    let found = crate::groups::file(state.storage(), &who.account, &course_id, &sha256).await?;
    send_found_upload(state.blobs(), &method, &headers, &sha256, found, not_found).await
}
