//! The sync engine's first part: draining the outbox to the course server, exactly once.
//!
//! [`drain`] sends queued submissions oldest first with `PUT /api/v1/submissions/{id}` (the
//! outbox id is the server's idempotency key, the payload the outbox's exact bytes) and records
//! each answer in the same database:
//!
//! - **201 / 200 with a receipt** whose SHA-256 is the outbox's `payload_sha256`: `received`, with
//!   the receipt. A receipt for other bytes is not accepted: `needs_attention`.
//! - **409 `in_flight`, 429, 5xx, a timeout, a cut connection**: the entry stays `queued` with its
//!   next try after a capped exponential backoff with full jitter, or the server's `Retry-After`;
//!   the drain stops there, so entries keep their order.
//! - **401**: the drain stops and reports that the learner must sign in again; nothing changes.
//! - **422 / 400**: `needs_attention` with the server's message; the entry is never deleted, and
//!   the drain goes on with the next one.
//!
//! A crash at any moment is safe: an entry is `received` only after its receipt is committed, and
//! sending it again after a crash gets the same receipt from the server.

use std::time::Duration;

use carrel_protocol::submissions::{Receipt, SubmissionKind, submission_path};
use rusqlite::{OptionalExtension, params};

use crate::assess::AssessError;
use crate::http::HttpClient;
use crate::progress::ProgressDb;
use crate::settings::ServerUrl;

/// The first retry waits up to this long.
pub const BACKOFF_BASE: Duration = Duration::from_secs(2);
/// No retry waits longer than this.
pub const BACKOFF_CAP: Duration = Duration::from_secs(10 * 60);

/// How long to wait before try number `tries + 1`: a random duration between zero and
/// `min(cap, base · 2^tries)` ("full jitter"), so many clients coming back online together do not
/// retry in step. `random` is a number in [0, 1).
pub fn backoff(tries: u32, random: f64) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1u32.checked_shl(tries.min(20)).unwrap_or(u32::MAX))
        .min(BACKOFF_CAP);
    ceiling.mul_f64(random.clamp(0.0, 1.0))
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Entries the server stored now.
    pub received: u32,
    /// Entries the server already had (a receipt replayed after a lost answer).
    pub replayed: u32,
    /// Entries the server refused; they need the learner's attention.
    pub refused: u32,
    /// When the drain stopped on a temporary failure: when to try again (unix ms).
    pub retry_at_ms: Option<i64>,
    /// The server said the learner must sign in again.
    pub unauthorized: bool,
}

/// One entry to send.
struct Next {
    id: String,
    kind: String,
    payload: String,
    payload_sha256: String,
    tries: u32,
}

fn next_due(db: &ProgressDb, now_ms: i64) -> Result<Option<Next>, AssessError> {
    Ok(db
        .transact(|tx| {
            Ok::<_, AssessError>(
                tx.query_row(
                    "SELECT id, kind, payload, payload_sha256, tries, next_try_ms FROM outbox
                 WHERE state IN ('queued', 'sending') ORDER BY created_ms, id LIMIT 1",
                    [],
                    |row| {
                        Ok((
                            Next {
                                id: row.get(0)?,
                                kind: row.get(1)?,
                                payload: row.get(2)?,
                                payload_sha256: row.get(3)?,
                                tries: row.get(4)?,
                            },
                            row.get::<_, Option<i64>>(5)?,
                        ))
                    },
                )
                .optional()?,
            )
        })?
        .and_then(|(next, next_try)| {
            // The oldest entry waits: so do the others, to keep the order.
            next_try.is_none_or(|at| at <= now_ms).then_some(next)
        }))
}

fn set_state(
    db: &ProgressDb,
    id: &str,
    state: &str,
    now_ms: i64,
    receipt: Option<&Receipt>,
    problem: Option<&str>,
) -> Result<(), AssessError> {
    let receipt = receipt.map(|r| serde_json::to_string(r).expect("receipts serialize"));
    db.transact(|tx| {
        tx.execute(
            "UPDATE outbox SET state = ?2, state_ms = ?3, receipt = coalesce(?4, receipt),
                 problem = ?5, next_try_ms = NULL, tries = tries + 1
             WHERE id = ?1",
            params![id, state, now_ms, receipt, problem],
        )?;
        Ok::<_, AssessError>(())
    })
}

fn retry_later(db: &ProgressDb, id: &str, at_ms: i64, error: &str) -> Result<(), AssessError> {
    db.transact(|tx| {
        tx.execute(
            "UPDATE outbox SET state = 'queued', next_try_ms = ?2, last_error = ?3,
                 tries = tries + 1
             WHERE id = ?1",
            params![id, at_ms, error],
        )?;
        Ok::<_, AssessError>(())
    })
}

/// Sends every due queued submission to `server` with the access `token`, oldest first, until
/// the outbox is empty or a temporary failure says to wait. `random` gives numbers in [0, 1) for
/// the backoff's jitter.
pub async fn drain(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    mut random: impl FnMut() -> f64,
) -> Result<DrainReport, AssessError> {
    let mut report = DrainReport::default();
    let now = || carrel_protocol::unix_time_ms() as i64;
    while let Some(next) = next_due(db, now())? {
        let kind = if next.kind == "quiz" {
            SubmissionKind::Quiz
        } else {
            SubmissionKind::Assignment
        };
        let body = format!(
            r#"{{"kind":{},"payload":{}}}"#,
            serde_json::to_string(&kind).expect("kinds serialize"),
            next.payload
        );
        let sent = http
            .inner()
            .put(server.join(&submission_path(&next.id)))
            .bearer_auth(token)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let mut wait = |retry_after: Option<Duration>| {
            let delay = retry_after.unwrap_or_else(|| backoff(next.tries, random()));
            now() + delay.as_millis() as i64
        };
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                let at = wait(None);
                retry_later(db, &next.id, at, &format!("not sent: {error}"))?;
                report.retry_at_ms = Some(at);
                return Ok(report);
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if status.is_success() {
            match response.json::<Receipt>().await {
                Ok(receipt)
                    if receipt.sha256 == next.payload_sha256
                        && receipt.submission_id == next.id =>
                {
                    if receipt.replayed {
                        report.replayed += 1;
                    } else {
                        report.received += 1;
                    }
                    set_state(db, &next.id, "received", now(), Some(&receipt), None)?;
                }
                Ok(receipt) => {
                    report.refused += 1;
                    set_state(
                        db,
                        &next.id,
                        "needs_attention",
                        now(),
                        Some(&receipt),
                        Some(
                            "The server's receipt is for other content than what you submitted. Export this submission and send it to your tutor.",
                        ),
                    )?;
                }
                Err(error) => {
                    // The answer was cut after the server committed: sending again replays it.
                    let at = wait(None);
                    retry_later(
                        db,
                        &next.id,
                        at,
                        &format!("the receipt was not read: {error}"),
                    )?;
                    report.retry_at_ms = Some(at);
                    return Ok(report);
                }
            }
        } else if status == http::StatusCode::UNAUTHORIZED {
            report.unauthorized = true;
            return Ok(report);
        } else if status == http::StatusCode::CONFLICT
            || status == http::StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
        {
            let at = wait(retry_after);
            retry_later(db, &next.id, at, &format!("the server answered {status}"))?;
            report.retry_at_ms = Some(at);
            return Ok(report);
        } else {
            let message = response
                .json::<carrel_protocol::ApiError>()
                .await
                .map_or_else(
                    |_| format!("The server refused it ({status})."),
                    |e| e.message,
                );
            report.refused += 1;
            set_state(db, &next.id, "needs_attention", now(), None, Some(&message))?;
        }
    }
    Ok(report)
}
