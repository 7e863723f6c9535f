//! The recent log, kept in memory for the support bundle: the last [`CAPACITY`] lines of what
//! Carrel logged at `info` and above, as text, with anything shaped like a token removed.
//!
//! Nothing here is written to disk by itself; the learner decides to export it. Carrel never logs
//! a token or password in the first place — [`scrub`] is the second line of defence, blanking any
//! run of 32 or more base64url characters that is not a hex digest (hashes identify files and are
//! useful to support; tokens are not hex).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Mutex;

/// Lines kept.
pub const CAPACITY: usize = 2000;

static RING: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// The kept lines, oldest first.
pub fn snapshot() -> Vec<String> {
    RING.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .cloned()
        .collect()
}

fn push(line: &str) {
    let mut ring = RING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if ring.len() >= CAPACITY {
        ring.pop_front();
    }
    ring.push_back(scrub(line));
}

/// `line` with every token-shaped run replaced by `[redacted]`.
pub fn scrub(line: &str) -> String {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(line.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let hex = run.chars().all(|c| c.is_ascii_hexdigit());
        if run.len() >= 32 && !hex {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in line.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A `MakeWriter` for `tracing_subscriber::fmt` that appends each event to the ring.
#[derive(Debug, Clone, Copy, Default)]
pub struct RingWriter;

/// One event's text, pushed when dropped.
pub struct LineWriter(Vec<u8>);

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            push(line);
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RingWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_blanked_and_hashes_kept() {
        let token = "q8Zr2_kP0vL-3mXyTnB7cWd9sEaHfGjK1uVoRi4lQ6M";
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let line = format!("sent Authorization: Bearer {token} for file {hash} (42 bytes)");
        let scrubbed = scrub(&line);
        assert!(!scrubbed.contains(token), "{scrubbed}");
        assert!(scrubbed.contains("[redacted]"));
        assert!(scrubbed.contains(hash), "{scrubbed}");
        assert!(scrubbed.ends_with("(42 bytes)"));
    }

    #[test]
    fn the_ring_keeps_the_most_recent_lines() {
        for n in 0..CAPACITY + 10 {
            push(&format!("line {n}"));
        }
        let lines = snapshot();
        assert_eq!(lines.len(), CAPACITY);
        assert_eq!(
            lines.last().map(String::as_str),
            Some(format!("line {}", CAPACITY + 9).as_str())
        );
    }
}
