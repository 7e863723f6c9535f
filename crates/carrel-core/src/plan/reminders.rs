//! Reminders of what is about to happen: a webinar session about to start, a quiz or assignment
//! about to be due. The app shows each as a system notification, once, from what is on this
//! computer, so reminders work offline.
//!
//! - A session is reminded from [`SESSION_LEAD`] before it starts until it ends (a laptop woken
//!   during a session still says it is on), unless its webinar is done.
//! - A deadline is reminded from [`DEADLINE_LEAD`] before it until it passes, unless the item is
//!   done.
//!
//! Each reminder has a [`Reminder::key`] naming the event and its instant; the caller records the
//! keys it showed ([`crate::progress::ProgressDb::claim_reminder`]) so a reminder is shown once,
//! and a session moved to another time is reminded again.

use jiff::{SignedDuration, Timestamp};

use super::{LearnerProgress, PlanCourse};

/// How long before a session starts it is reminded.
pub const SESSION_LEAD: SignedDuration = SignedDuration::from_mins(15);
/// How long before a deadline it is reminded.
pub const DEADLINE_LEAD: SignedDuration = SignedDuration::from_hours(24);

/// Something about to happen in a course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// Names the event and its instant, unique in the course.
    pub key: String,
    /// The item (webinar, quiz or assignment).
    pub item_id: String,
    /// Its title.
    pub title: String,
    /// What happens.
    pub kind: ReminderKind,
    /// When: the session's start, or the deadline.
    pub at: Timestamp,
}

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    /// A webinar session starts at `at`.
    Session,
    /// The item is due at `at`.
    Deadline,
}

/// The reminders of `course` due at `now` for a learner with `progress`, earliest first.
pub fn due_reminders(
    course: &PlanCourse,
    progress: &LearnerProgress,
    now: Timestamp,
) -> Vec<Reminder> {
    let title = |item_id: &str| -> Option<String> {
        let item = course.items().find(|item| item.id == item_id)?;
        Some(item.title.clone())
    };
    let within = |at: Timestamp, lead: SignedDuration, until: Timestamp| {
        at.checked_sub(lead).is_ok_and(|from| from <= now) && now < until
    };
    let mut reminders: Vec<Reminder> = Vec::new();
    for session in &course.sessions {
        if progress.is_done(&session.item_id)
            || !within(session.starts, SESSION_LEAD, session.ends())
        {
            continue;
        }
        let Some(title) = title(&session.item_id) else {
            continue;
        };
        reminders.push(Reminder {
            key: format!(
                "session {} {} {}",
                session.item_id,
                session.session_id,
                session.starts.as_millisecond()
            ),
            item_id: session.item_id.clone(),
            title,
            kind: ReminderKind::Session,
            at: session.starts,
        });
    }
    for deadline in &course.deadlines {
        if progress.is_done(&deadline.item_id) || !within(deadline.due, DEADLINE_LEAD, deadline.due)
        {
            continue;
        }
        let Some(title) = title(&deadline.item_id) else {
            continue;
        };
        reminders.push(Reminder {
            key: format!(
                "deadline {} {}",
                deadline.item_id,
                deadline.due.as_millisecond()
            ),
            item_id: deadline.item_id.clone(),
            title,
            kind: ReminderKind::Deadline,
            at: deadline.due,
        });
    }
    reminders.sort_by_key(|reminder| reminder.at);
    reminders
}
