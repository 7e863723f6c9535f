//! Quizzes and assignments end to end, on the demo course with its quizzes open now:
//! - the block 1 quiz is started, answered, the app killed with SIGKILL mid-attempt, restarted,
//!   resumed exactly where it was, and submitted once; the outbox holds it byte for byte;
//! - the final assignment is written, two files are attached through the system's file dialog,
//!   and it is submitted; the outbox holds the text and both files with their hashes.

use std::path::Path;

use carrel_core::assess::outbox::sha256_hex;
use carrel_e2e::{AppHome, Display, Session};
use carrel_package::SecretKey;
use rusqlite::OptionalExtension;

use super::launch;
use crate::courses::{demo_package_open_now, download_demo, open_demo, serve_package};

/// The app's data folder inside an isolated home.
pub(crate) fn data_dir(home: &AppHome) -> std::path::PathBuf {
    home.path().join("data/org.carrel.desktop")
}

/// Reads the app's progress database (WAL: a reader sees every committed write).
pub(crate) fn query<T>(
    home: &AppHome,
    sql: &str,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Vec<T> {
    let db = rusqlite::Connection::open_with_flags(
        data_dir(home).join("progress.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut statement = db.prepare(sql).unwrap();
    statement
        .query_map([], map)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A course server with the demo course (quizzes open now), an X display and a fresh home.
struct World {
    dir: tempfile::TempDir,
    _server: carrel_server::testing::LoopbackServer,
    display: Display,
    home: AppHome,
    url: String,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate().unwrap();
    let package = demo_package_open_now(dir.path(), &key);
    let server = serve_package(dir.path(), &package).await;
    World {
        url: server.url(),
        _server: server,
        display: Display::ensure().unwrap(),
        home: AppHome::new().unwrap(),
        dir,
    }
}

async fn open_item(s: &Session, item: &str) {
    open_demo(s).await;
    s.click(&format!("#item-open-{item}")).await.unwrap();
}

pub(crate) async fn go_to_question(s: &Session, question: &str) {
    s.click(&format!(
        ".quiz-nav button[data-question-id=\"{question}\"]"
    ))
    .await
    .unwrap();
    s.wait_for(&format!(".quiz-question[data-question-id=\"{question}\"]"))
        .await
        .unwrap();
}

pub(crate) async fn saved(s: &Session, question: &str) {
    s.wait_for_attr(
        &format!(".quiz-question[data-question-id=\"{question}\"] .save-state"),
        "data-state",
        "saved",
    )
    .await
    .unwrap();
}

async fn checked(s: &Session, css: &str) -> bool {
    s.eval(&format!(
        "return document.querySelector('{css}')?.checked === true"
    ))
    .await
    .unwrap()
    .as_bool()
    .unwrap()
}

/// The outbox rows in the database: (id, source, payload, payload_sha256).
fn outbox_rows(home: &AppHome, kind: &str) -> Vec<(String, String, String, String)> {
    query(
        home,
        &format!("SELECT id, source, payload, payload_sha256 FROM outbox WHERE kind = '{kind}'"),
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )
}

/// Opens the Outbox, checks it lists exactly one entry of `kind`, opens its detail and checks the
/// payload hash shown is the stored payload's; returns the stored payload.
async fn one_in_outbox(s: &mut Session, home: &AppHome, kind: &str) -> serde_json::Value {
    s.click("#nav-outbox").await.unwrap();
    let entry = format!(".outbox-entry[data-kind=\"{kind}\"]");
    s.wait_for(&entry).await.unwrap();
    let shown = s
        .eval(&format!(
            "return document.querySelectorAll('{}').length",
            entry.replace('\'', "\\'")
        ))
        .await
        .unwrap();
    assert_eq!(shown, 1, "one {kind} in the Outbox");
    let rows = outbox_rows(home, kind);
    assert_eq!(rows.len(), 1, "one {kind} row in the outbox table");
    let (id, _, payload, payload_sha256) = &rows[0];
    assert_eq!(
        &sha256_hex(payload.as_bytes()),
        payload_sha256,
        "the payload is intact"
    );
    s.click(&format!("{entry} button")).await.unwrap();
    s.wait_for("#submission-detail").await.unwrap();
    assert_eq!(
        s.attr("#submission-detail", "data-payload-sha256")
            .await
            .unwrap()
            .as_deref(),
        Some(payload_sha256.as_str()),
        "the Outbox shows the hash of what is stored"
    );
    assert_eq!(
        s.attr(&entry, "data-id").await.unwrap().as_deref(),
        Some(id.as_str())
    );
    s.screenshot(&format!("outbox-{kind}")).await.unwrap();
    serde_json::from_str(payload).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_block_quiz_survives_a_kill_mid_attempt_resumes_and_is_submitted_once() {
    let World {
        dir: _dir,
        _server,
        display,
        home,
        url,
    } = world().await;

    let mut app = launch(&display, &home, Some(&url), "quiz-first-run").await;
    let s = &mut app.session;
    download_demo(s).await;
    open_item(s, "b1-quiz").await;
    s.wait_for("#quiz-view").await.unwrap();
    s.click("#quiz-start").await.unwrap();
    s.wait_for("#quiz-player").await.unwrap();
    go_to_question(s, "q1").await;
    s.click("input[name=\"q-q1\"][value=\"b\"]").await.unwrap();
    saved(s, "q1").await;
    go_to_question(s, "q3").await;
    s.click("input[name=\"q-q3\"][value=\"false\"]")
        .await
        .unwrap();
    saved(s, "q3").await;
    go_to_question(s, "q6").await;
    s.fill(
        ".quiz-question[data-question-id=\"q6\"] .answer-text",
        "CEACR",
    )
    .await
    .unwrap();
    saved(s, "q6").await;
    s.screenshot("answered").await.unwrap();
    // Pull the plug mid-attempt.
    app.kill_9().await;
    let answers = query(
        &home,
        "SELECT question_id FROM answers ORDER BY question_id",
        |row| row.get::<_, String>(0),
    );
    assert_eq!(
        answers,
        ["q1", "q3", "q6"],
        "every answer shown as saved is on disk"
    );

    let mut app = launch(&display, &home, Some(&url), "quiz-after-kill").await;
    let s = &mut app.session;
    open_item(s, "b1-quiz").await;
    s.wait_for("#quiz-view").await.unwrap();
    s.click("#quiz-start").await.unwrap();
    s.wait_for("#quiz-player").await.unwrap();
    go_to_question(s, "q1").await;
    assert!(
        checked(s, "input[name=\"q-q1\"][value=\"b\"]").await,
        "q1 resumed"
    );
    go_to_question(s, "q3").await;
    assert!(
        checked(s, "input[name=\"q-q3\"][value=\"false\"]").await,
        "q3 resumed"
    );
    go_to_question(s, "q6").await;
    let typed = s
        .eval("return document.querySelector('.quiz-question[data-question-id=\"q6\"] .answer-text').value")
        .await
        .unwrap();
    assert_eq!(typed, "CEACR", "q6 resumed");
    go_to_question(s, "q7").await;
    s.fill(
        ".quiz-question[data-question-id=\"q7\"] .answer-text",
        "1990",
    )
    .await
    .unwrap();
    saved(s, "q7").await;
    s.click("#quiz-review").await.unwrap();
    s.click("#quiz-submit").await.unwrap();
    s.click("#confirm-submit").await.unwrap();
    s.wait_for_attr("#quiz-submitted", "data-outbox-state", "queued")
        .await
        .unwrap();
    s.screenshot("submitted").await.unwrap();

    let payload = one_in_outbox(s, &home, "quiz").await;
    let answers: Vec<(String, serde_json::Value)> = payload["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["questionId"].as_str().unwrap().to_owned(),
                a["answer"].clone(),
            )
        })
        .collect();
    let expected = [
        (
            "q1",
            serde_json::json!({"type": "single_choice", "choice": "b"}),
        ),
        (
            "q3",
            serde_json::json!({"type": "true_false", "value": false}),
        ),
        (
            "q6",
            serde_json::json!({"type": "short_answer", "text": "CEACR"}),
        ),
        ("q7", serde_json::json!({"type": "numeric", "text": "1990"})),
    ];
    assert_eq!(answers.len(), expected.len(), "{answers:?}");
    for ((question, answer), (want_q, want_a)) in answers.iter().zip(expected) {
        assert_eq!((question.as_str(), answer), (want_q, &want_a));
    }
    // One attempt, closed, with exactly one outbox row.
    let attempts = query(
        &home,
        "SELECT id, submitted_ms IS NOT NULL FROM attempts",
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?)),
    );
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0].1, "the attempt is closed");
    assert_eq!(payload["attemptId"], attempts[0].0.as_str());
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_final_assignment_is_submitted_with_two_attachments_from_the_file_dialog() {
    let World {
        dir,
        _server,
        display,
        home,
        url,
    } = world().await;
    // Two files of the learner's: a PDF and a text annex.
    let files = dir.path().join("my documents");
    std::fs::create_dir_all(&files).unwrap();
    let pdf = files.join("action-note.pdf");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("courses/demo/assets/reading-pack-key-instruments.pdf"),
        &pdf,
    )
    .unwrap();
    let annex = files.join("annex – sources.txt");
    std::fs::write(
        &annex,
        "Sources: C097, C143, C181, C189; CEACR General Survey 2016.\n",
    )
    .unwrap();
    let text = "# Action note\n\nCountry A should ratify Convention No. 189 and extend labour inspection to private homes.";

    let mut app = launch(&display, &home, Some(&url), "assignment").await;
    let s = &mut app.session;
    download_demo(s).await;
    open_item(s, "b3-final-assignment").await;
    s.wait_for("#assignment-view").await.unwrap();
    // WebDriver types a line break as the Enter key.
    s.fill("#draft-text", &text.replace('\n', "\u{E007}"))
        .await
        .unwrap();
    s.wait_for_attr("#draft-save-state", "data-state", "saved")
        .await
        .unwrap();
    for file in [&pdf, &annex] {
        let before = s
            .eval("return document.querySelectorAll('.attachment').length")
            .await
            .unwrap()
            .as_u64()
            .unwrap();
        s.click("#add-attachments").await.unwrap();
        carrel_e2e::file_dialog::pick(&display, "Attach files", file).unwrap();
        s.wait_until(&format!(
            "document.querySelectorAll('.attachment').length === {}",
            before + 1
        ))
        .await
        .unwrap();
    }
    s.click("#declaration").await.unwrap();
    s.wait_for_attr("#draft-save-state", "data-state", "saved")
        .await
        .unwrap();
    s.screenshot("draft").await.unwrap();
    s.click("#assignment-submit").await.unwrap();
    s.wait_for("#confirm-submit").await.unwrap();
    s.screenshot("review").await.unwrap();
    s.click("#confirm-submit").await.unwrap();
    s.wait_for(".submission[data-outbox-state=\"queued\"]")
        .await
        .unwrap();

    let payload = one_in_outbox(s, &home, "assignment").await;
    assert_eq!(payload["text"], text);
    assert!(
        payload["declaration"].is_string(),
        "the confirmed declaration travels with it"
    );
    let sent: Vec<(String, String)> = payload["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [&pdf, &annex]
        .iter()
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                sha256_hex(&std::fs::read(path).unwrap()),
            )
        })
        .collect();
    assert_eq!(
        sent, expected,
        "both files, in order, with the hashes of the originals"
    );
    for (name, sha256) in &sent {
        let css = format!("#submission-detail .submitted-attachment[data-sha256=\"{sha256}\"]");
        assert!(
            s.exists(&css).await.unwrap(),
            "{name} is shown as submitted"
        );
        // Carrel's own copy, which the sync will upload, is byte-identical.
        let copy = data_dir(&home)
            .join("attachments")
            .join(&sha256[..2])
            .join(sha256);
        assert_eq!(
            &sha256_hex(&std::fs::read(&copy).unwrap()),
            sha256,
            "{name}"
        );
    }
    let draft: Option<String> = rusqlite::Connection::open_with_flags(
        data_dir(&home).join("progress.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
    .query_row("SELECT text FROM drafts", [], |row| row.get(0))
    .optional()
    .unwrap();
    assert_eq!(
        draft.as_deref(),
        Some(text),
        "the draft is kept after submitting"
    );
    app.finish().await;
}
