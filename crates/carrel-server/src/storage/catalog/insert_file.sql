-- A file listed twice in one manifest (same content under two paths) is one row.
INSERT INTO catalog_files (sha256, course_id, size)
VALUES (?1, ?2, ?3)
ON CONFLICT (sha256, course_id) DO NOTHING
