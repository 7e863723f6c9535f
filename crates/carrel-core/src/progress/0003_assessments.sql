-- Quizzes and assignments (issue 5): attempts with every answer as given, drafts with a short
-- history and attachments, and the outbox of submissions the sync sends.

-- One row per quiz attempt. `id` is made here (UUIDv7). Times are the device's clock;
-- `clock_offset_ms` (server − device, when known) lets the server place them on its own.
CREATE TABLE attempts (
    id TEXT PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    quiz_id TEXT NOT NULL,
    course_version TEXT NOT NULL,
    definition_sha256 TEXT NOT NULL,   -- the quiz file the attempt was started on
    number INTEGER NOT NULL CHECK (number >= 1),
    seed INTEGER NOT NULL,             -- the order questions and choices are shown in
    started_ms INTEGER NOT NULL,
    clock_offset_ms INTEGER,
    deadline_ms INTEGER,               -- time limit or closing, whichever is first
    submitted_ms INTEGER,
    submitted_by TEXT CHECK (submitted_by IN ('learner', 'time_limit')),
    UNIQUE (course_id, item_id, number)
) STRICT;
-- At most one attempt in progress per quiz.
CREATE UNIQUE INDEX attempts_one_open ON attempts (course_id, item_id) WHERE submitted_ms IS NULL;

-- The latest answer to each question of an attempt, saved as it is given.
CREATE TABLE answers (
    attempt_id TEXT NOT NULL REFERENCES attempts (id),
    question_id TEXT NOT NULL,
    answer TEXT NOT NULL,              -- JSON (assess::Answer)
    saved_ms INTEGER NOT NULL,
    checked_ms INTEGER,                -- practice: feedback shown, answer locked
    PRIMARY KEY (attempt_id, question_id)
) STRICT;

-- The draft of each assignment: one row, saved as the learner types.
CREATE TABLE drafts (
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    text TEXT NOT NULL,
    group_name TEXT,
    declared INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL,         -- +1 on every change, attachments included
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (course_id, item_id)
) STRICT;

-- Earlier texts of a draft, kept a while so an unwanted change can be undone.
CREATE TABLE draft_versions (
    id INTEGER PRIMARY KEY,
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    text TEXT NOT NULL,
    saved_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX draft_versions_by_item ON draft_versions (course_id, item_id, saved_ms);

-- Files attached to a draft; the bytes are in the attachment store under their SHA-256.
CREATE TABLE draft_attachments (
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    added_ms INTEGER NOT NULL,
    PRIMARY KEY (course_id, item_id, sha256)
) STRICT;

-- Submissions waiting to be sent, being sent, or sent. `source` names what was submitted (an
-- attempt, or a draft revision) and is unique: nothing is ever queued twice.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,      -- UUIDv7, made here: the server's idempotency key
    kind TEXT NOT NULL CHECK (kind IN ('quiz', 'assignment')),
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,          -- 1, 2… per item (attempt number, or resubmission)
    payload TEXT NOT NULL,             -- JSON, exactly what is sent
    payload_sha256 TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'received', 'graded', 'needs_attention')),
    state_ms INTEGER NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,                      -- the server's receipt, once received
    result TEXT,                       -- JSON grade: local for practice quizzes, else the server's
    problem TEXT                       -- why it needs attention, for people
) STRICT;
CREATE INDEX outbox_by_item ON outbox (course_id, item_id, version);

CREATE TABLE outbox_attachments (
    outbox_id TEXT NOT NULL REFERENCES outbox (id),
    sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (outbox_id, sha256)
) STRICT;
