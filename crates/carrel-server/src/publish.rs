//! Publishing a course package: what `carrel-server publish <PACKAGE>…` does for each file.
//!
//! A published version of a course never changes: the same version again with different bytes is
//! refused, an older version than the published one is refused, a newer one replaces it, and a new
//! version must be signed by the key that signed the published one (clients pin it). Publishing the
//! exact same package again changes nothing.
//!
//! Order of work, so that a refused or interrupted publish leaves nothing a client can see:
//! 1. take the data folder's publish lock (one publish at a time; see [`crate::data`]);
//! 2. copy the package into `packages/` under a temporary name, hashing it on the way;
//! 3. open and check it (names, caps, signature, manifest) and apply the version rules above
//!    against the catalogue;
//! 4. read every content file once to check its size and SHA-256 — the store is not touched by a
//!    package that fails here;
//! 5. import it into the content store (which verifies every file again as it writes);
//! 6. rename the copy to `packages/<sha256>.carrel`;
//! 7. switch the catalogue to the new version in one database transaction — the only step a
//!    running server notices;
//! 8. remove the package file of the version it replaced.
//!
//! Between steps 5 and 7 the store already holds the new version: files only the old version used
//! are gone a moment before the catalogue stops listing them, so a client fetching one then gets a
//! 404 and reads the catalogue again. A crash between 5 and 7 leaves the catalogue at the old
//! version; publishing the same package again completes the job.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use carrel_package::manifest::parse_version;
use carrel_package::store::{Cancel, ImportError, ImportOptions, Trust};
use carrel_package::{ArchiveError, Limits, Manifest, PackageArchive, PublicKey};
use tempfile::NamedTempFile;

use crate::data::{DataDir, DataError, DataLock, PACKAGE_EXTENSION};
use crate::file_io::{
    copy_in, from_file_io, io_error, move_into_place, remove_leftovers, sync_dir,
};
use crate::storage::{CatalogEntry, NewCatalogEntry, Storage, StorageError};

/// The server stores every course whatever Carrel version it needs: that is the client's check.
const ANY_APP_VERSION: &str = "65535.0.0";
const CHUNK: usize = 256 * 1024;

/// Why a package was not published. Nothing of it was kept.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Storing a file in the blob store (an S3-compatible bucket) failed; nothing was published.
    #[error("{0}")]
    Blob(#[from] crate::blobs::BlobError),
    /// Reading the package or writing its copy failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The package is broken, tampered with or not a course package.
    #[error("the package was refused: {0}")]
    Package(#[from] ArchiveError),
    /// This version is already published with other bytes.
    #[error(
        "version {version} of “{course_id}” is already published with different contents \
         (published package {published}, this one {offered}); a published version never changes, \
         so build this one with a new version"
    )]
    VersionTaken {
        /// The course.
        course_id: String,
        /// The version.
        version: String,
        /// SHA-256 of the published package.
        published: String,
        /// SHA-256 of this package.
        offered: String,
    },
    /// An older version than the published one.
    #[error(
        "version {offered} of “{course_id}” is older than the published version {published}; \
         only a newer version can replace it"
    )]
    Older {
        /// The course.
        course_id: String,
        /// The published version.
        published: String,
        /// This package's version.
        offered: String,
    },
    /// Signed by another key than the published version.
    #[error(
        "this package of “{course_id}” is signed by the key {offered}, but the published version \
         is signed by {published}; clients refuse a course whose key changes, so it was not published"
    )]
    PublisherChanged {
        /// The course.
        course_id: String,
        /// Fingerprint of the published version's key.
        published: String,
        /// Fingerprint of this package's key.
        offered: String,
    },
    /// The content store refused or failed the import.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The data folder could not be used.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A blocking step panicked or was cancelled.
    #[error("the publish task did not complete: {0}")]
    Task(String),
    /// The answer keys do not go with the package.
    #[error(transparent)]
    AnswerKeys(#[from] crate::autograde::AnswerKeyError),
}

from_file_io!(PublishError);

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The course id.
    pub course_id: String,
    /// The version now published.
    pub version: String,
    /// The course title.
    pub title: String,
    /// Fingerprint of the key that signed it.
    pub fingerprint: String,
    /// SHA-256 of the package file.
    pub package_sha256: String,
    /// The version it replaced, if the course was already published.
    pub replaced: Option<String>,
    /// This exact package was already the published one; nothing changed.
    pub unchanged: bool,
}

/// How to publish a package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishOptions {
    /// `Some(true)`: open to anyone; `Some(false)`: only enrolled accounts and admins list and
    /// download it; `None`: keep the course's setting (enrolled-only for a new course). See
    /// [`crate::access`].
    pub open: Option<bool>,
    /// The answer keys of the package's graded quizzes (the file `carrel-pack build` writes);
    /// `None`: `<package>.answer-keys.json` beside the package, when it exists. See
    /// [`crate::autograde`].
    pub answer_keys: Option<PathBuf>,
    /// Where the server keeps files by hash when it is not the data folder (an S3-compatible
    /// bucket, [`crate::blobs`]): the package and its content files are stored there before the
    /// catalogue names them. `None`: the data folder.
    pub blobs: Option<BlobsOption>,
}

/// A blob store in [`PublishOptions`] (compared by identity).
#[derive(Debug, Clone)]
pub struct BlobsOption(pub crate::blobs::Blobs);

impl PartialEq for BlobsOption {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for BlobsOption {}

/// Stores the package (the file at `package`, SHA-256 `package_sha256`) and every content file
/// `files` names (from the data folder's content store) in `blobs`, each one not there yet: a
/// publish run again from a machine whose data folder lacks the files finds them in the bucket.
async fn store_blobs(
    blobs: &dyn crate::blobs::BlobStore,
    data: &DataDir,
    package: &Path,
    package_sha256: &str,
    files: &[(String, u64)],
) -> Result<(), PublishError> {
    use crate::blobs::{BlobKind, FsBlobs};
    let local = FsBlobs::new(data.clone());
    blobs
        .put_file(BlobKind::Package, package_sha256, package)
        .await?;
    for (sha256, _) in files {
        blobs
            .put_file(BlobKind::File, sha256, &local.path(BlobKind::File, sha256))
            .await?;
    }
    Ok(())
}

impl PublishOptions {
    /// Open to anyone.
    pub fn open() -> Self {
        Self {
            open: Some(true),
            ..Self::default()
        }
    }
}

/// The answer-keys file `carrel-pack build` writes beside `package`.
pub fn answer_keys_beside(package: &Path) -> PathBuf {
    let mut name = package.as_os_str().to_owned();
    name.push(".answer-keys.json");
    PathBuf::from(name)
}

/// A package copied into the data folder and checked, not yet published.
struct Staged {
    lock: DataLock,
    copy: NamedTempFile,
    sha256: String,
    size: u64,
    manifest: Manifest,
    manifest_bytes: Vec<u8>,
    signature_bytes: Vec<u8>,
    publisher: PublicKey,
}

/// Verifies the package file at `package` completely and publishes it **open to anyone**, as
/// every publish did before enrolled-only courses existed (see the module docs). The `publish`
/// command uses [`publish_package_with`], whose default is enrolled-only.
pub async fn publish_package(
    storage: &Storage,
    data: &DataDir,
    package: &Path,
) -> Result<Published, PublishError> {
    publish_package_with(storage, data, package, &PublishOptions::open()).await
}

/// Verifies the package file at `package` completely and publishes it with `options` (see the
/// module docs).
pub async fn publish_package_with(
    storage: &Storage,
    data: &DataDir,
    package: &Path,
    options: &PublishOptions,
) -> Result<Published, PublishError> {
    let keys_path = match &options.answer_keys {
        Some(path) => Some(path.clone()),
        None => Some(answer_keys_beside(package)).filter(|path| path.is_file()),
    };
    let keys = match &keys_path {
        Some(path) => crate::autograde::read_answer_keys(path)?,
        None => Vec::new(),
    };
    let (data, package) = (data.clone(), package.to_owned());
    let (staged, quizzes, assignments) = blocking(move || {
        let staged = stage(data.lock()?, &package)?;
        let (shipped, assignments) = shipped_activities(&staged)?;
        let quizzes = crate::autograde::keyed_definitions(shipped, &keys)?;
        Ok((staged, quizzes, assignments))
    })
    .await?;

    let course = &staged.manifest.course;
    let fingerprint = staged.publisher.fingerprint().to_string();
    let published = storage.get_catalog_course(&course.id).await?;
    if let Some(current) = &published {
        check_replaces(current, &staged, &fingerprint)?;
        if current.package_sha256 == staged.sha256 {
            // Publishing again fills a blob store that lacks the files (one set up since).
            if let Some(blobs) = &options.blobs {
                let files: Vec<(String, u64)> = staged
                    .manifest
                    .files
                    .iter()
                    .map(|file| (file.sha256.clone(), file.size))
                    .collect();
                let package = staged.copy.path();
                store_blobs(
                    &*blobs.0,
                    staged.lock.dir(),
                    package,
                    &staged.sha256,
                    &files,
                )
                .await?;
            }
            if let Some(open) = options.open {
                storage.set_course_access(&course.id, open).await?;
            }
            // Answer keys given only now are kept now, and the assignments' rules of a course
            // published before the server kept them.
            storage
                .keep_activities(&course.id, &course.version, quizzes, assignments)
                .await?;
            tracing::info!(course = %course.id, version = %course.version, "already published; nothing changed");
            return Ok(Published {
                course_id: course.id.clone(),
                version: course.version.clone(),
                title: course.title.clone(),
                fingerprint,
                package_sha256: staged.sha256.clone(),
                replaced: None,
                unchanged: true,
            });
        }
    }

    let open = options.open;
    let (lock, new) = blocking(move || {
        import(&staged)?;
        keep(staged, fingerprint, open, quizzes, assignments)
    })
    .await?;
    if let Some(blobs) = &options.blobs {
        let package = lock.dir().package_path(&new.entry.package_sha256);
        let sha256 = &new.entry.package_sha256;
        store_blobs(&*blobs.0, lock.dir(), &package, sha256, &new.files).await?;
    }
    let published = Published {
        course_id: new.entry.course_id.clone(),
        version: new.entry.version.clone(),
        title: new.entry.title.clone(),
        fingerprint: new.entry.publisher_fingerprint.clone(),
        package_sha256: new.entry.package_sha256.clone(),
        replaced: None,
        unchanged: false,
    };
    let replaced = storage.set_catalog_course(new).await?;

    if let Some(old) = &replaced
        && old.package_sha256 != published.package_sha256
    {
        let old_path = lock.dir().package_path(&old.package_sha256);
        // The catalogue no longer points at it; a failure here only leaves a stray file.
        if let Err(error) = std::fs::remove_file(&old_path) {
            tracing::warn!(%error, path = %old_path.display(), "could not remove the replaced package file");
        }
        if let Some(blobs) = &options.blobs
            && let Err(error) = blobs
                .0
                .delete(crate::blobs::BlobKind::Package, &old.package_sha256)
                .await
        {
            tracing::warn!(%error, "could not remove the replaced package from the blob store");
        }
    }
    drop(lock);
    let published = Published {
        replaced: replaced.map(|old| old.version),
        ..published
    };
    tracing::info!(
        course = %published.course_id,
        version = %published.version,
        replaced = published.replaced.as_deref(),
        "published"
    );
    Ok(published)
}

/// Whether `staged` may become the published version of its course in place of `current`.
fn check_replaces(
    current: &CatalogEntry,
    staged: &Staged,
    fingerprint: &str,
) -> Result<(), PublishError> {
    let course = &staged.manifest.course;
    if current.publisher_key != staged.publisher.to_base64() {
        return Err(PublishError::PublisherChanged {
            course_id: course.id.clone(),
            published: current.publisher_fingerprint.clone(),
            offered: fingerprint.to_owned(),
        });
    }
    if current.version == course.version {
        if current.package_sha256 != staged.sha256 {
            return Err(PublishError::VersionTaken {
                course_id: course.id.clone(),
                version: course.version.clone(),
                published: current.package_sha256.clone(),
                offered: staged.sha256.clone(),
            });
        }
        return Ok(());
    }
    if parse_version(&course.version) < parse_version(&current.version) {
        return Err(PublishError::Older {
            course_id: course.id.clone(),
            published: current.version.clone(),
            offered: course.version.clone(),
        });
    }
    Ok(())
}

/// Steps 2–3: copies the package beside the published ones, hashing it, and checks it.
fn stage(lock: DataLock, package: &Path) -> Result<Staged, PublishError> {
    let packages = lock.dir().packages_dir();
    remove_leftovers(&packages)?;
    let mut source = File::open(package).map_err(io_error("open", package))?;
    let suffix = format!(".{PACKAGE_EXTENSION}");
    let copied = copy_in(
        &packages,
        &suffix,
        &mut source,
        package,
        "copy the package to",
        |_| {},
    )?;
    let copy = copied.file;

    let reader = copy.reopen().map_err(io_error("open", copy.path()))?;
    let archive =
        PackageArchive::open(BufReader::with_capacity(CHUNK, reader), &Limits::default())?;
    Ok(Staged {
        manifest: archive.manifest().clone(),
        manifest_bytes: archive.manifest_bytes().to_vec(),
        signature_bytes: archive.signature().to_bytes(),
        publisher: archive.publisher().clone(),
        lock,
        copy,
        sha256: copied.sha256,
        size: copied.size,
    })
}

/// What the server keeps of a package's activities: its quizzes' files and its assignments'
/// rules.
type Activities = (
    Vec<crate::autograde::ShippedQuiz>,
    Vec<crate::assignments::KeptAssignment>,
);

/// Each quiz item's file, and each assignment's rules, as the staged package ships them.
fn shipped_activities(staged: &Staged) -> Result<Activities, PublishError> {
    use carrel_package::manifest::ItemKind;
    // (is a quiz, item id, path of its definition file)
    let items: Vec<(bool, String, String)> = staged
        .manifest
        .items()
        .filter_map(|(_, _, item)| match &item.kind {
            ItemKind::Quiz { path } => Some((true, item.id.clone(), path.clone())),
            ItemKind::Assignment { path } => Some((false, item.id.clone(), path.clone())),
            _ => None,
        })
        .collect();
    if items.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let path = staged.copy.path();
    let reader = staged.copy.reopen().map_err(io_error("open", path))?;
    let mut archive =
        PackageArchive::open(BufReader::with_capacity(CHUNK, reader), &Limits::default())?;
    let mut files = std::collections::HashMap::new();
    archive.read_files(
        |file| items.iter().any(|(_, _, path)| *path == file.path),
        |file, content| {
            let mut bytes = Vec::new();
            content.read_to_end(&mut bytes)?;
            files.insert(file.path.clone(), (file.sha256.clone(), bytes));
            Ok(())
        },
    )?;
    let mut quizzes = Vec::new();
    let mut assignments = Vec::new();
    for (quiz, item_id, path) in items {
        let Some((sha256, bytes)) = files.get(&path).cloned() else {
            continue;
        };
        if quiz {
            quizzes.push(crate::autograde::ShippedQuiz {
                item_id,
                sha256,
                path,
                bytes,
            });
        } else if let Some(kept) =
            crate::assignments::KeptAssignment::from_definition(item_id, &bytes)
        {
            assignments.push(kept);
        }
    }
    Ok((quizzes, assignments))
}

/// Steps 4–5: reads every content file to check it, then imports the package into the store.
fn import(staged: &Staged) -> Result<(), PublishError> {
    let path = staged.copy.path();
    let reader = staged.copy.reopen().map_err(io_error("open", path))?;
    let mut archive =
        PackageArchive::open(BufReader::with_capacity(CHUNK, reader), &Limits::default())?;
    archive.read_files(
        |_| true,
        |_, content| io::copy(content, &mut io::sink()).map(|_| ()),
    )?;
    let store = staged.lock.open_store()?;
    store.import_file(
        path,
        &ImportOptions {
            // Running `publish` is the operator's decision to trust the key that signed the package.
            trust: Trust {
                vouched: vec![staged.publisher.clone()],
                confirmed: None,
            },
            app_version: ANY_APP_VERSION,
            progress: &|_| {},
            cancel: Cancel::default(),
            limits: Limits::default(),
        },
    )?;
    Ok(())
}

/// Step 6: moves the checked copy to `packages/<sha256>.carrel` and returns what the catalogue
/// will record, with the lock still held.
fn keep(
    staged: Staged,
    fingerprint: String,
    open: Option<bool>,
    quizzes: Vec<crate::autograde::KeptQuiz>,
    assignments: Vec<crate::assignments::KeptAssignment>,
) -> Result<(DataLock, NewCatalogEntry), PublishError> {
    let Staged {
        lock,
        copy,
        sha256,
        size,
        manifest,
        manifest_bytes,
        signature_bytes,
        publisher,
    } = staged;
    let stored = lock.dir().package_path(&sha256);
    move_into_place(copy, &stored, "move the package to")?;
    sync_dir(&lock.dir().packages_dir())?;

    let files = manifest
        .files
        .iter()
        .map(|file| (file.sha256.clone(), file.size))
        .collect();
    let content_size = manifest.total_size();
    let course = manifest.course;
    let entry = CatalogEntry {
        course_id: course.id,
        version: course.version,
        title: course.title,
        summary: course.summary,
        language: course.language,
        publisher: course.publisher.name,
        starts: course.starts.map(|date| date.to_string()),
        ends: course.ends.map(|date| date.to_string()),
        package_sha256: sha256,
        package_size: size,
        content_size,
        publisher_key: publisher.to_base64(),
        publisher_fingerprint: fingerprint,
        published_at: i64::try_from(carrel_protocol::unix_time_ms()).unwrap_or(i64::MAX),
    };
    let new = NewCatalogEntry {
        entry,
        manifest: manifest_bytes,
        signature: signature_bytes,
        files,
        open,
        quizzes,
        assignments,
    };
    Ok((lock, new))
}

async fn blocking<T, F>(f: F) -> Result<T, PublishError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, PublishError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|error| PublishError::Task(error.to_string()))?
}
