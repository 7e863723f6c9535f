//! Installing a course version into the store: from a package file, or from a signed manifest plus
//! the files the store lacks (an update from the server downloads only new hashes).
//!
//! Order of work, so that a failure or a crash at any point loses nothing and shows no mix:
//! 1. everything checkable without writing: the package ([`crate::archive`]), the publisher's key
//!    (trusted, and the same key as the installed version's), the version (no downgrade), the app
//!    version the course needs, and free disk space for the files not already stored;
//! 2. new files streamed into `staging/<n>/<hash>`, verified as they are read, then made durable
//!    (one `syncfs` on Linux, one `fsync` per file elsewhere);
//! 3. with the index locked: every quiz and assignment definition parsed and checked (a package
//!    whose activities the app could not run is refused whole), staged files renamed into
//!    `objects/`, then one transaction that switches the course to the new version;
//! 4. the staging folder and objects no longer referenced removed.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rusqlite::params;
use serde::de::DeserializeOwned;

use super::{Store, StoreError, io_error, now_ms};
use crate::activity::{AssignmentDefinition, QuizDefinition, QuizMode};
use crate::archive::{ArchiveError, Limits, PackageArchive, read_verified};
use crate::manifest::{FileEntry, ItemKind, Manifest, is_valid_id, parse_version};
use crate::signature::{Fingerprint, PackageSignature, PublicKey};

/// Why a course could not be installed. Nothing of it is left on disk or in the index.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The package is broken, tampered with or hostile.
    #[error(transparent)]
    Package(#[from] ArchiveError),
    /// Signed by a key this laptop does not trust yet.
    #[error(
        "“{title}” is signed by a publisher this computer does not know yet ({publisher}, key {fingerprint}). Install it only if you trust this source; confirm the key's fingerprint with the publisher."
    )]
    UntrustedPublisher {
        /// The course title.
        title: String,
        /// The publisher's name as the package states it.
        publisher: String,
        /// The key's fingerprint.
        fingerprint: Fingerprint,
        /// The key (boxed: it is large and errors travel by value).
        key: Box<PublicKey>,
    },
    /// A new version signed by another key than the installed one.
    #[error(
        "this package of “{title}” is signed by a different key ({offered}) than the installed version ({installed}); it was not installed"
    )]
    PublisherChanged {
        /// The course title.
        title: String,
        /// Fingerprint of the installed version's key.
        installed: Fingerprint,
        /// Fingerprint of this package's key.
        offered: Fingerprint,
    },
    /// An older version than the one installed.
    #[error("version {offered} of “{title}” is older than the installed version {installed}")]
    Downgrade {
        /// The course title.
        title: String,
        /// Installed version.
        installed: String,
        /// Offered version.
        offered: String,
    },
    /// The course needs a newer Carrel.
    #[error("“{title}” needs Carrel {needed} or newer (this is {running}); update Carrel first")]
    AppTooOld {
        /// The course title.
        title: String,
        /// The minimum version.
        needed: String,
        /// This app's version.
        running: String,
    },
    /// Not enough free disk space.
    #[error(
        "not enough free disk space: the course needs {needed} MB more and {available} MB are free; free some space and try again"
    )]
    NoSpace {
        /// MB needed.
        needed: u64,
        /// MB free.
        available: u64,
    },
    /// A quiz or assignment definition of the package does not parse or is not valid: the
    /// signature is sound, but the course team published something the app cannot run.
    #[error(
        "the package is broken: the {kind} “{title}” ({path}) is not valid: {reason}. Nothing was installed; ask the course team for a corrected package."
    )]
    Definition {
        /// "quiz" or "assignment".
        kind: &'static str,
        /// The item's id.
        item: String,
        /// The item's title.
        title: String,
        /// The definition file.
        path: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// The learner cancelled.
    #[error("the import was cancelled; nothing was installed")]
    Cancelled,
    /// A file the store needs could not be fetched.
    #[error("could not download the file “{path}”: {reason}")]
    Fetch {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The store itself failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which publisher keys an import accepts besides those already trusted on this laptop.
#[derive(Debug, Default, Clone)]
pub struct Trust {
    /// Keys the connected course server vouches for (remembered once used).
    pub vouched: Vec<PublicKey>,
    /// A key the learner has just confirmed by its fingerprint (remembered once used).
    pub confirmed: Option<Fingerprint>,
}

/// How far an import has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of new files written so far.
    pub done_bytes: u64,
    /// Bytes of new files to write in all.
    pub total_bytes: u64,
}

/// A flag the learner sets to stop an import.
#[derive(Debug, Default, Clone)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Asks the import to stop at its next chunk.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether it was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    /// The course id.
    pub course_id: String,
    /// The installed version.
    pub version: String,
    /// Its title.
    pub title: String,
    /// Bytes of new files written.
    pub new_bytes: u64,
    /// Files already in the store and reused.
    pub reused_files: usize,
    /// The same version was already installed; nothing changed.
    pub already_installed: bool,
}

/// Options every import takes.
pub struct ImportOptions<'a> {
    /// Extra trusted keys.
    pub trust: Trust,
    /// This app's version (`major.minor.patch`), checked against the course's minimum.
    pub app_version: &'a str,
    /// Called as new bytes are written.
    pub progress: &'a (dyn Fn(Progress) + Sync),
    /// Checked between chunks.
    pub cancel: Cancel,
    /// Caps for package files.
    pub limits: Limits,
}

/// Stream files in: `wanted` says which, `consume` takes each one's verified bytes.
type Feed<'f> = dyn FnMut(
        &mut dyn FnMut(&FileEntry) -> bool,
        &mut dyn FnMut(&FileEntry, &mut dyn Read) -> io::Result<()>,
    ) -> Result<(), ImportError>
    + 'f;

/// A manifest whose signature has been checked, with what the index keeps of it.
struct Verified<'a> {
    manifest: &'a Manifest,
    manifest_bytes: &'a [u8],
    signature: &'a PackageSignature,
    publisher: &'a PublicKey,
}

static STAGING_COUNTER: AtomicU64 = AtomicU64::new(0);
const CHUNK: usize = 256 * 1024;
/// The package file's read buffer: small, because reading each entry starts with a seek, which
/// empties the buffer (measured: a 256 KiB buffer read a 1 GB, 5,000-file package 3.5 times over).
/// Large reads bypass it.
const READ_BUFFER: usize = 32 * 1024;
/// The largest quiz or assignment definition read: a thousand-question quiz is well under 1 MB,
/// and a hostile package must not make the app parse gigabytes of JSON.
pub const MAX_DEFINITION_BYTES: u64 = 8 * 1024 * 1024;

impl Store {
    /// Installs the course in the package file at `path`.
    pub fn import_file(
        &self,
        path: &Path,
        options: &ImportOptions<'_>,
    ) -> Result<ImportOutcome, ImportError> {
        let file = File::open(path).map_err(io_error("open", path))?;
        let mut archive =
            PackageArchive::open(BufReader::with_capacity(READ_BUFFER, file), &options.limits)?;
        let manifest = archive.manifest().clone();
        let manifest_bytes = archive.manifest_bytes().to_vec();
        let signature = archive.signature().clone();
        let publisher = archive.publisher().clone();
        let verified = Verified {
            manifest: &manifest,
            manifest_bytes: &manifest_bytes,
            signature: &signature,
            publisher: &publisher,
        };
        self.install(&verified, options, &mut |wanted, consume| {
            Ok(archive.read_files(wanted, consume)?)
        })
    }

    /// Installs a course version from its signed manifest, fetching only the files the store
    /// lacks with `fetch` (by hash, from the course server); each is verified as it arrives.
    pub fn import_parts(
        &self,
        manifest_bytes: &[u8],
        signature_bytes: &[u8],
        options: &ImportOptions<'_>,
        mut fetch: impl FnMut(&FileEntry) -> Result<Box<dyn Read>, String>,
    ) -> Result<ImportOutcome, ImportError> {
        Manifest::check_version(manifest_bytes).map_err(ArchiveError::from)?;
        let signature = PackageSignature::parse(signature_bytes).map_err(ArchiveError::from)?;
        let publisher = signature
            .verify(manifest_bytes)
            .map_err(ArchiveError::from)?;
        let manifest = Manifest::parse(manifest_bytes).map_err(ArchiveError::from)?;
        let verified = Verified {
            manifest: &manifest,
            manifest_bytes,
            signature: &signature,
            publisher: &publisher,
        };
        self.install(&verified, options, &mut |wanted, consume| {
            for file in &manifest.files {
                if !wanted(file) {
                    continue;
                }
                let reader = fetch(file).map_err(|reason| ImportError::Fetch {
                    path: file.path.clone(),
                    reason,
                })?;
                read_verified(file, reader, consume)?;
            }
            Ok(())
        })
    }

    fn check_trust(
        &self,
        manifest: &Manifest,
        publisher: &PublicKey,
        trust: &Trust,
    ) -> Result<(), ImportError> {
        let course = &manifest.course;
        if let Some(installed) = self.course(&course.id)? {
            // A course stays with the key it was first installed with.
            if &installed.publisher != publisher {
                return Err(ImportError::PublisherChanged {
                    title: course.title.clone(),
                    installed: installed.publisher.fingerprint(),
                    offered: publisher.fingerprint(),
                });
            }
            return Ok(());
        }
        if self.is_trusted(publisher)? {
            return Ok(());
        }
        if trust.vouched.contains(publisher) {
            self.trust_key(publisher, "server")?;
            return Ok(());
        }
        if trust.confirmed.as_ref() == Some(&publisher.fingerprint()) {
            self.trust_key(publisher, "learner")?;
            return Ok(());
        }
        Err(ImportError::UntrustedPublisher {
            title: course.title.clone(),
            publisher: course.publisher.name.clone(),
            fingerprint: publisher.fingerprint(),
            key: Box::new(publisher.clone()),
        })
    }

    fn install(
        &self,
        verified: &Verified<'_>,
        options: &ImportOptions<'_>,
        feed: &mut Feed<'_>,
    ) -> Result<ImportOutcome, ImportError> {
        let Verified {
            manifest,
            publisher,
            ..
        } = *verified;
        let course = &manifest.course;
        if parse_version(&course.min_app_version) > parse_version(options.app_version) {
            return Err(ImportError::AppTooOld {
                title: course.title.clone(),
                needed: course.min_app_version.clone(),
                running: options.app_version.to_owned(),
            });
        }
        let installed = self.course(&course.id)?;
        if let Some(installed) = &installed {
            let (old, new) = (&installed.manifest.course.version, &course.version);
            if parse_version(new) < parse_version(old) {
                return Err(ImportError::Downgrade {
                    title: course.title.clone(),
                    installed: old.clone(),
                    offered: new.clone(),
                });
            }
        }
        self.check_trust(manifest, publisher, &options.trust)?;
        if let Some(installed) = &installed
            && installed.manifest.course.version == course.version
            && installed.manifest == *manifest
            && manifest
                .files
                .iter()
                .all(|file| self.has_object(&file.sha256))
        {
            return Ok(outcome(manifest, 0, manifest.files.len(), true));
        }

        let mut missing = HashSet::new();
        let mut total_bytes = 0;
        for file in &manifest.files {
            if !self.has_object(&file.sha256) && missing.insert(file.sha256.as_str()) {
                total_bytes += file.size;
            }
        }
        check_space(self.root(), total_bytes)?;

        let staging = self.root().join(super::STAGING).join(format!(
            "{}-{}-{}",
            now_ms(),
            std::process::id(),
            STAGING_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&staging).map_err(io_error("create", &staging))?;
        let result =
            self.stage_and_switch(verified, options, feed, &staging, &missing, total_bytes);
        let cleanup = std::fs::remove_dir_all(&staging);
        match result {
            Ok(new_bytes) => {
                cleanup.map_err(io_error("remove", &staging))?;
                self.collect_garbage()?;
                Ok(outcome(
                    manifest,
                    new_bytes,
                    manifest.files.len() - missing.len(),
                    false,
                ))
            }
            Err(error) => {
                // Objects moved in before a failed commit are unreferenced: remove them now.
                let _ = self.collect_garbage();
                Err(error)
            }
        }
    }

    fn stage_and_switch<'m>(
        &self,
        verified: &Verified<'m>,
        options: &ImportOptions<'_>,
        feed: &mut Feed<'_>,
        staging: &Path,
        missing: &HashSet<&'m str>,
        total_bytes: u64,
    ) -> Result<u64, ImportError> {
        let Verified {
            manifest,
            manifest_bytes,
            signature,
            publisher,
        } = *verified;
        // Sized once and borrowing the manifest's strings: per-file allocations that outlive
        // the file would interleave with the decompressors' and fragment the heap (measured:
        // +30 MB of heap on a 5,000-file import before this).
        let mut scheduled: HashSet<&str> = HashSet::with_capacity(missing.len());
        let mut staged: Vec<&str> = Vec::with_capacity(missing.len());
        let mut done_bytes = 0u64;
        let mut own_error: Option<ImportError> = None;
        let mut buffer = vec![0u8; CHUNK];
        (options.progress)(Progress {
            done_bytes,
            total_bytes,
        });
        let fed = feed(
            &mut |file| {
                missing
                    .get(file.sha256.as_str())
                    .is_some_and(|sha256| scheduled.insert(sha256))
            },
            &mut |file, reader| {
                let target = staging.join(&file.sha256);
                let result = copy_to(reader, &target, &mut buffer, &mut |n| {
                    done_bytes += n;
                    (options.progress)(Progress {
                        done_bytes,
                        total_bytes,
                    });
                    !options.cancel.is_cancelled()
                });
                match result {
                    Ok(()) => {
                        if let Some(sha256) = missing.get(file.sha256.as_str()) {
                            staged.push(sha256);
                        }
                        Ok(())
                    }
                    Err(CopyError::Read(error)) => Err(error),
                    Err(CopyError::Cancelled) => {
                        own_error = Some(ImportError::Cancelled);
                        Err(io::Error::other("cancelled"))
                    }
                    Err(CopyError::Write(source)) => {
                        let message = source.to_string();
                        own_error = Some(io_error("write", &target)(source).into());
                        Err(io::Error::other(message))
                    }
                }
            },
        );
        if let Some(error) = own_error {
            return Err(error);
        }
        fed?;
        sync_folder(staging)?;

        // From here to the commit, hold the index so garbage collection cannot run in between.
        let mut conn = self.conn();
        self.check_definitions(manifest, staging, missing)?;
        let mut shards = HashSet::new();
        for sha256 in &staged {
            let path = staging.join(sha256);
            let object = self.object_path(sha256);
            let shard = object.parent().map(Path::to_owned).unwrap_or_default();
            if shards.insert(shard.clone()) {
                std::fs::create_dir_all(&shard).map_err(io_error("create", &shard))?;
            }
            std::fs::rename(&path, &object).map_err(io_error("move into the store", &object))?;
        }
        let objects = self.root().join(super::OBJECTS);
        sync_dirs(&objects, shards.iter())?;

        let tx = conn.transaction().map_err(StoreError::from)?;
        (|| -> rusqlite::Result<()> {
            tx.execute("DELETE FROM courses WHERE id = ?1", [&manifest.course.id])?;
            tx.execute(
                "INSERT INTO courses (id, version, title, manifest, signature, publisher_key, installed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    manifest.course.id,
                    manifest.course.version,
                    manifest.course.title,
                    manifest_bytes,
                    signature.to_bytes(),
                    publisher.to_base64(),
                    now_ms()
                ],
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO course_files (course_id, path, sha256, size, media_type)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for file in &manifest.files {
                insert.execute(params![
                    manifest.course.id,
                    file.path,
                    file.sha256,
                    file.size as i64,
                    file.media_type
                ])?;
            }
            Ok(())
        })()
        .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(done_bytes)
    }
}

impl Store {
    /// Parses and checks every quiz and assignment definition the manifest's items name, as the
    /// pack tool does when it builds them. A file just staged is read from `staging`; one the
    /// store already had is read from `objects/` (unchanged files are not staged again). Called
    /// with the index locked and before anything moves into the store, so a refusal leaves the
    /// store as it was.
    fn check_definitions(
        &self,
        manifest: &Manifest,
        staging: &Path,
        missing: &HashSet<&str>,
    ) -> Result<(), ImportError> {
        type Check = fn(&[u8], &HashMap<&str, &FileEntry>) -> Result<(), String>;
        let files: HashMap<&str, &FileEntry> = manifest
            .files
            .iter()
            .map(|file| (file.path.as_str(), file))
            .collect();
        // Items may share a file: read and check each once.
        let mut checked = HashSet::new();
        for (_, _, item) in manifest.items() {
            let (kind, path, check): (&'static str, &String, Check) = match &item.kind {
                ItemKind::Quiz { path } => ("quiz", path, check_quiz),
                ItemKind::Assignment { path } => ("assignment", path, check_assignment),
                _ => continue,
            };
            if !checked.insert((kind, path.as_str())) {
                continue;
            }
            let fail = |reason: String| ImportError::Definition {
                kind,
                item: item.id.clone(),
                title: item.title.clone(),
                path: path.clone(),
                reason,
            };
            // A valid manifest lists every path its items name; checked again all the same.
            let Some(file) = files.get(path.as_str()) else {
                return Err(fail("the package does not contain it".into()));
            };
            if file.size > MAX_DEFINITION_BYTES {
                return Err(fail(format!(
                    "it is {} bytes, more than the {MAX_DEFINITION_BYTES} a definition may have",
                    file.size
                )));
            }
            let source = if missing.contains(file.sha256.as_str()) {
                staging.join(&file.sha256)
            } else {
                self.object_path(&file.sha256)
            };
            let bytes = std::fs::read(&source).map_err(io_error("read", &source))?;
            check(&bytes, &files).map_err(fail)?;
        }
        Ok(())
    }
}

/// A practice quiz carries its full key (feedback is offline); a graded one has none to check.
fn check_quiz(bytes: &[u8], _files: &HashMap<&str, &FileEntry>) -> Result<(), String> {
    let quiz: QuizDefinition = parse_definition(bytes)?;
    check_definition_id(&quiz.id)?;
    quiz.validate(quiz.mode == QuizMode::Practice)
        .map_err(|error| error.problem)
}

/// An assignment's brief is shown from the package, so it must be one of its files.
fn check_assignment(bytes: &[u8], files: &HashMap<&str, &FileEntry>) -> Result<(), String> {
    let assignment: AssignmentDefinition = parse_definition(bytes)?;
    check_definition_id(&assignment.id)?;
    assignment.validate().map_err(|error| error.problem)?;
    if !files.contains_key(assignment.instructions.as_str()) {
        return Err(format!(
            "its instructions “{}” are not a file of the package",
            assignment.instructions
        ));
    }
    Ok(())
}

fn parse_definition<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => error.to_string(),
        _ => format!("it is not well-formed JSON ({error})"),
    })
}

/// The pack tool does not tie a definition's id to its item's; it only has to be a valid id.
fn check_definition_id(id: &str) -> Result<(), String> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(format!(
            "its id “{id}” is not valid: use 1 to 64 lowercase letters, digits and dashes, starting with a letter or digit"
        ))
    }
}

fn outcome(
    manifest: &Manifest,
    new_bytes: u64,
    reused_files: usize,
    already: bool,
) -> ImportOutcome {
    ImportOutcome {
        course_id: manifest.course.id.clone(),
        version: manifest.course.version.clone(),
        title: manifest.course.title.clone(),
        new_bytes,
        reused_files,
        already_installed: already,
    }
}

/// Refuses to start when `needed` bytes plus a margin would not fit on the disk holding `root`.
pub fn check_space(root: &Path, needed: u64) -> Result<(), ImportError> {
    const MARGIN: u64 = 64 * 1024 * 1024;
    if let Ok(available) = fs4::available_space(root)
        && needed.saturating_add(MARGIN) > available
    {
        return Err(ImportError::NoSpace {
            needed: needed.saturating_add(MARGIN).div_ceil(1_000_000),
            available: available / 1_000_000,
        });
    }
    Ok(())
}

enum CopyError {
    Cancelled,
    /// Reading failed: the package's fault, reported by the archive with the entry's name.
    Read(io::Error),
    Write(io::Error),
}

/// Copies `reader` into a new file at `target` through `buffer` (one per import, so thousands
/// of files do not churn the allocator); `step` is told each chunk's size and returns false to
/// stop.
fn copy_to(
    reader: &mut dyn Read,
    target: &Path,
    buffer: &mut [u8],
    step: &mut dyn FnMut(u64) -> bool,
) -> Result<(), CopyError> {
    let mut file = File::create_new(target).map_err(CopyError::Write)?;
    loop {
        // Fill the buffer before writing: decompressors return small pieces, and one write per
        // 256 KiB keeps system calls few without a second buffer.
        let mut filled = 0;
        while filled < buffer.len() {
            match reader.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(CopyError::Read(error)),
            }
        }
        if filled == 0 {
            break;
        }
        file.write_all(&buffer[..filled])
            .map_err(CopyError::Write)?;
        if !step(filled as u64) {
            return Err(CopyError::Cancelled);
        }
    }
    if !cfg!(target_os = "linux") {
        file.sync_all().map_err(CopyError::Write)?;
    }
    Ok(())
}

/// Makes the staged files durable: one `syncfs` on Linux (they were `fsync`ed one by one
/// elsewhere as they were written).
fn sync_folder(staging: &Path) -> Result<(), StoreError> {
    #[cfg(target_os = "linux")]
    {
        let dir = File::open(staging).map_err(io_error("open", staging))?;
        rustix::fs::syncfs(&dir).map_err(|e| io_error("flush to disk", staging)(e.into()))?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = staging;
    Ok(())
}

/// Makes renames into `objects/` durable before the index points at them.
fn sync_dirs<'a>(
    objects: &Path,
    shards: impl Iterator<Item = &'a PathBuf>,
) -> Result<(), StoreError> {
    #[cfg(target_os = "linux")]
    {
        let _ = shards;
        let dir = File::open(objects).map_err(io_error("open", objects))?;
        rustix::fs::syncfs(&dir).map_err(|e| io_error("flush to disk", objects)(e.into()))?;
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        for shard in shards {
            File::open(shard)
                .and_then(|dir| dir.sync_all())
                .map_err(io_error("flush to disk", shard))?;
        }
        File::open(objects)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error("flush to disk", objects))?;
    }
    // Windows cannot open folders for flushing; NTFS journals the renames.
    #[cfg(windows)]
    let _ = (objects, shards);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_course_larger_than_the_free_space_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_space(dir.path(), 1024).is_ok());
        let error = check_space(dir.path(), u64::MAX / 2).unwrap_err();
        assert!(matches!(error, ImportError::NoSpace { .. }), "{error}");
        assert!(error.to_string().contains("free some space"), "{error}");
    }
}
