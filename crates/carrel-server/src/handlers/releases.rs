//! The desktop app's updater: `GET /api/v1/updates/{channel}/{target}/{arch}/{bundle}/{current_version}`
//! answers 200 with an [`UpdateManifest`] when there is a newer release for that platform on that
//! channel, 204 otherwise; `GET /api/v1/releases/{release_id}/{file_name}` streams a published
//! bundle (with `Range` support). Neither needs a token: installers are public, and the app
//! verifies every bundle's signature itself. See [`crate::releases`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use carrel_protocol::ApiError;
use carrel_protocol::updates::{Channel, UpdateManifest, release_file_path};

use crate::releases::{self, Version, encode_path_segment};
use crate::send_file::{FileToSend, attachment, send_file};
use crate::{AppState, ServerError};

/// Why an update request was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpdateRequestError {
    /// The channel is not one the server has.
    #[error("“{0}” is not an update channel; use stable or beta")]
    UnknownChannel(String),
    /// The app's version is not a semantic version.
    #[error("“{0}” is not a semantic version (e.g. 1.2.3)")]
    BadVersion(String),
    /// No `Host` header and no configured public address to build the download URL from.
    #[error(
        "the request has no usable Host header, so the server cannot say where to download the update; send one, or have the operator set public_url"
    )]
    NoHost,
    /// Anything else.
    #[error(transparent)]
    Server(#[from] ServerError),
}

impl IntoResponse for UpdateRequestError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            UpdateRequestError::Server(error) => return error.into_response(),
            UpdateRequestError::UnknownChannel(_) => (StatusCode::NOT_FOUND, "unknown_channel"),
            UpdateRequestError::BadVersion(_) => (StatusCode::BAD_REQUEST, "bad_version"),
            UpdateRequestError::NoHost => (StatusCode::BAD_REQUEST, "malformed_request"),
        };
        tracing::debug!(error = %self, code, "update request refused");
        let body = ApiError {
            code: code.to_owned(),
            message: format!("{}.", capitalized(&self.to_string())),
        };
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Answers the updater: the newest release it should install, or 204.
pub async fn get_update(
    State(state): State<AppState>,
    Path((channel, target, arch, bundle, current_version)): Path<(
        String,
        String,
        String,
        String,
        String,
    )>,
    headers: HeaderMap,
) -> Result<Response, UpdateRequestError> {
    let channel = Channel::parse(&channel).ok_or(UpdateRequestError::UnknownChannel(channel))?;
    let current =
        Version::parse(&current_version).ok_or(UpdateRequestError::BadVersion(current_version))?;
    let offer = releases::find_update(
        state.storage(),
        channel,
        (&target, &arch, &bundle),
        &current,
    )
    .await
    .map_err(ServerError::from)?;
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    let Some(offer) = offer else {
        return Ok((StatusCode::NO_CONTENT, no_store).into_response());
    };
    let base = match state.public_url() {
        Some(url) => url.to_owned(),
        None => format!(
            "http://{}",
            request_host(&headers).ok_or(UpdateRequestError::NoHost)?
        ),
    };
    let path = release_file_path(offer.release_id, &encode_path_segment(&offer.file_name));
    let manifest = UpdateManifest {
        version: offer.version,
        notes: offer.notes,
        pub_date: offer.pub_date,
        url: format!("{}{path}", base.trim_end_matches('/')),
        signature: offer.signature,
    };
    Ok((no_store, Json(manifest)).into_response())
}

/// The `Host` header, if it is a plain `host[:port]` (nothing that could bend the URL).
pub(crate) fn request_host(headers: &HeaderMap) -> Option<&str> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    plain.then_some(host)
}

/// Streams a published bundle of a release that is not withdrawn.
pub async fn get_release_file(
    State(state): State<AppState>,
    Path((release_id, file_name)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let not_found = || {
        let mut response = (
            StatusCode::NOT_FOUND,
            Json(ApiError {
                code: "not_found".to_owned(),
                message: "This release file is not published on this server (or was withdrawn)."
                    .to_owned(),
            }),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    };
    let Ok(release_id) = release_id.parse::<i64>() else {
        return Ok(not_found());
    };
    let Some((sha256, size)) =
        releases::get_bundle(state.storage(), release_id, &file_name).await?
    else {
        return Ok(not_found());
    };
    let file = FileToSend {
        kind: crate::blobs::BlobKind::Release,
        sha256,
        length: size,
        content_type: "application/octet-stream",
        disposition: attachment(&file_name),
    };
    match send_file(state.blobs(), &method, &headers, file).await? {
        Some(response) => Ok(response),
        None => {
            tracing::error!(release_id, file = %file_name, "a published release file is missing from the data folder");
            Ok(not_found())
        }
    }
}
