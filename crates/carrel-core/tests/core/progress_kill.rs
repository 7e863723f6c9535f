//! `kill -9` while progress is being recorded: the database passes `integrity_check` and holds
//! every event whose write returned before the kill.
//!
//! The writer is this test binary run again as a child (this same test, with the database path in
//! its environment): it records
//! events through [`ProgressDb::record`] — the same transaction path the app's reports take —
//! and prints each event id only after the write returned, as the app answers the content window
//! only after the commit. The parent kills it with SIGKILL at a random moment, reopens the file
//! and checks. `CARREL_KILL_TRIALS` sets the number of trials (default 12).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carrel_core::progress::{Event, EventKind, ProgressDb, Recovery, new_event_id};

const PATH_ENV: &str = "CARREL_KILL_WRITER_DB";

#[test]
fn kill_9_while_recording_loses_no_acknowledged_event() {
    // Run again as the child (with the database path in the environment), this test writes.
    if let Ok(path) = std::env::var(PATH_ENV) {
        write_until_killed(&path);
    }
    let trials: u64 = std::env::var("CARREL_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.sqlite3");
    let mut acknowledged: Vec<String> = Vec::new();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for trial in 0..trials {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "progress_kill::kill_9_while_recording_loses_no_acknowledged_event",
                "--nocapture",
            ])
            .args(["--test-threads", "1", "-q"])
            .env(PATH_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Kill between 50 and 300 ms after the first acknowledged write.
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let delay = Duration::from_millis(50 + (seed >> 33) % 250);
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut ids = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest's own lines ("running 1 test") are not event ids.
                if line.len() == 36 && line.chars().filter(|c| *c == '-').count() == 4 {
                    if ids.is_empty() {
                        let _ = first_tx.send(());
                    }
                    ids.push(line);
                }
            }
            ids
        });
        // The clock starts at the first acknowledged write, however slow the start was.
        let started = Instant::now();
        let first = first_rx.recv_timeout(Duration::from_secs(60));
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        let ids = reader.join().unwrap();
        assert!(
            first.is_ok() && !ids.is_empty(),
            "trial {trial}: the writer acknowledged nothing in {:?}",
            started.elapsed()
        );
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
        let stored: std::collections::HashSet<String> = stored.into_iter().collect();
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
    }
    eprintln!(
        "kill -9 trials: {trials}, {} acknowledged events all present",
        acknowledged.len()
    );
}

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
            writeln!(out, "{}", event.id).unwrap();
        }
        out.flush().unwrap();
    }
    unreachable!("the writer loops until it is killed")
}
