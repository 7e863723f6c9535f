//! Offline full-text search across every downloaded course.
//!
//! **What is indexed.** When a course is imported (or updated) the app gives
//! [`SearchIndex::index_course`] its pages; each page's HTML is turned into plain text cut into
//! *sections* — the text under one `<h1>`–`<h3>` ([`extract_text`]) — and each section is one
//! row of an SQLite FTS5 table, in its own file (`search.sqlite3`). A course is replaced in one
//! transaction, so a re-import never leaves old and new pages side by side. The file is derived
//! data: when it is damaged it can be deleted and rebuilt ([`SearchIndex::open_or_rebuild`]).
//!
//! **Why stems are stored.** FTS5's tokenizers know nothing of French or Spanish, and a Rust
//! tokenizer cannot be plugged into FTS5 through `rusqlite` without unsafe code. So words are
//! turned into *keys* in Rust — lower-cased, accents folded, then stemmed with the course
//! language's Snowball stemmer ([`Stemming`]) — and the FTS columns hold those keys, one token per
//! word in order (so phrases still work). Folding comes before stemming, so a learner who types
//! without accents gets the same keys. The query goes through the same analyser, so
//! `travailleurs` finds `travailleur`, `trabajadoras` finds `trabajadora`, `migration` finds
//! `migrations` and `resume` finds `résumé`. Each course is analysed in its own language; a search
//! across courses of several languages matches any of the query's analyses (one per language in
//! use). Ranking is FTS5's bm25, with the page title weighing 8, the section heading 4 and the
//! text 1. What the learner types is never FTS5 syntax: it is split into words and phrases whose
//! keys are quoted, all of which must match, the last word also as a prefix while typing.
//!
//! **How snippets are built.** The FTS table is contentless; the original text of each section is
//! in a plain table. For each result (only those: FTS5 ranks, then the best section of each of the
//! first `limit` pages is read), the section's text is scanned, its words analysed like the
//! index's, and those whose key matches a query key are marked, in a window of 32 words around
//! the best cluster of hits. A snippet is a list of [`SnippetPart`]s — text and a `hit` flag — so
//! the UI renders it as text and never injects HTML.
//!
//! **"At its place".** A [`SearchHit`] names the page (`course_id`, `item_id`, `path`) and the
//! section: its `heading` text, its `anchor` (the heading's `id`, to open `path#anchor`, when the
//! page has ids) and its `heading_index`, the heading's position among the page's `h1, h2, h3`
//! elements (`document.querySelectorAll("h1, h2, h3")[heading_index]`, for pages rendered from
//! Markdown, whose headings have no ids). The first `hit` part of the snippet is the text to find
//! within that section. Results are one per page: its best-ranked section.

pub(crate) mod analyze;
mod extract;
mod installed;
mod query;
mod snippet;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, params};
use serde::Serialize;
use ts_rs::TS;

pub use analyze::Stemming;
pub use extract::{Extracted, Section, extract_text};
pub use installed::{IndexError, catch_up, index_installed};
pub use snippet::SnippetPart;

use analyze::Analyzer;
use query::Query;

/// Schema steps, in order. Never edit a step that has shipped; append a new one. (A change to how
/// keys are made is a step too: one that empties the tables, so the app re-indexes.)
const MIGRATIONS: &[&str] = &[include_str!("schema.sql")];

/// The best-ranked matching sections (the bare FTS5 query).
const CANDIDATES: &str = include_str!("candidates.sql");
/// What a result shows of a section.
const HIT: &str = include_str!("hit.sql");

/// A section's id is its page's id shifted left by this many bits, plus the section's number in
/// the page, so results are grouped by page from the FTS rowids alone, without a lookup each.
const SECTION_BITS: u32 = 12;
/// Sections past this many in one page are merged into the last.
const MAX_SECTIONS: usize = 1 << SECTION_BITS;

/// The name of the FTS5 table, for diagnostics and the benchmark's bare queries.
pub const FTS_TABLE: &str = "sections_fts";

/// Why the search index failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// SQLite failed; [`SearchError::is_damaged`] says whether the file is damaged.
    #[error("the search index failed: {0}")]
    Db(#[from] rusqlite::Error),
    /// Written by a newer Carrel; left untouched.
    #[error(
        "the search index was built by a newer version of Carrel (index version {found}, this one knows {known}). Update Carrel to search; nothing was changed"
    )]
    TooNew {
        /// The file's schema version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
    /// A file operation failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What.
        operation: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl SearchError {
    /// The index file is damaged or not a database: delete it ([`SearchIndex::delete_files`])
    /// and index the courses again.
    pub fn is_damaged(&self) -> bool {
        matches!(
            self,
            Self::Db(rusqlite::Error::SqliteFailure(error, _))
                if matches!(error.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
        )
    }
}

/// A page to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The course item the page is.
    pub item_id: String,
    /// Its title (from the manifest); when empty, the page's own title is used.
    pub title: String,
    /// The page's file within the course, to open it.
    pub path: String,
    /// What it says.
    pub body: Body,
}

/// A page's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// HTML, cut into sections at its headings ([`extract_text`]).
    Html(String),
    /// Plain text: one section without a heading.
    Text(String),
}

/// What indexing a course stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexReport {
    /// Pages.
    pub pages: usize,
    /// Sections (rows of the full-text index).
    pub sections: usize,
}

/// A course in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IndexedCourse {
    /// Course.
    pub course_id: String,
    /// Its language, as given when indexed.
    pub language: String,
    /// Pages indexed.
    pub pages: u32,
    /// When (unix ms).
    #[ts(type = "number")]
    pub indexed_ms: i64,
}

/// One search result: a page, and the section of it that matched best.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// Course.
    pub course_id: String,
    /// Item (the page).
    pub item_id: String,
    /// The page's title.
    pub title: String,
    /// The page's file within the course.
    pub path: String,
    /// The section's heading; empty for text before the page's first heading.
    pub heading: String,
    /// The heading's `id`, to open `path#anchor`; `None` when it has none.
    pub anchor: Option<String>,
    /// The heading's position among the page's `h1, h2, h3` elements; `None` for text before
    /// the first heading (the top of the page).
    pub heading_index: Option<u32>,
    /// A window of the section's text with the matching words marked.
    pub snippet: Vec<SnippetPart>,
    /// bm25 rank: lower (more negative) is better; results come best first.
    pub rank: f64,
}

/// What [`SearchIndex::open_or_rebuild`] had to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The file was fine (or new).
    None,
    /// It was damaged, so it was deleted and an empty index made: every course must be indexed
    /// again.
    Rebuilt {
        /// What was wrong.
        cause: String,
    },
}

/// The search index file.
pub struct SearchIndex {
    path: PathBuf,
    /// Indexing; a separate connection from searches, so searching goes on (WAL) while a course
    /// is indexed.
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("path", &self.path)
            .finish()
    }
}

fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SearchError {
    let path = path.to_owned();
    move |source| SearchError::Io {
        operation,
        path,
        source,
    }
}

fn lock(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    connection
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl SearchIndex {
    /// Opens (creating) the index at `path` and migrates it. Refuses a newer one untouched; a
    /// damaged one fails with an error whose [`SearchError::is_damaged`] is true.
    pub fn open(path: &Path) -> Result<Self, SearchError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        }
        let mut writer = Connection::open(path)?;
        // Read the version before anything writes (WAL mode would): a newer file stays as it was.
        let found: usize = writer.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if found > MIGRATIONS.len() {
            return Err(SearchError::TooNew {
                found,
                known: MIGRATIONS.len(),
            });
        }
        writer.pragma_update(None, "journal_mode", "WAL")?;
        // Derived data: a power cut may lose the last import's index (it is rebuilt), never
        // corrupt the file.
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        writer.pragma_update(None, "foreign_keys", true)?;
        // Indexing a large course writes a WAL as large as its index; give the space back after
        // the checkpoint instead of keeping a file that size for good.
        writer.pragma_update(None, "journal_size_limit", 16 * 1024 * 1024)?;
        writer.busy_timeout(BUSY_TIMEOUT)?;
        for (step, sql) in MIGRATIONS.iter().enumerate().skip(found) {
            let tx = writer.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", step + 1)?;
            tx.commit()?;
        }
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        reader.busy_timeout(BUSY_TIMEOUT)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
        })
    }

    /// Opens the index; if the file is damaged, deletes it and starts an empty one, saying so in
    /// the [`Recovery`] (the app then indexes every course again). A newer file is refused.
    pub fn open_or_rebuild(path: &Path) -> Result<(Self, Recovery), SearchError> {
        match Self::open(path) {
            Ok(index) => Ok((index, Recovery::None)),
            Err(error) if error.is_damaged() => {
                tracing::warn!(path = %path.display(), %error, "damaged search index deleted");
                Self::delete_files(path)?;
                let index = Self::open(path)?;
                Ok((
                    index,
                    Recovery::Rebuilt {
                        cause: error.to_string(),
                    },
                ))
            }
            Err(error) => Err(error),
        }
    }

    /// Deletes the index file at `path` and its WAL companions (none of them need exist). Close
    /// any [`SearchIndex`] on it first.
    pub fn delete_files(path: &Path) -> Result<(), SearchError> {
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            match std::fs::remove_file(&file) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io("delete", &file)(error));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Where the index is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled back otherwise.
    /// Every write goes through here.
    fn transact<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction()?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// `PRAGMA quick_check` and FTS5's own integrity check both pass. Slow on a large index: for
    /// a background check, not for every start.
    pub fn check(&self) -> Result<bool, SearchError> {
        let conn = lock(&self.writer);
        let result: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
        if result != "ok" {
            return Ok(false);
        }
        let integrity = conn.execute(
            "INSERT INTO sections_fts (sections_fts) VALUES ('integrity-check')",
            [],
        );
        match integrity {
            Ok(_) => Ok(true),
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == ErrorCode::DatabaseCorrupt =>
            {
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Indexes a course's pages, replacing whatever the index held for it, in one transaction:
    /// on error nothing changes. `language` is the course's (BCP 47) language, which picks the
    /// stemmer.
    pub fn index_course(
        &self,
        course_id: &str,
        language: &str,
        docs: impl IntoIterator<Item = Document>,
    ) -> Result<IndexReport, SearchError> {
        let stemming = Stemming::for_language(language);
        let analyzer = Analyzer::new(stemming);
        self.transact(|tx| {
            let course: i64 = tx.query_row(
                "INSERT INTO courses (course_id, language, stemming, indexed_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (course_id) DO UPDATE SET language = excluded.language,
                     stemming = excluded.stemming, indexed_ms = excluded.indexed_ms
                 RETURNING id",
                params![course_id, language, stemming.code(), now_ms()],
                |row| row.get(0),
            )?;
            remove_course_rows(tx, course)?;
            let tags = format!("course+{course}");
            let mut report = IndexReport {
                pages: 0,
                sections: 0,
            };
            let mut insert_page = tx.prepare_cached(
                "INSERT INTO pages (course, item_id, title, path) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut insert_section = tx.prepare_cached(
                "INSERT INTO sections (id, page, heading, heading_index, anchor, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut insert_keys = tx.prepare_cached(
                "INSERT INTO sections_fts (rowid, title, heading, body, tags)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let (mut title_keys, mut heading_keys, mut body_keys) =
                (String::new(), String::new(), String::new());
            for doc in docs {
                let extracted = match doc.body {
                    Body::Html(html) => extract_text(&html),
                    Body::Text(text) => Extracted {
                        title: String::new(),
                        sections: vec![Section {
                            text,
                            ..Section::default()
                        }],
                    },
                };
                let title = if doc.title.trim().is_empty() {
                    extracted.title
                } else {
                    doc.title
                };
                insert_page.execute(params![course, doc.item_id, title, doc.path])?;
                let page = tx.last_insert_rowid();
                report.pages += 1;
                title_keys.clear();
                analyzer.push_keys(&title, &mut title_keys);
                for (number, section) in cap_sections(extracted.sections).into_iter().enumerate() {
                    let id = (page << SECTION_BITS) | number as i64;
                    insert_section.execute(params![
                        id,
                        page,
                        section.heading,
                        section.heading_index,
                        section.anchor,
                        section.text
                    ])?;
                    heading_keys.clear();
                    analyzer.push_keys(&section.heading, &mut heading_keys);
                    body_keys.clear();
                    analyzer.push_keys(&section.text, &mut body_keys);
                    insert_keys.execute(params![id, title_keys, heading_keys, body_keys, tags])?;
                    report.sections += 1;
                }
            }
            Ok(report)
        })
    }

    /// Removes a course from the index; returns whether it was there.
    pub fn remove_course(&self, course_id: &str) -> Result<bool, SearchError> {
        self.transact(|tx| {
            let course: Option<i64> = tx
                .query_row(
                    "SELECT id FROM courses WHERE course_id = ?1",
                    [course_id],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(course) = course else {
                return Ok(false);
            };
            remove_course_rows(tx, course)?;
            tx.execute("DELETE FROM courses WHERE id = ?1", [course])?;
            Ok(true)
        })
    }

    /// The courses in the index, by id.
    pub fn indexed_courses(&self) -> Result<Vec<IndexedCourse>, SearchError> {
        let conn = lock(&self.reader);
        let mut statement = conn.prepare_cached(
            "SELECT c.course_id, c.language, COUNT(p.id), c.indexed_ms
             FROM courses AS c LEFT JOIN pages AS p ON p.course = c.id
             GROUP BY c.id ORDER BY c.course_id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(IndexedCourse {
                course_id: row.get(0)?,
                language: row.get(1)?,
                pages: row.get(2)?,
                indexed_ms: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Searches every course, or only `course_id`, for what the learner typed; at most `limit`
    /// results (one per page), best first. Text with nothing to search for (empty, punctuation)
    /// gives no results; no text is an error.
    pub fn search(
        &self,
        text: &str,
        course_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let query = Query::parse(text);
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = lock(&self.reader);
        // One read transaction: one snapshot for the plan, the ranking and the results (a course
        // being indexed meanwhile is seen whole or not at all), and one lock, not one per
        // statement.
        let conn = conn.transaction()?;
        let Some(plan) = plan(&conn, &query, course_id)? else {
            return Ok(Vec::new());
        };
        let analyzers: Vec<Analyzer> = plan.stemmings.iter().map(|s| Analyzer::new(*s)).collect();
        let terms = query.terms(&analyzers);
        let chosen = best_sections(&conn, &plan.expression, limit)?;
        hits(&conn, &chosen, &terms)
    }

    /// The FTS5 expression `text` becomes (`None` when there is nothing to search for): for
    /// diagnostics, and for the benchmark's bare FTS5 query on the same index.
    pub fn match_expression(
        &self,
        text: &str,
        course_id: Option<&str>,
    ) -> Result<Option<String>, SearchError> {
        let query = Query::parse(text);
        if query.is_empty() {
            return Ok(None);
        }
        Ok(plan(&lock(&self.reader), &query, course_id)?.map(|plan| plan.expression))
    }
}

fn now_ms() -> i64 {
    carrel_protocol::unix_time_ms() as i64
}

/// At most [`MAX_SECTIONS`] sections: the text of any more is appended to the last.
fn cap_sections(mut sections: Vec<Section>) -> Vec<Section> {
    if sections.len() > MAX_SECTIONS {
        let rest = sections.split_off(MAX_SECTIONS);
        if let Some(last) = sections.last_mut() {
            for section in rest {
                for part in [section.heading, section.text] {
                    if !part.is_empty() {
                        last.text.push('\n');
                        last.text.push_str(&part);
                    }
                }
            }
        }
    }
    sections
}

fn remove_course_rows(tx: &Transaction<'_>, course: i64) -> Result<(), SearchError> {
    tx.prepare_cached(
        "DELETE FROM sections_fts WHERE rowid IN
         (SELECT s.id FROM sections AS s JOIN pages AS p ON p.id = s.page WHERE p.course = ?1)",
    )?
    .execute([course])?;
    tx.prepare_cached(
        "DELETE FROM sections WHERE page IN (SELECT id FROM pages WHERE course = ?1)",
    )?
    .execute([course])?;
    tx.prepare_cached("DELETE FROM pages WHERE course = ?1")?
        .execute([course])?;
    Ok(())
}

/// What a query asks FTS5, and the stemmings it was analysed with.
struct Plan {
    expression: String,
    stemmings: Vec<Stemming>,
}

/// The plan for `query` over one course (analysed in its language, restricted to its sections),
/// or over every course: the query as each stemming in use analyses it, any of them matching.
///
/// The per-language alternatives are not restricted to their own courses: that would intersect
/// each with a third of the index (measured: it made a rare word's query 4× slower), and a key
/// that one language makes of the learner's word matching in a course of another language is a
/// near miss of the same word, not noise.
fn plan(
    conn: &Connection,
    query: &Query,
    course_id: Option<&str>,
) -> Result<Option<Plan>, SearchError> {
    if let Some(course_id) = course_id {
        let course: Option<(i64, String)> = conn
            .prepare_cached("SELECT id, stemming FROM courses WHERE course_id = ?1")?
            .query_row([course_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let Some((course, stemming)) = course else {
            return Ok(None);
        };
        let stemming = Stemming::from_code(&stemming);
        return Ok(query
            .expression(&Analyzer::new(stemming))
            .map(|expression| Plan {
                expression: format!("({expression}) AND tags : \"course+{course}\""),
                stemmings: vec![stemming],
            }));
    }
    let mut statement = conn.prepare_cached("SELECT DISTINCT stemming FROM courses")?;
    let mut stemmings = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .map(|code| code.map(|code| Stemming::from_code(&code)))
        .collect::<Result<Vec<_>, _>>()?;
    stemmings.sort_unstable();
    stemmings.dedup();
    let mut expressions: Vec<String> = Vec::new();
    for stemming in &stemmings {
        if let Some(expression) = query.expression(&Analyzer::new(*stemming))
            && !expressions.contains(&expression)
        {
            expressions.push(expression);
        }
    }
    let expression = match expressions.len() {
        0 => return Ok(None),
        1 => expressions.swap_remove(0),
        _ => format!("({})", expressions.join(") OR (")),
    };
    Ok(Some(Plan {
        expression,
        stemmings,
    }))
}

/// The best-ranked section of each of the `limit` best pages, with its rank.
///
/// Sections, not pages, are ranked, so this asks FTS5 for a few more than `limit` sections, and
/// for all of them in the rare case where pages with several matching sections still leave the
/// list short.
fn best_sections(
    conn: &Connection,
    expression: &str,
    limit: usize,
) -> Result<Vec<(i64, f64)>, SearchError> {
    let mut statement = conn.prepare_cached(CANDIDATES)?;
    let mut candidates = limit.saturating_mul(3).saturating_add(10);
    loop {
        let mut rows = statement.query(params![
            expression,
            i64::try_from(candidates).unwrap_or(i64::MAX)
        ])?;
        let mut seen_pages = HashSet::new();
        let mut chosen: Vec<(i64, f64)> = Vec::with_capacity(limit);
        let mut count = 0;
        while let Some(row) = rows.next()? {
            count += 1;
            let section: i64 = row.get(0)?;
            if seen_pages.insert(section >> SECTION_BITS) {
                chosen.push((section, row.get(1)?));
                if chosen.len() == limit {
                    return Ok(chosen);
                }
            }
        }
        if count < candidates {
            return Ok(chosen);
        }
        candidates = usize::MAX / 2;
    }
}

/// The results for the chosen sections: what they show, and their snippets.
fn hits(
    conn: &Connection,
    chosen: &[(i64, f64)],
    terms: &query::Terms,
) -> Result<Vec<SearchHit>, SearchError> {
    let mut details = conn.prepare_cached(HIT)?;
    let mut analyzers: Vec<Analyzer> = Vec::new();
    let mut hits = Vec::with_capacity(chosen.len());
    for &(section, rank) in chosen {
        let hit = details.query_row([section], |row| {
            let stemming = Stemming::from_code(row.get_ref(8)?.as_str()?);
            let at = match analyzers.iter().position(|a| a.stemming() == stemming) {
                Some(at) => at,
                None => {
                    analyzers.push(Analyzer::new(stemming));
                    analyzers.len() - 1
                }
            };
            Ok(SearchHit {
                heading: row.get(0)?,
                heading_index: row.get(1)?,
                anchor: row.get(2)?,
                snippet: snippet::build(row.get_ref(3)?.as_str()?, terms, &analyzers[at]),
                item_id: row.get(4)?,
                title: row.get(5)?,
                path: row.get(6)?,
                course_id: row.get(7)?,
                rank,
            })
        })?;
        hits.push(hit);
    }
    Ok(hits)
}
