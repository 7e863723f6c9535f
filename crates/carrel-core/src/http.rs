//! The one HTTP client Carrel's network calls go through.
//!
//! Centralised so that timeouts, the user agent and TLS set-up are decided once. TLS uses rustls with
//! the `ring` provider (the same one the updater plugin installs), so no system OpenSSL is needed.

use std::time::Duration;

/// Connect and whole-request timeouts for small API calls. Large downloads set their own.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A configured HTTP client. Cheap to clone (connection pool is shared).
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    /// The access token course downloads send, when the learner is signed in.
    bearer: Option<std::sync::Arc<str>>,
}

/// The client could not be set up (TLS back end unavailable).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the network client: {0}")]
pub struct HttpClientError(#[from] reqwest::Error);

impl HttpClient {
    /// Builds the client.
    pub fn new() -> Result<Self, HttpClientError> {
        // Installing fails only when a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let inner = reqwest::Client::builder()
            .user_agent(concat!("Carrel/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        Ok(Self {
            inner,
            bearer: None,
        })
    }

    /// The underlying reqwest client, for modules of this crate that make requests.
    pub(crate) fn inner(&self) -> &reqwest::Client {
        &self.inner
    }

    /// A client sharing this one's connections that sends `token` as `Authorization: Bearer` on
    /// course requests ([`HttpClient::get`]): the catalogue and downloads of courses open only to
    /// enrolled learners.
    pub fn signed_in(&self, token: Option<String>) -> Self {
        Self {
            inner: self.inner.clone(),
            bearer: token.map(Into::into),
        }
    }

    /// A `GET` of a course resource, with the access token when signed in.
    pub(crate) fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        let request = self.inner.get(url);
        match &self.bearer {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// The whole-request timeout for small API calls.
    pub fn request_timeout(&self) -> Duration {
        REQUEST_TIMEOUT
    }
}

/// A network failure in words for the learner ("the course server could not be reached"), without
/// the URL and library details a raw error carries (those go to the debug log).
pub(crate) fn describe(error: &reqwest::Error) -> &'static str {
    tracing::debug!(%error, "network request failed");
    if error.is_connect() {
        "the course server could not be reached"
    } else if error.is_timeout() {
        "the course server did not answer in time"
    } else if error.is_body() || error.is_decode() {
        "the connection was cut before the answer arrived"
    } else {
        "the connection to the course server failed"
    }
}
