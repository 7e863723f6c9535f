-- Course forums. A post is a submission of kind 'forum_post' (so it is stored once under the
-- client's id, like every submission) and a row of `forum_posts` saying where it belongs and how
-- it is shown.
--
-- First `submissions` takes the new kind. SQLite cannot change a CHECK constraint in place, so
-- `submissions` is rebuilt as in 0010, with every table that references it by now (grades,
-- comments, xapi_forward), inside this migration's transaction: all of it happens or none.
-- Renaming a table updates the references to it in the others.
CREATE TABLE submissions_next (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('quiz', 'assignment', 'scorm', 'cmi5', 'forum_post')),
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    received_ms INTEGER NOT NULL
) STRICT;
INSERT INTO submissions_next (id, client_id, user_id, kind, course_id, item_id, payload,
        payload_sha256, received_ms)
    SELECT id, client_id, user_id, kind, course_id, item_id, payload, payload_sha256, received_ms
    FROM submissions;

CREATE TABLE grades_next (
    submission_id INTEGER PRIMARY KEY NOT NULL REFERENCES submissions_next (id),
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    passed INTEGER,
    complete INTEGER NOT NULL,
    feedback TEXT,
    graded_by TEXT,
    grader_id INTEGER REFERENCES users (id),
    graded_ms INTEGER NOT NULL,
    detail TEXT
) STRICT;
INSERT INTO grades_next (submission_id, score, max_score, passed, complete, feedback, graded_by,
        grader_id, graded_ms, detail)
    SELECT submission_id, score, max_score, passed, complete, feedback, graded_by, grader_id,
        graded_ms, detail
    FROM grades;

CREATE TABLE comments_next (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions_next (id),
    author TEXT NOT NULL,
    author_id INTEGER REFERENCES users (id),
    text TEXT NOT NULL,
    at_ms INTEGER NOT NULL
) STRICT;
INSERT INTO comments_next (id, submission_id, author, author_id, text, at_ms)
    SELECT id, submission_id, author, author_id, text, at_ms FROM comments;

CREATE TABLE xapi_forward_next (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    statement_id TEXT NOT NULL UNIQUE,
    submission_id INTEGER NOT NULL REFERENCES submissions_next (id),
    body TEXT NOT NULL,
    queued_ms INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'refused')),
    tries INTEGER NOT NULL DEFAULT 0,
    sent_ms INTEGER,
    last_error TEXT
) STRICT;
INSERT INTO xapi_forward_next (seq, statement_id, submission_id, body, queued_ms, state, tries,
        sent_ms, last_error)
    SELECT seq, statement_id, submission_id, body, queued_ms, state, tries, sent_ms, last_error
    FROM xapi_forward;
-- A statement's number is never reused: the new table goes on from the old one's sequence, not
-- from its largest remaining row.
DELETE FROM sqlite_sequence WHERE name = 'xapi_forward_next';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'xapi_forward_next', seq FROM sqlite_sequence WHERE name = 'xapi_forward';

DROP TABLE xapi_forward;
DROP TABLE comments;
DROP TABLE grades;
DROP TABLE submissions;
ALTER TABLE submissions_next RENAME TO submissions;
ALTER TABLE grades_next RENAME TO grades;
ALTER TABLE comments_next RENAME TO comments;
ALTER TABLE xapi_forward_next RENAME TO xapi_forward;
CREATE INDEX submissions_by_user ON submissions (user_id, course_id, item_id);
CREATE INDEX comments_by_submission ON comments (submission_id, id);
CREATE INDEX xapi_forward_due ON xapi_forward (state, seq);

-- One row per forum post, written in the transaction that stores its submission. `version` is
-- the post's place in its course's feed (`GET /api/v1/courses/{course}/forum?after=`): the
-- course's largest version + 1 when the post is stored, and again each time a tutor changes it,
-- so one cursor per course brings new posts and changes alike. Rows are never deleted, so a
-- course's largest version never goes down and a version is never given twice.
CREATE TABLE forum_posts (
    submission_id INTEGER PRIMARY KEY NOT NULL REFERENCES submissions (id),
    client_id TEXT NOT NULL UNIQUE,      -- the post's id: its submission's client id
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,               -- the forum
    topic_id TEXT NOT NULL,              -- an opening topic's id, or client_id for a new topic
    reply_to TEXT,                       -- the client id of the post it answers, same topic
    title TEXT,                          -- a new topic's title, trimmed; NULL for a reply
    body TEXT NOT NULL,                  -- Markdown, trimmed
    attachments TEXT NOT NULL DEFAULT '[]',  -- JSON array of carrel_protocol::forums::PostAttachment
    author_id INTEGER NOT NULL REFERENCES users (id),
    author_role TEXT NOT NULL CHECK (author_role IN ('learner', 'tutor')),  -- in the course, then
    created_ms INTEGER NOT NULL,         -- server clock
    hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    hidden_by TEXT,                      -- who hid it (display name), while hidden
    hidden_by_id INTEGER REFERENCES users (id),  -- NULL: the operator at the command line
    hidden_ms INTEGER,
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    version INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX forum_posts_feed ON forum_posts (course_id, version);
CREATE INDEX forum_posts_by_topic ON forum_posts (course_id, item_id, topic_id);
