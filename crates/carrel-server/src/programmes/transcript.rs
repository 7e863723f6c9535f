//! The learner's transcript: their certificates and their progress in every programme, read in
//! one snapshot of the database.

use crate::storage::sql::{OptionalExtension, Row};
use carrel_protocol::auth::Account;
use carrel_protocol::certificates::CertificateRecord;
use carrel_protocol::transcript::{Transcript, TranscriptCertificate};

use super::progress::{self, Earned};
use crate::storage::{Storage, StorageError};

/// A certificate row as the transcript reads it: the record's text, parsed after.
struct Stored {
    certificate_id: String,
    course_id: String,
    record: String,
    issued_ms: u64,
    revoked_ms: Option<u64>,
}

fn row_to_certificate(row: &Row) -> crate::storage::sql::Result<Stored> {
    Ok(Stored {
        certificate_id: row.get(0)?,
        course_id: row.get(1)?,
        record: row.get(2)?,
        issued_ms: row.get::<i64>(3)? as u64,
        revoked_ms: row.get::<Option<i64>>(4)?.map(|ms| ms as u64),
    })
}

/// `learner`'s transcript as of now.
pub async fn transcript(storage: &Storage, learner: &Account) -> Result<Transcript, StorageError> {
    let (user_id, learner_name) = (learner.id, learner.display_name.clone());
    storage
        .with_conn(move |conn| {
            // One read transaction: certificates and programmes as of the same moment.
            let tx = conn;
            let rows = tx
                .prepare_cached(
                    "SELECT certificate_id, course_id, record, issued_ms, revoked_ms
                     FROM certificates WHERE user_id = ?1
                     ORDER BY issued_ms DESC, certificate_id",
                )?
                .query_map([&user_id], row_to_certificate)?
                .collect::<Result<Vec<_>, _>>()?;
            let programmes = super::list_in(tx)?;
            let mut title_query =
                tx.prepare_cached("SELECT title FROM catalog_courses WHERE course_id = ?1")?;
            let mut titles = std::collections::HashMap::new();
            for course_id in programmes
                .iter()
                .flat_map(|programme| programme.eligible.iter().chain(&programme.capstone))
            {
                if !titles.contains_key(course_id) {
                    let title: Option<String> = title_query
                        .query_row([&course_id], |row| row.get(0))
                        .optional()?;
                    titles.insert(course_id.clone(), title);
                }
            }
            drop(title_query);

            let now_ms = carrel_protocol::unix_time_ms();
            let earned: Vec<Earned> = rows
                .iter()
                .map(|row| Earned {
                    certificate_id: row.certificate_id.clone(),
                    course_id: row.course_id.clone(),
                    issued_ms: row.issued_ms,
                    revoked: row.revoked_ms.is_some(),
                })
                .collect();
            let title_of = |course_id: &str| {
                titles
                    .get(course_id)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| course_id.to_owned())
            };
            let programmes = programmes
                .iter()
                .map(|programme| progress::progress(programme, title_of, &earned, now_ms))
                .collect();
            let certificates = rows
                .into_iter()
                .map(|row| {
                    let record: CertificateRecord =
                        serde_json::from_str(&row.record).map_err(|error| {
                            StorageError::Task(format!(
                                "the stored certificate {} is not a record: {error}",
                                row.certificate_id
                            ))
                        })?;
                    Ok(TranscriptCertificate {
                        certificate_id: row.certificate_id,
                        course_id: row.course_id,
                        course_title: record.course_title,
                        title: record.title,
                        issued_ms: row.issued_ms,
                        revoked_ms: row.revoked_ms,
                        verify_url: record.verify_url,
                    })
                })
                .collect::<Result<_, StorageError>>()?;
            Ok(Transcript {
                learner_name: learner_name.clone(),
                generated_ms: now_ms,
                certificates,
                programmes,
            })
        })
        .await
}
