//! Sign-in, refresh, sign-out and `me`, and the [`Auth`] extractor every authenticated handler
//! takes: it reads `Authorization: Bearer <access token>` and answers 401 (with
//! `WWW-Authenticate: Bearer`) for a missing, unknown, expired or revoked token.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use carrel_protocol::auth::{Account, Refresh, SignIn, Tokens};

use crate::AppState;
use crate::accounts::{self, Authenticated};
use crate::error::ServerError;
use crate::handlers::json::JsonBody;

/// The signed-in account of a request.
#[derive(Debug, Clone)]
pub struct Auth(pub Authenticated);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or(ServerError::Auth(accounts::AuthError::Unauthenticated))?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ServerError::Auth(accounts::AuthError::Unauthenticated))?;
        Ok(Auth(accounts::authenticate(state.storage(), token).await?))
    }
}

/// `POST /api/v1/auth/sign-in`.
pub async fn sign_in(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SignIn>,
) -> Result<Json<Tokens>, ServerError> {
    Ok(Json(
        accounts::sign_in(state.storage(), state.auth_config(), request).await?,
    ))
}

/// `POST /api/v1/auth/refresh`.
pub async fn refresh(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<Refresh>,
) -> Result<Json<Tokens>, ServerError> {
    Ok(Json(
        accounts::refresh(state.storage(), state.auth_config(), &request.refresh_token).await?,
    ))
}

/// `POST /api/v1/auth/sign-out`.
pub async fn sign_out(
    State(state): State<AppState>,
    Auth(who): Auth,
) -> Result<StatusCode, ServerError> {
    accounts::sign_out(state.storage(), &who.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me`.
pub async fn me(Auth(who): Auth) -> Json<Account> {
    Json(who.account)
}
