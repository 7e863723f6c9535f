//! SCORM in the real app: Rustici's SCORM 1.2 golf example (read from `../shared/fixtures`, see
//! `carrel_standards::testing`), converted with `carrel-standards`, published on a real server,
//! downloaded, and played in the content window through Carrel's runtime — with no connection
//! needed once installed. The learner reads a few pages and closes the window mid-way; reopening
//! the module offers to resume and carries on at the saved page; reaching the last page completes
//! the item in the course outline.

use std::time::Duration;

use carrel_package::SecretKey;
use carrel_standards::testing::fixtures;
use carrel_standards::{ConvertOptions, StandardPackage, carrel_id};

use super::courses::{download_course, serve_package};
use super::launch;
use carrel_e2e::{AppHome, Display, Session};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorm_12_module_resumes_where_it_was_closed_and_completes_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let zip = fixtures().join("scorm/singlescobasic.zip");
    let mut golf = StandardPackage::open(&zip).unwrap();
    let package = dir.path().join("golf.carrel");
    let options = ConvertOptions {
        course_id: None,
        version: "1.0.0".into(),
        language: None,
        publisher: "Rustici Software (golf examples)".into(),
        publisher_url: None,
    };
    golf.convert(&options, &SecretKey::generate().unwrap(), &package)
        .unwrap();
    let course = carrel_id("com.scorm.golfsamples.runtime.basicruntime.12");
    let item = carrel_id("item_1");
    let server = serve_package(dir.path(), &package).await;
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();

    let mut app = launch(&display, &home, Some(&server.url()), "scorm-golf").await;
    let s = &mut app.session;
    download_course(s, &course).await;
    // Everything from here on works with no connection.
    drop(server);
    s.click(&format!("#course-open-{course}")).await.unwrap();
    s.wait_for(&format!("#item-open-{item}")).await.unwrap();
    s.wait_for_attr(&format!("#item-state-{item}"), "data-state", "not-started")
        .await
        .unwrap();

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
             {SCO}.ScormProcessGetValue('cmi.core.entry')];"
        ))
        .await
        .unwrap();
    assert_eq!(
        api,
        serde_json::json!(["function", "incomplete", "ab-initio"]),
        "the module found Carrel's SCORM 1.2 API and started a new attempt"
    );
    for _ in 0..3 {
        next_page(s).await;
    }
    s.screenshot("golf-page-3").await.unwrap();

    // The learner closes the window with its close button, mid-way.
    carrel_e2e::wm::close_window_titled(&display, "Golf Explained").unwrap();
    for _ in 0..50 {
        if s.windows().await.unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    s.switch_to(main.clone()).await.unwrap();
    assert_eq!(
        s.attr(&format!("#item-state-{item}"), "data-state")
            .await
            .unwrap()
            .as_deref(),
        Some("started"),
        "closed mid-way, the module is not done"
    );

    // Second session: the module asks whether to resume (its own question), and resumes at the
    // page where the learner was.
    s.click(&format!("#item-open-{item}")).await.unwrap();
    s.switch_to_window_at(&format!("viewer/runtime.html?item={item}"))
        .await
        .unwrap();
    let question = s.accept_dialog().await.unwrap();
    assert!(question.contains("resume"), "{question}");
    s.wait_until(&format!("{SCO} && {SCO}.currentPage === 3"))
        .await
        .unwrap_or_else(|e| panic!("the module did not resume at page 3: {e}"));
    let entry = s
        .eval(&format!(
            "return [{SCO}.ScormProcessGetValue('cmi.core.entry'), document.getElementById('status').textContent];"
        ))
        .await
        .unwrap();
    assert_eq!(
        entry,
        serde_json::json!(["resume", "Carrying on where you left off."])
    );
    s.screenshot("golf-resumed-at-page-3").await.unwrap();

    // To the last page, which completes the module.
    for _ in 3..15 {
        next_page(s).await;
    }
    s.screenshot("golf-last-page").await.unwrap();
    s.switch_to(main).await.unwrap();
    s.wait_for_attr(&format!("#item-state-{item}"), "data-state", "done")
        .await
        .unwrap();
    s.screenshot("golf-done-in-the-outline").await.unwrap();
    app.finish().await;
}
