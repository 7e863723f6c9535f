//! Writing a package file: manifest, signature, then the content files, never a half-written file.
//!
//! The manifest and its signature come first in the zip so a reader of a partial download can tell
//! what it is; the content follows in manifest order. Already-compressed media is stored, the rest
//! deflated. The package is written to a temporary file beside the destination and renamed into
//! place only when complete and flushed to disk.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::archive::hex;
use crate::manifest::{CONTENT_PREFIX, FileEntry, MANIFEST_ENTRY, Manifest};
use crate::media::{is_precompressed, media_type_for};
use crate::signature::{SIGNATURE_ENTRY, SecretKey};

/// Why a package could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The manifest is not valid; nothing was written.
    #[error(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),
    /// A content file changed between hashing and packing.
    #[error("{path} changed while the package was being built; build it again")]
    Changed {
        /// The file.
        path: String,
    },
    /// Reading a source or writing the package failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: String,
        /// The cause.
        source: io::Error,
    },
}

fn io_error(operation: &'static str, path: &Path) -> impl FnOnce(io::Error) -> PackError {
    let path = path.display().to_string();
    move |source| PackError::Io {
        operation,
        path,
        source,
    }
}

/// The manifest entry for the file at `source`, to be stored in the package as `path`.
pub fn describe_file(path: &str, source: &Path) -> Result<FileEntry, PackError> {
    let mut file = File::open(source).map_err(io_error("read", source))?;
    let (size, sha256) = hash_reader(&mut file).map_err(io_error("read", source))?;
    Ok(FileEntry {
        path: path.to_owned(),
        size,
        sha256,
        media_type: media_type_for(path).to_owned(),
    })
}

/// The manifest entry for in-memory content stored as `path`.
pub fn describe_bytes(path: &str, bytes: &[u8]) -> FileEntry {
    FileEntry {
        path: path.to_owned(),
        size: bytes.len() as u64,
        sha256: hex(&Sha256::digest(bytes)),
        media_type: media_type_for(path).to_owned(),
    }
}

/// Size and SHA-256 of everything `reader` yields.
pub fn hash_reader(reader: &mut impl Read) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

/// Writes a signed package of `manifest` to `out`; `open` gives each listed file's content.
/// Every file is re-hashed while it is written, so a file changed since it was described is
/// caught instead of shipped with a wrong hash.
pub fn write_package(
    out: &Path,
    manifest: &Manifest,
    key: &SecretKey,
    mut open: impl FnMut(&FileEntry) -> io::Result<Box<dyn Read>>,
) -> Result<(), PackError> {
    manifest.validate()?;
    let manifest_bytes = manifest.to_bytes();
    let signature_bytes = key.sign(&manifest_bytes).to_bytes();

    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(io_error("create a file in", dir))?;
    let write_error = io_error("write", temp.path());
    let mut zip = ZipWriter::new(BufWriter::with_capacity(
        1024 * 1024,
        temp.reopen().map_err(io_error("open", temp.path()))?,
    ));
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .unix_permissions(0o644);
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .unix_permissions(0o644);

    let result = (|| -> Result<(), PackError> {
        let zip_error = |e: zip::result::ZipError| PackError::Io {
            operation: "write",
            path: out.display().to_string(),
            source: e.into(),
        };
        zip.start_file(MANIFEST_ENTRY, deflated)
            .map_err(zip_error)?;
        zip.write_all(&manifest_bytes)
            .map_err(|e| zip_error(e.into()))?;
        zip.start_file(SIGNATURE_ENTRY, deflated)
            .map_err(zip_error)?;
        zip.write_all(&signature_bytes)
            .map_err(|e| zip_error(e.into()))?;
        for file in &manifest.files {
            let options = if is_precompressed(&file.media_type) {
                stored
            } else {
                deflated
            }
            .large_file(file.size >= u64::from(u32::MAX));
            zip.start_file(format!("{CONTENT_PREFIX}{}", file.path), options)
                .map_err(zip_error)?;
            let mut source = open(file).map_err(|source| PackError::Io {
                operation: "read",
                path: file.path.clone(),
                source,
            })?;
            let mut hashing = HashingWriter {
                inner: &mut zip,
                hasher: Sha256::new(),
                written: 0,
            };
            io::copy(&mut source, &mut hashing).map_err(|e| zip_error(e.into()))?;
            if hashing.written != file.size || hex(&hashing.hasher.finalize()) != file.sha256 {
                return Err(PackError::Changed {
                    path: file.path.clone(),
                });
            }
        }
        let mut writer = zip.finish().map_err(zip_error)?;
        writer.flush().map_err(|e| zip_error(e.into()))?;
        Ok(())
    })();
    result?;
    // A package is meant to be shared: readable by all, like any downloaded file.
    #[cfg(unix)]
    temp.as_file()
        .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .map_err(io_error("set permissions of", temp.path()))?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(out)
        .map_err(|e| e.error)
        .map_err(io_error("move the finished package to", out))?;
    Ok(())
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
