//! Moving the course library to another folder (a bigger disk, an SD card).
//!
//! The library is copied, never renamed in place: the running app keeps its files open (on
//! Windows a rename would fail, and everywhere a half-moved folder would be worse than none). The
//! copy goes to a hidden staging folder beside the target, every file is flushed to disk, and only
//! a complete copy is renamed to the target. Cancelling or failing removes the staging folder and
//! leaves the library where it was. The caller then points the settings at the new folder, restarts,
//! and removes the old folder at the next start ([`remove_old`]), when nothing holds it open.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use carrel_package::store::Cancel;

/// Why the library cannot move there.
#[derive(Debug, thiserror::Error)]
pub enum RelocateError {
    /// The new folder is not a full path.
    #[error("choose a full folder path, such as {example}")]
    NotAbsolute {
        /// A path of the right kind on this system.
        example: String,
    },
    /// The new folder is the library itself, inside it, or contains it.
    #[error("choose a folder outside the current course folder {0}")]
    Overlaps(PathBuf),
    /// The new folder exists and holds files.
    #[error("the folder {0} is not empty; choose an empty or new folder")]
    NotEmpty(PathBuf),
    /// The folder above the new one does not exist.
    #[error("the folder {0} does not exist; create it first or choose another")]
    NoParent(PathBuf),
    /// Not enough free space there.
    #[error(
        "the courses need {needed} MB but only {available} MB are free on that disk; free some \
         space or choose another disk"
    )]
    NoSpace {
        /// Megabytes needed.
        needed: u64,
        /// Megabytes free.
        available: u64,
    },
    /// The learner cancelled; nothing moved.
    #[error("the move was cancelled; your courses stay where they were")]
    Cancelled,
    /// Reading or writing failed; nothing moved.
    #[error("cannot {operation} {path}: {source}; your courses stay where they were")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// On which path.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
}

fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RelocateError {
    let path = path.to_owned();
    move |source| RelocateError::Io {
        operation,
        path,
        source,
    }
}

/// Every file under `dir`, with its size, in a stable order.
fn files_under(dir: &Path) -> Result<Vec<(PathBuf, u64)>, RelocateError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&folder)
            .map_err(io("read", &folder))?
            .collect::<Result<_, _>>()
            .map_err(io("read", &folder))?;
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let path = entry.path();
            let kind = entry.file_type().map_err(io("read", &path))?;
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let size = entry.metadata().map_err(io("read", &path))?.len();
                files.push((path, size));
            }
        }
    }
    Ok(files)
}

/// Checks that the library at `current` can move to `target`; answers the bytes to copy.
pub fn check(current: &Path, target: &Path) -> Result<u64, RelocateError> {
    if !target.is_absolute() {
        let example = if cfg!(windows) {
            r"D:\Carrel courses"
        } else if cfg!(target_os = "macos") {
            "/Volumes/USB/Carrel courses"
        } else {
            "/media/usb/Carrel courses"
        };
        return Err(RelocateError::NotAbsolute {
            example: example.to_owned(),
        });
    }
    let current_real = std::fs::canonicalize(current).unwrap_or_else(|_| current.to_owned());
    let target_real = real_path(target);
    if target_real.starts_with(&current_real) || current_real.starts_with(&target_real) {
        return Err(RelocateError::Overlaps(current.to_owned()));
    }
    if target.exists() {
        let mut entries = std::fs::read_dir(target).map_err(io("read", target))?;
        if entries.next().is_some() {
            return Err(RelocateError::NotEmpty(target.to_owned()));
        }
    }
    let parent = target
        .parent()
        .ok_or_else(|| RelocateError::NoParent(target.to_owned()))?;
    if !parent.is_dir() {
        return Err(RelocateError::NoParent(parent.to_owned()));
    }
    let needed: u64 = files_under(current)?.iter().map(|(_, size)| size).sum();
    let available = fs4::available_space(parent).map_err(io("measure free space on", parent))?;
    // Leave a margin for the copy's own folders and the file system's blocks.
    let with_margin = needed + needed / 20 + 16 * 1024 * 1024;
    if available < with_margin {
        return Err(RelocateError::NoSpace {
            needed: with_margin.div_ceil(1024 * 1024),
            available: available / (1024 * 1024),
        });
    }
    Ok(needed)
}

/// The canonical form of `path`, resolving the part of it that exists.
fn real_path(path: &Path) -> PathBuf {
    let mut existing = path.to_owned();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_owned();
            }
            _ => return path.to_owned(),
        }
    }
    let mut real = std::fs::canonicalize(&existing).unwrap_or(existing);
    real.extend(rest.iter().rev());
    real
}

/// The hidden folder a move copies into before it is complete.
pub fn staging_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.carrel-moving"))
}

/// Copies the library at `current` to `target` (checked first), reporting `(done, total)` bytes.
/// On success `target` holds a complete, flushed copy; on any failure or cancel nothing is left at
/// `target` or in the staging folder, and `current` is untouched.
pub fn copy_library(
    current: &Path,
    target: &Path,
    cancel: &Cancel,
    progress: &dyn Fn(u64, u64),
) -> Result<(), RelocateError> {
    let total = check(current, target)?;
    let staging = staging_path(target);
    if staging.exists() {
        // Left by a move that was interrupted (the computer stopped): it was never complete.
        std::fs::remove_dir_all(&staging).map_err(io("remove", &staging))?;
    }
    let result = copy_into(current, &staging, total, cancel, progress).and_then(|()| {
        if target.exists() {
            std::fs::remove_dir(target).map_err(io("replace", target))?;
        }
        std::fs::rename(&staging, target).map_err(io("rename", &staging))?;
        sync_dir(target.parent().unwrap_or(target));
        Ok(())
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn copy_into(
    from: &Path,
    to: &Path,
    total: u64,
    cancel: &Cancel,
    progress: &dyn Fn(u64, u64),
) -> Result<(), RelocateError> {
    std::fs::create_dir_all(to).map_err(io("create", to))?;
    let mut done = 0u64;
    progress(done, total);
    let mut buffer = vec![0u8; 1024 * 1024];
    for (source, _) in files_under(from)? {
        let relative = source.strip_prefix(from).unwrap_or(&source);
        let destination = to.join(relative);
        if let Some(folder) = destination.parent() {
            std::fs::create_dir_all(folder).map_err(io("create", folder))?;
        }
        let mut reader = std::fs::File::open(&source).map_err(io("read", &source))?;
        let mut writer = std::fs::File::create(&destination).map_err(io("write", &destination))?;
        loop {
            if cancel.is_cancelled() {
                return Err(RelocateError::Cancelled);
            }
            let read = reader.read(&mut buffer).map_err(io("read", &source))?;
            if read == 0 {
                break;
            }
            writer
                .write_all(&buffer[..read])
                .map_err(io("write", &destination))?;
            done += read as u64;
            progress(done.min(total), total);
        }
        writer.sync_all().map_err(io("flush", &destination))?;
    }
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

/// Removes the library folder a move left behind, at the start after the move. Only a folder that
/// looks like a Carrel library (it holds the store's database) is removed.
pub fn remove_old(old: &Path) -> Result<bool, RelocateError> {
    if !old.join("store.sqlite3").is_file() {
        return Ok(false);
    }
    std::fs::remove_dir_all(old).map_err(io("remove", old))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(dir: &Path) -> PathBuf {
        let library = dir.join("courses");
        std::fs::create_dir_all(library.join("files/ab")).unwrap();
        std::fs::write(library.join("store.sqlite3"), b"index").unwrap();
        std::fs::write(
            library.join("files/ab/abcdef"),
            vec![7u8; 3 * 1024 * 1024 + 5],
        )
        .unwrap();
        library
    }

    #[test]
    fn a_move_copies_every_file_and_reports_progress_to_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let current = library(dir.path());
        let target = dir.path().join("elsewhere/Carrel courses");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let seen = std::sync::Mutex::new(Vec::new());
        copy_library(&current, &target, &Cancel::default(), &|done, total| {
            seen.lock().unwrap().push((done, total));
        })
        .unwrap();
        assert_eq!(
            std::fs::read(target.join("files/ab/abcdef")).unwrap(),
            std::fs::read(current.join("files/ab/abcdef")).unwrap()
        );
        assert_eq!(
            std::fs::read(target.join("store.sqlite3")).unwrap(),
            b"index"
        );
        let seen = seen.into_inner().unwrap();
        let total = 3 * 1024 * 1024 + 5 + 5;
        assert_eq!(seen.last(), Some(&(total, total)));
        assert!(seen.len() > 2, "progress in steps: {seen:?}");
        assert!(!staging_path(&target).exists());
        assert!(
            current.join("store.sqlite3").exists(),
            "the old copy stays until restart"
        );
        assert!(remove_old(&current).unwrap());
        assert!(!current.exists());
    }

    #[test]
    fn a_cancelled_move_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let current = library(dir.path());
        let target = dir.path().join("new");
        let cancel = Cancel::default();
        let error = copy_library(&current, &target, &cancel, &|done, _| {
            if done > 0 {
                cancel.cancel();
            }
        })
        .unwrap_err();
        assert!(matches!(error, RelocateError::Cancelled), "{error}");
        assert!(!target.exists());
        assert!(!staging_path(&target).exists());
        assert!(current.join("files/ab/abcdef").exists());
    }

    #[test]
    fn targets_that_cannot_hold_the_library_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let current = library(dir.path());
        let inside = current.join("sub");
        assert!(matches!(
            check(&current, &inside),
            Err(RelocateError::Overlaps(_))
        ));
        assert!(matches!(
            check(&current, dir.path()),
            Err(RelocateError::Overlaps(_))
        ));
        assert!(matches!(
            check(&current, Path::new("relative/folder")),
            Err(RelocateError::NotAbsolute { .. })
        ));
        let full = dir.path().join("full");
        std::fs::create_dir(&full).unwrap();
        std::fs::write(full.join("mine.txt"), b"keep").unwrap();
        assert!(matches!(
            check(&current, &full),
            Err(RelocateError::NotEmpty(_))
        ));
        let orphan = dir.path().join("missing/parent/courses");
        let error = check(&current, &orphan).unwrap_err();
        assert!(matches!(error, RelocateError::NoParent(_)), "{error}");
        assert!(error.to_string().contains("create it first"), "{error}");
    }

    #[test]
    fn only_a_carrel_library_is_removed_after_a_move() {
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("photos");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("a.jpg"), b"x").unwrap();
        assert!(!remove_old(&other).unwrap());
        assert!(other.join("a.jpg").exists());
    }
}
