//! Studying a course: completion rules per item kind, what the content window reports turned into
//! progress events, and the outline and library decorated with the learner's progress ("continue
//! where I left off", "what is next").
//!
//! ## Completion rules
//! Each item kind has one rule ([`CompletionRule::for_kind`]), shown to the learner beside the
//! item:
//! - a page is done when read to the end (scrolled until its last line was on screen;
//!   a page that fits on screen is done when opened);
//! - a PDF when every page has been on screen;
//! - a video or audio when at least [`WATCHED_PERCENT`] % of it was actually played — the union
//!   of the spans played, so seeking to the end or replaying one minute ten times does not count;
//! - a downloadable file when opened with the system application;
//! - quizzes and assignments when submitted;
//! - webinars, forums and external activities, which happen outside Carrel, when the learner marks
//!   them done.
//!
//! ## Reports from course content
//! The content window shows untrusted course files; it has no IPC. What it reports (scroll
//! position, pages seen, spans played, time active) arrives as a small JSON [`Report`] posted to
//! the content scheme, and applies only to an item of the course that window shows, found by the
//! reported file path ([`record_report`]). A page can therefore claim progress on its own items
//! and nothing else — the worst a hostile page can do is mark itself read. Values are checked
//! (finite, in range) and time on task is capped per report.

use carrel_package::manifest::{Item, ItemKind, Manifest};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::library::{CourseOutline, CourseSummary};
use crate::progress::{
    self, Event, EventKind, ItemProgress, ProgressDb, ProgressError, new_event_id,
};

/// The share of a video or audio that must be played for it to count as watched.
pub const WATCHED_PERCENT: u8 = 90;
/// How far down a page counts as "read to the end" (a little short of 1 for rounding).
pub const READ_TO_END: f64 = 0.98;
/// The most seconds of time on task one report may add (reports come every 15 s).
pub const MAX_ACTIVE_SECONDS: f64 = 60.0;
/// The most pages a PDF report may name.
const MAX_PAGES: u32 = 100_000;
/// The longest media Carrel accepts a duration for (24 h).
const MAX_DURATION_SECONDS: f64 = 86_400.0;

/// How an item counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "rule")]
pub enum CompletionRule {
    /// Scrolled to the end.
    ReadToEnd,
    /// Every page was on screen.
    AllPagesSeen,
    /// At least `percent` % played.
    Watched {
        /// The share that must be played.
        percent: u8,
    },
    /// Opened with the system application.
    OpenedWithApp,
    /// Submitted.
    Submitted,
    /// The learner says so.
    MarkedDone,
    /// The content says so through its standard's runtime (SCORM, cmi5).
    ReportedByContent,
}

impl CompletionRule {
    /// The rule for an item kind.
    pub fn for_kind(kind: &ItemKind) -> Self {
        match kind {
            ItemKind::Page { .. } => Self::ReadToEnd,
            ItemKind::Pdf { .. } => Self::AllPagesSeen,
            ItemKind::Video { .. } => Self::Watched {
                percent: WATCHED_PERCENT,
            },
            ItemKind::File { .. } => Self::OpenedWithApp,
            ItemKind::Quiz { .. } | ItemKind::Assignment { .. } => Self::Submitted,
            ItemKind::Webinar { .. } | ItemKind::Forum { .. } | ItemKind::External { .. } => {
                Self::MarkedDone
            }
            ItemKind::Scorm(_) | ItemKind::Cmi5(_) => Self::ReportedByContent,
        }
    }

    /// Whether progress `fraction` (0–1) meets the rule; false for rules met by an action.
    pub fn met_by(self, fraction: f64) -> bool {
        match self {
            Self::ReadToEnd => fraction >= READ_TO_END,
            Self::AllPagesSeen => fraction >= 1.0,
            Self::Watched { percent } => fraction >= f64::from(percent) / 100.0,
            Self::OpenedWithApp | Self::Submitted | Self::MarkedDone | Self::ReportedByContent => {
                false
            }
        }
    }

    /// Whether the learner completes it by saying so.
    pub fn is_marked_by_learner(self) -> bool {
        self == Self::MarkedDone
    }
}

/// What the content window reports about the file it shows.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Report {
    /// A page was scrolled: `position` is the top of the view and `seen` the bottom of the
    /// furthest view, both as fractions of the page's height.
    Scrolled {
        /// The page's path in the course.
        path: String,
        /// Top of the view (0–1).
        position: f64,
        /// Bottom of the view (0–1).
        seen: f64,
    },
    /// A PDF: the page shown and the pages that came on screen since the last report. Pages seen
    /// are kept as spans like media, so pages read over several sessions add up.
    Pages {
        /// The PDF's path.
        path: String,
        /// The page shown (1-based).
        page: u32,
        /// Pages (1-based) newly on screen.
        seen: Vec<u32>,
        /// Pages in the document.
        pages: u32,
    },
    /// A span of media was played.
    Played {
        /// The media file's path.
        path: String,
        /// Start (s).
        from: f64,
        /// End (s).
        to: f64,
        /// The media's length (s).
        duration: f64,
    },
    /// The media's current time (on pause, seek or periodically while playing).
    At {
        /// The media file's path.
        path: String,
        /// Current time (s).
        seconds: f64,
    },
    /// The learner was active in the file for `seconds`.
    Active {
        /// The file's path.
        path: String,
        /// Seconds since the last report.
        seconds: f64,
    },
}

impl Report {
    /// The file the report is about.
    pub fn path(&self) -> &str {
        match self {
            Self::Scrolled { path, .. }
            | Self::Pages { path, .. }
            | Self::Played { path, .. }
            | Self::At { path, .. }
            | Self::Active { path, .. } => path,
        }
    }
}

/// Why a report was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Its numbers make no sense.
    #[error("report refused: {0}")]
    Invalid(&'static str),
    /// No item of the course shows that file.
    #[error("no item of this course shows {0}")]
    UnknownPath(String),
    /// Recording failed.
    #[error(transparent)]
    Progress(#[from] ProgressError),
}

/// File types a course may hand to the system's applications: documents, data, images, audio
/// and video. Anything that could run (programs, scripts, shortcuts, web pages) is refused,
/// whatever the package says.
const OPENABLE_EXTENSIONS: &[&str] = &[
    "pdf", "txt", "csv", "tsv", "rtf", "odt", "ods", "odp", "doc", "docx", "xls", "xlsx", "ppt",
    "pptx", "epub", "png", "jpg", "jpeg", "gif", "webp", "svg", "mp3", "ogg", "oga", "m4a", "wav",
    "mp4", "webm", "ogv", "zip",
];

/// Whether a course file may be opened with the system's application for its type.
pub fn openable_with_app(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| OPENABLE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// The item of `manifest` whose main file is `path`.
pub fn item_for_path<'a>(manifest: &'a Manifest, path: &str) -> Option<&'a Item> {
    manifest
        .items()
        .map(|(_, _, item)| item)
        .find(|item| item.kind.paths().first() == Some(&path))
}

/// Records `report` against the item of `manifest` it concerns, in one durable transaction, and
/// returns that item's progress afterwards. Completion is recorded once, when the item's rule is
/// first met.
pub fn record_report(
    db: &ProgressDb,
    manifest: &Manifest,
    report: &Report,
    now_ms: i64,
) -> Result<(String, ItemProgress), ReportError> {
    let item = item_for_path(manifest, report.path())
        .ok_or_else(|| ReportError::UnknownPath(report.path().to_owned()))?;
    let course_id = manifest.course.id.as_str();
    let rule = CompletionRule::for_kind(&item.kind);
    let event = |kind: EventKind, value: Option<f64>| Event {
        id: new_event_id(),
        course_id: course_id.to_owned(),
        item_id: item.id.clone(),
        kind,
        at_ms: now_ms,
        value,
        unit: None,
        end: None,
    };
    let position = |value: f64, unit: &str| Event {
        unit: Some(unit.to_owned()),
        ..event(EventKind::Position, Some(value))
    };
    db.transact(|tx| {
        let (mut events, fraction) = match report {
            Report::Scrolled {
                position: top,
                seen,
                ..
            } => {
                let (top, seen) = (fraction(*top)?, fraction(*seen)?);
                (
                    vec![
                        position(top, "fraction"),
                        event(EventKind::Progressed, Some(seen)),
                    ],
                    Some(seen),
                )
            }
            Report::Pages {
                page, seen, pages, ..
            } => {
                let valid = |p: &u32| (1..=*pages).contains(p);
                if *pages > MAX_PAGES || !valid(page) || !seen.iter().all(valid) {
                    return Err(ReportError::Invalid("page numbers out of range"));
                }
                // Page n is the span (n - 1, n) of a document `pages` long.
                let spans: Vec<Event> = seen
                    .iter()
                    .map(|p| Event {
                        end: Some(f64::from(*p)),
                        ..event(EventKind::Watched, Some(f64::from(*p) - 1.0))
                    })
                    .collect();
                let share = covered(tx, course_id, &item.id, &spans, f64::from(*pages))?;
                (
                    vec![
                        position(f64::from(*page), "page"),
                        event(EventKind::Progressed, Some(share)),
                    ],
                    Some(share),
                )
            }
            Report::Played {
                from, to, duration, ..
            } => {
                let duration = seconds(*duration)?;
                let (from, to) = (seconds(*from)?.min(duration), seconds(*to)?.min(duration));
                if duration <= 0.0 || to < from {
                    return Err(ReportError::Invalid("the span played is empty"));
                }
                let watched = Event {
                    end: Some(to),
                    ..event(EventKind::Watched, Some(from))
                };
                let share = covered(tx, course_id, &item.id, &[watched], duration)?;
                (
                    vec![
                        position(to, "seconds"),
                        event(EventKind::Progressed, Some(share)),
                    ],
                    Some(share),
                )
            }
            Report::At { seconds: at, .. } => (vec![position(seconds(*at)?, "seconds")], None),
            Report::Active {
                seconds: active, ..
            } => (
                vec![event(
                    EventKind::TimeOnTask,
                    Some(seconds(*active)?.min(MAX_ACTIVE_SECONDS)),
                )],
                None,
            ),
        };
        if fraction.is_some_and(|f| rule.met_by(f))
            && !progress::completed_in(tx, course_id, &item.id)?
        {
            events.push(event(EventKind::Completed, None));
        }
        progress::record_in(tx, &events)?;
        Ok::<_, ReportError>(())
    })?;
    Ok((item.id.clone(), db.item(course_id, &item.id)?))
}

/// Records that the learner opened an item.
pub fn record_opened(
    db: &ProgressDb,
    course_id: &str,
    item_id: &str,
    now_ms: i64,
) -> Result<(), ProgressError> {
    db.record(&[simple_event(course_id, item_id, EventKind::Opened, now_ms)])
        .map(drop)
}

/// Records that the learner completed an item by an action (marked it done, opened the file).
pub fn record_completed(
    db: &ProgressDb,
    course_id: &str,
    item_id: &str,
    now_ms: i64,
) -> Result<(), ProgressError> {
    db.record(&[
        simple_event(course_id, item_id, EventKind::Opened, now_ms),
        simple_event(course_id, item_id, EventKind::Completed, now_ms),
    ])
    .map(drop)
}

fn simple_event(course_id: &str, item_id: &str, kind: EventKind, at_ms: i64) -> Event {
    Event {
        id: new_event_id(),
        course_id: course_id.to_owned(),
        item_id: item_id.to_owned(),
        kind,
        at_ms,
        value: None,
        unit: None,
        end: None,
    }
}

/// Records `spans` (watched events) and returns the share of `length` all the item's spans now
/// cover.
fn covered(
    tx: &rusqlite::Transaction<'_>,
    course_id: &str,
    item_id: &str,
    spans: &[Event],
    length: f64,
) -> Result<f64, ProgressError> {
    progress::record_in(tx, spans)?;
    let all = progress::watched_in(tx, course_id, item_id)?;
    Ok((union_length(&all) / length).min(1.0))
}

/// The total length covered by `spans` (overlaps counted once).
pub fn union_length(spans: &[(f64, f64)]) -> f64 {
    let mut sorted: Vec<(f64, f64)> = spans
        .iter()
        .copied()
        .filter(|(from, to)| from.is_finite() && to.is_finite() && to > from)
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut current: Option<(f64, f64)> = None;
    for (from, to) in sorted {
        current = match current {
            Some((start, end)) if from <= end => Some((start, end.max(to))),
            Some((start, end)) => {
                total += end - start;
                Some((from, to))
            }
            None => Some((from, to)),
        };
    }
    total + current.map_or(0.0, |(start, end)| end - start)
}

fn fraction(value: f64) -> Result<f64, ReportError> {
    if value.is_finite() {
        Ok(value.clamp(0.0, 1.0))
    } else {
        Err(ReportError::Invalid("a fraction is not a number"))
    }
}

fn seconds(value: f64) -> Result<f64, ReportError> {
    if value.is_finite() && (0.0..=MAX_DURATION_SECONDS).contains(&value) {
        Ok(value)
    } else {
        Err(ReportError::Invalid("a time is out of range"))
    }
}

/// Where "continue" takes the learner.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ContinueAt {
    /// The item.
    pub item_id: String,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: String,
    /// Where in it (see `unit`).
    pub position: Option<f64>,
    /// `seconds`, `fraction` or `page`.
    pub unit: Option<String>,
}

/// The learner's state in a course, for the Course screen.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourseStudy {
    /// Items done.
    pub completed_items: u32,
    /// Items in all.
    pub total_items: u32,
    /// Seconds spent in all.
    pub time_on_task_s: f64,
    /// When they last did anything (unix ms).
    #[ts(type = "number | null")]
    pub last_studied_ms: Option<i64>,
    /// Where "continue" goes: the item last worked in, at its position.
    pub continue_at: Option<ContinueAt>,
    /// The first item not done, after the one last worked in.
    pub next_item_id: Option<String>,
}

/// Fills `outline` with the learner's progress from `db`.
pub fn decorate_outline(
    mut outline: CourseOutline,
    db: &ProgressDb,
) -> Result<CourseOutline, ProgressError> {
    let course_id = outline.course.id.clone();
    let items = db.items(&course_id)?;
    let course = db.course(&course_id)?;
    let find = |id: &str| items.iter().find(|p| p.item_id == id);
    let mut order = Vec::new();
    for block in &mut outline.blocks {
        for module in &mut block.modules {
            for item in &mut module.items {
                item.progress = find(&item.id).cloned();
                order.push((
                    item.id.clone(),
                    item.title.clone(),
                    item.kind.clone(),
                    item.progress
                        .as_ref()
                        .is_some_and(|p| p.completed_ms.is_some()),
                ));
            }
        }
    }
    let last = course
        .last_item_id
        .as_deref()
        .and_then(|id| order.iter().position(|(item, ..)| item == id));
    let continue_at = last.map(|index| {
        let (id, title, kind, _) = &order[index];
        let progress = find(id);
        ContinueAt {
            item_id: id.clone(),
            title: title.clone(),
            kind: kind.clone(),
            position: progress.and_then(|p| p.position),
            unit: progress.and_then(|p| p.position_unit.clone()),
        }
    });
    let start = last.map_or(0, |index| index + 1);
    let next_item_id = order[start.min(order.len())..]
        .iter()
        .chain(order.iter())
        .find(|(.., done)| !done)
        .map(|(id, ..)| id.clone());
    outline.study = Some(CourseStudy {
        completed_items: order.iter().filter(|(.., done)| *done).count() as u32,
        total_items: order.len() as u32,
        time_on_task_s: course.time_on_task_s,
        last_studied_ms: course.last_studied_ms,
        continue_at,
        next_item_id,
    });
    Ok(outline)
}

/// Fills each course of the library list with its completion and when it was last studied.
pub fn decorate_summaries(
    mut courses: Vec<CourseSummary>,
    db: &ProgressDb,
) -> Result<Vec<CourseSummary>, ProgressError> {
    for course in &mut courses {
        let progress = db.course(&course.id)?;
        course.completed_items = progress.completed_items.min(course.item_count);
        course.last_studied_ms = progress.last_studied_ms;
    }
    Ok(courses)
}

#[cfg(test)]
mod tests;
