//! App updates: the manifest `carrel-server` serves to the desktop app's updater.
//!
//! The app asks [`UPDATE_ROUTE`] with its update channel, operating system (`linux`, `darwin`,
//! `windows`), CPU architecture (`x86_64`, `aarch64`, `i686`, `armv7`), the kind of bundle it was
//! installed from (`deb`, `rpm`, `appimage`, `msi`, `nsis`, `app`) and its own version. The server
//! answers **204** when it has nothing newer for that platform on that channel, or **200** with an
//! [`UpdateManifest`] in the "dynamic" shape tauri-plugin-updater reads: the newest version, its
//! notes, the download address of the bundle and the bundle's minisign signature.
//!
//! The manifest is not signed; the bundle is. The app checks the signature with the public key it
//! was built with, and that the version the signature was made for (its trusted comment) is the
//! version the manifest announces, so a manifest cannot pass an old bundle off as a new one. It
//! never installs a version that is not newer than its own.
//!
//! The `stable` channel sees stable releases only; `beta` sees the newest of beta and stable.

use serde::{Deserialize, Serialize};

/// `GET`: the newest release for one platform, or 204.
pub const UPDATE_ROUTE: &str =
    "/api/v1/updates/{channel}/{target}/{arch}/{bundle}/{current_version}";
/// `GET`: one published bundle's bytes.
pub const RELEASE_FILE_ROUTE: &str = "/api/v1/releases/{release_id}/{file_name}";

/// The update endpoint for a server and channel, with the placeholders tauri-plugin-updater
/// fills in (`{{target}}`, `{{arch}}`, `{{current_version}}`) and the bundle kind given here.
pub fn update_endpoint(server: &str, channel: Channel, bundle: &str) -> String {
    format!(
        "{}/api/v1/updates/{}/{{{{target}}}}/{{{{arch}}}}/{bundle}/{{{{current_version}}}}",
        server.trim_end_matches('/'),
        channel.as_str()
    )
}

/// The path of a published bundle.
pub fn release_file_path(release_id: i64, file_name: &str) -> String {
    format!("/api/v1/releases/{release_id}/{file_name}")
}

/// An update channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Releases everyone gets.
    Stable,
    /// Releases for those who try them first (also offered the newest stable one).
    Beta,
}

impl Channel {
    /// The channel's name in paths and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Stable => "stable",
            Channel::Beta => "beta",
        }
    }

    /// Parses a channel name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "stable" => Some(Channel::Stable),
            "beta" => Some(Channel::Beta),
            _ => None,
        }
    }
}

/// The answer of [`UPDATE_ROUTE`] when there is a newer release (tauri-plugin-updater's dynamic
/// update response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateManifest {
    /// The release's version (semver, no leading `v`).
    pub version: String,
    /// Release notes (Markdown), shown to the learner before they agree to install.
    pub notes: String,
    /// When the release was published (RFC 3339).
    pub pub_date: String,
    /// The absolute address of the bundle.
    pub url: String,
    /// The bundle's minisign signature file, base64-encoded (the `.sig` file's content).
    pub signature: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_keeps_the_updater_placeholders() {
        assert_eq!(
            update_endpoint("https://courses.example.org/", Channel::Beta, "deb"),
            "https://courses.example.org/api/v1/updates/beta/{{target}}/{{arch}}/deb/{{current_version}}"
        );
    }

    #[test]
    fn channels_round_trip_by_name() {
        for channel in [Channel::Stable, Channel::Beta] {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
        assert_eq!(Channel::parse("nightly"), None);
    }
}
