//! Reminders as system notifications: a webinar session about to start, a quiz or assignment
//! about to be due ([`carrel_core::plan::reminders`] decides which). Every minute, from what is on
//! this computer, so reminders work offline; each is shown once (recorded in the progress
//! database before it is handed to the system, and forgotten again if the system refuses it), and
//! none while the learner has turned notifications off in Settings (nothing is recorded then).
//! On Linux the notification server's own answer is not awaited: a desktop without one shows
//! nothing, and the reminder still counts as shown.
//!
//! The words are in the interface language (Settings; "system" is the computer's language when
//! Carrel speaks it), times on the computer's clock.

use std::time::Duration;

use carrel_core::plan::reminders::{Reminder, ReminderKind};
use jiff::tz::TimeZone;
use tauri::{AppHandle, Manager, Runtime};

use crate::settings::Language;
use crate::state::AppState;

/// How often reminders are looked for.
const EVERY: Duration = Duration::from_secs(60);

/// Looks for reminders now and every minute, for as long as the app runs.
pub fn spawn<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            show_due(&app).await;
        }
    });
}

/// Shows the reminders due and not yet shown.
async fn show_due<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::NotificationExt;
    let settings = crate::update_service::read_stored(app);
    if !settings.notifications {
        return;
    }
    let state = app.state::<AppState>();
    let Ok(db) = state.progress().db().await else {
        return;
    };
    let library = state.library();
    let now = jiff::Timestamp::now();
    let due = tauri::async_runtime::spawn_blocking(move || -> Vec<(String, String, Reminder)> {
        let courses = match library.list() {
            Ok(courses) => courses,
            Err(error) => {
                tracing::warn!(%error, "no reminders: the library could not be read");
                return Vec::new();
            }
        };
        let mut due = Vec::new();
        for course in courses {
            let reminders =
                match carrel_core::plan::reminders_installed(&library, &db, &course.id, now) {
                    Ok(reminders) => reminders,
                    Err(error) => {
                        tracing::warn!(course = %course.id, %error, "no reminders");
                        continue;
                    }
                };
            for reminder in reminders {
                match db.claim_reminder(&course.id, &reminder.key, now.as_millisecond()) {
                    Ok(true) => due.push((course.id.clone(), course.title.clone(), reminder)),
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "a reminder could not be recorded"),
                }
            }
        }
        due
    })
    .await
    .unwrap_or_default();
    let language = Words::of(settings.language);
    for (course_id, course_title, reminder) in due {
        let body = language.body(&reminder, now, &TimeZone::system());
        match app
            .notification()
            .builder()
            .title(&course_title)
            .body(body)
            .show()
        {
            Ok(()) => {
                tracing::info!(item = %reminder.item_id, key = %reminder.key, "reminder sent to the system");
            }
            Err(error) => {
                // Not shown: forget the claim, so the next look tries again while it is due.
                tracing::warn!(%error, "a reminder could not be shown");
                if let Ok(db) = state.progress().db().await
                    && let Err(error) = db.forget_reminder(&course_id, &reminder.key)
                {
                    tracing::warn!(%error, "a reminder not shown stays recorded");
                }
            }
        }
    }
}

/// The languages reminders are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Words {
    En,
    Fr,
    Es,
}

impl Words {
    /// The words for the interface language `choice`.
    fn of(choice: Language) -> Self {
        let language = match choice {
            Language::En => return Self::En,
            Language::Fr => return Self::Fr,
            Language::Es => return Self::Es,
            Language::System => sys_locale::get_locale().unwrap_or_default(),
        };
        match language.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("fr") => Self::Fr,
            Some("es") => Self::Es,
            _ => Self::En,
        }
    }

    /// The notification's text: what happens, and when on the learner's clock.
    fn body(self, reminder: &Reminder, now: jiff::Timestamp, zone: &TimeZone) -> String {
        let at = zone.to_datetime(reminder.at);
        let today = zone.to_datetime(now).date() == at.date();
        let time = at.strftime("%H:%M").to_string();
        let day = at.strftime("%Y-%m-%d").to_string();
        let title = &reminder.title;
        let started = reminder.at <= now;
        match (self, reminder.kind, started) {
            (Self::En, ReminderKind::Session, false) => {
                format!("{title} starts at {time}. Join it from the course calendar.")
            }
            (Self::En, ReminderKind::Session, true) => {
                format!("{title} started at {time}. Join it from the course calendar.")
            }
            (Self::En, ReminderKind::Deadline, _) if today => {
                format!("{title} is due today at {time}.")
            }
            (Self::En, ReminderKind::Deadline, _) => format!("{title} is due {day} at {time}."),
            (Self::Fr, ReminderKind::Session, false) => {
                format!(
                    "{title} commence à {time}. Rejoignez la session depuis le calendrier du cours."
                )
            }
            (Self::Fr, ReminderKind::Session, true) => {
                format!(
                    "{title} a commencé à {time}. Rejoignez la session depuis le calendrier du cours."
                )
            }
            (Self::Fr, ReminderKind::Deadline, _) if today => {
                format!("{title} est à rendre aujourd’hui à {time}.")
            }
            (Self::Fr, ReminderKind::Deadline, _) => {
                format!("{title} est à rendre le {day} à {time}.")
            }
            (Self::Es, ReminderKind::Session, false) => {
                format!("{title} empieza a las {time}. Únase desde el calendario del curso.")
            }
            (Self::Es, ReminderKind::Session, true) => {
                format!("{title} empezó a las {time}. Únase desde el calendario del curso.")
            }
            (Self::Es, ReminderKind::Deadline, _) if today => {
                format!("{title} vence hoy a las {time}.")
            }
            (Self::Es, ReminderKind::Deadline, _) => {
                format!("{title} vence el {day} a las {time}.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reminder(kind: ReminderKind, at: &str) -> Reminder {
        Reminder {
            key: "k".into(),
            item_id: "i".into(),
            title: "Webinar 1".into(),
            kind,
            at: at.parse().unwrap(),
        }
    }

    #[test]
    fn reminders_say_what_and_when_on_the_learners_clock_in_their_language() {
        let manila = TimeZone::get("Asia/Manila").unwrap();
        let now: jiff::Timestamp = "2027-02-25T07:50:00Z".parse().unwrap();
        let session = reminder(ReminderKind::Session, "2027-02-25T08:00:00Z");
        assert_eq!(
            Words::En.body(&session, now, &manila),
            "Webinar 1 starts at 16:00. Join it from the course calendar."
        );
        assert_eq!(
            Words::Fr.body(&session, now, &manila),
            "Webinar 1 commence à 16:00. Rejoignez la session depuis le calendrier du cours."
        );
        assert_eq!(
            Words::Es.body(&session, "2027-02-25T08:05:00Z".parse().unwrap(), &manila),
            "Webinar 1 empezó a las 16:00. Únase desde el calendario del curso."
        );
        // Due 23:59 in Zurich is 06:59 the next morning in Manila: not "today" there.
        let due = reminder(ReminderKind::Deadline, "2027-03-26T22:59:00Z");
        let evening: jiff::Timestamp = "2027-03-26T10:00:00Z".parse().unwrap();
        assert_eq!(
            Words::En.body(&due, evening, &manila),
            "Webinar 1 is due 2027-03-27 at 06:59."
        );
        let zurich = TimeZone::get("Europe/Zurich").unwrap();
        assert_eq!(
            Words::Fr.body(&due, evening, &zurich),
            "Webinar 1 est à rendre aujourd’hui à 23:59."
        );
    }

    #[test]
    fn a_chosen_language_wins_over_the_computers() {
        assert_eq!(Words::of(Language::Fr), Words::Fr);
        assert_eq!(Words::of(Language::Es), Words::Es);
        assert_eq!(Words::of(Language::En), Words::En);
    }
}
