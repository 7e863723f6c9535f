//! End-to-end tests of the real Carrel app: the binary cargo built, in a real window (Xvfb), driven
//! through tauri-driver and WebKitWebDriver, talking to a real carrel-server on a loopback port.
//!
//! Run with `cargo test --test e2e -- --test-threads=1` (what `scripts/test` does). Screenshots of
//! each step land in `target/e2e-screenshots/<test>/`.

// A test that cannot set up its world should fail right there, loudly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use carrel_e2e::{AppHome, Display, Session, TauriDriver};
use carrel_server::testing::LoopbackServer;

const APP: &str = env!("CARGO_BIN_EXE_carrel");
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The app under test, running until [`Running::finish`].
struct Running {
    session: Session,
    _driver: TauriDriver,
}

impl Running {
    async fn finish(self) {
        self.session
            .close()
            .await
            .expect("the WebDriver session closes");
    }

    /// SIGKILL to the app's process: no destructor, no shutdown, like pulling the plug.
    async fn kill_9(self) {
        let pid = carrel_e2e::procs::find_descendant_running(self._driver.pid(), Path::new(APP))
            .expect("the app's process");
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let _ = self.session.close().await;
        drop(self._driver);
    }
}

mod a11y;
mod assess;
mod calendar;
mod certificate;
mod cmi5;
mod courses;
mod forums;
mod groups;
mod hostile;
mod pdf;
mod search;
mod settings;
mod standards;
mod study;
mod sync;

/// Launches the app with `server_url` in `CARREL_SERVER_URL` (unless `None`) and `home` as its
/// data home, and waits until the shell has rendered.
async fn launch(
    display: &Display,
    home: &AppHome,
    server_url: Option<&str>,
    scenario: &str,
) -> Running {
    launch_with_args(display, home, server_url, &[], scenario).await
}

/// Like [`launch`], with command-line arguments for the app.
async fn launch_with_args(
    display: &Display,
    home: &AppHome,
    server_url: Option<&str>,
    args: &[String],
    scenario: &str,
) -> Running {
    launch_with_env(display, home, server_url, args, &[], scenario).await
}

/// Like [`launch_with_args`], with more environment variables for the app (`TZ`, `PATH`…).
async fn launch_with_env(
    display: &Display,
    home: &AppHome,
    server_url: Option<&str>,
    args: &[String],
    extra_env: &[(&str, String)],
    scenario: &str,
) -> Running {
    let mut env: BTreeMap<String, String> = home.env();
    env.extend(
        extra_env
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone())),
    );
    if let Some(url) = server_url {
        env.insert("CARREL_SERVER_URL".into(), url.into());
    }
    let app = Path::new(APP);
    let driver = TauriDriver::start(display, &env, &carrel_e2e::target_dir_of(app))
        .await
        .expect("tauri-driver starts");
    let session = driver
        .session_with_args(app, args, scenario)
        .await
        .expect("the app opens in a WebDriver session");
    session.wait_ready().await.expect("the shell renders");
    Running {
        session,
        _driver: driver,
    }
}

/// A stand-in for the system's `xdg-open` (how tauri-plugin-opener reaches the browser, the PDF
/// viewer, the media player on Linux) in `dir/bin`, which appends what it is given to
/// `dir/opened.txt`: answers that file, and the `PATH` to launch the app with.
fn fake_opener(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opened = dir.join("opened.txt");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            opened.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    (opened, path)
}

/// The path the fake opener of [`fake_opener`] (recording in `opened`) was given last, waiting
/// up to 10 s for it; empty when none came.
async fn opened_file(opened: &std::path::Path) -> String {
    let mut given = String::new();
    for _ in 0..40 {
        given = std::fs::read_to_string(opened).unwrap_or_default();
        if !given.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    given.lines().last().unwrap_or_default().to_owned()
}

/// Stores submission `id` (`payload`, of `kind`) of account `account_id` with the server's own
/// submission code, as a `PUT` from that participant's Carrel would store it.
async fn store_submission(
    server: &LoopbackServer,
    account_id: i64,
    kind: carrel_protocol::submissions::SubmissionKind,
    id: &str,
    payload: &impl serde::Serialize,
) {
    let upload = carrel_protocol::submissions::SubmissionUpload {
        kind,
        payload: serde_json::value::to_raw_value(payload).unwrap(),
    };
    let storage = carrel_server::Storage::open(server.db()).unwrap();
    let receipt = carrel_server::submissions::submit(
        &storage,
        &carrel_server::submissions::InFlight::default(),
        account_id,
        id,
        upload,
    )
    .await
    .unwrap();
    assert!(!receipt.replayed);
}

fn unused_loopback_url() -> String {
    format!("http://127.0.0.1:{}", carrel_e2e::free_port().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_opens_and_shows_its_version_and_the_connected_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch(&display, &home, Some(&server.url()), "opens-connected").await;
    let s = &mut app.session;

    assert_eq!(
        s.text("#app-version").await.unwrap(),
        VERSION,
        "the version shown comes from the Rust build"
    );
    assert_eq!(
        s.text("#server-url").await.unwrap(),
        server.url(),
        "the server shown is the one CARREL_SERVER_URL names"
    );
    s.wait_for_attr("#server-state", "data-state", "online")
        .await
        .expect("the running server is shown online");
    let title = s.eval("return document.title").await.unwrap();
    assert_eq!(title, "Carrel");
    let shot = s.screenshot("connected").await.unwrap();
    assert!(std::fs::metadata(&shot).unwrap().len() > 1000, "a real PNG");
    app.finish().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn navigation_reaches_every_screen() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch(&display, &home, Some(&server.url()), "navigation").await;
    let s = &mut app.session;

    // The app opens on the dashboard.
    s.wait_for("#screen-dashboard h1").await.unwrap();
    assert_eq!(
        s.attr("#nav-dashboard", "aria-current")
            .await
            .unwrap()
            .as_deref(),
        Some("page"),
        "Home is where Carrel opens"
    );
    for screen in [
        "search",
        "course",
        "outbox",
        "settings",
        "library",
        "dashboard",
    ] {
        s.click(&format!("#nav-{screen}")).await.unwrap();
        s.wait_for(&format!("#screen-{screen} h1")).await.unwrap();
        assert_eq!(
            s.attr(&format!("#nav-{screen}"), "aria-current")
                .await
                .unwrap()
                .as_deref(),
            Some("page"),
            "the active destination is announced to screen readers"
        );
        for other in [
            "dashboard",
            "search",
            "library",
            "course",
            "outbox",
            "settings",
        ] {
            if other != screen {
                assert!(
                    !s.exists(&format!("#screen-{other}")).await.unwrap(),
                    "only the {screen} screen is shown, not {other}"
                );
            }
        }
        let heading = s.text(&format!("#screen-{screen} h1")).await.unwrap();
        assert!(!heading.trim().is_empty(), "{screen} has a heading");
        s.screenshot(screen).await.unwrap();
    }
    app.finish().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_shown_offline_and_the_app_keeps_working() {
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let url = unused_loopback_url();
    let mut app = launch(&display, &home, Some(&url), "offline").await;
    let s = &mut app.session;

    s.wait_for_attr("#server-state", "data-state", "offline")
        .await
        .expect("no server at the address is shown as offline");
    assert!(
        !s.dialog_open().await,
        "being offline is not an error dialog"
    );
    let status = s.text("#server-state").await.unwrap();
    assert!(
        status.contains("Offline"),
        "status says Offline: {status:?}"
    );
    s.screenshot("offline").await.unwrap();

    // The app stays usable offline.
    s.click("#nav-outbox").await.unwrap();
    s.wait_for("#screen-outbox h1").await.unwrap();
    assert!(!s.dialog_open().await);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_going_down_turns_the_status_offline() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch(&display, &home, Some(&server.url()), "server-goes-down").await;
    let s = &mut app.session;
    s.wait_for_attr("#server-state", "data-state", "online")
        .await
        .unwrap();
    s.screenshot("online").await.unwrap();

    server.stop().await.unwrap();
    s.click("#nav-settings").await.unwrap();
    s.click("#settings-check-now").await.unwrap();
    s.wait_for_attr("#server-state", "data-state", "offline")
        .await
        .expect("after the server stops, a check shows offline");
    assert!(!s.dialog_open().await, "no error dialog");
    s.screenshot("offline-after-stop").await.unwrap();
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_refuse_a_bad_address_and_remember_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();

    let mut app = launch(&display, &home, None, "settings").await;
    let s = &mut app.session;
    s.click("#nav-settings").await.unwrap();
    s.wait_for("#settings-server-url").await.unwrap();

    s.fill("#settings-server-url", "ftp://example.org")
        .await
        .unwrap();
    s.click("#settings-save").await.unwrap();
    s.wait_for("#settings-error").await.unwrap();
    let error = s.text("#settings-error").await.unwrap();
    assert!(
        error.contains("https://"),
        "the error says what to type: {error:?}"
    );
    assert_eq!(
        s.attr("#settings-server-url", "aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true"),
        "the field is marked invalid for assistive technology"
    );
    s.screenshot("bad-address").await.unwrap();

    s.fill("#settings-server-url", &server.url()).await.unwrap();
    s.click("#settings-save").await.unwrap();
    s.wait_for_text("#server-url", &server.url())
        .await
        .expect("the status bar switches to the saved server");
    s.wait_for_attr("#server-state", "data-state", "online")
        .await
        .expect("the saved server is checked and shown online");
    assert!(
        !s.exists("#settings-error").await.unwrap(),
        "the error is gone"
    );
    s.screenshot("saved").await.unwrap();
    app.finish().await;

    // A second launch with the same data home remembers the address.
    let app = launch(&display, &home, None, "settings-restart").await;
    assert_eq!(
        app.session.text("#server-url").await.unwrap(),
        server.url(),
        "the saved server address survives a restart"
    );
    app.session
        .wait_for_attr("#server-state", "data-state", "online")
        .await
        .unwrap();
    app.finish().await;
    server.stop().await.unwrap();
}
