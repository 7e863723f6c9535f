-- Submissions also carry results of SCORM and cmi5 content (kinds 'scorm' and 'cmi5'). SQLite
-- cannot change a CHECK constraint in place, so `submissions` is rebuilt, with the two tables that
-- reference it, inside this migration's transaction: all of it happens or none. Renaming a table
-- updates the references to it in the others.
CREATE TABLE submissions_next (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('quiz', 'assignment', 'scorm', 'cmi5')),
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

DROP TABLE comments;
DROP TABLE grades;
DROP TABLE submissions;
ALTER TABLE submissions_next RENAME TO submissions;
ALTER TABLE grades_next RENAME TO grades;
ALTER TABLE comments_next RENAME TO comments;
CREATE INDEX submissions_by_user ON submissions (user_id, course_id, item_id);
CREATE INDEX comments_by_submission ON comments (submission_id, id);
