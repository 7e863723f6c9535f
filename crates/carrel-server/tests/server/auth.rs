//! Accounts and sessions over real HTTP: sign-in, `me`, refresh rotation with replay detection,
//! sign-out, expiry, disabled accounts, and every way a request can lack a valid token. The
//! database is read directly to check that no password or token is stored in a usable form.

use std::time::Duration;

use carrel_protocol::ApiError;
use carrel_protocol::auth::{
    Account, ME_PATH, REFRESH_PATH, Role, SIGN_IN_PATH, SIGN_OUT_PATH, SignIn, Tokens,
};
use carrel_server::accounts::{self, AuthConfig};
use carrel_server::{AppState, Storage};
use reqwest::StatusCode;
use tokio::net::TcpListener;

use crate::support::http_client;

const PASSWORD: &str = "correct horse battery";

struct Server {
    url: String,
    storage: Storage,
    _dir: tempfile::TempDir,
    client: reqwest::Client,
}

async fn start(config: AuthConfig) -> Server {
    let dir = tempfile::tempdir().unwrap();
    // A SQLite file, or a PostgreSQL database when the suite runs on one.
    let (db, data) = carrel_server::testing::test_database(dir.path()).unwrap();
    let storage = Storage::open(&db).unwrap();
    let state = {
        let storage = storage.clone();
        tokio::task::spawn_blocking(move || AppState::open_with(storage, data, config))
            .await
            .unwrap()
            .unwrap()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(carrel_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    Server {
        url,
        storage,
        _dir: dir,
        client: http_client(),
    }
}

impl Server {
    async fn sign_in(&self, login: &str, password: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{SIGN_IN_PATH}", self.url))
            .json(&SignIn {
                login: login.into(),
                password: password.into(),
                device: Some("test laptop".into()),
            })
            .send()
            .await
            .unwrap()
    }

    async fn tokens(&self, login: &str) -> Tokens {
        let response = self.sign_in(login, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn me(&self, authorization: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{ME_PATH}", self.url));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        request.send().await.unwrap()
    }

    async fn refresh(&self, token: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{REFRESH_PATH}", self.url))
            .json(&serde_json::json!({ "refreshToken": token }))
            .send()
            .await
            .unwrap()
    }
}

async fn refused(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Bearer"
    );
    let error: ApiError = response.json().await.unwrap();
    assert_eq!(error.code, code, "{}", error.message);
}

#[tokio::test]
async fn sign_in_me_refresh_and_sign_out() {
    let server = start(AuthConfig::default()).await;
    let ana = accounts::create_user(
        &server.storage,
        "Ana@Example.org",
        "Ana",
        PASSWORD,
        Role::Learner,
    )
    .await
    .unwrap();
    accounts::create_user(
        &server.storage,
        "ben@example.org",
        "Ben",
        PASSWORD,
        Role::Tutor,
    )
    .await
    .unwrap();

    // Case does not matter in the login; the token says who it is.
    let tokens = server.tokens("ana@example.org").await;
    assert_eq!(tokens.account, ana);
    let bearer = format!("Bearer {}", tokens.access_token);
    let me: Account = server.me(Some(&bearer)).await.json().await.unwrap();
    assert_eq!(me, ana);
    let ben = server.tokens("ben@example.org").await;
    let me: Account = server
        .me(Some(&format!("Bearer {}", ben.access_token)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.role, Role::Tutor, "each token is its own account");

    // Wrong password and unknown login: the same answer.
    let wrong = server.sign_in("ana@example.org", "not the password").await;
    let unknown = server.sign_in("nobody@example.org", PASSWORD).await;
    let (wrong_status, unknown_status) = (wrong.status(), unknown.status());
    let wrong: ApiError = wrong.json().await.unwrap();
    let unknown: ApiError = unknown.json().await.unwrap();
    assert_eq!((wrong_status, &wrong), (unknown_status, &unknown));
    assert_eq!(wrong.code, "bad_credentials");

    // Refresh rotates: the new pair works, the old refresh token is spent, and replaying it
    // ends the session for everyone holding its tokens.
    let rotated: Tokens = server
        .refresh(&tokens.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(rotated.refresh_token, tokens.refresh_token);
    let rotated_bearer = format!("Bearer {}", rotated.access_token);
    assert_eq!(
        server.me(Some(&rotated_bearer)).await.status(),
        StatusCode::OK
    );
    refused(server.refresh(&tokens.refresh_token).await, "session_ended").await;
    refused(server.me(Some(&rotated_bearer)).await, "unauthenticated").await;
    refused(
        server.refresh(&rotated.refresh_token).await,
        "session_ended",
    )
    .await;

    // Sign-out ends a session at once; another session of the same account is untouched.
    let first = server.tokens("ana@example.org").await;
    let second = server.tokens("ana@example.org").await;
    let response = server
        .client
        .post(format!("{}{SIGN_OUT_PATH}", server.url))
        .header("Authorization", format!("Bearer {}", first.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    refused(
        server
            .me(Some(&format!("Bearer {}", first.access_token)))
            .await,
        "unauthenticated",
    )
    .await;
    refused(server.refresh(&first.refresh_token).await, "session_ended").await;
    let still: Account = server
        .me(Some(&format!("Bearer {}", second.access_token)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still.id, ana.id);

    // A disabled account cannot sign in and its sessions end.
    assert!(
        accounts::set_disabled(&server.storage, "ana@example.org", true)
            .await
            .unwrap()
    );
    refused(
        server
            .me(Some(&format!("Bearer {}", second.access_token)))
            .await,
        "unauthenticated",
    )
    .await;
    refused(
        server.sign_in("ana@example.org", PASSWORD).await,
        "bad_credentials",
    )
    .await;

    // Nothing usable is stored: argon2id hashes, token hashes.
    let (hashes, tokens_stored) = server
        .storage
        .with_conn(|conn| {
            let hashes: Vec<String> = conn
                .prepare("SELECT password_hash FROM users")?
                .query_map(carrel_server::storage::sql::params![], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            let dump: Vec<String> = conn
                .prepare("SELECT hash FROM access_tokens UNION ALL SELECT refresh_hash FROM sessions UNION ALL SELECT hash FROM spent_refresh")?
                .query_map(carrel_server::storage::sql::params![], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            Ok((hashes, dump))
        })
        .await
        .unwrap();
    assert!(
        hashes
            .iter()
            .all(|h| h.starts_with("$argon2id$") && !h.contains(PASSWORD))
    );
    for token in [
        &tokens.access_token,
        &tokens.refresh_token,
        &second.access_token,
    ] {
        assert!(
            !tokens_stored.iter().any(|stored| stored == token),
            "a token is stored as is"
        );
    }
}

#[tokio::test]
async fn every_bad_token_is_refused() {
    let server = start(AuthConfig {
        access_ttl: Duration::ZERO,
        refresh_ttl: Duration::from_secs(3600),
    })
    .await;
    accounts::create_user(&server.storage, "ana", "Ana", PASSWORD, Role::Learner)
        .await
        .unwrap();
    let tokens = server.tokens("ana").await;
    // An access token that has expired says so, so the client refreshes instead of signing out.
    refused(
        server
            .me(Some(&format!("Bearer {}", tokens.access_token)))
            .await,
        "token_expired",
    )
    .await;
    // No token, an empty one, another scheme, a forged one, a refresh token used as access.
    for authorization in [
        None,
        Some("Bearer "),
        Some("Basic YW5hOnBhc3N3b3Jk"),
        Some("Bearer ca_forgedforgedforgedforgedforgedforgedforge"),
        Some(&*format!("Bearer {}", tokens.refresh_token)),
    ] {
        refused(server.me(authorization).await, "unauthenticated").await;
    }
    // An unknown refresh token.
    refused(server.refresh("cr_unknown").await, "session_ended").await;
}

#[tokio::test]
async fn malformed_requests_get_400_with_a_json_error_and_change_nothing() {
    let server = start(AuthConfig::default()).await;
    for body in [
        "not json",
        r#"{"login": "ana"}"#,
        r#"{"login": "ana", "password": "x", "extra": 1}"#,
    ] {
        let response = server
            .client
            .post(format!("{}{SIGN_IN_PATH}", server.url))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: ApiError = response.json().await.unwrap();
        assert_eq!(error.code, "malformed_request");
    }
    let sessions: i64 = server
        .storage
        .with_conn(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM sessions",
                carrel_server::storage::sql::params![],
                |row| row.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn accounts_refuse_a_taken_login_a_bad_login_and_a_short_password() {
    let server = start(AuthConfig::default()).await;
    accounts::create_user(&server.storage, "ana", "Ana", PASSWORD, Role::Learner)
        .await
        .unwrap();
    let taken = accounts::create_user(&server.storage, "ANA", "Other", PASSWORD, Role::Admin)
        .await
        .unwrap_err();
    assert!(taken.to_string().contains("already exists"), "{taken}");
    assert!(
        accounts::create_user(&server.storage, "a b", "X", PASSWORD, Role::Learner)
            .await
            .is_err()
    );
    assert!(
        accounts::create_user(&server.storage, "short", "X", "123", Role::Learner)
            .await
            .is_err()
    );
}

/// A login matches whatever the case of its letters, and nothing else: not with an invisible
/// character inside, not in full-width letters (each would be a new key for the sign-in
/// throttle, and so a fresh run of guesses against the same account).
#[tokio::test]
async fn a_login_matches_in_any_case_and_in_no_other_spelling() {
    let server = start(AuthConfig::default()).await;
    accounts::create_user(&server.storage, "ana", "Ana", PASSWORD, Role::Learner)
        .await
        .unwrap();
    for same in ["ana", "ANA", "Ana"] {
        assert_eq!(server.sign_in(same, PASSWORD).await.status(), 200, "{same}");
    }
    for other in [
        "a\u{200B}na",
        "a\u{00AD}na",
        "\u{FF41}\u{FF4E}\u{FF41}",
        "ana\u{200D}",
    ] {
        assert_eq!(
            server.sign_in(other, PASSWORD).await.status(),
            401,
            "{other:?} is not ana"
        );
        // And such a spelling is another login, not a copy of this one.
        let made =
            accounts::create_user(&server.storage, other, "X", PASSWORD, Role::Learner).await;
        if let Err(error) = made {
            assert!(
                !error.to_string().contains("already exists"),
                "{other:?}: {error}"
            );
        }
    }
}

#[tokio::test]
async fn wrong_passwords_in_a_row_lock_the_login_without_testing_more_guesses() {
    let server = start(AuthConfig::default()).await;
    for login in ["ana@example.org", "ben@example.org"] {
        accounts::create_user(&server.storage, login, "Someone", PASSWORD, Role::Learner)
            .await
            .unwrap();
    }
    for _ in 0..accounts::FREE_FAILURES {
        refused(
            server
                .sign_in("ana@example.org", "a wrong guess here")
                .await,
            "bad_credentials",
        )
        .await;
    }
    // Locked: even the right password is not checked, so guesses cannot be tested.
    for password in ["another wrong guess", PASSWORD] {
        let response = server.sign_in("ANA@example.org", password).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!(
            (1..=accounts::FIRST_LOCK.as_secs()).contains(&wait),
            "{wait}"
        );
        let error: ApiError = response.json().await.unwrap();
        assert_eq!(error.code, "too_many_attempts");
        assert!(error.message.contains("seconds"), "{}", error.message);
    }
    // Another login is not affected, and an unknown one is treated alike.
    assert_eq!(
        server.sign_in("ben@example.org", PASSWORD).await.status(),
        StatusCode::OK
    );
    for _ in 0..accounts::FREE_FAILURES {
        server.sign_in("nobody@example.org", PASSWORD).await;
    }
    assert_eq!(
        server
            .sign_in("nobody@example.org", PASSWORD)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the answer does not reveal which logins exist"
    );
}

#[test]
fn each_failure_past_the_free_ones_doubles_the_lock_up_to_the_cap() {
    let throttle = accounts::SignInThrottle::default();
    for _ in 0..accounts::FREE_FAILURES - 1 {
        throttle.failed("ana");
    }
    assert_eq!(throttle.locked_for("ana"), None, "still free");
    throttle.failed("ana");
    let first = throttle
        .locked_for("Ana ")
        .expect("locked, whatever the case");
    assert!(first <= accounts::FIRST_LOCK);
    throttle.failed("ana");
    let second = throttle.locked_for("ana").unwrap();
    assert!(second > first, "doubled: {second:?} after {first:?}");
    for _ in 0..30 {
        throttle.failed("ana");
    }
    assert!(throttle.locked_for("ana").unwrap() <= accounts::MAX_LOCK);
    throttle.succeeded("ana");
    assert_eq!(throttle.locked_for("ana"), None, "a success forgets");
}
