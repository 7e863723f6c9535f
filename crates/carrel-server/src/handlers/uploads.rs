//! `/api/v1/uploads`: see [`crate::uploads`]. Work in progress.

use axum::http::StatusCode;

/// `POST /api/v1/uploads`.
pub async fn create() -> StatusCode {
    StatusCode::NOT_IMPLEMENTED
}

/// `HEAD`/`GET /api/v1/uploads/{upload_id}`.
pub async fn get_upload() -> StatusCode {
    StatusCode::NOT_IMPLEMENTED
}

/// `PATCH /api/v1/uploads/{upload_id}`.
pub async fn patch_upload() -> StatusCode {
    StatusCode::NOT_IMPLEMENTED
}
