//! The courses on this laptop: what the Library and Course screens show, and getting courses in
//! and out.
//!
//! A [`Library`] wraps the content store of `carrel-package` (files by hash, one atomic switch per
//! install) and turns its signed manifests into the views the UI needs: [`CourseSummary`] for the
//! library list and [`CourseOutline`] for a course's blocks, modules and items. Courses arrive from
//! a package file ([`Library::import_file`]) or from the course server ([`download`]); both end in
//! the same verified import, so a course from a USB stick is held to exactly the same rules as one
//! from the server.

pub mod content;
pub mod download;
pub mod media_server;
pub mod relocate;

use std::path::{Path, PathBuf};

use carrel_package::manifest::{ItemKind, Manifest};
use carrel_package::store::{
    Cancel, ImportError, ImportOptions, ImportOutcome, InstalledCourse, Progress, Store,
    StoreError, StoredFile, Trust,
};
use carrel_package::{Fingerprint, Limits};
use serde::Serialize;
use ts_rs::TS;

/// A course as the Library lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourseSummary {
    /// Stable course id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Installed version.
    pub version: String,
    /// Content language.
    pub language: String,
    /// One sentence.
    pub summary: String,
    /// Publisher name.
    pub publisher: String,
    /// Fingerprint of the key that signed it.
    pub publisher_fingerprint: String,
    /// First day (ISO date), if the course runs on dates.
    pub starts: Option<String>,
    /// Last day.
    pub ends: Option<String>,
    /// Bytes its files take on disk.
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// When it was installed (unix ms).
    #[ts(type = "number")]
    pub installed_at: i64,
    /// Number of items.
    pub item_count: u32,
    /// Estimated study hours.
    pub estimated_hours: Option<u32>,
    /// Items the learner has completed (filled from progress by [`crate::study`]).
    pub completed_items: u32,
    /// When the learner last studied it (unix ms; filled by [`crate::study`]).
    #[ts(type = "number | null")]
    pub last_studied_ms: Option<i64>,
}

/// A course's outline, for the Course screen.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourseOutline {
    /// The course.
    pub course: CourseSummary,
    /// The course home page's path, if any.
    pub home_path: Option<String>,
    /// What earns the certificate, in words.
    pub certificate_rule: Option<String>,
    /// Blocks in order.
    pub blocks: Vec<OutlineBlock>,
    /// The learner's progress, continue and next (filled by [`crate::study`]).
    pub study: Option<crate::study::CourseStudy>,
}

/// A block of the outline.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutlineBlock {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// First course week.
    pub week: Option<u32>,
    /// Modules in order.
    pub modules: Vec<OutlineModule>,
}

/// A module of the outline.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutlineModule {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Items in order.
    pub items: Vec<OutlineItem>,
}

/// An item of the outline.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutlineItem {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// page, pdf, video, file, quiz, assignment, webinar, forum or external.
    pub kind: String,
    /// Estimated minutes.
    pub minutes: Option<u32>,
    /// The content file it opens, if it is one the content view shows.
    pub path: Option<String>,
    /// How it counts as done.
    pub rule: crate::study::CompletionRule,
    /// The learner's progress in it, if they have touched it (filled by [`crate::study`]).
    pub progress: Option<crate::progress::ItemProgress>,
}

/// The result of an import, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// The course id.
    pub course_id: String,
    /// Its title.
    pub title: String,
    /// The installed version.
    pub version: String,
    /// Bytes of new files written.
    #[ts(type = "number")]
    pub new_bytes: u64,
    /// The same version was already installed.
    pub already_installed: bool,
}

impl From<ImportOutcome> for ImportReport {
    fn from(outcome: ImportOutcome) -> Self {
        Self {
            course_id: outcome.course_id,
            title: outcome.title,
            version: outcome.version,
            new_bytes: outcome.new_bytes,
            already_installed: outcome.already_installed,
        }
    }
}

/// Progress of a long task (import, download), for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaskProgress {
    /// What is happening: `download` or `install`.
    pub stage: TaskStage,
    /// Bytes done.
    #[ts(type = "number")]
    pub done_bytes: u64,
    /// Bytes in all.
    #[ts(type = "number")]
    pub total_bytes: u64,
}

/// The stage of a long task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TaskStage {
    /// Bytes coming from the server.
    Download,
    /// Files being checked and installed.
    Install,
}

/// The server's catalogue as the Library shows it: what can be downloaded or updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CatalogView {
    /// Courses, in the server's order.
    pub courses: Vec<CatalogEntry>,
}

/// One course of the catalogue, compared with what is installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CatalogEntry {
    /// Course id.
    pub id: String,
    /// Title.
    pub title: String,
    /// One sentence.
    pub summary: String,
    /// Content language.
    pub language: String,
    /// Publisher name.
    pub publisher: String,
    /// The server's version.
    pub version: String,
    /// First day.
    pub starts: Option<String>,
    /// Last day.
    pub ends: Option<String>,
    /// Download size of the whole package.
    #[ts(type = "number")]
    pub package_size: u64,
    /// Size on disk once installed.
    #[ts(type = "number")]
    pub content_size: u64,
    /// The version on this laptop, if any.
    pub installed_version: Option<String>,
    /// What the learner can do with it.
    pub state: CatalogState,
}

/// Whether a catalogue course is new, installed or has an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CatalogState {
    /// Not on this laptop.
    Available,
    /// This version (or a newer one) is installed.
    Installed,
    /// An older version is installed.
    Update,
}

/// Compares the server's catalogue with the installed courses.
pub fn catalog_view(
    catalog: &carrel_protocol::catalog::Catalog,
    installed: &[CourseSummary],
) -> CatalogView {
    use carrel_package::manifest::parse_version;
    CatalogView {
        courses: catalog
            .courses
            .iter()
            .map(|course| {
                let installed_version = installed
                    .iter()
                    .find(|c| c.id == course.id)
                    .map(|c| c.version.clone());
                let state = match &installed_version {
                    None => CatalogState::Available,
                    Some(local) if parse_version(local) < parse_version(&course.version) => {
                        CatalogState::Update
                    }
                    Some(_) => CatalogState::Installed,
                };
                CatalogEntry {
                    id: course.id.clone(),
                    title: course.title.clone(),
                    summary: course.summary.clone(),
                    language: course.language.clone(),
                    publisher: course.publisher.clone(),
                    version: course.version.clone(),
                    starts: course.starts.clone(),
                    ends: course.ends.clone(),
                    package_size: course.package_size,
                    content_size: course.content_size,
                    installed_version,
                    state,
                }
            })
            .collect(),
    }
}

/// The courses on this laptop.
#[derive(Debug)]
pub struct Library {
    store: Store,
}

impl Library {
    /// Opens the library whose store lives in `dir`, cleaning what an interrupted import left.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            store: Store::open(dir)?,
        })
    }

    /// The content store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Every installed course.
    pub fn list(&self) -> Result<Vec<CourseSummary>, StoreError> {
        Ok(self.store.courses()?.iter().map(summary).collect())
    }

    /// The outline of one course.
    pub fn outline(&self, course_id: &str) -> Result<CourseOutline, StoreError> {
        let course = self
            .store
            .course(course_id)?
            .ok_or_else(|| StoreError::NotInstalled(course_id.to_owned()))?;
        Ok(outline_of(&course))
    }

    /// Where the recording `sha256` of a webinar session of `course_id` is kept once downloaded:
    /// `recordings/<course>/<sha256>.<extension of media_type>` beside the store, so it moves
    /// with the courses and the store's clean-up never touches it.
    pub fn recording_path(&self, course_id: &str, sha256: &str, media_type: &str) -> PathBuf {
        let extension = carrel_protocol::changes::RECORDING_FORMATS
            .iter()
            .find(|(_, known)| *known == media_type)
            .map_or("bin", |(extension, _)| *extension);
        self.recordings_dir(course_id)
            .join(format!("{sha256}.{extension}"))
    }

    /// The folder of a course's downloaded recordings.
    pub fn recordings_dir(&self, course_id: &str) -> PathBuf {
        self.store.root().join("recordings").join(course_id)
    }

    /// A file of an installed course, for the content view.
    pub fn file(&self, course_id: &str, path: &str) -> Result<Option<StoredFile>, StoreError> {
        self.store.file(course_id, path)
    }

    /// Which of `paths` of an installed course are missing or of the wrong size on disk (a quick
    /// check before showing them; [`Store::check_course`] does the deep one).
    pub fn damaged_files(
        &self,
        course_id: &str,
        paths: &[&str],
    ) -> Result<Vec<String>, StoreError> {
        let mut damaged = Vec::new();
        for path in paths {
            let sound = self.store.file(course_id, path)?.is_some_and(|file| {
                std::fs::metadata(&file.path)
                    .is_ok_and(|meta| meta.is_file() && meta.len() == file.size)
            });
            if !sound {
                damaged.push((*path).to_owned());
            }
        }
        Ok(damaged)
    }

    /// Copies a file of an installed course to `<dir>/<course_id>/<its file name>` for another
    /// application to open, and returns where. A copy already there with the course's content
    /// is reused. One that differs — the learner edited it in that application — is their work
    /// and is never overwritten: the course's file goes beside it as `<name> (2).<ext>` (or the
    /// next free number). Copies are written to a temporary file and renamed, so an application
    /// never sees half a file.
    pub fn export_file(
        &self,
        course_id: &str,
        path: &str,
        dir: &Path,
    ) -> Result<PathBuf, StoreError> {
        let file = self
            .store
            .file(course_id, path)?
            .ok_or_else(|| StoreError::NotInstalled(format!("{course_id}/{path}")))?;
        let name = path.rsplit('/').next().unwrap_or(path);
        copy_out(
            &file.path,
            file.size,
            &file.sha256,
            &dir.join(course_id),
            name,
        )
    }

    /// Removes a course, the files only it used and its downloaded recordings.
    pub fn remove(&self, course_id: &str) -> Result<(), StoreError> {
        self.store.remove_course(course_id)?;
        let recordings = self.recordings_dir(course_id);
        if let Err(error) = std::fs::remove_dir_all(&recordings)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            // The course is gone; its recordings stay until the next removal, and nothing breaks.
            tracing::warn!(%error, path = %recordings.display(), "recordings not removed");
        }
        Ok(())
    }

    /// Installs the package file at `path`. `confirmed` is a publisher fingerprint the learner has
    /// just accepted after an [`ImportError::UntrustedPublisher`]; `vouched` are keys the course
    /// server vouches for.
    pub fn import_file(
        &self,
        path: &Path,
        trust: Trust,
        progress: &(dyn Fn(TaskProgress) + Sync),
        cancel: Cancel,
    ) -> Result<ImportReport, ImportError> {
        let report = |p: Progress| {
            progress(TaskProgress {
                stage: TaskStage::Install,
                done_bytes: p.done_bytes,
                total_bytes: p.total_bytes,
            })
        };
        let options = import_options(trust, &report, cancel);
        match self.store.import_file(path, &options) {
            Ok(outcome) => Ok(outcome.into()),
            // The disk filled up while the files were written (the check before starting
            // passed): the same clear refusal as when it was full from the start.
            Err(ImportError::Store(StoreError::Io { source, .. }))
                if source.kind() == std::io::ErrorKind::StorageFull =>
            {
                Err(ImportError::NoSpace {
                    needed: std::fs::metadata(path)
                        .map_or(0, |m| m.len())
                        .div_ceil(1_000_000),
                    available: fs4::available_space(self.store.root()).unwrap_or(0) / 1_000_000,
                })
            }
            Err(error) => Err(error),
        }
    }
}

/// Import options with this build's version and the default caps.
pub fn import_options<'a>(
    trust: Trust,
    progress: &'a (dyn Fn(Progress) + Sync),
    cancel: Cancel,
) -> ImportOptions<'a> {
    ImportOptions {
        trust,
        app_version: crate::CARREL_VERSION,
        progress,
        cancel,
        limits: Limits::default(),
    }
}

/// Trust built from a confirmed fingerprint (text from the UI).
pub fn confirmed(fingerprint: Option<&str>) -> Option<Fingerprint> {
    fingerprint.map(Fingerprint::from_text)
}

fn summary(course: &InstalledCourse) -> CourseSummary {
    let c = &course.manifest.course;
    CourseSummary {
        id: c.id.clone(),
        title: c.title.clone(),
        version: c.version.clone(),
        language: c.language.clone(),
        summary: c.summary.clone(),
        publisher: c.publisher.name.clone(),
        publisher_fingerprint: course.publisher.fingerprint().to_string(),
        starts: c.starts.map(|d| d.to_string()),
        ends: c.ends.map(|d| d.to_string()),
        size_bytes: course.size_bytes,
        installed_at: course.installed_at,
        item_count: course.manifest.items().count() as u32,
        estimated_hours: c.estimated_hours,
        completed_items: 0,
        last_studied_ms: None,
    }
}

/// The outline of an installed course (without progress).
pub fn outline_of(course: &InstalledCourse) -> CourseOutline {
    let manifest: &Manifest = &course.manifest;
    CourseOutline {
        course: summary(course),
        home_path: manifest.course.description.clone(),
        certificate_rule: manifest.course.certificate.as_ref().map(|c| c.rule.clone()),
        blocks: manifest
            .blocks
            .iter()
            .map(|block| OutlineBlock {
                id: block.id.clone(),
                title: block.title.clone(),
                summary: block.summary.clone(),
                week: block.week,
                modules: block
                    .modules
                    .iter()
                    .map(|module| OutlineModule {
                        id: module.id.clone(),
                        title: module.title.clone(),
                        summary: module.summary.clone(),
                        items: module
                            .items
                            .iter()
                            .map(|item| OutlineItem {
                                id: item.id.clone(),
                                title: item.title.clone(),
                                kind: item.kind.name().to_owned(),
                                minutes: item.minutes,
                                path: viewable_path(&item.kind),
                                rule: crate::study::CompletionRule::for_kind(&item.kind),
                                progress: None,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        study: None,
    }
}

/// The file an item opens in the content view, for the kinds shown there.
fn viewable_path(kind: &ItemKind) -> Option<String> {
    match kind {
        ItemKind::Page { path } | ItemKind::Pdf { path } | ItemKind::Video { path, .. } => {
            Some(path.clone())
        }
        ItemKind::Scorm(scorm) => Some(scorm.path.clone()),
        ItemKind::Cmi5(au) => Some(au.path.clone()),
        _ => None,
    }
}

/// Where the library of a data folder lives.
pub fn library_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("courses")
}

/// Copies the file at `source` (`size` bytes, SHA-256 `sha256`) to `<folder>/<name>` for another
/// application to open, and returns where: see [`Library::export_file`]. A copy already there
/// with the same content is reused; one that differs (the learner's edits) is never overwritten,
/// the new copy goes beside it as `<name> (2).<ext>`. Written to a temporary file and renamed.
pub fn copy_out(
    source: &Path,
    size: u64,
    sha256: &str,
    folder: &Path,
    name: &str,
) -> Result<PathBuf, StoreError> {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    let io = |operation: &'static str, at: &Path| {
        let at = at.to_owned();
        move |source| StoreError::Io {
            operation,
            path: at,
            source,
        }
    };
    std::fs::create_dir_all(folder).map_err(io("create", folder))?;
    for n in 1..=1000 {
        let candidate = if n == 1 {
            folder.join(name)
        } else {
            folder.join(format!("{stem} ({n}){ext}"))
        };
        match std::fs::File::open(&candidate) {
            Ok(mut existing) => {
                let same = carrel_package::pack::hash_reader(&mut existing)
                    .is_ok_and(|(length, hash)| length == size && hash == sha256);
                if same {
                    return Ok(candidate);
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let temp = folder.join(format!(".{name}.part"));
                std::fs::copy(source, &temp).map_err(io("copy", &temp))?;
                std::fs::rename(&temp, &candidate).map_err(io("create", &candidate))?;
                return Ok(candidate);
            }
            Err(error) => return Err(io("open", &candidate)(error)),
        }
    }
    Err(io("find a free name in", folder)(std::io::Error::other(
        "too many edited copies",
    )))
}
