//! The manifest: what a course package contains, as the publisher signed it.
//!
//! A manifest describes one version of one course — its identity and dates, its outline (blocks →
//! modules → items) and every content file with its size and SHA-256. It travels in the package as
//! `carrel-manifest.json`, and its exact bytes are what the publisher signs (see
//! [`crate::signature`]), so nothing in it is ever re-serialised before it is verified.
//!
//! Ids of the course, its blocks, modules and items are chosen by the author and never derived from
//! titles: a learner's progress follows an item from one version of a course to the next by its id.
//! [`Manifest::parse`] checks the format version first (a newer one is refused with "update
//! Carrel"), then the structure, then the rules serde cannot express ([`Manifest::validate`]): ids
//! are well-formed and unique, every path an item names is a listed file, every listed file has a
//! valid name and a well-formed hash, dates are real dates.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::entry_name::{EntryName, EntryNames};
use crate::{FORMAT_VERSION, PackageError, check_format_version};

/// The name of the manifest inside a package.
pub const MANIFEST_ENTRY: &str = "carrel-manifest.json";
/// The folder inside a package that holds the content files; manifest paths are relative to it.
pub const CONTENT_PREFIX: &str = "content/";
/// The largest manifest accepted, in bytes (a course with 100,000 files stays well under it).
pub const MAX_MANIFEST_BYTES: u64 = 32 * 1024 * 1024;

/// One version of one course, as its publisher describes and signs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The package format version ([`FORMAT_VERSION`] when written by this build).
    pub format_version: u32,
    /// Identity, dates and publisher of the course.
    pub course: Course,
    /// The outline: blocks of modules of items.
    pub blocks: Vec<Block>,
    /// Every content file in the package.
    pub files: Vec<FileEntry>,
    /// When the package was built (RFC 3339, UTC).
    pub built_at: jiff::Timestamp,
}

/// Identity and description of a course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Course {
    /// Stable course id ([`is_valid_id`]); the same for every version of the course.
    pub id: String,
    /// The version of this package of the course (`major.minor.patch`).
    pub version: String,
    /// The course title.
    pub title: String,
    /// Language of the content (a BCP 47 tag such as `en` or `es-419`).
    pub language: String,
    /// One sentence about the course.
    #[serde(default)]
    pub summary: String,
    /// The course home page (a listed HTML file), if any.
    #[serde(default)]
    pub description: Option<String>,
    /// First day of the course, if it runs on dates.
    #[serde(default)]
    pub starts: Option<jiff::civil::Date>,
    /// Last day of the course.
    #[serde(default)]
    pub ends: Option<jiff::civil::Date>,
    /// The oldest Carrel that can open this package (`major.minor.patch`).
    pub min_app_version: String,
    /// Estimated study time for the whole course, in hours.
    #[serde(default)]
    pub estimated_hours: Option<u32>,
    /// Who publishes the course.
    pub publisher: Publisher,
    /// What earns the certificate, in words, if the course gives one.
    #[serde(default)]
    pub certificate: Option<Certificate>,
}

/// The publisher of a course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publisher {
    /// Display name.
    pub name: String,
    /// Web address, if any.
    #[serde(default)]
    pub url: Option<String>,
}

/// The certificate a course awards, and what earns it.
///
/// `rule` says it in words for people; `passed` and `submitted` say it for Carrel, which shows the
/// learner a checklist of what is missing and for which the course server issues the certificate
/// once its own records show every requirement met. A certificate with neither list is awarded by
/// the course team by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// Its title, such as "Certificate of Achievement".
    pub title: String,
    /// What a learner must do to earn it, in words.
    pub rule: String,
    /// Items the learner must pass: quizzes and assignments graded as passed, SCORM and cmi5
    /// content whose result passed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed: Vec<String>,
    /// Items the learner must submit, however they are graded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub submitted: Vec<String>,
}

impl Certificate {
    /// Whether Carrel can tell when it is earned (the course names its requirements).
    pub fn has_requirements(&self) -> bool {
        !self.passed.is_empty() || !self.submitted.is_empty()
    }

    /// Every requirement: the item's id and whether it must be passed (else only submitted), in
    /// the order the course lists them, passes first.
    pub fn requirements(&self) -> impl Iterator<Item = (&str, bool)> {
        self.passed
            .iter()
            .map(|id| (id.as_str(), true))
            .chain(self.submitted.iter().map(|id| (id.as_str(), false)))
    }
}

/// A block of the course (a few weeks on one theme).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// One or two sentences.
    #[serde(default)]
    pub summary: String,
    /// The course week the block starts in (1-based), if the course is paced.
    #[serde(default)]
    pub week: Option<u32>,
    /// Its modules, in order.
    pub modules: Vec<Module>,
}

/// A module: a sitting's worth of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Module {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// One or two sentences.
    #[serde(default)]
    pub summary: String,
    /// Its items, in order.
    pub items: Vec<Item>,
}

/// One thing a learner opens: a page, a video, a quiz, a webinar…
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable id, unique in the course; progress follows it across versions.
    pub id: String,
    /// Title.
    pub title: String,
    /// Estimated minutes of study.
    #[serde(default)]
    pub minutes: Option<u32>,
    /// What kind of item it is, with what that kind needs.
    #[serde(flatten)]
    pub kind: ItemKind,
}

/// The kinds of item and what each carries. Paths are listed files ([`Manifest::files`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemKind {
    /// An HTML page.
    Page {
        /// The page file.
        path: String,
    },
    /// A PDF document, shown in the app.
    Pdf {
        /// The PDF file.
        path: String,
    },
    /// A video (or audio) with an optional captions track.
    Video {
        /// The media file.
        path: String,
        /// A WebVTT captions file.
        #[serde(default)]
        captions: Option<String>,
        /// Length in seconds, if known.
        #[serde(default)]
        duration_seconds: Option<u32>,
    },
    /// A file to download and open with another application.
    File {
        /// The file.
        path: String,
    },
    /// A quiz; its definition is a JSON file ([`crate::activity::QuizDefinition`]).
    Quiz {
        /// The definition file.
        path: String,
    },
    /// An assignment; its definition is a JSON file ([`crate::activity::AssignmentDefinition`]).
    Assignment {
        /// The definition file.
        path: String,
    },
    /// A live session, possibly repeated.
    Webinar {
        /// What it is about (Markdown, shown by the app with raw HTML disabled).
        #[serde(default)]
        description: String,
        /// Its sessions.
        sessions: Vec<WebinarSession>,
    },
    /// A discussion forum with its opening topics.
    Forum {
        /// What it is for (Markdown).
        #[serde(default)]
        description: String,
        /// Its topics.
        topics: Vec<ForumTopic>,
    },
    /// An activity on the web, opened in the system browser.
    External {
        /// Its https address.
        url: String,
        /// What it is (Markdown).
        #[serde(default)]
        description: String,
    },
    /// A SCORM 1.2 or 2004 resource (imported by `carrel-pack convert`), played in the content
    /// window with Carrel's SCORM runtime.
    Scorm(ScormItem),
    /// A cmi5 assignable unit (imported by `carrel-pack convert`), played in the content window
    /// with Carrel acting as its LMS and LRS.
    Cmi5(Cmi5Item),
}

/// The SCORM edition a package follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScormVersion {
    /// SCORM 1.2: the `API` object, `cmi.core.*`.
    #[serde(rename = "1.2")]
    Scorm12,
    /// SCORM 2004 (2nd to 4th edition): the `API_1484_11` object, `cmi.*`.
    #[serde(rename = "2004")]
    Scorm2004,
}

/// A SCORM item: a launchable resource of the package's default organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScormItem {
    /// The launch file (a listed HTML file).
    pub path: String,
    /// The query string the launch file gets, without `?` (from the resource's `href` and the
    /// item's `parameters`), possibly empty.
    #[serde(default)]
    pub parameters: String,
    /// The edition of SCORM the package follows.
    pub scorm_version: ScormVersion,
    /// A SCO talks to the runtime; an asset does not, and is complete once opened.
    pub sco: bool,
    /// The item's `identifier` in `imsmanifest.xml`.
    pub identifier: String,
    /// The score (0–1, scaled) that passes: SCORM 1.2 `adlcp:masteryscore` / 100, SCORM 2004
    /// the primary objective's `minNormalizedMeasure` when it is satisfied by measure.
    #[serde(default)]
    pub mastery_score: Option<f64>,
    /// SCORM 2004 `completionThreshold` (0–1).
    #[serde(default)]
    pub completion_threshold: Option<f64>,
    /// `adlcp:datafromlms` / `adlcp:dataFromLMS`: what `cmi.launch_data` returns.
    #[serde(default)]
    pub launch_data: Option<String>,
    /// SCORM 1.2 `adlcp:prerequisites` (an AICC script over item identifiers), as written.
    #[serde(default)]
    pub prerequisites: Option<String>,
}

/// When a cmi5 AU counts as done for its course ("moveOn").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoveOn {
    /// Passed.
    Passed,
    /// Completed.
    Completed,
    /// Completed and passed.
    CompletedAndPassed,
    /// Completed or passed.
    CompletedOrPassed,
    /// Done as soon as it is launched.
    #[default]
    NotApplicable,
}

/// Where a cmi5 AU expects to be launched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LaunchMethod {
    /// Any window, a frame included.
    #[default]
    AnyWindow,
    /// A window of its own.
    OwnWindow,
}

/// A cmi5 assignable unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cmi5Item {
    /// The launch file (a listed HTML file).
    pub path: String,
    /// The query string of the AU's `url`, without `?`, possibly empty; the launch parameters
    /// are added to it.
    #[serde(default)]
    pub query: String,
    /// The AU's IRI (its `id` in `cmi5.xml`): the activity id of its statements.
    pub au_id: String,
    /// The course's IRI in `cmi5.xml`, for the statements' context.
    pub course_iri: String,
    /// When the AU counts as done.
    #[serde(default)]
    pub move_on: MoveOn,
    /// The scaled score (0–1) that passes, if the course sets one.
    #[serde(default)]
    pub mastery_score: Option<f64>,
    /// Where the AU expects to run.
    #[serde(default)]
    pub launch_method: LaunchMethod,
    /// Given to the AU in its LMS.LaunchData document.
    #[serde(default)]
    pub launch_parameters: Option<String>,
    /// Given to the AU in its LMS.LaunchData document.
    #[serde(default)]
    pub entitlement_key: Option<String>,
    /// The AU's activity type, if `cmi5.xml` gives one.
    #[serde(default)]
    pub activity_type: Option<String>,
}

impl ItemKind {
    /// The kind's name as written in the manifest.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Page { .. } => "page",
            Self::Pdf { .. } => "pdf",
            Self::Video { .. } => "video",
            Self::File { .. } => "file",
            Self::Quiz { .. } => "quiz",
            Self::Assignment { .. } => "assignment",
            Self::Webinar { .. } => "webinar",
            Self::Forum { .. } => "forum",
            Self::External { .. } => "external",
            Self::Scorm(_) => "scorm",
            Self::Cmi5(_) => "cmi5",
        }
    }

    /// The listed files this item uses.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Self::Page { path }
            | Self::Pdf { path }
            | Self::File { path }
            | Self::Quiz { path }
            | Self::Assignment { path } => vec![path],
            Self::Video { path, captions, .. } => std::iter::once(path.as_str())
                .chain(captions.as_deref())
                .collect(),
            Self::Scorm(ScormItem { path, .. }) | Self::Cmi5(Cmi5Item { path, .. }) => vec![path],
            Self::Webinar { .. } | Self::Forum { .. } | Self::External { .. } => Vec::new(),
        }
    }
}

/// One session of a webinar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebinarSession {
    /// Stable id.
    pub id: String,
    /// When it starts (an instant; shown in the learner's zone and in `time_zone`).
    pub starts: jiff::Timestamp,
    /// The IANA time zone the session is organised in, such as `Europe/Zurich`.
    pub time_zone: String,
    /// Length in minutes.
    pub duration_minutes: u32,
    /// Where to join (https).
    #[serde(default)]
    pub join_url: Option<String>,
    /// Who presents it.
    #[serde(default)]
    pub presenter: Option<String>,
}

/// An opening topic of a forum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForumTopic {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The opening question (Markdown).
    #[serde(default)]
    pub prompt: String,
}

/// One content file: where it is in the package and what it must hash to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the content folder ([`CONTENT_PREFIX`]), a valid [`EntryName`].
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, 64 lowercase hex digits.
    pub sha256: String,
    /// MIME type the content is served with.
    pub media_type: String,
}

/// What is wrong with a manifest. Messages name the field or id at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The format version is not one this build reads.
    #[error(transparent)]
    Format(#[from] PackageError),
    /// Not JSON, or not the shape of a manifest.
    #[error("the course manifest is malformed: {0}")]
    Malformed(String),
    /// An id that does not follow the rules of [`is_valid_id`].
    #[error(
        "the {what} id “{id}” is not valid: use 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit"
    )]
    BadId {
        /// Course, block, module, item, session or topic.
        what: &'static str,
        /// The id.
        id: String,
    },
    /// Two things of one kind with the same id.
    #[error("the {what} id “{id}” is used twice; ids must be unique")]
    DuplicateId {
        /// Block, module, item…
        what: &'static str,
        /// The id.
        id: String,
    },
    /// A version that is not `major.minor.patch`.
    #[error("the {what} “{value}” is not a version of the form major.minor.patch")]
    BadVersion {
        /// Which version field.
        what: &'static str,
        /// Its value.
        value: String,
    },
    /// A required text field is empty.
    #[error("the {what} is empty")]
    Empty {
        /// Which field.
        what: String,
    },
    /// A listed file with a bad path.
    #[error("the manifest lists a file with a bad name: {0}")]
    BadPath(#[from] crate::entry_name::EntryNameError),
    /// A hash that is not 64 lowercase hex digits.
    #[error("the file “{path}” has a malformed SHA-256 “{sha256}”")]
    BadHash {
        /// The file.
        path: String,
        /// The value found.
        sha256: String,
    },
    /// An item names a file the manifest does not list.
    #[error("the item “{item}” uses the file “{path}”, which the package does not list")]
    MissingFile {
        /// The item id.
        item: String,
        /// The path.
        path: String,
    },
    /// An item whose fields break a rule of its kind.
    #[error("the item “{item}” is not valid: {reason}")]
    Invalid {
        /// The item id.
        item: String,
        /// What is wrong.
        reason: String,
    },
    /// A web address that is not https (or http for localhost in tests).
    #[error("the {what} “{url}” is not an https address")]
    BadUrl {
        /// Which field.
        what: String,
        /// Its value.
        url: String,
    },
    /// A time zone name unknown to this system's time-zone database.
    #[error("the webinar session “{session}” names an unknown time zone “{zone}”")]
    BadTimeZone {
        /// The session id.
        session: String,
        /// The zone.
        zone: String,
    },
    /// Course dates in the wrong order.
    #[error("the course ends ({ends}) before it starts ({starts})")]
    DatesReversed {
        /// First day.
        starts: jiff::civil::Date,
        /// Last day.
        ends: jiff::civil::Date,
    },
}

/// Only the version field, read before anything else so a newer format is refused by name.
#[derive(Deserialize)]
struct VersionProbe {
    format_version: u32,
}

impl Manifest {
    /// Reads and checks a manifest from its exact bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ManifestError> {
        Self::check_version(bytes)?;
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|error| ManifestError::Malformed(error.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Reads only the format version and refuses one this build cannot read.
    pub fn check_version(bytes: &[u8]) -> Result<(), ManifestError> {
        let probe: VersionProbe = serde_json::from_slice(bytes)
            .map_err(|error| ManifestError::Malformed(error.to_string()))?;
        check_format_version(probe.format_version)?;
        Ok(())
    }

    /// The canonical bytes of this manifest: what a publisher signs and what goes in the package.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain structs of strings and numbers cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Checks the rules serde cannot express.
    pub fn validate(&self) -> Result<(), ManifestError> {
        check_format_version(self.format_version)?;
        let course = &self.course;
        check_id("course", &course.id)?;
        check_version("course version", &course.version)?;
        check_version("minimum app version", &course.min_app_version)?;
        for (what, value) in [
            ("course title", &course.title),
            ("course language", &course.language),
            ("publisher name", &course.publisher.name),
        ] {
            if value.trim().is_empty() {
                return Err(ManifestError::Empty { what: what.into() });
            }
        }
        if let (Some(starts), Some(ends)) = (course.starts, course.ends)
            && ends < starts
        {
            return Err(ManifestError::DatesReversed { starts, ends });
        }

        let mut names = EntryNames::new();
        let mut listed = HashSet::new();
        for file in &self.files {
            names.insert(EntryName::parse(&format!("{CONTENT_PREFIX}{}", file.path))?)?;
            if !is_sha256_hex(&file.sha256) {
                return Err(ManifestError::BadHash {
                    path: file.path.clone(),
                    sha256: file.sha256.clone(),
                });
            }
            listed.insert(file.path.as_str());
        }
        if let Some(description) = &course.description
            && !listed.contains(description.as_str())
        {
            return Err(ManifestError::MissingFile {
                item: course.id.clone(),
                path: description.clone(),
            });
        }

        let mut ids: HashMap<&'static str, HashSet<String>> = HashMap::new();
        let mut unique = |what: &'static str, id: &str| -> Result<(), ManifestError> {
            check_id(what, id)?;
            if !ids.entry(what).or_default().insert(id.to_owned()) {
                return Err(ManifestError::DuplicateId {
                    what,
                    id: id.to_owned(),
                });
            }
            Ok(())
        };
        for block in &self.blocks {
            unique("block", &block.id)?;
            for module in &block.modules {
                unique("module", &module.id)?;
                for item in &module.items {
                    unique("item", &item.id)?;
                    if item.title.trim().is_empty() {
                        return Err(ManifestError::Empty {
                            what: format!("title of item “{}”", item.id),
                        });
                    }
                    for path in item.kind.paths() {
                        if !listed.contains(path) {
                            return Err(ManifestError::MissingFile {
                                item: item.id.clone(),
                                path: path.to_owned(),
                            });
                        }
                    }
                    check_item_details(item, &mut unique)?;
                }
            }
        }
        if let Some(certificate) = &course.certificate {
            self.check_certificate(certificate)?;
        }
        Ok(())
    }

    /// Each requirement of the certificate names, once, an item of the course that is submitted
    /// (a quiz, an assignment, SCORM or cmi5 content).
    fn check_certificate(&self, certificate: &Certificate) -> Result<(), ManifestError> {
        let invalid = |reason: String| ManifestError::Invalid {
            item: "certificate".into(),
            reason,
        };
        if certificate.title.trim().is_empty() {
            return Err(ManifestError::Empty {
                what: "certificate title".into(),
            });
        }
        let mut seen = HashSet::new();
        for (id, _) in certificate.requirements() {
            if !seen.insert(id) {
                return Err(invalid(format!("it names the item “{id}” twice")));
            }
            let Some((_, _, item)) = self.items().find(|(_, _, item)| item.id == id) else {
                return Err(invalid(format!(
                    "it requires the item “{id}”, which the course does not have"
                )));
            };
            if !matches!(
                item.kind,
                ItemKind::Quiz { .. }
                    | ItemKind::Assignment { .. }
                    | ItemKind::Scorm(_)
                    | ItemKind::Cmi5(_)
            ) {
                return Err(invalid(format!(
                    "it requires the item “{id}”, a {}, which is never submitted; require a quiz, an assignment, SCORM or cmi5 content",
                    item.kind.name()
                )));
            }
        }
        Ok(())
    }

    /// Every item with the block and module it is in, in course order.
    pub fn items(&self) -> impl Iterator<Item = (&Block, &Module, &Item)> {
        self.blocks.iter().flat_map(|block| {
            block
                .modules
                .iter()
                .flat_map(move |module| module.items.iter().map(move |item| (block, module, item)))
        })
    }

    /// The listed file at `path`.
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|file| file.path == path)
    }

    /// The sum of the sizes of all listed files.
    pub fn total_size(&self) -> u64 {
        self.files.iter().map(|file| file.size).sum()
    }

    /// A new manifest at the current format version, stamped now.
    pub fn new(course: Course, blocks: Vec<Block>, files: Vec<FileEntry>) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            course,
            blocks,
            files,
            built_at: jiff::Timestamp::now(),
        }
    }
}

fn check_item_details(
    item: &Item,
    unique: &mut impl FnMut(&'static str, &str) -> Result<(), ManifestError>,
) -> Result<(), ManifestError> {
    match &item.kind {
        ItemKind::Webinar { sessions, .. } => {
            for session in sessions {
                unique("webinar session", &session.id)?;
                if jiff::tz::TimeZone::get(&session.time_zone).is_err() {
                    return Err(ManifestError::BadTimeZone {
                        session: session.id.clone(),
                        zone: session.time_zone.clone(),
                    });
                }
                if let Some(url) = &session.join_url {
                    check_https(&format!("join address of session “{}”", session.id), url)?;
                }
            }
        }
        ItemKind::Forum { topics, .. } => {
            for topic in topics {
                unique("forum topic", &topic.id)?;
            }
        }
        ItemKind::External { url, .. } => {
            check_https(&format!("address of item “{}”", item.id), url)?;
        }
        ItemKind::Scorm(scorm) => {
            check_fraction(&item.id, "mastery score", scorm.mastery_score)?;
            check_fraction(&item.id, "completion threshold", scorm.completion_threshold)?;
        }
        ItemKind::Cmi5(au) => {
            check_fraction(&item.id, "mastery score", au.mastery_score)?;
            for (what, iri) in [("AU id", &au.au_id), ("course IRI", &au.course_iri)] {
                if !is_iri(iri) {
                    return Err(ManifestError::Invalid {
                        item: item.id.clone(),
                        reason: format!("its {what} “{iri}” is not an absolute IRI"),
                    });
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_fraction(item: &str, what: &str, value: Option<f64>) -> Result<(), ManifestError> {
    match value {
        Some(value) if !(0.0..=1.0).contains(&value) => Err(ManifestError::Invalid {
            item: item.to_owned(),
            reason: format!("its {what} {value} is not between 0 and 1"),
        }),
        _ => Ok(()),
    }
}

/// Whether `value` looks like an absolute IRI: a scheme (a letter, then letters, digits, `+`,
/// `-`, `.`), a colon, and no white space.
pub fn is_iri(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !value.chars().any(char::is_whitespace)
}

/// Whether `id` is a valid id: 1–64 of `a-z`, `0-9` and `-`, not starting with `-`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_id(what: &'static str, id: &str) -> Result<(), ManifestError> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(ManifestError::BadId {
            what,
            id: id.to_owned(),
        })
    }
}

/// Parses `major.minor.patch` into numbers.
pub fn parse_version(value: &str) -> Option<(u64, u64, u64)> {
    let mut parts = value.split('.').map(|part| {
        if part.is_empty() || (part.len() > 1 && part.starts_with('0')) {
            None
        } else {
            part.parse::<u64>().ok()
        }
    });
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

fn check_version(what: &'static str, value: &str) -> Result<(), ManifestError> {
    parse_version(value)
        .map(|_| ())
        .ok_or_else(|| ManifestError::BadVersion {
            what,
            value: value.to_owned(),
        })
}

/// Whether `url` is an https address with a host and no whitespace or control characters (which
/// could smuggle lines into a calendar file or a command line).
pub fn is_https_url(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with('/')
            && !rest.chars().any(|c| c.is_control() || c.is_whitespace())
    })
}

/// A session start written as RFC 3339 with an offset (`2027-02-24T14:00:00+01:00`), checked to
/// be the offset `zone` (IANA) has at that instant, so a daylight-saving slip is caught where it
/// is written. The error says what is wrong.
pub fn session_start(starts: &str, zone: &str) -> Result<jiff::Timestamp, String> {
    let instant: jiff::Timestamp = starts.parse().map_err(|error| {
        format!("starts “{starts}” is not an RFC 3339 time with an offset ({error})")
    })?;
    let tz = jiff::tz::TimeZone::get(zone).map_err(|_| {
        format!("the time zone “{zone}” is unknown (an IANA name such as Europe/Zurich)")
    })?;
    let written: Option<jiff::civil::DateTime> =
        starts.get(..19).and_then(|local| local.parse().ok());
    let local = tz.to_datetime(instant);
    if written != Some(local) {
        return Err(format!(
            "starts “{starts}” has the wrong offset for {zone} on that date (local time there is {local})"
        ));
    }
    Ok(instant)
}

fn check_https(what: &str, url: &str) -> Result<(), ManifestError> {
    if is_https_url(url) {
        Ok(())
    } else {
        Err(ManifestError::BadUrl {
            what: what.to_owned(),
            url: url.to_owned(),
        })
    }
}

/// Whether `value` is 64 lowercase hex digits.
pub fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Manifest {
        let hash = "a".repeat(64);
        Manifest::new(
            Course {
                id: "demo".into(),
                version: "1.0.0".into(),
                title: "Demo".into(),
                language: "en".into(),
                summary: String::new(),
                description: Some("pages/home.html".into()),
                starts: Some(jiff::civil::date(2027, 2, 15)),
                ends: Some(jiff::civil::date(2027, 3, 28)),
                min_app_version: "0.1.0".into(),
                estimated_hours: Some(30),
                publisher: Publisher {
                    name: "Publisher".into(),
                    url: None,
                },
                certificate: None,
            },
            vec![Block {
                id: "block-1".into(),
                title: "Block".into(),
                summary: String::new(),
                week: Some(1),
                modules: vec![Module {
                    id: "m1".into(),
                    title: "Module".into(),
                    summary: String::new(),
                    items: vec![
                        Item {
                            id: "home".into(),
                            title: "Home".into(),
                            minutes: Some(5),
                            kind: ItemKind::Page {
                                path: "pages/home.html".into(),
                            },
                        },
                        Item {
                            id: "live".into(),
                            title: "Live".into(),
                            minutes: None,
                            kind: ItemKind::Webinar {
                                description: String::new(),
                                sessions: vec![WebinarSession {
                                    id: "s1".into(),
                                    starts: "2027-02-18T13:00:00Z".parse().unwrap(),
                                    time_zone: "Europe/Zurich".into(),
                                    duration_minutes: 90,
                                    join_url: Some("https://example.org/w".into()),
                                    presenter: None,
                                }],
                            },
                        },
                    ],
                }],
            }],
            vec![FileEntry {
                path: "pages/home.html".into(),
                size: 10,
                sha256: hash,
                media_type: "text/html".into(),
            }],
        )
    }

    #[test]
    fn round_trips_through_its_bytes() {
        let manifest = sample();
        assert_eq!(Manifest::parse(&manifest.to_bytes()).unwrap(), manifest);
    }

    #[test]
    fn refuses_a_newer_format_before_reading_the_rest() {
        // A future format may change anything else; the version alone must decide.
        let bytes = br#"{"format_version": 2, "course": "a shape this build does not know"}"#;
        let error = Manifest::parse(bytes).unwrap_err();
        assert!(error.to_string().contains("update Carrel"), "{error}");
    }

    fn certificate(passed: &[&str], submitted: &[&str]) -> Certificate {
        Certificate {
            title: "Certificate of Achievement".into(),
            rule: "Pass the essay.".into(),
            passed: passed.iter().map(|id| (*id).to_owned()).collect(),
            submitted: submitted.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    /// The sample with an assignment, `essay`.
    fn with_essay() -> Manifest {
        let mut manifest = sample();
        manifest.blocks[0].modules[0].items.push(Item {
            id: "essay".into(),
            title: "Essay".into(),
            minutes: None,
            kind: ItemKind::Assignment {
                path: "pages/home.html".into(),
            },
        });
        manifest
    }

    #[test]
    fn a_certificates_requirements_round_trip_and_are_listed_passes_first() {
        let mut manifest = with_essay();
        manifest.course.certificate = Some(certificate(&["essay"], &[]));
        let parsed = Manifest::parse(&manifest.to_bytes()).unwrap();
        let earned = parsed.course.certificate.unwrap();
        assert!(earned.has_requirements());
        assert_eq!(earned.requirements().collect::<Vec<_>>(), [("essay", true)]);
        let both = certificate(&["essay"], &["quiz"]);
        assert_eq!(
            both.requirements().collect::<Vec<_>>(),
            [("essay", true), ("quiz", false)]
        );
        // Without lists: awarded by hand, and older manifests (title and rule only) still read.
        let by_hand = br#"{"title": "Certificate", "rule": "Ask your tutor."}"#;
        let by_hand: Certificate = serde_json::from_slice(by_hand).unwrap();
        assert!(!by_hand.has_requirements());
    }

    #[test]
    fn names_what_is_wrong() {
        type Breaker = fn(&mut Manifest);
        let cases: Vec<(Breaker, &str)> = vec![
            (
                |m| m.course.id = "Demo Course".into(),
                "course id “Demo Course”",
            ),
            (|m| m.course.version = "1.0".into(), "course version “1.0”"),
            (
                |m| m.blocks[0].modules[0].items[1].id = "home".into(),
                "item id “home” is used twice",
            ),
            (|m| m.files[0].sha256 = "xyz".into(), "malformed SHA-256"),
            (|m| m.files[0].path = "../escape.html".into(), "escape.html"),
            (
                |m| {
                    m.blocks[0].modules[0].items[0].kind = ItemKind::Pdf {
                        path: "missing.pdf".into(),
                    }
                },
                "uses the file “missing.pdf”",
            ),
            (
                |m| {
                    if let ItemKind::Webinar { sessions, .. } =
                        &mut m.blocks[0].modules[0].items[1].kind
                    {
                        sessions[0].time_zone = "Mars/Olympus".into();
                    }
                },
                "unknown time zone “Mars/Olympus”",
            ),
            (
                |m| {
                    m.blocks[0].modules[0].items[1].kind = ItemKind::External {
                        url: "javascript:alert(1)".into(),
                        description: String::new(),
                    }
                },
                "not an https address",
            ),
            (
                |m| m.course.ends = Some(jiff::civil::date(2027, 1, 1)),
                "ends (2027-01-01) before it starts",
            ),
            (|m| m.course.title = "  ".into(), "course title is empty"),
            (
                |m| m.course.certificate = Some(certificate(&["nowhere"], &[])),
                "requires the item “nowhere”, which the course does not have",
            ),
            (
                |m| m.course.certificate = Some(certificate(&["live"], &[])),
                "a webinar, which is never submitted",
            ),
            (
                |m| m.course.certificate = Some(certificate(&["essay"], &["essay"])),
                "names the item “essay” twice",
            ),
        ];
        for (break_it, expected) in cases {
            let mut manifest = with_essay();
            break_it(&mut manifest);
            let error = Manifest::parse(&manifest.to_bytes())
                .unwrap_err()
                .to_string();
            assert!(
                error.contains(expected),
                "expected “{expected}” in “{error}”"
            );
        }
    }

    #[test]
    fn versions_are_three_plain_numbers() {
        assert_eq!(parse_version("1.20.3"), Some((1, 20, 3)));
        for bad in ["1.2", "1.2.3.4", "01.2.3", "1.2.x", "", "1..2"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }
}
