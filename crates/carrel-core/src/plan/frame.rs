//! The plan's frame in time: where week 1 is, how many weeks there are, and when the course runs.

use jiff::Timestamp;
use jiff::civil::Date;

use super::calendar::{Calendar, LocalWeek, add_days};
use super::input::{Learner, LearnerProgress, PlanCourse};
use super::output::{PlanAnchor, PlanPhase};
use super::schedule::Segment;
use super::{MAX_WEEKS, PlanError};

/// Where week 1 is, how many weeks there are, and when the course runs.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// What week 1 is counted from.
    pub anchor: PlanAnchor,
    /// The learner's weeks.
    pub calendar: Calendar,
    /// Number of course weeks (at least 1).
    pub week_count: u32,
    /// The course's first day.
    pub first_day: Date,
    /// The course's last day.
    pub last_day: Date,
    /// Midnight starting the first day.
    pub starts: Timestamp,
    /// Midnight ending the last day.
    pub ends: Timestamp,
}

impl Frame {
    /// The frame for a course and learner at `now`.
    pub fn resolve(
        course: &PlanCourse,
        segments: &[Segment<'_>],
        learner: &Learner,
        progress: &LearnerProgress,
        now: Timestamp,
    ) -> Result<Self, PlanError> {
        let zone = &learner.time_zone;
        let (anchor, first_day) = match (course.starts, progress.first_activity()) {
            (Some(starts), _) => (PlanAnchor::CourseDates, starts),
            (None, Some(first)) => (PlanAnchor::FirstActivity, zone.to_datetime(first).date()),
            (None, None) => (PlanAnchor::Preview, zone.to_datetime(now).date()),
        };
        let calendar = Calendar::new(zone.clone(), first_day)?;
        // An end date only means something together with a start date.
        let ends = course.ends.filter(|_| course.starts.is_some());
        let week_count = match ends {
            Some(ends) => weeks_until(&calendar, ends.max(first_day)),
            None => weeks_without_end(segments, learner.weekly_minutes),
        };
        let last_day = match ends {
            Some(ends) => ends
                .max(first_day)
                .min(calendar.week(week_count.into())?.sunday()?),
            None => calendar.week(week_count.into())?.sunday()?,
        };
        Ok(Self {
            anchor,
            starts: calendar.start_of_day(first_day)?,
            ends: calendar.start_of_day(add_days(last_day, 1)?)?,
            calendar,
            week_count,
            first_day,
            last_day,
        })
    }

    /// Before, during or after the course at `now`.
    pub fn phase(&self, now: Timestamp) -> PlanPhase {
        if self.anchor == PlanAnchor::Preview || now < self.starts {
            PlanPhase::NotStarted
        } else if now >= self.ends {
            PlanPhase::Finished
        } else {
            PlanPhase::Running
        }
    }

    /// Course week `number` (1-based).
    pub fn week(&self, number: u32) -> Result<LocalWeek, PlanError> {
        self.calendar.week(number.into())
    }
}

/// The number of the week `last_day` falls in, within `1..=MAX_WEEKS`.
fn weeks_until(calendar: &Calendar, last_day: Date) -> u32 {
    let weeks = calendar
        .week_of_date(last_day)
        .clamp(1, i64::from(MAX_WEEKS));
    u32::try_from(weeks).unwrap_or(MAX_WEEKS)
}

/// Without an end date the course lasts until its last segment's work is done at the learner's
/// weekly minutes (at least one week; one week when they set no time aside).
fn weeks_without_end(segments: &[Segment<'_>], weekly_minutes: u32) -> u32 {
    let Some(last) = segments.last() else {
        return 1;
    };
    let needed = match u64::from(weekly_minutes) {
        0 => 1,
        weekly => last.minutes().div_ceil(weekly).max(1),
    };
    let weeks = u64::from(last.start_week) + needed - 1;
    u32::try_from(weeks.min(u64::from(MAX_WEEKS))).unwrap_or(MAX_WEEKS)
}
