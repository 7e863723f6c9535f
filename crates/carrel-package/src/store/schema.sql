-- The content store's index: which courses are installed, at which version, and which file (by
-- hash) each of their paths is. Objects themselves live in objects/<2 hex>/<64 hex>.
CREATE TABLE courses (
    id TEXT PRIMARY KEY NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    manifest BLOB NOT NULL,          -- the exact signed bytes
    signature BLOB NOT NULL,
    publisher_key TEXT NOT NULL,      -- base64 Ed25519; pinned: a new version must use the same key
    installed_at INTEGER NOT NULL     -- unix ms
) STRICT;

CREATE TABLE course_files (
    course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    PRIMARY KEY (course_id, path)
) STRICT, WITHOUT ROWID;

CREATE INDEX course_files_by_hash ON course_files(sha256);

CREATE TABLE trusted_keys (
    public_key TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    added_by TEXT NOT NULL,           -- 'learner' (confirmed by fingerprint) or 'server'
    added_at INTEGER NOT NULL
) STRICT;
