//! Names of the files inside a course package, checked before a single byte is written.
//!
//! A package is a zip file from outside, so every name in it is hostile until proven otherwise. Zip
//! libraries' own `extract()` re-roots absolute paths, accepts Windows device names, lets the last of
//! two equal names win and more (see the project's threat notes), so Carrel never uses it: the
//! importer checks every name of the central directory with [`EntryName::parse`] and collects them in
//! [`EntryNames`] before writing anything, and refuses the whole package on the first bad one.
//!
//! A valid name is relative, `/`-separated, at most [`MAX_DEPTH`] components and [`MAX_NAME_BYTES`]
//! bytes, and every component is a name that every desktop file system Carrel runs on (ext4, APFS,
//! NTFS) stores as itself: no `.`/`..`, no control characters, no backslash, none of `<>:"|?*`, no
//! trailing dot or space, no Windows device name (`CON`, `aux.txt`, `COM1`, …). Two names that the
//! case-insensitive, normalising file systems of Windows and macOS would store as one file (`A.html`
//! and `a.html`; `é` composed and decomposed) are duplicates, and so is a name used both as a file
//! and as a folder.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

/// The longest name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;
/// The longest single component accepted, in bytes (the common file-system limit).
pub const MAX_COMPONENT_BYTES: usize = 255;
/// The most components (folders plus the file) a name may have.
pub const MAX_DEPTH: usize = 16;

/// Characters Windows does not allow in file names (`:` also covers drive letters and NTFS streams).
const FORBIDDEN: &[char] = &['<', '>', ':', '"', '|', '?', '*'];

/// Windows device names, reserved with any extension and in any case.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6",
    "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³", "CONIN$", "CONOUT$",
];

/// Why a name inside a package is refused. Every message names the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryNameError {
    /// An entry with no name.
    #[error("the package has an entry with an empty name")]
    Empty,
    /// Longer than [`MAX_NAME_BYTES`].
    #[error(
        "the package entry name starting “{prefix}” is {bytes} bytes long; the limit is {MAX_NAME_BYTES}"
    )]
    TooLong {
        /// The first characters of the name.
        prefix: String,
        /// Its length in bytes.
        bytes: usize,
    },
    /// More than [`MAX_DEPTH`] components.
    #[error("the package entry “{name}” is nested {depth} levels deep; the limit is {MAX_DEPTH}")]
    TooDeep {
        /// The name.
        name: String,
        /// Its number of components.
        depth: usize,
    },
    /// One component longer than [`MAX_COMPONENT_BYTES`].
    #[error("a part of the package entry “{name}” is longer than {MAX_COMPONENT_BYTES} bytes")]
    ComponentTooLong {
        /// The name.
        name: String,
    },
    /// A name starting with `/` (absolute, or a `//server` UNC path).
    #[error(
        "the package entry “{name}” is an absolute path; entries must be relative to the package"
    )]
    Absolute {
        /// The name.
        name: String,
    },
    /// A backslash, which Windows reads as a folder separator.
    #[error("the package entry “{name}” contains a backslash; entries must use / between folders")]
    Backslash {
        /// The name.
        name: String,
    },
    /// A control character such as NUL or a newline.
    #[error("the package entry {name:?} contains a control character")]
    ControlCharacter {
        /// The name (debug-escaped in the message).
        name: String,
    },
    /// One of `<>:"|?*`.
    #[error(
        "the package entry “{name}” contains “{character}”, which Windows does not allow in file names"
    )]
    ForbiddenCharacter {
        /// The name.
        name: String,
        /// The character.
        character: char,
    },
    /// `a//b` or a trailing `/` on a file.
    #[error("the package entry “{name}” has an empty folder name (“//” or a trailing “/”)")]
    EmptyComponent {
        /// The name.
        name: String,
    },
    /// A `.` or `..` component.
    #[error(
        "the package entry “{name}” contains “.” or “..”, which could point outside the course"
    )]
    DotComponent {
        /// The name.
        name: String,
    },
    /// A component ending in `.` or space, which Windows silently strips (so two names collide).
    #[error("a part of the package entry “{name}” ends with a dot or a space, which Windows drops")]
    TrailingDotOrSpace {
        /// The name.
        name: String,
    },
    /// A Windows device name such as `CON` or `aux.txt`.
    #[error("the package entry “{name}” uses the reserved Windows device name “{component}”")]
    ReservedName {
        /// The name.
        name: String,
        /// The offending component.
        component: String,
    },
    /// Two entries that Windows or macOS would store as the same file.
    #[error(
        "the package entries “{first}” and “{name}” would be the same file on Windows and macOS"
    )]
    Duplicate {
        /// The later name.
        name: String,
        /// The earlier one it collides with.
        first: String,
    },
    /// A name used both as a file and as a folder.
    #[error("the package uses “{name}” both as a file and as a folder (see “{other}”)")]
    FileAndFolder {
        /// The name.
        name: String,
        /// The entry that uses it the other way.
        other: String,
    },
}

/// A checked, relative, `/`-separated name of a file in a package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryName(String);

impl EntryName {
    /// Checks a name from a package's central directory or manifest.
    pub fn parse(raw: &str) -> Result<Self, EntryNameError> {
        let name = || raw.to_owned();
        if raw.is_empty() {
            return Err(EntryNameError::Empty);
        }
        if raw.len() > MAX_NAME_BYTES {
            return Err(EntryNameError::TooLong {
                prefix: raw.chars().take(40).collect(),
                bytes: raw.len(),
            });
        }
        if raw.chars().any(char::is_control) {
            return Err(EntryNameError::ControlCharacter { name: name() });
        }
        if raw.contains('\\') {
            return Err(EntryNameError::Backslash { name: name() });
        }
        if raw.starts_with('/') {
            return Err(EntryNameError::Absolute { name: name() });
        }
        if let Some(character) = raw.chars().find(|c| FORBIDDEN.contains(c)) {
            return Err(EntryNameError::ForbiddenCharacter {
                name: name(),
                character,
            });
        }
        let depth = raw.split('/').count();
        if depth > MAX_DEPTH {
            return Err(EntryNameError::TooDeep {
                name: name(),
                depth,
            });
        }
        for component in raw.split('/') {
            check_component(raw, component)?;
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name as written in the package.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The components, outermost folder first.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// Where this entry goes under `root`. Always inside `root`: a checked name has no absolute,
    /// parent or prefix components.
    pub fn to_path(&self, root: &Path) -> PathBuf {
        let mut path = root.to_path_buf();
        path.extend(self.components());
        path
    }

    /// The key two names collide on when a file system ignores case and Unicode normalisation.
    fn fold_key(&self) -> String {
        self.0.nfc().flat_map(char::to_lowercase).collect()
    }
}

impl fmt::Display for EntryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_component(raw: &str, component: &str) -> Result<(), EntryNameError> {
    let name = || raw.to_owned();
    if component.is_empty() {
        return Err(EntryNameError::EmptyComponent { name: name() });
    }
    if component == "." || component == ".." {
        return Err(EntryNameError::DotComponent { name: name() });
    }
    if component.len() > MAX_COMPONENT_BYTES {
        return Err(EntryNameError::ComponentTooLong { name: name() });
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Err(EntryNameError::TrailingDotOrSpace { name: name() });
    }
    // Windows reserves the device name whatever follows the first dot, with or without spaces
    // before it ("CON .txt").
    let stem = component.split('.').next().unwrap_or(component).trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Err(EntryNameError::ReservedName {
            name: name(),
            component: component.to_owned(),
        });
    }
    Ok(())
}

/// The checked names of one package, refusing any two that would be the same file anywhere, and
/// any name used both as a file and as a folder.
#[derive(Debug, Default)]
pub struct EntryNames {
    /// Folded key → the file name that claimed it.
    files: HashMap<String, EntryName>,
    /// Folded key of every folder some file sits in → one such file.
    folders: HashMap<String, EntryName>,
}

impl EntryNames {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the name of a file (zip folder entries are not added: folders follow from files).
    pub fn insert(&mut self, name: EntryName) -> Result<(), EntryNameError> {
        let key = name.fold_key();
        if let Some(first) = self.files.get(&key) {
            return Err(EntryNameError::Duplicate {
                name: name.0,
                first: first.0.clone(),
            });
        }
        if let Some(other) = self.folders.get(&key) {
            return Err(EntryNameError::FileAndFolder {
                name: name.0,
                other: other.0.clone(),
            });
        }
        let mut prefixes = Vec::new();
        let mut end = 0;
        for component in key.split('/') {
            if end > 0 {
                prefixes.push(key[..end - 1].to_owned());
            }
            end += component.len() + 1;
        }
        for prefix in &prefixes {
            if let Some(file) = self.files.get(prefix) {
                return Err(EntryNameError::FileAndFolder {
                    name: file.0.clone(),
                    other: name.0,
                });
            }
        }
        for prefix in prefixes {
            self.folders.entry(prefix).or_insert_with(|| name.clone());
        }
        self.files.insert(key, name);
        Ok(())
    }

    /// How many files were added.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file was added.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Component;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_ordinary_course_files() {
        for name in [
            "manifest.json",
            "pages/week-1/introduction.html",
            "media/C189 Domestic Workers Convention.pdf",
            "assets/img/logo.v2.png",
            "fr/résumé.html",
            ".well-known/x",
            "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p",
        ] {
            let parsed = EntryName::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(parsed.as_str(), name, "a valid name is kept as written");
        }
    }

    #[test]
    fn refuses_every_hostile_name_with_the_reason() {
        use EntryNameError as E;
        type IsExpected = fn(&EntryNameError) -> bool;
        let cases: &[(&str, IsExpected)] = &[
            ("", |e| matches!(e, E::Empty)),
            ("/etc/passwd", |e| matches!(e, E::Absolute { .. })),
            ("//server/share/x", |e| matches!(e, E::Absolute { .. })),
            ("../evil.html", |e| matches!(e, E::DotComponent { .. })),
            ("pages/../../evil", |e| matches!(e, E::DotComponent { .. })),
            ("./manifest.json", |e| matches!(e, E::DotComponent { .. })),
            ("pages\\..\\evil", |e| matches!(e, E::Backslash { .. })),
            ("C:/Windows/evil", |e| {
                matches!(e, E::ForbiddenCharacter { character: ':', .. })
            }),
            ("file.txt:stream", |e| {
                matches!(e, E::ForbiddenCharacter { .. })
            }),
            ("what?.html", |e| matches!(e, E::ForbiddenCharacter { .. })),
            ("a\0b", |e| matches!(e, E::ControlCharacter { .. })),
            ("line\nbreak", |e| matches!(e, E::ControlCharacter { .. })),
            ("pages//x.html", |e| matches!(e, E::EmptyComponent { .. })),
            ("pages/", |e| matches!(e, E::EmptyComponent { .. })),
            ("notes.", |e| matches!(e, E::TrailingDotOrSpace { .. })),
            ("folder /x", |e| matches!(e, E::TrailingDotOrSpace { .. })),
            ("CON", |e| matches!(e, E::ReservedName { .. })),
            ("pages/aux.html", |e| matches!(e, E::ReservedName { .. })),
            ("com1.txt", |e| matches!(e, E::ReservedName { .. })),
            ("Lpt9", |e| matches!(e, E::ReservedName { .. })),
            ("nul .txt", |e| matches!(e, E::ReservedName { .. })),
            ("COM¹", |e| matches!(e, E::ReservedName { .. })),
        ];
        for (name, expected) in cases {
            let error = EntryName::parse(name).expect_err(&format!("{name:?} must be refused"));
            assert!(
                expected(&error),
                "{name:?} refused for the wrong reason: {error:?}"
            );
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn refuses_names_too_long_or_too_deep() {
        let long = "a".repeat(MAX_NAME_BYTES + 1);
        assert!(matches!(
            EntryName::parse(&long),
            Err(EntryNameError::TooLong { .. })
        ));
        let component = "b".repeat(MAX_COMPONENT_BYTES + 1);
        assert!(matches!(
            EntryName::parse(&component),
            Err(EntryNameError::ComponentTooLong { .. })
        ));
        let deep = vec!["d"; MAX_DEPTH + 1].join("/");
        assert!(matches!(
            EntryName::parse(&deep),
            Err(EntryNameError::TooDeep { depth, .. }) if depth == MAX_DEPTH + 1
        ));
    }

    fn names(list: &[&str]) -> Result<EntryNames, EntryNameError> {
        let mut set = EntryNames::new();
        for name in list {
            set.insert(EntryName::parse(name)?)?;
        }
        Ok(set)
    }

    #[test]
    fn distinct_names_are_accepted() {
        let set = names(&["a/x.html", "a/y.html", "b/x.html", "ab"]).unwrap();
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn names_equal_on_windows_or_macos_are_duplicates() {
        for pair in [
            ["pages/Intro.html", "pages/intro.html"],
            ["PAGES/a", "pages/a"],
            // "é" precomposed (NFC) and decomposed (NFD): one file on APFS.
            ["r\u{e9}sum\u{e9}.html", "re\u{301}sume\u{301}.html"],
            ["same", "same"],
        ] {
            let error = names(&pair).expect_err(&format!("{pair:?} collide"));
            assert!(
                matches!(&error, EntryNameError::Duplicate { first, .. } if first == pair[0]),
                "{pair:?}: {error:?}"
            );
        }
    }

    #[test]
    fn a_name_cannot_be_both_file_and_folder() {
        for list in [["a", "a/b"], ["a/b", "a"], ["x/Y", "x/y/z"]] {
            let error = names(&list).expect_err(&format!("{list:?} overlap"));
            assert!(
                matches!(error, EntryNameError::FileAndFolder { .. }),
                "{list:?}: {error:?}"
            );
        }
    }

    fn hostile_name() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just(String::new()),
            Just("C:".to_owned()),
            Just("\\".to_owned()),
            Just("..\\x".to_owned()),
            Just("~".to_owned()),
            Just("CON".to_owned()),
            Just("a. ".to_owned()),
            r"[a-zA-Z0-9._ -]{1,6}",
        ];
        (any::<bool>(), prop::collection::vec(piece, 1..6)).prop_map(|(absolute, parts)| {
            let joined = parts.join("/");
            if absolute {
                format!("/{joined}")
            } else {
                joined
            }
        })
    }

    proptest! {
        /// Whatever a hostile zip contains, an accepted name lands inside the extraction root.
        /// Names are built from the pieces attacks are made of, so escapes are actually tried.
        #[test]
        fn an_accepted_name_always_stays_under_the_root(raw in hostile_name()) {
            if let Ok(name) = EntryName::parse(&raw) {
                let root = Path::new("/srv/carrel/content/staging");
                let path = name.to_path(root);
                prop_assert!(path.starts_with(root));
                prop_assert!(path.strip_prefix(root).unwrap().components().all(
                    |c| matches!(c, Component::Normal(_))
                ));
                prop_assert_eq!(name.as_str(), raw.as_str());
            }
        }

        /// The same after normalising the joined path lexically, the way a file system resolves
        /// it, with `\\` read as a separator too (as Windows does): `..` never climbs above the
        /// root, and no component becomes a drive, a device or an empty name. Any string is tried,
        /// not only attack pieces.
        #[test]
        fn an_accepted_name_stays_under_the_root_after_normalisation(
            raw in prop_oneof![hostile_name(), any::<String>(), r"[./\\:a-zA-Z~ ]{0,24}"]
        ) {
            if let Ok(name) = EntryName::parse(&raw) {
                let root = ["srv", "carrel", "content", "staging"];
                let mut resolved: Vec<&str> = root.to_vec();
                for part in name.as_str().split(['/', '\\']) {
                    match part {
                        "" | "." => prop_assert!(false, "{:?} has an empty or . part", raw),
                        ".." => { resolved.pop(); }
                        part => resolved.push(part),
                    }
                }
                prop_assert!(resolved.len() > root.len(), "{:?} resolves to the root or above", raw);
                prop_assert_eq!(&resolved[..root.len()], &root[..], "{:?} leaves the root", raw);
                prop_assert!(!raw.contains(':'), "{:?} could name a drive or a stream", raw);
            }
        }

        /// Names made of safe components are always accepted.
        #[test]
        fn safe_names_are_accepted(parts in prop::collection::vec(r"[a-z0-9_-]{1,12}(\.[a-z]{1,4})?", 1..=MAX_DEPTH)) {
            // Device names such as "con.txt" are rightly refused; the generator can make them.
            prop_assume!(parts.iter().all(|p| {
                let stem = p.split('.').next().unwrap_or(p);
                !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem))
            }));
            let raw = parts.join("/");
            prop_assert!(EntryName::parse(&raw).is_ok(), "{} was refused", raw);
        }
    }
}
