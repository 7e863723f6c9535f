-- What the course server said after receiving submissions, from its changes feed
-- (`carrel_protocol::changes`), and where in that feed this device is.
CREATE TABLE server_grades (
    submission_id TEXT PRIMARY KEY NOT NULL,
    grade TEXT NOT NULL,            -- carrel_protocol::changes::Grade, JSON
    complete INTEGER NOT NULL,
    graded_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE submission_comments (
    comment_id INTEGER PRIMARY KEY,
    submission_id TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX comments_by_submission ON submission_comments (submission_id, at_ms);

-- Announcements, new course versions and deadline changes, newest shown first.
CREATE TABLE course_notices (
    seq INTEGER PRIMARY KEY,
    course_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('announcement', 'package', 'schedule')),
    body TEXT NOT NULL,             -- the change's body, JSON
    at_ms INTEGER NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Small facts about sync: the feed's cursor per server and account, the last successful sync.
CREATE TABLE sync_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- When a submission's item is due or closes, so the app can warn while it is not sent.
ALTER TABLE outbox ADD COLUMN due_ms INTEGER;
