//! The certificate end to end: the demo course's checklist shows what is missing; the learner
//! submits the three block quizzes and the final assignment in the app, a tutor grades them passed
//! with the `carrel-server grade` command, and after a sync every requirement is met. "Get my
//! certificate" brings the certificate the server issues and signs; the app keeps it, shows its
//! signature verified — also with the server gone — and opens its PDF (a stand-in `xdg-open`
//! records what it was given: the server's PDF, byte for byte). A record changed on the laptop no
//! longer verifies.

use carrel_e2e::{AppHome, Display, Session};
use carrel_package::SecretKey;
use carrel_protocol::auth::Role;

use super::a11y::press;
use super::assess::{data_dir, query};
use super::courses::{DEMO_ID, demo_package_open_now, download_demo, open_demo, serve_package};
use super::launch_with_env;
use super::sync::{server_cli, sign_in, sync_now, wait_for_state};

const QUIZZES: [&str; 3] = ["b1-quiz", "b2-quiz", "b3-quiz"];
const FINAL: &str = "b3-final-assignment";

/// Submits quiz `item` as it stands (a tutor grades it after).
async fn submit_quiz(s: &Session, item: &str) {
    open_demo(s).await;
    press(s, &format!("#item-open-{item}")).await;
    s.wait_for("#quiz-view").await.unwrap();
    press(s, "#quiz-start").await;
    s.wait_for("#quiz-player").await.unwrap();
    press(s, "#quiz-review").await;
    press(s, "#quiz-submit").await;
    press(s, "#confirm-submit").await;
    s.wait_for("#quiz-submitted").await.unwrap();
}

/// The state of requirement `item` in the course's checklist.
async fn requirement(s: &Session, item: &str) -> Option<String> {
    s.attr(
        &format!("#certificate-checklist li[data-item-id=\"{item}\"]"),
        "data-state",
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finishing_the_demo_course_brings_a_certificate_verified_offline() {
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    let key = SecretKey::generate().unwrap();
    let package = demo_package_open_now(dir.path(), &key);
    let server = serve_package(&server_dir, &package).await;
    let db = server.db().to_path_buf();
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

    // The system's PDF viewer, as Carrel reaches it on Linux: records the file it is given.
    let (opened, path) = super::fake_opener(dir.path());

    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch_with_env(
        &display,
        &home,
        Some(&server.url()),
        &[],
        &[("PATH", path)],
        "certificate",
    )
    .await;
    let s = &mut app.session;
    sign_in(s, "ana").await;
    download_demo(s).await;
    open_demo(s).await;
    s.wait_for("#certificate-checklist").await.unwrap();
    assert_eq!(
        s.text("#certificate-progress").await.unwrap(),
        "0 of 4 requirements met."
    );
    for item in QUIZZES.into_iter().chain([FINAL]) {
        assert_eq!(requirement(s, item).await.as_deref(), Some("missing"));
    }
    // Asked now, the server says what is missing.
    press(s, "#certificate-request").await;
    s.wait_for("#certificate-problem").await.unwrap();
    let refused = s.text("#certificate-problem").await.unwrap();
    assert!(refused.contains("Block 1 quiz"), "{refused}");
    assert!(!s.exists("#certificate-issued").await.unwrap());
    s.screenshot("checklist-empty").await.unwrap();

    // The work, submitted in the app.
    for quiz in QUIZZES {
        submit_quiz(s, quiz).await;
    }
    open_demo(s).await;
    press(s, &format!("#item-open-{FINAL}")).await;
    s.wait_for("#assignment-view").await.unwrap();
    s.fill(
        "#draft-text",
        "Country A should ratify Convention No. 189 and reform its recruitment rules.",
    )
    .await
    .unwrap();
    press(s, "#declaration").await;
    s.wait_for_attr("#draft-save-state", "data-state", "saved")
        .await
        .unwrap();
    press(s, "#assignment-submit").await;
    press(s, "#confirm-submit").await;
    s.wait_for(".submission[data-outbox-state]").await.unwrap();
    let ids: Vec<String> = query(&home, "SELECT id FROM outbox ORDER BY created_ms", |row| {
        row.get(0)
    });
    assert_eq!(ids.len(), 4, "{ids:?}");
    s.click("#nav-outbox").await.unwrap();
    for id in &ids {
        wait_for_state(s, id, &["received", "graded"]).await;
    }

    // A tutor grades each passed; after a sync the checklist is complete.
    for id in &ids {
        server_cli(
            &db,
            &[
                "grade", id, "--score", "9", "--out-of", "10", "--passed", "true", "--tutor", "tom",
            ],
        );
    }
    sync_now(s).await;
    for id in &ids {
        s.wait_for(&format!(
            ".outbox-entry[data-id=\"{id}\"] .server-grade[data-grade=\"9\"]"
        ))
        .await
        .unwrap();
    }
    open_demo(s).await;
    s.wait_for("#certificate-request").await.unwrap();
    assert_eq!(
        s.text("#certificate-progress").await.unwrap(),
        "You have met every requirement."
    );
    for item in QUIZZES.into_iter().chain([FINAL]) {
        assert_eq!(requirement(s, item).await.as_deref(), Some("met"), "{item}");
    }
    s.screenshot("checklist-met").await.unwrap();

    // The certificate: issued, kept, verified.
    press(s, "#certificate-request").await;
    s.wait_for_attr("#certificate-issued", "data-verified", "verified")
        .await
        .unwrap();
    s.eval("document.getElementById('course-certificate').scrollIntoView(); return true;")
        .await
        .unwrap();
    s.screenshot("certificate").await.unwrap();
    let issued = s.text("#certificate-issued").await.unwrap();
    assert!(issued.contains("Issued to ana"), "{issued}");
    let (certificate_id, record, signature, pinned): (String, String, String, String) = query(
        &home,
        "SELECT c.certificate_id, c.record, c.signature, k.public_key
         FROM certificates c JOIN certificate_keys k ON k.fingerprint = c.key_fingerprint",
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )
    .remove(0);
    // The key pinned on the laptop is the server's, and the kept bytes verify with it.
    let server_key = SecretKey::read_file(
        &server
            .data()
            .root()
            .join(carrel_server::certificates::key::KEY_FILE),
    )
    .unwrap();
    assert_eq!(pinned, server_key.public_key().to_base64());
    carrel_core::certificates::verify(record.as_bytes(), &signature, &pinned).unwrap();
    let listed = server_cli(&db, &["certificates", DEMO_ID]);
    assert!(listed.contains(&certificate_id), "{listed}");

    // Offline: still verified, and the PDF opens.
    server.stop().await.unwrap();
    s.wait_for_attr("#server-state", "data-state", "offline")
        .await
        .unwrap();
    open_demo(s).await;
    s.wait_for_attr("#certificate-issued", "data-verified", "verified")
        .await
        .unwrap();
    press(s, "#certificate-open").await;
    let given = super::opened_file(&opened).await;
    assert!(
        given.starts_with(data_dir(&home).to_str().unwrap()),
        "{given}"
    );
    let pdf = std::fs::read(&given).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let issued: Vec<u8> = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT pdf FROM certificates", [], |row| row.get(0))
        .unwrap();
    assert_eq!(pdf, issued, "the PDF the server issued, byte for byte");

    // A record changed on the laptop no longer verifies.
    {
        let conn = rusqlite::Connection::open(data_dir(&home).join("progress.sqlite3")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        let changed = record.replace("\"ana\"", "\"eve\"");
        assert_ne!(changed, record);
        conn.execute("UPDATE certificates SET record = ?1", [&changed])
            .unwrap();
    }
    s.click("#nav-dashboard").await.unwrap();
    open_demo(s).await;
    s.wait_for_attr("#certificate-issued", "data-verified", "invalid")
        .await
        .unwrap();
    s.screenshot("certificate-tampered").await.unwrap();
    app.finish().await;
}
