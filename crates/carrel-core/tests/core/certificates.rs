//! The demo course's certificate through a real carrel-server: the checklist follows the work
//! from submitted to graded, the server refuses the certificate while a requirement is missing
//! and issues it once all are passed; the laptop keeps it only after checking its signature, its
//! course and its PDF, and checks it again, offline, every time — a changed record or a key not
//! pinned shows as not verified.

use carrel_core::assess::assignments::{self, DraftEdit};
use carrel_core::assess::attachments::AttachmentStore;
use carrel_core::assess::{self, attempts, outbox};
use carrel_core::certificates::{
    self, CertificateError, InvalidReason, RequirementState, Verified,
};
use carrel_core::http::HttpClient;
use carrel_core::progress::ProgressDb;
use carrel_core::settings::ServerUrl;
use carrel_core::sync::{self, changes};
use carrel_protocol::auth::Role;
use carrel_protocol::tutor::GradeInput;

use crate::{DEMO, demo_library, demo_server, grade_on_server};

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
    let (server, storage) = demo_server(dir.path()).await;
    let tokens = server.account("ana", Role::Learner).await.unwrap();
    server
        .enrol("ana", DEMO, Role::Learner, None)
        .await
        .unwrap();
    let (token, account) = (tokens.access_token, tokens.account.id);
    let url = ServerUrl::parse(&server.url()).unwrap();
    let http = HttpClient::new().unwrap();
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let owner = certificates::owner(&url, account);
    let store = AttachmentStore::new(dir.path().join("attachments"));

    let status = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap();
    assert!(status.automatic);
    assert!(!status.met);
    assert_eq!(status.requirements.len(), 4);
    assert!(
        states(&status)
            .iter()
            .all(|(_, state)| *state == RequirementState::Missing)
    );
    // Asked too early, the server names what is missing, and nothing is kept.
    let refused = certificates::request(&db, &http, &url, &token, account, DEMO, 1).await;
    match refused {
        Err(CertificateError::NotEarned(message)) => {
            assert!(message.contains("Block 1 quiz"), "{message}")
        }
        other => panic!("not refused as not earned: {other:?}"),
    }
    assert!(certificates::pdf(&db, &owner, DEMO).unwrap().is_none());

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
    let status = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap();
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
    let status = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap();
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
            let grade = GradeInput {
                score: if passed { 8.0 } else { 2.0 },
                max_score: Some(10.0),
                passed: Some(passed),
                feedback: None,
            };
            grade_on_server(storage, &id, grade).await;
        }
    };
    let entries = outbox::list(&db).unwrap();
    for entry in &entries {
        grade(entry.id.clone(), entry.item_id != "b2-quiz").await;
    }
    changes::pull(&db, &http, &url, &token, account)
        .await
        .unwrap();
    let status = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap();
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
    assert!(
        certificates::status(&db, &manifest, Some(&owner))
            .unwrap()
            .unwrap()
            .met
    );
    certificates::request(&db, &http, &url, &token, account, DEMO, 3)
        .await
        .unwrap();
    let kept = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert!(
        matches!(kept.verified, Verified::Verified { .. }),
        "{kept:?}"
    );
    assert_eq!(kept.learner_name, "ana");
    let (id, pdf) = certificates::pdf(&db, &owner, DEMO).unwrap().unwrap();
    assert_eq!(id, kept.certificate_id);
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(kept.pdf_size, pdf.len() as i64);

    // Asking again is harmless: the same certificate.
    certificates::request(&db, &http, &url, &token, account, DEMO, 4)
        .await
        .unwrap();
    let again = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(again.certificate_id, kept.certificate_id);

    // The transcript: this certificate, counting towards a programme of two eligible courses and
    // a capstone; read back offline.
    carrel_server::programmes::set(
        &storage,
        carrel_server::programmes::Programme {
            programme_id: "diploma".into(),
            title: "Diploma in Labour Migration".into(),
            description: String::new(),
            eligible: vec![DEMO.into(), "fair-recruitment".into()],
            required: 2,
            window_years: 5,
            capstone: Some("capstone".into()),
        },
    )
    .await
    .unwrap();
    assert!(
        carrel_core::transcript::pull(&db, &http, &url, &token, account, 7)
            .await
            .unwrap()
    );
    let transcript = carrel_core::transcript::read(&db).unwrap().unwrap();
    assert_eq!(transcript.fetched_ms, 7);
    assert_eq!(transcript.certificates.len(), 1);
    assert_eq!(
        transcript.certificates[0].certificate_id,
        kept.certificate_id
    );
    let diploma = &transcript.programmes[0];
    assert_eq!((diploma.counted, diploma.required), (1, 2));
    assert!(!diploma.complete);
    assert_eq!(
        diploma.eligible[0].certificate_id.as_deref(),
        Some(kept.certificate_id.as_str())
    );
    assert!(diploma.eligible[1].certificate_id.is_none());
    assert!(diploma.capstone.as_ref().unwrap().certificate_id.is_none());
    assert_eq!(
        diploma.next_expiry_ms, diploma.eligible[0].expires_ms,
        "the count drops when this certificate's five years are over"
    );

    // A laptop that already trusts another key for this server refuses it, and keeps nothing.
    let wary = ProgressDb::open(&dir.path().join("wary.sqlite3")).unwrap();
    let stranger = carrel_package::SecretKey::generate().unwrap().public_key();
    wary.transact(|tx| {
        tx.execute(
            "INSERT INTO certificate_keys (server, fingerprint, public_key, pinned_ms)
             VALUES (?1, ?2, ?3, 0)",
            rusqlite::params![
                url.as_str(),
                stranger.fingerprint().to_string(),
                stranger.to_base64()
            ],
        )?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    match certificates::request(&wary, &http, &url, &token, account, DEMO, 5).await {
        Err(CertificateError::Untrustworthy(reason)) => {
            assert!(
                reason.contains("not the key this computer trusts"),
                "{reason}"
            )
        }
        other => panic!("a certificate signed by an unpinned key was taken: {other:?}"),
    }
    assert!(certificates::pdf(&wary, &owner, DEMO).unwrap().is_none());
    // Nor is a certificate taken for a learner it does not name.
    let other = ProgressDb::open(&dir.path().join("other.sqlite3")).unwrap();
    match certificates::request(&other, &http, &url, &token, account + 1, DEMO, 5).await {
        Err(CertificateError::Untrustworthy(reason)) => {
            assert!(reason.contains("another learner"), "{reason}")
        }
        other => panic!("another learner's certificate was taken: {other:?}"),
    }

    // Offline checks: a changed record, a changed PDF, then a key no longer pinned, no longer
    // verify.
    server.stop().await.unwrap();
    db.transact(|tx| {
        tx.execute(
            "UPDATE certificates SET record = replace(record, '\"ana\"', '\"eve\"')",
            [],
        )?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    let changed = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(changed.learner_name, "eve");
    assert_eq!(
        changed.verified,
        Verified::Invalid {
            reason: InvalidReason::Changed
        }
    );
    db.transact(|tx| {
        tx.execute(
            "UPDATE certificates SET record = replace(record, '\"eve\"', '\"ana\"')",
            [],
        )?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    let restored = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert!(matches!(restored.verified, Verified::Verified { .. }));
    let set_pdf = |bytes: &[u8]| {
        db.transact(|tx| {
            tx.execute("UPDATE certificates SET pdf = ?1", [bytes])?;
            Ok::<_, carrel_core::progress::ProgressError>(())
        })
        .unwrap()
    };
    let mut other_pdf = pdf.clone();
    other_pdf.extend_from_slice(b"\n% appended\n");
    set_pdf(&other_pdf);
    let pdf_changed = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(
        pdf_changed.verified,
        Verified::Invalid {
            reason: InvalidReason::PdfChanged
        }
    );
    assert!(certificates::pdf(&db, &owner, DEMO).unwrap().is_none());
    set_pdf(&pdf);
    db.transact(|tx| {
        tx.execute("DELETE FROM certificate_keys", [])?;
        Ok::<_, carrel_core::progress::ProgressError>(())
    })
    .unwrap();
    let unpinned = certificates::status(&db, &manifest, Some(&owner))
        .unwrap()
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(
        unpinned.verified,
        Verified::Invalid {
            reason: InvalidReason::KeyNotPinned
        }
    );
    assert!(
        certificates::pdf(&db, &owner, DEMO).unwrap().is_none(),
        "a certificate that does not verify is not opened"
    );
    // Another account signed in on this laptop sees no certificate of this one's.
    let other = certificates::owner(&url, account + 1);
    assert!(
        certificates::status(&db, &manifest, Some(&other))
            .unwrap()
            .unwrap()
            .certificate
            .is_none()
    );
    assert!(
        certificates::status(&db, &manifest, None)
            .unwrap()
            .unwrap()
            .certificate
            .is_none()
    );
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
