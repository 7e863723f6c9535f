-- Facts about this server installation itself.
CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- When the database was created, in milliseconds since the Unix epoch.
INSERT INTO server_meta (key, value)
VALUES ('created_at_ms', CAST(CAST(unixepoch('subsec') * 1000 AS INTEGER) AS TEXT));
