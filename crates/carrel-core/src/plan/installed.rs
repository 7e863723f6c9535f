//! The plan of a course installed on this laptop: its manifest and activity definitions from the
//! content store, the learner's progress from the progress database.

use std::collections::{BTreeMap, HashMap};

use carrel_package::activity::{AssignmentDefinition, QuizDefinition};
use carrel_package::manifest::{ItemKind, Manifest};
use carrel_protocol::changes::ChangeBody;
use jiff::Timestamp;

use super::ics::CalendarWords;
use super::{
    Learner, LearnerProgress, PlanCourse, PlanDeadline, PlanError, PlanRecording, PlanSession,
    TimeOnTask, WeeklyPlan,
};
use crate::library::Library;
use crate::progress::{ProgressDb, ProgressError};

/// Why the plan of an installed course could not be made.
#[derive(Debug, thiserror::Error)]
pub enum InstalledPlanError {
    /// The course is not installed.
    #[error("the course {0} is not on this computer")]
    NotInstalled(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] carrel_package::store::StoreError),
    /// The progress database failed.
    #[error(transparent)]
    Progress(#[from] ProgressError),
    /// The plan could not be computed.
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// The weekly plan of installed course `course_id` for `learner` at `now`.
pub fn plan_installed(
    library: &Library,
    db: &ProgressDb,
    course_id: &str,
    learner: &Learner,
    now: Timestamp,
) -> Result<WeeklyPlan, InstalledPlanError> {
    let (_, plan_course, _) = installed_course(library, db, course_id)?;
    let progress = learner_progress(db, course_id)?;
    Ok(super::build_weekly_plan(
        &plan_course,
        learner,
        &progress,
        now,
    )?)
}

/// The iCalendar file of installed course `course_id`'s webinar sessions and deadlines
/// ([`super::ics`]), exported at `now`.
pub fn calendar_installed(
    library: &Library,
    db: &ProgressDb,
    course_id: &str,
    words: &CalendarWords,
    now: Timestamp,
) -> Result<String, InstalledPlanError> {
    let (manifest, plan_course, cancelled) = installed_course(library, db, course_id)?;
    Ok(super::ics::course_calendar(
        course_id,
        &manifest.course.title,
        &plan_course,
        &cancelled,
        words,
        now,
    ))
}

/// The reminders due at `now` in installed course `course_id` ([`super::reminders`]).
pub fn reminders_installed(
    library: &Library,
    db: &ProgressDb,
    course_id: &str,
    now: Timestamp,
) -> Result<Vec<super::reminders::Reminder>, InstalledPlanError> {
    let (_, plan_course, _) = installed_course(library, db, course_id)?;
    let progress = learner_progress(db, course_id)?;
    Ok(super::reminders::due_reminders(
        &plan_course,
        &progress,
        now,
    ))
}

/// An installed course's manifest and its plan input, deadlines included: the package's, with
/// the learner's own due dates from the course server in place of an assignment's (the date
/// Carrel enforces when they submit, see `assess::assignments`).
fn installed_course(
    library: &Library,
    db: &ProgressDb,
    course_id: &str,
) -> Result<(Manifest, PlanCourse, Vec<PlanSession>), InstalledPlanError> {
    let course = library
        .store()
        .course(course_id)?
        .ok_or_else(|| InstalledPlanError::NotInstalled(course_id.to_owned()))?;
    let mut plan_course = PlanCourse::from_manifest(&course.manifest);
    let mut changed: HashMap<String, Option<Timestamp>> = HashMap::new();
    for (_, _, item) in course.manifest.items() {
        if !matches!(item.kind, ItemKind::Assignment { .. }) {
            continue;
        }
        let due = db.transact(|tx| {
            crate::sync::changes::due_override_in(tx, course_id, &item.id)
                .map_err(ProgressError::from)
        })?;
        if let Some(due) = due {
            let instant = due
                .due_ms
                .and_then(|ms| Timestamp::from_millisecond(ms).ok());
            changed.insert(item.id.clone(), instant);
        }
    }
    plan_course.deadlines = deadlines(library, &course.manifest, &changed);
    let sessions = db.transact(|tx| {
        crate::sync::changes::session_changes_in(tx, course_id).map_err(ProgressError::from)
    })?;
    let cancelled = apply_session_changes(&mut plan_course, &course.manifest, &sessions);
    for session in &mut plan_course.sessions {
        if let Some(recording) = &mut session.recording {
            recording.downloaded = library
                .recording_path(course_id, &recording.sha256, &recording.media_type)
                .is_file();
        }
    }
    Ok((course.manifest, plan_course, cancelled))
}

/// The learner's completions and time on task in a course.
pub fn learner_progress(
    db: &ProgressDb,
    course_id: &str,
) -> Result<LearnerProgress, ProgressError> {
    let completed: BTreeMap<String, Timestamp> = db
        .items(course_id)?
        .into_iter()
        .filter_map(|item| {
            let at = Timestamp::from_millisecond(item.completed_ms?).ok()?;
            Some((item.item_id, at))
        })
        .collect();
    let time_on_task = db
        .time_on_task(course_id)?
        .into_iter()
        .filter_map(|(at_ms, seconds)| {
            Some(TimeOnTask {
                at: Timestamp::from_millisecond(at_ms).ok()?,
                seconds,
            })
        })
        .collect();
    Ok(LearnerProgress {
        completed,
        time_on_task,
    })
}

/// Applies the course team's session changes from the server, oldest first: each replaces the
/// session of its id (or adds one), or removes it when cancelled; a recording is attached to its
/// session. Answers the sessions cancelled (as they were), for the calendar file to cancel. A change for an item that is not a webinar of the installed course, or that this
/// build cannot read, is ignored.
fn apply_session_changes(
    course: &mut PlanCourse,
    manifest: &Manifest,
    changes: &[ChangeBody],
) -> Vec<PlanSession> {
    let mut cancelled: Vec<PlanSession> = Vec::new();
    for change in changes {
        let change = match change {
            ChangeBody::Session(change) => change,
            ChangeBody::Recording(recording) => {
                let session = course.sessions.iter_mut().find(|session| {
                    session.item_id == recording.item_id
                        && session.session_id == recording.session_id
                });
                if let Some(session) = session
                    && carrel_package::manifest::is_sha256_hex(&recording.sha256)
                {
                    session.recording = Some(PlanRecording {
                        url: recording.url.clone(),
                        sha256: recording.sha256.clone(),
                        size: recording.size,
                        media_type: recording.media_type.clone(),
                        downloaded: false,
                    });
                }
                continue;
            }
            _ => continue,
        };
        let is_webinar = manifest.items().any(|(_, _, item)| {
            item.id == change.item_id && matches!(item.kind, ItemKind::Webinar { .. })
        });
        if !is_webinar {
            continue;
        }
        if !carrel_package::manifest::is_valid_id(&change.session_id) {
            continue;
        }
        let same = |session: &PlanSession| {
            session.item_id == change.item_id && session.session_id == change.session_id
        };
        let position = course.sessions.iter().position(same);
        let Some(starts) = &change.starts else {
            if let Some(index) = position {
                cancelled.push(course.sessions.remove(index));
            }
            continue;
        };
        cancelled.retain(|session| !same(session));
        let (Ok(starts), Some(zone), Some(duration_minutes)) = (
            starts.parse::<Timestamp>(),
            change.time_zone.clone(),
            change.duration_minutes,
        ) else {
            continue;
        };
        let recording = position.and_then(|index| course.sessions[index].recording.clone());
        let session = PlanSession {
            item_id: change.item_id.clone(),
            session_id: change.session_id.clone(),
            starts,
            zone,
            duration_minutes,
            presenter: change.presenter.clone(),
            join_url: change
                .join_url
                .clone()
                .filter(|url| carrel_package::manifest::is_https_url(url)),
            recording,
        };
        match position {
            Some(index) => course.sessions[index] = session,
            None => course.sessions.push(session),
        }
    }
    cancelled
}

/// A webinar session of installed course `course_id` as the plan has it: the package's, or the
/// course team's change of it from the server.
pub fn session_installed(
    library: &Library,
    db: &ProgressDb,
    course_id: &str,
    item_id: &str,
    session_id: &str,
) -> Result<Option<PlanSession>, InstalledPlanError> {
    let (_, course, _) = installed_course(library, db, course_id)?;
    Ok(course
        .sessions
        .into_iter()
        .find(|session| session.item_id == item_id && session.session_id == session_id))
}

/// Deadlines of the course's quizzes (when they close) and assignments (when they are due), read
/// from their definition files, an assignment's replaced by its entry in `changed` (`None`: no
/// deadline any more). A definition that cannot be read gives no deadline (the item itself will
/// say it is damaged).
fn deadlines(
    library: &Library,
    manifest: &Manifest,
    changed: &HashMap<String, Option<Timestamp>>,
) -> Vec<PlanDeadline> {
    let read = |path: &str| -> Option<Vec<u8>> {
        let file = library.file(&manifest.course.id, path).ok()??;
        std::fs::read(&file.path).ok()
    };
    manifest
        .items()
        .filter_map(|(_, _, item)| {
            let (due, zone) = match &item.kind {
                ItemKind::Quiz { path } => {
                    let quiz: QuizDefinition = serde_json::from_slice(&read(path)?).ok()?;
                    (quiz.closes?, None)
                }
                ItemKind::Assignment { path } => {
                    let assignment: AssignmentDefinition =
                        serde_json::from_slice(&read(path)?).ok()?;
                    let due = match changed.get(&item.id) {
                        Some(changed) => (*changed)?,
                        None => assignment.due?,
                    };
                    (due, assignment.time_zone)
                }
                _ => return None,
            };
            Some(PlanDeadline {
                item_id: item.id.clone(),
                due,
                zone,
            })
        })
        .collect()
}
