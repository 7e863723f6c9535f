//! `tauri-driver`, which launches the app binary through WebKitWebDriver for each WebDriver
//! session, and the isolated home the app's data goes to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::ClientBuilder;

use crate::Display;
use crate::session::Session;

/// A private data/config/cache home for the app under test, so a run never reads or writes the
/// developer's own Carrel data. Kept for the lifetime of the value; reuse it across two driver
/// runs to test that the app remembers things across restarts.
pub struct AppHome {
    dir: tempfile::TempDir,
}

impl AppHome {
    /// Creates an empty home.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            dir: tempfile::Builder::new()
                .prefix("carrel-e2e-home")
                .tempdir()?,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The XDG variables pointing into this home, and the session kept in a file inside it (so
    /// a test never touches the keyring of the person running it).
    pub fn env(&self) -> BTreeMap<String, String> {
        let sub = |name: &str| self.dir.path().join(name).display().to_string();
        BTreeMap::from([
            ("XDG_DATA_HOME".to_owned(), sub("data")),
            ("XDG_CONFIG_HOME".to_owned(), sub("config")),
            ("XDG_CACHE_HOME".to_owned(), sub("cache")),
            ("CARREL_CREDENTIAL_STORE".to_owned(), "file".to_owned()),
        ])
    }
}

/// A running `tauri-driver`; stopped with SIGTERM when dropped.
pub struct TauriDriver {
    child: Child,
    port: u16,
    target_dir: PathBuf,
}

/// Where `tauri-driver` is: `$TAURI_DRIVER`, on `PATH`, or in cargo's bin folder.
fn find_tauri_driver() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(path));
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect())
        .unwrap_or_default();
    if let Some(cargo_home) = std::env::var_os("CARGO_HOME") {
        candidates.push(PathBuf::from(cargo_home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cargo/bin"));
    }
    candidates
        .into_iter()
        .map(|dir| dir.join("tauri-driver"))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "tauri-driver is not installed; run `cargo install tauri-driver --locked --version \
                 2.1.0` (and `apt-get install webkit2gtk-driver` for WebKitWebDriver)"
            )
        })
}

impl TauriDriver {
    /// Starts tauri-driver on free ports. The app it launches inherits `env` (server address,
    /// data home), the display, and this process's environment.
    pub async fn start(
        display: &Display,
        env: &BTreeMap<String, String>,
        target_dir: &Path,
    ) -> anyhow::Result<Self> {
        let program = find_tauri_driver()?;
        let port = crate::free_port()?;
        let native_port = crate::free_port()?;
        let log_dir = target_dir.join("e2e-logs");
        std::fs::create_dir_all(&log_dir)?;
        let log = std::fs::File::create(log_dir.join(format!("tauri-driver-{port}.log")))?;
        let child = Command::new(&program)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", display.name())
            .envs(env)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", program.display()))?;
        let mut driver = Self {
            child,
            port,
            target_dir: target_dir.to_path_buf(),
        };
        // tauri-driver listens at once but proxies to WebKitWebDriver, which it starts on
        // `native_port`; a session request before that one listens is dropped.
        for (which, p) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            if let Err(error) = crate::wait_for_port(p, Duration::from_secs(30)).await {
                driver.stop();
                return Err(error.context(format!("{which} did not start listening")));
            }
        }
        Ok(driver)
    }

    /// The process id of tauri-driver (the app runs in its process tree).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Launches `application` in a new window and opens a WebDriver session on it. `scenario`
    /// names the screenshot folder.
    pub async fn session(&self, application: &Path, scenario: &str) -> anyhow::Result<Session> {
        self.session_with_args(application, &[], scenario).await
    }

    /// Like [`Self::session`], with command-line arguments for the app.
    pub async fn session_with_args(
        &self,
        application: &Path,
        args: &[String],
        scenario: &str,
    ) -> anyhow::Result<Session> {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "wry".into());
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": application, "args": args }),
        );
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                // A cold start of the driver chain can drop the first request; a few retries
                // cover that without hiding a driver that never answers.
                Err(error) if attempt < 5 => {
                    eprintln!("WebDriver session attempt {attempt} failed ({error}); retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    anyhow::bail!("cannot open a WebDriver session on the app: {error}")
                }
            }
        };
        Session::new(
            client,
            self.target_dir.join("e2e-screenshots").join(scenario),
        )
    }

    /// Stops tauri-driver (SIGTERM, so it also stops WebKitWebDriver).
    pub fn stop(&mut self) {
        crate::terminate(&mut self.child, Duration::from_secs(10));
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        self.stop();
    }
}
