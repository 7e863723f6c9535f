-- Course certificates the server issued: one per learner and course, kept as signed. `record` is
-- the exact bytes of the carrel_protocol::certificates::CertificateRecord JSON that `signature`
-- (Ed25519, base64) signs, by the key whose fingerprint is `key_fingerprint` (the data folder's
-- certificate-key.json); they are answered byte for byte, never re-serialised. `pdf` is the
-- rendering made when it was issued, kept so every download is the same file. A certificate is
-- never deleted: revoking it sets `revoked_ms`, and verification then says it is not valid.
CREATE TABLE certificates (
    certificate_id TEXT PRIMARY KEY NOT NULL,  -- 32 lowercase hex digits, random
    user_id INTEGER NOT NULL REFERENCES users (id),
    course_id TEXT NOT NULL,
    record TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    pdf BLOB NOT NULL,
    pdf_sha256 TEXT NOT NULL,
    pdf_size INTEGER NOT NULL,
    issued_ms INTEGER NOT NULL,                -- server clock, as in the record
    revoked_ms INTEGER,                        -- NULL while valid
    UNIQUE (user_id, course_id)
) STRICT;
CREATE INDEX certificates_by_course ON certificates (course_id, issued_ms);
