-- The course catalogue: every published course at its current version, with the exact signed
-- bytes clients verify. `carrel-server publish` replaces a course's row when it publishes a newer
-- version; the package file itself is kept in the data folder as packages/<package_sha256>.carrel.
CREATE TABLE catalog_courses (
    course_id             TEXT PRIMARY KEY NOT NULL,
    version               TEXT NOT NULL,     -- major.minor.patch
    title                 TEXT NOT NULL,
    summary               TEXT NOT NULL,
    language              TEXT NOT NULL,
    publisher             TEXT NOT NULL,     -- the publisher's display name
    starts                TEXT,              -- YYYY-MM-DD
    ends                  TEXT,              -- YYYY-MM-DD
    package_sha256        TEXT NOT NULL,     -- of the package file, lowercase hex
    package_size          INTEGER NOT NULL,  -- bytes
    content_size          INTEGER NOT NULL,  -- bytes of content files, per the manifest
    publisher_key         TEXT NOT NULL,     -- base64 Ed25519 key that signed this version
    publisher_fingerprint TEXT NOT NULL,
    manifest              BLOB NOT NULL,     -- the exact signed bytes
    signature             BLOB NOT NULL,     -- carrel-signature.json
    published_at          INTEGER NOT NULL   -- unix ms
) STRICT;

-- The content files of each catalogue course's current version: what GET /api/v1/files/{sha256}
-- may serve (from the content store in the data folder).
CREATE TABLE catalog_files (
    sha256    TEXT NOT NULL,
    course_id TEXT NOT NULL REFERENCES catalog_courses (course_id) ON DELETE CASCADE,
    size      INTEGER NOT NULL,
    PRIMARY KEY (sha256, course_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX catalog_files_by_course ON catalog_files (course_id);
