-- Course forums (issue 10): posts downloaded for offline reading, which of them the learner has
-- read, drafts of replies and new topics, and forum posts in the outbox.

-- Every post of the forums of the learner's courses, as the server's feed last gave it. A post's
-- state is set whole each time it arrives (a tutor hid or pinned it), except `read`, which is the
-- learner's: a post arrives unread unless it is their own, and opening its topic reads it.
CREATE TABLE forum_posts (
    course_id TEXT NOT NULL,
    post_id TEXT NOT NULL,             -- the id its author's client made (the submission's)
    item_id TEXT NOT NULL,             -- the forum
    topic_id TEXT NOT NULL,            -- an opening topic's id, or the post that started the topic
    reply_to TEXT,
    title TEXT,                        -- a topic's title
    body TEXT NOT NULL,                -- Markdown; empty when hidden
    attachments TEXT NOT NULL,         -- JSON: [{sha256, name, size}]
    author_id INTEGER NOT NULL,
    author_name TEXT NOT NULL,
    author_role TEXT NOT NULL,
    mine INTEGER NOT NULL,             -- written by the account signed in when it arrived
    created_ms INTEGER NOT NULL,       -- server clock
    hidden INTEGER NOT NULL,
    pinned INTEGER NOT NULL,
    version INTEGER NOT NULL,          -- its place in the course's feed
    read INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (course_id, post_id)
) STRICT;
CREATE INDEX forum_posts_by_topic ON forum_posts (course_id, item_id, topic_id, created_ms);

-- What the learner is writing: one draft per topic (topic_id '' for a new topic), saved as they type.
CREATE TABLE forum_drafts (
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    reply_to TEXT,
    title TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]', -- JSON: [{sha256, name, size}], bytes in the attachment store
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (course_id, item_id, topic_id)
) STRICT;

-- The outbox carries forum posts too: rebuilt to widen its CHECK, as migration 6 did.
CREATE TABLE outbox_next (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('quiz', 'assignment', 'scorm', 'cmi5', 'forum_post')),
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'received', 'graded', 'needs_attention')),
    state_ms INTEGER NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    result TEXT,
    problem TEXT,
    next_try_ms INTEGER,
    last_error TEXT,
    due_ms INTEGER
) STRICT;
INSERT INTO outbox_next (id, kind, course_id, item_id, title, source, version, payload,
        payload_sha256, created_ms, state, state_ms, tries, receipt, result, problem, next_try_ms,
        last_error, due_ms)
    SELECT id, kind, course_id, item_id, title, source, version, payload, payload_sha256,
        created_ms, state, state_ms, tries, receipt, result, problem, next_try_ms, last_error, due_ms
    FROM outbox;
CREATE TABLE outbox_attachments_next (
    outbox_id TEXT NOT NULL REFERENCES outbox_next (id),
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (outbox_id, sha256)
) STRICT;
INSERT INTO outbox_attachments_next (outbox_id, sha256, name, size)
    SELECT outbox_id, sha256, name, size FROM outbox_attachments;
DROP TABLE outbox_attachments;
DROP TABLE outbox;
ALTER TABLE outbox_next RENAME TO outbox;
ALTER TABLE outbox_attachments_next RENAME TO outbox_attachments;
CREATE INDEX outbox_by_item ON outbox (course_id, item_id, version);
CREATE INDEX outbox_to_send ON outbox (state, created_ms);
