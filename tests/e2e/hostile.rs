//! A hostile course (`tests/fixtures/hostile-course/`) in the real app: every page tries an
//! escape — Carrel's commands, leaving the course, sending data out, reading another course's
//! files, an SVG with script, an endless loop. The test proves, from outside the page: no command
//! reached the handler from the content webview (Carrel's own count, `AppInfo.contentGuard`), no
//! connection reached the "remote" host (a loopback listener the pages aim at), and the learner
//! closes the stuck window and goes on using Carrel.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carrel_package::SecretKey;
use serde_json::Value;

use super::courses::{
    CONTENT, DEMO_ID, demo_package, download_course, download_demo, open_demo, serve_package,
};
use super::launch_with_args;
use carrel_e2e::{AppHome, Display, Session};

const HOSTILE_ID: &str = "hostile-course";
/// A page of the demo course, and a phrase on it that must never reach the hostile course.
const OTHER_FILE: &str = "pages/b1-m2-migrant-conventions.html";

/// Stands for the internet: every connection it accepts is recorded (and answered, so that a
/// request that got out would also look like it succeeded).
struct Remote {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Remote {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, done) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = [0u8; 512];
                let n = stream.read(&mut head).unwrap_or(0);
                let first = String::from_utf8_lossy(&head[..n])
                    .lines()
                    .next()
                    .unwrap_or("(nothing sent)")
                    .to_owned();
                log.lock().unwrap().push(first);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 9\r\nConnection: close\r\n\r\nescaped!\n",
                );
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}"),
            seen,
            stop,
            port,
        }
    }

    fn connections(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The fixture course with the remote host and the other course's file filled in, built and
/// signed by `key`.
fn hostile_package(dir: &Path, key: &SecretKey, remote: &str) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile-course");
    let source = dir.join("hostile-src");
    fill_in(
        &fixture,
        &source,
        &[
            ("@REMOTE@", remote),
            ("@OTHER@", &format!("{DEMO_ID}/{OTHER_FILE}")),
        ],
    );
    let out = dir.join("hostile.carrel");
    carrel_package::source::build(&source, key, &out).expect("the hostile course builds");
    out
}

fn fill_in(from: &Path, to: &Path, values: &[(&str, &str)]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fill_in(&entry.path(), &target, values);
        } else {
            let mut text = std::fs::read_to_string(entry.path()).unwrap();
            for (key, value) in values {
                text = text.replace(key, value);
            }
            std::fs::write(&target, text).unwrap();
        }
    }
}

/// Calls a Carrel command from the main window (the UI's own webview) and returns its result.
async fn invoke(s: &Session, command: &str) -> Value {
    let result = s
        .eval_async(&format!(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('{command}').then(done, (e) => done({{ error: String(e) }}));"
        ))
        .await
        .unwrap();
    assert!(result.get("error").is_none(), "{command}: {result}");
    result
}

/// Opens the page item `id` of the hostile course, waits until its attacks are done and
/// returns what it recorded.
async fn attack(
    s: &mut Session,
    main: &carrel_e2e::WindowHandle,
    id: &str,
) -> BTreeMap<String, String> {
    s.switch_to(main.clone()).await.unwrap();
    s.click(&format!("#item-open-{id}")).await.unwrap();
    s.switch_to_window_at(&format!("{CONTENT}{HOSTILE_ID}/pages/{id}.html"))
        .await
        .unwrap();
    if let Err(error) = s.wait_until("document.body.dataset.done === 'yes'").await {
        let state = s
            .eval("return { url: location.href, results: window.__hostile || null }")
            .await
            .unwrap_or_default();
        s.screenshot(&format!("{id}-unfinished")).await.unwrap();
        panic!("the {id} page did not finish its attacks: {error}; {state}");
    }
    let results = s.eval("return window.__hostile").await.unwrap();
    s.screenshot(id).await.unwrap();
    s.switch_to(main.clone()).await.unwrap();
    decline_link_offer(s).await;
    serde_json::from_value(results).unwrap()
}

/// When the main window asks whether to open a website a course page tried to open, answers "Stay
/// in Carrel" and returns the address it showed.
async fn decline_link_offer(s: &Session) -> Option<String> {
    if !s.exists("#external-link-dialog[open]").await.unwrap() {
        return None;
    }
    let url = s.text("#external-link-url").await.unwrap();
    s.click("#external-link-cancel").await.unwrap();
    s.wait_until("!document.querySelector('#external-link-dialog[open]')")
        .await
        .unwrap();
    Some(url)
}

/// Asserts that `results` has every name in `names` and that each outcome satisfies `ok`.
fn expect(
    page: &str,
    results: &BTreeMap<String, String>,
    names: &[&str],
    ok: impl Fn(&str) -> bool,
) {
    for name in names {
        let outcome = results
            .get(*name)
            .unwrap_or_else(|| panic!("{page}: {name} was not tried: {results:?}"));
        assert!(
            ok(outcome),
            "{page}: {name} got through: {outcome:?} (all: {results:?})"
        );
    }
}

fn blocked(outcome: &str) -> bool {
    outcome.starts_with("blocked")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_course_reaches_no_command_and_no_network_and_leaves_the_app_usable() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::start();
    let key = SecretKey::generate().unwrap();
    let demo = demo_package(dir.path(), &key);
    let server = serve_package(dir.path(), &demo).await;
    let hostile = hostile_package(dir.path(), &key, &remote.url);
    let storage = carrel_server::Storage::open(server.db()).unwrap();
    carrel_server::publish_package(&storage, server.data(), &hostile)
        .await
        .expect("the hostile course publishes");

    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app =
        launch_with_args(&display, &home, Some(&server.url()), &[], "hostile-course").await;
    let s = &mut app.session;

    // Another course is installed beside it: its files are what the hostile course tries to read.
    download_demo(s).await;
    download_course(s, HOSTILE_ID).await;

    // Symlinks where a server that joined paths onto the library folder would follow them.
    let info = invoke(s, "get_app_info").await;
    let library = carrel_core::library::library_dir(Path::new(info["dataDir"].as_str().unwrap()));
    let planted = library.join(HOSTILE_ID);
    std::fs::create_dir_all(&planted).unwrap();
    std::os::unix::fs::symlink(library.join(DEMO_ID), planted.join("linked-course")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", planted.join("secret-link")).unwrap();
    std::os::unix::fs::symlink("/etc", planted.join("linked-dir")).unwrap();
    let before = invoke(s, "get_app_info").await["contentGuard"].clone();

    s.click(&format!("#course-open-{HOSTILE_ID}"))
        .await
        .unwrap();
    s.wait_for("#outline").await.unwrap();
    // Only the main window is open so far.
    let main = s.windows().await.unwrap().remove(0);

    let ipc = attack(s, &main, "ipc").await;
    expect("ipc", &ipc, &["inline-script"], |o| o == "blocked");
    expect("ipc", &ipc, &["eval"], blocked);
    expect(
        "ipc",
        &ipc,
        &[
            "invoke-list-courses",
            "invoke-get-app-info",
            "invoke-export-support-bundle",
            "invoke-updater",
            "invoke-opener",
            "invoke-store",
            "invoke-emit",
            "fetch-ipc",
        ],
        blocked,
    );
    expect("ipc", &ipc, &["ipc-post-message"], |o| o != "reached");

    let navigation = attack(s, &main, "navigation").await;
    expect(
        "navigation",
        &navigation,
        &[
            "top-location",
            "location-assign",
            "javascript-link",
            "file-link",
            "remote-link",
            "remote-link-new-window",
            "form-post",
            "remote-frame",
        ],
        |o| o == "stayed" || blocked(o),
    );
    expect("navigation", &navigation, &["window-open"], blocked);
    // The learner clicks the page's links for real (a user gesture, which pop-up blocking lets
    // through to Carrel): the window stays on the course and no other window opens.
    s.switch_to_window_at(&format!("{CONTENT}{HOSTILE_ID}/pages/navigation.html"))
        .await
        .unwrap();
    // Past the pause between two offers of a link (the scripted attempts above had one).
    tokio::time::sleep(Duration::from_secs(3)).await;
    for link in ["#click-remote", "#click-blank", "#click-file"] {
        s.click(link).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let url = s.eval("return location.href").await.unwrap();
        assert_eq!(
            url,
            format!("{CONTENT}{HOSTILE_ID}/pages/navigation.html"),
            "clicking {link} left the course"
        );
    }
    assert_eq!(
        s.windows().await.unwrap().len(),
        2,
        "a link opened a window"
    );
    // Instead, the main window asks whether to open the website in the browser; the learner
    // stays.
    s.switch_to(main.clone()).await.unwrap();
    s.wait_for("#external-link-dialog[open]").await.unwrap();
    s.screenshot("link-offered").await.unwrap();
    let offered = decline_link_offer(s).await.unwrap();
    assert!(
        offered.starts_with(&remote.url),
        "the link offered is the page's: {offered}"
    );

    let refresh = attack(s, &main, "meta-refresh").await;
    expect("meta-refresh", &refresh, &["meta-refresh"], |o| {
        o == "stayed"
    });

    let network = attack(s, &main, "network").await;
    expect(
        "network",
        &network,
        &[
            "fetch",
            "fetch-no-cors",
            "xhr",
            "websocket",
            "event-source",
            "image",
            "script",
            "stylesheet",
            "dynamic-import",
            "service-worker",
        ],
        blocked,
    );
    // A beacon or a worker may be accepted by the page's API and then stopped by the policy:
    // the listener below is what says whether anything left.
    expect("network", &network, &["send-beacon", "worker"], |_| true);

    let files = attack(s, &main, "files").await;
    expect(
        "files",
        &files,
        &[
            "other-course",
            "dot-dot",
            "encoded-dot-dot",
            "encoded-slash",
            "encoded-backslash",
            "double-encoded",
            "viewer-dot-dot",
            "symlink",
            "symlink-dir",
            "file-url",
            "item-of-other-course",
        ],
        |o| {
            !o.contains("LEAKED")
                && (blocked(o) || o.contains("status 403") || o.contains("status 404"))
        },
    );

    let svg = attack(s, &main, "svg").await;
    expect("svg", &svg, &["svg-inline-script"], |o| o == "blocked");
    expect("svg", &svg, &["svg-script"], |o| !o.contains("reached"));

    // Carrel's own count: not one call from the content webview reached a command, and the
    // content window's escapes were stopped by Carrel (not only by the pages' failing).
    let after = invoke(s, "get_app_info").await["contentGuard"].clone();
    let reached = after["commandsReached"].as_object().unwrap();
    assert!(
        reached.keys().all(|label| label == "main"),
        "a command was reached from outside the main webview: {after}"
    );
    assert_eq!(after["commandsRefused"], 0, "{after}");
    let grew = |field: &str| after[field].as_u64().unwrap() - before[field].as_u64().unwrap();
    // Top-level navigations, the meta refresh and the clicked links end in Carrel's navigation
    // handler (WebKitGTK hands a clicked `target="_blank"` link there too, or blocks it as a
    // pop-up itself; either way no window opened, checked above).
    assert!(
        grew("navigationsBlocked") + grew("windowsBlocked") >= 4,
        "escapes blocked by Carrel: {after} (before {before})"
    );
    assert!(
        grew("contentRequestsRefused") >= 5,
        "requests refused: {after} (before {before})"
    );

    // The endless loop: the learner closes the stuck window and goes on.
    s.click("#item-open-loop").await.unwrap();
    s.switch_to_window_at(&format!("{CONTENT}{HOSTILE_ID}/pages/loop.html"))
        .await
        .unwrap();
    s.wait_until("document.body.dataset.looping === 'yes'")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    s.switch_to(main.clone()).await.unwrap();
    open_demo(s).await;
    s.screenshot("app-usable-while-a-page-loops").await.unwrap();
    // The learner clicks the stuck window's close button.
    carrel_e2e::wm::close_window_titled(&display, "An endless loop").unwrap();
    let mut left = s.windows().await.unwrap();
    for _ in 0..50 {
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        left = s.windows().await.unwrap();
    }
    assert_eq!(left, vec![main.clone()], "the stuck window closed");
    // The next page opens in a new content window.
    s.click("#item-open-b1-m2-migrant-conventions")
        .await
        .unwrap();
    s.switch_to_window_at(&format!("{CONTENT}{DEMO_ID}/{OTHER_FILE}"))
        .await
        .unwrap();
    s.wait_until("document.querySelector('h1') !== null")
        .await
        .unwrap();
    s.switch_to(main).await.unwrap();

    let connections = remote.connections();
    assert!(
        connections.is_empty(),
        "requests left the machine (the listener standing for a remote host saw them): {connections:?}"
    );
    app.finish().await;
}
