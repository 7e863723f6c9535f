//! `carrel-server`: the course server Carrel clients sync with.
//!
//! It owns the server side of the wire protocol in `carrel-protocol`: health and, as the product
//! grows, the course catalogue, package downloads, idempotent submissions with receipts, grades,
//! schedules and the update manifest. Storage is one embedded SQLite file by default (created on first
//! start, zero setup).
//!
//! The server is a library first: [`router`] builds the axum app from an [`AppState`], and [`serve`]
//! runs it on a listener the caller bound, so tests start the real server on `127.0.0.1:0` in the
//! same process, and the `carrel-server` binary is a thin wrapper that parses flags, sets up logging
//! and waits for SIGINT/SIGTERM to shut down gracefully.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub mod error;
pub mod handlers;
pub mod storage;
pub mod testing;

pub use error::ServerError;
pub use storage::{SCHEMA_VERSION, Storage, StorageError};

/// The server's version, reported by `/health`.
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

struct StateInner {
    storage: Storage,
    started_at: Instant,
}

impl AppState {
    /// Wraps opened storage into the shared state.
    pub fn new(storage: Storage) -> Self {
        Self {
            inner: Arc::new(StateInner {
                storage,
                started_at: Instant::now(),
            }),
        }
    }

    /// The server's storage.
    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// When this state was created (the server's start, for uptime).
    pub fn started_at(&self) -> Instant {
        self.inner.started_at
    }
}

/// Builds the HTTP application: every route, with request tracing.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            carrel_protocol::HEALTH_PATH,
            get(handlers::health::get_health),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves [`router`] on `listener` until `shutdown` completes, then stops accepting connections and
/// waits for requests in flight to finish (graceful shutdown).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
