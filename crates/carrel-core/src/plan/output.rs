//! The plan as the UI receives it. Instants are unix milliseconds; civil dates and times (in the
//! learner's zone unless said otherwise) are ISO strings such as `2027-03-22` and
//! `2027-03-29T05:59:00`.

use jiff::civil::{Date, DateTime};
use serde::Serialize;
use ts_rs::TS;

use super::input::PlanItemKind;

/// The weekly plan of one course for one learner at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WeeklyPlan {
    /// What week 1 is counted from.
    pub anchor: PlanAnchor,
    /// The learner's zone (IANA name), when it has one.
    pub time_zone: Option<String>,
    /// The course's first day (or the day the weeks are counted from).
    #[ts(type = "string")]
    pub first_day: Date,
    /// The course's last day (or the Sunday of its last week).
    #[ts(type = "string")]
    pub last_day: Date,
    /// The course's weeks, from week 1.
    pub weeks: Vec<PlanWeek>,
    /// Estimated minutes of the whole course.
    pub total_minutes: u32,
    /// What to do now.
    pub this_week: ThisWeek,
    /// Ahead of or behind the plan.
    pub pace: Pace,
    /// Whether the learner's weekly hours are enough.
    pub workload: Workload,
    /// Time on task per local week: every course week, and any other week with activity.
    pub time_on_task: Vec<WeekTimeOnTask>,
    /// Every deadline and webinar session of the course, whenever it falls.
    pub calendar: CourseCalendar,
}

/// The course's dated events, each earliest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourseCalendar {
    /// Deadlines of quizzes and assignments.
    pub deadlines: Vec<WeekDeadline>,
    /// Webinar sessions.
    pub sessions: Vec<WeekSession>,
}

/// What week 1 is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PlanAnchor {
    /// The course's start date.
    CourseDates,
    /// No start date: the learner's first activity.
    FirstActivity,
    /// No start date and no activity yet: a preview of the plan if the learner starts today.
    Preview,
}

/// Where the learner is in the course's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PlanPhase {
    /// Before the first day (or a preview).
    NotStarted,
    /// Between the first and the last day.
    Running,
    /// After the last day.
    Finished,
}

/// One course week: a local calendar week, Monday to Sunday.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlanWeek {
    /// 1-based.
    pub number: u32,
    /// Its Monday.
    #[ts(type = "string")]
    pub monday: Date,
    /// Its Sunday.
    #[ts(type = "string")]
    pub sunday: Date,
    /// Monday 00:00 in the learner's zone.
    #[ts(type = "number")]
    pub starts_ms: i64,
    /// The next Monday 00:00 (excluded).
    #[ts(type = "number")]
    pub ends_ms: i64,
    /// Its length: 168, or 167 / 169 when the clocks change.
    pub hours: u32,
    /// Items planned in it, in course order.
    pub items: Vec<PlannedItem>,
    /// Their estimated minutes.
    pub planned_minutes: u32,
    /// Estimated minutes of those already done.
    pub done_minutes: u32,
}

/// An item in the plan.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlannedItem {
    /// Item id.
    pub item_id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: PlanItemKind,
    /// Its block.
    pub block_id: String,
    /// Its module.
    pub module_id: String,
    /// The course week it is planned in.
    pub week: u32,
    /// Estimated minutes.
    pub minutes: u32,
    /// The author gave no estimate; `minutes` is the kind's default.
    pub minutes_defaulted: bool,
    /// Completed.
    pub done: bool,
    /// Its earliest deadline, if it has one.
    pub due: Option<PlanTime>,
}

/// An instant shown on the learner's clock and on the clock of the zone it was set in.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlanTime {
    /// The instant.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// On the learner's clock.
    #[ts(type = "string")]
    pub local: DateTime,
    /// The course week it falls in for the learner (0 or less: before week 1).
    #[ts(type = "number")]
    pub week: i64,
    /// The zone it was set in (IANA), if known.
    pub zone: Option<String>,
    /// On that zone's clock, if the zone is known to this system.
    #[ts(type = "string | null")]
    pub zone_local: Option<DateTime>,
}

/// What to do now.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ThisWeek {
    /// Before, during or after the course.
    pub phase: PlanPhase,
    /// The course week `now` is in: 0 before the start; counting on past the last week after the
    /// end.
    pub week: u32,
    /// The Monday of the local calendar week `now` is in.
    #[ts(type = "string")]
    pub monday: Date,
    /// Its Monday 00:00.
    #[ts(type = "number")]
    pub starts_ms: i64,
    /// The next Monday 00:00.
    #[ts(type = "number")]
    pub ends_ms: i64,
    /// Items planned this week and not done (empty unless the course is running).
    pub todo: Vec<PlannedItem>,
    /// Items planned in earlier weeks and not done (after the end: every item not done).
    pub overdue: Vec<PlannedItem>,
    /// Deadlines in this calendar week, earliest first.
    pub deadlines: Vec<WeekDeadline>,
    /// Webinar sessions in this calendar week, earliest first.
    pub sessions: Vec<WeekSession>,
}

/// A deadline this week.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WeekDeadline {
    /// Item id.
    pub item_id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: PlanItemKind,
    /// When it is due.
    pub due: PlanTime,
    /// Completed already.
    pub done: bool,
}

/// A webinar session this week.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WeekSession {
    /// The webinar item.
    pub item_id: String,
    /// Its title.
    pub title: String,
    /// The session.
    pub session_id: String,
    /// When it starts.
    pub starts: PlanTime,
    /// When it ends.
    pub ends: PlanTime,
    /// Its length.
    pub duration_minutes: u32,
    /// Who presents it.
    pub presenter: Option<String>,
    /// The package gives a join address (opened with the `open_webinar_session` command).
    pub joinable: bool,
    /// Its recording, once published.
    pub recording: Option<SessionRecording>,
    /// The webinar item is completed.
    pub done: bool,
}

/// A session's recording.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecording {
    /// Its size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Downloaded to this computer (watch it offline).
    pub downloaded: bool,
}

/// Ahead of or behind the plan.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Pace {
    /// The verdict.
    pub status: PaceStatus,
    /// Minutes the plan expects done by now.
    pub planned_minutes: u32,
    /// Estimated minutes of the items done.
    pub done_minutes: u32,
    /// `done − planned`: positive ahead, negative behind.
    #[ts(type = "number")]
    pub difference_minutes: i64,
    /// How far from the plan still counts as on track.
    pub tolerance_minutes: u32,
}

/// The verdict on the learner's pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PaceStatus {
    /// More done than planned, by more than the tolerance.
    Ahead,
    /// Within the tolerance.
    OnTrack,
    /// Less done than planned, by more than the tolerance.
    Behind,
}

/// Whether the learner's weekly hours suffice for what remains.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// The learner's weekly minutes.
    pub weekly_minutes: u32,
    /// Estimated minutes of the items not done.
    pub remaining_minutes: u32,
    /// Weeks left until the end, on the learner's clock (fractional).
    pub remaining_weeks: f64,
    /// `remaining_weeks × weekly_minutes`, rounded down.
    pub capacity_minutes: u32,
    /// Minutes a week that would finish in time (`None` once no time remains).
    pub suggested_weekly_minutes: Option<u32>,
    /// The remaining work fits in the learner's weekly minutes.
    pub fits: bool,
}

/// Time on task in one local calendar week.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WeekTimeOnTask {
    /// The week's Monday.
    #[ts(type = "string")]
    pub monday: Date,
    /// Its course week number, when it is one of the course's weeks.
    pub course_week: Option<u32>,
    /// Monday 00:00 in the learner's zone.
    #[ts(type = "number")]
    pub starts_ms: i64,
    /// The next Monday 00:00.
    #[ts(type = "number")]
    pub ends_ms: i64,
    /// Seconds spent.
    pub seconds: f64,
}
