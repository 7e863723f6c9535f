//! The attachment store: files attached to assignment drafts, copied in and named by their
//! SHA-256, so a draft and its submissions keep their files whatever happens to the originals.
//!
//! A file is copied to a temporary name while it is hashed and measured, flushed, then renamed to
//! `<root>/<first two hex digits>/<sha256>`: a crash leaves either no object or a whole one. The
//! same file attached twice is stored once. Objects are checked against their name before they
//! are submitted.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use carrel_package::archive::hex;
use sha2::{Digest, Sha256};

use super::AssessError;

/// The attachment store at one folder.
#[derive(Debug, Clone)]
pub struct AttachmentStore {
    root: PathBuf,
}

/// A file copied into the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its SHA-256.
    pub sha256: String,
    /// Its length in bytes.
    pub size: u64,
}

fn attachment_error(name: &str, problem: impl Into<String>) -> AssessError {
    AssessError::Attachment {
        name: name.to_owned(),
        problem: problem.into(),
    }
}

impl AttachmentStore {
    /// The store at `root` (created when the first file is added).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Where the object named `sha256` is.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Copies the file at `source` in, refusing it when it is larger than `max_bytes`.
    pub fn put(&self, source: &Path, max_bytes: Option<u64>) -> Result<Stored, AssessError> {
        let name = source.file_name().map_or_else(
            || source.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let too_large = |limit: u64| {
            attachment_error(
                &name,
                format!(
                    "it is larger than the {} allowed; make it smaller (export as PDF, compress its images) or split it",
                    human_size(limit)
                ),
            )
        };
        let metadata = std::fs::metadata(source).map_err(|error| {
            attachment_error(
                &name,
                format!("it cannot be read ({error}); check it still exists"),
            )
        })?;
        if !metadata.is_file() {
            return Err(attachment_error(&name, "it is a folder, not a file"));
        }
        if let Some(limit) = max_bytes
            && metadata.len() > limit
        {
            return Err(too_large(limit));
        }
        let mut input = File::open(source)
            .map_err(|error| attachment_error(&name, format!("it cannot be opened ({error})")))?;
        let temp_dir = self.root.join("incoming");
        std::fs::create_dir_all(&temp_dir).map_err(|error| store_error(&temp_dir, error))?;
        let temp = temp_dir.join(format!("{}.part", crate::progress::new_event_id()));
        let result = (|| {
            let mut output = File::create_new(&temp).map_err(|error| store_error(&temp, error))?;
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = input.read(&mut buffer).map_err(|error| {
                    attachment_error(&name, format!("reading it failed ({error})"))
                })?;
                if n == 0 {
                    break;
                }
                size += n as u64;
                if let Some(limit) = max_bytes
                    && size > limit
                {
                    return Err(too_large(limit));
                }
                hasher.update(&buffer[..n]);
                output
                    .write_all(&buffer[..n])
                    .map_err(|error| store_error(&temp, error))?;
            }
            output
                .sync_all()
                .map_err(|error| store_error(&temp, error))?;
            let sha256 = hex(&hasher.finalize());
            let object = self.path_of(&sha256);
            let shard = object.parent().expect("objects are in a shard");
            std::fs::create_dir_all(shard).map_err(|error| store_error(shard, error))?;
            if object.exists() {
                std::fs::remove_file(&temp).map_err(|error| store_error(&temp, error))?;
            } else {
                std::fs::rename(&temp, &object).map_err(|error| store_error(&object, error))?;
                if let Ok(dir) = File::open(shard) {
                    let _ = dir.sync_all();
                }
            }
            Ok(Stored { sha256, size })
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }

    /// A new file's path in the store's `incoming/` folder, for a download on its way in (remove
    /// it when done: [`Self::put`] copies it into place).
    pub fn incoming(&self) -> Result<PathBuf, AssessError> {
        let temp_dir = self.root.join("incoming");
        std::fs::create_dir_all(&temp_dir).map_err(|error| store_error(&temp_dir, error))?;
        Ok(temp_dir.join(format!("{}.download", crate::progress::new_event_id())))
    }

    /// Whether the object named `sha256` is there with `size` bytes (what it was checked to be
    /// when written; [`AttachmentStore::verify`] reads it whole).
    pub fn holds(&self, sha256: &str, size: u64) -> bool {
        std::fs::metadata(self.path_of(sha256))
            .is_ok_and(|meta| meta.is_file() && meta.len() == size)
    }

    /// Checks that the object named `sha256` is there and whole; `name` is for the message.
    pub fn verify(&self, sha256: &str, name: &str) -> Result<(), AssessError> {
        let path = self.path_of(sha256);
        let mut file = File::open(&path).map_err(|_| {
            attachment_error(
                name,
                "Carrel's copy of it is missing; remove it and attach the file again",
            )
        })?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher).map_err(|error| {
            attachment_error(
                name,
                format!("Carrel's copy of it cannot be read ({error})"),
            )
        })?;
        let actual = hex(&hasher.finalize());
        if actual != sha256 {
            return Err(attachment_error(
                name,
                "Carrel's copy of it is damaged; remove it and attach the file again",
            ));
        }
        Ok(())
    }
}

fn store_error(path: &Path, error: std::io::Error) -> AssessError {
    AssessError::Io(format!("could not write {}: {error}", path.display()))
}

/// "20 MB", "512 KB": sizes for people (powers of 1024, as file managers on every platform
/// except macOS show them).
pub fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        let mb = bytes as f64 / MIB as f64;
        if mb.fract() == 0.0 {
            format!("{mb:.0} MB")
        } else {
            format!("{mb:.1} MB")
        }
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}
