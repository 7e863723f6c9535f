//! `GET /api/v1/enrolments`: see [`crate::enrolments`].

use axum::Json;
use axum::extract::State;
use carrel_protocol::tutor::Enrolment;

use crate::AppState;
use crate::error::ServerError;
use crate::handlers::auth::Auth;

/// The signed-in account's enrolments, by course id, with the other members of each group.
pub async fn get_enrolments(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> Result<Json<Vec<Enrolment>>, ServerError> {
    Ok(Json(
        crate::enrolments::list_for(state.storage(), who.account.id).await?,
    ))
}
