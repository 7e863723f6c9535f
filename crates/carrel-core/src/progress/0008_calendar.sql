-- Calendar: reminders shown, and webinar sessions and recordings from the course server.
--
-- Reminders of webinar sessions and deadlines shown as system notifications, so each is shown
-- once on this computer however often Carrel looks or restarts. `key` names the event and its
-- instant (see carrel_core::plan::reminders): a session moved to another time reminds again.
CREATE TABLE reminders_shown (
    course_id TEXT NOT NULL,
    key TEXT NOT NULL,
    shown_ms INTEGER NOT NULL,
    PRIMARY KEY (course_id, key)
) STRICT, WITHOUT ROWID;

-- Webinar sessions the course team added, moved or cancelled on the server ('session') and
-- recordings of sessions ('recording') join the course notices. SQLite cannot alter a CHECK constraint, so the table is rebuilt with every row.
CREATE TABLE course_notices_v2 (
    seq INTEGER PRIMARY KEY,
    course_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('announcement', 'package', 'schedule', 'session', 'recording')),
    body TEXT NOT NULL,             -- the change's body, JSON
    at_ms INTEGER NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO course_notices_v2 (seq, course_id, kind, body, at_ms, seen)
    SELECT seq, course_id, kind, body, at_ms, seen FROM course_notices;
DROP TABLE course_notices;
ALTER TABLE course_notices_v2 RENAME TO course_notices;
-- The calendar reads a course's session changes by kind.
CREATE INDEX course_notices_by_kind ON course_notices (course_id, kind, seq);

-- Earlier builds skipped the changes they did not know (sessions, recordings) and moved their
-- cursor past them: the feed is read again from the start, and the old cursor kept as the point
-- up to which nothing is announced as new (carrel_core::sync::changes::pull).
UPDATE sync_meta SET key = 'changes-replayed-until ' || substr(key, 16)
    WHERE key LIKE 'changes-cursor %';
