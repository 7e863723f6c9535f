//! A published course version's package file, signed manifest and signature:
//! `GET|HEAD /api/v1/packages/{course_id}/{version}`,
//! `GET|HEAD /api/v1/courses/{course_id}/{version}/manifest` and `…/signature`.
//!
//! Only the version the catalogue lists is served, and only to a request that may see the course
//! ([`crate::access`]); a replaced version answers 404, which tells a client to read the catalogue
//! again, and so does a course the request may not see. The package file supports `Range`, `If-Range` and
//! `If-None-Match` ([`carrel_protocol::http_range`]).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use carrel_protocol::PACKAGE_MEDIA_TYPE;

use crate::handlers::auth::MaybeAuth;
use crate::send_file::{FileToSend, attachment, cache_control, send_file};
use crate::storage::CourseDocument;
use crate::{AppState, ServerError};

/// Streams the package file of a published course version.
pub async fn get_package(
    State(state): State<AppState>,
    who: MaybeAuth,
    Path((course_id, version)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let not_found = || ServerError::CourseVersionNotFound {
        course_id: course_id.clone(),
        version: version.clone(),
    };
    if !crate::access::can_see(state.storage(), who.viewer(), &course_id).await? {
        return Err(not_found());
    }
    let entry = state
        .storage()
        .get_catalog_course(&course_id)
        .await?
        .filter(|entry| entry.version == version)
        .ok_or_else(not_found)?;
    let file = FileToSend {
        kind: crate::blobs::BlobKind::Package,
        sha256: entry.package_sha256,
        length: entry.package_size,
        content_type: PACKAGE_MEDIA_TYPE,
        disposition: attachment(&format!("{course_id}-{version}.carrel")),
    };
    // Missing on disk right after the catalogue said yes: a newer version was just published.
    send_file(state.blobs(), &method, &headers, file)
        .await?
        .ok_or_else(not_found)
}

/// The exact signed manifest bytes of a published course version.
pub async fn get_manifest(
    State(state): State<AppState>,
    who: MaybeAuth,
    Path((course_id, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let document = CourseDocument::Manifest;
    get_document(&state, &who, &headers, course_id, version, document).await
}

/// The signature of a published course version.
pub async fn get_signature(
    State(state): State<AppState>,
    who: MaybeAuth,
    Path((course_id, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let document = CourseDocument::Signature;
    get_document(&state, &who, &headers, course_id, version, document).await
}

async fn get_document(
    state: &AppState,
    who: &MaybeAuth,
    request: &HeaderMap,
    course_id: String,
    version: String,
    document: CourseDocument,
) -> Result<Response, ServerError> {
    if !crate::access::can_see(state.storage(), who.viewer(), &course_id).await? {
        return Err(ServerError::CourseVersionNotFound { course_id, version });
    }
    let bytes = state
        .storage()
        .get_course_document(&course_id, &version, document)
        .await?
        .ok_or(ServerError::CourseVersionNotFound { course_id, version })?;
    let headers = [
        (header::CONTENT_TYPE, "application/json"),
        (header::CACHE_CONTROL, cache_control(request)),
    ];
    Ok((headers, bytes).into_response())
}
