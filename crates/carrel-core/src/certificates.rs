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
    NOT_EARNED, UNAVAILABLE, certificate_path, certificate_pdf_path,
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
    /// Signed by the server's pinned key, over exactly these bytes, and the PDF is the one signed.
    Verified {
        /// The key's fingerprint.
        fingerprint: String,
    },
    /// It does not verify.
    Invalid {
        /// Why (the UI says it in the learner's language).
        reason: InvalidReason,
    },
}

/// Why a kept certificate does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InvalidReason {
    /// Its record was changed after it was signed.
    Changed,
    /// Its PDF is not the one the record names.
    PdfChanged,
    /// The key that signed it is not pinned on this computer.
    KeyNotPinned,
    /// Its record cannot be read.
    Unreadable,
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
    /// The server refused, for a reason it gives (not enrolled, revoked, cannot issue yet…).
    #[error("{0}")]
    Refused(String),
    /// The server cannot be reached or failed; try later.
    #[error("the certificate could not be fetched: {0}; try again later")]
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

/// Whose certificates are kept: `<server> <account id>`.
pub fn owner(server: &ServerUrl, account_id: i64) -> String {
    format!("{} {account_id}", server.as_str())
}

/// The certificate of `manifest`'s course with the checklist, or `None` when the course gives
/// none; the certificate kept for `owner` (see [`owner`]; `None`: nobody signed in) with it.
pub fn status(
    db: &ProgressDb,
    manifest: &Manifest,
    owner: Option<&str>,
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
        let own = where_is(&entries, must_pass);
        // Group work: the group's latest submission is what counts for every member, whoever
        // sent it, as the server decides; the learner's own work still waiting to be sent is
        // shown as such, since it will be the group's latest once it arrives.
        let group = db
            .transact(|tx| Ok::<_, AssessError>(crate::groups::work_in(tx, course_id, item_id)?))?;
        let (state, best) = match group.and_then(|work| work.submission) {
            Some(submission) if own.0 != RequirementState::Waiting => {
                where_the_group_is(&submission, must_pass)
            }
            _ => own,
        };
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
    let stored = match owner {
        Some(owner) => db.transact(|tx| Ok::<_, AssessError>(stored_in(tx, owner, course_id)?))?,
        None => None,
    };
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

/// Where the group's latest submission of an item leaves a requirement, and its grade.
fn where_the_group_is(
    submission: &crate::groups::GroupSubmissionView,
    must_pass: bool,
) -> (RequirementState, Option<(f64, f64)>) {
    let grade = submission
        .grade
        .as_ref()
        .map(|grade| (grade.score, grade.max_score));
    let state = match &submission.grade {
        _ if !must_pass => RequirementState::Met,
        Some(grade) if grade.passed == Some(true) => RequirementState::Met,
        Some(_) => RequirementState::NotPassed,
        None => RequirementState::AwaitingGrade,
    };
    (state, grade)
}

/// A certificate as stored.
struct Stored {
    record_bytes: String,
    signature: String,
    public_key: Option<String>,
    pdf: Vec<u8>,
}

impl Stored {
    fn view(&self) -> StoredCertificate {
        let record: Option<CertificateRecord> = serde_json::from_str(&self.record_bytes).ok();
        let invalid = |reason| Verified::Invalid { reason };
        let verified = match (&record, &self.public_key) {
            (None, _) => invalid(InvalidReason::Unreadable),
            (Some(_), None) => invalid(InvalidReason::KeyNotPinned),
            (Some(record), Some(key)) => {
                match verify(self.record_bytes.as_bytes(), &self.signature, key) {
                    Err(_) => invalid(InvalidReason::Changed),
                    Ok(_) if record.pdf_sha256 != outbox::sha256_hex(&self.pdf) => {
                        invalid(InvalidReason::PdfChanged)
                    }
                    Ok(fingerprint) => Verified::Verified { fingerprint },
                }
            }
        };
        let record = record.unwrap_or_default();
        StoredCertificate {
            certificate_id: record.certificate_id,
            title: record.title,
            learner_name: record.learner_name,
            course_title: record.course_title,
            issued_ms: record.issued_ms as i64,
            issuer: record.issuer,
            verify_url: record.verify_url,
            verified,
            pdf_size: self.pdf.len() as i64,
        }
    }
}

fn stored_in(
    tx: &Transaction<'_>,
    owner: &str,
    course_id: &str,
) -> rusqlite::Result<Option<Stored>> {
    tx.query_row(
        "SELECT c.record, c.signature, k.public_key, c.pdf
         FROM certificates c
         LEFT JOIN certificate_keys k ON k.server = c.server AND k.fingerprint = c.key_fingerprint
         WHERE c.owner = ?1 AND c.course_id = ?2",
        params![owner, course_id],
        |row| {
            Ok(Stored {
                record_bytes: row.get(0)?,
                signature: row.get(1)?,
                public_key: row.get(2)?,
                pdf: row.get(3)?,
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

/// The PDF of `owner`'s certificate of `course_id`, with the certificate's id, if one is kept and
/// verifies (a PDF changed on disk, or a certificate that no longer verifies, is not handed out).
pub fn pdf(
    db: &ProgressDb,
    owner: &str,
    course_id: &str,
) -> Result<Option<(String, Vec<u8>)>, AssessError> {
    db.transact(|tx| {
        let Some(stored) = stored_in(tx, owner, course_id)? else {
            return Ok(None);
        };
        let view = stored.view();
        if !matches!(view.verified, Verified::Verified { .. }) {
            return Ok(None);
        }
        Ok(Some((view.certificate_id, stored.pdf)))
    })
}

/// Whether `id` is a certificate id as the server makes them: 32 lowercase hex digits.
fn is_certificate_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Asks `server` for the certificate of `course_id` of the learner `account_id` (whose access
/// `token` it is), checks it and keeps it (see the module's docs): signed by the server's pinned
/// key, for this course and this learner, with a well-formed id, its PDF the one signed. Nothing
/// is kept unless all of it checks out.
pub async fn request(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    token: &str,
    account_id: i64,
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
            // Refusals the server explains: not enrolled, revoked, cannot issue yet…
            Some(error) if status.is_client_error() || error.code == UNAVAILABLE => {
                CertificateError::Refused(error.message)
            }
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
    if record.learner_id != account_id {
        return Err(untrustworthy("it is another learner's".into()));
    }
    if !is_certificate_id(&record.certificate_id) {
        return Err(untrustworthy("its id is not a certificate id".into()));
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
    if outbox::sha256_hex(&pdf) != record.pdf_sha256 {
        return Err(untrustworthy(
            "its PDF is not the one the server signed".into(),
        ));
    }
    db.transact(|tx| {
        tx.execute(
            "INSERT INTO certificate_keys (server, fingerprint, public_key, pinned_ms)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (server, fingerprint) DO NOTHING",
            params![server.as_str(), issued.key_fingerprint, public_key, now_ms],
        )?;
        tx.execute(
            "INSERT INTO certificates (owner, course_id, server, certificate_id, record,
                 signature, key_fingerprint, pdf, received_ms)
             VALUES (?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (owner, course_id) DO UPDATE SET server = excluded.server,
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
                now_ms,
                owner(server, account_id)
            ],
        )?;
        Ok::<_, AssessError>(())
    })?;
    Ok(())
}

/// The public key with `fingerprint` of `server`'s certificates: pinned before; or, when no key
/// of this server is pinned yet, fetched now (pinned by the caller once the certificate checks
/// out: trust on first use). Once one is pinned, a certificate signed by another key is refused:
/// someone between the laptop and the server could otherwise bring their own.
async fn pinned_key(
    db: &ProgressDb,
    http: &HttpClient,
    server: &ServerUrl,
    fingerprint: &str,
) -> Result<String, CertificateError> {
    let pinned: Vec<(String, String)> = db.transact(|tx| {
        Ok::<_, AssessError>(
            tx.prepare_cached(
                "SELECT fingerprint, public_key FROM certificate_keys WHERE server = ?1",
            )?
            .query_map([server.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?,
        )
    })?;
    if let Some((_, key)) = pinned.iter().find(|(pinned, _)| pinned == fingerprint) {
        return Ok(key.clone());
    }
    if !pinned.is_empty() {
        return Err(CertificateError::Untrustworthy(format!(
            "it is signed by the key {fingerprint}, not the key this computer trusts for this \
             server; if your course team changed it, they can tell you"
        )));
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
