//! The library against a real server: catalogue, install from the server, a cut download resumed
//! to the identical file, a stale partial restarted cleanly, an update that fetches only changed
//! files, and the content scheme's HTTP semantics.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use carrel_core::library::download::{self, DownloadError};
use carrel_core::library::{Library, TaskProgress, content};
use carrel_core::settings::ServerUrl;
use carrel_package::store::Cancel;
use carrel_package::testing::{SAMPLE_COURSE_ID, sample_key, write_sample_source};
use carrel_server::Storage;
use carrel_server::testing::LoopbackServer;
use sha2::{Digest, Sha256};

use super::client;

struct World {
    dir: tempfile::TempDir,
    server: LoopbackServer,
    url: ServerUrl,
    library: Arc<Library>,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = LoopbackServer::start(&dir.path().join("server"))
            .await
            .unwrap();
        let url = ServerUrl::parse(&server.url()).unwrap();
        let library = Arc::new(Library::open(&dir.path().join("library")).unwrap());
        Self {
            dir,
            server,
            url,
            library,
        }
    }

    /// Builds the sample course at `version` (its video `media` bytes long) and publishes it.
    async fn publish(&self, version: &str, media: usize) -> PathBuf {
        let source = self.dir.path().join(format!("src-{version}"));
        write_sample_source(&source, version, media).unwrap();
        let package = self.dir.path().join(format!("{version}.carrel"));
        carrel_package::source::build(&source, &sample_key(), &package).unwrap();
        let storage = Storage::open(self.server.db()).unwrap();
        carrel_server::publish::publish_package(&storage, self.server.data(), &package)
            .await
            .unwrap();
        package
    }

    fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }

    async fn install(&self) -> Result<carrel_core::library::ImportReport, DownloadError> {
        let catalog = download::fetch_catalog(&client(), &self.url).await?;
        let course = catalog.courses[0].clone();
        download::install_from_server(
            self.library.clone(),
            &client(),
            &self.url,
            &catalog,
            &course,
            &self.downloads(),
            download::Task::unobserved(),
        )
        .await
    }
}

fn sha256_of(path: &Path) -> String {
    carrel_package::archive::hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

#[tokio::test]
async fn a_course_from_the_catalogue_installs_with_its_publisher_vouched_for() {
    let world = World::new().await;
    world.publish("1.0.0", 50_000).await;
    let catalog = download::fetch_catalog(&client(), &world.url)
        .await
        .unwrap();
    assert_eq!(catalog.courses.len(), 1);
    assert_eq!(catalog.courses[0].id, SAMPLE_COURSE_ID);

    let report = world.install().await.unwrap();
    assert_eq!(
        (report.course_id.as_str(), report.version.as_str()),
        (SAMPLE_COURSE_ID, "1.0.0")
    );
    let courses = world.library.list().unwrap();
    assert_eq!(
        courses.len(),
        1,
        "installed without asking the learner: the server vouched"
    );
    assert!(
        std::fs::read_dir(world.downloads())
            .unwrap()
            .next()
            .is_none(),
        "the package file is removed once installed"
    );
    world.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_cut_download_resumes_to_the_identical_file() {
    let world = World::new().await;
    let published = world.publish("1.0.0", 3_000_000).await;
    let catalog = download::fetch_catalog(&client(), &world.url)
        .await
        .unwrap();
    let course = &catalog.courses[0];

    // Cut after ~40%: the learner cancels (the same path as a dropped connection keeps bytes).
    let cancel = Cancel::default();
    let seen = AtomicU64::new(0);
    let cutter = |p: TaskProgress| {
        seen.store(p.done_bytes, Ordering::SeqCst);
        if p.done_bytes > p.total_bytes * 2 / 5 {
            cancel.cancel();
        }
    };
    let error = download::download_package(
        &client(),
        &world.url,
        course,
        &world.downloads(),
        &cutter,
        &cancel,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, DownloadError::Cancelled), "{error}");
    let partial = world
        .downloads()
        .join(format!("{}.partial", course.package_sha256));
    let kept = std::fs::metadata(&partial).unwrap().len();
    assert!(
        kept > 0 && kept < course.package_size,
        "the cut download kept {kept} bytes"
    );

    let first = AtomicU64::new(u64::MAX);
    let resumed = |p: TaskProgress| {
        let _ = first.compare_exchange(u64::MAX, p.done_bytes, Ordering::SeqCst, Ordering::SeqCst);
    };
    let done = download::download_package(
        &client(),
        &world.url,
        course,
        &world.downloads(),
        &resumed,
        &Cancel::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        first.load(Ordering::SeqCst),
        kept,
        "the second attempt started where the first stopped"
    );
    assert_eq!(
        sha256_of(&done),
        sha256_of(&published),
        "the resumed file is the published one"
    );
    assert!(!partial.exists());
    world.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_partial_download_of_another_file_restarts_instead_of_splicing() {
    let world = World::new().await;
    world.publish("1.0.0", 500_000).await;
    let catalog = download::fetch_catalog(&client(), &world.url)
        .await
        .unwrap();
    let mut course = catalog.courses[0].clone();

    // A partial file left by an older package at this URL: its ETag no longer matches, so the
    // server sends the whole current file (If-Range), which then does not hash to the old value.
    course.package_sha256 = "0".repeat(64);
    std::fs::create_dir_all(world.downloads()).unwrap();
    let partial = world
        .downloads()
        .join(format!("{}.partial", course.package_sha256));
    std::fs::write(&partial, vec![7u8; 1000]).unwrap();
    let error = download::download_package(
        &client(),
        &world.url,
        &course,
        &world.downloads(),
        &|_| {},
        &Cancel::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, DownloadError::Corrupt), "{error}");
    assert!(
        !partial.exists(),
        "a download that cannot be the announced file is discarded"
    );

    // A corrupt prefix of the current file is caught by the final hash, and discarded.
    let course = &catalog.courses[0];
    let partial = world
        .downloads()
        .join(format!("{}.partial", course.package_sha256));
    std::fs::write(&partial, vec![7u8; 1000]).unwrap();
    let error = download::download_package(
        &client(),
        &world.url,
        course,
        &world.downloads(),
        &|_| {},
        &Cancel::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, DownloadError::Corrupt), "{error}");
    download::download_package(
        &client(),
        &world.url,
        course,
        &world.downloads(),
        &|_| {},
        &Cancel::default(),
    )
    .await
    .expect("the next attempt starts clean and succeeds");
    world.server.stop().await.unwrap();
}

#[tokio::test]
async fn an_update_fetches_only_the_files_that_changed() {
    let world = World::new().await;
    let v1 = world.publish("1.0.0", 2_000_000).await;
    world.install().await.unwrap();
    world.publish("1.1.0", 2_000_000).await;
    let report = world.install().await.unwrap();
    assert_eq!(report.version, "1.1.0");
    let package = std::fs::metadata(&v1).unwrap().len();
    assert!(
        report.new_bytes > 0 && report.new_bytes < package / 100,
        "an update of one page fetched {} bytes of a {package}-byte course",
        report.new_bytes
    );
    assert_eq!(world.library.list().unwrap()[0].version, "1.1.0");
    world.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_damaged_file_is_found_and_only_it_is_downloaded_again() {
    let world = World::new().await;
    world.publish("1.0.0", 500_000).await;
    world.install().await.unwrap();
    let store = world.library.store();
    let video = store
        .file(SAMPLE_COURSE_ID, "assets/video.webm")
        .unwrap()
        .expect("the sample course has a video");
    let mut bytes = std::fs::read(&video.path).unwrap();
    bytes[10] ^= 0x55;
    std::fs::write(&video.path, &bytes).unwrap();
    assert_eq!(
        world
            .library
            .damaged_files(SAMPLE_COURSE_ID, &["assets/video.webm"])
            .unwrap(),
        Vec::<String>::new(),
        "the quick check sees sizes only"
    );
    assert_eq!(
        store.check_course(SAMPLE_COURSE_ID, true).unwrap(),
        vec!["assets/video.webm".to_owned()]
    );
    assert_eq!(
        world
            .library
            .damaged_files(SAMPLE_COURSE_ID, &["assets/video.webm"])
            .unwrap(),
        vec!["assets/video.webm".to_owned()],
        "once found, the item says so before it is shown"
    );

    let report = world.install().await.unwrap();
    assert_eq!(report.version, "1.0.0");
    assert_eq!(
        report.new_bytes, video.size,
        "only the damaged file came again"
    );
    assert_eq!(sha256_of(&video.path), video.sha256);
    assert!(
        store
            .check_course(SAMPLE_COURSE_ID, true)
            .unwrap()
            .is_empty()
    );
    world.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_file_handed_to_another_application_is_a_whole_copy_outside_the_store() {
    let world = World::new().await;
    world.publish("1.0.0", 1000).await;
    world.install().await.unwrap();
    let out = world.dir.path().join("opened");
    let stored = world
        .library
        .file(SAMPLE_COURSE_ID, "assets/video.webm")
        .unwrap()
        .unwrap();
    let copy = world
        .library
        .export_file(SAMPLE_COURSE_ID, "assets/video.webm", &out)
        .unwrap();
    assert_eq!(copy, out.join(SAMPLE_COURSE_ID).join("video.webm"));
    assert_eq!(sha256_of(&copy), stored.sha256);
    assert_eq!(
        world
            .library
            .export_file(SAMPLE_COURSE_ID, "assets/video.webm", &out)
            .unwrap(),
        copy,
        "an intact copy is reused"
    );
    // Edited in the other application: the learner's version is kept, the course's goes beside.
    std::fs::write(&copy, b"my notes").unwrap();
    let again = world
        .library
        .export_file(SAMPLE_COURSE_ID, "assets/video.webm", &out)
        .unwrap();
    assert_eq!(again, out.join(SAMPLE_COURSE_ID).join("video (2).webm"));
    assert_eq!(sha256_of(&again), stored.sha256);
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        b"my notes",
        "the edited copy is untouched"
    );
    assert_eq!(
        sha256_of(&stored.path),
        stored.sha256,
        "the store's copy is untouched"
    );
    assert!(
        world
            .library
            .export_file(SAMPLE_COURSE_ID, "assets/none.csv", &out)
            .is_err()
    );
    world.server.stop().await.unwrap();
}

#[tokio::test]
async fn the_content_scheme_serves_ranges_with_its_policy() {
    use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
    let world = World::new().await;
    world.publish("1.0.0", 100_000).await;
    world.install().await.unwrap();
    let library = &world.library;
    let video = library
        .file(SAMPLE_COURSE_ID, "assets/video.webm")
        .unwrap()
        .unwrap();
    let bytes = std::fs::read(&video.path).unwrap();

    let full = content::serve(
        library,
        SAMPLE_COURSE_ID,
        "assets/video.webm",
        &Method::GET,
        &HeaderMap::new(),
    );
    assert_eq!(full.status(), StatusCode::OK);
    assert_eq!(full.body(), &bytes);
    assert_eq!(full.headers()[header::CONTENT_TYPE], "video/webm");
    assert_eq!(full.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let csp = full.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-eval")
            && csp.contains("form-action 'none'"),
        "{csp}"
    );

    let mut headers = HeaderMap::new();
    headers.insert(header::RANGE, HeaderValue::from_static("bytes=1000-1999"));
    let part = content::serve(
        library,
        SAMPLE_COURSE_ID,
        "assets/video.webm",
        &Method::GET,
        &headers,
    );
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()[header::CONTENT_RANGE],
        format!("bytes 1000-1999/{}", bytes.len())
    );
    assert_eq!(part.body().as_slice(), &bytes[1000..2000]);

    headers.insert(header::RANGE, HeaderValue::from_static("bytes=99999999-"));
    let past = content::serve(
        library,
        SAMPLE_COURSE_ID,
        "assets/video.webm",
        &Method::GET,
        &headers,
    );
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    let head = content::serve(
        library,
        SAMPLE_COURSE_ID,
        "assets/video.webm",
        &Method::HEAD,
        &HeaderMap::new(),
    );
    assert!(head.body().is_empty());
    assert_eq!(
        head.headers()[header::CONTENT_LENGTH],
        bytes.len().to_string()
    );

    for missing in [
        "assets/nope.webm",
        "../library/store.sqlite3",
        "/etc/passwd",
        "",
    ] {
        let response = content::serve(
            library,
            SAMPLE_COURSE_ID,
            missing,
            &Method::GET,
            &HeaderMap::new(),
        );
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    let other = content::serve(
        library,
        "another-course",
        "assets/video.webm",
        &Method::GET,
        &HeaderMap::new(),
    );
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    world.server.stop().await.unwrap();
}

#[tokio::test]
async fn the_media_server_answers_only_its_token_its_host_and_the_open_course() {
    use carrel_core::library::media_server::{MediaServer, OpenCourse};
    let world = World::new().await;
    world.publish("1.0.0", 100_000).await;
    world.install().await.unwrap();
    let open = OpenCourse::default();
    let media = MediaServer::start(world.library.clone(), open.clone())
        .await
        .unwrap();
    let url = media.url_of(SAMPLE_COURSE_ID, "assets/video.webm");
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            http.get(url)
                .header("Range", "bytes=10-19")
                .send()
                .await
                .unwrap()
        }
    };

    assert_eq!(
        get(url.clone()).await.status(),
        403,
        "no course is open yet"
    );
    open.set(Some(SAMPLE_COURSE_ID.to_owned()));
    let response = get(url.clone()).await;
    assert_eq!(response.status(), 206);
    assert_eq!(response.headers()["content-type"], "video/webm");
    let video = world
        .library
        .file(SAMPLE_COURSE_ID, "assets/video.webm")
        .unwrap()
        .unwrap();
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        &std::fs::read(video.path).unwrap()[10..20]
    );

    let wrong_token = url.replacen(
        &media.base(),
        &format!("{}x/", media.base().trim_end_matches('/')),
        1,
    );
    assert_eq!(
        get(wrong_token).await.status(),
        404,
        "a guessed token gets nothing"
    );
    let other = media.url_of("another-course", "assets/video.webm");
    assert_eq!(get(other).await.status(), 403, "only the open course");
    // A page in a browser reaching this port by another name (DNS rebinding) is refused.
    let rebound = http
        .get(&url)
        .header("Host", "attacker.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
    world.server.stop().await.unwrap();
}
