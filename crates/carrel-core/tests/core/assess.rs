//! Quizzes and assignments of the real demo course, installed from its package, taken and written
//! against a real progress database: the attempt lifecycle (resume, time limit, practice checks,
//! one submission per attempt), drafts with history and attachments, and the outbox.

use std::collections::BTreeMap;

use carrel_core::assess::assignments::{self, DraftEdit};
use carrel_core::assess::attachments::AttachmentStore;
use carrel_core::assess::attempts::{self, Availability, SubmittedBy};
use carrel_core::assess::grade::Verdict;
use carrel_core::assess::outbox::{self, OutboxState, SubmissionKind, sha256_hex};
use carrel_core::assess::{self, Answer, AssessError, PresentedKind};
use carrel_core::progress::ProgressDb;
use jiff::Timestamp;

use crate::{DEMO, demo_library};

fn at(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_millisecond()
}

const MINUTE: i64 = 60_000;

#[test]
fn a_practice_quiz_attempt_resumes_checks_and_is_submitted_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db_path = dir.path().join("progress.sqlite3");
    let db = ProgressDb::open(&db_path).unwrap();
    let item = assess::quiz_item(&library, DEMO, "b1-quiz").unwrap();

    // Before it opens: no attempt.
    let early = at("2027-02-01T09:00:00Z");
    let state = attempts::quiz_state(&db, &item, early).unwrap();
    assert_eq!(state.availability, Availability::NotYetOpen);
    assert!(matches!(
        attempts::start(&db, &item, early, None),
        Err(AssessError::NotYetOpen { .. })
    ));

    let t0 = at("2027-02-20T09:00:00Z");
    let view = attempts::start(&db, &item, t0, Some(-1_500)).unwrap();
    assert_eq!(view.number, 1);
    assert_eq!(view.deadline_ms, Some(t0 + 25 * MINUTE), "25 minutes");
    assert_eq!(view.questions.len(), 10);
    // What the player gets carries no key and no feedback.
    let shown = serde_json::to_string(&view).unwrap();
    // (Keys would be `"answer":"b"`, `"answer":[…]`, `"answer":false`; the learner's own
    // answers are objects or null.)
    for secret in [
        "\"answer\":\"",
        "\"answer\":[",
        "\"answer\":false",
        "Part I of the",
        "CEACR",
        "\"accepted\"",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked to the player");
    }
    // Starting again returns the same attempt, in the same order.
    let again = attempts::start(&db, &item, t0 + MINUTE, None).unwrap();
    assert_eq!(again.id, view.id);
    assert_eq!(again.questions, view.questions);
    // An update waits for it: open now, not once its time has run out.
    assert_eq!(attempts::open_count(&db, t0 + MINUTE).unwrap(), 1);
    assert_eq!(attempts::open_count(&db, t0 + 26 * MINUTE).unwrap(), 0);

    let save = |question: &str, answer: Answer, minutes: i64| {
        attempts::save_answer(
            &db,
            &item,
            &view.id,
            question,
            &answer,
            t0 + minutes * MINUTE,
        )
    };
    save("q1", Answer::SingleChoice { choice: "a".into() }, 1).unwrap();
    save("q1", Answer::SingleChoice { choice: "b".into() }, 2).unwrap(); // changed mind
    save(
        "q2",
        Answer::MultipleResponse {
            choices: vec!["a".into(), "b".into(), "c".into(), "f".into()],
        },
        2,
    )
    .unwrap();
    save(
        "q6",
        Answer::ShortAnswer {
            text: "  committee OF experts ".into(),
        },
        3,
    )
    .unwrap();
    save(
        "q7",
        Answer::Numeric {
            text: "1 990".into(),
        },
        3,
    )
    .unwrap();
    // An answer that does not fit its question is refused and nothing is stored.
    assert!(matches!(
        save("q3", Answer::SingleChoice { choice: "a".into() }, 3),
        Err(AssessError::BadAnswer(_))
    ));
    assert!(matches!(
        save(
            "q1",
            Answer::SingleChoice {
                choice: "zz".into()
            },
            3
        ),
        Err(AssessError::BadAnswer(_))
    ));

    // The app closes (the database is dropped) and opens again: everything is where it was.
    drop(db);
    let db = ProgressDb::open(&db_path).unwrap();
    let resumed = attempts::attempt(&db, &item, &view.id, t0 + 5 * MINUTE).unwrap();
    let order = |v: &attempts::AttemptView| {
        v.questions
            .iter()
            .map(|q| q.question.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(&resumed),
        order(&view),
        "same question order after a restart"
    );
    let answers: BTreeMap<String, Answer> = resumed
        .questions
        .iter()
        .filter_map(|q| Some((q.question.id.clone(), q.answer.clone()?)))
        .collect();
    assert_eq!(answers.len(), 4);
    assert_eq!(answers["q1"], Answer::SingleChoice { choice: "b".into() });
    assert_eq!(resumed.deadline_ms, view.deadline_ms);

    // Practice: checking locks the answer and gives feedback with the key.
    let feedback = attempts::check(&db, &item, &view.id, "q6", t0 + 6 * MINUTE).unwrap();
    assert_eq!(feedback.grade.verdict, Verdict::Correct);
    assert!(feedback.feedback.is_some());
    assert!(matches!(
        attempts::save_answer(
            &db,
            &item,
            &view.id,
            "q6",
            &Answer::ShortAnswer { text: "x".into() },
            t0 + 7 * MINUTE
        ),
        Err(AssessError::Checked)
    ));
    assert!(matches!(
        attempts::check(&db, &item, &view.id, "q3", t0 + 7 * MINUTE),
        Err(AssessError::Unanswered)
    ));

    let entry = attempts::submit(&db, &item, &view.id, t0 + 8 * MINUTE).unwrap();
    assert_eq!(attempts::open_count(&db, t0 + 8 * MINUTE).unwrap(), 0);
    assert_eq!(entry.kind, SubmissionKind::Quiz);
    assert_eq!(entry.state, OutboxState::Queued);
    assert_eq!(entry.version, 1);
    let grade = entry.grade.clone().expect("a practice quiz is graded here");
    // q1 1 + q2 2 + q6 1 + q7 1 of 13 points.
    assert_eq!(grade.score, 5.0);
    assert_eq!(grade.max_score, 13.0);
    assert_eq!(grade.passed, Some(false));

    // A second submit, after the first or racing it, changes nothing.
    assert!(matches!(
        attempts::submit(&db, &item, &view.id, t0 + 9 * MINUTE),
        Err(AssessError::AlreadySubmitted)
    ));
    assert!(matches!(
        attempts::save_answer(
            &db,
            &item,
            &view.id,
            "q3",
            &Answer::TrueFalse { value: false },
            t0 + 9 * MINUTE
        ),
        Err(AssessError::AlreadySubmitted)
    ));
    let all = outbox::list(&db).unwrap();
    assert_eq!(all.len(), 1);

    // The payload is what was answered, and its hash is what the outbox says.
    let (stored, payload) = outbox::get(&db, &entry.id).unwrap();
    assert_eq!(stored.payload_sha256, sha256_hex(&payload));
    let sent: attempts::QuizSubmission = serde_json::from_slice(&payload).unwrap();
    assert_eq!(sent.submission_id, entry.id);
    assert_eq!(sent.attempt_id, view.id);
    assert_eq!(sent.clock_offset_ms, Some(-1_500));
    assert_eq!(sent.started_ms, t0);
    assert_eq!(sent.submitted_by, SubmittedBy::Learner);
    assert_eq!(sent.answers.len(), 4);
    assert_eq!(sent.answers[0].question_id, "q1", "in the quiz's order");
    assert_eq!(sent.definition_sha256, item.sha256);

    // The review shows every question's feedback; the item counts as done.
    let review = attempts::attempt(&db, &item, &view.id, t0 + 10 * MINUTE).unwrap();
    assert!(review.questions.iter().all(|q| q.feedback.is_some()));
    assert_eq!(review.grade, Some(grade));
    assert!(db.item(DEMO, "b1-quiz").unwrap().completed_ms.is_some());

    // Three attempts are allowed.
    for n in 2..=3 {
        let next = attempts::start(&db, &item, t0 + (10 * n) * MINUTE, None).unwrap();
        assert_eq!(next.number, n as u32);
        attempts::submit(&db, &item, &next.id, t0 + (10 * n + 1) * MINUTE).unwrap();
    }
    assert!(matches!(
        attempts::start(&db, &item, t0 + 60 * MINUTE, None),
        Err(AssessError::NoAttemptsLeft { allowed: 3 })
    ));
    assert_eq!(outbox::list(&db).unwrap().len(), 3);
}

#[test]
fn the_time_limit_runs_while_the_app_is_closed_and_submits_what_was_saved() {
    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let item = assess::quiz_item(&library, DEMO, "b1-quiz").unwrap();
    let t0 = at("2027-02-20T09:00:00Z");
    let view = attempts::start(&db, &item, t0, None).unwrap();
    attempts::save_answer(
        &db,
        &item,
        &view.id,
        "q3",
        &Answer::TrueFalse { value: false },
        t0 + 24 * MINUTE,
    )
    .unwrap();
    // The app was closed at minute 24 and opens at minute 40: the attempt is over.
    let late = t0 + 40 * MINUTE;
    assert_eq!(
        attempts::submit_expired(&db, &item, t0 + 24 * MINUTE).unwrap(),
        None
    );
    let expired = attempts::submit_expired(&db, &item, late)
        .unwrap()
        .expect("time is up");
    assert_eq!(expired.created_ms, t0 + 25 * MINUTE);
    assert_eq!(
        attempts::submit_expired(&db, &item, late).unwrap(),
        None,
        "once"
    );
    assert!(matches!(
        attempts::save_answer(
            &db,
            &item,
            &view.id,
            "q10",
            &Answer::TrueFalse { value: false },
            late
        ),
        Err(AssessError::TimeUp)
    ));
    let state = attempts::quiz_state(&db, &item, late).unwrap();
    assert_eq!(state.current, None);
    let summary = &state.attempts[0];
    assert_eq!(summary.submitted_by, Some(SubmittedBy::TimeLimit));
    assert_eq!(
        summary.submitted_ms,
        Some(t0 + 25 * MINUTE),
        "submitted at the deadline"
    );
    assert_eq!(summary.answered, 1);
    let entries = outbox::list(&db).unwrap();
    assert_eq!(entries.len(), 1);
    let (_, payload) = outbox::get(&db, &entries[0].id).unwrap();
    let sent: attempts::QuizSubmission = serde_json::from_slice(&payload).unwrap();
    assert_eq!(sent.answers.len(), 1);
    assert_eq!(sent.submitted_by, SubmittedBy::TimeLimit);
    assert!(matches!(
        attempts::submit(&db, &item, &view.id, late),
        Err(AssessError::TimeUp)
    ));

    // A deadline never runs past the quiz's closing.
    let near_close = at("2027-03-28T21:50:00Z");
    let last = attempts::start(&db, &item, near_close, None).unwrap();
    assert_eq!(last.deadline_ms, Some(at("2027-03-28T21:59:00Z")));
    let closed = at("2027-03-29T08:00:00Z");
    let state = attempts::quiz_state(&db, &item, closed).unwrap();
    assert_eq!(state.availability, Availability::Closed);
    assert_eq!(
        outbox::list(&db).unwrap().len(),
        2,
        "the cut attempt was submitted"
    );
}

#[test]
fn a_graded_quiz_keeps_its_key_on_the_server_and_awaits_its_grade() {
    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let item = assess::quiz_item(&library, DEMO, "b3-quiz").unwrap();
    let t0 = item
        .quiz
        .opens
        .map_or(at("2027-03-10T09:00:00Z"), |t| t.as_millisecond() + MINUTE);
    let view = attempts::start(&db, &item, t0, None).unwrap();
    assert!(!view.practice);
    let essay = view
        .questions
        .iter()
        .find(|q| matches!(q.question.kind, PresentedKind::Essay { .. }))
        .unwrap();
    attempts::save_answer(
        &db,
        &item,
        &view.id,
        &essay.question.id,
        &Answer::Essay {
            text: "Document hours and pay; complain to the inspectorate.".into(),
        },
        t0 + MINUTE,
    )
    .unwrap();
    assert!(matches!(
        attempts::check(&db, &item, &view.id, &essay.question.id, t0 + MINUTE),
        Err(AssessError::NotPractice)
    ));
    let entry = attempts::submit(&db, &item, &view.id, t0 + 2 * MINUTE).unwrap();
    assert_eq!(entry.grade, None, "awaiting the server's grade");
    let review = attempts::attempt(&db, &item, &view.id, t0 + 3 * MINUTE).unwrap();
    assert!(review.questions.iter().all(|q| q.feedback.is_none()));
}

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn an_assignment_draft_keeps_its_history_and_attachments_and_is_submitted_as_versions() {
    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let store = AttachmentStore::new(dir.path().join("attachments"));
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let mut item = assess::assignment_item(&library, DEMO, "b3-final-assignment").unwrap();
    let t0 = at("2027-03-20T09:00:00Z");
    let edit = |text: &str, declared: bool| DraftEdit {
        text: text.into(),
        group_name: None,
        declared,
    };

    // Autosave: each save is durable; the history takes a snapshot at most every two minutes.
    let mut draft = assignments::save_draft(&db, &item, &edit("A first line.", false), t0).unwrap();
    assert_eq!(draft.revision, 1);
    for second in 1..=5 {
        draft = assignments::save_draft(
            &db,
            &item,
            &edit(&format!("A first line, typed {second}."), false),
            t0 + second * 1000,
        )
        .unwrap();
    }
    assert_eq!(draft.revision, 6);
    let state = assignments::state(&db, &item, t0).unwrap();
    assert_eq!(state.versions.len(), 1, "one snapshot while typing");
    assert_eq!(state.versions[0].preview, "A first line.");
    assignments::save_draft(
        &db,
        &item,
        &edit("A rewritten text.", false),
        t0 + 3 * MINUTE,
    )
    .unwrap();
    let state = assignments::state(&db, &item, t0).unwrap();
    assert_eq!(state.versions.len(), 2);
    // Restoring an earlier text keeps the current one in the history.
    let oldest = state.versions.last().unwrap().id;
    draft = assignments::restore_version(&db, &item, oldest, t0 + 4 * MINUTE).unwrap();
    assert_eq!(draft.text, "A first line.");
    let state = assignments::state(&db, &item, t0).unwrap();
    assert!(
        state
            .versions
            .iter()
            .any(|v| v.preview == "A rewritten text.")
    );

    // Attachments: by type, size and number; refused ones leave the draft as it was.
    let pdf = write(&files, "note.pdf", b"%PDF-1.7 an action note");
    let txt = write(&files, "annex.TXT", b"annex");
    let exe = write(&files, "tool.exe", b"MZ");
    let before = draft.revision;
    let refused = assignments::add_attachment(&db, &store, &item, &exe, t0).unwrap_err();
    assert!(
        refused.to_string().contains("pdf, docx, odt, md, txt"),
        "{refused}"
    );
    let missing =
        assignments::add_attachment(&db, &store, &item, &files.join("gone.pdf"), t0).unwrap_err();
    assert!(missing.to_string().contains("gone.pdf"), "{missing}");
    item.assignment.max_attachment_mb = Some(1);
    let big = write(&files, "big.pdf", &vec![7u8; 1024 * 1024 + 1]);
    let too_big = assignments::add_attachment(&db, &store, &item, &big, t0).unwrap_err();
    assert!(too_big.to_string().contains("1 MB"), "{too_big}");
    assert_eq!(
        assignments::state(&db, &item, t0).unwrap().draft.revision,
        before
    );
    let first = assignments::add_attachment(&db, &store, &item, &pdf, t0).unwrap();
    let second = assignments::add_attachment(&db, &store, &item, &txt, t0).unwrap();
    assert_eq!(first.sha256, sha256_hex(b"%PDF-1.7 an action note"));
    assert!(
        assignments::add_attachment(&db, &store, &item, &pdf, t0).is_err(),
        "attached twice"
    );
    item.assignment.max_attachments = Some(2);
    let third = write(&files, "third.md", b"# more");
    assert!(
        assignments::add_attachment(&db, &store, &item, &third, t0)
            .unwrap_err()
            .to_string()
            .contains("at most 2")
    );
    // The originals can go: Carrel has its copies.
    std::fs::remove_file(&pdf).unwrap();

    // Not ready: the declaration is asked for.
    let draft = assignments::state(&db, &item, t0).unwrap().draft;
    assert!(matches!(
        assignments::submit(&db, &store, &item, draft.revision, t0),
        Err(AssessError::NotReady(_))
    ));
    let draft =
        assignments::save_draft(&db, &item, &edit("My action note.", true), t0 + 5 * MINUTE)
            .unwrap();
    // A stale revision (the learner reviewed an older draft) is not submitted.
    assert!(matches!(
        assignments::submit(&db, &store, &item, draft.revision - 1, t0),
        Err(AssessError::DraftChanged)
    ));
    let submitted_at = t0 + 6 * MINUTE;
    let entry = assignments::submit(&db, &store, &item, draft.revision, submitted_at).unwrap();
    assert_eq!(entry.version, 1);
    assert_eq!(entry.attachments.len(), 2);
    assert!(matches!(
        assignments::submit(&db, &store, &item, draft.revision, submitted_at),
        Err(AssessError::AlreadySubmitted)
    ));
    let (_, payload) = outbox::get(&db, &entry.id).unwrap();
    let sent: assignments::AssignmentSubmission = serde_json::from_slice(&payload).unwrap();
    assert_eq!(sent.text, "My action note.");
    assert_eq!(sent.words, 3);
    assert_eq!(sent.declaration, item.assignment.declaration);
    assert!(!sent.late);
    for attachment in &sent.attachments {
        let bytes = std::fs::read(store.path_of(&attachment.sha256)).unwrap();
        assert_eq!(sha256_hex(&bytes), attachment.sha256, "{}", attachment.name);
    }
    assert_eq!(sent.attachments[0].sha256, first.sha256);
    assert_eq!(sent.attachments[1].sha256, second.sha256);
    // The draft is still there after submitting.
    assert_eq!(
        assignments::state(&db, &item, t0).unwrap().draft.text,
        "My action note."
    );

    // A damaged copy blocks the resubmission with a message naming it; nothing is queued.
    let draft = assignments::save_draft(
        &db,
        &item,
        &edit("My revised action note.", true),
        t0 + 7 * MINUTE,
    )
    .unwrap();
    std::fs::write(store.path_of(&second.sha256), b"changed").unwrap();
    let damaged =
        assignments::submit(&db, &store, &item, draft.revision, t0 + 8 * MINUTE).unwrap_err();
    assert!(damaged.to_string().contains("annex.TXT"), "{damaged}");
    assert_eq!(outbox::list(&db).unwrap().len(), 1);
    assignments::remove_attachment(&db, &item, &second.sha256, t0 + 9 * MINUTE).unwrap();
    let draft = assignments::state(&db, &item, t0).unwrap().draft;
    let resubmitted =
        assignments::submit(&db, &store, &item, draft.revision, t0 + 10 * MINUTE).unwrap();
    assert_eq!(resubmitted.version, 2);
    assert_eq!(
        outbox::for_item(&db, DEMO, "b3-final-assignment")
            .unwrap()
            .len(),
        2
    );

    // Without resubmission, a second version is refused.
    item.assignment.resubmission = false;
    let draft =
        assignments::save_draft(&db, &item, &edit("Third.", true), t0 + 11 * MINUTE).unwrap();
    assert!(matches!(
        assignments::submit(&db, &store, &item, draft.revision, t0 + 12 * MINUTE),
        Err(AssessError::NoResubmission)
    ));
}

#[test]
fn group_work_names_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let store = AttachmentStore::new(dir.path().join("attachments"));
    let item = assess::assignment_item(&library, DEMO, "b2-group-case-study").unwrap();
    let t0 = at("2027-03-10T09:00:00Z");
    let mut edit = DraftEdit {
        text: "Our case study.".into(),
        group_name: Some("   ".into()),
        declared: true,
    };
    let draft = assignments::save_draft(&db, &item, &edit, t0).unwrap();
    let error = assignments::submit(&db, &store, &item, draft.revision, t0).unwrap_err();
    assert!(error.to_string().contains("group"), "{error}");
    edit.group_name = Some(" Group 3 ".into());
    let draft = assignments::save_draft(&db, &item, &edit, t0 + 1000).unwrap();
    let entry = assignments::submit(&db, &store, &item, draft.revision, t0 + 2000).unwrap();
    let (_, payload) = outbox::get(&db, &entry.id).unwrap();
    let sent: assignments::AssignmentSubmission = serde_json::from_slice(&payload).unwrap();
    assert_eq!(sent.group_name.as_deref(), Some("Group 3"));
    // A quiz item is not an assignment, and the other way round.
    assert!(matches!(
        assess::assignment_item(&library, DEMO, "b1-quiz"),
        Err(AssessError::WrongKind(..))
    ));
}
