//! Sign-in, refresh, sign-out and `me`, and the [`Auth`] extractor every authenticated handler
//! takes: it reads `Authorization: Bearer <access token>` and answers 401 (with
//! `WWW-Authenticate: Bearer`) for a missing, unknown, expired or revoked token; and [`MaybeAuth`]
//! for the catalogue and downloads, where a token is optional.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use carrel_protocol::auth::{Account, Refresh, SignIn, Tokens};

use crate::AppState;
use crate::access::Viewer;
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
        match MaybeAuth::from_request_parts(parts, state).await? {
            MaybeAuth(Some(who)) => Ok(Auth(who)),
            MaybeAuth(None) => Err(ServerError::Auth(accounts::AuthError::Unauthenticated)),
        }
    }
}

/// The signed-in account of a request where signing in is optional: `None` without an
/// `Authorization` header. A header that is there but not a valid access token is refused (401),
/// never taken as anonymous: a client with a stale token must learn that it has to refresh.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Authenticated>);

impl MaybeAuth {
    /// Who is asking, for the catalogue's access rules.
    pub fn viewer(&self) -> Viewer {
        self.0
            .as_ref()
            .map_or_else(Viewer::anonymous, |who| Viewer::account(&who.account))
    }
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(MaybeAuth(None));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|header| header.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(ServerError::Auth(accounts::AuthError::Unauthenticated))?;
        Ok(MaybeAuth(Some(
            accounts::authenticate(state.storage(), token).await?,
        )))
    }
}

/// `POST /api/v1/auth/sign-in`.
pub async fn sign_in(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SignIn>,
) -> Result<Json<Tokens>, ServerError> {
    let throttle = state.sign_in_throttle();
    let login = request.login.clone();
    if let Some(wait) = throttle.locked_for(&login) {
        return Err(ServerError::TooManyAttempts {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    match accounts::sign_in(state.storage(), state.auth_config(), request).await {
        Ok(tokens) => {
            throttle.succeeded(&login);
            Ok(Json(tokens))
        }
        Err(accounts::AuthError::BadCredentials) => {
            throttle.failed(&login);
            Err(accounts::AuthError::BadCredentials.into())
        }
        Err(error) => Err(error.into()),
    }
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
