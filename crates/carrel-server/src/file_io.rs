//! File work that several areas of the data folder share: the I/O error that says what was being
//! done to which path, and copying a file in so that a crash never leaves a half-written file
//! under its final name.
//!
//! A file comes in under a temporary name beside where it will live ([`copy_in`]: hashed on the
//! way and flushed to disk), is renamed into place ([`move_into_place`]), and the folder is
//! flushed ([`sync_dir`]) before the database points at it. A crash before the rename leaves only
//! a temporary copy, which the next run removes ([`remove_leftovers`], under the publish lock).
//!
//! Each area keeps its own error enum; a [`FileIoError`] becomes its `Io` variant through `From`
//! ([`from_file_io!`]), so `?` works in each.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

/// Prefix of a file being copied in; removed by [`remove_leftovers`] if a crash left one behind.
const TEMP_PREFIX: &str = ".publishing-";
const CHUNK: usize = 256 * 1024;

/// A file operation that failed.
#[derive(Debug)]
pub(crate) struct FileIoError {
    /// What was being done ("open", "move the bundle to").
    pub(crate) operation: &'static str,
    /// The file or folder.
    pub(crate) path: PathBuf,
    /// Why.
    pub(crate) source: io::Error,
}

/// For `map_err`: the failure of `operation` on `path`.
pub(crate) fn io_error(
    operation: &'static str,
    path: &Path,
) -> impl FnOnce(io::Error) -> FileIoError {
    let path = path.to_owned();
    move |source| FileIoError {
        operation,
        path,
        source,
    }
}

/// `impl From<FileIoError>` for an error enum with an `Io { operation, path, source }` variant.
macro_rules! from_file_io {
    ($error:ty) => {
        impl From<$crate::file_io::FileIoError> for $error {
            fn from(error: $crate::file_io::FileIoError) -> Self {
                let $crate::file_io::FileIoError {
                    operation,
                    path,
                    source,
                } = error;
                Self::Io {
                    operation,
                    path,
                    source,
                }
            }
        }
    };
}
pub(crate) use from_file_io;

/// A file copied into a folder under a temporary name and flushed to disk, not yet in place.
pub(crate) struct Copied {
    /// The copy; dropping it removes it.
    pub(crate) file: NamedTempFile,
    /// How many bytes it has.
    pub(crate) size: u64,
    /// Their SHA-256 (lower-case hex).
    pub(crate) sha256: String,
}

/// Copies `source` (read from `source_path`, which errors name) into a new temporary file in `dir`
/// whose name ends with `suffix`, hashing it and showing every chunk to `inspect` on the way, and
/// flushes the copy to disk. `write_operation` names a failed write ("copy the bundle to").
pub(crate) fn copy_in(
    dir: &Path,
    suffix: &str,
    source: &mut impl Read,
    source_path: &Path,
    write_operation: &'static str,
    mut inspect: impl FnMut(&[u8]),
) -> Result<Copied, FileIoError> {
    let mut file = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(suffix)
        .tempfile_in(dir)
        .map_err(io_error("create a file in", dir))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(io_error("read", source_path)(error)),
        };
        let chunk = &buffer[..n];
        hasher.update(chunk);
        inspect(chunk);
        file.write_all(chunk)
            .map_err(io_error(write_operation, file.path()))?;
        size += n as u64;
    }
    file.as_file()
        .sync_all()
        .map_err(io_error("flush to disk", file.path()))?;
    Ok(Copied {
        file,
        size,
        sha256: carrel_package::archive::hex(&hasher.finalize()),
    })
}

/// Renames `copy` to `target`; `operation` names a failure ("move the package to"). The folder
/// still needs a [`sync_dir`] before anything points at `target`.
pub(crate) fn move_into_place(
    copy: NamedTempFile,
    target: &Path,
    operation: &'static str,
) -> Result<(), FileIoError> {
    copy.persist(target)
        .map(drop)
        .map_err(|error| io_error(operation, target)(error.error))
}

/// Makes a rename into `dir` durable before the database points at it.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), FileIoError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error("flush to disk", dir))?;
    // Windows cannot open folders for flushing; NTFS journals the rename.
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Removes the copies an interrupted run left in `dir` (safe only under the publish lock, when
/// nothing else is copying in).
pub(crate) fn remove_leftovers(dir: &Path) -> Result<(), FileIoError> {
    for entry in std::fs::read_dir(dir).map_err(io_error("list", dir))? {
        let path = entry.map_err(io_error("list", dir))?.path();
        let is_leftover = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with(TEMP_PREFIX));
        if is_leftover {
            std::fs::remove_file(&path).map_err(io_error("remove", &path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_hashed_put_in_place_and_a_leftover_copy_removed() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..CHUNK * 2 + 7).map(|i| (i % 251) as u8).collect();
        let mut seen = 0;
        let copied = copy_in(
            dir.path(),
            ".part",
            &mut bytes.as_slice(),
            Path::new("source"),
            "write",
            |chunk| seen += chunk.len(),
        )
        .unwrap();
        assert_eq!(seen, bytes.len(), "inspect sees every byte");
        assert_eq!(
            (copied.size, copied.sha256.as_str()),
            (bytes.len() as u64, crate::sha256_hex(&bytes).as_str()),
            "the copy reports the size and SHA-256 of what passed"
        );
        let leftover = copy_in(
            dir.path(),
            "",
            &mut &b"x"[..],
            Path::new("x"),
            "write",
            |_| {},
        )
        .unwrap()
        .file
        .keep()
        .unwrap()
        .1;
        let target = dir.path().join("kept");
        move_into_place(copied.file, &target, "move").unwrap();
        sync_dir(dir.path()).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), bytes);

        remove_leftovers(dir.path()).unwrap();
        assert!(!leftover.exists(), "a copy a crash left behind is removed");
        assert!(target.exists(), "a file in place is not a leftover");
    }

    #[test]
    fn a_failure_names_the_operation_and_the_path() {
        let missing = Path::new("/nonexistent/carrel");
        let error: crate::PublishError = remove_leftovers(missing).unwrap_err().into();
        assert!(
            error
                .to_string()
                .starts_with("could not list /nonexistent/carrel: "),
            "an area's error keeps the operation and the path: {error}"
        );
    }
}
