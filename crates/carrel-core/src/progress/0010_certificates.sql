-- Certificates (issue 10): each course's certificate once the course server issued it, for the
-- account it was issued to, kept as the exact bytes it signed with the signature and the PDF; and
-- the servers' certificate keys, pinned the first time they are fetched, so a certificate is
-- verified offline.
CREATE TABLE certificates (
    owner TEXT NOT NULL,               -- '<server> <account id>': whose it is
    course_id TEXT NOT NULL,
    server TEXT NOT NULL,              -- the server that issued it
    certificate_id TEXT NOT NULL,
    record TEXT NOT NULL,              -- JSON, exactly the bytes signed (it names the PDF's SHA-256)
    signature TEXT NOT NULL,           -- Ed25519 over `record`, base64
    key_fingerprint TEXT NOT NULL,
    pdf BLOB NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (owner, course_id)
) STRICT;

CREATE TABLE certificate_keys (
    server TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    public_key TEXT NOT NULL,          -- base64
    pinned_ms INTEGER NOT NULL,
    PRIMARY KEY (server, fingerprint)
) STRICT;
