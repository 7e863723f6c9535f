//! `/api/v1/uploads`: create (or find), read the offset of, and append to an account's uploads.
//! See [`crate::uploads`] for how the bytes are kept.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use carrel_protocol::uploads::{NewUpload, OFFSET_MEDIA_TYPE, UPLOAD_OFFSET, upload_path};

use crate::AppState;
use crate::handlers::auth::Auth;
use crate::handlers::json::JsonBody;
use crate::uploads::{self, UploadError, upload_headers};

/// `POST /api/v1/uploads`: 201 with a new upload, or 200 with the account's upload of that
/// SHA-256 (its offset says where to resume; `complete` that nothing is left to send).
pub async fn create(
    State(state): State<AppState>,
    Auth(who): Auth,
    JsonBody(new): JsonBody<NewUpload>,
) -> Result<Response, UploadError> {
    let (upload, created) = uploads::create(state.storage(), who.account.id, new).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, upload_headers(&upload), Json(&upload)).into_response();
    if created && let Ok(location) = HeaderValue::from_str(&upload_path(&upload.upload_id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `GET /api/v1/uploads/{upload_id}` (and `HEAD`, which axum answers with the same headers): the
/// upload as JSON, its offset in `Upload-Offset` and its size in `Upload-Length`. Another
/// account's upload is 404, as if it did not exist.
pub async fn get_upload(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(upload_id): Path<String>,
) -> Result<Response, UploadError> {
    let upload = uploads::get(state.storage(), who.account.id, &upload_id).await?;
    Ok((upload_headers(&upload), Json(&upload)).into_response())
}

/// `PATCH /api/v1/uploads/{upload_id}` with `Upload-Offset` and an
/// `application/offset+octet-stream` body: 204 with the new `Upload-Offset`.
pub async fn patch_upload(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(upload_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, UploadError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    if !media_type.is_some_and(|value| value.eq_ignore_ascii_case(OFFSET_MEDIA_TYPE)) {
        return Err(UploadError::MediaType);
    }
    let offset = number_header(&headers, UPLOAD_OFFSET)?.ok_or_else(|| {
        UploadError::Invalid(
            "the Upload-Offset header is missing: say where the bytes start".into(),
        )
    })?;
    let length = number_header(&headers, header::CONTENT_LENGTH.as_str())?;
    let upload = uploads::append(
        state.storage(),
        state.stores(),
        who.account.id,
        &upload_id,
        offset,
        length,
        body,
    )
    .await?;
    Ok((StatusCode::NO_CONTENT, upload_headers(&upload)).into_response())
}

/// The header `name` as a non-negative integer, if present.
fn number_header(headers: &HeaderMap, name: &str) -> Result<Option<u64>, UploadError> {
    headers
        .get(name)
        .map(|value| {
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    UploadError::Invalid(format!("the {name} header must be a number of bytes"))
                })
        })
        .transpose()
}
