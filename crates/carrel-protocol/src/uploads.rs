//! Resumable attachment uploads: the bytes of the files an assignment submits, sent before the
//! submission that names them, and resumed where they stopped after a cut connection.
//!
//! The protocol follows the shape of tus (<https://tus.io>), reduced to what Carrel needs:
//!
//! 1. `POST /api/v1/uploads` with a [`NewUpload`] (the file's SHA-256, size and name). The server
//!    answers with the account's [`Upload`] for that SHA-256: **201** for a new one, **200** for one
//!    that already exists — so creating is idempotent, and a client that lost the answer, crashed
//!    or restarted just asks again and learns the offset to resume from. When the server already
//!    holds these bytes for the account, the upload is `complete` at once and nothing is sent.
//! 2. `HEAD /api/v1/uploads/{upload_id}`: the offset in the [`UPLOAD_OFFSET`] header
//!    (`GET` answers the [`Upload`] as JSON).
//! 3. `PATCH /api/v1/uploads/{upload_id}` with `Upload-Offset: <offset>`, `Content-Type:
//!    application/offset+octet-stream` and the bytes from that offset (all or a part). The server
//!    appends them durably and answers **204** with the new `Upload-Offset`. An offset other than the
//!    server's gets **409** `offset_mismatch` with the server's offset in `Upload-Offset` (the client
//!    resumes from there); bytes beyond the declared size get **413** and change nothing.
//! 4. When the offset reaches the size, the server checks the SHA-256 of everything received. A
//!    mismatch discards the bytes (the offset goes back to 0) and answers **422**
//!    `checksum_mismatch`; a match makes the file available to the account's submissions.
//!
//! A submission whose payload names an attachment (by SHA-256 and size) that is not a complete
//! upload of the same account is answered **409** `attachments_missing`: the client uploads first
//! and tries again; nothing is stored.

use serde::{Deserialize, Serialize};

/// `POST`: create (or find) an upload.
pub const UPLOADS_PATH: &str = "/api/v1/uploads";
/// `HEAD`, `GET`, `PATCH`: one upload.
pub const UPLOAD_ROUTE: &str = "/api/v1/uploads/{upload_id}";
/// The header carrying an upload's offset, in both directions.
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// The header carrying an upload's total size (answers to `HEAD`).
pub const UPLOAD_LENGTH: &str = "upload-length";
/// The content type of a `PATCH` body.
pub const OFFSET_MEDIA_TYPE: &str = "application/offset+octet-stream";
/// The largest file the server accepts, in bytes.
pub const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;

/// The path of upload `id`.
pub fn upload_path(id: &str) -> String {
    format!("{UPLOADS_PATH}/{id}")
}

/// Body of `POST /api/v1/uploads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUpload {
    /// SHA-256 (lower-case hex) of the whole file.
    pub sha256: String,
    /// Its length in bytes.
    pub size: u64,
    /// Its file name, for the tutor (not a path).
    pub name: String,
}

/// An upload, as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    /// The server's id of the upload.
    pub upload_id: String,
    /// SHA-256 of the whole file.
    pub sha256: String,
    /// Its length in bytes.
    pub size: u64,
    /// Bytes received so far: send from here.
    pub offset: u64,
    /// All bytes are here and their SHA-256 matched.
    pub complete: bool,
}
