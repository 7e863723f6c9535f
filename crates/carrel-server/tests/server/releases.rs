//! App releases and the updater's manifest: publishing (the library behind
//! `carrel-server release publish`, and the binary itself), what `GET /api/v1/updates/…` offers
//! which install, and the bundle downloads — against a real server on a loopback port, with real
//! minisign keys and signatures made here as `tauri build` makes them.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use carrel_protocol::ApiError;
use carrel_protocol::updates::{Channel, UpdateManifest, release_file_path};
use carrel_server::releases::{self, Bundle, NewRelease, Platform, PublishedFile, ReleaseError};
use carrel_server::testing::LoopbackServer;
use carrel_server::{AppState, DataDir, Storage};
use minisign::KeyPair;

use crate::support::{Fixture, carrel_server, help, http_client, sha256_hex};

/// Asserts that `error` is the refusal `pattern` (and optionally why it must be), and yields it.
macro_rules! assert_refused {
    ($error:expr, $pattern:pat) => {
        assert_refused!($error, $pattern, "")
    };
    ($error:expr, $pattern:pat, $why:literal) => {{
        let error = $error;
        assert!(
            matches!(error, $pattern),
            "expected {}, refused with: {error}. {}",
            stringify!($pattern),
            $why
        );
        error
    }};
}

/// A minisign key pair, used as Tauri uses one to sign update bundles.
struct Signer {
    pk: minisign::PublicKey,
    sk: minisign::SecretKey,
}

impl Signer {
    fn new() -> Self {
        let KeyPair { pk, sk } = KeyPair::generate_unencrypted_keypair().unwrap();
        Self { pk, sk }
    }

    /// The public key as `plugins.updater.pubkey` holds it: base64 of the `.pub` file.
    fn pubkey(&self) -> String {
        BASE64.encode(self.pk.to_box().unwrap().to_string())
    }

    /// A `.sig` file's content for `bytes` with this trusted comment: base64 of the signature file.
    fn sign_with_comment(&self, bytes: &[u8], trusted_comment: &str) -> String {
        let signature = minisign::sign(
            Some(&self.pk),
            &self.sk,
            Cursor::new(bytes),
            Some(trusted_comment),
            Some("signature from tauri secret key"),
        )
        .unwrap();
        BASE64.encode(signature.to_string())
    }

    /// What `tauri build` writes for `bytes` of app version `version`.
    fn sign(&self, bytes: &[u8], version: &str) -> String {
        self.sign_with_comment(
            bytes,
            &format!("timestamp:1795936144\tfile:bundle\tversion:{version}"),
        )
    }
}

/// Distinct bytes for each (version, platform), like real bundles.
fn bundle_bytes(version: &str, platform: &str) -> Vec<u8> {
    let mut bytes = format!("bundle {version} {platform} ").into_bytes();
    bytes.extend((0..70_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    bytes
}

/// Writes `bytes` to `dir/name` and, if given, `signature` to `dir/name.sig`.
fn write_bundle(dir: &Path, name: &str, bytes: &[u8], signature: Option<&str>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    if let Some(signature) = signature {
        std::fs::write(dir.join(format!("{name}.sig")), signature).unwrap();
    }
    path
}

/// The bundle `dir/name` of `version` as `tauri build` leaves it: its bytes
/// ([`bundle_bytes`]) and their signature by `signer`; its platform told by its name.
fn signed_bundle(dir: &Path, name: &str, version: &str, signer: &Signer) -> Bundle {
    let bytes = bundle_bytes(version, name);
    Bundle {
        path: write_bundle(dir, name, &bytes, Some(&signer.sign(&bytes, version))),
        platform: None,
    }
}

/// Sends `request` for an update manifest and reads the answer.
async fn manifest_of(request: reqwest::RequestBuilder) -> UpdateManifest {
    request.send().await.unwrap().json().await.unwrap()
}

/// Asserts that `response` is an error with `status`, and reads it.
async fn api_error(response: reqwest::Response, status: u16, why: &str) -> ApiError {
    assert_eq!(response.status(), status, "{why}");
    response.json().await.unwrap()
}

/// A running server, a key, and ways to publish and ask for updates.
struct Releases {
    fx: Fixture,
    signer: Signer,
}

impl Releases {
    async fn start() -> Self {
        Self {
            fx: Fixture::start().await,
            signer: Signer::new(),
        }
    }

    /// Publishes `version` on `channel` with one signed bundle per named file (Tauri's names),
    /// verified against the key.
    async fn try_publish(
        &self,
        version: &str,
        channel: Channel,
        names: &[&str],
    ) -> Result<Vec<PublishedFile>, ReleaseError> {
        let dir = self.fx.dir.path();
        let bundles = names
            .iter()
            .map(|name| signed_bundle(dir, name, version, &self.signer))
            .collect();
        self.publish_bundles(version, channel, bundles).await
    }

    /// [`Releases::try_publish`], which must succeed.
    async fn publish(&self, version: &str, channel: Channel, names: &[&str]) -> Vec<PublishedFile> {
        self.try_publish(version, channel, names)
            .await
            .unwrap_or_else(|error| panic!("{version} {names:?} publishes: {error}"))
    }

    async fn publish_bundles(
        &self,
        version: &str,
        channel: Channel,
        bundles: Vec<Bundle>,
    ) -> Result<Vec<PublishedFile>, ReleaseError> {
        let new = NewRelease {
            version: version.to_owned(),
            channel,
            notes: Some(format!("What is new in {version}.")),
            pubkey: Some(self.signer.pubkey()),
            bundles,
        };
        releases::publish_release(
            &self.fx.storage,
            self.fx.server.data(),
            &**self.fx.server.blobs(),
            new,
        )
        .await
    }

    /// Why publishing `bundles` as `version` on `channel` is refused.
    async fn refused(&self, version: &str, channel: Channel, bundles: Vec<Bundle>) -> ReleaseError {
        self.publish_bundles(version, channel, bundles)
            .await
            .expect_err("the publish is refused")
    }

    /// Why publishing `bytes` as the bundle `name` (platform told by the name), with `signature`
    /// as its `.sig` if given, as `version` on `channel` is refused.
    async fn refused_file(
        &self,
        version: &str,
        channel: Channel,
        name: &str,
        bytes: &[u8],
        signature: Option<&str>,
    ) -> ReleaseError {
        let path = write_bundle(self.fx.dir.path(), name, bytes, signature);
        let bundle = Bundle {
            path,
            platform: None,
        };
        self.refused(version, channel, vec![bundle]).await
    }

    /// `GET` the update route for this install.
    async fn ask(&self, channel: &str, platform: &str, current: &str) -> reqwest::Response {
        let platform = platform.replace('-', "/");
        self.fx
            .get(&format!("/api/v1/updates/{channel}/{platform}/{current}"))
            .await
    }

    /// The update offered to this install, or `None` for 204.
    async fn offered(
        &self,
        channel: &str,
        platform: &str,
        current: &str,
    ) -> Option<UpdateManifest> {
        let response = self.ask(channel, platform, current).await;
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "an update answer is never cached: the next publish must be seen"
        );
        match response.status().as_u16() {
            204 => None,
            200 => Some(response.json().await.unwrap()),
            other => panic!("unexpected {other}: {}", response.text().await.unwrap()),
        }
    }

    /// The update offered to this install, which must have one.
    async fn offer(&self, channel: &str, platform: &str, current: &str) -> UpdateManifest {
        self.offered(channel, platform, current)
            .await
            .unwrap_or_else(|| panic!("{channel} {platform} at {current} is offered an update"))
    }

    /// Asserts which version this install is offered (`None`: nothing, 204), because `why`.
    async fn assert_offered(
        &self,
        channel: &str,
        platform: &str,
        current: &str,
        expected: Option<&str>,
        why: &str,
    ) {
        let offered = self.offered(channel, platform, current).await;
        assert_eq!(
            offered.as_ref().map(|manifest| manifest.version.as_str()),
            expected,
            "{channel} {platform} at {current}: {why}"
        );
    }

    /// Rows in the release tables and files in `releases/`.
    async fn recorded(&self) -> (i64, i64, Vec<String>) {
        let (releases, files) = self
            .fx
            .storage
            .with_conn(|conn| {
                let count = |table: &str| {
                    conn.query_row(
                        &format!("SELECT count(*) FROM {table}"),
                        carrel_server::storage::sql::params![],
                        |row| row.get::<i64>(0),
                    )
                };
                Ok((count("releases")?, count("release_files")?))
            })
            .await
            .unwrap();
        (releases, files, self.fx.files_under("releases"))
    }
}

const DEB: &str = "Carrel_1.0.0_amd64.deb";
/// The install of [`DEB`]'s platform.
const LINUX_DEB: &str = "linux-x86_64-deb";

#[tokio::test]
async fn nothing_is_offered_before_anything_newer_is_published() {
    let r = Releases::start().await;
    let no_releases = "a server with no releases answers 204";
    r.assert_offered("stable", LINUX_DEB, "0.1.0", None, no_releases)
        .await;
    r.publish("1.0.0", Channel::Stable, &[DEB]).await;
    for current in ["1.0.0", "1.0.1", "2.0.0", "v1.0.0"] {
        let why = format!("an app at {current} is never offered 1.0.0: not newer");
        r.assert_offered("stable", LINUX_DEB, current, None, &why)
            .await;
    }
    let why = "a release is newer than its own pre-release";
    r.assert_offered("stable", LINUX_DEB, "1.0.0-rc.1", Some("1.0.0"), why)
        .await;
}

#[tokio::test]
async fn a_newer_release_is_offered_with_its_notes_date_url_and_signature() {
    let r = Releases::start().await;
    let published = r.publish("1.0.0", Channel::Stable, &[DEB]).await;
    assert_eq!(published.len(), 1);
    let file = &published[0];
    assert_eq!(file.platform.to_string(), LINUX_DEB);
    assert!(!file.unchanged);

    let manifest = r
        .offered("stable", LINUX_DEB, "0.9.0")
        .await
        .expect("1.0.0 is newer than 0.9.0");
    assert_eq!(manifest.version, "1.0.0");
    assert_eq!(manifest.notes, "What is new in 1.0.0.");
    let pub_date: jiff::Timestamp = manifest.pub_date.parse().expect("pub_date is RFC 3339");
    let age = jiff::Timestamp::now().duration_since(pub_date);
    assert!(
        age.as_secs() < 600,
        "pub_date is when it was published: {}",
        manifest.pub_date
    );
    let signature = std::fs::read_to_string(r.fx.dir.path().join(format!("{DEB}.sig"))).unwrap();
    assert_eq!(
        manifest.signature, signature,
        "the signature is the .sig file's content, as the updater expects"
    );
    assert_eq!(
        manifest.url,
        format!(
            "{}{}",
            r.fx.server.url(),
            release_file_path(file.release_id, DEB)
        ),
        "without a public_url the URL is built from the Host header, over http"
    );

    let download = http_client().get(&manifest.url).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let bytes = bundle_bytes("1.0.0", DEB);
    assert_eq!(
        download.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    assert_eq!(
        download.headers()["content-type"],
        "application/octet-stream"
    );
    assert!(
        download.bytes().await.unwrap() == bytes,
        "the download is the published bytes"
    );
    assert_eq!(file.sha256, sha256_hex(&bytes));

    let range = http_client()
        .get(&manifest.url)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206, "a cut download can resume");
    assert!(range.bytes().await.unwrap() == bytes[10..20]);
}

#[tokio::test]
async fn the_configured_public_url_or_the_host_header_makes_the_url_absolute() {
    let update = "/api/v1/updates/stable/linux/x86_64/deb/0.1.0";
    // Behind a proxy, the configured address (with its path) is what clients reach.
    let server = ReleaseServer::start(Some("https://courses.example.org/carrel/")).await;
    let manifest = manifest_of(http_client().get(format!("http://{}{update}", server.addr))).await;
    assert_eq!(
        manifest.url,
        format!(
            "https://courses.example.org/carrel{}",
            release_file_path(server.release_id, DEB)
        ),
    );
    assert_eq!(
        manifest.notes, "",
        "a release published without notes has none"
    );
    server.stop().await;
    // Without a configured address, the Host header names the server as the client reached it.
    let server = ReleaseServer::start(None).await;
    let request = http_client().get(format!("http://{}{update}", server.addr));
    let manifest = manifest_of(request.header("Host", "carrel.test:8080")).await;
    assert!(
        manifest
            .url
            .starts_with("http://carrel.test:8080/api/v1/releases/"),
        "the Host header names the server as the client reached it: {}",
        manifest.url
    );
    server.stop().await;
}

/// A server with `public_url` (or none) and release 1.0.0 for Debian published, served directly
/// (not through [`LoopbackServer`], which always has an address configured).
struct ReleaseServer {
    _dir: tempfile::TempDir,
    addr: std::net::SocketAddr,
    release_id: i64,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl ReleaseServer {
    async fn start(public_url: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.sqlite3");
        let storage = Storage::open(&db).unwrap();
        let state = AppState::open(storage.clone(), DataDir::beside(&db))
            .unwrap()
            .with_public_url(public_url);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(carrel_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let new = NewRelease {
            version: "1.0.0".into(),
            channel: Channel::Stable,
            notes: None,
            pubkey: None,
            bundles: vec![signed_bundle(dir.path(), DEB, "1.0.0", &Signer::new())],
        };
        let data = DataDir::beside(&db);
        let published = releases::publish_release(
            &storage,
            &data,
            &carrel_server::blobs::FsBlobs::new(data.clone()),
            new,
        )
        .await
        .unwrap();
        Self {
            release_id: published[0].release_id,
            _dir: dir,
            addr,
            stop,
            task,
        }
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn stable_never_sees_beta_and_beta_sees_the_newest_of_both() {
    let r = Releases::start().await;
    let deb = |version: &str| format!("Carrel_{version}_amd64.deb");
    r.publish("1.0.0", Channel::Stable, &[&deb("1.0.0")]).await;
    r.publish("1.1.0-beta.1", Channel::Beta, &[&deb("1.1.0-beta.1")])
        .await;
    let never_beta = "stable never sees a beta release";
    r.assert_offered("stable", LINUX_DEB, "1.0.0", None, never_beta)
        .await;
    let beta_sees_beta = "beta sees beta releases";
    r.assert_offered(
        "beta",
        LINUX_DEB,
        "1.0.0",
        Some("1.1.0-beta.1"),
        beta_sees_beta,
    )
    .await;

    r.publish("1.1.0", Channel::Stable, &[&deb("1.1.0")]).await;
    let why = "a beta install is offered a newer stable release";
    r.assert_offered("beta", LINUX_DEB, "1.1.0-beta.1", Some("1.1.0"), why)
        .await;
    let why = "stable sees stable releases";
    r.assert_offered("stable", LINUX_DEB, "1.0.0", Some("1.1.0"), why)
        .await;

    r.publish("1.2.0-beta.1", Channel::Beta, &[&deb("1.2.0-beta.1")])
        .await;
    let why = "the newest stable one, whatever beta has";
    r.assert_offered("stable", LINUX_DEB, "1.0.0", Some("1.1.0"), why)
        .await;
    r.assert_offered(
        "beta",
        LINUX_DEB,
        "1.1.0",
        Some("1.2.0-beta.1"),
        beta_sees_beta,
    )
    .await;
    let why = "never an older version, even on beta";
    r.assert_offered("beta", LINUX_DEB, "1.2.0-beta.2", None, why)
        .await;

    let unknown = r.ask("nightly", LINUX_DEB, "1.0.0").await;
    let error = api_error(unknown, 404, "nightly is no channel").await;
    assert_eq!(error.code, "unknown_channel");
    assert!(
        error.message.contains("nightly") && error.message.contains("stable or beta"),
        "the message says which channels exist: {}",
        error.message
    );
    for bad in ["latest", "1.0", "01.0.0"] {
        let error = api_error(r.ask("stable", LINUX_DEB, bad).await, 400, bad).await;
        assert_eq!(error.code, "bad_version", "{bad}");
    }
}

#[tokio::test]
async fn each_install_is_offered_only_its_own_platform_and_bundle_kind() {
    let r = Releases::start().await;
    r.publish("1.0.0", Channel::Stable, &["Carrel_1.0.0_amd64.deb"])
        .await;
    let names = [
        "Carrel-1.1.0-1.x86_64.rpm",
        "Carrel_1.1.0_universal.app.tar.gz",
    ];
    r.publish("1.1.0", Channel::Stable, &names).await;
    let why = "the newest release that has a deb, not the newest release";
    r.assert_offered("stable", LINUX_DEB, "0.9.0", Some("1.0.0"), why)
        .await;
    let why = "a deb install never gets the rpm";
    r.assert_offered("stable", LINUX_DEB, "1.0.0", None, why)
        .await;
    let rpm = r.offer("stable", "linux-x86_64-rpm", "1.0.0").await;
    assert!(
        rpm.url.ends_with("/Carrel-1.1.0-1.x86_64.rpm"),
        "{}",
        rpm.url
    );
    for platform in [
        "linux-aarch64-deb",
        "windows-x86_64-nsis",
        "linux-x86_64-appimage",
    ] {
        let why = format!("nothing was published for {platform}");
        r.assert_offered("stable", platform, "0.1.0", None, &why)
            .await;
    }
    let intel = r.offer("stable", "darwin-x86_64-app", "1.0.0").await;
    let arm = r.offer("stable", "darwin-aarch64-app", "1.0.0").await;
    assert_eq!(
        intel.url, arm.url,
        "a universal Mac bundle is offered to both architectures"
    );
}

#[tokio::test]
async fn a_withdrawn_release_is_neither_offered_nor_downloadable_nor_reused() {
    let r = Releases::start().await;
    r.publish("1.0.0", Channel::Stable, &["Carrel_1.0.0_amd64.deb"])
        .await;
    r.publish("1.1.0", Channel::Stable, &["Carrel_1.1.0_amd64.deb"])
        .await;
    let offered = r.offer("stable", LINUX_DEB, "1.0.0").await;
    let withdrawn = releases::withdraw(&r.fx.storage, "1.1.0").await.unwrap();
    assert!(withdrawn.withdrawn_ms.is_some());
    let why = "the withdrawn release is not offered";
    r.assert_offered("stable", LINUX_DEB, "1.0.0", None, why)
        .await;
    let why = "the release before it is offered again to those who are older";
    r.assert_offered("stable", LINUX_DEB, "0.9.0", Some("1.0.0"), why)
        .await;
    let download = http_client().get(&offered.url).send().await.unwrap();
    assert_eq!(download.status(), 404, "its bundle is no longer served");
    let again = releases::withdraw(&r.fx.storage, "1.1.0").await.unwrap();
    assert_eq!(
        again.withdrawn_ms, withdrawn.withdrawn_ms,
        "withdrawing again changes nothing"
    );
    assert!(matches!(
        releases::withdraw(&r.fx.storage, "3.0.0").await,
        Err(ReleaseError::NotPublished(_))
    ));

    let again = r.try_publish("1.1.0", Channel::Stable, &["Carrel_1.1.0_amd64.deb"]);
    assert_refused!(
        again.await.unwrap_err(),
        ReleaseError::Withdrawn(_),
        "a withdrawn version is never published again"
    );
}

#[tokio::test]
async fn a_download_must_name_the_recorded_file() {
    let r = Releases::start().await;
    let published = r.publish("1.0.0", Channel::Stable, &[DEB]).await;
    let id = published[0].release_id;
    for path in [
        release_file_path(id, "Carrel_1.0.0_arm64.deb"),
        release_file_path(id + 1, DEB),
        format!("/api/v1/releases/one/{DEB}"),
    ] {
        let error = api_error(r.fx.get(&path).await, 404, &path).await;
        assert_eq!(error.code, "not_found");
    }
    assert_eq!(r.fx.get(&release_file_path(id, DEB)).await.status(), 200);
}

#[tokio::test]
async fn publishing_the_same_bundle_again_changes_nothing_and_other_platforms_can_be_added() {
    let r = Releases::start().await;
    r.publish("1.0.0", Channel::Stable, &[DEB]).await;
    let before = r.recorded().await;
    let again = r.publish("1.0.0", Channel::Stable, &[DEB]).await;
    assert!(again[0].unchanged, "the same bytes again are a no-op");
    assert_eq!(r.recorded().await, before);

    let added = r
        .publish("1.0.0", Channel::Stable, &["Carrel_1.0.0_x64-setup.exe"])
        .await;
    assert_eq!(added[0].release_id, again[0].release_id, "the same release");
    assert_eq!(added[0].platform.to_string(), "windows-x86_64-nsis");
    let (releases, files, stored) = r.recorded().await;
    assert_eq!((releases, files, stored.len()), (1, 2, 2));
}

/// Each refusal leaves the database and the data folder as they were.
#[tokio::test]
async fn every_refused_publish_leaves_nothing_behind() {
    let r = Releases::start().await;
    r.publish("1.0.0", Channel::Stable, &[DEB]).await;
    let before = r.recorded().await;
    let dir = r.fx.dir.path();
    let platform = |text: &str| Some(Platform::parse(text).unwrap());
    let bundle = |path: PathBuf, platform: Option<Platform>| Bundle { path, platform };
    let (v1_0, v1_1, stable) = ("1.0.0", "1.1.0", Channel::Stable);
    let amd64 = "Carrel_1.1.0_amd64.deb";

    // The signature was made for another version.
    let bytes = bundle_bytes("1.1.0", "mismatch");
    let sig = r.signer.sign(&bytes, "1.0.9");
    let error = r
        .refused_file(v1_1, stable, amd64, &bytes, Some(&sig))
        .await;
    let error = assert_refused!(error, ReleaseError::SignatureVersionMismatch { .. });
    assert!(
        error
            .to_string()
            .contains("made for version 1.0.9, not 1.1.0"),
        "{error}"
    );

    // The signature does not name a version at all.
    let sig = r
        .signer
        .sign_with_comment(&bytes, "timestamp:1795936144\tfile:Carrel_1.1.0_amd64.deb");
    let error = r
        .refused_file(v1_1, stable, amd64, &bytes, Some(&sig))
        .await;
    assert_refused!(error, ReleaseError::SignatureVersionMissing { .. });

    // No .sig beside the bundle.
    let arm64 = "Carrel_1.1.0_arm64.deb";
    let error = r.refused_file(v1_1, stable, arm64, &bytes, None).await;
    let error = assert_refused!(error, ReleaseError::SignatureMissing { .. });
    assert!(
        error.to_string().contains("Carrel_1.1.0_arm64.deb.sig"),
        "the message names the missing file: {error}"
    );

    // A .sig that is not a minisign signature.
    let not_a_signature = Some("not a signature");
    let i386 = "Carrel_1.1.0_i386.deb";
    let error = r
        .refused_file(v1_1, stable, i386, &bytes, not_a_signature)
        .await;
    assert_refused!(error, ReleaseError::SignatureUnreadable { .. });

    // Signed with another key than the configured one.
    let stranger = Signer::new();
    let sig = stranger.sign(&bytes, "1.1.0");
    let error = r
        .refused_file(v1_1, stable, amd64, &bytes, Some(&sig))
        .await;
    assert_refused!(error, ReleaseError::BadSignature { .. });

    // The right key, but the bundle was changed after signing.
    let sig = r.signer.sign(&bytes, "1.1.0");
    let mut tampered = bytes.clone();
    tampered[100] ^= 1;
    let error = r
        .refused_file(v1_1, stable, amd64, &tampered, Some(&sig))
        .await;
    assert_refused!(error, ReleaseError::BadSignature { .. });

    // Other bytes for a version and platform already published.
    let other = bundle_bytes("1.0.0", "rebuilt");
    let sig = r.signer.sign(&other, "1.0.0");
    let error = r.refused_file(v1_0, stable, DEB, &other, Some(&sig)).await;
    assert_refused!(error, ReleaseError::BundleTaken { .. });

    // A published version on the other channel.
    let beta = bundle_bytes("1.0.0", "beta");
    let sig = r.signer.sign(&beta, "1.0.0");
    let exe = "Carrel_1.0.0_x64-setup.exe";
    let error = r
        .refused_file(v1_0, Channel::Beta, exe, &beta, Some(&sig))
        .await;
    assert_refused!(error, ReleaseError::ChannelTaken { .. });

    // A name that does not say the platform, without one given.
    let sig = r.signer.sign(&bytes, "1.1.0");
    let unnamed = "carrel-installer.bin";
    let error = r
        .refused_file(v1_1, stable, unnamed, &bytes, Some(&sig))
        .await;
    let error = assert_refused!(error, ReleaseError::UnknownPlatform { .. });
    assert!(error.to_string().contains("--platform"), "{error}");
    let path = dir.join(unnamed);

    // One good bundle and one bad: all or nothing.
    let good_bytes = bundle_bytes("1.1.0", "good");
    let good = write_bundle(
        dir,
        "Carrel_1.1.0_amd64.AppImage",
        &good_bytes,
        Some(&r.signer.sign(&good_bytes, "1.1.0")),
    );
    let bad = write_bundle(
        dir,
        "Carrel-1.1.0-1.x86_64.rpm",
        &bytes,
        Some(&stranger.sign(&bytes, "1.1.0")),
    );
    let bundles = vec![bundle(good.clone(), None), bundle(bad, None)];
    let error = r.refused(v1_1, stable, bundles).await;
    assert_refused!(error, ReleaseError::BadSignature { .. });

    // Two bundles for one platform.
    let bundles = vec![
        bundle(good.clone(), None),
        bundle(path, platform("linux-x86_64-appimage")),
    ];
    let error = r.refused(v1_1, stable, bundles).await;
    assert_refused!(error, ReleaseError::SamePlatformTwice { .. });

    // Another bundle of the release under a published bundle's name (its download URL).
    let arm = bundle_bytes("1.0.0", "arm");
    let named = dir.join("elsewhere");
    std::fs::create_dir_all(&named).unwrap();
    let path = write_bundle(&named, DEB, &arm, Some(&r.signer.sign(&arm, "1.0.0")));
    let bundles = vec![bundle(path, platform("linux-aarch64-deb"))];
    let error = r.refused(v1_0, stable, bundles).await;
    assert_refused!(error, ReleaseError::SameNameTwice { .. });

    assert_eq!(
        r.recorded().await,
        before,
        "no refusal recorded a release or a bundle, or left a file in releases/"
    );

    // The same name with --platform publishes.
    let named = write_bundle(
        dir,
        unnamed,
        &good_bytes,
        Some(&r.signer.sign(&good_bytes, "v1.1.0")),
    );
    let published = r
        .publish_bundles("v1.1.0", stable, vec![bundle(named, platform(LINUX_DEB))])
        .await
        .unwrap();
    assert_eq!(published[0].version, "1.1.0", "the leading v is dropped");
    let why = "the bundle published with --platform is offered";
    r.assert_offered("stable", LINUX_DEB, "1.0.0", Some("1.1.0"), why)
        .await;
}

#[tokio::test]
async fn a_version_that_differs_only_in_build_metadata_is_the_same_version() {
    let r = Releases::start().await;
    r.publish("1.0.0", Channel::Stable, &[DEB]).await;
    let bytes = bundle_bytes("1.0.0+2", "x");
    let sig = r.signer.sign(&bytes, "1.0.0+2");
    let exe = "Carrel_1.0.0+2_x64-setup.exe";
    let error = r
        .refused_file("1.0.0+2", Channel::Stable, exe, &bytes, Some(&sig))
        .await;
    assert_refused!(error, ReleaseError::SameVersion { .. });
}

/// The helpers the app's own tests publish with.
#[tokio::test]
async fn the_loopback_server_publishes_releases_for_the_apps_tests() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(dir.path()).await.unwrap();
    let signer = Signer::new();
    let bytes = b"a tiny bundle".to_vec();
    let appimage = "linux-x86_64-appimage";
    let published = server
        .publish_release(
            "2.0.0",
            Channel::Beta,
            appimage,
            &bytes,
            &signer.sign(&bytes, "2.0.0"),
            "Notes.",
        )
        .await
        .unwrap();
    assert_eq!(published.file_name, "Carrel_2.0.0_x86_64.AppImage");
    let endpoint =
        carrel_protocol::updates::update_endpoint(&server.url(), Channel::Beta, "appimage")
            .replace("{{target}}", "linux")
            .replace("{{arch}}", "x86_64")
            .replace("{{current_version}}", "1.0.0");
    let manifest = manifest_of(http_client().get(&endpoint)).await;
    assert_eq!(
        (manifest.version.as_str(), manifest.notes.as_str()),
        ("2.0.0", "Notes.")
    );
    let download = http_client().get(&manifest.url).send().await.unwrap();
    assert!(download.bytes().await.unwrap() == bytes);

    let signed_for_2_0_0 = signer.sign(&bytes, "2.0.0");
    let refused = server
        .publish_release(
            "2.0.1",
            Channel::Beta,
            appimage,
            &bytes,
            &signed_for_2_0_0,
            "",
        )
        .await;
    assert!(
        refused.is_err(),
        "the checked helper refuses a signature for another version"
    );

    // A lying server: 2.0.1 offered with the signature of 2.0.0 and other bytes.
    let forged = server
        .publish_release_unchecked(
            "2.0.1",
            Channel::Beta,
            appimage,
            b"other bytes",
            &signed_for_2_0_0,
            "",
        )
        .await
        .unwrap();
    let manifest = manifest_of(http_client().get(&endpoint)).await;
    assert_eq!(
        manifest.version, "2.0.1",
        "the unchecked release is offered"
    );
    assert!(
        manifest
            .url
            .ends_with(&release_file_path(forged.release_id, &forged.file_name))
    );

    server.withdraw_release("2.0.1").await.unwrap();
    let after = manifest_of(http_client().get(&endpoint)).await;
    assert_eq!(after.version, "2.0.0");
    server.stop().await.unwrap();
}

/// `carrel-server release publish --version 1.2.0 --channel <channel>`; the caller adds the rest.
fn publish_1_2_0(channel: &str) -> Command {
    let mut command = carrel_server();
    command.args([
        "release",
        "publish",
        "--version",
        "1.2.0",
        "--channel",
        channel,
    ]);
    command
}

/// Runs `carrel-server release <args> --db <db>`.
fn release(args: &[&str], db: &Path) -> Output {
    carrel_server()
        .arg("release")
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap()
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `carrel-server release publish | list | withdraw` as their own processes beside a running
/// server on the same database.
#[tokio::test]
async fn the_binary_publishes_lists_and_withdraws_releases() {
    let r = Releases::start().await;
    let dir = r.fx.dir.path();
    let db = r.fx.server.db().to_owned();
    let signed = |name: &str, signer: &Signer| signed_bundle(dir, name, "1.2.0", signer).path;
    let deb = signed("Carrel_1.2.0_amd64.deb", &r.signer);
    let mac = signed("Carrel_1.2.0_universal.app.tar.gz", &r.signer);
    let other = signed("carrel.msi", &r.signer);
    std::fs::write(dir.join("notes.md"), "## 1.2.0\n\nFaster sync.").unwrap();

    let output = publish_1_2_0("stable")
        .arg("--notes-file")
        .arg(dir.join("notes.md"))
        .arg("--platform")
        .arg(format!("windows-x86_64-msi={}", other.display()))
        .arg("--db")
        .arg(&db)
        .env("CARREL_SERVER_UPDATE_PUBKEY", r.signer.pubkey())
        .args([&deb, &mac])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "1.2.0 stable linux-x86_64-deb Carrel_1.2.0_amd64.deb\n\
         1.2.0 stable darwin-x86_64-app Carrel_1.2.0_universal.app.tar.gz\n\
         1.2.0 stable darwin-aarch64-app Carrel_1.2.0_universal.app.tar.gz\n\
         1.2.0 stable windows-x86_64-msi carrel.msi\n",
        "one line per bundle and platform"
    );
    let manifest = r
        .offered("stable", "windows-x86_64-msi", "1.1.0")
        .await
        .expect("the running server offers what the command published");
    assert_eq!(manifest.notes, "## 1.2.0\n\nFaster sync.");

    // Refused: signed with another key than the one configured (in a config file this time).
    let rpm = signed("Carrel-1.2.0-1.x86_64.rpm", &Signer::new());
    std::fs::write(
        dir.join("server.toml"),
        format!("update_pubkey = \"{}\"\n", r.signer.pubkey()),
    )
    .unwrap();
    let before = r.recorded().await;
    let output = publish_1_2_0("stable")
        .arg("--config")
        .arg(dir.join("server.toml"))
        .arg("--db")
        .arg(&db)
        .arg(&rpm)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a refusal exits with status 1"
    );
    assert_eq!(stdout, "", "nothing is reported as published");
    assert!(
        stderr.contains("nothing was published")
            && stderr.contains("Carrel-1.2.0-1.x86_64.rpm.sig")
            && stderr.contains("does not verify"),
        "stderr names the file and the reason: {stderr}"
    );
    assert_eq!(r.recorded().await, before, "nothing was kept");

    // Refused before the database is even opened: a name that does not say its platform.
    let fresh = dir.join("fresh.sqlite3");
    let output = publish_1_2_0("beta")
        .arg("--db")
        .arg(&fresh)
        .arg(&other)
        .output()
        .unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("--platform"), "{stderr}");
    assert!(!fresh.exists(), "a refused publish creates no database");

    let output = release(&["list"], &db);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines.iter().all(|line| line.starts_with("1.2.0 stable ")),
        "{stdout}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains(" linux-x86_64-deb Carrel_1.2.0_amd64.deb ")),
        "{stdout}"
    );

    let output = release(&["withdraw", "--version", "v1.2.0"], &db);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stdout, "1.2.0 stable withdrawn\n");
    let why = "the withdrawn release is no longer offered";
    r.assert_offered("stable", LINUX_DEB, "1.0.0", None, why)
        .await;
    assert!(
        text(&release(&["list"], &db))
            .0
            .lines()
            .all(|line| line.contains(" withdrawn "))
    );
    let output = release(&["withdraw", "--version", "9.9.9"], &db);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).1.contains("not published"));
}

#[test]
fn the_release_help_documents_its_flags_and_checks() {
    let publish = help(&["release", "publish", "--help"]);
    for expected in [
        "--version",
        "--channel",
        "--notes",
        "--notes-file",
        "--pubkey",
        "CARREL_SERVER_UPDATE_PUBKEY",
        "--platform",
        ".sig",
        "<version> <channel> <target>-<arch>-<bundle> <file name>",
        "update_pubkey",
    ] {
        assert!(
            publish.contains(expected),
            "release publish --help mentions {expected}:\n{publish}"
        );
    }
    let serve = help(&["serve", "--help"]);
    assert!(
        serve.contains("--public-url") && serve.contains("CARREL_SERVER_PUBLIC_URL"),
        "{serve}"
    );
    let top = help(&["--help"]);
    assert!(top.contains("release"), "{top}");
    for page in [
        help(&["release", "list", "--help"]),
        help(&["release", "withdraw", "--help"]),
    ] {
        assert!(page.contains("--db"), "{page}");
    }
}
