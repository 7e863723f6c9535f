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
