//! Submissions over real HTTP: stored once under the client's id whatever the retries, answered
//! with a receipt whose hash is the payload's bytes; a different payload or another learner under
//! the same id is refused; concurrent duplicates store one; no token, no submission.

use carrel_protocol::ApiError;
use carrel_protocol::submissions::{Receipt, submission_path};
use carrel_server::Storage;
use carrel_server::testing::LoopbackServer;
use reqwest::StatusCode;

use crate::support::{http_client, sha256_hex};

pub(crate) struct World {
    pub(crate) server: LoopbackServer,
    pub(crate) storage: Storage,
    client: reqwest::Client,
    pub(crate) _dir: tempfile::TempDir,
}

impl World {
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = LoopbackServer::start(dir.path()).await.unwrap();
        let storage = Storage::open(server.db()).unwrap();
        Self {
            server,
            storage,
            client: http_client(),
            _dir: dir,
        }
    }

    /// A learner enrolled in the course every payload here names.
    pub(crate) async fn learner(&self, login: &str) -> String {
        self.server
            .learner_in(login, COURSE)
            .await
            .unwrap()
            .access_token
    }

    pub(crate) async fn put(&self, token: Option<&str>, id: &str, body: &str) -> reqwest::Response {
        let mut request = self
            .client
            .put(format!("{}{}", self.server.url(), submission_path(id)))
            .header("Content-Type", "application/json")
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    async fn stored(&self) -> i64 {
        self.storage
            .with_conn(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*) FROM submissions",
                    carrel_server::storage::sql::params![],
                    |row| row.get(0),
                )?)
            })
            .await
            .unwrap()
    }
}

/// The course every payload here is for.
const COURSE: &str = "ilo-migrant-workers-rights";

/// A payload as the client's outbox stores it (its exact bytes matter: odd spacing on purpose).
pub(crate) fn payload(id: &str, text: &str) -> String {
    format!(
        r#"{{"submissionId":"{id}","courseId":"ilo-migrant-workers-rights","itemId":"b3-final-assignment",  "text":"{text}","attachments":[]}}"#
    )
}

pub(crate) fn upload(kind: &str, payload: &str) -> String {
    format!(r#"{{"kind":"{kind}","payload":{payload}}}"#)
}

async fn error_code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let error: ApiError = response.json().await.unwrap();
    (status, error.code)
}

#[tokio::test]
async fn a_submission_is_stored_once_and_every_retry_gets_its_receipt() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    let body = payload(id, "My action note.");

    let first = world
        .put(Some(&ana), id, &upload("assignment", &body))
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let receipt: Receipt = first.json().await.unwrap();
    assert_eq!(receipt.submission_id, id);
    assert_eq!(
        receipt.sha256,
        sha256_hex(body.as_bytes()),
        "the hash of the exact bytes sent"
    );
    assert!(!receipt.replayed);

    // Retries (the answer was lost, the client crashed): the same receipt, nothing new stored.
    for _ in 0..3 {
        let again = world
            .put(Some(&ana), id, &upload("assignment", &body))
            .await;
        assert_eq!(again.status(), StatusCode::OK);
        let replayed: Receipt = again.json().await.unwrap();
        assert!(replayed.replayed);
        assert_eq!(
            (replayed.server_id, &replayed.sha256, replayed.received_ms),
            (receipt.server_id, &receipt.sha256, receipt.received_ms)
        );
    }
    assert_eq!(world.stored().await, 1);

    // The bytes stored are the bytes sent.
    let stored: String = world
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT payload FROM submissions",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(stored, body);

    // The same id with another payload, another kind, or from another learner: refused.
    let changed = world
        .put(
            Some(&ana),
            id,
            &upload("assignment", &payload(id, "Changed.")),
        )
        .await;
    assert_eq!(
        error_code(changed).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_conflict".into()
        )
    );
    let kind = world.put(Some(&ana), id, &upload("quiz", &body)).await;
    assert_eq!(
        error_code(kind).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_conflict".into()
        )
    );
    let ben = world.learner("ben").await;
    let theirs = world
        .put(Some(&ben), id, &upload("assignment", &body))
        .await;
    assert_eq!(
        error_code(theirs).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_conflict".into()
        )
    );
    assert_eq!(world.stored().await, 1, "refusals change nothing");
}

#[tokio::test]
async fn concurrent_duplicates_store_one_submission() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let id = "0193a1b2-c3d4-7e5f-8a9b-00000000dup1";
    let body = upload("quiz", &payload(id, "x"));
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let (client, url, token, body) = (
            world.client.clone(),
            format!("{}{}", world.server.url(), submission_path(id)),
            ana.clone(),
            body.clone(),
        );
        requests.spawn(async move {
            client
                .put(url)
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        });
    }
    let responses = requests.join_all().await;
    let mut created = 0;
    let mut receipts = Vec::new();
    for response in responses {
        match response.status() {
            StatusCode::CREATED => {
                created += 1;
                receipts.push(response.json::<Receipt>().await.unwrap());
            }
            StatusCode::OK => receipts.push(response.json::<Receipt>().await.unwrap()),
            StatusCode::CONFLICT => {
                assert_eq!(response.headers().get("retry-after").unwrap(), "1");
                let error: ApiError = response.json().await.unwrap();
                assert_eq!(error.code, "in_flight");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1, "exactly one request stored it");
    assert!(
        receipts
            .windows(2)
            .all(|w| w[0].server_id == w[1].server_id && w[0].sha256 == w[1].sha256)
    );
    assert_eq!(world.stored().await, 1);
}

#[tokio::test]
async fn bad_submissions_get_a_json_error_and_change_nothing() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    let good = upload("quiz", &payload(id, "x"));
    // No token, a forged one.
    assert_eq!(
        world.put(None, id, &good).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        world.put(Some("ca_forged"), id, &good).await.status(),
        StatusCode::UNAUTHORIZED
    );
    for (path_id, body) in [
        (id, "not json".to_owned()),
        (id, r#"{"kind":"quiz"}"#.to_owned()),
        (id, upload("poster", &payload(id, "x"))),
        (id, upload("quiz", r#"{"courseId":"c","itemId":"i"}"#)),
        (id, upload("quiz", "[1,2]")),
        ("another-id", good.clone()),
        ("bad id with spaces", good.clone()),
    ] {
        let response = world.put(Some(&ana), path_id, &body).await;
        let status = response.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
            "{body}: {status}"
        );
        if status == StatusCode::BAD_REQUEST {
            let error: ApiError = response.json().await.unwrap();
            assert_eq!(error.code, "malformed_request", "{body}");
        }
    }
    // Too large.
    let huge = upload("assignment", &payload(id, &"x".repeat(5 * 1024 * 1024)));
    assert_eq!(
        world.put(Some(&ana), id, &huge).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(world.stored().await, 0);
}

/// Publishes a small version of the course with a SCORM item `golf-1a2b3c4d`, a quiz item
/// `b1-quiz` and a cmi5 AU `geo-au`, as `carrel-pack convert` and `build` write them.
pub(crate) async fn publish_course_with_scorm(world: &World) {
    use carrel_package::manifest::{
        Block, Cmi5Item, Course, Item, ItemKind, LaunchMethod, Manifest, Module, MoveOn, Publisher,
        ScormItem, ScormVersion,
    };
    let page = b"<!doctype html><title>Golf</title>";
    let quiz = br#"{"id":"q","title":"Quiz","mode":"graded","passing_score":0.5,"questions":[{"id":"q1","type":"true_false","prompt":"Yes?"}]}"#;
    let files = vec![
        carrel_package::pack::describe_bytes("golf/index.html", page),
        carrel_package::pack::describe_bytes("quiz.json", quiz),
    ];
    let item = |id: &str, kind: ItemKind| Item {
        id: id.into(),
        title: id.into(),
        minutes: None,
        kind,
    };
    let manifest = Manifest::new(
        Course {
            id: COURSE.into(),
            version: "1.0.0".into(),
            title: "Rights".into(),
            language: "en".into(),
            summary: String::new(),
            description: None,
            starts: None,
            ends: None,
            min_app_version: "0.1.0".into(),
            estimated_hours: None,
            publisher: Publisher {
                name: "Test".into(),
                url: None,
            },
            certificate: None,
        },
        vec![Block {
            id: "b1".into(),
            title: "Block".into(),
            summary: String::new(),
            week: None,
            modules: vec![Module {
                id: "m1".into(),
                title: "Module".into(),
                summary: String::new(),
                items: vec![
                    item(
                        "golf-1a2b3c4d",
                        ItemKind::Scorm(ScormItem {
                            path: "golf/index.html".into(),
                            parameters: String::new(),
                            scorm_version: ScormVersion::Scorm12,
                            sco: true,
                            identifier: "item_1".into(),
                            mastery_score: None,
                            completion_threshold: None,
                            launch_data: None,
                            prerequisites: None,
                        }),
                    ),
                    item(
                        "b1-quiz",
                        ItemKind::Quiz {
                            path: "quiz.json".into(),
                        },
                    ),
                    item(
                        "geo-au",
                        ItemKind::Cmi5(Cmi5Item {
                            path: "golf/index.html".into(),
                            query: String::new(),
                            au_id: "https://example.org/au/geo".into(),
                            course_iri: "https://example.org/course/geo".into(),
                            move_on: MoveOn::CompletedOrPassed,
                            mastery_score: None,
                            launch_method: LaunchMethod::AnyWindow,
                            launch_parameters: None,
                            entitlement_key: None,
                            activity_type: None,
                        }),
                    ),
                ],
            }],
        }],
        files,
    );
    let package = world._dir.path().join("rights.carrel");
    let key = carrel_package::SecretKey::generate().unwrap();
    carrel_package::pack::write_package(&package, &manifest, &key, |file| {
        let bytes: &'static [u8] = if file.path == "quiz.json" { quiz } else { page };
        Ok(Box::new(bytes) as Box<dyn std::io::Read>)
    })
    .unwrap();
    carrel_server::publish_package(&world.storage, world.server.data(), &package)
        .await
        .unwrap();
}

/// The result of a SCORM session as the client's outbox sends it
/// (`carrel_core::runtime::RuntimeResult`).
pub(crate) fn scorm_result(id: &str, scaled: Option<f64>, success: &str) -> String {
    serde_json::json!({
        "submissionId": id, "courseId": COURSE, "itemId": "golf-1a2b3c4d",
        "standard": "scorm-1.2", "attempt": 1, "session": 1,
        "completionStatus": "completed", "successStatus": success,
        "score": scaled.map(|s| serde_json::json!({ "raw": s * 100.0, "min": 0, "max": 100 })),
        "scoreScaled": scaled, "totalTimeSeconds": 754.0, "suspended": false,
        "endedMs": 1_800_000_000_000_i64,
        "runtimeData": { "cmi": { "core": { "lesson_status": success, "lesson_location": "15" } } }
    })
    .to_string()
}

#[tokio::test]
async fn scorm_results_are_stored_once_graded_by_their_score_and_never_wait_for_a_tutor() {
    let world = World::start().await;
    publish_course_with_scorm(&world).await;
    let ana = world.learner("ana").await;
    // A "result" for the quiz, or for an item the course does not have, would grade itself.
    for (id, item) in [
        ("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a03", "b1-quiz"),
        ("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a04", "nowhere"),
    ] {
        let body = scorm_result(id, Some(1.0), "passed").replace("golf-1a2b3c4d", item);
        let refused = world.put(Some(&ana), id, &upload("scorm", &body)).await;
        assert_eq!(
            error_code(refused).await,
            (StatusCode::BAD_REQUEST, "malformed_request".into()),
            "{item}"
        );
    }
    assert_eq!(world.stored().await, 0);
    let scored = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01";
    let unscored = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02";
    let body = scorm_result(scored, Some(0.85), "passed");
    for attempt in 0..3 {
        let response = world.put(Some(&ana), scored, &upload("scorm", &body)).await;
        let expected = if attempt == 0 {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        assert_eq!(response.status(), expected, "try {attempt}");
    }
    let other = scorm_result(unscored, None, "unknown");
    let response = world
        .put(Some(&ana), unscored, &upload("scorm", &other))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(world.stored().await, 2, "each result stored once");

    /// client id, kind, score, passed, complete
    type Row = (String, String, Option<f64>, Option<bool>, Option<bool>);
    let rows: Vec<Row> = world
        .storage
        .with_conn(|conn| {
            let mut statement = conn.prepare(
                "SELECT s.client_id, s.kind, g.score, g.passed, g.complete
                 FROM submissions s LEFT JOIN grades g ON g.submission_id = s.id ORDER BY s.id",
            )?;
            let rows = statement
                .query_map(carrel_server::storage::sql::params![], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            (
                scored.into(),
                "scorm".into(),
                Some(85.0),
                Some(true),
                Some(true)
            ),
            (unscored.into(), "scorm".into(), None, None, None),
        ],
        "the reported score is the grade; a result without one stays ungraded"
    );

    let waiting = carrel_server::tutor::list(
        &world.storage,
        carrel_server::tutor::Actor::Operator { tutor: None },
        carrel_server::tutor::ListFilter {
            ungraded: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        waiting.is_empty(),
        "SCORM results never wait for a tutor: {waiting:?}"
    );
}
