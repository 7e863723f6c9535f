//! Studying: the weekly plan of a course, the dashboard across courses, and the learner's study
//! settings (hours a week; their time zone is the system's).

use carrel_core::library::CourseSummary;
use carrel_core::plan::{self, InstalledPlanError, Learner, WeeklyPlan};
use carrel_core::search::SearchHit;
use carrel_core::study;
use jiff::tz::TimeZone;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_store::StoreExt;
use ts_rs::TS;

use crate::error::{CommandError, codes};
use crate::state::{AppState, SETTINGS_FILE};

/// The key of the learner's weekly study hours in the settings file.
pub const WEEKLY_HOURS_KEY: &str = "weeklyHours";
/// Hours a week when the learner has not said (the demo course asks for 5–10).
pub const DEFAULT_WEEKLY_HOURS: f64 = 6.0;
/// The range of weekly hours accepted.
pub const WEEKLY_HOURS_RANGE: std::ops::RangeInclusive<f64> = 0.5..=80.0;

/// The learner's study settings.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StudySettings {
    /// Hours a week set aside for study.
    pub weekly_hours: f64,
    /// The time zone weeks and deadlines are shown in (the system's; IANA name).
    pub time_zone: String,
}

/// One course on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DashboardCourse {
    /// The course, with its completion and last studied.
    pub course: CourseSummary,
    /// Its weekly plan, when one could be made.
    pub plan: Option<WeeklyPlan>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// Courses, the most recently studied first, then the others by title.
    pub courses: Vec<DashboardCourse>,
    /// Items done across all courses.
    pub completed_items: u32,
    /// Items across all courses.
    pub total_items: u32,
    /// The settings the plans were made with.
    pub settings: StudySettings,
}

/// The learner's study settings.
#[tauri::command]
pub fn get_study_settings<R: Runtime>(app: AppHandle<R>) -> StudySettings {
    settings(&app)
}

/// Saves the hours a week the learner sets aside.
#[tauri::command]
pub fn set_weekly_hours<R: Runtime>(
    app: AppHandle<R>,
    hours: f64,
) -> Result<StudySettings, CommandError> {
    if !hours.is_finite() || !WEEKLY_HOURS_RANGE.contains(&hours) {
        return Err(CommandError::new(
            codes::INVALID_WEEKLY_HOURS,
            format!(
                "Enter between {} and {} hours a week.",
                WEEKLY_HOURS_RANGE.start(),
                WEEKLY_HOURS_RANGE.end()
            ),
        ));
    }
    let store = app
        .store(SETTINGS_FILE)
        .map_err(|error| CommandError::internal("Your settings could not be saved", error))?;
    store.set(WEEKLY_HOURS_KEY, hours);
    store
        .save()
        .map_err(|error| CommandError::internal("Your settings could not be saved", error))?;
    Ok(settings(&app))
}

/// The weekly plan of one course.
#[tauri::command]
pub async fn get_study_plan<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
) -> Result<WeeklyPlan, CommandError> {
    let learner = learner(&settings(&app));
    let library = state.library();
    let db = state.progress().db().await?;
    tauri::async_runtime::spawn_blocking(move || {
        plan::plan_installed(&library, &db, &course_id, &learner, jiff::Timestamp::now())
            .map_err(plan_error)
    })
    .await
    .map_err(|error| CommandError::internal("A background task failed", error))?
}

/// The words of an exported calendar and of its save dialog, in the UI's language.
#[derive(Debug, Clone, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CalendarExportWords {
    /// The save dialog's title.
    pub dialog_title: String,
    /// A deadline's summary: "Due: {title}".
    pub due: String,
    /// The course line: "Course: {title}".
    pub course: String,
    /// A session's presenter: "Presenter: {name}".
    pub presenter: String,
    /// A session's join address: "Join: {url}".
    pub join: String,
}

/// Saves the course's webinar sessions and deadlines as an iCalendar file (`.ics`) where the
/// learner chooses, for their own calendar program. Answers the path, or `None` when they
/// cancelled.
#[tauri::command]
pub async fn export_calendar<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
    words: CalendarExportWords,
) -> Result<Option<String>, CommandError> {
    let library = state.library();
    let db = state.progress().db().await?;
    let file_name = format!("{course_id}.ics");
    let calendar_words = plan::ics::CalendarWords {
        due: words.due,
        course: words.course,
        presenter: words.presenter,
        join: words.join,
    };
    let text = tauri::async_runtime::spawn_blocking(move || {
        plan::calendar_installed(
            &library,
            &db,
            &course_id,
            &calendar_words,
            jiff::Timestamp::now(),
        )
        .map_err(plan_error)
    })
    .await
    .map_err(|error| CommandError::internal("A background task failed", error))??;
    let picked =
        super::sync::save_path(&app, &words.dialog_title, &file_name, ("iCalendar", "ics")).await?;
    let Some(path) = picked else {
        return Ok(None);
    };
    let target = path.clone();
    tauri::async_runtime::spawn_blocking(move || {
        carrel_core::sync::export::save_text(&target, &text)
    })
    .await
    .map_err(|error| CommandError::internal("The export stopped", error))?
    .map_err(super::sync::export_error)?;
    Ok(Some(path.display().to_string()))
}

/// Courses in progress, this week's work and deadlines, and overall completion.
#[tauri::command]
pub async fn get_dashboard<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Dashboard, CommandError> {
    let settings = settings(&app);
    let learner = learner(&settings);
    let library = state.library();
    let db = state.progress().db().await?;
    tauri::async_runtime::spawn_blocking(move || {
        let courses = library.list().map_err(|error| {
            CommandError::internal("The course library could not be read", error)
        })?;
        let mut courses = study::decorate_summaries(courses, &db)
            .map_err(|error| CommandError::internal("Your progress could not be read", error))?;
        courses.sort_by(|a, b| {
            b.last_studied_ms
                .cmp(&a.last_studied_ms)
                .then_with(|| a.title.cmp(&b.title))
        });
        let now = jiff::Timestamp::now();
        let (completed_items, total_items) = courses.iter().fold((0, 0), |(done, all), c| {
            (done + c.completed_items, all + c.item_count)
        });
        let courses = courses
            .into_iter()
            .map(|course| {
                let plan = plan::plan_installed(&library, &db, &course.id, &learner, now)
                    .map_err(|error| tracing::warn!(course = %course.id, %error, "no plan"))
                    .ok();
                DashboardCourse { course, plan }
            })
            .collect();
        Ok(Dashboard {
            courses,
            completed_items,
            total_items,
            settings,
        })
    })
    .await
    .map_err(|error| CommandError::internal("A background task failed", error))?
}

fn settings<R: Runtime>(app: &AppHandle<R>) -> StudySettings {
    let weekly_hours = app
        .store(SETTINGS_FILE)
        .ok()
        .and_then(|store| store.get(WEEKLY_HOURS_KEY))
        .and_then(|value| value.as_f64())
        .filter(|hours| WEEKLY_HOURS_RANGE.contains(hours))
        .unwrap_or(DEFAULT_WEEKLY_HOURS);
    let time_zone = TimeZone::system().iana_name().unwrap_or("UTC").to_owned();
    StudySettings {
        weekly_hours,
        time_zone,
    }
}

fn learner(settings: &StudySettings) -> Learner {
    let zone = TimeZone::get(&settings.time_zone).unwrap_or(TimeZone::UTC);
    Learner::with_weekly_hours(settings.weekly_hours, zone)
}

/// A plan that could not be made, as the UI is told: not installed, or an internal failure.
pub(crate) fn plan_error(error: InstalledPlanError) -> CommandError {
    match error {
        InstalledPlanError::NotInstalled(_) => {
            CommandError::new(codes::NOT_INSTALLED, error.to_string())
        }
        other => CommandError::internal("Your plan could not be made", other),
    }
}

/// The most hits one search returns.
const SEARCH_LIMIT: usize = 50;

/// Searches the text of every downloaded course (or one), offline. Any input is accepted: it is
/// never read as query syntax.
#[tauri::command]
pub async fn search_courses(
    state: State<'_, AppState>,
    query: String,
    course_id: Option<String>,
) -> Result<Vec<SearchHit>, CommandError> {
    let Some(index) = state.search() else {
        return Err(CommandError::new(
            codes::SEARCH_UNAVAILABLE,
            "Search is not available: its index could not be opened. Restart Carrel; if it \
             happens again, report it to your course team.",
        ));
    };
    tauri::async_runtime::spawn_blocking(move || {
        index
            .search(&query, course_id.as_deref(), SEARCH_LIMIT)
            .map_err(|error| CommandError::internal("The search failed", error))
    })
    .await
    .map_err(|error| CommandError::internal("A background task failed", error))?
}
