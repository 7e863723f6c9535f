//! Faults the server commits on purpose, for tests of the client's sync: a [`FaultPlan`] is a
//! script of [`Fault`]s, one per `PUT /api/v1/submissions/*` request, in order; when the script
//! runs out, requests are answered normally. **For tests only**: nothing in production sets one.
//!
//! A test sets the plan of a running [`crate::testing::LoopbackServer`] with
//! `server.faults().script([...])`; a `carrel-server` binary started by a test reads one from the
//! `CARREL_SERVER_FAULTS` environment variable ([`FaultPlan::parse`]), e.g.
//! `CARREL_SERVER_FAULTS="pass*2,401*3,429:5,commit-then-500"`.
//!
//! The faults that *commit* store the submission exactly as a normal request would (so the
//! client's retry must find it and get its receipt); the others answer without touching
//! anything.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use carrel_protocol::ApiError;
use carrel_protocol::submissions::Receipt;

use crate::AppState;

/// How long `commit-then-timeout` holds a request by default before dropping its connection.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(30);

/// What the server does with one submission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally (`pass`).
    Pass,
    /// Store the submission, then answer 500 `internal` (`commit-then-500`).
    CommitThen500,
    /// Store it, then hold the request for `hold` and drop the connection without an answer
    /// (`commit-then-timeout[:SECONDS]`): the client's own timeout fires first.
    CommitThenTimeout {
        /// How long to hold it.
        hold: Duration,
    },
    /// Store it (or find it stored) and answer its receipt as if it were new: 201 with
    /// `replayed: false`, even on a retry (`duplicate-ack`).
    DuplicateAck,
    /// Answer 409 `in_flight` with `Retry-After: 1`, storing nothing (`409`).
    InFlight,
    /// Answer 422 `idempotency_conflict`, storing nothing (`422`).
    Unprocessable,
    /// Answer 429 `too_many_requests` with `Retry-After: <seconds>`, storing nothing
    /// (`429[:SECONDS]`, default 1).
    TooManyRequests {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// Answer 401 `unauthenticated`, storing nothing (`401`; `401*3` for the next three).
    Unauthorized,
}

/// A fault specification that does not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "“{0}” is not a fault; use pass, commit-then-500, commit-then-timeout[:SECONDS], \
     duplicate-ack, 409, 422, 429[:SECONDS] or 401, each optionally followed by *COUNT, \
     separated by commas"
)]
pub struct FaultSpecError(pub String);

/// The script of faults of a running server; clones share it.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    queue: Arc<Mutex<VecDeque<Fault>>>,
}

impl FaultPlan {
    /// Replaces the script: the next requests get these faults, in order, then normal answers.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        let mut queue = self.lock();
        queue.clear();
        queue.extend(faults);
    }

    /// Faults not yet used.
    pub fn remaining(&self) -> usize {
        self.lock().len()
    }

    fn next(&self) -> Fault {
        self.lock().pop_front().unwrap_or(Fault::Pass)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Fault>> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Parses a script: comma-separated faults (see [`Fault`] for their names), each optionally
    /// repeated with `*COUNT`. An empty text is an empty script.
    pub fn parse(spec: &str) -> Result<Vec<Fault>, FaultSpecError> {
        let mut faults = Vec::new();
        for item in spec
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let bad = || FaultSpecError(item.to_owned());
            let (fault, count) = match item.split_once('*') {
                Some((fault, count)) => (fault, count.parse::<usize>().map_err(|_| bad())?),
                None => (item, 1),
            };
            let (name, argument) = match fault.split_once(':') {
                Some((name, argument)) => (name, Some(argument.parse::<u64>().map_err(|_| bad())?)),
                None => (fault, None),
            };
            let fault = match (name, argument) {
                ("pass", None) => Fault::Pass,
                ("commit-then-500", None) => Fault::CommitThen500,
                ("commit-then-timeout", seconds) => Fault::CommitThenTimeout {
                    hold: seconds.map_or(DEFAULT_HOLD, Duration::from_secs),
                },
                ("duplicate-ack", None) => Fault::DuplicateAck,
                ("409", None) => Fault::InFlight,
                ("422", None) => Fault::Unprocessable,
                ("429", seconds) => Fault::TooManyRequests {
                    retry_after_secs: seconds.unwrap_or(1),
                },
                ("401", None) => Fault::Unauthorized,
                _ => return Err(bad()),
            };
            faults.extend(std::iter::repeat_n(fault, count));
        }
        Ok(faults)
    }
}

fn answer(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ApiError {
        code: code.to_owned(),
        message: message.to_owned(),
    };
    (status, Json(body)).into_response()
}

/// The middleware on `PUT /api/v1/submissions/{id}` that applies the plan's next fault.
pub async fn apply(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let fault = state.faults().next();
    if fault != Fault::Pass {
        tracing::warn!(?fault, "injecting a fault (test plan)");
    }
    match fault {
        Fault::Pass => next.run(request).await,
        Fault::CommitThen500 => {
            drop(next.run(request).await);
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Injected fault: the submission was stored, then the answer failed.",
            )
        }
        Fault::CommitThenTimeout { hold } => {
            drop(next.run(request).await);
            tokio::time::sleep(hold).await;
            dropped()
        }
        Fault::DuplicateAck => {
            let response = next.run(request).await;
            if response.status() != StatusCode::OK {
                return response;
            }
            let bytes = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
                Ok(bytes) => bytes,
                Err(_) => return dropped(),
            };
            match serde_json::from_slice::<Receipt>(&bytes) {
                Ok(receipt) => (
                    StatusCode::CREATED,
                    Json(Receipt {
                        replayed: false,
                        ..receipt
                    }),
                )
                    .into_response(),
                Err(_) => (StatusCode::OK, bytes).into_response(),
            }
        }
        Fault::InFlight => {
            let mut response = answer(
                StatusCode::CONFLICT,
                "in_flight",
                "Injected fault: the submission is being stored by another request; try again in a second.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Fault::Unprocessable => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_conflict",
            "Injected fault: a different submission is already stored under this id.",
        ),
        Fault::TooManyRequests { retry_after_secs } => {
            let mut response = answer(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Injected fault: too many requests; try again after the Retry-After delay.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Fault::Unauthorized => {
            let mut response = answer(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Injected fault: sign in to do this.",
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// A response whose body fails at once: the server closes the connection without a complete
/// answer.
fn dropped() -> Response {
    Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(Broken)))
}

/// A reader that fails.
struct Broken;

impl tokio::io::AsyncRead for Broken {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Err(std::io::Error::other(
            "injected fault: the connection is dropped",
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_with_counts_and_arguments() {
        assert_eq!(
            FaultPlan::parse(
                "pass*2, 401*2,429:5,commit-then-timeout:3,422,409,duplicate-ack,commit-then-500"
            )
            .unwrap(),
            vec![
                Fault::Pass,
                Fault::Pass,
                Fault::Unauthorized,
                Fault::Unauthorized,
                Fault::TooManyRequests {
                    retry_after_secs: 5
                },
                Fault::CommitThenTimeout {
                    hold: Duration::from_secs(3)
                },
                Fault::Unprocessable,
                Fault::InFlight,
                Fault::DuplicateAck,
                Fault::CommitThen500,
            ]
        );
        assert_eq!(FaultPlan::parse("").unwrap(), vec![]);
        for bad in ["500", "401:2", "429:x", "pass*many", "commit-then-500*"] {
            assert!(FaultPlan::parse(bad).is_err(), "{bad}");
        }
        let plan = FaultPlan::default();
        plan.script([Fault::InFlight]);
        assert_eq!((plan.next(), plan.next()), (Fault::InFlight, Fault::Pass));
    }
}
