//! The Carrel course package format.
//!
//! A course reaches a laptop as one package file: a zip holding a versioned, signed manifest
//! (course → blocks → modules → items) and the content files it lists with their sizes and SHA-256
//! hashes. This crate owns that format end to end — reading and checking manifests, building and
//! signing packages, verifying them, and importing them safely into the content store — so the app,
//! the server and the authoring tool all agree on it. The format is specified in
//! `docs/package-format.md`.
//!
//! The first thing any reader checks is the format version ([`check_format_version`]): a package
//! written for a newer Carrel is refused with a message that says to update, never half-read.

pub mod activity;
pub mod archive;
pub mod entry_name;
pub mod manifest;
pub mod media;
pub mod pack;
pub mod signature;
pub mod source;
pub mod store;
pub mod testing;

pub use archive::{ArchiveError, Folders, Limits, PackageArchive, check_entries};
pub use entry_name::{EntryName, EntryNameError, EntryNames};
pub use manifest::{Manifest, ManifestError};
pub use signature::{Fingerprint, PackageSignature, PublicKey, SecretKey, SignatureError};

/// The newest package format version this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;

/// Why a package cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// The package was written for a newer Carrel.
    #[error(
        "this course package uses format version {found}, but this Carrel reads up to version \
         {supported}; update Carrel to open it"
    )]
    FormatTooNew {
        /// The version in the package.
        found: u32,
        /// [`FORMAT_VERSION`].
        supported: u32,
    },
    /// Version 0 never existed: the manifest is damaged or not a Carrel manifest.
    #[error(
        "this file does not declare a valid package format version (found {found}); it is damaged or not a Carrel course package"
    )]
    FormatInvalid {
        /// The version in the package.
        found: u32,
    },
}

/// Accepts the format versions this build can read.
pub fn check_format_version(found: u32) -> Result<(), PackageError> {
    match found {
        0 => Err(PackageError::FormatInvalid { found }),
        v if v > FORMAT_VERSION => Err(PackageError::FormatTooNew {
            found,
            supported: FORMAT_VERSION,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_current_format() {
        assert_eq!(check_format_version(FORMAT_VERSION), Ok(()));
    }

    #[test]
    fn refuses_newer_format_and_says_to_update() {
        let error = check_format_version(FORMAT_VERSION + 1).unwrap_err();
        assert!(matches!(error, PackageError::FormatTooNew { .. }));
        assert!(error.to_string().contains("update Carrel"), "{error}");
    }

    #[test]
    fn refuses_version_zero_as_damaged() {
        assert!(matches!(
            check_format_version(0),
            Err(PackageError::FormatInvalid { found: 0 })
        ));
    }
}
