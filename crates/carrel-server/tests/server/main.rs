//! carrel-server end to end over real TCP: the library on port 0 in this process, and the real
//! binary as a child process, each with a real SQLite file in a temporary folder.

// A test that cannot set up its world should fail right there, loudly.
#![allow(clippy::unwrap_used)]

mod auth;
mod autograde;
mod blobs;
mod certificates;
mod changes;
mod cli;
mod downloads;
mod enrolments;
mod faults;
mod forums;
mod groups;
mod instances;
mod operations;
mod publish;
mod recordings;
mod releases;
mod submissions;
mod support;
mod transcript;
mod tutor;
mod uploads;
mod xapi;

use std::time::Duration;

use carrel_protocol::{API_VERSION, HEALTH_PATH, Health, HealthStatus};
use carrel_server::{AppState, DataDir, SCHEMA_VERSION, Storage, StorageError};
use support::http_client;
use tokio::net::TcpListener;

#[tokio::test]
async fn health_answers_on_port_zero_and_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/folder/server.sqlite3");
    let storage = Storage::open(&db).expect("a fresh database opens");
    assert!(db.exists(), "the database file is created on first start");
    let data = DataDir::beside(&db);
    let state = AppState::open(storage, data.clone()).expect("a fresh data folder opens");
    assert!(
        data.store_dir().is_dir(),
        "the data folder and its store are created on first start"
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(carrel_server::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));

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
                carrel_server::storage::sql::params![],
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

#[tokio::test]
async fn a_database_at_schema_version_1_is_upgraded_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    {
        // The file exactly as the first release left it.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(include_str!("../../src/storage/sql/0001_server_meta.sql"))
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "UPDATE server_meta SET value = '1234' WHERE key = 'created_at_ms'",
            [],
        )
        .unwrap();
    }
    let storage = Storage::open(&db).expect("an older database is migrated");
    assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(
        created_at_ms(&storage).await,
        "1234",
        "existing data is kept"
    );
    assert_eq!(
        storage.get_catalog().await.unwrap(),
        vec![],
        "the catalogue starts empty"
    );
}

#[tokio::test]
async fn courses_published_before_access_rules_stay_open_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    {
        // A database at schema version 5 (before enrolments) with one published course.
        let conn = rusqlite::Connection::open(&db).unwrap();
        for sql in [
            include_str!("../../src/storage/sql/0001_server_meta.sql"),
            include_str!("../../src/storage/sql/0002_catalog.sql"),
            include_str!("../../src/storage/sql/0003_accounts.sql"),
            include_str!("../../src/storage/sql/0004_submissions.sql"),
            include_str!("../../src/storage/sql/0005_uploads.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute(
            "INSERT INTO catalog_courses VALUES ('old-course', '1.0.0', 'Old', '', 'en', 'P',
                 NULL, NULL, 'abc', 1, 1, 'key', 'fp', X'7B7D', X'7B7D', 1)",
            [],
        )
        .unwrap();
    }
    let storage = Storage::open(&db).expect("a version 5 database is migrated");
    assert_eq!(storage.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert!(
        carrel_server::access::is_open(&storage, "old-course")
            .await
            .unwrap(),
        "it was open to anyone before, and stays so"
    );
    assert!(
        !carrel_server::access::is_open(&storage, "never-published")
            .await
            .unwrap()
    );
}
