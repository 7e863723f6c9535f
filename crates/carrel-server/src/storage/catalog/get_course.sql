SELECT course_id, version, title, summary, language, publisher, starts, ends,
       package_sha256, package_size, content_size, publisher_key, publisher_fingerprint,
       published_at
FROM catalog_courses
WHERE course_id = ?1
