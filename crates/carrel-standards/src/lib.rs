//! SCORM 1.2, SCORM 2004 and cmi5 packages: read, checked against their own standard, and
//! converted into signed Carrel course packages.
//!
//! Much course content exists as SCORM or cmi5 zips. [`StandardPackage::open`] reads one with the
//! same safety rules as a Carrel package (every entry name, size and ratio is checked before a byte
//! is extracted, see [`carrel_package::check_entries`]), finds which standard it follows
//! (`imsmanifest.xml` for SCORM, `cmi5.xml` for cmi5), and checks it against that standard: a
//! package that breaks its own standard is refused with the reason ([`StandardError`]).
//!
//! [`StandardPackage::convert`] then writes a Carrel package of it: every file of the zip, and an
//! outline whose items are of kind [`ItemKind::Scorm`] or [`ItemKind::Cmi5`], signed by the
//! publisher like any course. From there on it is a Carrel course: the same import, trust,
//! pinning and update rules apply, and the app plays it with its SCORM runtime or as its cmi5
//! LMS. Carrel ids are derived from the standard's own identifiers ([`carrel_id`]), which are as
//! stable as Carrel ids must be, so progress follows an item to the next version of the package.
//!
//! The mapping of both standards to Carrel's course → blocks → modules → items is described in
//! `docs/standards.md`.

mod cmi5;
mod convert;
mod scorm;
pub mod testing;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use carrel_package::manifest::ItemKind;
use carrel_package::{ArchiveError, Folders, Limits, check_entries};
use sha2::{Digest, Sha256};
use zip::ZipArchive;

pub use convert::ConvertOptions;

/// The standard a package follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standard {
    /// SCORM 1.2.
    Scorm12,
    /// SCORM 2004 (2nd, 3rd or 4th edition).
    Scorm2004,
    /// cmi5.
    Cmi5,
}

impl Standard {
    /// How people name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Scorm12 => "SCORM 1.2",
            Self::Scorm2004 => "SCORM 2004",
            Self::Cmi5 => "cmi5",
        }
    }
}

/// A package read and checked: its course, in the standard's own terms mapped onto Carrel's.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCourse {
    /// The standard it follows.
    pub standard: Standard,
    /// The package's own identifier (SCORM manifest `identifier`, cmi5 course IRI).
    pub identifier: String,
    /// Its title.
    pub title: String,
    /// Its description, if it has one (plain text).
    pub description: String,
    /// The language of its title, if the package says (cmi5 `langstring`).
    pub language: Option<String>,
    /// Its launchable activities grouped into modules, in the package's order.
    pub modules: Vec<ImportedModule>,
    /// Things the standard allows but that look wrong (files listed but absent…), for the report.
    pub warnings: Vec<String>,
}

/// A group of activities: a SCORM item with children, a cmi5 block, or a run of activities at the
/// top of the package.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedModule {
    /// The identifier it is known by (for a run at the top: its first activity's, with `#module`).
    pub identifier: String,
    /// Its title.
    pub title: String,
    /// Its activities, in order.
    pub items: Vec<ImportedItem>,
}

/// One launchable activity: a SCORM item with a resource, a cmi5 AU.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedItem {
    /// The standard's identifier (SCORM item identifier, cmi5 AU IRI).
    pub identifier: String,
    /// Its title.
    pub title: String,
    /// What Carrel stores about it ([`ItemKind::Scorm`] or [`ItemKind::Cmi5`]).
    pub kind: ItemKind,
}

/// Why a package is refused. Each message names the file, element or entry at fault.
#[derive(Debug, thiserror::Error)]
pub enum StandardError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The zip itself is unsafe or damaged (the same checks as a Carrel package's).
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// Neither `imsmanifest.xml` nor `cmi5.xml` at the top of the zip.
    #[error(
        "this is neither a SCORM nor a cmi5 package: it has no imsmanifest.xml or cmi5.xml at the top of the zip{hint}"
    )]
    Unrecognised {
        /// Where such a file was found deeper, if it was.
        hint: String,
    },
    /// The package descriptor is not well-formed XML.
    #[error("{file} is not well-formed XML: {detail}")]
    Xml {
        /// `imsmanifest.xml` or `cmi5.xml`.
        file: &'static str,
        /// What the parser said.
        detail: String,
    },
    /// The package breaks a rule of its standard.
    #[error("this {standard} package is not valid: {reason}")]
    Invalid {
        /// The standard.
        standard: &'static str,
        /// What is wrong, naming the element.
        reason: String,
    },
    /// The package is valid but needs something Carrel cannot give offline.
    #[error("this {standard} package cannot be played offline: {reason}")]
    Unsupported {
        /// The standard.
        standard: &'static str,
        /// What it needs.
        reason: String,
    },
    /// Writing the Carrel package failed.
    #[error(transparent)]
    Pack(#[from] carrel_package::pack::PackError),
}

/// The largest descriptor (`imsmanifest.xml`, `cmi5.xml`) read, in bytes.
pub const MAX_DESCRIPTOR_BYTES: u64 = 8 * 1024 * 1024;

/// A SCORM or cmi5 zip, opened and checked.
pub struct StandardPackage {
    path: PathBuf,
    zip: ZipArchive<File>,
    entries: HashMap<String, (usize, u64)>,
    course: ImportedCourse,
}

impl std::fmt::Debug for StandardPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandardPackage")
            .field("path", &self.path)
            .field("course", &self.course)
            .finish_non_exhaustive()
    }
}

impl StandardPackage {
    /// Opens the zip at `path`, checks every entry, finds its standard and checks the package
    /// against it.
    pub fn open(path: &Path) -> Result<Self, StandardError> {
        let io_error = |source| StandardError::Io {
            path: path.to_owned(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let mut zip =
            ZipArchive::new(file).map_err(|error| ArchiveError::NotAZip(error.to_string()))?;
        let limits = Limits::default();
        let entries = check_entries(&mut zip, &limits, Folders::Skip)?;
        let total: u64 = entries.values().map(|&(_, size)| size).sum();
        if total > limits.max_total_bytes {
            return Err(ArchiveError::TotalTooLarge {
                total,
                limit: limits.max_total_bytes,
            }
            .into());
        }
        let files = Files { entries: &entries };
        let course = if entries.contains_key(scorm::MANIFEST) {
            let xml = read_descriptor(&mut zip, &entries, scorm::MANIFEST)?;
            scorm::parse(&xml, &files)?
        } else if entries.contains_key(cmi5::COURSE_STRUCTURE) {
            let xml = read_descriptor(&mut zip, &entries, cmi5::COURSE_STRUCTURE)?;
            cmi5::parse(&xml, &files)?
        } else {
            let deeper = entries.keys().find(|name| {
                name.ends_with(&format!("/{}", scorm::MANIFEST))
                    || name.ends_with(&format!("/{}", cmi5::COURSE_STRUCTURE))
            });
            return Err(StandardError::Unrecognised {
                hint: deeper
                    .map(|name| {
                        format!(
                            " (it has {name}: zip the contents of that folder, not the folder itself)"
                        )
                    })
                    .unwrap_or_default(),
            });
        };
        Ok(Self {
            path: path.to_owned(),
            zip,
            entries,
            course,
        })
    }

    /// The course as read from the package.
    pub fn course(&self) -> &ImportedCourse {
        &self.course
    }

    /// The files of the zip (folder entries aside), sorted.
    pub fn file_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.entries.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// The set of files in the zip, as the descriptors' parsers see it.
pub(crate) struct Files<'a> {
    entries: &'a HashMap<String, (usize, u64)>,
}

impl Files<'_> {
    pub(crate) fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }
}

fn read_descriptor(
    zip: &mut ZipArchive<File>,
    entries: &HashMap<String, (usize, u64)>,
    name: &'static str,
) -> Result<String, StandardError> {
    let &(index, size) = entries.get(name).ok_or(StandardError::Unrecognised {
        hint: String::new(),
    })?;
    if size > MAX_DESCRIPTOR_BYTES {
        return Err(StandardError::Invalid {
            standard: if name == cmi5::COURSE_STRUCTURE {
                "cmi5"
            } else {
                "SCORM"
            },
            reason: format!("{name} is {size} bytes; Carrel reads at most {MAX_DESCRIPTOR_BYTES}"),
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    copy_entry(zip, index, name, size, &mut bytes)?;
    // A UTF-8 byte order mark is common in files written on Windows.
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    String::from_utf8(text.to_vec()).map_err(|_| StandardError::Xml {
        file: name,
        detail: "it is not UTF-8 text".to_owned(),
    })
}

/// Copies one entry into `out`, reading at most `size` + 1 bytes: a size that lies, or a CRC-32
/// that does not match, is an error naming the entry.
pub(crate) fn copy_entry(
    zip: &mut ZipArchive<File>,
    index: usize,
    name: &str,
    size: u64,
    out: &mut impl io::Write,
) -> Result<(), StandardError> {
    let read_error = |source: io::Error| ArchiveError::Read {
        path: name.to_owned(),
        source,
    };
    let entry = zip
        .by_index(index)
        .map_err(|error| read_error(error.into()))?;
    let copied = io::copy(&mut entry.take(size + 1), out).map_err(read_error)?;
    if copied != size {
        return Err(ArchiveError::SizeMismatch {
            path: name.to_owned(),
            expected: size,
            found: copied,
        }
        .into());
    }
    Ok(())
}

/// The child elements of `node` with the local name `name` (namespaces are not compared: real
/// packages are loose with them).
pub(crate) fn elements<'a, 'x>(
    node: roxmltree::Node<'a, 'x>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'x>> {
    node.children()
        .filter(move |child| child.is_element() && child.tag_name().name() == name)
}

/// Parses `xml` with no DTD (so no entity can expand), the way both descriptors are read.
pub(crate) fn parse_xml<'x>(
    file: &'static str,
    xml: &'x str,
) -> Result<roxmltree::Document<'x>, StandardError> {
    roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: 1_000_000,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .map_err(|error| StandardError::Xml {
        file,
        detail: error.to_string(),
    })
}

/// The text of an element with white space collapsed, as both standards mean it.
pub(crate) fn collapsed_text(node: roxmltree::Node<'_, '_>) -> String {
    let text: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A relative reference inside a package, resolved to a zip entry name and its query string:
/// `./a/../b%20c.html?x=1#top` → (`b c.html`, `x=1`). `None` for an absolute URL, a path that
/// leaves the package, or bad percent-encoding.
pub(crate) fn resolve_href(base: &str, href: &str) -> Option<(String, String)> {
    let href = href.trim();
    let (rest, _fragment) = href.split_once('#').unwrap_or((href, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if is_absolute_url(path) || path.starts_with('/') || path.starts_with('\\') {
        return None;
    }
    let joined = format!("{base}{path}");
    let mut parts: Vec<String> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(percent_decode(other)?),
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some((parts.join("/"), query.to_owned()))
}

/// Whether `value` starts with a URL scheme (`https:`, `javascript:`…).
pub(crate) fn is_absolute_url(value: &str) -> bool {
    value.split_once(':').is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

fn percent_decode(part: &str) -> Option<String> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = part.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Carrel id for a standard's identifier: a readable part (the identifier's last segment,
/// lower-cased, other characters as `-`) and 8 hex digits of its SHA-256, so two identifiers
/// never share an id and the same identifier always gives the same one.
pub fn carrel_id(identifier: &str) -> String {
    let last = identifier
        .trim_end_matches(['/', '#'])
        .rsplit(['/', '#', ':'])
        .find(|segment| !segment.is_empty())
        .unwrap_or(identifier);
    let mut slug = String::new();
    for c in last.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let digest = Sha256::digest(identifier.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    if slug.is_empty() {
        hash
    } else {
        format!("{slug}-{hash}")
    }
}

/// The first identifier that occurs a second time.
pub(crate) fn first_duplicate<'a>(ids: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().find(|&id| !seen.insert(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_resolve_inside_the_package_only() {
        assert_eq!(
            resolve_href("", "shared/launchpage.html"),
            Some(("shared/launchpage.html".into(), String::new()))
        );
        assert_eq!(
            resolve_href("course/", "./a/../b%20c.html?x=1&y=2#top"),
            Some(("course/b c.html".into(), "x=1&y=2".into()))
        );
        assert_eq!(resolve_href("", "../outside.html"), None);
        assert_eq!(resolve_href("", "/etc/passwd"), None);
        assert_eq!(resolve_href("", "https://example.org/x.html"), None);
        assert_eq!(resolve_href("", "javascript:alert(1)"), None);
        assert_eq!(resolve_href("", "bad%zz.html"), None);
    }

    #[test]
    fn carrel_ids_are_valid_stable_and_distinct() {
        let a = carrel_id("https://w3id.org/xapi/cmi5/catapult/lts/au/001-essentials");
        assert!(a.starts_with("001-essentials-"), "{a}");
        assert_eq!(
            a,
            carrel_id("https://w3id.org/xapi/cmi5/catapult/lts/au/001-essentials")
        );
        assert_ne!(carrel_id("item_1"), carrel_id("ITEM_1"));
        for id in [
            "item_1",
            "https://x.org/au/0",
            "___",
            "Ünïcode Ïdentifier",
            &"x".repeat(300),
        ] {
            let carrel = carrel_id(id);
            assert!(
                carrel_package::manifest::is_valid_id(&carrel),
                "{id} → {carrel}"
            );
        }
    }
}
