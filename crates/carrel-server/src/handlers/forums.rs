//! `/api/v1/courses/{course_id}/forum…` and `/api/v1/tutor/forum-posts/{post_id}/moderation`: a
//! course's forum feed and the files its posts carry, for its members; moderation, for its
//! tutors. See [`crate::forums`]; posts themselves arrive as submissions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use carrel_protocol::forums::{ForumPage, ForumPost, Moderation};
use serde::Deserialize;

use crate::AppState;
use crate::error::ServerError;
use crate::handlers::auth::Auth;
use crate::handlers::json::JsonBody;
use crate::handlers::query::QueryParams;
use crate::send_file::send_found_upload;
use crate::tutor::Actor;

/// The cursor and page size.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForumQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
}

/// `GET /api/v1/courses/{course_id}/forum?after=&limit=`: the course's posts after the cursor,
/// for its members and admins; 404 for anyone else.
pub async fn get_forum(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(course_id): Path<String>,
    QueryParams(query): QueryParams<ForumQuery>,
) -> Result<Json<ForumPage>, ServerError> {
    if query.after < 0 {
        return Err(ServerError::MalformedRequest(format!(
            "after must be 0 or a cursor the server gave, not {}",
            query.after
        )));
    }
    Ok(Json(
        crate::forums::page(
            state.storage(),
            &who.account,
            &course_id,
            query.after,
            query.limit,
        )
        .await?,
    ))
}

/// `GET|HEAD /api/v1/courses/{course_id}/forum/attachments/{sha256}`: a file a visible post of
/// the course names, from the uploads' store, with `Range`, `If-Range` and `If-None-Match`; 404
/// for anyone who does not read the course's forum, and once no visible post names it.
pub async fn get_attachment(
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
    let found =
        crate::forums::attachment(state.storage(), &who.account, &course_id, &sha256).await?;
    send_found_upload(state.blobs(), &method, &headers, &sha256, found, not_found).await
}

/// `PUT /api/v1/tutor/forum-posts/{post_id}/moderation`: hides or shows, pins or unpins a post;
/// answers it as it now is.
pub async fn put_moderation(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(post_id): Path<String>,
    JsonBody(moderation): JsonBody<Moderation>,
) -> Result<Json<ForumPost>, ServerError> {
    Ok(Json(
        crate::forums::moderate(
            state.storage(),
            Actor::Account(who.account),
            &post_id,
            moderation,
        )
        .await?,
    ))
}
