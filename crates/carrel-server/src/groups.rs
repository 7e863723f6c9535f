//! Group work (`carrel_protocol::groups`): what a learner's group in a course shares on the server
//! — its members, the files the course team placed for it, and where its group assignments stand.
//!
//! **A group is a name on enrolments.** Learners of a course enrolled with the same group name
//! (`carrel-server enrol LOGIN COURSE --group NAME`) are one group; there is no group table, so a
//! group exists while at least one enrolment of the course names it.
//!
//! **A group submission is an assignment that names a group.** The client sets `groupName` in the
//! payload of an assignment of kind `group` only; [`crate::submissions`] then records the
//! submitter's group *as the server has it at that moment* on the submission (`group_name`), in
//! the transaction that stores it. Which group the payload names does not matter: a learner
//! submits for their own group. The group's latest submission of an item (by the server's
//! `received_ms`, then its id) is the group's: the one [`state`] shows every member with its grade,
//! and the one whose grade counts towards every member's certificate
//! ([`crate::certificates`]). Individual assignments are never part of it.
//!
//! **Who sees it.** Only a learner of the course with a group reads its [`GroupState`] and
//! downloads its files ([`file`]); for anyone else — not enrolled, a tutor, a learner without a
//! group, a course that does not exist — the group does not exist ([`GroupError::NoGroup`], 404
//! `no_group`).
//!
//! **The group's files** are placed by the operator ([`add_file`], `carrel-server
//! group-file-add`), one per name within the group (the same name again replaces the file), and
//! listed and removed from the command line ([`list_files`], [`remove_file`]). Their bytes are
//! kept content-addressed with uploaded attachments ([`crate::uploads::blob_path`]), so the one
//! route that serves a group's files also serves the attachments of its group submissions.

use std::path::{Path, PathBuf};

use crate::storage::sql::{OptionalExtension, Row, params};
use carrel_protocol::auth::{Account, Role};
use carrel_protocol::forums::PostAttachment;
use carrel_protocol::groups::{
    GroupFile, GroupGrade, GroupMember, GroupState, GroupSubmission, MAX_FILE_NAME_CHARS,
};

use crate::DataDir;
use crate::file_io::{copy_in, from_file_io, io_error, move_into_place, sync_dir};
use crate::storage::{Storage, StorageError};

/// The error code of a request about a group the account is not in (404).
pub const NO_GROUP: &str = "no_group";

/// Who placed a file the operator added at the command line.
pub const COURSE_TEAM: &str = "course team";

/// Why a group request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    /// The account is not a learner of the course with a group (or there is no such course).
    #[error(
        "you are not in a group of the course “{0}”; groups are for the course's learners, and \
         the course team puts each learner in one"
    )]
    NoGroup(String),
    /// No enrolment of the course names the group.
    #[error(
        "the course “{course_id}” has no group “{group}”; put learners in it first with \
         `carrel-server enrol LOGIN {course_id} --group \"{group}\"`"
    )]
    NoSuchGroup {
        /// The course.
        course_id: String,
        /// The group named.
        group: String,
    },
    /// The file name cannot be one.
    #[error(
        "“{0}” is not a file name a group's file can have: use 1–{MAX_FILE_NAME_CHARS} \
         characters, without control characters, '/' or '\\', and not '.' or '..'"
    )]
    InvalidName(String),
    /// The group has no file with that name.
    #[error(
        "the group “{group}” of the course “{course_id}” has no file “{name}”; list its files \
         with `carrel-server group-files {course_id} \"{group}\"`"
    )]
    NoSuchFile {
        /// The course.
        course_id: String,
        /// The group.
        group: String,
        /// The name asked for.
        name: String,
    },
    /// A file operation failed.
    #[error("could not {operation} {}: {source}", path.display())]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

from_file_io!(GroupError);

/// The group of account `user_id` in `course_id`, if it is enrolled there with one.
pub(crate) fn group_in(
    conn: &crate::storage::sql::Conn<'_>,
    user_id: i64,
    course_id: &str,
) -> crate::storage::sql::Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT group_name FROM enrolments WHERE user_id = ?1 AND course_id = ?2")?
        .query_row(params![user_id, course_id], |row| {
            row.get::<Option<String>>(0)
        })
        .optional()?
        .flatten())
}

/// The group of the learner `user_id` in `course_id`: `None` unless enrolled there as a learner
/// with a group.
fn learners_group_in(
    conn: &crate::storage::sql::Conn<'_>,
    user_id: i64,
    course_id: &str,
) -> crate::storage::sql::Result<Option<String>> {
    if crate::enrolments::role_in(conn, user_id, course_id)? != Some(Role::Learner) {
        return Ok(None);
    }
    group_in(conn, user_id, course_id)
}

/// Whether some enrolment of `course_id` names `group`.
fn group_exists_in(
    conn: &crate::storage::sql::Conn<'_>,
    course_id: &str,
    group: &str,
) -> crate::storage::sql::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM enrolments WHERE course_id = ?1 AND group_name = ?2)",
    )?
    .query_row(params![course_id, group], |row| row.get(0))
}

/// The columns [`row_to_file`] reads.
const FILE_COLUMNS: &str = "sha256, name, size, added_by, added_ms";

fn row_to_file(row: &Row) -> crate::storage::sql::Result<GroupFile> {
    Ok(GroupFile {
        file: PostAttachment {
            sha256: row.get(0)?,
            name: row.get(1)?,
            size: row.get::<i64>(2)?.max(0) as u64,
        },
        added_by: row.get(3)?,
        added_ms: row.get::<i64>(4)?.max(0) as u64,
    })
}

/// The files of `group` in `course_id`, by name.
fn files_in(
    conn: &crate::storage::sql::Conn<'_>,
    course_id: &str,
    group: &str,
) -> crate::storage::sql::Result<Vec<GroupFile>> {
    conn.prepare_cached(&format!(
        "SELECT {FILE_COLUMNS} FROM group_files WHERE course_id = ?1 AND group_name = ?2
         ORDER BY name, id"
    ))?
    .query_map(params![course_id, group], row_to_file)?
    .collect()
}

/// The group submissions of `group` in `course_id` that no later one of the same item replaced
/// (`s`), with their submitter (`u`) and grade (`g`). Parameters: `?1` course, `?2` group.
const LATEST_SUBMISSIONS: &str = "FROM submissions s
    JOIN users u ON u.id = s.user_id
    LEFT JOIN grades g ON g.submission_id = s.id
    WHERE s.course_id = ?1 AND s.group_name = ?2 AND s.kind = 'assignment'
      AND NOT EXISTS (
          SELECT 1 FROM submissions l
          WHERE l.course_id = s.course_id AND l.group_name = s.group_name
            AND l.item_id = s.item_id AND l.kind = 'assignment'
            AND (l.received_ms > s.received_ms OR (l.received_ms = s.received_ms AND l.id > s.id)))";

/// The latest submission of each item of `group` in `course_id`, by item id, as `user_id` (a
/// member) sees it.
fn submissions_in(
    conn: &crate::storage::sql::Conn<'_>,
    course_id: &str,
    group: &str,
    user_id: i64,
) -> crate::storage::sql::Result<Vec<GroupSubmission>> {
    conn.prepare_cached(&format!(
        "SELECT s.item_id, s.client_id, u.display_name, s.user_id, s.received_ms, s.payload,
             (SELECT count(*) FROM submissions c
              WHERE c.course_id = s.course_id AND c.group_name = s.group_name
                AND c.item_id = s.item_id AND c.kind = 'assignment'),
             g.submission_id IS NOT NULL, g.score, g.max_score, g.passed, g.feedback,
             g.graded_by, g.graded_ms
         {LATEST_SUBMISSIONS}
         ORDER BY s.item_id"
    ))?
    .query_map(params![course_id, group], |row| {
        let payload: String = row.get(5)?;
        let (words, attachments) = payload_facts(&payload);
        let graded: bool = row.get(7)?;
        let grade = if graded {
            Some(GroupGrade {
                score: row.get(8)?,
                max_score: row.get(9)?,
                passed: row.get(10)?,
                feedback: row.get(11)?,
                graded_by: row.get(12)?,
                graded_ms: row.get::<i64>(13)?.max(0) as u64,
            })
        } else {
            None
        };
        Ok(GroupSubmission {
            item_id: row.get(0)?,
            submission_id: row.get(1)?,
            submitted_by: row.get(2)?,
            by_you: row.get::<i64>(3)? == user_id,
            received_ms: row.get::<i64>(4)?.max(0) as u64,
            words,
            attachments,
            count: u32::try_from(row.get::<i64>(6)?).unwrap_or(u32::MAX),
            grade,
        })
    })?
    .collect()
}

/// The word count and files an assignment's payload gives (`words`, `attachments`); 0 and none
/// for what it does not have. The payload was stored as JSON; anything unreadable in it is left
/// out rather than failing the whole group.
fn payload_facts(payload: &str) -> (u32, Vec<PostAttachment>) {
    let value: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let words = value["words"]
        .as_u64()
        .map_or(0, |words| u32::try_from(words).unwrap_or(u32::MAX));
    let attachments = value["attachments"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .filter_map(|file| serde_json::from_value::<PostAttachment>(file.clone()).ok())
                .collect()
        })
        .unwrap_or_default();
    (words, attachments)
}

/// The group of `account` in `course_id`: its members, files and latest submissions.
pub async fn state(
    storage: &Storage,
    account: &Account,
    course_id: &str,
) -> Result<GroupState, GroupError> {
    let (user_id, course) = (account.id, course_id.to_owned());
    storage
        .with_conn(move |conn| {
            let Some(group) = learners_group_in(conn, user_id, &course)? else {
                return Ok(Err(GroupError::NoGroup(course.clone())));
            };
            let members = conn
                .prepare_cached(
                    "SELECT u.id, u.display_name FROM enrolments e JOIN users u ON u.id = e.user_id
                     WHERE e.course_id = ?1 AND e.group_name = ?2 AND e.role = 'learner'
                     ORDER BY u.display_name COLLATE NOCASE, u.id",
                )?
                .query_map(params![course, group], |row| {
                    Ok(GroupMember {
                        you: row.get::<i64>(0)? == user_id,
                        display_name: row.get(1)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let files = files_in(conn, &course, &group)?;
            let submissions = submissions_in(conn, &course, &group, user_id)?;
            Ok(Ok(GroupState {
                course_id: course.clone(),
                name: group,
                members,
                files,
                submissions,
            }))
        })
        .await?
}

/// The size and name of the file `sha256` of `account`'s group in `course_id`: one of the group's
/// files, or a file of one of its group submissions. `None` when the group has no such file;
/// [`GroupError::NoGroup`] when `account` has no group there.
pub async fn file(
    storage: &Storage,
    account: &Account,
    course_id: &str,
    sha256: &str,
) -> Result<Option<(u64, String)>, GroupError> {
    let (user_id, course, sha256) = (account.id, course_id.to_owned(), sha256.to_owned());
    storage
        .with_conn(move |conn| {
            let Some(group) = learners_group_in(conn, user_id, &course)? else {
                return Ok(Err(GroupError::NoGroup(course.clone())));
            };
            let size_and_name = |row: &Row| {
                Ok((
                    row.get::<Option<i64>>(0)?.unwrap_or(0).max(0) as u64,
                    row.get::<Option<String>>(1)?.unwrap_or_default(),
                ))
            };
            let placed = conn
                .prepare_cached(
                    "SELECT size, name FROM group_files
                     WHERE course_id = ?1 AND group_name = ?2 AND sha256 = ?3
                     ORDER BY name LIMIT 1",
                )?
                .query_row(params![course, group, sha256], size_and_name)
                .optional()?;
            if placed.is_some() {
                return Ok(Ok(placed));
            }
            let sql = conn.dialect();
            let submitted = conn
                .prepare_cached(&format!(
                    "SELECT {}, {}
                     FROM submissions s, {}
                     WHERE s.course_id = ?1 AND s.group_name = ?2 AND s.kind = 'assignment'
                       AND {} = ?3
                     LIMIT 1",
                    sql.json_integer("a.value", "size"),
                    sql.json_text("a.value", "name"),
                    sql.json_elements("s.payload", Some("attachments"), "a"),
                    sql.json_text("a.value", "sha256"),
                ))?
                .query_row(params![course, group, sha256], size_and_name)
                .optional()?;
            Ok(Ok(submitted))
        })
        .await?
}

/// `name`, trimmed, if a group's file can have it.
fn checked_name(name: &str) -> Result<String, GroupError> {
    let trimmed = name.trim();
    let chars = trimmed.chars().count();
    if !(1..=MAX_FILE_NAME_CHARS).contains(&chars)
        || trimmed.chars().any(char::is_control)
        || trimmed.contains(['/', '\\'])
        || trimmed == "."
        || trimmed == ".."
    {
        return Err(GroupError::InvalidName(name.to_owned()));
    }
    Ok(trimmed.to_owned())
}

/// Checks that `group` is a group of `course_id`; answers it trimmed, as enrolments store it.
async fn existing_group(
    storage: &Storage,
    course_id: &str,
    group: &str,
) -> Result<String, GroupError> {
    let (course, trimmed) = (course_id.to_owned(), group.trim().to_owned());
    let exists = {
        let (course, trimmed) = (course.clone(), trimmed.clone());
        storage
            .with_conn(move |conn| Ok(group_exists_in(conn, &course, &trimmed)?))
            .await?
    };
    if !exists {
        return Err(GroupError::NoSuchGroup {
            course_id: course,
            group: trimmed,
        });
    }
    Ok(trimmed)
}

/// Where the bytes of a file come from.
enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Places `bytes` for `group` of `course_id` as the file `name` (replacing the group's file of
/// that name), added by `added_by`; answers the file as members see it.
pub async fn add_file(
    storage: &Storage,
    stores: &crate::blobs::Stores,
    course_id: &str,
    group: &str,
    name: &str,
    bytes: &[u8],
    added_by: &str,
) -> Result<GroupFile, GroupError> {
    let source = Source::Bytes(bytes.to_vec());
    add_file_inner(storage, stores, course_id, group, name, source, added_by).await
}

/// Like [`add_file`], with the bytes of the file at `path` (read as it is copied in, never whole
/// into memory).
pub async fn add_file_from(
    storage: &Storage,
    stores: &crate::blobs::Stores,
    course_id: &str,
    group: &str,
    name: &str,
    path: &Path,
    added_by: &str,
) -> Result<GroupFile, GroupError> {
    let source = Source::File(path.to_owned());
    add_file_inner(storage, stores, course_id, group, name, source, added_by).await
}

async fn add_file_inner(
    storage: &Storage,
    stores: &crate::blobs::Stores,
    course_id: &str,
    group: &str,
    name: &str,
    source: Source,
    added_by: &str,
) -> Result<GroupFile, GroupError> {
    let name = checked_name(name)?;
    let group = existing_group(storage, course_id, group).await?;
    let (sha256, size) = store_blob(&stores.data, source).await?;
    crate::blobs::keep(
        &*stores.blobs,
        crate::blobs::BlobKind::Attachment,
        &sha256,
        &crate::uploads::blob_path(&stores.data, &sha256),
    )
    .await?;
    let file = GroupFile {
        file: PostAttachment { sha256, name, size },
        added_by: added_by.to_owned(),
        added_ms: carrel_protocol::unix_time_ms(),
    };
    let (course, stored) = (course_id.to_owned(), file.clone());
    storage
        .transact(move |tx| {
            // Checked again where it is written: the last enrolment of the group may have ended.
            if !group_exists_in(tx, &course, &group)? {
                return Ok(Err(GroupError::NoSuchGroup {
                    course_id: course.clone(),
                    group: group.clone(),
                }));
            }
            tx.prepare_cached(
                "INSERT INTO group_files (course_id, group_name, name, sha256, size, added_by,
                     added_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (course_id, group_name, name) DO UPDATE SET
                     sha256 = excluded.sha256, size = excluded.size,
                     added_by = excluded.added_by, added_ms = excluded.added_ms",
            )?
            .execute(params![
                course,
                group,
                stored.file.name,
                stored.file.sha256,
                stored.file.size as i64,
                stored.added_by,
                stored.added_ms as i64,
            ])?;
            Ok(Ok(()))
        })
        .await??;
    Ok(file)
}

/// Copies `source` into the blob store (a temporary copy in its shard, flushed, then renamed into
/// place, so a crash never leaves a partial blob under its name); answers its SHA-256 and size.
async fn store_blob(data: &DataDir, source: Source) -> Result<(String, u64), GroupError> {
    let blobs = crate::uploads::blobs_dir(data);
    let data = data.clone();
    tokio::task::spawn_blocking(move || -> Result<(String, u64), GroupError> {
        std::fs::create_dir_all(&blobs).map_err(io_error("create the folder", &blobs))?;
        let copied = match &source {
            Source::Bytes(bytes) => copy_in(
                &blobs,
                "",
                &mut bytes.as_slice(),
                Path::new("the given bytes"),
                "copy the group's file to",
                |_| {},
            )?,
            Source::File(path) => {
                let mut reader = std::fs::File::open(path).map_err(io_error("open", path))?;
                copy_in(
                    &blobs,
                    "",
                    &mut reader,
                    path,
                    "copy the group's file to",
                    |_| {},
                )?
            }
        };
        let target = crate::uploads::blob_path(&data, &copied.sha256);
        if !target.exists() {
            let shard = target.parent().unwrap_or(&blobs).to_path_buf();
            std::fs::create_dir_all(&shard).map_err(io_error("create the folder", &shard))?;
            move_into_place(copied.file, &target, "move the group's file to")?;
            sync_dir(&shard)?;
        }
        Ok((copied.sha256, copied.size))
    })
    .await
    .map_err(|error| StorageError::Task(error.to_string()))?
}

/// A group's file as the command line lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// The group.
    pub group: String,
    /// The file.
    pub file: GroupFile,
}

/// The files of `course_id`'s groups (only `group`'s, if given), by group and name.
pub async fn list_files(
    storage: &Storage,
    course_id: &str,
    group: Option<&str>,
) -> Result<Vec<ListedFile>, StorageError> {
    let (course, group) = (
        course_id.to_owned(),
        group.map(|name| name.trim().to_owned()),
    );
    storage
        .with_conn(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {FILE_COLUMNS}, group_name FROM group_files
                     WHERE course_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR group_name = ?2)
                     ORDER BY group_name, name, id"
                ))?
                .query_map(params![course, group], |row| {
                    Ok(ListedFile {
                        file: row_to_file(row)?,
                        group: row.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
}

/// Removes the file `name` of `group` in `course_id`; answers it. Its bytes stay in the blob
/// store, which uploads and other groups share.
pub async fn remove_file(
    storage: &Storage,
    course_id: &str,
    group: &str,
    name: &str,
) -> Result<GroupFile, GroupError> {
    let (course, group, name) = (
        course_id.to_owned(),
        group.trim().to_owned(),
        name.trim().to_owned(),
    );
    storage
        .transact(move |tx| {
            let found = tx
                .prepare_cached(&format!(
                    "DELETE FROM group_files WHERE course_id = ?1 AND group_name = ?2 AND name = ?3
                     RETURNING {FILE_COLUMNS}"
                ))?
                .query_row(params![course, group, name], row_to_file)
                .optional()?;
            Ok(found.ok_or(GroupError::NoSuchFile {
                course_id: course.clone(),
                group: group.clone(),
                name: name.clone(),
            }))
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_checked_and_trimmed() {
        for bad in [
            "",
            "   ",
            ".",
            "..",
            "a/b",
            "a\\b",
            "tab\there",
            "nul\0",
            &"x".repeat(MAX_FILE_NAME_CHARS + 1),
        ] {
            assert!(
                matches!(checked_name(bad), Err(GroupError::InvalidName(_))),
                "{bad:?} cannot name a group's file"
            );
        }
        assert_eq!(checked_name(" brief.pdf ").unwrap(), "brief.pdf");
        assert_eq!(
            checked_name(&"é".repeat(MAX_FILE_NAME_CHARS))
                .unwrap()
                .chars()
                .count(),
            MAX_FILE_NAME_CHARS,
            "the limit counts characters, not bytes"
        );
    }

    #[test]
    fn a_payload_gives_its_words_and_well_formed_files() {
        let (words, files) = payload_facts(
            r#"{"words":1520,"attachments":[{"sha256":"ab","name":"r.pdf","size":3},{"x":1}]}"#,
        );
        assert_eq!(words, 1520);
        assert_eq!(
            files,
            vec![PostAttachment {
                sha256: "ab".into(),
                name: "r.pdf".into(),
                size: 3
            }],
            "an entry without sha256, name and size is left out"
        );
        assert_eq!(payload_facts(r#"{"text":"x"}"#), (0, Vec::new()));
    }
}
