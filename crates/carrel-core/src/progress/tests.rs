//! The progress database on real files in a temporary folder.

use proptest::prelude::*;

use super::*;

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
    let mut bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > 8192, "the file has pages to damage");
    let end = bytes.len() - 1024;
    for byte in &mut bytes[4096..end] {
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
