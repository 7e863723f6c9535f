//! The PDF viewer: a course PDF opens in the app's own viewer (pdf.js, served by the app), its
//! pages are drawn and their text is there, the page shown follows scrolling and the page keys,
//! the PDF counts as done once every page has been seen, and after quitting Carrel "continue"
//! reopens it at the last page shown. A damaged PDF says what to do.

use std::path::{Path, PathBuf};
use std::time::Duration;

use carrel_package::testing::{other_key, write_sample_source};

use super::courses::{CONTENT, download_demo, open_demo, serve_demo};
use super::launch_with_args;
use carrel_e2e::{AppHome, Display, Session};

const PDF: &str = "b1-m1-reading-pack";
const VIEWER: &str = "viewer/pdf.html?path=assets/reading-pack-key-instruments.pdf";
const PAGES: u32 = 5;

/// Longer than a page must stay on screen to count as seen (about a second), plus the report's
/// delay (half a second).
const DWELL: Duration = Duration::from_millis(2000);

/// What page 1's canvas holds: its size in pixels and how many of them are not white.
const PAGE_ONE_PIXELS: &str = "
    const canvas = document.querySelector('.pdf-page[data-page-number=\"1\"] canvas.pdf-canvas');
    if (!canvas) return null;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) inked++;
    }
    return { width: canvas.width, height: canvas.height, inked };";

/// Waits until the viewer has loaded the PDF, drawn the page it opened at and scrolled there.
async fn viewer_ready(s: &mut Session) {
    let ready = s
        .wait_until("document.documentElement.dataset.carrelReady === 'true'")
        .await;
    if let Err(error) = ready {
        let state = s
            .eval(
                "return { url: location.href, status: document.getElementById('status').textContent, \
                 failed: document.documentElement.dataset.carrelError || null, \
                 pages: document.querySelectorAll('.pdf-page').length }",
            )
            .await
            .unwrap_or_default();
        s.screenshot("viewer-not-ready").await.unwrap();
        panic!("the PDF viewer did not get ready: {error}; state {state}");
    }
}

/// Scrolls the way a learner does: page `page` to the top of the view, under the toolbar.
async fn scroll_to_page(s: &Session, page: u32) {
    s.eval(&format!(
        "const page = document.querySelector('.pdf-page[data-page-number=\"{page}\"]');
         window.scrollTo(0, page.offsetTop - document.getElementById('pdf-bar').offsetHeight);
         return true;"
    ))
    .await
    .unwrap();
}

/// Presses `key` in the viewer (a key event as the keyboard sends it to the page).
async fn press(s: &Session, key: &str) {
    s.eval(&format!(
        "document.body.dispatchEvent(new KeyboardEvent('keydown', {{ key: '{key}', bubbles: true, cancelable: true }}));
         return true;"
    ))
    .await
    .unwrap();
}

/// The width of page `page` on screen, in CSS pixels.
async fn page_width(s: &Session, page: u32) -> f64 {
    let width = s
        .eval(&format!(
            "return document.querySelector('.pdf-page[data-page-number=\"{page}\"]').getBoundingClientRect().width;"
        ))
        .await
        .unwrap();
    width
        .as_f64()
        .unwrap_or_else(|| panic!("not a width: {width}"))
}

async fn wait_for_page(s: &Session, page: u32) {
    s.wait_for_attr("#pdf-page", "data-page", &page.to_string())
        .await
        .unwrap_or_else(|error| panic!("page {page} did not become the current page: {error}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_is_done_once_every_page_was_seen_and_reopens_at_the_last_page_shown() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_demo(dir.path()).await;
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let url = server.url();

    // First run: install the demo course and open its reading pack.
    let mut app = launch_with_args(&display, &home, Some(&url), &[], "pdf-first-run").await;
    let s = &mut app.session;
    download_demo(s).await;
    open_demo(s).await;
    s.wait_for_attr(&format!("#item-state-{PDF}"), "data-state", "not-started")
        .await
        .unwrap();

    s.click(&format!("#item-open-{PDF}")).await.unwrap();
    let main = s.switch_to_window_at(VIEWER).await.unwrap();
    viewer_ready(s).await;
    let location = s.eval("return location.href").await.unwrap();
    assert!(
        location.as_str().is_some_and(|l| l.starts_with(CONTENT)),
        "the viewer is the app's own page on the content scheme: {location}"
    );
    assert!(
        s.exists(&format!("#pdf-pages[data-pages=\"{PAGES}\"]"))
            .await
            .unwrap(),
        "the viewer counts the reading pack's {PAGES} pages"
    );
    assert_eq!(
        s.attr("#pdf-page", "data-page").await.unwrap().as_deref(),
        Some("1"),
        "a PDF never opened before opens at its first page"
    );
    assert!(
        s.text("#title").await.unwrap().contains("Reading pack"),
        "the title is the item's"
    );
    assert_eq!(
        s.text("#rule").await.unwrap(),
        "Counts as done once you have seen every page.",
        "the learner is told what completes a PDF"
    );

    // Page 1 was drawn by pdf.js (its worker, fonts and all from the app), and its text is there
    // to select and for screen readers.
    let pixels = s.eval(PAGE_ONE_PIXELS).await.unwrap();
    let width = pixels["width"].as_u64().unwrap_or_default();
    let height = pixels["height"].as_u64().unwrap_or_default();
    let inked = pixels["inked"].as_u64().unwrap_or_default();
    assert!(width > 300 && height > 200, "page 1 has a canvas: {pixels}");
    assert!(
        inked * 1000 > width * height,
        "page 1's canvas has text and lines on it, not only white: {pixels}"
    );
    s.wait_until(
        "(() => { const t = document.querySelector('.pdf-page[data-page-number=\"1\"] .textLayer'); \
         return !!t && t.textContent.trim().length > 40; })()",
    )
    .await
    .expect("page 1's text layer holds its text");
    s.screenshot("pdf-opened").await.unwrap();

    // Scrolling to page 3 makes it the current page, and the outline shows the PDF started.
    scroll_to_page(s, 3).await;
    wait_for_page(s, 3).await;
    s.wait_until(
        "(() => { const c = document.querySelector('.pdf-page[data-page-number=\"3\"] canvas'); \
         return !!c && c.width > 0; })()",
    )
    .await
    .expect("page 3 is drawn once scrolled to");
    s.screenshot("pdf-page-3").await.unwrap();

    // Zooming in keeps the learner on their page; "Fit width" comes back to the first size.
    let fitted = page_width(s, 3).await;
    s.click("#pdf-zoom-in").await.unwrap();
    s.wait_for_attr("#pdf-fit", "aria-pressed", "false")
        .await
        .unwrap();
    let zoomed = page_width(s, 3).await;
    assert!(
        zoomed > fitted,
        "zooming in widens pages: {fitted} → {zoomed}"
    );
    wait_for_page(s, 3).await;
    s.screenshot("pdf-zoomed-in").await.unwrap();
    s.click("#pdf-fit").await.unwrap();
    s.wait_for_attr("#pdf-fit", "aria-pressed", "true")
        .await
        .unwrap();
    assert!(
        (page_width(s, 3).await - fitted).abs() < 1.0,
        "fit width restores the width the PDF opened at"
    );
    wait_for_page(s, 3).await;
    s.switch_to(main.clone()).await.unwrap();
    s.wait_for_attr(&format!("#item-state-{PDF}"), "data-state", "started")
        .await
        .unwrap();

    // Every page, each long enough to count: Home, PageDown, the next-page button, End.
    s.switch_to_window_at(VIEWER).await.unwrap();
    press(s, "Home").await;
    wait_for_page(s, 1).await;
    tokio::time::sleep(DWELL).await;
    press(s, "PageDown").await;
    wait_for_page(s, 2).await;
    tokio::time::sleep(DWELL).await;
    for page in 3..PAGES {
        s.click("#pdf-next").await.unwrap();
        wait_for_page(s, page).await;
        tokio::time::sleep(DWELL).await;
    }
    press(s, "End").await;
    wait_for_page(s, PAGES).await;
    tokio::time::sleep(DWELL).await;
    s.screenshot("pdf-last-page").await.unwrap();

    s.switch_to(main.clone()).await.unwrap();
    s.wait_for_attr(&format!("#item-state-{PDF}"), "data-state", "done")
        .await
        .expect("the PDF is done once every page has been seen");
    s.wait_for_attr("#course-continue", "data-item", PDF)
        .await
        .unwrap();
    s.screenshot("outline-pdf-done").await.unwrap();
    app.finish().await;

    // Second run, same profile: continue reopens the PDF at the last page shown.
    let mut app = launch_with_args(&display, &home, Some(&url), &[], "pdf-second-run").await;
    let s = &mut app.session;
    open_demo(s).await;
    s.wait_for_attr(&format!("#item-state-{PDF}"), "data-state", "done")
        .await
        .expect("done survives quitting the app");
    assert_eq!(
        s.attr("#course-continue", "data-item")
            .await
            .unwrap()
            .as_deref(),
        Some(PDF),
        "continue goes to the PDF, the item last worked in"
    );
    s.click("#course-continue").await.unwrap();
    s.switch_to_window_at(VIEWER).await.unwrap();
    viewer_ready(s).await;
    assert_eq!(
        s.attr("#pdf-page", "data-page").await.unwrap(),
        Some(PAGES.to_string()),
        "the PDF reopened at the last page shown"
    );
    let shown = s
        .eval(&format!(
            "const r = document.querySelector('.pdf-page[data-page-number=\"{PAGES}\"]').getBoundingClientRect();
             return r.top < window.innerHeight && r.bottom > document.getElementById('pdf-bar').getBoundingClientRect().bottom;"
        ))
        .await
        .unwrap();
    assert_eq!(
        shown,
        serde_json::json!(true),
        "page {PAGES} is in view, not just named"
    );
    assert!(
        s.text("#status").await.unwrap().contains("page 5"),
        "the learner is told where the PDF reopened"
    );
    s.screenshot("pdf-reopened").await.unwrap();
    app.finish().await;
    server.stop().await.unwrap();
}

/// The sample course with one more item: a "PDF" whose file is not a PDF.
fn damaged_pdf_package(dir: &Path) -> PathBuf {
    let source = dir.join("damaged-src");
    write_sample_source(&source, "1.0.0", 1000).unwrap();
    let mut course = std::fs::read_to_string(source.join("course.toml")).unwrap();
    course.push_str(
        r#"
[[blocks.modules.items]]
id = "damaged"
kind = "pdf"
title = "Damaged handout"
file = "assets/damaged.pdf"
"#,
    );
    std::fs::write(source.join("course.toml"), course).unwrap();
    std::fs::write(
        source.join("assets/damaged.pdf"),
        "%PDF-1.4\nThe rest of this file was lost.\n",
    )
    .unwrap();
    let out = dir.join("damaged.carrel");
    carrel_package::source::build(&source, &other_key(), &out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_pdf_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let package = damaged_pdf_package(dir.path());
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let args = [package.display().to_string()];
    let mut app = launch_with_args(&display, &home, None, &args, "pdf-damaged").await;
    let s = &mut app.session;
    s.wait_for("#trust-dialog[open]").await.unwrap();
    s.click("#trust-accept").await.unwrap();
    s.wait_for_attr("#library-message", "data-kind", "success")
        .await
        .unwrap();
    s.click("#course-open-sample-course").await.unwrap();
    s.wait_for("#item-open-damaged").await.unwrap();
    s.click("#item-open-damaged").await.unwrap();

    let main = s
        .switch_to_window_at("viewer/pdf.html?path=assets/damaged.pdf")
        .await
        .unwrap();
    s.wait_until("document.documentElement.dataset.carrelError === 'true'")
        .await
        .expect("the viewer gives up on a file that is not a PDF");
    assert_eq!(
        s.attr("#status", "role").await.unwrap().as_deref(),
        Some("status"),
        "the message is announced to screen readers"
    );
    assert_eq!(
        s.text("#status").await.unwrap(),
        "This PDF cannot be shown. Its file may be damaged; repair the course from the Library.",
        "the learner is told what happened and what to do"
    );
    assert!(
        !s.exists(".pdf-page").await.unwrap(),
        "no empty pages are shown"
    );
    assert!(
        s.eval("return getComputedStyle(document.getElementById('pdf-bar')).display === 'none'")
            .await
            .unwrap()
            .as_bool()
            .unwrap_or(false),
        "no page or zoom controls for a document that is not there"
    );
    // A screenshot is the last frame painted, which may lag the page by a moment.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    s.screenshot("damaged-pdf").await.unwrap();
    s.switch_to(main).await.unwrap();
    app.finish().await;
}
