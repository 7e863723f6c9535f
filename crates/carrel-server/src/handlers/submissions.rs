//! `PUT /api/v1/submissions/{submission_id}`: see [`crate::submissions`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use carrel_protocol::submissions::{Receipt, SubmissionUpload};

use crate::AppState;
use crate::error::ServerError;
use crate::handlers::auth::Auth;
use crate::handlers::json::JsonBody;

/// Stores a submission once; 201 with its receipt, or 200 with the first receipt on a retry.
pub async fn put_submission(
    State(state): State<AppState>,
    Auth(who): Auth,
    Path(submission_id): Path<String>,
    JsonBody(upload): JsonBody<SubmissionUpload>,
) -> Result<(StatusCode, Json<Receipt>), ServerError> {
    let receipt = crate::submissions::submit(
        state.storage(),
        state.in_flight(),
        who.account.id,
        &submission_id,
        upload,
    )
    .await?;
    let status = if receipt.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(receipt)))
}
