//! Search benchmark: `SearchIndex::search` (query analysis, ranking, one result per page,
//! snippets) over a generated 10,000-page corpus, beside a bare FTS5 query on the same index with
//! the already-analysed query, interleaved in the same run and reported with the ratio of their
//! 95th percentiles. Indexing time is reported too. Nothing here asserts on time.
//!
//! ```text
//! cargo bench -p carrel-bench --bench search
//! CARREL_BENCH_PAGES=2000 …    pages in the corpus (default 10000)
//! CARREL_BENCH_ROUNDS=500 …    at least this many timed runs of each query on each side (300)
//! CARREL_BENCH_SECONDS=5 …     and for at least this long per query (default 3; fast queries
//!                              get more rounds, which steadies their p95 on a busy machine)
//! CARREL_BENCH_SEED=7 …        corpus seed (default 1)
//! CARREL_BENCH_ONLY=rare,phrase …   run only the queries whose name contains one of these
//! ```
//!
//! The corpus is generated afresh every run (seeded, so always the same text) into a temporary
//! folder under `target/bench-data/`: 10 courses (4 English, 3 French, 3 Spanish) of pages like
//! the ones `carrel_package::source` renders from Markdown — a full HTML document, an `<h1>`, then
//! 3–6 `<h2>` sections of paragraphs with some emphasis, lists and entities, 300–800 words in
//! all. Words are drawn with Zipf frequencies (s = 1) from a vocabulary of 30 function words of
//! the three languages and ~4,000 generated words with English, French and Spanish endings
//! (some accented), so the stemmers do real work.
//!
//! Each query is run three ways per round, rotating which goes first:
//! - **measured**: `SearchIndex::search(text, scope, 20)`, everything the app's search box gets;
//! - **baseline**: `SELECT rowid FROM sections_fts WHERE sections_fts MATCH ?1 ORDER BY rank
//!   LIMIT 20` on its own read-only connection to the same file, the expression being
//!   `SearchIndex::match_expression` of the same text (made once, outside the timing), all rows
//!   read;
//! - **diagnostic baseline**: the same bare query written the way `search` asks it
//!   (`bm25(…) AS score … ORDER BY score LIMIT 20`, which SQLite sorts top-N in one cursor), so
//!   the diagnostic rows show what `search` adds to its own FTS5 query: analysis, grouping by
//!   page, one lookup per result, snippets.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use carrel_bench::{Table, env_or, repo_root};
use carrel_core::search::{Body, Document, FTS_TABLE, SearchIndex};
use rusqlite::{Connection, OpenFlags};

const LIMIT: usize = 20;
const COURSES: usize = 10;
/// p95(search) / p95(bare FTS5) the issue asks for.
const TARGET: f64 = 2.0;

// The results table is this benchmark's output.
#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let pages = env_or("CARREL_BENCH_PAGES", 10_000_usize).max(COURSES);
    let rounds = env_or("CARREL_BENCH_ROUNDS", 300_usize).max(20);
    let seconds = env_or("CARREL_BENCH_SECONDS", 3.0_f64).max(0.0);
    let seed = env_or("CARREL_BENCH_SEED", 1_u64);

    let data = repo_root().join("target/bench-data");
    std::fs::create_dir_all(&data)?;
    let work = tempfile::Builder::new()
        .prefix("search-run-")
        .tempdir_in(&data)?;
    let path = work.path().join("search.sqlite3");
    let vocabulary = Vocabulary::new(seed);

    eprintln!("indexing {pages} generated pages in {COURSES} courses");
    let index = SearchIndex::open(&path)?;
    let mut rng = Rng::new(seed);
    let mut generating = Duration::ZERO;
    let mut indexing = Duration::ZERO;
    let (mut html_bytes, mut sections) = (0_usize, 0_usize);
    for course in 0..COURSES {
        let language = ["en", "fr", "es", "en", "fr", "es", "en", "fr", "es", "en"][course];
        let count = pages / COURSES + usize::from(course < pages % COURSES);
        let started = Instant::now();
        let docs: Vec<Document> = (0..count)
            .map(|n| page(&mut rng, &vocabulary, language, course, n))
            .collect();
        generating += started.elapsed();
        html_bytes += docs
            .iter()
            .map(|doc| match &doc.body {
                Body::Html(html) | Body::Text(html) => html.len(),
            })
            .sum::<usize>();
        let started = Instant::now();
        let report = index.index_course(&format!("course-{course}"), language, docs)?;
        indexing += started.elapsed();
        sections += report.sections;
    }
    let size = ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
        .map(|m| m.len())
        .sum::<u64>();

    let baseline = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let bare_sql =
        format!("SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?1 ORDER BY rank LIMIT ?2");
    // How `SearchIndex::search` asks (its candidates.sql), for the diagnostic rows.
    let bm25_sql = format!(
        "SELECT rowid, bm25({FTS_TABLE}, 8.0, 4.0, 1.0, 0.0) AS score FROM {FTS_TABLE} \
         WHERE {FTS_TABLE} MATCH ?1 ORDER BY score LIMIT ?2"
    );
    let count_sql = format!("SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?1");

    let only: Option<Vec<String>> = std::env::var("CARREL_BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let queries: Vec<Query> = vocabulary
        .queries()
        .into_iter()
        .filter(|q| {
            only.as_ref()
                .is_none_or(|only| only.iter().any(|o| q.name.contains(o.as_str())))
        })
        .collect();
    let mut table = Table::new(&[
        "query",
        "sections matching",
        "search p50 / p95, ms",
        "baseline p50 / p95, ms",
        "ratio of p95",
        "target",
        "verdict",
    ]);
    let mut diagnostics = Vec::new();
    let mut worst: f64 = 0.0;
    for query in &queries {
        let expression = index
            .match_expression(&query.text, query.course.as_deref())?
            .context("a query with words")?;
        let matching: i64 = baseline.query_row(&count_sql, [&expression], |row| row.get(0))?;
        let bare = |sql: &str| -> anyhow::Result<usize> {
            let mut statement = baseline.prepare_cached(sql)?;
            let mut rows = statement.query(rusqlite::params![expression, LIMIT as i64])?;
            let mut n = 0;
            while let Some(row) = rows.next()? {
                std::hint::black_box(row.get::<_, i64>(0)?);
                n += 1;
            }
            Ok(n)
        };
        let search = || -> anyhow::Result<usize> {
            Ok(index
                .search(&query.text, query.course.as_deref(), LIMIT)?
                .len())
        };
        // Warm all three (page cache, statement caches), and check they agree on whether
        // anything matches.
        let found = [search()?, bare(&bare_sql)?, bare(&bm25_sql)?];
        anyhow::ensure!(
            found.iter().all(|n| (*n == 0) == (found[0] == 0)),
            "{}: search, bare and bm25 found {found:?}",
            query.name
        );
        for _ in 0..5 {
            search()?;
            bare(&bare_sql)?;
            bare(&bm25_sql)?;
        }
        // Milliseconds of: search, bare `ORDER BY rank`, bare bm25 top-N.
        let mut times: [Vec<f64>; 3] = Default::default();
        let began = Instant::now();
        let mut round = 0;
        while round < rounds || (began.elapsed().as_secs_f64() < seconds && round < 50_000) {
            for turn in 0..3 {
                let side = (round + turn) % 3;
                let started = Instant::now();
                std::hint::black_box(match side {
                    0 => search()?,
                    1 => bare(&bare_sql)?,
                    _ => bare(&bm25_sql)?,
                });
                times[side].push(started.elapsed().as_secs_f64() * 1e3);
            }
            round += 1;
        }
        let p = |side: usize, q: f64| percentile(&times[side], q);
        let name = format!("{} `{}`", query.name, query.text.trim_end());
        let ratio = p(0, 0.95) / p(1, 0.95);
        worst = worst.max(ratio);
        table.row([
            name.clone(),
            format!("{matching} ({round} rounds)"),
            format!("{:.3} / {:.3}", p(0, 0.5), p(0, 0.95)),
            format!("{:.3} / {:.3} (ORDER BY rank)", p(1, 0.5), p(1, 0.95)),
            format!("{ratio:.2}×"),
            format!("≤ {TARGET}×"),
            (if ratio <= TARGET { "met" } else { "MISSED" }).to_owned(),
        ]);
        diagnostics.push([
            format!("{name}, diagnostic"),
            String::new(),
            format!("{:.3} / {:.3}", p(0, 0.5), p(0, 0.95)),
            format!("{:.3} / {:.3} (bm25 top-{LIMIT})", p(2, 0.5), p(2, 0.95)),
            format!("{:.2}×", p(0, 0.95) / p(2, 0.95)),
            "—".to_owned(),
            String::new(),
        ]);
    }
    for row in diagnostics {
        table.row(row);
    }

    let mut summary = String::new();
    let _ = writeln!(
        summary,
        "search: SearchIndex::search beside a bare FTS5 query on the same index, same run \
         ({pages} pages, {sections} sections, each query at least {rounds} rounds and {seconds} s, \
         limit {LIMIT})"
    );
    let _ = write!(summary, "{}", table.render());
    let _ = writeln!(
        summary,
        "indexing: {:.1} s for {pages} pages ({:.0} pages/s, {:.1} MB of HTML; generating them took \
         {:.1} s more), index {:.1} MB; worst ratio {worst:.2}×",
        indexing.as_secs_f64(),
        pages as f64 / indexing.as_secs_f64(),
        html_bytes as f64 / 1e6,
        generating.as_secs_f64(),
        size as f64 / 1e6,
    );
    print!("{summary}");
    drop(baseline);
    drop(index);
    remove(work.path());
    Ok(())
}

fn remove(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

/// The `p` quantile (nearest rank) of `values`.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

// ---------------------------------------------------------------------------------------------
// The generated corpus

/// SplitMix64: small, seeded, good enough for text.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed ^ 0x5eed_5eed_5eed_5eed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }
}

const FUNCTION_WORDS: [&str; 30] = [
    "the", "de", "la", "of", "and", "el", "et", "en", "to", "a", "in", "que", "le", "los", "les",
    "is", "des", "for", "del", "un", "une", "por", "with", "pour", "las", "on", "est", "se", "as",
    "y",
];
const SYLLABLES: [&str; 32] = [
    "ka", "lo", "mi", "tra", "bal", "de", "re", "cho", "vi", "sa", "pro", "tec", "ley", "grá",
    "fé", "nu", "por", "ta", "en", "si", "ma", "rio", "gu", "ne", "co", "mun", "dí", "so", "ven",
    "lar", "pé", "ri",
];
const ENDINGS: [&str; 28] = [
    "", "", "", "s", "es", "tion", "tions", "ción", "ciones", "ment", "ments", "ing", "ed", "er",
    "ers", "eur", "eurs", "euse", "ado", "ada", "adas", "idad", "ité", "ités", "ness", "able",
    "aire", "ista",
];
/// Words generated after the function words.
const GENERATED_WORDS: usize = 4_000;

/// The words, most frequent first, and their cumulative Zipf weights.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

struct Query {
    name: &'static str,
    text: String,
    course: Option<String>,
}

impl Vocabulary {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(7));
        let mut seen = std::collections::HashSet::new();
        let mut generated = Vec::with_capacity(GENERATED_WORDS);
        while generated.len() < GENERATED_WORDS {
            let mut word = String::new();
            for _ in 0..2 + rng.below(3) {
                word.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
            }
            word.push_str(ENDINGS[rng.below(ENDINGS.len())]);
            if FUNCTION_WORDS.contains(&word.as_str()) || !seen.insert(word.clone()) {
                continue;
            }
            generated.push(word);
        }
        let words: Vec<String> = FUNCTION_WORDS
            .iter()
            .map(|w| (*w).to_owned())
            .chain(generated)
            .collect();
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|rank| {
                total += 1.0 / (rank + 1) as f64;
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.unit() * total;
        let rank = self
            .cumulative
            .partition_point(|&c| c < target)
            .min(self.words.len() - 1);
        &self.words[rank]
    }

    /// The benchmark's queries: complete words end with a space (as when the learner has typed
    /// past them); the prefix one does not.
    fn queries(&self) -> Vec<Query> {
        let word = |rank: usize| self.words[rank].clone();
        let query = |name, text: String, course: Option<&str>| Query {
            name,
            text,
            course: course.map(str::to_owned),
        };
        let prefix: String = word(45).chars().take(4).collect();
        vec![
            query("common word", format!("{} ", word(30)), None),
            query("rare word", format!("{} ", word(3_500)), None),
            query("two words", format!("{} {} ", word(60), word(400)), None),
            query("phrase", format!("\"{} {}\"", word(30), word(31)), None),
            query("prefix while typing", prefix, None),
            query("very common word", format!("{} ", word(0)), None),
            query(
                "two words, one course",
                format!("{} {} ", word(60), word(400)),
                Some("course-1"),
            ),
        ]
    }
}

fn sentence(rng: &mut Rng, vocabulary: &Vocabulary, words: usize, out: &mut String) {
    for n in 0..words {
        if n > 0 {
            out.push(' ');
        }
        let word = vocabulary.draw(rng);
        match rng.below(60) {
            0 => {
                let _ = write!(out, "<em>{word}</em>");
            }
            1 => {
                let _ = write!(out, "<strong>{word}</strong>");
            }
            2 => {
                let _ = write!(out, "{word} &amp;");
            }
            _ if n == 0 => {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(chars.as_str());
                }
            }
            _ => out.push_str(word),
        }
    }
    out.push('.');
}

fn page(
    rng: &mut Rng,
    vocabulary: &Vocabulary,
    language: &str,
    course: usize,
    n: usize,
) -> Document {
    let mut title = String::new();
    for i in 0..3 + rng.below(4) {
        if i > 0 {
            title.push(' ');
        }
        title.push_str(vocabulary.draw(rng));
    }
    let total_words = 300 + rng.below(501);
    let sections = 3 + rng.below(4);
    let mut html = format!(
        "<!doctype html>\n<html lang=\"{language}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"../assets/carrel-page.css\">\n\
         </head>\n<body>\n<main class=\"carrel-page\">\n<h1>{title}</h1>\n"
    );
    let mut written = 0;
    for section in 0..=sections {
        if section > 0 {
            html.push_str("<h2>");
            let words = 2 + rng.below(3);
            sentence(rng, vocabulary, words, &mut html);
            html.pop();
            html.push_str("</h2>\n");
        }
        let budget = (total_words - written) / (sections + 1 - section);
        let mut in_section = 0;
        while in_section < budget {
            let words = (8 + rng.below(18)).min(budget - in_section).max(1);
            if rng.below(8) == 0 {
                html.push_str("<ul>\n<li>");
                sentence(rng, vocabulary, words, &mut html);
                html.push_str("</li>\n</ul>\n");
            } else {
                html.push_str("<p>");
                sentence(rng, vocabulary, words, &mut html);
                html.push_str("</p>\n");
            }
            in_section += words;
        }
        written += in_section;
    }
    html.push_str("</main>\n</body>\n</html>\n");
    Document {
        item_id: format!("p{n:05}"),
        title,
        path: format!("pages/c{course}/p{n:05}.html"),
        body: Body::Html(html),
    }
}
