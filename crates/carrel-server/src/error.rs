//! The server's error type and how it becomes an HTTP response.
//!
//! Every failure a handler can return maps to a status code and a `carrel_protocol::ApiError` body
//! with a stable `code`; internal details are logged, never sent to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use carrel_protocol::ApiError;

use crate::storage::StorageError;

/// Anything a request handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The storage layer failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ServerError::Storage(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "The server cannot reach its database right now. Try again in a few minutes.",
            ),
        };
        tracing::error!(error = %self, code, "request failed");
        let body = ApiError {
            code: code.to_owned(),
            message: message.to_owned(),
        };
        (status, Json(body)).into_response()
    }
}
