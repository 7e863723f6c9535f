//! [`QueryParams`]: axum's `Query` extractor with the server's JSON errors — a query string that
//! does not parse gets 400 `{code: "malformed_request", message}` naming what is wrong.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ServerError;

/// The query string of a request, as `T`.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ServerError::MalformedRequest(rejection.body_text())),
        }
    }
}

/// A submission's server id from a path segment; anything else is a malformed request.
pub fn server_id(segment: &str) -> Result<i64, ServerError> {
    segment
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ServerError::MalformedRequest(format!(
                "“{segment}” is not a submission's server id (a positive whole number)"
            ))
        })
}
