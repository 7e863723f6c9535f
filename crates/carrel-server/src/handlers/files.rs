//! `GET|HEAD /api/v1/files/{sha256}`: one content file of a published course version the request
//! may see ([`crate::access`]), by hash, from the content store. A client updating a course fetches only the hashes it lacks and checks
//! each against its signed manifest. Supports `Range`, `If-Range` and `If-None-Match`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use carrel_package::manifest::is_sha256_hex;

use crate::handlers::auth::MaybeAuth;
use crate::send_file::{FileToSend, send_file};
use crate::{AppState, ServerError};

/// Streams the content file with this SHA-256, if a published course version lists it.
pub async fn get_file(
    State(state): State<AppState>,
    who: MaybeAuth,
    Path(sha256): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    if !is_sha256_hex(&sha256) {
        return Err(ServerError::MalformedHash { value: sha256 });
    }
    let found = crate::access::visible_file_size(state.storage(), who.viewer(), &sha256).await?;
    let Some(length) = found else {
        return Err(ServerError::FileNotFound { sha256 });
    };
    let file = FileToSend {
        kind: crate::blobs::BlobKind::File,
        sha256: sha256.clone(),
        length,
        content_type: "application/octet-stream",
        disposition: None,
    };
    match send_file(state.blobs(), &method, &headers, file).await? {
        Some(response) => Ok(response),
        None => {
            // The catalogue lists it but the store lacks it: a publish is replacing its course
            // right now (see `crate::publish`), or the store was damaged.
            tracing::warn!(%sha256, "a published file is missing from the content store");
            Err(ServerError::FileNotFound { sha256 })
        }
    }
}

/// `GET|HEAD /api/v1/courses/{course_id}/recordings/{sha256}`: a webinar recording of a course the
/// request may see ([`crate::recordings`]), with `Range`, `If-Range` and `If-None-Match`.
pub async fn get_recording(
    State(state): State<AppState>,
    who: MaybeAuth,
    Path((course_id, sha256)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    if !is_sha256_hex(&sha256) {
        return Err(ServerError::MalformedHash { value: sha256 });
    }
    let not_found = || ServerError::FileNotFound {
        sha256: sha256.clone(),
    };
    if !crate::access::can_see(state.storage(), who.viewer(), &course_id).await? {
        return Err(not_found());
    }
    let Some((length, media_type)) =
        crate::recordings::find(state.storage(), &course_id, &sha256).await?
    else {
        return Err(not_found());
    };
    let file = FileToSend {
        kind: crate::blobs::BlobKind::Recording,
        sha256: sha256.clone(),
        length,
        content_type: crate::recordings::known_media_type(&media_type),
        disposition: None,
    };
    send_file(state.blobs(), &method, &headers, file)
        .await?
        .ok_or_else(not_found)
}
