//! The server's error type and how it becomes an HTTP response.
//!
//! Every failure a handler can return maps to a status code and a `carrel_protocol::ApiError` body
//! with a stable `code`; internal details are logged, never sent to the client.

use std::path::PathBuf;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use carrel_protocol::{ApiError, http_range};

use crate::storage::StorageError;

/// Anything a request handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The storage layer failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The course version is not in the catalogue (never published, or replaced by a newer one).
    #[error("version {version} of the course “{course_id}” is not published on this server")]
    CourseVersionNotFound {
        /// The course id asked for.
        course_id: String,
        /// The version asked for.
        version: String,
    },
    /// No published course has a content file with this hash.
    #[error("no published course has a file with SHA-256 {sha256}")]
    FileNotFound {
        /// The hash asked for.
        sha256: String,
    },
    /// The path does not hold a SHA-256 (64 lowercase hex digits).
    #[error("“{value}” is not a SHA-256 (64 lowercase hex digits)")]
    MalformedHash {
        /// What the path held.
        value: String,
    },
    /// Not signed in, or signed in with the wrong password or an ended session.
    #[error(transparent)]
    Auth(#[from] crate::accounts::AuthError),
    /// A submission was refused.
    #[error(transparent)]
    Submission(#[from] crate::submissions::SubmissionError),
    /// A tutor's action was refused.
    #[error(transparent)]
    Tutor(#[from] crate::tutor::TutorError),
    /// A forum request was refused.
    #[error(transparent)]
    Forum(#[from] crate::forums::ForumError),
    /// A group request was refused.
    #[error(transparent)]
    Group(#[from] crate::groups::GroupError),
    /// A certificate was not issued or answered.
    #[error(transparent)]
    Certificate(#[from] crate::certificates::CertificateError),
    /// The request body is larger than the endpoint takes.
    #[error("the request is larger than this server accepts")]
    TooLarge,
    /// Too many wrong passwords for this login in a row.
    #[error(
        "too many wrong passwords for this login; wait {retry_after_secs} seconds before trying again"
    )]
    TooManyAttempts {
        /// How long to wait.
        retry_after_secs: u64,
    },
    /// The request body is not the JSON the endpoint takes.
    #[error("the request is not valid: {0}")]
    MalformedRequest(String),
    /// The requested range starts at or past the end of the file.
    #[error("the requested range is outside the file ({length} bytes)")]
    RangeNotSatisfiable {
        /// The file's length.
        length: u64,
    },
    /// A file the catalogue refers to could not be read.
    #[error("could not {operation} {path}: {source}")]
    File {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The blob store (the data folder or a bucket) failed.
    #[error(transparent)]
    Blob(#[from] crate::blobs::BlobError),
    /// A stored file does not have the size the catalogue records: it was damaged on disk.
    #[error("{path} is {found} bytes but the catalogue says {expected}; the file is damaged")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Size recorded at publish time.
        expected: u64,
        /// Size on disk.
        found: u64,
    },
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, code, message) = match &self {
            ServerError::Storage(_) => storage_unavailable(),
            ServerError::CourseVersionNotFound { .. } => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{self}; read the catalogue for the current version."),
            ),
            ServerError::FileNotFound { .. } => {
                (StatusCode::NOT_FOUND, "not_found", format!("{self}."))
            }
            ServerError::MalformedHash { .. } => {
                (StatusCode::BAD_REQUEST, "malformed_hash", format!("{self}."))
            }
            ServerError::Auth(crate::accounts::AuthError::Storage(_)) => storage_unavailable(),
            ServerError::Auth(error) => {
                let code = match error {
                    crate::accounts::AuthError::BadCredentials => "bad_credentials",
                    crate::accounts::AuthError::Expired => "token_expired",
                    crate::accounts::AuthError::SessionEnded => "session_ended",
                    _ => "unauthenticated",
                };
                (StatusCode::UNAUTHORIZED, code, format!("{self}."))
            }
            ServerError::Submission(crate::submissions::SubmissionError::Storage(_)) => storage_unavailable(),
            ServerError::Submission(error) => {
                let (status, code) = match error {
                    crate::submissions::SubmissionError::Conflict(_) => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict")
                    }
                    crate::submissions::SubmissionError::InFlight(_) => {
                        (StatusCode::CONFLICT, "in_flight")
                    }
                    crate::submissions::SubmissionError::NotEnrolled(_) => {
                        (StatusCode::FORBIDDEN, "not_enrolled")
                    }
                    crate::submissions::SubmissionError::AttachmentsMissing(_) => {
                        (StatusCode::CONFLICT, "attachments_missing")
                    }
                    crate::submissions::SubmissionError::InvalidPost(_) => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_post")
                    }
                    crate::submissions::SubmissionError::AlreadySubmitted(_) => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "already_submitted")
                    }
                    _ => (StatusCode::BAD_REQUEST, "malformed_request"),
                };
                (status, code, format!("{self}."))
            }
            ServerError::Tutor(crate::tutor::TutorError::Storage(_)) => storage_unavailable(),
            ServerError::Tutor(error) => {
                use crate::tutor::TutorError;
                let (status, code) = match error {
                    TutorError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
                    TutorError::NotFound(_) | TutorError::NoSuchAccount(_) => {
                        (StatusCode::NOT_FOUND, "not_found")
                    }
                    TutorError::InvalidGrade(_) => (StatusCode::BAD_REQUEST, "invalid_grade"),
                    _ => (StatusCode::BAD_REQUEST, "invalid_comment"),
                };
                (status, code, format!("{self}."))
            }
            ServerError::Forum(crate::forums::ForumError::Storage(_)) => storage_unavailable(),
            ServerError::Forum(error) => {
                let (status, code) = match error {
                    crate::forums::ForumError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
                    _ => (StatusCode::NOT_FOUND, "not_found"),
                };
                (status, code, format!("{self}."))
            }
            ServerError::Group(crate::groups::GroupError::Storage(_)) => storage_unavailable(),
            ServerError::Group(error) => {
                use crate::groups::GroupError;
                let (status, code) = match error {
                    GroupError::NoGroup(_) => {
                        (StatusCode::NOT_FOUND, crate::groups::NO_GROUP)
                    }
                    GroupError::NoSuchGroup { .. } | GroupError::NoSuchFile { .. } => {
                        (StatusCode::NOT_FOUND, "not_found")
                    }
                    GroupError::InvalidName(_) => (StatusCode::BAD_REQUEST, "malformed_request"),
                    GroupError::Storage(_) | GroupError::Io { .. } | GroupError::Blob(_) => {
                        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
                    }
                };
                let message = if status.is_server_error() {
                    "The server could not read its group files; its operator can see why in the \
                     server logs."
                        .to_owned()
                } else {
                    format!("{self}.")
                };
                (status, code, message)
            }
            ServerError::Certificate(crate::certificates::CertificateError::Storage(_)) => {
                storage_unavailable()
            }
            ServerError::Certificate(error) => {
                use crate::certificates::CertificateError;
                use carrel_protocol::certificates::{NO_CERTIFICATE, NOT_EARNED};
                let (status, code) = match error {
                    CertificateError::NotEnrolled(_) => (StatusCode::FORBIDDEN, "not_enrolled"),
                    CertificateError::NotPublished(_)
                    | CertificateError::NoCertificate(_)
                    | CertificateError::AwardedByHand(_) => (StatusCode::NOT_FOUND, NO_CERTIFICATE),
                    CertificateError::NotEarned { .. } => (StatusCode::CONFLICT, NOT_EARNED),
                    CertificateError::NotIssued(_) => (StatusCode::NOT_FOUND, "not_found"),
                    CertificateError::NoAddress => (
                        StatusCode::SERVICE_UNAVAILABLE,
                        carrel_protocol::certificates::UNAVAILABLE,
                    ),
                    CertificateError::Revoked(_) => {
                        (StatusCode::CONFLICT, carrel_protocol::certificates::REVOKED)
                    }
                    CertificateError::Storage(_)
                    | CertificateError::Key(_)
                    | CertificateError::Random(_) => {
                        (StatusCode::INTERNAL_SERVER_ERROR, "internal")
                    }
                };
                let message = if status.is_server_error() {
                    "The server cannot sign certificates right now; its operator can see why in \
                     the server logs."
                        .to_owned()
                } else {
                    format!("{self}.")
                };
                (status, code, message)
            }
            ServerError::TooManyAttempts { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("{self}, or ask your course team to reset your password"),
            ),
            ServerError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("{self}; attach large files instead of putting them in the text."),
            ),
            ServerError::MalformedRequest(_) => (
                StatusCode::BAD_REQUEST,
                "malformed_request",
                format!("{self}."),
            ),
            ServerError::RangeNotSatisfiable { .. } => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("{self}; the Content-Range header gives its length."),
            ),
            ServerError::Blob(crate::blobs::BlobError::Unreachable { .. }) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "The server cannot reach its file storage right now. Try again in a few minutes."
                    .to_owned(),
            ),
            ServerError::File { .. } | ServerError::Damaged { .. } | ServerError::Blob(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The server could not read a stored file; its operator can see why in the server logs."
                    .to_owned(),
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, code, "request failed");
        } else {
            tracing::debug!(error = %self, code, "request refused");
        }
        let body = ApiError {
            code: code.to_owned(),
            message: capitalized(message),
        };
        let mut response = (status, Json(body)).into_response();
        if code == "in_flight" {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ServerError::TooManyAttempts { retry_after_secs } = &self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let ServerError::RangeNotSatisfiable { length } = self
            && let Ok(value) = HeaderValue::from_str(&http_range::unsatisfied_content_range(length))
        {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
        response
    }
}

/// The answer when the database cannot be reached, whichever request it was.
fn storage_unavailable() -> (StatusCode, &'static str, String) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
        "The server cannot reach its database right now. Try again in a few minutes.".to_owned(),
    )
}

/// `message` with its first letter in upper case: the variants' texts are clauses, the API's
/// messages are sentences.
fn capitalized(message: String) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => message,
    }
}
