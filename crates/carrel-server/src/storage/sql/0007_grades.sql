-- The grade of each submission: set by the server's automatic grading of a quiz, replaced by a
-- tutor's. `graded_by` is the tutor's display name as the learner sees it; NULL for the server.
CREATE TABLE grades (
    submission_id INTEGER PRIMARY KEY NOT NULL REFERENCES submissions (id),
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    passed INTEGER,                 -- NULL: the item has no pass mark
    complete INTEGER NOT NULL,      -- 0 while part of a quiz waits for a tutor
    feedback TEXT,
    graded_by TEXT,
    grader_id INTEGER REFERENCES users (id),
    graded_ms INTEGER NOT NULL,
    detail TEXT                     -- the server's QuizGrade, JSON
) STRICT;

-- Tutors' comments on submissions, oldest first.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    author TEXT NOT NULL,           -- display name
    author_id INTEGER REFERENCES users (id),
    text TEXT NOT NULL,
    at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX comments_by_submission ON comments (submission_id, id);

-- The changes feed: what a learner's device should learn, in order. `audience` is the one account
-- a change is for, or NULL for everyone enrolled in `course_id`. `body` is the JSON of
-- carrel_protocol::changes::ChangeBody. AUTOINCREMENT: a sequence number is never reused, even
-- after the newest row is deleted, so a client's cursor never skips a change.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    audience INTEGER REFERENCES users (id),
    course_id TEXT NOT NULL,
    body TEXT NOT NULL
) STRICT;
CREATE INDEX changes_by_audience ON changes (audience, seq);
CREATE INDEX changes_by_course ON changes (course_id, seq);
