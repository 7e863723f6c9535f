//! Course forums: posts written offline by a course's learners and tutors, read by its members
//! from one feed per course, and moderated by its tutors (`carrel_protocol::forums`).
//!
//! **A post is a submission.** The client sends it through `PUT /api/v1/submissions/{id}` with
//! kind `forum_post`, so it is stored exactly once under the client's id, with the idempotency
//! rules and attachment checks of every submission ([`crate::submissions`]). What is particular to
//! a post is checked here ([`check_new`]) before it is stored: its account takes part in the course
//! (as a learner or a tutor), its item is a forum of the published course, its topic is one of the
//! forum's opening topics from the package or a topic a post of that forum started, the post it
//! answers is in the same topic, and its text, title and files fit the protocol's limits. The
//! submission and its `forum_posts` row are written in one transaction ([`insert_in`]).
//!
//! **One feed per course, ordered by version.** Every post has a `version`: one more than the
//! course's largest, given when it is stored and again whenever a tutor changes it. A reader asks
//! for the posts after the last version it applied ([`page`]) and so receives new posts and
//! changed ones alike, each as it now is. Versions are given inside write transactions, one at a
//! time, and rows are never deleted, so a version is never given twice and a reader never misses
//! one.
//!
//! **Who reads what.** The members of a course (enrolled as learners or tutors) and admins read
//! its feed; for anyone else the course's forum does not exist (404). A hidden post keeps its
//! place — replies to it still make sense — but only the course's tutors and admins see its title,
//! text and files. Attachments are served ([`attachment`]) only when a visible post of the course
//! names them.
//!
//! **Moderation** ([`moderate`]): a tutor of the post's course, an admin, or the operator at the
//! command line hides or shows, pins or unpins a post. A request that changes nothing gives no
//! new version, so readers are not sent the same post again for nothing.

use crate::storage::sql::{OptionalExtension, Row, named_params, params};
use carrel_package::manifest::ItemKind;
use carrel_protocol::auth::{Account, Role};
use carrel_protocol::forums::{
    DEFAULT_LIMIT, ForumPage, ForumPost, ForumPostPayload, MAX_ATTACHMENTS, MAX_BODY_CHARS,
    MAX_LIMIT, MAX_TITLE_CHARS, Moderation, PostAttachment, PostAuthor,
};

use crate::access::Viewer;
use crate::storage::{Storage, StorageError};
use crate::submissions::SubmissionError;
use crate::tutor::{Actor, TutorError};

/// Why a forum request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ForumError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The account tutors no course and is not an admin.
    #[error("only the tutors of a course and admins can moderate its forum")]
    Forbidden,
    /// The course's forum is not one this account may read (or there is no such course).
    #[error(
        "there is no forum of the course “{0}” among those you can read; \
         only the course's learners, tutors and admins read it"
    )]
    CourseNotFound(String),
    /// No such post, or not one this account may moderate.
    #[error(
        "there is no forum post “{0}” among those you can moderate; \
         list a course's posts with `carrel-server forum-posts COURSE`"
    )]
    PostNotFound(String),
    /// No account has the tutor's login.
    #[error("there is no account with the login “{0}”")]
    NoSuchAccount(String),
}

impl From<TutorError> for ForumError {
    fn from(error: TutorError) -> Self {
        match error {
            TutorError::Storage(error) => Self::Storage(error),
            TutorError::NoSuchAccount(login) => Self::NoSuchAccount(login),
            // `scope_in` and `signature_in`, all this module calls, refuse nothing else.
            _ => Self::Forbidden,
        }
    }
}

/// A post checked by [`check_new`], ready to be stored with its submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewPost {
    /// The payload, its title and body trimmed.
    payload: ForumPostPayload,
    /// The author's role in the course (learner or tutor).
    role: Role,
}

/// Checks the payload of a new forum post from an account whose role in the course is `role`;
/// answers what [`insert_in`] stores, or why the post is refused (422 `invalid_post`).
pub(crate) async fn check_new(
    storage: &Storage,
    role: Role,
    payload: &str,
) -> Result<NewPost, SubmissionError> {
    let refuse = |message: String| Err(SubmissionError::InvalidPost(message));
    let mut post: ForumPostPayload = match serde_json::from_str(payload) {
        Ok(post) => post,
        Err(error) => {
            return refuse(format!(
                "the payload is not a forum post ({error}); it needs submissionId, courseId, \
                 itemId, topicId, body and writtenMs, as carrel_protocol::forums::ForumPostPayload"
            ));
        }
    };
    post.body = post.body.trim().to_owned();
    post.title = post.title.map(|title| title.trim().to_owned());
    let new_topic = post.topic_id == post.submission_id;
    match &post.title {
        None if new_topic => {
            return refuse(
                "a post that starts a topic (its topicId is its own id) needs a title; give one"
                    .into(),
            );
        }
        Some(_) if !new_topic => {
            return refuse(format!(
                "only a post that starts a topic has a title, and this one replies in “{}”; \
                 send it without a title",
                post.topic_id
            ));
        }
        Some(title) if title.is_empty() => {
            return refuse("the new topic's title is empty; give it a title".into());
        }
        Some(title) if title.chars().count() > MAX_TITLE_CHARS => {
            return refuse(format!(
                "the new topic's title is longer than {MAX_TITLE_CHARS} characters; shorten it"
            ));
        }
        _ => {}
    }
    if post.body.is_empty() {
        return refuse("the post's text is empty; write something".into());
    }
    // Line breaks and tabs are text; other control characters are not, and a NUL is a text
    // neither database would keep the same (PostgreSQL refuses it).
    let stray = |text: &str, allowed: &[char]| {
        text.chars()
            .find(|c| c.is_control() && !allowed.contains(c))
    };
    if let Some(c) = post.title.as_deref().and_then(|title| stray(title, &[])) {
        return refuse(format!(
            "the new topic's title holds the control character U+{:04X}; remove it",
            u32::from(c)
        ));
    }
    if let Some(c) = stray(&post.body, &['\n', '\r', '\t']) {
        return refuse(format!(
            "the post's text holds the control character U+{:04X}, which is not a line break or \
             a tab; remove it",
            u32::from(c)
        ));
    }
    if post.body.chars().count() > MAX_BODY_CHARS {
        return refuse(format!(
            "the post's text is longer than {MAX_BODY_CHARS} characters; shorten it or split it \
             in two posts"
        ));
    }
    if post.attachments.len() > MAX_ATTACHMENTS {
        return refuse(format!(
            "a post carries at most {MAX_ATTACHMENTS} files, not {}; remove some",
            post.attachments.len()
        ));
    }

    let manifest = crate::submissions::published_manifest(storage, post.course_id.clone()).await?;
    let topics = manifest.as_ref().and_then(|manifest| {
        manifest
            .items()
            .find(|(_, _, item)| item.id == post.item_id)
            .and_then(|(_, _, item)| match &item.kind {
                ItemKind::Forum { topics, .. } => Some(
                    topics
                        .iter()
                        .map(|topic| topic.id.clone())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
    });
    let Some(opening_topics) = topics else {
        return refuse(format!(
            "“{}” is not a forum of the published course “{}”; post to one of its forums",
            post.item_id, post.course_id
        ));
    };

    if new_topic && opening_topics.contains(&post.topic_id) {
        return refuse(format!(
            "“{}” is the id of one of the forum's opening topics; give the new topic's post \
             another id",
            post.topic_id
        ));
    }
    let (topic_known, reply_known) = {
        let post = post.clone();
        let opening = opening_topics.contains(&post.topic_id);
        storage
            .with_conn(move |conn| {
                let started = new_topic
                    || opening
                    || conn
                        .prepare_cached(
                            "SELECT EXISTS (SELECT 1 FROM forum_posts
                             WHERE client_id = ?1 AND topic_id = client_id
                               AND course_id = ?2 AND item_id = ?3)",
                        )?
                        .query_row(
                            params![post.topic_id, post.course_id, post.item_id],
                            |row| row.get::<bool>(0),
                        )?;
                let answered = match &post.reply_to {
                    None => true,
                    Some(reply_to) => conn
                        .prepare_cached(
                            "SELECT EXISTS (SELECT 1 FROM forum_posts
                             WHERE client_id = ?1 AND course_id = ?2 AND item_id = ?3
                               AND topic_id = ?4)",
                        )?
                        .query_row(
                            params![reply_to, post.course_id, post.item_id, post.topic_id],
                            |row| row.get::<bool>(0),
                        )?,
                };
                Ok((started, answered))
            })
            .await?
    };
    if !topic_known {
        return refuse(format!(
            "the forum “{}” has no topic “{}”; reply in one of its topics, or start a topic \
             with topicId set to the post's own id and a title",
            post.item_id, post.topic_id
        ));
    }
    if !reply_known && let Some(reply_to) = &post.reply_to {
        return refuse(format!(
            "“{reply_to}” is not a post of the topic “{}” of this forum; a reply answers a post \
             of its own topic, or none",
            post.topic_id
        ));
    }
    Ok(NewPost {
        payload: post,
        role,
    })
}

/// The course's next version: its largest + 1, taken in commit order (devices follow versions
/// as a cursor).
fn next_version_in(
    conn: &crate::storage::sql::Conn<'_>,
    course_id: &str,
) -> crate::storage::sql::Result<i64> {
    conn.lock_feed()?;
    conn.prepare_cached(
        "SELECT coalesce(max(version), 0) + 1 FROM forum_posts WHERE course_id = ?1",
    )?
    .query_row([&course_id], |row| row.get(0))
}

/// Stores `post`, the submission `server_id` of account `user_id` just stored in `tx`, with the
/// course's next version; answers that version.
pub(crate) fn insert_in(
    tx: &crate::storage::sql::Conn<'_>,
    server_id: i64,
    user_id: i64,
    post: &NewPost,
    created_ms: u64,
) -> Result<i64, StorageError> {
    let payload = &post.payload;
    let attachments = serde_json::to_string(&payload.attachments)
        .map_err(|error| StorageError::Task(format!("attachments do not serialise: {error}")))?;
    let version = next_version_in(tx, &payload.course_id)?;
    tx.prepare_cached(
        "INSERT INTO forum_posts (submission_id, client_id, course_id, item_id, topic_id,
             reply_to, title, body, attachments, author_id, author_role, created_ms, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        server_id,
        payload.submission_id,
        payload.course_id,
        payload.item_id,
        payload.topic_id,
        payload.reply_to,
        payload.title,
        payload.body,
        attachments,
        user_id,
        crate::enrolments::role_name(post.role),
        created_ms as i64,
        version,
    ])?;
    Ok(version)
}

/// Everything a [`ForumPost`] shows, from `forum_posts p` joined with its author `u`.
const POST_SELECT: &str = "SELECT p.version, p.client_id, p.item_id, p.topic_id, p.reply_to,
        p.title, p.body, p.attachments, p.author_id, u.display_name, p.author_role, p.created_ms,
        p.hidden, p.pinned, u.login
    FROM forum_posts p JOIN users u ON u.id = p.author_id";

/// The post of a [`POST_SELECT`] row; a hidden one without its title, text and files unless
/// `full` (a tutor of the course or an admin reads it).
fn row_to_post(row: &Row, full: bool) -> crate::storage::sql::Result<ForumPost> {
    let hidden: bool = row.get(12)?;
    let blank = hidden && !full;
    let attachments = if blank {
        Vec::new()
    } else {
        let text: String = row.get(7)?;
        // Written by `insert_in` from the same type; unreadable would mean a damaged row.
        serde_json::from_str::<Vec<PostAttachment>>(&text).unwrap_or_default()
    };
    Ok(ForumPost {
        version: row.get(0)?,
        post_id: row.get(1)?,
        item_id: row.get(2)?,
        topic_id: row.get(3)?,
        reply_to: row.get(4)?,
        title: if blank { None } else { row.get(5)? },
        body: if blank { String::new() } else { row.get(6)? },
        attachments,
        author: PostAuthor {
            id: row.get(8)?,
            display_name: row.get(9)?,
            role: crate::enrolments::role_of(&row.get::<String>(10)?),
        },
        created_ms: row.get::<i64>(11)? as u64,
        hidden,
        pinned: row.get(13)?,
    })
}

/// Whether a member with `role` in the course reads hidden posts in full.
fn reads_hidden(role: Role) -> bool {
    matches!(role, Role::Tutor | Role::Admin)
}

/// The page of course `course_id`'s feed after version `after` that `account` reads: at most
/// `limit` posts (default [`DEFAULT_LIMIT`], clamped to 1..=[`MAX_LIMIT`]), oldest version first.
pub async fn page(
    storage: &Storage,
    account: &Account,
    course_id: &str,
    after: i64,
    limit: Option<u32>,
) -> Result<ForumPage, ForumError> {
    let Some(role) =
        crate::access::member_role(storage, Viewer::account(account), course_id).await?
    else {
        return Err(ForumError::CourseNotFound(course_id.to_owned()));
    };
    let full = reads_hidden(role);
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let course_id = course_id.to_owned();
    Ok(storage
        .with_conn(move |conn| {
            let mut posts = conn
                .prepare_cached(&format!(
                    "{POST_SELECT}
                     WHERE p.course_id = :course AND p.version > :after
                     ORDER BY p.version LIMIT :limit"
                ))?
                .query_map(
                    named_params! {
                        ":course": course_id,
                        ":after": after,
                        ":limit": i64::from(limit) + 1,
                    },
                    |row| row_to_post(row, full),
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let more = posts.len() > limit as usize;
            posts.truncate(limit as usize);
            let cursor = posts.last().map_or(after, |post| post.version);
            Ok(ForumPage {
                posts,
                cursor,
                more,
            })
        })
        .await?)
}

/// The size and name of the file `sha256` that a visible post of course `course_id` names, if
/// `account` reads the course's forum.
pub async fn attachment(
    storage: &Storage,
    account: &Account,
    course_id: &str,
    sha256: &str,
) -> Result<Option<(u64, String)>, ForumError> {
    let member = crate::access::member_role(storage, Viewer::account(account), course_id).await?;
    if member.is_none() {
        return Ok(None);
    }
    let (course_id, sha256) = (course_id.to_owned(), sha256.to_owned());
    Ok(storage
        .with_conn(move |conn| {
            let sql = conn.dialect();
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {}, {}
                     FROM forum_posts p, {}
                     WHERE p.course_id = ?1 AND p.hidden = 0 AND {} = ?2
                     LIMIT 1",
                    sql.json_integer("a.value", "size"),
                    sql.json_text("a.value", "name"),
                    sql.json_elements("p.attachments", None, "a"),
                    sql.json_text("a.value", "sha256"),
                ))?
                .query_row([&course_id, &sha256], |row| {
                    Ok((row.get::<i64>(0)?.max(0) as u64, row.get::<String>(1)?))
                })
                .optional()?)
        })
        .await?)
}

/// Post `post_id` as a tutor sees it.
fn post_in(
    conn: &crate::storage::sql::Conn<'_>,
    post_id: &str,
) -> crate::storage::sql::Result<Option<ForumPost>> {
    conn.prepare_cached(&format!("{POST_SELECT} WHERE p.client_id = ?1"))?
        .query_row([&post_id], |row| row_to_post(row, true))
        .optional()
}

/// Hides or shows, pins or unpins post `post_id` as `actor` (a tutor of its course, an admin, or
/// the operator); answers the post as it now is, as a tutor sees it. A change gives the post the
/// course's next version; a request that changes nothing leaves it as it is.
pub async fn moderate(
    storage: &Storage,
    actor: Actor,
    post_id: &str,
    moderation: Moderation,
) -> Result<ForumPost, ForumError> {
    let post_id = post_id.to_owned();
    storage
        .transact(move |tx| {
            let result = (|| {
                let scope = crate::tutor::scope_in(tx, &actor)?;
                let found = tx
                    .query_row(
                        "SELECT course_id, hidden, pinned FROM forum_posts WHERE client_id = ?1",
                        [&post_id],
                        |row| {
                            Ok((
                                row.get::<String>(0)?,
                                row.get::<bool>(1)?,
                                row.get::<bool>(2)?,
                            ))
                        },
                    )
                    .optional()
                    .map_err(StorageError::from)?
                    .filter(|(course_id, _, _)| {
                        scope
                            .as_ref()
                            .is_none_or(|courses| courses.contains(course_id))
                    });
                let Some((course_id, hidden, pinned)) = found else {
                    return Err(ForumError::PostNotFound(post_id.clone()));
                };
                // Checked whatever the request changes: an unknown `--tutor` is a mistake.
                let (name, id) = crate::tutor::signature_in(tx, &actor)?;
                let hide = moderation.hidden.filter(|wanted| *wanted != hidden);
                let pin = moderation.pinned.filter(|wanted| *wanted != pinned);
                if hide.is_some() || pin.is_some() {
                    let version = next_version_in(tx, &course_id).map_err(StorageError::from)?;
                    if let Some(hide) = hide {
                        let (name, id) = if hide { (Some(name), id) } else { (None, None) };
                        let at = hide.then(|| carrel_protocol::unix_time_ms() as i64);
                        tx.execute(
                            "UPDATE forum_posts SET hidden = ?2, hidden_by = ?3,
                                 hidden_by_id = ?4, hidden_ms = ?5
                             WHERE client_id = ?1",
                            params![post_id, hide, name, id, at],
                        )
                        .map_err(StorageError::from)?;
                    }
                    if let Some(pin) = pin {
                        tx.execute(
                            "UPDATE forum_posts SET pinned = ?2 WHERE client_id = ?1",
                            params![post_id, pin],
                        )
                        .map_err(StorageError::from)?;
                    }
                    tx.execute(
                        "UPDATE forum_posts SET version = ?2 WHERE client_id = ?1",
                        params![post_id, version],
                    )
                    .map_err(StorageError::from)?;
                }
                post_in(tx, &post_id)
                    .map_err(StorageError::from)?
                    .ok_or_else(|| ForumError::PostNotFound(post_id.clone()))
            })();
            match result {
                // Roll back whatever was written before the failure.
                Err(ForumError::Storage(error)) => Err(error),
                // A refusal is an answer: nothing was written.
                answer => Ok(answer),
            }
        })
        .await?
}

/// A post as the command line lists it: as a tutor sees it, with its author's login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPost {
    /// The post.
    pub post: ForumPost,
    /// Its author's login.
    pub login: String,
}

/// Every post of course `course_id`'s forums as a tutor sees them, in the order they were
/// stored (which moderation does not change).
pub async fn list(storage: &Storage, course_id: &str) -> Result<Vec<ListedPost>, StorageError> {
    let course_id = course_id.to_owned();
    storage
        .with_conn(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "{POST_SELECT} WHERE p.course_id = ?1 ORDER BY p.submission_id"
                ))?
                .query_map([&course_id], |row| {
                    Ok(ListedPost {
                        post: row_to_post(row, true)?,
                        login: row.get(14)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
}
