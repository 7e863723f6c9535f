//! carrel-server end to end over real TCP: the library on port 0 in this process, and the real
//! binary as a child process, each with a real SQLite file in a temporary folder.

// A test that cannot set up its world should fail right there, loudly.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use carrel_protocol::{API_VERSION, HEALTH_PATH, Health, HealthStatus};
use carrel_server::{AppState, SCHEMA_VERSION, Storage, StorageError};
use tokio::net::TcpListener;

fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client builds")
}

#[tokio::test]
async fn health_answers_on_port_zero_and_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/server.sqlite3");
    let storage = Storage::open(&db).expect("a fresh database opens");
    assert!(db.exists(), "the database file is created on first start");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(carrel_server::serve(
        listener,
        AppState::new(storage),
        async move {
            let _ = stop_rx.await;
        },
    ));

    let response = http_client()
        .get(format!("http://{addr}{HEALTH_PATH}"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200);
    let health: Health = response.json().await.expect("the body is a Health");
    assert_eq!(health.status, HealthStatus::Ok);
    assert_eq!(health.api_version, API_VERSION);
    assert_eq!(health.server_version, carrel_server::SERVER_VERSION);
    assert!(
        health.server_time_ms > 1_600_000_000_000,
        "the server reports its clock in Unix milliseconds"
    );

    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("graceful shutdown completes promptly")
        .unwrap()
        .expect("the server stops without error");
}

/// The creation time the first migration records.
async fn created_at_ms(storage: &Storage) -> String {
    storage
        .with_conn(|c| {
            Ok(c.query_row(
                "SELECT value FROM server_meta WHERE key = 'created_at_ms'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn reopening_keeps_the_schema_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let first = Storage::open(&db).unwrap();
    let created = created_at_ms(&first).await;
    drop(first);
    let second = Storage::open(&db).expect("an up-to-date database reopens");
    assert_eq!(second.schema_version().await.unwrap(), SCHEMA_VERSION);
    let again = created_at_ms(&second).await;
    assert_eq!(created, again, "reopening must not rerun migrations");
}

#[test]
fn a_database_from_a_newer_server_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let error = Storage::open(&db).expect_err("a newer schema must be refused");
    assert!(
        matches!(error, StorageError::TooNew { found: 999, .. }),
        "expected TooNew, got {error:?}"
    );
    assert!(
        error.to_string().contains("run a newer carrel-server"),
        "the message says what to do: {error}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 999, "the refused file is not modified");
}

/// The shipped binary: starts on port 0, logs where it listens as JSON, answers, and exits 0 on
/// SIGTERM (graceful shutdown).
#[tokio::test]
async fn the_binary_starts_logs_json_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bin.sqlite3");
    let mut child = Command::new(env!("CARGO_BIN_EXE_carrel-server"))
        .args(["--listen", "127.0.0.1:0", "--log-format", "json", "--db"])
        .arg(&db)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let stderr = child.stderr.take().unwrap();
    let (line_tx, line_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_event = |rx: &std::sync::mpsc::Receiver<String>, message: &str| -> serde_json::Value {
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("the server logs {message:?} within 30 s"));
            let event: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("every log line is JSON ({e}): {line}"));
            if event["message"] == message {
                return event;
            }
        }
    };
    let listening = next_event(&line_rx, "carrel-server listening");
    let url = listening["url"]
        .as_str()
        .expect("the url is logged")
        .to_owned();
    assert!(db.exists(), "the binary creates its database");

    let health: Health = http_client()
        .get(format!("{url}{HEALTH_PATH}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health.status, HealthStatus::Ok);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    next_event(&line_rx, "carrel-server stopped");
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM is a clean shutdown, got {status}"
    );
}
