//! Enrolments and groups: which accounts take or tutor which course, and the group each works in.
//!
//! An enrolment is `(account, course, role, group)`: the role is `learner` or `tutor` in that
//! course (whatever the account's own role), the group a name unique within the course that
//! learners doing group work share. Enrolling is idempotent — enrolling again changes the role or
//! group — and a course need not be published yet. Enrolment decides who may list and download a
//! course that is not open ([`crate::access`]), who may submit work in it (learners), and who may
//! read and grade that work (its tutors; admins everywhere).

use crate::storage::sql::{OptionalExtension, params};
use carrel_protocol::auth::Role;
use carrel_protocol::tutor::Enrolment;

use crate::storage::{Storage, StorageError};

/// Longest group name, in characters.
pub const MAX_GROUP_CHARS: usize = 100;

/// Why an enrolment could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// No account has this login.
    #[error(
        "there is no account with the login “{0}”; create it first with `carrel-server user add`"
    )]
    NoSuchAccount(String),
    /// The course id cannot be one.
    #[error(
        "“{0}” is not a course id: use the id of the course's package (letters, digits, - and _)"
    )]
    InvalidCourse(String),
    /// The group name is empty, too long or has control characters.
    #[error(
        "the group name “{0}” is not valid: use 1–{MAX_GROUP_CHARS} characters, no control characters"
    )]
    InvalidGroup(String),
    /// Only learners and tutors are enrolled.
    #[error("an account is enrolled in a course as a learner or a tutor, not as an admin")]
    InvalidRole,
}

/// An enrolment as the command line reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// The account's id.
    pub user_id: i64,
    /// Its login.
    pub login: String,
    /// The course.
    pub course_id: String,
    /// Learner or tutor.
    pub role: Role,
    /// The group, if any.
    pub group: Option<String>,
}

pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Learner => "learner",
        Role::Tutor => "tutor",
        Role::Admin => "admin",
    }
}

/// A role as `enrolments.role` stores it (`learner` or `tutor`).
pub(crate) fn role_of(text: &str) -> Role {
    if text == "tutor" {
        Role::Tutor
    } else {
        Role::Learner
    }
}

/// Enrols the account `login` in `course_id` as `role`, in `group` (none: no group); enrolling
/// again updates the role and group.
pub async fn enrol(
    storage: &Storage,
    login: &str,
    course_id: &str,
    role: Role,
    group: Option<&str>,
) -> Result<Enrolled, EnrolError> {
    if role == Role::Admin {
        return Err(EnrolError::InvalidRole);
    }
    if !carrel_package::manifest::is_valid_id(course_id) {
        return Err(EnrolError::InvalidCourse(course_id.to_owned()));
    }
    let group = match group.map(str::trim) {
        None => None,
        Some(name)
            if name.is_empty()
                || name.chars().count() > MAX_GROUP_CHARS
                || name.chars().any(char::is_control) =>
        {
            return Err(EnrolError::InvalidGroup(name.to_owned()));
        }
        Some(name) => Some(name.to_owned()),
    };
    let (login, course_id) = (login.trim().to_owned(), course_id.to_owned());
    storage
        .transact(move |tx| {
            let Some((user_id, login)) = account_id(tx, &login)? else {
                return Ok(Err(EnrolError::NoSuchAccount(login.clone())));
            };
            tx.execute(
                "INSERT INTO enrolments (user_id, course_id, role, group_name, enrolled_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id, course_id)
                 DO UPDATE SET role = excluded.role, group_name = excluded.group_name",
                params![
                    user_id,
                    course_id,
                    role_name(role),
                    group,
                    carrel_protocol::unix_time_ms() as i64
                ],
            )?;
            Ok(Ok(Enrolled {
                user_id,
                login,
                course_id: course_id.clone(),
                role,
                group: group.clone(),
            }))
        })
        .await?
}

/// Ends the enrolment of `login` in `course_id`; `false` when there was none. Their submissions
/// stay.
pub async fn unenrol(storage: &Storage, login: &str, course_id: &str) -> Result<bool, EnrolError> {
    let (login, course_id) = (login.trim().to_owned(), course_id.to_owned());
    storage
        .transact(move |tx| {
            let Some((user_id, _)) = account_id(tx, &login)? else {
                return Ok(Err(EnrolError::NoSuchAccount(login.clone())));
            };
            let removed = tx.execute(
                "DELETE FROM enrolments WHERE user_id = ?1 AND course_id = ?2",
                params![user_id, course_id],
            )?;
            Ok(Ok(removed == 1))
        })
        .await?
}

/// The id and login (as stored) of the account `login`.
pub(crate) fn account_id(
    conn: &crate::storage::sql::Conn<'_>,
    login: &str,
) -> crate::storage::sql::Result<Option<(i64, String)>> {
    conn.query_row(
        &format!(
            "SELECT id, login FROM users WHERE {}",
            conn.dialect().same_login("login", "?1")
        ),
        [&login],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
}

/// The role of account `user_id` in `course_id`, if enrolled.
pub(crate) fn role_in(
    conn: &crate::storage::sql::Conn<'_>,
    user_id: i64,
    course_id: &str,
) -> crate::storage::sql::Result<Option<Role>> {
    conn.query_row(
        "SELECT role FROM enrolments WHERE user_id = ?1 AND course_id = ?2",
        params![user_id, course_id],
        |row| Ok(role_of(&row.get::<String>(0)?)),
    )
    .optional()
}

/// The enrolments of account `user_id`, by course id, each with the display names of the other
/// members of its group.
pub async fn list_for(storage: &Storage, user_id: i64) -> Result<Vec<Enrolment>, StorageError> {
    storage
        .with_conn(move |conn| {
            let mut enrolments = conn
                .prepare_cached(
                    "SELECT course_id, role, group_name FROM enrolments WHERE user_id = ?1
                     ORDER BY course_id",
                )?
                .query_map([&user_id], |row| {
                    Ok(Enrolment {
                        course_id: row.get(0)?,
                        role: role_of(&row.get::<String>(1)?),
                        group: row.get(2)?,
                        group_members: Vec::new(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut members = conn.prepare_cached(
                "SELECT u.display_name FROM enrolments e JOIN users u ON u.id = e.user_id
                 WHERE e.course_id = ?1 AND e.group_name = ?2 AND e.user_id <> ?3
                 ORDER BY u.display_name COLLATE NOCASE, u.id",
            )?;
            for enrolment in &mut enrolments {
                if let Some(group) = &enrolment.group {
                    enrolment.group_members = members
                        .query_map(params![enrolment.course_id, group, user_id], |row| {
                            row.get(0)
                        })?
                        .collect::<Result<_, _>>()?;
                }
            }
            Ok(enrolments)
        })
        .await
}
