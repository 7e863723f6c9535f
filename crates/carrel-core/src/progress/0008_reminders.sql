-- Reminders of webinar sessions and deadlines shown as system notifications, so each is shown
-- once on this computer however often Carrel looks or restarts. `key` names the event and its
-- instant (see carrel_core::plan::reminders): a session moved to another time reminds again.
CREATE TABLE reminders_shown (
    course_id TEXT NOT NULL,
    key TEXT NOT NULL,
    shown_ms INTEGER NOT NULL,
    PRIMARY KEY (course_id, key)
) STRICT, WITHOUT ROWID;
