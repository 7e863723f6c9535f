-- Resumable attachment uploads, one per account and SHA-256. The bytes live in the data folder:
-- `uploads/<id>.part` while incomplete, then `blobs/<aa>/<sha256>` once verified. `received` is the
-- length of the part file's prefix that is durably on disk; `completed_ms` is set once the whole
-- file matched its SHA-256.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    name TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= size),
    created_ms INTEGER NOT NULL,
    completed_ms INTEGER,
    UNIQUE (user_id, sha256)
) STRICT;
