//! Getting courses from the course server: the catalogue, resumable package downloads, and updates
//! that fetch only the files whose hash is new.
//!
//! A first install downloads the package file into `downloads/<sha256>.partial`. A cut connection
//! or a cancel keeps what arrived; the next attempt asks for the rest with `Range` and `If-Range`
//! (the package's SHA-256 is its strong ETag), so a file that changed on the server comes back
//! whole (200) and the download restarts cleanly instead of splicing two files. The finished file
//! must hash to the catalogue's SHA-256 before it is renamed and imported like any package file.
//!
//! An update of an installed course fetches the new signed manifest and only the content files the
//! store lacks, each by hash and verified as it streams in.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use carrel_package::PublicKey;
use carrel_package::store::{Cancel, ImportError, Progress, Trust};
use carrel_protocol::catalog::{Catalog, CatalogCourse, file_url};
use sha2::{Digest, Sha256};

use crate::settings::ServerUrl;

use super::{ImportReport, Library, TaskProgress, TaskStage, import_options};
use crate::http::HttpClient;

/// How long a download may go without receiving a byte before it counts as cut.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest a whole download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

/// Why getting a course from the server failed. A cut download keeps its bytes for a resume.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server could not be reached or the connection broke.
    #[error(
        "the course server could not be reached or the connection broke ({0}); what was downloaded is kept, try again when you are online"
    )]
    Network(String),
    /// The server answered with an error.
    #[error("the course server answered {status} for {what}")]
    Status {
        /// HTTP status.
        status: u16,
        /// What was asked.
        what: String,
    },
    /// The server's answer was not what the protocol says.
    #[error("the course server sent something unexpected: {0}")]
    Protocol(String),
    /// The finished file is not the one the catalogue announced.
    #[error(
        "the downloaded course does not match what the server announced (it may have changed on the server meanwhile); it was discarded, download it again"
    )]
    Corrupt,
    /// The learner cancelled; the bytes so far are kept for a resume.
    #[error("the download was cancelled; it will continue from where it stopped next time")]
    Cancelled,
    /// A local file operation failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What.
        operation: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The import of the downloaded course failed.
    #[error(transparent)]
    Import(#[from] ImportError),
}

fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError {
    let path = path.to_owned();
    move |source| DownloadError::Io {
        operation,
        path,
        source,
    }
}

/// A write of the package into `dir` failed: a full disk is [`ImportError::NoSpace`] (the learner
/// is told to free space; what arrived is kept for a resume), anything else [`DownloadError::Io`].
fn write_error(
    partial: &Path,
    dir: &Path,
    still_needed: u64,
) -> impl FnOnce(std::io::Error) -> DownloadError {
    let (partial, dir) = (partial.to_owned(), dir.to_owned());
    move |source| {
        if source.kind() == std::io::ErrorKind::StorageFull {
            ImportError::NoSpace {
                needed: still_needed.div_ceil(1_000_000),
                available: fs4::available_space(&dir).unwrap_or(0) / 1_000_000,
            }
            .into()
        } else {
            io("write", &partial)(source)
        }
    }
}

fn network(error: reqwest::Error) -> DownloadError {
    DownloadError::Network(error.to_string())
}

/// Fetches the server's catalogue.
pub async fn fetch_catalog(
    http: &HttpClient,
    server: &ServerUrl,
) -> Result<Catalog, DownloadError> {
    let url = join(server, carrel_protocol::catalog::CATALOG_PATH)?;
    let response = http.get(url).send().await.map_err(network)?;
    check_status(&response, "the catalogue")?;
    response.json().await.map_err(network)
}

/// The publisher keys a catalogue vouches for.
pub fn vouched_keys(catalog: &Catalog) -> Vec<PublicKey> {
    catalog
        .publisher_keys
        .iter()
        .filter_map(|key| PublicKey::from_base64(&key.public_key).ok())
        .collect()
}

/// The address of an API path on the server (kept under the server address's own path, if any).
fn join(server: &ServerUrl, path: &str) -> Result<String, DownloadError> {
    if path.starts_with('/') && !path.starts_with("//") {
        Ok(server.join(path))
    } else {
        Err(DownloadError::Protocol(format!(
            "the server gave “{path}” where an absolute path was expected"
        )))
    }
}

fn check_status(response: &reqwest::Response, what: &str) -> Result<(), DownloadError> {
    if response.status().is_success() {
        Ok(())
    } else {
        Err(DownloadError::Status {
            status: response.status().as_u16(),
            what: what.to_owned(),
        })
    }
}

/// Downloads a course's package file into `dir`, resuming a previous partial download, and returns
/// the finished file's path. `progress` gets bytes so far (including resumed ones) of the total.
pub async fn download_package(
    http: &HttpClient,
    server: &ServerUrl,
    course: &CatalogCourse,
    dir: &Path,
    progress: &(dyn Fn(TaskProgress) + Sync),
    cancel: &Cancel,
) -> Result<PathBuf, DownloadError> {
    let file = VerifiedFile {
        url: &course.package_url,
        sha256: &course.package_sha256,
        size: course.package_size,
        what: "the course package",
    };
    let done = dir.join(format!("{}.carrel", course.package_sha256));
    download_verified(http, server, &file, dir, &done, progress, cancel).await?;
    Ok(done)
}

/// Downloads (resuming) the recording of a webinar session of installed course `course_id` to
/// [`Library::recording_path`], checked against its size and SHA-256, and returns where it is.
/// The partial file sits beside the finished one, so the final rename never crosses drives.
pub async fn download_recording(
    http: &HttpClient,
    server: &ServerUrl,
    library: &Library,
    course_id: &str,
    recording: &crate::plan::PlanRecording,
    task: &Task,
) -> Result<PathBuf, DownloadError> {
    let done = library.recording_path(course_id, &recording.sha256, &recording.media_type);
    let folder = library.recordings_dir(course_id);
    std::fs::create_dir_all(&folder).map_err(io("create", &folder))?;
    let file = VerifiedFile {
        url: &recording.url,
        sha256: &recording.sha256,
        size: recording.size,
        what: "the recording",
    };
    let progress = task.progress.clone();
    download_verified(
        http,
        server,
        &file,
        &folder,
        &done,
        &move |p| progress(p),
        &task.cancel,
    )
    .await?;
    Ok(done)
}

/// A file on the course server to download and check.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedFile<'a> {
    /// Its path on the server.
    pub url: &'a str,
    /// Its SHA-256 (lower-case hex).
    pub sha256: &'a str,
    /// Its size in bytes.
    pub size: u64,
    /// What it is, for errors ("the course package").
    pub what: &'a str,
}

/// Downloads `file` to `done` (nothing to do if it is there), through `<sha256>.partial` in
/// `dir`, resuming a previous partial download with `Range`/`If-Range`; checks size and SHA-256
/// before renaming it into place.
pub async fn download_verified(
    http: &HttpClient,
    server: &ServerUrl,
    file: &VerifiedFile<'_>,
    dir: &Path,
    done: &Path,
    progress: &(dyn Fn(TaskProgress) + Sync),
    cancel: &Cancel,
) -> Result<(), DownloadError> {
    if !carrel_package::manifest::is_sha256_hex(file.sha256) {
        return Err(DownloadError::Protocol(format!(
            "the hash of {} is malformed",
            file.what
        )));
    }
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    if done.is_file() {
        return Ok(());
    }
    let partial = dir.join(format!("{}.partial", file.sha256));
    let mut offset = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    if offset > file.size {
        offset = 0;
    }

    let etag = format!("\"{}\"", file.sha256);
    let mut request = http.get(join(server, file.url)?).timeout(DOWNLOAD_TIMEOUT);
    if offset > 0 {
        request = request
            .header(reqwest::header::RANGE, format!("bytes={offset}-"))
            .header(reqwest::header::IF_RANGE, &etag);
    }
    let mut response = request.send().await.map_err(network)?;
    let status = response.status();
    let resumed = match status.as_u16() {
        206 => {
            let range = response
                .headers()
                .get(reqwest::header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !range.starts_with(&format!("bytes {offset}-")) {
                return Err(DownloadError::Protocol(format!(
                    "asked for bytes from {offset}, got “{range}”"
                )));
            }
            true
        }
        // The server ignored the range, or the file changed (If-Range failed): start over.
        200 => false,
        416 => {
            // Our partial file is not a prefix of the server's: start over next time.
            let _ = std::fs::remove_file(&partial);
            return Err(DownloadError::Protocol(
                "the partial download did not match the server's file; start again".into(),
            ));
        }
        _ => {
            check_status(&response, file.what)?;
            false
        }
    };

    let mut hasher = Sha256::new();
    let mut out = if resumed {
        // Hash what is already on disk so the final hash covers the whole file.
        let mut existing = std::fs::File::open(&partial).map_err(io("read", &partial))?;
        let mut buffer = vec![0u8; 256 * 1024];
        let mut remaining = offset;
        while remaining > 0 {
            let n = existing.read(&mut buffer).map_err(io("read", &partial))?;
            if n == 0 {
                break;
            }
            let n = n.min(remaining as usize);
            hasher.update(&buffer[..n]);
            remaining -= n as u64;
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&partial)
            .map_err(io("open", &partial))?;
        file.set_len(offset).map_err(io("write", &partial))?;
        file
    } else {
        offset = 0;
        std::fs::File::create(&partial).map_err(io("create", &partial))?
    };

    let total = file.size;
    let mut written = offset;
    progress(TaskProgress {
        stage: TaskStage::Download,
        done_bytes: written,
        total_bytes: total,
    });
    loop {
        if cancel.is_cancelled() {
            out.sync_data().map_err(io("write", &partial))?;
            return Err(DownloadError::Cancelled);
        }
        let chunk = match tokio::time::timeout(STALL_TIMEOUT, response.chunk()).await {
            Err(_) => {
                out.sync_data().map_err(io("write", &partial))?;
                return Err(DownloadError::Network("no data for a minute".into()));
            }
            Ok(Err(error)) => {
                out.sync_data().map_err(io("write", &partial))?;
                return Err(network(error));
            }
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => chunk,
        };
        if written + chunk.len() as u64 > total {
            let _ = std::fs::remove_file(&partial);
            return Err(DownloadError::Corrupt);
        }
        out.write_all(&chunk)
            .map_err(write_error(&partial, dir, total - written))?;
        hasher.update(&chunk);
        written += chunk.len() as u64;
        progress(TaskProgress {
            stage: TaskStage::Download,
            done_bytes: written,
            total_bytes: total,
        });
    }
    out.sync_all()
        .map_err(write_error(&partial, dir, total - written))?;
    drop(out);
    let hash = carrel_package::archive::hex(&hasher.finalize());
    if written != total || hash != file.sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(DownloadError::Corrupt);
    }
    std::fs::rename(&partial, done).map_err(io("finish", done))?;
    Ok(())
}

/// How a long task reports progress and learns it was cancelled.
#[derive(Clone)]
pub struct Task {
    /// Called with bytes done of the total.
    pub progress: Arc<dyn Fn(TaskProgress) + Send + Sync>,
    /// Set by the learner to stop.
    pub cancel: Cancel,
}

impl Task {
    /// A task nobody watches or cancels.
    pub fn unobserved() -> Self {
        Self {
            progress: Arc::new(|_| {}),
            cancel: Cancel::default(),
        }
    }
}

/// Installs or updates a course from the server. A course not on this laptop is downloaded as a
/// package (resumable) and imported; an installed one gets only the files whose hash is new.
pub async fn install_from_server(
    library: Arc<Library>,
    http: &HttpClient,
    server: &ServerUrl,
    catalog: &Catalog,
    course: &CatalogCourse,
    downloads: &Path,
    task: Task,
) -> Result<ImportReport, DownloadError> {
    let Task { progress, cancel } = task;
    let trust = Trust {
        vouched: vouched_keys(catalog),
        confirmed: None,
    };
    let installed = {
        let library = library.clone();
        let id = course.id.clone();
        tokio::task::spawn_blocking(move || library.store().course(&id))
            .await
            .map_err(|e| DownloadError::Protocol(e.to_string()))?
            .map_err(ImportError::from)?
    };
    if installed.is_some() {
        return update_from_server(library, http, server, course, trust, progress, cancel).await;
    }
    // Room for the package and, while it installs, its files: check before downloading a byte.
    std::fs::create_dir_all(downloads).map_err(io("create", downloads))?;
    carrel_package::store::check_space(downloads, course.package_size + course.content_size)?;
    let package =
        download_package(http, server, course, downloads, progress.as_ref(), &cancel).await?;
    let report = tokio::task::spawn_blocking(move || {
        let result = library.import_file(&package, trust, progress.as_ref(), cancel);
        // Installed, or refused: the package file is no longer needed. Kept only when the
        // learner cancelled or the disk was full, so the install can resume without a download.
        if !matches!(
            result,
            Err(ImportError::Cancelled | ImportError::NoSpace { .. })
        ) {
            let _ = std::fs::remove_file(&package);
        }
        result
    })
    .await
    .map_err(|e| DownloadError::Protocol(e.to_string()))??;
    Ok(report)
}

async fn get_bytes(
    http: &HttpClient,
    server: &ServerUrl,
    path: &str,
) -> Result<Vec<u8>, DownloadError> {
    let response = http
        .get(join(server, path)?)
        .send()
        .await
        .map_err(network)?;
    check_status(&response, path)?;
    Ok(response.bytes().await.map_err(network)?.to_vec())
}

async fn update_from_server(
    library: Arc<Library>,
    http: &HttpClient,
    server: &ServerUrl,
    course: &CatalogCourse,
    trust: Trust,
    progress: Arc<dyn Fn(TaskProgress) + Send + Sync>,
    cancel: Cancel,
) -> Result<ImportReport, DownloadError> {
    let manifest = get_bytes(http, server, &course.manifest_url).await?;
    let signature = get_bytes(http, server, &course.signature_url).await?;
    let handle = tokio::runtime::Handle::current();
    let http = http.clone();
    let server = server.clone();
    let report = tokio::task::spawn_blocking(move || {
        let report = |p: Progress| {
            progress(TaskProgress {
                stage: TaskStage::Download,
                done_bytes: p.done_bytes,
                total_bytes: p.total_bytes,
            })
        };
        let options = import_options(trust, &report, cancel);
        library
            .store()
            .import_parts(&manifest, &signature, &options, |file| {
                let url = join(&server, &file_url(&file.sha256)).map_err(|e| e.to_string())?;
                let response = handle
                    .block_on(http.get(url).timeout(DOWNLOAD_TIMEOUT).send())
                    .map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("the server answered {}", response.status()));
                }
                Ok(Box::new(BlockingBody {
                    handle: handle.clone(),
                    response,
                    pending: bytes::Bytes::new(),
                }) as Box<dyn Read>)
            })
            .map(ImportReport::from)
    })
    .await
    .map_err(|e| DownloadError::Protocol(e.to_string()))??;
    Ok(report)
}

/// A response body read synchronously from a blocking thread, chunk by chunk.
struct BlockingBody {
    handle: tokio::runtime::Handle,
    response: reqwest::Response,
    pending: bytes::Bytes,
}

impl Read for BlockingBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() {
            let next = self
                .handle
                .block_on(tokio::time::timeout(STALL_TIMEOUT, self.response.chunk()))
                .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "no data for a minute")
                })?
                .map_err(std::io::Error::other)?;
            match next {
                Some(chunk) => self.pending = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}
