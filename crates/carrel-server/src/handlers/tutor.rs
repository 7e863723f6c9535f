//! `/api/v1/tutor/submissions…`: list, read, grade and comment learners' submissions, and fetch
//! their attachments; see [`crate::tutor`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use carrel_protocol::changes::{Comment, Grade};
use carrel_protocol::tutor::{CommentInput, GradeInput, SubmissionDetail, SubmissionSummary};
use serde::Deserialize;

use crate::AppState;
use crate::error::ServerError;
use crate::handlers::auth::Auth;
use crate::handlers::json::JsonBody;
use crate::handlers::query::{QueryParams, server_id};
use crate::send_file::send_found_upload;
use crate::tutor::{self, Actor, ListFilter, TutorError};

/// The filters of the list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    course: Option<String>,
    item: Option<String>,
    #[serde(default)]
    ungraded: bool,
}

/// `GET /api/v1/tutor/submissions?course=&item=&ungraded=true`.
pub async fn list(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Vec<SubmissionSummary>>, ServerError> {
    let filter = ListFilter {
        course: query.course,
        item: query.item,
        ungraded: query.ungraded,
    };
    Ok(Json(
        tutor::list(state.storage(), Actor::Account(who.account), filter).await?,
    ))
}

/// `GET /api/v1/tutor/submissions/{server_id}`.
pub async fn detail(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> Result<Json<SubmissionDetail>, ServerError> {
    let id = server_id(&id)?;
    Ok(Json(
        tutor::detail(state.storage(), Actor::Account(who.account), id).await?,
    ))
}

/// `PUT /api/v1/tutor/submissions/{server_id}/grade`.
pub async fn put_grade(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<GradeInput>,
) -> Result<Json<Grade>, ServerError> {
    let id = server_id(&id)?;
    Ok(Json(
        tutor::grade::set(state.storage(), Actor::Account(who.account), id, input).await?,
    ))
}

/// `POST /api/v1/tutor/submissions/{server_id}/comments`: 201 with the comment.
pub async fn post_comment(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CommentInput>,
) -> Result<(StatusCode, Json<Comment>), ServerError> {
    let id = server_id(&id)?;
    let comment = tutor::comment::add(
        state.storage(),
        Actor::Account(who.account),
        id,
        &input.text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

/// `GET /api/v1/tutor/submissions/{server_id}/attachments/{sha256}`: the bytes of a file the
/// submission names, from the uploads' store.
pub async fn get_attachment(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path((id, sha256)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let id = server_id(&id)?;
    if !carrel_package::manifest::is_sha256_hex(&sha256) {
        return Err(ServerError::MalformedHash { value: sha256 });
    }
    let not_found =
        || ServerError::Tutor(TutorError::NotFound(format!("{id} attachment {sha256}")));
    let found =
        tutor::attachment(state.storage(), Actor::Account(who.account), id, &sha256).await?;
    send_found_upload(state.blobs(), &method, &headers, &sha256, found, not_found).await
}
