//! Signing in to the course server and keeping the session usable: the access token is refreshed
//! shortly before it expires (each refresh token works once, so the new pair is stored before it
//! is used), and a server that no longer accepts the session makes the app ask the learner to sign
//! in again — keeping every queued submission.

use std::sync::Mutex;

use carrel_protocol::auth::{REFRESH_PATH, Refresh, SIGN_IN_PATH, SIGN_OUT_PATH, SignIn, Tokens};

use super::credentials::{Credentials, CredentialsError, StoreKind, StoredSession};
use crate::http::HttpClient;
use crate::settings::ServerUrl;

/// Refresh the access token when it has less than this long to live (ms).
pub const REFRESH_MARGIN_MS: u64 = 60_000;

/// Why signing in or refreshing failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The server refused the login and password (or the session, on a refresh).
    #[error("{0}")]
    Refused(String),
    /// No session: the learner has not signed in, or signed out.
    #[error("you are not signed in to the course server; sign in to send your work")]
    SignedOut,
    /// The server could not be reached or failed; nothing changed.
    #[error("the course server could not be reached ({0}); try again when you are online")]
    Unavailable(String),
    /// The session could not be kept on this device.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
}

async fn post_tokens<B: serde::Serialize>(
    http: &HttpClient,
    url: String,
    body: &B,
) -> Result<Tokens, SessionError> {
    let response = http
        .inner()
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|error| SessionError::Unavailable(error.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .await
            .map_err(|error| SessionError::Unavailable(format!("unreadable answer: {error}")));
    }
    if status.is_client_error() {
        let error = response.json::<carrel_protocol::ApiError>().await.ok();
        // A 429 is a refusal only when it is the server's lock on wrong passwords (its message
        // says how long to wait); any other 429 is load, to retry later.
        if status != http::StatusCode::TOO_MANY_REQUESTS
            || error
                .as_ref()
                .is_some_and(|e| e.code == "too_many_attempts")
        {
            let message =
                error.map_or_else(|| format!("The server refused ({status})."), |e| e.message);
            return Err(SessionError::Refused(message));
        }
    }
    Err(SessionError::Unavailable(format!(
        "the server answered {status}"
    )))
}

/// The signed-in session of the app: in memory, backed by [`Credentials`].
#[derive(Debug)]
pub struct SessionManager {
    credentials: Credentials,
    current: Mutex<Option<StoredSession>>,
    /// Serialises refreshes: two at once would spend the refresh token twice and end the session.
    refreshing: tokio::sync::Mutex<()>,
}

impl SessionManager {
    /// Loads the kept session, if any. Blocking (the OS credential store).
    pub fn load(credentials: Credentials) -> Self {
        let current = credentials.load().unwrap_or_else(|error| {
            tracing::warn!(%error, "the kept session could not be read; sign in again");
            None
        });
        Self {
            credentials,
            current: Mutex::new(current),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// The current session, if signed in.
    pub fn current(&self) -> Option<StoredSession> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Which store holds the session on this device.
    pub fn kept_in(&self) -> Option<StoreKind> {
        self.credentials.kept_in()
    }

    fn set(&self, session: Option<StoredSession>) {
        *self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = session;
    }

    async fn keep(&self, session: StoredSession) -> Result<StoreKind, SessionError> {
        let credentials = self.credentials.clone();
        let saved = session.clone();
        let kind = tokio::task::spawn_blocking(move || credentials.save(&saved))
            .await
            .map_err(|error| SessionError::Unavailable(error.to_string()))??;
        self.set(Some(session));
        Ok(kind)
    }

    /// Signs in to `server`; keeps the session and answers where it is kept.
    pub async fn sign_in(
        &self,
        http: &HttpClient,
        server: &ServerUrl,
        login: &str,
        password: &str,
        device: Option<String>,
    ) -> Result<(StoredSession, StoreKind), SessionError> {
        let request = SignIn {
            login: login.trim().to_owned(),
            password: password.to_owned(),
            device,
        };
        let tokens = post_tokens(http, server.join(SIGN_IN_PATH), &request).await?;
        let session = StoredSession::new(server.as_str(), tokens);
        let kind = self.keep(session.clone()).await?;
        Ok((session, kind))
    }

    /// An access token for `server` valid for at least [`REFRESH_MARGIN_MS`], refreshing when
    /// needed. [`SessionError::SignedOut`] when there is no session for this server or the server
    /// ended it (the learner must sign in again).
    pub async fn access_token(
        &self,
        http: &HttpClient,
        server: &ServerUrl,
        now_ms: u64,
    ) -> Result<(String, i64), SessionError> {
        self.token(http, server, Some(now_ms)).await
    }

    /// A new access token after the server refused the current one (401): the device's clock may
    /// be wrong about its expiry, or the server restarted its sessions' access tokens. Only when
    /// the refresh is refused too is the session over ([`SessionError::SignedOut`]).
    pub async fn refreshed_token(
        &self,
        http: &HttpClient,
        server: &ServerUrl,
    ) -> Result<(String, i64), SessionError> {
        self.token(http, server, None).await
    }

    /// The current token when `now_ms` says it is still good, else a refreshed one.
    async fn token(
        &self,
        http: &HttpClient,
        server: &ServerUrl,
        now_ms: Option<u64>,
    ) -> Result<(String, i64), SessionError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let session = self
            .current()
            .filter(|s| s.server == server.as_str())
            .ok_or(SessionError::SignedOut)?;
        if now_ms.is_some_and(|now| session.access_expires_ms > now + REFRESH_MARGIN_MS) {
            return Ok((session.access_token, session.account.id));
        }
        let request = Refresh {
            refresh_token: session.refresh_token.clone(),
        };
        match post_tokens(http, server.join(REFRESH_PATH), &request).await {
            Ok(tokens) => {
                let fresh = StoredSession::new(server.as_str(), tokens);
                self.keep(fresh.clone()).await?;
                Ok((fresh.access_token, fresh.account.id))
            }
            Err(SessionError::Refused(message)) => {
                tracing::info!(%message, "the course server ended the session");
                self.forget_tokens().await;
                Err(SessionError::SignedOut)
            }
            Err(error) => Err(error),
        }
    }

    /// The server refused the access token (401): forget the session so the learner is asked to
    /// sign in again. Queued work stays queued.
    pub async fn forget_tokens(&self) {
        self.set(None);
        let credentials = self.credentials.clone();
        if let Ok(Err(error)) = tokio::task::spawn_blocking(move || credentials.clear()).await {
            tracing::warn!(%error, "the ended session could not be removed from this device");
        }
    }

    /// Signs out: tells the server (when it can be reached) and forgets the session here.
    pub async fn sign_out(&self, http: &HttpClient) -> Result<(), SessionError> {
        if let Some(session) = self.current()
            && let Ok(server) = ServerUrl::parse(&session.server)
        {
            let sent = http
                .inner()
                .post(server.join(SIGN_OUT_PATH))
                .bearer_auth(&session.access_token)
                .send()
                .await;
            if let Err(error) = sent {
                tracing::info!(%error, "signed out on this device only: the server was not reached");
            }
        }
        self.forget_tokens().await;
        Ok(())
    }
}
