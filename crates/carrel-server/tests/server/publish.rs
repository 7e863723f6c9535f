//! Publishing packages (the library function behind `carrel-server publish`) while the server
//! runs, and what the catalogue then says.

use carrel_package::{PackageArchive, SecretKey};
use carrel_protocol::catalog::{file_url, manifest_url, package_url, signature_url};
use carrel_protocol::{ApiError, PublisherKey};
use carrel_server::PublishError;

use crate::support::{COURSE_ID, Fixture, KEY, PICTURE_MARKER, build_package, sha256_hex};

#[tokio::test]
async fn a_published_course_is_listed_in_the_catalog() {
    let fx = Fixture::start().await;
    assert_eq!(
        fx.catalog().await.courses,
        vec![],
        "a new server lists nothing"
    );

    let package = fx.package("v1", "1.0.0", "First edition.");
    let bytes = std::fs::read(&package).unwrap();
    let before = carrel_protocol::unix_time_ms();
    let published = fx
        .publish(&package)
        .await
        .expect("a valid package publishes");
    let key = SecretKey::from_seed([KEY; 32]).public_key();
    assert_eq!(published.course_id, COURSE_ID);
    assert_eq!(published.version, "1.0.0");
    assert_eq!(published.fingerprint, key.fingerprint().to_string());
    assert_eq!(published.replaced, None);
    assert!(!published.unchanged);

    let manifest = PackageArchive::open(std::io::Cursor::new(&bytes), &Default::default())
        .unwrap()
        .manifest()
        .clone();
    let catalog = fx.catalog().await;
    assert_eq!(
        catalog.courses.len(),
        1,
        "the running server sees the publish"
    );
    let course = &catalog.courses[0];
    assert_eq!(course.id, COURSE_ID);
    assert_eq!(course.version, "1.0.0");
    assert_eq!(course.title, "A test course");
    assert_eq!(course.summary, "Built by the carrel-server tests.");
    assert_eq!(course.language, "en");
    assert_eq!(course.publisher, "Test Academy");
    assert_eq!(course.starts.as_deref(), Some("2027-02-15"));
    assert_eq!(course.ends, None);
    assert_eq!(course.package_size, bytes.len() as u64);
    assert_eq!(course.package_sha256, sha256_hex(&bytes));
    assert_eq!(course.content_size, manifest.total_size());
    assert_eq!(course.package_url, package_url(COURSE_ID, "1.0.0"));
    assert_eq!(course.manifest_url, manifest_url(COURSE_ID, "1.0.0"));
    assert_eq!(course.signature_url, signature_url(COURSE_ID, "1.0.0"));
    assert_eq!(course.publisher_fingerprint, published.fingerprint);
    assert!(
        course.published_at >= before as i64 - 1000
            && course.published_at <= carrel_protocol::unix_time_ms() as i64 + 1000,
        "published_at is the publish time in Unix ms"
    );
    assert_eq!(
        catalog.publisher_keys,
        vec![PublisherKey {
            public_key: key.to_base64(),
            fingerprint: key.fingerprint().to_string(),
        }],
        "the server vouches for the key that signed what it publishes"
    );

    let stored = fx.server.data().package_path(&course.package_sha256);
    assert_eq!(
        std::fs::read(stored).unwrap(),
        bytes,
        "the package is kept byte for byte as packages/<sha256>.carrel"
    );
    assert_eq!(
        fx.files_under("packages"),
        vec![format!("{}.carrel", course.package_sha256)],
        "no temporary copy is left behind"
    );
}

#[tokio::test]
async fn publishing_the_same_package_again_changes_nothing() {
    let fx = Fixture::start().await;
    let package = fx.package("v1", "1.0.0", "First edition.");
    fx.publish(&package).await.unwrap();
    let before = fx.catalog().await;

    let again = fx
        .publish(&package)
        .await
        .expect("an identical package is accepted");
    assert!(
        again.unchanged,
        "the second publish reports that nothing changed"
    );
    assert_eq!(fx.catalog().await, before, "not even published_at moves");
}

#[tokio::test]
async fn the_same_version_with_different_bytes_is_refused() {
    let fx = Fixture::start().await;
    fx.publish(&fx.package("v1", "1.0.0", "First edition."))
        .await
        .unwrap();
    let before = fx.catalog().await;

    let changed = fx.package("v1-changed", "1.0.0", "A silently edited first edition.");
    let error = fx
        .publish(&changed)
        .await
        .expect_err("a published version never changes");
    assert!(
        matches!(&error, PublishError::VersionTaken { version, .. } if version == "1.0.0"),
        "expected VersionTaken, got {error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("already published with different contents")
            && message.contains("new version"),
        "the message says what is wrong and what to do: {message}"
    );
    assert_eq!(fx.catalog().await, before, "the catalogue is unchanged");
    assert_eq!(
        fx.files_under("packages"),
        vec![format!("{}.carrel", before.courses[0].package_sha256)],
        "the refused package is not kept"
    );
}

#[tokio::test]
async fn an_older_version_is_refused_and_a_newer_one_replaces_the_entry() {
    let fx = Fixture::start().await;
    let v1_1 = fx.package("v1.1", "1.1.0", "Second edition.");
    fx.publish(&v1_1).await.unwrap();
    let v1_1_sha = sha256_hex(&std::fs::read(&v1_1).unwrap());

    let error = fx
        .publish(&fx.package("v1.0", "1.0.0", "First edition."))
        .await
        .expect_err("an older version cannot replace a newer one");
    assert!(
        matches!(&error, PublishError::Older { published, offered, .. }
            if published == "1.1.0" && offered == "1.0.0"),
        "expected Older, got {error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("older than the published version 1.1.0")
    );

    let v1_10 = fx.package("v1.10", "1.10.0", "Tenth edition.");
    let published = fx.publish(&v1_10).await.expect("a newer version publishes");
    assert_eq!(published.replaced.as_deref(), Some("1.1.0"));
    let catalog = fx.catalog().await;
    assert_eq!(catalog.courses.len(), 1, "one entry per course");
    assert_eq!(
        catalog.courses[0].version, "1.10.0",
        "versions compare as numbers: 1.10.0 is newer than 1.1.0"
    );

    let old = fx.get(&package_url(COURSE_ID, "1.1.0")).await;
    assert_eq!(old.status(), 404, "a replaced version is no longer served");
    let body: ApiError = old.json().await.unwrap();
    assert_eq!(body.code, "not_found");
    assert!(
        body.message.contains("read the catalogue"),
        "the 404 tells the client what to do: {}",
        body.message
    );
    assert!(
        !fx.server.data().package_path(&v1_1_sha).exists(),
        "the replaced package file is removed"
    );
    let new = fx.get(&package_url(COURSE_ID, "1.10.0")).await;
    assert_eq!(new.status(), 200);
    assert_eq!(new.bytes().await.unwrap(), std::fs::read(&v1_10).unwrap());
}

#[tokio::test]
async fn a_new_version_signed_by_another_key_is_refused() {
    let fx = Fixture::start().await;
    fx.publish(&fx.package("v1", "1.0.0", "First edition."))
        .await
        .unwrap();
    let stranger = build_package(fx.dir.path(), "v2-other-key", "2.0.0", "Hijacked.", KEY + 1);
    let error = fx
        .publish(&stranger)
        .await
        .expect_err("clients pin a course's key, so the server must too");
    assert!(
        matches!(error, PublishError::PublisherChanged { .. }),
        "expected PublisherChanged, got {error:?}"
    );
    assert_eq!(fx.catalog().await.courses[0].version, "1.0.0");
}

#[tokio::test]
async fn a_tampered_package_is_refused_and_leaves_nothing_behind() {
    let fx = Fixture::start().await;
    let package = fx.package("v1", "1.0.0", "First edition.");
    let mut bytes = std::fs::read(&package).unwrap();
    let at = bytes
        .windows(PICTURE_MARKER.len())
        .position(|window| window == PICTURE_MARKER)
        .expect("the picture is stored uncompressed in the package");
    // Same length, one byte changed: the zip directory and the signed manifest still look fine,
    // only reading the file's content can tell.
    bytes[at] ^= 0x01;
    let tampered = fx.dir.path().join("tampered.carrel");
    std::fs::write(&tampered, &bytes).unwrap();

    let error = fx
        .publish(&tampered)
        .await
        .expect_err("a package whose content does not match its signed manifest is refused");
    assert!(
        matches!(error, PublishError::Package(_)),
        "refused as a bad package, before the store is touched: {error:?}"
    );
    assert!(
        error.to_string().contains("picture.png"),
        "the message names the damaged file: {error}"
    );
    assert_eq!(fx.catalog().await.courses, vec![], "nothing is published");
    assert_eq!(
        fx.files_under("packages"),
        Vec::<String>::new(),
        "no copy of the package is kept"
    );
    assert_eq!(
        fx.files_under("store/objects"),
        Vec::<String>::new(),
        "no content file reached the store"
    );
    let picture_sha = sha256_hex(&[b"\x89PNG\r\n\x1a\n".as_slice(), PICTURE_MARKER].concat());
    let response = fx.get(&file_url(&picture_sha)).await;
    assert_eq!(response.status(), 404, "no file of it is served");

    // The intact package still publishes afterwards: the refusal left no state in the way.
    fx.publish(&package)
        .await
        .expect("the intact package publishes");
}
