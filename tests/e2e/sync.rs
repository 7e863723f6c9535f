//! Sync end to end: a learner signs in, the course server goes away, they submit the demo block
//! quiz and the final assignment (with a file) offline, the server comes back, and both reach
//! "received" on their own — the app notices the connection is back — then "graded" after a
//! tutor grades them with the `carrel-server grade` command. The server holds each submission
//! exactly once, and the attached file with its hash.

use std::path::{Path, PathBuf};

use carrel_e2e::{AppHome, Display, Session};
use carrel_package::SecretKey;
use carrel_protocol::auth::Role;
use carrel_server::testing::{LoopbackServer, PASSWORD};

use super::launch;
use crate::assess::{data_dir, go_to_question, query, saved};
use crate::courses::{DEMO_ID, demo_package_open_now, download_demo, open_demo};

/// The course server's binary (built by `cargo test --workspace` / `scripts/test`).
fn server_binary() -> PathBuf {
    // Beside the app binary: the same profile of the same target directory.
    let path = Path::new(super::APP)
        .parent()
        .expect("the app binary is in a folder")
        .join("carrel-server");
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p carrel-server`",
        path.display()
    );
    path
}

/// Runs `carrel-server <args> --db <db>` to completion and answers its stdout.
pub(crate) fn server_cli(db: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new(server_binary())
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "carrel-server {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

pub(crate) async fn sign_in(s: &Session, login: &str) {
    s.click("#sign-in-open").await.unwrap();
    s.wait_for("#sign-in-login").await.unwrap();
    s.fill("#sign-in-login", login).await.unwrap();
    s.fill("#sign-in-password", PASSWORD).await.unwrap();
    s.click("#sign-in-submit").await.unwrap();
    // Signed in: the sync strip names the account instead of offering to sign in.
    s.wait_for("#sync-indicator .account").await.unwrap();
    assert!(!s.exists("#sign-in-open").await.unwrap());
}

/// Presses Sync now once no round is running (the button ignores presses during one, and a round
/// that started before a change on the server would not bring it).
pub(crate) async fn sync_now(s: &Session) {
    // A round may take a while on a loaded machine (it sends, then reads the changes, the
    // enrolments, the forums and the transcript): up to 90 s, in three waits.
    let idle = "document.getElementById('sync-now')?.getAttribute('aria-disabled') !== 'true'";
    let mut waited = s.wait_until(idle).await;
    for _ in 0..2 {
        if waited.is_ok() {
            break;
        }
        waited = s.wait_until(idle).await;
    }
    waited.unwrap();
    s.click("#sync-now").await.unwrap();
}

pub(crate) fn entry(id: &str) -> String {
    format!(".outbox-entry[data-id=\"{id}\"]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_submitted_offline_is_received_when_the_server_returns_and_graded_by_a_tutor() {
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    let key = SecretKey::generate().unwrap();
    let package = demo_package_open_now(dir.path(), &key);
    let server = LoopbackServer::start(&server_dir).await.unwrap();
    let addr = server.addr().to_string();
    let url = server.url();
    let db = server.db().to_path_buf();
    // The course is for its enrolled learners only: the catalogue shows it after signing in.
    let storage = carrel_server::Storage::open(&db).unwrap();
    carrel_server::publish::publish_package_with(
        &storage,
        server.data(),
        &package,
        &carrel_server::publish::PublishOptions {
            open: Some(false),
            ..Default::default()
        },
    )
    .await
    .expect("the course publishes");
    server.account("ana", Role::Learner).await.unwrap();
    server.account("tom", Role::Tutor).await.unwrap();
    server
        .enrol("ana", DEMO_ID, Role::Learner, None)
        .await
        .unwrap();
    server
        .enrol("tom", DEMO_ID, Role::Tutor, None)
        .await
        .unwrap();

    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch(&display, &home, Some(&url), "sync").await;
    let s = &mut app.session;
    sign_in(s, "ana").await;
    s.screenshot("signed-in").await.unwrap();
    download_demo(s).await;

    // The server goes away; the app notices.
    server.stop().await.unwrap();
    s.wait_for_attr("#server-state", "data-state", "offline")
        .await
        .unwrap();

    // The block 1 quiz, answered and submitted offline.
    open_demo(s).await;
    s.click("#item-open-b1-quiz").await.unwrap();
    s.wait_for("#quiz-view").await.unwrap();
    s.click("#quiz-start").await.unwrap();
    s.wait_for("#quiz-player").await.unwrap();
    go_to_question(s, "q1").await;
    s.click("input[name=\"q-q1\"][value=\"b\"]").await.unwrap();
    saved(s, "q1").await;
    s.click("#quiz-review").await.unwrap();
    s.click("#quiz-submit").await.unwrap();
    s.click("#confirm-submit").await.unwrap();
    s.wait_for_attr("#quiz-submitted", "data-outbox-state", "queued")
        .await
        .unwrap();

    // The final assignment, with a file, offline.
    let annex = dir.path().join("annex.txt");
    std::fs::write(&annex, "Sources: C097, C143, C189.\n".repeat(2_000)).unwrap();
    open_demo(s).await;
    s.click("#item-open-b3-final-assignment").await.unwrap();
    s.wait_for("#assignment-view").await.unwrap();
    s.fill("#draft-text", "Country A should ratify Convention No. 189.")
        .await
        .unwrap();
    s.click("#add-attachments").await.unwrap();
    carrel_e2e::file_dialog::pick(&display, "Attach files", &annex).unwrap();
    s.wait_for(".attachment").await.unwrap();
    s.click("#declaration").await.unwrap();
    s.wait_for_attr("#draft-save-state", "data-state", "saved")
        .await
        .unwrap();
    s.click("#assignment-submit").await.unwrap();
    s.click("#confirm-submit").await.unwrap();
    s.wait_for(".submission[data-outbox-state=\"queued\"]")
        .await
        .unwrap();

    let ids: Vec<(String, String)> = query(
        &home,
        "SELECT id, kind FROM outbox ORDER BY kind DESC",
        |row| Ok((row.get(0)?, row.get(1)?)),
    );
    assert_eq!(ids.len(), 2, "{ids:?}");
    s.click("#nav-outbox").await.unwrap();
    for (id, _) in &ids {
        s.wait_for_attr(&entry(id), "data-state", "queued")
            .await
            .unwrap();
    }
    s.screenshot("queued-offline").await.unwrap();

    // The server comes back on its address: the app notices and sends both, on its own.
    let server = LoopbackServer::start_at(&server_dir, &addr).await.unwrap();
    // The quiz is a practice quiz the server grades as it stores it: it may already be graded.
    for (id, kind) in &ids {
        let states: &[&str] = if kind == "quiz" {
            &["received", "graded"]
        } else {
            &["received"]
        };
        wait_for_state(s, id, states).await;
    }
    s.screenshot("received").await.unwrap();
    let receipts = query(&home, "SELECT receipt FROM outbox", |row| {
        row.get::<_, Option<String>>(0)
    });
    assert!(
        receipts.iter().all(Option::is_some),
        "both hold their receipt"
    );
    let stored: Vec<(String, String)> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut statement = conn
            .prepare("SELECT client_id, payload_sha256 FROM submissions ORDER BY client_id")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let mut expected: Vec<(String, String)> = query(
        &home,
        "SELECT id, payload_sha256 FROM outbox ORDER BY id",
        |row| Ok((row.get(0)?, row.get(1)?)),
    );
    expected.sort();
    assert_eq!(stored, expected, "each submission once, byte for byte");
    let annex_sha = carrel_core::assess::outbox::sha256_hex(&std::fs::read(&annex).unwrap());
    let blob = server
        .data()
        .root()
        .join("blobs")
        .join(&annex_sha[..2])
        .join(&annex_sha);
    assert_eq!(
        carrel_core::assess::outbox::sha256_hex(&std::fs::read(&blob).unwrap()),
        annex_sha,
        "the attached file reached the server whole"
    );

    // A tutor grades both with the command-line tool; the learner syncs and sees the grades.
    let listed = server_cli(&db, &["submissions"]);
    let ungraded = server_cli(&db, &["submissions", "--ungraded"]);
    for (id, kind) in &ids {
        assert!(listed.contains(id.as_str()), "{id} is listed:\n{listed}");
        if kind == "assignment" {
            assert!(
                ungraded.contains(id.as_str()),
                "{id} waits for a tutor:\n{ungraded}"
            );
        }
        server_cli(
            &db,
            &[
                "grade",
                id,
                "--score",
                "8",
                "--out-of",
                "10",
                "--feedback",
                "Clear and well sourced.",
                "--tutor",
                "tom",
            ],
        );
    }
    // And tells the course something, which reaches the learner's Home.
    server_cli(
        &db,
        &[
            "announce",
            DEMO_ID,
            "--title",
            "Webinar moved",
            "--body",
            "The webinar is now on **Thursday**. <script>alert(1)</script>",
        ],
    );
    s.click("#sync-now").await.unwrap();
    for (id, _) in &ids {
        wait_for_state(s, id, &["graded"]).await;
        // The practice quiz was already "graded" by the server when it arrived (1 of 1): the
        // state alone does not show the tutor's grade has come, its figure does.
        s.wait_for_attr(&format!("{} .server-grade", entry(id)), "data-grade", "8")
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    s.screenshot("graded").await.unwrap();
    s.click("#nav-dashboard").await.unwrap();
    let notice = ".course-notice[data-type=\"announcement\"]";
    s.wait_for(notice).await.unwrap();
    let text = s.text(notice).await.unwrap();
    assert!(
        text.contains("Webinar moved") && text.contains("Thursday"),
        "{text}"
    );
    assert!(
        text.contains("<script>alert(1)</script>"),
        "course text is shown as text, never run: {text}"
    );
    s.screenshot("announcement").await.unwrap();
    let states = query(&home, "SELECT state FROM outbox", |row| {
        row.get::<_, String>(0)
    });
    assert_eq!(states, ["graded", "graded"]);
    let session = data_dir(&home).join("session.json");
    assert!(session.is_file(), "the session is kept for the next start");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&session).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }
    app.finish().await;
    server.stop().await.unwrap();
}

/// Waits (up to 90 s: the app checks the server every 15 seconds) for an outbox entry to show
/// one of `states`.
pub(crate) async fn wait_for_state(s: &Session, id: &str, states: &[&str]) {
    let css = states
        .iter()
        .map(|state| format!("{}[data-state=\"{state}\"]", entry(id)))
        .collect::<Vec<_>>()
        .join(", ");
    for _ in 0..3 {
        if s.wait_for(&css).await.is_ok() {
            return;
        }
    }
    let shown = s.attr(&entry(id), "data-state").await.unwrap();
    panic!("{id} did not become one of {states:?} (shown: {shown:?})");
}
