-- Accounts and sessions. Passwords are stored as argon2id PHC strings; tokens only as their
-- SHA-256 (hex), so a copy of this file yields no usable credential.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('learner', 'tutor', 'admin')),
    created_ms INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One row per signed-in device. `refresh_hash` is the current refresh token's; earlier ones go to
-- `spent_refresh` so a replay is recognised and revokes the session.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    device TEXT,
    refresh_hash TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    refreshed_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    revoked_ms INTEGER
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE spent_refresh (
    hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id)
) STRICT;

CREATE TABLE access_tokens (
    hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    expires_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX access_tokens_by_session ON access_tokens (session_id);
