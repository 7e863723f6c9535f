//! Resumable uploads over real HTTP (see `carrel_server::uploads`): creating is idempotent and
//! answers the offset to resume from; bytes are appended only at the server's offset and never
//! past the declared size; a cut connection keeps what arrived; the end is checked against the
//! SHA-256 and a mismatch starts again from 0; one account never sees or changes another's
//! uploads; bad requests get JSON errors and change nothing.

use std::time::Duration;

use carrel_protocol::ApiError;
use carrel_protocol::uploads::{
    MAX_UPLOAD_BYTES, NewUpload, OFFSET_MEDIA_TYPE, UPLOAD_LENGTH, UPLOAD_OFFSET, UPLOADS_PATH,
    Upload, upload_path,
};
use carrel_server::accounts::{self, AuthConfig};
use carrel_server::uploads::{blob_path, missing};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Fixture, sha256_hex};

/// A running server (see [`Fixture`]) and the calls these tests make to it.
struct World(Fixture);

impl std::ops::Deref for World {
    type Target = Fixture;

    fn deref(&self) -> &Fixture {
        &self.0
    }
}

/// `len` deterministic bytes that look random (so a misplaced byte changes the hash): SHA-256 of
/// `seed` and a block counter, block after block.
fn file(len: usize, seed: u64) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut bytes = Vec::with_capacity(len + 32);
    for block in 0u64.. {
        if bytes.len() >= len {
            break;
        }
        bytes.extend_from_slice(&Sha256::digest(
            [seed.to_le_bytes(), block.to_le_bytes()].concat(),
        ));
    }
    bytes.truncate(len);
    bytes
}

fn new_upload(bytes: &[u8], name: &str) -> NewUpload {
    NewUpload {
        sha256: sha256_hex(bytes),
        size: bytes.len() as u64,
        name: name.to_owned(),
    }
}

async fn error_code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let error: ApiError = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("a {status} answer has a JSON error body: {e}"));
    assert!(
        error.message.ends_with('.'),
        "messages are sentences: {}",
        error.message
    );
    (status, error.code)
}

fn offset_of(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get(UPLOAD_OFFSET)
        .expect("the answer carries Upload-Offset")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

impl World {
    async fn start() -> Self {
        Self(Fixture::start().await)
    }

    async fn learner(&self, login: &str) -> String {
        self.server.learner(login).await.unwrap().access_token
    }

    async fn create(&self, token: &str, new: &NewUpload) -> reqwest::Response {
        self.client
            .post(self.url(UPLOADS_PATH))
            .bearer_auth(token)
            .json(new)
            .send()
            .await
            .unwrap()
    }

    /// Creates and expects 201 or 200.
    async fn upload(&self, token: &str, new: &NewUpload) -> Upload {
        let response = self.create(token, new).await;
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.unwrap()
    }

    async fn patch(&self, token: &str, id: &str, offset: u64, bytes: &[u8]) -> reqwest::Response {
        self.client
            .patch(self.url(&upload_path(id)))
            .bearer_auth(token)
            .header("Content-Type", OFFSET_MEDIA_TYPE)
            .header(UPLOAD_OFFSET, offset.to_string())
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// The server's offset, read with `HEAD`.
    async fn head(&self, token: &str, id: &str) -> u64 {
        let response = self
            .client
            .head(self.url(&upload_path(id)))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        offset_of(&response)
    }

    fn part_len(&self, id: &str) -> Option<u64> {
        let path = self
            .server
            .data()
            .root()
            .join("uploads")
            .join(format!("{id}.part"));
        std::fs::metadata(path).ok().map(|m| m.len())
    }

    /// Every upload row: (id, user, received, complete).
    async fn rows(&self) -> Vec<(String, i64, i64, bool)> {
        self.storage
            .with_conn(|conn| {
                let mut statement = conn.prepare(
                    "SELECT id, user_id, received, completed_ms IS NOT NULL FROM uploads ORDER BY id",
                )?;
                let rows = statement
                    .query_map(carrel_server::storage::sql::params![], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
            .unwrap()
    }

    async fn user_id(&self, login: &str) -> i64 {
        let login = login.to_owned();
        self.storage
            .with_conn(move |conn| {
                Ok(
                    conn.query_row("SELECT id FROM users WHERE login = ?1", [&login], |r| {
                        r.get(0)
                    })?,
                )
            })
            .await
            .unwrap()
    }

    /// Sends the request head of a `PATCH` declaring `content_length` body bytes, then `bytes`,
    /// on a raw connection that it leaves open.
    async fn raw_patch(
        &self,
        token: &str,
        id: &str,
        offset: u64,
        content_length: u64,
        bytes: &[u8],
    ) -> TcpStream {
        let mut stream = TcpStream::connect(self.server.addr()).await.unwrap();
        let head = format!(
            "PATCH {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: {OFFSET_MEDIA_TYPE}\r\nUpload-Offset: {offset}\r\n\
             Content-Length: {content_length}\r\nConnection: close\r\n\r\n",
            upload_path(id),
            self.server.addr()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        stream.flush().await.unwrap();
        stream
    }
}

/// Reads a raw connection's answer to its end and returns the status line.
async fn status_line(mut stream: TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers")
        .unwrap();
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn creating_is_idempotent_and_answers_where_to_resume() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(10_000, 1);
    let new = new_upload(&bytes, "action note.pdf");

    let first = world.create(&ana, &new).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let created: Upload = first.json().await.unwrap();
    assert_eq!(location, upload_path(&created.upload_id));
    assert_eq!(
        (created.offset, created.size, created.complete),
        (0, 10_000, false)
    );
    assert_eq!(created.sha256, new.sha256);

    // Asking again (a lost answer, a restart) finds the same upload.
    let again = world.create(&ana, &new).await;
    assert_eq!(again.status(), StatusCode::OK);
    let found: Upload = again.json().await.unwrap();
    assert_eq!(found, created, "the same upload, not a second one");
    assert_eq!(world.rows().await.len(), 1);

    // HEAD answers the offset and length; GET the upload as JSON.
    let head = world
        .client
        .head(world.url(&upload_path(&created.upload_id)))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(offset_of(&head), 0);
    assert_eq!(head.headers().get(UPLOAD_LENGTH).unwrap(), "10000");
    let got: Upload = world
        .client
        .get(world.url(&upload_path(&created.upload_id)))
        .bearer_auth(&ana)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, created);
}

#[tokio::test]
async fn an_upload_resumes_from_the_servers_offset_and_ends_in_its_blob() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(300_000, 2);
    let new = new_upload(&bytes, "data.csv");
    let upload = world.upload(&ana, &new).await;
    let id = &upload.upload_id;

    let first = world.patch(&ana, id, 0, &bytes[..120_000]).await;
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&first), 120_000);
    assert_eq!(world.head(&ana, id).await, 120_000);
    // A client that forgot everything learns the offset by creating again.
    let resumed = world.upload(&ana, &new).await;
    assert_eq!((resumed.offset, resumed.complete), (120_000, false));
    assert!(
        !blob_path(world.server.data(), &new.sha256).exists(),
        "nothing is published before the last byte"
    );

    let rest = world.patch(&ana, id, 120_000, &bytes[120_000..]).await;
    assert_eq!(rest.status(), StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&rest), 300_000);
    let blob = blob_path(world.server.data(), &new.sha256);
    assert_eq!(
        blob,
        world
            .server
            .data()
            .root()
            .join("blobs")
            .join(&new.sha256[..2])
            .join(&new.sha256)
    );
    assert_eq!(
        std::fs::read(&blob).unwrap(),
        bytes,
        "the blob is the file, byte for byte"
    );
    assert_eq!(world.part_len(id), None, "the part file became the blob");
    let done = world.upload(&ana, &new).await;
    assert_eq!((done.offset, done.complete), (300_000, true));
    // A complete upload takes no more bytes, and an empty PATCH at its end changes nothing.
    let more = world.patch(&ana, id, 300_000, b"x").await;
    assert_eq!(
        error_code(more).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large".into())
    );
    let empty = world.patch(&ana, id, 300_000, b"").await;
    assert_eq!(empty.status(), StatusCode::NO_CONTENT);
    assert_eq!(std::fs::read(&blob).unwrap(), bytes);
}

#[tokio::test]
async fn a_stop_between_storing_the_blob_and_recording_it_is_finished_by_the_next_patch() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(70_000, 11);
    let new = new_upload(&bytes, "g.bin");
    let upload = world.upload(&ana, &new).await;
    let id = upload.upload_id.clone();
    world.patch(&ana, &id, 0, &bytes).await;
    // As if the server had stopped right after moving the verified file into its blob: every
    // byte recorded, the part file gone, the upload not yet marked complete.
    let key = id.clone();
    world
        .storage
        .with_conn(move |conn| {
            conn.execute(
                "UPDATE uploads SET completed_ms = NULL WHERE id = ?1",
                [&key],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let found = world.upload(&ana, &new).await;
    assert_eq!((found.offset, found.complete), (70_000, false));

    let finish = world.patch(&ana, &id, 70_000, b"").await;
    assert_eq!(finish.status(), StatusCode::NO_CONTENT);
    assert!(world.upload(&ana, &new).await.complete);
    assert_eq!(
        std::fs::read(blob_path(world.server.data(), &new.sha256)).unwrap(),
        bytes
    );
}

#[tokio::test]
async fn declaring_another_size_restarts_an_unfinished_upload_and_is_refused_for_a_finished_one() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(8_000, 12);
    let right = new_upload(&bytes, "h.bin");
    // A client that got the size wrong, and sent some bytes.
    let wrong = NewUpload {
        size: 9_000,
        ..right.clone()
    };
    let first = world.upload(&ana, &wrong).await;
    world
        .patch(&ana, &first.upload_id, 0, &bytes[..3_000])
        .await;
    // Declared again with the right size: the same upload, from 0, at that size.
    let again = world.upload(&ana, &right).await;
    assert_eq!(again.upload_id, first.upload_id);
    assert_eq!(
        (again.size, again.offset, again.complete),
        (8_000, 0, false)
    );
    let patch = world.patch(&ana, &again.upload_id, 0, &bytes).await;
    assert_eq!(patch.status(), StatusCode::NO_CONTENT);
    assert!(world.upload(&ana, &right).await.complete);
    // Once complete, its size is known: another one is refused and changes nothing.
    let refused = world.create(&ana, &wrong).await;
    assert_eq!(
        error_code(refused).await,
        (StatusCode::BAD_REQUEST, "malformed_request".into())
    );
    let done = world.upload(&ana, &right).await;
    assert_eq!(
        (done.size, done.offset, done.complete),
        (8_000, 8_000, true)
    );
}

#[tokio::test]
async fn an_empty_file_completes_with_an_empty_patch() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let new = new_upload(b"", "empty.txt");
    let upload = world.upload(&ana, &new).await;
    assert_eq!((upload.size, upload.complete), (0, false));
    let patch = world.patch(&ana, &upload.upload_id, 0, b"").await;
    assert_eq!(patch.status(), StatusCode::NO_CONTENT);
    assert!(world.upload(&ana, &new).await.complete);
    assert_eq!(
        std::fs::read(blob_path(world.server.data(), &new.sha256)).unwrap(),
        b""
    );
}

#[tokio::test]
async fn a_patch_at_another_offset_is_told_the_servers_offset() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(50_000, 3);
    let upload = world.upload(&ana, &new_upload(&bytes, "a.bin")).await;
    let id = &upload.upload_id;
    assert_eq!(
        world.patch(&ana, id, 0, &bytes[..20_000]).await.status(),
        StatusCode::NO_CONTENT
    );
    for wrong in [0, 10_000, 30_000] {
        let response = world.patch(&ana, id, wrong, &bytes[wrong as usize..]).await;
        assert_eq!(offset_of(&response), 20_000, "resume from here");
        assert_eq!(
            error_code(response).await,
            (StatusCode::CONFLICT, "offset_mismatch".into())
        );
    }
    assert_eq!(world.head(&ana, id).await, 20_000);
    assert_eq!(world.part_len(id), Some(20_000), "nothing was written");
}

#[tokio::test]
async fn bytes_past_the_declared_size_are_refused_and_change_nothing() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(3_000_000, 4);
    let upload = world.upload(&ana, &new_upload(&bytes, "b.bin")).await;
    let id = &upload.upload_id;
    world.patch(&ana, id, 0, &bytes[..10_000]).await;

    // Declared too long (Content-Length): refused before a byte is read.
    let mut longer = bytes[10_000..].to_vec();
    longer.push(0);
    let response = world.patch(&ana, id, 10_000, &longer).await;
    assert_eq!(
        error_code(response).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large".into())
    );
    // No length given (chunked): found out while reading, and what was written is taken back.
    let mut stream = TcpStream::connect(world.server.addr()).await.unwrap();
    let head = format!(
        "PATCH {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ana}\r\n\
         Content-Type: {OFFSET_MEDIA_TYPE}\r\nUpload-Offset: 10000\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        upload_path(id)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for piece in longer.chunks(65_536) {
        stream
            .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(piece).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let status = status_line(stream).await;
    assert!(status.contains(" 413 "), "{status}");

    assert_eq!(
        world.head(&ana, id).await,
        10_000,
        "the offset did not move"
    );
    assert_eq!(world.part_len(id), Some(10_000), "no byte of it was kept");
    // The right bytes still complete it.
    let rest = world.patch(&ana, id, 10_000, &bytes[10_000..]).await;
    assert_eq!(rest.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        std::fs::read(blob_path(world.server.data(), &upload.sha256)).unwrap(),
        bytes
    );
}

#[tokio::test]
async fn a_checksum_mismatch_discards_the_bytes_and_starts_again_from_zero() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(30_000, 5);
    let new = new_upload(&bytes, "c.bin");
    let upload = world.upload(&ana, &new).await;
    let id = &upload.upload_id;
    let mut damaged = bytes.clone();
    damaged[29_000] ^= 0x40;
    assert_eq!(
        world.patch(&ana, id, 0, &damaged[..15_000]).await.status(),
        StatusCode::NO_CONTENT
    );
    let last = world.patch(&ana, id, 15_000, &damaged[15_000..]).await;
    assert_eq!(offset_of(&last), 0, "the answer says to start again");
    assert_eq!(
        error_code(last).await,
        (StatusCode::UNPROCESSABLE_ENTITY, "checksum_mismatch".into())
    );
    assert_eq!(world.head(&ana, id).await, 0);
    assert_eq!(world.part_len(id), Some(0), "the damaged bytes are gone");
    assert!(!blob_path(world.server.data(), &new.sha256).exists());
    let user = world.user_id("ana").await;
    assert_eq!(
        missing(&world.storage, user, vec![(new.sha256.clone(), 30_000)])
            .await
            .unwrap(),
        vec![new.sha256.clone()]
    );
    // Sent again, right: complete.
    assert_eq!(
        world.patch(&ana, id, 0, &bytes).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(world.upload(&ana, &new).await.complete);
}

#[tokio::test]
async fn a_cut_connection_keeps_the_bytes_that_arrived() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(1_000_000, 6);
    let new = new_upload(&bytes, "d.bin");
    let upload = world.upload(&ana, &new).await;
    let id = &upload.upload_id;

    // Promises the whole file, sends 300,000 bytes, and goes away.
    let mut stream = world
        .raw_patch(&ana, id, 0, 1_000_000, &bytes[..300_000])
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.shutdown().await.unwrap();
    drop(stream);

    let mut offset = 0;
    for _ in 0..100 {
        offset = world.head(&ana, id).await;
        if offset == 300_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(offset, 300_000, "every byte that arrived is kept");
    assert_eq!(world.part_len(id), Some(300_000));

    // Resumed from there, it completes with the right bytes.
    let rest = world.patch(&ana, id, 300_000, &bytes[300_000..]).await;
    assert_eq!(rest.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        std::fs::read(blob_path(world.server.data(), &new.sha256)).unwrap(),
        bytes
    );
}

#[tokio::test]
async fn a_second_patch_while_one_runs_is_told_to_wait() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let bytes = file(200_000, 7);
    let upload = world.upload(&ana, &new_upload(&bytes, "e.bin")).await;
    let id = &upload.upload_id;

    let mut running = world
        .raw_patch(&ana, id, 0, 200_000, &bytes[..50_000])
        .await;
    // The part file appears once the first request holds the upload.
    for _ in 0..200 {
        if world.part_len(id).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = world.patch(&ana, id, 0, &bytes).await;
    assert_eq!(second.headers().get("retry-after").unwrap(), "1");
    assert_eq!(
        error_code(second).await,
        (StatusCode::CONFLICT, "in_flight".into())
    );
    running.write_all(&bytes[50_000..]).await.unwrap();
    let status = status_line(running).await;
    assert!(status.contains(" 204 "), "{status}");
    assert!(
        world
            .upload(&ana, &new_upload(&bytes, "e.bin"))
            .await
            .complete
    );
}

#[tokio::test]
async fn another_account_or_a_bad_token_sees_and_changes_nothing() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let ben = world.learner("ben").await;
    let bytes = file(20_000, 8);
    let new = new_upload(&bytes, "f.bin");
    let upload = world.upload(&ana, &new).await;
    let id = &upload.upload_id;
    world.patch(&ana, id, 0, &bytes[..5_000]).await;

    // An expired token of ana's, made against the same database.
    accounts::create_user(
        &world.storage,
        "cleo",
        "Cleo",
        "a test password, long enough",
        carrel_protocol::auth::Role::Learner,
    )
    .await
    .unwrap();
    let expired = accounts::sign_in(
        &world.storage,
        &AuthConfig {
            access_ttl: Duration::ZERO,
            refresh_ttl: Duration::from_secs(3600),
        },
        carrel_protocol::auth::SignIn {
            login: "cleo".into(),
            password: "a test password, long enough".into(),
            device: None,
        },
    )
    .await
    .unwrap()
    .access_token;

    let before = world.rows().await;
    // Ben: the upload does not exist for him.
    for response in [
        world
            .client
            .get(world.url(&upload_path(id)))
            .bearer_auth(&ben)
            .send()
            .await
            .unwrap(),
        world.patch(&ben, id, 5_000, &bytes[5_000..]).await,
    ] {
        assert_eq!(
            error_code(response).await,
            (StatusCode::NOT_FOUND, "not_found".into())
        );
    }
    let head = world
        .client
        .head(world.url(&upload_path(id)))
        .bearer_auth(&ben)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    // No token, a forged one, an expired one: 401 on every endpoint.
    for token in [
        None,
        Some("ca_forgedforgedforgedforged"),
        Some(expired.as_str()),
    ] {
        let with = |request: reqwest::RequestBuilder| match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let responses = [
            with(world.client.post(world.url(UPLOADS_PATH)).json(&new))
                .send()
                .await
                .unwrap(),
            with(world.client.get(world.url(&upload_path(id))))
                .send()
                .await
                .unwrap(),
            with(
                world
                    .client
                    .patch(world.url(&upload_path(id)))
                    .header("Content-Type", OFFSET_MEDIA_TYPE)
                    .header(UPLOAD_OFFSET, "5000")
                    .body(bytes[5_000..].to_vec()),
            )
            .send()
            .await
            .unwrap(),
        ];
        for response in responses {
            let (status, code) = error_code(response).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
            let expected = if token == Some(expired.as_str()) {
                "token_expired"
            } else {
                "unauthenticated"
            };
            assert_eq!(code, expected);
        }
    }
    assert_eq!(world.rows().await, before, "nothing changed");
    assert_eq!(world.part_len(id), Some(5_000));

    // Ben creating the same file gets his own upload from 0, not ana's bytes: he must send them.
    let his = world.upload(&ben, &new).await;
    assert_ne!(his.upload_id, upload.upload_id);
    assert_eq!((his.offset, his.complete), (0, false));
    world.patch(&ana, id, 5_000, &bytes[5_000..]).await;
    let his = world.upload(&ben, &new).await;
    assert_eq!(
        (his.offset, his.complete),
        (0, false),
        "ana's blob does not complete ben's upload"
    );
    let ben_id = world.user_id("ben").await;
    assert_eq!(
        missing(&world.storage, ben_id, vec![(new.sha256.clone(), 20_000)])
            .await
            .unwrap(),
        vec![new.sha256.clone()]
    );
}

#[tokio::test]
async fn malformed_requests_get_a_json_error_and_change_nothing() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    let sha = sha256_hex(b"x");
    let long_name = "n".repeat(256);
    for body in [
        "not json".to_owned(),
        r#"{"sha256":"abc","size":1,"name":"a"}"#.to_owned(),
        format!(
            r#"{{"sha256":"{}","size":1,"name":"a"}}"#,
            sha.to_uppercase()
        ),
        format!(r#"{{"sha256":"{sha}","size":-1,"name":"a"}}"#),
        format!(
            r#"{{"sha256":"{sha}","size":{},"name":"a"}}"#,
            MAX_UPLOAD_BYTES + 1
        ),
        format!(r#"{{"sha256":"{sha}","size":1,"name":""}}"#),
        format!(r#"{{"sha256":"{sha}","size":1,"name":"{long_name}"}}"#),
        format!(r#"{{"sha256":"{sha}","size":1,"name":"../etc/passwd"}}"#),
        format!(r#"{{"sha256":"{sha}","size":1,"name":"a\\b"}}"#),
        format!(r#"{{"sha256":"{sha}","size":1,"name":"a\u0000b"}}"#),
        format!(r#"{{"sha256":"{sha}","size":1,"name":"a","extra":1}}"#),
        format!(r#"{{"sha256":"{sha}","size":1}}"#),
    ] {
        let response = world
            .client
            .post(world.url(UPLOADS_PATH))
            .bearer_auth(&ana)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_code(response).await,
            (StatusCode::BAD_REQUEST, "malformed_request".into()),
            "{body}"
        );
    }
    assert!(world.rows().await.is_empty(), "nothing was created");
    // A name of 255 characters (not bytes) is fine.
    let fine = NewUpload {
        sha256: sha.clone(),
        size: 1,
        name: "é".repeat(255),
    };
    assert_eq!(
        world.create(&ana, &fine).await.status(),
        StatusCode::CREATED
    );

    let upload = world.upload(&ana, &fine).await;
    let url = world.url(&upload_path(&upload.upload_id));
    for (content_type, offset, expected) in [
        (Some(OFFSET_MEDIA_TYPE), None, (400, "malformed_request")),
        (
            Some(OFFSET_MEDIA_TYPE),
            Some("-1"),
            (400, "malformed_request"),
        ),
        (
            Some(OFFSET_MEDIA_TYPE),
            Some("zero"),
            (400, "malformed_request"),
        ),
        (
            Some("application/octet-stream"),
            Some("0"),
            (415, "unsupported_media_type"),
        ),
        (None, Some("0"), (415, "unsupported_media_type")),
    ] {
        let mut request = world.client.patch(&url).bearer_auth(&ana).body("x");
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        if let Some(offset) = offset {
            request = request.header(UPLOAD_OFFSET, offset);
        }
        let (status, code) = error_code(request.send().await.unwrap()).await;
        assert_eq!(
            (status.as_u16(), code.as_str()),
            expected,
            "{content_type:?} {offset:?}"
        );
    }
    // Ids that name no upload.
    for id in ["nope", "../../etc", &"0".repeat(32)] {
        let response = world
            .client
            .get(world.url(&upload_path(id)))
            .bearer_auth(&ana)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{id}");
    }
    assert_eq!(world.head(&ana, &upload.upload_id).await, 0);
    assert_eq!(
        world.part_len(&upload.upload_id),
        None,
        "no byte was written"
    );
}

#[tokio::test]
async fn missing_names_what_is_not_a_complete_upload_of_the_account() {
    let world = World::start().await;
    let ana = world.learner("ana").await;
    world.learner("ben").await;
    let done = file(1_000, 9);
    let half = file(1_000, 10);
    let done_up = world.upload(&ana, &new_upload(&done, "done.bin")).await;
    world.patch(&ana, &done_up.upload_id, 0, &done).await;
    let half_up = world.upload(&ana, &new_upload(&half, "half.bin")).await;
    world.patch(&ana, &half_up.upload_id, 0, &half[..500]).await;
    let (ana_id, ben_id) = (world.user_id("ana").await, world.user_id("ben").await);
    let (done_sha, half_sha, unknown) = (sha256_hex(&done), sha256_hex(&half), "a".repeat(64));

    let ask = |user: i64, list: Vec<(String, u64)>| {
        let storage = world.storage.clone();
        async move { missing(&storage, user, list).await.unwrap() }
    };
    assert_eq!(
        ask(ana_id, vec![(done_sha.clone(), 1_000)]).await,
        Vec::<String>::new()
    );
    assert_eq!(ask(ana_id, vec![]).await, Vec::<String>::new());
    assert_eq!(
        ask(
            ana_id,
            vec![
                (half_sha.clone(), 1_000),
                (done_sha.clone(), 1_000),
                (unknown.clone(), 5),
                (done_sha.clone(), 999),
                (half_sha.clone(), 1_000),
            ]
        )
        .await,
        vec![half_sha.clone(), unknown.clone(), done_sha.clone()],
        "incomplete, unknown and the wrong size are missing, each named once, in order"
    );
    assert_eq!(
        ask(ben_id, vec![(done_sha.clone(), 1_000)]).await,
        vec![done_sha.clone()],
        "another account's upload does not count"
    );
    assert_eq!(
        ask(ana_id, vec![(done_sha.clone(), u64::MAX)]).await,
        vec![done_sha]
    );
}
