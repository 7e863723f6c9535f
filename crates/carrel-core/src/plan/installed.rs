//! The plan of a course installed on this laptop: its manifest and activity definitions from the
//! content store, the learner's progress from the progress database.

use std::collections::BTreeMap;

use carrel_package::activity::{AssignmentDefinition, QuizDefinition};
use carrel_package::manifest::{ItemKind, Manifest};
use jiff::Timestamp;

use super::ics::CalendarWords;
use super::{
    Learner, LearnerProgress, PlanCourse, PlanDeadline, PlanError, TimeOnTask, WeeklyPlan,
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
    let (_, plan_course) = installed_course(library, course_id)?;
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
    course_id: &str,
    words: &CalendarWords,
    now: Timestamp,
) -> Result<String, InstalledPlanError> {
    let (manifest, plan_course) = installed_course(library, course_id)?;
    Ok(super::ics::course_calendar(
        course_id,
        &manifest.course.title,
        &plan_course,
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
    let (_, plan_course) = installed_course(library, course_id)?;
    let progress = learner_progress(db, course_id)?;
    Ok(super::reminders::due_reminders(
        &plan_course,
        &progress,
        now,
    ))
}

/// An installed course's manifest and its plan input, deadlines included.
fn installed_course(
    library: &Library,
    course_id: &str,
) -> Result<(Manifest, PlanCourse), InstalledPlanError> {
    let course = library
        .store()
        .course(course_id)?
        .ok_or_else(|| InstalledPlanError::NotInstalled(course_id.to_owned()))?;
    let mut plan_course = PlanCourse::from_manifest(&course.manifest);
    plan_course.deadlines = deadlines(library, &course.manifest);
    Ok((course.manifest, plan_course))
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

/// Deadlines of the course's quizzes (when they close) and assignments (when they are due), read
/// from their definition files. A definition that cannot be read gives no deadline (the item
/// itself will say it is damaged).
fn deadlines(library: &Library, manifest: &Manifest) -> Vec<PlanDeadline> {
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
                    (assignment.due?, assignment.time_zone)
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
