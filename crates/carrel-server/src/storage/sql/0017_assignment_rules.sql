-- What the server must know of each assignment of every published course version to take its
-- submissions: whether it is group work (a submission is recorded for the submitter's group only
-- then, whatever the payload claims) and whether it takes more than one submission (of a
-- learner, or of a group). Written by `publish` from the assignment files the package ships, like
-- `quiz_definitions`; older versions' rows stay. A course published before this migration has
-- none until it is published again: its assignments count as individual work that takes
-- resubmissions, as the server treated every assignment before.
CREATE TABLE assignment_rules (
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version TEXT NOT NULL,             -- the course version that shipped it
    kind TEXT NOT NULL CHECK (kind IN ('individual', 'group')),
    resubmission INTEGER NOT NULL CHECK (resubmission IN (0, 1)),
    PRIMARY KEY (course_id, item_id, version)
) STRICT;
