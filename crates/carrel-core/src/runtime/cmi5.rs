//! cmi5 offline: Carrel is the LMS and a local Learning Record Store for the AUs it launches.
//!
//! Opening a cmi5 item [`launch`]es it: Carrel starts a session (its id, a one-time fetch key
//! and the auth token behind it), stores the LMS's own "launched" statement, and the content
//! window loads the AU with the launch parameters of cmi5 §8.1 (`endpoint`, `fetch`, `actor`,
//! `registration`, `activityId`). From there the AU talks xAPI to the endpoint, which the app
//! routes to [`fetch`] and [`handle`]:
//!
//! - `POST fetch` hands out the session's auth token once (cmi5 §8.2); a second call gets
//!   `error-code` 1.
//! - `activities/state` serves `LMS.LaunchData` (§10: context template, launch mode, moveOn,
//!   mastery score, launch parameters, entitlement key, return URL), read-only, and stores the
//!   AU's own state documents (bookmarks) durably.
//! - `agents/profile` stores the learner preferences (§11), checked.
//! - `statements` (PUT and POST) are checked against the cmi5 rules — the session's actor,
//!   registration and session id, `initialized` first and once, `terminated` last, the result
//!   each defined verb must and must not carry, mastery score, `completed` and `passed` once per
//!   registration, no voiding — and stored in one transaction, or refused as a whole with 403
//!   and the rule broken. A retry of a stored statement (same id, same content) is accepted again
//!   and stored once.
//!
//! moveOn is evaluated locally after each `completed`/`passed`: when the AU's criterion is met,
//! the item counts as completed in Carrel's progress, and once every AU of the course is, the LMS
//! stores a `satisfied` statement for the course. The end of a session — the AU's `terminated`,
//! or `abandoned` when the window was closed first, another session started or Carrel stopped
//! ([`abandon_open_in`]) —
//! queues the session's result and its statements in the outbox (kind `cmi5`, a
//! [`RuntimeResult`]), once: the sync delivers it to the course server like any submission.
//! After the end, the session's token no longer opens anything (401).

use std::collections::BTreeMap;

use carrel_package::manifest::{Cmi5Item, MoveOn};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Value, json};

use super::{RuntimeError, RuntimeItem, RuntimeResult, Score};
use crate::assess::outbox::{self, NewSubmission, SubmissionKind};
use crate::progress::{self, Event, EventKind, ProgressDb, ProgressError, new_event_id};

/// The xAPI version Carrel's local LRS speaks.
pub const XAPI_VERSION: &str = "1.0.3";
/// The category every cmi5-defined statement carries.
pub const CATEGORY_CMI5: &str = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
/// The category of statements that count towards moveOn.
pub const CATEGORY_MOVEON: &str = "https://w3id.org/xapi/cmi5/context/categories/moveon";
/// The context extension naming the session.
pub const EXT_SESSION_ID: &str = "https://w3id.org/xapi/cmi5/context/extensions/sessionid";
/// The context extension carrying the mastery score.
pub const EXT_MASTERY_SCORE: &str = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
const EXT_LAUNCH_MODE: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchmode";
const EXT_LAUNCH_URL: &str = "https://w3id.org/xapi/cmi5/context/extensions/launchurl";
const EXT_MOVE_ON: &str = "https://w3id.org/xapi/cmi5/context/extensions/moveon";
const EXT_LAUNCH_PARAMETERS: &str =
    "https://w3id.org/xapi/cmi5/context/extensions/launchparameters";
/// The state document the LMS writes for the AU.
pub const LAUNCH_DATA: &str = "LMS.LaunchData";
/// The agent profile holding the learner's preferences.
pub const LEARNER_PREFERENCES: &str = "cmi5LearnerPreferences";
/// The largest request body the local LRS takes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The most statement bytes one session may store: its result carries them all to the course
/// server, which takes submissions of up to 4 MiB.
pub const MAX_SESSION_STATEMENT_BYTES: usize = 3 * 1024 * 1024;
/// The most documents one AU may keep in each of the State and Agent Profile resources.
pub const MAX_DOCUMENTS: usize = 100;

/// The verbs cmi5 defines.
pub mod verb {
    /// The LMS launched the AU.
    pub const LAUNCHED: &str = "http://adlnet.gov/expapi/verbs/launched";
    /// The AU started its session.
    pub const INITIALIZED: &str = "http://adlnet.gov/expapi/verbs/initialized";
    /// The learner completed the AU.
    pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
    /// The learner passed.
    pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
    /// The learner failed.
    pub const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
    /// The AU ended its session.
    pub const TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";
    /// The session ended without `terminated` (the LMS says so).
    pub const ABANDONED: &str = "https://w3id.org/xapi/adl/verbs/abandoned";
    /// The LMS waived the AU.
    pub const WAIVED: &str = "https://w3id.org/xapi/adl/verbs/waived";
    /// The learner met the moveOn criteria of a block or course (the LMS says so).
    pub const SATISFIED: &str = "https://w3id.org/xapi/adl/verbs/satisfied";
    /// Voids an earlier statement; cmi5 AUs may not.
    pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";
}

/// Why the local LRS refused a request; each maps to the HTTP status the AU receives.
#[derive(Debug, thiserror::Error)]
pub enum XapiError {
    /// The progress database failed (500).
    #[error(transparent)]
    Progress(#[from] ProgressError),
    /// No valid auth token for an open session (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The request breaks a cmi5 rule (403).
    #[error("{0}")]
    Forbidden(String),
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing there (404).
    #[error("not found")]
    NotFound,
    /// A statement id already stored with other content, or a failed precondition (409, 412).
    #[error("{1}")]
    Conflict(u16, String),
    /// More than a session or an AU may store (413).
    #[error("{0}")]
    TooLarge(String),
}

impl XapiError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::Progress(_) => 500,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::BadRequest(_) => 400,
            Self::NotFound => 404,
            Self::Conflict(status, _) => *status,
            Self::TooLarge(_) => 413,
        }
    }
}

impl From<rusqlite::Error> for XapiError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Progress(error.into())
    }
}

impl From<RuntimeError> for XapiError {
    fn from(error: RuntimeError) -> Self {
        match error {
            RuntimeError::Progress(error) => Self::Progress(error),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

/// The AU being launched.
#[derive(Debug, Clone, Copy)]
pub struct Au<'a> {
    /// Its course.
    pub course_id: &'a str,
    /// Its item id.
    pub item_id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// What the signed manifest says of it.
    pub au: &'a Cmi5Item,
    /// The item ids of the AUs of the course whose moveOn the course's `satisfied` waits for
    /// (every AU but the NotApplicable ones, satisfied without a launch).
    pub course_aus: &'a [String],
}

/// Who the AU is launched for: an xAPI Agent identified by an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account's home page (the course server's address, or Carrel's own for a learner who
    /// never signed in).
    pub home_page: String,
    /// The account's name (the learner's login).
    pub name: String,
    /// A display name.
    pub display_name: String,
}

impl Actor {
    /// The Agent object.
    pub fn to_json(&self) -> Value {
        json!({
            "objectType": "Agent",
            "account": { "homePage": self.home_page, "name": self.name },
            "name": self.display_name,
        })
    }
}

/// The account an Agent object names, as `homePage|name`; `None` when it is not an Agent with
/// an account.
fn account_key(agent: &Value) -> Option<String> {
    if agent
        .get("objectType")
        .is_some_and(|t| t.as_str() != Some("Agent"))
    {
        return None;
    }
    let account = agent.get("account")?;
    Some(format!(
        "{}|{}",
        account.get("homePage")?.as_str()?,
        account.get("name")?.as_str()?
    ))
}

/// The activity id Carrel gives an AU: never the AU's publisher id (cmi5 §8.1.5), stable for the
/// item, so state and statements follow the item from one launch to the next.
pub fn activity_id(course_id: &str, item_id: &str) -> String {
    format!("urn:carrel:cmi5:{course_id}:{item_id}")
}

/// The activity id Carrel gives a cmi5 course (its `satisfied` statement's object): never the
/// publisher's course id (cmi5 §9.3.9).
pub fn course_activity_id(course_id: &str) -> String {
    format!("urn:carrel:cmi5:{course_id}")
}

/// What the content window needs to load the AU.
#[derive(Debug, Clone, PartialEq)]
pub struct Cmi5Launch {
    /// The session.
    pub session_id: String,
    /// The course's registration.
    pub registration: String,
    /// The AU's activity id.
    pub activity_id: String,
    /// Names the session's one-time fetch URL.
    pub fetch_key: String,
    /// The Agent, as JSON.
    pub actor: Value,
}

impl Cmi5Launch {
    /// The launch query of cmi5 §8.1, after the AU's own query (`au_query`): `endpoint` and
    /// `fetch` are the absolute URLs the app serves the LRS and the fetch URL on.
    pub fn query(&self, au_query: &str, endpoint: &str, fetch_url: &str) -> String {
        let actor = self.actor.to_string();
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        out.append_pair("endpoint", endpoint)
            .append_pair("fetch", fetch_url)
            .append_pair("registration", &self.registration)
            .append_pair("activityId", &self.activity_id)
            .append_pair("actor", &actor);
        let ours = out.finish();
        if au_query.is_empty() {
            ours
        } else {
            format!("{au_query}&{ours}")
        }
    }
}

/// A random (version 4) UUID: statement ids, registrations and sessions are UUIDs, and some LRSs
/// take only versions 1 to 5.
fn uuid_v4() -> Result<String, XapiError> {
    Ok(uuid::Builder::from_random_bytes(random()?)
        .into_uuid()
        .to_string())
}

/// `N` random bytes, as hex: fetch keys and tokens.
fn random_hex<const N: usize>() -> Result<String, XapiError> {
    Ok(carrel_package::archive::hex(&random::<N>()?))
}

fn random<const N: usize>() -> Result<[u8; N], XapiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| XapiError::BadRequest(format!("no randomness for an id or token: {e}")))?;
    Ok(bytes)
}

/// An instant as xAPI writes it: UTC, milliseconds (`2026-11-30T06:00:00.000Z`).
pub fn xapi_timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Starts a session of the AU (see the module docs). Sessions left open are abandoned when this
/// one fetches its token ([`fetch`]): until then, the page being left may still send what it
/// sends on its way out.
pub fn launch(
    db: &ProgressDb,
    au: &Au<'_>,
    actor: &Actor,
    now_ms: i64,
) -> Result<Cmi5Launch, XapiError> {
    db.transact(|tx| {
        let registration = match tx
            .query_row(
                "SELECT registration FROM cmi5_registration WHERE course_id = ?1",
                [au.course_id],
                |row| row.get::<_, String>(0),
            )
            .optional()?
        {
            Some(registration) => registration,
            None => {
                let registration = uuid_v4()?;
                tx.execute(
                    "INSERT INTO cmi5_registration (course_id, registration, created_ms)
                     VALUES (?1, ?2, ?3)",
                    params![au.course_id, registration, now_ms],
                )?;
                registration
            }
        };
        let number: u32 = tx.query_row(
            "SELECT COUNT(*) + 1 FROM cmi5_session WHERE course_id = ?1 AND item_id = ?2",
            params![au.course_id, au.item_id],
            |row| row.get(0),
        )?;
        let activity_id = activity_id(au.course_id, au.item_id);
        let launch = Cmi5Launch {
            session_id: uuid_v4()?,
            registration,
            activity_id,
            fetch_key: random_hex::<16>()?,
            actor: actor.to_json(),
        };
        let au_json =
            serde_json::to_string(au.au).map_err(|e| XapiError::BadRequest(e.to_string()))?;
        let aus = serde_json::to_string(au.course_aus)
            .map_err(|e| XapiError::BadRequest(e.to_string()))?;
        tx.execute(
            "INSERT INTO cmi5_session (session_id, course_id, item_id, registration, number,
                 fetch_key, token, state, actor, activity_id, au, course_aus, title, launched_ms,
                 updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'launched', ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
            params![
                launch.session_id,
                au.course_id,
                au.item_id,
                launch.registration,
                number,
                launch.fetch_key,
                random_hex::<32>()?,
                launch.actor.to_string(),
                launch.activity_id,
                au_json,
                aus,
                au.title,
                now_ms
            ],
        )?;
        let session = session_by(tx, "session_id", &launch.session_id)?
            .ok_or_else(|| XapiError::BadRequest("the session was not stored".to_owned()))?;
        let mut extensions = json!({
            EXT_SESSION_ID: session.id,
            EXT_LAUNCH_MODE: "Normal",
            EXT_LAUNCH_URL: au.au.path,
            EXT_MOVE_ON: au.au.move_on,
        });
        if let Some(parameters) = &au.au.launch_parameters {
            extensions[EXT_LAUNCH_PARAMETERS] = json!(parameters);
        }
        let launched =
            session.lms_statement(verb::LAUNCHED, "launched", None, extensions, now_ms)?;
        store(tx, &session, &launched, true, now_ms)?;
        // moveOn NotApplicable: the AU counts as done as soon as it is launched (cmi5 §9.3).
        if au.au.move_on == MoveOn::NotApplicable {
            satisfy(tx, &session, now_ms)?;
        }
        Ok(launch)
    })
}

/// What the fetch URL answers (cmi5 §8.2): the token, once, or an error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAnswer {
    /// `{"auth-token": …}`.
    Token(String),
    /// `{"error-code": …, "error-text": …}` (cmi5 §8.2.3): 1 already used or expired, 2 not a
    /// fetch URL of this LMS (security), 3 the LMS failed.
    Error(u8, &'static str),
}

impl FetchAnswer {
    /// The JSON body.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Token(token) => json!({ "auth-token": token }),
            Self::Error(code, text) => {
                json!({ "error-code": code.to_string(), "error-text": text })
            }
        }
    }
}

/// What the fetch URL did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The answer for the AU.
    pub answer: FetchAnswer,
    /// How many sessions left open were abandoned (their results queued).
    pub abandoned: usize,
}

/// `POST` to the fetch URL named by `fetch_key`. The first one starts the session for good:
/// every other session still open is abandoned then (the page that had it is gone).
pub fn fetch(db: &ProgressDb, fetch_key: &str, now_ms: i64) -> Result<Fetched, XapiError> {
    db.transact(|tx| {
        let refuse = |code, text| {
            Ok(Fetched {
                answer: FetchAnswer::Error(code, text),
                abandoned: 0,
            })
        };
        let Some(session) = session_by(tx, "fetch_key", fetch_key)? else {
            return refuse(2, "This is not a fetch URL Carrel gave.");
        };
        if session.ended() {
            return refuse(1, "This session has ended.");
        }
        if session.fetched {
            return refuse(1, "This fetch URL was already used.");
        }
        tx.execute(
            "UPDATE cmi5_session SET fetched = 1, updated_ms = ?2 WHERE session_id = ?1",
            params![session.id, now_ms],
        )?;
        let abandoned = abandon_open_in(tx, Some(&session.id), now_ms)?;
        Ok(Fetched {
            answer: FetchAnswer::Token(session.token),
            abandoned,
        })
    })
}

/// A request to the local LRS.
#[derive(Debug, Clone, Copy)]
pub struct XapiRequest<'a> {
    /// `GET`, `PUT`, `POST`, `DELETE`.
    pub method: &'a str,
    /// The resource below the endpoint: `statements`, `activities/state`, `agents/profile`,
    /// `about`.
    pub resource: &'a str,
    /// The raw query string.
    pub query: &'a str,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// `If-Match`.
    pub if_match: Option<&'a str>,
    /// `If-None-Match`.
    pub if_none_match: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
    /// Where the AU goes when it is done (`returnURL` in `LMS.LaunchData`).
    pub return_url: Option<&'a str>,
}

/// What the local LRS answers.
#[derive(Debug, Clone, PartialEq)]
pub struct XapiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body's media type, when there is a body.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// The document's ETag (state and agent profile GETs).
    pub etag: Option<String>,
    /// The course and item the request touched.
    pub item: Option<(String, String)>,
    /// Whether a session's result was queued in the outbox.
    pub queued: bool,
    /// Whether the item became completed.
    pub completed_now: bool,
}

impl XapiResponse {
    fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            body: Vec::new(),
            etag: None,
            item: None,
            queued: false,
            completed_now: false,
        }
    }

    fn json(status: u16, value: &Value) -> Self {
        Self {
            content_type: Some("application/json".to_owned()),
            body: value.to_string().into_bytes(),
            ..Self::empty(status)
        }
    }

    /// The answer to a refused request: its status, and the reason as JSON.
    pub fn refusal(error: &XapiError) -> Self {
        Self::json(error.status(), &json!({ "message": error.to_string() }))
    }
}

/// The session the request's auth token opens, with the course and item it belongs to, without
/// handling the request: the app checks the window shows that item first.
pub fn session_item(
    db: &ProgressDb,
    authorization: Option<&str>,
) -> Result<(String, String), XapiError> {
    db.transact(|tx| {
        let session = authorized(tx, authorization)?;
        Ok((session.course_id, session.item_id))
    })
}

/// Handles one request of the local LRS (see the module docs).
pub fn handle(
    db: &ProgressDb,
    request: &XapiRequest<'_>,
    now_ms: i64,
) -> Result<XapiResponse, XapiError> {
    if request.resource == "about" && request.method == "GET" {
        return Ok(XapiResponse::json(
            200,
            &json!({ "version": [XAPI_VERSION] }),
        ));
    }
    if request.body.len() > MAX_BODY_BYTES {
        return Err(XapiError::BadRequest(format!(
            "{} bytes, more than the {MAX_BODY_BYTES} a request may carry",
            request.body.len()
        )));
    }
    db.transact(|tx| {
        let session = authorized(tx, request.authorization)?;
        let mut response = match request.resource {
            "statements" => statements(tx, &session, request, now_ms)?,
            "activities/state" => state_document(tx, &session, request, now_ms)?,
            "agents/profile" => agent_profile(tx, &session, request, now_ms)?,
            other => {
                tracing::info!(resource = other, "an xAPI resource Carrel does not serve");
                return Err(XapiError::NotFound);
            }
        };
        response.item = Some((session.course_id, session.item_id));
        Ok(response)
    })
}

/// A session as stored.
#[derive(Debug, Clone)]
struct Session {
    id: String,
    course_id: String,
    item_id: String,
    registration: String,
    number: u32,
    token: String,
    fetched: bool,
    prefs_read: bool,
    state: String,
    verdict: Option<String>,
    actor: Value,
    activity_id: String,
    au: Cmi5Item,
    course_aus: Vec<String>,
    title: String,
    launched_ms: i64,
}

impl Session {
    fn ended(&self) -> bool {
        matches!(self.state.as_str(), "terminated" | "abandoned")
    }

    /// The context every statement of the session starts from (`contextTemplate`, cmi5 §10.2.1).
    fn context_template(&self) -> Value {
        let mut extensions = json!({ EXT_SESSION_ID: self.id });
        if let Some(mastery) = self.au.mastery_score {
            extensions[EXT_MASTERY_SCORE] = json!(mastery);
        }
        json!({
            "contextActivities": { "grouping": [{ "id": self.au.au_id }] },
            "extensions": extensions,
        })
    }

    /// A statement the LMS itself makes about this session.
    fn lms_statement(
        &self,
        verb_id: &str,
        display: &str,
        result: Option<Value>,
        extensions: Value,
        now_ms: i64,
    ) -> Result<Value, XapiError> {
        let mut statement = json!({
            "id": uuid_v4()?,
            "timestamp": xapi_timestamp(now_ms),
            "actor": self.actor,
            "verb": { "id": verb_id, "display": { "en-US": display } },
            "object": { "objectType": "Activity", "id": self.activity_id },
            "context": {
                "registration": self.registration,
                "contextActivities": {
                    "category": [{ "id": CATEGORY_CMI5 }],
                    "grouping": [{ "id": self.au.au_id }],
                },
                "extensions": extensions,
            },
        });
        if let Some(result) = result {
            statement["result"] = result;
        }
        Ok(statement)
    }

    fn launch_data(&self, return_url: Option<&str>) -> Value {
        let mut data = json!({
            "contextTemplate": self.context_template(),
            "launchMode": "Normal",
            "launchMethod": self.au.launch_method,
            "moveOn": self.au.move_on,
        });
        if let Some(parameters) = &self.au.launch_parameters {
            data["launchParameters"] = json!(parameters);
        }
        if let Some(mastery) = self.au.mastery_score {
            data["masteryScore"] = json!(mastery);
        }
        if let Some(key) = &self.au.entitlement_key {
            data["entitlementKey"] = json!({ "courseStructure": key });
        }
        if let Some(url) = return_url {
            data["returnURL"] = json!(url);
        }
        data
    }
}

fn session_by(
    tx: &Transaction<'_>,
    column: &'static str,
    value: &str,
) -> Result<Option<Session>, XapiError> {
    type Row = (
        [String; 5],
        u32,
        [bool; 2],
        Option<String>,
        [String; 6],
        i64,
    );
    let row: Option<Row> = tx
        .query_row(
            &format!(
                "SELECT session_id, course_id, item_id, registration, token, number, fetched,
                     prefs_read, verdict, state, actor, activity_id, au, course_aus, title,
                     launched_ms
                 FROM cmi5_session WHERE {column} = ?1"
            ),
            [value],
            |row| {
                Ok((
                    [
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ],
                    row.get(5)?,
                    [row.get(6)?, row.get(7)?],
                    row.get(8)?,
                    [
                        row.get(9)?,
                        row.get(10)?,
                        row.get(11)?,
                        row.get(12)?,
                        row.get(13)?,
                        row.get(14)?,
                    ],
                    row.get(15)?,
                ))
            },
        )
        .optional()?;
    let Some((ids, number, [fetched, prefs_read], verdict, texts, launched_ms)) = row else {
        return Ok(None);
    };
    let [id, course_id, item_id, registration, token] = ids;
    let [state, actor, activity_id, au, course_aus, title] = texts;
    let damaged = |e: serde_json::Error| {
        XapiError::BadRequest(format!("a cmi5 session record is damaged: {e}"))
    };
    Ok(Some(Session {
        id,
        course_id,
        item_id,
        registration,
        number,
        token,
        fetched,
        prefs_read,
        state,
        verdict,
        actor: serde_json::from_str(&actor).map_err(damaged)?,
        activity_id,
        au: serde_json::from_str(&au).map_err(damaged)?,
        course_aus: serde_json::from_str(&course_aus).map_err(damaged)?,
        title,
        launched_ms,
    }))
}

/// The open session the `Authorization: Basic <token>` header names.
fn authorized(tx: &Transaction<'_>, authorization: Option<&str>) -> Result<Session, XapiError> {
    let token = authorization
        .and_then(|header| header.trim().strip_prefix("Basic "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            XapiError::Unauthorized(
                "the request carries no auth token (POST to the fetch URL first)".to_owned(),
            )
        })?;
    let session = session_by(tx, "token", token)?
        .filter(|session| session.fetched)
        .ok_or_else(|| XapiError::Unauthorized("this auth token opens no session".to_owned()))?;
    if session.ended() {
        return Err(XapiError::Unauthorized(format!(
            "this session has ended ({}); the AU must be launched again",
            session.state
        )));
    }
    Ok(session)
}

/// The query string's parameters.
fn query_map(query: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// Checks the `activityId`, `agent` and `registration` of a state request against the session.
fn check_state_target(
    session: &Session,
    query: &BTreeMap<String, String>,
) -> Result<String, XapiError> {
    let activity = query
        .get("activityId")
        .ok_or_else(|| XapiError::BadRequest("activityId is missing".to_owned()))?;
    let agent = agent_of(session, query)?;
    if activity != &session.activity_id {
        return Err(XapiError::Forbidden(
            "this session may only use its own activity's state".to_owned(),
        ));
    }
    if let Some(registration) = query.get("registration")
        && registration != &session.registration
    {
        return Err(XapiError::Forbidden(
            "this session may only use its own registration's state".to_owned(),
        ));
    }
    Ok(agent)
}

/// The `agent` parameter's account: present (400) and the session's own (403).
fn agent_of(session: &Session, query: &BTreeMap<String, String>) -> Result<String, XapiError> {
    let raw = query
        .get("agent")
        .ok_or_else(|| XapiError::BadRequest("agent is missing".to_owned()))?;
    let agent: Value = serde_json::from_str(raw)
        .map_err(|e| XapiError::BadRequest(format!("agent is not JSON: {e}")))?;
    let key = account_key(&agent);
    if key.is_none() || key != account_key(&session.actor) {
        return Err(XapiError::Forbidden(
            "the agent is not the learner this AU was launched for".to_owned(),
        ));
    }
    Ok(key.unwrap_or_default())
}

fn etag_of(content: &[u8]) -> String {
    format!("\"{}\"", crate::assess::outbox::sha256_hex(content))
}

/// `activities/state`.
fn state_document(
    tx: &Transaction<'_>,
    session: &Session,
    request: &XapiRequest<'_>,
    now_ms: i64,
) -> Result<XapiResponse, XapiError> {
    let query = query_map(request.query);
    let agent = check_state_target(session, &query)?;
    let registration = query.get("registration").cloned().unwrap_or_default();
    let state_id = query.get("stateId").map(String::as_str);
    let key = DocumentKey {
        kind: "state",
        activity_id: &session.activity_id,
        agent: &agent,
        registration: &registration,
    };
    match (request.method, state_id) {
        ("GET", Some(LAUNCH_DATA)) => Ok(XapiResponse::json(
            200,
            &session.launch_data(request.return_url),
        )),
        (_, Some(LAUNCH_DATA)) => Err(XapiError::Forbidden(
            "LMS.LaunchData is the LMS's: an AU may read it, never change it".to_owned(),
        )),
        ("GET", Some(id)) => key.get(tx, id),
        ("GET", None) => {
            let ids: Vec<String> = tx
                .prepare(
                    "SELECT document_id FROM xapi_document WHERE kind = ?1 AND activity_id = ?2
                     AND agent = ?3 AND registration = ?4 ORDER BY document_id",
                )?
                .query_map(
                    params![key.kind, key.activity_id, key.agent, key.registration],
                    |row| row.get(0),
                )?
                .collect::<Result<_, _>>()?;
            let mut ids = ids;
            ids.push(LAUNCH_DATA.to_owned());
            Ok(XapiResponse::json(200, &json!(ids)))
        }
        ("PUT", Some(id)) => key.put(tx, id, request, false, now_ms),
        ("POST", Some(id)) => key.put(tx, id, request, true, now_ms),
        ("DELETE", Some(id)) => key.delete(tx, Some(id)),
        ("DELETE", None) => key.delete(tx, None),
        (_, None) => Err(XapiError::BadRequest("stateId is missing".to_owned())),
        _ => Err(XapiError::BadRequest(format!(
            "{} is not a method of the State resource",
            request.method
        ))),
    }
}

/// The key of a stored document, less its id.
struct DocumentKey<'a> {
    kind: &'static str,
    activity_id: &'a str,
    agent: &'a str,
    registration: &'a str,
}

impl DocumentKey<'_> {
    fn stored(
        &self,
        tx: &Transaction<'_>,
        id: &str,
    ) -> Result<Option<(Vec<u8>, String)>, XapiError> {
        Ok(tx
            .query_row(
                "SELECT content, content_type FROM xapi_document WHERE kind = ?1
                 AND activity_id = ?2 AND agent = ?3 AND registration = ?4 AND document_id = ?5",
                params![
                    self.kind,
                    self.activity_id,
                    self.agent,
                    self.registration,
                    id
                ],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// The document, or 404 — an answer, not an error: what the request changed (the learner
    /// preferences were read) stays.
    fn get(&self, tx: &Transaction<'_>, id: &str) -> Result<XapiResponse, XapiError> {
        let Some((content, content_type)) = self.stored(tx, id)? else {
            return Ok(XapiResponse::refusal(&XapiError::NotFound));
        };
        Ok(XapiResponse {
            etag: Some(etag_of(&content)),
            content_type: Some(content_type),
            body: content,
            ..XapiResponse::empty(200)
        })
    }

    /// PUT (replace) or POST (merge JSON objects, xAPI §2.2.5) a document, after the request's
    /// preconditions.
    fn put(
        &self,
        tx: &Transaction<'_>,
        id: &str,
        request: &XapiRequest<'_>,
        merge: bool,
        now_ms: i64,
    ) -> Result<XapiResponse, XapiError> {
        let stored = self.stored(tx, id)?;
        check_preconditions(stored.as_ref().map(|(c, _)| c.as_slice()), request)?;
        if stored.is_none() {
            let kept: i64 = tx.query_row(
                "SELECT COUNT(*) FROM xapi_document WHERE kind = ?1 AND activity_id = ?2
                 AND agent = ?3 AND registration = ?4",
                params![self.kind, self.activity_id, self.agent, self.registration],
                |row| row.get(0),
            )?;
            if kept as usize >= MAX_DOCUMENTS {
                return Err(XapiError::TooLarge(format!(
                    "this AU already keeps {kept} documents here, the most Carrel keeps"
                )));
            }
        }
        let content_type = request
            .content_type
            .unwrap_or("application/octet-stream")
            .to_owned();
        let content = match (&stored, merge) {
            (Some((old, old_type)), true) => {
                let parse = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).ok();
                match (
                    old_type.starts_with("application/json")
                        && request
                            .content_type
                            .is_some_and(|t| t.starts_with("application/json")),
                    parse(old),
                    parse(request.body),
                ) {
                    (true, Some(Value::Object(mut old)), Some(Value::Object(new))) => {
                        old.extend(new);
                        Value::Object(old).to_string().into_bytes()
                    }
                    _ => {
                        return Err(XapiError::BadRequest(
                            "POST merges JSON objects: the stored document or this one is not one"
                                .to_owned(),
                        ));
                    }
                }
            }
            _ => request.body.to_vec(),
        };
        tx.execute(
            "INSERT INTO xapi_document (kind, activity_id, agent, registration, document_id,
                 content, content_type, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (kind, activity_id, agent, registration, document_id)
             DO UPDATE SET content = excluded.content, content_type = excluded.content_type,
                 updated_ms = excluded.updated_ms",
            params![
                self.kind,
                self.activity_id,
                self.agent,
                self.registration,
                id,
                content,
                content_type,
                now_ms
            ],
        )?;
        Ok(XapiResponse::empty(204))
    }

    fn delete(&self, tx: &Transaction<'_>, id: Option<&str>) -> Result<XapiResponse, XapiError> {
        tx.execute(
            "DELETE FROM xapi_document WHERE kind = ?1 AND activity_id = ?2 AND agent = ?3
             AND registration = ?4 AND (?5 IS NULL OR document_id = ?5)",
            params![
                self.kind,
                self.activity_id,
                self.agent,
                self.registration,
                id
            ],
        )?;
        Ok(XapiResponse::empty(204))
    }
}

/// `If-Match` / `If-None-Match` (xAPI §2.3.1, concurrency).
fn check_preconditions(stored: Option<&[u8]>, request: &XapiRequest<'_>) -> Result<(), XapiError> {
    let failed = |message: &str| Err(XapiError::Conflict(412, message.to_owned()));
    if let Some(expected) = request.if_match {
        match stored {
            Some(content) if expected == "*" || expected == etag_of(content) => {}
            _ => return failed("the document changed since it was read (If-Match)"),
        }
    }
    if request.if_none_match == Some("*") && stored.is_some() {
        return failed("the document already exists (If-None-Match)");
    }
    Ok(())
}

/// `agents/profile`: the learner preferences are checked (cmi5 §11); other profiles are stored
/// as they come.
fn agent_profile(
    tx: &Transaction<'_>,
    session: &Session,
    request: &XapiRequest<'_>,
    now_ms: i64,
) -> Result<XapiResponse, XapiError> {
    let query = query_map(request.query);
    let agent = agent_of(session, &query)?;
    let profile_id = query
        .get("profileId")
        .map(String::as_str)
        .ok_or_else(|| XapiError::BadRequest("profileId is missing".to_owned()))?;
    // The learner preferences are the learner's, for every course; any other profile is kept
    // per course, so one course's content cannot read or change another's.
    let scope = if profile_id == LEARNER_PREFERENCES {
        String::new()
    } else {
        format!("course:{}", session.course_id)
    };
    let key = DocumentKey {
        kind: "agent-profile",
        activity_id: &scope,
        agent: &agent,
        registration: "",
    };
    match request.method {
        "GET" => {
            if profile_id == LEARNER_PREFERENCES {
                tx.execute(
                    "UPDATE cmi5_session SET prefs_read = 1 WHERE session_id = ?1",
                    [&session.id],
                )?;
            }
            key.get(tx, profile_id)
        }
        "PUT" | "POST" => {
            if profile_id == LEARNER_PREFERENCES {
                check_preferences(request)?;
            }
            key.put(tx, profile_id, request, request.method == "POST", now_ms)
        }
        "DELETE" => key.delete(tx, Some(profile_id)),
        other => Err(XapiError::BadRequest(format!(
            "{other} is not a method of the Agent Profile resource"
        ))),
    }
}

/// The learner preferences document: a JSON object with `languagePreference` (a comma-separated
/// list of language tags) and `audioPreference` (`on` or `off`).
fn check_preferences(request: &XapiRequest<'_>) -> Result<(), XapiError> {
    let refused = |why: &str| Err(XapiError::Forbidden(format!("learner preferences: {why}")));
    if !request
        .content_type
        .is_some_and(|t| t.starts_with("application/json"))
    {
        return refused("the document must be sent as application/json");
    }
    let Ok(Value::Object(document)) = serde_json::from_slice::<Value>(request.body) else {
        return refused("the document must be a JSON object");
    };
    let Some(languages) = document.get("languagePreference").and_then(Value::as_str) else {
        return refused("languagePreference is missing");
    };
    let tag = |tag: &str| {
        let mut parts = tag.split('-');
        parts.next().is_some_and(|primary| {
            (2..=8).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic())
        }) && parts.all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
    };
    if languages.is_empty() || !languages.split(',').all(tag) {
        return refused("languagePreference must be a comma-separated list of language tags");
    }
    if !matches!(
        document.get("audioPreference").and_then(Value::as_str),
        Some("on" | "off")
    ) {
        return refused("audioPreference must be \"on\" or \"off\"");
    }
    Ok(())
}

/// `statements`: PUT one (`statementId`), POST one or many, GET one by id.
fn statements(
    tx: &Transaction<'_>,
    session: &Session,
    request: &XapiRequest<'_>,
    now_ms: i64,
) -> Result<XapiResponse, XapiError> {
    let query = query_map(request.query);
    if request.method == "GET" {
        let id = query.get("statementId").ok_or_else(|| {
            XapiError::BadRequest(
                "Carrel's local LRS answers statement queries by statementId only".to_owned(),
            )
        })?;
        let body: String = tx
            .query_row(
                "SELECT body FROM xapi_statement WHERE id = ?1 AND registration = ?2",
                params![id, session.registration],
                |row| row.get(0),
            )
            .optional()?
            .ok_or(XapiError::NotFound)?;
        return Ok(XapiResponse {
            content_type: Some("application/json".to_owned()),
            body: body.into_bytes(),
            ..XapiResponse::empty(200)
        });
    }
    let parsed: Value = serde_json::from_slice(request.body)
        .map_err(|e| XapiError::BadRequest(format!("the statement is not JSON: {e}")))?;
    let (batch, single) = match (request.method, parsed) {
        ("PUT", Value::Object(mut statement)) => {
            let id = query.get("statementId").ok_or_else(|| {
                XapiError::BadRequest("PUT statements needs a statementId".to_owned())
            })?;
            match statement.get("id").and_then(Value::as_str) {
                Some(own) if own != id => {
                    return Err(XapiError::BadRequest(
                        "the statement's id is not the statementId of the request".to_owned(),
                    ));
                }
                _ => {
                    statement.insert("id".to_owned(), json!(id));
                }
            }
            (vec![Value::Object(statement)], true)
        }
        ("POST", Value::Array(statements)) => (statements, false),
        ("POST", statement @ Value::Object(_)) => (vec![statement], false),
        ("PUT" | "POST", _) => {
            return Err(XapiError::BadRequest(
                "a statement is a JSON object (POST also takes an array of them)".to_owned(),
            ));
        }
        (other, _) => {
            return Err(XapiError::BadRequest(format!(
                "{other} is not a method of the Statement resource"
            )));
        }
    };
    let stored_bytes: i64 = tx.query_row(
        "SELECT COALESCE(SUM(length(body)), 0) FROM xapi_statement WHERE session_id = ?1",
        [&session.id],
        |row| row.get(0),
    )?;
    let new_bytes: usize = batch.iter().map(|s| s.to_string().len()).sum();
    if stored_bytes as usize + new_bytes > MAX_SESSION_STATEMENT_BYTES {
        return Err(XapiError::TooLarge(format!(
            "this session has stored {stored_bytes} bytes of statements; Carrel keeps at most \
             {MAX_SESSION_STATEMENT_BYTES} per session: the AU should end the session \
             (terminated) and go on in a new one"
        )));
    }
    // Checked one after the other against the session as each would leave it; stored together
    // or not at all (the transaction rolls back on the first refusal).
    let mut ids = Vec::new();
    let mut session = session.clone();
    let (mut queued, mut completed_now) = (false, false);
    for statement in &batch {
        let id = statement.get("id").and_then(Value::as_str).unwrap_or("");
        if let Some(existing) = tx
            .query_row(
                "SELECT body FROM xapi_statement WHERE id = ?1",
                [id],
                |row| row.get::<_, String>(0),
            )
            .optional()?
        {
            // A retry of a stored statement is answered again, and stored once.
            if serde_json::from_str::<Value>(&existing).ok().as_ref() == Some(statement) {
                ids.push(id.to_owned());
                continue;
            }
            return Err(XapiError::Conflict(
                409,
                format!("a different statement with id {id} is already stored"),
            ));
        }
        let checked = check_statement(tx, &session, statement)?;
        store(tx, &session, statement, false, now_ms)?;
        ids.push(id.to_owned());
        let effect = apply(tx, &mut session, &checked, now_ms)?;
        queued |= effect.queued;
        completed_now |= effect.completed_now;
    }
    let mut response = if single {
        XapiResponse::empty(204)
    } else {
        XapiResponse::json(200, &json!(ids))
    };
    response.queued = queued;
    response.completed_now = completed_now;
    Ok(response)
}

/// What a statement is, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Initialized,
    Completed,
    Passed,
    Failed,
    Terminated,
    /// Any other ("allowed") statement.
    Allowed,
}

/// The ids of the statement's context categories.
fn categories(statement: &Value) -> Vec<&str> {
    match &statement["context"]["contextActivities"]["category"] {
        Value::Array(list) => list.iter().filter_map(|c| c["id"].as_str()).collect(),
        Value::Object(one) => one.get("id").and_then(Value::as_str).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Checks a statement from the AU against the session and the cmi5 rules (cmi5 §9).
fn check_statement(
    tx: &Transaction<'_>,
    session: &Session,
    statement: &Value,
) -> Result<Kind, XapiError> {
    let refuse = |why: String| Err(XapiError::Forbidden(why));
    let id = statement
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| XapiError::Forbidden("the AU must give every statement its id".into()))?;
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(XapiError::BadRequest(format!("the id {id} is not a UUID")));
    }
    let verb_id = statement["verb"]["id"]
        .as_str()
        .ok_or_else(|| XapiError::BadRequest("the statement has no verb id".to_owned()))?;
    if statement["object"].get("id").is_none() {
        return Err(XapiError::BadRequest(
            "the statement has no object".to_owned(),
        ));
    }
    match statement.get("timestamp").and_then(Value::as_str) {
        None => return refuse("the statement has no timestamp".into()),
        Some(at) if at.parse::<jiff::Timestamp>().is_err() => {
            return Err(XapiError::BadRequest(format!(
                "the timestamp {at} is not ISO 8601"
            )));
        }
        Some(at) if !at.ends_with('Z') => {
            return refuse(format!("the timestamp {at} is not in UTC (…Z)"));
        }
        Some(_) => {}
    }
    let actor = &statement["actor"];
    if account_key(actor).is_none() || account_key(actor) != account_key(&session.actor) {
        return refuse("the actor is not the Agent this AU was launched for".into());
    }
    if verb_id == verb::VOIDED {
        return refuse("an AU may not void statements".into());
    }
    let context = statement
        .get("context")
        .filter(|c| c.is_object())
        .ok_or_else(|| XapiError::Forbidden("the statement has no context".into()))?;
    if context["registration"].as_str() != Some(session.registration.as_str()) {
        return refuse("the context's registration is not this session's".into());
    }
    if context["extensions"][EXT_SESSION_ID].as_str() != Some(session.id.as_str()) {
        return refuse("the context's sessionid extension is not this session's".into());
    }
    let categories = categories(statement);
    let cmi5 = categories.contains(&CATEGORY_CMI5);
    let moveon = categories.contains(&CATEGORY_MOVEON);
    let kind = match (cmi5, verb_id) {
        (true, verb::INITIALIZED) => Kind::Initialized,
        (true, verb::COMPLETED) => Kind::Completed,
        (true, verb::PASSED) => Kind::Passed,
        (true, verb::FAILED) => Kind::Failed,
        (true, verb::TERMINATED) => Kind::Terminated,
        (true, verb::LAUNCHED | verb::ABANDONED | verb::WAIVED | verb::SATISFIED) => {
            return refuse(format!("{verb_id} is the LMS's to state, not the AU's"));
        }
        (true, other) => return refuse(format!("{other} is not a cmi5 verb")),
        (false, _) => Kind::Allowed,
    };
    // Order within the session: nothing after terminated (in the same batch: later ones are
    // refused with it).
    if session.ended() {
        return refuse("terminated was the session's last statement".into());
    }
    match (session.state.as_str(), kind) {
        ("launched", Kind::Initialized) if !session.prefs_read => {
            return refuse(
                "the AU must read the learner preferences before it is initialized".into(),
            );
        }
        ("launched", Kind::Initialized) => {}
        ("launched", _) => return refuse("the AU must send initialized first".into()),
        (_, Kind::Initialized) => return refuse("the session is already initialized".into()),
        _ => {}
    }
    let defined_with_result = matches!(kind, Kind::Completed | Kind::Passed | Kind::Failed);
    if defined_with_result != moveon {
        return refuse(if moveon {
            "only completed, passed and failed carry the moveon category".into()
        } else {
            "completed, passed and failed must carry the moveon category".into()
        });
    }
    if kind == Kind::Allowed {
        return Ok(kind);
    }
    if statement["object"]["id"].as_str() != Some(session.activity_id.as_str()) {
        return refuse("a cmi5 statement's object must be the AU's activity id".into());
    }
    let result = &statement["result"];
    let duration = result["duration"].as_str();
    if matches!(
        kind,
        Kind::Completed | Kind::Passed | Kind::Failed | Kind::Terminated
    ) {
        match duration {
            None => return refuse("the statement's result must give its duration".into()),
            Some(text) if parse_duration_s(text).is_none() => {
                return Err(XapiError::BadRequest(format!(
                    "the duration {text} is not an ISO 8601 duration"
                )));
            }
            Some(_) => {}
        }
    }
    let said = |verb_id: &str| said_in_registration(tx, session, verb_id);
    match kind {
        Kind::Completed => {
            if result["completion"].as_bool() != Some(true) {
                return refuse("completed needs result.completion true".into());
            }
            if result.get("success").is_some() || result.get("score").is_some() {
                return refuse("completed carries neither success nor score".into());
            }
            if said(verb::COMPLETED)? {
                return refuse("the AU was already completed in this registration".into());
            }
        }
        Kind::Passed | Kind::Failed => {
            let passed = kind == Kind::Passed;
            if result["success"].as_bool() != Some(passed) {
                return refuse(format!("{verb_id} needs result.success {passed}"));
            }
            if result.get("completion").is_some() {
                return refuse("passed and failed carry no completion".into());
            }
            check_score(&result["score"])?;
            if let Some(mastery) = session.au.mastery_score {
                if context["extensions"][EXT_MASTERY_SCORE].as_f64() != Some(mastery) {
                    return refuse(format!(
                        "the masteryscore extension must be the launch's {mastery}"
                    ));
                }
                if let Some(scaled) = result["score"]["scaled"].as_f64()
                    && (scaled >= mastery) != passed
                {
                    return refuse(format!(
                        "a scaled score of {scaled} against a mastery score of {mastery} is not {}",
                        if passed { "a pass" } else { "a fail" }
                    ));
                }
            }
            if said(verb::PASSED)? {
                return refuse("the AU was already passed in this registration".into());
            }
            if session.verdict.is_some() {
                return refuse("the AU already judged this session passed or failed".into());
            }
        }
        _ => {}
    }
    Ok(kind)
}

/// A score's raw value needs its min and max, and each must be in order.
fn check_score(score: &Value) -> Result<(), XapiError> {
    if score.is_null() {
        return Ok(());
    }
    let field = |name: &str| score[name].as_f64();
    if field("raw").is_some() && (field("min").is_none() || field("max").is_none()) {
        return Err(XapiError::Forbidden(
            "a raw score needs its min and max".to_owned(),
        ));
    }
    if let (Some(raw), Some(min), Some(max)) = (field("raw"), field("min"), field("max"))
        && !(min <= raw && raw <= max)
    {
        return Err(XapiError::Forbidden(format!(
            "the raw score {raw} is outside {min}–{max}"
        )));
    }
    if field("scaled").is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        return Err(XapiError::Forbidden(
            "a cmi5 scaled score is between 0 and 1".to_owned(),
        ));
    }
    Ok(())
}

fn said_in_registration(
    tx: &Transaction<'_>,
    session: &Session,
    verb_id: &str,
) -> Result<bool, XapiError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM xapi_statement WHERE registration = ?1 AND item_id = ?2
             AND verb = ?3)",
        params![session.registration, session.item_id, verb_id],
        |row| row.get(0),
    )?)
}

fn store(
    tx: &Transaction<'_>,
    session: &Session,
    statement: &Value,
    by_lms: bool,
    now_ms: i64,
) -> Result<(), XapiError> {
    tx.execute(
        "INSERT INTO xapi_statement (id, session_id, registration, item_id, verb, by_lms, body,
             stored_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            statement["id"].as_str(),
            session.id,
            session.registration,
            session.item_id,
            statement["verb"]["id"].as_str(),
            by_lms,
            statement.to_string(),
            now_ms
        ],
    )?;
    Ok(())
}

#[derive(Debug, Default)]
struct Effect {
    queued: bool,
    completed_now: bool,
}

/// What a stored statement changes: the session's state, the item's completion, the outbox.
fn apply(
    tx: &Transaction<'_>,
    session: &mut Session,
    kind: &Kind,
    now_ms: i64,
) -> Result<Effect, XapiError> {
    let mut effect = Effect::default();
    match kind {
        Kind::Initialized => set_state(tx, session, "initialized", now_ms)?,
        Kind::Passed | Kind::Failed => {
            let verdict = if *kind == Kind::Passed {
                "passed"
            } else {
                "failed"
            };
            tx.execute(
                "UPDATE cmi5_session SET verdict = ?2, updated_ms = ?3 WHERE session_id = ?1",
                params![session.id, verdict, now_ms],
            )?;
            session.verdict = Some(verdict.to_owned());
        }
        Kind::Terminated => {
            set_state(tx, session, "terminated", now_ms)?;
            queue_session(tx, session, "terminated", now_ms)?;
            effect.queued = true;
        }
        Kind::Completed | Kind::Allowed => {}
    }
    if matches!(kind, Kind::Completed | Kind::Passed) && move_on_met(tx, session)? {
        effect.completed_now = satisfy(tx, session, now_ms)?;
    }
    Ok(effect)
}

fn set_state(
    tx: &Transaction<'_>,
    session: &mut Session,
    state: &str,
    now_ms: i64,
) -> Result<(), XapiError> {
    tx.execute(
        "UPDATE cmi5_session SET state = ?2, updated_ms = ?3 WHERE session_id = ?1",
        params![session.id, state, now_ms],
    )?;
    session.state = state.to_owned();
    Ok(())
}

/// Whether the AU's moveOn criterion is met in the registration.
fn move_on_met(tx: &Transaction<'_>, session: &Session) -> Result<bool, XapiError> {
    let completed = said_in_registration(tx, session, verb::COMPLETED)?;
    let passed = said_in_registration(tx, session, verb::PASSED)?;
    Ok(match session.au.move_on {
        MoveOn::Completed => completed,
        MoveOn::Passed => passed,
        MoveOn::CompletedAndPassed => completed && passed,
        MoveOn::CompletedOrPassed => completed || passed,
        MoveOn::NotApplicable => true,
    })
}

/// The AU met its moveOn: the item is completed in Carrel's progress (once), and when every AU
/// of the course is, the LMS states the course satisfied (once per registration). Returns
/// whether the item became completed now.
fn satisfy(tx: &Transaction<'_>, session: &Session, now_ms: i64) -> Result<bool, XapiError> {
    let (course_id, item_id) = (session.course_id.as_str(), session.item_id.as_str());
    let completed_now = !progress::completed_in(tx, course_id, item_id)?;
    if completed_now {
        progress::record_in(
            tx,
            &[Event {
                id: new_event_id(),
                course_id: course_id.to_owned(),
                item_id: item_id.to_owned(),
                kind: EventKind::Completed,
                at_ms: now_ms,
                value: None,
                unit: None,
                end: None,
            }],
        )?;
    }
    let mut all = true;
    for au in &session.course_aus {
        all &= progress::completed_in(tx, course_id, au)?;
    }
    let already: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM xapi_statement WHERE registration = ?1 AND verb = ?2)",
        params![session.registration, verb::SATISFIED],
        |row| row.get(0),
    )?;
    if all && !already {
        let mut statement = session.lms_statement(
            verb::SATISFIED,
            "satisfied",
            None,
            json!({ EXT_SESSION_ID: session.id }),
            now_ms,
        )?;
        statement["object"] = json!({
            "objectType": "Activity",
            // The LMS's own id for the course, never the publisher's (cmi5 §9.3.9).
            "id": course_activity_id(&session.course_id),
            "definition": { "type": "https://w3id.org/xapi/cmi5/activitytype/course" },
        });
        store(tx, session, &statement, true, now_ms)?;
    }
    Ok(completed_now)
}

/// Abandons every session still open (launched or initialized) but `except`: the LMS states it
/// `abandoned`, with the time from launch to its last statement (cmi5 §9.5.4.2: not the time
/// the window sat open, or Carrel was closed), and queues its result. Called when a new session
/// fetches its token, when the content window is gone and when Carrel starts. A session record
/// that cannot be read is ended without a statement rather than holding every other one up.
/// Returns how many.
pub fn abandon_open_in(
    tx: &Transaction<'_>,
    except: Option<&str>,
    now_ms: i64,
) -> Result<usize, XapiError> {
    let open: Vec<String> = tx
        .prepare(
            "SELECT session_id FROM cmi5_session WHERE state IN ('launched', 'initialized')
                 AND session_id IS NOT ?1
             ORDER BY launched_ms",
        )?
        .query_map([except], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &open {
        let mut session = match session_by(tx, "session_id", id) {
            Ok(Some(session)) => session,
            Ok(None) => continue,
            Err(XapiError::Progress(error)) => return Err(XapiError::Progress(error)),
            Err(error) => {
                tracing::error!(%error, session_id = id, "a cmi5 session record is unreadable; ended");
                tx.execute(
                    "UPDATE cmi5_session SET state = 'abandoned', updated_ms = ?2
                     WHERE session_id = ?1",
                    params![id, now_ms],
                )?;
                continue;
            }
        };
        let last_ms: i64 = tx.query_row(
            "SELECT COALESCE(MAX(stored_ms), ?2) FROM xapi_statement WHERE session_id = ?1",
            params![id, session.launched_ms],
            |row| row.get(0),
        )?;
        let elapsed_ms = (last_ms - session.launched_ms).max(0);
        let abandoned = session.lms_statement(
            verb::ABANDONED,
            "abandoned",
            Some(json!({ "duration": iso_duration(elapsed_ms) })),
            json!({ EXT_SESSION_ID: session.id }),
            now_ms,
        )?;
        store(tx, &session, &abandoned, true, now_ms)?;
        set_state(tx, &mut session, "abandoned", now_ms)?;
        queue_session(tx, &session, "abandoned", now_ms)?;
    }
    Ok(open.len())
}

/// Queues the ended session's result and statements in the outbox (kind `cmi5`), once.
fn queue_session(
    tx: &Transaction<'_>,
    session: &Session,
    ending: &str,
    now_ms: i64,
) -> Result<(), XapiError> {
    let statements: Vec<Value> = tx
        .prepare("SELECT body FROM xapi_statement WHERE session_id = ?1 ORDER BY seq")?
        .query_map([&session.id], |row| row.get::<_, String>(0))?
        .map(|body| Ok(serde_json::from_str(&body?).unwrap_or(Value::Null)))
        .collect::<Result<_, rusqlite::Error>>()?;
    let registration_verbs = |verb_id: &str| said_in_registration(tx, session, verb_id);
    let completed = registration_verbs(verb::COMPLETED)?;
    let (passed, failed) = (
        registration_verbs(verb::PASSED)?,
        registration_verbs(verb::FAILED)?,
    );
    // The score of the registration's latest verdict.
    let verdict_score: Option<Value> = tx
        .query_row(
            "SELECT body FROM xapi_statement WHERE registration = ?1 AND item_id = ?2
                 AND verb IN (?3, ?4) ORDER BY seq DESC LIMIT 1",
            params![
                session.registration,
                session.item_id,
                verb::PASSED,
                verb::FAILED
            ],
            |row| row.get::<_, String>(0),
        )
        .optional()?
        .and_then(|body| serde_json::from_str::<Value>(&body).ok())
        .map(|statement| statement["result"]["score"].clone())
        .filter(|score| score.is_object());
    let score: Option<Score> = verdict_score.and_then(|s| serde_json::from_value(s).ok());
    let durations: Vec<String> = tx
        .prepare(
            "SELECT json_extract(body, '$.result.duration') FROM xapi_statement
             WHERE registration = ?1 AND item_id = ?2 AND verb IN (?3, ?4)",
        )?
        .query_map(
            params![
                session.registration,
                session.item_id,
                verb::TERMINATED,
                verb::ABANDONED
            ],
            |row| row.get::<_, Option<String>>(0),
        )?
        .filter_map(|d| d.transpose())
        .collect::<Result<_, _>>()?;
    let total_time: f64 = durations.iter().filter_map(|d| parse_duration_s(d)).sum();
    let satisfied = progress::completed_in(tx, &session.course_id, &session.item_id)?;
    let score_scaled = score.as_ref().and_then(|s| {
        s.scaled.or(match (s.raw, s.min, s.max) {
            (Some(raw), Some(min), Some(max)) if max > min => Some((raw - min) / (max - min)),
            _ => None,
        })
    });
    let item = RuntimeItem {
        course_id: &session.course_id,
        item_id: &session.item_id,
        title: &session.title,
        standard: "cmi5",
    };
    let id = new_event_id();
    let result = RuntimeResult {
        submission_id: id.clone(),
        course_id: session.course_id.clone(),
        item_id: session.item_id.clone(),
        standard: "cmi5".to_owned(),
        attempt: 1,
        session: session.number,
        completion_status: if completed { "completed" } else { "incomplete" }.to_owned(),
        success_status: if passed {
            "passed"
        } else if failed {
            "failed"
        } else {
            "unknown"
        }
        .to_owned(),
        score,
        score_scaled,
        total_time_seconds: total_time,
        suspended: ending == "abandoned",
        ended_ms: now_ms,
        runtime_data: json!({
            "registration": session.registration,
            "sessionId": session.id,
            "activityId": session.activity_id,
            "publisherId": session.au.au_id,
            "moveOn": session.au.move_on,
            "satisfied": satisfied,
            "ending": ending,
            "statements": statements,
        }),
    };
    let payload = serde_json::to_vec(&result).map_err(|e| XapiError::BadRequest(e.to_string()))?;
    let source = format!(
        "cmi5:{}:{}:{}",
        session.course_id, session.item_id, session.id
    );
    outbox::enqueue(
        tx,
        &id,
        &NewSubmission {
            kind: SubmissionKind::Cmi5,
            course_id: item.course_id,
            item_id: item.item_id,
            title: item.title,
            source: &source,
            version: 1,
            payload: &payload,
            grade: None,
            attachments: &[],
            due_ms: None,
            now_ms,
        },
    )
    .map_err(RuntimeError::from)?;
    Ok(())
}

/// Seconds in an ISO 8601 duration (`PT1H2M3.5S`, `P1DT2H`); `None` when it is not one. Years
/// and months have no fixed length and are refused.
pub fn parse_duration_s(text: &str) -> Option<f64> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    if date.is_empty() && time.is_none() {
        return None;
    }
    let mut total = 0.0;
    let mut units = |part: &str, allowed: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        let mut last = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let position = allowed.iter().position(|(unit, _)| *unit == c)?;
            if position < last || number.is_empty() {
                return None;
            }
            last = position + 1;
            total += number.parse::<f64>().ok()? * allowed[position].1;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    units(date, &[('W', 604_800.0), ('D', 86_400.0)])?;
    if let Some(time) = time {
        units(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    Some(total)
}

/// `elapsed_ms` as an ISO 8601 duration (`PT1H2M3.5S`).
pub fn iso_duration(elapsed_ms: i64) -> String {
    let centis = elapsed_ms.max(0) / 10;
    let (hours, minutes) = (centis / 360_000, centis % 360_000 / 6000);
    let seconds = (centis % 6000) as f64 / 100.0;
    let mut out = "PT".to_owned();
    if hours > 0 {
        out += &format!("{hours}H");
    }
    if minutes > 0 {
        out += &format!("{minutes}M");
    }
    out + &format!("{seconds}S")
}

#[cfg(test)]
mod tests;
