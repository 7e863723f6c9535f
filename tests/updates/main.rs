//! Headless tests of Carrel updating itself: the app's own update code (`carrel_app::updates`) and
//! the real tauri-plugin-updater, in a Tauri app on the mock runtime (no display), against a real
//! `carrel-server` on a loopback port, with throwaway signing keys made here.
//!
//! What is installed is an AppImage-shaped file standing in for the app (the test binary is not
//! an installed bundle, so the plugin takes its AppImage path and replaces that file): "installed"
//! means that file now holds the new bundle; "refused" means it still holds the old one.
//!
//! The endless and oversized bodies come from a small misbehaving HTTP server in this file: the
//! real course server never serves them, which is the point.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use carrel_app::updates::{self, CancelDownload, Rules, UpdateError};
use carrel_protocol::updates::{Channel, update_endpoint};
use carrel_server::testing::LoopbackServer;
use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};
use tauri_plugin_updater::UpdaterExt;

const INSTALLED_VERSION: &str = "0.1.0";
const PLATFORM: &str = "linux-x86_64-appimage";

/// A throwaway signing key.
struct Key {
    pk: minisign::PublicKey,
    sk: minisign::SecretKey,
}

impl Key {
    fn new() -> Self {
        let minisign::KeyPair { pk, sk } =
            minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        Self { pk, sk }
    }

    /// The public key as `plugins.updater.pubkey` holds it.
    fn public(&self) -> String {
        b64(&self.pk.to_box().unwrap().to_string())
    }

    /// The `.sig` of `bytes` for `version`, as `tauri build` writes it.
    fn sign(&self, bytes: &[u8], version: &str) -> String {
        let comment = format!("timestamp:1790000000\tfile:carrel.AppImage\tversion:{version}");
        let signature = minisign::sign(
            Some(&self.pk),
            &self.sk,
            Cursor::new(bytes),
            Some(&comment),
            Some("signature from tauri secret key"),
        )
        .unwrap();
        b64(&signature.to_string())
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// An AppImage-shaped bundle (an ELF header, then the version) for `version`.
fn bundle(version: &str) -> Vec<u8> {
    let mut bytes = b"\x7fELF\x02\x01\x01\0".to_vec();
    bytes.resize(64, 0);
    bytes.extend_from_slice(format!("Carrel {version}\n").as_bytes());
    bytes.resize(64 * 1024, b'.');
    bytes
}

/// A Tauri app on the mock runtime at [`INSTALLED_VERSION`], trusting `key`, with the updater
/// configured as `tauri.conf.json` configures it.
fn app(key: &Key) -> tauri::App<MockRuntime> {
    let mut context = mock_context(noop_assets());
    context.config_mut().plugins.0.insert(
        "updater".into(),
        serde_json::json!({
            "pubkey": key.public(),
            "endpoints": [],
            "requireSignedVersion": true,
            "allowDowngrades": false,
        }),
    );
    context.package_info_mut().version = semver::Version::parse(INSTALLED_VERSION).unwrap();
    mock_builder()
        .plugin(
            tauri_plugin_updater::Builder::new()
                .default_version_comparator(|current, release| {
                    updates::newer_only(&current, &release.version)
                })
                .build(),
        )
        .build(context)
        .unwrap()
}

/// The installed app: an AppImage file holding the installed version.
struct Installed {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Installed {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Carrel.AppImage");
        std::fs::write(&path, bundle(INSTALLED_VERSION)).unwrap();
        Self { _dir: dir, path }
    }

    fn contents(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap()
    }
}

fn endpoint(server: &str) -> url::Url {
    update_endpoint(server, Channel::Stable, "appimage")
        .parse()
        .unwrap()
}

fn quick_rules() -> Rules {
    Rules {
        max_bytes: 1024 * 1024,
        stall: Duration::from_secs(2),
        check_timeout: Duration::from_secs(10),
    }
}

/// Checks, downloads and installs what `server_url` offers; `Ok(None)` when nothing is offered.
async fn update_from(
    app: &tauri::App<MockRuntime>,
    installed: &Installed,
    server_url: &str,
    rules: Rules,
) -> Result<Option<String>, UpdateError> {
    let builder = app
        .handle()
        .updater_builder()
        .executable_path(&installed.path);
    let Some(update) = updates::check(builder, endpoint(server_url), &rules).await? else {
        return Ok(None);
    };
    let bytes = updates::download(&update, &rules, &CancelDownload::default(), |_, _| {}).await?;
    updates::install(&update, &bytes)?;
    Ok(Some(update.version))
}

#[tokio::test]
async fn a_newer_signed_release_is_found_downloaded_verified_and_installed() {
    let key = Key::new();
    let app = app(&key);
    let installed = Installed::new();
    let server_dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(server_dir.path()).await.unwrap();
    let new = bundle("0.2.0");
    server
        .publish_release(
            "0.2.0",
            Channel::Stable,
            PLATFORM,
            &new,
            &key.sign(&new, "0.2.0"),
            "Faster sync.",
        )
        .await
        .unwrap();

    let builder = app
        .handle()
        .updater_builder()
        .executable_path(&installed.path);
    let update = updates::check(builder, endpoint(&server.url()), &quick_rules())
        .await
        .unwrap()
        .expect("0.2.0 is offered to 0.1.0");
    assert_eq!(update.version, "0.2.0");
    assert_eq!(update.body.as_deref(), Some("Faster sync."));
    let mut seen = Vec::new();
    let bytes = updates::download(
        &update,
        &quick_rules(),
        &CancelDownload::default(),
        |done, total| seen.push((done, total)),
    )
    .await
    .unwrap();
    assert_eq!(bytes, new);
    assert_eq!(
        seen.last(),
        Some(&(new.len() as u64, Some(new.len() as u64))),
        "progress reaches the whole size the server declared"
    );
    updates::install(&update, &bytes).unwrap();
    assert_eq!(installed.contents(), new, "the new version is installed");
}

#[tokio::test]
async fn nothing_is_offered_at_the_same_or_an_older_version() {
    let key = Key::new();
    let app = app(&key);
    let installed = Installed::new();
    let server_dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(server_dir.path()).await.unwrap();
    let rules = quick_rules();
    assert!(
        update_from(&app, &installed, &server.url(), rules)
            .await
            .unwrap()
            .is_none(),
        "nothing published"
    );
    for version in ["0.0.9", INSTALLED_VERSION] {
        let old = bundle(version);
        server
            .publish_release(
                version,
                Channel::Stable,
                PLATFORM,
                &old,
                &key.sign(&old, version),
                "",
            )
            .await
            .unwrap();
        assert!(
            update_from(&app, &installed, &server.url(), rules)
                .await
                .unwrap()
                .is_none(),
            "{version} is not offered to {INSTALLED_VERSION}"
        );
    }
    assert_eq!(installed.contents(), bundle(INSTALLED_VERSION));
}

/// Publishes `bytes` as 0.2.0 with `signature`, bypassing the server's checks (a lying server),
/// then updates from it and expects a refusal.
async fn refused(bytes: &[u8], signature: &str, key: &Key) -> UpdateError {
    let app = app(key);
    let installed = Installed::new();
    let server_dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(server_dir.path()).await.unwrap();
    server
        .publish_release_unchecked("0.2.0", Channel::Stable, PLATFORM, bytes, signature, "")
        .await
        .unwrap();
    let error = update_from(&app, &installed, &server.url(), quick_rules())
        .await
        .unwrap_err();
    assert_eq!(
        installed.contents(),
        bundle(INSTALLED_VERSION),
        "nothing installed after: {error}"
    );
    error
}

#[tokio::test]
async fn a_bundle_with_a_flipped_byte_is_refused() {
    let key = Key::new();
    let new = bundle("0.2.0");
    let signature = key.sign(&new, "0.2.0");
    let mut flipped = new.clone();
    flipped[40_000] ^= 0x01;
    let error = refused(&flipped, &signature, &key).await;
    assert!(matches!(error, UpdateError::Refused { .. }), "{error}");
}

#[tokio::test]
async fn a_bundle_signed_by_another_key_is_refused() {
    let (trusted, other) = (Key::new(), Key::new());
    let new = bundle("0.2.0");
    let error = refused(&new, &other.sign(&new, "0.2.0"), &trusted).await;
    assert!(matches!(error, UpdateError::Refused { .. }), "{error}");
}

#[tokio::test]
async fn an_old_bundle_announced_as_a_new_version_is_refused() {
    // A genuine, correctly signed 0.0.9 offered as "0.2.0": the downgrade requireSignedVersion stops.
    let key = Key::new();
    let old = bundle("0.0.9");
    let error = refused(&old, &key.sign(&old, "0.0.9"), &key).await;
    assert!(matches!(error, UpdateError::Refused { .. }), "{error}");
    assert!(error.to_string().contains("0.2.0"), "{error}");
}

#[tokio::test]
async fn a_signature_without_a_version_is_refused() {
    let key = Key::new();
    let new = bundle("0.2.0");
    let signature = minisign::sign(
        Some(&key.pk),
        &key.sk,
        Cursor::new(&new),
        Some("timestamp:1790000000\tfile:carrel.AppImage"),
        None,
    )
    .unwrap();
    let error = refused(&new, &b64(&signature.to_string()), &key).await;
    assert!(matches!(error, UpdateError::Refused { .. }), "{error}");
}

/// A server that offers 0.2.0 and then serves its bundle the way `body` says.
mod misbehaving {
    use axum::Router;
    use axum::body::Body;
    use axum::http::header;
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use bytes::Bytes;
    use futures_util::stream;

    /// How the bundle is served.
    #[derive(Clone, Copy)]
    pub enum Bundle {
        /// Bytes forever.
        Endless,
        /// A few bytes, then nothing, connection open.
        Stalls,
        /// A Content-Length above the cap.
        DeclaredTooLarge(u64),
    }

    /// Starts the server, announcing 0.2.0; answers its address.
    pub async fn start(bundle: Bundle, signature: String) -> String {
        start_announcing("0.2.0", bundle, signature).await
    }

    /// Starts the server, announcing `version` whatever the app's own; answers its address.
    pub async fn start_announcing(version: &str, bundle: Bundle, signature: String) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let manifest = serde_json::json!({
            "version": version,
            "notes": "",
            "pub_date": "2026-11-29T00:00:00Z",
            "url": format!("{base}/bundle"),
            "signature": signature,
        });
        let app = Router::new()
            .route(
                "/api/v1/updates/{channel}/{target}/{arch}/{bundle}/{version}",
                get(move || async move { axum::Json(manifest) }),
            )
            .route("/bundle", get(move || serve(bundle)));
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    }

    async fn serve(bundle: Bundle) -> Response {
        match bundle {
            Bundle::Endless => {
                let chunks = stream::repeat_with(|| {
                    Ok::<_, std::io::Error>(Bytes::from_static(&[b'x'; 16 * 1024]))
                });
                Body::from_stream(chunks).into_response()
            }
            Bundle::Stalls => {
                let first =
                    stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"\x7fELF")) });
                let never = stream::pending();
                Body::from_stream(futures_util::StreamExt::chain(first, never)).into_response()
            }
            Bundle::DeclaredTooLarge(length) => {
                let chunks = stream::repeat_with(|| {
                    Ok::<_, std::io::Error>(Bytes::from_static(&[b'x'; 16 * 1024]))
                });
                (
                    [(header::CONTENT_LENGTH, length.to_string())],
                    Body::from_stream(chunks),
                )
                    .into_response()
            }
        }
    }
}

async fn from_misbehaving(served: misbehaving::Bundle) -> UpdateError {
    let key = Key::new();
    let app = app(&key);
    let installed = Installed::new();
    let base = misbehaving::start(served, key.sign(b"whatever", "0.2.0")).await;
    let error = tokio::time::timeout(
        Duration::from_secs(60),
        update_from(&app, &installed, &base, quick_rules()),
    )
    .await
    .expect("the updater gives up by itself")
    .unwrap_err();
    assert_eq!(installed.contents(), bundle(INSTALLED_VERSION));
    error
}

#[tokio::test]
async fn a_body_that_never_ends_is_stopped_at_the_cap() {
    let error = from_misbehaving(misbehaving::Bundle::Endless).await;
    assert!(
        matches!(error, UpdateError::TooLarge { limit_mb: 1 }),
        "{error}"
    );
}

#[tokio::test]
async fn a_declared_size_above_the_cap_is_refused_at_once() {
    let error = from_misbehaving(misbehaving::Bundle::DeclaredTooLarge(
        10 * 1024 * 1024 * 1024,
    ))
    .await;
    assert!(matches!(error, UpdateError::TooLarge { .. }), "{error}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_abandoned() {
    let error = from_misbehaving(misbehaving::Bundle::Stalls).await;
    assert!(matches!(error, UpdateError::Stalled), "{error}");
}

#[tokio::test]
async fn a_download_can_be_cancelled() {
    let key = Key::new();
    let app = app(&key);
    let installed = Installed::new();
    let base = misbehaving::start(misbehaving::Bundle::Stalls, key.sign(b"x", "0.2.0")).await;
    let rules = Rules {
        stall: Duration::from_secs(600),
        ..quick_rules()
    };
    let builder = app
        .handle()
        .updater_builder()
        .executable_path(&installed.path);
    let update = updates::check(builder, endpoint(&base), &rules)
        .await
        .unwrap()
        .unwrap();
    let cancel = CancelDownload::default();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let error = tokio::time::timeout(
        Duration::from_secs(30),
        updates::download(&update, &rules, &cancel, |_, _| {}),
    )
    .await
    .expect("cancel stops it")
    .unwrap_err();
    assert!(matches!(error, UpdateError::Cancelled), "{error}");
}

#[tokio::test]
async fn a_server_that_offers_the_same_or_an_older_version_gets_nothing_installed() {
    // The real server answers 204 for these; a lying one announces them anyway, correctly signed.
    let key = Key::new();
    let app = app(&key);
    let installed = Installed::new();
    for version in ["0.0.9", INSTALLED_VERSION, "0.1.0-rc.1"] {
        let base = misbehaving::start_announcing(
            version,
            misbehaving::Bundle::Endless,
            key.sign(&bundle(version), version),
        )
        .await;
        let offered = update_from(&app, &installed, &base, quick_rules())
            .await
            .unwrap();
        assert_eq!(
            offered, None,
            "{version} is not an update of {INSTALLED_VERSION}"
        );
    }
    assert_eq!(installed.contents(), bundle(INSTALLED_VERSION));
}
