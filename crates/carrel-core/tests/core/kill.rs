//! The `kill -9` harness the crash tests share.
//!
//! The writer is the test binary run again as a child, running the same test with a database path
//! in its environment: it writes through the same calls the app makes and prints `ack …` lines
//! only after each call returned, as the app answers the UI only after the commit. The parent
//! kills it with SIGKILL at a random moment 50–300 ms after its first acknowledgement, then hands
//! the trial's acknowledgements to the check. `CARREL_KILL_TRIALS` sets the number of trials
//! (default 12).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The writer's environment variable that holds the database path, when the test runs as it.
pub const PATH_ENV: &str = "CARREL_KILL_WRITER_DB";

/// The database path when this process is the writer.
pub fn writer_path() -> Option<String> {
    std::env::var(PATH_ENV).ok()
}

/// Trials to run: `CARREL_KILL_TRIALS`, or 12.
pub fn trials() -> u64 {
    trials_or(12)
}

/// Trials to run: `CARREL_KILL_TRIALS`, or `default`.
pub fn trials_or(default: u64) -> u64 {
    std::env::var("CARREL_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Prints one acknowledgement and flushes it.
pub fn ack(out: &mut impl Write, line: std::fmt::Arguments<'_>) {
    writeln!(out, "ack {line}").unwrap();
    out.flush().unwrap();
}

/// Runs `trials()` trials of the test named `test` (its full libtest path) as a writer against
/// `path`, killing each, and calls `check(trial, acknowledgements)` after each.
pub fn kill_trials(test: &str, path: &Path, check: impl FnMut(u64, Vec<String>)) {
    kill_trials_with(test, path, trials(), &[], check);
}

/// [`kill_trials`] with a number of trials and more environment variables for the writer.
pub fn kill_trials_with(
    test: &str,
    path: &Path,
    trials: u64,
    env: &[(&str, &str)],
    mut check: impl FnMut(u64, Vec<String>),
) {
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for trial in 0..trials {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads", "1", "-q"])
            .env(PATH_ENV, path)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let delay = Duration::from_millis(50 + (seed >> 33) % 250);
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest's own lines ("running 1 test") are not acknowledgements.
                if let Some(ack) = line.strip_prefix("ack ") {
                    if lines.is_empty() {
                        let _ = first_tx.send(());
                    }
                    lines.push(ack.to_owned());
                }
            }
            lines
        });
        // The clock starts at the first acknowledged write, however slow the start was.
        let started = Instant::now();
        let first = first_rx.recv_timeout(Duration::from_secs(60));
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        assert!(
            first.is_ok() && !lines.is_empty(),
            "trial {trial}: the writer acknowledged nothing in {:?}",
            started.elapsed()
        );
        check(trial, lines);
    }
}
