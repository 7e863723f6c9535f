-- The quiz definitions of every published course version, with their keys when the server has
-- them (a practice quiz ships its key; a graded quiz's comes from the answer-keys file given to
-- `publish`). Found by the SHA-256 of the quiz file the package ships, which a quiz submission
-- names (`definitionSha256`). Older versions' rows stay: an attempt is graded by the definition
-- it was taken on.
CREATE TABLE quiz_definitions (
    course_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    definition_sha256 TEXT NOT NULL,   -- of the quiz file in the package
    quiz_id TEXT NOT NULL,
    version TEXT NOT NULL,             -- the course version that shipped it first
    definition TEXT NOT NULL,          -- carrel_package::activity::QuizDefinition, JSON
    keyed INTEGER NOT NULL CHECK (keyed IN (0, 1)),  -- 1: `definition` holds the key
    PRIMARY KEY (course_id, item_id, definition_sha256)
) STRICT;
