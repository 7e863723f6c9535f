//! Publishing a release: what `carrel-server release publish` does.
//!
//! Everything is checked before anything is recorded, so a refusal leaves nothing behind:
//! 1. the version is semver; each bundle's platform is given or told by its name; each has a
//!    `.sig` beside it that decodes and names this version in its trusted comment;
//! 2. under the data folder's publish lock, each bundle is copied into `releases/` under a
//!    temporary name, hashed and — when the app's public key is configured — its signature
//!    verified on the way, then flushed to disk;
//! 3. the release is compared with what is published: the same version and platform again is a
//!    no-op with the same bytes and refused with other ones, a version keeps its channel, a
//!    withdrawn version is never reused;
//! 4. the copies are renamed to `releases/<sha256>` and the folder flushed;
//! 5. one database transaction records the release and its bundles — the only step the running
//!    server notices.
//!
//! Several bundles of one release are published together: all of them or none.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::storage::sql::params;
use carrel_protocol::updates::Channel;
use minisign_verify::PublicKey;
use tempfile::NamedTempFile;

use super::signature::{UpdateSignature, decode_public_key, decode_signature};
use super::{Platform, ReleaseError, Version, bundle_path, infer_platforms, releases_dir};
use crate::data::DataLock;
use crate::file_io::{copy_in, io_error, move_into_place, remove_leftovers, sync_dir};
use crate::{DataDir, Storage};

/// A bundle file to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The file; its signature is `<path>.sig` beside it.
    pub path: PathBuf,
    /// The platform it is for; `None`: told from its file name ([`infer_platforms`]).
    pub platform: Option<Platform>,
}

/// A release to publish (or bundles to add to a published one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelease {
    /// The app version (semver; a leading `v` is dropped).
    pub version: String,
    /// Its channel.
    pub channel: Channel,
    /// Release notes (Markdown). `None` keeps a published release's notes (a new one gets none);
    /// `Some` replaces them — notes are not signed.
    pub notes: Option<String>,
    /// The app's update public key (base64 of a minisign public key, as
    /// `plugins.updater.pubkey`); when given, every signature must verify with it.
    pub pubkey: Option<String>,
    /// The bundles.
    pub bundles: Vec<Bundle>,
}

/// One bundle as published, for one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedFile {
    /// The release's id (in the download URL).
    pub release_id: i64,
    /// The version.
    pub version: String,
    /// The channel.
    pub channel: Channel,
    /// The platform.
    pub platform: Platform,
    /// The bundle's file name (the last part of the download URL).
    pub file_name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// It was already published with these bytes; nothing changed.
    pub unchanged: bool,
}

/// A bundle whose name, platform and signature passed step 1.
struct Checked {
    path: PathBuf,
    file_name: String,
    platforms: Vec<Platform>,
    signature_path: PathBuf,
    signature: UpdateSignature,
}

/// A checked bundle copied into `releases/` under a temporary name (the copy itself is kept
/// beside it), not yet published.
struct Staged {
    checked: Checked,
    sha256: String,
    size: u64,
}

/// What publishing changes, decided against the database.
struct Plan {
    release_id: Option<i64>,
    /// Per staged bundle, per platform: already published with the same bytes.
    unchanged: Vec<Vec<bool>>,
}

/// Checks and publishes `new` (see the module docs). Returns one entry per bundle and platform,
/// in the order given.
pub async fn publish_release(
    storage: &Storage,
    data: &DataDir,
    blobs: &dyn crate::blobs::BlobStore,
    new: NewRelease,
) -> Result<Vec<PublishedFile>, ReleaseError> {
    let (version, pubkey, checked) = check_all(&new)?;
    if pubkey.is_none() {
        tracing::warn!(
            "no update public key is configured (--pubkey, update_pubkey): the signatures were \
             not verified, only that they are for version {version}"
        );
    }

    let folder = data.clone();
    let (lock, staged) = blocking(move || {
        let lock = folder.lock()?;
        let dir = releases_dir(lock.dir());
        std::fs::create_dir_all(&dir).map_err(io_error("create the folder", &dir))?;
        remove_leftovers(&dir)?;
        let staged = checked
            .into_iter()
            .map(|checked| stage(&dir, checked, pubkey.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((lock, staged))
    })
    .await?;
    let (staged, copies): (Vec<Staged>, Vec<NamedTempFile>) = staged.into_iter().unzip();

    let version = version.to_string();
    let plan = {
        let (version, channel) = (version.clone(), new.channel);
        let offered: Vec<(Vec<Platform>, String, String)> = staged
            .iter()
            .map(|s| {
                let name = s.checked.file_name.clone();
                (s.checked.platforms.clone(), name, s.sha256.clone())
            })
            .collect();
        storage
            .with_conn(move |conn| Ok(super::list_in(conn)?))
            .await
            .map_err(ReleaseError::from)
            .and_then(|releases| plan(&releases, &version, channel, &offered))?
    };

    let all_unchanged = plan.unchanged.iter().flatten().all(|unchanged| *unchanged);
    let hashes: Vec<String> = staged.iter().map(|s| s.sha256.clone()).collect();
    let (lock, created) = if all_unchanged {
        (lock, Vec::new())
    } else {
        blocking(move || keep(lock, hashes.into_iter().zip(copies).collect())).await?
    };
    // Into the blob store before the database offers them (a no-op for the data folder).
    for sha256 in staged.iter().map(|s| &s.sha256) {
        let local = super::bundle_path(data, sha256);
        if local.exists() {
            crate::blobs::keep(blobs, crate::blobs::BlobKind::Release, sha256, &local).await?;
        }
    }
    let recorded = record(storage, &version, new.channel, new.notes, &plan, &staged).await;
    let release_id = match recorded {
        Ok(release_id) => release_id,
        Err(error) => {
            for path in &created {
                // Nothing refers to it; a failure here only leaves a stray file.
                let _ = std::fs::remove_file(path);
            }
            return Err(error);
        }
    };
    drop(lock);

    let mut published = Vec::new();
    for (staged, unchanged) in staged.iter().zip(&plan.unchanged) {
        for (platform, unchanged) in staged.checked.platforms.iter().zip(unchanged) {
            published.push(PublishedFile {
                release_id,
                version: version.clone(),
                channel: new.channel,
                platform: platform.clone(),
                file_name: staged.checked.file_name.clone(),
                sha256: staged.sha256.clone(),
                size: staged.size,
                unchanged: *unchanged,
            });
        }
    }
    for file in &published {
        tracing::info!(
            version = %file.version,
            channel = file.channel.as_str(),
            platform = %file.platform,
            file = %file.file_name,
            unchanged = file.unchanged,
            "release bundle published"
        );
    }
    Ok(published)
}

/// Step 1 alone: checks `new` (version, key, each bundle's platform and signature) without
/// touching the server's database or data folder. [`publish_release`] does it too.
pub fn check_release(new: &NewRelease) -> Result<(), ReleaseError> {
    check_all(new).map(|_| ())
}

fn check_all(new: &NewRelease) -> Result<(Version, Option<PublicKey>, Vec<Checked>), ReleaseError> {
    let version = Version::parse(&new.version)
        .ok_or_else(|| ReleaseError::BadVersion(new.version.clone()))?;
    let pubkey = match &new.pubkey {
        Some(text) => Some(decode_public_key(text).map_err(ReleaseError::BadPublicKey)?),
        None => None,
    };
    if new.bundles.is_empty() {
        return Err(ReleaseError::NoBundles);
    }
    let checked = new
        .bundles
        .iter()
        .map(|bundle| check(bundle, &version))
        .collect::<Result<Vec<_>, _>>()?;
    check_platforms_once(&checked)?;
    Ok((version, pubkey, checked))
}

/// Step 1 for one bundle.
fn check(bundle: &Bundle, version: &Version) -> Result<Checked, ReleaseError> {
    let path = bundle.path.clone();
    let metadata = std::fs::metadata(&path).map_err(io_error("read", &path))?;
    if !metadata.is_file() {
        return Err(io_error("read", &path)(io::Error::other("it is not a file")).into());
    }
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| ReleaseError::BadFileName(path.clone()))?
        .to_owned();
    let platforms = match &bundle.platform {
        Some(platform) => vec![platform.clone()],
        None => infer_platforms(&file_name)
            .ok_or_else(|| ReleaseError::UnknownPlatform { path: path.clone() })?,
    };
    let signature_path = signature_beside(&path);
    let content = match std::fs::read_to_string(&signature_path) {
        Ok(content) => content,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(ReleaseError::SignatureMissing {
                signature: signature_path,
                bundle: path,
            });
        }
        Err(error) if error.kind() == io::ErrorKind::InvalidData => {
            return Err(ReleaseError::SignatureUnreadable {
                path: signature_path,
                reason: "it is not text".to_owned(),
            });
        }
        Err(error) => return Err(io_error("read", &signature_path)(error).into()),
    };
    let signature =
        decode_signature(&content).map_err(|reason| ReleaseError::SignatureUnreadable {
            path: signature_path.clone(),
            reason,
        })?;
    let Some(signed) = signature.signed_version() else {
        return Err(ReleaseError::SignatureVersionMissing {
            comment: signature.signature.trusted_comment().to_owned(),
            path: signature_path,
        });
    };
    if Version::parse(signed).as_ref() != Some(version) {
        return Err(ReleaseError::SignatureVersionMismatch {
            signed: signed.to_owned(),
            version: version.to_string(),
            path: signature_path,
        });
    }
    Ok(Checked {
        path,
        file_name,
        platforms,
        signature_path,
        signature,
    })
}

/// `<bundle>.sig`.
fn signature_beside(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

fn check_platforms_once(checked: &[Checked]) -> Result<(), ReleaseError> {
    let mut seen: HashMap<&Platform, &Path> = HashMap::new();
    for bundle in checked {
        for platform in &bundle.platforms {
            if let Some(first) = seen.insert(platform, &bundle.path) {
                return Err(ReleaseError::SamePlatformTwice {
                    platform: platform.to_string(),
                    first: first.to_owned(),
                    second: bundle.path.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Step 2 for one bundle: copies it into `dir`, hashing it and verifying its signature.
fn stage(
    dir: &Path,
    checked: Checked,
    pubkey: Option<&PublicKey>,
) -> Result<(Staged, NamedTempFile), ReleaseError> {
    let bad_signature = |error: minisign_verify::Error| ReleaseError::BadSignature {
        signature: checked.signature_path.clone(),
        bundle: checked.path.clone(),
        reason: lowercase_first(&error.to_string()),
    };
    let signature = &checked.signature.signature;
    // Tauri signs the BLAKE2b hash of the bundle ("prehashed"), which can be checked as the bytes
    // stream past; an old-style signature of the whole bytes is checked once they are on disk.
    let mut stream = None;
    let mut legacy = false;
    if let Some(key) = pubkey {
        match key.verify_stream(signature) {
            Ok(verifier) => stream = Some(verifier),
            Err(minisign_verify::Error::UnsupportedLegacyMode) => legacy = true,
            Err(error) => return Err(bad_signature(error)),
        }
    }

    let mut source = File::open(&checked.path).map_err(io_error("open", &checked.path))?;
    let copied = copy_in(
        dir,
        "",
        &mut source,
        &checked.path,
        "copy the bundle to",
        |chunk| {
            if let Some(verifier) = &mut stream {
                verifier.update(chunk);
            }
        },
    )?;
    if let Some(mut verifier) = stream {
        verifier.finalize().map_err(bad_signature)?;
    }
    let copy = copied.file;
    if let (true, Some(key)) = (legacy, pubkey) {
        let bytes = std::fs::read(copy.path()).map_err(io_error("read", copy.path()))?;
        key.verify(&bytes, signature, true).map_err(bad_signature)?;
    }
    let staged = Staged {
        sha256: copied.sha256,
        size: copied.size,
        checked,
    };
    Ok((staged, copy))
}

/// Step 3: what publishing `offered` (platforms, file name, SHA-256 per bundle) as `version` on
/// `channel` changes, or why it is refused.
fn plan(
    releases: &[super::Release],
    version: &str,
    channel: Channel,
    offered: &[(Vec<Platform>, String, String)],
) -> Result<Plan, ReleaseError> {
    let parsed = Version::parse(version);
    if let Some(same) = releases
        .iter()
        .find(|r| r.version != version && Version::parse(&r.version) == parsed)
    {
        return Err(ReleaseError::SameVersion {
            published: same.version.clone(),
            offered: version.to_owned(),
        });
    }
    let existing = releases.iter().find(|r| r.version == version);
    if let Some(release) = existing {
        if release.withdrawn_ms.is_some() {
            return Err(ReleaseError::Withdrawn(version.to_owned()));
        }
        if release.channel != channel {
            return Err(ReleaseError::ChannelTaken {
                version: version.to_owned(),
                published: release.channel,
                offered: channel,
            });
        }
    }
    let published_files = existing.map(|r| r.files.as_slice()).unwrap_or_default();
    let mut names: HashMap<&str, &str> = published_files
        .iter()
        .map(|file| (file.file_name.as_str(), file.sha256.as_str()))
        .collect();
    let mut unchanged = Vec::new();
    for (platforms, file_name, sha256) in offered {
        let mut per_platform = Vec::new();
        for platform in platforms {
            match published_files.iter().find(|f| &f.platform == platform) {
                None => per_platform.push(false),
                Some(file) if file.sha256 == *sha256 => per_platform.push(true),
                Some(file) => {
                    return Err(ReleaseError::BundleTaken {
                        version: version.to_owned(),
                        platform: platform.to_string(),
                        published: file.sha256.clone(),
                        offered: sha256.clone(),
                    });
                }
            }
        }
        // After the platforms: other bytes for a published platform is the likelier mistake.
        match names.insert(file_name, sha256) {
            Some(other) if other != sha256 => {
                return Err(ReleaseError::SameNameTwice {
                    version: version.to_owned(),
                    file_name: file_name.clone(),
                });
            }
            _ => {}
        }
        unchanged.push(per_platform);
    }
    Ok(Plan {
        release_id: existing.map(|r| r.id),
        unchanged,
    })
}

/// Step 4: moves each copy to `releases/<sha256>`. Returns the files it created (a bundle
/// already there is the same bytes, since its name is its hash; its copy is dropped, which
/// removes it).
fn keep(
    lock: DataLock,
    copies: Vec<(String, NamedTempFile)>,
) -> Result<(DataLock, Vec<PathBuf>), ReleaseError> {
    let mut created = Vec::new();
    for (sha256, copy) in copies {
        let target = bundle_path(lock.dir(), &sha256);
        if target.exists() {
            continue;
        }
        move_into_place(copy, &target, "move the bundle to")?;
        created.push(target);
    }
    sync_dir(&releases_dir(lock.dir()))?;
    Ok((lock, created))
}

/// Step 5: records the release (if new), its notes (if given) and its new bundles in one
/// transaction. Returns the release's id.
async fn record(
    storage: &Storage,
    version: &str,
    channel: Channel,
    notes: Option<String>,
    plan: &Plan,
    staged: &[Staged],
) -> Result<i64, ReleaseError> {
    let rows: Vec<(Platform, String, String, u64, String)> = staged
        .iter()
        .zip(&plan.unchanged)
        .flat_map(|(staged, unchanged)| {
            staged
                .checked
                .platforms
                .iter()
                .zip(unchanged)
                .filter(|(_, unchanged)| !**unchanged)
                .map(|(platform, _)| {
                    (
                        platform.clone(),
                        staged.checked.file_name.clone(),
                        staged.sha256.clone(),
                        staged.size,
                        staged.checked.signature.text.clone(),
                    )
                })
        })
        .collect();
    let (version, existing) = (version.to_owned(), plan.release_id);
    Ok(storage
        .transact(move |tx| {
            let release_id = match existing {
                Some(id) => {
                    if let Some(notes) = &notes {
                        tx.execute(
                            "UPDATE releases SET notes = ?2 WHERE id = ?1",
                            params![id, notes],
                        )?;
                    }
                    id
                }
                None => insert_release(tx, &version, channel, notes.as_deref().unwrap_or(""))?,
            };
            insert_files(tx, release_id, &rows)?;
            Ok(release_id)
        })
        .await?)
}

fn insert_release(
    tx: &crate::storage::sql::Conn<'_>,
    version: &str,
    channel: Channel,
    notes: &str,
) -> crate::storage::sql::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO releases (version, channel, notes, pub_date) VALUES (?1, ?2, ?3, ?4)
         RETURNING id",
    )?
    .query_row(
        params![version, channel.as_str(), notes, pub_date()],
        |row| row.get(0),
    )
}

fn insert_files(
    tx: &crate::storage::sql::Conn<'_>,
    release_id: i64,
    rows: &[(Platform, String, String, u64, String)],
) -> crate::storage::sql::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO release_files
             (release_id, target, arch, bundle, file_name, sha256, size, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (release_id, target, arch, bundle) DO UPDATE SET
             file_name = excluded.file_name, sha256 = excluded.sha256, size = excluded.size,
             signature = excluded.signature",
    )?;
    for (platform, file_name, sha256, size, signature) in rows {
        insert.execute(params![
            release_id,
            platform.target,
            platform.arch,
            platform.bundle,
            file_name,
            sha256,
            size,
            signature
        ])?;
    }
    Ok(())
}

/// Now, RFC 3339 in UTC to the second (what the updater's `pub_date` parser takes).
fn pub_date() -> String {
    let now = jiff::Timestamp::now();
    now.round(jiff::Unit::Second).unwrap_or(now).to_string()
}

/// Records `bytes` as the bundle `file_name` of `version` for `platform`, with `signature` as its
/// `.sig`, **without any check** — creating the release if needed, replacing a bundle published
/// for that platform. Only for tests that need a server which offers what a real publish would
/// refuse ([`crate::testing::LoopbackServer::publish_release_unchecked`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_unchecked(
    storage: &Storage,
    data: &DataDir,
    version: &str,
    channel: Channel,
    notes: &str,
    platform: Platform,
    file_name: &str,
    bytes: Vec<u8>,
    signature: &str,
) -> Result<PublishedFile, ReleaseError> {
    let (data, name) = (data.clone(), PathBuf::from(file_name));
    let (lock, sha256, size) = blocking(move || {
        let lock = data.lock()?;
        let dir = releases_dir(lock.dir());
        std::fs::create_dir_all(&dir).map_err(io_error("create the folder", &dir))?;
        let copied = copy_in(&dir, "", &mut bytes.as_slice(), &name, "write", |_| {})?;
        let target = bundle_path(lock.dir(), &copied.sha256);
        move_into_place(copied.file, &target, "move the bundle to")?;
        sync_dir(&dir)?;
        Ok((lock, copied.sha256, copied.size))
    })
    .await?;
    let row = (
        platform.clone(),
        file_name.to_owned(),
        sha256.clone(),
        size,
        signature.trim().to_owned(),
    );
    let (version_text, notes) = (version.to_owned(), notes.to_owned());
    let release_id = storage
        .transact(move |tx| {
            let found: Option<i64> =
                crate::storage::sql::OptionalExtension::optional(tx.query_row(
                    "SELECT id FROM releases WHERE version = ?1",
                    [&version_text],
                    |row| row.get(0),
                ))?;
            let release_id = match found {
                Some(id) => id,
                None => insert_release(tx, &version_text, channel, &notes)?,
            };
            insert_files(tx, release_id, std::slice::from_ref(&row))?;
            Ok(release_id)
        })
        .await?;
    drop(lock);
    Ok(PublishedFile {
        release_id,
        version: version.to_owned(),
        channel,
        platform,
        file_name: file_name.to_owned(),
        sha256,
        size,
        unchanged: false,
    })
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

async fn blocking<T, F>(f: F) -> Result<T, ReleaseError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ReleaseError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|error| ReleaseError::Task(error.to_string()))?
}
