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

use carrel_core::plan::reminders::Reminder;
use jiff::tz::TimeZone;
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;
use crate::words::Words;

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
        let body = language.reminder(&reminder, now, &TimeZone::system());
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
