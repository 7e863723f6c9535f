//! The words of system notifications (reminders, news from the course team), in the interface
//! language: Settings' choice, or for "system" the computer's language when Carrel speaks it.
//! Each language is a branch of one `match`, so none can miss a message.

use carrel_core::plan::reminders::{Reminder, ReminderKind};
use jiff::tz::TimeZone;

use crate::settings::Language;

/// The languages system notifications are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// English.
    En,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

impl Words {
    /// The words for the interface language `choice`.
    pub fn of(choice: Language) -> Self {
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

    /// A reminder's text: what happens, and when on the learner's clock.
    pub fn reminder(self, reminder: &Reminder, now: jiff::Timestamp, zone: &TimeZone) -> String {
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

    /// What a sync round brought (`grades` of them grades, `others` other changes), for a
    /// notification; `None` when nothing arrived.
    pub fn news(self, grades: u32, others: u32) -> Option<String> {
        let count = |n: u32, one: &str, many: &str| match n {
            0 => None,
            1 => Some(format!("1 {one}")),
            n => Some(format!("{n} {many}")),
        };
        let (grade, grades_word, update, updates, and, sentence): (
            _,
            _,
            _,
            _,
            _,
            fn(&str) -> String,
        ) = match self {
            Self::En => ("grade", "grades", "update", "updates", "and", |what| {
                format!("New from your course team: {what}. Open Carrel to see them.")
            }),
            Self::Fr => ("note", "notes", "nouveauté", "nouveautés", "et", |what| {
                format!(
                    "Du nouveau de votre équipe pédagogique\u{a0}: {what}. Ouvrez Carrel pour les voir."
                )
            }),
            Self::Es => (
                "calificación",
                "calificaciones",
                "novedad",
                "novedades",
                "y",
                |what| format!("Novedades de su equipo docente: {what}. Abra Carrel para verlas."),
            ),
        };
        let what = match (
            count(grades, grade, grades_word),
            count(others, update, updates),
        ) {
            (None, None) => return None,
            (Some(one), None) | (None, Some(one)) => one,
            (Some(grades), Some(others)) => format!("{grades} {and} {others}"),
        };
        Some(sentence(&what))
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
            Words::En.reminder(&session, now, &manila),
            "Webinar 1 starts at 16:00. Join it from the course calendar."
        );
        assert_eq!(
            Words::Fr.reminder(&session, now, &manila),
            "Webinar 1 commence à 16:00. Rejoignez la session depuis le calendrier du cours."
        );
        assert_eq!(
            Words::Es.reminder(&session, "2027-02-25T08:05:00Z".parse().unwrap(), &manila),
            "Webinar 1 empezó a las 16:00. Únase desde el calendario del curso."
        );
        // Due 23:59 in Zurich is 06:59 the next morning in Manila: not "today" there.
        let due = reminder(ReminderKind::Deadline, "2027-03-26T22:59:00Z");
        let evening: jiff::Timestamp = "2027-03-26T10:00:00Z".parse().unwrap();
        assert_eq!(
            Words::En.reminder(&due, evening, &manila),
            "Webinar 1 is due 2027-03-27 at 06:59."
        );
        let zurich = TimeZone::get("Europe/Zurich").unwrap();
        assert_eq!(
            Words::Fr.reminder(&due, evening, &zurich),
            "Webinar 1 est à rendre aujourd’hui à 23:59."
        );
    }

    #[test]
    fn news_names_what_arrived_in_each_language() {
        assert_eq!(Words::En.news(0, 0), None);
        assert_eq!(
            Words::En.news(1, 0).as_deref(),
            Some("New from your course team: 1 grade. Open Carrel to see them.")
        );
        assert_eq!(
            Words::En.news(2, 3).as_deref(),
            Some("New from your course team: 2 grades and 3 updates. Open Carrel to see them.")
        );
        assert_eq!(
            Words::Fr.news(0, 1).as_deref(),
            Some(
                "Du nouveau de votre équipe pédagogique\u{a0}: 1 nouveauté. Ouvrez Carrel pour les voir."
            )
        );
        assert_eq!(
            Words::Es.news(2, 1).as_deref(),
            Some(
                "Novedades de su equipo docente: 2 calificaciones y 1 novedad. Abra Carrel para verlas."
            )
        );
    }

    #[test]
    fn a_chosen_language_wins_over_the_computers() {
        assert_eq!(Words::of(Language::Fr), Words::Fr);
        assert_eq!(Words::of(Language::Es), Words::Es);
        assert_eq!(Words::of(Language::En), Words::En);
    }
}
