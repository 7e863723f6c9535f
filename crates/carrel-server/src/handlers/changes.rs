//! `GET /api/v1/changes?after=&limit=`: see [`crate::changes`].

use axum::Json;
use axum::extract::State;
use carrel_protocol::changes::ChangesPage;
use serde::Deserialize;

use crate::AppState;
use crate::error::ServerError;
use crate::handlers::auth::Auth;
use crate::handlers::query::QueryParams;

/// The cursor and page size.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
}

/// The signed-in account's changes after the cursor.
pub async fn get_changes(
    State(state): State<AppState>,
    Auth(who): Auth,
    QueryParams(query): QueryParams<ChangesQuery>,
) -> Result<Json<ChangesPage>, ServerError> {
    if query.after < 0 {
        return Err(ServerError::MalformedRequest(format!(
            "after must be 0 or a cursor the server gave, not {}",
            query.after
        )));
    }
    Ok(Json(
        crate::changes::page(state.storage(), who.account.id, query.after, query.limit).await?,
    ))
}
