//! The background sync as the app runs it: the session kept between runs, the engine's rounds
//! against a real carrel-server (received, held, signed out by the server), the changes feed
//! applied exactly once, and the exports.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carrel_core::assess::attachments::AttachmentStore;
use carrel_core::assess::outbox::{self, OutboxState};
use carrel_core::http::HttpClient;
use carrel_core::progress::ProgressDb;
use carrel_core::settings::ServerUrl;
use carrel_core::sync::changes;
use carrel_core::sync::credentials::{Credentials, StoreKind, StoredSession};
use carrel_core::sync::engine::{SyncEngine, SyncHost, SyncPhase, SyncStatus};
use carrel_core::sync::export;
use carrel_core::sync::session::SessionManager;
use carrel_protocol::changes::{Change, ChangeBody, ChangesPage, Comment, Grade};
use carrel_protocol::submissions::SubmissionKind;
use carrel_server::testing::LoopbackServer;

use crate::sync::{learner, queued};

fn session(server: &str, login: &str) -> StoredSession {
    StoredSession {
        server: server.into(),
        account: carrel_protocol::auth::Account {
            id: 7,
            login: login.into(),
            display_name: "Ana".into(),
            role: carrel_protocol::auth::Role::Learner,
        },
        access_token: "access-secret-Zm9vYmFyYmF6cXV4cXV1eA".into(),
        access_expires_ms: u64::MAX / 2,
        refresh_token: "refresh-secret-cXV1eHF1dXhxdXV4".into(),
        refresh_expires_ms: u64::MAX / 2,
    }
}

#[test]
fn the_file_fallback_keeps_the_session_private_and_forgets_it_on_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = Credentials::file_only(dir.path());
    assert_eq!(credentials.load().unwrap(), None);
    let kept = session("http://127.0.0.1:1/", "ana");
    assert_eq!(credentials.kept_in(), None);
    assert_eq!(credentials.save(&kept).unwrap(), StoreKind::File);
    assert_eq!(credentials.kept_in(), Some(StoreKind::File));
    assert_eq!(credentials.load().unwrap(), Some(kept.clone()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(credentials.file_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner may read the session");
    }
    let debug = format!("{kept:?}");
    assert!(!debug.contains("secret"), "tokens leak into Debug: {debug}");
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");

    credentials.clear().unwrap();
    assert_eq!(credentials.load().unwrap(), None);
    assert_eq!(credentials.kept_in(), None);
    assert!(!credentials.file_path().exists());
}

#[test]
fn a_damaged_session_file_reads_as_signed_out() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = Credentials::file_only(dir.path());
    credentials
        .save(&session("http://127.0.0.1:1/", "ana"))
        .unwrap();
    std::fs::write(credentials.file_path(), b"{ not json").unwrap();
    assert_eq!(credentials.load().unwrap(), None);
}

fn grade_change(seq: i64, submission_id: &str, score: f64, complete: bool) -> Change {
    Change {
        seq,
        at_ms: 1_700_000_000_000 + seq as u64,
        body: ChangeBody::Grade(Grade {
            submission_id: submission_id.into(),
            server_id: 1,
            kind: SubmissionKind::Quiz,
            course_id: "course".into(),
            item_id: "quiz".into(),
            score,
            max_score: 3.0,
            passed: Some(score >= 1.5),
            complete,
            feedback: Some("Well argued.".into()),
            graded_by: Some("Tutor Tom".into()),
            graded_ms: 1_700_000_000_000 + seq as u64,
            detail: None,
        }),
    }
}

#[test]
fn changes_apply_once_however_often_a_page_comes_and_a_final_grade_settles_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = queued(dir.path(), 2);
    let entries = outbox::list(&db).unwrap();
    let (a, b) = (entries[0].id.clone(), entries[1].id.clone());
    // `a` reached the server; `b` is still queued (its receipt was lost, say).
    db.transact(|tx| {
        tx.execute(
            "UPDATE outbox SET state = 'received', receipt = '{}' WHERE id = ?1",
            [&a],
        )?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    let server = ServerUrl::parse("http://127.0.0.1:9/").unwrap();
    let page = ChangesPage {
        changes: vec![
            grade_change(3, &a, 1.0, false),
            Change {
                seq: 4,
                at_ms: 1_700_000_000_004,
                body: ChangeBody::Comment(Comment {
                    comment_id: 11,
                    submission_id: a.clone(),
                    course_id: "course".into(),
                    author: "Tutor Tom".into(),
                    text: "See my notes.".into(),
                    at_ms: 1_700_000_000_004,
                }),
            },
            grade_change(5, &a, 2.5, true),
            grade_change(6, &b, 3.0, true),
            Change {
                seq: 7,
                at_ms: 1_700_000_000_007,
                body: ChangeBody::Unknown,
            },
        ],
        cursor: 7,
        more: false,
    };
    for _ in 0..2 {
        changes::apply(&db, &server, 7, &page).unwrap();
    }
    assert_eq!(changes::cursor(&db, &server, 7).unwrap(), 7);
    assert_eq!(
        changes::cursor(&db, &server, 8).unwrap(),
        0,
        "cursors are per account"
    );
    let (a_entry, _) = outbox::get(&db, &a).unwrap();
    assert_eq!(a_entry.state, OutboxState::Graded);
    let grade = a_entry.server_grade.unwrap();
    assert_eq!(
        grade.score, 2.5,
        "the latest grade replaces the provisional one"
    );
    assert!(grade.complete);
    assert_eq!(grade.graded_by.as_deref(), Some("Tutor Tom"));
    assert_eq!(
        a_entry.comments.len(),
        1,
        "a comment applied twice is one comment"
    );
    assert_eq!(a_entry.comments[0].text, "See my notes.");
    let (b_entry, _) = outbox::get(&db, &b).unwrap();
    assert_eq!(
        b_entry.state,
        OutboxState::Queued,
        "a grade does not stand in for a receipt"
    );
    assert!(
        b_entry.server_grade.is_some(),
        "but it is kept for when the receipt comes"
    );
}

/// The app around the engine, for tests: a fixed database and server; statuses recorded.
#[derive(Clone)]
struct Host {
    db: Arc<ProgressDb>,
    server: ServerUrl,
    seen: Arc<Mutex<Vec<SyncStatus>>>,
    outbox_changes: Arc<Mutex<u32>>,
    /// What the system says of the connection.
    metered: Arc<Mutex<Option<bool>>>,
}

impl SyncHost for Host {
    async fn db(&self) -> Option<Arc<ProgressDb>> {
        Some(self.db.clone())
    }

    fn server(&self) -> ServerUrl {
        self.server.clone()
    }

    fn status_changed(&self, status: &SyncStatus) {
        self.seen.lock().unwrap().push(status.clone());
    }

    fn outbox_changed(&self) {
        *self.outbox_changes.lock().unwrap() += 1;
    }

    fn metered(&self) -> Option<bool> {
        *self.metered.lock().unwrap()
    }
}

async fn settled(
    engine: &SyncEngine,
    what: &str,
    done: impl FnMut(&SyncStatus) -> bool,
) -> SyncStatus {
    tokio::time::timeout(Duration::from_secs(60), engine.wait_for(done))
        .await
        .unwrap_or_else(|_| panic!("sync did not reach: {what}; status {:?}", engine.status()))
}

struct Running {
    _dir: tempfile::TempDir,
    server: LoopbackServer,
    db: Arc<ProgressDb>,
    host: Host,
    session: Arc<SessionManager>,
    credentials: Credentials,
}

async fn running(n: usize) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server"))
        .await
        .unwrap();
    let _ = learner(&server, "ana").await;
    let db = Arc::new(queued(dir.path(), n));
    let url = ServerUrl::parse(&server.url()).unwrap();
    let credentials = Credentials::file_only(dir.path().join("client"));
    let session = Arc::new(SessionManager::load(credentials.clone()));
    let http = HttpClient::new().unwrap();
    session
        .sign_in(&http, &url, "ana", carrel_server::testing::PASSWORD, None)
        .await
        .unwrap();
    let host = Host {
        db: db.clone(),
        server: url,
        seen: Arc::default(),
        outbox_changes: Arc::default(),
        metered: Arc::default(),
    };
    Running {
        _dir: dir,
        server,
        db,
        host,
        session,
        credentials,
    }
}

fn engine(run: &Running, held: bool) -> SyncEngine {
    let store = AttachmentStore::new(run._dir.path().join("attachments"));
    SyncEngine::spawn(
        run.host.clone(),
        HttpClient::new().unwrap(),
        run.session.clone(),
        store,
        held,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_sends_the_outbox_and_reports_it_all_sent() {
    let run = running(5).await;
    let engine = engine(&run, false);
    let status = settled(&engine, "idle with nothing queued", |s| {
        s.phase == SyncPhase::Idle && s.queued == 0
    })
    .await;
    assert_eq!(status.signed_in_as.as_deref(), Some("ana"));
    assert!(status.last_success_ms.is_some());
    let entries = outbox::list(&run.db).unwrap();
    assert!(entries.iter().all(|e| e.state == OutboxState::Received));
    assert!(
        *run.host.outbox_changes.lock().unwrap() > 0,
        "the UI heard of it"
    );
    let phases: Vec<SyncPhase> = run
        .host
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.phase)
        .collect();
    assert!(phases.contains(&SyncPhase::Syncing), "{phases:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_sync_sends_nothing_until_the_learner_says_sync_now() {
    let run = running(3).await;
    let engine = engine(&run, true);
    let status = settled(&engine, "held", |s| s.phase == SyncPhase::Held).await;
    assert_eq!(status.queued, 3);
    assert!(status.held);
    assert!(
        outbox::list(&run.db)
            .unwrap()
            .iter()
            .all(|e| e.state == OutboxState::Queued)
    );
    engine.sync_now();
    settled(&engine, "sent on demand", |s| {
        s.phase == SyncPhase::Idle && s.queued == 0
    })
    .await;
    // Still held afterwards: new work waits again.
    assert!(engine.status().held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_server_ended_pauses_sync_keeps_the_work_and_asks_to_sign_in() {
    let run = running(4).await;
    // The server ends the session (the account signed out everywhere, an admin revoked it…).
    let token = run.session.current().unwrap().access_token;
    let response = reqwest::Client::new()
        .post(run.host.server.join(carrel_protocol::auth::SIGN_OUT_PATH))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let engine = engine(&run, false);
    let status = settled(&engine, "signed out", |s| s.phase == SyncPhase::SignedOut).await;
    assert_eq!(status.queued, 4, "every submission is still queued");
    assert!(
        outbox::list(&run.db)
            .unwrap()
            .iter()
            .all(|e| e.state == OutboxState::Queued && e.problem.is_none())
    );
    assert_eq!(run.session.current(), None);
    assert_eq!(
        run.credentials.load().unwrap(),
        None,
        "the dead session is forgotten"
    );
    assert!(server_count(&run.server) == 0, "nothing reached the server");
    // Signing in again sends everything.
    let http = HttpClient::new().unwrap();
    run.session
        .sign_in(
            &http,
            &run.host.server,
            "ana",
            carrel_server::testing::PASSWORD,
            None,
        )
        .await
        .unwrap();
    engine.sync_now();
    settled(&engine, "sent after signing in", |s| {
        s.phase == SyncPhase::Idle && s.queued == 0
    })
    .await;
    assert_eq!(server_count(&run.server), 4);
}

fn server_count(server: &LoopbackServer) -> i64 {
    rusqlite::Connection::open(server.db())
        .unwrap()
        .query_row("SELECT count(*) FROM submissions", [], |row| row.get(0))
        .unwrap()
}

fn unzip(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

#[test]
fn an_exported_submission_holds_its_exact_bytes_and_the_support_bundle_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = queued(dir.path(), 2);
    let store = AttachmentStore::new(dir.path().join("attachments"));
    let entry = outbox::list(&db).unwrap().remove(0);
    let (_, payload) = outbox::get(&db, &entry.id).unwrap();
    let target = dir.path().join("out").join("submission.zip");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    export::export_submission(&db, &store, &entry.id, &target).unwrap();
    let files = unzip(&target);
    let submission = files.iter().find(|(n, _)| n == "submission.json").unwrap();
    assert_eq!(submission.1, payload, "the exact bytes");
    assert_eq!(outbox::sha256_hex(&submission.1), entry.payload_sha256);
    let readme = String::from_utf8(
        files
            .iter()
            .find(|(n, _)| n == "README.txt")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(readme.contains(&entry.payload_sha256));
    // No temporary file is left beside the export.
    assert_eq!(
        std::fs::read_dir(target.parent().unwrap()).unwrap().count(),
        1
    );

    // An unknown submission: a clear error, nothing written.
    let missing = dir.path().join("out").join("missing.zip");
    assert!(export::export_submission(&db, &store, "nope", &missing).is_err());
    assert!(!missing.exists());

    let secret = session("http://127.0.0.1:1/", "ana");
    let facts = export::SupportFacts {
        app_version: "0.1.0".into(),
        os: "linux x86_64".into(),
        server: "http://127.0.0.1:1/".into(),
        server_status: serde_json::json!({"state": "offline"}),
        sync_status: serde_json::json!({"phase": "offline"}),
        signed_in: Some("ana".into()),
        content_guard: serde_json::json!({"commandsReached": {"main": 3}, "navigationsBlocked": 1}),
        log: vec!["INFO sync: round failed".into()],
    };
    let bundle = dir.path().join("out").join("support.zip");
    export::support_bundle(&db, &facts, &bundle).unwrap();
    let files = unzip(&bundle);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["about.json", "outbox.json", "log.txt"]);
    let everything: Vec<u8> = files.iter().flat_map(|(_, b)| b.clone()).collect();
    let text = String::from_utf8_lossy(&everything);
    assert!(!text.contains(&secret.access_token) && !text.contains(&secret.refresh_token));
    assert!(
        !text.contains("\"answers\""),
        "no submission content in a support bundle"
    );
    assert!(text.contains(&entry.id), "each submission's state is there");
    let about: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(
        about["contentGuard"]["commandsReached"]["main"], 3,
        "what course content was stopped from doing is in the bundle: {about}"
    );
}

#[test]
fn try_again_queues_a_refused_submission_with_the_same_bytes_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = queued(dir.path(), 2);
    let entries = outbox::list(&db).unwrap();
    let (refused, received) = (entries[0].id.clone(), entries[1].id.clone());
    db.transact(|tx| {
        tx.execute(
            "UPDATE outbox SET state = 'needs_attention', problem = 'The course is closed.', tries = 3
             WHERE id = ?1",
            [&refused],
        )?;
        tx.execute("UPDATE outbox SET state = 'received' WHERE id = ?1", [&received])?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    let (_, before) = outbox::get(&db, &refused).unwrap();
    assert!(outbox::requeue(&db, &refused, 42).unwrap());
    let (entry, after) = outbox::get(&db, &refused).unwrap();
    assert_eq!(entry.state, OutboxState::Queued);
    assert_eq!(entry.tries, 0);
    assert_eq!(entry.problem, None);
    assert_eq!(entry.last_error.as_deref(), Some("The course is closed."));
    assert_eq!(after, before, "the same bytes go again");
    assert!(
        !outbox::requeue(&db, &received, 42).unwrap(),
        "a received one stays received"
    );
    assert_eq!(
        outbox::get(&db, &received).unwrap().0.state,
        OutboxState::Received
    );
    assert!(outbox::requeue(&db, "nope", 42).is_err());
}

#[test]
fn announcements_new_versions_and_due_dates_become_notices_once() {
    use carrel_protocol::changes::{Announcement, PackageNotice, ScheduleNotice};
    let dir = tempfile::tempdir().unwrap();
    let db = queued(dir.path(), 0);
    let server = ServerUrl::parse("http://127.0.0.1:9/").unwrap();
    let change = |seq: i64, body: ChangeBody| Change {
        seq,
        at_ms: 1_700_000_000_000 + seq as u64,
        body,
    };
    let page = ChangesPage {
        changes: vec![
            change(
                1,
                ChangeBody::Announcement(Announcement {
                    course_id: "course".into(),
                    title: "Week 2".into(),
                    body: "Read **chapter 2** first.".into(),
                }),
            ),
            change(
                2,
                ChangeBody::Package(PackageNotice {
                    course_id: "course".into(),
                    version: "1.1.0".into(),
                    title: "Course".into(),
                }),
            ),
            change(
                3,
                ChangeBody::Schedule(ScheduleNotice {
                    course_id: "course".into(),
                    item_id: "essay".into(),
                    due: Some("2027-03-30T17:00:00+02:00".into()),
                    reason: Some("Extension agreed".into()),
                }),
            ),
        ],
        cursor: 3,
        more: false,
    };
    changes::apply(&db, &server, 7, &page).unwrap();
    changes::apply(&db, &server, 7, &page).unwrap();
    let notices = changes::notices(&db, 50).unwrap();
    let seqs: Vec<i64> = notices.iter().map(|n| n.seq).collect();
    assert_eq!(seqs, [3, 2, 1], "newest first, each once");
    assert!(notices.iter().all(|n| !n.seen));
    assert!(matches!(
        &notices[0].what,
        changes::NoticeBody::Schedule { item_id, due: Some(_), .. } if item_id == "essay"
    ));
    assert!(matches!(
        &notices[1].what,
        changes::NoticeBody::NewVersion { version, .. } if version == "1.1.0"
    ));
    assert!(matches!(
        &notices[2].what,
        changes::NoticeBody::Announcement { title, .. } if title == "Week 2"
    ));
    changes::mark_notices_seen(&db, 2).unwrap();
    let seen: Vec<bool> = changes::notices(&db, 50)
        .unwrap()
        .iter()
        .map(|n| n.seen)
        .collect();
    assert_eq!(seen, [false, true, true]);
    assert_eq!(
        changes::notices(&db, 1).unwrap().len(),
        1,
        "the limit holds"
    );

    // A new version is news only while an older one (or none) is installed.
    let version = &notices[1];
    assert!(version.is_news(None));
    assert!(version.is_news(Some("1.0.9")));
    assert!(!version.is_news(Some("1.1.0")));
    assert!(!version.is_news(Some("1.2.0")));
    assert!(
        notices[0].is_news(Some("9.9.9")),
        "other notices are always news"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_access_token_is_refreshed_and_sync_goes_on() {
    use carrel_server::faults::Fault;
    let run = running(3).await;
    let before = run.session.current().unwrap();
    // The server refuses the first request's token (its clock thinks it expired, say).
    run.server.faults().script([Fault::Unauthorized]);
    let engine = engine(&run, false);
    settled(&engine, "all sent", |s| {
        s.phase == SyncPhase::Idle && s.queued == 0
    })
    .await;
    let after = run.session.current().expect("still signed in");
    assert_ne!(after.access_token, before.access_token, "refreshed");
    assert_ne!(after.refresh_token, before.refresh_token, "rotated");
    assert_eq!(
        run.credentials.load().unwrap(),
        Some(after),
        "the new pair is kept"
    );
    assert_eq!(server_count(&run.server), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_every_fresh_token_ends_the_session_and_keeps_the_work() {
    use carrel_server::faults::Fault;
    let run = running(2).await;
    run.server.faults().script([Fault::Unauthorized; 10]);
    let engine = engine(&run, false);
    let status = settled(&engine, "signed out", |s| s.phase == SyncPhase::SignedOut).await;
    assert_eq!(status.queued, 2);
    assert_eq!(run.session.current(), None);
    assert_eq!(server_count(&run.server), 0);
    assert!(
        run.server.faults().remaining()
            >= 10 - carrel_core::sync::engine::MAX_REFUSED_TOKENS as usize,
        "it gave up after a few tries, not after hammering the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holding_on_metered_connections_holds_only_while_the_connection_is_or_may_be_metered() {
    let run = running(2).await;
    *run.host.metered.lock().unwrap() = Some(true);
    let engine = engine(&run, true);
    let status = settled(&engine, "held on a metered line", |s| {
        s.phase == SyncPhase::Held
    })
    .await;
    assert_eq!(status.metered, Some(true));
    assert_eq!(server_count(&run.server), 0);
    // The learner moves to an unmetered network: the next round sends, the setting stays on.
    *run.host.metered.lock().unwrap() = Some(false);
    engine.wake();
    let status = settled(&engine, "sent on an unmetered line", |s| {
        s.phase == SyncPhase::Idle && s.queued == 0
    })
    .await;
    assert!(status.held, "the setting is still on");
    assert_eq!(status.metered, Some(false));
    assert_eq!(server_count(&run.server), 2);
}

#[test]
fn network_managers_metered_values_are_read_as_the_system_means_them() {
    use carrel_core::connectivity::metered_from_network_manager as read;
    assert_eq!(
        [0, 1, 2, 3, 4, 9].map(read),
        [None, Some(true), Some(false), Some(true), Some(false), None]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_be_reached_is_said_in_words_and_the_entry_waits() {
    let dir = tempfile::tempdir().unwrap();
    let db = queued(dir.path(), 1);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = ServerUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let report = carrel_core::sync::drain(&db, &HttpClient::new().unwrap(), &url, "t", || 0.5)
        .await
        .unwrap();
    assert!(report.retry_at_ms.is_some());
    let entry = outbox::list(&db).unwrap().remove(0);
    assert_eq!(entry.state, OutboxState::Queued);
    assert!(entry.next_try_ms.is_some());
    assert_eq!(
        entry.last_error.as_deref(),
        Some("not sent: the course server could not be reached"),
        "no URL or library jargon for the learner"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_work_names_the_learners_group_from_the_server_even_offline() {
    use carrel_core::assess::assignments::{self, AssignmentItem};
    use carrel_protocol::auth::Role;
    let run = running(0).await;
    run.server.account("ben", Role::Learner).await.unwrap();
    for login in ["ana", "ben"] {
        run.server
            .enrol(login, "course", Role::Learner, Some("Team Lisbon"))
            .await
            .unwrap();
    }
    let item = AssignmentItem {
        course_id: "course".into(),
        course_version: "1.0.0".into(),
        item_id: "case".into(),
        title: "Case study".into(),
        assignment: serde_json::from_value(serde_json::json!({
            "id": "case", "title": "Case study", "kind": "group", "instructions": "brief.html"
        }))
        .unwrap(),
    };
    assert_eq!(
        assignments::state(&run.db, &item, 0).unwrap().server_group,
        None,
        "not known before a sync"
    );
    let engine = engine(&run, false);
    settled(&engine, "idle", |s| s.phase == SyncPhase::Idle).await;
    // The server goes away; the group is still known.
    run.server.stop().await.unwrap();
    let group = assignments::state(&run.db, &item, 0)
        .unwrap()
        .server_group
        .expect("the group came with the sync");
    assert_eq!(group.name, "Team Lisbon");
    assert_eq!(group.members, ["ben"]);
}

#[test]
fn an_extension_from_the_server_moves_the_due_date_and_decides_lateness() {
    use carrel_core::assess::assignments::{self, DraftEdit};
    use carrel_protocol::changes::ScheduleNotice;
    let dir = tempfile::tempdir().unwrap();
    let db = queued(dir.path(), 0);
    let store = AttachmentStore::new(dir.path().join("attachments"));
    let item = crate::assess_kill::assignment();
    let server = ServerUrl::parse("http://127.0.0.1:9/").unwrap();
    let extend = |seq: i64, due: &str| ChangesPage {
        changes: vec![Change {
            seq,
            at_ms: 1,
            body: ChangeBody::Schedule(ScheduleNotice {
                course_id: item.course_id.clone(),
                item_id: item.item_id.clone(),
                due: Some(due.into()),
                reason: Some("Agreed with your tutor".into()),
            }),
        }],
        cursor: seq,
        more: false,
    };
    let before = assignments::state(&db, &item, 0).unwrap();
    assert_eq!((before.due_ms, before.due_changed.clone()), (None, None));

    changes::apply(&db, &server, 7, &extend(1, "2030-03-01T17:00:00+01:00")).unwrap();
    let extended = assignments::state(&db, &item, 0).unwrap();
    let due_2030 = "2030-03-01T16:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    assert_eq!(extended.due_ms, Some(due_2030));
    assert_eq!(
        extended.due_changed.as_deref(),
        Some("Agreed with your tutor")
    );

    // The latest change wins: a date already past makes a submission late.
    changes::apply(&db, &server, 7, &extend(2, "2001-01-01T00:00:00Z")).unwrap();
    let now = carrel_protocol::unix_time_ms() as i64;
    let edit = DraftEdit {
        text: "My answer.".into(),
        group_name: None,
        declared: false,
    };
    let draft = assignments::save_draft(&db, &item, &edit, now).unwrap();
    let entry = assignments::submit(&db, &store, &item, draft.revision, now).unwrap();
    let (_, payload) = outbox::get(&db, &entry.id).unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(payload["late"], true, "late against the extended date");
    assert_eq!(
        entry.due_ms,
        Some(978_307_200_000),
        "the outbox warns against it too"
    );
}

#[test]
fn a_session_said_to_be_in_an_unavailable_keyring_reads_as_signed_out() {
    // No Secret Service answers here (or it holds no Carrel session): the app still opens,
    // signed out, rather than waiting on the store.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("session-store.json"),
        br#"{"store":"keyring"}"#,
    )
    .unwrap();
    let credentials = Credentials::file_only(dir.path());
    assert_eq!(credentials.kept_in(), Some(StoreKind::Keyring));
    assert_eq!(credentials.load().unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_says_what_is_wrong_and_when_to_try_again() {
    use carrel_core::sync::session::SessionError;
    let run = running(0).await;
    let fresh = SessionManager::load(Credentials::file_only(run._dir.path().join("other")));
    let http = HttpClient::new().unwrap();
    let attempt = || fresh.sign_in(&http, &run.host.server, "ana", "a wrong password!", None);
    match attempt().await {
        Err(SessionError::Refused(message)) => {
            assert!(message.contains("login or the password"), "{message}")
        }
        other => panic!("a wrong password is refused: {other:?}"),
    }
    for _ in 1..carrel_server::accounts::FREE_FAILURES {
        assert!(attempt().await.is_err());
    }
    match attempt().await {
        Err(SessionError::Refused(message)) => {
            assert!(
                message.contains("seconds"),
                "says how long to wait: {message}"
            )
        }
        other => panic!("the locked login is refused, not 'offline': {other:?}"),
    }
    assert_eq!(fresh.current(), None);
}
