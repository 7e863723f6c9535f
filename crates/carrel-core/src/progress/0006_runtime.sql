-- SCORM and cmi5 content keeps its own state through Carrel's runtime: one row per item, holding
-- the current attempt's data model exactly as the runtime last committed it.
CREATE TABLE runtime_state (
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,          -- 1, 2… a new one starts when the last ended without suspend
    session INTEGER NOT NULL,          -- sessions of this attempt ended (Finish/Terminate) so far
    data TEXT NOT NULL,                -- JSON: the runtime's data model ({"cmi": …})
    completion TEXT NOT NULL,          -- completed, incomplete, not attempted, unknown
    success TEXT NOT NULL,             -- passed, failed, unknown
    score_scaled REAL,                 -- -1–1, when the content reported a score
    total_time_s REAL NOT NULL DEFAULT 0,
    ended INTEGER NOT NULL DEFAULT 0,  -- the last session ended (Finish) without suspend: next launch is a new attempt
    open INTEGER NOT NULL DEFAULT 0,   -- a session has committed and not ended yet
    launch INTEGER NOT NULL DEFAULT 1, -- launches of the item so far; a commit names its launch
    seq INTEGER NOT NULL DEFAULT 0,    -- the newest commit stored of that launch (1, 2…)
    title TEXT NOT NULL,               -- the item's title and standard, for the outbox
    standard TEXT NOT NULL,            -- scorm-1.2, scorm-2004, cmi5
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (course_id, item_id)
) STRICT;

-- The outbox carries SCORM and cmi5 results too. SQLite cannot change a CHECK constraint in place,
-- so the table is rebuilt, with its attachments (which reference it), inside this migration's
-- transaction: either all of it happens or none.
CREATE TABLE outbox_next (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('quiz', 'assignment', 'scorm', 'cmi5')),
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
