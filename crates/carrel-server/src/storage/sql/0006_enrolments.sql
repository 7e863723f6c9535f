-- Who takes or tutors which course, and in which group. A course need not be published yet to
-- enrol in it (enrol first, publish later).
CREATE TABLE enrolments (
    user_id INTEGER NOT NULL REFERENCES users (id),
    course_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('learner', 'tutor')),
    group_name TEXT,               -- for group work; unique within the course
    enrolled_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, course_id)
) STRICT;
CREATE INDEX enrolments_by_course ON enrolments (course_id, group_name);

-- Who may list and download a course: `open` ones anyone, the others only their enrolled accounts
-- and admins. Kept apart from `catalog_courses`, whose row each publish replaces. A course without
-- a row here is not open.
CREATE TABLE course_access (
    course_id TEXT PRIMARY KEY NOT NULL,
    open INTEGER NOT NULL CHECK (open IN (0, 1))
) STRICT;

-- Courses published before access rules existed were open to anyone: they stay so.
INSERT INTO course_access (course_id, open) SELECT course_id, 1 FROM catalog_courses;
