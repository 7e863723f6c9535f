//! Resumable attachment uploads (see `carrel_protocol::uploads` for the wire protocol).
//!
//! An upload belongs to one account and is keyed by the file's SHA-256: asking to create it again
//! finds it, so a client that lost an answer or restarted learns where to resume. Its bytes grow
//! in `<data>/uploads/<upload id>.part`; `received` in the database is the length of the prefix
//! that is durably on disk (the part file is flushed before `received` moves), so a crash between
//! writing and recording costs only the unrecorded tail: every `PATCH` first cuts the part file
//! back to `received`. Bytes that arrived before a cut connection are kept — that is what makes
//! the upload resumable.
//!
//! When `received` reaches the size, the whole part file is hashed: a match moves it to
//! `<data>/blobs/<first two hex digits>/<sha256>` ([`blob_path`], shared by every account, since
//! the name is the content) and marks the upload complete; a mismatch throws the bytes away and
//! the upload starts again from 0. A blob another account uploaded never completes this account's
//! upload: each account proves it has the bytes by sending them.
//!
//! One `PATCH` at a time per upload: a second one while the first is running is told `in_flight`
//! (409, retry in a second). A body that stops arriving for [`IDLE_TIMEOUT`] is treated as cut.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use crate::storage::sql::{OptionalExtension, params};
use axum::Json;
use axum::body::{Body, HttpBody};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use carrel_protocol::ApiError;
use carrel_protocol::uploads::{MAX_UPLOAD_BYTES, NewUpload, UPLOAD_LENGTH, UPLOAD_OFFSET, Upload};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::DataDir;
use crate::blobs::{BlobKind, BlobStore, Stores};
use crate::file_io::{io_error, sync_dir};
use crate::storage::{Storage, StorageError};

/// The folder of part files under the data folder.
const UPLOADS: &str = "uploads";
/// The folder of completed files under the data folder.
const BLOBS: &str = "blobs";
/// A body that sends nothing for this long is treated as a cut connection (its bytes are kept),
/// so a vanished client does not hold the upload `in_flight` for ever.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// A long `PATCH` records its progress every this many bytes, so a server crash in the middle of
/// a large body loses at most this much.
const CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;
/// Bytes buffered between the network and the part file.
const WRITE_BUFFER: usize = 1024 * 1024;

/// Why an upload request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    /// The request is not valid (a field, a header).
    #[error("the upload request is not valid: {0}")]
    Invalid(String),
    /// The `PATCH` body is not `application/offset+octet-stream`.
    #[error("an upload's bytes must be sent as application/offset+octet-stream")]
    MediaType,
    /// No upload of the account has this id.
    #[error("there is no upload “{0}” for this account; create it again with POST /api/v1/uploads")]
    NotFound(String),
    /// The `PATCH` starts elsewhere than the server's offset.
    #[error("the server has {server} bytes of this upload, not {sent}; send from byte {server}")]
    OffsetMismatch {
        /// The server's offset: where to send from.
        server: u64,
        /// The offset the request gave.
        sent: u64,
    },
    /// Another request is writing this upload.
    #[error("this upload is being written by another request; try again in a second")]
    InFlight,
    /// The body goes past the declared size.
    #[error(
        "the bytes sent go past the declared size of {size} bytes; send only the rest of the file"
    )]
    TooLarge {
        /// The declared size.
        size: u64,
    },
    /// All bytes arrived but their SHA-256 is not the declared one; they were discarded.
    #[error(
        "the {size} bytes received do not have the SHA-256 {sha256}; they were discarded: send the \
         file again from byte 0"
    )]
    ChecksumMismatch {
        /// The declared SHA-256.
        sha256: String,
        /// The declared size.
        size: u64,
    },
    /// The body stopped before its end (a cut connection or a stalled client); what arrived is kept.
    #[error(
        "the body stopped after {received} bytes of the upload; those are kept: resume from there"
    )]
    Interrupted {
        /// The upload's offset now.
        received: u64,
    },
    /// A file operation failed.
    #[error("could not {operation} {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A background task failed.
    #[error("the upload task did not complete: {0}")]
    Task(String),
}

crate::file_io::from_file_io!(UploadError);

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            UploadError::Storage(_)
            | UploadError::Blob(crate::blobs::BlobError::Unreachable { .. }) => {
                (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable")
            }
            UploadError::Blob(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            UploadError::Invalid(_) | UploadError::Interrupted { .. } => {
                (StatusCode::BAD_REQUEST, "malformed_request")
            }
            UploadError::MediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            UploadError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            UploadError::OffsetMismatch { .. } => (StatusCode::CONFLICT, "offset_mismatch"),
            UploadError::InFlight => (StatusCode::CONFLICT, "in_flight"),
            UploadError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            UploadError::ChecksumMismatch { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "checksum_mismatch")
            }
            UploadError::Io { .. } | UploadError::Task(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match &self {
            UploadError::Storage(_) => {
                "The server cannot reach its database right now. Try again in a few minutes."
                    .to_owned()
            }
            UploadError::Blob(crate::blobs::BlobError::Unreachable { .. }) => {
                "The server cannot reach its file storage right now. Try again in a few minutes."
                    .to_owned()
            }
            UploadError::Blob(_) => {
                "The server could not store the upload; its operator can see why in the server logs."
                    .to_owned()
            }
            UploadError::Io { .. } | UploadError::Task(_) => {
                "The server could not store the upload; its operator can see why in the server logs."
                    .to_owned()
            }
            _ => sentence(&self.to_string()),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, code, "upload failed");
        } else {
            tracing::debug!(error = %self, code, "upload refused");
        }
        let mut response = (
            status,
            Json(ApiError {
                code: code.to_owned(),
                message,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        let offset = match self {
            UploadError::OffsetMismatch { server, .. } => Some(server),
            UploadError::ChecksumMismatch { .. } => Some(0),
            UploadError::Interrupted { received } => Some(received),
            _ => None,
        };
        if let Some(offset) = offset {
            headers.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
        }
        if matches!(self, UploadError::InFlight) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// `text` as a sentence: first letter in upper case, a full stop at the end.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    out.push('.');
    out
}

/// The folder of verified files: `<data>/blobs`.
pub fn blobs_dir(data: &DataDir) -> PathBuf {
    data.root().join(BLOBS)
}

/// Where the verified file with this SHA-256 is kept: `<data>/blobs/<first two hex>/<sha256>`.
pub fn blob_path(data: &DataDir, sha256: &str) -> PathBuf {
    blobs_dir(data)
        .join(&sha256[..2.min(sha256.len())])
        .join(sha256)
}

/// Where the bytes of an unfinished upload grow.
fn part_path(data: &DataDir, upload_id: &str) -> PathBuf {
    data.root().join(UPLOADS).join(format!("{upload_id}.part"))
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Upload ids are 32 lower-case hex digits; anything else names no upload.
fn is_upload_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn new_upload_id() -> Result<String, StorageError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| StorageError::Task(error.to_string()))?;
    Ok(carrel_package::archive::hex(&bytes))
}

fn validate(new: &NewUpload) -> Result<(), UploadError> {
    if !is_sha256(&new.sha256) {
        return Err(UploadError::Invalid(
            "sha256 must be 64 lower-case hex digits".into(),
        ));
    }
    if new.size > MAX_UPLOAD_BYTES {
        return Err(UploadError::Invalid(format!(
            "the file is {} bytes; this server takes files of at most {MAX_UPLOAD_BYTES} bytes",
            new.size
        )));
    }
    let chars = new.name.chars().count();
    if !(1..=255).contains(&chars)
        || new.name.contains(['/', '\\', '\0'])
        || new.name == "."
        || new.name == ".."
    {
        return Err(UploadError::Invalid(
            "name must be a file name of 1–255 characters, without '/', '\\' or NUL".into(),
        ));
    }
    Ok(())
}

/// One upload row.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    sha256: String,
    size: u64,
    received: u64,
    complete: bool,
}

impl Row {
    fn to_upload(&self) -> Upload {
        Upload {
            upload_id: self.id.clone(),
            sha256: self.sha256.clone(),
            size: self.size,
            offset: self.received,
            complete: self.complete,
        }
    }
}

const ROW_COLUMNS: &str = "id, sha256, size, received, completed_ms IS NOT NULL";

fn row_to_upload(row: &crate::storage::sql::Row) -> crate::storage::sql::Result<Row> {
    Ok(Row {
        id: row.get(0)?,
        sha256: row.get(1)?,
        size: row.get::<i64>(2)? as u64,
        received: row.get::<i64>(3)? as u64,
        complete: row.get(4)?,
    })
}

/// The upload `id` of account `user_id`, if it is theirs.
async fn get_row(storage: &Storage, user_id: i64, id: &str) -> Result<Row, UploadError> {
    if !is_upload_id(id) {
        return Err(UploadError::NotFound(id.to_owned()));
    }
    let key = id.to_owned();
    storage
        .with_conn(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {ROW_COLUMNS} FROM uploads WHERE id = ?1 AND user_id = ?2"
                ))?
                .query_row(params![key, user_id], row_to_upload)
                .optional()?)
        })
        .await?
        .ok_or_else(|| UploadError::NotFound(id.to_owned()))
}

async fn set_received(storage: &Storage, id: &str, received: u64) -> Result<(), StorageError> {
    let id = id.to_owned();
    storage
        .transact(move |tx| {
            tx.execute(
                "UPDATE uploads SET received = ?2 WHERE id = ?1 AND completed_ms IS NULL",
                params![id, received as i64],
            )?;
            Ok(())
        })
        .await
}

/// Upload ids being written right now. Ids are random, so one set serves every server in the
/// process (the tests run several).
static IN_FLIGHT: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

/// The right to write one upload, released when dropped.
struct Claim(String);

impl Claim {
    fn take(id: &str) -> Result<Self, UploadError> {
        let mut set = IN_FLIGHT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if set.insert(id.to_owned()) {
            Ok(Self(id.to_owned()))
        } else {
            Err(UploadError::InFlight)
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        IN_FLIGHT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.0);
    }
}

/// Creates the upload of `new` for account `user_id`, or finds the one it has for that SHA-256;
/// `true` when it was created. An unfinished upload declared again with another size starts
/// again from 0 at that size (the earlier size cannot have been right for this SHA-256).
pub async fn create(
    storage: &Storage,
    user_id: i64,
    new: NewUpload,
) -> Result<(Upload, bool), UploadError> {
    validate(&new)?;
    let id = new_upload_id()?;
    let (row, created) = storage
        .transact({
            let new = new.clone();
            move |tx| {
                let existing = tx
                    .prepare_cached(&format!(
                        "SELECT {ROW_COLUMNS} FROM uploads WHERE user_id = ?1 AND sha256 = ?2"
                    ))?
                    .query_row(params![user_id, new.sha256], row_to_upload)
                    .optional()?;
                if let Some(row) = existing {
                    return Ok((row, false));
                }
                tx.execute(
                    "INSERT INTO uploads (id, user_id, sha256, size, name, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        id,
                        user_id,
                        new.sha256,
                        new.size as i64,
                        new.name,
                        carrel_protocol::unix_time_ms() as i64
                    ],
                )?;
                Ok((
                    Row {
                        id: id.clone(),
                        sha256: new.sha256.clone(),
                        size: new.size,
                        received: 0,
                        complete: false,
                    },
                    true,
                ))
            }
        })
        .await?;
    if row.size == new.size || created {
        return Ok((row.to_upload(), created));
    }
    if row.complete {
        return Err(UploadError::Invalid(format!(
            "this account's file with SHA-256 {} is {} bytes, not {}",
            row.sha256, row.size, new.size
        )));
    }
    // The part file is cut back to `received` by the next PATCH; the claim keeps one from running
    // while the size changes under it.
    let _claim = Claim::take(&row.id)?;
    let key = row.id.clone();
    storage
        .transact(move |tx| {
            tx.execute(
                "UPDATE uploads SET size = ?2, name = ?3, received = 0
                 WHERE id = ?1 AND completed_ms IS NULL",
                params![key, new.size as i64, new.name],
            )?;
            Ok(())
        })
        .await?;
    Ok((
        Upload {
            size: new.size,
            offset: 0,
            ..row.to_upload()
        },
        false,
    ))
}

/// The upload `id` of account `user_id`.
pub async fn get(storage: &Storage, user_id: i64, id: &str) -> Result<Upload, UploadError> {
    Ok(get_row(storage, user_id, id).await?.to_upload())
}

/// Appends `body` (the bytes from `offset`, of `length` when the request said) to upload `id` of
/// account `user_id`, and completes the upload when the last byte is there. Answers the upload
/// as it is afterwards.
///
/// The work runs in its own task: when the client goes away in the middle, the handler is dropped
/// but the bytes that arrived are still flushed and recorded.
pub async fn append(
    storage: &Storage,
    stores: Stores,
    user_id: i64,
    id: &str,
    offset: u64,
    length: Option<u64>,
    body: Body,
) -> Result<Upload, UploadError> {
    get_row(storage, user_id, id).await?;
    let claim = Claim::take(id)?;
    // Read again under the claim: a request that just finished may have moved it.
    let row = get_row(storage, user_id, id).await?;
    if offset != row.received {
        return Err(UploadError::OffsetMismatch {
            server: row.received,
            sent: offset,
        });
    }
    if length.is_some_and(|length| offset.saturating_add(length) > row.size) {
        return Err(UploadError::TooLarge { size: row.size });
    }
    if row.complete {
        return Ok(row.to_upload());
    }
    let storage = storage.clone();
    tokio::spawn(async move {
        let _claim = claim;
        write_body(&storage, &stores.data, &*stores.blobs, row, body).await
    })
    .await
    .map_err(|error| UploadError::Task(error.to_string()))?
}

/// The part of [`append`] that owns the claim: appends, records, completes.
async fn write_body(
    storage: &Storage,
    data: &DataDir,
    blobs: &dyn BlobStore,
    row: Row,
    mut body: Body,
) -> Result<Upload, UploadError> {
    let path = part_path(data, &row.id);
    let done = Upload {
        offset: row.size,
        complete: true,
        ..row.to_upload()
    };
    if row.received == row.size && !path.exists() {
        let local = blob_path(data, &row.sha256);
        if local.exists() {
            // The server stopped after moving the verified file into place and before storing
            // or recording it.
            keep_blob(blobs, &row.sha256, &local).await?;
        }
        if blobs.len(BlobKind::Attachment, &row.sha256).await? == Some(row.size) {
            record_complete(storage, &row.id).await?;
            return Ok(done);
        }
    }
    let dir = data.root().join(UPLOADS);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(io_error("create the folder", &dir))?;
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .await
        .map_err(io_error("open", &path))?;
    let on_disk = file
        .metadata()
        .await
        .map_err(io_error("read the size of", &path))?
        .len();
    let start = row.received;
    if on_disk < start {
        // The recorded bytes are gone (the part file was removed or cut): resume from what is
        // there; the checksum at the end still guards the whole.
        tracing::warn!(
            upload = row.id,
            on_disk,
            recorded = start,
            "part file shorter than recorded"
        );
        set_received(storage, &row.id, on_disk).await?;
        return Err(UploadError::OffsetMismatch {
            server: on_disk,
            sent: start,
        });
    }
    // Bytes written after the last record (a crash, a refused body) are not part of the upload.
    file.set_len(start)
        .await
        .map_err(io_error("truncate", &path))?;
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(io_error("seek in", &path))?;
    let mut writer = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut received = start;
    let mut recorded = start;
    let outcome = loop {
        let frame = tokio::time::timeout(
            IDLE_TIMEOUT,
            std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)),
        )
        .await;
        let chunk = match frame {
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(chunk) => chunk,
                Err(_trailers) => continue,
            },
            Ok(None) => break Ok(()),
            Ok(Some(Err(error))) => {
                tracing::debug!(upload = row.id, %error, "upload body cut");
                break Err(());
            }
            Err(_) => {
                tracing::debug!(upload = row.id, "upload body stalled");
                break Err(());
            }
        };
        if received + chunk.len() as u64 > row.size {
            // Nothing of this request counts: back to where it started (and take back a
            // checkpoint recorded on the way).
            drop(writer);
            let file = tokio::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .await
                .map_err(io_error("open", &path))?;
            file.set_len(start)
                .await
                .map_err(io_error("truncate", &path))?;
            if recorded != start {
                set_received(storage, &row.id, start).await?;
            }
            return Err(UploadError::TooLarge { size: row.size });
        }
        writer
            .write_all(&chunk)
            .await
            .map_err(io_error("write", &path))?;
        received += chunk.len() as u64;
        if received - recorded >= CHECKPOINT_BYTES {
            flush(&mut writer, &path).await?;
            set_received(storage, &row.id, received).await?;
            recorded = received;
        }
    };
    flush(&mut writer, &path).await?;
    drop(writer);
    if received != recorded {
        set_received(storage, &row.id, received).await?;
    }
    if outcome.is_err() {
        return Err(UploadError::Interrupted { received });
    }
    if received < row.size {
        return Ok(Upload {
            offset: received,
            ..row.to_upload()
        });
    }
    complete(storage, data, blobs, &row).await?;
    Ok(done)
}

/// Writes out what is buffered and makes it durable.
async fn flush(
    writer: &mut tokio::io::BufWriter<tokio::fs::File>,
    path: &Path,
) -> Result<(), UploadError> {
    writer.flush().await.map_err(io_error("write", path))?;
    writer
        .get_mut()
        .sync_data()
        .await
        .map_err(io_error("flush", path))?;
    Ok(())
}

/// Every byte of `row` is in its part file: checks the SHA-256 and moves the file to its blob, or
/// throws the bytes away.
async fn complete(
    storage: &Storage,
    data: &DataDir,
    blobs: &dyn BlobStore,
    row: &Row,
) -> Result<(), UploadError> {
    let part = part_path(data, &row.id);
    let blob = blob_path(data, &row.sha256);
    let sha256 = row.sha256.clone();
    let moved = tokio::task::spawn_blocking(move || -> Result<bool, UploadError> {
        use sha2::{Digest, Sha256};
        let mut file = std::fs::File::open(&part).map_err(io_error("open", &part))?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher).map_err(io_error("read", &part))?;
        if carrel_package::archive::hex(&hasher.finalize()) != sha256 {
            file = std::fs::OpenOptions::new()
                .write(true)
                .open(&part)
                .map_err(io_error("open", &part))?;
            file.set_len(0).map_err(io_error("truncate", &part))?;
            return Ok(false);
        }
        let shard = blob.parent().expect("blobs are in a shard");
        std::fs::create_dir_all(shard).map_err(io_error("create the folder", shard))?;
        if blob.exists() {
            // The same bytes, already verified when another upload completed.
            std::fs::remove_file(&part).map_err(io_error("remove", &part))?;
        } else {
            std::fs::rename(&part, &blob).map_err(io_error("move into place", &blob))?;
            sync_dir(shard)?;
        }
        Ok(true)
    })
    .await
    .map_err(|error| UploadError::Task(error.to_string()))??;
    let id = row.id.clone();
    if !moved {
        set_received(storage, &id, 0).await?;
        return Err(UploadError::ChecksumMismatch {
            sha256: row.sha256.clone(),
            size: row.size,
        });
    }
    keep_blob(blobs, &row.sha256, &blob_path(data, &row.sha256)).await?;
    Ok(record_complete(storage, &id).await?)
}

/// Puts the verified file at `local` into the blob store before anything records it complete.
async fn keep_blob(blobs: &dyn BlobStore, sha256: &str, local: &Path) -> Result<(), UploadError> {
    Ok(crate::blobs::keep(blobs, BlobKind::Attachment, sha256, local).await?)
}

/// Records that upload `id` is complete.
async fn record_complete(storage: &Storage, id: &str) -> Result<(), StorageError> {
    let id = id.to_owned();
    storage
        .transact(move |tx| {
            tx.execute(
                "UPDATE uploads SET received = size, completed_ms = ?2
                 WHERE id = ?1 AND completed_ms IS NULL",
                params![id, carrel_protocol::unix_time_ms() as i64],
            )?;
            Ok(())
        })
        .await
}

/// The headers every answer about an upload carries.
pub fn upload_headers(upload: &Upload) -> [(axum::http::HeaderName, HeaderValue); 3] {
    [
        (
            axum::http::HeaderName::from_static(UPLOAD_OFFSET),
            HeaderValue::from(upload.offset),
        ),
        (
            axum::http::HeaderName::from_static(UPLOAD_LENGTH),
            HeaderValue::from(upload.size),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// The attachments of a submission (`(sha256, size)`) that are not complete uploads of account
/// `user_id`: a submission naming any of them is answered 409 `attachments_missing`.
pub async fn missing(
    storage: &Storage,
    user_id: i64,
    attachments: Vec<(String, u64)>,
) -> Result<Vec<String>, StorageError> {
    storage
        .with_conn(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM uploads WHERE user_id = ?1 AND sha256 = ?2
                     AND size = ?3 AND completed_ms IS NOT NULL)",
            )?;
            let mut missing = Vec::new();
            for (sha256, size) in &attachments {
                // A size SQLite cannot hold was never uploaded.
                let complete = match i64::try_from(*size) {
                    Ok(size) => statement
                        .query_row(params![user_id, sha256, size], |row| row.get::<bool>(0))?,
                    Err(_) => false,
                };
                if !complete && !missing.contains(sha256) {
                    missing.push(sha256.clone());
                }
            }
            Ok(missing)
        })
        .await
}
