//! `carrel-server`: the course server Carrel clients sync with.
//!
//! It owns the server side of the wire protocol in `carrel-protocol`: health, the course catalogue
//! and package downloads ([`access`] decides who sees which course), accounts and sessions
//! ([`accounts`]), [`enrolments`] and groups, idempotent submissions with receipts
//! ([`submissions`]), resumable attachment [`uploads`], quizzes graded on arrival ([`autograde`]),
//! tutors' grades and comments ([`tutor`]), the learner's [`changes`] feed, course [`forums`],
//! group work ([`groups`]), signed course [`certificates`] and the [`programmes`] they count
//! towards, on the learner's transcript. Storage is one embedded SQLite file by default (created on first start, zero
//! setup) plus a data folder holding the published packages and their content files ([`data`]);
//! [`publish`] puts course packages there; [`releases`] publishes new versions of the desktop
//! app and tells its updater about them. [`config`] resolves the settings; `/health`, `/ready`
//! and [`metrics`] are for the operator's probes and Prometheus;
//! [`faults`] makes the server misbehave on purpose, for tests.
//!
//! The server is a library first: [`router`] builds the axum app from an [`AppState`], and [`serve`]
//! runs it on a listener the caller bound, so tests start the real server on `127.0.0.1:0` in the
//! same process, and the `carrel-server` binary is a thin wrapper that parses flags, sets up logging
//! and waits for SIGINT/SIGTERM to shut down gracefully.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use carrel_package::store::Store;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub mod access;
pub mod accounts;
pub mod assignments;
pub mod autograde;
pub mod blobs;
pub mod certificates;
pub mod changes;
pub mod config;
pub mod data;
pub mod enrolments;
pub mod error;
pub mod faults;
mod file_io;
pub mod forums;
pub mod groups;
pub mod handlers;
pub mod metrics;
pub mod programmes;
pub mod publish;
pub mod recordings;
pub mod releases;
pub mod send_file;
pub mod storage;
pub mod submissions;
pub mod testing;
pub mod tutor;
pub mod uploads;
pub mod xapi;

pub use data::{DataDir, DataError};
pub use error::ServerError;
pub use publish::{PublishError, PublishOptions, Published, publish_package, publish_package_with};
pub use storage::{SCHEMA_VERSION, Storage, StorageError};

/// Lower-case hex SHA-256 of `bytes`: how the server names files and hashes payloads and tokens.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    carrel_package::archive::hex(&Sha256::digest(bytes))
}

/// The server's version, reported by `/health`.
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
    public_url: Option<Arc<str>>,
    certificate_issuer: Arc<str>,
    metrics: Arc<metrics::Metrics>,
}

struct StateInner {
    storage: Storage,
    data: DataDir,
    blobs: blobs::Blobs,
    store: Store,
    started_at: Instant,
    auth: accounts::AuthConfig,
    in_flight: submissions::InFlight,
    faults: faults::FaultPlan,
    sign_in_throttle: accounts::SignInThrottle,
    certificate_key: certificates::SigningKey,
}

impl AppState {
    /// Builds the shared state from opened storage and the data folder, opening the content
    /// store (under the publish lock: this waits for a publish in progress to finish).
    /// Blocking: call it before serving, or from `spawn_blocking`.
    pub fn open(storage: Storage, data: DataDir) -> Result<Self, DataError> {
        Self::open_with(storage, data, accounts::AuthConfig::default())
    }

    /// Like [`AppState::open`], with token lifetimes other than the defaults.
    pub fn open_with(
        storage: Storage,
        data: DataDir,
        auth: accounts::AuthConfig,
    ) -> Result<Self, DataError> {
        let store = data.open_store()?;
        storage
            .remember_data_dir(data.root())
            .map_err(|error| DataError::Io {
                operation: "record the data folder in the database",
                path: data.root().to_path_buf(),
                source: std::io::Error::other(error.to_string()),
            })?;
        let certificate_key = certificates::SigningKey::new(data.clone());
        Ok(Self {
            inner: Arc::new(StateInner {
                storage,
                blobs: Arc::new(blobs::FsBlobs::new(data.clone())),
                data,
                store,
                started_at: Instant::now(),
                auth,
                in_flight: submissions::InFlight::default(),
                faults: faults::FaultPlan::default(),
                sign_in_throttle: accounts::SignInThrottle::default(),
                certificate_key,
            }),
            public_url: None,
            certificate_issuer: Arc::from(certificates::DEFAULT_ISSUER),
            metrics: Arc::new(metrics::Metrics::default()),
        })
    }

    /// Sets the token a scraper of `/metrics` must present; `None` (the default): no one may
    /// read them. Call it before serving: the counts start again.
    pub fn with_metrics_token(mut self, token: Option<&str>) -> Self {
        self.metrics = Arc::new(metrics::Metrics::new(token));
        self
    }

    /// This instance's metrics.
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.metrics
    }

    /// Sets the address clients reach the server at (`https://courses.example.org`), from which
    /// absolute URLs are built (the update manifest's download URL); `None`: from the request's
    /// `Host` header, over `http`.
    pub fn with_public_url(mut self, public_url: Option<&str>) -> Self {
        self.public_url = public_url.map(|url| Arc::from(url.trim_end_matches('/')));
        self
    }

    /// The configured public address, without a trailing `/`.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// Sets who certificates name as their issuer (the institution running the server); default
    /// [`certificates::DEFAULT_ISSUER`].
    pub fn with_certificate_issuer(mut self, issuer: &str) -> Self {
        self.certificate_issuer = Arc::from(issuer);
        self
    }

    /// Who certificates name as their issuer.
    pub fn certificate_issuer(&self) -> &str {
        &self.certificate_issuer
    }

    /// The key certificates are signed with, read or made on first use.
    pub fn certificate_key(&self) -> &certificates::SigningKey {
        &self.inner.certificate_key
    }

    /// The server's storage.
    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// The data folder (published package files).
    pub fn data(&self) -> &DataDir {
        &self.inner.data
    }

    /// Where the files it serves by hash are kept: the data folder, or an S3-compatible bucket.
    pub fn blobs(&self) -> &dyn blobs::BlobStore {
        &*self.inner.blobs
    }

    /// The blob store, to hand to a task.
    pub fn shared_blobs(&self) -> blobs::Blobs {
        Arc::clone(&self.inner.blobs)
    }

    /// The data folder and the blob store, to hand to a writer.
    pub fn stores(&self) -> blobs::Stores {
        blobs::Stores {
            data: self.inner.data.clone(),
            blobs: self.shared_blobs(),
        }
    }

    /// The same state with its files by hash kept in `blobs` (the data folder by default). Call
    /// it before serving.
    pub fn with_blobs(mut self, blobs: blobs::Blobs) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.blobs = blobs,
            None => panic!("with_blobs is for setting up a state that is not shared yet"),
        }
        self
    }

    /// The content store, read by path only (see [`data`] for why).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// How long tokens live.
    pub fn auth_config(&self) -> &accounts::AuthConfig {
        &self.inner.auth
    }

    /// Wrong passwords per login, to slow guessing.
    pub fn sign_in_throttle(&self) -> &accounts::SignInThrottle {
        &self.inner.sign_in_throttle
    }

    /// Submission ids being stored right now.
    pub fn in_flight(&self) -> &submissions::InFlight {
        &self.inner.in_flight
    }

    /// The faults the server commits on purpose (tests only; empty otherwise).
    pub fn faults(&self) -> &faults::FaultPlan {
        &self.inner.faults
    }

    /// When this state was created (the server's start, for uptime).
    pub fn started_at(&self) -> Instant {
        self.inner.started_at
    }
}

/// Builds the HTTP application: every route, with request tracing. `get` routes answer HEAD too
/// (axum runs the handler and drops the body; file handlers skip reading the file for HEAD).
pub fn router(state: AppState) -> Router {
    use carrel_protocol::{auth, catalog, certificates, tutor};
    Router::new()
        .route(
            carrel_protocol::HEALTH_PATH,
            get(handlers::health::get_health),
        )
        .route(
            handlers::health::READY_PATH,
            get(handlers::health::get_ready),
        )
        .route(metrics::METRICS_PATH, get(metrics::get_metrics))
        .route(catalog::CATALOG_PATH, get(handlers::catalog::get_catalog))
        .route(catalog::PACKAGE_ROUTE, get(handlers::packages::get_package))
        .route(
            catalog::MANIFEST_ROUTE,
            get(handlers::packages::get_manifest),
        )
        .route(
            catalog::SIGNATURE_ROUTE,
            get(handlers::packages::get_signature),
        )
        .route(catalog::FILE_ROUTE, get(handlers::files::get_file))
        .route(
            carrel_protocol::changes::RECORDING_ROUTE,
            get(handlers::files::get_recording),
        )
        .route(
            carrel_protocol::forums::FORUM_ROUTE,
            get(handlers::forums::get_forum),
        )
        .route(
            carrel_protocol::forums::FORUM_ATTACHMENT_ROUTE,
            get(handlers::forums::get_attachment),
        )
        .route(
            carrel_protocol::forums::FORUM_MODERATION_ROUTE,
            put(handlers::forums::put_moderation),
        )
        .route(
            carrel_protocol::groups::GROUP_ROUTE,
            get(handlers::groups::get_group),
        )
        .route(
            carrel_protocol::groups::GROUP_FILE_ROUTE,
            get(handlers::groups::get_file),
        )
        .route(
            certificates::CERTIFICATE_ROUTE,
            get(handlers::certificates::get_certificate)
                .post(handlers::certificates::post_certificate),
        )
        .route(
            certificates::CERTIFICATE_KEY_PATH,
            get(handlers::certificates::get_key),
        )
        .route(
            certificates::VERIFICATION_ROUTE,
            get(handlers::certificates::get_verification),
        )
        .route(
            certificates::CERTIFICATE_PDF_ROUTE,
            get(handlers::certificates::get_pdf),
        )
        .route(
            certificates::VERIFICATION_PAGE_ROUTE,
            get(handlers::certificates::get_page),
        )
        .route(
            carrel_protocol::transcript::TRANSCRIPT_PATH,
            get(handlers::transcript::get_transcript),
        )
        .route(auth::SIGN_IN_PATH, post(handlers::auth::sign_in))
        .route(auth::REFRESH_PATH, post(handlers::auth::refresh))
        .route(auth::SIGN_OUT_PATH, post(handlers::auth::sign_out))
        .route(auth::ME_PATH, get(handlers::auth::me))
        .route(
            carrel_protocol::tutor::ENROLMENTS_PATH,
            get(handlers::enrolments::get_enrolments),
        )
        .route(
            carrel_protocol::submissions::SUBMISSION_ROUTE,
            put(handlers::submissions::put_submission)
                .layer(DefaultBodyLimit::max(submissions::MAX_SUBMISSION_BYTES))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    faults::apply,
                ))
                .get(handlers::submissions::get_submission),
        )
        .route(
            carrel_protocol::changes::CHANGES_PATH,
            get(handlers::changes::get_changes),
        )
        .route(tutor::TUTOR_SUBMISSIONS_PATH, get(handlers::tutor::list))
        .route(tutor::TUTOR_SUBMISSION_ROUTE, get(handlers::tutor::detail))
        .route(tutor::TUTOR_GRADE_ROUTE, put(handlers::tutor::put_grade))
        .route(
            tutor::TUTOR_COMMENTS_ROUTE,
            post(handlers::tutor::post_comment),
        )
        .route(
            tutor::TUTOR_ATTACHMENT_ROUTE,
            get(handlers::tutor::get_attachment),
        )
        .route(
            carrel_protocol::updates::UPDATE_ROUTE,
            get(handlers::releases::get_update),
        )
        .route(
            carrel_protocol::updates::RELEASE_FILE_ROUTE,
            get(handlers::releases::get_release_file),
        )
        .route(
            carrel_protocol::uploads::UPLOADS_PATH,
            post(handlers::uploads::create),
        )
        .route(
            carrel_protocol::uploads::UPLOAD_ROUTE,
            get(handlers::uploads::get_upload)
                .patch(handlers::uploads::patch_upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
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
    use axum::serve::ListenerExt;
    // Small responses (files by hash, JSON) must not wait for a delayed ACK: measured, an update
    // fetching 50 small files spent ~41 ms per file in Nagle's algorithm without this.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
