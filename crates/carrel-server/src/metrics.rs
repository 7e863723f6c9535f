//! Prometheus metrics: `GET /metrics`, in the OpenMetrics text format, for an operator's
//! Prometheus to scrape.
//!
//! **What is counted.** Every request, by method, route (the route's pattern, such as
//! `/api/v1/submissions/{submission_id}`, never the path itself, so a label never carries a
//! learner's id) and status (`carrel_http_requests_total`), with its latency until the response's
//! head (`carrel_http_request_duration_seconds`; a file's body streams after that). Every
//! submission `PUT`, by kind and outcome: `stored` (new), `replayed` (a retry answered with the
//! first receipt), `refused` (the client's to mend) or `busy` (to try again: the same id being
//! stored, the database not answering) (`carrel_submissions_total`). A method other than the
//! standard ones is counted as `OTHER`. These count what *this* instance did.
//!
//! **What is read at each scrape.** From the database, so every instance reports the same
//! figures: the submissions stored, by kind (`carrel_submissions_stored`); the learning records
//! waiting to be forwarded to the LRS (`carrel_xapi_queue_depth`, the server's one queue); the
//! uploads begun and not finished (`carrel_uploads_incomplete`). And the instance's uptime and
//! version (`carrel_uptime_seconds`, `carrel_build_info`).
//!
//! **Who may read them.** Only a scraper presenting the metrics token
//! (`Authorization: Bearer <token>`; `CARREL_METRICS_TOKEN` or `metrics_token_file`). Without a
//! configured token the route answers 404, as if it did not exist: the figures say how busy an
//! institution's server is, which is not for everyone.

use std::sync::Arc;

use crate::storage::sql::params;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use carrel_protocol::submissions::SubmissionKind;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::storage::StorageError;

/// `GET` (with the metrics token): the exposition.
pub const METRICS_PATH: &str = "/metrics";

/// The media type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SubmissionLabels {
    kind: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

/// What happened to a submission `PUT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored, new.
    Stored,
    /// A retry, answered with the first receipt.
    Replayed,
    /// Refused (invalid, conflicting, not enrolled, files missing…): the client's to mend.
    Refused,
    /// Not taken now (the same id being stored, the database not answering): to try again.
    Busy,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Replayed => "replayed",
            Self::Refused => "refused",
            Self::Busy => "busy",
        }
    }
}

type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to ~33 s, doubling.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The server's metrics. Cheap to share (`Arc` inside the app state).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: DurationFamily,
    submissions: Family<SubmissionLabels, Counter>,
    stored: Family<KindLabels, Gauge>,
    xapi_queue: Gauge,
    uploads_incomplete: Gauge,
    uptime: Gauge<f64, AtomicU64>,
    token: Option<Arc<str>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(None)
    }
}

impl Metrics {
    /// The metrics of a new instance; `token`, if any, is what a scraper must present.
    pub fn new(token: Option<&str>) -> Self {
        let mut registry = Registry::with_prefix("carrel");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let durations: DurationFamily = Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its response's head, by method and route",
            prometheus_client::registry::Unit::Seconds,
            durations.clone(),
        );
        let submissions = Family::<SubmissionLabels, Counter>::default();
        registry.register(
            "submissions",
            "Submission PUTs by this instance, by kind and outcome (stored, replayed, refused)",
            submissions.clone(),
        );
        let stored = Family::<KindLabels, Gauge>::default();
        registry.register(
            "submissions_stored",
            "Submissions the database holds, by kind",
            stored.clone(),
        );
        let xapi_queue = Gauge::default();
        registry.register(
            "xapi_queue_depth",
            "Learning records waiting to be forwarded to the LRS",
            xapi_queue.clone(),
        );
        let uploads_incomplete = Gauge::default();
        registry.register(
            "uploads_incomplete",
            "Attachment uploads begun and not finished",
            uploads_incomplete.clone(),
        );
        let uptime = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "uptime",
            "Time since this instance started",
            prometheus_client::registry::Unit::Seconds,
            uptime.clone(),
        );
        registry.register(
            "build",
            "This instance's version",
            Info::new(vec![(
                "version".to_owned(),
                crate::SERVER_VERSION.to_owned(),
            )]),
        );
        Self {
            registry,
            requests,
            durations,
            submissions,
            stored,
            xapi_queue,
            uploads_incomplete,
            uptime,
            token: token.filter(|token| !token.is_empty()).map(Arc::from),
        }
    }

    /// Counts one request answered with `status` after `elapsed`.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.durations
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Counts one submission `PUT` of `kind` and its outcome.
    pub fn count_submission(&self, kind: SubmissionKind, outcome: Outcome) {
        self.submissions
            .get_or_create(&SubmissionLabels {
                kind: kind.as_str().to_owned(),
                outcome: outcome.as_str().to_owned(),
            })
            .inc();
    }

    /// Whether `headers` carry the metrics token; never when none is configured.
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return false;
        };
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        // Compared through their hashes, so the time taken says nothing about the token.
        crate::sha256_hex(presented.as_bytes()) == crate::sha256_hex(token.as_bytes())
    }

    /// The exposition, with the figures read from the database now.
    async fn render(&self, state: &AppState) -> Result<String, StorageError> {
        let (by_kind, queued, incomplete) = state
            .storage()
            .with_conn(|conn| {
                let by_kind = conn
                    .prepare_cached("SELECT kind, count(*) FROM submissions GROUP BY kind")?
                    .query_map(params![], |row| {
                        Ok((row.get::<String>(0)?, row.get::<i64>(1)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let queued: i64 = conn.query_row(
                    "SELECT count(*) FROM xapi_forward WHERE state = 'queued'",
                    params![],
                    |row| row.get(0),
                )?;
                let incomplete: i64 = conn.query_row(
                    "SELECT count(*) FROM uploads WHERE completed_ms IS NULL",
                    params![],
                    |row| row.get(0),
                )?;
                Ok((by_kind, queued, incomplete))
            })
            .await?;
        for kind in SubmissionKind::ALL {
            let count = by_kind
                .iter()
                .find(|(name, _)| name == kind.as_str())
                .map_or(0, |(_, count)| *count);
            self.stored
                .get_or_create(&KindLabels {
                    kind: kind.as_str().to_owned(),
                })
                .set(count);
        }
        self.xapi_queue.set(queued);
        self.uploads_incomplete.set(incomplete);
        self.uptime.set(state.started_at().elapsed().as_secs_f64());
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        Ok(text)
    }
}

/// `GET /metrics`: the exposition for a scraper with the token; 404 for anyone else.
pub async fn get_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let metrics = state.metrics();
    if !metrics.admits(&headers) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match metrics.render(&state).await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(error) => {
            tracing::warn!(%error, "metrics: the database does not answer");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Middleware counting every request by its route's pattern, status and latency.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    // HTTP lets a client make up methods: only the standard ones are labels of their own.
    let method = match request.method().as_str() {
        known @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => known,
        _ => "OTHER",
    }
    .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics().observe_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
