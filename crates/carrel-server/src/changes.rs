//! The changes feed (see `carrel_protocol::changes`): what happened on the server that a
//! learner's device should know, in one ordered table.
//!
//! Every change is appended in the same transaction as what it reports (a grade, a comment, a
//! publish), so the feed never misses one nor reports one that did not happen. A change is for
//! one account (`audience`: a grade, a comment, an extension) or for everyone enrolled in its
//! course (a new version, an announcement). Sequence numbers only grow and are never reused, so a
//! client's cursor is exact: it asks for what came after the last change it applied.

use crate::storage::sql::{named_params, params};
use carrel_protocol::changes::{
    Announcement, Change, ChangeBody, ChangesPage, DEFAULT_LIMIT, MAX_LIMIT, ScheduleNotice,
    SessionNotice,
};

use crate::storage::{Storage, StorageError};

/// Why a change could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// No account has this login.
    #[error("there is no account with the login “{0}”")]
    NoSuchAccount(String),
    /// The account is not enrolled in the course.
    #[error("“{login}” is not enrolled in “{course_id}”; enrol them first")]
    NotEnrolled {
        /// The login.
        login: String,
        /// The course.
        course_id: String,
    },
    /// A field is empty or not what it must be.
    #[error("{0}")]
    Invalid(String),
}

/// Appends `body` to the feed of account `audience`, or of everyone enrolled in `course_id`
/// when `None`; returns its sequence number.
pub(crate) fn append_in(
    tx: &crate::storage::sql::Conn<'_>,
    audience: Option<i64>,
    course_id: &str,
    body: &ChangeBody,
) -> Result<i64, StorageError> {
    let json = serde_json::to_string(body)
        .map_err(|error| StorageError::Task(format!("a change does not serialise: {error}")))?;
    // Readers follow the feed by sequence number, so numbers must be handed out in commit order.
    tx.lock_feed()?;
    Ok(tx.query_row(
        "INSERT INTO changes (at_ms, audience, course_id, body) VALUES (?1, ?2, ?3, ?4)
         RETURNING seq",
        params![
            carrel_protocol::unix_time_ms() as i64,
            audience,
            course_id,
            json
        ],
        |row| row.get(0),
    )?)
}

/// The page of account `user_id`'s changes after `after`: its own and those of the courses it is
/// enrolled in, oldest first, at most `limit` (clamped to 1..=[`MAX_LIMIT`]).
pub async fn page(
    storage: &Storage,
    user_id: i64,
    after: i64,
    limit: Option<u32>,
) -> Result<ChangesPage, StorageError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    storage
        .with_conn(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT seq, at_ms, body FROM changes
                 WHERE seq > :after
                   AND (audience = :user
                        OR (audience IS NULL AND course_id IN
                            (SELECT course_id FROM enrolments WHERE user_id = :user)))
                 ORDER BY seq
                 LIMIT :limit",
            )?;
            let rows = statement.query_map(
                named_params! {":after": after, ":user": user_id, ":limit": i64::from(limit) + 1},
                |row| {
                    Ok((
                        row.get::<i64>(0)?,
                        row.get::<i64>(1)?,
                        row.get::<String>(2)?,
                    ))
                },
            )?;
            let mut changes = Vec::new();
            for row in rows {
                let (seq, at_ms, body) = row?;
                // A body this build cannot read is still a change: the client skips it.
                let body = serde_json::from_str(&body).unwrap_or(ChangeBody::Unknown);
                changes.push(Change {
                    seq,
                    at_ms: at_ms as u64,
                    body,
                });
            }
            let more = changes.len() > limit as usize;
            changes.truncate(limit as usize);
            let cursor = changes.last().map_or(after, |change| change.seq);
            Ok(ChangesPage {
                changes,
                cursor,
                more,
            })
        })
        .await
}

/// Announces `title` and `body` to everyone enrolled in `course_id`; returns its sequence number.
pub async fn announce(
    storage: &Storage,
    course_id: &str,
    title: &str,
    body: &str,
) -> Result<i64, ChangeError> {
    if !carrel_package::manifest::is_valid_id(course_id) {
        return Err(ChangeError::Invalid(format!(
            "“{course_id}” is not a course id"
        )));
    }
    let (title, body) = (title.trim().to_owned(), body.trim().to_owned());
    if title.is_empty() || body.is_empty() {
        return Err(ChangeError::Invalid(
            "an announcement needs a title and a body".into(),
        ));
    }
    let change = ChangeBody::Announcement(Announcement {
        course_id: course_id.to_owned(),
        title,
        body,
    });
    let course_id = course_id.to_owned();
    Ok(storage
        .transact(move |tx| append_in(tx, None, &course_id, &change))
        .await?)
}

/// Gives the learner `login` a new due date (RFC 3339) for `item_id` of `course_id`, or none
/// (`None`: no limit); returns its sequence number.
pub async fn extend(
    storage: &Storage,
    login: &str,
    course_id: &str,
    item_id: &str,
    due: Option<&str>,
    reason: Option<&str>,
) -> Result<i64, ChangeError> {
    if let Some(due) = due
        && due.parse::<jiff::Timestamp>().is_err()
    {
        return Err(ChangeError::Invalid(format!(
            "“{due}” is not an RFC 3339 time such as 2027-03-01T17:00:00+01:00"
        )));
    }
    let change = ChangeBody::Schedule(ScheduleNotice {
        course_id: course_id.to_owned(),
        item_id: item_id.to_owned(),
        due: due.map(str::to_owned),
        reason: reason.map(|reason| reason.trim().to_owned()),
    });
    let (login, course_id) = (login.trim().to_owned(), course_id.to_owned());
    storage
        .transact(move |tx| {
            let Some((user_id, login)) = crate::enrolments::account_id(tx, &login)? else {
                return Ok(Err(ChangeError::NoSuchAccount(login.clone())));
            };
            if crate::enrolments::role_in(tx, user_id, &course_id)?.is_none() {
                return Ok(Err(ChangeError::NotEnrolled {
                    login: login.clone(),
                    course_id: course_id.clone(),
                }));
            }
            Ok(Ok(append_in(tx, Some(user_id), &course_id, &change)?))
        })
        .await?
}

/// Adds, moves or cancels (`starts: None`) a live session of webinar `item_id` for everyone in
/// the course; returns its sequence number. The item must be a webinar of the published course;
/// a session needs a start (RFC 3339), an IANA zone and 1 to 1440 minutes, and a join address
/// must be https.
pub async fn schedule_session(
    storage: &Storage,
    notice: SessionNotice,
) -> Result<i64, ChangeError> {
    let invalid = |message: String| Err(ChangeError::Invalid(message));
    if !carrel_package::manifest::is_valid_id(&notice.session_id) {
        return invalid(format!("“{}” is not a session id", notice.session_id));
    }
    if let Some(starts) = &notice.starts {
        let Some(zone) = &notice.time_zone else {
            return invalid("a session needs its time zone (--zone Europe/Zurich)".into());
        };
        // The written offset must be the zone's at that date: a daylight-saving slip is refused.
        if let Err(problem) = carrel_package::manifest::session_start(starts, zone) {
            return invalid(format!(
                "{problem}; write it as RFC 3339 such as 2027-03-01T17:00:00+01:00"
            ));
        }
        if !notice
            .duration_minutes
            .is_some_and(|minutes| (1..=1440).contains(&minutes))
        {
            return invalid("a session lasts 1 to 1440 minutes (--minutes 90)".into());
        }
    }
    if let Some(url) = &notice.join_url
        && !carrel_package::manifest::is_https_url(url)
    {
        return invalid(format!(
            "the join address “{url}” must be an https:// address"
        ));
    }
    let manifest =
        crate::submissions::published_manifest(storage, notice.course_id.clone()).await?;
    let webinar = |item: &carrel_package::manifest::Item| {
        matches!(
            item.kind,
            carrel_package::manifest::ItemKind::Webinar { .. }
        )
    };
    let Some(manifest) = manifest.filter(|manifest| {
        manifest
            .items()
            .any(|(_, _, item)| item.id == notice.item_id && webinar(item))
    }) else {
        return invalid(format!(
            "“{}” is not a webinar of the published course “{}”",
            notice.item_id, notice.course_id
        ));
    };
    // Session ids are unique in a course, as in a package.
    let taken_elsewhere = manifest.items().any(|(_, _, item)| {
        item.id != notice.item_id
            && matches!(&item.kind, carrel_package::manifest::ItemKind::Webinar { sessions, .. }
                if sessions.iter().any(|session| session.id == notice.session_id))
    });
    if taken_elsewhere {
        return invalid(format!(
            "the session id “{}” belongs to another webinar of the course; choose another",
            notice.session_id
        ));
    }
    let course_id = notice.course_id.clone();
    let change = ChangeBody::Session(notice);
    Ok(storage
        .transact(move |tx| append_in(tx, None, &course_id, &change))
        .await?)
}
