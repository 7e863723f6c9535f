//! `kill -9` while answers are saved and attempts and assignments submitted, again and again:
//! every acknowledged answer and draft is there, every acknowledged submission is in the outbox,
//! and no attempt or draft revision is ever in the outbox twice — or closed without its outbox row.
//!
//! The writer (see [`crate::kill`]) resumes where the killed one stopped, as the app does: it
//! takes the attempt in progress (or starts one), saves answers, submits every few answers, tries
//! to submit the previous attempt again (which must be refused), and saves and submits an
//! assignment draft. Each value it saves is larger than any saved before, in any process, so the
//! check can tell an acknowledged value from a newer unacknowledged one.

use std::collections::{HashMap, HashSet};

use carrel_core::assess::assignments::{self, AssignmentItem, DraftEdit};
use carrel_core::assess::attachments::AttachmentStore;
use carrel_core::assess::attempts::{self, QuizItem, QuizSubmission};
use carrel_core::assess::outbox::sha256_hex;
use carrel_core::assess::{Answer, AssessError};
use carrel_core::progress::{ProgressDb, Recovery};

use crate::kill;

pub(crate) fn quiz() -> QuizItem {
    let quiz = serde_json::from_value(serde_json::json!({
        "id": "quiz", "title": "Quiz", "mode": "practice", "passing_score": 0.5,
        "questions": [
            {"id": "q1", "prompt": "One", "type": "short_answer", "accepted": ["1"]},
            {"id": "q2", "prompt": "Two", "type": "short_answer", "accepted": ["2"]},
            {"id": "q3", "prompt": "Three", "type": "short_answer", "accepted": ["3"]}
        ]
    }))
    .unwrap();
    QuizItem {
        course_id: "course".into(),
        course_version: "1.0.0".into(),
        item_id: "quiz".into(),
        title: "Quiz".into(),
        quiz,
        sha256: "0".repeat(64),
    }
}

pub(crate) fn assignment() -> AssignmentItem {
    let assignment = serde_json::from_value(serde_json::json!({
        "id": "essay", "title": "Essay", "kind": "individual", "instructions": "brief.html",
        "resubmission": true
    }))
    .unwrap();
    AssignmentItem {
        course_id: "course".into(),
        course_version: "1.0.0".into(),
        item_id: "essay".into(),
        title: "Essay".into(),
        assignment,
    }
}

#[test]
fn kill_9_while_answering_and_submitting_loses_nothing_and_queues_nothing_twice() {
    if let Some(path) = kill::writer_path() {
        write_until_killed(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    let test =
        "assess_kill::kill_9_while_answering_and_submitting_loses_nothing_and_queues_nothing_twice";
    // (attempt, question) → the largest acknowledged value; acknowledged submissions.
    let mut answers: HashMap<(String, String), u64> = HashMap::new();
    let mut submitted: HashMap<String, String> = HashMap::new();
    let mut draft_acked = 0u64;
    let mut drafts_submitted: HashSet<String> = HashSet::new();
    let mut refusals = 0usize;
    kill::kill_trials(test, &path, |trial, lines| {
        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["answer", attempt, question, value] => {
                    let value: u64 = value.parse().unwrap();
                    let slot = answers
                        .entry(((*attempt).into(), (*question).into()))
                        .or_default();
                    *slot = (*slot).max(value);
                }
                ["submitted", attempt, outbox_id] => {
                    submitted.insert((*attempt).into(), (*outbox_id).into());
                }
                ["refused", _] => refusals += 1,
                ["draft", value] => draft_acked = draft_acked.max(value.parse().unwrap()),
                ["draft-submitted", outbox_id] => {
                    drafts_submitted.insert((*outbox_id).into());
                }
                other => panic!("trial {trial}: unexpected line {other:?}"),
            }
        }
        let (db, recovery) = ProgressDb::open_or_recover(&path).unwrap();
        assert_eq!(
            recovery,
            Recovery::None,
            "trial {trial}: the file needed recovery"
        );
        let integrity: String = db
            .transact(|tx| {
                Ok::<_, carrel_core::progress::ProgressError>(tx.query_row(
                    "PRAGMA integrity_check",
                    [],
                    |row| row.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(integrity, "ok", "trial {trial}");
        let (stored_answers, attempts_closed, outbox_rows, draft_text) = db
            .transact(|tx| {
                let answers = stored_answers(tx)?;
                let closed = attempts_closed(tx)?;
                let outbox = tx
                    .prepare("SELECT id, kind, source, payload, payload_sha256 FROM outbox")?
                    .query_map([], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, String>(3)?,
                            row.get::<_, String>(4)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let draft: Option<String> = tx
                    .query_row("SELECT text FROM drafts", [], |row| row.get(0))
                    .ok();
                Ok::<_, carrel_core::progress::ProgressError>((answers, closed, outbox, draft))
            })
            .unwrap();

        // Every acknowledged answer is there (or a newer one the killed writer saved).
        let stored: HashMap<(String, String), u64> = stored_answers
            .iter()
            .map(|(attempt, question, json)| {
                let Answer::ShortAnswer { text } = serde_json::from_str(json).unwrap() else {
                    panic!("short answers only")
                };
                ((attempt.clone(), question.clone()), text.parse().unwrap())
            })
            .collect();
        for (key, acked) in &answers {
            let kept = stored.get(key).copied();
            assert!(
                kept.is_some_and(|kept| kept >= *acked),
                "trial {trial}: answer {key:?} acknowledged as {acked}, stored {kept:?}"
            );
        }
        if draft_acked > 0 {
            let kept: u64 = draft_text.as_deref().unwrap_or("0").parse().unwrap();
            assert!(
                kept >= draft_acked,
                "trial {trial}: draft acknowledged as {draft_acked}, stored {kept}"
            );
        }

        // One outbox row per source; a closed attempt has exactly one, an open one none.
        let mut sources = HashSet::new();
        for (_, _, source, payload, sha) in &outbox_rows {
            assert!(
                sources.insert(source.clone()),
                "trial {trial}: {source} queued twice"
            );
            assert_eq!(
                &sha256_hex(payload.as_bytes()),
                sha,
                "trial {trial}: payload of {source}"
            );
        }
        for (attempt, closed) in &attempts_closed {
            assert_eq!(
                sources.contains(&format!("attempt:{attempt}")),
                *closed,
                "trial {trial}: attempt {attempt} closed={closed}"
            );
        }
        // Every acknowledged submission is queued, with the answers as they were.
        let by_id: HashMap<&str, &(String, String, String, String, String)> = outbox_rows
            .iter()
            .map(|row| (row.0.as_str(), row))
            .collect();
        for (attempt, outbox_id) in &submitted {
            let row = by_id
                .get(outbox_id.as_str())
                .unwrap_or_else(|| panic!("trial {trial}: submission {outbox_id} lost"));
            let sent: QuizSubmission = serde_json::from_str(&row.3).unwrap();
            assert_eq!(&sent.attempt_id, attempt);
            for answer in &sent.answers {
                let Answer::ShortAnswer { text } = &answer.answer else {
                    panic!()
                };
                let key = (attempt.clone(), answer.question_id.clone());
                assert_eq!(
                    Some(text.parse::<u64>().unwrap()),
                    stored.get(&key).copied(),
                    "trial {trial}: {key:?} changed after submit"
                );
            }
        }
        for outbox_id in &drafts_submitted {
            assert!(
                by_id.contains_key(outbox_id.as_str()),
                "trial {trial}: draft submission {outbox_id} lost"
            );
        }
    });
    assert!(
        !submitted.is_empty() && !drafts_submitted.is_empty(),
        "the writers submitted nothing"
    );
    eprintln!(
        "kill -9 trials: {}, {} answers, {} attempts and {} drafts submitted, {} repeated submits refused",
        kill::trials(),
        answers.len(),
        submitted.len(),
        drafts_submitted.len(),
        refusals
    );
}

/// Every stored answer as `(attempt, question, answer JSON)`.
pub(crate) fn stored_answers(
    tx: &rusqlite::Transaction<'_>,
) -> rusqlite::Result<Vec<(String, String, String)>> {
    tx.prepare("SELECT attempt_id, question_id, answer FROM answers")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect()
}

/// Every attempt with whether it was submitted (closed).
pub(crate) fn attempts_closed(
    tx: &rusqlite::Transaction<'_>,
) -> rusqlite::Result<Vec<(String, bool)>> {
    tx.prepare("SELECT id, submitted_ms IS NOT NULL FROM attempts")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect()
}

/// The child's work: answers and submits until it is killed.
fn write_until_killed(path: &str) -> ! {
    let db = ProgressDb::open(std::path::Path::new(path)).unwrap();
    let store = AttachmentStore::new(std::path::Path::new(path).with_extension("attachments"));
    let (quiz, assignment) = (quiz(), assignment());
    let mut out = std::io::stdout().lock();
    // Larger than any value an earlier writer saved: it started at least a millisecond earlier
    // and saves far fewer than a thousand values a millisecond.
    let mut value = carrel_protocol::unix_time_ms() * 1000;
    let now = || carrel_protocol::unix_time_ms() as i64;
    let mut previous: Option<String> = None;
    for n in 0u64.. {
        let attempt = attempts::start(&db, &quiz, now(), None).unwrap();
        for question in ["q1", "q2", "q3"] {
            value += 1;
            let answer = Answer::ShortAnswer {
                text: value.to_string(),
            };
            attempts::save_answer(&db, &quiz, &attempt.id, question, &answer, now()).unwrap();
            kill::ack(
                &mut out,
                format_args!("answer {} {question} {value}", attempt.id),
            );
        }
        if let Some(previous) = &previous {
            let again = attempts::submit(&db, &quiz, previous, now());
            assert!(
                matches!(again, Err(AssessError::AlreadySubmitted)),
                "{again:?}"
            );
            kill::ack(&mut out, format_args!("refused {previous}"));
        }
        if n % 2 == 1 {
            let entry = attempts::submit(&db, &quiz, &attempt.id, now()).unwrap();
            kill::ack(
                &mut out,
                format_args!("submitted {} {}", attempt.id, entry.id),
            );
            previous = Some(attempt.id.clone());
        }
        value += 1;
        let edit = DraftEdit {
            text: value.to_string(),
            group_name: None,
            declared: false,
        };
        let draft = assignments::save_draft(&db, &assignment, &edit, now()).unwrap();
        kill::ack(&mut out, format_args!("draft {value}"));
        if n % 3 == 2 {
            let entry =
                assignments::submit(&db, &store, &assignment, draft.revision, now()).unwrap();
            kill::ack(&mut out, format_args!("draft-submitted {}", entry.id));
        }
    }
    unreachable!("the writer loops until it is killed")
}
