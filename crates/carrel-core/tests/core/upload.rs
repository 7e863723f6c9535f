//! Assignments with attachments drained to a real carrel-server, directly and through the fault
//! proxy: the files are uploaded before the submission and end on the server byte for byte; a
//! connection reset in the middle of a file resumes from the server's offset instead of from 0; a
//! rejected token and a damaged local copy send nothing.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::assess_kill::assignment;
use crate::sync::server_rows;
use carrel_core::assess::assignments::{self, DraftEdit};
use carrel_core::assess::attachments::AttachmentStore;
use carrel_core::assess::outbox::{self, OutboxEntry, OutboxState, sha256_hex};
use carrel_core::http::HttpClient;
use carrel_core::progress::ProgressDb;
use carrel_core::settings::ServerUrl;
use carrel_core::sync::{self, DrainReport};
use carrel_faults::{Direction, FaultProxy, ResetRule, Trigger};
use carrel_server::testing::LoopbackServer;
use carrel_server::uploads::blob_path;

/// The large attachment: more than three chunks, and not a whole number of them.
const BIG: usize = 3 * 1024 * 1024 + 654_321;
const SMALL: usize = 40_000;

/// `len` bytes that look random: SHA-256 of `seed` and a block counter, block after block.
fn noise(len: usize, seed: u8) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut bytes = Vec::with_capacity(len + 32);
    for block in 0u64.. {
        if bytes.len() >= len {
            break;
        }
        bytes.extend_from_slice(&Sha256::digest(
            [&[seed][..], &block.to_le_bytes()].concat(),
        ));
    }
    bytes.truncate(len);
    bytes
}

/// A learner's laptop: the outbox, the attachment store, and one submitted assignment with a
/// large and a small file.
struct Laptop {
    db: ProgressDb,
    store: AttachmentStore,
    entry: OutboxEntry,
    files: Vec<Vec<u8>>,
}

fn laptop(dir: &Path) -> Laptop {
    let db = ProgressDb::open(&dir.join("progress.sqlite3")).unwrap();
    let store = AttachmentStore::new(dir.join("attachments"));
    let item = assignment();
    let now = carrel_protocol::unix_time_ms() as i64;
    let files = vec![noise(BIG, 1), noise(SMALL, 2)];
    let originals = dir.join("originals");
    std::fs::create_dir_all(&originals).unwrap();
    for (name, bytes) in ["report.pdf", "data.csv"].iter().zip(&files) {
        let path: PathBuf = originals.join(name);
        std::fs::write(&path, bytes).unwrap();
        assignments::add_attachment(&db, &store, &item, &path, now).unwrap();
    }
    let edit = DraftEdit {
        text: "My report and its data.".into(),
        group_name: None,
        declared: false,
    };
    let draft = assignments::save_draft(&db, &item, &edit, now).unwrap();
    let entry = assignments::submit(&db, &store, &item, draft.revision, now).unwrap();
    assert_eq!(entry.attachments.len(), 2);
    Laptop {
        db,
        store,
        entry,
        files,
    }
}

impl Laptop {
    fn entry(&self) -> OutboxEntry {
        outbox::get(&self.db, &self.entry.id).unwrap().0
    }

    /// One drain with the attachment store; every progress call is recorded in `calls`.
    async fn drain(
        &self,
        http: &HttpClient,
        url: &ServerUrl,
        token: &str,
        calls: &Mutex<Vec<(String, u64, u64)>>,
    ) -> DrainReport {
        let progress = |id: &str, sent: u64, total: u64| {
            calls.lock().unwrap().push((id.to_owned(), sent, total));
        };
        sync::drain_with_progress(&self.db, http, url, token, &self.store, || 0.0, &progress)
            .await
            .unwrap()
    }
}

/// A learner enrolled in the assignment's course.
async fn learner(server: &LoopbackServer, login: &str) -> String {
    server
        .learner_in(login, &assignment().course_id)
        .await
        .unwrap()
        .access_token
}

/// The server's uploads: (sha256, received, complete).
fn server_uploads(server: &LoopbackServer) -> Vec<(String, u64, bool)> {
    let conn = rusqlite::Connection::open(server.db()).unwrap();
    let mut statement = conn
        .prepare("SELECT sha256, received, completed_ms IS NOT NULL FROM uploads ORDER BY sha256")
        .unwrap();
    statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get::<_, i64>(1)? as u64, row.get(2)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The submission is on the server once, received here, and every file is in its blob.
async fn assert_delivered(laptop: &Laptop, server: &LoopbackServer) {
    let entry = laptop.entry();
    assert_eq!(entry.state, OutboxState::Received, "{:?}", entry.problem);
    assert_eq!(
        server_rows(server).await,
        vec![(entry.id.clone(), entry.payload_sha256.clone())],
        "the server holds the submission once, with the bytes submitted"
    );
    for (info, bytes) in entry.attachments.iter().zip(&laptop.files) {
        let blob = std::fs::read(blob_path(server.data(), &info.sha256)).unwrap();
        assert_eq!(
            sha256_hex(&blob),
            info.sha256,
            "{} arrived whole",
            info.name
        );
        assert_eq!(&blob, bytes);
    }
    assert!(
        server_uploads(server)
            .iter()
            .all(|(_, _, complete)| *complete),
        "every upload completed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_with_two_attachments_drains_with_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let token = learner(&server, "ana").await;
    let laptop = laptop(dir.path());
    let url = ServerUrl::parse(&server.url()).unwrap();
    let http = HttpClient::new().unwrap();
    let calls = Mutex::new(Vec::new());

    let report = laptop.drain(&http, &url, &token, &calls).await;
    assert_eq!(
        report,
        DrainReport {
            received: 1,
            ..DrainReport::default()
        },
        "{:?}",
        laptop.entry().problem
    );
    assert_eq!(
        report,
        DrainReport {
            received: 1,
            ..DrainReport::default()
        }
    );
    assert_delivered(&laptop, &server).await;

    let calls = calls.into_inner().unwrap();
    let total = (BIG + SMALL) as u64;
    assert!(
        calls
            .iter()
            .all(|(id, _, all)| id == &laptop.entry.id && *all == total)
    );
    assert!(
        calls.windows(2).all(|w| w[0].1 <= w[1].1),
        "progress never goes back: {calls:?}"
    );
    assert!(
        calls.len() >= 5,
        "progress after each 1 MiB chunk: {calls:?}"
    );
    assert_eq!(calls.last().unwrap().1, total, "it ends at 100 %");

    // Nothing is left to do; a later drain sends nothing.
    let again = laptop
        .drain(&http, &url, &token, &Mutex::new(Vec::new()))
        .await;
    assert_eq!(again, DrainReport::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_in_the_middle_of_a_file_resume_from_the_servers_offset() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let token = learner(&server, "ana").await;
    let laptop = laptop(dir.path());
    let big_sha = laptop.entry.attachments[0].sha256.clone();
    // Every connection is cut (RST) after 1.5 MB of requests, in the middle of a chunk: the
    // 3.6 MB file can only arrive by resuming where each connection stopped.
    let proxy = FaultProxy::start(server.addr()).await.unwrap();
    proxy.faults().set_reset(Some(ResetRule {
        direction: Direction::ClientToUpstream,
        after_bytes: 1_500_000,
        when: Trigger::EveryNth(1),
    }));
    let url = ServerUrl::parse(&proxy.url()).unwrap();
    let http = HttpClient::new().unwrap();

    // The server's offset for the large file once it has recorded what arrived before a cut
    // (it may do so just after the client gave up): when it holds still.
    let settled_offset = || async {
        let offset = || {
            server_uploads(&server)
                .into_iter()
                .find(|(sha, _, _)| *sha == big_sha)
                .map_or(0, |(_, received, _)| received)
        };
        let mut last = offset();
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let now = offset();
            if now == last {
                break;
            }
            last = now;
        }
        last
    };
    let mut resumed_at = Vec::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds <= 20, "the drain does not get the file through");
        let before = settled_offset().await;
        let calls = Mutex::new(Vec::new());
        let report = laptop.drain(&http, &url, &token, &calls).await;
        let calls = calls.into_inner().unwrap();
        if before < BIG as u64 {
            assert_eq!(
                calls.first().map(|c| c.1),
                Some(before),
                "round {rounds} goes on from the server's offset, not from 0"
            );
            resumed_at.push(before);
        }
        if report.received == 1 {
            break;
        }
        assert!(report.retry_at_ms.is_some(), "a cut waits: {report:?}");
        assert_eq!(laptop.entry().state, OutboxState::Queued);
    }
    assert_delivered(&laptop, &server).await;
    // At least one cut and one resumption. How many rounds it takes depends on whether the
    // HTTP client reuses a connection for the next chunk (the cut counts bytes per connection),
    // which is up to its pool's timing.
    assert!(
        resumed_at.len() >= 2 && resumed_at.iter().skip(1).all(|&offset| offset > 0),
        "the file went through in at least two pieces, each resumed: {resumed_at:?}"
    );

    // Everything the client sent through the proxy, requests and bodies, every round.
    let sent: u64 = proxy
        .faults()
        .connections()
        .iter()
        .map(|c| c.to_upstream)
        .sum();
    let files = (BIG + SMALL) as u64;
    eprintln!(
        "{files} bytes of files, {sent} bytes sent in all over {rounds} drains, resumed at {resumed_at:?}"
    );
    assert!(
        sent < files + files / 5,
        "resuming sends little more than the files once ({sent} for {files}), well under twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_damaged_on_the_server_are_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let token = learner(&server, "ana").await;
    let laptop = laptop(dir.path());
    let big = laptop.entry.attachments[0].clone();
    // The server already holds a first megabyte of the file, but not the right one (damaged on
    // the way, or on its disk): the checksum at the end cannot match.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let created: carrel_protocol::uploads::Upload = client
        .post(format!(
            "{}{}",
            server.url(),
            carrel_protocol::uploads::UPLOADS_PATH
        ))
        .bearer_auth(&token)
        .json(&carrel_protocol::uploads::NewUpload {
            sha256: big.sha256.clone(),
            size: big.size,
            name: big.name.clone(),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut damaged = laptop.files[0][..1024 * 1024].to_vec();
    damaged[12_345] ^= 0x10;
    let patched = client
        .patch(format!(
            "{}{}",
            server.url(),
            carrel_protocol::uploads::upload_path(&created.upload_id)
        ))
        .bearer_auth(&token)
        .header("Content-Type", carrel_protocol::uploads::OFFSET_MEDIA_TYPE)
        .header(carrel_protocol::uploads::UPLOAD_OFFSET, "0")
        .body(damaged)
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let url = ServerUrl::parse(&server.url()).unwrap();
    let http = HttpClient::new().unwrap();

    // The drain goes on from the server's megabyte; the server refuses the whole (422) and
    // starts again from 0; our copy is whole, so the entry waits for the next try.
    let calls = Mutex::new(Vec::new());
    let first = laptop.drain(&http, &url, &token, &calls).await;
    assert!(first.retry_at_ms.is_some(), "{first:?}");
    assert_eq!(
        calls.into_inner().unwrap().first().map(|c| c.1),
        Some(1024 * 1024),
        "it resumed from the server's offset"
    );
    let entry = laptop.entry();
    assert_eq!(entry.state, OutboxState::Queued);
    assert!(
        entry
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("arrived damaged")),
        "{:?}",
        entry.last_error
    );
    assert!(server_rows(&server).await.is_empty());

    let second = laptop
        .drain(&http, &url, &token, &Mutex::new(Vec::new()))
        .await;
    assert_eq!(second.received, 1, "sent again from 0, it arrives whole");
    assert_delivered(&laptop, &server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_uploads_nothing_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    learner(&server, "ana").await;
    let laptop = laptop(dir.path());
    let url = ServerUrl::parse(&server.url()).unwrap();
    let http = HttpClient::new().unwrap();
    let before = laptop.entry();

    let report = laptop
        .drain(&http, &url, "ca_not_a_token", &Mutex::new(Vec::new()))
        .await;
    assert!(report.unauthorized);
    assert_eq!(
        (report.received, report.refused, report.retry_at_ms),
        (0, 0, None)
    );
    assert_eq!(laptop.entry(), before, "the entry is exactly as it was");
    assert!(server_uploads(&server).is_empty(), "no upload was created");
    assert!(server_rows(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_copy_needs_attention_and_is_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let token = learner(&server, "ana").await;
    let laptop = laptop(dir.path());
    let big = &laptop.entry.attachments[0];
    let path = laptop.store.path_of(&big.sha256);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1_000_000] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let url = ServerUrl::parse(&server.url()).unwrap();
    let http = HttpClient::new().unwrap();

    let report = laptop
        .drain(&http, &url, &token, &Mutex::new(Vec::new()))
        .await;
    assert_eq!(report.refused, 1, "{report:?}");
    let entry = laptop.entry();
    assert_eq!(entry.state, OutboxState::NeedsAttention);
    let problem = entry.problem.unwrap();
    assert!(
        problem.contains("report.pdf") && problem.contains("damaged"),
        "the reason names the file and what to do: {problem}"
    );
    assert!(server_rows(&server).await.is_empty());
    assert!(
        server_uploads(&server)
            .iter()
            .all(|(_, received, _)| *received == 0),
        "no byte of the damaged copy was sent"
    );
}

/// The sync engine runs the drain on a spawned task: its future must be `Send`.
#[test]
fn the_drain_with_progress_can_run_on_a_spawned_task() {
    fn spawnable<T: Send>(_: T) {}
    let dir = tempfile::tempdir().unwrap();
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let store = AttachmentStore::new(dir.path().join("attachments"));
    let http = HttpClient::new().unwrap();
    let url = ServerUrl::parse("http://127.0.0.1:9").unwrap();
    spawnable(sync::drain_with_progress(
        &db,
        &http,
        &url,
        "token",
        &store,
        || 0.0,
        &|_, _, _| {},
    ));
}
