//! Which course server this installation talks to.
//!
//! The address comes from, in order: the `CARREL_SERVER_URL` environment variable (for deployments,
//! tests and the demo), the learner's saved setting, or [`DEFAULT_SERVER_URL`]. Addresses are
//! validated before they are saved or used, with a message that says what to type instead.

use std::fmt;

use serde::Serialize;
use ts_rs::TS;
use url::Url;

/// The environment variable that overrides the saved server address.
pub const SERVER_URL_ENV: &str = "CARREL_SERVER_URL";

/// The address used when nothing else is configured: a course server on this computer.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:7878";

/// A validated course server address: `http` or `https`, a host, no credentials, query or fragment.
/// Stored without a trailing slash so paths can be appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl(Url);

/// Why a text is not a usable course server address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerUrlError {
    /// Nothing was entered.
    #[error("Enter the address of your course server, for example https://courses.example.org")]
    Empty,
    /// Not a web address at all.
    #[error(
        "\u{201c}{0}\u{201d} is not a web address. Enter it in full, for example \
         https://courses.example.org"
    )]
    NotAUrl(String),
    /// A scheme other than http or https.
    #[error(
        "The address must start with https:// (or http:// for a server on this network), not {0}://"
    )]
    Scheme(String),
    /// A user name or password inside the address (it would be stored in plain text).
    #[error(
        "Remove the user name or password from the address; Carrel asks for them when you sign in"
    )]
    Credentials,
    /// A query string or fragment, which cannot be a server root.
    #[error("The address must not contain ?\u{2026} or #\u{2026}; enter only the server address")]
    QueryOrFragment,
}

impl ServerUrl {
    /// Parses and validates a server address typed by a person or read from configuration.
    pub fn parse(text: &str) -> Result<Self, ServerUrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ServerUrlError::Empty);
        }
        let url = Url::parse(text).map_err(|_| ServerUrlError::NotAUrl(text.to_owned()))?;
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(ServerUrlError::Scheme(other.to_owned())),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ServerUrlError::NotAUrl(text.to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ServerUrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ServerUrlError::QueryOrFragment);
        }
        let trimmed = url.as_str().trim_end_matches('/').to_owned();
        let url = Url::parse(&trimmed).map_err(|_| ServerUrlError::NotAUrl(text.to_owned()))?;
        Ok(Self(url))
    }

    /// The address as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The full address of an API path such as `/health`.
    pub fn join(&self, path: &str) -> String {
        format!("{}/{}", self.as_str(), path.trim_start_matches('/'))
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the server address in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ServerUrlSource {
    /// `CARREL_SERVER_URL`; the learner cannot change it from Settings.
    Environment,
    /// The learner's saved setting.
    Settings,
    /// Nothing configured: [`DEFAULT_SERVER_URL`].
    Default,
}

/// The server address in use and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedServerUrl {
    /// The address.
    pub url: ServerUrl,
    /// Its source.
    pub source: ServerUrlSource,
}

/// Decides which server address to use. An invalid environment value or saved setting is skipped
/// with a warning rather than stopping the app: Carrel must still open and work offline.
pub fn resolve_server_url(env_value: Option<&str>, saved: Option<&str>) -> ResolvedServerUrl {
    if let Some(value) = env_value.filter(|v| !v.trim().is_empty()) {
        match ServerUrl::parse(value) {
            Ok(url) => {
                return ResolvedServerUrl {
                    url,
                    source: ServerUrlSource::Environment,
                };
            }
            Err(error) => tracing::warn!(%error, "ignoring {SERVER_URL_ENV}"),
        }
    }
    if let Some(value) = saved {
        match ServerUrl::parse(value) {
            Ok(url) => {
                return ResolvedServerUrl {
                    url,
                    source: ServerUrlSource::Settings,
                };
            }
            Err(error) => tracing::warn!(%error, "ignoring the saved server address"),
        }
    }
    ResolvedServerUrl {
        url: default_server_url(),
        source: ServerUrlSource::Default,
    }
}

/// [`DEFAULT_SERVER_URL`], parsed.
pub fn default_server_url() -> ServerUrl {
    ServerUrl::parse(DEFAULT_SERVER_URL).unwrap_or_else(|e| unreachable!("default is valid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_server_addresses() {
        for (input, expected) in [
            ("https://courses.example.org", "https://courses.example.org"),
            (
                "https://courses.example.org/",
                "https://courses.example.org",
            ),
            ("  http://127.0.0.1:7878  ", "http://127.0.0.1:7878"),
            ("https://example.org/carrel/", "https://example.org/carrel"),
            ("HTTPS://Example.ORG", "https://example.org"),
        ] {
            let url = ServerUrl::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(url.as_str(), expected, "normalised form of {input:?}");
        }
    }

    #[test]
    fn joins_paths_without_doubling_slashes() {
        let url = ServerUrl::parse("https://example.org/carrel/").unwrap();
        assert_eq!(url.join("/health"), "https://example.org/carrel/health");
        assert_eq!(url.join("health"), "https://example.org/carrel/health");
    }

    #[test]
    fn refuses_bad_addresses_with_a_reason() {
        for (input, expected) in [
            ("", ServerUrlError::Empty),
            ("   ", ServerUrlError::Empty),
            (
                "courses.example.org",
                ServerUrlError::NotAUrl("courses.example.org".into()),
            ),
            ("ftp://example.org", ServerUrlError::Scheme("ftp".into())),
            ("file:///etc/passwd", ServerUrlError::Scheme("file".into())),
            (
                "javascript:alert(1)",
                ServerUrlError::Scheme("javascript".into()),
            ),
            ("https://me:secret@example.org", ServerUrlError::Credentials),
            ("https://example.org/?a=1", ServerUrlError::QueryOrFragment),
            ("https://example.org/#x", ServerUrlError::QueryOrFragment),
        ] {
            assert_eq!(ServerUrl::parse(input), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn environment_beats_settings_beats_default() {
        let both = resolve_server_url(Some("http://env:1"), Some("http://saved:2"));
        assert_eq!(
            (both.url.as_str(), both.source),
            ("http://env:1", ServerUrlSource::Environment)
        );
        let saved = resolve_server_url(None, Some("http://saved:2"));
        assert_eq!(
            (saved.url.as_str(), saved.source),
            ("http://saved:2", ServerUrlSource::Settings)
        );
        let none = resolve_server_url(Some(""), None);
        assert_eq!(
            (none.url.as_str(), none.source),
            (DEFAULT_SERVER_URL, ServerUrlSource::Default)
        );
    }

    #[test]
    fn invalid_values_fall_through_instead_of_failing() {
        let bad_env = resolve_server_url(Some("not a url"), Some("http://saved:2"));
        assert_eq!(bad_env.source, ServerUrlSource::Settings);
        let bad_both = resolve_server_url(Some("ftp://x"), Some("nope"));
        assert_eq!(bad_both.source, ServerUrlSource::Default);
    }
}
