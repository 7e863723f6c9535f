//! `GET /api/v1/transcript`: the signed-in account's own transcript. See [`crate::programmes`].

use axum::Json;
use axum::extract::State;
use carrel_protocol::transcript::Transcript;

use crate::AppState;
use crate::error::ServerError;
use crate::handlers::auth::Auth;

/// The account's certificates and its progress in every programme, whatever its role.
pub async fn get_transcript(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<Transcript>, ServerError> {
    Ok(Json(
        crate::programmes::transcript(state.storage(), &who.account).await?,
    ))
}
