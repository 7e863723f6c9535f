//! Settings end to end: a learner changes every setting on the Settings screen of the real app —
//! language, theme, sync on metered connections, notifications, update channel, automatic
//! installs, the course server — and moves the course folder, after which Carrel restarts by
//! itself. Quit and started again, Carrel shows every choice as it was saved, still in French and
//! dark, with the courses in their new folder and still in the Library.

use std::path::{Path, PathBuf};
use std::time::Duration;

use carrel_e2e::{AppHome, Display, Session};
use carrel_server::testing::LoopbackServer;

use super::{APP, Running, launch};
use crate::assess::data_dir;
use crate::courses::{DEMO_ID, download_demo, serve_demo};

/// How long the copy and the restart after moving the course folder may take.
const RESTART_WAIT: Duration = Duration::from_secs(60);

/// Chooses `value` in the select `#id` the way a learner does (clicking its option), and waits
/// until the choice is saved (its confirmation is shown).
async fn choose(s: &Session, id: &str, value: &str) {
    s.click(&format!("#{id} option[value=\"{value}\"]"))
        .await
        .unwrap();
    s.wait_until(&format!(
        "document.getElementById('{id}').value === '{value}'"
    ))
    .await
    .unwrap_or_else(|error| panic!("#{id} shows {value:?}: {error}"));
    saved(s, id).await;
}

/// Clicks the checkbox `#id` and waits until its new state is saved.
async fn toggle(s: &Session, id: &str) {
    s.click(&format!("#{id}")).await.unwrap();
    saved(s, id).await;
}

/// Waits until the control `#id` confirms its change in its status region.
async fn saved(s: &Session, id: &str) {
    s.wait_until(&format!(
        "(document.getElementById('{id}-saved')?.textContent ?? '').trim() !== ''"
    ))
    .await
    .unwrap_or_else(|error| panic!("the change of #{id} is confirmed as saved: {error}"));
    assert!(
        !s.exists(&format!("#{id}-error")).await.unwrap(),
        "the backend accepted the change of #{id}"
    );
}

/// A value of the page: `script` is an expression.
async fn value(s: &Session, script: &str) -> serde_json::Value {
    s.eval(&format!("return ({script});")).await.unwrap()
}

/// The Carrel processes whose data is in `home` (the one the driver started, or the one it
/// restarted as, which the driver does not know).
fn apps_on(home: &AppHome) -> Vec<u32> {
    let Ok(binary) = Path::new(APP).canonicalize() else {
        return Vec::new();
    };
    let marker = format!("XDG_DATA_HOME={}", home.path().join("data").display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|byte| *byte == 0)
                    .any(|variable| variable == marker.as_bytes())
            })
        })
        .collect()
}

/// The saved settings file of the app in `home`.
fn settings_file(home: &AppHome) -> serde_json::Value {
    std::fs::read(data_dir(home).join("settings.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Waits until the app in `home` has moved its library from `old` to `target` and restarted
/// itself as a new process, which removes `old` as it starts; then quits that process (SIGTERM:
/// the driver cannot reach it to close its window) and ends the driver's session on the window
/// that went away.
async fn finish_after_restart(
    app: Running,
    home: &AppHome,
    before: &[u32],
    old: &Path,
    target: &Path,
) {
    let deadline = tokio::time::Instant::now() + RESTART_WAIT;
    let restarted = loop {
        let saved = settings_file(home)["libraryDir"] == target.display().to_string();
        let running = apps_on(home);
        let fresh: Vec<u32> = running
            .iter()
            .copied()
            .filter(|pid| !before.contains(pid))
            .collect();
        if saved && !fresh.is_empty() && before.iter().all(|pid| !running.contains(pid)) {
            break fresh;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "within {RESTART_WAIT:?} Carrel saves the new folder and restarts itself (saved: \
             {saved}, processes before {before:?}, now {running:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Let the restarted app start (it removes the old folder first) before it is stopped; if it
    // does not, the next launch does, and the test says so below.
    let deadline = tokio::time::Instant::now() + RESTART_WAIT;
    while old.exists() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for pid in &restarted {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while restarted.iter().any(|pid| apps_on(home).contains(pid)) {
        if tokio::time::Instant::now() > deadline {
            for pid in &restarted {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The window the session drove is gone: closing it may fail, and must not hang.
    let _ = tokio::time::timeout(Duration::from_secs(15), app.session.close()).await;
    drop(app._driver);
}

/// Asserts what Settings shows after a restart: every choice as saved.
async fn assert_settings_kept(s: &Session, server: &str, target: &Path) {
    s.click("#nav-settings").await.unwrap();
    s.wait_for("#settings-language").await.unwrap();
    assert_eq!(
        s.text("#screen-settings h1").await.unwrap(),
        "Paramètres",
        "Carrel starts in the language chosen (French)"
    );
    assert_eq!(
        s.text("#nav-library").await.unwrap().trim(),
        "Bibliothèque",
        "the navigation is French too"
    );
    s.wait_until("document.documentElement.dataset.theme === 'dark'")
        .await
        .expect("Carrel starts in the theme chosen (dark)");
    assert_eq!(
        value(s, "document.documentElement.lang").await,
        "fr",
        "the page's language follows, for screen readers"
    );
    for (id, expected) in [
        ("settings-language", "fr"),
        ("settings-theme", "dark"),
        ("settings-update-channel", "beta"),
    ] {
        assert_eq!(
            value(s, &format!("document.getElementById('{id}').value")).await,
            expected,
            "#{id} shows the saved choice"
        );
    }
    for (id, expected) in [
        ("settings-sync-metered", false),
        ("settings-notifications", false),
        ("settings-auto-install", true),
    ] {
        assert_eq!(
            value(s, &format!("document.getElementById('{id}').checked")).await,
            expected,
            "#{id} shows the saved choice"
        );
    }
    assert_eq!(
        value(s, "document.getElementById('settings-server-url').value").await,
        server,
        "the server address typed in Settings is kept"
    );
    assert_eq!(
        s.text("#server-url").await.unwrap(),
        server,
        "and is the server in use"
    );
    assert_eq!(
        s.text("#settings-library-dir").await.unwrap(),
        target.display().to_string(),
        "the courses are in the folder they were moved to"
    );
    assert_eq!(
        s.attr("#settings-library-dir", "data-default")
            .await
            .unwrap()
            .as_deref(),
        Some("false")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_setting_survives_restarts_and_the_courses_follow_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    let server = serve_demo(&server_dir).await;
    let other = LoopbackServer::start(&dir.path().join("other"))
        .await
        .unwrap();
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();
    // A new folder (with a space in its name) beside the test's others: the copy must create it.
    let target: PathBuf = dir.path().join("Carrel courses");
    let old_library = data_dir(&home).join("courses");

    // No CARREL_SERVER_URL: that would lock the address. The learner types it in Settings.
    let mut app = launch(&display, &home, None, "settings-every").await;
    let s = &mut app.session;
    s.click("#nav-settings").await.unwrap();
    s.wait_for("#settings-server-url").await.unwrap();
    s.fill("#settings-server-url", &server.url()).await.unwrap();
    s.click("#settings-save").await.unwrap();
    s.wait_for_text("#server-url", &server.url()).await.unwrap();
    download_demo(s).await;
    assert!(
        old_library.join("store.sqlite3").is_file(),
        "the course is installed in the default folder, {}",
        old_library.display()
    );

    s.click("#nav-settings").await.unwrap();
    s.wait_for("#settings-language").await.unwrap();
    assert_eq!(
        s.text("#settings-library-dir").await.unwrap(),
        old_library.display().to_string(),
        "Settings shows the default course folder"
    );
    assert_eq!(
        s.text("#screen-settings h1").await.unwrap(),
        "Settings",
        "a computer in English starts Carrel in English"
    );
    choose(s, "settings-language", "fr").await;
    assert_eq!(
        s.text("#screen-settings h1").await.unwrap(),
        "Paramètres",
        "the language applies at once"
    );
    choose(s, "settings-theme", "dark").await;
    assert_eq!(
        value(s, "document.documentElement.dataset.theme").await,
        "dark",
        "the theme applies at once"
    );
    s.screenshot("french-and-dark").await.unwrap();
    assert_eq!(
        value(
            s,
            "document.getElementById('settings-sync-metered').checked"
        )
        .await,
        true,
        "syncing on metered connections is on by default"
    );
    toggle(s, "settings-sync-metered").await;
    toggle(s, "settings-notifications").await;
    choose(s, "settings-update-channel", "beta").await;
    toggle(s, "settings-auto-install").await;
    assert_eq!(
        s.attr("#update-panel", "data-phase")
            .await
            .unwrap()
            .as_deref(),
        Some("unsupported"),
        "a copy run from the build folder says it cannot update itself"
    );

    s.fill("#settings-server-url", &other.url()).await.unwrap();
    s.click("#settings-save").await.unwrap();
    s.wait_for_text("#server-url", &other.url())
        .await
        .expect("the status bar switches to the new server");
    let file = settings_file(&home);
    assert_eq!(file["language"], "fr", "saved: {file}");
    assert_eq!(file["theme"], "dark", "saved: {file}");
    assert_eq!(file["syncHeld"], true, "saved: {file}");
    assert_eq!(file["notifications"], false, "saved: {file}");
    assert_eq!(file["updateChannel"], "beta", "saved: {file}");
    assert_eq!(file["autoInstallUpdates"], true, "saved: {file}");
    s.screenshot("all-changed").await.unwrap();

    // Moving the course folder copies it, then Carrel restarts by itself: the driver loses the
    // window, so that run is ended here and a fresh one started on the same data.
    let before = apps_on(&home);
    assert_eq!(before.len(), 1, "one Carrel runs on this home: {before:?}");
    s.fill("#settings-library-new", &target.display().to_string())
        .await
        .unwrap();
    s.click("#settings-library-move").await.unwrap();
    finish_after_restart(app, &home, &before, &old_library, &target).await;
    assert!(
        target.join("store.sqlite3").is_file(),
        "the courses were copied to {}",
        target.display()
    );
    assert!(
        !old_library.exists(),
        "the old folder is removed once Carrel has restarted on the new one"
    );

    let app = launch(&display, &home, None, "settings-every-moved").await;
    let s = &app.session;
    assert_settings_kept(s, &other.url(), &target).await;
    s.click("#nav-library").await.unwrap();
    s.wait_for(&format!("#course-open-{DEMO_ID}"))
        .await
        .expect("the course moved with its folder and is still in the Library");
    app.finish().await;

    // Quit and start again: nothing was only in memory.
    let mut app = launch(&display, &home, None, "settings-every-again").await;
    let s = &mut app.session;
    assert_settings_kept(s, &other.url(), &target).await;
    s.screenshot("settings-kept").await.unwrap();
    for (id, shot) in [
        ("settings-library-dir", "course-folder-kept"),
        ("update-panel", "updates-kept"),
    ] {
        s.eval(&format!(
            "document.getElementById('{id}').scrollIntoView({{ block: 'center' }})"
        ))
        .await
        .unwrap();
        s.screenshot(shot).await.unwrap();
    }
    s.click("#nav-library").await.unwrap();
    s.wait_for(&format!("#course-open-{DEMO_ID}"))
        .await
        .expect("the course is still in the Library after another restart");
    s.screenshot("library-kept").await.unwrap();
    app.finish().await;
    assert!(
        apps_on(&home).is_empty(),
        "no Carrel is left running on the test's data"
    );
    other.stop().await.unwrap();
    server.stop().await.unwrap();
}
