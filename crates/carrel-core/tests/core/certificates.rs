//! The demo course's certificate through a real carrel-server: the checklist follows the work
//! from submitted to graded, the server refuses the certificate while a requirement is missing
//! and issues it once all are passed; the laptop keeps it only after checking its signature, its
//! course and its PDF, and checks it again, offline, every time — a changed record or a key not
//! pinned shows as not verified.

use carrel_core::assess::assignments::{self, DraftEdit};
use carrel_core::assess::attachments::AttachmentStore;
use carrel_core::assess::{self, attempts, outbox};
use carrel_core::certificates::{self, CertificateError, RequirementState, Verified};
use carrel_core::http::HttpClient;
use carrel_core::progress::ProgressDb;
use carrel_core::settings::ServerUrl;
use carrel_core::sync::{self, changes};
use carrel_protocol::auth::Role;
use carrel_protocol::tutor::GradeInput;
use carrel_server::storage::Storage;
use carrel_server::testing::LoopbackServer;
use carrel_server::tutor::Actor;

use crate::{DEMO, demo_library};

const QUIZZES: [&str; 3] = ["b1-quiz", "b2-quiz", "b3-quiz"];
const FINAL: &str = "b3-final-assignment";

fn states(status: &certificates::CertificateStatus) -> Vec<(String, RequirementState)> {
    status
        .requirements
        .iter()
        .map(|r| (r.item_id.clone(), r.state))
        .collect()
}

#[tokio::test]
async fn the_checklist_follows_the_work_and_the_certificate_is_kept_only_when_it_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let manifest = library.store().course(DEMO).unwrap().unwrap().manifest;
    let server = LoopbackServer::start(&dir.path().join("server"))
        .await
        .unwrap();
    let storage = Storage::open(server.db()).unwrap();
    carrel_server::publish::publish_package(
        &storage,
        server.data(),
        &dir.path().join("demo.carrel"),
    )
    .await
    .unwrap();
    let tokens = server.account("ana", Role::Learner).await.unwrap();
    server
        .enrol("ana", DEMO, Role::Learner, None)
        .await
        .unwrap();
    let (token, account) = (tokens.access_token, tokens.account.id);
    let url = ServerUrl::parse(&server.url()).unwrap();
    let http = HttpClient::new().unwrap();
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let store = AttachmentStore::new(dir.path().join("attachments"));

    let status = certificates::status(&db, &manifest).unwrap().unwrap();
    assert!(status.automatic);
    assert!(!status.met);
    assert_eq!(status.requirements.len(), 4);
    assert!(
        states(&status)
            .iter()
            .all(|(_, state)| *state == RequirementState::Missing)
    );
    // Asked too early, the server names what is missing, and nothing is kept.
    let refused = certificates::request(&db, &http, &url, &token, DEMO, 1).await;
    match refused {
        Err(CertificateError::NotEarned(message)) => {
            assert!(message.contains("Block 1 quiz"), "{message}")
        }
        other => panic!("not refused as not earned: {other:?}"),
    }
    assert!(certificates::pdf(&db, DEMO).unwrap().is_none());

    // The work, submitted here (each quiz while it is open).
    for quiz in QUIZZES {
        let item = assess::quiz_item(&library, DEMO, quiz).unwrap();
        let at = item
            .quiz
            .opens
            .map_or(1, |opens| opens.as_millisecond() + 60_000);
        let attempt = attempts::start(&db, &item, at, None).unwrap();
        attempts::submit(&db, &item, &attempt.id, at + 1).unwrap();
    }
    let item = assess::assignment_item(&library, DEMO, FINAL).unwrap();
    let draft = assignments::save_draft(
        &db,
        &item,
        &DraftEdit {
            text: "Country A should ratify Convention No. 189 and reform recruitment.".into(),
            group_name: None,
            declared: true,
        },
        1,
    )
    .unwrap();
    assignments::submit(&db, &store, &item, draft.revision, 2).unwrap();
    let status = certificates::status(&db, &manifest).unwrap().unwrap();
    assert!(
        states(&status)
            .iter()
            .all(|(_, state)| *state == RequirementState::Waiting),
        "{:?}",
        states(&status)
    );

    // Sent: the assignment waits for a tutor.
    sync::drain_with_progress(&db, &http, &url, &token, &store, || 0.0, &|_, _, _| {})
        .await
        .unwrap();
    changes::pull(&db, &http, &url, &token, account)
        .await
        .unwrap();
    let status = certificates::status(&db, &manifest).unwrap().unwrap();
    let final_state = states(&status)
        .into_iter()
        .find(|(id, _)| id == FINAL)
        .unwrap()
        .1;
    assert_eq!(final_state, RequirementState::AwaitingGrade);

    // A tutor grades: one quiz failed, the rest passed.
    let grade = |id: String, passed: bool| {
        let storage = &storage;
        async move {
            let (server_id,): (i64,) = storage
                .with_conn(move |conn| {
                    Ok(conn.query_row(
                        "SELECT id FROM submissions WHERE client_id = ?1",
                        [&id],
                        |row| Ok((row.get(0)?,)),
                    )?)
                })
                .await
                .unwrap();
            carrel_server::tutor::grade::set(
                storage,
                Actor::Operator { tutor: None },
                server_id,
                GradeInput {
                    score: if passed { 8.0 } else { 2.0 },
                    max_score: Some(10.0),
                    passed: Some(passed),
                    feedback: None,
                },
            )
            .await
            .unwrap();
        }
    };
    let entries = outbox::list(&db).unwrap();
    for entry in &entries {
        grade(entry.id.clone(), entry.item_id != "b2-quiz").await;
    }
    changes::pull(&db, &http, &url, &token, account)
        .await
        .unwrap();
    let status = certificates::status(&db, &manifest).unwrap().unwrap();
    let b2 = status
        .requirements
        .iter()
        .find(|r| r.item_id == "b2-quiz")
        .unwrap();
    assert_eq!(b2.state, RequirementState::NotPassed);
    assert_eq!((b2.score, b2.max_score), (Some(2.0), Some(10.0)));
    assert!(!status.met);

    // Passed on a second look: every requirement is met, and the certificate comes.
    let b2_entry = entries.iter().find(|e| e.item_id == "b2-quiz").unwrap();
    grade(b2_entry.id.clone(), true).await;
    changes::pull(&db, &http, &url, &token, account)
        .await
        .unwrap();
    assert!(certificates::status(&db, &manifest).unwrap().unwrap().met);
    certificates::request(&db, &http, &url, &token, DEMO, 3)
        .await
        .unwrap();
    let kept = certificates::status(&db, &manifest)
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert!(
        matches!(kept.verified, Verified::Verified { .. }),
        "{kept:?}"
    );
    assert_eq!(kept.learner_name, "ana");
    let (id, pdf) = certificates::pdf(&db, DEMO).unwrap().unwrap();
    assert_eq!(id, kept.certificate_id);
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(kept.pdf_size, pdf.len() as i64);

    // Asking again is harmless: the same certificate.
    certificates::request(&db, &http, &url, &token, DEMO, 4)
        .await
        .unwrap();
    let again = certificates::status(&db, &manifest)
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(again.certificate_id, kept.certificate_id);

    // Offline checks: a changed record, then a key no longer pinned, no longer verify.
    server.stop().await.unwrap();
    db.transact(|tx| {
        tx.execute(
            "UPDATE certificates SET record = replace(record, '\"ana\"', '\"eve\"')",
            [],
        )?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    let changed = certificates::status(&db, &manifest)
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(changed.learner_name, "eve");
    assert!(matches!(changed.verified, Verified::Invalid { .. }));
    db.transact(|tx| {
        tx.execute(
            "UPDATE certificates SET record = replace(record, '\"eve\"', '\"ana\"')",
            [],
        )?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    let restored = certificates::status(&db, &manifest)
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert!(matches!(restored.verified, Verified::Verified { .. }));
    db.transact(|tx| {
        tx.execute("DELETE FROM certificate_keys", [])?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    let unpinned = certificates::status(&db, &manifest)
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    match unpinned.verified {
        Verified::Invalid { reason } => assert!(reason.contains("not pinned"), "{reason}"),
        other => panic!("verified without a pinned key: {other:?}"),
    }
}

#[test]
fn a_signature_holds_only_for_the_bytes_and_the_key_it_was_made_with() {
    let key = carrel_package::SecretKey::generate().unwrap();
    let other = carrel_package::SecretKey::generate().unwrap();
    let bytes = br#"{"certificateId":"00","learnerName":"Ana"}"#;
    let signature = key.sign(bytes).signature;
    let public = key.public_key().to_base64();
    assert_eq!(
        certificates::verify(bytes, &signature, &public).unwrap(),
        key.public_key().fingerprint().to_string()
    );
    assert!(
        certificates::verify(
            br#"{"certificateId":"00","learnerName":"Eve"}"#,
            &signature,
            &public
        )
        .is_err()
    );
    assert!(certificates::verify(bytes, &signature, &other.public_key().to_base64()).is_err());
    assert!(certificates::verify(bytes, "not base64", &public).is_err());
}
