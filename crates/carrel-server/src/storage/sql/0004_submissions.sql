-- Submissions, keyed forever by the client's id: a retry finds the first one and gets its receipt.
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('quiz', 'assignment')),
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    payload TEXT NOT NULL,          -- the bytes received, exactly
    payload_sha256 TEXT NOT NULL,
    received_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX submissions_by_user ON submissions (user_id, course_id, item_id);
