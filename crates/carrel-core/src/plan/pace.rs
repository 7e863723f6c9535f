//! Ahead or behind, and whether the learner's weekly hours are enough.

use jiff::Timestamp;

use super::frame::Frame;
use super::output::{Pace, PaceStatus, PlanPhase, PlanWeek, Workload};
use super::saturate;

/// The smallest tolerance of [`PaceStatus::OnTrack`], in minutes.
pub const MIN_TOLERANCE_MINUTES: u32 = 30;

/// The tolerance as a share of an average course week's planned minutes.
pub const TOLERANCE_SHARE_OF_WEEK: f64 = 0.2;

/// Compares the minutes done with the minutes planned up to `now`.
pub(crate) fn pace(weeks: &[PlanWeek], frame: &Frame, now: Timestamp) -> Pace {
    let planned = planned_until(weeks, frame, now).round() as i64;
    let done: u64 = weeks.iter().map(|week| u64::from(week.done_minutes)).sum();
    let done = i64::from(saturate(done));
    let tolerance = tolerance_minutes(weeks);
    let difference = done - planned;
    Pace {
        status: status(difference, tolerance),
        planned_minutes: u32::try_from(planned).unwrap_or(u32::MAX),
        done_minutes: u32::try_from(done).unwrap_or(u32::MAX),
        difference_minutes: difference,
        tolerance_minutes: tolerance,
    }
}

/// Ahead or behind by more than `tolerance`, else on track.
pub(crate) fn status(difference: i64, tolerance: u32) -> PaceStatus {
    let tolerance = i64::from(tolerance);
    if difference > tolerance {
        PaceStatus::Ahead
    } else if difference < -tolerance {
        PaceStatus::Behind
    } else {
        PaceStatus::OnTrack
    }
}

/// [`TOLERANCE_SHARE_OF_WEEK`] of an average week's planned minutes, at least
/// [`MIN_TOLERANCE_MINUTES`].
pub(crate) fn tolerance_minutes(weeks: &[PlanWeek]) -> u32 {
    let total: u64 = weeks
        .iter()
        .map(|week| u64::from(week.planned_minutes))
        .sum();
    let average = total as f64 / weeks.len().max(1) as f64;
    let share = (average * TOLERANCE_SHARE_OF_WEEK).round() as u32;
    share.max(MIN_TOLERANCE_MINUTES)
}

/// Minutes planned up to `now`: every earlier week in full, and the current week pro rata by the
/// real time elapsed in the part of it the course runs in (so a week that starts on the course's
/// first day, a Wednesday, accrues from Wednesday).
fn planned_until(weeks: &[PlanWeek], frame: &Frame, now: Timestamp) -> f64 {
    match frame.phase(now) {
        PlanPhase::NotStarted => 0.0,
        PlanPhase::Finished => weeks.iter().map(|w| f64::from(w.planned_minutes)).sum(),
        PlanPhase::Running => {
            let now_ms = now.as_millisecond();
            let (starts, ends) = (frame.starts.as_millisecond(), frame.ends.as_millisecond());
            weeks
                .iter()
                .filter(|week| week.starts_ms <= now_ms)
                .map(|week| {
                    let from = week.starts_ms.max(starts);
                    let to = week.ends_ms.min(ends);
                    f64::from(week.planned_minutes) * elapsed_share(from, to, now_ms)
                })
                .sum()
        }
    }
}

/// How much of `[from, to)` has passed at `now`, 0–1 (all of it when the span is empty).
fn elapsed_share(from: i64, to: i64, now: i64) -> f64 {
    if to <= from {
        return 1.0;
    }
    ((now - from) as f64 / (to - from) as f64).clamp(0.0, 1.0)
}

/// The remaining work against the learner's weekly minutes over the weeks left.
pub(crate) fn workload(
    weeks: &[PlanWeek],
    frame: &Frame,
    weekly_minutes: u32,
    now: Timestamp,
) -> Workload {
    let remaining: u64 = weeks
        .iter()
        .map(|week| u64::from(week.planned_minutes.saturating_sub(week.done_minutes)))
        .sum();
    let remaining = saturate(remaining);
    let remaining_weeks = remaining_weeks(weeks, frame, now);
    let capacity = remaining_weeks * f64::from(weekly_minutes);
    Workload {
        weekly_minutes,
        remaining_minutes: remaining,
        remaining_weeks,
        capacity_minutes: capacity.floor() as u32,
        suggested_weekly_minutes: (remaining_weeks > 0.0)
            .then(|| (f64::from(remaining) / remaining_weeks).ceil() as u32),
        fits: f64::from(remaining) <= capacity,
    }
}

/// The course weeks left after `now`: each week counts the share of it still ahead in the part
/// the course runs in, so a whole week counts 1 however many hours its clock change gives it.
fn remaining_weeks(weeks: &[PlanWeek], frame: &Frame, now: Timestamp) -> f64 {
    let now_ms = now.as_millisecond();
    let (starts, ends) = (frame.starts.as_millisecond(), frame.ends.as_millisecond());
    weeks
        .iter()
        .map(|week| {
            let from = week.starts_ms.max(starts).max(now_ms);
            let to = week.ends_ms.min(ends);
            let length = week.ends_ms - week.starts_ms;
            if to <= from || length <= 0 {
                0.0
            } else {
                (to - from) as f64 / length as f64
            }
        })
        .sum()
}
