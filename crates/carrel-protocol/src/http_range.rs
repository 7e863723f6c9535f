//! Conditional and partial requests for immutable files (RFC 9110 §13–14).
//!
//! Every file the server streams — a package, a content file — is named by its SHA-256, so its
//! strong ETag is that hash and it never changes under a given URL. That makes the rules simple:
//! `If-None-Match` with the ETag (weak comparison) answers 304; `Range` is honoured for GET only,
//! and only when `If-Range` is absent or names the current ETag exactly (strong comparison — a
//! date or any other tag means "send it all", so a resumed download never splices two different
//! files). One `bytes=` range is answered with 206; a request for several ranges gets the whole
//! file with 200 (allowed by the RFC, and no client of ours asks for several); a range that starts
//! past the end gets 416. A `Range` header that is not valid `bytes=` syntax is ignored (200), as
//! the RFC recommends. Byte positions too large for a `u64` are treated as "past any end".
//!
//! [`evaluate`] is the whole decision, a pure function of the request headers, the ETag and the
//! file's length; the server (`carrel-server`) and the app's content scheme turn it into responses.

use http::{HeaderMap, Method, header};

/// How to answer a GET or HEAD of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 304: the client's copy is current.
    NotModified,
    /// 200 with the whole file.
    Full,
    /// 206 with these bytes.
    Partial(ByteRange),
    /// 416: the requested range starts at or past the end.
    Unsatisfiable,
}

/// An inclusive, non-empty byte range inside a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive), `>= start`.
    pub end: u64,
}

impl ByteRange {
    /// How many bytes it covers (at least one).
    pub fn size(&self) -> u64 {
        self.end - self.start + 1
    }

    /// The `Content-Range` value of a 206 for a file of `length` bytes.
    pub fn content_range(&self, length: u64) -> String {
        format!("bytes {}-{}/{length}", self.start, self.end)
    }
}

/// The `Content-Range` value of a 416 for a file of `length` bytes.
pub fn unsatisfied_content_range(length: u64) -> String {
    format!("bytes */{length}")
}

/// The strong ETag of a file named by its SHA-256: the hash in quotes.
pub fn strong_etag(sha256: &str) -> String {
    format!("\"{sha256}\"")
}

/// What a `Range` header asks for, given the file's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// Not `bytes=` or not valid syntax: ignore the header.
    Invalid,
    /// One satisfiable range.
    One(ByteRange),
    /// Several ranges, at least one satisfiable.
    Several,
    /// No range is satisfiable.
    Unsatisfiable,
}

/// Decides how to answer `method` (GET or HEAD) with `headers` for a file whose strong ETag is
/// `etag` (with its quotes) and whose length is `length`.
pub fn evaluate(method: &Method, headers: &HeaderMap, etag: &str, length: u64) -> Answer {
    if let Some(candidates) = joined(headers, &header::IF_NONE_MATCH)
        && if_none_match_matches(&candidates, etag)
    {
        return Answer::NotModified;
    }
    // Only GET has range semantics; HEAD describes the whole file.
    if method != Method::GET {
        return Answer::Full;
    }
    let mut ranges = headers.get_all(header::RANGE).iter();
    let (Some(range), None) = (ranges.next(), ranges.next()) else {
        // No Range, or the header repeated (invalid): the whole file.
        return Answer::Full;
    };
    if let Some(if_range) = headers.get(header::IF_RANGE) {
        let current = if_range.to_str().is_ok_and(|value| value.trim() == etag);
        if !current {
            return Answer::Full;
        }
    }
    let Ok(range) = range.to_str() else {
        return Answer::Full;
    };
    match parse_range(range, length) {
        RangeRequest::One(range) => Answer::Partial(range),
        RangeRequest::Unsatisfiable => Answer::Unsatisfiable,
        RangeRequest::Invalid | RangeRequest::Several => Answer::Full,
    }
}

/// Parses a `Range` header value against a file of `length` bytes.
pub fn parse_range(value: &str, length: u64) -> RangeRequest {
    let Some((unit, set)) = value.split_once('=') else {
        return RangeRequest::Invalid;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeRequest::Invalid;
    }
    let mut specs = Vec::new();
    // A list may hold empty elements, which recipients ignore (RFC 9110 §5.6.1).
    for spec in set.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some(spec) = parse_spec(spec, length) else {
            return RangeRequest::Invalid;
        };
        specs.push(spec);
    }
    let satisfiable: Vec<ByteRange> = specs.iter().filter_map(|s| *s).collect();
    match (specs.len(), satisfiable.as_slice()) {
        (0, _) => RangeRequest::Invalid,
        (1, [one]) => RangeRequest::One(*one),
        (_, []) => RangeRequest::Unsatisfiable,
        _ => RangeRequest::Several,
    }
}

/// One range-spec: `None` if its syntax is invalid, `Some(None)` if it is valid but unsatisfiable.
fn parse_spec(spec: &str, length: u64) -> Option<Option<ByteRange>> {
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // Suffix range: the last `n` bytes.
        let suffix = position(last)?;
        if suffix == 0 || length == 0 {
            return Some(None);
        }
        return Some(Some(ByteRange {
            start: length.saturating_sub(suffix),
            end: length - 1,
        }));
    }
    let start = position(first)?;
    let end = if last.is_empty() {
        None
    } else {
        let end = position(last)?;
        if end < start {
            return None;
        }
        Some(end)
    };
    if start >= length {
        return Some(None);
    }
    let end = end.map_or(length - 1, |end| end.min(length - 1));
    Some(Some(ByteRange { start, end }))
}

/// A decimal byte position; a number too large for `u64` saturates (it is past any file's end).
fn position(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u64, |n, digit| {
        n.saturating_mul(10).saturating_add(u64::from(digit - b'0'))
    }))
}

/// Every value of a list header joined with commas; `None` if absent or not visible ASCII.
fn joined(headers: &HeaderMap, name: &header::HeaderName) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .map(|value| value.to_str().ok())
        .collect::<Option<_>>()?;
    (!values.is_empty()).then(|| values.join(","))
}

/// Whether an `If-None-Match` value matches `etag` by weak comparison (`*` matches any file).
pub fn if_none_match_matches(value: &str, etag: &str) -> bool {
    let value = value.trim();
    if value == "*" {
        return true;
    }
    let ours = etag.strip_prefix("W/").unwrap_or(etag);
    entity_tags(value).any(|tag| tag.strip_prefix("W/").unwrap_or(tag) == ours)
}

/// The entity-tags of a comma-separated list, each with its quotes (and `W/` if weak). Stops at
/// the first malformed element: what came before it still counts.
fn entity_tags(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = list;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let weak = rest.starts_with("W/");
        let body = if weak { &rest[2..] } else { rest };
        let inner = body.strip_prefix('"')?;
        let close = inner.find('"')?;
        let tag_len = usize::from(weak) * 2 + close + 2;
        let (tag, after) = rest.split_at(tag_len);
        rest = after;
        Some(tag)
    })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const ETAG: &str = "\"0123abcd\"";

    fn range(start: u64, end: u64) -> RangeRequest {
        RangeRequest::One(ByteRange { start, end })
    }

    #[test]
    fn range_header_cases() {
        use RangeRequest::{Invalid, Several, Unsatisfiable};
        let huge = "99999999999999999999999999";
        let cases: &[(&str, u64, RangeRequest)] = &[
            // Plain ranges, clamped to the end.
            ("bytes=0-99", 1000, range(0, 99)),
            ("bytes=0-0", 1000, range(0, 0)),
            ("bytes=500-", 1000, range(500, 999)),
            ("bytes=0-", 1000, range(0, 999)),
            ("bytes=990-2000", 1000, range(990, 999)),
            ("bytes=999-999", 1000, range(999, 999)),
            // Suffix ranges: the last n bytes, all of them if n is larger.
            ("bytes=-1", 1000, range(999, 999)),
            ("bytes=-100", 1000, range(900, 999)),
            ("bytes=-5000", 1000, range(0, 999)),
            ("bytes=-0", 1000, Unsatisfiable),
            ("bytes=-1", 0, Unsatisfiable),
            // Past the end.
            ("bytes=1000-", 1000, Unsatisfiable),
            ("bytes=1000-1001", 1000, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            // Numbers too large for u64: past any end, clamped, or the whole file.
            (&format!("bytes={huge}-"), 1000, Unsatisfiable),
            (&format!("bytes=10-{huge}"), 1000, range(10, 999)),
            (&format!("bytes=-{huge}"), 1000, range(0, 999)),
            // Spacing, case and empty list elements are tolerated.
            ("Bytes = 1-2", 1000, range(1, 2)),
            ("bytes= 1 - 2 ,", 1000, range(1, 2)),
            (",bytes=1-2", 1000, Invalid),
            // Several ranges: the whole file, unless none can be served.
            ("bytes=0-1,5-6", 1000, Several),
            ("bytes=0-1,2000-3000", 1000, Several),
            ("bytes=2000-,3000-", 1000, Unsatisfiable),
            // Bad syntax: ignored.
            ("bytes=", 1000, Invalid),
            ("bytes=,", 1000, Invalid),
            ("bytes=5-4", 1000, Invalid),
            ("bytes=a-b", 1000, Invalid),
            ("bytes=-", 1000, Invalid),
            ("bytes=+1-2", 1000, Invalid),
            ("bytes=1-2-3", 1000, Invalid),
            ("bytes=0x10-", 1000, Invalid),
            ("bytes=1-2,x", 1000, Invalid),
            ("items=0-1", 1000, Invalid),
            ("0-1", 1000, Invalid),
        ];
        for (value, length, expected) in cases {
            assert_eq!(
                parse_range(value, *length),
                *expected,
                "Range: {value} on a file of {length} bytes"
            );
        }
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn request_cases() {
        use header::{IF_NONE_MATCH, IF_RANGE, RANGE};
        let partial = Answer::Partial(ByteRange { start: 10, end: 19 });
        /// Why, method, request headers, expected answer.
        type Case = (
            &'static str,
            Method,
            &'static [(header::HeaderName, &'static str)],
            Answer,
        );
        let cases: &[Case] = &[
            ("no headers", Method::GET, &[], Answer::Full),
            ("a range", Method::GET, &[(RANGE, "bytes=10-19")], partial),
            (
                "If-Range with the current ETag honours the range",
                Method::GET,
                &[(RANGE, "bytes=10-19"), (IF_RANGE, ETAG)],
                partial,
            ),
            (
                "If-Range with a stale ETag sends everything",
                Method::GET,
                &[(RANGE, "bytes=10-19"), (IF_RANGE, "\"stale\"")],
                Answer::Full,
            ),
            (
                "If-Range with a weak ETag never matches",
                Method::GET,
                &[(RANGE, "bytes=10-19"), (IF_RANGE, "W/\"0123abcd\"")],
                Answer::Full,
            ),
            (
                "If-Range with a date sends everything (no Last-Modified here)",
                Method::GET,
                &[
                    (RANGE, "bytes=10-19"),
                    (IF_RANGE, "Wed, 21 Oct 2015 07:28:00 GMT"),
                ],
                Answer::Full,
            ),
            (
                "If-Range alone changes nothing",
                Method::GET,
                &[(IF_RANGE, "\"stale\"")],
                Answer::Full,
            ),
            (
                "a stale If-Range also saves a 416",
                Method::GET,
                &[(RANGE, "bytes=5000-"), (IF_RANGE, "\"stale\"")],
                Answer::Full,
            ),
            (
                "past the end",
                Method::GET,
                &[(RANGE, "bytes=100-")],
                Answer::Unsatisfiable,
            ),
            (
                "a repeated Range header is invalid",
                Method::GET,
                &[(RANGE, "bytes=10-19"), (RANGE, "bytes=0-1")],
                Answer::Full,
            ),
            (
                "HEAD ignores Range",
                Method::HEAD,
                &[(RANGE, "bytes=10-19")],
                Answer::Full,
            ),
            (
                "If-None-Match with the ETag",
                Method::GET,
                &[(IF_NONE_MATCH, ETAG)],
                Answer::NotModified,
            ),
            (
                "If-None-Match compares weakly",
                Method::HEAD,
                &[(IF_NONE_MATCH, "W/\"0123abcd\"")],
                Answer::NotModified,
            ),
            (
                "If-None-Match in a list, over two header lines",
                Method::GET,
                &[(IF_NONE_MATCH, "\"a\", \"b\""), (IF_NONE_MATCH, ETAG)],
                Answer::NotModified,
            ),
            (
                "If-None-Match star",
                Method::GET,
                &[(IF_NONE_MATCH, "*")],
                Answer::NotModified,
            ),
            (
                "If-None-Match wins over Range",
                Method::GET,
                &[(IF_NONE_MATCH, ETAG), (RANGE, "bytes=10-19")],
                Answer::NotModified,
            ),
            (
                "If-None-Match with other tags",
                Method::GET,
                &[(IF_NONE_MATCH, "\"other\""), (RANGE, "bytes=10-19")],
                partial,
            ),
        ];
        for (why, method, pairs, expected) in cases {
            assert_eq!(
                evaluate(method, &headers(pairs), ETAG, 100),
                *expected,
                "{why}"
            );
        }
    }

    #[test]
    fn entity_tag_lists() {
        let tags: Vec<&str> = entity_tags(" \"a\",W/\"b,c\" , \"d\"").collect();
        assert_eq!(tags, ["\"a\"", "W/\"b,c\"", "\"d\""]);
        let tags: Vec<&str> = entity_tags("\"a\", junk, \"d\"").collect();
        assert_eq!(
            tags,
            ["\"a\""],
            "parsing stops at the first malformed element"
        );
        assert!(!if_none_match_matches("\"0123abc\"", ETAG));
        assert!(!if_none_match_matches("0123abcd", ETAG), "tags are quoted");
    }

    #[test]
    fn content_ranges() {
        let range = ByteRange { start: 5, end: 9 };
        assert_eq!(range.size(), 5);
        assert_eq!(range.content_range(100), "bytes 5-9/100");
        assert_eq!(unsatisfied_content_range(100), "bytes */100");
        assert_eq!(strong_etag("ab"), "\"ab\"");
    }
}
