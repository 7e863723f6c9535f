//! Offline search end to end: the demo course is indexed when it installs, a search finds a
//! page by another form of its words, and the hit opens the page at its heading.

use super::courses::{CONTENT, DEMO_ID, download_demo, serve_demo};
use super::launch_with_args;
use carrel_e2e::{AppHome, Display};

const PAGE: &str = "b1-m1-labour-migration-today";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_hit_opens_its_page_at_the_heading() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_demo(dir.path()).await;
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let mut app = launch_with_args(&display, &home, Some(&server.url()), &[], "search").await;
    let s = &mut app.session;
    download_demo(s).await;
    // No connection is needed from here on.
    server.stop().await.unwrap();

    s.click("#nav-search").await.unwrap();
    s.wait_for("#search-input").await.unwrap();
    let hit = format!("#search-open-{DEMO_ID}-{PAGE}");
    // Indexing runs in the background after the install: search until the page is found.
    s.fill("#search-input", "farm permit").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !s.exists(&hit).await.unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "the page about two permits on one farm was not found"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        s.fill("#search-input", "farm permits").await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        s.fill("#search-input", "farm permit").await.unwrap();
    }
    let marked = s
        .eval(&format!(
            "return [...document.querySelectorAll('#search-hit-{DEMO_ID}-{PAGE} mark')].map(m => m.textContent.toLowerCase())"
        ))
        .await
        .unwrap();
    let marked = marked.as_array().cloned().unwrap_or_default();
    assert!(
        marked
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.starts_with("permit"))),
        "the snippet marks the words found: {marked:?}"
    );
    s.screenshot("results").await.unwrap();

    s.click(&hit).await.unwrap();
    s.switch_to_window_at(&format!("{CONTENT}{DEMO_ID}/pages/"))
        .await
        .unwrap();
    s.wait_until("document.documentElement.dataset.carrelReady === 'true'")
        .await
        .unwrap();
    let at = s
        .eval(
            "const h = [...document.querySelectorAll('h1, h2, h3')].find(h => h.textContent.startsWith('Case snapshot'));
             return { top: h.getBoundingClientRect().top, focused: document.activeElement === h, scrolled: document.scrollingElement.scrollTop };",
        )
        .await
        .unwrap();
    let top = at["top"].as_f64().unwrap_or(f64::MAX);
    assert!(
        (-2.0..60.0).contains(&top) && at["scrolled"].as_f64().unwrap_or(0.0) > 0.0,
        "the page opened at the heading of the hit: {at}"
    );
    assert_eq!(
        at["focused"],
        serde_json::json!(true),
        "focus is on it, for screen readers"
    );
    s.screenshot("opened-at-heading").await.unwrap();
    app.finish().await;
}
