//! The course calendar end to end: a learner in Manila sees the demo course's webinar sessions and
//! deadlines on their clock and on the organisers', joins a session in their web browser (a
//! stand-in `xdg-open` on `PATH` records the address), is reminded of a session about to start
//! (recorded once in the progress database), and exports the calendar through the real save
//! dialog as an iCalendar file whose events sit at the right UTC instants; then the course team
//! moves a session on the server and the calendar and Join follow after a sync; and publishes its
//! recording, which the learner downloads and then watches with the server gone.

use std::time::{Duration, Instant};

use carrel_e2e::{AppHome, Display};
use carrel_package::SecretKey;
use carrel_protocol::auth::Role;

use super::assess::query;
use super::courses::{DEMO_ID, demo_package_edited, download_demo, open_demo, serve_package};
use super::launch_with_env;
use super::sync::{server_cli, sign_in, sync_now};

const GENEVA: &str = "b1-webinar-geneva";
const MANILA: &str = "b1-webinar-manila";

/// Waits up to `seconds` for `ready` to answer something.
fn wait_for<T>(seconds: u64, what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "waited {seconds} s for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// iCalendar content lines, unfolded.
fn unfolded(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for physical in text.split("\r\n") {
        match physical.strip_prefix(' ') {
            Some(rest) => lines.last_mut().unwrap().push_str(rest),
            None => lines.push(physical.to_owned()),
        }
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_course_calendar_shows_both_clocks_joins_reminds_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate().unwrap();
    // The Manila session starts in ten minutes: within a reminder's lead.
    let soon = jiff::Timestamp::from_second(
        (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(10)).as_second(),
    )
    .unwrap();
    let package = demo_package_edited(dir.path(), &key, "demo-session-soon", |copy| {
        let path = copy.join("course.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let original = "starts = \"2027-02-25T16:00:00+08:00\"";
        assert!(text.contains(original), "the demo's Manila session");
        // Written as the package format wants it: with the offset of the session's zone.
        let local = jiff::tz::TimeZone::get("Asia/Manila")
            .unwrap()
            .to_datetime(soon);
        let starts = format!("starts = \"{}+08:00\"", local.strftime("%Y-%m-%dT%H:%M:%S"));
        std::fs::write(&path, text.replace(original, &starts)).unwrap();
    });
    let server = serve_package(dir.path(), &package).await;
    server.account("ana", Role::Learner).await.unwrap();
    server
        .enrol("ana", DEMO_ID, Role::Learner, None)
        .await
        .unwrap();
    let display = Display::ensure().unwrap();
    let home = AppHome::new().unwrap();

    // The system's web browser, as Carrel reaches it on Linux (tauri-plugin-opener → xdg-open).
    let (opened, path) = super::fake_opener(dir.path());

    let mut app = launch_with_env(
        &display,
        &home,
        Some(&server.url()),
        &[],
        &[("TZ", "Asia/Manila".into()), ("PATH", path)],
        "calendar",
    )
    .await;
    let s = &mut app.session;
    download_demo(s).await;
    open_demo(s).await;
    s.wait_for(&format!("#calendar-session-{GENEVA}"))
        .await
        .unwrap();
    s.eval("document.getElementById('course-calendar').scrollIntoView(); return true;")
        .await
        .unwrap();
    s.screenshot("calendar").await.unwrap();

    // 14:00 in Zurich (UTC+1 in February) is 21:00 in Manila; both clocks are shown.
    assert_eq!(
        s.attr(&format!("#calendar-session-{GENEVA} time"), "datetime")
            .await
            .unwrap()
            .as_deref(),
        Some("2027-02-24T21:00:00")
    );
    let geneva = s
        .text(&format!("#calendar-session-{GENEVA} .other-zone"))
        .await
        .unwrap();
    assert!(geneva.contains("Europe/Zurich"), "{geneva}");
    // The session organised in Manila has one clock.
    assert!(
        !s.exists(&format!("#calendar-session-{MANILA} .other-zone"))
            .await
            .unwrap()
    );
    // The final assignment is due 23:59 in Zurich (UTC+1 in March): 06:59 the next day in Manila.
    assert_eq!(
        s.attr("#calendar-deadline-b3-final-assignment time", "datetime")
            .await
            .unwrap()
            .as_deref(),
        Some("2027-03-27T06:59:00")
    );

    // Join opens the address the course gives, in the web browser.
    s.eval(&format!(
        "document.querySelector('#calendar-session-{GENEVA} .join').click(); return true;"
    ))
    .await
    .unwrap();
    let browsed = wait_for(20, "the web browser to be asked", || {
        std::fs::read_to_string(&opened).ok()
    });
    assert_eq!(
        browsed.trim(),
        "https://example.org/webinar/b1-supervision-geneva"
    );

    // The session about to start is reminded, once.
    let key = format!("session b1-webinar {MANILA} {}", soon.as_millisecond());
    let shown = wait_for(90, "the reminder", || {
        let rows = query(&home, "SELECT course_id, key FROM reminders_shown", |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        });
        (!rows.is_empty()).then_some(rows)
    });
    assert_eq!(shown, [(DEMO_ID.to_owned(), key)]);

    // Exported through the real save dialog.
    let target = dir.path().join("exported").join("course.ics");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    s.eval("document.getElementById('course-calendar-export').click(); return true;")
        .await
        .unwrap();
    carrel_e2e::file_dialog::pick(&display, "Save the course calendar", &target).unwrap();
    s.wait_until("document.querySelector('#course-calendar .saved[data-path]') !== null")
        .await
        .unwrap();
    let ics = std::fs::read_to_string(&target).unwrap();
    let lines = unfolded(&ics);
    let event_of = |uid: &str| -> Vec<String> {
        let at = lines
            .iter()
            .position(|line| line == &format!("UID:{uid}"))
            .unwrap_or_else(|| panic!("no event {uid} in\n{ics}"));
        let end = at + lines[at..].iter().position(|l| l == "END:VEVENT").unwrap();
        lines[at..end].to_vec()
    };
    let geneva = event_of(&format!("session.{GENEVA}.b1-webinar.{DEMO_ID}@carrel"));
    assert!(
        geneva.contains(&"DTSTART:20270224T130000Z".to_owned()),
        "{geneva:?}"
    );
    assert!(
        geneva.contains(&"DTEND:20270224T143000Z".to_owned()),
        "{geneva:?}"
    );
    let manila = event_of(&format!("session.{MANILA}.b1-webinar.{DEMO_ID}@carrel"));
    let starts = format!("DTSTART:{}", soon.strftime("%Y%m%dT%H%M%SZ"));
    assert!(manila.contains(&starts), "{manila:?}");
    let due = event_of(&format!("deadline.b3-final-assignment.{DEMO_ID}@carrel"));
    assert!(
        due.contains(&"DTSTART:20270326T225900Z".to_owned()),
        "{due:?}"
    );
    assert!(
        due.iter().any(|line| line.starts_with("SUMMARY:Due: ")),
        "{due:?}"
    );

    // The course team moves the Geneva session on the server (its CLI); after a sync the learner's
    // calendar has the new time and Join the new address.
    sign_in(s, "ana").await;
    server_cli(
        server.db(),
        &[
            "session",
            DEMO_ID,
            "b1-webinar",
            GENEVA,
            "--starts",
            "2027-03-03T10:00:00+01:00",
            "--zone",
            "Europe/Zurich",
            "--minutes",
            "60",
            "--join",
            "https://example.org/webinar/moved",
        ],
    );
    sync_now(s).await;
    s.wait_for_attr(
        &format!("#calendar-session-{GENEVA} time"),
        "datetime",
        "2027-03-03T17:00:00",
    )
    .await
    .unwrap();
    s.screenshot("session-moved").await.unwrap();
    s.eval(&format!(
        "document.querySelector('#calendar-session-{GENEVA} .join').click(); return true;"
    ))
    .await
    .unwrap();
    wait_for(20, "the moved session's address", || {
        let text = std::fs::read_to_string(&opened).ok()?;
        (text.lines().count() == 2).then_some(())
    });
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap().lines().nth(1),
        Some("https://example.org/webinar/moved")
    );

    // The course team publishes the session's recording; the learner downloads it and, offline,
    // watches it in the system's media player (the stand-in records the file it was given).
    let video = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("courses/demo/assets/framework-at-a-glance.webm");
    let sha256 = server_cli(
        server.db(),
        &[
            "recording",
            DEMO_ID,
            "b1-webinar",
            GENEVA,
            video.to_str().unwrap(),
            "--data-dir",
            server.data().root().to_str().unwrap(),
        ],
    );
    sync_now(s).await;
    let download = format!("#calendar-session-{GENEVA} .recording .download");
    s.wait_for(&download).await.unwrap();
    s.eval(&format!(
        "document.querySelector('{download}').click(); return true;"
    ))
    .await
    .unwrap();
    s.wait_for_attr(
        &format!("#calendar-session-{GENEVA} .recording"),
        "data-downloaded",
        "true",
    )
    .await
    .unwrap();
    server.stop().await.unwrap();
    s.eval(&format!(
        "document.querySelector('#calendar-session-{GENEVA} .recording .watch').click(); \
         return true;"
    ))
    .await
    .unwrap();
    let played = wait_for(20, "the media player to be asked", || {
        let text = std::fs::read_to_string(&opened).ok()?;
        text.lines().nth(2).map(str::to_owned)
    });
    assert!(
        played.ends_with(&format!("{}.webm", sha256.trim())),
        "the downloaded recording: {played}"
    );
    assert_eq!(
        std::fs::read(&played).unwrap(),
        std::fs::read(&video).unwrap(),
        "byte for byte"
    );
    s.eval(&format!(
        "document.getElementById('calendar-session-{GENEVA}').scrollIntoView(); return true;"
    ))
    .await
    .unwrap();
    s.screenshot("recording").await.unwrap();

    app.finish().await;
}
