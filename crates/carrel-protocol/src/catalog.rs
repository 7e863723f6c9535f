//! The course catalogue, and where a client fetches a course's package, manifest, signature and
//! content files.
//!
//! `GET /api/v1/catalog` lists every course the server publishes, each at its current version, and
//! the publisher keys the server vouches for (the keys that signed those packages). A client gets a
//! course either as one package file (resumable with `Range` + `If-Range`, the package's SHA-256
//! being its strong ETag), or — to update an installed course — as the signed manifest plus only
//! the content files whose hashes it lacks, each fetched by hash from `/api/v1/files/{sha256}`.
//!
//! A version of a course never changes once published, so every URL below except the catalogue's
//! names immutable bytes. URLs in a [`Catalog`] are absolute paths (`/api/v1/…`); a client resolves
//! them against the server address it used to fetch the catalogue.

use serde::{Deserialize, Serialize};

/// Path of the catalogue.
pub const CATALOG_PATH: &str = "/api/v1/catalog";
/// Route of a course version's package file (`{course_id}`, `{version}` are path segments).
pub const PACKAGE_ROUTE: &str = "/api/v1/packages/{course_id}/{version}";
/// Route of a course version's signed manifest: the exact bytes the publisher signed.
pub const MANIFEST_ROUTE: &str = "/api/v1/courses/{course_id}/{version}/manifest";
/// Route of a course version's signature (`carrel-signature.json`).
pub const SIGNATURE_ROUTE: &str = "/api/v1/courses/{course_id}/{version}/signature";
/// Route of one content file by its SHA-256 (64 lowercase hex digits).
pub const FILE_ROUTE: &str = "/api/v1/files/{sha256}";

/// The media type of a package file.
pub const PACKAGE_MEDIA_TYPE: &str = "application/vnd.carrel.package+zip";

/// The body of `GET /api/v1/catalog`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Every published course at its current version, by title.
    pub courses: Vec<CatalogCourse>,
    /// The publisher keys this server vouches for: those that signed the courses listed.
    pub publisher_keys: Vec<PublisherKey>,
}

/// A publisher key the server vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublisherKey {
    /// The Ed25519 public key, base64.
    pub public_key: String,
    /// Its fingerprint (`ab12-cd34-…`), as shown to learners.
    pub fingerprint: String,
}

/// One course in the catalogue, at its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogCourse {
    /// The stable course id.
    pub id: String,
    /// The current version (`major.minor.patch`).
    pub version: String,
    /// Title, from the signed manifest.
    pub title: String,
    /// One sentence about the course (may be empty).
    pub summary: String,
    /// Language of the content (BCP 47).
    pub language: String,
    /// The publisher's display name.
    pub publisher: String,
    /// First day of the course (`YYYY-MM-DD`), if it runs on dates.
    pub starts: Option<String>,
    /// Last day of the course (`YYYY-MM-DD`).
    pub ends: Option<String>,
    /// Where the package file is ([`package_url`]).
    pub package_url: String,
    /// Size of the package file in bytes.
    pub package_size: u64,
    /// SHA-256 of the package file (lowercase hex); also its strong ETag.
    pub package_sha256: String,
    /// Total size of the course's content files in bytes (what installing it takes on disk).
    pub content_size: u64,
    /// Where the signed manifest is ([`manifest_url`]).
    pub manifest_url: String,
    /// Where the signature is ([`signature_url`]).
    pub signature_url: String,
    /// Fingerprint of the key that signed this version (one of [`Catalog::publisher_keys`]).
    pub publisher_fingerprint: String,
    /// When this version was published, in milliseconds since the Unix epoch.
    pub published_at: i64,
}

/// The path of a course version's package file.
pub fn package_url(course_id: &str, version: &str) -> String {
    format!(
        "/api/v1/packages/{}/{}",
        encode_segment(course_id),
        encode_segment(version)
    )
}

/// The path of a course version's signed manifest.
pub fn manifest_url(course_id: &str, version: &str) -> String {
    format!(
        "/api/v1/courses/{}/{}/manifest",
        encode_segment(course_id),
        encode_segment(version)
    )
}

/// The path of a course version's signature.
pub fn signature_url(course_id: &str, version: &str) -> String {
    format!(
        "/api/v1/courses/{}/{}/signature",
        encode_segment(course_id),
        encode_segment(version)
    )
}

/// The path of a content file by its SHA-256.
pub fn file_url(sha256: &str) -> String {
    format!("/api/v1/files/{}", encode_segment(sha256))
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so any text is one path segment.
/// Course ids, versions and hashes are already made of unreserved characters and pass unchanged.
pub fn encode_segment(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course() -> CatalogCourse {
        CatalogCourse {
            id: "rights-at-work".into(),
            version: "1.2.0".into(),
            title: "Rights at work".into(),
            summary: "Six weeks on labour standards.".into(),
            language: "en".into(),
            publisher: "Carrel Demo Academy".into(),
            starts: Some("2027-02-15".into()),
            ends: None,
            package_url: package_url("rights-at-work", "1.2.0"),
            package_size: 1234,
            package_sha256: "ab".repeat(32),
            content_size: 5678,
            manifest_url: manifest_url("rights-at-work", "1.2.0"),
            signature_url: signature_url("rights-at-work", "1.2.0"),
            publisher_fingerprint: "ab12-cd34".into(),
            published_at: 1_700_000_000_000,
        }
    }

    #[test]
    fn catalog_wire_format_is_stable() {
        let catalog = Catalog {
            courses: vec![course()],
            publisher_keys: vec![PublisherKey {
                public_key: "a2V5".into(),
                fingerprint: "ab12-cd34".into(),
            }],
        };
        let json = serde_json::to_value(&catalog).unwrap();
        // Clients parse these exact names: renaming one is a protocol break.
        assert_eq!(
            json,
            serde_json::json!({
                "courses": [{
                    "id": "rights-at-work",
                    "version": "1.2.0",
                    "title": "Rights at work",
                    "summary": "Six weeks on labour standards.",
                    "language": "en",
                    "publisher": "Carrel Demo Academy",
                    "starts": "2027-02-15",
                    "ends": null,
                    "package_url": "/api/v1/packages/rights-at-work/1.2.0",
                    "package_size": 1234,
                    "package_sha256": "ab".repeat(32),
                    "content_size": 5678,
                    "manifest_url": "/api/v1/courses/rights-at-work/1.2.0/manifest",
                    "signature_url": "/api/v1/courses/rights-at-work/1.2.0/signature",
                    "publisher_fingerprint": "ab12-cd34",
                    "published_at": 1_700_000_000_000i64,
                }],
                "publisher_keys": [{ "public_key": "a2V5", "fingerprint": "ab12-cd34" }],
            })
        );
        let back: Catalog = serde_json::from_value(json).unwrap();
        assert_eq!(back, catalog, "a Catalog must survive a JSON round trip");
    }

    #[test]
    fn a_newer_server_may_add_fields() {
        let mut json = serde_json::to_value(course()).unwrap();
        json["future_field"] = serde_json::json!(true);
        let parsed: CatalogCourse = serde_json::from_value(json).unwrap();
        assert_eq!(parsed, course(), "unknown fields are ignored, not refused");
    }

    #[test]
    fn helpers_fill_the_routes() {
        // Each helper must produce a path the matching route template matches.
        let fill = |route: &str| {
            route
                .replace("{course_id}", "c-1")
                .replace("{version}", "1.0.0")
                .replace("{sha256}", &"0f".repeat(32))
        };
        assert_eq!(package_url("c-1", "1.0.0"), fill(PACKAGE_ROUTE));
        assert_eq!(manifest_url("c-1", "1.0.0"), fill(MANIFEST_ROUTE));
        assert_eq!(signature_url("c-1", "1.0.0"), fill(SIGNATURE_ROUTE));
        assert_eq!(file_url(&"0f".repeat(32)), fill(FILE_ROUTE));
        for route in [
            CATALOG_PATH,
            PACKAGE_ROUTE,
            MANIFEST_ROUTE,
            SIGNATURE_ROUTE,
            FILE_ROUTE,
        ] {
            assert!(route.starts_with("/api/v1/"), "{route} is under /api/v1");
        }
    }

    #[test]
    fn helpers_keep_odd_text_inside_one_segment() {
        assert_eq!(
            package_url("a/b", "1 0?#%"),
            "/api/v1/packages/a%2Fb/1%200%3F%23%25"
        );
        assert_eq!(file_url("é"), "/api/v1/files/%C3%A9");
    }
}
