//! App releases: the server publishes new versions of the Carrel desktop app and tells the app's
//! updater whether there is one for it.
//!
//! A **release** is one version of the app on one [`Channel`], with release notes and the
//! **bundles** built for it, one per [`Platform`] (`linux-x86_64-deb`, `windows-x86_64-nsis`,
//! …), each with the minisign signature Tauri's bundler made for it. The operator publishes with
//! `carrel-server release publish` ([`publish_release`]); the app asks
//! [`UPDATE_ROUTE`](carrel_protocol::updates::UPDATE_ROUTE) with its channel, platform and version
//! ([`find_update`]) and downloads the bundle from
//! [`RELEASE_FILE_ROUTE`](carrel_protocol::updates::RELEASE_FILE_ROUTE).
//!
//! The answer is the highest version, by semantic-version precedence, of the releases that are
//! not withdrawn, have a bundle for exactly the asking platform, and are on the asking channel
//! (`stable` sees stable releases; `beta` sees beta and stable) — and only if it is newer than the
//! app's own version. So a learner never gets an older or equal version, a `deb` install never
//! gets the `rpm`, and withdrawing a release ([`withdraw`]) simply stops offering it (the app never
//! downgrades, so those who installed it keep it until a newer one comes).
//!
//! The server is not what makes an update trustworthy: the app verifies every bundle's signature
//! with the public key it was built with. Publishing checks the same things first (the signature
//! decodes, it was made for this version, and — when the server is given the app's public key —
//! it verifies), so a mistake is caught by the operator, not by every learner's updater.
//!
//! Bundles are kept in the data folder as `releases/<sha256>`; a published bundle never changes
//! (the same version and platform with other bytes is refused).

use std::path::PathBuf;

use crate::storage::sql::{OptionalExtension, Row, params};
use carrel_protocol::updates::Channel;

use crate::{DataDir, Storage, StorageError};

pub mod platform;
mod publish;
pub mod signature;
pub mod version;

pub use platform::{Platform, infer_platforms};
pub(crate) use publish::record_unchecked;
pub use publish::{Bundle, NewRelease, PublishedFile, check_release, publish_release};
pub use version::Version;

/// The folder of the data folder that holds the bundles.
const RELEASES_DIR: &str = "releases";

/// The folder of published bundles: `<data>/releases`.
pub fn releases_dir(data: &DataDir) -> PathBuf {
    data.root().join(RELEASES_DIR)
}

/// Where the bundle with this SHA-256 is kept.
pub fn bundle_path(data: &DataDir, sha256: &str) -> PathBuf {
    releases_dir(data).join(sha256)
}

/// Why a release was not published or changed. Nothing of a refused publish is kept.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    /// Reading a bundle or storing it failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `--version` is not a semantic version.
    #[error("“{0}” is not a semantic version; give the app's version, e.g. 1.2.3 or 1.3.0-beta.1")]
    BadVersion(String),
    /// No bundle was given.
    #[error("no bundle was given; name the bundle files to publish (each with its .sig beside it)")]
    NoBundles,
    /// The bundle's name does not say its platform.
    #[error(
        "cannot tell the platform of {} from its name; pass it as --platform <target>-<arch>-<bundle>={}, e.g. --platform linux-x86_64-deb={}",
        path.display(), path.display(), path.display()
    )]
    UnknownPlatform {
        /// The bundle.
        path: PathBuf,
    },
    /// A `--platform` value is not valid.
    #[error("{0}")]
    BadPlatform(String),
    /// Two bundles given for the same platform.
    #[error("two bundles are given for {platform} ({} and {}); give one per platform", first.display(), second.display())]
    SamePlatformTwice {
        /// The platform (`linux-x86_64-deb`).
        platform: String,
        /// One bundle.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// Two different bundles of a release with the same file name, which is their download URL.
    #[error(
        "version {version} already has another bundle named “{file_name}”; each bundle of a release needs its own file name"
    )]
    SameNameTwice {
        /// The release.
        version: String,
        /// The name.
        file_name: String,
    },
    /// A bundle's file name is not valid UTF-8.
    #[error("the name of {} is not valid UTF-8; rename the file", .0.display())]
    BadFileName(PathBuf),
    /// The bundle has no `.sig` beside it.
    #[error(
        "there is no signature {} for {}: a signed Tauri build writes <bundle>.sig beside each bundle (build with TAURI_SIGNING_PRIVATE_KEY set), and the app installs no unsigned update; put the .sig beside the bundle",
        signature.display(), bundle.display()
    )]
    SignatureMissing {
        /// Where the signature was looked for.
        signature: PathBuf,
        /// The bundle.
        bundle: PathBuf,
    },
    /// The `.sig` is not a Tauri update signature.
    #[error(
        "{} is not a Tauri update signature (the base64 of a minisign signature file): {reason}",
        path.display()
    )]
    SignatureUnreadable {
        /// The `.sig` file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The signature does not name the version it was made for.
    #[error(
        "the signature {} does not say which version it was made for (its trusted comment “{comment}” has no version:); the app refuses such an update, so sign the bundle with its version in the trusted comment",
        path.display()
    )]
    SignatureVersionMissing {
        /// The `.sig` file.
        path: PathBuf,
        /// Its trusted comment.
        comment: String,
    },
    /// The signature was made for another version.
    #[error(
        "the signature {} was made for version {signed}, not {version}: the bundle belongs to another release, or --version is wrong",
        path.display()
    )]
    SignatureVersionMismatch {
        /// The `.sig` file.
        path: PathBuf,
        /// The version the signature names.
        signed: String,
        /// The version being published.
        version: String,
    },
    /// The signature does not verify with the configured public key.
    #[error(
        "the signature {} does not verify {} with the update public key ({reason}): the bundle was changed after it was signed, or signed with another key than the app trusts, and the app would refuse it",
        signature.display(), bundle.display()
    )]
    BadSignature {
        /// The `.sig` file.
        signature: PathBuf,
        /// The bundle.
        bundle: PathBuf,
        /// What minisign said.
        reason: String,
    },
    /// The configured public key cannot be used.
    #[error(
        "the update public key is not valid: {0}; give the base64 text of plugins.updater.pubkey in tauri.conf.json"
    )]
    BadPublicKey(String),
    /// This version and platform is already published with other bytes.
    #[error(
        "version {version} for {platform} is already published with other bytes (published {published}, this one {offered}); a published bundle never changes, so build a new version"
    )]
    BundleTaken {
        /// The version.
        version: String,
        /// The platform (`linux-x86_64-deb`).
        platform: String,
        /// SHA-256 of the published bundle.
        published: String,
        /// SHA-256 of this one.
        offered: String,
    },
    /// This version is published on the other channel.
    #[error(
        "version {version} is published on the {published} channel, not {offered}; a version has one channel, so publish it with --channel {published} or build a new version",
        published = published.as_str(), offered = offered.as_str()
    )]
    ChannelTaken {
        /// The version.
        version: String,
        /// Its channel.
        published: Channel,
        /// The channel asked for.
        offered: Channel,
    },
    /// Another version of equal precedence (differing only in build metadata) is published.
    #[error(
        "version {offered} would be the same version as the published {published} (build metadata does not count); build a new version"
    )]
    SameVersion {
        /// The published version.
        published: String,
        /// This one.
        offered: String,
    },
    /// This version was withdrawn.
    #[error("version {0} was withdrawn and is never offered again; build a new version")]
    Withdrawn(String),
    /// `withdraw` of a version never published.
    #[error("version {0} is not published; see `carrel-server release list`")]
    NotPublished(String),
    /// The data folder could not be used.
    #[error(transparent)]
    Data(#[from] crate::DataError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A blocking step panicked or was cancelled.
    #[error("the release task did not complete: {0}")]
    Task(String),
}

crate::file_io::from_file_io!(ReleaseError);

/// A release as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Its id, in download URLs.
    pub id: i64,
    /// Its version (semver, no leading `v`).
    pub version: String,
    /// Its channel.
    pub channel: Channel,
    /// Release notes (Markdown).
    pub notes: String,
    /// When it was first published (RFC 3339).
    pub pub_date: String,
    /// When it was withdrawn (unix ms), if it was.
    pub withdrawn_ms: Option<i64>,
    /// Its bundles, by platform.
    pub files: Vec<ReleaseFile>,
}

/// One bundle of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFile {
    /// The platform it is for.
    pub platform: Platform,
    /// Its file name (the last part of its download URL).
    pub file_name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// Its `.sig` file's content (base64).
    pub signature: String,
}

/// What the updater is offered: the newest release for its platform and channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The release's id.
    pub release_id: i64,
    /// Its version.
    pub version: String,
    /// Its notes.
    pub notes: String,
    /// When it was published (RFC 3339).
    pub pub_date: String,
    /// The bundle's file name.
    pub file_name: String,
    /// The bundle's `.sig` content (base64).
    pub signature: String,
}

pub(crate) fn channel_from_sql(row: &Row, index: usize) -> crate::storage::sql::Result<Channel> {
    let text: String = row.get(index)?;
    Channel::parse(&text).ok_or_else(|| crate::storage::sql::Error::Conversion {
        index,
        source: format!("“{text}” is not a channel").into(),
    })
}

/// The release the updater of `platform` on `channel` at version `current` should install:
/// the newest one it may see, if newer than `current` (see the module docs).
pub async fn find_update(
    storage: &Storage,
    channel: Channel,
    platform: (&str, &str, &str),
    current: &Version,
) -> Result<Option<Offer>, StorageError> {
    let (target, arch, bundle) = (
        platform.0.to_owned(),
        platform.1.to_owned(),
        platform.2.to_owned(),
    );
    let candidates = storage
        .with_conn(move |conn| {
            let mut statement = conn.prepare_cached(include_str!("sql/find_update.sql"))?;
            let rows =
                statement.query_map(params![target, arch, bundle, channel.as_str()], |row| {
                    Ok(Offer {
                        release_id: row.get(0)?,
                        version: row.get(1)?,
                        notes: row.get(2)?,
                        pub_date: row.get(3)?,
                        file_name: row.get(4)?,
                        signature: row.get(5)?,
                    })
                })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    // SQL cannot order by semver precedence; a server has few releases.
    let newest = candidates
        .into_iter()
        .filter_map(|offer| Version::parse(&offer.version).map(|version| (version, offer)))
        .max_by(|(a, _), (b, _)| a.cmp(b));
    Ok(newest
        .filter(|(version, _)| version > current)
        .map(|(_, offer)| offer))
}

/// The SHA-256 and size of bundle `file_name` of release `release_id`, unless the release was
/// withdrawn.
pub async fn get_bundle(
    storage: &Storage,
    release_id: i64,
    file_name: &str,
) -> Result<Option<(String, u64)>, StorageError> {
    let file_name = file_name.to_owned();
    storage
        .with_conn(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT f.sha256, f.size FROM release_files f JOIN releases r ON r.id = f.release_id
                 WHERE f.release_id = ?1 AND f.file_name = ?2 AND r.withdrawn_ms IS NULL LIMIT 1",
            )?;
            Ok(statement
                .query_row(params![release_id, file_name], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?)
        })
        .await
}

/// Every release with its bundles, newest version first.
pub async fn list(storage: &Storage) -> Result<Vec<Release>, StorageError> {
    let mut releases = storage.with_conn(|conn| Ok(list_in(conn)?)).await?;
    releases.sort_by(|a, b| {
        let key = |release: &Release| Version::parse(&release.version);
        key(b).cmp(&key(a))
    });
    Ok(releases)
}

/// Every release with its bundles, in id order.
pub(crate) fn list_in(
    conn: &crate::storage::sql::Conn<'_>,
) -> crate::storage::sql::Result<Vec<Release>> {
    let mut releases: Vec<Release> = conn
        .prepare_cached(
            "SELECT id, version, channel, notes, pub_date, withdrawn_ms FROM releases ORDER BY id",
        )?
        .query_map(params![], |row| {
            Ok(Release {
                id: row.get(0)?,
                version: row.get(1)?,
                channel: channel_from_sql(row, 2)?,
                notes: row.get(3)?,
                pub_date: row.get(4)?,
                withdrawn_ms: row.get(5)?,
                files: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut files = conn.prepare_cached(
        "SELECT target, arch, bundle, file_name, sha256, size, signature FROM release_files
         WHERE release_id = ?1 ORDER BY target, arch, bundle",
    )?;
    for release in &mut releases {
        release.files = files
            .query_map([&release.id], |row| {
                Ok(ReleaseFile {
                    platform: Platform {
                        target: row.get(0)?,
                        arch: row.get(1)?,
                        bundle: row.get(2)?,
                    },
                    file_name: row.get(3)?,
                    sha256: row.get(4)?,
                    size: row.get(5)?,
                    signature: row.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    Ok(releases)
}

/// Withdraws `version`: it is no longer offered or downloadable. Withdrawing it again changes
/// nothing. Returns the release as it now is.
pub async fn withdraw(storage: &Storage, version: &str) -> Result<Release, ReleaseError> {
    let version = Version::parse(version)
        .ok_or_else(|| ReleaseError::BadVersion(version.to_owned()))?
        .to_string();
    let now = i64::try_from(carrel_protocol::unix_time_ms()).unwrap_or(i64::MAX);
    let found = {
        let version = version.clone();
        storage
            .transact(move |tx| {
                tx.execute(
                    "UPDATE releases SET withdrawn_ms = ?2 WHERE version = ?1 AND withdrawn_ms IS NULL",
                    params![version, now],
                )?;
                Ok(list_in(tx)?.into_iter().find(|release| release.version == version))
            })
            .await?
    };
    let release = found.ok_or(ReleaseError::NotPublished(version))?;
    tracing::info!(version = %release.version, "release withdrawn");
    Ok(release)
}

/// Percent-encodes `segment` for a URL path (everything but RFC 3986's unreserved characters).
pub fn encode_path_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_encoded_for_the_download_url() {
        assert_eq!(
            encode_path_segment("Carrel_1.2.0_x64_en-US.msi"),
            "Carrel_1.2.0_x64_en-US.msi"
        );
        assert_eq!(
            encode_path_segment("My App 1.0+1/é.deb"),
            "My%20App%201.0%2B1%2F%C3%A9.deb"
        );
    }
}
