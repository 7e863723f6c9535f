//! Studying across a restart: read a page, watch part of the video, quit Carrel, start it again —
//! progress, the reading place, the video position and "continue" are exactly where they were.

use super::courses::{CONTENT, DEMO_ID, download_demo, open_demo, serve_demo};
use super::launch_with_args;
use carrel_e2e::{AppHome, Display, Session};

const PAGE: &str = "b1-m2-migrant-conventions";
const VIDEO: &str = "b1-m1-framework-video";
const PLAYER: &str = "viewer/media.html?path=assets/framework-at-a-glance.webm";

/// The reading place of the page shown: the top of the view as a fraction of the page.
const PLACE: &str = "const e = document.scrollingElement; return e.scrollTop / e.scrollHeight;";

/// Waits until the player has loaded the video and moved to the learner's place.
async fn player_ready(s: &mut Session) {
    let ready = s
        .wait_until("document.documentElement.dataset.carrelReady === 'true'")
        .await;
    if let Err(error) = ready {
        let state = s
            .eval(
                "const v = document.querySelector('video'); return { url: location.href, \
                 status: document.getElementById('status').textContent, src: v.currentSrc, \
                 network: v.networkState, ready: v.readyState, error: v.error && v.error.code }",
            )
            .await
            .unwrap_or_default();
        s.screenshot("player-not-ready").await.unwrap();
        panic!("the player did not get ready: {error}; state {state}");
    }
}

fn number(value: serde_json::Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_position_and_continue_survive_quitting_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_demo(dir.path()).await;
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let url = server.url();

    // First run: install, read a page to its end, leave it half-way up, watch part of the video.
    let mut app = launch_with_args(&display, &home, Some(&url), &[], "study-first-run").await;
    let s = &mut app.session;
    download_demo(s).await;
    open_demo(s).await;
    s.wait_for("#course-start").await.unwrap();
    s.wait_for_attr(&format!("#item-state-{PAGE}"), "data-state", "not-started")
        .await
        .unwrap();

    s.click(&format!("#item-open-{PAGE}")).await.unwrap();
    let main = s.switch_to_window_at(CONTENT).await.unwrap();
    s.wait_until("document.documentElement.dataset.carrelReady === 'true'")
        .await
        .unwrap();
    s.eval("window.scrollTo(0, document.scrollingElement.scrollHeight); return true;")
        .await
        .unwrap();
    s.switch_to(main.clone()).await.unwrap();
    s.wait_for_attr(&format!("#item-state-{PAGE}"), "data-state", "done")
        .await
        .unwrap();
    s.switch_to_window_at(CONTENT).await.unwrap();
    s.eval("window.scrollTo(0, document.scrollingElement.scrollHeight * 0.37); return true;")
        .await
        .unwrap();
    let place = number(s.eval(PLACE).await.unwrap());
    assert!(place > 0.2 && place < 0.5, "scrolled half-way up: {place}");
    s.screenshot("page-read").await.unwrap();
    s.switch_to(main.clone()).await.unwrap();
    // The place is recorded once the outline says the page was last worked in (continue).
    s.wait_for_attr("#course-continue", "data-item", PAGE)
        .await
        .unwrap();

    s.click(&format!("#item-open-{VIDEO}")).await.unwrap();
    s.switch_to_window_at(PLAYER).await.unwrap();
    player_ready(s).await;
    // Jump to 20 s and play about two seconds, muted (no user gesture under WebDriver).
    let stopped = number(
        s.eval_async(
            "const done = arguments[arguments.length - 1];
             const v = document.querySelector('video');
             v.muted = true;
             v.addEventListener('seeked', () => {
               v.play().then(() => setTimeout(() => {
                 v.addEventListener('pause', () => setTimeout(() => done(v.currentTime), 300), { once: true });
                 v.pause();
               }, 2000), (e) => done('play failed: ' + e));
             }, { once: true });
             v.currentTime = 20;",
        )
        .await
        .unwrap(),
    );
    assert!(
        stopped > 20.5 && stopped < 30.0,
        "played from 20 s: {stopped}"
    );
    s.screenshot("video-paused").await.unwrap();
    s.switch_to(main.clone()).await.unwrap();
    s.wait_for_attr("#course-continue", "data-item", VIDEO)
        .await
        .unwrap();
    s.wait_for_attr(
        &format!("#item-position-{VIDEO}"),
        "data-seconds",
        &stopped.to_string(),
    )
    .await
    .unwrap();
    s.wait_for_attr(&format!("#item-state-{VIDEO}"), "data-state", "started")
        .await
        .unwrap();
    s.screenshot("outline-before-quit").await.unwrap();
    app.finish().await;

    // Second run, same profile: everything is where it was.
    let mut app = launch_with_args(&display, &home, Some(&url), &[], "study-second-run").await;
    let s = &mut app.session;
    open_demo(s).await;
    s.wait_for_attr(&format!("#item-state-{PAGE}"), "data-state", "done")
        .await
        .unwrap();
    s.wait_for_attr(&format!("#item-state-{VIDEO}"), "data-state", "started")
        .await
        .unwrap();
    assert_eq!(
        s.attr("#course-continue", "data-item").await.unwrap(),
        Some(VIDEO.to_owned()),
        "continue goes to the video"
    );
    assert_eq!(
        s.attr(&format!("#item-position-{VIDEO}"), "data-seconds")
            .await
            .unwrap(),
        Some(stopped.to_string()),
        "the video position is the one recorded before quitting"
    );
    let progress = s.attr("#course-progress", "data-completed").await.unwrap();
    assert_eq!(progress.as_deref(), Some("1"), "one item done");
    s.screenshot("outline-after-restart").await.unwrap();

    s.click("#course-continue").await.unwrap();
    let main = s.switch_to_window_at(PLAYER).await.unwrap();
    player_ready(s).await;
    let resumed = number(
        s.eval("return document.querySelector('video').currentTime")
            .await
            .unwrap(),
    );
    assert!(
        (resumed - stopped).abs() < 0.05,
        "continue resumed the video at {resumed}, stopped at {stopped}"
    );
    s.screenshot("video-resumed").await.unwrap();

    s.switch_to(main).await.unwrap();
    s.click(&format!("#item-open-{PAGE}")).await.unwrap();
    s.switch_to_window_at(&format!("{DEMO_ID}/pages/"))
        .await
        .unwrap();
    s.wait_until("document.documentElement.dataset.carrelReady === 'true'")
        .await
        .unwrap();
    let restored = number(s.eval(PLACE).await.unwrap());
    assert!(
        (restored - place).abs() < 0.005,
        "the page opened at its reading place: {restored}, left at {place}"
    );
    s.screenshot("page-restored").await.unwrap();
    app.finish().await;
}

/// `kill -9` of the real app while its content window is recording progress, three times: after
/// each kill the progress database passes `integrity_check`, needs no recovery, and holds the
/// last report the app had acknowledged before the kill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_app_while_it_records_keeps_every_acknowledged_report() {
    use carrel_core::progress::{ProgressDb, ProgressError, Recovery};

    let dir = tempfile::tempdir().unwrap();
    let server = serve_demo(dir.path()).await;
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    let url = server.url();
    let db_path = home.path().join("data/org.carrel.desktop/progress.sqlite3");

    for trial in 0..3 {
        let scenario = format!("kill-9-{trial}");
        let mut app = launch_with_args(&display, &home, Some(&url), &[], &scenario).await;
        let s = &mut app.session;
        if trial == 0 {
            download_demo(s).await;
        }
        open_demo(s).await;
        s.click(&format!("#item-open-{PAGE}")).await.unwrap();
        s.switch_to_window_at(CONTENT).await.unwrap();
        s.wait_until("document.documentElement.dataset.carrelReady === 'true'")
            .await
            .unwrap();
        // Reports as fast as the app takes them, through the same route the page's own script
        // uses; each acknowledged position is remembered in the page.
        s.eval(&format!(
            "window.__acked = null;
             const path = 'pages/{PAGE}.html';
             (async () => {{
               for (let k = 1; ; k++) {{
                 const position = {trial} + k / 1e6;
                 const answer = await fetch('/.carrel/report', {{
                   method: 'POST', headers: {{ 'Content-Type': 'application/json' }},
                   body: JSON.stringify({{ kind: 'scrolled', path, position: position / 10, seen: 0.5 }}),
                 }});
                 if (answer.ok) window.__acked = position / 10;
               }}
             }})();
             return true;"
        ))
        .await
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(700 + 300 * trial)).await;
        let acked = s.eval("return window.__acked").await.unwrap();
        let acked = acked
            .as_f64()
            .unwrap_or_else(|| panic!("trial {trial}: no report was acknowledged: {acked}"));
        app.kill_9().await;

        let (db, recovery) = ProgressDb::open_or_recover(&db_path).unwrap();
        assert_eq!(recovery, Recovery::None, "trial {trial}");
        let (integrity, found): (String, i64) = db
            .transact(|tx| {
                let integrity = tx.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
                let found = tx.query_row(
                    "SELECT COUNT(*) FROM events WHERE item_id = ?1 AND kind = 'position'
                     AND abs(value - ?2) < 1e-12",
                    (PAGE, acked),
                    |row| row.get(0),
                )?;
                Ok::<_, ProgressError>((integrity, found))
            })
            .unwrap();
        assert_eq!(integrity, "ok", "trial {trial}");
        assert_eq!(
            found, 1,
            "trial {trial}: the last acknowledged position ({acked}) is in the database"
        );
    }
}
