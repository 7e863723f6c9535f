-- Resumable attachment uploads, one per account and SHA-256. The bytes live in the data folder:
-- `uploads/<id>.part` while incomplete, then `blobs/<aa>/<sha256>` once verified.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    name TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    completed_ms INTEGER,
    UNIQUE (user_id, sha256)
) STRICT;
