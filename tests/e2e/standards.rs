//! SCORM in the real app: Rustici's SCORM 1.2 golf example (read from `../shared/fixtures`, see
//! `carrel_standards::testing`), converted with `carrel-standards`, published on a real server,
//! downloaded by a signed-in learner, and played with the server gone, in the content window
//! through Carrel's runtime. The learner reads a few pages and closes the window mid-way;
//! reopening the module asks whether to resume (the learner presses Enter) and carries on at the
//! saved page; the last page and the
//! module's test complete the item. When the server comes back, each session's result reaches it
//! on its own, exactly once, byte for byte, and the test's score is its grade.

use std::time::Duration;

use carrel_package::SecretKey;
use carrel_protocol::auth::Role;
use carrel_server::testing::LoopbackServer;
use carrel_standards::testing::fixtures;
use carrel_standards::{ConvertOptions, StandardPackage, carrel_id};

use super::courses::download_course;
use super::launch;
use crate::assess::query;
use crate::sync::{entry, sign_in, wait_for_state};
use carrel_e2e::{AppHome, Display, Session};

/// The fixture `<standard>/<name>.zip` (`fixture` = `scorm/singlescobasic`) converted into a
/// Carrel package in `dir`, signed by a new key: the package and its course id.
pub(crate) fn converted(dir: &std::path::Path, fixture: &str) -> (std::path::PathBuf, String) {
    let mut golf = StandardPackage::open(&fixtures().join(format!("{fixture}.zip"))).unwrap();
    let name = fixture.rsplit('/').next().unwrap_or(fixture);
    let package = dir.join(format!("{name}.carrel"));
    let options = ConvertOptions {
        course_id: None,
        version: "1.0.0".into(),
        language: None,
        publisher: "Rustici Software (examples and test packages)".into(),
        publisher_url: None,
    };
    let manifest = golf
        .convert(&options, &SecretKey::generate().unwrap(), &package)
        .unwrap();
    assert_eq!(manifest.course.id, carrel_id(&golf.course().identifier));
    (package, manifest.course.id)
}

/// A result as (client id, kind, payload SHA-256, grade).
pub(crate) type Delivered = (String, String, String, Option<f64>);

/// What the server at `server_db` holds, and what the app's outbox sent with the grade `graded`
/// (an outbox id and its grade) expects: equal when each result reached the server once, byte for
/// byte, and only that one is graded.
pub(crate) fn stored_and_sent(
    server_db: &std::path::Path,
    home: &AppHome,
    graded: (&str, f64),
) -> (Vec<Delivered>, Vec<Delivered>) {
    let conn = rusqlite::Connection::open(server_db).unwrap();
    let stored = conn
        .prepare(
            "SELECT s.client_id, s.kind, s.payload_sha256, g.score FROM submissions s
             LEFT JOIN grades g ON g.submission_id = s.id ORDER BY s.client_id",
        )
        .unwrap()
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let sent = query(
        home,
        "SELECT id, kind, payload_sha256 FROM outbox ORDER BY id",
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
    .into_iter()
    .map(|(id, kind, sha): (String, String, String)| {
        let grade = (id == graded.0).then_some(graded.1);
        (id, kind, sha, grade)
    })
    .collect();
    (stored, sent)
}

/// A real server in `server_dir` with `package` published and the learner `ana` enrolled in
/// `course`.
pub(crate) async fn serve_for_ana(
    server_dir: &std::path::Path,
    package: &std::path::Path,
    course: &str,
) -> LoopbackServer {
    let server = LoopbackServer::start(server_dir).await.unwrap();
    let storage = carrel_server::Storage::open(server.db()).unwrap();
    carrel_server::publish_package(&storage, server.data(), package)
        .await
        .expect("the course publishes");
    server.account("ana", Role::Learner).await.unwrap();
    server
        .enrol("ana", course, Role::Learner, None)
        .await
        .unwrap();
    server
}

/// Signs `ana` in, downloads `course`, then stops `server` and opens the course's outline, with
/// `item` not started: everything after this happens with the server gone.
pub(crate) async fn downloaded_then_offline(
    s: &Session,
    server: LoopbackServer,
    course: &str,
    item: &str,
) {
    sign_in(s, "ana").await;
    download_course(s, course).await;
    server.stop().await.unwrap();
    s.wait_for_attr("#server-state", "data-state", "offline")
        .await
        .unwrap();
    s.click(&format!("#course-open-{course}")).await.unwrap();
    s.wait_for_attr(&format!("#item-state-{item}"), "data-state", "not-started")
        .await
        .unwrap();
}

/// Forwards what the server at `server` holds to a real LRS (Learning Locker's statements
/// service), as `carrel-server serve --lrs-endpoint …` does, until nothing is left to send;
/// returns the statements the LRS holds.
pub(crate) async fn forwarded_to_an_lrs(server: &LoopbackServer) -> Vec<serde_json::Value> {
    let lrs = carrel_server::testing::LearningLocker::start()
        .await
        .unwrap();
    let forwarder = carrel_server::xapi::Forwarder::new(
        carrel_server::Storage::open(server.db()).unwrap(),
        carrel_server::xapi::LrsConfig {
            endpoint: lrs.endpoint(),
            key: "carrel".into(),
            secret: "a secret".into(),
            home_page: server.url(),
        },
    )
    .unwrap();
    loop {
        let pass = forwarder.send_due().await.unwrap();
        assert_eq!((pass.refused, pass.deferred), (0, 0), "{pass:?}");
        if pass.sent == 0 {
            break;
        }
    }
    lrs.statements().await.unwrap()
}

/// The golf example's launch page, inside the runtime's frame.
const SCO: &str = "document.getElementById('content').contentWindow";

/// The page the golf example shows (its own `currentPage`), or null before it started.
async fn golf_page(s: &Session) -> serde_json::Value {
    s.eval(&format!(
        "const w = {SCO}; return w && typeof w.currentPage === 'number' ? w.currentPage : null;"
    ))
    .await
    .unwrap()
}

/// Commits the app has stored for this window so far.
async fn saved(s: &Session) -> u64 {
    s.eval("return Number(document.documentElement.dataset.carrelSaved || 0);")
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// Clicks the golf example's own Next button, waits for the page to show, and for the app to
/// have stored the commit that records it.
async fn next_page(s: &Session) {
    let page = golf_page(s).await.as_u64().expect("the module has started");
    let before = saved(s).await;
    s.eval(&format!(
        "{SCO}.document.getElementById('butNext').click(); return true;"
    ))
    .await
    .unwrap();
    s.wait_until(&format!("{SCO}.currentPage === {}", page + 1))
        .await
        .unwrap();
    s.wait_until(&format!(
        "Number(document.documentElement.dataset.carrelSaved || 0) > {before}"
    ))
    .await
    .unwrap_or_else(|e| panic!("the commit after page {} was not stored: {e}", page + 1));
}

/// Waits until the content window has closed and switches back to the main window.
pub(crate) async fn content_window_closed(s: &Session, main: carrel_e2e::WindowHandle) {
    for _ in 0..50 {
        if s.windows().await.unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(s.windows().await.unwrap(), vec![main.clone()]);
    s.switch_to(main).await.unwrap();
}

/// The item's launch and the newest commit stored in it, from the app's database.
fn launch_and_seq(home: &AppHome, item: &str) -> (u64, u64) {
    query(
        home,
        &format!("SELECT launch, seq FROM runtime_state WHERE item_id = '{item}'"),
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .first()
    .copied()
    .unwrap_or((0, 0))
}

/// Opens the module again and answers its "resume?" question with Enter, as a learner does.
///
/// The question comes right after the module initializes (the runtime stores a commit then) and
/// before it shows its page (which it records with the next commit). WebKit may run such a
/// dialog modally itself, and then every WebDriver command waits for it, so the test watches the
/// app's database and answers with the keyboard, never through WebDriver.
async fn reopen_and_resume(s: &Session, display: &Display, home: &AppHome, item: &str) {
    let (before, _) = launch_and_seq(home, item);
    s.click(&format!("#item-open-{item}")).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (launch, seq) = launch_and_seq(home, item);
        if launch > before && seq >= 2 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the module did not resume (launch {launch}, seq {seq})"
        );
        if launch > before && seq >= 1 {
            // Initialized: the question is up (or about to be).
            let _ = carrel_e2e::wm::press_key_in_window_titled(display, "Golf Explained", "Return");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Switches to the content window once it has opened, without touching its page: a WebDriver
/// command on a page whose dialog is open dismisses that dialog (the module's resume question).
pub(crate) async fn switch_to_content_window(s: &Session, main: &carrel_e2e::WindowHandle) {
    for _ in 0..150 {
        if let Some(content) = s.windows().await.unwrap().into_iter().find(|w| w != main) {
            s.switch_to(content).await.unwrap();
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the content window did not open");
}

/// The queued results once there are `count` of them (the app queues on its own time).
async fn results_once_queued(
    home: &AppHome,
    count: usize,
) -> Vec<(String, u64, u64, String, String, bool)> {
    for _ in 0..100 {
        let results = queued_results(home);
        if results.len() >= count {
            return results;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    queued_results(home)
}

/// The SCORM results queued in the app's outbox: (id, attempt, session, completion, success,
/// suspended), in order.
fn queued_results(home: &AppHome) -> Vec<(String, u64, u64, String, String, bool)> {
    let mut rows = query(
        home,
        "SELECT id, payload FROM outbox WHERE kind = 'scorm' ORDER BY created_ms",
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
    );
    rows.drain(..)
        .map(|(id, payload)| {
            let p: serde_json::Value = serde_json::from_str(&payload).unwrap();
            (
                id,
                p["attempt"].as_u64().unwrap(),
                p["session"].as_u64().unwrap(),
                p["completionStatus"].as_str().unwrap().to_owned(),
                p["successStatus"].as_str().unwrap().to_owned(),
                p["suspended"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorm_12_module_played_offline_resumes_completes_and_its_results_reach_the_server_once()
{
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    let (package, course) = converted(dir.path(), "scorm/singlescobasic");
    let item = carrel_id("item_1");
    let server = serve_for_ana(&server_dir, &package, &course).await;
    let (addr, url) = (server.addr().to_string(), server.url());
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();

    let mut app = launch(&display, &home, Some(&url), "scorm-golf").await;
    let s = &mut app.session;
    downloaded_then_offline(s, server, &course, &item).await;

    // First session: the module starts at its first page and finds the SCORM 1.2 API.
    s.click(&format!("#item-open-{item}")).await.unwrap();
    let main = s
        .switch_to_window_at(&format!("viewer/runtime.html?item={item}"))
        .await
        .unwrap();
    s.wait_until(&format!("{SCO} && {SCO}.currentPage === 0"))
        .await
        .unwrap();
    let api = s
        .eval(&format!(
            "return [typeof window.API.LMSGetValue, {SCO}.ScormProcessGetValue('cmi.core.lesson_status'), \
             {SCO}.ScormProcessGetValue('cmi.core.entry'), {SCO}.ScormProcessGetValue('cmi.core.student_id')];"
        ))
        .await
        .unwrap();
    assert_eq!(
        api,
        serde_json::json!(["function", "incomplete", "ab-initio", "ana"]),
        "the module found Carrel's SCORM 1.2 API, for the signed-in learner, on a new attempt"
    );
    for _ in 0..3 {
        next_page(s).await;
    }
    s.screenshot("golf-page-3").await.unwrap();

    // The learner closes the window with its close button, mid-way: the module finishes its
    // session suspended, as it does when its window closes.
    carrel_e2e::wm::close_window_titled(&display, "Golf Explained").unwrap();
    content_window_closed(s, main.clone()).await;
    assert_eq!(
        s.attr(&format!("#item-state-{item}"), "data-state")
            .await
            .unwrap()
            .as_deref(),
        Some("started"),
        "closed mid-way, the module is not done"
    );
    let first = results_once_queued(&home, 1).await;
    assert_eq!(
        first
            .iter()
            .map(|r| (r.1, r.2, r.3.as_str(), r.5))
            .collect::<Vec<_>>(),
        [(1, 1, "incomplete", true)],
        "the session the closed window left open is ended by the app, its result queued once"
    );

    // Second session: the module asks whether to resume (its own question), and resumes at the
    // page where the learner was.
    reopen_and_resume(s, &display, &home, &item).await;
    switch_to_content_window(s, &main).await;
    s.wait_until(&format!("{SCO} && {SCO}.currentPage === 3"))
        .await
        .unwrap_or_else(|e| panic!("the module did not resume at page 3: {e}"));
    let entry_and_status = s
        .eval(&format!(
            "return [{SCO}.ScormProcessGetValue('cmi.core.entry'), document.getElementById('status').textContent];"
        ))
        .await
        .unwrap();
    assert_eq!(
        entry_and_status,
        serde_json::json!(["resume", "Carrying on where you left off."])
    );
    s.screenshot("golf-resumed-at-page-3").await.unwrap();

    // To the last page, which completes the module; its test records 85 % (what the test page
    // does when the learner submits it), and the learner leaves with the module's Exit button.
    for _ in 3..15 {
        next_page(s).await;
    }
    s.eval(&format!("{SCO}.RecordTest(85); return true;"))
        .await
        .unwrap();
    s.screenshot("golf-last-page").await.unwrap();
    s.eval(&format!(
        "{SCO}.document.getElementById('butExit').click(); return true;"
    ))
    .await
    .unwrap();
    s.wait_for_text("#status", "Your progress in this module is saved.")
        .await
        .unwrap();
    s.switch_to(main).await.unwrap();
    s.wait_for_attr(&format!("#item-state-{item}"), "data-state", "done")
        .await
        .unwrap();
    s.screenshot("golf-done-in-the-outline").await.unwrap();
    let results = results_once_queued(&home, 2).await;
    assert_eq!(
        results
            .iter()
            .map(|r| (r.1, r.2, r.3.as_str(), r.4.as_str(), r.5))
            .collect::<Vec<_>>(),
        [
            (1, 1, "incomplete", "unknown", true),
            (1, 2, "completed", "passed", false)
        ]
    );
    s.click("#nav-outbox").await.unwrap();
    for result in &results {
        wait_for_state(s, &result.0, &["queued"]).await;
    }
    s.screenshot("queued-offline").await.unwrap();

    // The server comes back on its address: the app sends both results on its own.
    let server = LoopbackServer::start_at(&server_dir, &addr).await.unwrap();
    for result in &results {
        wait_for_state(s, &result.0, &["received", "graded"]).await;
    }
    s.click(&format!("{} button.toggle", entry(&results[1].0)))
        .await
        .unwrap();
    s.wait_for(".recorded").await.unwrap();
    let recorded = s.text(".recorded").await.unwrap();
    assert!(
        recorded.contains("Completed") && recorded.contains("Passed") && recorded.contains("85%"),
        "{recorded}"
    );
    s.screenshot("received").await.unwrap();
    let (stored, expected) = stored_and_sent(server.db(), &home, (&results[1].0, 85.0));
    assert_eq!(
        stored, expected,
        "each session's result on the server once, byte for byte; the test's score is the grade"
    );
    // From the server to the institution's LRS: the documented SCORM mapping, each once.
    let statements = forwarded_to_an_lrs(&server).await;
    let mut verbs: Vec<&str> = statements
        .iter()
        .map(carrel_server::xapi::verb_name)
        .collect();
    verbs.sort_unstable();
    assert_eq!(verbs, ["completed", "passed", "suspended", "terminated"]);
    let passed = statements
        .iter()
        .find(|s| s["verb"]["id"].as_str().unwrap().ends_with("/passed"))
        .unwrap();
    assert_eq!(passed["result"]["score"]["scaled"], 0.85);
    assert_eq!(passed["actor"]["account"]["name"], "ana");
    app.finish().await;
}

/// The same golf course in SCORM 2004 (its own package, `API_1484_11`): played offline, closed
/// mid-way, resumed at its location with `cmi.entry` = `resume`, and completed by its last page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorm_2004_module_resumes_at_its_location_and_completes_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let (package, course) = converted(dir.path(), "scorm/RuntimeBasicCalls_SCORM20043rdEdition");
    let item = carrel_id("item_1");
    let server = crate::courses::serve_package(dir.path(), &package).await;
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch(&display, &home, Some(&server.url()), "scorm-2004").await;
    let s = &mut app.session;
    download_course(s, &course).await;
    server.stop().await.unwrap();
    s.click(&format!("#course-open-{course}")).await.unwrap();
    s.click(&format!("#item-open-{item}")).await.unwrap();
    let runtime = format!("viewer/runtime.html?item={item}");
    let main = s.switch_to_window_at(&runtime).await.unwrap();
    s.wait_until(&format!("{SCO} && {SCO}.currentPage === 0"))
        .await
        .unwrap();
    let api = s
        .eval(&format!(
            "return [typeof window.API_1484_11.GetValue, {SCO}.ScormProcessGetValue('cmi.entry', true)];"
        ))
        .await
        .unwrap();
    assert_eq!(api, serde_json::json!(["function", "ab-initio"]));
    next_page(s).await;
    next_page(s).await;
    carrel_e2e::wm::close_window_titled(&display, "Golf Explained").unwrap();
    content_window_closed(s, main.clone()).await;

    reopen_and_resume(s, &display, &home, &item).await;
    switch_to_content_window(s, &main).await;
    s.wait_until(&format!("{SCO} && {SCO}.currentPage === 2"))
        .await
        .unwrap_or_else(|e| panic!("the module did not resume at page 2: {e}"));
    let resumed = s
        .eval(&format!(
            "return [{SCO}.ScormProcessGetValue('cmi.entry', true), {SCO}.ScormProcessGetValue('cmi.location', true)];"
        ))
        .await
        .unwrap();
    assert_eq!(resumed, serde_json::json!(["resume", "2"]));
    while golf_page(s).await.as_u64() != Some(14) {
        next_page(s).await;
    }
    s.switch_to(main).await.unwrap();
    s.wait_for_attr(&format!("#item-state-{item}"), "data-state", "done")
        .await
        .unwrap();
    s.screenshot("golf-2004-done").await.unwrap();
    app.finish().await;
}
