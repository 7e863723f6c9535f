//! The weekly plan of the real demo course, installed from its package, with progress recorded
//! in a real progress database: deadlines come from its quiz and assignment files, time on task
//! and completions from the event log.

use carrel_core::plan::{Learner, PlanPhase, plan_installed};
use carrel_core::progress::{Event, EventKind, ProgressDb, new_event_id};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::{DEMO, demo_library};

fn event(item: &str, kind: EventKind, at: &str, value: Option<f64>) -> Event {
    Event {
        id: new_event_id(),
        course_id: DEMO.into(),
        item_id: item.into(),
        kind,
        at_ms: at.parse::<Timestamp>().unwrap().as_millisecond(),
        value,
        unit: None,
        end: None,
    }
}

#[test]
fn the_demo_course_plan_has_its_deadlines_progress_and_local_weeks() {
    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    db.record(&[
        // Sunday 21 Feb 2027, 23:30 in Zurich (22:30 UTC): week 1 there, week 2 in Manila.
        event(
            "b1-m1-framework-video",
            EventKind::TimeOnTask,
            "2027-02-21T22:30:00Z",
            Some(600.0),
        ),
        event(
            "b1-m1-how-it-works",
            EventKind::Completed,
            "2027-02-16T09:00:00Z",
            None,
        ),
    ])
    .unwrap();
    let now: Timestamp = "2027-02-17T12:00:00Z".parse().unwrap();

    let zurich = Learner::with_weekly_hours(6.0, TimeZone::get("Europe/Zurich").unwrap());
    let plan = plan_installed(&library, &db, DEMO, &zurich, now).unwrap();
    assert_eq!(plan.this_week.phase, PlanPhase::Running);
    assert_eq!(plan.this_week.week, 1);
    assert_eq!(plan.weeks.len(), 6, "15 Feb to 28 Mar 2027 is six weeks");
    let due: Vec<&str> = plan
        .weeks
        .iter()
        .flat_map(|week| week.items.iter())
        .filter(|item| item.due.is_some())
        .map(|item| item.item_id.as_str())
        .collect();
    for item in ["b3-final-assignment", "b2-group-case-study"] {
        assert!(
            due.contains(&item),
            "{item} has its deadline from the assignment file: {due:?}"
        );
    }
    assert!(
        plan.this_week
            .todo
            .iter()
            .all(|item| item.item_id != "b1-m1-how-it-works"),
        "a completed item is not left to do"
    );
    let week_of = |plan: &carrel_core::plan::WeeklyPlan| {
        plan.time_on_task
            .iter()
            .find(|week| week.seconds > 0.0)
            .and_then(|week| week.course_week)
    };
    assert_eq!(
        week_of(&plan),
        Some(1),
        "Sunday night in Zurich is still week 1"
    );

    let manila = Learner::with_weekly_hours(6.0, TimeZone::get("Asia/Manila").unwrap());
    let plan = plan_installed(&library, &db, DEMO, &manila, now).unwrap();
    assert_eq!(
        week_of(&plan),
        Some(2),
        "the same instant is Monday morning in Manila"
    );
}

/// The course server's changes `bodies`, numbered from `first_seq`, received by `db` as one
/// page of the changes feed.
fn receive(db: &ProgressDb, first_seq: i64, bodies: &[carrel_protocol::changes::ChangeBody]) {
    use carrel_protocol::changes::{Change, ChangesPage};
    let server = carrel_core::settings::ServerUrl::parse("http://127.0.0.1:9").unwrap();
    let changes: Vec<Change> = bodies
        .iter()
        .zip(first_seq..)
        .map(|(body, seq)| Change {
            seq,
            at_ms: 1,
            body: body.clone(),
        })
        .collect();
    let page = ChangesPage {
        cursor: changes.last().map_or(first_seq - 1, |change| change.seq),
        changes,
        more: false,
    };
    carrel_core::sync::changes::apply(db, &server, 1, &page).unwrap();
}

#[test]
fn the_learners_own_due_date_from_the_server_replaces_the_packages_in_the_plan_and_calendar() {
    use carrel_core::plan::{calendar_installed, ics::CalendarWords, reminders_installed};
    use carrel_protocol::changes::{ChangeBody, ScheduleNotice};

    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let manila = Learner::with_weekly_hours(6.0, TimeZone::get("Asia/Manila").unwrap());
    let now: Timestamp = "2027-03-20T12:00:00Z".parse().unwrap();
    let due_of = |plan: &carrel_core::plan::WeeklyPlan, item: &str| {
        plan.calendar
            .deadlines
            .iter()
            .find(|deadline| deadline.item_id == item)
            .map(|deadline| deadline.due.at_ms)
    };
    let package_due: Timestamp = "2027-03-26T22:59:00Z".parse().unwrap();
    let plan = plan_installed(&library, &db, DEMO, &manila, now).unwrap();
    assert_eq!(
        due_of(&plan, "b3-final-assignment"),
        Some(package_due.as_millisecond())
    );

    // The tutor gives this learner until 2 April, 17:00 in Zurich.
    let extended: Timestamp = "2027-04-02T15:00:00Z".parse().unwrap();
    let schedule = |due: Option<&str>| {
        ChangeBody::Schedule(ScheduleNotice {
            course_id: DEMO.into(),
            item_id: "b3-final-assignment".into(),
            due: due.map(str::to_owned),
            reason: Some("illness".into()),
        })
    };
    receive(&db, 1, &[schedule(Some("2027-04-02T17:00:00+02:00"))]);
    let plan = plan_installed(&library, &db, DEMO, &manila, now).unwrap();
    assert_eq!(
        due_of(&plan, "b3-final-assignment"),
        Some(extended.as_millisecond()),
        "the extension is the deadline in the calendar"
    );
    let ics = calendar_installed(&library, &db, DEMO, &CalendarWords::english(), now).unwrap();
    assert!(ics.contains("DTSTART:20270402T150000Z"), "{ics}");
    assert!(!ics.contains("DTSTART:20270326T225900Z"), "{ics}");
    let reminded = |at: &str| {
        reminders_installed(&library, &db, DEMO, at.parse().unwrap())
            .unwrap()
            .into_iter()
            .filter(|reminder| reminder.item_id == "b3-final-assignment")
            .count()
    };
    assert_eq!(reminded("2027-03-26T12:00:00Z"), 0, "not on the old date");
    assert_eq!(reminded("2027-04-02T12:00:00Z"), 1, "on the new one");

    // Then no limit at all: no deadline.
    receive(&db, 2, &[schedule(None)]);
    let plan = plan_installed(&library, &db, DEMO, &manila, now).unwrap();
    assert_eq!(due_of(&plan, "b3-final-assignment"), None);
}

#[test]
fn sessions_the_course_team_adds_moves_or_cancels_on_the_server_reach_the_calendar() {
    use carrel_core::plan::{calendar_installed, ics::CalendarWords, session_installed};
    use carrel_protocol::changes::{ChangeBody, SessionNotice};

    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let session = |item: &str, id: &str, starts: Option<&str>| SessionNotice {
        course_id: DEMO.into(),
        item_id: item.into(),
        session_id: id.into(),
        starts: starts.map(str::to_owned),
        time_zone: starts.map(|_| "Europe/Zurich".to_owned()),
        duration_minutes: starts.map(|_| 60),
        join_url: starts.map(|_| format!("https://example.org/moved/{id}")),
        presenter: None,
    };
    let changes = [
        // Geneva moves a day later, an hour long.
        session(
            "b1-webinar",
            "b1-webinar-geneva",
            Some("2027-02-25T14:00:00+01:00"),
        ),
        // A third session is added…
        session(
            "b1-webinar",
            "b1-webinar-extra",
            Some("2027-03-01T09:00:00+01:00"),
        ),
        // …Manila is cancelled…
        session("b1-webinar", "b1-webinar-manila", None),
        // …and a change for an item that is not a webinar is ignored.
        session(
            "b3-final-assignment",
            "x",
            Some("2027-03-02T09:00:00+01:00"),
        ),
    ];
    let bodies: Vec<ChangeBody> = changes.into_iter().map(ChangeBody::Session).collect();
    receive(&db, 1, &bodies);

    let manila = Learner::with_weekly_hours(6.0, TimeZone::get("Asia/Manila").unwrap());
    let now: Timestamp = "2027-02-17T12:00:00Z".parse().unwrap();
    let plan = plan_installed(&library, &db, DEMO, &manila, now).unwrap();
    let sessions: Vec<(&str, String, i64)> = plan
        .calendar
        .sessions
        .iter()
        .filter(|s| s.item_id == "b1-webinar")
        .map(|s| {
            (
                s.session_id.as_str(),
                s.starts.local.to_string(),
                (s.ends.at_ms - s.starts.at_ms) / 60_000,
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            ("b1-webinar-geneva", "2027-02-25T21:00:00".to_owned(), 60),
            ("b1-webinar-extra", "2027-03-01T16:00:00".to_owned(), 60),
        ],
        "moved, added, cancelled — on a Manila clock"
    );
    assert!(
        !plan
            .calendar
            .sessions
            .iter()
            .any(|s| s.item_id == "b3-final-assignment"),
        "no session for an item that is not a webinar"
    );
    let joined = session_installed(&library, &db, DEMO, "b1-webinar", "b1-webinar-geneva")
        .unwrap()
        .and_then(|s| s.join_url);
    assert_eq!(
        joined.as_deref(),
        Some("https://example.org/moved/b1-webinar-geneva"),
        "Join uses the course team's address"
    );
    assert_eq!(
        session_installed(&library, &db, DEMO, "b1-webinar", "b1-webinar-manila").unwrap(),
        None
    );
    let ics = calendar_installed(&library, &db, DEMO, &CalendarWords::english(), now).unwrap();
    assert!(ics.contains("DTSTART:20270225T130000Z"), "{ics}");
    // The cancelled session is in the file as cancelled, so a calendar that imported it drops it.
    let manila = ics
        .split("BEGIN:VEVENT")
        .find(|event| event.contains("UID:session.b1-webinar-manila."))
        .expect("the cancelled session's event");
    assert!(manila.contains("STATUS:CANCELLED"), "{manila}");
    assert_eq!(ics.matches("STATUS:CANCELLED").count(), 1, "{ics}");
}

#[test]
fn a_recording_joins_its_session_stays_when_the_session_moves_and_shows_once_downloaded() {
    use carrel_protocol::changes::{ChangeBody, RecordingNotice, SessionNotice};

    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let sha256 = "ab".repeat(32);
    let recording = |session: &str| {
        ChangeBody::Recording(RecordingNotice {
            course_id: DEMO.into(),
            item_id: "b1-webinar".into(),
            session_id: session.into(),
            sha256: sha256.clone(),
            size: 1234,
            media_type: "video/mp4".into(),
            url: format!("/api/v1/courses/{DEMO}/recordings/{sha256}"),
        })
    };
    let bodies = [
        recording("b1-webinar-geneva"),
        // A recording of a session the course does not have is ignored.
        recording("no-such-session"),
        // The recorded session is moved afterwards: it keeps its recording.
        ChangeBody::Session(SessionNotice {
            course_id: DEMO.into(),
            item_id: "b1-webinar".into(),
            session_id: "b1-webinar-geneva".into(),
            starts: Some("2027-02-24T15:00:00+01:00".into()),
            time_zone: Some("Europe/Zurich".into()),
            duration_minutes: Some(90),
            join_url: None,
            presenter: None,
        }),
    ];
    receive(&db, 1, &bodies);

    let zurich = Learner::with_weekly_hours(6.0, TimeZone::get("Europe/Zurich").unwrap());
    let now: Timestamp = "2027-03-01T12:00:00Z".parse().unwrap();
    let recorded = |plan: &carrel_core::plan::WeeklyPlan| -> Vec<(String, bool)> {
        plan.calendar
            .sessions
            .iter()
            .filter_map(|s| {
                let r = s.recording.as_ref()?;
                assert_eq!(r.size, 1234);
                Some((s.session_id.clone(), r.downloaded))
            })
            .collect()
    };
    let plan = plan_installed(&library, &db, DEMO, &zurich, now).unwrap();
    assert_eq!(
        recorded(&plan),
        [("b1-webinar-geneva".to_owned(), false)],
        "not downloaded yet"
    );
    let path = library.recording_path(DEMO, &sha256, "video/mp4");
    assert!(path.starts_with(library.recordings_dir(DEMO)));
    assert!(path.to_string_lossy().ends_with(&format!("{sha256}.mp4")));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"video").unwrap();
    let plan = plan_installed(&library, &db, DEMO, &zurich, now).unwrap();
    assert_eq!(recorded(&plan), [("b1-webinar-geneva".to_owned(), true)]);
}
