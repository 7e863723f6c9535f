//! What the plan is computed from: the course, the learner and their progress, as plain values.

use std::collections::BTreeMap;

use carrel_package::manifest::{self, Manifest};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use ts_rs::TS;

/// A course as the plan sees it: its dates, its outline and its dated events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanCourse {
    /// First day of the course (a civil date: the day starts at midnight in the learner's zone).
    pub starts: Option<Date>,
    /// Last day of the course, included.
    pub ends: Option<Date>,
    /// The outline, in course order.
    pub blocks: Vec<PlanBlock>,
    /// Deadlines of quizzes and assignments (from their definition files; not in the manifest).
    pub deadlines: Vec<PlanDeadline>,
    /// Live webinar sessions.
    pub sessions: Vec<PlanSession>,
}

/// A block: a few weeks on one theme.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanBlock {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The course week the block starts in (1-based); `None`: it follows the previous block.
    pub week: Option<u32>,
    /// Its modules, in order.
    pub modules: Vec<PlanModule>,
}

/// A module: a sitting's worth of items, never split across weeks.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanModule {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Its items, in order.
    pub items: Vec<PlanItem>,
}

/// One item of the course.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    /// Stable id, unique in the course.
    pub id: String,
    /// Title.
    pub title: String,
    /// What kind of item it is.
    pub kind: PlanItemKind,
    /// Estimated minutes of study, as the author wrote them.
    pub minutes: Option<u32>,
    /// The item's own length, when it has one: a video's duration rounded up to whole minutes,
    /// a webinar's longest session. Used only when `minutes` is missing.
    pub length_minutes: Option<u32>,
}

impl PlanItem {
    /// The minutes the plan counts for this item: the author's estimate, else [`default_minutes`].
    pub fn estimated_minutes(&self) -> u32 {
        self.minutes
            .unwrap_or_else(|| default_minutes(self.kind, self.length_minutes))
    }
}

/// The kinds of item, as named in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PlanItemKind {
    /// An HTML page.
    Page,
    /// A PDF document.
    Pdf,
    /// A video or audio recording.
    Video,
    /// A file to download.
    File,
    /// A quiz.
    Quiz,
    /// An assignment.
    Assignment,
    /// A live session.
    Webinar,
    /// A discussion forum.
    Forum,
    /// An activity on the web.
    External,
    /// A SCORM activity.
    Scorm,
    /// A cmi5 assignable unit.
    Cmi5,
}

impl PlanItemKind {
    /// The kind of a manifest item.
    pub fn of(kind: &manifest::ItemKind) -> Self {
        match kind {
            manifest::ItemKind::Page { .. } => Self::Page,
            manifest::ItemKind::Pdf { .. } => Self::Pdf,
            manifest::ItemKind::Video { .. } => Self::Video,
            manifest::ItemKind::File { .. } => Self::File,
            manifest::ItemKind::Quiz { .. } => Self::Quiz,
            manifest::ItemKind::Assignment { .. } => Self::Assignment,
            manifest::ItemKind::Webinar { .. } => Self::Webinar,
            manifest::ItemKind::Forum { .. } => Self::Forum,
            manifest::ItemKind::External { .. } => Self::External,
            manifest::ItemKind::Scorm(_) => Self::Scorm,
            manifest::ItemKind::Cmi5(_) => Self::Cmi5,
        }
    }
}

/// Minutes counted for an item whose author gave no estimate.
///
/// | kind       | minutes                                   |
/// |------------|-------------------------------------------|
/// | page       | 10                                        |
/// | pdf        | 20                                        |
/// | video      | its length, else 10                       |
/// | file       | 15                                        |
/// | quiz       | 20                                        |
/// | assignment | 60                                        |
/// | webinar    | its longest session, else 60              |
/// | forum      | 20                                        |
/// | external   | 20                                        |
/// | scorm/cmi5 | 30                                        |
pub fn default_minutes(kind: PlanItemKind, length_minutes: Option<u32>) -> u32 {
    match kind {
        PlanItemKind::Page => 10,
        PlanItemKind::Pdf => 20,
        PlanItemKind::Video => length_minutes.unwrap_or(10),
        PlanItemKind::File => 15,
        PlanItemKind::Quiz => 20,
        PlanItemKind::Assignment => 60,
        PlanItemKind::Webinar => length_minutes.unwrap_or(60),
        PlanItemKind::Forum | PlanItemKind::External => 20,
        PlanItemKind::Scorm | PlanItemKind::Cmi5 => 30,
    }
}

/// When a quiz or an assignment is due.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDeadline {
    /// The item.
    pub item_id: String,
    /// The instant it is due.
    pub due: Timestamp,
    /// The IANA zone the deadline was set in (shown for reference), if known.
    pub zone: Option<String>,
}

/// One live session of a webinar.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSession {
    /// The webinar item.
    pub item_id: String,
    /// The session's id.
    pub session_id: String,
    /// When it starts.
    pub starts: Timestamp,
    /// The IANA zone it is organised in.
    pub zone: String,
    /// Its length.
    pub duration_minutes: u32,
    /// Who presents it.
    pub presenter: Option<String>,
    /// Where to join (https, from the signed package).
    pub join_url: Option<String>,
    /// Its recording, once the course team published one.
    pub recording: Option<PlanRecording>,
}

/// The recording of a session, on the course server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecording {
    /// Its path on the server.
    pub url: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
    /// Downloaded to this computer.
    pub downloaded: bool,
}

impl PlanSession {
    /// When it ends.
    pub fn ends(&self) -> Timestamp {
        let minutes = i64::from(self.duration_minutes);
        self.starts
            .checked_add(jiff::SignedDuration::from_mins(minutes))
            .unwrap_or(Timestamp::MAX)
    }
}

impl PlanCourse {
    /// The course's dates, outline and webinar sessions from its manifest. Deadlines live in the
    /// quiz and assignment definition files: add them to [`PlanCourse::deadlines`].
    pub fn from_manifest(manifest: &Manifest) -> Self {
        Self {
            starts: manifest.course.starts,
            ends: manifest.course.ends,
            blocks: manifest.blocks.iter().map(block_from_manifest).collect(),
            deadlines: Vec::new(),
            sessions: manifest
                .blocks
                .iter()
                .flat_map(|block| &block.modules)
                .flat_map(|module| &module.items)
                .flat_map(sessions_from_manifest)
                .collect(),
        }
    }

    /// Every item, in course order.
    pub fn items(&self) -> impl Iterator<Item = &PlanItem> {
        self.blocks
            .iter()
            .flat_map(|block| &block.modules)
            .flat_map(|module| &module.items)
    }
}

fn block_from_manifest(block: &manifest::Block) -> PlanBlock {
    PlanBlock {
        id: block.id.clone(),
        title: block.title.clone(),
        week: block.week,
        modules: block
            .modules
            .iter()
            .map(|module| PlanModule {
                id: module.id.clone(),
                title: module.title.clone(),
                items: module.items.iter().map(item_from_manifest).collect(),
            })
            .collect(),
    }
}

fn item_from_manifest(item: &manifest::Item) -> PlanItem {
    PlanItem {
        id: item.id.clone(),
        title: item.title.clone(),
        kind: PlanItemKind::of(&item.kind),
        minutes: item.minutes,
        length_minutes: length_minutes(&item.kind),
    }
}

/// A video's duration rounded up to whole minutes; a webinar's longest session.
fn length_minutes(kind: &manifest::ItemKind) -> Option<u32> {
    match kind {
        manifest::ItemKind::Video {
            duration_seconds, ..
        } => duration_seconds.map(|seconds| seconds.div_ceil(60)),
        manifest::ItemKind::Webinar { sessions, .. } => sessions
            .iter()
            .map(|session| session.duration_minutes)
            .max(),
        _ => None,
    }
}

fn sessions_from_manifest(item: &manifest::Item) -> Vec<PlanSession> {
    match &item.kind {
        manifest::ItemKind::Webinar { sessions, .. } => sessions
            .iter()
            .map(|session| PlanSession {
                item_id: item.id.clone(),
                session_id: session.id.clone(),
                starts: session.starts,
                zone: session.time_zone.clone(),
                duration_minutes: session.duration_minutes,
                presenter: session.presenter.clone(),
                join_url: session.join_url.clone(),
                recording: None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Who is studying, and how much time they mean to give the course.
#[derive(Debug, Clone, PartialEq)]
pub struct Learner {
    /// Minutes of study a week the learner has set aside.
    pub weekly_minutes: u32,
    /// Their time zone: weeks start on Monday at midnight there.
    pub time_zone: TimeZone,
}

impl Learner {
    /// A learner with `hours` a week (rounded to whole minutes; negative counts as none).
    pub fn with_weekly_hours(hours: f64, time_zone: TimeZone) -> Self {
        let minutes = (hours * 60.0).round();
        Self {
            // `as` saturates: NaN and negatives become 0, absurdly large values u32::MAX.
            weekly_minutes: minutes as u32,
            time_zone,
        }
    }
}

/// What the learner has done in this course.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LearnerProgress {
    /// Completed items, by id, with when each was first completed.
    pub completed: BTreeMap<String, Timestamp>,
    /// Time-on-task events from the progress log.
    pub time_on_task: Vec<TimeOnTask>,
}

/// Time spent, recorded at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeOnTask {
    /// When it was recorded; the whole amount counts in the week of this instant.
    pub at: Timestamp,
    /// Seconds spent. Negative or non-finite values are ignored.
    pub seconds: f64,
}

impl LearnerProgress {
    /// The learner's first recorded activity: the earliest time on task or completion.
    pub fn first_activity(&self) -> Option<Timestamp> {
        let times = self.time_on_task.iter().map(|event| event.at);
        times.chain(self.completed.values().copied()).min()
    }

    /// Whether the item is completed.
    pub fn is_done(&self, item_id: &str) -> bool {
        self.completed.contains_key(item_id)
    }
}
