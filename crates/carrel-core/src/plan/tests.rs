//! Tests of the weekly plan: week arithmetic across zones and daylight-saving changes, scheduling,
//! pace, workload, time on task, missing data and the wire shape.

use carrel_package::manifest::{self, Manifest};
use jiff::civil::{Date, DateTime, Weekday, date};
use proptest::prelude::*;
use ts_rs::TS;

use super::*;

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/// The zones of the acceptance criteria, and one more without daylight saving in the Americas.
const ZONES: [&str; 5] = [
    "Europe/Zurich",
    "America/New_York",
    "Asia/Manila",
    "Australia/Sydney",
    "America/Bogota",
];

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

/// The instant a local clock in `zone_name` shows `datetime`.
fn local(zone_name: &str, datetime: DateTime) -> Timestamp {
    zone(zone_name).to_timestamp(datetime).unwrap()
}

fn learner(zone_name: &str, hours: f64) -> Learner {
    Learner::with_weekly_hours(hours, zone(zone_name))
}

fn item(id: &str, kind: PlanItemKind, minutes: Option<u32>) -> PlanItem {
    PlanItem {
        id: id.into(),
        title: format!("Title of {id}"),
        kind,
        minutes,
        length_minutes: None,
    }
}

fn page(id: &str, minutes: u32) -> PlanItem {
    item(id, PlanItemKind::Page, Some(minutes))
}

fn module(id: &str, items: Vec<PlanItem>) -> PlanModule {
    PlanModule {
        id: id.into(),
        title: format!("Module {id}"),
        items,
    }
}

/// A module of one page of `minutes`.
fn module_of(id: &str, minutes: u32) -> PlanModule {
    module(id, vec![page(&format!("{id}-page"), minutes)])
}

fn block(id: &str, week: Option<u32>, modules: Vec<PlanModule>) -> PlanBlock {
    PlanBlock {
        id: id.into(),
        title: format!("Block {id}"),
        week,
        modules,
    }
}

/// Monday 2027-03-22: the course start of the acceptance criteria.
const MONDAY: Date = date(2027, 3, 22);

/// Six weeks from Monday 2027-03-22 to Sunday 2027-05-02, one block a week, each one module of
/// 300 one-minute pages (`w{week}-{n}`), so any number of minutes done can be made.
fn minute_course() -> PlanCourse {
    let blocks = (1..=6)
        .map(|week| {
            let items = (0..300).map(|n| page(&format!("w{week}-{n}"), 1)).collect();
            block(
                &format!("b{week}"),
                Some(week),
                vec![module(&format!("m{week}"), items)],
            )
        })
        .collect();
    PlanCourse {
        starts: Some(MONDAY),
        ends: Some(date(2027, 5, 2)),
        blocks,
        ..PlanCourse::default()
    }
}

/// The first `n` items of the course, completed at `at`.
fn first_done(course: &PlanCourse, n: usize, at: Timestamp) -> LearnerProgress {
    LearnerProgress {
        completed: course.items().take(n).map(|i| (i.id.clone(), at)).collect(),
        time_on_task: Vec::new(),
    }
}

/// Like the demo course: blocks at weeks 1, 3 and 5 of six, three modules each with the demo's
/// minutes.
fn demo_like_course() -> PlanCourse {
    let modules = |block: &str, minutes: [u32; 3]| {
        (1..=3)
            .zip(minutes)
            .map(|(n, m)| module_of(&format!("{block}-m{n}"), m))
            .collect()
    };
    PlanCourse {
        starts: Some(date(2027, 2, 15)),
        ends: Some(date(2027, 3, 28)),
        blocks: vec![
            block("b1", Some(1), modules("b1", [167, 110, 200])),
            block("b2", Some(3), modules("b2", [150, 55, 575])),
            block("b3", Some(5), modules("b3", [145, 190, 585])),
        ],
        ..PlanCourse::default()
    }
}

fn plan(
    course: &PlanCourse,
    learner: &Learner,
    progress: &LearnerProgress,
    now: Timestamp,
) -> WeeklyPlan {
    build_weekly_plan(course, learner, progress, now).unwrap()
}

fn module_ids(week: &PlanWeek) -> Vec<&str> {
    let mut ids: Vec<&str> = week.items.iter().map(|i| i.module_id.as_str()).collect();
    ids.dedup();
    ids
}

// ---------------------------------------------------------------------------------------------
// Weeks across zones and daylight-saving changes
// ---------------------------------------------------------------------------------------------

#[test]
fn a_week_with_a_clock_change_has_167_or_169_hours() {
    // Europe/Zurich springs forward on Sunday 2027-03-28 (week 1); Australia/Sydney falls back on
    // Sunday 2027-04-04 (week 2); New York changed on 2027-03-14, before the course; Manila and
    // Bogota keep one offset all year.
    let cases = [
        ("Europe/Zurich", [167, 168, 168, 168, 168, 168]),
        ("America/New_York", [168; 6]),
        ("Asia/Manila", [168; 6]),
        ("Australia/Sydney", [168, 169, 168, 168, 168, 168]),
        ("America/Bogota", [168; 6]),
    ];
    let course = minute_course();
    for (name, hours) in cases {
        let now = local(name, date(2027, 3, 24).at(12, 0, 0, 0));
        let plan = plan(
            &course,
            &learner(name, 5.0),
            &LearnerProgress::default(),
            now,
        );
        let found: Vec<u32> = plan.weeks.iter().map(|w| w.hours).collect();
        assert_eq!(found, hours, "week lengths in {name}");
        for week in &plan.weeks {
            assert_eq!(
                i64::from(week.hours) * 3_600_000,
                week.ends_ms - week.starts_ms,
                "{name}: `hours` is the real length of week {}",
                week.number
            );
            let starts = Timestamp::from_millisecond(week.starts_ms).unwrap();
            assert_eq!(
                zone(name).to_datetime(starts),
                week.monday.at(0, 0, 0, 0),
                "{name}: week {} starts on Monday at local midnight",
                week.number
            );
            assert_eq!(week.monday.weekday(), Weekday::Monday);
            assert_eq!(week.sunday.weekday(), Weekday::Sunday);
        }
    }
}

#[test]
fn the_new_york_change_before_the_course_is_in_a_167_hour_week_outside_it() {
    let name = "America/New_York";
    let course = minute_course();
    let progress = LearnerProgress {
        time_on_task: vec![TimeOnTask {
            at: local(name, date(2027, 3, 14).at(12, 0, 0, 0)),
            seconds: 600.0,
        }],
        ..LearnerProgress::default()
    };
    let now = local(name, date(2027, 3, 24).at(12, 0, 0, 0));
    let plan = plan(&course, &learner(name, 5.0), &progress, now);
    let early = &plan.time_on_task[0];
    assert_eq!(
        early.monday,
        date(2027, 3, 8),
        "Sunday the 14th belongs to the week of Monday the 8th"
    );
    assert_eq!(early.course_week, None, "that week is not a course week");
    assert_eq!(early.seconds, 600.0);
    assert_eq!(
        early.ends_ms - early.starts_ms,
        167 * 3_600_000,
        "New York springs forward on 2027-03-14"
    );
}

#[test]
fn time_on_task_around_sunday_midnight_lands_in_the_right_week_in_every_zone() {
    let course = minute_course();
    for name in ZONES {
        let event = |datetime: DateTime, seconds: f64| TimeOnTask {
            at: local(name, datetime),
            seconds,
        };
        let progress = LearnerProgress {
            time_on_task: vec![
                event(date(2027, 3, 21).at(23, 59, 59, 0), 3.0),
                event(date(2027, 3, 22).at(0, 0, 0, 0), 5.0),
                event(date(2027, 3, 28).at(23, 59, 59, 999_000_000), 7.0),
                event(date(2027, 3, 29).at(0, 0, 0, 0), 11.0),
                event(date(2027, 4, 4).at(23, 59, 59, 0), 13.0),
                event(date(2027, 4, 5).at(0, 0, 0, 0), 17.0),
                event(date(2027, 5, 3).at(0, 0, 0, 0), 19.0),
            ],
            ..LearnerProgress::default()
        };
        let now = local(name, date(2027, 4, 6).at(9, 0, 0, 0));
        let plan = plan(&course, &learner(name, 5.0), &progress, now);
        let weeks: Vec<(Date, Option<u32>, f64)> = plan
            .time_on_task
            .iter()
            .map(|w| (w.monday, w.course_week, w.seconds))
            .collect();
        assert_eq!(
            weeks,
            vec![
                (date(2027, 3, 15), None, 3.0),
                (date(2027, 3, 22), Some(1), 5.0 + 7.0),
                (date(2027, 3, 29), Some(2), 11.0 + 13.0),
                (date(2027, 4, 5), Some(3), 17.0),
                (date(2027, 4, 12), Some(4), 0.0),
                (date(2027, 4, 19), Some(5), 0.0),
                (date(2027, 4, 26), Some(6), 0.0),
                (date(2027, 5, 3), None, 19.0),
            ],
            "in {name}, an event just before local Monday midnight belongs to the week before it, \
             one exactly at midnight to the new week; course weeks without activity are listed"
        );
    }
}

#[test]
fn a_zurich_deadline_at_sunday_2359_is_monday_morning_in_manila_and_in_its_next_week() {
    let mut course = minute_course();
    course.blocks[0].modules.push(module(
        "quiz-module",
        vec![item("quiz", PlanItemKind::Quiz, Some(20))],
    ));
    let due = local("Europe/Zurich", date(2027, 3, 28).at(23, 59, 0, 0));
    course.deadlines.push(PlanDeadline {
        item_id: "quiz".into(),
        due,
        zone: Some("Europe/Zurich".into()),
    });
    let cases = [
        // learner zone, the deadline on their clock, its course week there
        ("Asia/Manila", date(2027, 3, 29).at(5, 59, 0, 0), 2),
        ("Europe/Zurich", date(2027, 3, 28).at(23, 59, 0, 0), 1),
        ("America/Bogota", date(2027, 3, 28).at(16, 59, 0, 0), 1),
        ("America/New_York", date(2027, 3, 28).at(17, 59, 0, 0), 1),
        ("Australia/Sydney", date(2027, 3, 29).at(8, 59, 0, 0), 2),
    ];
    for (name, shown, week) in cases {
        let learner = learner(name, 5.0);
        let progress = LearnerProgress::default();
        let in_week = |number: i64| {
            let monday = MONDAY
                .checked_add(jiff::Span::new().days(7 * (number - 1)))
                .unwrap();
            local(name, monday.at(12, 0, 0, 0))
        };
        let during = plan(&course, &learner, &progress, in_week(week));
        assert_eq!(during.this_week.week, week as u32);
        let [deadline] = during.this_week.deadlines.as_slice() else {
            panic!(
                "{name}: the deadline falls in week {week}: {:?}",
                during.this_week
            );
        };
        assert_eq!(deadline.item_id, "quiz");
        assert_eq!(deadline.due.at_ms, due.as_millisecond());
        assert_eq!(
            deadline.due.local, shown,
            "{name}: shown on the learner's clock"
        );
        assert_eq!(
            deadline.due.week, week,
            "{name}: the deadline's course week"
        );
        assert_eq!(deadline.due.zone.as_deref(), Some("Europe/Zurich"));
        assert_eq!(
            deadline.due.zone_local,
            Some(date(2027, 3, 28).at(23, 59, 0, 0)),
            "{name}: and on the clock of the zone it was set in"
        );
        let other_week = if week == 1 { 2 } else { 1 };
        let other = plan(&course, &learner, &progress, in_week(other_week));
        assert!(
            other.this_week.deadlines.is_empty(),
            "{name}: the deadline is not in week {other_week}"
        );
        let planned = other.weeks[0]
            .items
            .iter()
            .find(|i| i.item_id == "quiz")
            .expect("the quiz stays planned in its block's week 1");
        assert_eq!(
            planned.due.as_ref().map(|d| d.local),
            Some(shown),
            "{name}: the planned item carries its deadline too"
        );
    }
}

#[test]
fn now_exactly_at_a_week_boundary_is_in_the_new_week() {
    let course = minute_course();
    for name in ZONES {
        let learner = learner(name, 5.0);
        let progress = LearnerProgress::default();
        let boundary = local(name, date(2027, 3, 29).at(0, 0, 0, 0));
        let at = plan(&course, &learner, &progress, boundary);
        assert_eq!(at.this_week.phase, PlanPhase::Running);
        assert_eq!(at.this_week.week, 2, "{name}: Monday 00:00 starts week 2");
        assert_eq!(at.this_week.monday, date(2027, 3, 29));
        assert_eq!(at.this_week.starts_ms, boundary.as_millisecond());
        assert_eq!(at.this_week.todo.len(), 300, "{name}: week 2's items to do");
        assert!(at.this_week.todo.iter().all(|i| i.week == 2));
        assert_eq!(
            at.this_week.overdue.len(),
            300,
            "{name}: week 1's items are now overdue"
        );
        assert_eq!(
            at.pace.planned_minutes, 300,
            "{name}: at the boundary week 1 is planned in full and week 2 not yet at all"
        );

        let before = boundary
            .checked_sub(jiff::SignedDuration::from_nanos(1))
            .unwrap();
        let just_before = plan(&course, &learner, &progress, before);
        assert_eq!(
            just_before.this_week.week, 1,
            "{name}: a nanosecond earlier"
        );
        assert!(just_before.this_week.overdue.is_empty());
    }
}

#[test]
fn the_course_starts_at_local_midnight_of_its_first_day() {
    let course = minute_course();
    for name in ZONES {
        let learner = learner(name, 5.0);
        let progress = LearnerProgress::default();
        let start = local(name, MONDAY.at(0, 0, 0, 0));
        let started = plan(&course, &learner, &progress, start);
        assert_eq!(started.this_week.phase, PlanPhase::Running, "{name}");
        assert_eq!(started.this_week.week, 1, "{name}");
        let before = start
            .checked_sub(jiff::SignedDuration::from_secs(1))
            .unwrap();
        let waiting = plan(&course, &learner, &progress, before);
        assert_eq!(waiting.this_week.phase, PlanPhase::NotStarted, "{name}");
        assert_eq!(waiting.this_week.week, 0, "{name}: week 0 before the start");
    }
}

// ---------------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------------

#[test]
fn blocks_with_gaps_spread_their_modules_over_their_weeks() {
    // The demo course's shape: blocks start in weeks 1, 3 and 5 of six.
    let course = demo_like_course();
    let now = local("Europe/Zurich", date(2027, 2, 15).at(9, 0, 0, 0));
    let plan = plan(
        &course,
        &learner("Europe/Zurich", 6.0),
        &LearnerProgress::default(),
        now,
    );
    let weeks: Vec<(Vec<&str>, u32)> = plan
        .weeks
        .iter()
        .map(|w| (module_ids(w), w.planned_minutes))
        .collect();
    assert_eq!(
        weeks,
        vec![
            // 477 minutes over two weeks: 238.5 a week. b1-m3 (200) would be mostly past it.
            (vec!["b1-m1", "b1-m2"], 277),
            (vec!["b1-m3"], 200),
            (vec!["b2-m1", "b2-m2"], 205),
            (vec!["b2-m3"], 575),
            (vec!["b3-m1", "b3-m2"], 335),
            (vec!["b3-m3"], 585),
        ],
        "each block's modules fill the weeks until the next block, in order"
    );
    assert_eq!(plan.total_minutes, 2177);
}

#[test]
fn a_block_without_a_week_shares_the_weeks_of_the_block_before_it() {
    let course = PlanCourse {
        starts: Some(MONDAY),
        ends: Some(date(2027, 5, 2)),
        blocks: vec![
            block(
                "a",
                Some(1),
                vec![module_of("a1", 100), module_of("a2", 100)],
            ),
            block("b", None, vec![module_of("b1", 100)]),
            block("c", Some(4), vec![module_of("c1", 100)]),
        ],
        ..PlanCourse::default()
    };
    let now = local("Asia/Manila", MONDAY.at(9, 0, 0, 0));
    let plan = plan(
        &course,
        &learner("Asia/Manila", 5.0),
        &LearnerProgress::default(),
        now,
    );
    let weeks: Vec<Vec<&str>> = plan.weeks.iter().map(module_ids).collect();
    assert_eq!(
        weeks,
        vec![
            vec!["a1"],
            vec!["a2"],
            vec!["b1"],
            vec!["c1"],
            vec![],
            vec![],
        ],
        "blocks a and b share weeks 1-3; c starts in week 4 and its spare weeks come at the end"
    );
}

#[test]
fn block_weeks_out_of_order_or_past_the_end_are_kept_in_range() {
    let course = PlanCourse {
        starts: Some(MONDAY),
        ends: Some(date(2027, 4, 11)), // three weeks
        blocks: vec![
            block("a", Some(0), vec![module_of("a1", 60)]),
            block("b", Some(3), vec![module_of("b1", 60)]),
            block("c", Some(2), vec![module_of("c1", 60)]),
            block("d", Some(9), vec![module_of("d1", 60)]),
        ],
        ..PlanCourse::default()
    };
    let now = local("Europe/Zurich", MONDAY.at(9, 0, 0, 0));
    let plan = plan(
        &course,
        &learner("Europe/Zurich", 5.0),
        &LearnerProgress::default(),
        now,
    );
    let weeks: Vec<Vec<&str>> = plan.weeks.iter().map(module_ids).collect();
    assert_eq!(
        weeks,
        vec![vec!["a1"], vec![], vec!["b1", "c1", "d1"]],
        "week 0 counts as 1, a week before the previous block's joins it, and a week past the \
         end is the last week"
    );
}

#[test]
fn dated_items_move_to_their_dates() {
    let zurich = "Europe/Zurich";
    let mut course = minute_course();
    let live = PlanItem {
        length_minutes: Some(90),
        ..item("live", PlanItemKind::Webinar, None)
    };
    course.blocks[0].modules.push(module(
        "dated",
        vec![
            item("late-quiz", PlanItemKind::Quiz, Some(20)),
            live,
            item("early-quiz", PlanItemKind::Quiz, Some(20)),
        ],
    ));
    course.deadlines = vec![
        PlanDeadline {
            item_id: "late-quiz".into(),
            due: local(zurich, date(2027, 4, 16).at(12, 0, 0, 0)),
            zone: None,
        },
        PlanDeadline {
            item_id: "early-quiz".into(),
            due: local(zurich, date(2027, 3, 10).at(12, 0, 0, 0)),
            zone: None,
        },
    ];
    course.sessions = vec![
        PlanSession {
            item_id: "live".into(),
            session_id: "second".into(),
            starts: local(zurich, date(2027, 4, 20).at(15, 0, 0, 0)),
            zone: zurich.into(),
            duration_minutes: 90,
            presenter: None,
            join_url: None,
            recording: None,
        },
        PlanSession {
            item_id: "live".into(),
            session_id: "first".into(),
            starts: local(zurich, date(2027, 4, 6).at(15, 0, 0, 0)),
            zone: zurich.into(),
            duration_minutes: 90,
            presenter: None,
            join_url: None,
            recording: None,
        },
    ];
    let now = local(zurich, date(2027, 4, 7).at(9, 0, 0, 0));
    let plan = plan(
        &course,
        &learner(zurich, 5.0),
        &LearnerProgress::default(),
        now,
    );
    let week_of = |id: &str| {
        plan.weeks
            .iter()
            .find(|w| w.items.iter().any(|i| i.item_id == id))
            .map(|w| w.number)
    };
    assert_eq!(
        week_of("late-quiz"),
        Some(1),
        "a deadline after the block's week does not delay the item"
    );
    assert_eq!(
        week_of("early-quiz"),
        Some(1),
        "a deadline before week 1 keeps the item in week 1"
    );
    assert_eq!(
        week_of("live"),
        Some(3),
        "a webinar goes to the week of its first session"
    );
    let sessions: Vec<&str> = plan
        .this_week
        .sessions
        .iter()
        .map(|s| s.session_id.as_str())
        .collect();
    assert_eq!(sessions, ["first"], "this week's sessions");
    let all_sessions: Vec<(&str, i64)> = plan
        .calendar
        .sessions
        .iter()
        .map(|s| (s.session_id.as_str(), s.ends.at_ms - s.starts.at_ms))
        .collect();
    assert_eq!(
        all_sessions,
        [("first", 90 * 60_000), ("second", 90 * 60_000)],
        "the course calendar holds every session, earliest first, with its end"
    );
    let all_deadlines: Vec<&str> = plan
        .calendar
        .deadlines
        .iter()
        .map(|d| d.item_id.as_str())
        .collect();
    assert_eq!(
        all_deadlines,
        ["early-quiz", "late-quiz"],
        "the course calendar holds every deadline, earliest first"
    );
    assert!(
        plan.this_week.todo.iter().any(|i| i.item_id == "live"),
        "the webinar is to do in the week of its session"
    );

    let mut earlier = course.clone();
    earlier.blocks[0].modules.pop();
    earlier.blocks[3].modules.push(module(
        "late",
        vec![item("late-quiz", PlanItemKind::Quiz, Some(20))],
    ));
    let earlier_plan = build_weekly_plan(
        &earlier,
        &learner(zurich, 5.0),
        &LearnerProgress::default(),
        now,
    )
    .unwrap();
    let week = earlier_plan
        .weeks
        .iter()
        .find(|w| w.items.iter().any(|i| i.item_id == "late-quiz"))
        .map(|w| w.number);
    assert_eq!(
        week,
        Some(4),
        "a quiz due on Friday of week 4 stays in its block's week 4"
    );
    earlier.deadlines[0].due = local(zurich, date(2027, 4, 2).at(12, 0, 0, 0));
    let capped = build_weekly_plan(
        &earlier,
        &learner(zurich, 5.0),
        &LearnerProgress::default(),
        now,
    )
    .unwrap();
    let week = capped
        .weeks
        .iter()
        .find(|w| w.items.iter().any(|i| i.item_id == "late-quiz"))
        .map(|w| w.number);
    assert_eq!(
        week,
        Some(2),
        "a quiz due in week 2 is planned in week 2, not after its deadline in week 4"
    );
}

#[test]
fn spread_fills_weeks_in_order_and_leaves_spare_weeks_at_the_end() {
    use schedule::spread;
    assert_eq!(spread(&[100], 3), [0], "one module opens its span");
    assert_eq!(spread(&[50, 50], 2), [0, 1]);
    assert_eq!(
        spread(&[10, 90], 2),
        [0, 1],
        "most of the second is past week 1's share"
    );
    assert_eq!(spread(&[90, 10], 2), [0, 1]);
    assert_eq!(
        spread(&[10, 10, 10, 100], 4),
        [0, 0, 0, 1],
        "spare weeks at the end"
    );
    assert_eq!(spread(&[60, 60, 60, 60], 2), [0, 0, 1, 1]);
    assert_eq!(
        spread(&[60, 60, 60, 60], 1),
        [0, 0, 0, 0],
        "one week holds everything"
    );
    assert_eq!(
        spread(&[0, 0, 0, 0], 2),
        [0, 0, 1, 1],
        "no minutes: each module counts as one"
    );
    assert_eq!(spread(&[], 3), Vec::<u32>::new());
}

proptest! {
    #[test]
    fn spread_keeps_order_and_never_skips_a_week(
        minutes in prop::collection::vec(0u64..600, 0..20),
        weeks in 1u32..8,
    ) {
        let offsets = schedule::spread(&minutes, weeks);
        prop_assert_eq!(offsets.len(), minutes.len());
        if let Some(first) = offsets.first() {
            prop_assert_eq!(*first, 0, "the first module opens the span");
        }
        for pair in offsets.windows(2) {
            prop_assert!(pair[0] <= pair[1], "modules stay in order: {:?}", offsets);
            prop_assert!(pair[1] - pair[0] <= 1, "no week left empty before work: {:?}", offsets);
        }
        prop_assert!(offsets.iter().all(|&o| o < weeks), "within the span: {:?}", offsets);
    }
}

// ---------------------------------------------------------------------------------------------
// Ahead or behind
// ---------------------------------------------------------------------------------------------

#[test]
fn pace_compares_done_minutes_with_planned_minutes_within_a_tolerance() {
    let zurich = "Europe/Zurich";
    let course = minute_course();
    // Thursday 12:00 of week 3 (a 168-hour week in Zurich): half of it has passed, so the plan
    // expects weeks 1 and 2 (600) and half of week 3 (150). The tolerance is a fifth of an average
    // week of 300 minutes.
    let now = local(zurich, date(2027, 4, 8).at(12, 0, 0, 0));
    let cases = [
        (750, PaceStatus::OnTrack, "exactly as planned"),
        (1200, PaceStatus::Ahead, "more than planned"),
        (300, PaceStatus::Behind, "less than planned"),
        (810, PaceStatus::OnTrack, "ahead by exactly the tolerance"),
        (
            811,
            PaceStatus::Ahead,
            "ahead by a minute more than the tolerance",
        ),
        (690, PaceStatus::OnTrack, "behind by exactly the tolerance"),
        (
            689,
            PaceStatus::Behind,
            "behind by a minute more than the tolerance",
        ),
    ];
    for (done, status, why) in cases {
        let progress = first_done(&course, done, now);
        let plan = plan(&course, &learner(zurich, 5.0), &progress, now);
        assert_eq!(plan.pace.planned_minutes, 750);
        assert_eq!(plan.pace.tolerance_minutes, 60);
        assert_eq!(plan.pace.done_minutes, done as u32);
        assert_eq!(plan.pace.difference_minutes, done as i64 - 750, "{why}");
        assert_eq!(plan.pace.status, status, "{why}");
    }
}

#[test]
fn the_tolerance_is_at_least_half_an_hour() {
    let mut course = minute_course();
    for block in &mut course.blocks {
        block.modules[0].items.truncate(50); // 50 minutes a week: a fifth would be 10
    }
    let plan = plan(
        &course,
        &learner("Asia/Manila", 1.0),
        &LearnerProgress::default(),
        local("Asia/Manila", MONDAY.at(0, 0, 0, 0)),
    );
    assert_eq!(plan.pace.tolerance_minutes, 30);
}

#[test]
fn the_current_week_accrues_by_real_time_so_a_167_hour_week_is_prorated_over_167_hours() {
    let zurich = "Europe/Zurich";
    let course = minute_course();
    // Thursday 12:00 of week 1 is 84 hours into a 167-hour week: 300 × 84 / 167 = 150.9.
    let now = local(zurich, date(2027, 3, 25).at(12, 0, 0, 0));
    let plan = plan(
        &course,
        &learner(zurich, 5.0),
        &LearnerProgress::default(),
        now,
    );
    assert_eq!(plan.pace.planned_minutes, 151);
}

#[test]
fn a_course_starting_midweek_accrues_from_its_first_day() {
    let mut course = minute_course();
    course.starts = Some(date(2027, 3, 24)); // a Wednesday
    let name = "Asia/Manila";
    // Thursday 12:00: 36 of the 120 hours from Wednesday 00:00 to Monday 00:00.
    let now = local(name, date(2027, 3, 25).at(12, 0, 0, 0));
    let plan = plan(
        &course,
        &learner(name, 5.0),
        &LearnerProgress::default(),
        now,
    );
    assert_eq!(
        plan.weeks[0].monday, MONDAY,
        "week 1 is the calendar week of the first day"
    );
    assert_eq!(plan.pace.planned_minutes, 90, "300 × 36 / 120");

    let tuesday = local(name, date(2027, 3, 23).at(12, 0, 0, 0));
    let waiting = build_weekly_plan(
        &course,
        &learner(name, 5.0),
        &LearnerProgress::default(),
        tuesday,
    )
    .unwrap();
    assert_eq!(waiting.this_week.phase, PlanPhase::NotStarted);
    assert_eq!(waiting.this_week.week, 0);
    assert_eq!(
        waiting.this_week.monday, MONDAY,
        "the calendar week is still shown"
    );
}

// ---------------------------------------------------------------------------------------------
// Before the start, after the end
// ---------------------------------------------------------------------------------------------

#[test]
fn before_the_start_nothing_is_due_yet() {
    let name = "America/Bogota";
    let course = minute_course();
    let now = local(name, date(2027, 3, 20).at(12, 0, 0, 0));
    let progress = first_done(&course, 10, now);
    let plan = plan(&course, &learner(name, 5.0), &progress, now);
    let this_week = &plan.this_week;
    assert_eq!(this_week.phase, PlanPhase::NotStarted);
    assert_eq!(this_week.week, 0);
    assert_eq!(this_week.monday, date(2027, 3, 15));
    assert!(this_week.todo.is_empty() && this_week.overdue.is_empty());
    assert_eq!(plan.pace.planned_minutes, 0);
    assert_eq!(
        plan.pace.status,
        PaceStatus::OnTrack,
        "10 minutes early is within the tolerance"
    );
    assert_eq!(
        plan.workload.remaining_weeks, 6.0,
        "all six weeks are ahead"
    );
    assert_eq!(plan.workload.remaining_minutes, 1790);
    assert_eq!(plan.workload.suggested_weekly_minutes, Some(299));
    assert_eq!(plan.weeks.len(), 6);
    assert_eq!(plan.first_day, MONDAY);
    assert_eq!(plan.last_day, date(2027, 5, 2));
}

#[test]
fn after_the_end_everything_not_done_is_overdue() {
    let name = "Australia/Sydney";
    let course = minute_course();
    let last_minute = local(name, date(2027, 5, 2).at(23, 59, 0, 0));
    let end = local(name, date(2027, 5, 3).at(0, 0, 0, 0));
    let progress = first_done(&course, 1500, last_minute);

    let running = plan(&course, &learner(name, 5.0), &progress, last_minute);
    assert_eq!(
        running.this_week.phase,
        PlanPhase::Running,
        "the last day counts"
    );
    assert_eq!(running.this_week.week, 6);

    let finished = plan(&course, &learner(name, 5.0), &progress, end);
    let this_week = &finished.this_week;
    assert_eq!(this_week.phase, PlanPhase::Finished);
    assert_eq!(this_week.week, 7, "weeks count on past the end");
    assert!(this_week.todo.is_empty());
    assert_eq!(this_week.overdue.len(), 300, "week 6 was not done");
    assert!(this_week.overdue.iter().all(|i| i.week == 6 && !i.done));
    assert_eq!(
        finished.pace.planned_minutes, 1800,
        "everything was planned by the end"
    );
    assert_eq!(finished.pace.status, PaceStatus::Behind);
    assert_eq!(finished.workload.remaining_weeks, 0.0);
    assert_eq!(finished.workload.suggested_weekly_minutes, None);
    assert!(!finished.workload.fits, "300 minutes remain and no time");

    let all_done = first_done(&course, 1800, last_minute);
    let complete = plan(&course, &learner(name, 5.0), &all_done, end);
    assert!(complete.this_week.overdue.is_empty());
    assert_eq!(complete.pace.status, PaceStatus::OnTrack);
    assert!(complete.workload.fits, "nothing remains");
}

// ---------------------------------------------------------------------------------------------
// Enough hours?
// ---------------------------------------------------------------------------------------------

#[test]
fn weekly_hours_that_do_not_cover_the_remaining_work_are_flagged() {
    let zurich = "Europe/Zurich";
    let course = minute_course();
    let start = local(zurich, MONDAY.at(0, 0, 0, 0));
    let nothing = LearnerProgress::default();

    // Six weeks on the learner's clock, although week 1 is an hour short.
    let five = plan(&course, &learner(zurich, 5.0), &nothing, start);
    assert_eq!(five.workload.remaining_weeks, 6.0);
    assert_eq!(five.workload.remaining_minutes, 1800);
    assert_eq!(five.workload.capacity_minutes, 1800);
    assert_eq!(five.workload.suggested_weekly_minutes, Some(300));
    assert!(five.workload.fits, "exactly enough is enough");

    let four = plan(&course, &learner(zurich, 4.0), &nothing, start);
    assert_eq!(four.workload.capacity_minutes, 1440);
    assert!(!four.workload.fits, "4 hours a week leave 6 hours undone");

    // Three weeks in with nothing done, 1800 minutes remain for three weeks.
    let week_four = local(zurich, date(2027, 4, 12).at(0, 0, 0, 0));
    let late = plan(&course, &learner(zurich, 5.0), &nothing, week_four);
    assert_eq!(late.workload.remaining_weeks, 3.0);
    assert_eq!(late.workload.suggested_weekly_minutes, Some(600));
    assert!(!late.workload.fits);
    let keen = plan(&course, &learner(zurich, 10.0), &nothing, week_four);
    assert!(keen.workload.fits, "10 hours a week catch up");

    // Done work does not count as remaining.
    let on_time = plan(
        &course,
        &learner(zurich, 5.0),
        &first_done(&course, 900, week_four),
        week_four,
    );
    assert_eq!(on_time.workload.remaining_minutes, 900);
    assert!(on_time.workload.fits);
}

// ---------------------------------------------------------------------------------------------
// Missing data
// ---------------------------------------------------------------------------------------------

#[test]
fn items_without_minutes_count_their_kinds_default() {
    let kinds = [
        (PlanItemKind::Page, None, 10),
        (PlanItemKind::Pdf, None, 20),
        (PlanItemKind::Video, Some(2), 2),
        (PlanItemKind::Video, None, 10),
        (PlanItemKind::File, None, 15),
        (PlanItemKind::Quiz, None, 20),
        (PlanItemKind::Assignment, None, 60),
        (PlanItemKind::Webinar, Some(90), 90),
        (PlanItemKind::Webinar, None, 60),
        (PlanItemKind::Forum, None, 20),
        (PlanItemKind::External, None, 20),
        (PlanItemKind::Scorm, None, 30),
        (PlanItemKind::Cmi5, None, 30),
    ];
    for (kind, length, minutes) in kinds {
        let item = PlanItem {
            length_minutes: length,
            ..item("x", kind, None)
        };
        assert_eq!(
            item.estimated_minutes(),
            minutes,
            "{kind:?} of length {length:?}"
        );
    }
    let estimated = PlanItem {
        length_minutes: Some(90),
        ..item("x", PlanItemKind::Video, Some(5))
    };
    assert_eq!(
        estimated.estimated_minutes(),
        5,
        "the author's estimate wins"
    );

    let course = PlanCourse {
        starts: Some(MONDAY),
        ends: Some(date(2027, 3, 28)),
        blocks: vec![block(
            "b",
            Some(1),
            vec![module(
                "m",
                vec![item("quiz", PlanItemKind::Quiz, None), page("p", 7)],
            )],
        )],
        ..PlanCourse::default()
    };
    let plan = plan(
        &course,
        &learner("Asia/Manila", 5.0),
        &LearnerProgress::default(),
        local("Asia/Manila", MONDAY.at(8, 0, 0, 0)),
    );
    let flags: Vec<(u32, bool)> = plan.weeks[0]
        .items
        .iter()
        .map(|i| (i.minutes, i.minutes_defaulted))
        .collect();
    assert_eq!(flags, [(20, true), (7, false)]);
    assert_eq!(plan.weeks[0].planned_minutes, 27);
}

#[test]
fn without_a_start_date_weeks_count_from_the_first_activity() {
    let name = "Asia/Manila";
    let mut course = demo_like_course();
    course.starts = None;
    course.ends = Some(date(2027, 3, 28)); // ignored without a start
    let first = local(name, date(2027, 3, 24).at(20, 0, 0, 0)); // a Wednesday
    let progress = LearnerProgress {
        completed: [(
            "b1-m1-page".to_owned(),
            local(name, date(2027, 3, 25).at(9, 0, 0, 0)),
        )]
        .into(),
        time_on_task: vec![TimeOnTask {
            at: first,
            seconds: 60.0,
        }],
    };
    let now = local(name, date(2027, 3, 30).at(9, 0, 0, 0));
    let plan = plan(&course, &learner(name, 5.0), &progress, now);
    assert_eq!(plan.anchor, PlanAnchor::FirstActivity);
    assert_eq!(plan.first_day, date(2027, 3, 24));
    assert_eq!(
        plan.weeks[0].monday, MONDAY,
        "week 1 is the week of the first activity"
    );
    assert_eq!(plan.this_week.phase, PlanPhase::Running);
    assert_eq!(plan.this_week.week, 2);
    // Without an end date the last block (920 minutes from week 5) takes as many weeks as
    // 300 minutes a week need: four, so eight in all.
    assert_eq!(plan.weeks.len(), 8);
    assert_eq!(plan.last_day, date(2027, 5, 16));
    assert_eq!(
        plan.weeks.last().map(module_ids),
        Some(vec![]),
        "a spare week at the end"
    );
}

#[test]
fn without_dates_or_activity_the_plan_is_a_preview_from_today() {
    let name = "America/New_York";
    let mut course = demo_like_course();
    course.starts = None;
    course.ends = None;
    let now = local(name, date(2027, 3, 31).at(10, 0, 0, 0)); // a Wednesday
    let plan = plan(
        &course,
        &learner(name, 5.0),
        &LearnerProgress::default(),
        now,
    );
    assert_eq!(plan.anchor, PlanAnchor::Preview);
    assert_eq!(plan.this_week.phase, PlanPhase::NotStarted);
    assert_eq!(plan.this_week.week, 0);
    assert_eq!(plan.first_day, date(2027, 3, 31));
    assert_eq!(plan.weeks[0].monday, date(2027, 3, 29));
    assert_eq!(plan.pace.planned_minutes, 0);
    assert_eq!(plan.pace.status, PaceStatus::OnTrack);
}

#[test]
fn a_course_without_any_block_week_is_one_run_as_long_as_the_hours_need() {
    let name = "Europe/Zurich";
    let course = PlanCourse {
        blocks: vec![
            block("a", None, vec![module_of("a1", 200), module_of("a2", 200)]),
            block("b", None, vec![module_of("b1", 200)]),
        ],
        ..PlanCourse::default()
    };
    let now = local(name, MONDAY.at(9, 0, 0, 0));
    let two_hours = plan(
        &course,
        &learner(name, 2.0),
        &LearnerProgress::default(),
        now,
    );
    assert_eq!(
        two_hours.weeks.iter().map(module_ids).collect::<Vec<_>>(),
        vec![vec!["a1"], vec!["a2"], vec!["b1"], vec![], vec![]],
        "600 minutes at 120 a week take five weeks"
    );
    let no_hours = plan(
        &course,
        &learner(name, 0.0),
        &LearnerProgress::default(),
        now,
    );
    assert_eq!(
        no_hours.weeks.len(),
        1,
        "no weekly time set: everything in one week"
    );
    assert!(!no_hours.workload.fits);
}

#[test]
fn an_empty_course_has_one_empty_week() {
    let course = PlanCourse {
        starts: Some(MONDAY),
        ..PlanCourse::default()
    };
    let now = local("Asia/Manila", MONDAY.at(9, 0, 0, 0));
    let plan = plan(
        &course,
        &learner("Asia/Manila", 5.0),
        &LearnerProgress::default(),
        now,
    );
    assert_eq!(plan.weeks.len(), 1);
    assert_eq!(plan.total_minutes, 0);
    assert!(plan.workload.fits);
    assert_eq!(plan.pace.status, PaceStatus::OnTrack);
}

#[test]
fn odd_weekly_hours_round_to_minutes_and_never_go_negative() {
    assert_eq!(learner("Asia/Manila", 7.5).weekly_minutes, 450);
    assert_eq!(learner("Asia/Manila", -3.0).weekly_minutes, 0);
    assert_eq!(learner("Asia/Manila", f64::NAN).weekly_minutes, 0);
}

#[test]
fn negative_and_non_finite_time_is_ignored() {
    let name = "Asia/Manila";
    let at = local(name, MONDAY.at(9, 0, 0, 0));
    let progress = LearnerProgress {
        time_on_task: [30.0, -5.0, f64::NAN, f64::INFINITY]
            .map(|seconds| TimeOnTask { at, seconds })
            .to_vec(),
        ..LearnerProgress::default()
    };
    let plan = plan(&minute_course(), &learner(name, 5.0), &progress, at);
    assert_eq!(plan.time_on_task[0].seconds, 30.0);
}

// ---------------------------------------------------------------------------------------------
// From the manifest, and to the UI
// ---------------------------------------------------------------------------------------------

fn manifest_item(id: &str, minutes: Option<u32>, kind: manifest::ItemKind) -> manifest::Item {
    manifest::Item {
        id: id.into(),
        title: id.into(),
        minutes,
        kind,
    }
}

fn demo_manifest() -> Manifest {
    let page = |id: &str, minutes| {
        manifest_item(
            id,
            Some(minutes),
            manifest::ItemKind::Page {
                path: "p.html".into(),
            },
        )
    };
    let block = |id: &str, week, items| manifest::Block {
        id: id.into(),
        title: id.into(),
        summary: String::new(),
        week,
        modules: vec![manifest::Module {
            id: format!("{id}-m"),
            title: id.into(),
            summary: String::new(),
            items,
        }],
    };
    let video = manifest_item(
        "video",
        None,
        manifest::ItemKind::Video {
            path: "v.webm".into(),
            captions: None,
            duration_seconds: Some(71),
        },
    );
    let session = |id: &str, starts: &str, minutes| manifest::WebinarSession {
        id: id.into(),
        starts: starts.parse().unwrap(),
        time_zone: "Europe/Zurich".into(),
        duration_minutes: minutes,
        join_url: None,
        presenter: None,
    };
    let webinar = manifest_item(
        "live",
        None,
        manifest::ItemKind::Webinar {
            description: String::new(),
            sessions: vec![
                session("s1", "2027-03-02T13:00:00Z", 90),
                session("s2", "2027-03-03T01:00:00Z", 75),
            ],
        },
    );
    Manifest::new(
        manifest::Course {
            id: "demo".into(),
            version: "1.0.0".into(),
            title: "Demo".into(),
            language: "en".into(),
            summary: String::new(),
            description: None,
            starts: Some(date(2027, 2, 15)),
            ends: Some(date(2027, 3, 28)),
            min_app_version: "0.1.0".into(),
            estimated_hours: Some(36),
            publisher: manifest::Publisher {
                name: "Publisher".into(),
                url: None,
            },
            certificate: None,
        },
        vec![
            block("block-1", Some(1), vec![page("intro", 15), video]),
            block("block-2", Some(3), vec![webinar]),
            block("block-3", Some(5), vec![page("end", 30)]),
        ],
        Vec::new(),
    )
}

#[test]
fn from_manifest_keeps_the_outline_dates_lengths_and_sessions() {
    let course = PlanCourse::from_manifest(&demo_manifest());
    assert_eq!(course.starts, Some(date(2027, 2, 15)));
    assert_eq!(course.ends, Some(date(2027, 3, 28)));
    let weeks: Vec<Option<u32>> = course.blocks.iter().map(|b| b.week).collect();
    assert_eq!(weeks, [Some(1), Some(3), Some(5)]);
    let minutes: Vec<(&str, PlanItemKind, u32)> = course
        .items()
        .map(|i| (i.id.as_str(), i.kind, i.estimated_minutes()))
        .collect();
    assert_eq!(
        minutes,
        [
            ("intro", PlanItemKind::Page, 15),
            ("video", PlanItemKind::Video, 2),
            ("live", PlanItemKind::Webinar, 90),
            ("end", PlanItemKind::Page, 30),
        ],
        "a 71-second video counts 2 minutes; a webinar its longest session"
    );
    let sessions: Vec<(&str, &str, u32)> = course
        .sessions
        .iter()
        .map(|s| {
            (
                s.item_id.as_str(),
                s.session_id.as_str(),
                s.duration_minutes,
            )
        })
        .collect();
    assert_eq!(sessions, [("live", "s1", 90), ("live", "s2", 75)]);
    assert!(
        course.deadlines.is_empty(),
        "deadlines come from definition files"
    );

    // Both sessions are in week 3 in Zurich; the second is on Wednesday morning in Manila, and
    // both still fall in week 3 there.
    let manila = "Asia/Manila";
    let now = local(manila, date(2027, 3, 1).at(9, 0, 0, 0));
    let plan = plan(
        &course,
        &learner(manila, 5.0),
        &LearnerProgress::default(),
        now,
    );
    assert_eq!(plan.this_week.week, 3);
    let shown: Vec<DateTime> = plan
        .this_week
        .sessions
        .iter()
        .map(|s| s.starts.local)
        .collect();
    assert_eq!(
        shown,
        [
            date(2027, 3, 2).at(21, 0, 0, 0),
            date(2027, 3, 3).at(9, 0, 0, 0)
        ]
    );
    assert_eq!(
        plan.this_week.sessions[1].starts.zone_local,
        Some(date(2027, 3, 3).at(2, 0, 0, 0)),
        "and in the session's own zone"
    );
}

#[test]
fn the_plan_crosses_to_the_ui_in_camel_case_with_ms_and_iso_dates() {
    let mut course = minute_course();
    course.deadlines.push(PlanDeadline {
        item_id: "w1-0".into(),
        due: local("Europe/Zurich", date(2027, 3, 28).at(23, 59, 0, 0)),
        zone: Some("Europe/Zurich".into()),
    });
    let now = local("Asia/Manila", date(2027, 3, 29).at(0, 0, 0, 0));
    let plan = plan(
        &course,
        &learner("Asia/Manila", 5.0),
        &LearnerProgress::default(),
        now,
    );
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["anchor"], "courseDates");
    assert_eq!(json["timeZone"], "Asia/Manila");
    assert_eq!(json["firstDay"], "2027-03-22");
    assert_eq!(json["thisWeek"]["phase"], "running");
    assert_eq!(json["thisWeek"]["monday"], "2027-03-29");
    assert_eq!(json["thisWeek"]["startsMs"], now.as_millisecond());
    assert_eq!(json["pace"]["status"], "behind");
    assert_eq!(json["weeks"][0]["items"][0]["kind"], "page");
    let deadline = &json["thisWeek"]["deadlines"][0]["due"];
    assert_eq!(deadline["local"], "2027-03-29T05:59:00");
    assert_eq!(deadline["zoneLocal"], "2027-03-28T23:59:00");
    assert!(json["timeOnTask"][0]["courseWeek"].is_u64());

    let cfg = ts_rs::Config::new();
    let week = PlanWeek::decl(&cfg);
    for field in [
        "startsMs: number",
        "monday: string",
        "plannedMinutes: number",
    ] {
        assert!(week.contains(field), "{field} in {week}");
    }
    let time = PlanTime::decl(&cfg);
    assert!(time.contains("zoneLocal: string | null"), "{time}");
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// Zones with daylight saving north and south, none, half-hour and 45-minute offsets, and one
/// (America/Santiago) that changes its clocks at midnight.
const PROPERTY_ZONES: [&str; 9] = [
    "Europe/Zurich",
    "America/New_York",
    "Asia/Manila",
    "Australia/Sydney",
    "America/Bogota",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
    "UTC",
];

/// Instants within about two years around the course.
fn instant() -> impl Strategy<Value = Timestamp> {
    let start = local("UTC", MONDAY.at(0, 0, 0, 0));
    let year: i64 = 366 * 24 * 3600;
    (-year..2 * year).prop_map(move |s| {
        start
            .checked_add(jiff::SignedDuration::from_secs(s))
            .unwrap()
    })
}

proptest! {
    #[test]
    fn weekly_time_on_task_adds_up_to_all_events_in_any_zone(
        zone_index in 0..PROPERTY_ZONES.len(),
        events in prop::collection::vec((instant(), 0u32..20_000), 0..40),
        now in instant(),
    ) {
        let name = PROPERTY_ZONES[zone_index];
        let progress = LearnerProgress {
            time_on_task: events
                .iter()
                .map(|&(at, seconds)| TimeOnTask { at, seconds: f64::from(seconds) })
                .collect(),
            ..LearnerProgress::default()
        };
        let plan = plan(&minute_course(), &learner(name, 5.0), &progress, now);
        let total: f64 = progress.time_on_task.iter().map(|e| e.seconds).sum();
        let by_week: f64 = plan.time_on_task.iter().map(|w| w.seconds).sum();
        prop_assert_eq!(by_week, total, "whole seconds add up exactly");
        for event in &progress.time_on_task {
            let at = event.at.as_millisecond();
            let holding: Vec<&WeekTimeOnTask> = plan
                .time_on_task
                .iter()
                .filter(|w| w.starts_ms <= at && at < w.ends_ms)
                .collect();
            prop_assert_eq!(holding.len(), 1, "exactly one week holds each event");
            let monday = zone(name).to_datetime(event.at).date();
            let monday = monday
                .checked_sub(jiff::Span::new().days(monday.weekday().to_monday_zero_offset()))
                .unwrap();
            prop_assert_eq!(holding[0].monday, monday, "the week of the local date");
        }
        for pair in plan.time_on_task.windows(2) {
            prop_assert!(pair[0].ends_ms <= pair[1].starts_ms, "weeks in order, apart");
        }
        for week in &plan.time_on_task {
            let starts = Timestamp::from_millisecond(week.starts_ms).unwrap();
            prop_assert_eq!(zone(name).to_datetime(starts).date(), week.monday);
        }
    }

    #[test]
    fn planned_minutes_never_decrease_as_time_passes(
        zone_index in 0..PROPERTY_ZONES.len(),
        a in instant(),
        b in instant(),
    ) {
        let name = PROPERTY_ZONES[zone_index];
        let course = demo_like_course();
        let (earlier, later) = (a.min(b), a.max(b));
        let nothing = LearnerProgress::default();
        let first = plan(&course, &learner(name, 6.0), &nothing, earlier);
        let second = plan(&course, &learner(name, 6.0), &nothing, later);
        prop_assert!(first.pace.planned_minutes <= second.pace.planned_minutes);
        prop_assert!(first.this_week.week <= second.this_week.week);
        prop_assert!(second.pace.planned_minutes <= second.total_minutes);
        prop_assert!(first.workload.remaining_weeks >= second.workload.remaining_weeks);
    }
}

// ---------------------------------------------------------------------------------------------
// The course calendar: shown on both clocks, exported as iCalendar
// ---------------------------------------------------------------------------------------------

/// A course with one webinar whose sessions straddle the spring and autumn clock changes of
/// Zurich, New York and Sydney, and two deadlines, one set in Zurich.
fn dst_calendar_course() -> PlanCourse {
    let session = |id: &str, zone_name: &str, at: DateTime, minutes: u32| PlanSession {
        item_id: "live".into(),
        session_id: id.into(),
        starts: local(zone_name, at),
        zone: zone_name.into(),
        duration_minutes: minutes,
        presenter: Some("Elena Marchetti, facilitator; ILS".into()),
        join_url: Some(format!("https://example.org/webinar/{id}")),
        recording: None,
    };
    let mut course = PlanCourse {
        starts: Some(date(2027, 3, 1)),
        ends: Some(date(2027, 4, 30)),
        blocks: vec![block(
            "b1",
            None,
            vec![module(
                "m1",
                vec![
                    item("live", PlanItemKind::Webinar, Some(90)),
                    item("essay", PlanItemKind::Assignment, Some(60)),
                    item("quiz", PlanItemKind::Quiz, Some(20)),
                ],
            )],
        )],
        ..PlanCourse::default()
    };
    course.sessions = vec![
        // Clocks go forward at 02:00 on 28 March: 01:30 + 90 minutes is 04:00.
        session(
            "zurich-spring",
            "Europe/Zurich",
            date(2027, 3, 28).at(1, 30, 0, 0),
            90,
        ),
        // 01:00 EST + 2 hours on 14 March is 04:00 EDT.
        session(
            "new-york-spring",
            "America/New_York",
            date(2027, 3, 14).at(1, 0, 0, 0),
            120,
        ),
        // Clocks go back at 03:00 AEDT on 4 April: 02:00 AEDT + 90 minutes is 02:30 AEST.
        session(
            "sydney-autumn",
            "Australia/Sydney",
            date(2027, 4, 4).at(2, 0, 0, 0),
            90,
        ),
        // Summer time in Zurich: UTC+2.
        session(
            "zurich-summer",
            "Europe/Zurich",
            date(2027, 4, 20).at(14, 0, 0, 0),
            60,
        ),
    ];
    course.deadlines = vec![
        PlanDeadline {
            item_id: "essay".into(),
            due: local("Europe/Zurich", date(2027, 3, 28).at(23, 59, 0, 0)),
            zone: Some("Europe/Zurich".into()),
        },
        PlanDeadline {
            item_id: "quiz".into(),
            due: "2027-03-20T12:00:00Z".parse().unwrap(),
            zone: None,
        },
    ];
    course
}

/// The events of an iCalendar text: unfolded, one map of property → value per VEVENT.
fn ics_events(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    assert!(text.ends_with("\r\n"), "lines end in CRLF");
    let mut lines: Vec<String> = Vec::new();
    for physical in text.split("\r\n").filter(|line| !line.is_empty()) {
        assert!(
            physical.len() <= 75,
            "a line longer than 75 octets: {physical:?}"
        );
        match physical.strip_prefix(' ') {
            Some(rest) => lines
                .last_mut()
                .expect("a continuation first")
                .push_str(rest),
            None => lines.push(physical.to_owned()),
        }
    }
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    let mut events = Vec::new();
    let mut current: Option<std::collections::BTreeMap<String, String>> = None;
    for line in lines {
        let (name, value) = line.split_once(':').expect("NAME:value");
        match (name, value) {
            ("BEGIN", "VEVENT") => current = Some(Default::default()),
            ("END", "VEVENT") => events.push(current.take().expect("an open event")),
            _ => {
                if let Some(event) = current.as_mut() {
                    assert!(
                        event.insert(name.to_owned(), value.to_owned()).is_none(),
                        "{name} twice in one event"
                    );
                }
            }
        }
    }
    events
}

fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("a dangling backslash in {value:?}"),
            }
        } else {
            assert!(c != ';' && c != ',', "unescaped {c:?} in {value:?}");
            out.push(c);
        }
    }
    out
}

#[test]
fn sessions_across_clock_changes_show_on_the_learners_clock_and_their_own() {
    let course = dst_calendar_course();
    let now = local("Asia/Manila", date(2027, 3, 2).at(9, 0, 0, 0));
    for (learner_zone, expected_local) in [
        (
            "Asia/Manila",
            [
                (
                    "new-york-spring",
                    "2027-03-14T14:00:00",
                    "2027-03-14T16:00:00",
                ),
                (
                    "zurich-spring",
                    "2027-03-28T08:30:00",
                    "2027-03-28T10:00:00",
                ),
                (
                    "sydney-autumn",
                    "2027-04-03T23:00:00",
                    "2027-04-04T00:30:00",
                ),
                (
                    "zurich-summer",
                    "2027-04-20T20:00:00",
                    "2027-04-20T21:00:00",
                ),
            ],
        ),
        (
            "America/Bogota",
            [
                (
                    "new-york-spring",
                    "2027-03-14T01:00:00",
                    "2027-03-14T03:00:00",
                ),
                (
                    "zurich-spring",
                    "2027-03-27T19:30:00",
                    "2027-03-27T21:00:00",
                ),
                (
                    "sydney-autumn",
                    "2027-04-03T10:00:00",
                    "2027-04-03T11:30:00",
                ),
                (
                    "zurich-summer",
                    "2027-04-20T07:00:00",
                    "2027-04-20T08:00:00",
                ),
            ],
        ),
    ] {
        let plan = plan(
            &course,
            &learner(learner_zone, 5.0),
            &LearnerProgress::default(),
            now,
        );
        let shown: Vec<(&str, String, String)> = plan
            .calendar
            .sessions
            .iter()
            .map(|s| {
                (
                    s.session_id.as_str(),
                    s.starts.local.to_string(),
                    s.ends.local.to_string(),
                )
            })
            .collect();
        let expected: Vec<(&str, String, String)> = expected_local
            .iter()
            .map(|(id, starts, ends)| (*id, (*starts).to_owned(), (*ends).to_owned()))
            .collect();
        assert_eq!(
            shown, expected,
            "on the clock of a learner in {learner_zone}"
        );

        let own: Vec<(String, String)> = plan
            .calendar
            .sessions
            .iter()
            .map(|s| {
                (
                    s.starts.zone_local.unwrap().to_string(),
                    s.ends.zone_local.unwrap().to_string(),
                )
            })
            .collect();
        let own_expected = [
            ("2027-03-14T01:00:00", "2027-03-14T04:00:00"),
            ("2027-03-28T01:30:00", "2027-03-28T04:00:00"),
            ("2027-04-04T02:00:00", "2027-04-04T02:30:00"),
            ("2027-04-20T14:00:00", "2027-04-20T15:00:00"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()));
        assert_eq!(own, own_expected, "on the clock of each session's own zone");
        assert!(plan.calendar.sessions.iter().all(|s| s.joinable));
    }
}

#[test]
fn the_exported_calendar_places_every_event_at_its_utc_instant() {
    let course = dst_calendar_course();
    let stamp: Timestamp = "2027-03-01T08:00:00Z".parse().unwrap();
    let words = ics::CalendarWords {
        due: "À rendre\u{a0}: {title}".into(),
        course: "Cours\u{a0}: {title}".into(),
        presenter: "Animé par {name}".into(),
        join: "Rejoindre\u{a0}: {url}".into(),
    };
    let text = ics::course_calendar(
        "ilo-migration",
        "Migrant workers, rights and the ILO",
        &course,
        &[],
        &words,
        stamp,
    );
    let events = ics_events(&text);
    let summary: Vec<(String, Option<String>, String)> = events
        .iter()
        .map(|e| {
            (
                e["DTSTART"].clone(),
                e.get("DTEND").cloned(),
                unescape(&e["SUMMARY"]),
            )
        })
        .collect();
    let event = |start: &str, end: Option<&str>, summary: &str| {
        (start.to_owned(), end.map(str::to_owned), summary.to_owned())
    };
    assert_eq!(
        summary,
        [
            event(
                "20270314T060000Z",
                Some("20270314T080000Z"),
                "Title of live"
            ),
            event("20270320T120000Z", None, "À rendre\u{a0}: Title of quiz"),
            event(
                "20270328T003000Z",
                Some("20270328T020000Z"),
                "Title of live"
            ),
            event("20270328T215900Z", None, "À rendre\u{a0}: Title of essay"),
            event(
                "20270403T150000Z",
                Some("20270403T163000Z"),
                "Title of live"
            ),
            event(
                "20270420T120000Z",
                Some("20270420T130000Z"),
                "Title of live"
            ),
        ],
        "UTC instants, earliest first; a deadline has no end"
    );

    let descriptions: Vec<String> = events.iter().map(|e| unescape(&e["DESCRIPTION"])).collect();
    assert_eq!(
        descriptions[0],
        "Cours\u{a0}: Migrant workers, rights and the ILO\n\
         Animé par Elena Marchetti, facilitator; ILS\n\
         America/New_York: 2027-03-14 01:00–04:00\n\
         Rejoindre\u{a0}: https://example.org/webinar/new-york-spring"
    );
    assert!(
        descriptions[4].contains("Australia/Sydney: 2027-04-04 02:00–02:30"),
        "{}",
        descriptions[4]
    );
    assert_eq!(
        descriptions[3],
        "Cours\u{a0}: Migrant workers, rights and the ILO\nEurope/Zurich: 2027-03-28 23:59",
        "a deadline set in a zone is described on its clock"
    );
    assert_eq!(
        descriptions[1], "Cours\u{a0}: Migrant workers, rights and the ILO",
        "a deadline without a zone has no other clock"
    );
    assert_eq!(
        events[0].get("URL").map(String::as_str),
        Some("https://example.org/webinar/new-york-spring")
    );
    assert!(events.iter().all(|e| e["DTSTAMP"] == "20270301T080000Z"));

    // Exported again later, after a session moved and another was cancelled: the same UIDs, a
    // higher SEQUENCE, and the cancelled one marked so (a calendar importing it removes it).
    let mut moved = course.clone();
    moved.sessions[0].starts = local("Europe/Zurich", date(2027, 3, 28).at(10, 0, 0, 0));
    let gone = moved.sessions.remove(3);
    let later = ics::course_calendar(
        "ilo-migration",
        "Migrant workers, rights and the ILO",
        &moved,
        &[gone],
        &words,
        "2027-03-02T08:00:00Z".parse().unwrap(),
    );
    let uids = |events: &[std::collections::BTreeMap<String, String>]| {
        let mut uids: Vec<String> = events.iter().map(|e| e["UID"].clone()).collect();
        uids.sort();
        uids
    };
    let later_events = ics_events(&later);
    assert_eq!(uids(&events), uids(&later_events), "stable UIDs");
    assert_eq!(
        uids(&events)
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        6,
        "unique UIDs"
    );
    let sequence = |events: &[std::collections::BTreeMap<String, String>]| -> i64 {
        events[0]["SEQUENCE"].parse().unwrap()
    };
    assert!(
        sequence(&later_events) > sequence(&events),
        "the newer export wins"
    );
    assert!(
        (0..i64::from(i32::MAX)).contains(&sequence(&later_events)),
        "SEQUENCE fits RFC 5545's INTEGER"
    );
    let statuses: Vec<(String, Option<String>)> = later_events
        .iter()
        .map(|e| (e["UID"].clone(), e.get("STATUS").cloned()))
        .filter(|(_, status)| status.is_some())
        .collect();
    assert_eq!(
        statuses,
        [(
            "session.zurich-summer.live.ilo-migration@carrel".to_owned(),
            Some("CANCELLED".to_owned())
        )]
    );
}

#[test]
fn calendar_text_is_escaped_and_folded_without_splitting_characters() {
    let mut course = dst_calendar_course();
    let long = "Webinaire 2 : « Les organes de contrôle », commentaires; réponses \\ suites — \
                une lecture guidée, longue, très longue, pour plier la ligne plusieurs fois 🌍";
    course.blocks[0].modules[0].items[0].title = long.into();
    let text = ics::course_calendar(
        "c",
        "Cours; long, titre",
        &course,
        &[],
        &ics::CalendarWords::english(),
        "2027-03-01T08:00:00Z".parse().unwrap(),
    );
    // `ics_events` checks every physical line is at most 75 octets, and String holds only whole
    // UTF-8 characters, so a split character would not have been representable.
    let events = ics_events(&text);
    assert!(text.contains("\r\n "), "long lines are folded");
    let sessions: Vec<String> = events
        .iter()
        .filter(|e| e.contains_key("DTEND"))
        .map(|e| unescape(&e["SUMMARY"]))
        .collect();
    assert_eq!(sessions.len(), 4);
    assert!(sessions.iter().all(|s| s == long), "{sessions:?}");
    assert!(text.contains("X-WR-CALNAME:Cours\\; long\\, titre\r\n"));

    // A join address with a line break (as a hostile course or server could send) adds no line.
    course.sessions[0].join_url = Some("https://x.org/a\r\nBEGIN:VALARM\r\nX-EVIL:1".into());
    course.sessions[0].session_id = "s\r\nX-EVIL:2".into();
    let text = ics::course_calendar(
        "c",
        "C",
        &course,
        &[],
        &ics::CalendarWords::english(),
        "2027-03-01T08:00:00Z".parse().unwrap(),
    );
    let events = ics_events(&text);
    assert!(
        !text.contains("\r\nBEGIN:VALARM") && !text.contains("\r\nX-EVIL"),
        "{text}"
    );
    assert!(events.iter().all(|e| !e.contains_key("X-EVIL")));
}

#[test]
fn reminders_come_before_sessions_and_deadlines_once_each_and_not_for_work_done() {
    use reminders::{ReminderKind, due_reminders};
    let course = dst_calendar_course();
    let keys = |now: Timestamp, progress: &LearnerProgress| -> Vec<(ReminderKind, String)> {
        due_reminders(&course, progress, now)
            .into_iter()
            .map(|r| (r.kind, r.key))
            .collect()
    };
    let none = LearnerProgress::default();
    let sessions = |now: Timestamp| -> Vec<(ReminderKind, String)> {
        let mut all = keys(now, &none);
        all.retain(|(kind, _)| *kind == ReminderKind::Session);
        all
    };
    // The Zurich spring session starts 01:30 CET (00:30 UTC) on 28 March, the day clocks change.
    let starts = local("Europe/Zurich", date(2027, 3, 28).at(1, 30, 0, 0));
    let minutes = |n: i64| jiff::SignedDuration::from_mins(n);
    assert_eq!(
        sessions(starts - minutes(16)),
        [],
        "not yet 15 minutes before"
    );
    let at_lead = sessions(starts - minutes(15));
    assert_eq!(
        at_lead,
        [(
            ReminderKind::Session,
            format!("session live zurich-spring {}", starts.as_millisecond())
        )],
        "15 minutes before, exactly"
    );
    assert_eq!(
        sessions(starts + minutes(89)),
        at_lead,
        "still on until it ends (90 real minutes, 04:00 on the changed clock)"
    );
    assert_eq!(sessions(starts + minutes(90)), [], "over");

    // The essay is due 23:59 in Zurich that day: reminded from 23:59 the day before.
    let due = local("Europe/Zurich", date(2027, 3, 28).at(23, 59, 0, 0));
    let hours = |n: i64| jiff::SignedDuration::from_hours(n);
    let deadline_key = format!("deadline essay {}", due.as_millisecond());
    assert_eq!(keys(due - hours(24) - minutes(1), &none), []);
    assert_eq!(
        keys(due - hours(24), &none),
        [(ReminderKind::Deadline, deadline_key.clone())]
    );
    assert_eq!(
        keys(starts, &none),
        [
            (
                ReminderKind::Session,
                format!("session live zurich-spring {}", starts.as_millisecond())
            ),
            (ReminderKind::Deadline, deadline_key)
        ],
        "both at once, earliest first"
    );
    assert_eq!(keys(due, &none), [], "a deadline passed is not reminded");

    let mut done = LearnerProgress::default();
    done.completed.insert("essay".into(), starts);
    done.completed.insert("live".into(), starts);
    assert_eq!(keys(starts, &done), [], "nothing for work done");

    // Moved to another time, the same session is reminded again: its key differs.
    let mut moved = course.clone();
    moved.sessions[0].starts = starts + hours(1);
    let moved_keys: Vec<String> = due_reminders(&moved, &none, starts + hours(1))
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert!(
        !moved_keys
            .iter()
            .any(|key| at_lead.iter().any(|(_, k)| k == key))
            && moved_keys
                .iter()
                .any(|key| key.starts_with("session live zurich-spring")),
        "{moved_keys:?}"
    );
}
