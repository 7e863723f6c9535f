//! The server's settings: command-line flags, environment variables, a TOML file, defaults —
//! in that order of precedence, setting by setting.
//!
//! The file is given with `--config FILE` or `CARREL_SERVER_CONFIG`; every key is optional, and a
//! relative path in it is relative to the file's folder (so a file works wherever it is read
//! from). Unknown keys are refused, so a misspelt setting is not silently ignored. See
//! [`EXAMPLE`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::DataDir;
use crate::accounts::AuthConfig;

/// A configuration file with every setting, as `--help` and `docs/server.md` show it.
pub const EXAMPLE: &str = r#"# carrel-server.toml — every key is optional
listen = "127.0.0.1:7878"          # address to listen on (serve only)
db = "carrel-server.sqlite3"        # relative paths are relative to this file's folder
data = "carrel-data"                # default: carrel-data beside the database
log_format = "pretty"               # or "json"
access_token_minutes = 15           # how long an access token works
refresh_token_days = 30             # how long a session lasts without a refresh
public_url = "https://courses.example.org"  # clients' address (update URLs, certificates)
certificate_issuer = "Example Institute"  # who certificates name as their issuer
update_pubkey = "dW50cnVzdGVk…"     # the app's plugins.updater.pubkey (release publish)
# Forward learning records (xAPI statements) to a Learning Record Store (needs public_url):
# lrs_endpoint = "https://lrs.example.org/xAPI"
# lrs_key = "carrel"                # its Basic auth key; the secret comes from CARREL_LRS_SECRET
# lrs_secret_file = "lrs-secret"    # … or from this file (readable by the server's account only)
# Let Prometheus read /metrics with this token (else CARREL_METRICS_TOKEN; none: /metrics is 404):
# metrics_token_file = "metrics-token"
# Several instances on one database: migrate with `carrel-server migrate`, not on start:
# migrate_on_start = false
# Keep packages, content files, attachments, recordings and app bundles in an S3-compatible bucket
# instead of the data folder (every command that writes them needs the same settings):
# s3_endpoint = "https://s3.eu-west-1.amazonaws.com"
# s3_bucket = "carrel-files"
# s3_region = "eu-west-1"           # default us-east-1
# s3_access_key = "AKIA…"           # the secret comes from CARREL_S3_SECRET_KEY …
# s3_secret_key_file = "s3-secret"  # … or from this file (readable by the server's account only)
# s3_prefix = "carrel/"             # prepended to every key (default none)
# s3_virtual_host = true            # bucket.endpoint/key instead of endpoint/bucket/key
"#;

/// The default address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";
/// The default database file.
pub const DEFAULT_DB: &str = "carrel-server.sqlite3";

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not the TOML the server takes.
    #[error(
        "the configuration file {path} is not valid: {message}; see `carrel-server --help` for its format"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line.
        message: String,
    },
    /// A setting has a value it cannot have.
    #[error("{0}")]
    Invalid(String),
}

/// The settings a configuration file may hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Address to listen on.
    pub listen: Option<SocketAddr>,
    /// The database file.
    pub db: Option<PathBuf>,
    /// The data folder.
    pub data: Option<PathBuf>,
    /// Log format.
    pub log_format: Option<LogFormat>,
    /// Access token lifetime, minutes.
    pub access_token_minutes: Option<u64>,
    /// Session lifetime without a refresh, days.
    pub refresh_token_days: Option<u64>,
    /// The address clients reach the server at, e.g. `https://courses.example.org`.
    pub public_url: Option<String>,
    /// Who certificates name as their issuer (the institution running the server).
    pub certificate_issuer: Option<String>,
    /// The desktop app's update public key (base64 of a minisign public key), which release
    /// signatures must verify with.
    pub update_pubkey: Option<String>,
    /// The xAPI endpoint of a Learning Record Store to forward learning records to.
    pub lrs_endpoint: Option<String>,
    /// The LRS's Basic auth key.
    pub lrs_key: Option<String>,
    /// A file holding the LRS's Basic auth secret.
    pub lrs_secret_file: Option<PathBuf>,
    /// The LRS's secret itself: from `CARREL_LRS_SECRET` only, never from the file (a key
    /// `lrs_secret` in it is refused as unknown).
    #[serde(skip)]
    pub lrs_secret: Option<Secret>,
    /// A file holding the token Prometheus presents to read `/metrics`.
    pub metrics_token_file: Option<PathBuf>,
    /// The metrics token itself: from `CARREL_METRICS_TOKEN` only, never from the file.
    #[serde(skip)]
    pub metrics_token: Option<Secret>,
    /// Bring the database's schema up to date when serving starts (default); `false`: refuse to
    /// start on an older schema (`carrel-server migrate` does it, once, for every instance).
    pub migrate_on_start: Option<bool>,
    /// An S3-compatible endpoint for the files kept by hash ([`crate::blobs`]); none: the data
    /// folder.
    pub s3_endpoint: Option<String>,
    /// Its bucket.
    pub s3_bucket: Option<String>,
    /// The region signatures name.
    pub s3_region: Option<String>,
    /// The access key id.
    pub s3_access_key: Option<String>,
    /// A file holding the secret access key.
    pub s3_secret_key_file: Option<PathBuf>,
    /// The secret access key itself: from `CARREL_S3_SECRET_KEY` only, never from the file.
    #[serde(skip)]
    pub s3_secret_key: Option<Secret>,
    /// Prepended to every key.
    pub s3_prefix: Option<String>,
    /// Virtual-host addressing (`bucket.endpoint`) instead of the path (`endpoint/bucket`).
    pub s3_virtual_host: Option<bool>,
}

/// A secret that never shows in a log: its `Debug` is `"<redacted>"`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl ConfigFile {
    /// Reads the file at `path`; relative paths in it become relative to its folder.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut file: Self = toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path: path.to_owned(),
            message: error.to_string().trim().replace('\n', " "),
        })?;
        let folder = path.parent().unwrap_or(Path::new(""));
        let db_is_url = file
            .db
            .as_ref()
            .and_then(|db| db.to_str())
            .is_some_and(crate::storage::postgres::is_url);
        if !db_is_url && let Some(db) = file.db.as_mut().filter(|p| p.is_relative()) {
            *db = folder.join(&*db);
        }
        for setting in [
            &mut file.data,
            &mut file.lrs_secret_file,
            &mut file.metrics_token_file,
            &mut file.s3_secret_key_file,
        ] {
            if let Some(relative) = setting.as_ref().filter(|p| p.is_relative()) {
                *setting = Some(folder.join(relative));
            }
        }
        Ok(file)
    }
}

/// What the flags and environment set (clap reads both; a flag wins over its variable).
pub type Overrides = ConfigFile;

/// The settings in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The database file.
    pub db: PathBuf,
    /// The data folder (see [`Settings::require_data`]).
    pub data: DataDir,
    /// Log format.
    pub log_format: LogFormat,
    /// Token lifetimes.
    pub auth: AuthConfig,
    /// The address clients reach the server at (`http(s)://host[:port][/prefix]`, no trailing
    /// `/`); `None`: absolute URLs are built from each request's `Host` header, over `http`.
    pub public_url: Option<String>,
    /// Who certificates name as their issuer.
    pub certificate_issuer: String,
    /// The desktop app's update public key, if configured (`release publish` verifies with it).
    pub update_pubkey: Option<String>,
    /// The Learning Record Store learning records are forwarded to, if configured.
    pub lrs: Option<crate::xapi::LrsConfig>,
    /// The token a scraper of `/metrics` presents; `None`: nobody reads them.
    pub metrics_token: Option<Secret>,
    /// Whether serving brings the database's schema up to date first.
    pub migrate_on_start: bool,
    /// The S3-compatible bucket for files kept by hash; `None`: the data folder.
    pub s3: Option<crate::blobs::S3Config>,
}

impl Settings {
    /// The data folder, for the commands that use it: with a PostgreSQL database, one the
    /// settings name or one a `serve` recorded in it; else an error saying how to name it.
    pub fn require_data(&self) -> Result<&DataDir, ConfigError> {
        if self.data.root().as_os_str().is_empty() {
            return Err(ConfigError::Invalid(
                "with a PostgreSQL database, name the data folder (--data-dir, \
                 CARREL_SERVER_DATA or `data` in the configuration file); once the server has \
                 served with it, commands find it in the database"
                    .into(),
            ));
        }
        Ok(&self.data)
    }
}

/// The shortest metrics token taken.
pub const MIN_METRICS_TOKEN_CHARS: usize = 16;

/// Each setting from `overrides` (flags and environment), else `file`, else its default.
pub fn resolve(overrides: Overrides, file: ConfigFile) -> Result<Settings, ConfigError> {
    let listen = match overrides.listen.or(file.listen) {
        Some(listen) => listen,
        None => DEFAULT_LISTEN
            .parse()
            .map_err(|_| ConfigError::Invalid("the default address is not valid".into()))?,
    };
    let db = overrides
        .db
        .or(file.db)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DB));
    let data = match overrides.data.or(file.data) {
        Some(dir) => DataDir::new(dir),
        None => match db
            .to_str()
            .filter(|db| crate::storage::postgres::is_url(db))
        {
            // Every instance and command on one PostgreSQL database shares one data folder,
            // which the database remembers from the last `serve` that named it.
            Some(url) => match crate::storage::postgres::meta(url, crate::storage::DATA_DIR_KEY) {
                Ok(Some(dir)) => DataDir::new(dir),
                // Commands that need it say so ([`Settings::require_data`]); `migrate` does not.
                Ok(None) => DataDir::new(PathBuf::new()),
                Err(reason) => {
                    return Err(ConfigError::Invalid(format!(
                        "cannot read the data folder's location from {}: {reason}",
                        crate::storage::postgres::redacted(url)
                    )));
                }
            },
            None => DataDir::beside(&db),
        },
    };
    let minutes = overrides
        .access_token_minutes
        .or(file.access_token_minutes)
        .unwrap_or(15);
    let days = overrides
        .refresh_token_days
        .or(file.refresh_token_days)
        .unwrap_or(30);
    if !(1..=24 * 60).contains(&minutes) {
        return Err(ConfigError::Invalid(format!(
            "access_token_minutes is {minutes}: use 1 to 1440"
        )));
    }
    if !(1..=366).contains(&days) {
        return Err(ConfigError::Invalid(format!(
            "refresh_token_days is {days}: use 1 to 366"
        )));
    }
    let auth = AuthConfig {
        access_ttl: Duration::from_secs(minutes * 60),
        refresh_ttl: Duration::from_secs(days * 24 * 60 * 60),
    };
    if auth.refresh_ttl <= auth.access_ttl {
        return Err(ConfigError::Invalid(
            "a session must outlive its access tokens: raise refresh_token_days".into(),
        ));
    }
    let public_url = match overrides.public_url.or(file.public_url) {
        Some(url) => Some(check_public_url(&url)?),
        None => None,
    };
    let certificate_issuer = match overrides.certificate_issuer.or(file.certificate_issuer) {
        Some(issuer) => check_issuer(&issuer)?,
        None => crate::certificates::DEFAULT_ISSUER.to_owned(),
    };
    let lrs = match overrides.lrs_endpoint.or(file.lrs_endpoint) {
        Some(endpoint) => Some(lrs_config(
            &endpoint,
            overrides.lrs_key.or(file.lrs_key),
            overrides.lrs_secret,
            overrides.lrs_secret_file.or(file.lrs_secret_file),
            public_url.as_deref(),
        )?),
        None => None,
    };
    let metrics_token = match secret_from(
        overrides.metrics_token,
        overrides.metrics_token_file.or(file.metrics_token_file),
    )? {
        Some(Secret(token)) if token.chars().count() < MIN_METRICS_TOKEN_CHARS => {
            return Err(ConfigError::Invalid(format!(
                "the metrics token is shorter than {MIN_METRICS_TOKEN_CHARS} characters: use a \
                 long random one, e.g. `openssl rand -hex 32`"
            )));
        }
        token => token,
    };
    let s3 = match overrides.s3_endpoint.or(file.s3_endpoint) {
        Some(endpoint) => {
            let bucket = overrides.s3_bucket.or(file.s3_bucket).ok_or_else(|| {
                ConfigError::Invalid("s3_endpoint is set without s3_bucket".into())
            })?;
            let access_key = overrides
                .s3_access_key
                .or(file.s3_access_key)
                .ok_or_else(|| {
                    ConfigError::Invalid("s3_endpoint is set without s3_access_key".into())
                })?;
            let Some(Secret(secret_key)) = secret_from(
                overrides.s3_secret_key,
                overrides.s3_secret_key_file.or(file.s3_secret_key_file),
            )?
            else {
                return Err(ConfigError::Invalid(
                    "s3_endpoint is set without its secret: set CARREL_S3_SECRET_KEY or \
                     s3_secret_key_file"
                        .into(),
                ));
            };
            let config = crate::blobs::S3Config {
                endpoint,
                bucket,
                region: overrides
                    .s3_region
                    .or(file.s3_region)
                    .unwrap_or_else(|| "us-east-1".to_owned()),
                access_key,
                secret_key,
                prefix: overrides.s3_prefix.or(file.s3_prefix).unwrap_or_default(),
                path_style: !overrides
                    .s3_virtual_host
                    .or(file.s3_virtual_host)
                    .unwrap_or(false),
            };
            crate::blobs::S3Blobs::new(&config).map_err(ConfigError::Invalid)?;
            Some(config)
        }
        None => None,
    };
    Ok(Settings {
        s3,
        listen,
        db,
        data,
        log_format: overrides.log_format.or(file.log_format).unwrap_or_default(),
        auth,
        public_url,
        certificate_issuer,
        update_pubkey: overrides.update_pubkey.or(file.update_pubkey),
        lrs,
        metrics_token,
        migrate_on_start: overrides
            .migrate_on_start
            .or(file.migrate_on_start)
            .unwrap_or(true),
    })
}

/// A secret given itself (from the environment), else read from `file` (trimmed); `None` when
/// neither is set.
fn secret_from(
    secret: Option<Secret>,
    file: Option<PathBuf>,
) -> Result<Option<Secret>, ConfigError> {
    match (secret, file) {
        (Some(secret), _) => Ok(Some(secret)),
        (None, Some(path)) => Ok(Some(Secret(
            std::fs::read_to_string(&path)
                .map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?
                .trim()
                .to_owned(),
        ))),
        (None, None) => Ok(None),
    }
}

/// The LRS settings, complete: an http(s) endpoint, a key, a secret (given, or read from its
/// file), and the public address the learners' xAPI accounts are at.
fn lrs_config(
    endpoint: &str,
    key: Option<String>,
    secret: Option<Secret>,
    secret_file: Option<PathBuf>,
    public_url: Option<&str>,
) -> Result<crate::xapi::LrsConfig, ConfigError> {
    let endpoint = check_public_url(endpoint).map_err(|_| {
        ConfigError::Invalid(format!(
            "lrs_endpoint is “{endpoint}”: give the LRS's xAPI endpoint, e.g. https://lrs.example.org/xAPI"
        ))
    })?;
    let key = key.filter(|k| !k.is_empty()).ok_or_else(|| {
        ConfigError::Invalid(
            "lrs_endpoint is set without lrs_key (the LRS's Basic auth key)".into(),
        )
    })?;
    let Some(Secret(secret)) = secret_from(secret, secret_file)? else {
        return Err(ConfigError::Invalid(
            "lrs_endpoint is set without its secret: set CARREL_LRS_SECRET or lrs_secret_file"
                .into(),
        ));
    };
    let home_page = public_url.ok_or_else(|| {
        ConfigError::Invalid(
            "lrs_endpoint needs public_url: the learners' xAPI accounts are at the server's \
             public address"
                .into(),
        )
    })?;
    Ok(crate::xapi::LrsConfig {
        endpoint,
        key,
        secret,
        home_page: home_page.to_owned(),
    })
}

/// `issuer` trimmed, if it is a name a certificate can print: 1 to
/// [`crate::certificates::MAX_ISSUER_CHARS`] characters, none of them control characters.
fn check_issuer(issuer: &str) -> Result<String, ConfigError> {
    let trimmed = issuer.trim();
    let max = crate::certificates::MAX_ISSUER_CHARS;
    if trimmed.is_empty() || trimmed.chars().count() > max || trimmed.chars().any(char::is_control)
    {
        return Err(ConfigError::Invalid(format!(
            "certificate_issuer is “{issuer}”: give the name of the institution issuing \
             certificates, 1 to {max} characters on one line"
        )));
    }
    Ok(trimmed.to_owned())
}

/// `url` without a trailing `/`, if it is an `http` or `https` address with no query or fragment.
fn check_public_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim().trim_end_matches('/');
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .unwrap_or("");
    let valid = !host.is_empty()
        && !host.starts_with('/')
        && !host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#'));
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(ConfigError::Invalid(format!(
            "public_url is “{url}”: give the address clients reach the server at, e.g. https://courses.example.org"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_environment_beat_the_file_which_beats_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(
            &path,
            "db = \"state/db.sqlite3\"\nlog_format = \"json\"\naccess_token_minutes = 5\nlisten = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        let file = ConfigFile::read(&path).unwrap();
        assert_eq!(
            file.db,
            Some(dir.path().join("state/db.sqlite3")),
            "relative to the file's folder"
        );
        let from_file = resolve(Overrides::default(), file.clone()).unwrap();
        assert_eq!(from_file.log_format, LogFormat::Json);
        assert_eq!(from_file.auth.access_ttl, Duration::from_secs(300));
        assert_eq!(
            from_file.auth.refresh_ttl,
            Duration::from_secs(30 * 86_400),
            "default"
        );
        assert_eq!(
            from_file.data,
            DataDir::beside(&dir.path().join("state/db.sqlite3"))
        );
        let overridden = resolve(
            Overrides {
                db: Some("flag.sqlite3".into()),
                listen: Some("127.0.0.1:1".parse().unwrap()),
                ..Overrides::default()
            },
            file,
        )
        .unwrap();
        assert_eq!(overridden.db, PathBuf::from("flag.sqlite3"));
        assert_eq!(overridden.listen.port(), 1);
        assert_eq!(
            overridden.log_format,
            LogFormat::Json,
            "the file still sets the rest"
        );
        let defaults = resolve(Overrides::default(), ConfigFile::default()).unwrap();
        assert_eq!(defaults.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(defaults.public_url, None, "URLs come from the Host header");
        let public = resolve(
            Overrides {
                public_url: Some("https://courses.example.org/carrel/".into()),
                ..Overrides::default()
            },
            ConfigFile::default(),
        )
        .unwrap();
        assert_eq!(
            public.public_url.as_deref(),
            Some("https://courses.example.org/carrel"),
            "a path prefix is kept, the trailing slash dropped"
        );
        assert_eq!(defaults.auth, AuthConfig::default());
        assert_eq!(
            defaults.certificate_issuer,
            crate::certificates::DEFAULT_ISSUER,
            "certificates name an issuer even when none is set"
        );
    }

    #[test]
    fn the_certificate_issuer_comes_from_the_file_or_its_variable_and_must_be_printable() {
        let file = ConfigFile {
            certificate_issuer: Some("  Example Institute ".into()),
            ..ConfigFile::default()
        };
        let from_file = resolve(Overrides::default(), file.clone()).unwrap();
        assert_eq!(from_file.certificate_issuer, "Example Institute", "trimmed");
        let overridden = resolve(
            Overrides {
                certificate_issuer: Some("Institut d'études".into()),
                ..Overrides::default()
            },
            file,
        )
        .unwrap();
        assert_eq!(overridden.certificate_issuer, "Institut d'études");
        for bad in ["", "   ", "Two\nlines", &"x".repeat(201)] {
            let error = resolve(
                Overrides {
                    certificate_issuer: Some(bad.to_owned()),
                    ..Overrides::default()
                },
                ConfigFile::default(),
            )
            .unwrap_err();
            assert!(error.to_string().contains("certificate_issuer"), "{error}");
        }
    }

    #[test]
    fn a_bucket_needs_its_name_key_and_secret_and_the_secret_stays_out_of_files_and_logs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s3-secret"), "bucket-s3cret\n").unwrap();
        let path = dir.path().join("carrel-server.toml");
        std::fs::write(
            &path,
            "s3_endpoint = \"http://127.0.0.1:9000\"\ns3_bucket = \"carrel\"\ns3_access_key = \"key\"\ns3_secret_key_file = \"s3-secret\"\n",
        )
        .unwrap();
        let file = ConfigFile::read(&path).unwrap();
        let s3 = resolve(Overrides::default(), file.clone())
            .unwrap()
            .s3
            .unwrap();
        assert_eq!(
            (s3.endpoint.as_str(), s3.bucket.as_str(), s3.region.as_str()),
            ("http://127.0.0.1:9000", "carrel", "us-east-1")
        );
        assert_eq!(
            s3.secret_key, "bucket-s3cret",
            "read from the file, trimmed"
        );
        assert!(s3.path_style && s3.prefix.is_empty());
        assert!(
            !format!("{s3:?}").contains("bucket-s3cret"),
            "never in a log"
        );
        let from_env = resolve(
            Overrides {
                s3_secret_key: Some(Secret("from-env".into())),
                ..Overrides::default()
            },
            file.clone(),
        )
        .unwrap();
        assert_eq!(from_env.s3.unwrap().secret_key, "from-env");
        for (broken, names) in [
            (
                ConfigFile {
                    s3_bucket: None,
                    ..file.clone()
                },
                "s3_bucket",
            ),
            (
                ConfigFile {
                    s3_access_key: None,
                    ..file.clone()
                },
                "s3_access_key",
            ),
            (
                ConfigFile {
                    s3_secret_key_file: None,
                    ..file.clone()
                },
                "CARREL_S3_SECRET_KEY",
            ),
            (
                ConfigFile {
                    s3_endpoint: Some("s3.example.org".into()),
                    ..file.clone()
                },
                "s3_endpoint",
            ),
        ] {
            let error = resolve(Overrides::default(), broken).unwrap_err();
            assert!(error.to_string().contains(names), "{error}");
        }
        // Without an endpoint: the data folder.
        assert_eq!(
            resolve(Overrides::default(), ConfigFile::default())
                .unwrap()
                .s3,
            None
        );
        std::fs::write(&path, "s3_secret_key = \"in a plain file\"\n").unwrap();
        assert!(
            ConfigFile::read(&path).is_err(),
            "the secret itself is never in the file"
        );
    }

    #[test]
    fn an_lrs_needs_its_key_secret_and_the_public_address_and_its_secret_stays_out_of_files_and_logs()
     {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(dir.path().join("lrs-secret"), "s3cret\n").unwrap();
        std::fs::write(
            &path,
            "public_url = \"https://courses.example.org\"\nlrs_endpoint = \"https://lrs.example.org/xAPI/\"\nlrs_key = \"carrel\"\nlrs_secret_file = \"lrs-secret\"\n",
        )
        .unwrap();
        let file = ConfigFile::read(&path).unwrap();
        let lrs = resolve(Overrides::default(), file.clone())
            .unwrap()
            .lrs
            .unwrap();
        assert_eq!(lrs.endpoint, "https://lrs.example.org/xAPI");
        assert_eq!(
            lrs.secret, "s3cret",
            "read from its file, relative to the config"
        );
        assert_eq!(lrs.home_page, "https://courses.example.org");
        assert!(!format!("{lrs:?}").contains("s3cret"), "never in a log");
        let overrides = Overrides {
            lrs_secret: Some(Secret("s3cret".into())),
            ..Overrides::default()
        };
        assert!(
            !format!("{overrides:?}").contains("s3cret"),
            "never in a log"
        );
        let from_env = resolve(
            Overrides {
                lrs_secret: Some(Secret("from-env".into())),
                ..Overrides::default()
            },
            file.clone(),
        )
        .unwrap();
        assert_eq!(
            from_env.lrs.unwrap().secret,
            "from-env",
            "CARREL_LRS_SECRET wins"
        );
        for (broken, needs) in [
            (
                ConfigFile {
                    lrs_key: None,
                    ..file.clone()
                },
                "lrs_key",
            ),
            (
                ConfigFile {
                    lrs_secret_file: None,
                    ..file.clone()
                },
                "CARREL_LRS_SECRET",
            ),
            (
                ConfigFile {
                    public_url: None,
                    ..file.clone()
                },
                "public_url",
            ),
            (
                ConfigFile {
                    lrs_endpoint: Some("lrs.example.org".into()),
                    ..file.clone()
                },
                "lrs_endpoint",
            ),
        ] {
            let error = resolve(Overrides::default(), broken).unwrap_err();
            assert!(error.to_string().contains(needs), "{error}");
        }
        std::fs::write(&path, "lrs_secret = \"in a plain file\"\n").unwrap();
        let error = ConfigFile::read(&path).unwrap_err();
        assert!(error.to_string().contains("lrs_secret"), "{error}");
    }

    #[test]
    fn a_misspelt_key_or_a_bad_value_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(&path, "listn = \"127.0.0.1:1\"\n").unwrap();
        let error = ConfigFile::read(&path).unwrap_err();
        assert!(error.to_string().contains("listn"), "{error}");
        std::fs::write(&path, "access_token_minutes = 0\n").unwrap();
        let file = ConfigFile::read(&path).unwrap();
        assert!(resolve(Overrides::default(), file).is_err());
        let example: ConfigFile = toml::from_str(EXAMPLE).unwrap();
        assert!(
            resolve(Overrides::default(), example).is_ok(),
            "the example is valid"
        );
        for url in [
            "courses.example.org",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x/?q",
        ] {
            let overrides = Overrides {
                public_url: Some(url.to_owned()),
                ..Overrides::default()
            };
            assert!(
                resolve(overrides, ConfigFile::default()).is_err(),
                "{url} is not a public address"
            );
        }
    }

    #[test]
    fn the_metrics_token_comes_from_its_variable_or_file_is_long_and_stays_out_of_logs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(
            dir.path().join("metrics-token"),
            "0123456789abcdef-from-file\n",
        )
        .unwrap();
        std::fs::write(
            &path,
            "metrics_token_file = \"metrics-token\"\nmigrate_on_start = false\n",
        )
        .unwrap();
        let file = ConfigFile::read(&path).unwrap();
        let from_file = resolve(Overrides::default(), file.clone()).unwrap();
        assert_eq!(
            from_file.metrics_token,
            Some(Secret("0123456789abcdef-from-file".into())),
            "read from its file, relative to the config, trimmed"
        );
        assert!(!from_file.migrate_on_start);
        assert!(
            !format!("{from_file:?}").contains("from-file"),
            "never in a log"
        );
        let from_env = resolve(
            Overrides {
                metrics_token: Some(Secret("0123456789abcdef-from-env".into())),
                ..Overrides::default()
            },
            file,
        )
        .unwrap();
        assert_eq!(
            from_env.metrics_token,
            Some(Secret("0123456789abcdef-from-env".into())),
            "CARREL_METRICS_TOKEN wins"
        );
        let short = resolve(
            Overrides {
                metrics_token: Some(Secret("short".into())),
                ..Overrides::default()
            },
            ConfigFile::default(),
        )
        .unwrap_err();
        assert!(short.to_string().contains("openssl rand"), "{short}");
        let defaults = resolve(Overrides::default(), ConfigFile::default()).unwrap();
        assert_eq!(
            defaults.metrics_token, None,
            "no token: nobody reads the metrics"
        );
        assert!(
            defaults.migrate_on_start,
            "one server migrates its own database"
        );
    }
}
