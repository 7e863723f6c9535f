//! Course forums, offline: read every post of the learner's courses without a connection, see what
//! is new since last time, and write replies and new topics that the outbox sends exactly once.
//!
//! - **Reading.** [`pull`] (run by the sync after the changes feed) fetches each enrolled course's
//!   forum feed from its stored cursor (`carrel_protocol::forums`) and keeps every post in
//!   `forum_posts`, a page and its cursor in one transaction. A post arrives *unread* unless the
//!   signed-in account wrote it; [`mark_read`] reads a topic's posts when the learner opens it. A
//!   post a tutor later hides or pins arrives again with its new state; whether it was read stays.
//! - **Writing.** The composer's text is saved as the learner types ([`save_draft`]: one draft per
//!   topic, and one for a new topic). [`post`] checks it, then in one transaction queues it in the
//!   outbox as a `forum_post` submission ([`ForumPostPayload`], its id the post's for ever, its
//!   files uploaded first) and clears the draft. Until the server's feed brings it back, the post is
//!   shown in its topic from the outbox with where it is: waiting, sent, or needing attention.
//! - **Topics** are a forum's opening topics from the course package, then the topics learners and
//!   tutors started (a post with a title), pinned first, most recently active first.

use std::collections::{HashMap, HashSet};

use carrel_package::manifest::ItemKind;
use carrel_protocol::forums::{
    DEFAULT_LIMIT, ForumPage, ForumPost, ForumPostPayload, MAX_ATTACHMENTS, MAX_BODY_CHARS,
    MAX_TITLE_CHARS, PostAttachment, forum_path,
};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::assess::AssessError;
use crate::assess::attachments::AttachmentStore;
use crate::assess::outbox::{self, AttachmentInfo, NewSubmission, OutboxEntry, SubmissionKind};
use crate::http::HttpClient;
use crate::library::Library;
use crate::progress::ProgressDb;
use crate::settings::ServerUrl;
use crate::sync::changes::{PullError, enrolments_in, get_json, meta_in, meta_number, set_meta_in};

/// The largest file a post may carry (the server takes larger uploads, but a forum is not the
/// place for them).
pub const MAX_ATTACHMENT_BYTES: u64 = 20 * 1024 * 1024;

/// A forum item of an installed course, as its package defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForumItem {
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// The forum's title.
    pub title: String,
    /// What it is for (Markdown).
    pub description: String,
    /// Its opening topics, in the package's order.
    pub topics: Vec<carrel_package::manifest::ForumTopic>,
}

/// Reads forum `item_id` of the installed course `course_id`.
pub fn forum_item(
    library: &Library,
    course_id: &str,
    item_id: &str,
) -> Result<ForumItem, AssessError> {
    let (_, item) = crate::assess::installed_item(library, course_id, item_id)?;
    match item.kind {
        ItemKind::Forum {
            description,
            topics,
        } => Ok(ForumItem {
            course_id: course_id.to_owned(),
            item_id: item_id.to_owned(),
            title: item.title,
            description,
            topics,
        }),
        _ => Err(AssessError::WrongKind(item.title, "forum")),
    }
}

/// Where a post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    /// On the server, as its feed gave it.
    Posted,
    /// In the outbox, waiting for a connection.
    Waiting,
    /// The server has it; it shows as posted after the next sync.
    Sent,
    /// The server refused it; the Outbox says why.
    NeedsAttention,
}

/// One post of a topic.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    /// The post's id.
    pub post_id: String,
    /// The post it answers.
    pub reply_to: Option<String>,
    /// The author of the post it answers, when known.
    pub reply_to_author: Option<String>,
    /// Its author's display name.
    pub author: String,
    /// Its author is a tutor or an admin of the course.
    pub by_tutor: bool,
    /// Written by the learner.
    pub mine: bool,
    /// The text, Markdown (empty when hidden).
    pub body: String,
    /// Its files.
    pub attachments: Vec<AttachmentInfo>,
    /// When it was posted (server clock), or written (device clock) while not yet posted.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// A tutor hid it.
    pub hidden: bool,
    /// A tutor pinned it.
    pub pinned: bool,
    /// Not read before this opening of its topic.
    pub new: bool,
    /// Where it is.
    pub state: PostState,
    /// Why the server refused it.
    pub problem: Option<String>,
}

/// A topic in a forum's list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TopicSummary {
    /// The topic's id.
    pub id: String,
    /// Its title (empty when a tutor hid it).
    pub title: String,
    /// An opening topic of the course, rather than one a participant started.
    pub from_course: bool,
    /// Who started it (a participant's topic).
    pub author: Option<String>,
    /// A tutor pinned it.
    pub pinned: bool,
    /// A tutor hid it.
    pub hidden: bool,
    /// Posts in it, besides its opening.
    pub replies: u32,
    /// Posts not read yet.
    pub unread: u32,
    /// The learner's posts in it not posted yet.
    pub waiting: u32,
    /// The latest post's time.
    #[ts(type = "number | null")]
    pub last_post_ms: Option<i64>,
}

/// A forum with its topics.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ForumView {
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// The forum's title.
    pub title: String,
    /// What it is for (Markdown).
    pub description: String,
    /// Its topics: the course's first, then pinned, then the most recently active.
    pub topics: Vec<TopicSummary>,
    /// The draft of a new topic, if the learner started one.
    pub draft: Option<ForumDraft>,
    /// Posts have come from the server at least once (else the forum may just not be synced yet).
    pub synced: bool,
}

/// A topic with its posts.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TopicView {
    /// Course id.
    pub course_id: String,
    /// Item id.
    pub item_id: String,
    /// The forum's title.
    pub forum_title: String,
    /// The topic.
    pub topic: TopicSummary,
    /// Its opening: the course's question, or the first post of a participant's topic.
    pub opening: Option<PostView>,
    /// The course's opening question (Markdown), for an opening topic.
    pub prompt: String,
    /// The posts, pinned first, then oldest first.
    pub posts: Vec<PostView>,
    /// The reply the learner is writing, if any.
    pub draft: Option<ForumDraft>,
}

/// What the learner is writing in a topic (or, with an empty `topicId`, a new topic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ForumDraft {
    /// The topic, or "" for a new topic.
    pub topic_id: String,
    /// The post it answers.
    pub reply_to: Option<String>,
    /// A new topic's title.
    pub title: String,
    /// The text (Markdown).
    pub body: String,
    /// Files added to it.
    pub attachments: Vec<AttachmentInfo>,
}

/// Saves what the learner is writing; an empty draft (no text, title or file) is removed.
pub fn save_draft(
    db: &ProgressDb,
    item: &ForumItem,
    draft: &ForumDraft,
    now_ms: i64,
) -> Result<(), AssessError> {
    let attachments = serde_json::to_string(&draft.attachments).expect("attachments serialize");
    db.transact(|tx| {
        if draft.body.trim().is_empty()
            && draft.title.trim().is_empty()
            && draft.attachments.is_empty()
        {
            delete_draft_in(tx, item, &draft.topic_id)?;
            return Ok(());
        }
        tx.execute(
            "INSERT INTO forum_drafts (course_id, item_id, topic_id, reply_to, title, body,
                 attachments, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (course_id, item_id, topic_id) DO UPDATE SET reply_to = excluded.reply_to,
                 title = excluded.title, body = excluded.body,
                 attachments = excluded.attachments, updated_ms = excluded.updated_ms",
            params![
                item.course_id,
                item.item_id,
                draft.topic_id,
                draft.reply_to,
                draft.title,
                draft.body,
                attachments,
                now_ms
            ],
        )?;
        Ok::<_, AssessError>(())
    })
}

fn delete_draft_in(tx: &Transaction<'_>, item: &ForumItem, topic_id: &str) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM forum_drafts WHERE course_id = ?1 AND item_id = ?2 AND topic_id = ?3",
        params![item.course_id, item.item_id, topic_id],
    )?;
    Ok(())
}

fn draft_in(
    tx: &Transaction<'_>,
    item: &ForumItem,
    topic_id: &str,
) -> rusqlite::Result<Option<ForumDraft>> {
    tx.query_row(
        "SELECT reply_to, title, body, attachments FROM forum_drafts
         WHERE course_id = ?1 AND item_id = ?2 AND topic_id = ?3",
        params![item.course_id, item.item_id, topic_id],
        |row| {
            Ok(ForumDraft {
                topic_id: topic_id.to_owned(),
                reply_to: row.get(0)?,
                title: row.get(1)?,
                body: row.get(2)?,
                attachments: serde_json::from_str(&row.get::<_, String>(3)?).unwrap_or_default(),
            })
        },
    )
    .optional()
}

/// A post of the forum, from the feed or the outbox.
struct Post {
    topic_id: String,
    title: Option<String>,
    view: PostView,
}

/// Every post of `item`: those the feed gave, then the learner's own the feed has not given yet.
fn posts_in(tx: &Transaction<'_>, item: &ForumItem) -> Result<Vec<Post>, AssessError> {
    let mut posts = tx
        .prepare_cached(
            "SELECT post_id, topic_id, reply_to, title, body, attachments, author_name,
                 author_role, mine, created_ms, hidden, pinned, read
             FROM forum_posts WHERE course_id = ?1 AND item_id = ?2
             ORDER BY created_ms, post_id",
        )?
        .query_map(params![item.course_id, item.item_id], |row| {
            let attachments: Vec<PostAttachment> =
                serde_json::from_str(&row.get::<_, String>(5)?).unwrap_or_default();
            let role: String = row.get(7)?;
            Ok(Post {
                topic_id: row.get(1)?,
                title: row.get(3)?,
                view: PostView {
                    post_id: row.get(0)?,
                    reply_to: row.get(2)?,
                    reply_to_author: None,
                    author: row.get(6)?,
                    by_tutor: role != "learner",
                    mine: row.get(8)?,
                    body: row.get(4)?,
                    attachments: attachments.into_iter().map(attachment_info).collect(),
                    at_ms: row.get(9)?,
                    hidden: row.get(10)?,
                    pinned: row.get(11)?,
                    new: !row.get::<_, bool>(12)?,
                    state: PostState::Posted,
                    problem: None,
                },
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let posted: HashSet<String> = posts.iter().map(|p| p.view.post_id.clone()).collect();
    let pending = tx
        .prepare_cached(
            "SELECT id, payload, created_ms, state, problem FROM outbox
             WHERE kind = 'forum_post' AND course_id = ?1 AND item_id = ?2
             ORDER BY created_ms, id",
        )?
        .query_map(params![item.course_id, item.item_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (id, payload, created_ms, state, problem) in pending {
        if posted.contains(&id) {
            continue;
        }
        let Ok(payload) = serde_json::from_str::<ForumPostPayload>(&payload) else {
            continue;
        };
        posts.push(Post {
            topic_id: payload.topic_id,
            title: payload.title,
            view: PostView {
                post_id: id,
                reply_to: payload.reply_to,
                reply_to_author: None,
                author: String::new(),
                by_tutor: false,
                mine: true,
                body: payload.body,
                attachments: payload
                    .attachments
                    .into_iter()
                    .map(attachment_info)
                    .collect(),
                at_ms: created_ms,
                hidden: false,
                pinned: false,
                new: false,
                state: match state.as_str() {
                    "needs_attention" => PostState::NeedsAttention,
                    "received" | "graded" => PostState::Sent,
                    _ => PostState::Waiting,
                },
                problem,
            },
        });
    }
    let authors: HashMap<String, String> = posts
        .iter()
        .map(|p| (p.view.post_id.clone(), p.view.author.clone()))
        .collect();
    for post in &mut posts {
        post.view.reply_to_author = post
            .view
            .reply_to
            .as_ref()
            .and_then(|id| authors.get(id).cloned());
    }
    Ok(posts)
}

fn attachment_info(attachment: PostAttachment) -> AttachmentInfo {
    AttachmentInfo {
        sha256: attachment.sha256,
        name: attachment.name,
        size: attachment.size,
    }
}

/// Whether a post starts its own topic.
fn starts_topic(post: &Post) -> bool {
    post.topic_id == post.view.post_id
}

fn summary(item: &ForumItem, topic_id: &str, posts: &[Post]) -> Option<TopicSummary> {
    let in_topic: Vec<&Post> = posts.iter().filter(|p| p.topic_id == topic_id).collect();
    let opening = item.topics.iter().find(|t| t.id == topic_id);
    let starter = in_topic.iter().find(|p| starts_topic(p));
    if opening.is_none() && starter.is_none() {
        return None;
    }
    let replies: Vec<&&Post> = in_topic.iter().filter(|p| !starts_topic(p)).collect();
    Some(TopicSummary {
        id: topic_id.to_owned(),
        title: opening.map_or_else(
            || starter.and_then(|p| p.title.clone()).unwrap_or_default(),
            |t| t.title.clone(),
        ),
        from_course: opening.is_some(),
        author: starter
            .filter(|_| opening.is_none())
            .map(|p| p.view.author.clone()),
        pinned: starter.is_some_and(|p| p.view.pinned && opening.is_none()),
        hidden: starter.is_some_and(|p| p.view.hidden && opening.is_none()),
        replies: replies.len() as u32,
        unread: in_topic.iter().filter(|p| p.view.new).count() as u32,
        waiting: in_topic
            .iter()
            .filter(|p| p.view.state != PostState::Posted)
            .count() as u32,
        last_post_ms: in_topic.iter().map(|p| p.view.at_ms).max(),
    })
}

/// The forum with its topics.
pub fn forum(db: &ProgressDb, item: &ForumItem) -> Result<ForumView, AssessError> {
    db.transact(|tx| {
        let posts = posts_in(tx, item)?;
        let mut topics: Vec<TopicSummary> = item
            .topics
            .iter()
            .filter_map(|topic| summary(item, &topic.id, &posts))
            .collect();
        let mut started: Vec<TopicSummary> = posts
            .iter()
            .filter(|p| starts_topic(p) && !item.topics.iter().any(|t| t.id == p.topic_id))
            .filter_map(|p| summary(item, &p.topic_id, &posts))
            .collect();
        started.sort_by(|a, b| {
            b.pinned
                .cmp(&a.pinned)
                .then(b.last_post_ms.cmp(&a.last_post_ms))
                .then(a.id.cmp(&b.id))
        });
        topics.extend(started);
        let suffix = format!(" {}", item.course_id);
        let synced: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sync_meta
                            WHERE substr(key, 1, 13) = 'forum-cursor '
                              AND substr(key, -length(?1)) = ?1)",
            [suffix],
            |row| row.get(0),
        )?;
        Ok(ForumView {
            course_id: item.course_id.clone(),
            item_id: item.item_id.clone(),
            title: item.title.clone(),
            description: item.description.clone(),
            topics,
            draft: draft_in(tx, item, "")?,
            synced,
        })
    })
}

/// Topic `topic_id` of the forum with its posts, as they are before [`mark_read`].
pub fn topic(db: &ProgressDb, item: &ForumItem, topic_id: &str) -> Result<TopicView, AssessError> {
    db.transact(|tx| {
        let posts = posts_in(tx, item)?;
        let summary = summary(item, topic_id, &posts).ok_or_else(|| AssessError::NotFound {
            what: "topic",
            id: topic_id.to_owned(),
        })?;
        let mut opening = None;
        let mut replies = Vec::new();
        for post in posts.into_iter().filter(|p| p.topic_id == topic_id) {
            if starts_topic(&post) {
                opening = Some(post.view);
            } else {
                replies.push(post.view);
            }
        }
        // Pinned first; otherwise in the order they were written (sorted stably, so posts of one
        // millisecond keep the feed's order).
        replies.sort_by_key(|p| (!p.pinned, p.at_ms));
        Ok(TopicView {
            course_id: item.course_id.clone(),
            item_id: item.item_id.clone(),
            forum_title: item.title.clone(),
            prompt: item
                .topics
                .iter()
                .find(|t| t.id == topic_id)
                .map(|t| t.prompt.clone())
                .unwrap_or_default(),
            topic: summary,
            opening,
            posts: replies,
            draft: draft_in(tx, item, topic_id)?,
        })
    })
}

/// Marks posts `post_ids` of the topic read (those the learner was shown: a post that arrived
/// since stays new); answers how many were not.
pub fn mark_read(
    db: &ProgressDb,
    item: &ForumItem,
    topic_id: &str,
    post_ids: &[String],
) -> Result<usize, AssessError> {
    db.transact(|tx| {
        let mut statement = tx.prepare_cached(
            "UPDATE forum_posts SET read = 1
             WHERE course_id = ?1 AND item_id = ?2 AND topic_id = ?3 AND post_id = ?4
               AND read = 0",
        )?;
        let mut marked = 0;
        for post_id in post_ids {
            marked +=
                statement.execute(params![item.course_id, item.item_id, topic_id, post_id])?;
        }
        Ok(marked)
    })
}

/// Posts unread in each forum of course `course_id`, by forum item id (forums with none are left
/// out), for the course outline.
pub fn unread_by_forum(
    db: &ProgressDb,
    course_id: &str,
) -> Result<HashMap<String, u32>, AssessError> {
    db.transact(|tx| {
        Ok(tx
            .prepare_cached(
                "SELECT item_id, count(*) FROM forum_posts
                 WHERE course_id = ?1 AND read = 0 GROUP BY item_id",
            )?
            .query_map([course_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?)
    })
}

/// What the learner posts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewPost {
    /// The topic replied in; `None` starts a new topic.
    pub topic_id: Option<String>,
    /// The post it answers, in the same topic.
    pub reply_to: Option<String>,
    /// A new topic's title.
    pub title: Option<String>,
    /// The text (Markdown).
    pub body: String,
    /// Files from the attachment store (added with [`add_attachment`]).
    pub attachments: Vec<AttachmentInfo>,
}

/// Copies the file at `path` into the attachment store, for a post.
pub fn add_attachment(
    store: &AttachmentStore,
    path: &std::path::Path,
) -> Result<AttachmentInfo, AssessError> {
    let stored = store.put(path, Some(MAX_ATTACHMENT_BYTES))?;
    Ok(AttachmentInfo {
        sha256: stored.sha256,
        name: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        size: stored.size,
    })
}

/// Queues `new` in the outbox as a forum post and clears its draft, in one transaction; answers
/// the outbox entry. Refused with a reason when it is empty, too long, or names a topic or post
/// this forum does not have.
pub fn post(
    db: &ProgressDb,
    store: &AttachmentStore,
    item: &ForumItem,
    new: NewPost,
    now_ms: i64,
) -> Result<OutboxEntry, AssessError> {
    let body = new.body.trim();
    if body.is_empty() {
        return Err(AssessError::NotReady(
            "write something before posting".into(),
        ));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(AssessError::NotReady(format!(
            "a post holds at most {MAX_BODY_CHARS} characters; shorten it or split it in two"
        )));
    }
    if new.attachments.len() > MAX_ATTACHMENTS {
        return Err(AssessError::NotReady(format!(
            "a post carries at most {MAX_ATTACHMENTS} files; remove some"
        )));
    }
    for attachment in &new.attachments {
        store.verify(&attachment.sha256, &attachment.name)?;
    }
    let id = crate::progress::new_event_id();
    let (topic_id, title) = match (&new.topic_id, &new.title) {
        (None, title) => {
            let title = title.as_deref().map(str::trim).unwrap_or_default();
            if title.is_empty() {
                return Err(AssessError::NotReady("give the new topic a title".into()));
            }
            if title.chars().count() > MAX_TITLE_CHARS {
                return Err(AssessError::NotReady(format!(
                    "a title holds at most {MAX_TITLE_CHARS} characters; shorten it"
                )));
            }
            (id.clone(), Some(title.to_owned()))
        }
        (Some(topic_id), None) => (topic_id.clone(), None),
        (Some(_), Some(_)) => {
            return Err(AssessError::NotReady(
                "a reply has no title of its own".into(),
            ));
        }
    };
    let payload = ForumPostPayload {
        submission_id: id.clone(),
        course_id: item.course_id.clone(),
        item_id: item.item_id.clone(),
        topic_id: topic_id.clone(),
        reply_to: new.reply_to.clone(),
        title: title.clone(),
        body: body.to_owned(),
        attachments: new
            .attachments
            .iter()
            .map(|a| PostAttachment {
                sha256: a.sha256.clone(),
                name: a.name.clone(),
                size: a.size,
            })
            .collect(),
        written_ms: now_ms.max(0) as u64,
    };
    let bytes = serde_json::to_vec(&payload).expect("payloads serialize");
    db.transact(|tx| {
        let posts = posts_in(tx, item)?;
        let topic_title = if let Some(title) = &title {
            title.clone()
        } else {
            let title = summary(item, &topic_id, &posts)
                .ok_or_else(|| AssessError::NotFound {
                    what: "topic",
                    id: topic_id.clone(),
                })?
                .title;
            // A topic a tutor hid has no title here: the Outbox names the forum instead.
            if title.is_empty() {
                item.title.clone()
            } else {
                title
            }
        };
        if let Some(reply_to) = &new.reply_to
            && !posts
                .iter()
                .any(|p| &p.view.post_id == reply_to && p.topic_id == topic_id)
        {
            return Err(AssessError::NotFound {
                what: "post",
                id: reply_to.clone(),
            });
        }
        outbox::enqueue(
            tx,
            &id,
            &NewSubmission {
                kind: SubmissionKind::ForumPost,
                course_id: &item.course_id,
                item_id: &item.item_id,
                title: &topic_title,
                source: &format!("forum-post {id}"),
                version: 1,
                payload: &bytes,
                grade: None,
                attachments: &new.attachments,
                due_ms: None,
                now_ms,
            },
        )?;
        let draft_topic = if new.topic_id.is_some() {
            topic_id.as_str()
        } else {
            ""
        };
        delete_draft_in(tx, item, draft_topic)?;
        Ok::<_, AssessError>(())
    })?;
    Ok(outbox::get(db, &id)?.0)
}

/// A forum post as the outbox holds it, for the Outbox screen (its files are the entry's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmittedPost {
    /// Its topic.
    pub topic_id: String,
    /// The post it answers.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// A new topic's title.
    #[serde(default)]
    pub title: Option<String>,
    /// The text (Markdown).
    pub body: String,
}

/// What [`pull`] brought.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForumPullReport {
    /// Posts received (new or changed).
    pub posts: u32,
    /// New posts by others among them.
    pub new_by_others: u32,
}

/// The `sync_meta` key of the forum cursor of one course for one server and account.
fn cursor_key(server: &ServerUrl, account_id: i64, course_id: &str) -> String {
    format!("forum-cursor {} {account_id} {course_id}", server.as_str())
}

/// Fetches the forum posts of every course the account is enrolled in (as the enrolments were
/// last fetched), from each course's stored cursor.
pub async fn pull(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    account_id: i64,
) -> Result<ForumPullReport, PullError> {
    let courses: Vec<String> = db
        .transact(|tx| Ok::<_, AssessError>(enrolments_in(tx)?))?
        .into_iter()
        .map(|enrolment| enrolment.course_id)
        .collect();
    forget_other_accounts(db, server, account_id)?;
    let mut report = ForumPullReport::default();
    // One course's forum failing does not keep the others from being read.
    let mut failed = None;
    for course_id in courses {
        match pull_course(db, http, server, token, account_id, &course_id, &mut report).await {
            Ok(()) => {}
            Err(PullError::Unauthorized) => return Err(PullError::Unauthorized),
            Err(error) => failed = failed.or(Some(error)),
        }
    }
    failed.map_or(Ok(report), Err)
}

/// Reads course `course_id`'s forum feed from its cursor into `report`.
async fn pull_course(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    account_id: i64,
    course_id: &str,
    report: &mut ForumPullReport,
) -> Result<(), PullError> {
    let key = cursor_key(server, account_id, course_id);
    let mut cursor = meta_number(db, &key)?;
    loop {
        let url = format!(
            "{}?after={cursor}&limit={DEFAULT_LIMIT}",
            server.join(&forum_path(course_id))
        );
        // None: a server without forums, or a course this account no longer takes.
        let Some(page) = get_json::<ForumPage>(http, &url, token).await? else {
            break;
        };
        report.new_by_others += apply(db, &key, course_id, account_id, &page)?;
        report.posts += page.posts.len() as u32;
        cursor = page.cursor;
        if !page.more || page.posts.is_empty() {
            break;
        }
    }
    Ok(())
}

/// The `sync_meta` key naming whose posts `forum_posts` holds.
const OWNER_KEY: &str = "forum-owner";

/// When another account (or the same id on another server) signs in on this laptop, the posts
/// kept for the previous one go, with their cursors, so the new account reads only its own
/// courses' forums (a tutor's laptop holds hidden posts' text). Drafts and the outbox stay.
fn forget_other_accounts(
    db: &ProgressDb,
    server: &ServerUrl,
    account_id: i64,
) -> Result<(), AssessError> {
    let owner = format!("{} {account_id}", server.as_str());
    db.transact(|tx| {
        let previous = meta_in(tx, OWNER_KEY)?;
        if previous.as_deref() != Some(owner.as_str()) {
            tx.execute("DELETE FROM forum_posts", [])?;
            tx.execute(
                "DELETE FROM sync_meta WHERE substr(key, 1, 13) = 'forum-cursor '",
                [],
            )?;
            set_meta_in(tx, OWNER_KEY, &owner)?;
        }
        Ok(())
    })
}

/// Keeps the posts of one page of course `course_id`'s feed and its cursor (under `key`), in one
/// transaction; answers how many are new posts by others.
fn apply(
    db: &ProgressDb,
    key: &str,
    course_id: &str,
    account_id: i64,
    page: &ForumPage,
) -> Result<u32, AssessError> {
    db.transact(|tx| {
        let mut new_by_others = 0;
        for post in &page.posts {
            if upsert_in(tx, course_id, account_id, post)? && post.author.id != account_id {
                new_by_others += 1;
            }
        }
        set_meta_in(tx, key, &page.cursor.to_string())?;
        Ok(new_by_others)
    })
}

/// Sets the post's state; answers whether it is new here. A post arrives read when the learner
/// wrote it, or when it arrives hidden (there is nothing to read).
fn upsert_in(
    tx: &Transaction<'_>,
    course_id: &str,
    account_id: i64,
    post: &ForumPost,
) -> rusqlite::Result<bool> {
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM forum_posts WHERE course_id = ?1 AND post_id = ?2)",
        params![course_id, post.post_id],
        |row| row.get(0),
    )?;
    let mine = post.author.id == account_id;
    let role = match post.author.role {
        carrel_protocol::auth::Role::Learner => "learner",
        carrel_protocol::auth::Role::Tutor => "tutor",
        carrel_protocol::auth::Role::Admin => "admin",
    };
    tx.prepare_cached(
        "INSERT INTO forum_posts (course_id, post_id, item_id, topic_id, reply_to, title, body,
             attachments, author_id, author_name, author_role, mine, created_ms, hidden, pinned,
             version, read)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?12 OR ?14)
         ON CONFLICT (course_id, post_id) DO UPDATE SET item_id = excluded.item_id,
             topic_id = excluded.topic_id, reply_to = excluded.reply_to, title = excluded.title,
             body = excluded.body, attachments = excluded.attachments,
             author_id = excluded.author_id, author_name = excluded.author_name,
             author_role = excluded.author_role, mine = excluded.mine,
             created_ms = excluded.created_ms, hidden = excluded.hidden,
             pinned = excluded.pinned, version = excluded.version",
    )?
    .execute(params![
        course_id,
        post.post_id,
        post.item_id,
        post.topic_id,
        post.reply_to,
        post.title,
        post.body,
        serde_json::to_string(&post.attachments).expect("attachments serialize"),
        post.author.id,
        post.author.display_name,
        role,
        mine,
        post.created_ms as i64,
        post.hidden,
        post.pinned,
        post.version,
    ])?;
    Ok(!known)
}

/// File `sha256` of post `post_id` in the forum, when the post (from the server or the learner's
/// outbox) names it: what the UI may ask to open.
pub fn post_attachment(
    db: &ProgressDb,
    item: &ForumItem,
    post_id: &str,
    sha256: &str,
) -> Result<AttachmentInfo, AssessError> {
    db.transact(|tx| {
        posts_in(tx, item)?
            .into_iter()
            .filter(|post| post.view.post_id == post_id)
            .flat_map(|post| post.view.attachments)
            .find(|file| file.sha256 == sha256)
            .ok_or_else(|| AssessError::NotFound {
                what: "file",
                id: sha256.to_owned(),
            })
    })
}

/// Why a post's file could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Writing it here failed.
    #[error(transparent)]
    Local(#[from] AssessError),
    /// Not on this computer, and the server cannot be asked now.
    #[error(
        "this file is not on this computer yet: {0}. Open it again when you are online and signed in"
    )]
    Unavailable(String),
    /// The server sent other bytes than the post names.
    #[error("the file the server sent is not the one the post names; nothing was kept")]
    Mismatch,
}

/// Makes sure the attachment store holds `file`, downloading it from `path` on the course server
/// (a post's file in a course's forum, a group's file; `token`: the learner's access) when it does
/// not; answers where it is. A file kept once opens offline from then on.
pub async fn fetch_attachment(
    http: &HttpClient,
    server: &ServerUrl,
    token: Option<&str>,
    store: &AttachmentStore,
    path: &str,
    file: &AttachmentInfo,
) -> Result<std::path::PathBuf, FetchError> {
    if store.verify(&file.sha256, &file.name).is_ok() {
        return Ok(store.path_of(&file.sha256));
    }
    let Some(token) = token else {
        return Err(FetchError::Unavailable("you are not signed in".into()));
    };
    let unavailable =
        |error: reqwest::Error| FetchError::Unavailable(crate::http::describe(&error).to_owned());
    let response = http
        .inner()
        .get(server.join(path))
        .bearer_auth(token)
        .send()
        .await
        .map_err(unavailable)?;
    if !response.status().is_success() {
        return Err(FetchError::Unavailable(format!(
            "the server answered {}",
            response.status()
        )));
    }
    // Streamed to a file, never held whole: more bytes than the file has stop it at once, and
    // nothing is kept unless all of them are the file's.
    let temp = store.incoming()?;
    let received = async {
        use sha2::Digest;
        use std::io::Write;
        let local = |error: std::io::Error| {
            FetchError::Local(AssessError::Io(format!(
                "could not write {}: {error}",
                temp.display()
            )))
        };
        let mut output = std::fs::File::create_new(&temp).map_err(local)?;
        let mut hasher = sha2::Sha256::new();
        let mut size = 0u64;
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(unavailable)? {
            size += chunk.len() as u64;
            if size > file.size {
                return Err(FetchError::Mismatch);
            }
            hasher.update(&chunk);
            output.write_all(&chunk).map_err(local)?;
        }
        output.flush().map_err(local)?;
        if size != file.size || carrel_package::archive::hex(&hasher.finalize()) != file.sha256 {
            return Err(FetchError::Mismatch);
        }
        store.put(&temp, None)?;
        Ok(())
    }
    .await;
    let _ = std::fs::remove_file(&temp);
    received?;
    Ok(store.path_of(&file.sha256))
}

/// A file name from another participant made safe to write in a folder: its last path part,
/// without control characters or characters some systems refuse, never empty or hidden.
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}
