//! Accounts, sign-in and sessions.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults, OWASP's minimum: 19 MiB,
//!   2 passes) into PHC strings; hashing runs on a blocking thread, never holding the database.
//! - A sign-in creates a *session* and gives an opaque **access token** (15 minutes by default)
//!   and **refresh token** (30 days), 256 random bits each. Only their SHA-256 is stored, so the
//!   database never holds a usable credential, and a session can be revoked at once.
//! - A refresh token works once: refreshing rotates it and keeps the old one's hash as *spent*.
//!   Presenting a spent token (a stolen copy, or a replay) revokes the whole session, so the thief
//!   and the owner are both signed out and the owner signs in again.
//! - A wrong password and an unknown login get the same answer after the same work (an unknown
//!   login is verified against a dummy hash), so logins cannot be probed.

use std::sync::OnceLock;
use std::time::Duration;

use crate::storage::sql::{OptionalExtension, params};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use carrel_protocol::auth::{Account, Role, SignIn, Tokens};

use crate::storage::{Storage, StorageError};

/// How long tokens live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthConfig {
    /// Access tokens.
    pub access_ttl: Duration,
    /// Refresh tokens (and so sessions, when not refreshed).
    pub refresh_ttl: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 60 * 60),
        }
    }
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Another account has this login.
    #[error("an account with the login “{0}” already exists")]
    LoginTaken(String),
    /// The login is empty, too long or has spaces or control characters.
    #[error("the login “{0}” is not valid: use 1–254 characters without spaces")]
    InvalidLogin(String),
    /// The password is too short.
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    /// Hashing failed.
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// Why a request is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Unknown login, wrong password or disabled account (one answer for all three).
    #[error("the login or the password is not right")]
    BadCredentials,
    /// No token, or one this server did not issue, or of a revoked session.
    #[error("sign in to do this")]
    Unauthenticated,
    /// The access token has expired; refresh it.
    #[error("the access token has expired; refresh it or sign in again")]
    Expired,
    /// The refresh token is unknown, expired or of a revoked session.
    #[error("this session has ended; sign in again")]
    SessionEnded,
}

/// Shortest password accepted when an account is created.
pub const MIN_PASSWORD_CHARS: usize = 10;

fn now_ms() -> i64 {
    carrel_protocol::unix_time_ms() as i64
}

fn token(prefix: &str) -> Result<String, StorageError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| StorageError::Task(error.to_string()))?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The stored form of a token.
fn token_hash(token: &str) -> String {
    crate::sha256_hex(token.as_bytes())
}

fn role_of(text: &str) -> Role {
    match text {
        "admin" => Role::Admin,
        "tutor" => Role::Tutor,
        _ => Role::Learner,
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Learner => "learner",
        Role::Tutor => "tutor",
        Role::Admin => "admin",
    }
}

fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|error| AccountError::Hash(error.to_string()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|error| AccountError::Hash(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AccountError::Hash(error.to_string()))
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash no password is known for, verified against when the login is unknown.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("no account has this password; it only spends the same time")
            .unwrap_or_default()
    })
}

/// Creates an account.
pub async fn create_user(
    storage: &Storage,
    login: &str,
    display_name: &str,
    password: &str,
    role: Role,
) -> Result<Account, AccountError> {
    let login = login.trim().to_owned();
    if login.is_empty()
        || login.chars().count() > 254
        || login.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AccountError::InvalidLogin(login));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::WeakPassword);
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AccountError::Hash(error.to_string()))??;
    let display_name = display_name.trim().to_owned();
    let taken = login.clone();
    let result = storage
        .transact(move |tx| {
            let exists: bool = tx.query_row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM users WHERE {})",
                    tx.dialect().same_login("login", "?1")
                ),
                [&login],
                |row| row.get(0),
            )?;
            if exists {
                return Ok(None);
            }
            let id = tx.query_row(
                "INSERT INTO users (login, display_name, password_hash, role, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![login, display_name, hash, role_name(role), now_ms()],
                |row| row.get(0),
            )?;
            Ok(Some(Account {
                id,
                login: login.clone(),
                display_name: display_name.clone(),
                role,
            }))
        })
        .await?;
    result.ok_or(AccountError::LoginTaken(taken))
}

/// Turns an account off (its sessions end) or on again.
pub async fn set_disabled(
    storage: &Storage,
    login: &str,
    disabled: bool,
) -> Result<bool, StorageError> {
    let login = login.to_owned();
    storage
        .transact(move |tx| {
            let same_login = tx.dialect().same_login("login", "?1");
            let changed = tx.execute(
                &format!("UPDATE users SET disabled = ?2 WHERE {same_login}"),
                params![login, disabled],
            )?;
            if disabled {
                tx.execute(
                    &format!(
                        "UPDATE sessions SET revoked_ms = ?2
                         WHERE revoked_ms IS NULL
                           AND user_id = (SELECT id FROM users WHERE {same_login})"
                    ),
                    params![login, now_ms()],
                )?;
            }
            Ok(changed == 1)
        })
        .await
}

fn issue_in(
    tx: &crate::storage::sql::Conn<'_>,
    config: &AuthConfig,
    session_id: &str,
    account: Account,
    now: i64,
) -> Result<Tokens, StorageError> {
    let access = token("ca_")?;
    let refresh = token("cr_")?;
    let access_expires = now + config.access_ttl.as_millis() as i64;
    let refresh_expires = now + config.refresh_ttl.as_millis() as i64;
    tx.execute(
        "INSERT INTO access_tokens (hash, session_id, expires_ms) VALUES (?1, ?2, ?3)",
        params![token_hash(&access), session_id, access_expires],
    )?;
    tx.execute(
        "UPDATE sessions SET refresh_hash = ?2, refreshed_ms = ?3, expires_ms = ?4 WHERE id = ?1",
        params![session_id, token_hash(&refresh), now, refresh_expires],
    )?;
    // Expired access tokens of this session are of no use to anyone.
    tx.execute(
        "DELETE FROM access_tokens WHERE session_id = ?1 AND expires_ms < ?2",
        params![session_id, now],
    )?;
    Ok(Tokens {
        access_token: access,
        access_expires_ms: access_expires as u64,
        refresh_token: refresh,
        refresh_expires_ms: refresh_expires as u64,
        account,
    })
}

fn account_row(row: &crate::storage::sql::Row) -> crate::storage::sql::Result<Account> {
    let role: String = row.get(3)?;
    Ok(Account {
        id: row.get(0)?,
        login: row.get(1)?,
        display_name: row.get(2)?,
        role: role_of(&role),
    })
}

/// Signs in: checks the password and opens a session.
pub async fn sign_in(
    storage: &Storage,
    config: &AuthConfig,
    request: SignIn,
) -> Result<Tokens, AuthError> {
    let login = request.login.trim().to_owned();
    let found = storage
        .with_conn(move |conn| {
            Ok(conn
                .query_row(
                    &format!(
                        "SELECT id, login, display_name, role, password_hash, disabled FROM users
                         WHERE {}",
                        conn.dialect().same_login("login", "?1")
                    ),
                    [&login],
                    |row| {
                        Ok((
                            account_row(row)?,
                            row.get::<String>(4)?,
                            row.get::<bool>(5)?,
                        ))
                    },
                )
                .optional()?)
        })
        .await?;
    let password = request.password;
    let (hash, usable) = match &found {
        Some((_, hash, disabled)) => (hash.clone(), !disabled),
        None => (dummy_hash().to_owned(), false),
    };
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|error| StorageError::Task(error.to_string()))?;
    let Some((account, _, _)) = found.filter(|_| matches && usable) else {
        return Err(AuthError::BadCredentials);
    };
    let config = *config;
    let device = request
        .device
        .map(|d| d.chars().take(200).collect::<String>());
    Ok(storage
        .transact(move |tx| {
            let now = now_ms();
            let session_id = uuid_like()?;
            tx.execute(
                "INSERT INTO sessions (id, user_id, device, refresh_hash, created_ms, refreshed_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
                params![session_id, account.id, device, format!("pending:{session_id}"), now],
            )?;
            issue_in(tx, &config, &session_id, account.clone(), now)
        })
        .await?)
}

fn uuid_like() -> Result<String, StorageError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| StorageError::Task(error.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A session and its account, as both token checks read them: `(session id, expires, revoked,
/// account disabled, account)`.
type SessionRow = (String, i64, Option<i64>, bool, Account);

/// Reads a session and its account: `expiry` is the column that says when the token expires,
/// `from` joins the token's table to `sessions s` and `users u` and selects the token by its hash
/// (`?1`).
fn session_of(
    conn: &crate::storage::sql::Conn<'_>,
    expiry: &str,
    from: &str,
    hash: &str,
) -> crate::storage::sql::Result<Option<SessionRow>> {
    conn.query_row(
        &format!(
            "SELECT {expiry}, s.id, s.revoked_ms, u.disabled, u.id, u.login, u.display_name, u.role
             FROM {from}"
        ),
        [&hash],
        |row| {
            Ok((
                row.get::<String>(1)?,
                row.get::<i64>(0)?,
                row.get::<Option<i64>>(2)?,
                row.get::<bool>(3)?,
                Account {
                    id: row.get(4)?,
                    login: row.get(5)?,
                    display_name: row.get(6)?,
                    role: role_of(&row.get::<String>(7)?),
                },
            ))
        },
    )
    .optional()
}

/// Exchanges a refresh token for a new pair; a spent one revokes its session.
pub async fn refresh(
    storage: &Storage,
    config: &AuthConfig,
    refresh_token: &str,
) -> Result<Tokens, AuthError> {
    let hash = token_hash(refresh_token);
    let config = *config;
    storage
        .transact(move |tx| {
            let now = now_ms();
            let current = session_of(
                tx,
                "s.expires_ms",
                "sessions s JOIN users u ON u.id = s.user_id WHERE s.refresh_hash = ?1",
                &hash,
            )?;
            let Some((session_id, expires, revoked, disabled, account)) = current else {
                // A spent token: someone replays it. End that session for everyone.
                let spent: Option<String> = tx
                    .query_row(
                        "SELECT session_id FROM spent_refresh WHERE hash = ?1",
                        [&hash],
                        |row| row.get(0),
                    )
                    .optional()?;
                if let Some(session_id) = spent {
                    tracing::warn!(
                        session_id,
                        "a spent refresh token was presented; session revoked"
                    );
                    tx.execute(
                        "UPDATE sessions SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1",
                        params![session_id, now],
                    )?;
                    return Ok(Err(AuthError::SessionEnded));
                }
                return Ok(Err(AuthError::SessionEnded));
            };
            if revoked.is_some() || disabled || expires <= now {
                return Ok(Err(AuthError::SessionEnded));
            }
            tx.execute(
                "INSERT INTO spent_refresh (hash, session_id) VALUES (?1, ?2)",
                params![hash, session_id],
            )?;
            Ok(Ok(issue_in(tx, &config, &session_id, account, now)?))
        })
        .await?
}

/// Who an access token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The account.
    pub account: Account,
    /// The session the token belongs to.
    pub session_id: String,
}

/// Checks an access token.
pub async fn authenticate(
    storage: &Storage,
    access_token: &str,
) -> Result<Authenticated, AuthError> {
    let hash = token_hash(access_token);
    storage
        .with_conn(move |conn| {
            let found = session_of(
                conn,
                "t.expires_ms",
                "access_tokens t JOIN sessions s ON s.id = t.session_id
                 JOIN users u ON u.id = s.user_id WHERE t.hash = ?1",
                &hash,
            )?;
            Ok(match found {
                None => Err(AuthError::Unauthenticated),
                Some((_, _, Some(_), _, _)) | Some((_, _, _, true, _)) => {
                    Err(AuthError::Unauthenticated)
                }
                Some((_, expires, _, _, _)) if expires <= now_ms() => Err(AuthError::Expired),
                Some((session_id, _, None, false, account)) => Ok(Authenticated {
                    account,
                    session_id,
                }),
            })
        })
        .await?
}

/// Ends a session: its access and refresh tokens stop working at once.
pub async fn sign_out(storage: &Storage, session_id: &str) -> Result<(), StorageError> {
    let session_id = session_id.to_owned();
    storage
        .transact(move |tx| {
            tx.execute(
                "UPDATE sessions SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1",
                params![session_id, now_ms()],
            )?;
            tx.execute(
                "DELETE FROM access_tokens WHERE session_id = ?1",
                [&session_id],
            )?;
            Ok(())
        })
        .await
}

/// Failed sign-ins of one login before it is locked.
pub const FREE_FAILURES: u32 = 5;
/// The first lock; each further failure doubles it, up to [`MAX_LOCK`].
pub const FIRST_LOCK: std::time::Duration = std::time::Duration::from_secs(30);
/// The longest lock.
pub const MAX_LOCK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Slows password guessing: after [`FREE_FAILURES`] wrong passwords in a row for a login, that
/// login is locked for [`FIRST_LOCK`], doubling with each further failure up to [`MAX_LOCK`].
/// While locked, sign-in answers 429 with `Retry-After` without checking the password (so the
/// lock cannot be used to test guesses). A success resets the count. In memory: a restart forgets
/// it, which costs an attacker a server restart per few guesses. Keyed by the login as typed,
/// case-folded, whether or not the account exists (so the answer does not reveal which do).
#[derive(Debug, Default)]
pub struct SignInThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, i64)>>,
}

/// Entries kept before expired locks are swept.
const THROTTLE_SWEEP: usize = 10_000;

impl SignInThrottle {
    fn key(login: &str) -> String {
        login.trim().to_lowercase()
    }

    /// How long `login` must still wait, if it is locked.
    pub fn locked_for(&self, login: &str) -> Option<std::time::Duration> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let (_, until) = failures.get(&Self::key(login))?;
        let left = until - now_ms();
        (left > 0).then(|| std::time::Duration::from_millis(left as u64))
    }

    /// Records a wrong password for `login`.
    pub fn failed(&self, login: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = now_ms();
        if failures.len() >= THROTTLE_SWEEP {
            failures.retain(|_, (_, until)| *until > now);
        }
        let entry = failures.entry(Self::key(login)).or_insert((0, 0));
        entry.0 += 1;
        if entry.0 >= FREE_FAILURES {
            let doublings = (entry.0 - FREE_FAILURES).min(16);
            let lock = FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK);
            entry.1 = now + lock.as_millis() as i64;
        }
    }

    /// Forgets the failures of `login` after a successful sign-in.
    pub fn succeeded(&self, login: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&Self::key(login));
    }
}
