//! Course certificates (`carrel_protocol::certificates`): issued by the server when its own
//! records show that a learner met every requirement of the published course's certificate,
//! signed with the server's key, and checkable by anyone.
//!
//! **Earning.** A course's package names what earns its certificate (`[certificate] passed` and
//! `submitted`, `carrel_package::manifest::Certificate`). When a learner of the course asks
//! ([`request`]), the server looks at the submissions and grades it holds: an item to pass needs
//! one of the learner's submissions of it with a complete grade that passed (a quiz graded by the
//! server or a tutor, an assignment graded as passed, a SCORM or cmi5 result that passed); an item
//! to submit needs a submission, whatever its grade. A group assignment counts the latest
//! submission of the learner's current group, whichever member sent it ([`crate::groups`]).
//! Anything missing is named, by title, with what it still needs (409 `certificate_not_earned`),
//! and nothing is stored. A course that awards no certificate, or one only its team awards by
//! hand (no requirements), answers 404 `no_certificate`.
//!
//! **Issuing, once.** A learner has at most one certificate per course: the first request that
//! finds the requirements met issues it, and every later request answers that same certificate
//! unchanged — whatever changed since (a grade, a new version of the course, a revocation). The
//! record ([`CertificateRecord`]: a random id, the course's title and version, the learner's name,
//! the requirements met with their titles, the issuer's name and the address of the public page
//! about it) is serialised once; those bytes are signed with the server's key ([`key`]) and stored
//! and answered byte for byte, never serialised again, so the signature always verifies what a
//! client receives. The PDF ([`pdf`]) is made from the record when it is issued and kept with it.
//!
//! **Checking.** Anyone may fetch the server's public key, a certificate's [`Verification`] (valid
//! while not revoked, with the signed record), its PDF and the page for people about it
//! ([`page`]). A client pins the key the first time it fetches it and verifies certificates
//! offline after that. The operator lists certificates and revokes one at the command line
//! ([`list`], [`revoke`]); a revoked certificate stays stored, and its verification says it is no
//! longer valid.

pub mod key;
pub mod page;
pub mod pdf;

use std::collections::HashMap;

use crate::storage::sql::{OptionalExtension, Row, params};
use carrel_package::Manifest;
use carrel_package::manifest::Certificate;
use carrel_protocol::auth::{Account, Role};
use carrel_protocol::certificates::{
    CertificateKey, CertificateRecord, IssuedCertificate, MetRequirement, Verification,
    verification_page_path,
};
use serde_json::value::RawValue;

pub use key::{KEY_FILE, KeyError, SigningKey};

use crate::storage::{Storage, StorageError};

/// The issuer named on certificates when the operator does not set `certificate_issuer`.
pub const DEFAULT_ISSUER: &str = "Carrel course server";
/// The longest issuer name, in characters.
pub const MAX_ISSUER_CHARS: usize = 200;

/// Why a certificate was not issued or answered.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The account is not enrolled in the course as a learner.
    #[error(
        "you are not enrolled as a learner in the course “{0}”, so it cannot certify you; \
         ask the course team to enrol you"
    )]
    NotEnrolled(String),
    /// The course is not published here.
    #[error("the course “{0}” is not published on this server, so it has no certificate to issue")]
    NotPublished(String),
    /// The published course awards no certificate.
    #[error("the course “{0}” awards no certificate")]
    NoCertificate(String),
    /// The course's certificate names no requirements: its team awards it by hand.
    #[error(
        "the certificate of the course “{0}” is awarded by the course team, not by this server; \
         ask them for it"
    )]
    AwardedByHand(String),
    /// Requirements are not met yet.
    #[error(
        "you have not earned the certificate of “{course_title}” yet: still to {}; ask again once \
         they are done and graded (missing items: {})",
        describe(.missing),
        .missing.iter().map(|missing| missing.item_id.as_str()).collect::<Vec<_>>().join(", ")
    )]
    NotEarned {
        /// The course's title.
        course_title: String,
        /// What is missing, in the order the course lists its requirements.
        missing: Vec<Missing>,
    },
    /// The learner has no certificate of the course.
    #[error(
        "you have no certificate of the course “{0}”; ask for it (POST) once you have met its \
         requirements"
    )]
    NotIssued(String),
    /// No public address is configured: a certificate must name where it is checked, and that
    /// address is never taken from a request (a learner could name their own site).
    #[error(
        "this course server cannot issue certificates until its operator sets public_url, the \
         address every certificate names for checking it; ask your course team"
    )]
    NoAddress,
    /// The learner's certificate of the course was revoked (on this UTC date).
    #[error("your certificate of this course was revoked on {0}; ask your course team why")]
    Revoked(String),
    /// The signing key cannot be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// No random id could be made.
    #[error("could not make a certificate id: the system random source failed: {0}")]
    Random(String),
}

/// A requirement not met yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The item.
    pub item_id: String,
    /// Its title in the published course.
    pub title: String,
    /// What it still needs.
    pub need: Need,
}

/// What a requirement not met still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// To be passed; nothing is submitted yet.
    PassNotSubmitted,
    /// To be passed; submitted, no complete grade yet.
    PassAwaitingGrade,
    /// To be passed; graded, not passed.
    PassNotPassed,
    /// To be submitted.
    Submit,
}

/// "pass “Quiz” (not submitted yet), submit “Essay”".
fn describe(missing: &[Missing]) -> String {
    missing
        .iter()
        .map(|missing| {
            let title = &missing.title;
            match missing.need {
                Need::PassNotSubmitted => format!("pass “{title}” (not submitted yet)"),
                Need::PassAwaitingGrade => format!("pass “{title}” (waiting for its grade)"),
                Need::PassNotPassed => format!("pass “{title}” (not passed yet)"),
                Need::Submit => format!("submit “{title}”"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the server holds about a learner's work on one item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Evidence {
    /// At least one submission.
    pub submitted: bool,
    /// At least one submission with a complete grade.
    pub graded: bool,
    /// At least one submission with a complete grade that passed.
    pub passed: bool,
}

/// The title of item `item_id` in `manifest` (its id if the course no longer has it).
fn title_of(manifest: &Manifest, item_id: &str) -> String {
    manifest
        .items()
        .find(|(_, _, item)| item.id == item_id)
        .map_or_else(|| item_id.to_owned(), |(_, _, item)| item.title.clone())
}

/// The requirements of `certificate` that `evidence` (by item id) does not meet, in the course's
/// order, each with its title from `title_of`.
pub(crate) fn missing(
    certificate: &Certificate,
    title_of: impl Fn(&str) -> String,
    evidence: &HashMap<String, Evidence>,
) -> Vec<Missing> {
    certificate
        .requirements()
        .filter_map(|(item_id, must_pass)| {
            let found = evidence.get(item_id).copied().unwrap_or_default();
            let need = match (must_pass, found) {
                (true, Evidence { passed: true, .. }) => return None,
                (
                    false,
                    Evidence {
                        submitted: true, ..
                    },
                ) => return None,
                (false, _) => Need::Submit,
                (
                    true,
                    Evidence {
                        submitted: false, ..
                    },
                ) => Need::PassNotSubmitted,
                (true, Evidence { graded: false, .. }) => Need::PassAwaitingGrade,
                (true, _) => Need::PassNotPassed,
            };
            Some(Missing {
                item_id: item_id.to_owned(),
                title: title_of(item_id),
                need,
            })
        })
        .collect()
}

/// What the server puts on each certificate it issues besides the learner's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// Who issues it (`certificate_issuer`).
    pub name: String,
    /// The address the public page is under (`public_url`, else `http://` and the request's
    /// `Host`), without a trailing `/`; `None` when there is neither.
    pub base_url: Option<String>,
}

/// Whether `id` can be a certificate id: 32 lowercase hex digits.
pub fn is_certificate_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A new random certificate id.
fn new_id() -> Result<String, CertificateError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| CertificateError::Random(error.to_string()))?;
    Ok(carrel_package::archive::hex(&bytes))
}

/// A certificate as stored.
#[derive(Debug, Clone)]
struct Stored {
    issued: IssuedCertificate,
    revoked_ms: Option<u64>,
}

/// The columns [`row_to_stored`] reads.
const STORED_COLUMNS: &str = "record, signature, key_fingerprint, pdf_sha256, pdf_size, revoked_ms";

fn row_to_stored(row: &Row) -> crate::storage::sql::Result<Stored> {
    let record: String = row.get(0)?;
    let record = RawValue::from_string(record)
        .map_err(|error| crate::storage::sql::Error::conversion(0, error))?;
    Ok(Stored {
        issued: IssuedCertificate {
            record,
            signature: row.get(1)?,
            key_fingerprint: row.get(2)?,
            pdf_sha256: row.get(3)?,
            pdf_size: row.get::<i64>(4)? as u64,
        },
        revoked_ms: row.get::<Option<i64>>(5)?.map(|ms| ms as u64),
    })
}

/// The certificate of account `user_id` in `course_id`, if it has one.
fn stored_for_in(
    conn: &crate::storage::sql::Conn<'_>,
    user_id: i64,
    course_id: &str,
) -> crate::storage::sql::Result<Option<Stored>> {
    conn.prepare_cached(&format!(
        "SELECT {STORED_COLUMNS} FROM certificates WHERE user_id = ?1 AND course_id = ?2"
    ))?
    .query_row(params![user_id, course_id], row_to_stored)
    .optional()
}

/// The learner's evidence per item of `course_id`: their own work, and for a group assignment
/// the latest group submission of their current group, whoever of the group sent it — its grade
/// is every member's (see [`crate::groups`]). A group submission counts only as the group's, so
/// a member's earlier one that the group replaced no longer speaks for them.
fn evidence_in(
    conn: &crate::storage::sql::Conn<'_>,
    user_id: i64,
    course_id: &str,
) -> crate::storage::sql::Result<HashMap<String, Evidence>> {
    let row_to_evidence = |row: &Row| {
        Ok((
            row.get::<String>(0)?,
            Evidence {
                submitted: true,
                graded: row.get::<Option<bool>>(1)?.unwrap_or(false),
                passed: row.get::<Option<bool>>(2)?.unwrap_or(false),
            },
        ))
    };
    let mut evidence = conn
        .prepare_cached(
            "SELECT s.item_id,
                    max(CASE WHEN g.complete = 1 THEN 1 ELSE 0 END),
                    max(CASE WHEN g.complete = 1 AND g.passed = 1 THEN 1 ELSE 0 END)
             FROM submissions s LEFT JOIN grades g ON g.submission_id = s.id
             WHERE s.user_id = ?1 AND s.course_id = ?2 AND s.kind <> 'forum_post'
               AND s.group_name IS NULL
             GROUP BY s.item_id",
        )?
        .query_map(params![user_id, course_id], row_to_evidence)?
        .collect::<crate::storage::sql::Result<HashMap<_, _>>>()?;
    let Some(group) = crate::groups::group_in(conn, user_id, course_id)? else {
        return Ok(evidence);
    };
    let group_work = conn
        .prepare_cached(
            "SELECT s.item_id, g.complete = 1, g.complete = 1 AND g.passed = 1
             FROM submissions s LEFT JOIN grades g ON g.submission_id = s.id
             WHERE s.course_id = ?1 AND s.group_name = ?2 AND s.kind = 'assignment'
               AND NOT EXISTS (
                   SELECT 1 FROM submissions l
                   WHERE l.course_id = s.course_id AND l.group_name = s.group_name
                     AND l.item_id = s.item_id AND l.kind = 'assignment'
                     AND (l.received_ms > s.received_ms
                          OR (l.received_ms = s.received_ms AND l.id > s.id)))",
        )?
        .query_map(params![course_id, group], row_to_evidence)?
        .collect::<crate::storage::sql::Result<Vec<_>>>()?;
    for (item_id, found) in group_work {
        let known = evidence.entry(item_id).or_default();
        *known = Evidence {
            submitted: true,
            graded: known.graded || found.graded,
            passed: known.passed || found.passed,
        };
    }
    Ok(evidence)
}

/// Issues `learner`'s certificate of `course_id` if they earned it, or answers the one issued
/// before; `true` with a certificate issued by this call.
pub async fn request(
    storage: &Storage,
    key: &SigningKey,
    issuer: &Issuer,
    learner: &Account,
    course_id: &str,
) -> Result<(IssuedCertificate, bool), CertificateError> {
    let (user_id, course) = (learner.id, course_id.to_owned());
    let (stored, role, evidence) = storage
        .with_conn(move |conn| {
            Ok((
                stored_for_in(conn, user_id, &course)?,
                crate::enrolments::role_in(conn, user_id, &course)?,
                evidence_in(conn, user_id, &course)?,
            ))
        })
        .await?;
    // Issued before: the same certificate, whatever changed since — unless it was revoked.
    if let Some(stored) = stored {
        if let Some(revoked_ms) = stored.revoked_ms {
            let day = jiff::Timestamp::from_millisecond(revoked_ms as i64)
                .map(|at| at.strftime("%Y-%m-%d").to_string())
                .unwrap_or_default();
            return Err(CertificateError::Revoked(day));
        }
        return Ok((stored.issued, false));
    }
    if role != Some(Role::Learner) {
        return Err(CertificateError::NotEnrolled(course_id.to_owned()));
    }
    let manifest = crate::submissions::published_manifest(storage, course_id.to_owned())
        .await?
        .ok_or_else(|| CertificateError::NotPublished(course_id.to_owned()))?;
    let certificate = manifest
        .course
        .certificate
        .clone()
        .ok_or_else(|| CertificateError::NoCertificate(course_id.to_owned()))?;
    if !certificate.has_requirements() {
        return Err(CertificateError::AwardedByHand(course_id.to_owned()));
    }
    let missing = missing(&certificate, |id| title_of(&manifest, id), &evidence);
    if !missing.is_empty() {
        return Err(CertificateError::NotEarned {
            course_title: manifest.course.title.clone(),
            missing,
        });
    }
    let base_url = issuer
        .base_url
        .as_deref()
        .ok_or(CertificateError::NoAddress)?;
    let secret = key.get().await?;
    let certificate_id = new_id()?;
    let record = CertificateRecord {
        certificate_id: certificate_id.clone(),
        title: certificate.title.clone(),
        course_id: course_id.to_owned(),
        course_title: manifest.course.title.clone(),
        course_version: manifest.course.version.clone(),
        learner_id: learner.id,
        learner_name: learner.display_name.clone(),
        issued_ms: carrel_protocol::unix_time_ms(),
        requirements: certificate
            .requirements()
            .map(|(item_id, passed)| MetRequirement {
                item_id: item_id.to_owned(),
                title: title_of(&manifest, item_id),
                passed,
            })
            .collect(),
        issuer: issuer.name.clone(),
        verify_url: format!(
            "{}{}",
            base_url.trim_end_matches('/'),
            verification_page_path(&certificate_id)
        ),
        pdf_sha256: String::new(),
    };
    // The PDF renders the record; its hash then goes into the record, which is signed.
    let pdf = pdf::render(&record);
    let record = CertificateRecord {
        pdf_sha256: crate::sha256_hex(&pdf),
        ..record
    };
    // Serialised once: these bytes are signed, stored and answered.
    let bytes = serde_json::to_string(&record).map_err(|error| {
        StorageError::Task(format!("a certificate does not serialise: {error}"))
    })?;
    let signature = secret.sign(bytes.as_bytes());
    let issued = IssuedCertificate {
        record: RawValue::from_string(bytes.clone())
            .map_err(|error| StorageError::Task(format!("a certificate is not JSON: {error}")))?,
        signature: signature.signature,
        key_fingerprint: signature.fingerprint.to_string(),
        pdf_sha256: crate::sha256_hex(&pdf),
        pdf_size: pdf.len() as u64,
    };
    let course = course_id.to_owned();
    let (issued, created) = storage
        .transact(move |tx| {
            let inserted = tx.execute(
                "INSERT INTO certificates (certificate_id, user_id, course_id, record, signature,
                     key_fingerprint, pdf, pdf_sha256, pdf_size, issued_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (user_id, course_id) DO NOTHING",
                params![
                    certificate_id,
                    user_id,
                    course,
                    bytes,
                    issued.signature,
                    issued.key_fingerprint,
                    pdf,
                    issued.pdf_sha256,
                    issued.pdf_size as i64,
                    record.issued_ms as i64,
                ],
            )?;
            if inserted == 1 {
                return Ok((issued.clone(), true));
            }
            // Another request issued it a moment ago: that one is the certificate.
            let stored = stored_for_in(tx, user_id, &course)?.ok_or_else(|| {
                StorageError::Task("a certificate vanished while it was issued".into())
            })?;
            Ok((stored.issued, false))
        })
        .await?;
    if created {
        tracing::info!(course_id, learner = learner.id, "issued a certificate");
    }
    Ok((issued, created))
}

/// The certificate of `learner` in `course_id`.
pub async fn get_own(
    storage: &Storage,
    learner: &Account,
    course_id: &str,
) -> Result<IssuedCertificate, CertificateError> {
    let (user_id, course) = (learner.id, course_id.to_owned());
    storage
        .with_conn(move |conn| Ok(stored_for_in(conn, user_id, &course)?))
        .await?
        .map(|stored| stored.issued)
        .ok_or_else(|| CertificateError::NotIssued(course_id.to_owned()))
}

/// Whether the certificate `certificate_id` is valid, with it; `None` if there is no such
/// certificate (or `certificate_id` cannot be one).
pub async fn verify(
    storage: &Storage,
    certificate_id: &str,
) -> Result<Option<Verification>, StorageError> {
    if !is_certificate_id(certificate_id) {
        return Ok(None);
    }
    let id = certificate_id.to_owned();
    let stored = storage
        .with_conn(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {STORED_COLUMNS} FROM certificates WHERE certificate_id = ?1"
                ))?
                .query_row([&id], row_to_stored)
                .optional()?)
        })
        .await?;
    Ok(stored.map(|stored| Verification {
        valid: stored.revoked_ms.is_none(),
        revoked_ms: stored.revoked_ms,
        certificate: stored.issued,
    }))
}

/// The record of `verification`, read back from its signed bytes.
pub fn record_of(verification: &Verification) -> Result<CertificateRecord, StorageError> {
    serde_json::from_str(verification.certificate.record.get()).map_err(|error| {
        StorageError::Task(format!("a stored certificate is not a record: {error}"))
    })
}

/// The PDF of the certificate `certificate_id` and its SHA-256, if there is such a certificate.
pub async fn pdf_of(
    storage: &Storage,
    certificate_id: &str,
) -> Result<Option<(Vec<u8>, String)>, StorageError> {
    if !is_certificate_id(certificate_id) {
        return Ok(None);
    }
    let id = certificate_id.to_owned();
    storage
        .with_conn(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT pdf, pdf_sha256 FROM certificates WHERE certificate_id = ?1",
                )?
                .query_row([&id], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()?)
        })
        .await
}

/// The public key certificates are signed with (made first if the server has none yet).
pub async fn public_key(key: &SigningKey) -> Result<CertificateKey, KeyError> {
    let public = key.get().await?.public_key();
    Ok(CertificateKey {
        public_key: public.to_base64(),
        fingerprint: public.fingerprint().to_string(),
    })
}

/// A certificate as the command line lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its id.
    pub certificate_id: String,
    /// The course.
    pub course_id: String,
    /// The learner's login.
    pub login: String,
    /// When it was issued (ms since the epoch).
    pub issued_ms: u64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<u64>,
}

/// The columns [`row_to_listed`] reads, from `certificates c` joined with `users u`.
const LISTED_SELECT: &str =
    "SELECT c.certificate_id, c.course_id, u.login, c.issued_ms, c.revoked_ms
    FROM certificates c JOIN users u ON u.id = c.user_id";

fn row_to_listed(row: &Row) -> crate::storage::sql::Result<Listed> {
    Ok(Listed {
        certificate_id: row.get(0)?,
        course_id: row.get(1)?,
        login: row.get(2)?,
        issued_ms: row.get::<i64>(3)? as u64,
        revoked_ms: row.get::<Option<i64>>(4)?.map(|ms| ms as u64),
    })
}

/// Every certificate issued (of `course_id` only, if given), oldest first.
pub async fn list(storage: &Storage, course_id: Option<&str>) -> Result<Vec<Listed>, StorageError> {
    let course_id = course_id.map(str::to_owned);
    storage
        .with_conn(move |conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "{LISTED_SELECT} WHERE CAST(?1 AS TEXT) IS NULL OR c.course_id = ?1
                     ORDER BY c.issued_ms, c.certificate_id"
                ))?
                .query_map([&course_id], row_to_listed)?
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
}

/// Revokes the certificate `certificate_id` (revoking it again keeps the first time); answers it
/// as it now is, or `None` if there is no such certificate.
pub async fn revoke(
    storage: &Storage,
    certificate_id: &str,
) -> Result<Option<Listed>, StorageError> {
    if !is_certificate_id(certificate_id) {
        return Ok(None);
    }
    let id = certificate_id.to_owned();
    let revoked = storage
        .transact(move |tx| {
            tx.execute(
                "UPDATE certificates SET revoked_ms = coalesce(revoked_ms, ?2)
                 WHERE certificate_id = ?1",
                params![id, carrel_protocol::unix_time_ms() as i64],
            )?;
            Ok(tx
                .prepare_cached(&format!("{LISTED_SELECT} WHERE c.certificate_id = ?1"))?
                .query_row([&id], row_to_listed)
                .optional()?)
        })
        .await?;
    if let Some(listed) = &revoked {
        tracing::info!(
            certificate_id = listed.certificate_id,
            "certificate revoked"
        );
    }
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_missing_follows_the_evidence() {
        let certificate = Certificate {
            title: "Certificate".into(),
            rule: "Pass the quiz, submit the essay.".into(),
            passed: vec!["quiz".into()],
            submitted: vec!["essay".into()],
        };
        let some = |submitted, graded, passed| Evidence {
            submitted,
            graded,
            passed,
        };
        /// What the server holds by item, and what is missing then.
        type Case<'a> = (&'a [(&'a str, Evidence)], &'a [(&'a str, Need)]);
        let cases: &[Case<'_>] = &[
            (
                &[],
                &[("quiz", Need::PassNotSubmitted), ("essay", Need::Submit)],
            ),
            (
                &[("quiz", some(true, false, false))],
                &[("quiz", Need::PassAwaitingGrade), ("essay", Need::Submit)],
            ),
            (
                &[
                    ("quiz", some(true, true, false)),
                    ("essay", some(true, false, false)),
                ],
                &[("quiz", Need::PassNotPassed)],
            ),
            (
                &[
                    ("quiz", some(true, true, true)),
                    ("essay", some(true, true, false)),
                ],
                &[],
            ),
            (
                &[("quiz", some(true, true, true))],
                &[("essay", Need::Submit)],
            ),
        ];
        for (evidence, expected) in cases {
            let evidence: HashMap<String, Evidence> = evidence
                .iter()
                .map(|(item, found)| ((*item).to_owned(), *found))
                .collect();
            let got: Vec<(String, Need)> = missing(&certificate, str::to_uppercase, &evidence)
                .into_iter()
                .map(|missing| (missing.item_id, missing.need))
                .collect();
            let expected: Vec<(String, Need)> = expected
                .iter()
                .map(|(item, need)| ((*item).to_owned(), *need))
                .collect();
            assert_eq!(got, expected, "with {evidence:?}");
        }
    }

    #[test]
    fn the_refusal_names_each_missing_item_by_title_and_id() {
        let error = CertificateError::NotEarned {
            course_title: "Rights".into(),
            missing: vec![
                Missing {
                    item_id: "b2-quiz".into(),
                    title: "Block 2 quiz".into(),
                    need: Need::PassNotPassed,
                },
                Missing {
                    item_id: "essay".into(),
                    title: "The essay".into(),
                    need: Need::Submit,
                },
            ],
        };
        assert_eq!(
            error.to_string(),
            "you have not earned the certificate of “Rights” yet: still to pass “Block 2 quiz” \
             (not passed yet), submit “The essay”; ask again once they are done and graded \
             (missing items: b2-quiz, essay)"
        );
    }

    #[test]
    fn ids_are_32_lowercase_hex_digits() {
        let id = new_id().unwrap();
        assert!(is_certificate_id(&id), "{id}");
        assert_ne!(id, new_id().unwrap(), "random");
        for bad in [
            "",
            "0123456789ABCDEF0123456789abcdef",
            "key",
            &"a".repeat(33),
        ] {
            assert!(!is_certificate_id(bad), "{bad}");
        }
    }
}
