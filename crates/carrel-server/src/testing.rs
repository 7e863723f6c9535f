//! A real carrel-server on `127.0.0.1:0` with its own database and data folder in a temporary
//! folder, for the tests and benchmarks of every crate (client, app end-to-end, server). Not a
//! mock: the same router, storage and shutdown path as the binary.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::releases::{Platform, PublishedFile};
use crate::{AppState, DataDir, Storage};

/// The password of every account the helpers below create.
pub const PASSWORD: &str = "a test password, long enough";

/// The environment variable naming a PostgreSQL cluster (an administrator URL) for test servers:
/// set, every [`LoopbackServer`] gets a fresh database of its own there instead of a SQLite
/// file, so one test suite runs on both backends (`scripts/with-postgres` sets it).
pub const TEST_POSTGRES_ENV: &str = "CARREL_TEST_POSTGRES";

/// The database (what `--db` takes) and data folder for a test server in `dir`:
/// `dir/server.sqlite3` and the folder beside it, or with [`TEST_POSTGRES_ENV`] set, a new
/// PostgreSQL database and `dir/carrel-data`.
pub fn test_database(dir: &Path) -> anyhow::Result<(PathBuf, DataDir)> {
    match std::env::var(TEST_POSTGRES_ENV) {
        Ok(admin) if !admin.is_empty() => {
            let url = crate::storage::postgres::create_database(&admin)
                .map_err(|reason| anyhow::anyhow!("cannot make a test database: {reason}"))?;
            Ok((PathBuf::from(url), DataDir::new(dir.join("carrel-data"))))
        }
        _ => {
            let db = dir.join("server.sqlite3");
            let data = DataDir::beside(&db);
            Ok((db, data))
        }
    }
}

/// A server running on a loopback port in this process.
pub struct LoopbackServer {
    addr: SocketAddr,
    db: PathBuf,
    data: DataDir,
    blobs: crate::blobs::Blobs,
    faults: crate::faults::FaultPlan,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl LoopbackServer {
    /// Starts a server whose database is `dir/server.sqlite3` and data folder `dir/carrel-data`
    /// (the defaults of the binary for that database), on a free loopback port.
    /// Must be called inside a tokio runtime.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        Self::start_at(dir, "127.0.0.1:0").await
    }

    /// Like [`LoopbackServer::start`], listening on `addr` (a server stopped and started again on
    /// its address, as after a restart or an outage).
    pub async fn start_at(dir: &Path, addr: &str) -> anyhow::Result<Self> {
        Self::start_with(dir, addr, |state| state).await
    }

    /// Like [`LoopbackServer::start_at`], with the settings `configure` gives the state (as the
    /// binary's flags do): `|state| state.with_public_url(Some("https://courses.example.org"))`.
    pub async fn start_with(
        dir: &Path,
        addr: &str,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> anyhow::Result<Self> {
        let (db, data) = test_database(dir)?;
        Self::start_on(db, data, addr, configure).await
    }

    /// A second instance of `first`: another server in this process on its own port, with its
    /// own connections to the same database and the same data folder, as two instances behind
    /// one load balancer.
    pub async fn another_instance(first: &LoopbackServer) -> anyhow::Result<Self> {
        Self::start_on(
            first.db.clone(),
            first.data.clone(),
            "127.0.0.1:0",
            |state| state,
        )
        .await
    }

    /// A server on the database `db` (a SQLite file or a PostgreSQL URL) and data folder `data`,
    /// listening on `addr`.
    pub async fn start_on(
        db: PathBuf,
        data: DataDir,
        addr: &str,
        configure: impl FnOnce(AppState) -> AppState,
    ) -> anyhow::Result<Self> {
        let storage = Storage::open(&db)?;
        let state = {
            let data = data.clone();
            tokio::task::spawn_blocking(move || AppState::open(storage, data)).await??
        };
        let state = configure(state);
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        // Clients reach it at its loopback address, unless `configure` said otherwise.
        let state = if state.public_url().is_none() {
            state.with_public_url(Some(&format!("http://{addr}")))
        } else {
            state
        };
        let faults = state.faults().clone();
        let blobs = state.shared_blobs();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            db,
            data,
            blobs,
            faults,
            stop,
            task,
        })
    }

    /// The server's base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The faults it commits on purpose: `server.faults().script([...])`.
    pub fn faults(&self) -> &crate::faults::FaultPlan {
        &self.faults
    }

    /// The database: the SQLite file, or the PostgreSQL URL (what `--db` takes).
    pub fn db(&self) -> &Path {
        &self.db
    }

    /// The data folder (published packages and the content store).
    pub fn data(&self) -> &DataDir {
        &self.data
    }

    /// Where it keeps files by hash: the data folder, or a bucket ([`LoopbackServer::start_with`]
    /// and [`crate::AppState::with_blobs`]).
    pub fn blobs(&self) -> &crate::blobs::Blobs {
        &self.blobs
    }

    /// Creates a learner account `login` and signs it in (the same calls the sign-in endpoint
    /// makes); returns its tokens.
    pub async fn learner(&self, login: &str) -> anyhow::Result<carrel_protocol::auth::Tokens> {
        self.account(login, carrel_protocol::auth::Role::Learner)
            .await
    }

    /// Creates an account `login` (display name: the login) with `role` and signs it in; returns
    /// its tokens.
    pub async fn account(
        &self,
        login: &str,
        role: carrel_protocol::auth::Role,
    ) -> anyhow::Result<carrel_protocol::auth::Tokens> {
        let storage = Storage::open(&self.db)?;
        crate::accounts::create_user(&storage, login, login, PASSWORD, role).await?;
        self.sign_in(login, crate::accounts::AuthConfig::default())
            .await
    }

    /// An access token of the existing account `login` (made by [`LoopbackServer::learner`] or
    /// [`LoopbackServer::account`]) that has already expired.
    pub async fn expired_token(&self, login: &str) -> anyhow::Result<String> {
        let config = crate::accounts::AuthConfig {
            access_ttl: std::time::Duration::ZERO,
            ..crate::accounts::AuthConfig::default()
        };
        Ok(self.sign_in(login, config).await?.access_token)
    }

    async fn sign_in(
        &self,
        login: &str,
        config: crate::accounts::AuthConfig,
    ) -> anyhow::Result<carrel_protocol::auth::Tokens> {
        let storage = Storage::open(&self.db)?;
        let sign_in = carrel_protocol::auth::SignIn {
            login: login.to_owned(),
            password: PASSWORD.to_owned(),
            device: None,
        };
        Ok(crate::accounts::sign_in(&storage, &config, sign_in).await?)
    }

    /// Enrols the account `login` in `course_id` as `role` (learner or tutor), in `group`, as
    /// `carrel-server enrol` does.
    pub async fn enrol(
        &self,
        login: &str,
        course_id: &str,
        role: carrel_protocol::auth::Role,
        group: Option<&str>,
    ) -> anyhow::Result<()> {
        let storage = Storage::open(&self.db)?;
        crate::enrolments::enrol(&storage, login, course_id, role, group).await?;
        Ok(())
    }

    /// Creates a learner account `login`, enrols it in `course_id` as a learner and signs it in;
    /// returns its tokens.
    pub async fn learner_in(
        &self,
        login: &str,
        course_id: &str,
    ) -> anyhow::Result<carrel_protocol::auth::Tokens> {
        let tokens = self.learner(login).await?;
        self.enrol(login, course_id, carrel_protocol::auth::Role::Learner, None)
            .await?;
        Ok(tokens)
    }

    /// Places `bytes` as the file `name` of the group `group` in `course_id` (replacing the
    /// group's file of that name), as `carrel-server group-file-add` does; answers its SHA-256
    /// (lower-case hex), under which members download it. The group must exist: enrol a learner
    /// in it first ([`LoopbackServer::enrol`] with `Some(group)`).
    pub async fn add_group_file(
        &self,
        course_id: &str,
        group: &str,
        name: &str,
        bytes: &[u8],
    ) -> anyhow::Result<String> {
        let storage = Storage::open(&self.db)?;
        let file = crate::groups::add_file(
            &storage,
            &crate::blobs::Stores {
                data: self.data.clone(),
                blobs: self.blobs.clone(),
            },
            course_id,
            group,
            name,
            bytes,
            crate::groups::COURSE_TEAM,
        )
        .await?;
        Ok(file.file.sha256)
    }

    /// Publishes `bytes` as the bundle of app version `version` on `channel` for `platform`
    /// (`<target>-<arch>-<bundle>`, e.g. `linux-x86_64-deb`), with `signature_b64` as its `.sig`
    /// (the base64 text `tauri build` writes) and release notes `notes` — exactly as
    /// `carrel-server release publish --platform` does, checks included: the signature must
    /// decode and its trusted comment must name `version` (`…\tversion:1.2.3`). No public key is
    /// configured, so the signature is not verified against one (the app does that). Publishing
    /// more platforms of one version adds bundles to it; `notes` replace its notes.
    ///
    /// The updater then finds it at
    /// `carrel_protocol::updates::update_endpoint(&server.url(), channel, bundle)`, and downloads
    /// it from the returned [`PublishedFile`]'s
    /// `release_file_path(release_id, file_name)`. The file is named
    /// `Carrel_<version>_<arch>.<bundle>`.
    ///
    /// To sign in a test, add the `minisign` crate as a dev-dependency:
    /// `let KeyPair { pk, sk } = KeyPair::generate_unencrypted_keypair()?;`, then
    /// `minisign::sign(Some(&pk), &sk, Cursor::new(bytes), Some("timestamp:0\tfile:x\tversion:1.2.3"), None)?`;
    /// the app's public key is `BASE64(pk.to_box()?.to_string())`, the signature
    /// `BASE64(signature_box.to_string())` (standard base64 with padding).
    pub async fn publish_release(
        &self,
        version: &str,
        channel: carrel_protocol::updates::Channel,
        platform: &str,
        bytes: &[u8],
        signature_b64: &str,
        notes: &str,
    ) -> anyhow::Result<PublishedFile> {
        let (storage, platform, file_name) = self.release_bundle(version, platform)?;
        let folder = tempfile::tempdir()?;
        let path = folder.path().join(file_name);
        std::fs::write(&path, bytes)?;
        let mut signature_path = path.clone().into_os_string();
        signature_path.push(".sig");
        std::fs::write(&signature_path, signature_b64)?;
        let new = crate::releases::NewRelease {
            version: version.to_owned(),
            channel,
            notes: Some(notes.to_owned()),
            pubkey: None,
            bundles: vec![crate::releases::Bundle {
                path,
                platform: Some(platform),
            }],
        };
        let mut published =
            crate::releases::publish_release(&storage, &self.data, &*self.blobs, new).await?;
        published
            .pop()
            .ok_or_else(|| anyhow::anyhow!("one bundle for one platform publishes one file"))
    }

    /// Like [`LoopbackServer::publish_release`] but **without any check**: records whatever it is
    /// given (a signature for another version, of other bytes, not a signature at all; a version
    /// that is not semver), replacing the bundle of that version and platform if there is one. For
    /// testing that the app refuses what a lying or broken server offers.
    pub async fn publish_release_unchecked(
        &self,
        version: &str,
        channel: carrel_protocol::updates::Channel,
        platform: &str,
        bytes: &[u8],
        signature_b64: &str,
        notes: &str,
    ) -> anyhow::Result<PublishedFile> {
        let (storage, platform, file_name) = self.release_bundle(version, platform)?;
        Ok(crate::releases::record_unchecked(
            &storage,
            &self.data,
            version,
            channel,
            notes,
            platform,
            &file_name,
            bytes.to_vec(),
            signature_b64,
        )
        .await?)
    }

    /// What both release helpers start from: a connection to the database, the parsed
    /// `platform` and the bundle's file name.
    fn release_bundle(
        &self,
        version: &str,
        platform: &str,
    ) -> anyhow::Result<(Storage, Platform, String)> {
        let platform = Platform::parse(platform).map_err(anyhow::Error::msg)?;
        let file_name = bundle_file_name(version, &platform);
        Ok((Storage::open(&self.db)?, platform, file_name))
    }

    /// Withdraws app version `version`, as `carrel-server release withdraw` does.
    pub async fn withdraw_release(&self, version: &str) -> anyhow::Result<()> {
        let storage = Storage::open(&self.db)?;
        crate::releases::withdraw(&storage, version).await?;
        Ok(())
    }

    /// Shuts the server down gracefully and waits until it has stopped; its port is closed after.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
    }
}

/// The name the test helpers give a bundle: `Carrel_<version>_<arch>` and the bundle kind's
/// usual ending.
fn bundle_file_name(version: &str, platform: &Platform) -> String {
    let ending = match platform.bundle.as_str() {
        "appimage" => ".AppImage",
        "nsis" => "-setup.exe",
        "app" => ".app.tar.gz",
        other => return format!("Carrel_{version}_{}.{other}", platform.arch),
    };
    format!("Carrel_{version}_{}{ending}", platform.arch)
}

/// A real Learning Record Store for the xAPI forwarding tests: Learning Locker's statements
/// service (`@learninglocker/xapi-statements`, installed in `tests/lrs` by `scripts/setup
/// --for-tests`), in memory, listening on `127.0.0.1` only (`tests/lrs/bind-localhost.js`). Not
/// a mock: the same service Learning Locker runs. It keeps statements in memory: a restart
/// empties it. Stopped when dropped.
pub struct LearningLocker {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl LearningLocker {
    /// Where the service is installed: `tests/lrs` of the repository.
    pub fn install_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lrs")
    }

    /// Starts it on a free loopback port and waits until it answers (about a second).
    pub async fn start() -> anyhow::Result<Self> {
        let install = Self::install_dir()
            .canonicalize()
            .unwrap_or(Self::install_dir());
        let server = install.join("node_modules/@learninglocker/xapi-statements/dist/server.js");
        anyhow::ensure!(
            server.is_file(),
            "Learning Locker's statements service is not installed at {}: run `npm ci --prefix tests/lrs` \
             (scripts/setup --for-tests does)",
            server.display()
        );
        let port = {
            // A free port: the service logs the port it was given, so 0 would not do.
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        // Its working folder holds its access logs and file storage, and has no `.env` for it
        // to read.
        let dir = tempfile::tempdir()?;
        let child = std::process::Command::new("node")
            .arg("-r")
            .arg(install.join("bind-localhost.js"))
            .arg(&server)
            .current_dir(dir.path())
            .env("EXPRESS_PORT", port.to_string())
            .env("BIND_HOST", "127.0.0.1")
            .env("MODELS_REPO", "memory")
            .env("AUTH_REPO", "test")
            .env("EVENTS_REPO", "test")
            .env("STORAGE_REPO", "local")
            .env("FS_LOCAL_STORAGE_DIR", dir.path().join("storage"))
            .env("EXPRESS_MORGAN_DIRECTORY", dir.path().join("access-logs"))
            // It tries MongoDB at start even with memory models; a port nothing listens on.
            .env("MONGO_URL", "mongodb://127.0.0.1:1/carrel-test-lrs")
            .env("WINSTON_CONSOLE_LEVEL", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot run node for the test LRS: {e}"))?;
        let mut lrs = Self {
            child,
            port,
            _dir: dir,
        };
        // Installing fails only when a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Some(status) = lrs.child.try_wait()? {
                anyhow::bail!("the test LRS exited at start ({status}): is port {port} taken?");
            }
            let about = client.get(format!("{}/about", lrs.endpoint())).send().await;
            if about.is_ok_and(|r| r.status().is_success()) {
                return Ok(lrs);
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the test LRS did not answer within 30 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Its xAPI endpoint, e.g. `http://127.0.0.1:40123/xAPI`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/xAPI", self.port)
    }

    /// Every statement it holds, newest first (following `more` links).
    pub async fn statements(&self) -> anyhow::Result<Vec<serde_json::Value>> {
        let client = reqwest::Client::new();
        let mut all = Vec::new();
        let mut next = format!("{}/statements?limit=500", self.endpoint());
        loop {
            let page: serde_json::Value = client
                .get(&next)
                .header("X-Experience-API-Version", "1.0.3")
                .basic_auth("carrel-test", Some("secret"))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            all.extend(page["statements"].as_array().cloned().unwrap_or_default());
            match page["more"].as_str() {
                Some(more) if !more.is_empty() => {
                    next = format!("http://127.0.0.1:{}{more}", self.port);
                }
                _ => return Ok(all),
            }
        }
    }

    /// Stops it (its statements are gone).
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LearningLocker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A real S3-compatible object store for the blob tests: s3rver (`@20minutes/s3rver`, installed
/// in `tests/s3` by `scripts/setup --for-tests`), keeping its bucket in a temporary folder,
/// listening on `127.0.0.1` only, checking every request's AWS Signature V4 (a wrong secret gets
/// 403 `SignatureDoesNotMatch`). Not a mock: a server that speaks the S3 protocol. Stopped when
/// dropped.
pub struct S3rver {
    child: std::process::Child,
    config: crate::blobs::S3Config,
    dir: tempfile::TempDir,
}

impl S3rver {
    /// Where it is installed: `tests/s3` of the repository.
    pub fn install_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/s3")
    }

    /// Starts it on a free loopback port with the bucket `carrel`.
    pub fn start() -> anyhow::Result<Self> {
        use std::io::BufRead;
        let install = Self::install_dir();
        anyhow::ensure!(
            install.join("node_modules/@20minutes/s3rver").is_dir(),
            "s3rver is not installed at {}: run `npm ci --prefix tests/s3` (scripts/setup \
             --for-tests does)",
            install.display()
        );
        let dir = tempfile::tempdir()?;
        let mut child = std::process::Command::new("node")
            .arg(install.join("serve.js"))
            .arg(dir.path().join("buckets"))
            // It exits when this pipe closes: with this process, at the latest.
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Started {
            port: u16,
            bucket: String,
            access_key_id: String,
            secret_access_key: String,
            region: String,
        }
        let started: Started = match serde_json::from_str(&line) {
            Ok(started) => started,
            Err(error) => {
                let _ = child.kill();
                anyhow::bail!("s3rver did not start ({error}): {line:?}");
            }
        };
        Ok(Self {
            child,
            config: crate::blobs::S3Config {
                endpoint: format!("http://127.0.0.1:{}", started.port),
                bucket: started.bucket,
                region: started.region,
                access_key: started.access_key_id,
                secret_key: started.secret_access_key,
                prefix: String::new(),
                path_style: true,
            },
            dir,
        })
    }

    /// The settings that reach its bucket.
    pub fn config(&self) -> &crate::blobs::S3Config {
        &self.config
    }

    /// A blob store on its bucket.
    pub fn blobs(&self) -> crate::blobs::Blobs {
        std::sync::Arc::new(crate::blobs::S3Blobs::new(&self.config).expect("valid settings"))
    }

    /// The folder it keeps its buckets in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for S3rver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
