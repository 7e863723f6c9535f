//! Snippets: a short window of a section's original text with the matching words marked.
//!
//! FTS5 only holds keys (stems), so its own `snippet()` could only show stems (and a contentless
//! table has no text to show at all). Instead the section's stored text is scanned in Rust: each
//! word that could match (its first two folded letters and its length allow it) is analysed the
//! same way the index was built, and marked when its key equals a query key (or starts with the
//! typed prefix). Most words are skipped without stemming, and the scan stops once a window
//! holds every query word, so a snippet costs a partial scan of the section and a few stemmer
//! calls. The window chosen is the one that covers the most different query units, then the most
//! hits; it shows the text as written, whitespace runs as one space, `…` where it is cut.

use serde::Serialize;
use ts_rs::TS;

use super::analyze::{Analyzer, words};
use super::query::Terms;

/// Words shown in a snippet.
const WINDOW_WORDS: usize = 32;
/// Words shown before the first hit of the window.
const LEAD_WORDS: usize = 6;
/// Hits considered as window starts (a section with more has plenty to show already).
const MAX_CANDIDATES: usize = 64;

/// A piece of a snippet: original text, marked when it is a word that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SnippetPart {
    /// The text, as written in the page.
    pub text: String,
    /// Whether this is a matching word (to show highlighted).
    pub hit: bool,
}

/// The snippet of `text` for `terms`; empty when `text` is.
pub(crate) fn build(text: &str, terms: &Terms, analyzer: &Analyzer) -> Vec<SnippetPart> {
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(text.len() / 4);
    let mut hits: Vec<(usize, usize)> = Vec::new(); // (word number, unit)
    let mut scratch = String::new();
    // Once a window holds every unit of the query, the words after it need not be looked at.
    let all_units = terms.units();
    let mut seen_units = 0_u32;
    let mut stop = usize::MAX;
    for (start, word) in words(text) {
        let number = spans.len();
        spans.push((start, start + word.len()));
        if number >= stop {
            break;
        }
        if !terms.could_match(word) {
            continue;
        }
        if let Some(unit) = terms.unit_of(&analyzer.key_in(word, &mut scratch)) {
            hits.push((number, unit));
            seen_units |= 1 << unit;
            if seen_units == all_units && stop == usize::MAX && hits.len() <= MAX_CANDIDATES {
                let (covered, first) = best_window(&hits);
                if covered == all_units.count_ones() as usize {
                    stop = first + WINDOW_WORDS;
                }
            }
        }
    }
    if spans.is_empty() {
        return Vec::new();
    }
    let (_, first) = best_window(&hits);
    let end = (first + WINDOW_WORDS).min(spans.len());
    let mut parts = Vec::new();
    let mut plain = String::new();
    if first > 0 {
        plain.push_str("… ");
    }
    let mut at = if first == 0 { 0 } else { spans[first].0 };
    let mut next_hit = hits.iter().map(|(word, _)| *word).peekable();
    for (number, &(start, word_end)) in spans.iter().enumerate().take(end).skip(first) {
        while next_hit.next_if(|&hit| hit < number).is_some() {}
        if next_hit.peek() == Some(&number) {
            push_plain(&mut plain, &text[at..start]);
            if !plain.is_empty() {
                parts.push(SnippetPart {
                    text: std::mem::take(&mut plain),
                    hit: false,
                });
            }
            parts.push(SnippetPart {
                text: text[start..word_end].to_owned(),
                hit: true,
            });
            at = word_end;
        }
    }
    let tail_end = if end == spans.len() {
        text.len()
    } else {
        spans[end - 1].1
    };
    push_plain(&mut plain, &text[at..tail_end]);
    if end < spans.len() {
        plain.push_str(" …");
    }
    if !plain.is_empty() {
        parts.push(SnippetPart {
            text: plain,
            hit: false,
        });
    }
    parts
}

/// Text between words, each run of whitespace (the section's line breaks too) shown as a space.
fn push_plain(out: &mut String, text: &str) {
    let plain = |c: char| !c.is_whitespace() || c == ' ';
    if text.chars().all(plain)
        && !text.contains("  ")
        && !(text.starts_with(' ') && out.ends_with(' '))
    {
        out.push_str(text);
        return;
    }
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.ends_with(' ') {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    if space && !out.ends_with(' ') {
        out.push(' ');
    }
}

/// The first word of the window that covers the most units, then the most hits (the earliest
/// such window), and how many units it covers.
fn best_window(hits: &[(usize, usize)]) -> (usize, usize) {
    let mut best = (0, 0, 0); // (units, hits, start)
    for &(word, _) in hits.iter().take(MAX_CANDIDATES) {
        let start = word.saturating_sub(LEAD_WORDS);
        let inside: Vec<usize> = hits
            .iter()
            .filter(|(w, _)| (start..start + WINDOW_WORDS).contains(w))
            .map(|(_, unit)| *unit)
            .collect();
        let mut units = inside.clone();
        units.sort_unstable();
        units.dedup();
        let score = (units.len(), inside.len());
        if score > (best.0, best.1) {
            best = (score.0, score.1, start);
        }
    }
    (best.0, best.2)
}
