//! What the tests share: an HTTP client, the shipped binary, course packages built from a small
//! source folder, and a running server with a second database connection to publish through (as
//! the `publish` command does from its own process).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use carrel_package::SecretKey;
use carrel_protocol::auth::Role;
use carrel_protocol::{CATALOG_PATH, Catalog};
use carrel_server::testing::LoopbackServer;
use carrel_server::{PublishError, Published, Storage};
use sha2::{Digest, Sha256};

/// The seed of the key that signs the test course.
pub const KEY: u8 = 7;
/// The course id in every test package.
pub const COURSE_ID: &str = "test-course";
/// A marker inside the stored (uncompressed) picture, to find its bytes inside a package.
pub const PICTURE_MARKER: &[u8] = b"carrel-test-picture-marker-0123456789";

pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client builds")
}

/// The shipped binary as its own process.
pub fn carrel_server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carrel-server"));
    // The tests decide every setting; none may leak in from the environment running them.
    for name in [
        "CARREL_SERVER_LISTEN",
        "CARREL_SERVER_DB",
        "CARREL_SERVER_DATA",
        "CARREL_LOG_FORMAT",
        "CARREL_SERVER_CONFIG",
        "CARREL_ACCESS_TOKEN_MINUTES",
        "CARREL_REFRESH_TOKEN_DAYS",
        "CARREL_SERVER_FAULTS",
        "CARREL_SERVER_PUBLIC_URL",
        "CARREL_CERTIFICATE_ISSUER",
        "CARREL_SERVER_UPDATE_PUBKEY",
        "CARREL_LRS_ENDPOINT",
        "CARREL_LRS_KEY",
        "CARREL_LRS_SECRET",
        "CARREL_LRS_SECRET_FILE",
        "CARREL_METRICS_TOKEN",
        "CARREL_METRICS_TOKEN_FILE",
        "CARREL_SERVER_NO_MIGRATE",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    command
}

/// What `carrel-server <args>` prints on stdout; `args` ask for help, which must succeed.
pub fn help(args: &[&str]) -> String {
    let output = carrel_server().args(args).output().unwrap();
    assert!(output.status.success(), "{args:?} prints help");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    carrel_package::archive::hex(&Sha256::digest(bytes))
}

/// Builds version `version` of the test course into `dir/<name>.carrel`, signed with the key of
/// seed `key`. `page` is the introduction's text, so two builds of one version can differ.
/// The publisher key of the test packages (the seed `[KEY; 32]`).
pub fn package_key() -> SecretKey {
    SecretKey::from_seed([KEY; 32])
}

pub fn build_package(dir: &Path, name: &str, version: &str, page: &str, key: u8) -> PathBuf {
    let source = dir.join(format!("source-{name}"));
    std::fs::create_dir_all(source.join("pages")).unwrap();
    std::fs::create_dir_all(source.join("assets")).unwrap();
    std::fs::write(
        source.join("course.toml"),
        format!(
            r#"id = "{COURSE_ID}"
version = "{version}"
title = "A test course"
language = "en"
summary = "Built by the carrel-server tests."
starts = "2027-02-15"
min_app_version = "0.1.0"

[publisher]
name = "Test Academy"

[[blocks]]
id = "block-1"
title = "Block one"

[[blocks.modules]]
id = "module-1"
title = "Module one"

[[blocks.modules.items]]
id = "intro"
kind = "page"
title = "Introduction"
source = "pages/intro.md"

[[blocks.modules.items]]
id = "data"
kind = "file"
title = "Data set"
file = "assets/data.bin"

[[blocks.modules.items]]
id = "picture"
kind = "file"
title = "Picture"
file = "assets/picture.png"
"#
        ),
    )
    .unwrap();
    std::fs::write(
        source.join("pages/intro.md"),
        format!("# Introduction\n\n{page}\n"),
    )
    .unwrap();
    // Large enough that a download arrives in many chunks; .bin and .png are stored, not deflated.
    std::fs::write(source.join("assets/data.bin"), noise(700 * 1024)).unwrap();
    let mut picture = b"\x89PNG\r\n\x1a\n".to_vec();
    picture.extend_from_slice(PICTURE_MARKER);
    std::fs::write(source.join("assets/picture.png"), picture).unwrap();

    let out = dir.join(format!("{name}.carrel"));
    carrel_package::source::build(&source, &SecretKey::from_seed([key; 32]), &out)
        .unwrap_or_else(|error| panic!("the test course builds: {error}"));
    out
}

/// Deterministic bytes that do not compress.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// A running server in a temporary folder, and a separate connection to its database.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub server: LoopbackServer,
    pub storage: Storage,
    pub client: reqwest::Client,
}

impl Fixture {
    pub async fn start() -> Self {
        Self::start_with(|state| state).await
    }

    /// Like [`Fixture::start`], with the server's state set up by `configure`.
    pub async fn start_with(
        configure: impl FnOnce(carrel_server::AppState) -> carrel_server::AppState,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = LoopbackServer::start_with(dir.path(), "127.0.0.1:0", configure)
            .await
            .unwrap();
        let storage = Storage::open(server.db()).unwrap();
        Self {
            dir,
            server,
            storage,
            client: http_client(),
        }
    }

    /// Builds a package of the test course in the fixture's folder, signed with [`KEY`].
    pub fn package(&self, name: &str, version: &str, page: &str) -> PathBuf {
        build_package(self.dir.path(), name, version, page, KEY)
    }

    /// Publishes `package` open to anyone, its files stored where the server keeps them.
    pub async fn publish(&self, package: &Path) -> Result<Published, PublishError> {
        let options = carrel_server::PublishOptions {
            blobs: Some(carrel_server::publish::BlobsOption(
                self.server.blobs().clone(),
            )),
            ..carrel_server::PublishOptions::open()
        };
        carrel_server::publish_package_with(&self.storage, self.server.data(), package, &options)
            .await
    }

    /// Uploads `bytes` as `name` for `token` through the uploads API, completely, in one request;
    /// answers the attachment a submission names it by.
    pub async fn upload(
        &self,
        token: &str,
        name: &str,
        bytes: &[u8],
    ) -> carrel_protocol::forums::PostAttachment {
        use carrel_protocol::uploads::{
            NewUpload, OFFSET_MEDIA_TYPE, UPLOAD_OFFSET, UPLOADS_PATH, Upload, upload_path,
        };
        let new = NewUpload {
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
            name: name.into(),
        };
        let created: Upload = self
            .client
            .post(self.url(UPLOADS_PATH))
            .bearer_auth(token)
            .json(&new)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let patched = self
            .client
            .patch(self.url(&upload_path(&created.upload_id)))
            .bearer_auth(token)
            .header("Content-Type", OFFSET_MEDIA_TYPE)
            .header(UPLOAD_OFFSET, "0")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert!(patched.status().is_success(), "{}", patched.status());
        carrel_protocol::forums::PostAttachment {
            sha256: new.sha256,
            name: new.name,
            size: new.size,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn catalog(&self) -> Catalog {
        let response = self.get(CATALOG_PATH).await;
        assert_eq!(response.status(), 200, "the catalogue always answers");
        response.json().await.expect("the body is a Catalog")
    }

    /// Every file under `dir` in the data folder, relative to it.
    pub fn files_under(&self, dir: &str) -> Vec<String> {
        let root = self.server.data().root().join(dir);
        let mut found = Vec::new();
        let mut pending = vec![root.clone()];
        while let Some(folder) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let relative = path.strip_prefix(&root).unwrap();
                    found.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        found.sort();
        found
    }
}

/// A class: a running server with learners `ana` and `ben` enrolled in [`CLASS_COURSE`], its
/// tutor `tom`, `tina` who tutors another course, and an admin `root`; and HTTP helpers that
/// send a token or none.
pub struct Class {
    pub fx: Fixture,
    pub ana: String,
    pub ben: String,
    pub tom: String,
    pub tina: String,
    pub root: String,
}

/// The course of a [`Class`].
pub const CLASS_COURSE: &str = "class-course";

/// The id of the demo course (`courses/demo`), which [`Class::publish_demo`] publishes.
pub const DEMO_COURSE: &str = "ilo-migrant-workers-rights";

impl Class {
    pub async fn start() -> Self {
        Self::start_with(|state| state).await
    }

    /// Like [`Class::start`], the server's state set up by `configure`.
    pub async fn start_with(
        configure: impl FnOnce(carrel_server::AppState) -> carrel_server::AppState,
    ) -> Self {
        let fx = Fixture::start_with(configure).await;
        let ana = fx.server.learner_in("ana", CLASS_COURSE).await.unwrap();
        let ben = fx.server.learner_in("ben", CLASS_COURSE).await.unwrap();
        let tom = fx.server.account("tom", Role::Tutor).await.unwrap();
        fx.server
            .enrol("tom", CLASS_COURSE, Role::Tutor, None)
            .await
            .unwrap();
        let tina = fx.server.account("tina", Role::Tutor).await.unwrap();
        fx.server
            .enrol("tina", "another-course", Role::Tutor, None)
            .await
            .unwrap();
        let root = fx.server.account("root", Role::Admin).await.unwrap();
        Self {
            fx,
            ana: ana.access_token,
            ben: ben.access_token,
            tom: tom.access_token,
            tina: tina.access_token,
            root: root.access_token,
        }
    }

    /// Publishes the sample course of `carrel_package::testing` (it has the webinar `live`, with
    /// the session `live-1`), open to anyone or for enrolled learners only; answers its id.
    pub async fn publish_sample(&self, open: bool) -> &'static str {
        let source = self.fx.dir.path().join("sample");
        carrel_package::testing::write_sample_source(&source, "1.0.0", 1000).unwrap();
        let package = self.fx.dir.path().join("sample.carrel");
        carrel_package::source::build(&source, &package_key(), &package).unwrap();
        carrel_server::publish::publish_package_with(
            &self.fx.storage,
            self.fx.server.data(),
            &package,
            &carrel_server::publish::PublishOptions {
                open: Some(open),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        carrel_package::testing::SAMPLE_COURSE_ID
    }

    /// Publishes the demo course (`courses/demo`, [`DEMO_COURSE`]: forums `b1-forum` and
    /// `b2-forum` with their opening topics, quizzes, webinars…) for enrolled accounts only.
    /// A class with `ana` and `ben` enrolled as learners of the published demo course and `tom`
    /// as its tutor.
    pub async fn with_demo() -> Self {
        Self::with_demo_edited(&[]).await
    }

    /// Like [`Class::with_demo`], the demo course built from a copy of its source with `edits`
    /// (file, text there, its replacement).
    pub async fn with_demo_edited(edits: &[(&str, &str, &str)]) -> Self {
        Self::with_demo_set_up(edits, |state| state).await
    }

    /// Like [`Class::with_demo`], the server's state set up by `configure`.
    pub async fn with_demo_in(
        configure: impl FnOnce(carrel_server::AppState) -> carrel_server::AppState,
    ) -> Self {
        Self::with_demo_set_up(&[], configure).await
    }

    async fn with_demo_set_up(
        edits: &[(&str, &str, &str)],
        configure: impl FnOnce(carrel_server::AppState) -> carrel_server::AppState,
    ) -> Self {
        let class = Self::start_with(configure).await;
        for (login, role) in [
            ("ana", Role::Learner),
            ("ben", Role::Learner),
            ("tom", Role::Tutor),
        ] {
            class
                .fx
                .server
                .enrol(login, DEMO_COURSE, role, None)
                .await
                .unwrap();
        }
        class.publish_demo_edited(edits).await;
        class
    }

    /// Publishes the demo course built with `edits` (see [`demo_package`]).
    pub async fn publish_demo_edited(&self, edits: &[(&str, &str, &str)]) {
        let package = demo_package(self.fx.dir.path(), edits);
        let published = self.fx.publish(&package).await.unwrap();
        assert_eq!(published.course_id, DEMO_COURSE);
    }

    /// Sends `method path` with `token` (if any) and `body` (JSON text, if any).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.fx.client.request(method, self.fx.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_owned());
        }
        request.send().await.unwrap()
    }

    /// `GET path` as `token`, expecting 200 and a `T`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> T {
        let response = self
            .send(reqwest::Method::GET, path, Some(token), None)
            .await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Submits `payload` (a JSON object without `submissionId`, which is added) of `kind` as
    /// `token` under `id`; returns the receipt.
    pub async fn submit(
        &self,
        token: &str,
        id: &str,
        kind: &str,
        payload: &str,
    ) -> carrel_protocol::submissions::Receipt {
        let payload = format!(r#"{{"submissionId":"{id}",{}"#, &payload[1..]);
        let body = format!(r#"{{"kind":"{kind}","payload":{payload}}}"#);
        let response = self
            .send(
                reqwest::Method::PUT,
                &carrel_protocol::submissions::submission_path(id),
                Some(token),
                Some(&body),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// An assignment payload for `item` of the class course.
    pub fn essay(item: &str, text: &str) -> String {
        format!(
            r#"{{"courseId":"{CLASS_COURSE}","itemId":"{item}","text":"{text}","attachments":[]}}"#
        )
    }

    /// Asserts that `GET path?query` as `token` is 400 `malformed_request` for every query.
    pub async fn assert_malformed_queries(&self, path: &str, token: &str, queries: &[&str]) {
        for query in queries {
            let response = self
                .send(
                    reqwest::Method::GET,
                    &format!("{path}{query}"),
                    Some(token),
                    None,
                )
                .await;
            assert_eq!(
                Self::error(response).await,
                (reqwest::StatusCode::BAD_REQUEST, "malformed_request".into()),
                "{path}{query}"
            );
        }
    }

    /// Rows in a table of the server database.
    pub async fn count(&self, table: &'static str) -> i64 {
        self.fx
            .storage
            .with_conn(move |conn| {
                Ok(conn.query_row(
                    &format!("SELECT count(*) FROM {table}"),
                    carrel_server::storage::sql::params![],
                    |row| row.get(0),
                )?)
            })
            .await
            .unwrap()
    }

    /// The JSON error of a response: its status and code.
    pub async fn error(response: reqwest::Response) -> (reqwest::StatusCode, String) {
        let status = response.status();
        let body: carrel_protocol::ApiError = response.json().await.expect("errors are JSON");
        (status, body.code)
    }
}

/// The demo course (`courses/demo`) built into `dir`, from a copy of its source with `edits`
/// (file, text there, its replacement) when there are any; the package's path.
pub fn demo_package(dir: &Path, edits: &[(&str, &str, &str)]) -> PathBuf {
    let mut source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../courses/demo");
    if !edits.is_empty() {
        let copy = dir.join("demo-edited");
        copy_dir(&source, &copy);
        for (file, original, replacement) in edits {
            let path = copy.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.contains(original),
                "{file} of the demo course has {original}"
            );
            std::fs::write(&path, text.replace(original, replacement)).unwrap();
        }
        source = copy;
    }
    let package = dir.join("demo.carrel");
    carrel_package::source::build(&source, &package_key(), &package)
        .unwrap_or_else(|error| panic!("the demo course builds: {error}"));
    package
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
