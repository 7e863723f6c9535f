-- Certificates (issue 10): each course's certificate once the course server issued it, kept as
-- the exact bytes it signed with the signature and the PDF, and the servers' certificate keys,
-- pinned the first time they are fetched, so a certificate is verified offline.
CREATE TABLE certificates (
    course_id TEXT PRIMARY KEY NOT NULL,
    server TEXT NOT NULL,              -- the server that issued it
    certificate_id TEXT NOT NULL,
    record TEXT NOT NULL,              -- JSON, exactly the bytes signed
    signature TEXT NOT NULL,           -- Ed25519 over `record`, base64
    key_fingerprint TEXT NOT NULL,
    pdf BLOB NOT NULL,
    received_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE certificate_keys (
    server TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    public_key TEXT NOT NULL,          -- base64
    pinned_ms INTEGER NOT NULL,
    PRIMARY KEY (server, fingerprint)
) STRICT;
