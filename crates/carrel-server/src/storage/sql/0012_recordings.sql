-- Recordings of webinar sessions, published after the session (`carrel-server recording`). The
-- file is kept as `recordings/<sha256>` in the data folder and served to those who may see the
-- course; a session has at most one recording (publishing another replaces it).
CREATE TABLE recordings (
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    PRIMARY KEY (course_id, item_id, session_id)
) STRICT;
CREATE INDEX recordings_by_hash ON recordings (course_id, sha256);
