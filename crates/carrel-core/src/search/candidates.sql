-- The best-ranked matching sections, best first. This is the bare FTS5 query: the page is in the
-- rowid (see SECTION_BITS), so nothing is joined for the rows that are not shown. bm25 is asked
-- for explicitly rather than through `ORDER BY rank`: in one cursor with SQLite's top-N sort it is
-- about twice as fast for common words (measured), and gives the score without computing it a
-- second time. The weights are the ones `rank` is configured with in schema.sql.
SELECT rowid, bm25(sections_fts, 8.0, 4.0, 1.0, 0.0) AS score
FROM sections_fts
WHERE sections_fts MATCH ?1
ORDER BY score
LIMIT ?2
