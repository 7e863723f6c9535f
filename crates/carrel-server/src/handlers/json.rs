//! [`JsonBody`]: axum's `Json` extractor with the server's JSON errors — a malformed body gets 400
//! `{code: "malformed_request", message}` naming what is wrong, one over the route's size limit
//! 413 `too_large`; neither changes anything.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::ServerError;

/// A JSON request body of type `T`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ServerError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ServerError::TooLarge)
            }
            Err(rejection) => Err(ServerError::MalformedRequest(rejection.body_text())),
        }
    }
}
