//! Local calendar weeks: Monday 00:00 to the next Monday 00:00 in the learner's zone.
//!
//! Weeks are civil: they are counted in dates, and only turned into instants at the end, so a
//! week that contains a daylight-saving change is 167 or 169 hours long, as the learner's clock
//! says. A midnight that does not exist (a few zones change their clocks at midnight) resolves to
//! the first instant of that day.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use super::PlanError;

/// The learner's weeks, numbered from the course's week 1 (week 0 and below come before it).
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    time_zone: TimeZone,
    week_one: Date,
}

/// One local week as instants and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalWeek {
    /// Week number (1 is the course's first).
    pub number: i64,
    /// Its Monday.
    pub monday: Date,
    /// Monday 00:00 local.
    pub starts: Timestamp,
    /// The next Monday 00:00 local (excluded).
    pub ends: Timestamp,
}

impl LocalWeek {
    /// Whether `at` falls in this week.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.starts <= at && at < self.ends
    }

    /// Its Sunday.
    pub fn sunday(&self) -> Result<Date, PlanError> {
        add_days(self.monday, 6)
    }

    /// Its length in whole hours (167, 168 or 169 around daylight-saving changes).
    pub fn hours(&self) -> i64 {
        self.starts.duration_until(self.ends).as_hours()
    }
}

impl Calendar {
    /// Weeks in `time_zone` whose week 1 is the week containing `first_day`.
    pub fn new(time_zone: TimeZone, first_day: Date) -> Result<Self, PlanError> {
        Ok(Self {
            week_one: monday_of(first_day)?,
            time_zone,
        })
    }

    /// The civil date and time of an instant in the learner's zone.
    pub fn local(&self, at: Timestamp) -> DateTime {
        self.time_zone.to_datetime(at)
    }

    /// The number of the week a civil date falls in.
    pub fn week_of_date(&self, date: Date) -> i64 {
        let days = self.week_one.duration_until(date).as_hours() / 24;
        days.div_euclid(7) + 1
    }

    /// The number of the week an instant falls in, by the learner's local date.
    pub fn week_of(&self, at: Timestamp) -> i64 {
        self.week_of_date(self.local(at).date())
    }

    /// Week `number` as dates and instants.
    pub fn week(&self, number: i64) -> Result<LocalWeek, PlanError> {
        let monday = add_days(self.week_one, (number - 1).saturating_mul(7))?;
        let next = add_days(monday, 7)?;
        Ok(LocalWeek {
            number,
            monday,
            starts: self.start_of_day(monday)?,
            ends: self.start_of_day(next)?,
        })
    }

    /// The week an instant falls in.
    pub fn week_containing(&self, at: Timestamp) -> Result<LocalWeek, PlanError> {
        self.week(self.week_of(at))
    }

    /// The first instant of a civil date in the learner's zone.
    pub fn start_of_day(&self, date: Date) -> Result<Timestamp, PlanError> {
        self.time_zone
            .to_ambiguous_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .compatible()
            .map_err(|source| PlanError::DateOutOfRange { date, source })
    }
}

/// The Monday of the week `date` falls in.
pub(crate) fn monday_of(date: Date) -> Result<Date, PlanError> {
    add_days(date, -i64::from(date.weekday().to_monday_zero_offset()))
}

/// `date` moved by `days` civil days.
pub(crate) fn add_days(date: Date, days: i64) -> Result<Date, PlanError> {
    jiff::Span::new()
        .try_days(days)
        .and_then(|span| date.checked_add(span))
        .map_err(|source| PlanError::DateOutOfRange { date, source })
}
