//! A published course version's package file, signed manifest and signature:
//! `GET|HEAD /api/v1/packages/{course_id}/{version}`,
//! `GET|HEAD /api/v1/courses/{course_id}/{version}/manifest` and `…/signature`.
//!
//! Only the version the catalogue lists is served; a replaced version answers 404, which tells a
//! client to read the catalogue again. The package file supports `Range`, `If-Range` and
//! `If-None-Match` ([`carrel_protocol::http_range`]).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use carrel_protocol::PACKAGE_MEDIA_TYPE;

use crate::send_file::{FileToSend, IMMUTABLE, attachment, send_file};
use crate::storage::CourseDocument;
use crate::{AppState, ServerError};

/// Streams the package file of a published course version.
pub async fn get_package(
    State(state): State<AppState>,
    Path((course_id, version)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let not_found = || ServerError::CourseVersionNotFound {
        course_id: course_id.clone(),
        version: version.clone(),
    };
    let entry = state
        .storage()
        .get_catalog_course(&course_id)
        .await?
        .filter(|entry| entry.version == version)
        .ok_or_else(not_found)?;
    let file = FileToSend {
        path: state.data().package_path(&entry.package_sha256),
        sha256: entry.package_sha256,
        length: entry.package_size,
        content_type: PACKAGE_MEDIA_TYPE,
        disposition: attachment(&format!("{course_id}-{version}.carrel")),
    };
    // Missing on disk right after the catalogue said yes: a newer version was just published.
    send_file(&method, &headers, file)
        .await?
        .ok_or_else(not_found)
}

/// The exact signed manifest bytes of a published course version.
pub async fn get_manifest(
    State(state): State<AppState>,
    Path((course_id, version)): Path<(String, String)>,
) -> Result<Response, ServerError> {
    get_document(&state, course_id, version, CourseDocument::Manifest).await
}

/// The signature of a published course version.
pub async fn get_signature(
    State(state): State<AppState>,
    Path((course_id, version)): Path<(String, String)>,
) -> Result<Response, ServerError> {
    get_document(&state, course_id, version, CourseDocument::Signature).await
}

async fn get_document(
    state: &AppState,
    course_id: String,
    version: String,
    document: CourseDocument,
) -> Result<Response, ServerError> {
    let bytes = state
        .storage()
        .get_course_document(&course_id, &version, document)
        .await?
        .ok_or(ServerError::CourseVersionNotFound { course_id, version })?;
    let headers = [
        (header::CONTENT_TYPE, "application/json"),
        (header::CACHE_CONTROL, IMMUTABLE),
    ];
    Ok((headers, bytes).into_response())
}
