//! Programmes (diplomas) and the learner's transcript (`carrel_protocol::transcript`).
//!
//! **A programme** is defined by the course team at the command line ([`set`], [`remove`],
//! [`list`]): a title, the courses whose certificates count towards it (the eligible ones, in the
//! order the team lists them), how many of those certificates it takes (`required`) within how
//! many years (`window_years`), and optionally a capstone course whose certificate it needs as
//! well. Courses are named by id and need not be published yet (a programme is often announced
//! before its last course exists); until one is, it is shown under its id.
//!
//! **Progress** is never stored: it follows from the [`certificates`](crate::certificates) the
//! server issued, each time the learner asks ([`transcript`]), so a revocation or a new programme
//! shows at once. The rules, over certificates that are not revoked, are pure functions in
//! [`progress`]: a programme is complete when `required` certificates of eligible courses and the
//! capstone's were all issued within one span of `window_years` calendar years (UTC); until then,
//! what counts is what was issued in the `window_years` years up to now, and each certificate stops
//! counting on its anniversary.

pub mod progress;
mod transcript;

use crate::storage::sql::{Row, params};
use carrel_package::manifest::is_valid_id;

pub use transcript::transcript;

use crate::storage::{Storage, StorageError};

/// The longest programme title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest window a programme may give, in years.
pub const MAX_WINDOW_YEARS: u32 = 50;

/// Why a programme was not stored or removed.
#[derive(Debug, thiserror::Error)]
pub enum ProgrammeError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The programme id cannot be one.
    #[error(
        "“{0}” is not a programme id: use 1–64 lowercase letters, digits and -, not starting \
         with -"
    )]
    InvalidId(String),
    /// A course id cannot be one.
    #[error(
        "“{0}” is not a course id: use the id of the course's package (1–64 lowercase letters, \
         digits and -)"
    )]
    InvalidCourse(String),
    /// The title is empty, too long or has control characters.
    #[error(
        "the programme's title is not valid: use 1–{MAX_TITLE_CHARS} characters, no control \
         characters"
    )]
    InvalidTitle,
    /// The description has control characters other than line breaks and tabs.
    #[error(
        "the programme's description has control characters; use plain text (line breaks are fine)"
    )]
    InvalidDescription,
    /// `required` is 0.
    #[error("a programme requires at least 1 certificate; give --required 1 or more")]
    NothingRequired,
    /// `window_years` is outside 1..=MAX_WINDOW_YEARS.
    #[error(
        "a programme's certificates must be earned within 1 to {MAX_WINDOW_YEARS} years, not {0}; \
         give --within-years between 1 and {MAX_WINDOW_YEARS}"
    )]
    InvalidWindow(u32),
    /// Fewer eligible courses than certificates required.
    #[error(
        "the programme requires {required} certificates but names only {eligible} eligible \
         courses; list at least {required} courses or require fewer certificates"
    )]
    TooFewCourses {
        /// Certificates required.
        required: u32,
        /// Distinct eligible courses given.
        eligible: usize,
    },
    /// A course is listed twice among the eligible ones.
    #[error("the course “{0}” is listed twice; list each eligible course once")]
    DuplicateCourse(String),
    /// The capstone is also listed as eligible.
    #[error(
        "the capstone “{0}” is also listed as an eligible course; a capstone is required on top \
         of the eligible courses, so remove it from the list"
    )]
    CapstoneEligible(String),
    /// No programme has this id.
    #[error(
        "there is no programme “{0}” on this server; list them with `carrel-server programmes`"
    )]
    NotFound(String),
}

/// A programme as the course team defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    /// Its id (`diploma-labour-migration`).
    pub programme_id: String,
    /// Its title.
    pub title: String,
    /// What it is, in words (may be empty).
    pub description: String,
    /// The courses whose certificates count towards it, in the team's order.
    pub eligible: Vec<String>,
    /// How many of their certificates it takes.
    pub required: u32,
    /// Within how many years.
    pub window_years: u32,
    /// The course whose certificate it needs as well, if any.
    pub capstone: Option<String>,
}

/// `programme` checked and tidied (title and description trimmed), or why it cannot be stored.
pub fn check(programme: Programme) -> Result<Programme, ProgrammeError> {
    let Programme {
        programme_id,
        title,
        description,
        eligible,
        required,
        window_years,
        capstone,
    } = programme;
    if !is_valid_id(&programme_id) {
        return Err(ProgrammeError::InvalidId(programme_id));
    }
    let title = title.trim().to_owned();
    if title.is_empty()
        || title.chars().count() > MAX_TITLE_CHARS
        || title.chars().any(char::is_control)
    {
        return Err(ProgrammeError::InvalidTitle);
    }
    let description = description.trim().to_owned();
    if description
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ProgrammeError::InvalidDescription);
    }
    if required == 0 {
        return Err(ProgrammeError::NothingRequired);
    }
    if !(1..=MAX_WINDOW_YEARS).contains(&window_years) {
        return Err(ProgrammeError::InvalidWindow(window_years));
    }
    for (index, course_id) in eligible.iter().enumerate() {
        if !is_valid_id(course_id) {
            return Err(ProgrammeError::InvalidCourse(course_id.clone()));
        }
        if eligible[..index].contains(course_id) {
            return Err(ProgrammeError::DuplicateCourse(course_id.clone()));
        }
    }
    if let Some(capstone) = &capstone {
        if !is_valid_id(capstone) {
            return Err(ProgrammeError::InvalidCourse(capstone.clone()));
        }
        if eligible.contains(capstone) {
            return Err(ProgrammeError::CapstoneEligible(capstone.clone()));
        }
    }
    if eligible.len() < required as usize {
        return Err(ProgrammeError::TooFewCourses {
            required,
            eligible: eligible.len(),
        });
    }
    Ok(Programme {
        programme_id,
        title,
        description,
        eligible,
        required,
        window_years,
        capstone,
    })
}

/// Defines `programme`, replacing the one with its id if there is one; answers it as stored.
pub async fn set(storage: &Storage, programme: Programme) -> Result<Programme, ProgrammeError> {
    let programme = check(programme)?;
    let stored = programme.clone();
    storage
        .transact(move |tx| {
            // Replacing deletes the old courses with it (ON DELETE CASCADE).
            tx.execute(
                "DELETE FROM programmes WHERE programme_id = ?1",
                [&stored.programme_id],
            )?;
            tx.execute(
                "INSERT INTO programmes (programme_id, title, description, required,
                     window_years, capstone_course_id, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    stored.programme_id,
                    stored.title,
                    stored.description,
                    stored.required,
                    stored.window_years,
                    stored.capstone,
                    carrel_protocol::unix_time_ms() as i64,
                ],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO programme_courses (programme_id, course_id, position)
                 VALUES (?1, ?2, ?3)",
            )?;
            for (position, course_id) in stored.eligible.iter().enumerate() {
                insert.execute(params![stored.programme_id, course_id, position as i64])?;
            }
            Ok(())
        })
        .await?;
    tracing::info!(programme_id = programme.programme_id, "programme defined");
    Ok(programme)
}

/// Removes the programme `programme_id` (learners' certificates are untouched).
pub async fn remove(storage: &Storage, programme_id: &str) -> Result<(), ProgrammeError> {
    let id = programme_id.to_owned();
    let removed = storage
        .transact(
            move |tx| Ok(tx.execute("DELETE FROM programmes WHERE programme_id = ?1", [&id])?),
        )
        .await?;
    if removed == 0 {
        return Err(ProgrammeError::NotFound(programme_id.to_owned()));
    }
    tracing::info!(programme_id, "programme removed");
    Ok(())
}

/// Every programme, by id.
pub async fn list(storage: &Storage) -> Result<Vec<Programme>, StorageError> {
    storage.with_conn(|conn| Ok(list_in(conn)?)).await
}

/// The columns [`row_to_programme`] reads.
const PROGRAMME_SELECT: &str =
    "SELECT programme_id, title, description, required, window_years, capstone_course_id
     FROM programmes ORDER BY programme_id";

/// A programme without its eligible courses, which [`list_in`] reads after.
fn row_to_programme(row: &Row) -> crate::storage::sql::Result<Programme> {
    Ok(Programme {
        programme_id: row.get(0)?,
        title: row.get(1)?,
        description: row.get(2)?,
        eligible: Vec::new(),
        required: row.get(3)?,
        window_years: row.get(4)?,
        capstone: row.get(5)?,
    })
}

/// Every programme with its eligible courses, by id.
fn list_in(conn: &crate::storage::sql::Conn<'_>) -> crate::storage::sql::Result<Vec<Programme>> {
    let mut programmes = conn
        .prepare_cached(PROGRAMME_SELECT)?
        .query_map(params![], row_to_programme)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut courses = conn.prepare_cached(
        "SELECT course_id FROM programme_courses WHERE programme_id = ?1 ORDER BY position",
    )?;
    for programme in &mut programmes {
        programme.eligible = courses
            .query_map([&programme.programme_id], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
    }
    Ok(programmes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programme() -> Programme {
        Programme {
            programme_id: "diploma".into(),
            title: "  Diploma in Labour Migration ".into(),
            description: "Three courses.\nAnd a capstone.".into(),
            eligible: vec!["a".into(), "b".into(), "c".into()],
            required: 3,
            window_years: 5,
            capstone: Some("capstone".into()),
        }
    }

    #[test]
    fn a_valid_programme_is_kept_with_its_title_trimmed() {
        let checked = check(programme()).unwrap();
        assert_eq!(checked.title, "Diploma in Labour Migration");
        assert_eq!(checked.eligible, ["a", "b", "c"], "the order is kept");
    }

    #[test]
    fn each_mistake_is_refused_with_what_to_do() {
        type Change = fn(&mut Programme);
        let cases: &[(Change, &str)] = &[
            (
                |p| p.programme_id = "Diploma".into(),
                "is not a programme id",
            ),
            (|p| p.programme_id = String::new(), "is not a programme id"),
            (|p| p.title = "   ".into(), "title is not valid"),
            (|p| p.title = "x".repeat(201), "title is not valid"),
            (|p| p.title = "a\u{7}b".into(), "title is not valid"),
            (|p| p.description = "a\u{0}b".into(), "control characters"),
            (|p| p.required = 0, "at least 1 certificate"),
            (|p| p.required = 4, "names only 3 eligible courses"),
            (|p| p.window_years = 0, "within 1 to 50 years, not 0"),
            (|p| p.window_years = 51, "within 1 to 50 years, not 51"),
            (|p| p.eligible[1] = "a".into(), "“a” is listed twice"),
            (|p| p.eligible[2] = "C".into(), "“C” is not a course id"),
            (
                |p| p.capstone = Some("b".into()),
                "capstone “b” is also listed",
            ),
            (
                |p| p.capstone = Some("-x".into()),
                "“-x” is not a course id",
            ),
        ];
        for (change, expected) in cases {
            let mut programme = programme();
            change(&mut programme);
            let error = check(programme.clone()).expect_err(expected);
            assert!(
                error.to_string().contains(expected),
                "{programme:?}: {error}"
            );
        }
        let mut longest = programme();
        longest.title = "é".repeat(MAX_TITLE_CHARS);
        longest.window_years = MAX_WINDOW_YEARS;
        longest.capstone = None;
        assert!(check(longest).is_ok(), "the limits are inclusive");
    }
}
