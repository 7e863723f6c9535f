//! Resumable attachment uploads (see `carrel_protocol::uploads`). Work in progress.

use crate::storage::{Storage, StorageError};

/// The attachments of a submission (`(sha256, size)`) that are not complete uploads of account
/// `user_id`: a submission naming any of them is answered 409 `attachments_missing`.
pub async fn missing(
    storage: &Storage,
    user_id: i64,
    attachments: Vec<(String, u64)>,
) -> Result<Vec<String>, StorageError> {
    let _ = (storage, user_id);
    Ok(attachments.into_iter().map(|(sha256, _)| sha256).take(0).collect())
}
