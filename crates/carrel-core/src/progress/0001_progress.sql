-- Learner actions, append-only: one row per thing that happened, with a client-made UUIDv7 id, so a
-- resend is harmless and merging two histories is a union.
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opened', 'progressed', 'completed', 'time_on_task', 'position')),
    at_ms INTEGER NOT NULL,
    value REAL,          -- progressed: fraction 0..1; time_on_task: seconds; position: seconds or fraction
    detail TEXT          -- position: what `value` measures ('seconds' or 'fraction')
) STRICT;

CREATE INDEX events_by_item ON events (course_id, item_id, at_ms);

-- Derived from events by order-independent rules (max, min, sum, latest), updated in the same
-- transaction as each insert; rebuildable from events at any time.
CREATE TABLE item_summaries (
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    first_opened_ms INTEGER,
    last_opened_ms INTEGER,
    progress REAL NOT NULL DEFAULT 0,
    completed_ms INTEGER,
    time_on_task_s REAL NOT NULL DEFAULT 0,
    position REAL,
    position_unit TEXT,
    position_at_ms INTEGER,
    position_event TEXT,
    PRIMARY KEY (course_id, item_id)
) STRICT, WITHOUT ROWID;
