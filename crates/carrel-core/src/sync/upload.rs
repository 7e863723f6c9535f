//! Sending one attachment to the course server, resumed from wherever the server's copy stopped.
//!
//! An assignment's files travel before the submission that names them (see
//! `carrel_protocol::uploads`). [`upload_attachment`] asks the server for the account's upload of
//! the file's SHA-256 — creating it the first time — and so learns the offset to go on from, even
//! after a crash or a cut connection on either side; a file the server already holds is not sent
//! again. The bytes go in `PATCH`es of [`CHUNK_BYTES`] read from the attachment store at that
//! offset, so a cut costs at most the chunk in flight (and the server keeps what of it arrived).
//! The server checks the whole file's SHA-256 at the end; when it does not match, Carrel's own copy
//! is checked again before the file is sent again, so a damaged copy here is reported to the
//! learner instead of being sent for ever.

use std::io::{Read, Seek};
use std::time::Duration;

use carrel_protocol::ApiError;
use carrel_protocol::uploads::{
    NewUpload, OFFSET_MEDIA_TYPE, UPLOAD_OFFSET, UPLOADS_PATH, Upload, upload_path,
};

use crate::assess::AssessError;
use crate::assess::attachments::AttachmentStore;
use crate::assess::outbox::AttachmentInfo;
use crate::http::HttpClient;
use crate::settings::ServerUrl;

/// Bytes per `PATCH`: what a cut connection can cost at most, and how often progress is reported.
pub const CHUNK_BYTES: u64 = 1024 * 1024;
/// How long one chunk may take (the client's default timeout is for small calls; 1 MiB at a slow
/// 20 KB/s takes about 50 s).
const CHUNK_TIMEOUT: Duration = Duration::from_secs(120);
/// The server moving its offset under us more often than this in one go is not normal: stop and
/// try again later rather than loop.
const MAX_OFFSET_CHANGES: u32 = 8;

/// Why an attachment was not (completely) uploaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadFailure {
    /// The server does not accept the access token: the learner must sign in again. Nothing is
    /// lost; the upload resumes after sign-in.
    #[error("the course server wants you to sign in again; the upload resumes after that")]
    Unauthorized,
    /// A temporary failure (no connection, a cut, a busy or failing server, bytes damaged on the
    /// way): try again later, from the server's offset.
    #[error("the upload will be tried again: {reason}")]
    Retry {
        /// How long the server asked to wait (`Retry-After`), if it did.
        after: Option<Duration>,
        /// What happened, for the log and the Outbox.
        reason: String,
    },
    /// It cannot be sent as it is: the sentence says what is wrong and what to do.
    #[error("{0}")]
    Refused(String),
}

fn retry(reason: String) -> UploadFailure {
    UploadFailure::Retry {
        after: None,
        reason,
    }
}

/// Uploads the attachment `info` (its bytes from `store`) to `server` with the access `token`,
/// from the server's offset, calling `progress(bytes the server holds, size)` after each chunk.
/// `Ok` once the server holds the whole file and has checked its SHA-256.
pub async fn upload_attachment(
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    store: &AttachmentStore,
    info: &AttachmentInfo,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(), UploadFailure> {
    let upload = create(http, server, token, info).await?;
    if upload.sha256 != info.sha256 || upload.size != info.size {
        return Err(retry(format!(
            "the server answered about another file than “{}”",
            info.name
        )));
    }
    if upload.complete {
        progress(info.size, info.size);
        return Ok(());
    }
    check_copy(store, info).await?;
    progress(upload.offset, info.size);
    send_from(http, server, token, store, info, &upload, progress).await
}

/// `POST /api/v1/uploads`: the account's upload of this file, new or as far as it got.
async fn create(
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    info: &AttachmentInfo,
) -> Result<Upload, UploadFailure> {
    let new = NewUpload {
        sha256: info.sha256.clone(),
        size: info.size,
        name: info.name.clone(),
    };
    let response = http
        .inner()
        .post(server.join(UPLOADS_PATH))
        .bearer_auth(token)
        .json(&new)
        .send()
        .await
        .map_err(|error| {
            retry(format!(
                "“{}” was not sent: {}",
                info.name,
                crate::http::describe(&error)
            ))
        })?;
    if !response.status().is_success() {
        return Err(failure(response, &info.name).await);
    }
    response.json::<Upload>().await.map_err(|error| {
        retry(format!(
            "the server's answer about “{}” was not read: {error}",
            info.name
        ))
    })
}

/// Checks Carrel's copy of the file: there, whole, and of the recorded size.
async fn check_copy(store: &AttachmentStore, info: &AttachmentInfo) -> Result<(), UploadFailure> {
    let (store, info) = (store.clone(), info.clone());
    tokio::task::spawn_blocking(move || {
        store.verify(&info.sha256, &info.name)?;
        let size = std::fs::metadata(store.path_of(&info.sha256)).map(|m| m.len());
        if size.ok() != Some(info.size) {
            return Err(AssessError::Attachment {
                name: info.name.clone(),
                problem: "Carrel's copy of it does not have the size recorded when it was \
                          submitted; remove it, attach the file again and submit again"
                    .into(),
            });
        }
        Ok(())
    })
    .await
    .map_err(|error| retry(format!("checking the file failed: {error}")))?
    .map_err(|error| UploadFailure::Refused(refusal(error)))
}

/// The learner's sentence for a copy that cannot be sent.
fn refusal(error: AssessError) -> String {
    match error {
        AssessError::Attachment { name, problem } => {
            format!("“{name}” cannot be sent: {problem}.")
        }
        other => format!("An attachment cannot be sent: {other}."),
    }
}

/// Sends the file from the server's offset to its end, chunk by chunk, following the server's
/// offset.
async fn send_from(
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    store: &AttachmentStore,
    info: &AttachmentInfo,
    upload: &Upload,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(), UploadFailure> {
    let url = server.join(&upload_path(&upload.upload_id));
    let mut offset = upload.offset;
    let mut offset_changes = 0;
    loop {
        let length = CHUNK_BYTES.min(info.size.saturating_sub(offset));
        let chunk = read_chunk(store, info, offset, length).await?;
        let response = http
            .inner()
            .patch(&url)
            .bearer_auth(token)
            .header(http::header::CONTENT_TYPE, OFFSET_MEDIA_TYPE)
            .header(UPLOAD_OFFSET, offset.to_string())
            .timeout(CHUNK_TIMEOUT)
            .body(chunk)
            .send()
            .await
            .map_err(|error| {
                retry(format!(
                    "sending “{}” stopped at byte {offset}: {}",
                    info.name,
                    crate::http::describe(&error)
                ))
            })?;
        let status = response.status();
        let server_offset = offset_header(&response);
        if status.is_success() {
            offset = server_offset.unwrap_or(offset + length);
            progress(offset.min(info.size), info.size);
            if offset >= info.size {
                return Ok(());
            }
            continue;
        }
        if status == http::StatusCode::CONFLICT
            && let Some(server_offset) = server_offset
            && offset_changes < MAX_OFFSET_CHANGES
        {
            // offset_mismatch: the server holds another prefix (a cut answer, another device).
            offset_changes += 1;
            offset = server_offset.min(info.size);
            progress(offset, info.size);
            continue;
        }
        if status == http::StatusCode::UNPROCESSABLE_ENTITY {
            // The bytes the server got do not hash right; it threw them away. If our copy is
            // whole, they were damaged on the way: send again.
            check_copy(store, info).await?;
            return Err(retry(format!(
                "“{}” arrived damaged at the server and will be sent again",
                info.name
            )));
        }
        return Err(failure(response, &info.name).await);
    }
}

/// `length` bytes of the stored file from `offset`.
async fn read_chunk(
    store: &AttachmentStore,
    info: &AttachmentInfo,
    offset: u64,
    length: u64,
) -> Result<Vec<u8>, UploadFailure> {
    let path = store.path_of(&info.sha256);
    let name = info.name.clone();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        file.seek(std::io::SeekFrom::Start(offset))?;
        let mut chunk = vec![0; length as usize];
        file.read_exact(&mut chunk)?;
        Ok::<_, std::io::Error>(chunk)
    })
    .await
    .map_err(|error| retry(format!("reading the file failed: {error}")))?
    .map_err(|error| {
        UploadFailure::Refused(format!(
            "“{name}” cannot be sent: Carrel's copy of it cannot be read ({error}). Remove it, \
             attach the file again and submit again."
        ))
    })
}

fn offset_header(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(UPLOAD_OFFSET)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
}

/// What an unsuccessful answer means for the upload.
async fn failure(response: reqwest::Response, name: &str) -> UploadFailure {
    let status = response.status();
    if status == http::StatusCode::UNAUTHORIZED {
        return UploadFailure::Unauthorized;
    }
    let after = super::retry_after(&response);
    let error = response.json::<ApiError>().await.ok();
    let said = error.as_ref().map_or_else(
        || status.to_string(),
        |e| format!("{status}: {}", e.message),
    );
    // 404: the upload is gone from the server (its operator cleaned up); creating it again next
    // time starts it anew. 409: another request is writing it.
    if status == http::StatusCode::NOT_FOUND
        || status == http::StatusCode::CONFLICT
        || status == http::StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
    {
        return UploadFailure::Retry {
            after,
            reason: format!("the server answered {said} about “{name}”"),
        };
    }
    UploadFailure::Refused(match error {
        Some(error) => format!("The server refused “{name}”: {}", error.message),
        None => format!("The server refused “{name}” ({status})."),
    })
}
