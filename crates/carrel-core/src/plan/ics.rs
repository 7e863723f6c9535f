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
//! The words in the file ("Due: {title}", "Course: {title}"…) come from the caller in the
//! learner's language ([`CalendarWords`]); course titles stay in the course's language. Control
//! characters never reach the file: a join address from a course or server cannot add lines.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{PlanCourse, PlanSession};

/// The words written into the calendar, in the learner's language: templates whose placeholder
/// is replaced (so each language places it, and its punctuation, its own way: "À rendre : {title}").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarWords {
    /// A deadline's summary: "Due: {title}".
    pub due: String,
    /// The course line of a description: "Course: {title}".
    pub course: String,
    /// A session's presenter: "Presenter: {name}".
    pub presenter: String,
    /// A session's join address: "Join: {url}".
    pub join: String,
}

impl CalendarWords {
    /// English words.
    pub fn english() -> Self {
        Self {
            due: "Due: {title}".into(),
            course: "Course: {title}".into(),
            presenter: "Presenter: {name}".into(),
            join: "Join: {url}".into(),
        }
    }
}

/// `SEQUENCE` counts seconds from 2026-01-01 (UTC), so it stays in the 31 bits RFC 5545 gives an
/// INTEGER for decades.
const SEQUENCE_EPOCH: i64 = 1_767_225_600;

/// The iCalendar text of `course`'s webinar sessions and deadlines, stamped `stamp` (the export
/// instant), with the `cancelled` sessions as cancelled events (`STATUS:CANCELLED`, same UID), so
/// importing the file again removes them from the learner's calendar. Items of unknown id are
/// skipped; events come earliest first.
pub fn course_calendar(
    course_id: &str,
    course_title: &str,
    course: &PlanCourse,
    cancelled: &[PlanSession],
    words: &CalendarWords,
    stamp: Timestamp,
) -> String {
    let titles: std::collections::HashMap<&str, &str> = course
        .items()
        .map(|item| (item.id.as_str(), item.title.as_str()))
        .collect();
    let mut events: Vec<(Timestamp, Vec<(&str, String)>)> = Vec::new();
    let stamp_text = utc(stamp);
    let sequence = (stamp.as_second() - SEQUENCE_EPOCH).max(0).to_string();

    let sessions = course.sessions.iter().map(|session| (session, false));
    for (session, is_cancelled) in sessions.chain(cancelled.iter().map(|session| (session, true))) {
        let Some(title) = titles.get(session.item_id.as_str()) else {
            continue;
        };
        let ends = session.ends();
        let mut description = vec![words.course.replace("{title}", course_title)];
        if let Some(presenter) = &session.presenter {
            description.push(words.presenter.replace("{name}", presenter));
        }
        if let Some(own) = own_clock(session.starts, Some(ends), &session.zone) {
            description.push(own);
        }
        if let Some(url) = &session.join_url {
            description.push(words.join.replace("{url}", url));
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
        if is_cancelled {
            properties.push(("STATUS", "CANCELLED".to_owned()));
        }
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
        let mut description = vec![words.course.replace("{title}", course_title)];
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
                ("SUMMARY", escape(&words.due.replace("{title}", title))),
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
/// in CRLF. Control characters are dropped: TEXT values have their line breaks escaped already,
/// and a raw one in a URL or UID could otherwise start a property of its own.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars().filter(|c| !c.is_control()) {
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
