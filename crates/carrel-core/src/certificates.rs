//! The course's certificate on the learner's laptop: what is missing to earn it, the certificate
//! itself once the course server issued it, and its signature checked offline.
//!
//! - **Checklist** ([`status`]): each requirement of the package's `[certificate]` (items to pass,
//!   items to submit) with where the learner is, from the outbox and the grades the server sent:
//!   passed, not passed (with the score), waiting for a grade, waiting to be sent, needing
//!   attention, or not done. The server decides; this is what the laptop knows of its decision,
//!   offline.
//! - **Issuing** ([`request`]): `POST /api/v1/courses/{course}/certificate`. The answer's record
//!   is checked before anything is kept: signed (Ed25519 over its exact bytes) by the server's
//!   certificate key, for this course; its PDF has the size and SHA-256 the server gave. The key
//!   is pinned the first time it is fetched from a server (trust on first use, as SSH does), and a
//!   later certificate signed by another key is refused unless that server now publishes it.
//!   Record, signature, PDF and key are stored in one transaction (`certificates`, progress
//!   migration 10).
//! - **Verifying** happens every time the status is read, from the stored bytes and the pinned key
//!   alone: no network. A record changed on disk, or a key not pinned, shows as not verified.

use carrel_package::manifest::Manifest;
use carrel_protocol::certificates::{
    CERTIFICATE_KEY_PATH, CertificateKey, CertificateRecord, IssuedCertificate, NO_CERTIFICATE,
    NOT_EARNED, certificate_path, certificate_pdf_path,
};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use ts_rs::TS;

use crate::assess::AssessError;
use crate::assess::outbox::{self, OutboxEntry, OutboxState};
use crate::http::HttpClient;
use crate::progress::ProgressDb;
use crate::settings::ServerUrl;

/// Where the learner is with one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RequirementState {
    /// Met: passed, or (for an item to submit) received by the server.
    Met,
    /// Graded, and not passed.
    NotPassed,
    /// Received by the server, waiting for a (complete) grade.
    AwaitingGrade,
    /// Submitted here, waiting to be sent.
    Waiting,
    /// The server refused it; the Outbox says why.
    NeedsAttention,
    /// Not submitted yet.
    Missing,
}

/// One requirement of the certificate.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    /// The item.
    pub item_id: String,
    /// Its title.
    pub title: String,
    /// Its kind (`quiz`, `assignment`…).
    pub kind: String,
    /// It must be passed (else submitted).
    pub must_pass: bool,
    /// Where the learner is.
    pub state: RequirementState,
    /// The best score the server gave, and out of what, when graded.
    pub score: Option<f64>,
    /// Points possible of that grade.
    pub max_score: Option<f64>,
}

/// Whether the stored certificate's signature holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verified {
    /// Signed by the server's pinned key, over exactly these bytes.
    Verified {
        /// The key's fingerprint.
        fingerprint: String,
    },
    /// It does not verify: changed since it was issued, or signed by a key not pinned here.
    Invalid {
        /// What is wrong.
        reason: String,
    },
}

/// A certificate kept on this laptop.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StoredCertificate {
    /// Its id.
    pub certificate_id: String,
    /// Its title.
    pub title: String,
    /// The learner's name on it.
    pub learner_name: String,
    /// The course's title on it.
    pub course_title: String,
    /// When it was issued (server clock, ms).
    #[ts(type = "number")]
    pub issued_ms: i64,
    /// Who issued it.
    pub issuer: String,
    /// Where anyone can check it.
    pub verify_url: String,
    /// Its signature, checked now.
    pub verified: Verified,
    /// The PDF's length in bytes.
    #[ts(type = "number")]
    pub pdf_size: i64,
}

/// The certificate of a course as the laptop knows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CertificateStatus {
    /// Course id.
    pub course_id: String,
    /// Its title ("Certificate of Achievement").
    pub title: String,
    /// What earns it, in words.
    pub rule: String,
    /// The course names its requirements, so the server issues it when they are met (else the
    /// course team awards it by hand).
    pub automatic: bool,
    /// Each requirement with where the learner is.
    pub requirements: Vec<Requirement>,
    /// Every requirement is met, as far as this laptop knows.
    pub met: bool,
    /// The certificate, once issued and kept here.
    pub certificate: Option<StoredCertificate>,
}

/// Why a certificate was not received.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// The progress database failed.
    #[error(transparent)]
    Local(#[from] AssessError),
    /// The course gives no certificate.
    #[error("this course gives no certificate")]
    NoCertificate,
    /// The server says a requirement is not met; its message names what.
    #[error("{0}")]
    NotEarned(String),
    /// The learner must sign in (again).
    #[error("sign in to the course server to receive your certificate")]
    Unauthorized,
    /// The server cannot be reached or answered with an error; try later.
    #[error("the certificate could not be fetched: {0}; try again when you are online")]
    Unavailable(String),
    /// The server's answer does not hold (signature, course, PDF): nothing was kept.
    #[error(
        "the certificate the server sent does not check out ({0}); nothing was kept. Tell your course team"
    )]
    Untrustworthy(String),
}

impl From<crate::progress::ProgressError> for CertificateError {
    fn from(error: crate::progress::ProgressError) -> Self {
        Self::Local(error.into())
    }
}

/// The certificate of `manifest`'s course with the checklist, or `None` when the course gives
/// none.
pub fn status(
    db: &ProgressDb,
    manifest: &Manifest,
) -> Result<Option<CertificateStatus>, AssessError> {
    let Some(certificate) = &manifest.course.certificate else {
        return Ok(None);
    };
    let course_id = manifest.course.id.as_str();
    let mut requirements = Vec::new();
    for (item_id, must_pass) in certificate.requirements() {
        let Some((_, _, item)) = manifest.items().find(|(_, _, item)| item.id == item_id) else {
            continue;
        };
        let entries = outbox::for_item(db, course_id, item_id)?;
        let (state, best) = where_is(&entries, must_pass);
        requirements.push(Requirement {
            item_id: item_id.to_owned(),
            title: item.title.clone(),
            kind: item.kind.name().to_owned(),
            must_pass,
            state,
            score: best.map(|grade| grade.0),
            max_score: best.map(|grade| grade.1),
        });
    }
    let stored = db.transact(|tx| Ok::<_, AssessError>(stored_in(tx, course_id)?))?;
    Ok(Some(CertificateStatus {
        course_id: course_id.to_owned(),
        title: certificate.title.clone(),
        rule: certificate.rule.clone(),
        automatic: certificate.has_requirements(),
        met: certificate.has_requirements()
            && requirements
                .iter()
                .all(|r| r.state == RequirementState::Met),
        requirements,
        certificate: stored.map(|stored| stored.view()),
    }))
}

/// Where the submissions of one item leave a requirement, and the best complete grade.
fn where_is(entries: &[OutboxEntry], must_pass: bool) -> (RequirementState, Option<(f64, f64)>) {
    let complete = entries
        .iter()
        .filter_map(|entry| entry.server_grade.as_ref().filter(|grade| grade.complete));
    let best = complete
        .clone()
        .max_by(|a, b| {
            (a.score / a.max_score.max(f64::MIN_POSITIVE))
                .total_cmp(&(b.score / b.max_score.max(f64::MIN_POSITIVE)))
        })
        .map(|grade| (grade.score, grade.max_score));
    let has = |state: OutboxState| entries.iter().any(|entry| entry.state == state);
    let received = has(OutboxState::Received) || has(OutboxState::Graded);
    let met = if must_pass {
        complete.clone().any(|grade| grade.passed == Some(true))
    } else {
        received
    };
    let state = if met {
        RequirementState::Met
    } else if has(OutboxState::Queued) || has(OutboxState::Sending) {
        RequirementState::Waiting
    } else if entries.iter().any(|entry| {
        matches!(entry.state, OutboxState::Received | OutboxState::Graded)
            && !entry
                .server_grade
                .as_ref()
                .is_some_and(|grade| grade.complete)
    }) {
        RequirementState::AwaitingGrade
    } else if best.is_some() {
        RequirementState::NotPassed
    } else if has(OutboxState::NeedsAttention) {
        RequirementState::NeedsAttention
    } else {
        RequirementState::Missing
    };
    (state, best)
}

/// A certificate as stored.
struct Stored {
    record_bytes: String,
    signature: String,
    fingerprint: String,
    public_key: Option<String>,
    pdf_size: i64,
}

impl Stored {
    fn view(&self) -> StoredCertificate {
        let record: Option<CertificateRecord> = serde_json::from_str(&self.record_bytes).ok();
        let verified = match (&record, &self.public_key) {
            (None, _) => Verified::Invalid {
                reason: "the record is not readable".into(),
            },
            (Some(_), None) => Verified::Invalid {
                reason: format!(
                    "the key {} is not pinned on this computer",
                    self.fingerprint
                ),
            },
            (Some(_), Some(key)) => {
                match verify(self.record_bytes.as_bytes(), &self.signature, key) {
                    Ok(fingerprint) => Verified::Verified { fingerprint },
                    Err(reason) => Verified::Invalid { reason },
                }
            }
        };
        let record = record.unwrap_or(CertificateRecord {
            certificate_id: String::new(),
            title: String::new(),
            course_id: String::new(),
            course_title: String::new(),
            course_version: String::new(),
            learner_id: 0,
            learner_name: String::new(),
            issued_ms: 0,
            requirements: Vec::new(),
            issuer: String::new(),
            verify_url: String::new(),
        });
        StoredCertificate {
            certificate_id: record.certificate_id,
            title: record.title,
            learner_name: record.learner_name,
            course_title: record.course_title,
            issued_ms: record.issued_ms as i64,
            issuer: record.issuer,
            verify_url: record.verify_url,
            verified,
            pdf_size: self.pdf_size,
        }
    }
}

fn stored_in(tx: &Transaction<'_>, course_id: &str) -> rusqlite::Result<Option<Stored>> {
    tx.query_row(
        "SELECT c.record, c.signature, c.key_fingerprint, k.public_key, length(c.pdf)
         FROM certificates c
         LEFT JOIN certificate_keys k ON k.server = c.server AND k.fingerprint = c.key_fingerprint
         WHERE c.course_id = ?1",
        [course_id],
        |row| {
            Ok(Stored {
                record_bytes: row.get(0)?,
                signature: row.get(1)?,
                fingerprint: row.get(2)?,
                public_key: row.get(3)?,
                pdf_size: row.get(4)?,
            })
        },
    )
    .optional()
}

/// Checks `signature` (base64 Ed25519) over `bytes` by `public_key` (base64); answers the key's
/// fingerprint, or what is wrong.
pub fn verify(bytes: &[u8], signature: &str, public_key: &str) -> Result<String, String> {
    let key = carrel_package::PublicKey::from_base64(public_key)?;
    let signature = carrel_package::signature::PackageSignature {
        algorithm: "ed25519".into(),
        public_key: public_key.to_owned(),
        fingerprint: key.fingerprint(),
        signature: signature.to_owned(),
    };
    signature
        .verify(bytes)
        .map(|key| key.fingerprint().to_string())
        .map_err(|_| {
            format!(
                "its signature does not match its contents for the key {}: it was changed after it was issued",
                key.fingerprint()
            )
        })
}

/// The PDF of the certificate of `course_id`, if one is kept.
pub fn pdf(db: &ProgressDb, course_id: &str) -> Result<Option<(String, Vec<u8>)>, AssessError> {
    db.transact(|tx| {
        Ok(tx
            .query_row(
                "SELECT certificate_id, pdf FROM certificates WHERE course_id = ?1",
                [course_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    })
}

/// Asks `server` for the learner's certificate of `course_id` with the access `token`, checks it
/// and keeps it (see the module's docs). Nothing is kept unless all of it checks out.
pub async fn request(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    course_id: &str,
    now_ms: i64,
) -> Result<(), CertificateError> {
    let unavailable = |error: reqwest::Error| {
        CertificateError::Unavailable(crate::http::describe(&error).to_owned())
    };
    let response = http
        .inner()
        .post(server.join(&certificate_path(course_id)))
        .bearer_auth(token)
        .send()
        .await
        .map_err(unavailable)?;
    let status = response.status();
    if status == http::StatusCode::UNAUTHORIZED {
        return Err(CertificateError::Unauthorized);
    }
    if !status.is_success() {
        let error: Option<carrel_protocol::ApiError> = response.json().await.ok();
        return Err(match error {
            Some(error) if error.code == NOT_EARNED => CertificateError::NotEarned(error.message),
            Some(error) if error.code == NO_CERTIFICATE => CertificateError::NoCertificate,
            Some(error) => CertificateError::Unavailable(error.message),
            None => CertificateError::Unavailable(format!("the server answered {status}")),
        });
    }
    let issued: IssuedCertificate = response
        .json()
        .await
        .map_err(|error| CertificateError::Unavailable(format!("unreadable answer: {error}")))?;
    let untrustworthy = CertificateError::Untrustworthy;
    let record_bytes = issued.record.get().to_owned();
    let record: CertificateRecord = serde_json::from_str(&record_bytes)
        .map_err(|error| untrustworthy(format!("its record is not readable: {error}")))?;
    if record.course_id != course_id {
        return Err(untrustworthy(format!(
            "it is for the course “{}”",
            record.course_id
        )));
    }
    let public_key = pinned_key(db, http, server, &issued.key_fingerprint).await?;
    verify(record_bytes.as_bytes(), &issued.signature, &public_key).map_err(untrustworthy)?;
    let pdf = http
        .inner()
        .get(server.join(&certificate_pdf_path(&record.certificate_id)))
        .send()
        .await
        .map_err(unavailable)?;
    if !pdf.status().is_success() {
        return Err(CertificateError::Unavailable(format!(
            "the PDF was not sent (the server answered {})",
            pdf.status()
        )));
    }
    let pdf = pdf.bytes().await.map_err(unavailable)?;
    if pdf.len() as u64 != issued.pdf_size || outbox::sha256_hex(&pdf) != issued.pdf_sha256 {
        return Err(untrustworthy(
            "its PDF is not the one the server described".into(),
        ));
    }
    db.transact(|tx| {
        tx.execute(
            "INSERT INTO certificate_keys (server, fingerprint, public_key, pinned_ms)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (server, fingerprint) DO NOTHING",
            params![server.as_str(), issued.key_fingerprint, public_key, now_ms],
        )?;
        tx.execute(
            "INSERT INTO certificates (course_id, server, certificate_id, record, signature,
                 key_fingerprint, pdf, received_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (course_id) DO UPDATE SET server = excluded.server,
                 certificate_id = excluded.certificate_id, record = excluded.record,
                 signature = excluded.signature, key_fingerprint = excluded.key_fingerprint,
                 pdf = excluded.pdf, received_ms = excluded.received_ms",
            params![
                course_id,
                server.as_str(),
                record.certificate_id,
                record_bytes,
                issued.signature,
                issued.key_fingerprint,
                pdf.as_ref(),
                now_ms
            ],
        )?;
        Ok::<_, AssessError>(())
    })?;
    Ok(())
}

/// The public key with `fingerprint` of `server`'s certificates: pinned before, or fetched now
/// when the server publishes it (pinned by the caller once the certificate checks out).
async fn pinned_key(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    fingerprint: &str,
) -> Result<String, CertificateError> {
    let pinned: Option<String> = db.transact(|tx| {
        Ok::<_, AssessError>(
            tx.query_row(
                "SELECT public_key FROM certificate_keys WHERE server = ?1 AND fingerprint = ?2",
                params![server.as_str(), fingerprint],
                |row| row.get(0),
            )
            .optional()?,
        )
    })?;
    if let Some(key) = pinned {
        return Ok(key);
    }
    let key: CertificateKey = http
        .inner()
        .get(server.join(CERTIFICATE_KEY_PATH))
        .send()
        .await
        .map_err(|error| CertificateError::Unavailable(crate::http::describe(&error).to_owned()))?
        .json()
        .await
        .map_err(|error| CertificateError::Unavailable(format!("unreadable key: {error}")))?;
    let computed = carrel_package::PublicKey::from_base64(&key.public_key)
        .map_err(CertificateError::Untrustworthy)?
        .fingerprint();
    if computed.as_str() != fingerprint {
        return Err(CertificateError::Untrustworthy(format!(
            "it is signed by the key {fingerprint}, which the server does not publish"
        )));
    }
    Ok(key.public_key)
}
