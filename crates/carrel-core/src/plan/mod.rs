//! The weekly plan: what to do this week, what is due, whether the learner is ahead or behind, and
//! how much time they spent each week.
//!
//! Learners study a course of a few weeks offline, in many time zones. The plan is a pure function
//! of the course ([`PlanCourse`], built with [`PlanCourse::from_manifest`] plus the deadlines of
//! the quiz and assignment definitions), the [`Learner`] (weekly minutes and time zone), their
//! [`LearnerProgress`] and the instant `now`, which the caller passes in: nothing here reads the
//! clock. [`build_weekly_plan`] returns a [`WeeklyPlan`] for the UI.
//!
//! # Weeks
//!
//! A week is a local calendar week of the learner: Monday 00:00 to the next Monday 00:00 in their
//! zone, counted in civil dates, so a week containing a daylight-saving change lasts 167 or 169
//! hours. Week 1 is the week containing the course's first day; the course has as many weeks as
//! it takes to reach the week containing its last day. An instant (an activity, a deadline set in
//! Europe/Zurich) belongs to the week of the learner's local date at that instant: 23:59 on a
//! Sunday in Zurich is Monday morning in Manila, hence the next week there.
//!
//! Missing dates:
//! - No start date: weeks are counted from the learner's first activity (earliest time on task or
//!   completion; [`PlanAnchor::FirstActivity`]); without any activity the plan is a preview
//!   starting today ([`PlanAnchor::Preview`], phase not started). An end date without a start date
//!   is ignored.
//! - No end date: the course lasts until the last block's work is done at the learner's weekly
//!   minutes (at least one week).
//!
//! A plan has at most [`MAX_WEEKS`] weeks.
//!
//! # Which week an item is planned in
//!
//! A block starts in its `week`; a block without one follows the previous block and shares its
//! weeks (the first block starts in week 1). A block week below 1 or below the previous block's is
//! raised to it; one past the last course week becomes the last week. A run of blocks spans from
//! its week to the week before the next block's, the last run to the course's last week; its
//! modules, in order and never split (a module is a sitting's worth), are spread over that span by
//! estimated minutes: each week holds its share of the run's minutes, counted cumulatively; a
//! module goes in the current week when at least half of it fits in the share so far, else it
//! starts the next week; a week is never left empty while modules remain, so spare weeks fall at
//! the end of the run.
//!
//! Dated items then move: a webinar to the week of its first session (within the course's
//! weeks), a quiz or assignment to the
//! week of its deadline when that is earlier than planned (a plan must not put work after its
//! deadline).
//!
//! Items without an estimate count [`default_minutes`] for their kind: page 10, pdf 20, video its
//! length (else 10), file 15, quiz 20, assignment 60, webinar its longest session (else 60), forum
//! 20, external 20.
//!
//! # This week
//!
//! [`ThisWeek`] says whether the course has not started, is running or is finished (the first day
//! starts at local midnight; the last day ends at the next local midnight), the course week `now`
//! is in (0 before the start), the items planned this week not yet done, the items of earlier weeks
//! not done (after the end: all items not done), and the deadlines and webinar sessions in this
//! calendar week, each shown on the learner's clock and on the clock of its own zone.
//!
//! # Ahead or behind
//!
//! [`Pace`] compares the estimated minutes of completed items with the minutes planned up to
//! `now`: every earlier week in full plus the current week pro rata by the real time elapsed in
//! the part of it the course runs in. Nothing is planned before the start; everything after the
//! end. A difference within the tolerance — a fifth of an average course week's planned minutes,
//! at least 30 minutes ([`pace::MIN_TOLERANCE_MINUTES`]), boundary included — is on track.
//!
//! # Enough hours?
//!
//! [`Workload`] divides the estimated minutes of items not done by the weeks left into a
//! suggested number of minutes a week, and says whether the learner's weekly minutes cover it
//! (exactly enough is enough). The weeks left are counted week by week: each course week counts
//! the share of it still ahead of `now` within the course's days, so a whole week counts 1 even
//! when a clock change makes it 167 or 169 hours long. Once no time remains there is no
//! suggestion, and the work fits only if none remains.
//!
//! # Time on task
//!
//! Time-on-task events are summed per local week: every course week and any other week with
//! activity, before or after the course. An event counts whole in the week of its instant.

mod calendar;
mod frame;
pub mod ics;
mod input;
mod installed;
mod output;
pub mod pace;
pub mod reminders;
mod schedule;
mod time_on_task;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use calendar::LocalWeek;
use frame::Frame;
use schedule::ScheduledItem;

pub use input::{
    Learner, LearnerProgress, PlanBlock, PlanCourse, PlanDeadline, PlanItem, PlanItemKind,
    PlanModule, PlanRecording, PlanSession, TimeOnTask, default_minutes,
};
pub use installed::{
    InstalledPlanError, calendar_installed, learner_progress, plan_installed, reminders_installed,
    session_installed,
};
pub use output::{
    CourseCalendar, Pace, PaceStatus, PlanAnchor, PlanPhase, PlanTime, PlanWeek, PlannedItem,
    SessionRecording, ThisWeek, WeekDeadline, WeekSession, WeekTimeOnTask, WeeklyPlan, Workload,
};

/// The most weeks a plan has (five years); later weeks are cut off.
pub const MAX_WEEKS: u32 = 260;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A date too far in the past or future to place in the learner's zone.
    #[error("the date {date} is out of the range the plan can handle: {source}")]
    DateOutOfRange {
        /// The date.
        date: jiff::civil::Date,
        /// Why.
        source: jiff::Error,
    },
}

/// The weekly plan of `course` for `learner` with `progress`, at the instant `now`.
pub fn build_weekly_plan(
    course: &PlanCourse,
    learner: &Learner,
    progress: &LearnerProgress,
    now: Timestamp,
) -> Result<WeeklyPlan, PlanError> {
    let segments = schedule::segments(course);
    let frame = Frame::resolve(course, &segments, learner, progress, now)?;
    let scheduled = schedule::schedule(course, &segments, &frame.calendar, frame.week_count);
    let view = ItemView::new(course, progress, &frame);
    let weeks = plan_weeks(&frame, &scheduled, &view)?;
    let this_week = this_week(course, &frame, &scheduled, &view, now)?;
    let total: u64 = weeks
        .iter()
        .map(|week| u64::from(week.planned_minutes))
        .sum();
    Ok(WeeklyPlan {
        anchor: frame.anchor,
        time_zone: learner.time_zone.iana_name().map(str::to_owned),
        first_day: frame.first_day,
        last_day: frame.last_day,
        total_minutes: saturate(total),
        this_week,
        pace: pace::pace(&weeks, &frame, now),
        workload: pace::workload(&weeks, &frame, learner.weekly_minutes, now),
        time_on_task: time_on_task::time_on_task_by_week(
            &progress.time_on_task,
            &frame.calendar,
            frame.week_count,
        )?,
        calendar: CourseCalendar {
            deadlines: deadlines_when(course, &view, |_| true),
            sessions: sessions_when(course, &view, |_| true),
        },
        weeks,
    })
}

/// Turns scheduled items into what the UI shows: done or not, earliest deadline.
struct ItemView<'a> {
    progress: &'a LearnerProgress,
    frame: &'a Frame,
    deadlines: HashMap<&'a str, &'a PlanDeadline>,
}

impl<'a> ItemView<'a> {
    fn new(course: &'a PlanCourse, progress: &'a LearnerProgress, frame: &'a Frame) -> Self {
        let mut deadlines: HashMap<&str, &PlanDeadline> = HashMap::new();
        for deadline in &course.deadlines {
            let earliest = deadlines.entry(&deadline.item_id).or_insert(deadline);
            if deadline.due < earliest.due {
                *earliest = deadline;
            }
        }
        Self {
            progress,
            frame,
            deadlines,
        }
    }

    fn planned_item(&self, scheduled: &ScheduledItem<'_>) -> PlannedItem {
        let item = scheduled.item;
        PlannedItem {
            item_id: item.id.clone(),
            title: item.title.clone(),
            kind: item.kind,
            block_id: scheduled.block.id.clone(),
            module_id: scheduled.module.id.clone(),
            week: scheduled.week,
            minutes: item.estimated_minutes(),
            minutes_defaulted: item.minutes.is_none(),
            done: self.progress.is_done(&item.id),
            due: self.deadlines.get(item.id.as_str()).map(|deadline| {
                plan_time(deadline.due, deadline.zone.as_deref(), &self.frame.calendar)
            }),
        }
    }
}

/// The course weeks with their planned items.
fn plan_weeks(
    frame: &Frame,
    scheduled: &[ScheduledItem<'_>],
    view: &ItemView<'_>,
) -> Result<Vec<PlanWeek>, PlanError> {
    (1..=frame.week_count)
        .map(|number| {
            let items: Vec<PlannedItem> = scheduled
                .iter()
                .filter(|item| item.week == number)
                .map(|item| view.planned_item(item))
                .collect();
            plan_week(&frame.week(number)?, number, items)
        })
        .collect()
}

fn plan_week(
    week: &LocalWeek,
    number: u32,
    items: Vec<PlannedItem>,
) -> Result<PlanWeek, PlanError> {
    let minutes = |done_only: bool| -> u32 {
        let sum: u64 = items
            .iter()
            .filter(|item| item.done || !done_only)
            .map(|item| u64::from(item.minutes))
            .sum();
        saturate(sum)
    };
    Ok(PlanWeek {
        number,
        monday: week.monday,
        sunday: week.sunday()?,
        starts_ms: week.starts.as_millisecond(),
        ends_ms: week.ends.as_millisecond(),
        hours: u32::try_from(week.hours()).unwrap_or(0),
        planned_minutes: minutes(false),
        done_minutes: minutes(true),
        items,
    })
}

/// What to do in the calendar week `now` falls in.
fn this_week(
    course: &PlanCourse,
    frame: &Frame,
    scheduled: &[ScheduledItem<'_>],
    view: &ItemView<'_>,
    now: Timestamp,
) -> Result<ThisWeek, PlanError> {
    let phase = frame.phase(now);
    let week = frame.calendar.week_containing(now)?;
    let current = match phase {
        PlanPhase::NotStarted => 0,
        _ => u32::try_from(week.number).unwrap_or(0),
    };
    let not_done = |item: &&ScheduledItem<'_>| !view.progress.is_done(&item.item.id);
    let pick = |keep: &dyn Fn(u32) -> bool| -> Vec<PlannedItem> {
        let chosen = scheduled.iter().filter(|item| keep(item.week));
        chosen
            .filter(not_done)
            .map(|item| view.planned_item(item))
            .collect()
    };
    let (todo, mut overdue) = match phase {
        PlanPhase::NotStarted => (Vec::new(), Vec::new()),
        PlanPhase::Running => (pick(&|w| w == current), pick(&|w| w < current)),
        PlanPhase::Finished => (Vec::new(), pick(&|_| true)),
    };
    overdue.sort_by_key(|item| item.week);
    Ok(ThisWeek {
        phase,
        week: current,
        monday: week.monday,
        starts_ms: week.starts.as_millisecond(),
        ends_ms: week.ends.as_millisecond(),
        todo,
        overdue,
        deadlines: deadlines_when(course, view, |at| week.contains(at)),
        sessions: sessions_when(course, view, |at| week.contains(at)),
    })
}

/// The deadlines of course items due at an instant `keep` accepts, earliest first.
fn deadlines_when(
    course: &PlanCourse,
    view: &ItemView<'_>,
    keep: impl Fn(Timestamp) -> bool,
) -> Vec<WeekDeadline> {
    let items = items_by_id(course);
    let mut deadlines: Vec<WeekDeadline> = course
        .deadlines
        .iter()
        .filter(|deadline| keep(deadline.due))
        .filter_map(|deadline| {
            let item = items.get(deadline.item_id.as_str())?;
            Some(WeekDeadline {
                item_id: item.id.clone(),
                title: item.title.clone(),
                kind: item.kind,
                due: plan_time(deadline.due, deadline.zone.as_deref(), &view.frame.calendar),
                done: view.progress.is_done(&item.id),
            })
        })
        .collect();
    deadlines.sort_by_key(|deadline| deadline.due.at_ms);
    deadlines
}

/// The webinar sessions of course items starting at an instant `keep` accepts, earliest first.
fn sessions_when(
    course: &PlanCourse,
    view: &ItemView<'_>,
    keep: impl Fn(Timestamp) -> bool,
) -> Vec<WeekSession> {
    let items = items_by_id(course);
    let mut sessions: Vec<WeekSession> = course
        .sessions
        .iter()
        .filter(|session| keep(session.starts))
        .filter_map(|session| {
            let item = items.get(session.item_id.as_str())?;
            Some(WeekSession {
                item_id: item.id.clone(),
                title: item.title.clone(),
                session_id: session.session_id.clone(),
                starts: plan_time(session.starts, Some(&session.zone), &view.frame.calendar),
                ends: plan_time(session.ends(), Some(&session.zone), &view.frame.calendar),
                duration_minutes: session.duration_minutes,
                presenter: session.presenter.clone(),
                joinable: session.join_url.is_some(),
                recording: session
                    .recording
                    .as_ref()
                    .map(|recording| SessionRecording {
                        size: recording.size,
                        downloaded: recording.downloaded,
                    }),
                done: view.progress.is_done(&item.id),
            })
        })
        .collect();
    sessions.sort_by_key(|session| session.starts.at_ms);
    sessions
}

fn items_by_id(course: &PlanCourse) -> HashMap<&str, &PlanItem> {
    course
        .items()
        .map(|item| (item.id.as_str(), item))
        .collect()
}

/// An instant on the learner's clock and on the clock of `zone` (when this system knows it).
fn plan_time(at: Timestamp, zone: Option<&str>, calendar: &calendar::Calendar) -> PlanTime {
    PlanTime {
        at_ms: at.as_millisecond(),
        local: calendar.local(at),
        week: calendar.week_of(at),
        zone: zone.map(str::to_owned),
        zone_local: zone
            .and_then(|name| TimeZone::get(name).ok())
            .map(|zone| zone.to_datetime(at)),
    }
}

/// A sum of minutes as a `u32`, saturating (only absurd estimates come near).
fn saturate(minutes: u64) -> u32 {
    u32::try_from(minutes).unwrap_or(u32::MAX)
}
