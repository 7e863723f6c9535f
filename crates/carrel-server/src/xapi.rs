//! Forwarding learning records to an institution's Learning Record Store (xAPI 1.0.3).
//!
//! Every submission the server stores gives xAPI statements, queued in `xapi_forward` in the
//! transaction that stores it (or grades it), whether an LRS is configured or not — so an LRS
//! configured later receives the history too:
//!
//! - **cmi5 results** carry the statements of their session exactly as Carrel's local LRS stored
//!   them (the AU's and the LMS's own: `launched`, `abandoned`, `satisfied`), ids included.
//! - **SCORM results** are mapped ([`scorm_statements`], documented in `docs/standards.md`):
//!   `terminated` or `suspended` for the session's end with the attempt's time, `completed` when the
//!   content reported completion, `passed`/`failed` with the score when it reported success.
//! - **Native activities** (quizzes and assignments): `completed` when the learner's work is
//!   stored, `scored` and `passed`/`failed` each time it is graded ([`grade_statements`]).
//!
//! Statement ids are derived from what they record — the session's end from its submission, a
//! SCORM attempt's `completed` and verdict from the learner, item and attempt (the sessions of an
//! attempt that repeat them state them once), a grade from its submission and time — so queueing
//! the same fact twice queues one statement. The actor of every statement is the learner who
//! submitted the record, at the server's public address, whatever the record said: a learner
//! records only for themself.
//!
//! The [`Forwarder`] sends queued statements in order (nothing overtakes a statement that waits),
//! [`BATCH`] at a time, with the LRS's Basic
//! credentials. An LRS stores a statement id once and accepts an identical statement again, so a
//! batch whose answer was lost is simply sent again: each statement is stored by the LRS exactly
//! once. A batch the LRS refuses (400, or 409: an id it holds with other content) is sent one
//! statement at a time to find the one at fault, which is set aside as `refused` with the LRS's
//! reason, so it cannot hold the queue up. Network errors, 5xx, 429 and refused credentials are
//! retried with exponential backoff (1 s doubling up to [`MAX_BACKOFF`]) by the forwarder as a
//! whole: while the LRS does not take statements, one request per pause, not one per statement.

use std::time::Duration;

use crate::storage::sql::params;
use carrel_core::runtime::RuntimeResult;
use carrel_core::runtime::cmi5::xapi_timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::storage::{Storage, StorageError};

/// Statements per request.
pub const BATCH: usize = 50;
/// The longest wait before retrying.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// How often the forwarder looks for queued statements when it has nothing to send.
pub const POLL: Duration = Duration::from_secs(2);

const VERB_COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
const VERB_PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
const VERB_FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
const VERB_SCORED: &str = "http://adlnet.gov/expapi/verbs/scored";
const VERB_TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";
const VERB_SUSPENDED: &str = "https://w3id.org/xapi/adl/verbs/suspended";
const EXT_ATTEMPT: &str = "https://w3id.org/xapi/carrel/extensions/attempt";
const EXT_SESSION: &str = "https://w3id.org/xapi/carrel/extensions/session";
const ACTIVITY_ASSESSMENT: &str = "http://adlnet.gov/expapi/activities/assessment";
const ACTIVITY_MODULE: &str = "http://adlnet.gov/expapi/activities/module";

/// Where statements go.
#[derive(Clone, PartialEq, Eq)]
pub struct LrsConfig {
    /// The LRS's xAPI endpoint, without a trailing `/` (its resources are below it:
    /// `<endpoint>/statements`).
    pub endpoint: String,
    /// The Basic auth key (user name).
    pub key: String,
    /// The Basic auth secret.
    pub secret: String,
    /// The `homePage` of the learners' xAPI accounts (their login is the account name): the
    /// server's public address, as the app gives cmi5 content.
    pub home_page: String,
}

impl std::fmt::Debug for LrsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("LrsConfig")
            .field("endpoint", &self.endpoint)
            .field("key", &self.key)
            .field("home_page", &self.home_page)
            .finish_non_exhaustive()
    }
}

/// A UUID (version 4 layout, so every LRS takes it) derived from `parts`.
fn derived_id(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The last segment of a statement's verb id (`passed` for `…/verbs/passed`), for reports.
pub fn verb_name(statement: &Value) -> &str {
    let id = statement["verb"]["id"].as_str().unwrap_or("");
    id.rsplit('/').next().unwrap_or(id)
}

/// The activity id of a Carrel item (cmi5 AUs have their own, given at launch).
pub fn item_activity(course_id: &str, item_id: &str) -> String {
    format!("urn:carrel:item:{course_id}:{item_id}")
}

/// The item a statement is about.
#[derive(Debug, Clone, Copy)]
struct Target<'a> {
    course_id: &'a str,
    item_id: &'a str,
    activity_type: &'a str,
}

/// A statement about an item, without its actor (the forwarder writes the learner's Agent).
fn statement(
    id: String,
    verb: &str,
    at_ms: i64,
    target: Target<'_>,
    result: Option<Value>,
    extensions: Option<Value>,
) -> Value {
    let Target {
        course_id,
        item_id,
        activity_type,
    } = target;
    let display = verb.rsplit('/').next().unwrap_or(verb);
    let mut statement = json!({
        "id": id,
        "timestamp": xapi_timestamp(at_ms),
        "verb": { "id": verb, "display": { "en-US": display } },
        "object": {
            "objectType": "Activity",
            "id": item_activity(course_id, item_id),
            "definition": { "type": activity_type },
        },
        "context": {
            "platform": "Carrel",
            "contextActivities": { "parent": [{ "id": format!("urn:carrel:course:{course_id}") }] },
        },
    });
    if let Some(result) = result {
        statement["result"] = result;
    }
    if let Some(extensions) = extensions {
        statement["context"]["extensions"] = extensions;
    }
    statement
}

/// The score object of `score` out of `max`.
fn score(raw: f64, max: f64) -> Value {
    let scaled = if max > 0.0 {
        (raw / max).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    json!({ "raw": raw, "min": 0.0, "max": max, "scaled": scaled })
}

/// The statements a cmi5 session's result carries: its own, each only if it is about this
/// session's registration; whatever actor, authority or storage fields they claim are dropped
/// (the forwarder writes the submitting learner's Agent: a learner records only for themself).
pub fn cmi5_statements(result: &RuntimeResult) -> Vec<Value> {
    let registration = result.runtime_data["registration"].as_str();
    result.runtime_data["statements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| registration.is_some() && s["context"]["registration"].as_str() == registration)
        .filter_map(|s| {
            let mut statement = s.as_object()?.clone();
            for field in ["actor", "authority", "stored", "version"] {
                statement.remove(field);
            }
            Some(Value::Object(statement))
        })
        .collect()
}

/// The statements a SCORM session's result maps to (see the module docs). The session's end is
/// the session's own; `completed` and the verdict are facts of the attempt, with one id per
/// learner, item, attempt and verb, so the sessions of an attempt that repeat them state them
/// once.
pub fn scorm_statements(learner: &str, client_id: &str, result: &RuntimeResult) -> Vec<Value> {
    let (course, item, at) = (&result.course_id, &result.item_id, result.ended_ms);
    let extensions = json!({ EXT_ATTEMPT: result.attempt, EXT_SESSION: result.session });
    let attempt = result.attempt.to_string();
    let about = |verb: &str, result_body: Value| {
        let id = if matches!(verb, VERB_TERMINATED | VERB_SUSPENDED) {
            derived_id(&[client_id, verb])
        } else {
            derived_id(&[learner, course, item, &attempt, verb])
        };
        statement(
            id,
            verb,
            at,
            Target {
                course_id: course,
                item_id: item,
                activity_type: ACTIVITY_MODULE,
            },
            Some(result_body),
            Some(extensions.clone()),
        )
    };
    let duration = format!("PT{:.2}S", result.total_time_seconds.max(0.0));
    let mut statements = vec![about(
        if result.suspended {
            VERB_SUSPENDED
        } else {
            VERB_TERMINATED
        },
        json!({ "duration": duration }),
    )];
    if result.completion_status == "completed" {
        statements.push(about(VERB_COMPLETED, json!({ "completion": true })));
    }
    // Only a consistent score: an LRS refuses raw outside min–max or a scaled score outside
    // -1–1, and the verdict would be refused with it.
    let scored = result.score.as_ref().map(|s| {
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
        let (raw, min, max) = (finite(s.raw), finite(s.min), finite(s.max));
        let ordered = match (raw, min, max) {
            (Some(raw), Some(min), Some(max)) => min <= raw && raw <= max,
            (Some(raw), Some(min), None) => min <= raw,
            (Some(raw), None, Some(max)) => raw <= max,
            (_, Some(min), Some(max)) => min <= max,
            _ => true,
        };
        let mut score = json!({});
        if ordered {
            for (key, value) in [("raw", raw), ("min", min), ("max", max)] {
                if let Some(value) = value {
                    score[key] = json!(value);
                }
            }
        }
        if let Some(scaled) = finite(result.score_scaled).filter(|v| (-1.0..=1.0).contains(v)) {
            score["scaled"] = json!(scaled);
        }
        score
    });
    let verdict = match result.success_status.as_str() {
        "passed" => Some((VERB_PASSED, true)),
        "failed" => Some((VERB_FAILED, false)),
        _ => None,
    };
    if let Some((verb, success)) = verdict {
        let mut body = json!({ "success": success });
        if let Some(score) = scored.filter(|s| s.as_object().is_some_and(|o| !o.is_empty())) {
            body["score"] = score;
        }
        statements.push(about(verb, body));
    }
    statements
}

/// What a grade says, as statements: `scored`, then `passed` or `failed` when the item has a
/// pass mark. Their ids include the grade's time: a new grade is new statements.
pub fn grade_statements(grade: &carrel_protocol::changes::Grade) -> Vec<Value> {
    let at = grade.graded_ms as i64;
    let at_text = grade.graded_ms.to_string();
    let target = Target {
        course_id: &grade.course_id,
        item_id: &grade.item_id,
        activity_type: ACTIVITY_ASSESSMENT,
    };
    let about = |verb: &str, result: Value| {
        statement(
            derived_id(&[&grade.submission_id, verb, &at_text]),
            verb,
            at,
            target,
            Some(result),
            None,
        )
    };
    let scored = score(grade.score, grade.max_score);
    let mut statements = vec![about(
        VERB_SCORED,
        json!({ "score": scored, "completion": true }),
    )];
    if let Some(passed) = grade.passed {
        let verb = if passed { VERB_PASSED } else { VERB_FAILED };
        statements.push(about(verb, json!({ "success": passed, "score": scored })));
    }
    statements
}

/// `completed` for a quiz attempt or assignment the learner submitted.
pub fn submitted_statement(
    client_id: &str,
    course_id: &str,
    item_id: &str,
    received_ms: i64,
) -> Value {
    statement(
        derived_id(&[client_id, VERB_COMPLETED]),
        VERB_COMPLETED,
        received_ms,
        Target {
            course_id,
            item_id,
            activity_type: ACTIVITY_ASSESSMENT,
        },
        Some(json!({ "completion": true })),
        None,
    )
}

/// Queues `statements` of submission `server_id` for the LRS (once per statement id).
pub(crate) fn queue_in(
    tx: &crate::storage::sql::Conn<'_>,
    server_id: i64,
    statements: &[Value],
) -> Result<(), StorageError> {
    let now = carrel_protocol::unix_time_ms() as i64;
    let mut insert = tx.prepare_cached(
        "INSERT INTO xapi_forward (statement_id, submission_id, body, queued_ms)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (statement_id) DO NOTHING",
    )?;
    for statement in statements {
        let Some(id) = statement["id"].as_str() else {
            tracing::warn!(server_id, "a statement without an id is not forwarded");
            continue;
        };
        insert.execute(params![id, server_id, statement.to_string(), now])?;
    }
    Ok(())
}

/// Counts of the forwarding queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    /// Waiting to be sent.
    pub queued: u64,
    /// Stored by the LRS.
    pub sent: u64,
    /// Refused by the LRS, set aside.
    pub refused: u64,
}

/// How many statements are in each state.
pub async fn counts(storage: &Storage) -> Result<QueueCounts, StorageError> {
    storage
        .with_conn(|conn| {
            let count = |state: &str| -> crate::storage::sql::Result<u64> {
                conn.query_row(
                    "SELECT COUNT(*) FROM xapi_forward WHERE state = ?1",
                    [&state],
                    |row| row.get(0),
                )
            };
            Ok(QueueCounts {
                queued: count("queued")?,
                sent: count("sent")?,
                refused: count("refused")?,
            })
        })
        .await
}

/// A statement due to be sent.
#[derive(Debug, Clone)]
struct Due {
    statement_id: String,
    body: Value,
}

/// What one pass of [`Forwarder::send_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Statements the LRS stored.
    pub sent: usize,
    /// Statements it refused (set aside).
    pub refused: usize,
    /// Statements to retry later.
    pub deferred: usize,
}

/// How one request fared.
enum Outcome {
    Stored,
    /// The LRS refuses this content (400, 409, 413): the reason.
    Refused(String),
    /// Try again later: the reason.
    Later(String),
}

/// Sends queued statements to the LRS (see the module docs).
#[derive(Debug, Clone)]
pub struct Forwarder {
    storage: Storage,
    config: LrsConfig,
    client: reqwest::Client,
}

impl Forwarder {
    /// A forwarder for `config`.
    pub fn new(storage: Storage, config: LrsConfig) -> Result<Self, reqwest::Error> {
        // Installing fails only when a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("carrel-server/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(15))
            .build()?;
        Ok(Self {
            storage,
            config,
            client,
        })
    }

    /// How long to wait after `failures` passes in a row that the LRS did not take: 1 s,
    /// doubling, at most [`MAX_BACKOFF`].
    pub fn backoff(failures: u32) -> Duration {
        let seconds = 1u64 << failures.saturating_sub(1).min(20);
        Duration::from_secs(seconds).min(MAX_BACKOFF)
    }

    /// Sends until `shutdown` completes: at once while there is more, every [`POLL`] when the
    /// queue is empty, and after [`Forwarder::backoff`] while the LRS is not taking statements
    /// (the queue waits in order; nothing is sent around it).
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut failures = 0u32;
        loop {
            let pause = match self.send_due().await {
                Ok(pass) if pass.deferred > 0 => {
                    failures = failures.saturating_add(1);
                    Self::backoff(failures)
                }
                Ok(pass) if pass.sent + pass.refused > 0 => {
                    failures = 0;
                    Duration::ZERO
                }
                Ok(_) => {
                    failures = 0;
                    POLL
                }
                Err(error) => {
                    tracing::error!(%error, "the LRS forwarding queue could not be read");
                    POLL
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Sends the statements due now, one batch; returns what happened to them.
    pub async fn send_due(&self) -> Result<Pass, StorageError> {
        let due: Vec<Due> = self
            .storage
            .with_conn(move |conn| {
                let rows = conn
                    .prepare_cached(
                        "SELECT x.statement_id, x.body, u.login FROM xapi_forward x
                         JOIN submissions s ON s.id = x.submission_id
                         JOIN users u ON u.id = s.user_id
                         WHERE x.state = 'queued' ORDER BY x.seq LIMIT ?1",
                    )?
                    .query_map(params![BATCH as i64], |row| {
                        Ok((
                            row.get::<String>(0)?,
                            row.get::<String>(1)?,
                            row.get::<String>(2)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await?
            .into_iter()
            .map(|(statement_id, body, login)| {
                let mut body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                // Always the learner who submitted the record, whatever it said.
                body["actor"] = json!({
                    "objectType": "Agent",
                    "account": { "homePage": self.config.home_page, "name": login },
                });
                Due { statement_id, body }
            })
            .collect();
        if due.is_empty() {
            return Ok(Pass::default());
        }
        let batch: Vec<&Value> = due.iter().map(|d| &d.body).collect();
        let mut pass = Pass::default();
        match self.post(&json!(batch)).await {
            Outcome::Stored => {
                self.mark(&due, &Outcome::Stored).await?;
                pass.sent = due.len();
            }
            Outcome::Later(reason) => {
                tracing::warn!(
                    reason,
                    count = due.len(),
                    "the LRS did not take a batch; retrying later"
                );
                self.mark(&due, &Outcome::Later(reason)).await?;
                pass.deferred = due.len();
            }
            // One of them is at fault: find it, statement by statement, in order; the first that
            // must wait stops the pass, so nothing overtakes it.
            Outcome::Refused(_) => {
                for (index, one) in due.iter().enumerate() {
                    let mut outcome = self.put(&one.body, &one.statement_id).await;
                    // xAPI lets an LRS answer 409 to a statement it holds *identically*: after a
                    // lost answer, that is this very statement, stored — not a clash.
                    if matches!(&outcome, Outcome::Refused(reason) if reason.starts_with("409"))
                        && self.holds(&one.body, &one.statement_id).await
                    {
                        outcome = Outcome::Stored;
                    }
                    self.mark(std::slice::from_ref(one), &outcome).await?;
                    match outcome {
                        Outcome::Stored => pass.sent += 1,
                        Outcome::Refused(reason) => {
                            tracing::warn!(
                                statement_id = one.statement_id,
                                reason,
                                "the LRS refused a statement; set aside"
                            );
                            pass.refused += 1;
                        }
                        Outcome::Later(_) => {
                            pass.deferred += due.len() - index;
                            break;
                        }
                    }
                }
            }
        }
        Ok(pass)
    }

    fn request(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .basic_auth(&self.config.key, Some(&self.config.secret))
            .header("X-Experience-API-Version", "1.0.3")
    }

    async fn post(&self, batch: &Value) -> Outcome {
        let url = format!("{}/statements", self.config.endpoint);
        Self::outcome(self.request(self.client.post(url)).json(batch).send().await).await
    }

    async fn put(&self, statement: &Value, id: &str) -> Outcome {
        let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let url = format!("{}/statements?statementId={id}", self.config.endpoint);
        Self::outcome(
            self.request(self.client.put(url))
                .json(statement)
                .send()
                .await,
        )
        .await
    }

    /// Whether the LRS holds statement `id` with this verb, object and result (what it stores
    /// beside them — `stored`, `authority`, a normalised timestamp — is its own).
    async fn holds(&self, statement: &Value, id: &str) -> bool {
        let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let url = format!("{}/statements?statementId={id}", self.config.endpoint);
        let Ok(response) = self.request(self.client.get(url)).send().await else {
            return false;
        };
        if !response.status().is_success() {
            return false;
        }
        let Ok(held) = response.json::<Value>().await else {
            return false;
        };
        ["verb", "object", "result"]
            .iter()
            .all(|field| held.get(*field) == statement.get(*field))
            && held["actor"]["account"] == statement["actor"]["account"]
    }

    async fn outcome(response: Result<reqwest::Response, reqwest::Error>) -> Outcome {
        let response = match response {
            Ok(response) => response,
            Err(error) => return Outcome::Later(format!("the LRS could not be reached: {error}")),
        };
        let status = response.status();
        if status.is_success() {
            return Outcome::Stored;
        }
        let body = response.text().await.unwrap_or_default();
        let reason = format!("{status}: {}", body.chars().take(500).collect::<String>());
        match status.as_u16() {
            400 | 409 | 413 => Outcome::Refused(reason),
            401 | 403 => Outcome::Later(format!(
                "the LRS refused Carrel's credentials ({reason}); check lrs_key and the secret"
            )),
            _ => Outcome::Later(reason),
        }
    }

    /// Records how `statements` fared.
    async fn mark(&self, statements: &[Due], outcome: &Outcome) -> Result<(), StorageError> {
        let now = carrel_protocol::unix_time_ms() as i64;
        let rows: Vec<String> = statements.iter().map(|d| d.statement_id.clone()).collect();
        let (state, reason) = match outcome {
            Outcome::Stored => ("sent", None),
            Outcome::Refused(reason) => ("refused", Some(reason.clone())),
            Outcome::Later(reason) => ("queued", Some(reason.clone())),
        };
        self.storage
            .transact(move |tx| {
                for id in &rows {
                    tx.execute(
                        "UPDATE xapi_forward SET state = ?2, tries = tries + 1,
                             sent_ms = CASE WHEN ?2 = 'sent' THEN ?3 ELSE sent_ms END,
                             last_error = ?4
                         WHERE statement_id = ?1",
                        params![id, state, now, reason],
                    )?;
                }
                Ok(())
            })
            .await
    }
}

/// The statements queued for submission `server_id` and their state, in order.
pub async fn queued_for(
    storage: &Storage,
    server_id: i64,
) -> Result<Vec<(String, String)>, StorageError> {
    storage
        .with_conn(move |conn| {
            let rows = conn
                .prepare(
                    "SELECT statement_id, state FROM xapi_forward WHERE submission_id = ?1
                     ORDER BY seq",
                )?
                .query_map([&server_id], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scorm(suspended: bool, completion: &str, success: &str) -> RuntimeResult {
        serde_json::from_value(json!({
            "submissionId": "s1", "courseId": "c", "itemId": "golf",
            "standard": "scorm-2004", "attempt": 2, "session": 3,
            "completionStatus": completion, "successStatus": success,
            "score": { "raw": 42.0, "min": 0.0, "max": 50.0 }, "scoreScaled": 0.84,
            "totalTimeSeconds": 75.5, "suspended": suspended, "endedMs": 1_800_000_000_000_i64,
            "runtimeData": { "cmi": {} }
        }))
        .unwrap()
    }

    fn verbs(statements: &[Value]) -> Vec<&str> {
        statements.iter().map(verb_name).collect()
    }

    /// The documented SCORM mapping: the session's end, completion when reported, the verdict
    /// with the score; ids derived from the submission, so mapping it again gives the same ones.
    #[test]
    fn a_scorm_session_maps_to_its_end_completion_and_verdict() {
        let suspended = scorm_statements("7", "s1", &scorm(true, "incomplete", "unknown"));
        assert_eq!(verbs(&suspended), ["suspended"]);
        assert_eq!(suspended[0]["result"]["duration"], "PT75.50S");
        assert_eq!(
            suspended[0]["context"]["extensions"][EXT_ATTEMPT], 2,
            "the attempt and session ride along"
        );
        let done = scorm_statements("7", "s1", &scorm(false, "completed", "passed"));
        assert_eq!(verbs(&done), ["terminated", "completed", "passed"]);
        assert_eq!(
            done[2]["result"],
            json!({ "success": true, "score": { "raw": 42.0, "min": 0.0, "max": 50.0, "scaled": 0.84 } })
        );
        assert_eq!(done[0]["object"]["id"], "urn:carrel:item:c:golf");
        assert!(
            done.iter().all(|s| s.get("actor").is_none()),
            "the forwarder adds it"
        );
        let again = scorm_statements("7", "s1", &scorm(false, "completed", "passed"));
        assert_eq!(done, again, "the same record, the same statements and ids");
        let next_session = scorm_statements("7", "s2", &scorm(false, "completed", "passed"));
        assert_ne!(
            done[0]["id"], next_session[0]["id"],
            "each session ends once"
        );
        assert_eq!(
            (&done[1]["id"], &done[2]["id"]),
            (&next_session[1]["id"], &next_session[2]["id"]),
            "an attempt is completed and passed once, however many sessions say so"
        );
        let other_learner = scorm_statements("8", "s3", &scorm(false, "completed", "passed"));
        assert_ne!(done[2]["id"], other_learner[2]["id"]);
        let failed = scorm_statements("7", "s1", &scorm(false, "completed", "failed"));
        assert_eq!(verbs(&failed), ["terminated", "completed", "failed"]);
        for statement in done.iter().chain(&failed) {
            let id = statement["id"].as_str().unwrap();
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 4, "{id}: an id every LRS takes");
        }
    }

    /// A grade: scored, then passed or failed when there is a pass mark; a new grade (another
    /// time) gives new statements; a submitted quiz or assignment is `completed`.
    #[test]
    fn grades_and_submissions_map_to_scored_passed_failed_and_completed() {
        let grade = |passed: Option<bool>, graded_ms: u64| carrel_protocol::changes::Grade {
            submission_id: "a1".into(),
            server_id: 1,
            kind: carrel_protocol::submissions::SubmissionKind::Assignment,
            course_id: "c".into(),
            item_id: "essay".into(),
            score: 8.0,
            max_score: 10.0,
            passed,
            complete: true,
            feedback: None,
            graded_by: Some("Tom".into()),
            graded_ms,
            detail: None,
        };
        let first = grade_statements(&grade(Some(true), 1));
        assert_eq!(verbs(&first), ["scored", "passed"]);
        assert_eq!(first[0]["result"]["score"]["scaled"], 0.8);
        assert_eq!(
            verbs(&grade_statements(&grade(Some(false), 1))),
            ["scored", "failed"]
        );
        assert_eq!(verbs(&grade_statements(&grade(None, 1))), ["scored"]);
        let regraded = grade_statements(&grade(Some(true), 2));
        assert_ne!(first[0]["id"], regraded[0]["id"]);
        let submitted = submitted_statement("a1", "c", "essay", 5);
        assert_eq!(verbs(std::slice::from_ref(&submitted)), ["completed"]);
        assert_eq!(submitted["timestamp"], "1970-01-01T00:00:00.005Z");
    }

    /// cmi5 results carry their statements, those of their registration only, without the
    /// actor and LRS fields they claim (the forwarder writes the submitting learner's Agent).
    #[test]
    fn a_cmi5_result_forwards_its_own_statements_for_its_own_learner() {
        let mut result = scorm(false, "completed", "passed");
        result.standard = "cmi5".into();
        let registration = json!({ "registration": "r1" });
        result.runtime_data = json!({ "registration": "r1", "statements": [
            { "id": "x", "actor": { "mbox": "mailto:bob@example.org" }, "authority": {},
              "stored": "2026-01-01T00:00:00Z", "context": registration },
            { "id": "y", "context": { "registration": "another" } },
            { "id": "z", "context": registration },
        ] });
        assert_eq!(
            cmi5_statements(&result),
            [
                json!({ "id": "x", "context": registration }),
                json!({ "id": "z", "context": registration })
            ]
        );
    }

    /// A SCORM score that does not hold together is left out (an LRS would refuse the verdict
    /// with it); the verdict still goes.
    #[test]
    fn an_inconsistent_scorm_score_is_left_out_of_the_verdict() {
        let mut result = scorm(false, "completed", "passed");
        result.score = Some(carrel_core::runtime::Score {
            raw: Some(120.0),
            min: Some(0.0),
            max: Some(100.0),
            scaled: None,
        });
        result.score_scaled = Some(1.2);
        let statements = scorm_statements("7", "s1", &result);
        assert_eq!(statements[2]["result"], json!({ "success": true }));
    }

    /// Backoff: 1 s, doubling, at most ten minutes, whatever the count.
    #[test]
    fn the_forwarder_backs_off_exponentially_up_to_ten_minutes() {
        let seconds: Vec<u64> = [1, 2, 3, 4, 10, 11, 40, u32::MAX]
            .into_iter()
            .map(|n| Forwarder::backoff(n).as_secs())
            .collect();
        assert_eq!(seconds, [1, 2, 4, 8, 512, 600, 600, 600]);
    }
}
