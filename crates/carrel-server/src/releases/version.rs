//! App versions: Semantic Versioning 2.0, compared by precedence as tauri-plugin-updater compares
//! them (`1.10.0` > `1.9.0`, `1.2.0-beta.2` < `1.2.0`, build metadata ignored). A leading `v` is
//! accepted and dropped, since tags and some build tools write one.

use std::cmp::Ordering;
use std::fmt;

/// A semantic version.
#[derive(Debug, Clone)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Identifier>,
    build: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Identifier {
    // Numeric identifiers sort before alphanumeric ones (SemVer §11.4.3): keep this order.
    Numeric(u64),
    Alphanumeric(String),
}

impl Version {
    /// Parses `text` (`1.2.3`, `v1.2.3-beta.1+build.5`); `None` if it is not a semantic version.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let (text, build) = match text.split_once('+') {
            Some((rest, build)) => {
                build.split('.').all(is_identifier).then_some(())?;
                (rest, Some(build.to_owned()))
            }
            None => (text, None),
        };
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (text, None),
        };
        let mut numbers = core.split('.').map(number);
        let (major, minor, patch) = (numbers.next()??, numbers.next()??, numbers.next()??);
        if numbers.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(pre) => pre
                .split('.')
                .map(|part| {
                    if !is_identifier(part) {
                        None
                    } else if part.bytes().all(|b| b.is_ascii_digit()) {
                        number(part).map(Identifier::Numeric)
                    } else {
                        Some(Identifier::Alphanumeric(part.to_owned()))
                    }
                })
                .collect::<Option<_>>()?,
        };
        Some(Self {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    /// Whether this is a pre-release (`1.2.0-beta.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

/// A dot-separated part of a pre-release or build: ASCII letters, digits and hyphens, not empty.
fn is_identifier(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A numeric part: digits, no leading zero.
fn number(part: &str) -> Option<u64> {
    let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits || (part.len() > 1 && part.starts_with('0')) {
        return None;
    }
    part.parse().ok()
}

impl fmt::Display for Version {
    /// The canonical text: no leading `v`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (index, part) in self.pre.iter().enumerate() {
            let separator = if index == 0 { '-' } else { '.' };
            match part {
                Identifier::Numeric(n) => write!(f, "{separator}{n}")?,
                Identifier::Alphanumeric(s) => write!(f, "{separator}{s}")?,
            }
        }
        if let Some(build) = &self.build {
            write!(f, "+{build}")?;
        }
        Ok(())
    }
}

impl Ord for Version {
    /// SemVer precedence; build metadata does not count.
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                // A release is newer than any of its pre-releases.
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Part by part; a longer list that starts with the shorter one is newer.
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    /// Equal precedence (`1.0.0+a` == `1.0.0+b`), consistent with [`Ord`].
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap_or_else(|| panic!("{text} is a semantic version"))
    }

    #[test]
    fn versions_sort_by_semver_precedence() {
        // The example list of SemVer 2.0 §11, plus numeric parts that sort as numbers.
        let sorted = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.2.0",
            "1.9.0",
            "1.10.0",
            "2.0.0",
        ];
        for pair in sorted.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(
            v("1.0.0+build.1"),
            v("1.0.0+build.2"),
            "build metadata does not count"
        );
        assert_eq!(v("v1.2.3"), v("1.2.3"), "a leading v is ignored");
    }

    #[test]
    fn the_canonical_text_drops_the_v_and_keeps_the_rest() {
        assert_eq!(
            v("v1.2.3-beta.1+exp.sha.5114f85").to_string(),
            "1.2.3-beta.1+exp.sha.5114f85"
        );
        assert_eq!(v("0.1.0").to_string(), "0.1.0");
        assert!(v("1.2.3-rc.1").is_prerelease());
        assert!(!v("1.2.3+build").is_prerelease());
    }

    #[test]
    fn what_is_not_a_semantic_version_is_refused() {
        for text in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.2.3+",
            "1.2.3-a b",
            "latest",
            "vv1.2.3",
            "-1.2.3",
            "1.2.x",
        ] {
            assert!(Version::parse(text).is_none(), "{text:?} is refused");
        }
    }
}
