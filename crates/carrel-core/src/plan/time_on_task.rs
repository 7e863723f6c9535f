//! Time on task per local calendar week.

use std::collections::BTreeMap;

use super::PlanError;
use super::calendar::Calendar;
use super::input::TimeOnTask;
use super::output::WeekTimeOnTask;

/// Sums time-on-task events per local week (Monday 00:00 in the learner's zone). Every course
/// week `1..=week_count` is listed, with zero if nothing was recorded in it, and so is every
/// other week with an event; earliest first. An event counts whole in the week of its instant.
/// Negative and non-finite amounts are ignored, as are events at instants too far from week 1
/// for the calendar to express.
pub(crate) fn time_on_task_by_week(
    events: &[TimeOnTask],
    calendar: &Calendar,
    week_count: u32,
) -> Result<Vec<WeekTimeOnTask>, PlanError> {
    let mut seconds: BTreeMap<i64, f64> = (1..=i64::from(week_count)).map(|n| (n, 0.0)).collect();
    for event in events.iter().filter(|event| counts(event)) {
        let number = calendar.week_of(event.at);
        if calendar.week(number).is_ok() {
            *seconds.entry(number).or_default() += event.seconds;
        }
    }
    seconds
        .into_iter()
        .map(|(number, seconds)| {
            let week = calendar.week(number)?;
            Ok(WeekTimeOnTask {
                monday: week.monday,
                course_week: u32::try_from(number)
                    .ok()
                    .filter(|n| (1..=week_count).contains(n)),
                starts_ms: week.starts.as_millisecond(),
                ends_ms: week.ends.as_millisecond(),
                seconds,
            })
        })
        .collect()
}

fn counts(event: &TimeOnTask) -> bool {
    event.seconds.is_finite() && event.seconds >= 0.0
}
