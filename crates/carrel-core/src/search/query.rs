//! What the learner typed, to an FTS5 expression and to the terms the snippet highlights.
//!
//! The learner's text is never FTS5 syntax. It is split into *units* — a `"quoted phrase"`, or a
//! whitespace-separated chunk — and every unit becomes one FTS5 string of keys in double quotes
//! (keys hold only letters and digits, so nothing can break out of the quotes). All units must
//! match (AND). A chunk that is several words (`e-mail`, `l'égalité`) is a phrase, as it was
//! written. While the learner is typing — the text ends in a letter or digit — the last word is
//! also a prefix: `travai` finds `travail…`, and a finished `migrations` finds `migrat…` or the key
//! `migrat` itself. Punctuation, operators and unbalanced quotes are just separators, so `NEAR(`,
//! `-x`, `a:b`, `^` or `"` give results or none, never an error.

use super::analyze::{Analyzer, fold_word, folded_start, is_word_char, words};

/// Longer input is cut (at a character boundary).
const MAX_QUERY_BYTES: usize = 1_000;
/// At most this many units; more are ignored.
const MAX_UNITS: usize = 16;
/// At most this many words in one unit.
const MAX_UNIT_WORDS: usize = 16;
/// A last word shorter than this (in characters) is not used as a prefix: `t*` would match a
/// large part of the vocabulary and tell the learner little.
const MIN_PREFIX_CHARS: usize = 2;

/// A parsed query: units of folded (not yet stemmed) words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    units: Vec<Vec<String>>,
    /// The last word of the last unit is also a prefix.
    prefix_last: bool,
}

/// The words the snippet highlights: exact keys and key prefixes, each with its unit's number.
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    exact: Vec<(String, usize)>,
    prefixes: Vec<(String, usize)>,
    /// The first two letters of every key and prefix (see [`Terms::could_match`]), the second
    /// with `y` as `i`.
    starts: Vec<(char, Option<char>)>,
    /// The fewest characters a key or prefix has.
    min_chars: usize,
}

impl Terms {
    /// Whether `word` could match, judged without stemming it, which is most of a snippet's
    /// cost. Its first two folded letters must be those of a key or prefix: the English, French
    /// and Spanish Snowball stemmers only change a word from its third letter on (their regions
    /// start there), except English `dying` → `die` (and `lying`, `tying`), hence `y` = `i` in
    /// the second place. And it must be long enough: a key has no more characters than its word
    /// has bytes (folding makes at most as many characters as there are bytes — `ß` is two bytes
    /// and becomes `ss` — and stemming never lengthens). A word wrongly skipped would only lose
    /// its highlight, never a result.
    pub(crate) fn could_match(&self, word: &str) -> bool {
        if word.len() < self.min_chars {
            return false;
        }
        let (first, second) = folded_start(word);
        let Some(first) = first else {
            return false;
        };
        let second = second.map(y_as_i);
        self.starts
            .iter()
            .any(|&(a, b)| a == first && (b.is_none() || b == second))
    }

    /// The units that have terms, as bits (there are at most 16 units).
    pub(crate) fn units(&self) -> u32 {
        self.exact
            .iter()
            .chain(&self.prefixes)
            .fold(0, |units, (_, unit)| units | 1 << unit)
    }

    /// The unit a key matches, if any.
    pub(crate) fn unit_of(&self, key: &str) -> Option<usize> {
        self.exact
            .iter()
            .find(|(exact, _)| exact == key)
            .or_else(|| {
                self.prefixes
                    .iter()
                    .find(|(prefix, _)| key.starts_with(prefix.as_str()))
            })
            .map(|(_, unit)| *unit)
    }

    fn add(&mut self, prefix: bool, key: &str, unit: usize) {
        let list = if prefix {
            &mut self.prefixes
        } else {
            &mut self.exact
        };
        if list.iter().any(|(known, _)| known == key) {
            return;
        }
        let mut chars = key.chars();
        if let Some(first) = chars.next() {
            let start = (first, chars.next().map(y_as_i));
            if !self.starts.contains(&start) {
                self.starts.push(start);
            }
            self.min_chars = self.min_chars.min(key.chars().count());
            list.push((key.to_owned(), unit));
        }
    }
}

fn y_as_i(c: char) -> char {
    if c == 'y' { 'i' } else { c }
}

impl Query {
    /// Parses what the learner typed.
    pub(crate) fn parse(text: &str) -> Self {
        let mut cut = text.len().min(MAX_QUERY_BYTES);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = &text[..cut];
        let mut units: Vec<Vec<String>> = Vec::new();
        let unit = |part: &str| -> Vec<String> {
            words(part)
                .take(MAX_UNIT_WORDS)
                .filter_map(|(_, word)| {
                    let mut folded = String::new();
                    fold_word(word, &mut folded);
                    (!folded.is_empty()).then_some(folded)
                })
                .collect()
        };
        // Typographic quotes count as quotes; what is between the n-th and (n+1)-th is a phrase
        // (an unclosed one runs to the end).
        let quoted = text.replace(['“', '”', '«', '»', '„'], "\"");
        for (n, part) in quoted.split('"').enumerate() {
            if n % 2 == 1 {
                units.push(unit(part));
            } else {
                units.extend(part.split_whitespace().map(unit));
            }
        }
        units.retain(|unit| !unit.is_empty());
        let mut prefix_last = text.chars().next_back().is_some_and(is_word_char)
            && units
                .last()
                .and_then(|unit| unit.last())
                .is_some_and(|word| word.chars().count() >= MIN_PREFIX_CHARS);
        if units.len() > MAX_UNITS {
            units.truncate(MAX_UNITS);
            prefix_last = false;
        }
        Self { units, prefix_last }
    }

    /// Nothing to search for (empty, or only punctuation).
    pub(crate) fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    fn keys(unit: &[String], analyzer: &Analyzer) -> Vec<String> {
        unit.iter()
            .map(|word| analyzer.stem_folded(word))
            .filter(|key| !key.is_empty())
            .collect()
    }

    /// The FTS5 expression for text analysed by `analyzer`; `None` when nothing is left.
    pub(crate) fn expression(&self, analyzer: &Analyzer) -> Option<String> {
        let quote = |keys: &[String]| format!("\"{}\"", keys.join(" "));
        let mut parts = Vec::with_capacity(self.units.len());
        for (n, unit) in self.units.iter().enumerate() {
            let keys = Self::keys(unit, analyzer);
            if keys.is_empty() {
                continue;
            }
            let exact = quote(&keys);
            let is_last = n + 1 == self.units.len();
            match unit.last() {
                Some(typed) if is_last && self.prefix_last => {
                    let mut prefix_keys = keys.clone();
                    let last = prefix_keys.len() - 1;
                    prefix_keys[last] = typed.clone();
                    let prefix = format!("{} *", quote(&prefix_keys));
                    if typed == &keys[last] {
                        parts.push(prefix);
                    } else {
                        parts.push(format!("({prefix} OR {exact})"));
                    }
                }
                _ => parts.push(exact),
            }
        }
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// The terms to highlight: the keys the query has for any of `analyzers` (the ones its
    /// expression was made with, so a word is marked when it is what made the section match).
    pub(crate) fn terms(&self, analyzers: &[Analyzer]) -> Terms {
        let mut terms = Terms {
            exact: Vec::new(),
            prefixes: Vec::new(),
            starts: Vec::new(),
            min_chars: usize::MAX,
        };
        for (n, unit) in self.units.iter().enumerate() {
            for analyzer in analyzers {
                for key in Self::keys(unit, analyzer) {
                    terms.add(false, &key, n);
                }
            }
            if n + 1 == self.units.len()
                && self.prefix_last
                && let Some(typed) = unit.last()
            {
                terms.add(true, typed, n);
            }
        }
        terms
    }
}
