//! `/api/v1/courses/{course_id}/certificate`, `/api/v1/certificates/…` and `/certificates/{id}`:
//! a learner asks for their certificate of a course and reads it; anyone fetches the signing key,
//! checks a certificate, downloads its PDF or reads the page for people about it. See
//! [`crate::certificates`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use carrel_protocol::ApiError;
use carrel_protocol::certificates::{CertificateKey, IssuedCertificate};

use crate::AppState;
use crate::certificates::{self, Issuer, page};
use crate::error::ServerError;
use crate::handlers::auth::Auth;
use crate::send_file::send_bytes;

/// The answer for a certificate id the server never issued (or that cannot be one).
fn unknown(certificate_id: &str) -> Response {
    let body = ApiError {
        code: "not_found".to_owned(),
        message: format!(
            "There is no certificate “{certificate_id}” on this server; check its id against the \
             certificate."
        ),
    };
    no_cache((StatusCode::NOT_FOUND, Json(body)).into_response())
}

/// `response` with `Cache-Control: no-cache`: what it says can change (a revocation).
fn no_cache(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `POST /api/v1/courses/{course_id}/certificate`: issues the learner's certificate of the
/// course (201), or answers the one issued before (200); 409 `certificate_not_earned` naming what
/// is missing, 404 `no_certificate`, 403 `not_enrolled`.
pub async fn post_certificate(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(course_id): Path<String>,
) -> Result<Response, ServerError> {
    // The address a certificate names is the operator's, never the request's.
    let issuer = Issuer {
        name: state.certificate_issuer().to_owned(),
        base_url: state.public_url().map(str::to_owned),
    };
    let (issued, created) = certificates::request(
        state.storage(),
        state.certificate_key(),
        &issuer,
        &who.account,
        &course_id,
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(issued)).into_response())
}

/// `GET /api/v1/courses/{course_id}/certificate`: the learner's certificate of the course; 404
/// if they have none.
pub async fn get_certificate(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(course_id): Path<String>,
) -> Result<Json<IssuedCertificate>, ServerError> {
    Ok(Json(
        certificates::get_own(state.storage(), &who.account, &course_id).await?,
    ))
}

/// `GET /api/v1/certificates/key`: the public key certificates are signed with.
pub async fn get_key(State(state): State<AppState>) -> Result<Json<CertificateKey>, ServerError> {
    Ok(Json(
        certificates::public_key(state.certificate_key())
            .await
            .map_err(certificates::CertificateError::from)?,
    ))
}

/// `GET /api/v1/certificates/{certificate_id}`: whether the certificate is valid, with it; 404 for
/// an id the server never issued.
pub async fn get_verification(
    State(state): State<AppState>,
    Path(certificate_id): Path<String>,
) -> Result<Response, ServerError> {
    Ok(
        match certificates::verify(state.storage(), &certificate_id).await? {
            Some(verification) => no_cache(Json(verification).into_response()),
            None => unknown(&certificate_id),
        },
    )
}

/// `GET /api/v1/certificates/{certificate_id}/pdf`: the certificate's PDF, as it was made when it
/// was issued (ETag: its SHA-256; ranges, conditional).
pub async fn get_pdf(
    State(state): State<AppState>,
    Path(certificate_id): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let Some((pdf, sha256)) = certificates::pdf_of(state.storage(), &certificate_id).await? else {
        return Ok(unknown(&certificate_id));
    };
    let disposition = format!("inline; filename=\"certificate-{certificate_id}.pdf\"");
    send_bytes(
        &method,
        &headers,
        pdf,
        &sha256,
        "application/pdf",
        Some(disposition),
    )
}

/// `GET /certificates/{certificate_id}`: the page for people about the certificate (HTML, no
/// scripts); 404 with a page saying so for an id the server never issued.
pub async fn get_page(
    State(state): State<AppState>,
    Path(certificate_id): Path<String>,
) -> Result<Response, ServerError> {
    let (status, html) = match certificates::verify(state.storage(), &certificate_id).await? {
        Some(verification) => {
            let record = certificates::record_of(&verification)?;
            (
                StatusCode::OK,
                page::certificate(&record, verification.revoked_ms),
            )
        }
        None => (StatusCode::NOT_FOUND, page::not_found()),
    };
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (
            header::CONTENT_SECURITY_POLICY,
            page::CONTENT_SECURITY_POLICY,
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    Ok((status, headers, html).into_response())
}
