//! Text to index keys: words, accent folding, stemming — the one definition both indexing and
//! querying (and the snippet highlighter) use, so they cannot disagree.
//!
//! A word is a run of letters and digits (and combining accents); everything else separates, so
//! `l'égalité` is `l` + `égalité` and `e-mail` is `e` + `mail`. A word's key is: lower-cased, its
//! accents folded (`é` → `e`, `œ` → `oe`, `ß` → `ss`), cut to [`MAX_WORD_CHARS`], then stemmed
//! with the course language's Snowball stemmer. Folding comes *before* stemming so that a learner
//! who types without accents gets the same key as the accented text: `égalité` and `egalite` both
//! become `egalit`, `résumé` and `resume` both `resum`, `migración` and `migraciones` both
//! `migracion`. (Stemming first would give `égal` for one and `egalit` for the other.)

use std::borrow::Cow;

use rust_stemmers::{Algorithm, Stemmer};

/// Longest word kept, in characters; longer ones are cut, the same way everywhere.
pub(crate) const MAX_WORD_CHARS: usize = 64;

/// Which stemmer a course's text goes through, chosen from its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stemming {
    /// Snowball English.
    English,
    /// Snowball French.
    French,
    /// Snowball Spanish.
    Spanish,
    /// Any other language: words are folded but not stemmed.
    None,
}

impl Stemming {
    /// The stemming for a BCP 47 language tag (`en`, `fr-CA`, `es_419`); only its primary subtag
    /// counts. Unknown or empty → [`Stemming::None`].
    pub fn for_language(tag: &str) -> Self {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" | "eng" => Self::English,
            "fr" | "fra" | "fre" => Self::French,
            "es" | "spa" => Self::Spanish,
            _ => Self::None,
        }
    }

    /// The stable code stored in the index.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::French => "fr",
            Self::Spanish => "es",
            Self::None => "none",
        }
    }

    pub(crate) fn from_code(code: &str) -> Self {
        match code {
            "en" => Self::English,
            "fr" => Self::French,
            "es" => Self::Spanish,
            _ => Self::None,
        }
    }
}

/// Turns text into keys for one [`Stemming`].
pub(crate) struct Analyzer {
    stemming: Stemming,
    stemmer: Option<Stemmer>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("stemming", &self.stemming)
            .finish()
    }
}

impl Analyzer {
    /// An analyzer for `stemming`.
    pub(crate) fn new(stemming: Stemming) -> Self {
        let algorithm = match stemming {
            Stemming::English => Some(Algorithm::English),
            Stemming::French => Some(Algorithm::French),
            Stemming::Spanish => Some(Algorithm::Spanish),
            Stemming::None => None,
        };
        Self {
            stemming,
            stemmer: algorithm.map(Stemmer::create),
        }
    }

    /// Which stemming this is.
    pub(crate) fn stemming(&self) -> Stemming {
        self.stemming
    }

    /// The key of an already folded word (see [`fold_word`]).
    pub(crate) fn stem_folded(&self, folded: &str) -> String {
        match &self.stemmer {
            Some(stemmer) => stemmer.stem(folded).into_owned(),
            None => folded.to_owned(),
        }
    }

    /// The key of one word as written, folded into `scratch` (reused between words to save
    /// allocations); empty when nothing of the word is left (a lone accent).
    pub(crate) fn key_in<'s>(&self, word: &str, scratch: &'s mut String) -> Cow<'s, str> {
        scratch.clear();
        fold_word(word, scratch);
        match &self.stemmer {
            Some(stemmer) if !scratch.is_empty() => stemmer.stem(scratch),
            _ => Cow::Borrowed(scratch.as_str()),
        }
    }

    /// Appends the keys of `text` to `out`, separated by spaces: the token stream an FTS column
    /// holds (one FTS token per key, in word order, so phrases work).
    pub(crate) fn push_keys(&self, text: &str, out: &mut String) {
        let mut folded = String::new();
        for (_, word) in words(text) {
            folded.clear();
            fold_word(word, &mut folded);
            if folded.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            match &self.stemmer {
                Some(stemmer) => out.push_str(&stemmer.stem(&folded)),
                None => out.push_str(&folded),
            }
        }
    }
}

/// Whether `c` belongs to a word.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_accent(c)
}

fn is_combining_accent(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// The words of `text` with their byte offsets.
pub(crate) fn words(text: &str) -> Words<'_> {
    Words { text, at: 0 }
}

/// An iterator over words (see [`words`]); ASCII is classified a byte at a time.
pub(crate) struct Words<'a> {
    text: &'a str,
    at: usize,
}

impl Words<'_> {
    /// Whether the character at `self.at` belongs to a word, and its length.
    fn classify(&self) -> (bool, usize) {
        let byte = self.text.as_bytes()[self.at];
        if byte.is_ascii() {
            return (byte.is_ascii_alphanumeric(), 1);
        }
        match self.text[self.at..].chars().next() {
            Some(c) => (is_word_char(c), c.len_utf8()),
            None => (false, 1),
        }
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let end = self.text.len();
        let start = loop {
            if self.at >= end {
                return None;
            }
            let (word, len) = self.classify();
            if word {
                break self.at;
            }
            self.at += len;
        };
        while self.at < end {
            let (word, len) = self.classify();
            if !word {
                break;
            }
            self.at += len;
        }
        Some((start, &self.text[start..self.at]))
    }
}

/// Lower-cases `word`, folds its accents and cuts it to [`MAX_WORD_CHARS`], appending to `out`.
pub(crate) fn fold_word(word: &str, out: &mut String) {
    for c in word.chars().take(MAX_WORD_CHARS) {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            for lower in c.to_lowercase() {
                push_folded(lower, out);
            }
        }
    }
}

/// The first two characters of `word` folded, to pre-filter words cheaply (see
/// `query::Terms::could_match`).
pub(crate) fn folded_start(word: &str) -> (Option<char>, Option<char>) {
    let bytes = word.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii() && bytes[1].is_ascii() {
        return (
            Some(char::from(bytes[0].to_ascii_lowercase())),
            Some(char::from(bytes[1].to_ascii_lowercase())),
        );
    }
    let mut folded = String::new();
    for c in word.chars() {
        for lower in c.to_lowercase() {
            push_folded(lower, &mut folded);
        }
        if folded.chars().nth(1).is_some() {
            break;
        }
    }
    let mut chars = folded.chars();
    (chars.next(), chars.next())
}

/// Appends lower-case `c` without its accent; ligatures become two letters.
pub(crate) fn push_folded(c: char, out: &mut String) {
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ǎ' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' | 'ð' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ǒ' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'ſ' => 's',
        'ţ' | 'ť' | 'ŧ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ǔ' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'æ' => return out.push_str("ae"),
        'œ' => return out.push_str("oe"),
        'ß' => return out.push_str("ss"),
        'þ' => return out.push_str("th"),
        'ĳ' => return out.push_str("ij"),
        c if is_combining_accent(c) => return,
        // Full-width Latin letters and digits (as typed with East Asian input methods).
        '\u{ff10}'..='\u{ff19}' | '\u{ff41}'..='\u{ff5a}' => {
            char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c)
        }
        other => other,
    };
    out.push(plain);
}
