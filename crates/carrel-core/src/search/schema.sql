-- The search index. Everything here is derived from course pages when a course is imported, so the
-- file can always be deleted and rebuilt; nothing else refers to its ids.

-- One row per indexed course. `id` is also in the `course+<id>` token in sections_fts.tags.
CREATE TABLE courses (
    id INTEGER PRIMARY KEY,
    course_id TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,        -- as the course declares it ('fr-CA')
    stemming TEXT NOT NULL,        -- the stemmer its keys were made with: 'en', 'fr', 'es', 'none'
    indexed_ms INTEGER NOT NULL
) STRICT;

-- One row per indexed page (a course item).
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    course INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    title TEXT NOT NULL,
    path TEXT NOT NULL             -- the page's file within the course
) STRICT;

CREATE INDEX pages_by_course ON pages (course);

-- One row per section of a page (the text under one h1-h3), with its original text: what results,
-- snippets and "open at its place" show.
CREATE TABLE sections (
    id INTEGER PRIMARY KEY,        -- = sections_fts.rowid = page << 12 | the section's number
    page INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    heading TEXT NOT NULL,         -- '' for text before the first heading
    heading_index INTEGER,         -- position among the page's h1, h2, h3; NULL before the first
    anchor TEXT,                   -- the heading's id attribute, if any
    body TEXT NOT NULL
) STRICT;

CREATE INDEX sections_by_page ON sections (page);

-- The full-text index of the sections' *keys* (folded, stemmed words, one token each, made in
-- Rust: see search/analyze.rs), not of their text, so it is contentless: the text is in
-- `sections`. `tags` holds `course+<courses.id>`, to search one course; it weighs nothing in bm25.
-- The categories make every letter, digit, mark and symbol a token character, so each key is
-- exactly one token whatever its script, and so is `course+12`, which no key can equal (keys
-- hold only letters and digits): a learner's word never matches a tag.
CREATE VIRTUAL TABLE sections_fts USING fts5 (
    title,
    heading,
    body,
    tags,
    content = '',
    contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M* S*'"
);

-- `ORDER BY rank` ranks by bm25 with these column weights: title, heading, body, tags (the same as
-- candidates.sql asks for).
INSERT INTO sections_fts (sections_fts, rank) VALUES ('rank', 'bm25(8.0, 4.0, 1.0, 0.0)');
