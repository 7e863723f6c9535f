//! Forwarding to a real Learning Record Store (Learning Locker's statements service, in memory on
//! 127.0.0.1: `carrel_server::testing::LearningLocker`): every statement of the SCORM, cmi5 and
//! native records the server stores reaches it exactly once — through lost answers (everything
//! sent again), a statement the LRS refuses (set aside, the others go on), an LRS that is down
//! (backoff), and a configuration made after the records arrived.

use carrel_protocol::tutor::GradeInput;
use carrel_server::testing::LearningLocker;
use carrel_server::xapi::{Forwarder, LrsConfig, Pass, QueueCounts};
use reqwest::StatusCode;

use crate::submissions::{World, payload, publish_course_with_scorm, scorm_result, upload};

const COURSE: &str = "ilo-migrant-workers-rights";

/// A cmi5 session's result as the app queues it: its statements as Carrel's local LRS stored
/// them — here claiming to be about another learner, which the server does not believe.
fn cmi5_result(id: &str) -> (String, Vec<String>) {
    let actor = serde_json::json!({
        "objectType": "Agent", "account": { "homePage": "https://elsewhere.example", "name": "bob" }
    });
    let ids: Vec<String> = (1..=4)
        .map(|n| format!("6f1c2a4e-7b2d-4c1e-9a7f-0d5e6b8c9a0{n}"))
        .collect();
    let statement = |id: &str, verb: &str, result: serde_json::Value| {
        serde_json::json!({
            "id": id,
            "timestamp": "2026-11-30T06:00:00.000Z",
            "actor": actor,
            "verb": { "id": format!("http://adlnet.gov/expapi/verbs/{verb}") },
            "object": { "objectType": "Activity", "id": "urn:carrel:cmi5:ilo:geo-au" },
            "context": { "registration": "01a22b12-bf11-727c-aba7-8a8eb8f049ae" },
            "result": result,
        })
    };
    let statements = vec![
        statement(&ids[0], "launched", serde_json::json!({})),
        statement(&ids[1], "initialized", serde_json::json!({})),
        statement(
            &ids[2],
            "passed",
            serde_json::json!({ "success": true, "duration": "PT1M", "score": { "scaled": 0.9 } }),
        ),
        statement(
            &ids[3],
            "terminated",
            serde_json::json!({ "duration": "PT2M" }),
        ),
    ];
    let body = serde_json::json!({
        "submissionId": id, "courseId": COURSE, "itemId": "geo-au",
        "standard": "cmi5", "attempt": 1, "session": 1,
        "completionStatus": "incomplete", "successStatus": "passed",
        "score": { "scaled": 0.9 }, "scoreScaled": 0.9, "totalTimeSeconds": 120.0,
        "suspended": false, "endedMs": 1_800_000_000_000_i64,
        "runtimeData": { "registration": "01a22b12-bf11-727c-aba7-8a8eb8f049ae",
                         "ending": "terminated", "statements": statements }
    });
    (body.to_string(), ids)
}

/// Uploads `body` as `token` under `id`, and checks the server stored it.
async fn stored(world: &World, token: &str, id: &str, body: &str) {
    let response = world.put(Some(token), id, body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{id}");
}

/// Runs the forwarder until a pass sends nothing more; the passes' totals.
async fn drain(forwarder: &Forwarder) -> Pass {
    let mut total = Pass::default();
    loop {
        let pass = forwarder.send_due().await.unwrap();
        total.sent += pass.sent;
        total.refused += pass.refused;
        total.deferred += pass.deferred;
        if pass == Pass::default() || pass.deferred > 0 {
            return total;
        }
    }
}

/// The ids of the statements the LRS holds, sorted, and whether any id is there twice.
async fn held(lrs: &LearningLocker) -> Vec<String> {
    let mut ids: Vec<String> = lrs
        .statements()
        .await
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn every_learning_record_reaches_a_real_lrs_exactly_once() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    // Records first, LRS configured later: the history is queued all the same.
    let essay = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b01";
    stored(
        &world,
        &ana,
        essay,
        &upload("assignment", &payload(essay, "My essay")),
    )
    .await;
    publish_course_with_scorm(&world).await;
    let scorm = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b02";
    stored(
        &world,
        &ana,
        scorm,
        &upload("scorm", &scorm_result(scorm, Some(0.85), "passed")),
    )
    .await;
    let cmi5 = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b03";
    let home_page = world.server.url();
    let (body, cmi5_ids) = cmi5_result(cmi5);
    stored(&world, &ana, cmi5, &upload("cmi5", &body)).await;
    // A tutor grades the essay: scored and passed.
    let essay_id = carrel_server::tutor::resolve(&world.storage, essay)
        .await
        .unwrap()
        .unwrap();
    carrel_server::tutor::grade::set(
        &world.storage,
        carrel_server::tutor::Actor::Operator { tutor: None },
        essay_id,
        GradeInput {
            score: 8.0,
            max_score: Some(10.0),
            passed: Some(true),
            feedback: None,
        },
    )
    .await
    .unwrap();
    // essay: completed, scored, passed; SCORM: terminated, completed, passed; cmi5: its four.
    assert_eq!(
        carrel_server::xapi::counts(&world.storage).await.unwrap(),
        QueueCounts {
            queued: 10,
            sent: 0,
            refused: 0
        }
    );

    let lrs = LearningLocker::start().await.unwrap();
    let config = LrsConfig {
        endpoint: lrs.endpoint(),
        key: "carrel".into(),
        secret: "a secret".into(),
        home_page: home_page.clone(),
    };
    let forwarder = Forwarder::new(world.storage.clone(), config.clone()).unwrap();
    assert_eq!(
        drain(&forwarder).await,
        Pass {
            sent: 10,
            refused: 0,
            deferred: 0
        }
    );
    let first = held(&lrs).await;
    assert_eq!(first.len(), 10, "{first:?}");
    for id in &cmi5_ids {
        assert!(
            first.contains(id),
            "the AU's own statement ids are kept: {id}"
        );
    }
    let statements = lrs.statements().await.unwrap();
    let verbs_of = |object_suffix: &str| {
        let mut verbs: Vec<&str> = statements
            .iter()
            .filter(|s| s["object"]["id"].as_str().unwrap().ends_with(object_suffix))
            .map(carrel_server::xapi::verb_name)
            .collect();
        verbs.sort();
        verbs
    };
    assert_eq!(
        verbs_of(":golf-1a2b3c4d"),
        ["completed", "passed", "terminated"]
    );
    assert_eq!(
        verbs_of(":b3-final-assignment"),
        ["completed", "passed", "scored"]
    );
    let passed_scorm = statements
        .iter()
        .find(|s| {
            s["object"]["id"]
                .as_str()
                .unwrap()
                .ends_with(":golf-1a2b3c4d")
                && s["verb"]["id"].as_str().unwrap().ends_with("/passed")
        })
        .unwrap();
    assert_eq!(passed_scorm["result"]["score"]["scaled"], 0.85);
    assert!(
        statements.iter().all(|s| s["actor"]["account"]
            == serde_json::json!({ "homePage": home_page, "name": "ana" })),
        "every statement is about the learner who submitted it, on the server's public address \
         (the cmi5 result claimed bob): {statements:#?}"
    );

    // Every answer lost: the server sends everything again; the LRS still holds each once.
    world
        .storage
        .with_conn(|conn| {
            conn.execute(
                "UPDATE xapi_forward SET state = 'queued'",
                carrel_server::storage::sql::params![],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(drain(&forwarder).await.sent, 10);
    assert_eq!(held(&lrs).await, first, "sent twice, stored once");

    // A statement the LRS refuses (its id held with other content) is set aside; a good one in
    // the same batch is stored.
    let clash = cmi5_ids[0].clone();
    world
        .storage
        .with_conn(move |conn| {
            let submission: i64 = conn.query_row(
                "SELECT id FROM submissions LIMIT 1",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?;
            let body = |id: &str, verb: &str| {
                serde_json::json!({
                    "id": id, "timestamp": "2026-11-30T07:00:00.000Z",
                    "verb": { "id": format!("http://adlnet.gov/expapi/verbs/{verb}") },
                    "object": { "id": "urn:carrel:item:c:i" },
                })
                .to_string()
            };
            // The clash takes the place of its sent twin in the queue.
            conn.execute("DELETE FROM xapi_forward WHERE statement_id = ?1", [&clash])?;
            for (id, verb) in [
                (clash.as_str(), "experienced"),
                ("7a1c2a4e-7b2d-4c1e-9a7f-0d5e6b8c9a05", "experienced"),
            ] {
                conn.execute(
                    "INSERT INTO xapi_forward (statement_id, submission_id, body, queued_ms)
                     VALUES (?1, ?2, ?3, 0)",
                    carrel_server::storage::sql::params![id, submission, body(id, verb)],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        drain(&forwarder).await,
        Pass {
            sent: 1,
            refused: 1,
            deferred: 0
        }
    );
    let reason: String = world
        .storage
        .with_conn(move |conn| {
            Ok(conn.query_row(
                "SELECT last_error FROM xapi_forward WHERE state = 'refused'",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert!(reason.starts_with("409"), "{reason}");
    assert_eq!(held(&lrs).await.len(), 11);

    // The LRS goes away: a new record waits, with a growing pause, and arrives once it is back.
    lrs.stop();
    let later = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4b04";
    stored(
        &world,
        &ana,
        later,
        &upload("scorm", &scorm_result(later, None, "unknown")),
    )
    .await;
    let pass = forwarder.send_due().await.unwrap();
    assert_eq!(
        pass,
        Pass {
            sent: 0,
            refused: 0,
            deferred: 1
        },
        "the new session's end waits, in the queue (its completed is the attempt's, stated \
         already by the first session: not queued again)"
    );
    let (tries, error): (i64, String) = world
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT MAX(tries), MAX(last_error) FROM xapi_forward WHERE state = 'queued'",
                carrel_server::storage::sql::params![],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(tries, 1);
    assert!(error.contains("could not be reached"), "{error}");
    let lrs = LearningLocker::start().await.unwrap();
    let forwarder = Forwarder::new(
        world.storage.clone(),
        LrsConfig {
            endpoint: lrs.endpoint(),
            ..config
        },
    )
    .unwrap();
    assert_eq!(drain(&forwarder).await.sent, 1);
    assert_eq!(held(&lrs).await.len(), 1);
    assert_eq!(
        carrel_server::xapi::counts(&world.storage).await.unwrap(),
        QueueCounts {
            queued: 0,
            // 10, less the one the clash took the place of, the good one beside it, 1 later.
            sent: 11,
            refused: 1
        }
    );
}

/// The shipped binary forwards on its own: `serve --lrs-endpoint … --lrs-key …` with
/// `CARREL_LRS_SECRET` sends what its database holds to the LRS, as the learner's Agent at its
/// public address. Without the secret it does not start, and says what to set.
#[tokio::test]
async fn the_server_binary_forwards_to_the_lrs_it_is_given() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    publish_course_with_scorm(&world).await;
    let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4c01";
    stored(
        &world,
        &ana,
        id,
        &upload("scorm", &scorm_result(id, Some(0.85), "passed")),
    )
    .await;
    let lrs = LearningLocker::start().await.unwrap();
    let serve = |secret: Option<&str>| {
        let mut command = crate::support::carrel_server();
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--db")
            .arg(world.server.db())
            .args(["--public-url", "https://courses.example.org"])
            .args(["--lrs-endpoint", &lrs.endpoint(), "--lrs-key", "carrel"]);
        if let Some(secret) = secret {
            command.env("CARREL_LRS_SECRET", secret);
        }
        command
    };
    let refused = serve(None).output().unwrap();
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("CARREL_LRS_SECRET"), "{message}");

    let running = crate::cli::Running::start(&mut serve(Some("a secret")));
    let mut statements = Vec::new();
    for _ in 0..200 {
        statements = lrs.statements().await.unwrap();
        if statements.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    running.stop();
    let mut verbs: Vec<&str> = statements
        .iter()
        .map(carrel_server::xapi::verb_name)
        .collect();
    verbs.sort_unstable();
    assert_eq!(verbs, ["completed", "passed", "terminated"]);
    assert!(
        statements.iter().all(|s| s["actor"]["account"]
            == serde_json::json!({ "homePage": "https://courses.example.org", "name": "ana" })),
        "{statements:#?}"
    );
}

/// xAPI lets an LRS answer 409 to a statement it already holds identically (Learning Locker
/// answers 200, so this needs a stand-in: a minimal LRS that answers every write with 409 and
/// holds what it is asked for). After a lost answer that is the statement itself, stored: the
/// forwarder asks the LRS, finds it there, and counts it sent — and one it holds differently,
/// refused.
#[tokio::test]
async fn a_conflict_for_a_statement_the_lrs_holds_identically_counts_as_sent() {
    use axum::routing::get;
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let essay = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4d01";
    stored(
        &world,
        &ana,
        essay,
        &upload("assignment", &payload(essay, "My essay")),
    )
    .await;
    let queued: String = world
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT body FROM xapi_forward",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    let home_page = world.server.url();
    let mut held: serde_json::Value = serde_json::from_str(&queued).unwrap();
    held["actor"] = serde_json::json!({
        "objectType": "Agent", "account": { "homePage": home_page, "name": "ana" }
    });
    held["stored"] = serde_json::json!("2026-11-30T07:00:00.000Z");
    let held = std::sync::Arc::new(std::sync::Mutex::new(held));
    let app = {
        let held = held.clone();
        axum::Router::new().route(
            "/xAPI/statements",
            get(move || {
                let held = held.lock().unwrap().clone();
                async move { axum::Json(held) }
            })
            .post(|| async { StatusCode::CONFLICT })
            .put(|| async { StatusCode::CONFLICT }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/xAPI", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let forwarder = Forwarder::new(
        world.storage.clone(),
        LrsConfig {
            endpoint,
            key: "carrel".into(),
            secret: "a secret".into(),
            home_page,
        },
    )
    .unwrap();
    assert_eq!(
        forwarder.send_due().await.unwrap(),
        Pass {
            sent: 1,
            refused: 0,
            deferred: 0
        }
    );
    // The same 409 for a statement the LRS holds with another verb: a real clash.
    world
        .storage
        .with_conn(|conn| {
            conn.execute(
                "UPDATE xapi_forward SET state = 'queued'",
                carrel_server::storage::sql::params![],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    held.lock().unwrap()["verb"]["id"] = serde_json::json!("http://adlnet.gov/expapi/verbs/voided");
    assert_eq!(
        forwarder.send_due().await.unwrap(),
        Pass {
            sent: 0,
            refused: 1,
            deferred: 0
        }
    );
}
