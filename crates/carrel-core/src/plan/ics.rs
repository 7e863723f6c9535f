//! The course calendar as an iCalendar file (RFC 5545), for the learner's own calendar program.
//!
//! Every webinar session and every deadline becomes a `VEVENT` whose times are UTC instants
//! (`DTSTART:20270224T130000Z`), so every calendar program places it at the right moment in any
//! zone, across any daylight-saving change, without a `VTIMEZONE` that could go stale. What the
//! organiser's clock says is written out in the description ("Europe/Zurich: 2027-02-24
//! 14:00–15:30"), because a participant in Manila arranging a session with colleagues in Geneva
//! needs both.
//!
//! - A session lasts its duration (`DTEND`); a deadline is a moment (no `DTEND`, RFC 5545
//!   §3.6.1: it ends when it starts).
//! - UIDs are stable (`session.<session>.<item>.<course>@carrel` and
//!   `deadline.<item>.<course>@carrel`, whatever the times), so importing the file again after a change updates the
//!   events instead of doubling them; `SEQUENCE` is the stamp's seconds, so the newer export wins.
//! - Text is escaped (`\`, `;`, `,`, newlines) and lines are folded at 75 octets without splitting
//!   a UTF-8 character.
//!
//! The words in the file (the "Due" prefix, "Course", "Presenter", "Join") come from the caller in
//! the learner's language ([`CalendarWords`]); course titles stay in the course's language.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::PlanCourse;

/// The words written into the calendar, in the learner's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarWords {
    /// Before a deadline's item title: "Due: Final assignment".
    pub due: String,
    /// Names the course in descriptions.
    pub course: String,
    /// Names the presenter of a session.
    pub presenter: String,
    /// Names the join address of a session.
    pub join: String,
}

impl CalendarWords {
    /// English words.
    pub fn english() -> Self {
        Self {
            due: "Due".into(),
            course: "Course".into(),
            presenter: "Presenter".into(),
            join: "Join".into(),
        }
    }
}

/// The iCalendar text of `course`'s webinar sessions and deadlines, stamped `stamp` (the export
/// instant). Items of unknown id are skipped; events come earliest first.
pub fn course_calendar(
    course_id: &str,
    course_title: &str,
    course: &PlanCourse,
    words: &CalendarWords,
    stamp: Timestamp,
) -> String {
    let titles: std::collections::HashMap<&str, &str> = course
        .items()
        .map(|item| (item.id.as_str(), item.title.as_str()))
        .collect();
    let mut events: Vec<(Timestamp, Vec<(&str, String)>)> = Vec::new();
    let stamp_text = utc(stamp);
    let sequence = stamp.as_second().max(0).to_string();

    for session in &course.sessions {
        let Some(title) = titles.get(session.item_id.as_str()) else {
            continue;
        };
        let ends = session.ends();
        let mut description = vec![format!("{}: {course_title}", words.course)];
        if let Some(presenter) = &session.presenter {
            description.push(format!("{}: {presenter}", words.presenter));
        }
        if let Some(own) = own_clock(session.starts, Some(ends), &session.zone) {
            description.push(own);
        }
        if let Some(url) = &session.join_url {
            description.push(format!("{}: {url}", words.join));
        }
        let mut properties = vec![
            (
                "UID",
                format!(
                    "session.{}.{}.{course_id}@carrel",
                    session.session_id, session.item_id
                ),
            ),
            ("DTSTAMP", stamp_text.clone()),
            ("SEQUENCE", sequence.clone()),
            ("DTSTART", utc(session.starts)),
            ("DTEND", utc(ends)),
            ("SUMMARY", escape(title)),
            ("DESCRIPTION", escape(&description.join("\n"))),
        ];
        if let Some(url) = &session.join_url {
            properties.push(("LOCATION", escape(url)));
            properties.push(("URL", url.clone()));
        }
        events.push((session.starts, properties));
    }

    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for deadline in &course.deadlines {
        let Some(title) = titles.get(deadline.item_id.as_str()) else {
            continue;
        };
        // An item's first deadline is `deadline.<item>…`, a further one `deadline.<item>.<n>…`.
        let nth = seen.entry(&deadline.item_id).or_insert(0);
        let suffix = match *nth {
            0 => String::new(),
            n => format!(".{n}"),
        };
        *nth += 1;
        let mut description = vec![format!("{}: {course_title}", words.course)];
        if let Some(own) = deadline
            .zone
            .as_deref()
            .and_then(|zone| own_clock(deadline.due, None, zone))
        {
            description.push(own);
        }
        events.push((
            deadline.due,
            vec![
                (
                    "UID",
                    format!("deadline.{}{suffix}.{course_id}@carrel", deadline.item_id),
                ),
                ("DTSTAMP", stamp_text.clone()),
                ("SEQUENCE", sequence.clone()),
                ("DTSTART", utc(deadline.due)),
                ("SUMMARY", escape(&format!("{}: {title}", words.due))),
                ("DESCRIPTION", escape(&description.join("\n"))),
                ("TRANSP", "TRANSPARENT".to_owned()),
            ],
        ));
    }
    events.sort_by_key(|(at, _)| *at);

    let mut out = String::new();
    let mut line = |name: &str, value: &str| fold_into(&mut out, &format!("{name}:{value}"));
    line("BEGIN", "VCALENDAR");
    line("VERSION", "2.0");
    line("PRODID", "-//Carrel//Course calendar//EN");
    line("CALSCALE", "GREGORIAN");
    line("METHOD", "PUBLISH");
    line("X-WR-CALNAME", &escape(course_title));
    for (_, properties) in &events {
        line("BEGIN", "VEVENT");
        for (name, value) in properties {
            line(name, value);
        }
        line("END", "VEVENT");
    }
    line("END", "VCALENDAR");
    out
}

/// `2027-02-24T13:00:00Z` as `20270224T130000Z`.
fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// "Europe/Zurich: 2027-02-24 14:00–15:30" (or without the end), when the zone is known here.
fn own_clock(starts: Timestamp, ends: Option<Timestamp>, zone: &str) -> Option<String> {
    let tz = TimeZone::get(zone).ok()?;
    let start = tz.to_datetime(starts);
    let mut text = format!("{zone}: {}", start.strftime("%Y-%m-%d %H:%M"));
    if let Some(ends) = ends {
        let end = tz.to_datetime(ends);
        if end.date() == start.date() {
            let _ = write!(text, "–{}", end.strftime("%H:%M"));
        } else {
            let _ = write!(text, " – {}", end.strftime("%Y-%m-%d %H:%M"));
        }
    }
    Some(text)
}

/// A TEXT value escaped (RFC 5545 §3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded so no physical line exceeds 75 octets (RFC 5545 §3.1), ending
/// in CRLF.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let octets = c.len_utf8();
        if width + octets > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += octets;
    }
    out.push_str("\r\n");
}
