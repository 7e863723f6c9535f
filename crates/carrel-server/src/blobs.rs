//! Where the server keeps the bytes it serves by hash: published packages, course content files,
//! learners' attachments and groups' files, webinar recordings and app bundles.
//!
//! Every such file is immutable and named by its SHA-256, so a blob store needs only four verbs:
//! put a verified file, tell a blob's length, read a range of it, and delete it. [`BlobStore`] is
//! that trait, with two implementations:
//!
//! - [`FsBlobs`], the default: the data folder's own layout (`packages/`, `store/objects/`,
//!   `blobs/`, `recordings/`, `releases/`), as the server has always kept them;
//! - [`S3Blobs`]: an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, R2, …), every request
//!   signed with AWS Signature V4 (presigned with [`rusty_s3`], sent with [`reqwest`]); keys are
//!   `<prefix>packages/<sha256>.carrel`, `<prefix>files/<sha256>`, `<prefix>attachments/<sha256>`,
//!   `<prefix>recordings/<sha256>`, `<prefix>releases/<sha256>`.
//!
//! The server streams what a client asks for from either ([`crate::send_file`]), so a response's
//! `ETag`, `Range` and `Cache-Control: immutable` are the same whatever the store, and a CDN in
//! front of the server caches them. Files are written to the store before the database says they
//! exist (publish, upload completion), so an instance never names a blob it cannot serve.
//!
//! What stays in the data folder with either store: uploads in progress (`uploads/*.part`), the
//! publish lock and the content store's staging, and the certificate signing key.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::data::DataDir;

/// What a blob is, which decides its key (and its folder in [`FsBlobs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobKind {
    /// A published package file.
    Package,
    /// A course content file (the content store's object).
    File,
    /// A learner's attachment or a group's file.
    Attachment,
    /// A webinar recording.
    Recording,
    /// A desktop app bundle.
    Release,
}

impl BlobKind {
    /// Every kind.
    pub const ALL: [BlobKind; 5] = [
        BlobKind::Package,
        BlobKind::File,
        BlobKind::Attachment,
        BlobKind::Recording,
        BlobKind::Release,
    ];

    /// The key of blob `sha256` of this kind, below a store's prefix.
    pub fn key(self, sha256: &str) -> String {
        match self {
            BlobKind::Package => format!("packages/{sha256}.{}", crate::data::PACKAGE_EXTENSION),
            BlobKind::File => format!("files/{sha256}"),
            BlobKind::Attachment => format!("attachments/{sha256}"),
            BlobKind::Recording => format!("recordings/{sha256}"),
            BlobKind::Release => format!("releases/{sha256}"),
        }
    }
}

/// Why a blob store failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// A file operation failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The object store could not be reached.
    #[error("cannot reach the object store at {endpoint}: {message}")]
    Unreachable {
        /// The store's endpoint.
        endpoint: String,
        /// Why.
        message: String,
    },
    /// The object store refused a request.
    #[error(
        "the object store refused to {operation} {key}: HTTP {status} {code}; check the bucket, \
         the credentials and their permissions (Carrel needs s3:GetObject, s3:PutObject, \
         s3:DeleteObject and s3:ListBucket; without the last, S3 answers 403 for a file that \
         is not there)"
    )]
    Refused {
        /// What was being done.
        operation: &'static str,
        /// The key.
        key: String,
        /// The HTTP status.
        status: u16,
        /// The S3 error code from the answer's body, if any.
        code: String,
    },
    /// The name is not a SHA-256 (lowercase hex).
    #[error("“{0}” is not a SHA-256; blobs are named by theirs")]
    BadName(String),
}

/// A blob's bytes as they arrive.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// A boxed future, so the trait serves as `dyn BlobStore`.
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, BlobError>> + Send + 'a>>;

/// A store of immutable files named by their SHA-256.
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores the file at `path` (whose SHA-256 the caller checked) as blob `sha256` of `kind`.
    /// Storing a blob that is already there changes nothing.
    fn put_file<'a>(
        &'a self,
        kind: BlobKind,
        sha256: &'a str,
        path: &'a Path,
    ) -> BlobFuture<'a, ()>;

    /// The blob's length, or `None` when there is no such blob.
    fn len<'a>(&'a self, kind: BlobKind, sha256: &'a str) -> BlobFuture<'a, Option<u64>>;

    /// `length` bytes of the blob from `start` (which the caller checked against its length), or
    /// `None` when there is no such blob.
    fn read<'a>(
        &'a self,
        kind: BlobKind,
        sha256: &'a str,
        start: u64,
        length: u64,
    ) -> BlobFuture<'a, Option<ByteStream>>;

    /// Removes the blob; removing one that is not there is not an error.
    fn delete<'a>(&'a self, kind: BlobKind, sha256: &'a str) -> BlobFuture<'a, ()>;

    /// Where it keeps blobs, for logs: a folder or an endpoint and bucket (never a secret).
    fn describe(&self) -> String;

    /// Whether the blobs are the data folder's own files ([`FsBlobs`]): then a file put in
    /// place there is already stored; otherwise the local copy can go once stored.
    fn is_data_folder(&self) -> bool {
        false
    }
}

/// The store a server uses, shared by its requests.
pub type Blobs = Arc<dyn BlobStore>;

/// The data folder and the blob store together: what a writer of files by hash needs (it places
/// a file in the data folder's layout, then [`keep`]s it).
#[derive(Debug, Clone)]
pub struct Stores {
    /// The data folder.
    pub data: DataDir,
    /// The blob store (the data folder's [`FsBlobs`], or a bucket).
    pub blobs: Blobs,
}

impl Stores {
    /// The data folder `data` keeping its own blobs.
    pub fn data_folder(data: DataDir) -> Self {
        Self {
            blobs: Arc::new(FsBlobs::new(data.clone())),
            data,
        }
    }
}

/// Puts the verified file at `local`, which is where the data folder keeps blob `sha256` of
/// `kind` ([`FsBlobs::path`]), into `blobs`; when `blobs` is elsewhere (a bucket) the local copy
/// then goes. Writers call it after placing a file and before the database names it.
pub async fn keep(
    blobs: &dyn BlobStore,
    kind: BlobKind,
    sha256: &str,
    local: &Path,
) -> Result<(), BlobError> {
    blobs.put_file(kind, sha256, local).await?;
    if !blobs.is_data_folder() {
        match tokio::fs::remove_file(local).await {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io("remove", local)(error)),
        }
    }
    Ok(())
}

fn check_name(sha256: &str) -> Result<(), BlobError> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(BlobError::BadName(sha256.to_owned()))
    }
}

const CHUNK: usize = 64 * 1024;

// --- the data folder ----------------------------------------------------------------------------

crate::file_io::from_file_io!(BlobError);

/// Copies `source` to `target` under a temporary name, flushes it and renames it into place.
fn copy_durably(source: &Path, target: &Path) -> Result<(), crate::file_io::FileIoError> {
    use crate::file_io::{copy_in, io_error, move_into_place, sync_dir};
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    let mut file = std::fs::File::open(source).map_err(io_error("open", source))?;
    let copied = copy_in(dir, "", &mut file, source, "copy the file to", |_| {})?;
    move_into_place(copied.file, target, "move the file to")?;
    sync_dir(dir)
}

/// Blobs in the data folder, in the layout the server has always used.
#[derive(Debug, Clone)]
pub struct FsBlobs {
    data: DataDir,
}

impl FsBlobs {
    /// The blobs of data folder `data`.
    pub fn new(data: DataDir) -> Self {
        Self { data }
    }

    /// Where blob `sha256` of `kind` is (or would be).
    pub fn path(&self, kind: BlobKind, sha256: &str) -> PathBuf {
        match kind {
            BlobKind::Package => self.data.package_path(sha256),
            BlobKind::File => {
                carrel_package::store::Store::object_path_in(&self.data.store_dir(), sha256)
            }
            BlobKind::Attachment => crate::uploads::blob_path(&self.data, sha256),
            BlobKind::Recording => self.data.recording_path(sha256),
            BlobKind::Release => crate::releases::bundle_path(&self.data, sha256),
        }
    }
}

fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BlobError {
    let path = path.to_path_buf();
    move |source| BlobError::Io {
        operation,
        path,
        source,
    }
}

impl BlobStore for FsBlobs {
    fn put_file<'a>(
        &'a self,
        kind: BlobKind,
        sha256: &'a str,
        path: &'a Path,
    ) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            check_name(sha256)?;
            let target = self.path(kind, sha256);
            if target == path {
                return Ok(());
            }
            let stored = tokio::fs::metadata(&target).await.ok().map(|m| m.len());
            let length = match tokio::fs::metadata(path).await {
                Ok(found) => found.len(),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound && stored.is_some() => {
                    return Ok(());
                }
                Err(error) => return Err(io("inspect", path)(error)),
            };
            if stored == Some(length) {
                return Ok(());
            }
            let source = path.to_path_buf();
            tokio::task::spawn_blocking(move || copy_durably(&source, &target))
                .await
                .map_err(|e| BlobError::Io {
                    operation: "copy",
                    path: path.to_path_buf(),
                    source: std::io::Error::other(e.to_string()),
                })?
                .map_err(BlobError::from)
        })
    }

    fn len<'a>(&'a self, kind: BlobKind, sha256: &'a str) -> BlobFuture<'a, Option<u64>> {
        Box::pin(async move {
            check_name(sha256)?;
            let path = self.path(kind, sha256);
            match tokio::fs::metadata(&path).await {
                Ok(found) => Ok(Some(found.len())),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(io("inspect", &path)(error)),
            }
        })
    }

    fn read<'a>(
        &'a self,
        kind: BlobKind,
        sha256: &'a str,
        start: u64,
        length: u64,
    ) -> BlobFuture<'a, Option<ByteStream>> {
        Box::pin(async move {
            check_name(sha256)?;
            let path = self.path(kind, sha256);
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(error) => return Err(io("open", &path)(error)),
            };
            if start > 0 {
                file.seek(std::io::SeekFrom::Start(start))
                    .await
                    .map_err(io("seek in", &path))?;
            }
            let stream = tokio_util::io::ReaderStream::with_capacity(file.take(length), CHUNK);
            Ok(Some(Box::pin(stream) as ByteStream))
        })
    }

    fn delete<'a>(&'a self, kind: BlobKind, sha256: &'a str) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            check_name(sha256)?;
            let path = self.path(kind, sha256);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => Ok(()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(error) => Err(io("remove", &path)(error)),
            }
        })
    }

    fn describe(&self) -> String {
        format!("the data folder {}", self.data.root().display())
    }

    fn is_data_folder(&self) -> bool {
        true
    }
}

// --- S3 -----------------------------------------------------------------------------------------

/// Where an S3-compatible bucket is and how to sign for it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The endpoint, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The region the signatures name (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: String,
    /// Prepended to every key (`""`, or e.g. `carrel/`).
    pub prefix: String,
    /// Bucket in the path (`endpoint/bucket/key`) rather than in the host name
    /// (`bucket.endpoint/key`); most self-hosted servers want the path.
    pub path_style: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("prefix", &self.prefix)
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// Blobs in an S3-compatible bucket.
pub struct S3Blobs {
    bucket: rusty_s3::Bucket,
    credentials: rusty_s3::Credentials,
    prefix: String,
    endpoint: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// How long a signature stays valid: long enough for a large upload to start.
const SIGNED_FOR: Duration = Duration::from_secs(15 * 60);

impl S3Blobs {
    /// A store in the bucket `config` names. Checks the settings, not the bucket (see
    /// [`S3Blobs::check`]).
    pub fn new(config: &S3Config) -> Result<Self, String> {
        let endpoint: url::Url = config
            .endpoint
            .parse()
            .map_err(|e| format!("s3_endpoint “{}” is not a URL: {e}", config.endpoint))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(format!(
                "s3_endpoint “{}” must be http or https",
                config.endpoint
            ));
        }
        let style = if config.path_style {
            rusty_s3::UrlStyle::Path
        } else {
            rusty_s3::UrlStyle::VirtualHost
        };
        let bucket = rusty_s3::Bucket::new(
            endpoint,
            style,
            config.bucket.clone(),
            config.region.clone(),
        )
        .map_err(|e| format!("s3_bucket “{}” cannot be used: {e}", config.bucket))?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("cannot set up the object store's HTTP client: {e}"))?;
        Ok(Self {
            bucket,
            credentials: rusty_s3::Credentials::new(
                config.access_key.clone(),
                config.secret_key.clone(),
            ),
            prefix: config.prefix.clone(),
            endpoint: config.endpoint.clone(),
            http,
        })
    }

    /// Asks the bucket for a key that is never there: an error names what is wrong (no such
    /// bucket, a refused signature, nothing listening).
    pub async fn check(&self) -> Result<(), BlobError> {
        self.len(BlobKind::File, &"0".repeat(64)).await.map(|_| ())
    }

    /// Sends `method` to the presigned `url`, as `build` adds to the request.
    async fn send(
        &self,
        method: reqwest::Method,
        url: url::Url,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, BlobError> {
        build(self.http.request(method, url))
            .send()
            .await
            .map_err(|e| self.unreachable(e))
    }

    fn key(&self, kind: BlobKind, sha256: &str) -> Result<String, BlobError> {
        check_name(sha256)?;
        Ok(format!("{}{}", self.prefix, kind.key(sha256)))
    }

    fn unreachable(&self, error: reqwest::Error) -> BlobError {
        BlobError::Unreachable {
            endpoint: self.endpoint.clone(),
            message: error.without_url().to_string(),
        }
    }

    async fn refused(
        operation: &'static str,
        key: String,
        response: reqwest::Response,
    ) -> BlobError {
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        let code = body
            .split_once("<Code>")
            .and_then(|(_, rest)| rest.split_once("</Code>"))
            .map_or_else(String::new, |(code, _)| code.to_owned());
        BlobError::Refused {
            operation,
            key,
            status,
            code,
        }
    }
}

impl BlobStore for S3Blobs {
    fn put_file<'a>(
        &'a self,
        kind: BlobKind,
        sha256: &'a str,
        path: &'a Path,
    ) -> BlobFuture<'a, ()> {
        use rusty_s3::S3Action;
        Box::pin(async move {
            let key = self.key(kind, sha256)?;
            let stored = self.len(kind, sha256).await?;
            let file = match tokio::fs::File::open(path).await {
                Ok(file) => file,
                // Another writer of the same bytes stored them and removed the shared copy.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound && stored.is_some() => {
                    return Ok(());
                }
                Err(error) => return Err(io("open", path)(error)),
            };
            let length = file.metadata().await.map_err(io("inspect", path))?.len();
            if stored == Some(length) {
                return Ok(());
            }
            let url = self
                .bucket
                .put_object(Some(&self.credentials), &key)
                .sign(SIGNED_FOR);
            let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
                file, CHUNK,
            ));
            let response = self
                .send(reqwest::Method::PUT, url, |request| {
                    request
                        .header(reqwest::header::CONTENT_LENGTH, length)
                        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                        .body(body)
                })
                .await?;
            if !response.status().is_success() {
                return Err(Self::refused("store", key, response).await);
            }
            Ok(())
        })
    }

    fn len<'a>(&'a self, kind: BlobKind, sha256: &'a str) -> BlobFuture<'a, Option<u64>> {
        use rusty_s3::S3Action;
        Box::pin(async move {
            let key = self.key(kind, sha256)?;
            let url = self
                .bucket
                .head_object(Some(&self.credentials), &key)
                .sign(SIGNED_FOR);
            let response = self
                .send(reqwest::Method::HEAD, url, |request| request)
                .await?;
            match response.status().as_u16() {
                404 => Ok(None),
                200 => Ok(response
                    .headers()
                    .get(reqwest::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())),
                _ => Err(Self::refused("inspect", key, response).await),
            }
        })
    }

    fn read<'a>(
        &'a self,
        kind: BlobKind,
        sha256: &'a str,
        start: u64,
        length: u64,
    ) -> BlobFuture<'a, Option<ByteStream>> {
        use rusty_s3::S3Action;
        Box::pin(async move {
            let key = self.key(kind, sha256)?;
            if length == 0 {
                return Ok(Some(Box::pin(futures_util::stream::empty()) as ByteStream));
            }
            let url = self
                .bucket
                .get_object(Some(&self.credentials), &key)
                .sign(SIGNED_FOR);
            let response = self
                .send(reqwest::Method::GET, url, |request| {
                    request.header(
                        reqwest::header::RANGE,
                        format!("bytes={start}-{}", start + length - 1),
                    )
                })
                .await?;
            match response.status().as_u16() {
                404 => Ok(None),
                200 | 206 => {
                    // A server that ignores Range answers 200 with the whole blob: skip to the
                    // range here, so the client gets exactly what it asked for either way.
                    let skip = if response.status().as_u16() == 200 {
                        start
                    } else {
                        0
                    };
                    let stream = response.bytes_stream().map_err(std::io::Error::other);
                    Ok(Some(Box::pin(window(stream, skip, length)) as ByteStream))
                }
                _ => Err(Self::refused("read", key, response).await),
            }
        })
    }

    fn delete<'a>(&'a self, kind: BlobKind, sha256: &'a str) -> BlobFuture<'a, ()> {
        use rusty_s3::S3Action;
        Box::pin(async move {
            let key = self.key(kind, sha256)?;
            let url = self
                .bucket
                .delete_object(Some(&self.credentials), &key)
                .sign(SIGNED_FOR);
            let response = self
                .send(reqwest::Method::DELETE, url, |request| request)
                .await?;
            if response.status().is_success() || response.status().as_u16() == 404 {
                Ok(())
            } else {
                Err(Self::refused("remove", key, response).await)
            }
        })
    }

    fn describe(&self) -> String {
        format!(
            "the bucket {} at {} (keys under “{}”)",
            self.bucket.name(),
            self.endpoint,
            self.prefix
        )
    }
}

/// The `length` bytes of `stream` after its first `skip`.
fn window(
    stream: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    skip: u64,
    length: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    futures_util::stream::unfold(
        (Box::pin(stream), skip, length),
        |(mut stream, mut skip, mut left)| async move {
            use futures_util::StreamExt;
            while left > 0 {
                let mut chunk = match stream.next().await? {
                    Ok(chunk) => chunk,
                    Err(error) => return Some((Err(error), (stream, 0, 0))),
                };
                if skip >= chunk.len() as u64 {
                    skip -= chunk.len() as u64;
                    continue;
                }
                let _ = chunk.split_to(skip as usize);
                skip = 0;
                if chunk.len() as u64 > left {
                    chunk.truncate(left as usize);
                }
                left -= chunk.len() as u64;
                return Some((Ok(chunk), (stream, skip, left)));
            }
            None
        },
    )
}
