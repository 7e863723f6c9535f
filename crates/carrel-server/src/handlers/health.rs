//! `GET /health`: answers whether the server and its database are up (liveness); `GET /ready`:
//! whether this instance should take requests (readiness).

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

/// `GET`: whether this instance should be sent requests (for a load balancer's or an
/// orchestrator's readiness probe); `/health` says whether it is alive.
pub const READY_PATH: &str = "/ready";

/// The answer of `/ready`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// Every check passed.
    pub ready: bool,
    /// The database's schema version, when it answered.
    pub schema_version: Option<i64>,
    /// The schema version this instance reads and writes.
    pub expected_schema_version: i64,
    /// What is wrong, one sentence each, saying what to do; empty when ready.
    pub problems: Vec<String>,
}

/// Ready (200) when the database answers with the schema this instance was built for and the
/// data folder takes a new file; else 503 with the problems. A rolling upgrade shows here: once
/// a newer instance has migrated the database, the older ones are no longer ready.
pub async fn get_ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let expected = crate::SCHEMA_VERSION;
    let mut problems = Vec::new();
    // The answer is public: it says what is wrong in general terms; the log has the details.
    let schema_version = match state.storage().schema_version().await {
        Ok(version) => Some(version),
        Err(error) => {
            tracing::warn!(%error, "readiness: the database does not answer");
            problems.push("the database does not answer: see the server's log".to_owned());
            None
        }
    };
    match schema_version {
        Some(found) if found > expected => problems.push(format!(
            "the database is at schema version {found}, newer than this instance's {expected}: \
             a newer carrel-server migrated it; upgrade this instance"
        )),
        Some(found) if found < expected => problems.push(format!(
            "the database is at schema version {found}, older than this instance's {expected}: \
             run `carrel-server migrate`"
        )),
        _ => {}
    }
    // A file made and removed in the data folder, which must be there already (a volume not
    // mounted must not be papered over by a new empty folder).
    let root = state.data().root().to_path_buf();
    let writable =
        tokio::task::spawn_blocking(move || tempfile::NamedTempFile::new_in(&root).map(drop)).await;
    let failure = match writable {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(error) => Some(error.to_string()),
    };
    if let Some(error) = failure {
        tracing::warn!(
            %error,
            data = %state.data().root().display(),
            "readiness: the data folder does not take a new file"
        );
        problems.push(
            "the data folder does not take a new file: check that it is there, writable, and \
             not full (the server's log names it)"
                .to_owned(),
        );
    }
    let ready = problems.is_empty();
    if !ready {
        tracing::warn!(?problems, "not ready");
    }
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(Readiness {
            ready,
            schema_version,
            expected_schema_version: expected,
            problems,
        }),
    )
}
