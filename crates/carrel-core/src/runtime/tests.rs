#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

fn item(id: &str) -> RuntimeItem<'_> {
    RuntimeItem {
        course_id: "c",
        item_id: id,
        title: "Golf",
        standard: "scorm-1.2",
    }
}

fn order(launch: u64, seq: u64) -> Order {
    Order { launch, seq }
}

fn db() -> (tempfile::TempDir, ProgressDb) {
    let dir = tempfile::tempdir().unwrap();
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    (dir, db)
}

/// A SCORM 1.2 commit as scorm-again sends it.
fn commit12(location: &str, status: &str, exit: &str) -> Commit {
    let completion = if status == "completed" || status == "passed" {
        "completed"
    } else {
        "incomplete"
    };
    let success = match status {
        "passed" => "passed",
        "failed" => "failed",
        _ => "unknown",
    };
    Commit::parse(
        json!({
            "completionStatus": completion,
            "successStatus": success,
            "totalTimeSeconds": 30,
            "score": { "raw": 80, "min": 0, "max": 100 },
            "runtimeData": { "cmi": { "core": {
                "lesson_location": location, "lesson_status": status, "exit": exit } } }
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

#[test]
fn a_suspended_session_resumes_at_its_location_and_a_finished_one_starts_a_new_attempt() {
    let (_dir, db) = db();
    let first = launch(&db, "c", "sco").unwrap();
    assert_eq!(
        (first.attempt, first.entry, first.data),
        (1, Entry::AbInitio, None)
    );

    commit(
        &db,
        &item("sco"),
        1,
        order(1, 1),
        &commit12("3", "incomplete", ""),
        false,
        1,
    )
    .unwrap();
    // Closed without Finish: what was committed comes back.
    let again = launch(&db, "c", "sco").unwrap();
    assert_eq!(again.entry, Entry::Resume);
    assert_eq!(again.data.unwrap()["cmi"]["core"]["lesson_location"], "3");

    commit(
        &db,
        &item("sco"),
        1,
        order(2, 1),
        &commit12("5", "incomplete", "suspend"),
        true,
        2,
    )
    .unwrap();
    let resumed = launch(&db, "c", "sco").unwrap();
    assert_eq!((resumed.attempt, resumed.entry), (1, Entry::Resume));
    assert_eq!(resumed.data.unwrap()["cmi"]["core"]["lesson_location"], "5");
    assert_eq!(resumed.total_time_s, 30.0);
    assert!(db.item("c", "sco").unwrap().completed_ms.is_none());

    // The resumed session initializes (a draft), then finishes.
    commit(
        &db,
        &item("sco"),
        1,
        order(3, 1),
        &commit12("5", "incomplete", ""),
        false,
        3,
    )
    .unwrap();
    let done = commit(
        &db,
        &item("sco"),
        1,
        order(3, 2),
        &commit12("9", "passed", ""),
        true,
        3,
    )
    .unwrap();
    assert!(done.completed_now);
    assert_eq!(done.progress.completed_ms, Some(3));
    let saved = state(&db, "c", "sco").unwrap().unwrap();
    assert_eq!(
        (saved.attempt, saved.session, saved.ended),
        (1, 2, true),
        "two sessions of attempt 1, the last one ended"
    );
    assert_eq!(saved.success, "passed");
    assert_eq!(saved.score_scaled, Some(0.8));

    let next = launch(&db, "c", "sco").unwrap();
    assert_eq!(
        (next.attempt, next.entry, next.data),
        (2, Entry::AbInitio, None)
    );
    let failed = commit(
        &db,
        &item("sco"),
        2,
        order(4, 1),
        &commit12("1", "failed", ""),
        true,
        4,
    )
    .unwrap();
    assert!(!failed.completed_now);
    assert_eq!(
        failed.progress.completed_ms,
        Some(3),
        "a later attempt never takes a completion back"
    );

    // Each ended session is queued once, in order, with what the content reported.
    let mut queued = outbox::list(&db).unwrap();
    queued.sort_by_key(|entry| entry.created_ms);
    let sessions: Vec<(u32, SubmissionKind)> = queued
        .iter()
        .map(|entry| (entry.version, entry.kind))
        .collect();
    assert_eq!(
        sessions,
        [
            (1, SubmissionKind::Scorm),
            (1, SubmissionKind::Scorm),
            (2, SubmissionKind::Scorm)
        ]
    );
    let results: Vec<RuntimeResult> = queued
        .iter()
        .map(|entry| serde_json::from_slice(&outbox::get(&db, &entry.id).unwrap().1).unwrap())
        .collect();
    let summary: Vec<(u32, u32, &str, &str, bool)> = results
        .iter()
        .map(|r| {
            (
                r.attempt,
                r.session,
                r.completion_status.as_str(),
                r.success_status.as_str(),
                r.suspended,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, 1, "incomplete", "unknown", true),
            (1, 2, "completed", "passed", false),
            (2, 1, "incomplete", "failed", false)
        ]
    );
    assert_eq!(results[1].score_scaled, Some(0.8));
    assert_eq!(
        results[1].runtime_data["cmi"]["core"]["lesson_location"],
        "9"
    );
    assert_eq!(results[1].submission_id, queued[1].id);
}

#[test]
fn a_commit_from_an_earlier_attempt_is_refused() {
    let (_dir, db) = db();
    commit(
        &db,
        &item("sco"),
        1,
        order(1, 1),
        &commit12("2", "completed", ""),
        true,
        1,
    )
    .unwrap();
    commit(
        &db,
        &item("sco"),
        2,
        order(1, 2),
        &commit12("1", "incomplete", ""),
        false,
        2,
    )
    .unwrap();
    let stale = commit(
        &db,
        &item("sco"),
        1,
        order(1, 3),
        &commit12("7", "incomplete", ""),
        false,
        3,
    );
    assert!(
        matches!(
            stale,
            Err(RuntimeError::StaleAttempt {
                sent: 1,
                current: 2
            })
        ),
        "{stale:?}"
    );
    let skipped = commit(
        &db,
        &item("other"),
        3,
        order(1, 1),
        &commit12("1", "incomplete", ""),
        false,
        3,
    );
    assert!(
        matches!(skipped, Err(RuntimeError::StaleAttempt { .. })),
        "{skipped:?}"
    );
    let saved = state(&db, "c", "sco").unwrap().unwrap();
    assert_eq!(saved.data["cmi"]["core"]["lesson_location"], "1");
}

#[test]
fn commits_that_are_not_the_runtimes_shape_are_refused() {
    for body in [
        "not json".to_owned(),
        json!({"completionStatus": "completed", "successStatus": "unknown", "runtimeData": {}})
            .to_string(),
        json!({"completionStatus": "done", "successStatus": "unknown", "runtimeData": {"cmi": {}}})
            .to_string(),
        format!(
            "{{\"completionStatus\":\"completed\",\"successStatus\":\"unknown\",\"runtimeData\":{{\"cmi\":{{\"x\":\"{}\"}}}}}}",
            "a".repeat(MAX_COMMIT_BYTES)
        ),
    ] {
        assert!(
            matches!(
                Commit::parse(body.as_bytes()),
                Err(RuntimeError::Invalid(_))
            ),
            "{}",
            &body[..body.len().min(80)]
        );
    }
}

#[test]
fn scorm_2004_exit_and_scaled_score_are_read() {
    let (_dir, db) = db();
    let body = json!({
        "completionStatus": "incomplete", "successStatus": "unknown",
        "score": { "scaled": 0.4 },
        "runtimeData": { "cmi": { "location": "p4", "exit": "suspend", "suspend_data": "x" } }
    });
    let c = Commit::parse(body.to_string().as_bytes()).unwrap();
    commit(&db, &item("sco"), 1, order(1, 1), &c, true, 1).unwrap();
    let saved = state(&db, "c", "sco").unwrap().unwrap();
    assert!(!saved.ended);
    assert_eq!(saved.score_scaled, Some(0.4));
    assert_eq!(launch(&db, "c", "sco").unwrap().entry, Entry::Resume);
}

#[test]
fn a_session_the_content_never_ended_is_ended_once_by_the_app_and_resumes() {
    let (_dir, db) = db();
    commit(
        &db,
        &item("sco"),
        1,
        order(1, 1),
        &commit12("4", "incomplete", ""),
        false,
        1,
    )
    .unwrap();
    // The window closed without Finish: the app ends the session.
    assert_eq!(end_open_sessions(&db, 2).unwrap(), 1);
    assert_eq!(end_open_sessions(&db, 3).unwrap(), 0, "once");
    let queued = outbox::list(&db).unwrap();
    let [entry] = queued.as_slice() else {
        panic!("one result: {queued:?}")
    };
    let result: RuntimeResult =
        serde_json::from_slice(&outbox::get(&db, &entry.id).unwrap().1).unwrap();
    assert_eq!(
        (
            result.attempt,
            result.session,
            result.suspended,
            result.score_scaled
        ),
        (1, 1, true, Some(0.8))
    );
    assert_eq!(result.runtime_data["cmi"]["core"]["lesson_location"], "4");
    assert_eq!(entry.title, "Golf");
    // A Finish arriving late stores its data but queues no second result for that session.
    commit(
        &db,
        &item("sco"),
        1,
        order(1, 2),
        &commit12("4", "incomplete", "suspend"),
        true,
        4,
    )
    .unwrap();
    assert_eq!(outbox::list(&db).unwrap().len(), 1);
    let resumed = launch(&db, "c", "sco").unwrap();
    assert_eq!(
        (resumed.launch, resumed.attempt, resumed.entry),
        (3, 1, Entry::Resume),
        "ending the session counted a launch, so the closed page's late commits are older"
    );
    // The next session is counted as the second; its Finish is handled before its first draft.
    commit(
        &db,
        &item("sco"),
        1,
        order(3, 2),
        &commit12("9", "completed", ""),
        true,
        6,
    )
    .unwrap();
    commit(
        &db,
        &item("sco"),
        1,
        order(3, 1),
        &commit12("6", "incomplete", ""),
        false,
        5,
    )
    .unwrap();
    let sessions: Vec<u32> = outbox::list(&db)
        .unwrap()
        .iter()
        .map(|entry| {
            serde_json::from_slice::<RuntimeResult>(&outbox::get(&db, &entry.id).unwrap().1)
                .unwrap()
                .session
        })
        .collect();
    assert_eq!(sessions, [2, 1], "newest first");
    let saved = state(&db, "c", "sco").unwrap().unwrap();
    assert_eq!(
        saved.data["cmi"]["core"]["lesson_location"], "9",
        "the draft handled after the Finish did not put older data back"
    );
    assert_eq!(saved.total_time_s, 30.0, "the Finish's total time");
}

#[test]
fn an_older_commit_stored_after_a_newer_one_is_ignored() {
    let (_dir, db) = db();
    assert_eq!(launch(&db, "c", "sco").unwrap().launch, 1);
    commit(
        &db,
        &item("sco"),
        1,
        order(1, 2),
        &commit12("7", "incomplete", ""),
        false,
        2,
    )
    .unwrap();
    // The draft sent before it arrives last: acknowledged, not stored.
    let late = commit(
        &db,
        &item("sco"),
        1,
        order(1, 1),
        &commit12("6", "incomplete", ""),
        false,
        3,
    )
    .unwrap();
    assert!(!late.stored);
    assert_eq!(
        state(&db, "c", "sco").unwrap().unwrap().data["cmi"]["core"]["lesson_location"],
        "7"
    );
    // A new launch starts its own count; a commit still coming from the previous one is ignored.
    let next = launch(&db, "c", "sco").unwrap();
    assert_eq!(next.launch, 2);
    commit(
        &db,
        &item("sco"),
        1,
        order(2, 1),
        &commit12("8", "incomplete", ""),
        false,
        4,
    )
    .unwrap();
    let previous = commit(
        &db,
        &item("sco"),
        1,
        order(1, 3),
        &commit12("1", "incomplete", ""),
        false,
        5,
    )
    .unwrap();
    assert!(!previous.stored);
    assert_eq!(
        state(&db, "c", "sco").unwrap().unwrap().data["cmi"]["core"]["lesson_location"],
        "8"
    );
}
