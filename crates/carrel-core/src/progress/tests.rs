//! The progress database on real files in a temporary folder.

use proptest::prelude::*;

use super::*;
use crate::assess::outbox::{self, OutboxState, sha256_hex};

fn event(item: &str, kind: EventKind, at_ms: i64, value: Option<f64>) -> Event {
    Event {
        id: new_event_id(),
        course_id: "course".into(),
        item_id: item.into(),
        kind,
        at_ms,
        value,
        unit: (kind == EventKind::Position).then(|| "seconds".into()),
        end: (kind == EventKind::Watched).then(|| value.unwrap_or(0.0) + 5.0),
    }
}

#[test]
fn summaries_follow_the_events_and_a_resend_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = ProgressDb::open(&dir.path().join("progress.sqlite3")).unwrap();
    let events = vec![
        event("video", EventKind::Opened, 1_000, None),
        event("video", EventKind::Position, 1_500, Some(42.0)),
        event("video", EventKind::Progressed, 1_500, Some(0.4)),
        event("video", EventKind::TimeOnTask, 1_600, Some(60.0)),
        event("video", EventKind::Progressed, 1_700, Some(0.2)),
        event("page", EventKind::Opened, 2_000, None),
        event("page", EventKind::Completed, 2_100, None),
    ];
    assert_eq!(db.record(&events).unwrap(), 7);
    assert_eq!(
        db.record(&events[..3]).unwrap(),
        0,
        "a resent event is ignored"
    );

    let video = db.item("course", "video").unwrap();
    assert_eq!(video.progress, 0.4, "progress never goes back");
    assert_eq!(video.position, Some(42.0));
    assert_eq!(video.position_unit.as_deref(), Some("seconds"));
    assert_eq!(
        video.time_on_task_s, 60.0,
        "counted once despite the resend"
    );
    assert_eq!(
        (video.first_opened_ms, video.completed_ms),
        (Some(1_000), None)
    );
    let page = db.item("course", "page").unwrap();
    assert_eq!((page.progress, page.completed_ms), (1.0, Some(2_100)));

    let course = db.course("course").unwrap();
    assert_eq!(course.completed_items, 1);
    assert_eq!(course.last_item_id.as_deref(), Some("page"));
    assert_eq!(course.last_studied_ms, Some(2_100));
    assert_eq!(db.item("course", "untouched").unwrap().progress, 0.0);
}

fn arb_event() -> impl Strategy<Value = Event> {
    (
        prop::sample::select(vec!["a", "b", "c"]),
        prop::sample::select(vec![
            EventKind::Opened,
            EventKind::Progressed,
            EventKind::Completed,
            EventKind::TimeOnTask,
            EventKind::Position,
            EventKind::Watched,
        ]),
        0i64..50,
        0u32..100,
    )
        .prop_map(|(item, kind, at, value)| {
            // Whole seconds and hundredths: sums are exact in any order.
            let value = match kind {
                EventKind::Progressed => Some(f64::from(value) / 100.0),
                EventKind::TimeOnTask | EventKind::Position | EventKind::Watched => {
                    Some(f64::from(value))
                }
                _ => None,
            };
            event(item, kind, at, value)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Two devices that saw the same events in different orders agree on every summary, and a
    /// rebuild from the log agrees too: nothing depends on who wrote last.
    #[test]
    fn any_order_of_the_same_events_gives_the_same_summaries(
        events in prop::collection::vec(arb_event(), 1..40),
        seed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let a = ProgressDb::open(&dir.path().join("a.sqlite3")).unwrap();
        let b = ProgressDb::open(&dir.path().join("b.sqlite3")).unwrap();
        a.record(&events).unwrap();
        let mut shuffled = events.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        // One at a time, as a slow device would record them.
        for event in &shuffled {
            b.record(std::slice::from_ref(event)).unwrap();
        }
        prop_assert_eq!(a.items("course").unwrap(), b.items("course").unwrap());
        let before = a.items("course").unwrap();
        a.rebuild_summaries().unwrap();
        prop_assert_eq!(a.items("course").unwrap(), before);
    }
}

/// A database at schema version `version` (0 = a new empty file) with an event when it can hold one.
fn database_at(path: &Path, version: usize) {
    let conn = Connection::open(path).unwrap();
    for sql in &MIGRATIONS[..version] {
        conn.execute_batch(sql).unwrap();
    }
    conn.pragma_update(None, "user_version", version).unwrap();
    if version >= 1 {
        conn.execute(
            "INSERT INTO events (id, course_id, item_id, kind, at_ms) VALUES ('e1', 'c', 'i', 'opened', 5)",
            [],
        )
        .unwrap();
    }
}

#[test]
fn every_earlier_schema_upgrades_and_keeps_its_events() {
    for version in 0..MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.sqlite3");
        database_at(&path, version);
        let db = ProgressDb::open(&path).unwrap();
        let found: usize = db
            .conn()
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(found, MIGRATIONS.len(), "from version {version}");
        if version >= 1 {
            let kept: i64 = db
                .conn()
                .query_row("SELECT COUNT(*) FROM events WHERE id = 'e1'", [], |row| {
                    row.get(0)
                })
                .unwrap();
            assert_eq!(
                kept, 1,
                "an event written at version {version} survives the upgrade"
            );
        }
    }
}

#[test]
fn a_database_from_a_newer_carrel_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    database_at(&path, MIGRATIONS.len());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", MIGRATIONS.len() + 1)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let error = ProgressDb::open_or_recover(&path).unwrap_err();
    assert!(matches!(error, ProgressError::TooNew { .. }), "{error}");
    assert!(error.to_string().contains("Update Carrel"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing was changed");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing was moved or added"
    );
}

/// Overwrites the middle of a database file with garbage, as a failing disk might.
fn damage(path: &Path) {
    damage_from(path, 4096);
}

/// Overwrites a database file with garbage from byte `start` to near its end.
fn damage_from(path: &Path, start: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > start + 4096, "the file has pages to damage");
    let end = bytes.len() - 1024;
    for byte in &mut bytes[start..end] {
        *byte = 0xA5;
    }
    std::fs::write(path, bytes).unwrap();
}

fn fill(db: &ProgressDb, count: usize, at: i64) {
    let events: Vec<Event> = (0..count)
        .map(|i| {
            event(
                &format!("item-{}", i % 50),
                EventKind::TimeOnTask,
                at + i as i64,
                Some(1.0),
            )
        })
        .collect();
    db.record(&events).unwrap();
}

#[test]
fn a_damaged_file_is_moved_aside_and_the_backup_restored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    {
        let db = ProgressDb::open(&path).unwrap();
        fill(&db, 2_000, 0);
        db.backup().unwrap();
        fill(&db, 100, 10_000);
    }
    damage(&path);
    let (db, recovery) = ProgressDb::open_or_recover(&path).unwrap();
    let Recovery::RestoredFromBackup { moved_to, .. } = recovery else {
        panic!("expected a restore from the backup, got {recovery:?}");
    };
    assert!(moved_to.exists(), "the damaged file is kept, never deleted");
    assert!(db.quick_check().unwrap());
    let total: f64 = db
        .items("course")
        .unwrap()
        .iter()
        .map(|i| i.time_on_task_s)
        .sum();
    assert_eq!(total, 2_000.0, "exactly what the backup held");
}

#[test]
fn a_damaged_file_without_a_backup_starts_fresh_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    {
        let db = ProgressDb::open(&path).unwrap();
        fill(&db, 2_000, 0);
    }
    damage(&path);
    let (db, recovery) = ProgressDb::open_or_recover(&path).unwrap();
    let Recovery::StartedFresh { moved_to } = recovery else {
        panic!("expected a fresh start, got {recovery:?}");
    };
    assert!(moved_to.exists());
    assert!(db.items("course").unwrap().is_empty());
    assert!(db.quick_check().unwrap());
}

#[test]
fn a_failed_transaction_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = ProgressDb::open(&dir.path().join("p.sqlite3")).unwrap();
    let result: Result<(), ProgressError> = db.transact(|tx| {
        insert_event(tx, &event("a", EventKind::Opened, 1, None))?;
        Err(ProgressError::Db(rusqlite::Error::InvalidQuery))
    });
    assert!(result.is_err());
    assert_eq!(db.course("course").unwrap().last_item_id, None);
}

#[test]
fn one_process_at_a_time_owns_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.lock");
    let first = ProfileLock::acquire(&path).unwrap();
    assert!(matches!(
        ProfileLock::acquire(&path),
        Err(ProgressError::InUse { .. })
    ));
    drop(first);
    ProfileLock::acquire(&path).expect("free again once the owner is gone");
}

/// A database as an earlier Carrel at schema `version` (3 or more: it has the outbox) left it, in
/// WAL mode like every shipped one, holding one submission in each outbox state the sync can
/// leave it in, written with the columns that version has. Returns each entry's id, state and payload.
fn old_carrel_with_outbox(path: &Path, version: usize) -> Vec<(String, OutboxState, String)> {
    assert!(version >= 3, "the outbox came with 0003_assessments.sql");
    let db = ProgressDb::open_with(path, &MIGRATIONS[..version]).unwrap();
    db.record(&[event("page", EventKind::Opened, 5, None)])
        .unwrap();
    let states = [
        (OutboxState::Queued, "queued", None, None),
        (OutboxState::Sending, "sending", None, None),
        (OutboxState::Received, "received", Some("receipt-3"), None),
        (OutboxState::Graded, "graded", Some("receipt-4"), None),
        (
            OutboxState::NeedsAttention,
            "needs_attention",
            None,
            Some("The course closed."),
        ),
    ];
    let conn = db.conn();
    states
        .iter()
        .enumerate()
        .map(|(n, (state, text, receipt, problem))| {
            let id = format!("0190a000-0000-7000-8000-00000000000{n}");
            let payload = format!(r#"{{"answers":["réponse {n}","✓"],"n":{n}}}"#);
            conn.execute(
                "INSERT INTO outbox (id, kind, course_id, item_id, title, source, version, payload,
                     payload_sha256, created_ms, state, state_ms, tries, receipt, problem)
                 VALUES (?1, 'assignment', 'course', 'essay', 'Essay', ?2, ?3, ?4, ?5, ?6, ?7, ?6,
                     ?8, ?9, ?10)",
                params![
                    id,
                    format!("draft:essay:{n}"),
                    n + 1,
                    payload,
                    sha256_hex(payload.as_bytes()),
                    1_000 + n as i64,
                    text,
                    n,
                    receipt,
                    problem
                ],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO outbox_attachments (outbox_id, sha256, name, size)
                 VALUES (?1, ?2, 'notes.pdf', 12)",
                params![id, "ab".repeat(32)],
            )
            .unwrap();
            (id, *state, payload)
        })
        .collect()
}

/// The outbox rows of a file opened as it is, without migrating: `(id, state, payload)`.
fn raw_outbox(path: &Path) -> Vec<(String, String, String)> {
    let conn =
        Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut statement = conn
        .prepare("SELECT id, state, payload FROM outbox ORDER BY id")
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn user_version(path: &Path) -> usize {
    Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_earlier_schema_with_an_outbox_upgrades_and_keeps_every_submission() {
    for version in 3..MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.sqlite3");
        let written = old_carrel_with_outbox(&path, version);
        let db = ProgressDb::open(&path).unwrap();

        let listed = outbox::list(&db).unwrap();
        assert_eq!(
            listed.len(),
            written.len(),
            "every submission queued at version {version} is still in the outbox"
        );
        for (id, state, payload) in &written {
            let (entry, stored) = outbox::get(&db, id).unwrap();
            assert_eq!(
                entry.state, *state,
                "{id} keeps its state from version {version}"
            );
            assert_eq!(
                stored,
                payload.as_bytes(),
                "the payload is byte for byte what the learner submitted at version {version}"
            );
            assert_eq!(entry.payload_sha256, sha256_hex(payload.as_bytes()));
            assert_eq!(entry.attachments.len(), 1, "its file is still listed");
            assert_eq!(entry.course_id, "course");
        }
        let received = outbox::get(&db, &written[2].0).unwrap().0;
        assert_eq!(received.receipt.as_deref(), Some("receipt-3"));
        let attention = outbox::get(&db, &written[4].0).unwrap().0;
        assert_eq!(attention.problem.as_deref(), Some("The course closed."));
        assert_eq!(
            db.item("course", "page").unwrap().first_opened_ms,
            Some(5),
            "progress from version {version} is kept too"
        );
    }
}

#[test]
fn an_upgrade_keeps_a_copy_for_the_previous_carrel_and_only_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    let written = old_carrel_with_outbox(&path, 3);
    let stale = dir.path().join("progress.sqlite3.before-v1");
    std::fs::write(&stale, b"a copy from an upgrade long ago").unwrap();
    drop(ProgressDb::open(&path).unwrap());

    let copy = dir.path().join("progress.sqlite3.before-v3");
    assert!(copy.exists(), "the file as version 3 left it is kept");
    assert_eq!(
        user_version(&copy),
        3,
        "the copy opens at the old version, for the previous Carrel"
    );
    assert_eq!(raw_outbox(&copy).len(), written.len(), "with its outbox");
    assert!(!stale.exists(), "only the newest pre-upgrade copy is kept");
    assert_eq!(user_version(&path), MIGRATIONS.len());

    // An up-to-date file, and a new one, have nothing to go back to.
    let before = std::fs::read(&copy).unwrap();
    drop(ProgressDb::open(&path).unwrap());
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "no upgrade, no new copy"
    );
    let fresh = dir.path().join("fresh").join("progress.sqlite3");
    drop(ProgressDb::open(&fresh).unwrap());
    assert_eq!(file_names(fresh.parent().unwrap()), ["progress.sqlite3"]);
}

/// The shipped steps, then one that changes the schema and the outbox before it fails.
fn steps_failing_half_way() -> Vec<&'static str> {
    let mut steps = MIGRATIONS.to_vec();
    steps.push(
        "ALTER TABLE outbox ADD COLUMN upgraded INTEGER;
         CREATE TABLE half_done (x INTEGER);
         UPDATE outbox SET state = 'queued', payload = '{}';
         THIS IS NOT SQL;",
    );
    steps
}

#[test]
fn a_failed_upgrade_leaves_the_file_as_it_was_and_is_not_taken_for_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    old_carrel_with_outbox(&path, 3);
    let bytes = std::fs::read(&path).unwrap();
    let rows = raw_outbox(&path);

    // The shipped steps after 3 succeed and the added one fails: all of it must roll back.
    let steps = steps_failing_half_way();
    let error = ProgressDb::open_or_recover_with(&path, &steps).unwrap_err();
    let ProgressError::MigrationFailed {
        path: ref reported,
        from,
        to,
        ref reason,
    } = error
    else {
        panic!("expected MigrationFailed, got {error:?}");
    };
    assert_eq!(
        (reported.as_path(), from, to),
        (path.as_path(), 3, steps.len())
    );
    assert!(
        reason.contains(&format!("step {}", steps.len())),
        "support can tell which step: {reason}"
    );
    let message = error.to_string();
    for told in [
        "unchanged",
        "nothing was lost",
        "previous version of Carrel",
    ] {
        assert!(
            message.contains(told),
            "the learner is told {told:?}: {message}"
        );
    }
    assert!(message.contains(&path.display().to_string()), "{message}");

    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is byte for byte as the earlier Carrel left it"
    );
    assert_eq!(
        file_names(dir.path()),
        ["progress.sqlite3", "progress.sqlite3.before-v3"],
        "nothing moved aside, restored or left over: only the pre-upgrade copy was added"
    );
    // Nothing of the upgrade was committed anywhere (a WAL included): reopened as it is, the file
    // is at version 3 with the same rows and none of the new schema.
    assert_eq!(user_version(&path), 3);
    assert_eq!(raw_outbox(&path), rows, "every submission, as it was");
    let conn =
        Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let new_schema: i64 = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM sqlite_schema WHERE name IN ('half_done', 'server_grades'))
                  + (SELECT COUNT(*) FROM pragma_table_info('outbox')
                     WHERE name IN ('upgraded', 'next_try_ms'))",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(new_schema, 0, "no table or column of steps 4 to 6 remains");
    drop(conn);
    let copy = dir.path().join("progress.sqlite3.before-v3");
    assert_eq!(user_version(&copy), 3);
    assert_eq!(raw_outbox(&copy), rows, "the copy holds the same data");

    // The next start fails the same way, still without touching it; the shipped steps then work.
    assert!(matches!(
        ProgressDb::open_with(&path, &steps),
        Err(ProgressError::MigrationFailed { from: 3, .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let db = ProgressDb::open(&path).unwrap();
    assert_eq!(outbox::list(&db).unwrap().len(), rows.len());
}

#[test]
fn a_damaged_file_from_an_earlier_carrel_is_still_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    {
        let db = ProgressDb::open_with(&path, &MIGRATIONS[..3]).unwrap();
        fill(&db, 2_000, 0);
    }
    // The schema (its first pages) stays readable, so the damage is met while upgrading.
    damage_from(&path, 128 * 1024);
    let (db, recovery) = ProgressDb::open_or_recover(&path).unwrap();
    assert!(
        matches!(recovery, Recovery::StartedFresh { .. }),
        "an unreadable file is damage, not a failed upgrade: {recovery:?}"
    );
    assert!(db.quick_check().unwrap());
    assert!(
        !dir.path()
            .join("progress.sqlite3.before-v3.partial")
            .exists(),
        "a copy that could not be made is not left behind"
    );
}

#[test]
fn a_reminder_is_claimed_once_per_course_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    let db = ProgressDb::open(&path).unwrap();
    assert!(db.claim_reminder("c", "session live s1 100", 1).unwrap());
    assert!(
        !db.claim_reminder("c", "session live s1 100", 2).unwrap(),
        "shown once"
    );
    assert!(
        db.claim_reminder("c", "session live s1 200", 3).unwrap(),
        "moved: again"
    );
    assert!(
        db.claim_reminder("other", "session live s1 100", 4)
            .unwrap(),
        "per course"
    );
    drop(db);
    let db = ProgressDb::open(&path).unwrap();
    assert!(
        !db.claim_reminder("c", "session live s1 100", 5).unwrap(),
        "after a restart too"
    );
    db.forget_reminder("c", "session live s1 100").unwrap();
    assert!(
        db.claim_reminder("c", "session live s1 100", 6).unwrap(),
        "forgotten: again"
    );
    assert!(
        !db.claim_reminder("other", "session live s1 100", 7)
            .unwrap(),
        "only that one"
    );
}

#[test]
fn the_calendar_upgrade_keeps_the_notices_and_reads_the_feed_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    database_at(&path, 7);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO course_notices (seq, course_id, kind, body, at_ms, seen)
                 VALUES (41, 'c', 'announcement', '{}', 1, 1), (42, 'c', 'schedule', '{}', 2, 0);
             INSERT INTO sync_meta (key, value) VALUES
                 ('changes-cursor http://127.0.0.1:9/ 1', '42'), ('last-sync', '7');",
        )
        .unwrap();
    }
    let db = ProgressDb::open(&path).unwrap();
    let notices: Vec<(i64, String, bool)> = db
        .conn()
        .prepare("SELECT seq, kind, seen FROM course_notices ORDER BY seq")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        notices,
        [
            (41, "announcement".into(), true),
            (42, "schedule".into(), false)
        ],
        "every notice kept, seen or not"
    );
    let meta: Vec<(String, String)> = db
        .conn()
        .prepare("SELECT key, value FROM sync_meta ORDER BY key")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        meta,
        [
            (
                "changes-replayed-until http://127.0.0.1:9/ 1".to_owned(),
                "42".to_owned()
            ),
            ("last-sync".to_owned(), "7".to_owned()),
        ],
        "the cursor restarts; where it was is kept so nothing is announced twice"
    );
    db.conn()
        .execute(
            "INSERT INTO course_notices (seq, course_id, kind, body, at_ms) VALUES (43, 'c', 'session', '{}', 3)",
            [],
        )
        .unwrap();
}
