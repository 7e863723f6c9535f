//! carrel-core against a real `carrel-server` on 127.0.0.1:0 and against hand-made TCP peers that
//! misbehave the ways real networks and wrong addresses do.

// A test that cannot set up its world should fail right there, loudly.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carrel_core::connectivity::{ConnectionState, Monitor, ServerStatus, probe};
use carrel_core::http::HttpClient;
use carrel_core::settings::ServerUrl;
use carrel_server::testing::LoopbackServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod assess;
mod assess_kill;
mod certificates;
mod disk;
mod forums;
mod groups;
mod kill;
mod library;
mod plan;
mod progress_kill;
mod search;
mod sync;
mod sync_engine;
mod upload;

/// The demo course's id.
const DEMO: &str = "ilo-migrant-workers-rights";

/// The real demo course built from `courses/demo`, signed with a fresh key and installed into a
/// library in `dir`.
fn demo_library(dir: &std::path::Path) -> carrel_core::library::Library {
    let key = carrel_package::SecretKey::generate().unwrap();
    let package = dir.join("demo.carrel");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../courses/demo");
    carrel_package::source::build(&source, &key, &package).unwrap();
    let library = carrel_core::library::Library::open(&dir.join("library")).unwrap();
    let trust = carrel_package::store::Trust {
        vouched: Vec::new(),
        confirmed: Some(key.public_key().fingerprint()),
    };
    library
        .import_file(
            &package,
            trust,
            &|_| {},
            carrel_package::store::Cancel::default(),
        )
        .unwrap();
    library
}

/// A real carrel-server in `dir`/server with the demo course (as [`demo_library`] built it in
/// `dir`) published, and its database.
async fn demo_server(dir: &std::path::Path) -> (LoopbackServer, carrel_server::storage::Storage) {
    let server = LoopbackServer::start(&dir.join("server")).await.unwrap();
    let storage = carrel_server::storage::Storage::open(server.db()).unwrap();
    carrel_server::publish::publish_package(&storage, server.data(), &dir.join("demo.carrel"))
        .await
        .unwrap();
    (server, storage)
}

/// Grades submission `client_id` on the server as its operator would (`carrel-server grade`).
async fn grade_on_server(
    storage: &carrel_server::storage::Storage,
    client_id: &str,
    grade: carrel_protocol::tutor::GradeInput,
) {
    let id = client_id.to_owned();
    let server_id: i64 = storage
        .with_conn(move |conn| {
            Ok(conn.query_row(
                "SELECT id FROM submissions WHERE client_id = ?1",
                [&id],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    carrel_server::tutor::grade::set(
        storage,
        carrel_server::tutor::Actor::Operator { tutor: None },
        server_id,
        grade,
    )
    .await
    .unwrap();
}

/// One participant's laptop: a progress database, an attachment store, a session on the server.
struct Laptop {
    db: carrel_core::progress::ProgressDb,
    store: carrel_core::assess::attachments::AttachmentStore,
    token: String,
    account_id: i64,
}

impl Laptop {
    /// `login`'s laptop in `dir`/`login`, the account made and enrolled in the demo course as
    /// `role`, in `group`.
    async fn new(
        server: &LoopbackServer,
        dir: &std::path::Path,
        login: &str,
        role: carrel_protocol::auth::Role,
        group: Option<&str>,
    ) -> Self {
        let tokens = server.account(login, role).await.unwrap();
        server.enrol(login, DEMO, role, group).await.unwrap();
        let dir = dir.join(login);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            db: carrel_core::progress::ProgressDb::open(&dir.join("progress.sqlite3")).unwrap(),
            store: carrel_core::assess::attachments::AttachmentStore::new(dir.join("attachments")),
            account_id: tokens.account.id,
            token: tokens.access_token,
        }
    }

    /// Sends the outbox as a sync round does, and the enrolments after; nothing may be refused.
    async fn send(&self, http: &HttpClient, url: &ServerUrl) {
        let report = carrel_core::sync::drain_with_progress(
            &self.db,
            http,
            url,
            &self.token,
            &self.store,
            || 0.0,
            &|_, _, _| {},
        )
        .await
        .unwrap();
        assert_eq!(report.refused, 0, "{report:?}");
        carrel_core::sync::changes::pull_enrolments(&self.db, http, url, &self.token)
            .await
            .unwrap();
    }
}

/// A real carrel-server with its own SQLite file on a loopback port.
struct RunningServer {
    url: ServerUrl,
    server: LoopbackServer,
    _dir: tempfile::TempDir,
}

async fn start_server() -> RunningServer {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    RunningServer {
        url: ServerUrl::parse(&server.url()).unwrap(),
        server,
        _dir: dir,
    }
}

impl RunningServer {
    async fn stop(self) {
        self.server.stop().await.unwrap();
    }
}

/// A port on which nothing listens.
async fn closed_port_url() -> ServerUrl {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    ServerUrl::parse(&format!("http://{addr}")).unwrap()
}

/// A TCP peer that answers every connection with `response` verbatim.
async fn canned_http_peer(response: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    addr
}

fn client() -> HttpClient {
    HttpClient::new().expect("the HTTP client builds")
}

#[tokio::test]
async fn probe_reports_a_running_server_online_with_its_version() {
    let server = start_server().await;
    let status = probe(&client(), &server.url).await;
    assert_eq!(status.state, ConnectionState::Online, "{status:?}");
    assert_eq!(
        status.server_version.as_deref(),
        Some(carrel_server::SERVER_VERSION)
    );
    assert_eq!(status.server_url, server.url.to_string());
    assert!(status.checked_at_ms.is_some() && status.detail.is_none());
    server.stop().await;
}

#[tokio::test]
async fn probe_reports_a_closed_port_offline_with_advice() {
    let url = closed_port_url().await;
    let status = probe(&client(), &url).await;
    assert_eq!(status.state, ConnectionState::Offline);
    let detail = status.detail.expect("offline always says why");
    assert!(detail.contains("No course server answers"), "{detail}");
    assert!(detail.contains(url.as_str()), "names the address: {detail}");
}

#[tokio::test]
async fn probe_tells_a_wrong_address_from_an_unreachable_one() {
    let addr = canned_http_peer(
        "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: 9\r\n\r\nnot found",
    )
    .await;
    let url = ServerUrl::parse(&format!("http://{addr}")).unwrap();
    let status = probe(&client(), &url).await;
    assert_eq!(status.state, ConnectionState::Offline);
    let detail = status.detail.unwrap();
    assert!(detail.contains("not a Carrel course server"), "{detail}");
    assert!(
        detail.contains("Settings"),
        "says where to fix it: {detail}"
    );
}

#[tokio::test]
async fn probe_refuses_a_server_speaking_a_newer_protocol() {
    let addr = canned_http_peer(concat!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 82\r\n\r\n",
        r#"{"status":"ok","server_version":"9.0.0","api_version":99,"server_time_ms":1000000}"#
    ))
    .await;
    let url = ServerUrl::parse(&format!("http://{addr}")).unwrap();
    let status = probe(&client(), &url).await;
    assert_eq!(status.state, ConnectionState::Offline);
    let detail = status.detail.unwrap();
    assert!(detail.contains("Update Carrel"), "{detail}");
}

#[tokio::test]
async fn monitor_follows_the_server_going_down_and_a_new_address() {
    let server = start_server().await;
    let seen: Arc<Mutex<Vec<ServerStatus>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let monitor = Monitor::spawn(
        client(),
        server.url.clone(),
        // Long enough that only the first tick and our explicit requests probe.
        Duration::from_secs(3600),
        move |status| sink.lock().unwrap().push(status.clone()),
    );

    let now = monitor.check_now().await.unwrap();
    assert_eq!(now.state, ConnectionState::Online);
    assert_eq!(monitor.current(), now, "current() is the last probe");

    let old_url = server.url.clone();
    server.stop().await;
    let down = monitor.check_now().await.unwrap();
    assert_eq!(
        down.state,
        ConnectionState::Offline,
        "a stopped server is offline"
    );
    assert_eq!(down.server_url, old_url.to_string());

    let second = start_server().await;
    let moved = monitor.set_url(second.url.clone()).await.unwrap();
    assert_eq!(moved.state, ConnectionState::Online);
    assert_eq!(moved.server_url, second.url.to_string());

    let seen = seen.lock().unwrap().clone();
    let states: Vec<_> = seen.iter().map(|s| s.state).collect();
    assert!(
        states.ends_with(&[
            ConnectionState::Offline,
            ConnectionState::Checking,
            ConnectionState::Online
        ]),
        "every change reaches the callback, a new address starting as Checking: {states:?}"
    );
    second.stop().await;
}
