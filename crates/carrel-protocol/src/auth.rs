//! Accounts and sign-in: the bodies of the `/api/v1/auth/*` endpoints and `/api/v1/me`.
//!
//! Signing in gives two opaque tokens: a short-lived **access token**, sent as
//! `Authorization: Bearer <token>` on every authenticated request, and a long-lived **refresh
//! token**, exchanged at [`REFRESH_PATH`] for a new pair. Each refresh token works once: using
//! one again (a stolen copy, or a replay) revokes the whole session. The server stores only the
//! tokens' SHA-256, so its database never holds a usable token.

use serde::{Deserialize, Serialize};

/// `POST`: sign in with a login and password.
pub const SIGN_IN_PATH: &str = "/api/v1/auth/sign-in";
/// `POST`: exchange a refresh token for a new pair.
pub const REFRESH_PATH: &str = "/api/v1/auth/refresh";
/// `POST` (authenticated): end the session; its tokens stop working at once.
pub const SIGN_OUT_PATH: &str = "/api/v1/auth/sign-out";
/// `GET` (authenticated): who the token belongs to.
pub const ME_PATH: &str = "/api/v1/me";

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes courses, submits work, sees their own grades.
    Learner,
    /// Grades and comments the submissions of their courses.
    Tutor,
    /// Everything, including accounts and publishing.
    Admin,
}

/// Body of [`SIGN_IN_PATH`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignIn {
    /// The account's login (case does not matter).
    pub login: String,
    /// Its password.
    pub password: String,
    /// A name for this device, shown to the learner among their sessions (optional).
    #[serde(default)]
    pub device: Option<String>,
}

/// Body of [`REFRESH_PATH`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Refresh {
    /// The refresh token last received.
    pub refresh_token: String,
}

/// An account, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The server's id of the account.
    pub id: i64,
    /// Its login.
    pub login: String,
    /// The name shown for it.
    pub display_name: String,
    /// What it may do.
    pub role: Role,
}

/// The answer to a sign-in or a refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    /// Send as `Authorization: Bearer …`.
    pub access_token: String,
    /// When it stops working (ms since the epoch, server clock).
    pub access_expires_ms: u64,
    /// Exchange at [`REFRESH_PATH`]; works once.
    pub refresh_token: String,
    /// When it stops working (ms since the epoch, server clock).
    pub refresh_expires_ms: u64,
    /// Whose tokens these are.
    pub account: Account,
}
