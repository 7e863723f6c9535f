//! `GET /health`: answers whether the server and its database are up.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use carrel_protocol::{API_VERSION, Health, HealthStatus};

use crate::{AppState, SERVER_VERSION};

/// Reports `ok` when the database answers a query, `degraded` (503) when it does not.
pub async fn get_health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (status, code) = match state.storage().ping().await {
        Ok(()) => (HealthStatus::Ok, StatusCode::OK),
        Err(error) => {
            tracing::warn!(%error, "health check: storage does not answer");
            (HealthStatus::Degraded, StatusCode::SERVICE_UNAVAILABLE)
        }
    };
    let body = Health {
        status,
        server_version: SERVER_VERSION.to_owned(),
        api_version: API_VERSION,
        server_time_ms: carrel_protocol::unix_time_ms(),
    };
    (code, Json(body))
}
