//! Course forums: posts written offline, sent through the outbox exactly once, and read offline
//! from a per-course feed.
//!
//! **Writing.** A post — a new topic or a reply — is a submission of kind
//! [`SubmissionKind::ForumPost`](crate::submissions::SubmissionKind::ForumPost): the client makes
//! its id when the learner presses *Post*, keeps it in its outbox and sends it with
//! `PUT /api/v1/submissions/{id}` whose payload is a [`ForumPostPayload`]. So a post has the same
//! idempotency rules as every submission (a retry replays the receipt, another payload under the
//! same id is a conflict) and its attachments are uploaded first, the same way. The post's id is
//! the client's id, for ever.
//!
//! A topic is either one of the forum's opening topics from the course package (its id is the
//! package's) or a post with a `title` whose `topicId` is its own id. A reply names its topic and,
//! optionally, the post it answers (`replyTo`, in the same topic). The server refuses (422) a
//! post to an item that is not a forum of the published course, to a topic the forum does not have,
//! in reply to a post of another topic, or with an empty or too long body or title; and (403) one
//! from an account not enrolled in the course (learners and tutors may post).
//!
//! **Reading.** `GET /api/v1/courses/{course_id}/forum?after=<version>&limit=<n>` (enrolled
//! accounts and admins; anyone else gets 404, as for a course that does not exist) answers a
//! [`ForumPage`]: every post of the course's forums whose `version` is greater than `after`,
//! oldest version first. A post gets a new, higher version whenever it changes (a tutor hides or
//! pins it), so one cursor per course brings new posts and changes alike; applying a post is
//! setting its state, so applying a page twice is harmless. The client stores the page's `cursor`
//! after applying it and asks again while `more` is true.
//!
//! A hidden post keeps its place (so replies to it still make sense) but arrives without its body,
//! title or attachments, except for the course's tutors and admins.
//!
//! **Moderation.** `PUT /api/v1/tutor/forum-posts/{post_id}/moderation` with a [`Moderation`]
//! (a tutor of the post's course, or an admin) hides or shows, pins or unpins a post, and answers
//! the post as it now is.
//!
//! **Attachments.** `GET /api/v1/courses/{course_id}/forum/attachments/{sha256}` (enrolled
//! accounts and admins) serves a file that a visible post of the course names, with `Range`.

use serde::{Deserialize, Serialize};

use crate::auth::Role;

/// `GET` (enrolled): a course's forum posts after a version.
pub const FORUM_ROUTE: &str = "/api/v1/courses/{course_id}/forum";
/// `GET` (enrolled): a file a visible post of the course names.
pub const FORUM_ATTACHMENT_ROUTE: &str = "/api/v1/courses/{course_id}/forum/attachments/{sha256}";
/// `PUT` (tutor): hide or show, pin or unpin a post, with a [`Moderation`].
pub const FORUM_MODERATION_ROUTE: &str = "/api/v1/tutor/forum-posts/{post_id}/moderation";

/// Posts per page when the request does not say.
pub const DEFAULT_LIMIT: u32 = 200;
/// The most posts a page holds.
pub const MAX_LIMIT: u32 = 500;

/// The longest body, in characters (Unicode scalar values).
pub const MAX_BODY_CHARS: usize = 20_000;
/// The longest topic title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The most files one post may carry.
pub const MAX_ATTACHMENTS: usize = 5;

/// The feed of course `course_id`.
pub fn forum_path(course_id: &str) -> String {
    format!("/api/v1/courses/{course_id}/forum")
}

/// Where attachment `sha256` of a post in course `course_id` is served.
pub fn forum_attachment_path(course_id: &str, sha256: &str) -> String {
    format!("/api/v1/courses/{course_id}/forum/attachments/{sha256}")
}

/// Where post `post_id` is moderated.
pub fn forum_moderation_path(post_id: &str) -> String {
    format!("/api/v1/tutor/forum-posts/{post_id}/moderation")
}

/// A file a post carries; its bytes are uploaded through `/api/v1/uploads` before the post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostAttachment {
    /// SHA-256 (hex) of its bytes.
    pub sha256: String,
    /// Its file name.
    pub name: String,
    /// Its length in bytes.
    pub size: u64,
}

/// The payload of a forum post submission, exactly as the outbox stores and sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForumPostPayload {
    /// The client's id: the post's id for ever.
    pub submission_id: String,
    /// The course.
    pub course_id: String,
    /// The forum item.
    pub item_id: String,
    /// The topic: an opening topic's id, or this post's own id when it starts a topic.
    pub topic_id: String,
    /// The post it answers, in the same topic.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// A new topic's title; `None` for a reply.
    #[serde(default)]
    pub title: Option<String>,
    /// The text (Markdown).
    pub body: String,
    /// Its files.
    #[serde(default)]
    pub attachments: Vec<PostAttachment>,
    /// When the learner pressed Post (ms since the epoch, device clock).
    pub written_ms: u64,
}

/// One page of a course's forum feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForumPage {
    /// The posts, oldest version first.
    pub posts: Vec<ForumPost>,
    /// Ask with `after=<cursor>` next time (the last post's `version`, or the request's `after`).
    pub cursor: i64,
    /// More posts are waiting: ask again now.
    pub more: bool,
}

/// Who wrote a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostAuthor {
    /// Account id.
    pub id: i64,
    /// Display name.
    pub display_name: String,
    /// Their role in the course when they posted (a tutor's posts are marked).
    pub role: Role,
}

/// A post as the feed gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForumPost {
    /// Its place in the course's feed: rises every time the post changes.
    pub version: i64,
    /// The client's id it was written under.
    pub post_id: String,
    /// The forum item.
    pub item_id: String,
    /// Its topic (see [`ForumPostPayload::topic_id`]).
    pub topic_id: String,
    /// The post it answers.
    pub reply_to: Option<String>,
    /// A topic's title (empty when hidden).
    pub title: Option<String>,
    /// The text, Markdown (empty when hidden).
    pub body: String,
    /// Its files (none when hidden).
    pub attachments: Vec<PostAttachment>,
    /// Who wrote it.
    pub author: PostAuthor,
    /// When the server received it (ms since the epoch, server clock).
    pub created_ms: u64,
    /// A tutor hid it.
    pub hidden: bool,
    /// A tutor pinned it (shown first in its topic, or its topic first in the forum).
    pub pinned: bool,
}

/// Body of [`FORUM_MODERATION_ROUTE`]: what to change (an absent field stays as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Moderation {
    /// Hide (`true`) or show (`false`) the post.
    #[serde(default)]
    pub hidden: Option<bool>,
    /// Pin or unpin it.
    #[serde(default)]
    pub pinned: Option<bool>,
}
