//! The course certificate: its checklist, asking the course server for it, and opening its PDF —
//! thin commands over [`carrel_core::certificates`].

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
        CertificateError::NotEarned(_) => CommandError::new(codes::NOT_READY, message),
        CertificateError::Unauthorized => CommandError::new(codes::SIGNED_OUT, message),
        CertificateError::Unavailable(_) => CommandError::new(codes::OFFLINE, message),
        CertificateError::Untrustworthy(_) => CommandError::new(codes::PACKAGE_INVALID, message),
    }
}

/// The course's certificate: what it takes, where the learner is, and the certificate with its
/// signature checked offline once it is kept here; `None` when the course gives none.
#[tauri::command]
pub async fn get_certificate(
    state: State<'_, AppState>,
    course_id: String,
) -> Result<Option<CertificateStatus>, CommandError> {
    let manifest = manifest_of(&state, &course_id)?;
    let db = state.progress().db().await?;
    blocking(move || certificates::status(&db, &manifest).map_err(assess_error)).await
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
    let (token, _) = state
        .session()
        .access_token(state.http(), &server, carrel_protocol::unix_time_ms())
        .await
        .map_err(|_| certificate_error(CertificateError::Unauthorized))?;
    certificates::request(&db, state.http(), &server, &token, &course_id, now_ms())
        .await
        .map_err(certificate_error)?;
    blocking(move || certificates::status(&db, &manifest).map_err(assess_error)).await
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
    let path = blocking(move || {
        let Some((id, pdf)) = certificates::pdf(&db, &course).map_err(assess_error)? else {
            return Err(CommandError::new(
                codes::NOT_INSTALLED,
                "There is no certificate of this course on this computer yet.",
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
