#![allow(clippy::unwrap_used)]

use carrel_package::manifest::LaunchMethod;

use super::*;
use crate::runtime::end_open_sessions;

const COURSE: &str = "c";
const NOW: i64 = 1_750_000_000_000;
const AU_ID: &str = "https://publisher.example/au/geometry";
const COURSE_IRI: &str = "https://publisher.example/course/maths";
const EXPERIENCED: &str = "http://adlnet.gov/expapi/verbs/experienced";
const PREFERENCES: &str = r#"{"languagePreference":"en-US,fr-FR","audioPreference":"on"}"#;

fn db() -> (tempfile::TempDir, ProgressDb) {
    let dir = tempfile::tempdir().unwrap();
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    (dir, db)
}

/// The AU as a signed manifest describes it.
fn cmi5_item(move_on: MoveOn, mastery_score: Option<f64>) -> Cmi5Item {
    Cmi5Item {
        path: "au/index.html".to_owned(),
        query: "lang=en".to_owned(),
        au_id: AU_ID.to_owned(),
        course_iri: COURSE_IRI.to_owned(),
        move_on,
        mastery_score,
        launch_method: LaunchMethod::AnyWindow,
        launch_parameters: Some("level=2".to_owned()),
        entitlement_key: Some("ek-123".to_owned()),
        activity_type: None,
    }
}

fn learner() -> Actor {
    Actor {
        home_page: "https://courses.example".to_owned(),
        name: "ada".to_owned(),
        display_name: "Ada".to_owned(),
    }
}

fn launch_au(
    db: &ProgressDb,
    item_id: &str,
    au: &Cmi5Item,
    course_aus: &[&str],
    now_ms: i64,
) -> Cmi5Launch {
    let course_aus: Vec<String> = course_aus.iter().map(|id| (*id).to_owned()).collect();
    launch(
        db,
        &Au {
            course_id: COURSE,
            item_id,
            title: "Geometry",
            au,
            course_aus: &course_aus,
        },
        &learner(),
        now_ms,
    )
    .unwrap()
}

/// A session as the AU holds it once it fetched its token.
struct Open {
    launch: Cmi5Launch,
    auth: String,
    au_id: String,
    mastery: Option<f64>,
}

/// Launches the AU and fetches its token, as the AU does first.
fn start(db: &ProgressDb, item_id: &str, au: &Cmi5Item, course_aus: &[&str], now_ms: i64) -> Open {
    let launch = launch_au(db, item_id, au, course_aus, now_ms);
    let FetchAnswer::Token(token) = fetch(db, &launch.fetch_key, now_ms).unwrap().answer else {
        panic!("the first fetch gives the token")
    };
    Open {
        launch,
        auth: format!("Basic {token}"),
        au_id: au.au_id.clone(),
        mastery: au.mastery_score,
    }
}

/// The one AU of a course of one AU.
fn start_one(db: &ProgressDb, move_on: MoveOn, mastery: Option<f64>) -> Open {
    start(db, "au", &cmi5_item(move_on, mastery), &["au"], NOW)
}

fn request<'a>(
    method: &'a str,
    resource: &'a str,
    query: &'a str,
    authorization: Option<&'a str>,
    body: &'a [u8],
) -> XapiRequest<'a> {
    XapiRequest {
        method,
        resource,
        query,
        authorization,
        content_type: None,
        if_match: None,
        if_none_match: None,
        body,
        return_url: None,
    }
}

fn status(result: &Result<XapiResponse, XapiError>) -> u16 {
    match result {
        Ok(response) => response.status,
        Err(error) => error.status(),
    }
}

fn body_json(response: &XapiResponse) -> Value {
    serde_json::from_slice(&response.body).unwrap()
}

fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        out.append_pair(key, value);
    }
    out.finish()
}

fn other_agent() -> String {
    Actor {
        name: "grace".to_owned(),
        ..learner()
    }
    .to_json()
    .to_string()
}

impl Open {
    fn send(
        &self,
        db: &ProgressDb,
        method: &str,
        resource: &str,
        query: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<XapiResponse, XapiError> {
        handle(
            db,
            &XapiRequest {
                content_type,
                ..request(method, resource, query, Some(&self.auth), body)
            },
            NOW,
        )
    }

    /// POSTs one statement or an array of them.
    fn post(&self, db: &ProgressDb, statements: &Value) -> Result<XapiResponse, XapiError> {
        self.send(
            db,
            "POST",
            "statements",
            "",
            Some("application/json"),
            statements.to_string().as_bytes(),
        )
    }

    fn put_statement(&self, db: &ProgressDb, statement: &Value) -> Result<XapiResponse, XapiError> {
        let query = encode(&[("statementId", statement["id"].as_str().unwrap())]);
        self.send(
            db,
            "PUT",
            "statements",
            &query,
            Some("application/json"),
            statement.to_string().as_bytes(),
        )
    }

    fn agent(&self) -> String {
        self.launch.actor.to_string()
    }

    fn state_query(&self, state_id: &str) -> String {
        encode(&[
            ("activityId", &self.launch.activity_id),
            ("agent", &self.agent()),
            ("registration", &self.launch.registration),
            ("stateId", state_id),
        ])
    }

    fn prefs_query(&self) -> String {
        encode(&[("agent", &self.agent()), ("profileId", LEARNER_PREFERENCES)])
    }

    fn put_prefs(&self, db: &ProgressDb, content_type: Option<&str>, body: &str) -> u16 {
        status(&self.send(
            db,
            "PUT",
            "agents/profile",
            &self.prefs_query(),
            content_type,
            body.as_bytes(),
        ))
    }

    fn get_prefs(&self, db: &ProgressDb) -> Result<XapiResponse, XapiError> {
        self.send(db, "GET", "agents/profile", &self.prefs_query(), None, b"")
    }

    /// What a well-behaved AU does before its first statement of its own: store and read the
    /// learner preferences, then send `initialized`.
    fn initialize(&self, db: &ProgressDb) {
        assert_eq!(
            self.put_prefs(db, Some("application/json"), PREFERENCES),
            204
        );
        assert_eq!(status(&self.get_prefs(db)), 200);
        assert_eq!(status(&self.post(db, &self.initialized())), 200);
    }

    /// A statement as an AU builds it from its launch and `LMS.LaunchData`.
    fn statement(&self, verb_id: &str, result: Option<Value>) -> Value {
        let mut category = Vec::new();
        if [
            verb::INITIALIZED,
            verb::COMPLETED,
            verb::PASSED,
            verb::FAILED,
            verb::TERMINATED,
        ]
        .contains(&verb_id)
        {
            category.push(json!({ "id": CATEGORY_CMI5 }));
        }
        if [verb::COMPLETED, verb::PASSED, verb::FAILED].contains(&verb_id) {
            category.push(json!({ "id": CATEGORY_MOVEON }));
        }
        let mut extensions = json!({ EXT_SESSION_ID: self.launch.session_id });
        if let Some(mastery) = self.mastery {
            extensions[EXT_MASTERY_SCORE] = json!(mastery);
        }
        let mut context_activities = json!({ "grouping": [{ "id": self.au_id }] });
        if !category.is_empty() {
            context_activities["category"] = json!(category);
        }
        let mut statement = json!({
            "id": new_event_id(),
            "timestamp": xapi_timestamp(NOW),
            "actor": self.launch.actor,
            "verb": {
                "id": verb_id,
                "display": { "en-US": verb_id.rsplit('/').next().unwrap() },
            },
            "object": { "objectType": "Activity", "id": self.launch.activity_id },
            "context": {
                "registration": self.launch.registration,
                "contextActivities": context_activities,
                "extensions": extensions,
            },
        });
        if let Some(result) = result {
            statement["result"] = result;
        }
        statement
    }

    fn initialized(&self) -> Value {
        self.statement(verb::INITIALIZED, None)
    }

    fn completed(&self) -> Value {
        self.statement(
            verb::COMPLETED,
            Some(json!({ "completion": true, "duration": "PT10S" })),
        )
    }

    fn passed(&self, scaled: f64) -> Value {
        self.statement(
            verb::PASSED,
            Some(json!({ "success": true, "duration": "PT10S", "score": { "scaled": scaled } })),
        )
    }

    fn failed(&self, scaled: f64) -> Value {
        self.statement(
            verb::FAILED,
            Some(json!({ "success": false, "duration": "PT10S", "score": { "scaled": scaled } })),
        )
    }

    fn terminated(&self) -> Value {
        self.statement(verb::TERMINATED, Some(json!({ "duration": "PT20S" })))
    }

    fn experienced(&self) -> Value {
        self.statement(EXPERIENCED, None)
    }
}

/// `statement` changed by `change`.
fn with(mut statement: Value, change: impl FnOnce(&mut Value)) -> Value {
    change(&mut statement);
    statement
}

fn remove(value: &mut Value, key: &str) {
    value.as_object_mut().unwrap().remove(key);
}

fn statement_count(db: &ProgressDb) -> i64 {
    db.transact(|tx| {
        Ok::<_, ProgressError>(
            tx.query_row("SELECT COUNT(*) FROM xapi_statement", [], |row| row.get(0))?,
        )
    })
    .unwrap()
}

/// The verbs of the session's stored statements, in order.
fn session_verbs(db: &ProgressDb, session_id: &str) -> Vec<String> {
    db.transact(|tx| {
        let verbs = tx
            .prepare("SELECT verb FROM xapi_statement WHERE session_id = ?1 ORDER BY seq")?
            .query_map([session_id], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok::<_, ProgressError>(verbs)
    })
    .unwrap()
}

/// Every stored statement with this verb, with whether the LMS made it.
fn stored_with_verb(db: &ProgressDb, verb_id: &str) -> Vec<(Value, bool)> {
    db.transact(|tx| {
        let rows = tx
            .prepare("SELECT body, by_lms FROM xapi_statement WHERE verb = ?1 ORDER BY seq")?
            .query_map([verb_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, ProgressError>(rows)
    })
    .unwrap()
    .into_iter()
    .map(|(body, by_lms)| (serde_json::from_str(&body).unwrap(), by_lms))
    .collect()
}

/// The outbox, oldest first: each entry's kind and payload.
fn outbox_results(db: &ProgressDb) -> Vec<(String, RuntimeResult)> {
    db.transact(|tx| {
        let rows = tx
            .prepare("SELECT kind, payload FROM outbox ORDER BY created_ms, rowid")?
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, ProgressError>(rows)
    })
    .unwrap()
    .into_iter()
    .map(|(kind, payload)| (kind, serde_json::from_str(&payload).unwrap()))
    .collect()
}

fn session_number(db: &ProgressDb, session_id: &str) -> u32 {
    db.transact(|tx| {
        Ok::<_, ProgressError>(tx.query_row(
            "SELECT number FROM cmi5_session WHERE session_id = ?1",
            [session_id],
            |row| row.get(0),
        )?)
    })
    .unwrap()
}

fn item_completed(db: &ProgressDb, item_id: &str) -> bool {
    db.item(COURSE, item_id).unwrap().completed_ms.is_some()
}

fn statement_verbs(result: &RuntimeResult) -> Vec<String> {
    result.runtime_data["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["verb"]["id"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Launch

/// Launching stores the LMS's own `launched` statement: the learner, the session's registration
/// and sessionid, the launch mode, URL, moveOn and parameters, about Carrel's activity id (never
/// the publisher's AU id).
#[test]
fn launching_stores_the_lms_launched_statement() {
    let (_dir, db) = db();
    let launch = launch_au(
        &db,
        "au",
        &cmi5_item(MoveOn::Completed, Some(0.8)),
        &["au"],
        NOW,
    );
    assert_ne!(
        launch.activity_id, AU_ID,
        "cmi5 §8.1.5: not the publisher id"
    );
    assert_eq!(launch.activity_id, activity_id(COURSE, "au"));
    assert_eq!(launch.actor, learner().to_json());

    let launched = stored_with_verb(&db, verb::LAUNCHED);
    let [(statement, by_lms)] = launched.as_slice() else {
        panic!("one launched statement: {launched:?}")
    };
    assert!(by_lms);
    assert_eq!(statement["actor"], launch.actor);
    assert_eq!(statement["object"]["id"], launch.activity_id.as_str());
    assert_eq!(
        statement["context"]["registration"],
        launch.registration.as_str()
    );
    let extensions = &statement["context"]["extensions"];
    assert_eq!(extensions[EXT_SESSION_ID], launch.session_id.as_str());
    assert_eq!(extensions[EXT_LAUNCH_MODE], "Normal");
    assert_eq!(extensions[EXT_LAUNCH_URL], "au/index.html");
    assert_eq!(extensions[EXT_MOVE_ON], "Completed");
    assert_eq!(extensions[EXT_LAUNCH_PARAMETERS], "level=2");
    assert_eq!(
        statement["context"]["contextActivities"]["category"][0]["id"],
        CATEGORY_CMI5
    );
    assert_eq!(session_verbs(&db, &launch.session_id), [verb::LAUNCHED]);
    assert!(
        !item_completed(&db, "au"),
        "launching an AU with a moveOn criterion does not complete it"
    );
}

/// `LMS.LaunchData` (cmi5 §10) carries the context template (sessionid, masteryscore, the
/// publisher id as grouping), launch mode and method, moveOn, mastery score, launch parameters,
/// entitlement key and, when the app gives one, the return URL.
#[test]
fn launch_data_describes_the_session_to_the_au() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::CompletedAndPassed, Some(0.8));
    let query = open.state_query(LAUNCH_DATA);
    let response = handle(
        &db,
        &XapiRequest {
            return_url: Some("carrel://course/c"),
            ..request("GET", "activities/state", &query, Some(&open.auth), b"")
        },
        NOW,
    )
    .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    assert_eq!(response.item, Some((COURSE.to_owned(), "au".to_owned())));
    let data = body_json(&response);
    let template = &data["contextTemplate"];
    assert_eq!(
        template["extensions"][EXT_SESSION_ID],
        open.launch.session_id.as_str()
    );
    assert_eq!(template["extensions"][EXT_MASTERY_SCORE], 0.8);
    assert_eq!(template["contextActivities"]["grouping"][0]["id"], AU_ID);
    assert_eq!(data["launchMode"], "Normal");
    assert_eq!(data["launchMethod"], "AnyWindow");
    assert_eq!(data["moveOn"], "CompletedAndPassed");
    assert_eq!(data["masteryScore"], 0.8);
    assert_eq!(data["launchParameters"], "level=2");
    assert_eq!(
        data["entitlementKey"],
        json!({ "courseStructure": "ek-123" })
    );
    assert_eq!(data["returnURL"], "carrel://course/c");

    let plain = open
        .send(&db, "GET", "activities/state", &query, None, b"")
        .unwrap();
    assert!(
        body_json(&plain).get("returnURL").is_none(),
        "no return URL unless the app gives one"
    );
}

/// A launch data without mastery score, parameters or entitlement key leaves them out.
#[test]
fn launch_data_leaves_out_what_the_au_does_not_set() {
    let (_dir, db) = db();
    let au = Cmi5Item {
        launch_parameters: None,
        entitlement_key: None,
        ..cmi5_item(MoveOn::Passed, None)
    };
    let open = start(&db, "au", &au, &["au"], NOW);
    let data = body_json(
        &open
            .send(
                &db,
                "GET",
                "activities/state",
                &open.state_query(LAUNCH_DATA),
                None,
                b"",
            )
            .unwrap(),
    );
    for key in [
        "masteryScore",
        "launchParameters",
        "entitlementKey",
        "returnURL",
    ] {
        assert!(data.get(key).is_none(), "{key}: {data}");
    }
    assert!(
        data["contextTemplate"]["extensions"]
            .get(EXT_MASTERY_SCORE)
            .is_none()
    );
    assert_eq!(data["moveOn"], "Passed");
}

/// `LMS.LaunchData` is the LMS's: an AU may read it, and PUT, POST and DELETE are refused (403).
#[test]
fn launch_data_is_read_only() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let query = open.state_query(LAUNCH_DATA);
    for method in ["PUT", "POST", "DELETE"] {
        let result = open.send(
            &db,
            method,
            "activities/state",
            &query,
            Some("application/json"),
            b"{\"launchMode\":\"Review\"}",
        );
        assert_eq!(status(&result), 403, "{method}");
    }
    let data = body_json(
        &open
            .send(&db, "GET", "activities/state", &query, None, b"")
            .unwrap(),
    );
    assert_eq!(data["launchMode"], "Normal");
}

/// The launch query (cmi5 §8.1) comes after the AU's own query and names the endpoint, the fetch
/// URL, the registration, Carrel's activity id and the actor as JSON.
#[test]
fn the_launch_query_follows_the_aus_own_query() {
    let (_dir, db) = db();
    let launch = launch_au(&db, "au", &cmi5_item(MoveOn::Completed, None), &["au"], NOW);
    let query = launch.query(
        "lang=en",
        "http://127.0.0.1:4000/xapi/",
        "http://127.0.0.1:4000/fetch/k",
    );
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "lang",
            "endpoint",
            "fetch",
            "registration",
            "activityId",
            "actor"
        ]
    );
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(value("lang"), "en");
    assert_eq!(value("endpoint"), "http://127.0.0.1:4000/xapi/");
    assert_eq!(value("fetch"), "http://127.0.0.1:4000/fetch/k");
    assert_eq!(value("registration"), launch.registration);
    assert_eq!(value("activityId"), launch.activity_id);
    assert_ne!(value("activityId"), AU_ID);
    assert_eq!(
        serde_json::from_str::<Value>(&value("actor")).unwrap(),
        launch.actor
    );
    assert!(
        launch
            .query("", "http://e/", "http://f/")
            .starts_with("endpoint="),
        "without a query of its own the launch query comes alone"
    );
}

// ---------------------------------------------------------------------------------------------
// Fetch and authorization

/// The fetch URL (cmi5 §8.2.3) hands out the token once; a second POST gets error 1 (used or
/// expired), an unknown key error 2 (security), and the fetch URL of an ended session error 1.
#[test]
fn the_fetch_url_gives_the_token_once() {
    let (_dir, db) = db();
    let launch = launch_au(&db, "au", &cmi5_item(MoveOn::Completed, None), &["au"], NOW);
    let fetched = fetch(&db, &launch.fetch_key, NOW).unwrap();
    assert_eq!(fetched.abandoned, 0, "nothing was open before");
    let first = fetched.answer;
    let FetchAnswer::Token(token) = &first else {
        panic!("{first:?}")
    };
    assert!(!token.is_empty());
    assert_eq!(first.to_json(), json!({ "auth-token": token }));
    let second = fetch(&db, &launch.fetch_key, NOW).unwrap().answer;
    assert!(matches!(second, FetchAnswer::Error(1, _)), "{second:?}");
    assert_eq!(second.to_json()["error-code"], "1");
    assert!(second.to_json()["error-text"].is_string());
    assert!(matches!(
        fetch(&db, "no-such-key", NOW).unwrap().answer,
        FetchAnswer::Error(2, _)
    ));

    // The next session's fetch abandons this one: its fetch URL has expired.
    let next = launch_au(
        &db,
        "au",
        &cmi5_item(MoveOn::Completed, None),
        &["au"],
        NOW + 1,
    );
    assert_eq!(fetch(&db, &next.fetch_key, NOW + 2).unwrap().abandoned, 1);
    assert!(matches!(
        fetch(&db, &launch.fetch_key, NOW).unwrap().answer,
        FetchAnswer::Error(1, _)
    ));
}

/// A session that ended before its AU fetched the token cannot be fetched (error 1: expired).
#[test]
fn the_fetch_url_of_a_session_ended_before_the_fetch_has_expired() {
    let (_dir, db) = db();
    let launch = launch_au(&db, "au", &cmi5_item(MoveOn::Completed, None), &["au"], NOW);
    assert_eq!(end_open_sessions(&db, NOW + 1).unwrap(), 1);
    assert!(matches!(
        fetch(&db, &launch.fetch_key, NOW).unwrap().answer,
        FetchAnswer::Error(1, _)
    ));
}

/// Every resource but `about` needs the fetched token as `Basic <token>`: none, a wrong one, one
/// not fetched yet or another scheme is 401.
#[test]
fn requests_without_the_fetched_token_are_unauthorized() {
    let (_dir, db) = db();
    let launch = launch_au(&db, "au", &cmi5_item(MoveOn::Completed, None), &["au"], NOW);
    let token: String = db
        .transact(|tx| {
            Ok::<_, ProgressError>(tx.query_row(
                "SELECT token FROM cmi5_session WHERE session_id = ?1",
                [&launch.session_id],
                |row| row.get(0),
            )?)
        })
        .unwrap();
    let query = encode(&[
        ("activityId", &launch.activity_id),
        ("agent", &launch.actor.to_string()),
        ("stateId", LAUNCH_DATA),
    ]);
    let get = |authorization: Option<&str>| {
        status(&handle(
            &db,
            &request("GET", "activities/state", &query, authorization, b""),
            NOW,
        ))
    };
    let basic = format!("Basic {token}");
    assert_eq!(get(None), 401);
    assert_eq!(get(Some("Basic ")), 401);
    assert_eq!(get(Some("Basic 0123456789abcdef")), 401);
    assert_eq!(get(Some(&basic)), 401, "not fetched yet");
    assert_eq!(
        session_item(&db, Some(&basic)).unwrap_err().status(),
        401,
        "not fetched yet"
    );

    assert!(matches!(
        fetch(&db, &launch.fetch_key, NOW).unwrap().answer,
        FetchAnswer::Token(t) if t == token
    ));
    assert_eq!(get(Some(&format!("Bearer {token}"))), 401);
    assert_eq!(get(Some(&basic)), 200);
    assert_eq!(
        session_item(&db, Some(&basic)).unwrap(),
        (COURSE.to_owned(), "au".to_owned())
    );
}

/// `about` answers the xAPI version without a token; an unknown resource is 404; a body over
/// the limit is 400.
#[test]
fn about_unknown_resources_and_oversized_bodies() {
    let (_dir, db) = db();
    let about = handle(&db, &request("GET", "about", "", None, b""), NOW).unwrap();
    assert_eq!(about.status, 200);
    assert_eq!(body_json(&about), json!({ "version": [XAPI_VERSION] }));

    let open = start_one(&db, MoveOn::Completed, None);
    assert_eq!(
        status(&open.send(&db, "GET", "activities/profile", "", None, b"")),
        404
    );
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        status(&open.send(
            &db,
            "POST",
            "statements",
            "",
            Some("application/json"),
            &huge
        )),
        400
    );
}

// ---------------------------------------------------------------------------------------------
// State API

/// A state document PUT comes back on GET with its content type and an ETag; DELETE removes it.
#[test]
fn state_documents_round_trip_with_their_content_type_and_etag() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let query = open.state_query("bookmark");
    assert_eq!(
        status(&open.send(&db, "GET", "activities/state", &query, None, b"")),
        404
    );
    let put = open
        .send(
            &db,
            "PUT",
            "activities/state",
            &query,
            Some("text/plain"),
            b"page-7",
        )
        .unwrap();
    assert_eq!(put.status, 204);
    let got = open
        .send(&db, "GET", "activities/state", &query, None, b"")
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, b"page-7");
    assert_eq!(got.content_type.as_deref(), Some("text/plain"));
    let etag = got.etag.clone().unwrap();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    // The ids of the stored documents, with the LMS's.
    let ids_query = encode(&[
        ("activityId", &open.launch.activity_id),
        ("agent", &open.agent()),
        ("registration", &open.launch.registration),
    ]);
    let ids = open
        .send(&db, "GET", "activities/state", &ids_query, None, b"")
        .unwrap();
    assert_eq!(body_json(&ids), json!(["bookmark", LAUNCH_DATA]));

    // Replaced: another ETag.
    open.send(
        &db,
        "PUT",
        "activities/state",
        &query,
        Some("text/plain"),
        b"page-8",
    )
    .unwrap();
    let replaced = open
        .send(&db, "GET", "activities/state", &query, None, b"")
        .unwrap();
    assert_eq!(replaced.body, b"page-8");
    assert_ne!(replaced.etag.unwrap(), etag);

    let deleted = open
        .send(&db, "DELETE", "activities/state", &query, None, b"")
        .unwrap();
    assert_eq!(deleted.status, 204);
    assert_eq!(
        status(&open.send(&db, "GET", "activities/state", &query, None, b"")),
        404
    );
}

/// POST merges a JSON object into the stored JSON object (xAPI: top-level keys replaced or
/// added).
#[test]
fn posting_a_state_document_merges_json_objects() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let query = open.state_query("progress");
    let post = |body: &[u8]| {
        status(&open.send(
            &db,
            "POST",
            "activities/state",
            &query,
            Some("application/json"),
            body,
        ))
    };
    assert_eq!(post(br#"{"a":1,"b":{"x":1}}"#), 204, "POST creates");
    assert_eq!(post(br#"{"b":{"y":2},"c":3}"#), 204, "POST merges");
    let merged = open
        .send(&db, "GET", "activities/state", &query, None, b"")
        .unwrap();
    assert_eq!(
        body_json(&merged),
        json!({ "a": 1, "b": { "y": 2 }, "c": 3 })
    );
    assert_eq!(post(b"[1,2]"), 400, "only objects merge");
}

/// xAPI 1.0.3 (Part 3, §1.3, JSON procedure with requests): POST merges only when both the
/// stored document and the posted one are `application/json`; otherwise the LRS answers 400 and
/// keeps the stored document.
#[test]
fn posting_a_document_that_is_not_application_json_onto_a_json_one_is_a_bad_request() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let query = open.state_query("progress");
    open.send(
        &db,
        "PUT",
        "activities/state",
        &query,
        Some("application/json"),
        br#"{"a":1}"#,
    )
    .unwrap();
    let result = open.send(
        &db,
        "POST",
        "activities/state",
        &query,
        Some("text/plain"),
        br#"{"b":2}"#,
    );
    assert_eq!(status(&result), 400);
    let stored = open
        .send(&db, "GET", "activities/state", &query, None, b"")
        .unwrap();
    assert_eq!(stored.content_type.as_deref(), Some("application/json"));
    assert_eq!(body_json(&stored), json!({ "a": 1 }));
}

/// DELETE without a stateId removes every state document of the activity, agent and
/// registration.
#[test]
fn deleting_all_state_documents() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    for id in ["one", "two"] {
        open.send(
            &db,
            "PUT",
            "activities/state",
            &open.state_query(id),
            Some("text/plain"),
            id.as_bytes(),
        )
        .unwrap();
    }
    let all = encode(&[
        ("activityId", &open.launch.activity_id),
        ("agent", &open.agent()),
        ("registration", &open.launch.registration),
    ]);
    assert_eq!(
        status(&open.send(&db, "DELETE", "activities/state", &all, None, b"")),
        204
    );
    for id in ["one", "two"] {
        assert_eq!(
            status(&open.send(
                &db,
                "GET",
                "activities/state",
                &open.state_query(id),
                None,
                b""
            )),
            404
        );
    }
}

/// What a state request is, its query, and the status it gets.
type StateCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);

/// A session may only use its own activity's, learner's and registration's state: another
/// activity, agent or registration is 403; a missing agent, activityId or stateId (on PUT) is 400.
#[test]
fn state_requests_outside_the_session_are_refused() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let agent = open.agent();
    let other = other_agent();
    let activity = open.launch.activity_id.clone();
    let registration = open.launch.registration.clone();
    let cases: Vec<StateCase<'_>> = vec![
        (
            "the publisher's AU id",
            vec![("activityId", AU_ID), ("agent", &agent), ("stateId", "s")],
            403,
        ),
        (
            "another item's activity",
            vec![
                ("activityId", "urn:carrel:cmi5:c:other"),
                ("agent", &agent),
                ("stateId", "s"),
            ],
            403,
        ),
        (
            "another learner",
            vec![
                ("activityId", &activity),
                ("agent", &other),
                ("stateId", "s"),
            ],
            403,
        ),
        (
            "an agent by mbox",
            vec![
                ("activityId", &activity),
                ("agent", r#"{"mbox":"mailto:ada@example.org"}"#),
                ("stateId", "s"),
            ],
            403,
        ),
        (
            "another registration",
            vec![
                ("activityId", &activity),
                ("agent", &agent),
                ("registration", "00000000-0000-4000-8000-000000000000"),
                ("stateId", "s"),
            ],
            403,
        ),
        (
            "no agent",
            vec![("activityId", &activity), ("stateId", "s")],
            400,
        ),
        (
            "no activityId",
            vec![
                ("agent", &agent),
                ("registration", &registration),
                ("stateId", "s"),
            ],
            400,
        ),
    ];
    for (what, pairs, expected) in cases {
        let query = encode(&pairs);
        for method in ["GET", "PUT"] {
            let result = open.send(
                &db,
                method,
                "activities/state",
                &query,
                Some("text/plain"),
                b"x",
            );
            assert_eq!(status(&result), expected, "{what}, {method}");
        }
    }
    let no_state_id = encode(&[("activityId", &activity), ("agent", &agent)]);
    assert_eq!(
        status(&open.send(
            &db,
            "PUT",
            "activities/state",
            &no_state_id,
            Some("text/plain"),
            b"x"
        )),
        400
    );
}

/// `If-None-Match: *` refuses to overwrite an existing document (412) and lets a new one be
/// created; `If-Match` must name the current ETag (412 otherwise).
#[test]
fn state_preconditions_guard_concurrent_writes() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let query = open.state_query("bookmark");
    let put = |body: &'static [u8], if_match: Option<&str>, if_none_match: Option<&str>| {
        status(&handle(
            &db,
            &XapiRequest {
                content_type: Some("text/plain"),
                if_match,
                if_none_match,
                ..request("PUT", "activities/state", &query, Some(&open.auth), body)
            },
            NOW,
        ))
    };
    assert_eq!(
        put(b"first", Some("\"nope\""), None),
        412,
        "nothing to match"
    );
    assert_eq!(put(b"first", None, Some("*")), 204, "created");
    assert_eq!(put(b"second", None, Some("*")), 412, "already exists");
    let etag = open
        .send(&db, "GET", "activities/state", &query, None, b"")
        .unwrap()
        .etag
        .unwrap();
    assert_eq!(put(b"second", Some("\"stale\""), None), 412);
    assert_eq!(put(b"second", Some(&etag), None), 204);
    assert_eq!(put(b"third", Some("*"), None), 204);
    let got = open
        .send(&db, "GET", "activities/state", &query, None, b"")
        .unwrap();
    assert_eq!(got.body, b"third");
}

/// State documents are durable: after Carrel restarts (the database reopened) the next launch of
/// the AU finds its bookmark under the same activity id and registration.
#[test]
fn a_state_document_survives_a_reopened_database_and_the_next_launch() {
    let (dir, db) = db();
    let first = start_one(&db, MoveOn::Completed, None);
    first
        .send(
            &db,
            "PUT",
            "activities/state",
            &first.state_query("bookmark"),
            Some("application/json"),
            br#"{"page":7}"#,
        )
        .unwrap();
    drop(db);

    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let second = start_one(&db, MoveOn::Completed, None);
    assert_eq!(second.launch.activity_id, first.launch.activity_id);
    assert_eq!(second.launch.registration, first.launch.registration);
    let got = second
        .send(
            &db,
            "GET",
            "activities/state",
            &second.state_query("bookmark"),
            None,
            b"",
        )
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(body_json(&got), json!({ "page": 7 }));
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
}

// ---------------------------------------------------------------------------------------------
// Learner preferences

/// The learner preferences (cmi5 §11) are 404 until stored; a valid document PUT as
/// application/json is stored (204) and read back (200).
#[test]
fn learner_preferences_are_absent_until_stored() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    assert_eq!(status(&open.get_prefs(&db)), 404);
    assert_eq!(
        open.put_prefs(&db, Some("application/json"), PREFERENCES),
        204
    );
    let got = open.get_prefs(&db).unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        body_json(&got),
        serde_json::from_str::<Value>(PREFERENCES).unwrap()
    );
    assert!(got.etag.is_some());
}

/// A learner preferences document that is not cmi5's shape is refused with 403 and not stored.
#[test]
fn invalid_learner_preferences_are_refused() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let json_type = Some("application/json");
    let cases: [(&str, Option<&str>, &str); 9] = [
        ("no content type", None, PREFERENCES),
        ("text/plain", Some("text/plain"), PREFERENCES),
        ("not an object", json_type, r#"["en-US","on"]"#),
        ("not JSON", json_type, "languagePreference=en-US"),
        (
            "no languagePreference",
            json_type,
            r#"{"audioPreference":"on"}"#,
        ),
        (
            "no audioPreference",
            json_type,
            r#"{"languagePreference":"en-US"}"#,
        ),
        (
            "languages not comma separated",
            json_type,
            r#"{"languagePreference":"not comma separated","audioPreference":"on"}"#,
        ),
        (
            "no language",
            json_type,
            r#"{"languagePreference":"","audioPreference":"off"}"#,
        ),
        (
            "audio neither on nor off",
            json_type,
            r#"{"languagePreference":"en-US","audioPreference":"loud"}"#,
        ),
    ];
    for (what, content_type, body) in cases {
        assert_eq!(open.put_prefs(&db, content_type, body), 403, "{what}");
    }
    assert_eq!(status(&open.get_prefs(&db)), 404, "nothing was stored");
}

/// The learner preferences are the learner's own: no agent is 400, another agent 403.
#[test]
fn learner_preferences_need_the_sessions_agent() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let no_agent = encode(&[("profileId", LEARNER_PREFERENCES)]);
    let other = encode(&[
        ("agent", &other_agent()),
        ("profileId", LEARNER_PREFERENCES),
    ]);
    for method in ["GET", "PUT"] {
        let send = |query: &str| {
            status(&open.send(
                &db,
                method,
                "agents/profile",
                query,
                Some("application/json"),
                PREFERENCES.as_bytes(),
            ))
        };
        assert_eq!(send(&no_agent), 400, "{method}");
        assert_eq!(send(&other), 403, "{method}");
    }
}

// ---------------------------------------------------------------------------------------------
// Statement rules

/// `initialized` is refused until the AU read its learner preferences; after that it is
/// accepted.
#[test]
fn initialized_needs_the_learner_preferences_read_first() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    assert_eq!(
        open.put_prefs(&db, Some("application/json"), PREFERENCES),
        204
    );
    let before = statement_count(&db);
    assert_eq!(status(&open.post(&db, &open.initialized())), 403);
    assert_eq!(statement_count(&db), before);
    assert_eq!(status(&open.get_prefs(&db)), 200);
    assert_eq!(status(&open.post(&db, &open.initialized())), 200);
    assert_eq!(
        session_verbs(&db, &open.launch.session_id),
        [verb::LAUNCHED, verb::INITIALIZED]
    );
}

/// An AU whose learner has no preferences stored yet reads them (404: none), then sends
/// `initialized`: it has done what cmi5 asks and the statement is accepted. The GET's record
/// that the preferences were read must survive its 404.
#[test]
fn initialized_after_reading_absent_learner_preferences_is_accepted() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    assert_eq!(status(&open.get_prefs(&db)), 404);
    assert_eq!(status(&open.post(&db, &open.initialized())), 200);
}

/// Nothing comes before `initialized`: an allowed statement, `completed` or `terminated` first is
/// refused (403) and not stored.
#[test]
fn nothing_but_initialized_comes_first() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.put_prefs(&db, Some("application/json"), PREFERENCES);
    open.get_prefs(&db).unwrap();
    let before = statement_count(&db);
    for statement in [open.experienced(), open.completed(), open.terminated()] {
        assert_eq!(status(&open.post(&db, &statement)), 403, "{statement}");
    }
    assert_eq!(statement_count(&db), before);
}

/// `initialized` comes once per session.
#[test]
fn initialized_comes_once() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    assert_eq!(status(&open.post(&db, &open.initialized())), 403);
    assert_eq!(stored_with_verb(&db, verb::INITIALIZED).len(), 1);
}

/// After `initialized`, allowed statements (no cmi5 category) are accepted (204 on PUT) and can
/// be read back by id.
#[test]
fn allowed_statements_after_initialized_are_accepted() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    let experienced = open.experienced();
    let put = open.put_statement(&db, &experienced).unwrap();
    assert_eq!(put.status, 204);
    assert_eq!(put.item, Some((COURSE.to_owned(), "au".to_owned())));
    let answered = with(
        open.statement("http://adlnet.gov/expapi/verbs/answered", None),
        |s| {
            s["result"] = json!({ "success": true, "response": "42" });
        },
    );
    assert_eq!(status(&open.post(&db, &answered)), 200);

    let query = encode(&[("statementId", experienced["id"].as_str().unwrap())]);
    let got = open
        .send(&db, "GET", "statements", &query, None, b"")
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(body_json(&got), experienced);
    assert_eq!(
        status(&open.send(
            &db,
            "GET",
            "statements",
            &encode(&[("statementId", &new_event_id())]),
            None,
            b""
        )),
        404
    );
}

/// Statements that break a cmi5 rule (cmi5 §9) are refused with 403, alone or as the second
/// statement of a POST batch, and nothing of the request is stored.
#[test]
fn statements_breaking_a_cmi5_rule_are_refused_and_nothing_is_stored() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::CompletedAndPassed, Some(0.8));
    open.initialize(&db);
    let completed = open.completed();
    let passed = open.passed(0.9);
    let failed = open.failed(0.5);
    let terminated = open.terminated();
    let experienced = open.experienced();
    let cases: Vec<(&str, Value)> = vec![
        ("no id", with(experienced.clone(), |s| remove(s, "id"))),
        (
            "no timestamp",
            with(experienced.clone(), |s| remove(s, "timestamp")),
        ),
        (
            "a timestamp not in UTC",
            with(experienced.clone(), |s| {
                s["timestamp"] = json!("2025-06-15T12:00:00.000+02:00");
            }),
        ),
        (
            "a Group as actor",
            with(experienced.clone(), |s| {
                s["actor"] = json!({
                    "objectType": "Group",
                    "account": { "homePage": "https://courses.example", "name": "ada" },
                    "member": [],
                });
            }),
        ),
        (
            "an actor by mbox",
            with(experienced.clone(), |s| {
                s["actor"] = json!({ "objectType": "Agent", "mbox": "mailto:ada@example.org" });
            }),
        ),
        (
            "another account",
            with(experienced.clone(), |s| {
                s["actor"] = serde_json::from_str(&other_agent()).unwrap();
            }),
        ),
        (
            "another home page",
            with(experienced.clone(), |s| {
                s["actor"]["account"]["homePage"] = json!("https://elsewhere.example");
            }),
        ),
        (
            "voiding",
            with(experienced.clone(), |s| {
                s["verb"]["id"] = json!(verb::VOIDED);
                s["object"] = json!({ "objectType": "StatementRef", "id": new_event_id() });
            }),
        ),
        (
            "no context",
            with(experienced.clone(), |s| remove(s, "context")),
        ),
        (
            "another registration",
            with(experienced.clone(), |s| {
                s["context"]["registration"] = json!("00000000-0000-4000-8000-000000000000");
            }),
        ),
        (
            "no registration",
            with(experienced.clone(), |s| {
                remove(&mut s["context"], "registration")
            }),
        ),
        (
            "no sessionid",
            with(experienced.clone(), |s| {
                remove(&mut s["context"]["extensions"], EXT_SESSION_ID);
            }),
        ),
        (
            "another sessionid",
            with(experienced.clone(), |s| {
                s["context"]["extensions"][EXT_SESSION_ID] = json!(new_event_id());
            }),
        ),
        (
            "moveon category on an allowed statement",
            with(experienced.clone(), |s| {
                s["context"]["contextActivities"]["category"] = json!([{ "id": CATEGORY_MOVEON }]);
            }),
        ),
        (
            "completed about the publisher's AU id",
            with(completed.clone(), |s| s["object"]["id"] = json!(AU_ID)),
        ),
        (
            "terminated about another activity",
            with(terminated.clone(), |s| {
                s["object"]["id"] = json!("urn:carrel:cmi5:c:other");
            }),
        ),
        (
            "completed without completion",
            with(completed.clone(), |s| {
                remove(&mut s["result"], "completion")
            }),
        ),
        (
            "completed with completion false",
            with(completed.clone(), |s| {
                s["result"]["completion"] = json!(false)
            }),
        ),
        (
            "completed with success",
            with(completed.clone(), |s| s["result"]["success"] = json!(true)),
        ),
        (
            "completed with a score",
            with(completed.clone(), |s| {
                s["result"]["score"] = json!({ "scaled": 0.9 });
            }),
        ),
        (
            "completed without duration",
            with(completed.clone(), |s| remove(&mut s["result"], "duration")),
        ),
        (
            "completed without moveon category",
            with(completed.clone(), |s| {
                s["context"]["contextActivities"]["category"] = json!([{ "id": CATEGORY_CMI5 }]);
            }),
        ),
        (
            "passed without duration",
            with(passed.clone(), |s| remove(&mut s["result"], "duration")),
        ),
        (
            "passed without success",
            with(passed.clone(), |s| remove(&mut s["result"], "success")),
        ),
        (
            "passed with success false",
            with(passed.clone(), |s| s["result"]["success"] = json!(false)),
        ),
        ("passed below the mastery score", open.passed(0.7)),
        (
            "passed with a raw score without min and max",
            with(passed.clone(), |s| {
                s["result"]["score"] = json!({ "raw": 90, "scaled": 0.9 });
            }),
        ),
        (
            "passed without the masteryscore extension",
            with(passed.clone(), |s| {
                remove(&mut s["context"]["extensions"], EXT_MASTERY_SCORE);
            }),
        ),
        (
            "passed with another masteryscore",
            with(passed.clone(), |s| {
                s["context"]["extensions"][EXT_MASTERY_SCORE] = json!(0.5);
            }),
        ),
        (
            "passed without moveon category",
            with(passed.clone(), |s| {
                s["context"]["contextActivities"]["category"] = json!([{ "id": CATEGORY_CMI5 }]);
            }),
        ),
        (
            "failed without duration",
            with(failed.clone(), |s| remove(&mut s["result"], "duration")),
        ),
        (
            "failed with success true",
            with(failed.clone(), |s| s["result"]["success"] = json!(true)),
        ),
        ("failed at the mastery score", open.failed(0.8)),
        ("failed above the mastery score", open.failed(0.95)),
        (
            "failed without moveon category",
            with(failed.clone(), |s| {
                s["context"]["contextActivities"]["category"] = json!([{ "id": CATEGORY_CMI5 }]);
            }),
        ),
        (
            "terminated without duration",
            with(terminated.clone(), |s| remove(s, "result")),
        ),
        (
            "terminated with the moveon category",
            with(terminated.clone(), |s| {
                s["context"]["contextActivities"]["category"] =
                    json!([{ "id": CATEGORY_CMI5 }, { "id": CATEGORY_MOVEON }]);
            }),
        ),
        (
            "launched by the AU",
            with(experienced.clone(), |s| {
                s["verb"]["id"] = json!(verb::LAUNCHED);
                s["context"]["contextActivities"]["category"] = json!([{ "id": CATEGORY_CMI5 }]);
            }),
        ),
        (
            "satisfied by the AU",
            with(experienced.clone(), |s| {
                s["verb"]["id"] = json!(verb::SATISFIED);
                s["context"]["contextActivities"]["category"] = json!([{ "id": CATEGORY_CMI5 }]);
            }),
        ),
    ];
    let before = statement_count(&db);
    for (what, statement) in &cases {
        let alone = open.post(&db, statement);
        assert_eq!(status(&alone), 403, "{what}: {alone:?}");
        let batch = open.post(&db, &json!([open.experienced(), statement]));
        assert_eq!(status(&batch), 403, "{what}, second of a batch: {batch:?}");
        assert_eq!(statement_count(&db), before, "{what}: nothing stored");
    }
    assert!(outbox_results(&db).is_empty());
    assert!(!item_completed(&db, "au"));
    // The session is still usable: the valid statements are accepted.
    for statement in [experienced, completed, passed, terminated] {
        assert_eq!(status(&open.post(&db, &statement)), 200, "{statement}");
    }
}

/// `completed` comes once per registration: a second one is refused in the same session and in
/// the next.
#[test]
fn completed_comes_once_per_registration() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    assert_eq!(status(&open.post(&db, &open.completed())), 200);
    assert_eq!(status(&open.post(&db, &open.completed())), 403);
    assert_eq!(status(&open.post(&db, &open.terminated())), 200);

    let next = start_one(&db, MoveOn::Completed, None);
    assert_eq!(next.launch.registration, open.launch.registration);
    next.initialize(&db);
    assert_eq!(status(&next.post(&db, &next.completed())), 403);
    assert_eq!(stored_with_verb(&db, verb::COMPLETED).len(), 1);
}

/// Once passed, the AU can be neither passed nor failed again in the registration.
#[test]
fn nothing_is_judged_after_passed() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Passed, Some(0.8));
    open.initialize(&db);
    assert_eq!(status(&open.post(&db, &open.passed(0.9))), 200);
    assert_eq!(status(&open.post(&db, &open.passed(0.95))), 403);
    assert_eq!(status(&open.post(&db, &open.failed(0.5))), 403);
    assert_eq!(status(&open.post(&db, &open.terminated())), 200);

    let next = start_one(&db, MoveOn::Passed, Some(0.8));
    next.initialize(&db);
    assert_eq!(status(&next.post(&db, &next.passed(0.9))), 403);
    assert_eq!(status(&next.post(&db, &next.failed(0.5))), 403);
    assert_eq!(stored_with_verb(&db, verb::PASSED).len(), 1);
    assert!(stored_with_verb(&db, verb::FAILED).is_empty());
}

/// A session judges once: passed after failed in the same session is refused; the next session
/// may pass.
#[test]
fn a_failed_session_cannot_pass_but_the_next_one_can() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Passed, Some(0.8));
    open.initialize(&db);
    assert_eq!(status(&open.post(&db, &open.failed(0.5))), 200);
    assert_eq!(status(&open.post(&db, &open.passed(0.9))), 403);
    assert_eq!(status(&open.post(&db, &open.failed(0.4))), 403);
    assert!(!item_completed(&db, "au"));
    assert_eq!(status(&open.post(&db, &open.terminated())), 200);

    let next = start_one(&db, MoveOn::Passed, Some(0.8));
    next.initialize(&db);
    assert_eq!(status(&next.post(&db, &next.passed(0.9))), 200);
    assert!(item_completed(&db, "au"));
}

/// A passed statement with a raw score in order (and a scaled score at the mastery score) is
/// accepted; a raw score outside min–max is refused.
#[test]
fn scores_must_be_in_range() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Passed, Some(0.8));
    open.initialize(&db);
    let out_of_range = with(open.passed(0.9), |s| {
        s["result"]["score"] = json!({ "raw": 120, "min": 0, "max": 100, "scaled": 0.9 });
    });
    assert_eq!(status(&open.post(&db, &out_of_range)), 403);
    let scaled_too_big = with(open.passed(0.9), |s| {
        s["result"]["score"] = json!({ "scaled": 1.5 });
    });
    assert_eq!(status(&open.post(&db, &scaled_too_big)), 403);
    let at_mastery = with(open.passed(0.8), |s| {
        s["result"]["score"] = json!({ "raw": 80, "min": 0, "max": 100, "scaled": 0.8 });
    });
    assert_eq!(status(&open.post(&db, &at_mastery)), 200);
}

/// After `terminated` the session's token opens nothing: any statement is 401.
#[test]
fn statements_after_terminated_are_unauthorized() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    assert_eq!(status(&open.post(&db, &open.terminated())), 200);
    let before = statement_count(&db);
    assert_eq!(status(&open.post(&db, &open.experienced())), 401);
    assert_eq!(status(&open.post(&db, &open.completed())), 401);
    assert_eq!(status(&open.put_statement(&db, &open.terminated())), 401);
    assert_eq!(statement_count(&db), before);
}

/// `terminated` is the session's last statement (cmi5 §9.3.8) also within one POST batch: a
/// batch that goes on after it is refused as a whole, and no result is queued.
#[test]
fn a_statement_after_terminated_in_the_same_batch_is_refused() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    let before = statement_count(&db);
    let batch = open.post(&db, &json!([open.terminated(), open.completed()]));
    assert!(
        matches!(status(&batch), 401 | 403),
        "a statement after terminated: {batch:?}"
    );
    assert_eq!(statement_count(&db), before, "nothing of the batch stored");
    assert!(outbox_results(&db).is_empty());
    assert!(!item_completed(&db, "au"));
}

// ---------------------------------------------------------------------------------------------
// Idempotency and batches

/// A statement PUT twice (a retry) is answered 204 both times and stored once; the same id with
/// other content is a 409 conflict.
#[test]
fn a_retried_statement_is_stored_once_and_a_different_one_conflicts() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    let completed = open.completed();
    assert_eq!(status(&open.put_statement(&db, &completed)), 204);
    assert_eq!(status(&open.put_statement(&db, &completed)), 204);
    assert_eq!(status(&open.post(&db, &completed)), 200, "a POST retry too");
    assert_eq!(stored_with_verb(&db, verb::COMPLETED).len(), 1);

    let changed = with(completed.clone(), |s| {
        s["result"]["duration"] = json!("PT11S")
    });
    let conflict = open.put_statement(&db, &changed);
    assert_eq!(status(&conflict), 409, "{conflict:?}");
    let experienced = with(open.experienced(), |s| s["id"] = completed["id"].clone());
    assert_eq!(status(&open.post(&db, &experienced)), 409);
    assert_eq!(stored_with_verb(&db, verb::COMPLETED).len(), 1);
    assert!(stored_with_verb(&db, EXPERIENCED).is_empty());
}

/// PUT takes its id from `statementId`: a statement without an id gets it, one with another id
/// is 400, no statementId is 400.
#[test]
fn put_statement_takes_its_id_from_the_query() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    let id = new_event_id();
    let query = encode(&[("statementId", &id)]);
    let without_id = with(open.experienced(), |s| remove(s, "id"));
    let put = |query: &str, statement: &Value| {
        status(&open.send(
            &db,
            "PUT",
            "statements",
            query,
            Some("application/json"),
            statement.to_string().as_bytes(),
        ))
    };
    assert_eq!(put(&query, &without_id), 204);
    let stored = stored_with_verb(&db, EXPERIENCED);
    assert_eq!(stored[0].0["id"], id.as_str());
    assert_eq!(put(&query, &open.experienced()), 400, "ids disagree");
    assert_eq!(put("", &open.experienced()), 400, "no statementId");
}

/// POST of an array answers 200 with the ids in order and stores them all.
#[test]
fn posting_an_array_answers_the_ids() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.put_prefs(&db, Some("application/json"), PREFERENCES);
    open.get_prefs(&db).unwrap();
    let batch = [open.initialized(), open.experienced(), open.completed()];
    let response = open.post(&db, &json!(batch)).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    let ids: Vec<Value> = batch.iter().map(|s| s["id"].clone()).collect();
    assert_eq!(body_json(&response), json!(ids));
    assert!(response.completed_now);
    assert_eq!(
        session_verbs(&db, &open.launch.session_id),
        [
            verb::LAUNCHED,
            verb::INITIALIZED,
            EXPERIENCED,
            verb::COMPLETED,
            verb::SATISFIED
        ]
    );
}

/// A batch is stored whole or not at all: when its second statement is invalid, the first is not
/// stored either, and what the first would have changed (the session's state, the item's
/// completion) is not changed.
#[test]
fn a_batch_with_an_invalid_statement_stores_none() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.put_prefs(&db, Some("application/json"), PREFERENCES);
    open.get_prefs(&db).unwrap();
    let before = statement_count(&db);
    let no_sessionid = with(open.experienced(), |s| {
        remove(&mut s["context"]["extensions"], EXT_SESSION_ID);
    });
    let batch = open.post(&db, &json!([open.initialized(), no_sessionid]));
    assert_eq!(status(&batch), 403);
    assert_eq!(statement_count(&db), before);
    // initialized was rolled back with the batch: it can still be sent.
    assert_eq!(status(&open.post(&db, &open.initialized())), 200);

    let bad_terminated = with(open.terminated(), |s| remove(s, "result"));
    let batch = open.post(&db, &json!([open.completed(), bad_terminated]));
    assert_eq!(status(&batch), 403);
    assert!(stored_with_verb(&db, verb::COMPLETED).is_empty());
    assert!(!item_completed(&db, "au"), "the completion was rolled back");
    assert!(stored_with_verb(&db, verb::SATISFIED).is_empty());
    assert!(outbox_results(&db).is_empty());
    assert_eq!(status(&open.post(&db, &open.completed())), 200);
    assert!(item_completed(&db, "au"));
}

// ---------------------------------------------------------------------------------------------
// moveOn

/// Sends `steps` (completed, passed, failed) in one session of an AU with `move_on` and checks,
/// after each, whether the item is completed in progress and whether that statement completed it.
fn check_move_on(move_on: MoveOn, steps: &[(&str, bool)]) {
    let (_dir, db) = db();
    let open = start_one(&db, move_on, None);
    open.initialize(&db);
    let mut was_completed = false;
    for (step, expected) in steps {
        let statement = match *step {
            "completed" => open.completed(),
            "passed" => open.passed(0.9),
            "failed" => open.failed(0.4),
            other => panic!("no step {other}"),
        };
        let response = open.post(&db, &statement).unwrap();
        assert_eq!(response.status, 200, "{move_on:?} {step}");
        assert_eq!(
            item_completed(&db, "au"),
            *expected,
            "{move_on:?}: completed after {step}"
        );
        assert_eq!(
            response.completed_now,
            *expected && !was_completed,
            "{move_on:?}: completed_now after {step}"
        );
        assert_eq!(
            stored_with_verb(&db, verb::SATISFIED).len(),
            usize::from(*expected),
            "{move_on:?}: the course (of one AU) is satisfied with it, once"
        );
        was_completed = *expected;
    }
}

/// moveOn Completed: passing does not complete the item, completing does.
#[test]
fn move_on_completed_needs_completed() {
    check_move_on(MoveOn::Completed, &[("passed", false), ("completed", true)]);
}

/// moveOn Passed: completing does not complete the item, passing does; failing never does.
#[test]
fn move_on_passed_needs_passed() {
    check_move_on(MoveOn::Passed, &[("completed", false), ("passed", true)]);
    check_move_on(MoveOn::Passed, &[("completed", false), ("failed", false)]);
}

/// moveOn CompletedAndPassed: both are needed, in either order.
#[test]
fn move_on_completed_and_passed_needs_both() {
    check_move_on(
        MoveOn::CompletedAndPassed,
        &[("completed", false), ("passed", true)],
    );
    check_move_on(
        MoveOn::CompletedAndPassed,
        &[("passed", false), ("completed", true)],
    );
}

/// moveOn CompletedOrPassed: either one; failed is neither.
#[test]
fn move_on_completed_or_passed_needs_either() {
    check_move_on(
        MoveOn::CompletedOrPassed,
        &[("completed", true), ("passed", true)],
    );
    check_move_on(MoveOn::CompletedOrPassed, &[("passed", true)]);
    check_move_on(
        MoveOn::CompletedOrPassed,
        &[("failed", false), ("completed", true)],
    );
}

/// moveOn NotApplicable: the AU is done as soon as it is launched (cmi5 §9.3), before the AU
/// says anything; the course of that one AU is satisfied once, however often it is launched.
#[test]
fn move_on_not_applicable_is_done_at_launch() {
    let (_dir, db) = db();
    launch_au(
        &db,
        "au",
        &cmi5_item(MoveOn::NotApplicable, None),
        &["au"],
        NOW,
    );
    assert!(item_completed(&db, "au"));
    let satisfied = stored_with_verb(&db, verb::SATISFIED);
    let [(statement, by_lms)] = satisfied.as_slice() else {
        panic!("one satisfied: {satisfied:?}")
    };
    assert!(by_lms);
    assert_eq!(
        statement["object"]["id"],
        course_activity_id(COURSE).as_str(),
        "Carrel's own course id, never the publisher's {COURSE_IRI} (cmi5 §9.3.9)"
    );
    launch_au(
        &db,
        "au",
        &cmi5_item(MoveOn::NotApplicable, None),
        &["au"],
        NOW + 1,
    );
    assert_eq!(stored_with_verb(&db, verb::SATISFIED).len(), 1, "once");
}

/// The LMS states the course `satisfied` (about the course IRI, in the registration) once every
/// AU of the course met its moveOn, and only once.
#[test]
fn the_course_is_satisfied_once_when_every_au_is_done() {
    let (_dir, db) = db();
    let course_aus = ["a", "b"];
    let a = start(
        &db,
        "a",
        &cmi5_item(MoveOn::Completed, None),
        &course_aus,
        NOW,
    );
    a.initialize(&db);
    let response = a.post(&db, &a.completed()).unwrap();
    assert!(response.completed_now);
    assert!(item_completed(&db, "a"));
    assert!(
        stored_with_verb(&db, verb::SATISFIED).is_empty(),
        "b is not done"
    );
    assert_eq!(status(&a.post(&db, &a.terminated())), 200);

    let b_item = Cmi5Item {
        au_id: "https://publisher.example/au/algebra".to_owned(),
        ..cmi5_item(MoveOn::Completed, None)
    };
    let b = start(&db, "b", &b_item, &course_aus, NOW + 1);
    assert_eq!(b.launch.registration, a.launch.registration);
    b.initialize(&db);
    assert_eq!(status(&b.post(&db, &b.completed())), 200);
    let satisfied = stored_with_verb(&db, verb::SATISFIED);
    let [(statement, true)] = satisfied.as_slice() else {
        panic!("one satisfied by the LMS: {satisfied:?}")
    };
    assert_eq!(
        statement["object"]["id"],
        course_activity_id(COURSE).as_str(),
        "Carrel's own course id, never the publisher's {COURSE_IRI} (cmi5 §9.3.9)"
    );
    assert_eq!(
        statement["context"]["registration"],
        a.launch.registration.as_str()
    );
    assert_eq!(status(&b.post(&db, &b.terminated())), 200);

    // b meets its moveOn again (passed, in a new session): no second satisfied.
    let again = start(&db, "b", &b_item, &course_aus, NOW + 2);
    again.initialize(&db);
    assert_eq!(status(&again.post(&db, &again.passed(0.9))), 200);
    assert_eq!(stored_with_verb(&db, verb::SATISFIED).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Session end

/// `terminated` ends the session: its result (standard cmi5, the session number, completion,
/// success, score, time, every statement of the session from launched to terminated) is queued
/// once in the outbox (kind cmi5), and the token opens nothing any more.
#[test]
fn terminated_queues_the_sessions_result_once() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::CompletedAndPassed, Some(0.8));
    open.initialize(&db);
    assert_eq!(status(&open.post(&db, &open.experienced())), 200);
    assert_eq!(status(&open.post(&db, &open.completed())), 200);
    let passed = with(open.passed(0.9), |s| {
        s["result"]["score"] = json!({ "raw": 90, "min": 0, "max": 100, "scaled": 0.9 });
    });
    assert_eq!(status(&open.post(&db, &passed)), 200);
    assert!(
        outbox_results(&db).is_empty(),
        "nothing queued before the end"
    );
    let ended = open.post(&db, &open.terminated()).unwrap();
    assert_eq!(ended.status, 200);
    assert!(ended.queued);

    let queued = outbox_results(&db);
    let [(kind, result)] = queued.as_slice() else {
        panic!("one result: {queued:?}")
    };
    assert_eq!(kind, "cmi5");
    assert_eq!(result.standard, "cmi5");
    assert_eq!(
        (result.course_id.as_str(), result.item_id.as_str()),
        (COURSE, "au")
    );
    assert_eq!(result.session, 1);
    assert_eq!(result.completion_status, "completed");
    assert_eq!(result.success_status, "passed");
    let score = result.score.as_ref().unwrap();
    assert_eq!(
        (score.raw, score.min, score.max, score.scaled),
        (Some(90.0), Some(0.0), Some(100.0), Some(0.9))
    );
    assert_eq!(result.score_scaled, Some(0.9));
    assert_eq!(result.total_time_seconds, 20.0);
    assert!(!result.suspended);
    let data = &result.runtime_data;
    assert_eq!(data["ending"], "terminated");
    assert_eq!(data["sessionId"], open.launch.session_id.as_str());
    assert_eq!(data["registration"], open.launch.registration.as_str());
    assert_eq!(data["activityId"], open.launch.activity_id.as_str());
    assert_eq!(data["publisherId"], AU_ID);
    assert_eq!(data["satisfied"], true);
    assert_eq!(
        statement_verbs(result),
        [
            verb::LAUNCHED,
            verb::INITIALIZED,
            EXPERIENCED,
            verb::COMPLETED,
            verb::PASSED,
            verb::SATISFIED,
            verb::TERMINATED
        ]
    );

    assert_eq!(status(&open.post(&db, &open.experienced())), 401);
    assert_eq!(
        status(&open.send(
            &db,
            "GET",
            "activities/state",
            &open.state_query(LAUNCH_DATA),
            None,
            b""
        )),
        401
    );
    assert!(matches!(
        fetch(&db, &open.launch.fetch_key, NOW).unwrap().answer,
        FetchAnswer::Error(1, _)
    ));
    assert_eq!(end_open_sessions(&db, NOW + 10).unwrap(), 0);
    assert_eq!(outbox_results(&db).len(), 1, "queued once");
}

/// A session left open is abandoned by `end_open_sessions`: the LMS states `abandoned` with the
/// time from launch to the session's last statement (not the hour the window then sat open),
/// queues the result once (ending abandoned) and the token stops working; calling it again queues
/// nothing more.
#[test]
fn an_open_session_is_abandoned_once_by_end_open_sessions() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    let later = handle(
        &db,
        &XapiRequest {
            content_type: Some("application/json"),
            ..request(
                "POST",
                "statements",
                "",
                Some(&open.auth),
                open.experienced().to_string().as_bytes(),
            )
        },
        NOW + 65_500,
    );
    assert_eq!(status(&later), 200);
    assert_eq!(end_open_sessions(&db, NOW + 3_600_000).unwrap(), 1);

    let abandoned = stored_with_verb(&db, verb::ABANDONED);
    let [(statement, true)] = abandoned.as_slice() else {
        panic!("one abandoned by the LMS: {abandoned:?}")
    };
    assert_eq!(statement["result"]["duration"], "PT1M5.5S");
    assert_eq!(
        statement["context"]["extensions"][EXT_SESSION_ID],
        open.launch.session_id.as_str()
    );
    assert_eq!(statement["object"]["id"], open.launch.activity_id.as_str());
    let queued = outbox_results(&db);
    let [(kind, result)] = queued.as_slice() else {
        panic!("one result: {queued:?}")
    };
    assert_eq!(kind, "cmi5");
    assert_eq!(result.runtime_data["ending"], "abandoned");
    assert!(result.suspended);
    assert_eq!(result.completion_status, "incomplete");
    assert_eq!(result.success_status, "unknown");
    assert_eq!(result.total_time_seconds, 65.5);
    assert_eq!(
        statement_verbs(result),
        [
            verb::LAUNCHED,
            verb::INITIALIZED,
            EXPERIENCED,
            verb::ABANDONED
        ]
    );

    assert_eq!(status(&open.post(&db, &open.experienced())), 401);
    assert_eq!(end_open_sessions(&db, NOW + 3_700_000).unwrap(), 0);
    assert_eq!(outbox_results(&db).len(), 1);
    assert_eq!(stored_with_verb(&db, verb::ABANDONED).len(), 1);
}

/// The next session (of the same AU or another of the course) abandons the session left open
/// when it fetches its token — not at its launch, so the page being left can still finish — and
/// says so; the registration stays the course's, the session numbers count up per AU.
#[test]
fn the_next_session_abandons_the_open_one_and_sessions_count_up_per_au() {
    let (_dir, db) = db();
    let au = cmi5_item(MoveOn::Completed, None);
    let course_aus = ["a", "b"];
    let first = start(&db, "a", &au, &course_aus, NOW);
    first.initialize(&db);
    let second = launch_au(&db, "a", &au, &course_aus, NOW + 1_000);
    assert_eq!(
        status(&first.post(&db, &first.experienced())),
        200,
        "the page being left may still send"
    );
    assert_eq!(
        fetch(&db, &second.fetch_key, NOW + 1_000)
            .unwrap()
            .abandoned,
        1,
        "the open session was ended and queued"
    );
    assert_ne!(second.session_id, first.launch.session_id);
    assert_eq!(second.registration, first.launch.registration);
    assert_eq!(second.activity_id, first.launch.activity_id);
    assert_eq!(status(&first.post(&db, &first.experienced())), 401);
    let queued = outbox_results(&db);
    let [(_, result)] = queued.as_slice() else {
        panic!("one result: {queued:?}")
    };
    assert_eq!(result.runtime_data["ending"], "abandoned");
    assert_eq!(result.session, 1);
    assert_eq!(
        result.runtime_data["sessionId"],
        first.launch.session_id.as_str()
    );
    let abandoned = stored_with_verb(&db, verb::ABANDONED);
    assert_eq!(
        abandoned[0].0["result"]["duration"], "PT0S",
        "launch to last statement"
    );

    let other = launch_au(&db, "b", &au, &course_aus, NOW + 2_000);
    assert_eq!(
        fetch(&db, &other.fetch_key, NOW + 2_000).unwrap().abandoned,
        1,
        "the never-fetched session is abandoned too"
    );
    assert_eq!(other.registration, first.launch.registration);
    assert_ne!(other.activity_id, first.launch.activity_id);
    let third = launch_au(&db, "a", &au, &course_aus, NOW + 3_000);
    assert_eq!(
        fetch(&db, &third.fetch_key, NOW + 3_000).unwrap().abandoned,
        1
    );
    assert_eq!(session_number(&db, &first.launch.session_id), 1);
    assert_eq!(session_number(&db, &second.session_id), 2);
    assert_eq!(session_number(&db, &other.session_id), 1);
    assert_eq!(session_number(&db, &third.session_id), 3);
    assert_eq!(third.registration, first.launch.registration);
    let sessions: Vec<(String, u32)> = outbox_results(&db)
        .into_iter()
        .map(|(_, r)| (r.item_id, r.session))
        .collect();
    assert_eq!(
        sessions,
        [
            ("a".to_owned(), 1),
            ("a".to_owned(), 2),
            ("b".to_owned(), 1)
        ]
    );

    // Another course has its own registration.
    let elsewhere = launch(
        &db,
        &Au {
            course_id: "d",
            item_id: "a",
            title: "Other",
            au: &au,
            course_aus: &["a".to_owned()],
        },
        &learner(),
        NOW + 4_000,
    )
    .unwrap();
    assert_ne!(elsewhere.registration, first.launch.registration);
}

// ---------------------------------------------------------------------------------------------
// Durations

/// ISO 8601 durations are read as seconds, days and weeks included.
#[test]
fn durations_parse_to_seconds() {
    for (text, seconds) in [
        ("PT1H2M3.5S", 3723.5),
        ("P1DT1S", 86_401.0),
        ("PT15S", 15.0),
        ("PT0S", 0.0),
        ("P1D", 86_400.0),
        ("P1W", 604_800.0),
        ("PT2M", 120.0),
        ("PT0.25S", 0.25),
    ] {
        assert_eq!(parse_duration_s(text), Some(seconds), "{text}");
    }
}

/// What is not an ISO 8601 duration of fixed length is `None`.
#[test]
fn invalid_durations_are_none() {
    for text in [
        "", "P", "PT", "1S", "PT1M2H", "-PT1S", "P1Y", "P1M", "PT1S2", "PTS", "P1DT", "PT1.2.3S",
        "pt1s", "PT1H1H",
    ] {
        assert_eq!(parse_duration_s(text), None, "{text:?}");
    }
}

/// `iso_duration` writes hours, minutes and seconds to the hundredth, and reads back to the same
/// time.
#[test]
fn iso_duration_round_trips() {
    assert_eq!(iso_duration(3_723_500), "PT1H2M3.5S");
    assert_eq!(iso_duration(15_000), "PT15S");
    assert_eq!(iso_duration(0), "PT0S");
    assert_eq!(iso_duration(-5), "PT0S");
    assert_eq!(iso_duration(60_000), "PT1M0S");
    for ms in [
        0,
        10,
        990,
        1_000,
        59_990,
        61_230,
        3_600_000,
        90_061_010,
        400_000_000,
    ] {
        let text = iso_duration(ms);
        let seconds = parse_duration_s(&text).unwrap();
        assert!(
            (seconds - ms as f64 / 1000.0).abs() < 1e-6,
            "{ms} ms → {text} → {seconds}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Limits, isolation, damaged records

/// A session stores at most [`MAX_SESSION_STATEMENT_BYTES`] of statements (its result must reach
/// the server in one submission): past that, 413 with what to do, and nothing of the batch is
/// stored.
#[test]
fn a_session_stores_at_most_its_budget_of_statements() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    open.initialize(&db);
    let big = |open: &Open| {
        let mut statement = open.experienced();
        statement["result"] = json!({ "response": "x".repeat(900 * 1024) });
        statement
    };
    for _ in 0..3 {
        assert_eq!(status(&open.post(&db, &big(&open))), 200);
    }
    let before = stored_with_verb(&db, EXPERIENCED).len();
    let refused = open.post(&db, &big(&open)).unwrap_err();
    assert_eq!(refused.status(), 413);
    assert!(refused.to_string().contains("terminated"), "{refused}");
    assert_eq!(stored_with_verb(&db, EXPERIENCED).len(), before);
    assert_eq!(
        status(&open.post(&db, &open.experienced())),
        200,
        "small ones still fit"
    );
}

/// An AU keeps at most [`MAX_DOCUMENTS`] state documents; replacing one it has still works.
#[test]
fn an_au_keeps_at_most_its_share_of_documents() {
    let (_dir, db) = db();
    let open = start_one(&db, MoveOn::Completed, None);
    let put = |id: &str| {
        status(&open.send(
            &db,
            "PUT",
            "activities/state",
            &open.state_query(id),
            Some("application/json"),
            b"{}",
        ))
    };
    for n in 0..MAX_DOCUMENTS {
        assert_eq!(put(&format!("doc-{n}")), 204);
    }
    assert_eq!(put("one-too-many"), 413);
    assert_eq!(put("doc-0"), 204, "replacing a document it keeps");
}

/// Agent profiles other than the learner preferences are kept per course: another course's
/// content can neither read nor change them. The preferences are the learner's everywhere.
#[test]
fn other_agent_profiles_are_kept_per_course() {
    let (_dir, db) = db();
    let au = cmi5_item(MoveOn::Completed, None);
    let here = start(&db, "au", &au, &["au"], NOW);
    let profile = |open: &Open, method: &str, id: &str, body: &[u8]| {
        let query = encode(&[("agent", &open.agent()), ("profileId", id)]);
        open.send(
            &db,
            method,
            "agents/profile",
            &query,
            Some("application/json"),
            body,
        )
    };
    assert_eq!(
        status(&profile(&here, "PUT", "vendor-progress", b"{\"page\":7}")),
        204
    );
    assert_eq!(
        here.put_prefs(&db, Some("application/json"), PREFERENCES),
        204
    );
    // A module of another course, for the same learner.
    let elsewhere = launch(
        &db,
        &Au {
            course_id: "another-course",
            item_id: "au",
            title: "Other",
            au: &au,
            course_aus: &["au".to_owned()],
        },
        &learner(),
        NOW,
    )
    .unwrap();
    let FetchAnswer::Token(token) = fetch(&db, &elsewhere.fetch_key, NOW).unwrap().answer else {
        panic!("a token")
    };
    let there = Open {
        launch: elsewhere,
        auth: format!("Basic {token}"),
        au_id: au.au_id.clone(),
        mastery: None,
    };
    assert_eq!(status(&profile(&there, "GET", "vendor-progress", b"")), 404);
    assert_eq!(
        status(&profile(&there, "PUT", "vendor-progress", b"{\"page\":1}")),
        204
    );
    // (`here` was abandoned when `there` started: one window; read what it kept directly.)
    let kept: Vec<(String, Vec<u8>)> = db
        .transact(|tx| {
            let mut statement = tx.prepare(
                "SELECT activity_id, content FROM xapi_document
                 WHERE document_id = 'vendor-progress' ORDER BY activity_id",
            )?;
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok::<_, ProgressError>(rows)
        })
        .unwrap();
    assert_eq!(
        kept,
        [
            ("course:another-course".to_owned(), b"{\"page\":1}".to_vec()),
            (format!("course:{COURSE}"), b"{\"page\":7}".to_vec()),
        ],
        "each course's own, unchanged by the other"
    );
    assert_eq!(
        status(&there.get_prefs(&db)),
        200,
        "the preferences are the learner's"
    );
}

/// A session record that cannot be read (say, written by another version) is ended without a
/// statement; it holds up neither the other sessions nor the next launch.
#[test]
fn an_unreadable_session_record_does_not_hold_up_the_others() {
    let (_dir, db) = db();
    let au = cmi5_item(MoveOn::Completed, None);
    let broken = launch_au(&db, "a", &au, &["a", "b"], NOW);
    let fine = launch_au(&db, "b", &au, &["a", "b"], NOW + 1);
    db.transact(|tx| {
        tx.execute(
            "UPDATE cmi5_session SET au = '{\"not\": \"an AU\"}' WHERE session_id = ?1",
            [&broken.session_id],
        )?;
        Ok::<_, ProgressError>(())
    })
    .unwrap();
    assert_eq!(end_open_sessions(&db, NOW + 2).unwrap(), 2);
    let results = outbox_results(&db);
    assert_eq!(
        results
            .iter()
            .map(|(_, r)| r.item_id.as_str())
            .collect::<Vec<_>>(),
        ["b"],
        "the readable one is abandoned and queued as usual"
    );
    assert_eq!(fine.registration, broken.registration);
    let next = launch_au(&db, "a", &au, &["a", "b"], NOW + 3);
    assert!(matches!(
        fetch(&db, &next.fetch_key, NOW + 3).unwrap().answer,
        FetchAnswer::Token(_)
    ));
}
