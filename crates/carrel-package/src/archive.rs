//! Reading a package file: every check that can be made before a byte is written, then one
//! streaming pass that hashes while it reads.
//!
//! [`PackageArchive::open`] reads the zip's central directory and refuses the whole package on the
//! first problem, naming it: a file that is not a complete zip, too many entries, entries that
//! overlap (the trick behind small-file bombs), a bad entry name ([`crate::entry_name`]), a
//! symlink, a folder entry, encryption, an unknown compression method, a compression ratio only a
//! bomb has, a missing or oversized manifest or signature, a signature that does not match, a
//! manifest this build cannot read, an entry the manifest does not list, a listed file with no
//! entry, or an entry whose size differs from the manifest's. Only then can the caller stream the
//! files with [`PackageArchive::read_files`], which reads each one once, decompressing no more than
//! its listed size and checking its size, CRC and SHA-256 as it goes.
//!
//! Nothing here writes to disk; [`crate::store`] decides where the bytes go.

use std::collections::HashMap;
use std::io::{self, Read, Seek};

use sha2::{Digest, Sha256};
use zip::CompressionMethod;
use zip::ZipArchive;

use crate::entry_name::{EntryName, EntryNameError, EntryNames};
use crate::manifest::{
    CONTENT_PREFIX, FileEntry, MANIFEST_ENTRY, MAX_MANIFEST_BYTES, Manifest, ManifestError,
};
use crate::signature::{
    MAX_SIGNATURE_BYTES, PackageSignature, PublicKey, SIGNATURE_ENTRY, SignatureError,
};

/// Caps that bound what a package can make Carrel do before anything is trusted.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most entries in the zip.
    pub max_entries: usize,
    /// Largest total of the content files, in bytes.
    pub max_total_bytes: u64,
    /// Highest compression ratio accepted for an entry larger than [`Self::ratio_floor_bytes`].
    pub max_ratio: u64,
    /// Entries at most this large are not ratio-checked (tiny files compress absurdly well).
    pub ratio_floor_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 100_000,
            max_total_bytes: 32 * 1024 * 1024 * 1024,
            max_ratio: 200,
            ratio_floor_bytes: 1024 * 1024,
        }
    }
}

/// Why a package file is refused. Every message names the first problem found, in plain words.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The bytes are not a complete zip file.
    #[error(
        "this file is not a complete course package ({0}); it may be damaged or only partly downloaded — download or copy it again"
    )]
    NotAZip(String),
    /// More entries than [`Limits::max_entries`].
    #[error("the package has {found} entries; Carrel accepts at most {limit}")]
    TooManyEntries {
        /// Entries found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// Entries share bytes: a way to make a small file expand into a huge one.
    #[error("the package's entries overlap each other, which only a malicious or broken file does")]
    Overlapping,
    /// A name that is not valid UTF-8.
    #[error("the package has an entry whose name is not valid text")]
    NameNotUtf8,
    /// A bad entry name.
    #[error(transparent)]
    Name(#[from] EntryNameError),
    /// A symbolic link.
    #[error("the package entry “{0}” is a symbolic link; packages may only hold plain files")]
    Symlink(String),
    /// A folder entry.
    #[error("the package entry “{0}” is a folder entry; packages list files only")]
    Folder(String),
    /// An encrypted entry.
    #[error("the package entry “{0}” is encrypted; packages are signed, not encrypted")]
    Encrypted(String),
    /// A compression method other than stored or deflate.
    #[error(
        "the package entry “{name}” uses the compression method {method}; only stored and deflate are allowed"
    )]
    Compression {
        /// The entry.
        name: String,
        /// The method.
        method: String,
    },
    /// A compression ratio only a bomb has.
    #[error(
        "the package entry “{name}” would expand {ratio} times ({size} bytes from {compressed}); the limit is {limit} times"
    )]
    Ratio {
        /// The entry.
        name: String,
        /// Its uncompressed size.
        size: u64,
        /// Its compressed size.
        compressed: u64,
        /// The ratio.
        ratio: u64,
        /// The limit.
        limit: u64,
    },
    /// The manifest or signature is missing.
    #[error("the package has no {0}; it is not a Carrel course package")]
    Missing(&'static str),
    /// The manifest or signature is too large.
    #[error("the package's {what} is {size} bytes; the limit is {limit}")]
    TooLarge {
        /// Manifest or signature.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The signature does not check.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The manifest is not one this build can use.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// An entry the manifest does not list.
    #[error("the package entry “{0}” is not listed in its manifest")]
    Unlisted(String),
    /// A listed file with no entry.
    #[error("the package lists the file “{0}” but does not contain it")]
    Absent(String),
    /// An entry whose size differs from its manifest size.
    #[error("the package file “{path}” is {found} bytes but its manifest says {expected}")]
    SizeMismatch {
        /// The file.
        path: String,
        /// Size in the manifest.
        expected: u64,
        /// Size in the zip, or as read.
        found: u64,
    },
    /// Content that does not hash to its manifest value.
    #[error(
        "the package file “{0}” does not match its signed hash: the package was changed after it was signed"
    )]
    HashMismatch(String),
    /// The files add up to more than [`Limits::max_total_bytes`].
    #[error("the package's files add up to {total} bytes; Carrel accepts at most {limit}")]
    TotalTooLarge {
        /// The total.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading failed part-way (a damaged entry, a CRC error, a cut file).
    #[error("could not read “{path}” from the package: {source}")]
    Read {
        /// The entry.
        path: String,
        /// The cause.
        source: io::Error,
    },
}

/// An opened, checked package whose files can now be streamed.
pub struct PackageArchive<R> {
    zip: ZipArchive<R>,
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    signature: PackageSignature,
    publisher: PublicKey,
    index_of: HashMap<String, usize>,
}

impl<R: Read + Seek> PackageArchive<R> {
    /// Opens and checks a package (see the module docs for every check).
    pub fn open(reader: R, limits: &Limits) -> Result<Self, ArchiveError> {
        let mut zip =
            ZipArchive::new(reader).map_err(|error| ArchiveError::NotAZip(error.to_string()))?;
        let entries = check_entries(&mut zip, limits, Folders::Refuse)?;

        let manifest_bytes = read_small(
            &mut zip,
            &entries,
            MANIFEST_ENTRY,
            "manifest",
            MAX_MANIFEST_BYTES,
        )?;
        let signature_bytes = read_small(
            &mut zip,
            &entries,
            SIGNATURE_ENTRY,
            "signature",
            MAX_SIGNATURE_BYTES,
        )?;
        // The version decides first, so a newer package says "update Carrel" whatever else changed.
        Manifest::check_version(&manifest_bytes)?;
        let signature = PackageSignature::parse(&signature_bytes)?;
        let publisher = signature.verify(&manifest_bytes)?;
        let manifest = Manifest::parse(&manifest_bytes)?;

        let total = manifest.total_size();
        if total > limits.max_total_bytes {
            return Err(ArchiveError::TotalTooLarge {
                total,
                limit: limits.max_total_bytes,
            });
        }
        let mut index_of = HashMap::with_capacity(manifest.files.len());
        for file in &manifest.files {
            let name = format!("{CONTENT_PREFIX}{}", file.path);
            let Some(&(index, size)) = entries.get(&name) else {
                return Err(ArchiveError::Absent(file.path.clone()));
            };
            if size != file.size {
                return Err(ArchiveError::SizeMismatch {
                    path: file.path.clone(),
                    expected: file.size,
                    found: size,
                });
            }
            index_of.insert(file.path.clone(), index);
        }
        if let Some(extra) = entries.keys().find(|name| {
            *name != MANIFEST_ENTRY
                && *name != SIGNATURE_ENTRY
                && name
                    .strip_prefix(CONTENT_PREFIX)
                    .is_none_or(|path| !index_of.contains_key(path))
        }) {
            return Err(ArchiveError::Unlisted(extra.clone()));
        }

        Ok(Self {
            zip,
            manifest,
            manifest_bytes,
            signature,
            publisher,
            index_of,
        })
    }

    /// The checked manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest's exact signed bytes.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The signature.
    pub fn signature(&self) -> &PackageSignature {
        &self.signature
    }

    /// The key that signed the package (not yet a trusted one: see [`crate::store`]).
    pub fn publisher(&self) -> &PublicKey {
        &self.publisher
    }

    /// Streams each listed file for which `wanted` is true, in archive order (one forward pass),
    /// to `consume`, which must read the reader to its end. Each file's size, CRC and SHA-256 are
    /// checked as it is read; the first mismatch stops the pass with an error.
    pub fn read_files(
        &mut self,
        mut wanted: impl FnMut(&FileEntry) -> bool,
        mut consume: impl FnMut(&FileEntry, &mut dyn Read) -> io::Result<()>,
    ) -> Result<(), ArchiveError> {
        let mut order: Vec<(usize, &FileEntry)> = self
            .manifest
            .files
            .iter()
            .filter(|file| wanted(file))
            .map(|file| (self.index_of[&file.path], file))
            .collect();
        order.sort_unstable_by_key(|(index, _)| *index);
        for (index, file) in order {
            let entry = self.zip.by_index(index).map_err(|e| ArchiveError::Read {
                path: file.path.clone(),
                source: e.into(),
            })?;
            read_verified(file, entry, &mut consume)?;
        }
        Ok(())
    }
}

/// What [`check_entries`] does with folder entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folders {
    /// Refuse them: a Carrel package lists files only.
    Refuse,
    /// Skip them, after checking their names: zips made by other tools (SCORM, cmi5) have them.
    Skip,
}

/// Checks every entry of a zip's central directory before a byte is extracted: the number of
/// entries, overlaps, names ([`EntryName`], and no two the same file), no symbolic links, no
/// encryption, only stored or deflate, no bomb-like ratio. Returns each file's index and size by
/// name. Shared by Carrel packages and the standard packages `carrel-standards` converts.
pub fn check_entries<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    limits: &Limits,
    folders: Folders,
) -> Result<HashMap<String, (usize, u64)>, ArchiveError> {
    if zip.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            found: zip.len(),
            limit: limits.max_entries,
        });
    }
    if zip
        .has_overlapping_entries()
        .map_err(|error| ArchiveError::NotAZip(error.to_string()))?
    {
        return Err(ArchiveError::Overlapping);
    }

    let mut names = EntryNames::new();
    let mut entries: HashMap<String, (usize, u64)> = HashMap::new();
    for index in 0..zip.len() {
        let entry = zip
            .by_index_data(index)
            .map_err(|error| ArchiveError::NotAZip(error.to_string()))?;
        let raw = std::str::from_utf8(entry.name_raw()).map_err(|_| ArchiveError::NameNotUtf8)?;
        if entry.is_dir() {
            if folders == Folders::Refuse {
                return Err(ArchiveError::Folder(raw.to_owned()));
            }
            EntryName::parse(raw.trim_end_matches('/'))?;
            continue;
        }
        let name = EntryName::parse(raw)?;
        let is_link = entry.is_symlink()
            || entry
                .unix_mode()
                .is_some_and(|mode| mode & 0o170_000 == 0o120_000);
        if is_link {
            return Err(ArchiveError::Symlink(name.to_string()));
        }
        if entry.encrypted() {
            return Err(ArchiveError::Encrypted(name.to_string()));
        }
        let method = entry.compression();
        if !matches!(
            method,
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            return Err(ArchiveError::Compression {
                name: name.to_string(),
                method: format!("{method:?}"),
            });
        }
        let (size, compressed) = (entry.size(), entry.compressed_size());
        if size > limits.ratio_floor_bytes {
            let ratio = size / compressed.max(1);
            if ratio > limits.max_ratio {
                return Err(ArchiveError::Ratio {
                    name: name.to_string(),
                    size,
                    compressed,
                    ratio,
                    limit: limits.max_ratio,
                });
            }
        }
        names.insert(name.clone())?;
        entries.insert(name.as_str().to_owned(), (index, size));
    }
    Ok(entries)
}

/// Reads a small, required entry whole, refusing one larger than `limit`.
fn read_small<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    entries: &HashMap<String, (usize, u64)>,
    name: &str,
    what: &'static str,
    limit: u64,
) -> Result<Vec<u8>, ArchiveError> {
    let &(index, size) = entries.get(name).ok_or(ArchiveError::Missing(what))?;
    if size > limit {
        return Err(ArchiveError::TooLarge { what, size, limit });
    }
    let read_error = |source| ArchiveError::Read {
        path: name.to_owned(),
        source,
    };
    let mut bytes = Vec::with_capacity(size as usize);
    zip.by_index(index)
        .map_err(|e| read_error(e.into()))?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 != size {
        return Err(ArchiveError::SizeMismatch {
            path: name.to_owned(),
            expected: size,
            found: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

/// Gives `consume` the content of `file` from `reader`, reading no more than its listed size plus
/// one byte, and checks that exactly its listed size came through with its listed SHA-256.
pub fn read_verified(
    file: &FileEntry,
    reader: impl Read,
    consume: &mut (impl FnMut(&FileEntry, &mut dyn Read) -> io::Result<()> + ?Sized),
) -> Result<(), ArchiveError> {
    let read_error = |source| ArchiveError::Read {
        path: file.path.clone(),
        source,
    };
    let mut reader = VerifyingReader {
        inner: reader.take(file.size + 1),
        hasher: Sha256::new(),
        read: 0,
    };
    consume(file, &mut reader).map_err(read_error)?;
    // Drain whatever the consumer left, so the size and hash cover every byte.
    io::copy(&mut reader, &mut io::sink()).map_err(read_error)?;
    if reader.read != file.size {
        return Err(ArchiveError::SizeMismatch {
            path: file.path.clone(),
            expected: file.size,
            found: reader.read,
        });
    }
    if hex(&reader.hasher.finalize()) != file.sha256 {
        return Err(ArchiveError::HashMismatch(file.path.clone()));
    }
    Ok(())
}

/// Counts and hashes what passes through.
struct VerifyingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
