-- xAPI statements for the institution's Learning Record Store, queued with what they record
-- (see src/xapi.rs): sent in order, each once; a statement the LRS refuses is set aside.
-- The actor is added when sent: the learner who submitted the record.
CREATE TABLE xapi_forward (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    statement_id TEXT NOT NULL UNIQUE,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    body TEXT NOT NULL,                 -- JSON, without its actor
    queued_ms INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'refused')),
    tries INTEGER NOT NULL DEFAULT 0,  -- requests that carried it (for diagnosis)
    sent_ms INTEGER,
    last_error TEXT
) STRICT;
CREATE INDEX xapi_forward_due ON xapi_forward (state, seq);
