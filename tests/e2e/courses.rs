//! Courses end to end: the demo course from the server catalogue and from a file, a page in the
//! isolated content window, seeking in the video, and a page that calls the IPC getting nothing.

use std::path::{Path, PathBuf};

use carrel_package::SecretKey;
use carrel_package::testing::{other_key, write_sample_source};

use super::{Running, launch_with_args};
use carrel_e2e::{AppHome, Display};
use carrel_server::testing::LoopbackServer;

pub(crate) const DEMO_ID: &str = "ilo-migrant-workers-rights";

/// The base of content URLs on Linux.
pub(crate) const CONTENT: &str = "carrel-content://localhost/";

/// Builds the demo course in `courses/demo` into a package signed by `key`.
pub(crate) fn demo_package(dir: &Path, key: &SecretKey) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses/demo");
    let out = dir.join("demo.carrel");
    carrel_package::source::build(&source, key, &out).expect("the demo course builds");
    out
}

/// The demo course with its quizzes open now: a copy of `courses/demo` whose quizzes opened a year
/// ago and close in a year (the real course runs from February 2027), built and signed by `key`.
pub(crate) fn demo_package_open_now(dir: &Path, key: &SecretKey) -> PathBuf {
    demo_package_edited(dir, key, "demo-open-now", |copy| {
        let now = jiff::Timestamp::now();
        let year = jiff::SignedDuration::from_hours(24 * 365);
        for entry in std::fs::read_dir(copy.join("quizzes")).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let shifted: Vec<String> = text
                .lines()
                .map(|line| {
                    if line.starts_with("opens = ") {
                        format!("opens = \"{}\"", now - year)
                    } else if line.starts_with("closes = ") {
                        format!("closes = \"{}\"", now + year)
                    } else {
                        line.to_owned()
                    }
                })
                .collect();
            std::fs::write(&path, shifted.join("\n")).unwrap();
        }
    })
}

/// A copy of `courses/demo` named `name` in `dir`, changed by `edit`, built and signed by `key`.
pub(crate) fn demo_package_edited(
    dir: &Path,
    key: &SecretKey,
    name: &str,
    edit: impl FnOnce(&Path),
) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses/demo");
    let copy = dir.join(name);
    copy_tree(&source, &copy);
    edit(&copy);
    let out = dir.join(format!("{name}.carrel"));
    carrel_package::source::build(&copy, key, &out).expect("the demo course builds");
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A real carrel-server in `dir` with `package` published.
pub(crate) async fn serve_package(dir: &Path, package: &Path) -> LoopbackServer {
    let server = LoopbackServer::start(dir).await.unwrap();
    let storage = carrel_server::Storage::open(server.db()).unwrap();
    carrel_server::publish_package(&storage, server.data(), package)
        .await
        .expect("the course publishes");
    server
}

/// A real carrel-server in `dir` with the demo course published (signed by a new key).
pub(crate) async fn serve_demo(dir: &Path) -> LoopbackServer {
    let key = SecretKey::generate().unwrap();
    let package = demo_package(dir, &key);
    serve_package(dir, &package).await
}

/// Downloads the demo course from the Library's catalogue and waits until it is installed.
pub(crate) async fn download_demo(s: &carrel_e2e::Session) {
    download_course(s, DEMO_ID).await;
}

/// Downloads course `id` from the Library's catalogue and waits until it is installed.
pub(crate) async fn download_course(s: &carrel_e2e::Session, id: &str) {
    s.click("#nav-library").await.unwrap();
    s.wait_for(&format!("#catalog-download-{id}"))
        .await
        .unwrap();
    s.click(&format!("#catalog-download-{id}")).await.unwrap();
    s.wait_for(&format!("#course-open-{id}")).await.unwrap();
}

/// Opens the installed demo course's outline from the Library.
pub(crate) async fn open_demo(s: &carrel_e2e::Session) {
    s.click("#nav-library").await.unwrap();
    s.wait_for(&format!("#course-open-{DEMO_ID}"))
        .await
        .unwrap();
    s.click(&format!("#course-open-{DEMO_ID}")).await.unwrap();
    s.wait_for("#outline").await.unwrap();
}

/// A small course whose page runs a script that tries to reach Carrel's commands every way a
/// page can, and records what happened on `<body>`.
fn probe_package(dir: &Path) -> PathBuf {
    let source = dir.join("probe-src");
    write_sample_source(&source, "1.0.0", 1000).unwrap();
    let mut course = std::fs::read_to_string(source.join("course.toml")).unwrap();
    course.push_str(
        r#"
[[blocks.modules.items]]
id = "probe"
kind = "page"
title = "Probe"
source = "pages/probe.md"

[[blocks.modules.items]]
id = "probe-script"
kind = "file"
title = "Probe script"
file = "assets/probe.js"
"#,
    );
    std::fs::write(source.join("course.toml"), course).unwrap();
    std::fs::write(
        source.join("pages/probe.md"),
        "# Probe\n\n<p id=\"status\">running</p>\n\n<script src=\"../assets/probe.js\"></script>\n",
    )
    .unwrap();
    std::fs::write(
        source.join("assets/probe.js"),
        r#"
const mark = (name, value) => document.body.setAttribute("data-" + name, value);
const internals = window.__TAURI_INTERNALS__;
if (internals && typeof internals.invoke === "function") {
  internals.invoke("list_courses").then(
    () => mark("invoke", "reached"),
    (e) => mark("invoke", "refused: " + String(e).slice(0, 80)),
  );
} else {
  mark("invoke", "absent");
}
fetch("ipc://localhost/list_courses", { method: "POST", body: "{}" }).then(
  () => mark("fetch", "reached"),
  () => mark("fetch", "blocked"),
);
mark("ran", "yes");
"#,
    )
    .unwrap();
    let out = dir.join("probe.carrel");
    carrel_package::source::build(&source, &other_key(), &out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_course_installs_from_the_server_catalogue_opens_a_page_and_seeks_in_the_video() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_demo(dir.path()).await;

    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app: Running = launch_with_args(
        &display,
        &home,
        Some(&server.url()),
        &[],
        "demo-from-catalogue",
    )
    .await;
    let s = &mut app.session;

    s.click("#nav-library").await.unwrap();
    s.wait_for(&format!("#catalog-download-{DEMO_ID}"))
        .await
        .unwrap();
    s.screenshot("catalogue").await.unwrap();
    s.click(&format!("#catalog-download-{DEMO_ID}"))
        .await
        .unwrap();
    s.wait_for_attr("#library-message", "data-kind", "success")
        .await
        .unwrap();
    s.wait_for(&format!("#course-{DEMO_ID}")).await.unwrap();
    s.screenshot("installed").await.unwrap();

    s.click(&format!("#course-open-{DEMO_ID}")).await.unwrap();
    s.wait_for("#outline").await.unwrap();
    s.screenshot("outline").await.unwrap();
    s.click("#item-open-b1-m2-migrant-conventions")
        .await
        .unwrap();
    let main = s.switch_to_window_at(CONTENT).await.unwrap();
    s.wait_until("document.querySelector('h1') !== null")
        .await
        .unwrap();
    let heading = s.text("h1").await.unwrap();
    assert!(
        heading.contains("No. 97") && heading.contains("No. 143"),
        "the page rendered: {heading}"
    );
    // The stylesheet came through the scheme too (the page's max width is set by it).
    let styled = s
        .eval("return getComputedStyle(document.querySelector('main')).maxWidth")
        .await
        .unwrap();
    assert_ne!(
        styled,
        serde_json::json!("none"),
        "the course stylesheet loaded"
    );
    s.screenshot("page").await.unwrap();

    s.switch_to(main.clone()).await.unwrap();
    s.click("#item-open-b1-m1-framework-video").await.unwrap();
    // The app's player shows it; the media itself comes from the loopback media server on Linux
    // (WebKitGTK cannot play media from a custom scheme).
    s.switch_to_window_at("viewer/media.html?path=assets/framework-at-a-glance.webm")
        .await
        .unwrap();
    let ready = s.wait_until("(() => { const v = document.querySelector('video'); return !!v && v.readyState >= 1 && v.duration > 60; })()")
        .await;
    if let Err(error) = ready {
        let state = s
            .eval("const v = document.querySelector('video'); return { url: location.href, html: document.documentElement.outerHTML.slice(0, 400), network: v && v.networkState, ready: v && v.readyState, error: v && v.error && v.error.code, src: v && v.currentSrc }")
            .await
            .unwrap_or_default();
        s.screenshot("video-not-ready").await.unwrap();
        panic!("the video did not load: {error}; state {state}");
    }
    let seeked = s
        .eval_async(
            "const done = arguments[arguments.length - 1];
             const v = document.querySelector('video');
             v.addEventListener('seeked', () => done(v.currentTime), { once: true });
             v.currentTime = 42;",
        )
        .await
        .unwrap();
    let position = seeked.as_f64().unwrap_or_default();
    assert!(
        (position - 42.0).abs() < 1.0,
        "the video seeked to 42 s through Range requests: {position}"
    );
    let size = s
        .eval("const v = document.querySelector('video'); return [v.videoWidth, v.videoHeight]")
        .await
        .unwrap();
    assert_eq!(
        size,
        serde_json::json!([640, 360]),
        "the video track was decoded"
    );
    s.screenshot("video-seeked").await.unwrap();
    s.switch_to(main).await.unwrap();
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_side_loaded_course_needs_the_publisher_confirmed_and_its_pages_cannot_reach_carrel() {
    let dir = tempfile::tempdir().unwrap();
    let package = probe_package(dir.path());
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    // No server: a course from a USB stick, given on the command line (`carrel course.carrel`).
    let args = [package.display().to_string()];
    let mut app = launch_with_args(&display, &home, None, &args, "side-loaded-probe").await;
    let s = &mut app.session;

    s.wait_for("#trust-dialog[open]").await.unwrap();
    let fingerprint = other_key().public_key().fingerprint().to_string();
    assert_eq!(
        s.text("#trust-fingerprint").await.unwrap().trim(),
        fingerprint,
        "the learner sees the key's fingerprint before trusting it"
    );
    s.screenshot("trust-dialog").await.unwrap();
    s.click("#trust-accept").await.unwrap();
    s.wait_for_attr("#library-message", "data-kind", "success")
        .await
        .unwrap();
    s.click("#course-open-sample-course").await.unwrap();
    s.wait_for("#item-open-probe").await.unwrap();
    s.click("#item-open-probe").await.unwrap();

    let main = s.switch_to_window_at(CONTENT).await.unwrap();
    s.wait_until("document.body.getAttribute('data-ran') === 'yes' && document.body.hasAttribute('data-invoke') && document.body.hasAttribute('data-fetch')")
        .await
        .unwrap();
    let invoke = s
        .attr("body", "data-invoke")
        .await
        .unwrap()
        .unwrap_or_default();
    let fetch = s
        .attr("body", "data-fetch")
        .await
        .unwrap()
        .unwrap_or_default();
    s.screenshot("probe-page").await.unwrap();
    assert_ne!(
        invoke, "reached",
        "a course page reached a Carrel command through invoke"
    );
    assert_eq!(
        fetch, "blocked",
        "a course page reached the IPC endpoint with fetch"
    );
    assert!(
        invoke == "absent" || invoke.starts_with("refused"),
        "{invoke}"
    );

    // The app is still usable.
    s.switch_to(main).await.unwrap();
    s.click("#nav-library").await.unwrap();
    s.wait_for("#course-sample-course").await.unwrap();
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_course_imports_from_a_file_and_opens_its_home_page() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate().unwrap();
    let package = demo_package(dir.path(), &key);
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let args = [package.display().to_string()];
    let mut app = launch_with_args(&display, &home, None, &args, "demo-from-file").await;
    let s = &mut app.session;

    s.wait_for("#trust-dialog[open]").await.unwrap();
    assert_eq!(
        s.text("#trust-fingerprint").await.unwrap().trim(),
        key.public_key().fingerprint().to_string()
    );
    s.click("#trust-accept").await.unwrap();
    s.wait_for_attr("#library-message", "data-kind", "success")
        .await
        .unwrap();
    s.screenshot("imported").await.unwrap();
    s.click(&format!("#course-open-{DEMO_ID}")).await.unwrap();
    s.wait_for("#course-home-open").await.unwrap();
    s.click("#course-home-open").await.unwrap();
    let main = s.switch_to_window_at(CONTENT).await.unwrap();
    s.wait_until("document.querySelector('h1') !== null")
        .await
        .unwrap();
    assert!(
        !s.text("h1").await.unwrap().is_empty(),
        "the course home page rendered"
    );
    s.screenshot("course-home").await.unwrap();
    s.switch_to(main).await.unwrap();
    app.finish().await;
}
