//! A course page's HTML to plain text in sections, by a small hand-written scanner.
//!
//! Course pages are HTML generated from Markdown (`carrel_package::source`), so they are simple,
//! but the scanner does not rely on that: it follows the HTML tokenizer's rules where they matter
//! for text — comments and `<!doctype>`/`<?…>` are skipped, `<script>`/`<style>` (and the other
//! raw-text elements) end only at their own end tag, `<template>`, `<noscript>`, `<svg>`, `<math>`
//! and `<iframe>` are dropped with their content (none of it is page text, and none of it holds
//! headings the page's DOM would count), attribute values may hold `>` inside quotes, and
//! character references are decoded (named, decimal, hexadecimal). Block elements and `<br>`
//! separate words; inline ones (`<em>`, `<a>`…) do not, so `<em>re</em>sume` stays one word.
//!
//! `<h1>`–`<h3>` start sections. A section remembers its heading's text, its `id` attribute (none
//! in Markdown-rendered pages today) and its heading index: its position among the page's
//! `h1, h2, h3` elements in document order, which is what
//! `document.querySelectorAll("h1, h2, h3")[i]` finds in the rendered page.

/// A page as plain text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extracted {
    /// The `<title>`, or the first `<h1>` when there is no title.
    pub title: String,
    /// The page's sections in document order; text before the first heading, if any, is a
    /// section without a heading.
    pub sections: Vec<Section>,
}

/// The text under one heading, up to the next `<h1>`–`<h3>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Section {
    /// The heading's text; empty for text before the first heading.
    pub heading: String,
    /// 1–3, or 0 for text before the first heading.
    pub level: u8,
    /// The heading's `id` attribute (or the first `id` inside it), for a `#fragment`.
    pub anchor: Option<String>,
    /// The heading's position among the page's `h1`, `h2` and `h3` elements; `None` before the
    /// first heading.
    pub heading_index: Option<u32>,
    /// The section's text: words separated by single spaces, blocks by newlines.
    pub text: String,
}

/// Extracts a page's title and sectioned text from its HTML.
pub fn extract_text(html: &str) -> Extracted {
    let mut scanner = Scanner {
        html,
        pos: 0,
        out: Extracted::default(),
        current: Section::default(),
        text: TextBuf::default(),
        heading: None,
        headings: 0,
        title_tag: String::new(),
    };
    scanner.run();
    scanner.finish()
}

struct Scanner<'a> {
    html: &'a str,
    pos: usize,
    out: Extracted,
    current: Section,
    text: TextBuf,
    /// The heading being read: its level and text.
    heading: Option<(u8, TextBuf)>,
    headings: u32,
    title_tag: String,
}

impl Scanner<'_> {
    fn run(&mut self) {
        let bytes = self.html.as_bytes();
        while self.pos < bytes.len() {
            let Some(offset) = self.html[self.pos..].find('<') else {
                self.push_text(self.pos, self.html.len());
                break;
            };
            let lt = self.pos + offset;
            self.push_text(self.pos, lt);
            self.pos = lt;
            let next = bytes.get(lt + 1).copied();
            match next {
                Some(b'!') if self.html[lt..].starts_with("<!--") => self.skip_comment(),
                Some(b'!' | b'?') => self.skip_past(b'>', lt + 2),
                Some(b'/') if bytes.get(lt + 2).is_some_and(u8::is_ascii_alphabetic) => {
                    self.end_tag()
                }
                Some(b'/') => self.skip_past(b'>', lt + 2),
                Some(c) if c.is_ascii_alphabetic() => self.start_tag(),
                _ => {
                    self.target().push_str("<");
                    self.pos = lt + 1;
                }
            }
        }
    }

    fn finish(mut self) -> Extracted {
        self.close_heading();
        self.close_section();
        self.out.title = collapse(&self.title_tag);
        if self.out.title.is_empty()
            && let Some(h1) = self.out.sections.iter().find(|s| s.level == 1)
        {
            self.out.title = h1.heading.clone();
        }
        self.out
    }

    /// Where text goes now: the heading being read, or the section's text.
    fn target(&mut self) -> &mut TextBuf {
        match &mut self.heading {
            Some((_, text)) => text,
            None => &mut self.text,
        }
    }

    fn push_text(&mut self, from: usize, to: usize) {
        if from < to {
            let decoded = decode_entities(&self.html[from..to], false);
            self.target().push_str(&decoded);
        }
    }

    fn skip_comment(&mut self) {
        let body = self.pos + 4;
        let rest = &self.html[body..];
        // `<!-->` and `<!--->` are (empty) comments too.
        self.pos = if rest.starts_with('>') {
            body + 1
        } else if rest.starts_with("->") {
            body + 2
        } else {
            rest.find("-->")
                .map_or(self.html.len(), |end| body + end + 3)
        };
    }

    fn skip_past(&mut self, byte: u8, from: usize) {
        self.pos = self.html.as_bytes()[from.min(self.html.len())..]
            .iter()
            .position(|&b| b == byte)
            .map_or(self.html.len(), |at| from + at + 1);
    }

    fn end_tag(&mut self) {
        let (name, _) = read_name(self.html, self.pos + 2);
        self.skip_past(b'>', self.pos + 2);
        match name.as_str() {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if self.heading.is_some() => {
                self.close_heading()
            }
            name if !is_inline(name) => self.target().push_break(),
            _ => {}
        }
    }

    fn start_tag(&mut self) {
        let tag = read_tag(self.html, self.pos);
        self.pos = tag.end;
        let name = tag.name.as_str();
        match name {
            "script" | "style" | "xmp" | "noembed" | "noframes" => {
                self.pos = raw_text_end(self.html, self.pos, name).1;
            }
            "title" | "textarea" => {
                let (content_end, after) = raw_text_end(self.html, self.pos, name);
                let content = decode_entities(&self.html[self.pos..content_end], false);
                if name == "title" {
                    if self.title_tag.is_empty() {
                        self.title_tag = content.into_owned();
                    }
                } else {
                    let target = self.target();
                    target.push_break();
                    target.push_str(&content);
                    target.push_break();
                }
                self.pos = after;
            }
            "template" | "noscript" | "svg" | "math" | "iframe" if !tag.self_closing => {
                self.skip_element(name)
            }
            "h1" | "h2" | "h3" => {
                self.close_heading();
                self.close_section();
                let level = name.as_bytes()[1] - b'0';
                self.current = Section {
                    level,
                    anchor: tag.id,
                    heading_index: Some(self.headings),
                    ..Section::default()
                };
                self.headings += 1;
                self.heading = Some((level, TextBuf::default()));
            }
            "br" => self.target().push_break(),
            "img" => {
                if let Some(alt) = tag.alt {
                    let target = self.target();
                    target.push_str(" ");
                    target.push_str(&alt);
                    target.push_str(" ");
                }
            }
            name if is_inline(name) => {
                if self.heading.is_some() && self.current.anchor.is_none() {
                    self.current.anchor = tag.id;
                }
            }
            _ => {
                if self.heading.is_some() && self.current.anchor.is_none() {
                    self.current.anchor = tag.id;
                }
                self.target().push_break();
            }
        }
    }

    /// Skips an element and everything in it, counting nested elements of the same name.
    fn skip_element(&mut self, name: &str) {
        let mut depth = 1;
        while depth > 0 {
            let Some(offset) = self.html[self.pos..].find('<') else {
                self.pos = self.html.len();
                return;
            };
            self.pos += offset;
            let bytes = self.html.as_bytes();
            if self.html[self.pos..].starts_with("<!--") {
                self.skip_comment();
            } else if bytes.get(self.pos + 1) == Some(&b'/') {
                let (end_name, _) = read_name(self.html, self.pos + 2);
                self.skip_past(b'>', self.pos + 2);
                if end_name == name {
                    depth -= 1;
                }
            } else if bytes.get(self.pos + 1).is_some_and(u8::is_ascii_alphabetic) {
                let tag = read_tag(self.html, self.pos);
                self.pos = tag.end;
                if tag.name == name && !tag.self_closing {
                    depth += 1;
                } else if matches!(tag.name.as_str(), "script" | "style") {
                    self.pos = raw_text_end(self.html, self.pos, &tag.name).1;
                }
            } else {
                self.pos += 1;
            }
        }
    }

    fn close_heading(&mut self) {
        if let Some((_, text)) = self.heading.take() {
            self.current.heading = text.finish().replace('\n', " ");
        }
    }

    fn close_section(&mut self) {
        let text = std::mem::take(&mut self.text).finish();
        let section = std::mem::take(&mut self.current);
        if !text.is_empty() || section.heading_index.is_some() {
            self.out.sections.push(Section { text, ..section });
        }
    }
}

/// Text with whitespace collapsed: runs of spaces become one space, block breaks one newline.
#[derive(Default)]
struct TextBuf {
    text: String,
    pending: Pending,
}

#[derive(Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pending {
    #[default]
    Nothing,
    Space,
    Break,
}

impl TextBuf {
    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            if c.is_whitespace() {
                self.pending = self.pending.max(Pending::Space);
                continue;
            }
            if !self.text.is_empty() {
                match self.pending {
                    Pending::Nothing => {}
                    Pending::Space => self.text.push(' '),
                    Pending::Break => self.text.push('\n'),
                }
            }
            self.pending = Pending::Nothing;
            // Soft hyphens and zero-width characters are invisible; they must not split words.
            if !matches!(
                c,
                '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}'
            ) {
                self.text.push(c);
            }
        }
    }

    fn push_break(&mut self) {
        self.pending = Pending::Break;
    }

    fn finish(self) -> String {
        self.text
    }
}

fn collapse(s: &str) -> String {
    let mut buf = TextBuf::default();
    buf.push_str(s);
    buf.finish()
}

/// Elements that do not break words.
fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "b"
            | "bdi"
            | "bdo"
            | "big"
            | "cite"
            | "code"
            | "data"
            | "del"
            | "dfn"
            | "em"
            | "font"
            | "i"
            | "ins"
            | "kbd"
            | "label"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strike"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "tt"
            | "u"
            | "var"
            | "wbr"
    )
}

/// A start tag: its lower-cased name, the attributes text extraction needs, and where it ends.
struct Tag {
    name: String,
    id: Option<String>,
    alt: Option<String>,
    self_closing: bool,
    end: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Reads a tag name starting at `from`, lower-cased, and where it ends.
fn read_name(html: &str, from: usize) -> (String, usize) {
    let bytes = html.as_bytes();
    let mut end = from;
    while end < bytes.len() && !is_space(bytes[end]) && bytes[end] != b'/' && bytes[end] != b'>' {
        end += 1;
    }
    (html[from..end].to_ascii_lowercase(), end)
}

/// Reads the start tag at `at` (which holds `<`), attributes and quoted values included.
fn read_tag(html: &str, at: usize) -> Tag {
    let bytes = html.as_bytes();
    let (name, mut i) = read_name(html, at + 1);
    let mut tag = Tag {
        name,
        id: None,
        alt: None,
        self_closing: false,
        end: html.len(),
    };
    loop {
        while i < bytes.len() && (is_space(bytes[i]) || bytes[i] == b'/') {
            tag.self_closing = bytes[i] == b'/';
            i += 1;
        }
        if i >= bytes.len() {
            return tag;
        }
        if bytes[i] == b'>' {
            tag.end = i + 1;
            return tag;
        }
        tag.self_closing = false;
        let name_start = i;
        i += 1; // An attribute name may start with `=`.
        while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let attribute = html[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        let mut value = None;
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            let (start, end, after) = match bytes.get(i) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let start = i + 1;
                    let end = bytes[start..]
                        .iter()
                        .position(|&b| b == quote)
                        .map_or(bytes.len(), |at| start + at);
                    (start, end, (end + 1).min(bytes.len()))
                }
                _ => {
                    let start = i;
                    let mut end = i;
                    while end < bytes.len() && !is_space(bytes[end]) && bytes[end] != b'>' {
                        end += 1;
                    }
                    (start, end, end)
                }
            };
            value = Some(&html[start..end]);
            i = after;
        }
        let value = || value.map(|v| decode_entities(v, true).trim().to_owned());
        match attribute.as_str() {
            "id" if tag.id.is_none() => tag.id = value().filter(|v| !v.is_empty()),
            "alt" if tag.alt.is_none() => tag.alt = value(),
            _ => {}
        }
    }
}

/// Where the raw text of `<name>` starting at `from` ends: the start of its end tag and the
/// position after it (both the end of the document when it is missing).
fn raw_text_end(html: &str, from: usize, name: &str) -> (usize, usize) {
    let bytes = html.as_bytes();
    let mut i = from;
    while let Some(offset) = html[i..].find("</") {
        let start = i + offset;
        let name_end = start + 2 + name.len();
        let name_matches = html
            .get(start + 2..name_end)
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(name));
        let ends_name = bytes
            .get(name_end)
            .is_none_or(|&b| is_space(b) || b == b'/' || b == b'>');
        if name_matches && ends_name {
            let after = bytes[name_end..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(html.len(), |at| name_end + at + 1);
            return (start, after);
        }
        i = start + 2;
    }
    (html.len(), html.len())
}

/// Decodes character references. `in_attribute`: a named reference without `;` is left alone
/// (as the HTML standard does in attribute values).
pub(crate) fn decode_entities(text: &str, in_attribute: bool) -> std::borrow::Cow<'_, str> {
    if !text.contains('&') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match decode_one(rest, in_attribute) {
            Some((decoded, used)) => {
                out.push(decoded);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Decodes the reference at the start of `text` (which starts with `&`): what it stands for and
/// how many bytes it used.
fn decode_one(text: &str, in_attribute: bool) -> Option<(char, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(1) == Some(&b'#') {
        let hex = matches!(bytes.get(2), Some(b'x' | b'X'));
        let digits_start = if hex { 3 } else { 2 };
        let mut end = digits_start;
        let is_digit = |b: u8| {
            if hex {
                b.is_ascii_hexdigit()
            } else {
                b.is_ascii_digit()
            }
        };
        while end < bytes.len() && is_digit(bytes[end]) {
            end += 1;
        }
        if end == digits_start {
            return None;
        }
        let radix = if hex { 16 } else { 10 };
        let value = bytes[digits_start..end].iter().fold(0_u32, |value, &b| {
            let digit = char::from(b).to_digit(radix).unwrap_or(0);
            value.saturating_mul(radix).saturating_add(digit)
        });
        let used = if bytes.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
        return Some((numeric_char(value), used));
    }
    let mut end = 1;
    while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
        end += 1;
    }
    let name = &text[1..end];
    if bytes.get(end) == Some(&b';')
        && let Some(c) = named_entity(name).or_else(|| legacy_entity(name))
    {
        return Some((c, end + 1));
    }
    if in_attribute {
        return None;
    }
    // Legacy references may omit the `;`: the longest one that prefixes the name.
    (2..=name.len().min(6)).rev().find_map(|len| {
        let prefix = &name[..len];
        legacy_entity(prefix).map(|c| (c, 1 + len))
    })
}

/// The character a numeric reference stands for, as the HTML standard maps it.
fn numeric_char(value: u32) -> char {
    const WINDOWS_1252: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match value {
        0 => '\u{fffd}',
        0x80..=0x9f => WINDOWS_1252[(value - 0x80) as usize],
        _ => char::from_u32(value).unwrap_or('\u{fffd}'),
    }
}

/// The Latin-1 references, U+00A0 to U+00FF in order.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// The Greek letters, from U+0391 (capitals) and U+03B1 (small), in order; U+03A2 has no name.
const GREEK: [&str; 25] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigmaf", "sigma", "tau", "upsilon", "phi",
    "chi", "psi", "omega",
];

/// The other HTML 4 references (plus `apos`).
const OTHER: &[(&str, u32)] = &[
    ("quot", 34),
    ("amp", 38),
    ("apos", 39),
    ("lt", 60),
    ("gt", 62),
    ("OElig", 338),
    ("oelig", 339),
    ("Scaron", 352),
    ("scaron", 353),
    ("Yuml", 376),
    ("fnof", 402),
    ("circ", 710),
    ("tilde", 732),
    ("thetasym", 977),
    ("upsih", 978),
    ("piv", 982),
    ("ensp", 8194),
    ("emsp", 8195),
    ("thinsp", 8201),
    ("zwnj", 8204),
    ("zwj", 8205),
    ("lrm", 8206),
    ("rlm", 8207),
    ("ndash", 8211),
    ("mdash", 8212),
    ("lsquo", 8216),
    ("rsquo", 8217),
    ("sbquo", 8218),
    ("ldquo", 8220),
    ("rdquo", 8221),
    ("bdquo", 8222),
    ("dagger", 8224),
    ("Dagger", 8225),
    ("bull", 8226),
    ("hellip", 8230),
    ("permil", 8240),
    ("prime", 8242),
    ("Prime", 8243),
    ("lsaquo", 8249),
    ("rsaquo", 8250),
    ("oline", 8254),
    ("frasl", 8260),
    ("euro", 8364),
    ("image", 8465),
    ("weierp", 8472),
    ("real", 8476),
    ("trade", 8482),
    ("alefsym", 8501),
    ("larr", 8592),
    ("uarr", 8593),
    ("rarr", 8594),
    ("darr", 8595),
    ("harr", 8596),
    ("crarr", 8629),
    ("lArr", 8656),
    ("uArr", 8657),
    ("rArr", 8658),
    ("dArr", 8659),
    ("hArr", 8660),
    ("forall", 8704),
    ("part", 8706),
    ("exist", 8707),
    ("empty", 8709),
    ("nabla", 8711),
    ("isin", 8712),
    ("notin", 8713),
    ("ni", 8715),
    ("prod", 8719),
    ("sum", 8721),
    ("minus", 8722),
    ("lowast", 8727),
    ("radic", 8730),
    ("prop", 8733),
    ("infin", 8734),
    ("ang", 8736),
    ("and", 8743),
    ("or", 8744),
    ("cap", 8745),
    ("cup", 8746),
    ("int", 8747),
    ("there4", 8756),
    ("sim", 8764),
    ("cong", 8773),
    ("asymp", 8776),
    ("ne", 8800),
    ("equiv", 8801),
    ("le", 8804),
    ("ge", 8805),
    ("sub", 8834),
    ("sup", 8835),
    ("nsub", 8836),
    ("sube", 8838),
    ("supe", 8839),
    ("oplus", 8853),
    ("otimes", 8855),
    ("perp", 8869),
    ("sdot", 8901),
    ("lceil", 8968),
    ("rceil", 8969),
    ("lfloor", 8970),
    ("rfloor", 8971),
    ("lang", 10216),
    ("rang", 10217),
    ("loz", 9674),
    ("spades", 9824),
    ("clubs", 9827),
    ("hearts", 9829),
    ("diams", 9830),
];

fn named_entity(name: &str) -> Option<char> {
    if let Some(at) = LATIN1.iter().position(|n| *n == name) {
        return char::from_u32(0xa0 + at as u32);
    }
    if let Some((_, code)) = OTHER.iter().find(|(n, _)| *n == name) {
        return char::from_u32(*code);
    }
    let small = name.to_ascii_lowercase();
    let at = GREEK.iter().position(|n| *n == small)?;
    let capital = name != small;
    // Only `alpha` and `Alpha` are names, and there is no capital final sigma.
    if capital && (name[1..] != small[1..] || small == "sigmaf") {
        return None;
    }
    let base = if capital { 0x391 } else { 0x3b1 };
    char::from_u32(base + at as u32)
}

/// References that the HTML standard also accepts without the `;`.
fn legacy_entity(name: &str) -> Option<char> {
    match name {
        "amp" | "AMP" => Some('&'),
        "lt" | "LT" => Some('<'),
        "gt" | "GT" => Some('>'),
        "quot" | "QUOT" => Some('"'),
        "copy" | "COPY" => Some('©'),
        "reg" | "REG" => Some('®'),
        _ => LATIN1
            .iter()
            .position(|n| *n == name)
            .and_then(|at| char::from_u32(0xa0 + at as u32)),
    }
}
