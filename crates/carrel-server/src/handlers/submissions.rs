//! `PUT /api/v1/submissions/{submission_id}`: see [`crate::submissions`]; and `GET` of the same
//! path, a learner's own submission with its grade and comments ([`crate::tutor::status`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use carrel_protocol::submissions::{Receipt, SubmissionUpload};
use carrel_protocol::tutor::SubmissionStatus;

use crate::AppState;
use crate::error::ServerError;
use crate::handlers::auth::Auth;
use crate::handlers::json::JsonBody;
use crate::metrics::Outcome;
use crate::submissions::SubmissionError;

/// Stores a submission once; 201 with its receipt, or 200 with the first receipt on a retry.
pub async fn put_submission(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(submission_id): Path<String>,
    JsonBody(upload): JsonBody<SubmissionUpload>,
) -> Result<(StatusCode, Json<Receipt>), ServerError> {
    let kind = upload.kind;
    let stored = crate::submissions::submit(
        state.storage(),
        state.in_flight(),
        who.account.id,
        &submission_id,
        upload,
    )
    .await;
    let outcome = match &stored {
        Ok(receipt) if receipt.replayed => Outcome::Replayed,
        Ok(_) => Outcome::Stored,
        Err(SubmissionError::InFlight(_) | SubmissionError::Storage(_)) => Outcome::Busy,
        Err(_) => Outcome::Refused,
    };
    state.metrics().count_submission(kind, outcome);
    let receipt = stored?;
    let status = if receipt.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(receipt)))
}

/// The signed-in learner's own submission; 404 for an id they do not have (another's included).
pub async fn get_submission(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(submission_id): Path<String>,
) -> Result<Json<SubmissionStatus>, ServerError> {
    crate::tutor::status(state.storage(), who.account.id, &submission_id)
        .await?
        .map(Json)
        .ok_or(ServerError::Tutor(crate::tutor::TutorError::NotFound(
            submission_id,
        )))
}
