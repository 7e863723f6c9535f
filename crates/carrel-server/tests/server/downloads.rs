//! Downloading what was published: the package (whole, resumed, conditional), its signed manifest
//! and signature, and content files by hash.

use carrel_package::{Manifest, PackageSignature};
use carrel_protocol::catalog::{file_url, manifest_url, package_url, signature_url};
use carrel_protocol::{ApiError, CatalogCourse, PACKAGE_MEDIA_TYPE};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    IF_RANGE, RANGE,
};

use crate::support::{COURSE_ID, Fixture, sha256_hex};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A fixture with version 1.0.0 published; returns its catalogue entry and package bytes.
async fn published() -> (Fixture, CatalogCourse, Vec<u8>) {
    let fx = Fixture::start().await;
    let package = fx.package("v1", "1.0.0", "First edition.");
    fx.publish(&package).await.unwrap();
    let course = fx.catalog().await.courses.remove(0);
    let bytes = std::fs::read(&package).unwrap();
    (fx, course, bytes)
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .unwrap_or_else(|| panic!("the response has {name}"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn the_package_downloads_byte_identical_with_its_headers() {
    let (fx, course, bytes) = published().await;
    let response = fx.get(&course.package_url).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, CONTENT_TYPE), PACKAGE_MEDIA_TYPE);
    assert_eq!(
        header(&response, ETAG),
        format!("\"{}\"", course.package_sha256),
        "the strong ETag is the package's SHA-256"
    );
    assert_eq!(header(&response, ACCEPT_RANGES), "bytes");
    assert_eq!(header(&response, CONTENT_LENGTH), bytes.len().to_string());
    assert_eq!(header(&response, CACHE_CONTROL), IMMUTABLE);
    let body = response.bytes().await.unwrap();
    assert!(
        body == bytes,
        "the download is the published file, byte for byte"
    );
}

#[tokio::test]
async fn a_cut_download_resumes_with_range_and_if_range() {
    let (fx, course, bytes) = published().await;
    let mut response = fx.get(&course.package_url).await;
    let etag = header(&response, ETAG).to_owned();
    let mut partial = Vec::new();
    while partial.len() < bytes.len() / 3 {
        let chunk = response.chunk().await.unwrap().expect("more body to come");
        partial.extend_from_slice(&chunk);
    }
    drop(response); // the connection drops mid-download
    assert!(partial.len() < bytes.len(), "the download really was cut");

    let resumed = fx
        .client
        .get(fx.url(&course.package_url))
        .header(RANGE, format!("bytes={}-", partial.len()))
        .header(IF_RANGE, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&resumed, CONTENT_RANGE),
        format!(
            "bytes {}-{}/{}",
            partial.len(),
            bytes.len() - 1,
            bytes.len()
        )
    );
    assert_eq!(
        header(&resumed, CONTENT_LENGTH),
        (bytes.len() - partial.len()).to_string()
    );
    partial.extend_from_slice(&resumed.bytes().await.unwrap());
    assert_eq!(
        sha256_hex(&partial),
        course.package_sha256,
        "the resumed download is the published package"
    );
}

#[tokio::test]
async fn if_range_with_a_stale_etag_sends_the_whole_package() {
    let (fx, course, bytes) = published().await;
    let response = fx
        .client
        .get(fx.url(&course.package_url))
        .header(RANGE, "bytes=1000-")
        .header(IF_RANGE, format!("\"{}\"", "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the file changed since the first part was fetched: splicing would corrupt it"
    );
    assert!(response.headers().get(CONTENT_RANGE).is_none());
    assert!(response.bytes().await.unwrap() == bytes);
}

#[tokio::test]
async fn a_range_past_the_end_is_416_with_the_length() {
    let (fx, course, bytes) = published().await;
    let response = fx
        .client
        .get(fx.url(&course.package_url))
        .header(RANGE, format!("bytes={}-", bytes.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        header(&response, CONTENT_RANGE),
        format!("bytes */{}", bytes.len())
    );
    let body: ApiError = response.json().await.expect("errors are JSON");
    assert_eq!(body.code, "range_not_satisfiable");
}

#[tokio::test]
async fn a_suffix_range_and_a_multi_range_request() {
    let (fx, course, bytes) = published().await;
    let suffix = fx
        .client
        .get(fx.url(&course.package_url))
        .header(RANGE, "bytes=-100")
        .send()
        .await
        .unwrap();
    assert_eq!(suffix.status(), StatusCode::PARTIAL_CONTENT);
    assert!(suffix.bytes().await.unwrap() == bytes[bytes.len() - 100..]);

    let several = fx
        .client
        .get(fx.url(&course.package_url))
        .header(RANGE, "bytes=0-9,20-29")
        .send()
        .await
        .unwrap();
    assert_eq!(
        several.status(),
        200,
        "several ranges are answered with the whole file (documented)"
    );
    assert!(several.bytes().await.unwrap() == bytes);
}

#[tokio::test]
async fn if_none_match_with_the_etag_is_304() {
    let (fx, course, _) = published().await;
    let etag = format!("\"{}\"", course.package_sha256);
    let response = fx
        .client
        .get(fx.url(&course.package_url))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&response, ETAG), etag);
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn head_sends_the_headers_without_a_body() {
    let (fx, course, bytes) = published().await;
    let manifest_bytes = fx.get(&course.manifest_url).await.bytes().await.unwrap();
    let manifest = Manifest::parse(&manifest_bytes).unwrap();
    let file = &manifest.files[0];
    let cases = [
        (course.package_url.clone(), bytes.len()),
        (file_url(&file.sha256), file.size as usize),
        (course.manifest_url.clone(), manifest_bytes.len()),
    ];
    for (path, length) in cases {
        let response = fx.client.head(fx.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "HEAD {path}");
        assert_eq!(
            header(&response, CONTENT_LENGTH),
            length.to_string(),
            "HEAD {path} gives the length a GET would send"
        );
        assert!(
            response.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
}

#[tokio::test]
async fn files_by_hash_match_the_signed_manifest() {
    let (fx, course, _) = published().await;
    let manifest_response = fx.get(&manifest_url(COURSE_ID, "1.0.0")).await;
    assert_eq!(manifest_response.status(), 200);
    assert_eq!(header(&manifest_response, CONTENT_TYPE), "application/json");
    let manifest_bytes = manifest_response.bytes().await.unwrap();
    let signature_bytes = fx
        .get(&signature_url(COURSE_ID, "1.0.0"))
        .await
        .bytes()
        .await
        .unwrap();
    let key = PackageSignature::parse(&signature_bytes)
        .unwrap()
        .verify(&manifest_bytes)
        .expect("the served signature verifies the served manifest bytes");
    assert_eq!(key.fingerprint().to_string(), course.publisher_fingerprint);
    let manifest = Manifest::parse(&manifest_bytes).unwrap();
    assert_eq!(manifest.total_size(), course.content_size);

    assert!(manifest.files.len() >= 3, "pages, stylesheet and assets");
    for file in &manifest.files {
        let response = fx.get(&file_url(&file.sha256)).await;
        assert_eq!(response.status(), 200, "{} is served by hash", file.path);
        assert_eq!(header(&response, CONTENT_TYPE), "application/octet-stream");
        assert_eq!(header(&response, ETAG), format!("\"{}\"", file.sha256));
        assert_eq!(header(&response, CACHE_CONTROL), IMMUTABLE);
        let body = response.bytes().await.unwrap();
        assert_eq!(body.len() as u64, file.size, "{}", file.path);
        assert_eq!(sha256_hex(&body), file.sha256, "{}", file.path);
    }

    let largest = manifest.files.iter().max_by_key(|f| f.size).unwrap();
    let ranged = fx
        .client
        .get(fx.url(&file_url(&largest.sha256)))
        .header(RANGE, "bytes=10-19")
        .header(IF_RANGE, format!("\"{}\"", largest.sha256))
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&ranged, CONTENT_RANGE),
        format!("bytes 10-19/{}", largest.size)
    );
    assert_eq!(ranged.bytes().await.unwrap().len(), 10);
}

#[tokio::test]
async fn unknown_or_malformed_requests_are_refused_as_json() {
    let (fx, _, _) = published().await;
    let cases = [
        (file_url(&"0".repeat(64)), 404, "not_found"),
        (file_url(&"A".repeat(64)), 400, "malformed_hash"),
        (file_url("abc"), 400, "malformed_hash"),
        (package_url(COURSE_ID, "9.9.9"), 404, "not_found"),
        (package_url("no-such-course", "1.0.0"), 404, "not_found"),
        (manifest_url(COURSE_ID, "0.0.1"), 404, "not_found"),
        (signature_url("no-such-course", "1.0.0"), 404, "not_found"),
    ];
    for (path, status, code) in cases {
        let response = fx.get(&path).await;
        assert_eq!(response.status(), status, "GET {path}");
        let body: ApiError = response.json().await.expect("errors are JSON");
        assert_eq!(body.code, code, "GET {path}");
    }
}
