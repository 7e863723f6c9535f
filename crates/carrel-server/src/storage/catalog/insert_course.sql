INSERT INTO catalog_courses (
    course_id, version, title, summary, language, publisher, starts, ends,
    package_sha256, package_size, content_size, publisher_key, publisher_fingerprint,
    published_at, manifest, signature
)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
