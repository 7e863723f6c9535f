-- cmi5: Carrel is the LMS and a local Learning Record Store for the AUs it launches.

-- One registration per course and learner on this computer (cmi5 §5.1): every AU of the course
-- is launched with it, and moveOn is evaluated within it.
CREATE TABLE cmi5_registration (
    course_id TEXT PRIMARY KEY NOT NULL,
    registration TEXT NOT NULL UNIQUE,  -- a UUID
    created_ms INTEGER NOT NULL
) STRICT;

-- One row per launch of an AU (a cmi5 session).
CREATE TABLE cmi5_session (
    session_id TEXT PRIMARY KEY NOT NULL,  -- a UUID, in every statement's sessionid extension
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    registration TEXT NOT NULL,
    number INTEGER NOT NULL,               -- 1, 2… launches of this AU
    fetch_key TEXT NOT NULL UNIQUE,        -- names the session's one-time fetch URL
    token TEXT NOT NULL UNIQUE,            -- the auth token the fetch URL hands out, once
    fetched INTEGER NOT NULL DEFAULT 0,
    prefs_read INTEGER NOT NULL DEFAULT 0, -- the AU read its learner preferences (before initialized)
    state TEXT NOT NULL
        CHECK (state IN ('launched', 'initialized', 'terminated', 'abandoned')),
    verdict TEXT,                          -- passed or failed, once the AU said so in this session
    actor TEXT NOT NULL,                   -- JSON: the Agent the AU was launched for
    activity_id TEXT NOT NULL,             -- the IRI the LMS gave the AU for this registration
    au TEXT NOT NULL,                      -- JSON: the AU as the signed manifest describes it
    course_aus TEXT NOT NULL,              -- JSON: the item ids of every AU of the course
    title TEXT NOT NULL,
    launched_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX cmi5_session_item ON cmi5_session (course_id, item_id);
CREATE INDEX cmi5_session_open ON cmi5_session (state) WHERE state IN ('launched', 'initialized');

-- Every statement of every session, as stored (the AU's and the LMS's own), in arrival order.
CREATE TABLE xapi_statement (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL REFERENCES cmi5_session (session_id),
    registration TEXT NOT NULL,
    item_id TEXT NOT NULL,
    verb TEXT NOT NULL,
    by_lms INTEGER NOT NULL,
    body TEXT NOT NULL,                    -- JSON, exactly as stored
    stored_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX xapi_statement_session ON xapi_statement (session_id);
CREATE INDEX xapi_statement_verb ON xapi_statement (registration, item_id, verb);

-- Documents of the xAPI State and Agent Profile resources (bookmarks, suspend data, learner
-- preferences). `registration` and `activity_id` are '' where the resource has none.
CREATE TABLE xapi_document (
    kind TEXT NOT NULL CHECK (kind IN ('state', 'agent-profile')),
    activity_id TEXT NOT NULL,
    agent TEXT NOT NULL,                   -- the Agent's account, canonical
    registration TEXT NOT NULL,
    document_id TEXT NOT NULL,
    content BLOB NOT NULL,
    content_type TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, activity_id, agent, registration, document_id)
) STRICT;
