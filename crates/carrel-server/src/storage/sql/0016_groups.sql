-- Group work (carrel_protocol::groups). A group assignment is submitted by one member, as any
-- assignment; `group_name` records the submitter's group in the course at the moment it was
-- stored (their enrolment's), so the group's latest submission of an item is the one with the
-- largest (received_ms, id) among the rows of that course, group and item. NULL for every other
-- submission, and for a group assignment sent by a learner who had no group then.
ALTER TABLE submissions ADD COLUMN group_name TEXT;
CREATE INDEX submissions_by_group ON submissions (course_id, group_name, item_id)
    WHERE group_name IS NOT NULL;

-- The files the course team placed for a group (`carrel-server group-file-add`), one per name
-- within the group: adding a file under a name the group has replaces it. The bytes are kept
-- content-addressed with the uploaded attachments (`<data>/blobs/<aa>/<sha256>`), so one path
-- serves both and a row never outlives its bytes; removing a row leaves the blob, which an
-- upload or another group may share.
CREATE TABLE group_files (
    id INTEGER PRIMARY KEY,
    course_id TEXT NOT NULL,
    group_name TEXT NOT NULL,          -- as enrolments.group_name spells it
    name TEXT NOT NULL,                -- the file's name as members see it
    sha256 TEXT NOT NULL,              -- lower-case hex: where its bytes are
    size INTEGER NOT NULL CHECK (size >= 0),
    added_by TEXT NOT NULL,            -- a display name, or 'course team' for the operator
    added_ms INTEGER NOT NULL,         -- server clock
    UNIQUE (course_id, group_name, name)
) STRICT;
CREATE INDEX group_files_by_hash ON group_files (course_id, group_name, sha256);
