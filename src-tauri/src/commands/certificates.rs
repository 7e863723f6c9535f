//! The course certificate: its checklist, asking the course server for it, and opening its PDF —
//! thin commands over [`carrel_core::certificates`]; and the transcript of every certificate and
//! programme ([`carrel_core::transcript`]).

use carrel_core::certificates::{self, CertificateError, CertificateStatus};
use tauri::{AppHandle, Runtime, State};

use super::assess::assess_error;
use super::courses::{OPENED_DIR, blocking, manifest_of, now_ms};
use crate::error::{CommandError, codes};
use crate::state::AppState;

fn certificate_error(error: CertificateError) -> CommandError {
    let message = error.to_string();
    match error {
        CertificateError::Local(error) => assess_error(error),
        CertificateError::NoCertificate => CommandError::new(codes::NOT_INSTALLED, message),
        CertificateError::NotEarned(_) | CertificateError::Refused(_) => {
            CommandError::new(codes::NOT_READY, message)
        }
        CertificateError::Unauthorized => CommandError::new(codes::SIGNED_OUT, message),
        CertificateError::Unavailable(_) => CommandError::new(codes::OFFLINE, message),
        CertificateError::Untrustworthy(_) => CommandError::new(codes::PACKAGE_INVALID, message),
    }
}

/// Whose certificates to show: the signed-in account on the server in use (`None`: nobody).
fn owner(state: &AppState) -> Option<String> {
    let server = state.server().url;
    state
        .session()
        .current()
        .map(|session| certificates::owner(&server, session.account.id))
}

/// The course's certificate: what it takes, where the learner is, and the signed-in learner's
/// certificate with its signature checked offline once it is kept here; `None` when the course
/// gives none.
#[tauri::command]
pub async fn get_certificate(
    state: State<'_, AppState>,
    course_id: String,
) -> Result<Option<CertificateStatus>, CommandError> {
    let manifest = manifest_of(&state, &course_id)?;
    let db = state.progress().db().await?;
    let owner = owner(&state);
    blocking(move || certificates::status(&db, &manifest, owner.as_deref()).map_err(assess_error))
        .await
}

/// Asks the course server for the learner's certificate, checks it and keeps it; answers the
/// status with it.
#[tauri::command]
pub async fn request_certificate(
    state: State<'_, AppState>,
    course_id: String,
) -> Result<Option<CertificateStatus>, CommandError> {
    let manifest = manifest_of(&state, &course_id)?;
    let db = state.progress().db().await?;
    let server = state.server().url;
    let (token, account_id) = state
        .session()
        .access_token(state.http(), &server, carrel_protocol::unix_time_ms())
        .await
        .map_err(|error| match error {
            carrel_core::sync::session::SessionError::Unavailable(reason) => {
                certificate_error(CertificateError::Unavailable(reason))
            }
            _ => certificate_error(CertificateError::Unauthorized),
        })?;
    certificates::request(
        &db,
        state.http(),
        &server,
        &token,
        account_id,
        &course_id,
        now_ms(),
    )
    .await
    .map_err(certificate_error)?;
    let owner = certificates::owner(&server, account_id);
    blocking(move || certificates::status(&db, &manifest, Some(&owner)).map_err(assess_error)).await
}

/// Opens the certificate's PDF in the system's viewer (copied to `opened/<course>/`).
#[tauri::command]
pub async fn open_certificate<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    course_id: String,
) -> Result<(), CommandError> {
    use tauri_plugin_opener::OpenerExt;
    let db = state.progress().db().await?;
    let dir = state.data_dir().join(OPENED_DIR).join(&course_id);
    let course = course_id.clone();
    let owner = owner(&state).unwrap_or_default();
    let path = blocking(move || {
        let Some((id, pdf)) = certificates::pdf(&db, &owner, &course).map_err(assess_error)? else {
            return Err(CommandError::new(
                codes::NOT_INSTALLED,
                "There is no verified certificate of this course for you on this computer. Sign \
                 in, then get it again from the course screen.",
            ));
        };
        let path = dir.join(format!("certificate-{id}.pdf"));
        let written = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join(format!(".certificate-{id}.pdf.part")), &pdf))
            .and_then(|()| std::fs::rename(dir.join(format!(".certificate-{id}.pdf.part")), &path));
        written.map_err(|error| {
            CommandError::internal("The certificate could not be opened", error)
        })?;
        Ok(path)
    })
    .await?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|error| {
            tracing::warn!(%error, "no application opened the certificate");
            CommandError::new(
                codes::NO_APPLICATION,
                format!(
                    "No application on this computer opens PDF files. The certificate is at {}.",
                    path.display()
                ),
            )
        })
}

/// The learner's transcript as last fetched by the sync (certificates across courses, programme
/// progress), for reading offline; `None` before the first fetch.
#[tauri::command]
pub async fn get_transcript(
    state: State<'_, AppState>,
) -> Result<Option<carrel_core::transcript::TranscriptView>, CommandError> {
    let db = state.progress().db().await?;
    blocking(move || carrel_core::transcript::read(&db).map_err(assess_error)).await
}
