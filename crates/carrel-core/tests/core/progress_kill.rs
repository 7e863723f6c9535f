//! `kill -9` while progress is being recorded: the database passes `integrity_check` and holds
//! every event whose write returned before the kill.
//!
//! The writer (see [`crate::kill`]) records events through [`ProgressDb::record`] — the same
//! transaction path the app's reports take — and acknowledges each event id after the write
//! returned. After each kill the parent reopens the file and checks.

use std::collections::HashSet;

use carrel_core::progress::{Event, EventKind, ProgressDb, Recovery, new_event_id};

use crate::kill;

#[test]
fn kill_9_while_recording_loses_no_acknowledged_event() {
    // Run again as the child (with the database path in the environment), this test writes.
    if let Some(path) = kill::writer_path() {
        write_until_killed(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    let mut acknowledged: Vec<String> = Vec::new();
    let mut total = 0;
    let test = "progress_kill::kill_9_while_recording_loses_no_acknowledged_event";
    kill::kill_trials(test, &path, |trial, ids| {
        total += ids.len();
        acknowledged.extend(ids);
        let (db, recovery) = ProgressDb::open_or_recover(&path).unwrap();
        assert_eq!(
            recovery,
            Recovery::None,
            "trial {trial}: the file needed recovery"
        );
        let (integrity, stored): (String, Vec<String>) = db
            .transact(|tx| {
                let integrity = tx.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
                let mut statement = tx.prepare("SELECT id FROM events")?;
                let ids = statement
                    .query_map([], |row| row.get(0))?
                    .collect::<Result<Vec<String>, _>>()?;
                Ok::<_, carrel_core::progress::ProgressError>((integrity, ids))
            })
            .unwrap();
        assert_eq!(integrity, "ok", "trial {trial}");
        let stored: HashSet<String> = stored.into_iter().collect();
        let missing = acknowledged
            .iter()
            .filter(|id| !stored.contains(*id))
            .count();
        assert_eq!(
            missing, 0,
            "trial {trial}: {missing} acknowledged events are gone"
        );
        // The summaries written with the events match a rebuild from the log.
        let before = db.items("course").unwrap();
        db.rebuild_summaries().unwrap();
        assert_eq!(before, db.items("course").unwrap(), "trial {trial}");
        // A fresh file every hundred trials: each check reads every event and rebuilds the
        // summaries, which would otherwise grow without end over a long run's thousand trials.
        if (trial + 1) % FRESH_EVERY == 0 {
            drop(db);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            acknowledged.clear();
        }
    });
    eprintln!(
        "kill -9 trials: {}, {total} acknowledged events all present",
        kill::trials()
    );
}

/// Trials per database file.
const FRESH_EVERY: u64 = 100;

/// The child's work: records events until it is killed.
fn write_until_killed(path: &str) -> ! {
    let db = ProgressDb::open(std::path::Path::new(&path)).unwrap();
    let mut out = std::io::stdout().lock();
    for n in 0u64.. {
        let kinds = [
            EventKind::Opened,
            EventKind::Position,
            EventKind::Progressed,
            EventKind::TimeOnTask,
            EventKind::Watched,
        ];
        let events: Vec<Event> = (0..3)
            .map(|i| {
                let kind = kinds[((n + i) % 5) as usize];
                Event {
                    id: new_event_id(),
                    course_id: "course".into(),
                    item_id: format!("item-{}", n % 7),
                    kind,
                    at_ms: n as i64,
                    value: Some((n % 100) as f64 / 100.0),
                    unit: (kind == EventKind::Position).then(|| "seconds".into()),
                    end: (kind == EventKind::Watched).then_some(1.0 + n as f64),
                }
            })
            .collect();
        db.record(&events).unwrap();
        for event in &events {
            kill::ack(&mut out, format_args!("{}", event.id));
        }
    }
    unreachable!("the writer loops until it is killed")
}
