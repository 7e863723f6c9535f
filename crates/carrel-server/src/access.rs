//! Who may list and download a course.
//!
//! A course is published either **open** (anyone, signed in or not, lists and downloads it) or
//! **enrolled-only**, the default: only accounts enrolled in it (as learners or tutors) and admins
//! do. A request without a token is anonymous and sees open courses; one with a valid token sees
//! open courses and its own; an invalid or expired token is refused (401), never silently taken as
//! anonymous, so a client with a stale token learns it must refresh instead of seeing courses
//! vanish. A course a request may not see answers 404 exactly as a course that does not exist, so
//! its existence does not leak.

use crate::storage::sql::{OptionalExtension, named_params};
use carrel_protocol::auth::{Account, Role};

use crate::storage::{Storage, StorageError};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    user_id: Option<i64>,
    admin: bool,
}

impl Viewer {
    /// A request without a token.
    pub fn anonymous() -> Self {
        Self {
            user_id: None,
            admin: false,
        }
    }

    /// A signed-in account.
    pub fn account(account: &Account) -> Self {
        Self {
            user_id: Some(account.id),
            admin: account.role == Role::Admin,
        }
    }
}

/// SQL true when the course in column `column` is visible to `:viewer` (an account id or NULL)
/// with `:admin`.
fn visible(column: &str) -> String {
    format!(
        "(:admin
          OR EXISTS (SELECT 1 FROM course_access a WHERE a.course_id = {column} AND a.open = 1)
          OR EXISTS (SELECT 1 FROM enrolments e WHERE e.course_id = {column} AND e.user_id = :viewer))"
    )
}

/// The ids of the published courses `viewer` may see.
pub async fn visible_courses(
    storage: &Storage,
    viewer: Viewer,
) -> Result<std::collections::HashSet<String>, StorageError> {
    storage
        .with_conn(move |conn| {
            let sql = format!(
                "SELECT c.course_id FROM catalog_courses c WHERE {}",
                visible("c.course_id")
            );
            let mut statement = conn.prepare_cached(&sql)?;
            let rows = statement.query_map(
                named_params! {":viewer": viewer.user_id, ":admin": viewer.admin},
                |row| row.get(0),
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
}

/// Whether `viewer` may see the course `course_id` (published or not).
pub async fn can_see(
    storage: &Storage,
    viewer: Viewer,
    course_id: &str,
) -> Result<bool, StorageError> {
    let course_id = course_id.to_owned();
    storage
        .with_conn(move |conn| {
            let sql = format!("SELECT {}", visible(":course"));
            Ok(conn.prepare_cached(&sql)?.query_row(
                named_params! {":viewer": viewer.user_id, ":admin": viewer.admin, ":course": course_id},
                |row| row.get(0),
            )?)
        })
        .await
}

/// The part `viewer` takes in course `course_id`: its enrolment's role (learner or tutor),
/// [`Role::Admin`] for an admin (enrolled or not), `None` for anyone else — an open course
/// included, and an anonymous viewer always. What a course's members share (its forum) is for
/// them alone.
pub async fn member_role(
    storage: &Storage,
    viewer: Viewer,
    course_id: &str,
) -> Result<Option<Role>, StorageError> {
    if viewer.admin {
        return Ok(Some(Role::Admin));
    }
    let Some(user_id) = viewer.user_id else {
        return Ok(None);
    };
    let course_id = course_id.to_owned();
    storage
        .with_conn(move |conn| Ok(crate::enrolments::role_in(conn, user_id, &course_id)?))
        .await
}

/// The size of the content file `sha256`, if a published course `viewer` may see lists it.
pub async fn visible_file_size(
    storage: &Storage,
    viewer: Viewer,
    sha256: &str,
) -> Result<Option<u64>, StorageError> {
    let sha256 = sha256.to_owned();
    storage
        .with_conn(move |conn| {
            let sql = format!(
                "SELECT f.size FROM catalog_files f WHERE f.sha256 = :sha256 AND {} LIMIT 1",
                visible("f.course_id")
            );
            Ok(conn
                .prepare_cached(&sql)?
                .query_row(
                    named_params! {":viewer": viewer.user_id, ":admin": viewer.admin, ":sha256": sha256},
                    |row| row.get(0),
                )
                .optional()?)
        })
        .await
}

/// Sets whether `course_id` is open to anyone (`Some`), or, with `None`, keeps its setting —
/// enrolled-only for a course that has none yet. Runs inside the publish's catalogue transaction.
pub(crate) fn set_open_in(
    tx: &crate::storage::sql::Conn<'_>,
    course_id: &str,
    open: Option<bool>,
) -> crate::storage::sql::Result<()> {
    match open {
        Some(open) => tx.execute(
            "INSERT INTO course_access (course_id, open) VALUES (?1, ?2)
             ON CONFLICT (course_id) DO UPDATE SET open = excluded.open",
            crate::storage::sql::params![course_id, open],
        )?,
        None => tx.execute(
            "INSERT INTO course_access (course_id, open) VALUES (?1, 0)
             ON CONFLICT (course_id) DO NOTHING",
            [&course_id],
        )?,
    };
    Ok(())
}

/// Whether `course_id` is open to anyone.
pub async fn is_open(storage: &Storage, course_id: &str) -> Result<bool, StorageError> {
    let course_id = course_id.to_owned();
    storage
        .with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT open FROM course_access WHERE course_id = ?1",
                    [&course_id],
                    |row| row.get(0),
                )
                .optional()?
                .unwrap_or(false))
        })
        .await
}
