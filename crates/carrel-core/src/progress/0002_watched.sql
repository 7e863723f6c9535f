-- Media: which spans of a video or audio the learner actually played ('watched', `value` = from,
-- `value_end` = to, in seconds), so "watched at least N %" is the length of their union, whatever
-- order or device they arrive from. SQLite cannot alter a CHECK constraint, so the table is
-- rebuilt with every row kept.
CREATE TABLE events_v2 (
    id TEXT PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opened', 'progressed', 'completed', 'time_on_task', 'position', 'watched')),
    at_ms INTEGER NOT NULL,
    value REAL,          -- progressed: fraction 0..1; time_on_task: seconds; position: in `detail`'s unit; watched: from (s)
    detail TEXT,         -- position: what `value` measures ('seconds', 'fraction' or 'page')
    value_end REAL       -- watched: to (s)
) STRICT;

INSERT INTO events_v2 (id, course_id, item_id, kind, at_ms, value, detail)
    SELECT id, course_id, item_id, kind, at_ms, value, detail FROM events;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_by_item ON events (course_id, item_id, at_ms);
-- "Last studied" and "continue" look for a course's latest event.
CREATE INDEX events_by_time ON events (course_id, at_ms);
