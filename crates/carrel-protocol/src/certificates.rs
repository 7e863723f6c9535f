//! Certificates: issued by the course server when its own records show a learner met every
//! requirement of the course's certificate, signed with the server's Ed25519 key, kept by Carrel
//! and verified there offline, and verifiable by anyone at a public address.
//!
//! - `POST /api/v1/courses/{course_id}/certificate` (a learner of the course): the server checks
//!   the published course's requirements (`[certificate] passed` / `submitted` in the package)
//!   against the learner's submissions and grades it holds. Met: it issues the certificate once
//!   (**201**) — asking again answers the same one (**200**). Not met: **409**
//!   `certificate_not_earned`, naming what is missing. Revoked: **409** `certificate_revoked`.
//!   A course whose certificate has no requirements (awarded by hand) or no certificate at all:
//!   **404** `no_certificate`. A server whose operator has not set its public address (the one
//!   every certificate names for checking it): **503** `certificates_unavailable` — the address is
//!   never taken from the request.
//! - `GET /api/v1/courses/{course_id}/certificate` (the learner): their certificate, or 404.
//! - `GET /api/v1/certificates/key` (public): the key certificates are signed with.
//! - `GET /api/v1/certificates/{certificate_id}` (public): a [`Verification`].
//! - `GET /api/v1/certificates/{certificate_id}/pdf` (public): the certificate as a PDF.
//! - `GET /certificates/{certificate_id}` (public): a page for people (an employer following the
//!   address printed on the PDF) saying whether it is valid, for whom and for what.
//!
//! **What is signed** is the exact bytes of the [`CertificateRecord`] JSON (`record` in
//! [`IssuedCertificate`], kept byte for byte): the signature is Ed25519 over them, base64, by the
//! key whose fingerprint (`carrel_package` fingerprints: SHA-256 of the public key) is
//! `keyFingerprint`. The PDF is a rendering of the record for people; its SHA-256 is in the
//! record (`pdfSha256`), so it is covered by the signature too.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// `POST` (learner): issue, or answer, the learner's certificate of a course; `GET`: answer it.
pub const CERTIFICATE_ROUTE: &str = "/api/v1/courses/{course_id}/certificate";
/// `GET` (public): the key certificates are signed with.
pub const CERTIFICATE_KEY_PATH: &str = "/api/v1/certificates/key";
/// `GET` (public): whether a certificate is valid.
pub const VERIFICATION_ROUTE: &str = "/api/v1/certificates/{certificate_id}";
/// `GET` (public): a certificate as a PDF.
pub const CERTIFICATE_PDF_ROUTE: &str = "/api/v1/certificates/{certificate_id}/pdf";
/// `GET` (public): the page for people.
pub const VERIFICATION_PAGE_ROUTE: &str = "/certificates/{certificate_id}";

/// The error code of a certificate not earned yet.
pub const NOT_EARNED: &str = "certificate_not_earned";
/// The error code of a course without a certificate the server issues.
pub const NO_CERTIFICATE: &str = "no_certificate";
/// The error code of a learner whose certificate of the course was revoked.
pub const REVOKED: &str = "certificate_revoked";
/// The error code of a server that cannot issue certificates (no public address configured).
pub const UNAVAILABLE: &str = "certificates_unavailable";

/// The path to ask for the learner's certificate of `course_id`.
pub fn certificate_path(course_id: &str) -> String {
    format!("/api/v1/courses/{course_id}/certificate")
}

/// The path of the verification of `certificate_id`.
pub fn verification_path(certificate_id: &str) -> String {
    format!("/api/v1/certificates/{certificate_id}")
}

/// The path of the PDF of `certificate_id`.
pub fn certificate_pdf_path(certificate_id: &str) -> String {
    format!("/api/v1/certificates/{certificate_id}/pdf")
}

/// The path of the page for people about `certificate_id`.
pub fn verification_page_path(certificate_id: &str) -> String {
    format!("/certificates/{certificate_id}")
}

/// A requirement the learner met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetRequirement {
    /// The item.
    pub item_id: String,
    /// Its title.
    pub title: String,
    /// Passed (`true`) or submitted.
    pub passed: bool,
}

/// What a certificate says: the signed part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateRecord {
    /// Its id: 32 lowercase hex digits, random (so it cannot be guessed).
    pub certificate_id: String,
    /// Its title, from the course ("Certificate of Achievement").
    pub title: String,
    /// The course.
    pub course_id: String,
    /// The course's title.
    pub course_title: String,
    /// The version of the course the requirements were read from.
    pub course_version: String,
    /// The learner's account id on the server.
    pub learner_id: i64,
    /// The learner's name as the server has it.
    pub learner_name: String,
    /// When it was issued (ms since the epoch, server clock).
    pub issued_ms: u64,
    /// The requirements met.
    pub requirements: Vec<MetRequirement>,
    /// Who issues it (the server's configured institution name).
    pub issuer: String,
    /// Where anyone can check it (the server's public page about it).
    pub verify_url: String,
    /// SHA-256 (hex) of the certificate's PDF: signed with the rest, so a PDF is checked against
    /// what the server signed.
    pub pdf_sha256: String,
}

/// A certificate as the server answers it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCertificate {
    /// The [`CertificateRecord`]'s JSON, exactly the bytes signed.
    pub record: Box<RawValue>,
    /// Ed25519 over `record`'s bytes, base64.
    pub signature: String,
    /// The fingerprint of the key that signed it.
    pub key_fingerprint: String,
    /// SHA-256 (hex) of the PDF.
    pub pdf_sha256: String,
    /// The PDF's length in bytes.
    pub pdf_size: u64,
}

/// The key certificates are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateKey {
    /// The Ed25519 public key, base64 (as `carrel_package::PublicKey::to_base64`).
    pub public_key: String,
    /// Its fingerprint.
    pub fingerprint: String,
}

/// Whether a certificate is valid, for anyone who asks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// The server issued it and has not revoked it.
    pub valid: bool,
    /// When it was revoked, if it was (ms since the epoch).
    pub revoked_ms: Option<u64>,
    /// The certificate, signature included, so the caller can check the signature too.
    pub certificate: IssuedCertificate,
}
