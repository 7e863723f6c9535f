//! The blob stores: one suite run on the data folder and on a real S3-compatible server
//! (s3rver, which checks every request's signature), then a server that keeps its files in a
//! bucket, serving a published course and learners' files from it.

use std::path::Path;

use carrel_protocol::groups::group_file_path;
use carrel_server::blobs::{BlobError, BlobKind, BlobStore, FsBlobs, S3Blobs};
use carrel_server::testing::S3rver;
use futures_util::TryStreamExt;

use crate::support::{Class, DEMO_COURSE, sha256_hex};

async fn read_all(
    store: &dyn BlobStore,
    kind: BlobKind,
    sha256: &str,
    start: u64,
    len: u64,
) -> Vec<u8> {
    let stream = store
        .read(kind, sha256, start, len)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{sha256} is in {}", store.describe()));
    let chunks: Vec<bytes::Bytes> = stream.try_collect().await.unwrap();
    chunks.concat()
}

/// What every blob store must do, on `store`, with files written in `scratch`.
async fn blob_suite(store: &dyn BlobStore, scratch: &Path) {
    // Large enough for several chunks of the body on the way.
    let bytes: Vec<u8> = (0..300_000_u32).map(|i| (i % 251) as u8).collect();
    let sha256 = sha256_hex(&bytes);
    let file = scratch.join("a-file");
    std::fs::write(&file, &bytes).unwrap();
    for kind in BlobKind::ALL {
        assert_eq!(store.len(kind, &sha256).await.unwrap(), None, "{kind:?}");
        assert!(store.read(kind, &sha256, 0, 1).await.unwrap().is_none());

        store.put_file(kind, &sha256, &file).await.unwrap();
        assert_eq!(
            store.len(kind, &sha256).await.unwrap(),
            Some(bytes.len() as u64)
        );
        assert_eq!(
            read_all(store, kind, &sha256, 0, bytes.len() as u64).await,
            bytes
        );
        for (start, len) in [(0, 1), (1, 1), (100_000, 70_000), (299_990, 10)] {
            assert_eq!(
                read_all(store, kind, &sha256, start, len).await,
                &bytes[start as usize..(start + len) as usize],
                "{kind:?} {start}+{len}"
            );
        }
        // Again: nothing changes, and the file given is left alone.
        store.put_file(kind, &sha256, &file).await.unwrap();
        assert_eq!(
            store.len(kind, &sha256).await.unwrap(),
            Some(bytes.len() as u64)
        );
        assert!(file.is_file());
    }
    // Kinds do not see each other's blobs.
    store.delete(BlobKind::Package, &sha256).await.unwrap();
    assert_eq!(store.len(BlobKind::Package, &sha256).await.unwrap(), None);
    assert_eq!(
        store.len(BlobKind::File, &sha256).await.unwrap(),
        Some(bytes.len() as u64)
    );
    store.delete(BlobKind::Package, &sha256).await.unwrap();

    // An empty file is a blob too.
    let empty = scratch.join("empty");
    std::fs::write(&empty, b"").unwrap();
    let nothing = sha256_hex(b"");
    store
        .put_file(BlobKind::Attachment, &nothing, &empty)
        .await
        .unwrap();
    assert_eq!(
        store.len(BlobKind::Attachment, &nothing).await.unwrap(),
        Some(0)
    );
    assert!(
        read_all(store, BlobKind::Attachment, &nothing, 0, 0)
            .await
            .is_empty()
    );

    // Only SHA-256 names: nothing else reaches a path or a key.
    for name in ["../etc/passwd", "ABC", &"g".repeat(64), ""] {
        let error = store.len(BlobKind::File, name).await.unwrap_err();
        assert!(matches!(error, BlobError::BadName(_)), "{name:?}: {error}");
        let error = store
            .put_file(BlobKind::File, name, &file)
            .await
            .unwrap_err();
        assert!(matches!(error, BlobError::BadName(_)), "{name:?}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_folder_keeps_blobs_as_the_suite_asks() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobs::new(carrel_server::DataDir::new(dir.path().join("data")));
    assert!(store.is_data_folder());
    blob_suite(&store, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_bucket_keeps_blobs_as_the_suite_asks_with_every_request_signed() {
    let s3 = S3rver::start().unwrap();
    let store = S3Blobs::new(s3.config()).unwrap();
    assert!(!store.is_data_folder());
    store.check().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    blob_suite(&store, dir.path()).await;

    // The same bucket under a prefix: keys do not collide with the unprefixed ones.
    let prefixed = S3Blobs::new(&carrel_server::blobs::S3Config {
        prefix: "carrel/".into(),
        ..s3.config().clone()
    })
    .unwrap();
    let file = dir.path().join("a-file");
    let sha256 = sha256_hex(&std::fs::read(&file).unwrap());
    assert_eq!(prefixed.len(BlobKind::File, &sha256).await.unwrap(), None);

    // A wrong secret: the store refuses the signature, and the error says what to check.
    let forged = S3Blobs::new(&carrel_server::blobs::S3Config {
        secret_key: "not the secret".into(),
        ..s3.config().clone()
    })
    .unwrap();
    let error = forged
        .put_file(BlobKind::File, &sha256, &file)
        .await
        .unwrap_err();
    assert!(
        matches!(error, BlobError::Refused { status: 403, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("credentials"), "{error}");
    // A GET's answer names the reason (a HEAD's has no body).
    let Err(error) = forged.read(BlobKind::File, &sha256, 0, 10).await else {
        panic!("a forged signature was accepted");
    };
    match &error {
        BlobError::Refused { status, code, .. } => {
            assert_eq!(
                (*status, code.as_str()),
                (403, "SignatureDoesNotMatch"),
                "{error}"
            );
        }
        other => panic!("not refused: {other}"),
    }
    assert!(error.to_string().contains("credentials"), "{error}");
    assert!(!format!("{forged:?}").contains("not the secret"));
    // Nothing listening: unreachable, not refused.
    let closed = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let nowhere = S3Blobs::new(&carrel_server::blobs::S3Config {
        endpoint: format!("http://127.0.0.1:{closed}"),
        ..s3.config().clone()
    })
    .unwrap();
    assert!(matches!(
        nowhere.check().await,
        Err(BlobError::Unreachable { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_a_bucket_serves_its_course_and_learners_files_from_it() {
    let s3 = S3rver::start().unwrap();
    let blobs = s3.blobs();
    let class = Class::with_demo_in(|state| state.with_blobs(blobs.clone())).await;
    let server = &class.fx.server;
    assert!(!server.blobs().is_data_folder());

    // The published package and every content file are in the bucket.
    let entry = class
        .fx
        .storage
        .get_catalog_course(DEMO_COURSE)
        .await
        .unwrap()
        .unwrap();
    let package = std::fs::read(server.data().package_path(&entry.package_sha256)).unwrap();
    assert_eq!(
        blobs
            .len(BlobKind::Package, &entry.package_sha256)
            .await
            .unwrap(),
        Some(package.len() as u64)
    );
    // Served from the bucket: the local copy is gone, and a range arrives exact.
    std::fs::remove_file(server.data().package_path(&entry.package_sha256)).unwrap();
    let url = class.fx.url(&carrel_protocol::catalog::package_url(
        DEMO_COURSE,
        &entry.version,
    ));
    let ranged = class
        .fx
        .client
        .get(&url)
        .bearer_auth(&class.ana)
        .header("Range", "bytes=100-1099")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.headers()["cache-control"],
        carrel_server::send_file::PRIVATE_IMMUTABLE,
        "asked with an account: no shared cache may keep it for others"
    );
    assert_eq!(ranged.bytes().await.unwrap(), &package[100..1100]);
    let whole = class
        .fx
        .client
        .get(&url)
        .bearer_auth(&class.ana)
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap(), package);

    // A learner's attachment: uploaded through the server, kept in the bucket only.
    let notes = b"group notes, in the bucket".to_vec();
    let attachment = class.fx.upload(&class.ana, "notes.txt", &notes).await;
    assert_eq!(
        blobs
            .len(BlobKind::Attachment, &attachment.sha256)
            .await
            .unwrap(),
        Some(notes.len() as u64)
    );
    assert!(!carrel_server::uploads::blob_path(server.data(), &attachment.sha256).exists());

    // A group's file placed by the course team, read back by a member through the server.
    server
        .enrol(
            "ana",
            DEMO_COURSE,
            carrel_protocol::auth::Role::Learner,
            Some("Team A"),
        )
        .await
        .unwrap();
    let brief = b"the case study brief".to_vec();
    let sha256 = server
        .add_group_file(DEMO_COURSE, "Team A", "brief.txt", &brief)
        .await
        .unwrap();
    assert!(!carrel_server::uploads::blob_path(server.data(), &sha256).exists());
    let fetched = class
        .fx
        .client
        .get(class.fx.url(&group_file_path(DEMO_COURSE, &sha256)))
        .bearer_auth(&class.ana)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap(), brief);

    // The bucket down: the server says so instead of failing obscurely.
    drop(s3);
    let down = class
        .fx
        .client
        .get(&url)
        .bearer_auth(&class.ana)
        .send()
        .await
        .unwrap();
    assert_eq!(down.status(), 503);
    assert!(down.text().await.unwrap().contains("storage_unavailable"));
}
