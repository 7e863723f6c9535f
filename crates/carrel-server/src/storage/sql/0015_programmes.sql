-- Programmes (diplomas) the course team defines: `required` certificates of the eligible courses
-- (`programme_courses`, in the order the team listed them), plus the capstone's if it names one,
-- all issued within one span of `window_years` years. Courses are referred to by id and need not
-- be published yet. Defining a programme again replaces its row and its courses.
CREATE TABLE programmes (
    programme_id TEXT PRIMARY KEY NOT NULL,   -- 1–64 of a-z, 0-9, -
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    required INTEGER NOT NULL CHECK (required >= 1),
    window_years INTEGER NOT NULL CHECK (window_years BETWEEN 1 AND 50),
    capstone_course_id TEXT,                  -- NULL: no capstone
    updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE programme_courses (
    programme_id TEXT NOT NULL REFERENCES programmes (programme_id) ON DELETE CASCADE,
    course_id TEXT NOT NULL,
    position INTEGER NOT NULL,                -- 0-based, the order the team listed them in
    PRIMARY KEY (programme_id, course_id)
) STRICT, WITHOUT ROWID;
