//! Recordings of webinar sessions: published by the course team after a session
//! (`carrel-server recording`), announced to everyone in the course through the changes feed
//! ([`carrel_protocol::changes::RecordingNotice`]), and served with `Range` support at
//! [`carrel_protocol::changes::RECORDING_ROUTE`] to those who may see the course, so learners
//! download them once, resuming after a cut, and watch them offline.
//!
//! The file is copied into `recordings/<sha256>` under a temporary name, flushed and renamed, then
//! its row and its change are written in one transaction: a failed publish leaves no row pointing
//! at a missing file. Only audio and video the app can play are taken (by extension).

use std::path::Path;

use crate::storage::sql::OptionalExtension;
use carrel_protocol::changes::{ChangeBody, RECORDING_FORMATS, RecordingNotice, recording_url};

use crate::data::DataDir;
use crate::file_io::{
    copy_in, from_file_io, io_error, move_into_place, remove_leftovers, sync_dir,
};
use crate::storage::{Storage, StorageError};

/// Why a recording was not published.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The request is not acceptable (named in the message).
    #[error("{0}")]
    Invalid(String),
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    /// A file operation failed.
    #[error("cannot {operation} {}: {source}", path.display())]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file or folder.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The data folder could not be locked.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
}

from_file_io!(RecordingError);

/// The media type of a recording file, by its extension.
pub fn media_type_of(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    RECORDING_FORMATS
        .iter()
        .find(|(known, _)| *known == extension)
        .map(|(_, media_type)| *media_type)
}

/// A stored media type as the static string `Content-Type` takes (any other: octet-stream).
pub fn known_media_type(media_type: &str) -> &'static str {
    RECORDING_FORMATS
        .iter()
        .find(|(_, known)| *known == media_type)
        .map_or("application/octet-stream", |(_, known)| *known)
}

/// Publishes `file` as the recording of session `session_id` of webinar `item_id` in
/// `course_id` (replacing an earlier one) and tells everyone in the course.
pub async fn publish_recording(
    storage: &Storage,
    data: &DataDir,
    blobs: &dyn crate::blobs::BlobStore,
    course_id: &str,
    item_id: &str,
    session_id: &str,
    file: &Path,
) -> Result<RecordingNotice, RecordingError> {
    let Some(media_type) = media_type_of(file) else {
        return Err(RecordingError::Invalid(format!(
            "{} is not a recording Carrel plays: give an .mp4, .m4v, .webm, .m4a, .mp3 or .ogg file",
            file.display()
        )));
    };
    if !carrel_package::manifest::is_valid_id(session_id) {
        return Err(RecordingError::Invalid(format!(
            "“{session_id}” is not a session id"
        )));
    }
    let kind =
        crate::submissions::published_item_kind(storage, course_id.to_owned(), item_id.to_owned())
            .await?;
    if kind != Some("webinar") {
        return Err(RecordingError::Invalid(format!(
            "“{item_id}” is not a webinar of the published course “{course_id}”"
        )));
    }

    let (folder, source) = (data.clone(), file.to_owned());
    let (sha256, size) = tokio::task::spawn_blocking(move || -> Result<_, RecordingError> {
        let lock = folder.lock()?;
        let dir = lock.dir().recordings_dir();
        std::fs::create_dir_all(&dir).map_err(io_error("create the folder", &dir))?;
        // A copy a crash interrupted is of no use to anyone.
        remove_leftovers(&dir)?;
        let mut reader = std::fs::File::open(&source).map_err(io_error("open", &source))?;
        let copied = copy_in(
            &dir,
            "",
            &mut reader,
            &source,
            "copy the recording to",
            |_| {},
        )?;
        if copied.size == 0 {
            return Err(RecordingError::Invalid(format!(
                "{} is empty",
                source.display()
            )));
        }
        let target = lock.dir().recording_path(&copied.sha256);
        if !target.exists() {
            move_into_place(copied.file, &target, "move the recording to")?;
            sync_dir(&dir)?;
        }
        Ok((copied.sha256, copied.size))
    })
    .await
    .map_err(|error| StorageError::Task(error.to_string()))??;
    crate::blobs::keep(
        blobs,
        crate::blobs::BlobKind::Recording,
        &sha256,
        &data.recording_path(&sha256),
    )
    .await?;

    let notice = RecordingNotice {
        course_id: course_id.to_owned(),
        item_id: item_id.to_owned(),
        session_id: session_id.to_owned(),
        url: recording_url(course_id, &sha256),
        sha256,
        size,
        media_type: media_type.to_owned(),
    };
    let recorded = notice.clone();
    storage
        .transact(move |tx| {
            tx.execute(
                "INSERT INTO recordings
                     (course_id, item_id, session_id, sha256, size, media_type, published_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (course_id, item_id, session_id) DO UPDATE SET
                     sha256 = excluded.sha256, size = excluded.size,
                     media_type = excluded.media_type, published_ms = excluded.published_ms",
                crate::storage::sql::params![
                    recorded.course_id,
                    recorded.item_id,
                    recorded.session_id,
                    recorded.sha256,
                    recorded.size as i64,
                    recorded.media_type,
                    carrel_protocol::unix_time_ms() as i64
                ],
            )?;
            let course_id = recorded.course_id.clone();
            crate::changes::append_in(
                tx,
                None,
                &course_id,
                &ChangeBody::Recording(recorded.clone()),
            )
        })
        .await?;
    Ok(notice)
}

/// The size and media type of recording `sha256` of `course_id`, if one was published.
pub async fn find(
    storage: &Storage,
    course_id: &str,
    sha256: &str,
) -> Result<Option<(u64, String)>, StorageError> {
    let (course_id, sha256) = (course_id.to_owned(), sha256.to_owned());
    storage
        .with_conn(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT size, media_type FROM recordings
                     WHERE course_id = ?1 AND sha256 = ?2 LIMIT 1",
                )?
                .query_row([&course_id, &sha256], |row| {
                    Ok((row.get::<i64>(0)? as u64, row.get::<String>(1)?))
                })
                .optional()?)
        })
        .await
}
