//! What an operator runs the server with: `/metrics` for Prometheus (only with the token, counting
//! requests by route and submissions by outcome, reading the queue and stored totals from the
//! database), `/ready` for a load balancer (not ready on a schema another version wrote, or when
//! the data folder takes no file), and `carrel-server migrate` with `serve --no-migrate` for
//! several instances on one database.

use std::process::Command;

use carrel_protocol::submissions::{
    SUBMISSION_ROUTE, SubmissionKind, SubmissionUpload, submission_path,
};
use carrel_server::SCHEMA_VERSION;
use carrel_server::handlers::health::{READY_PATH, Readiness};
use carrel_server::metrics::{CONTENT_TYPE, METRICS_PATH};
use carrel_server::testing::LoopbackServer;

use crate::cli::Running;
use crate::support::{carrel_server, http_client};

const TOKEN: &str = "a-long-random-metrics-token-0123";

/// The value of the sample line `name{labels}` in `text`, if there is one.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().unwrap())
}

async fn scrape(url: &str, token: Option<&str>) -> reqwest::Response {
    let request = http_client().get(format!("{url}{METRICS_PATH}"));
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

fn assignment(id: &str) -> SubmissionUpload {
    let payload = serde_json::json!({
        "submissionId": id,
        "courseId": "course-a",
        "itemId": "essay",
        "text": "My essay.",
        "words": 2,
    });
    SubmissionUpload {
        kind: SubmissionKind::Assignment,
        payload: serde_json::value::to_raw_value(&payload).unwrap(),
    }
}

#[tokio::test]
async fn metrics_need_their_token_and_count_requests_and_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start_with(dir.path(), "127.0.0.1:0", |state| {
        state.with_metrics_token(Some(TOKEN))
    })
    .await
    .unwrap();
    let url = server.url();
    assert_eq!(
        scrape(&url, None).await.status(),
        404,
        "no token: no metrics"
    );
    assert_eq!(
        scrape(&url, Some("a-long-random-metrics-token-0124"))
            .await
            .status(),
        404,
        "another token: no metrics"
    );

    // One submission stored, then retried; one refused; one unknown path.
    let ana = server.learner_in("ana", "course-a").await.unwrap();
    let id = "0190f1a2-0000-7000-8000-00000000a001";
    for expected in [201, 200] {
        let response = http_client()
            .put(format!("{url}{}", submission_path(id)))
            .bearer_auth(&ana.access_token)
            .json(&assignment(id))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected);
    }
    let refused = http_client()
        .put(format!("{url}{}", submission_path("other-id")))
        .bearer_auth(&ana.access_token)
        .json(&assignment(id))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "the payload's id is not the path's");
    let missing = http_client()
        .get(format!("{url}/no/such/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let brewed = http_client()
        .request(
            reqwest::Method::from_bytes(b"BREW").unwrap(),
            format!("{url}{}", carrel_protocol::HEALTH_PATH),
        )
        .send()
        .await
        .unwrap();
    assert!(brewed.status().is_client_error());

    let response = scrape(&url, Some(TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        CONTENT_TYPE
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "OpenMetrics: {text}");
    let put = format!("method=\"PUT\",route=\"{SUBMISSION_ROUTE}\"");
    for (series, value) in [
        (
            "carrel_submissions_total{kind=\"assignment\",outcome=\"stored\"}".to_owned(),
            1.0,
        ),
        (
            "carrel_submissions_total{kind=\"assignment\",outcome=\"replayed\"}".to_owned(),
            1.0,
        ),
        (
            "carrel_submissions_total{kind=\"assignment\",outcome=\"refused\"}".to_owned(),
            1.0,
        ),
        (
            format!("carrel_http_requests_total{{{put},status=\"201\"}}"),
            1.0,
        ),
        (
            format!("carrel_http_requests_total{{{put},status=\"200\"}}"),
            1.0,
        ),
        (
            format!("carrel_http_requests_total{{{put},status=\"400\"}}"),
            1.0,
        ),
        (
            "carrel_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"
                .to_owned(),
            1.0,
        ),
        (
            format!("carrel_http_request_duration_seconds_count{{{put}}}"),
            3.0,
        ),
        (
            "carrel_submissions_stored{kind=\"assignment\"}".to_owned(),
            1.0,
        ),
        ("carrel_submissions_stored{kind=\"quiz\"}".to_owned(), 0.0),
        ("carrel_uploads_incomplete".to_owned(), 0.0),
    ] {
        assert_eq!(sample(&text, &series), Some(value), "{series} in\n{text}");
    }
    // The LRS queue as the database has it: the stored assignment's statement waits there.
    let storage = carrel_server::Storage::open(server.db()).unwrap();
    let queued: i64 = storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM xapi_forward WHERE state = 'queued'",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert!(queued > 0);
    assert_eq!(
        sample(&text, "carrel_xapi_queue_depth"),
        Some(queued as f64)
    );
    assert!(sample(&text, "carrel_uptime_seconds").unwrap() >= 0.0);
    assert!(
        text.contains(&format!(
            "carrel_build_info{{version=\"{}\"}} 1",
            carrel_server::SERVER_VERSION
        )),
        "{text}"
    );
    assert!(
        !text.contains(id) && !text.contains("ana"),
        "labels carry routes, never ids or logins"
    );
    assert!(
        text.contains("carrel_http_requests_total{method=\"OTHER\"") && !text.contains("BREW"),
        "a made-up method is counted as OTHER, never as a label of its own: {text}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn ready_says_when_this_instance_should_take_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let ready = || async {
        let response = http_client()
            .get(format!("{}{READY_PATH}", server.url()))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Readiness>().await.unwrap())
    };
    let (status, body) = ready().await;
    assert_eq!(status, 200, "{body:?}");
    assert_eq!(
        body,
        Readiness {
            ready: true,
            schema_version: Some(SCHEMA_VERSION),
            expected_schema_version: SCHEMA_VERSION,
            problems: Vec::new(),
        }
    );

    // A newer carrel-server migrated the database during a rolling upgrade: this one steps out.
    let storage = carrel_server::Storage::open(server.db()).unwrap();
    let set_version = |version: i64| {
        let storage = storage.clone();
        async move {
            storage
                .transact(move |tx| {
                    use carrel_server::storage::sql::{Dialect, params};
                    match tx.dialect() {
                        Dialect::Sqlite => {
                            tx.execute_batch(&format!("PRAGMA user_version = {version}"))?
                        }
                        Dialect::Postgres => {
                            tx.execute("UPDATE carrel_schema SET version = ?1", params![version])?;
                        }
                    }
                    Ok(())
                })
                .await
                .unwrap()
        }
    };
    set_version(SCHEMA_VERSION + 1).await;
    let (status, body) = ready().await;
    assert_eq!(status, 503);
    assert!(!body.ready);
    assert_eq!(body.schema_version, Some(SCHEMA_VERSION + 1));
    assert_eq!(body.problems.len(), 1, "{body:?}");
    assert!(
        body.problems[0].contains("upgrade this instance"),
        "{body:?}"
    );
    let health = http_client()
        .get(format!("{}{}", server.url(), carrel_protocol::HEALTH_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "alive, only not ready");
    set_version(SCHEMA_VERSION).await;
    assert_eq!(ready().await.0, 200);

    // The data folder takes no new file (here: a file stands where the folder should be).
    let data = server.data().root().to_path_buf();
    let aside = dir.path().join("data-aside");
    std::fs::rename(&data, &aside).unwrap();
    std::fs::write(&data, b"not a folder").unwrap();
    let (status, body) = ready().await;
    assert_eq!(status, 503);
    assert!(
        body.problems.iter().any(|p| p.contains("data folder")),
        "{body:?}"
    );
    let folder = data.to_string_lossy().into_owned();
    assert!(
        !body.problems.iter().any(|p| p.contains(&folder)),
        "a public answer names no path: {body:?}"
    );
    std::fs::remove_file(&data).unwrap();
    std::fs::rename(&aside, &data).unwrap();
    assert_eq!(ready().await.0, 200);
    server.stop().await.unwrap();
}

fn migrate(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    carrel_server()
        .arg("migrate")
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap()
}

#[tokio::test]
async fn migrate_brings_the_schema_up_and_instances_can_leave_it_to_that_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();

    // Several instances: one that must not migrate refuses to start without a database (the
    // flag, or its variable), saying what to do, and leaves nothing behind.
    for (flag, variable) in [(Some("--no-migrate"), None), (None, Some("1"))] {
        let mut command = carrel_server();
        command
            .arg("serve")
            .args(flag)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(&db);
        if let Some(value) = variable {
            command.env("CARREL_SERVER_NO_MIGRATE", value);
        }
        let refused = command.output().unwrap();
        assert!(!refused.status.success());
        assert!(
            text(&refused.stderr).contains("there is no database at")
                && text(&refused.stderr).contains("`carrel-server migrate` makes a new one"),
            "{}",
            text(&refused.stderr)
        );
        assert!(!db.exists(), "no database was made");
    }

    let check = migrate(&db, &["--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        text(&check.stdout).contains(&format!(
            "schema version 0; this carrel-server needs {SCHEMA_VERSION}"
        )),
        "{}",
        text(&check.stdout)
    );
    assert!(!db.exists(), "--check changes nothing");
    let applied = migrate(&db, &[]);
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert!(
        text(&applied.stdout).contains(&format!("a new database, schema version {SCHEMA_VERSION}")),
        "{}",
        text(&applied.stdout)
    );
    let again = migrate(&db, &[]);
    assert!(
        text(&again.stdout).contains("already up to date"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(migrate(&db, &["--check"]).status.code(), Some(0));

    // An older schema: refused until migrated.
    let set_version = |version: i64| {
        rusqlite::Connection::open(&db)
            .unwrap()
            .pragma_update(None, "user_version", version)
            .unwrap();
    };
    set_version(SCHEMA_VERSION - 1);
    let older = carrel_server()
        .args(["serve", "--no-migrate", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!older.status.success());
    assert!(
        text(&older.stderr).contains(&format!(
            "is at schema version {} and this carrel-server needs {SCHEMA_VERSION}: run `carrel-server migrate`",
            SCHEMA_VERSION - 1
        )),
        "{}",
        text(&older.stderr)
    );
    set_version(SCHEMA_VERSION);

    // Migrated: the instance starts without migrating, and Prometheus reads its metrics with
    // the token from the environment.
    let mut command: Command = carrel_server();
    command
        .args([
            "serve",
            "--no-migrate",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--db",
        ])
        .arg(&db)
        .env("CARREL_METRICS_TOKEN", TOKEN);
    let running = Running::start(&mut command);
    let url = running.url().to_owned();
    assert_eq!(scrape(&url, Some(TOKEN)).await.status(), 200);
    assert_eq!(scrape(&url, None).await.status(), 404);
    running.stop();

    // A database a newer version wrote.
    set_version(SCHEMA_VERSION + 1);
    let newer = migrate(&db, &["--check"]);
    assert_eq!(newer.status.code(), Some(2));
    assert!(
        text(&newer.stderr).contains("upgrade"),
        "{}",
        text(&newer.stderr)
    );
}
