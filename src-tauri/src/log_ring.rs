//! The recent log, kept in memory for the support bundle: the last [`CAPACITY`] lines of what
//! Carrel logged at `info` and above, as text, with anything shaped like a token removed.
//!
//! Nothing here is written to disk by itself; the learner decides to export it. Carrel never logs
//! a token or password in the first place — [`scrub`] is the second line of defence, blanking any
//! run of 32 or more base64url characters that is not a hex digest (hashes identify files and are
//! useful to support; tokens are not hex), and everything after a mention of Tauri's IPC invoke
//! key, which would let a page call the main webview's commands.

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

/// Spellings of Tauri's IPC invoke key. Tauri 2 prints `__TAURI_INVOKE_KEY__ expected <key> but
/// received <value>` when a webview sends a wrong key (through `tracing` when tauri's `tracing`
/// feature is on, else to stderr); the key is 20 Z85 characters, too short and too punctuated for
/// the token rule, and it is what lets a page call the main webview's commands.
const INVOKE_KEY_MARKERS: [&str; 4] = ["invoke_key", "invoke key", "invoke-key", "invokekey"];

/// `line` with every token-shaped run replaced by `[redacted]`, and everything after a mention of
/// the invoke key too.
pub fn scrub(line: &str) -> String {
    // ASCII lower-casing keeps byte offsets, so a match in `lower` is a match in `line`.
    let lower = line.to_ascii_lowercase();
    let marker = INVOKE_KEY_MARKERS
        .iter()
        .filter_map(|marker| lower.find(marker).map(|at| at + marker.len()))
        .min();
    if let Some(end) = marker {
        // Keep the rest of the marker's word (`__TAURI_INVOKE_KEY__`, `invokeKeys`).
        let end = end
            + line[end..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(line.len() - end);
        let mut out = scrub_tokens(&line[..end]);
        if end < line.len() {
            out.push_str(" [redacted]");
        }
        return out;
    }
    scrub_tokens(line)
}

/// `line` with every token-shaped run replaced by `[redacted]`.
fn scrub_tokens(line: &str) -> String {
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

    /// The ring is global: tests that fill it or read back their own line take turns.
    static RING_TESTS: Mutex<()> = Mutex::new(());

    /// A key as Tauri makes them: 16 random bytes, Z85-encoded (`generate_invoke_key`).
    const INVOKE_KEY: &str = "x#P4]v.Yq&0b(Z+w}h!S";

    #[test]
    fn the_invoke_key_is_blanked_however_it_is_spelled() {
        for line in [
            format!("__TAURI_INVOKE_KEY__ expected {INVOKE_KEY} but received nope"),
            format!(
                "ERROR tauri::webview: __TAURI_INVOKE_KEY__ expected {INVOKE_KEY} but received"
            ),
            format!("request header Tauri-Invoke-Key: {INVOKE_KEY}"),
            format!("invoke key {INVOKE_KEY}"),
            format!("{{\"invokeKey\":\"{INVOKE_KEY}\"}}"),
        ] {
            let scrubbed = scrub(&line);
            assert!(!scrubbed.contains(INVOKE_KEY), "{line} -> {scrubbed}");
            assert!(
                !scrubbed.contains("x#P4"),
                "no part of the key is kept: {scrubbed}"
            );
            assert!(scrubbed.ends_with("[redacted]"), "{scrubbed}");
        }
        assert_eq!(
            scrub("ERROR tauri::webview: __TAURI_INVOKE_KEY__ expected abc but received def"),
            "ERROR tauri::webview: __TAURI_INVOKE_KEY__ [redacted]",
            "what the key is about stays readable for support"
        );
        assert_eq!(scrub("opened course 42"), "opened course 42");
    }

    /// Tauri's own mismatch message, emitted through `tracing` as it is when tauri's `tracing`
    /// feature is on (and as `log` records are, bridged by `try_init`), never reaches the ring the
    /// support bundle exports.
    #[test]
    fn tauris_invoke_key_message_never_reaches_the_support_bundle_log() {
        let _turn = RING_TESTS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(RingWriter),
        );
        tracing::subscriber::with_default(subscriber, || {
            let expected = INVOKE_KEY;
            let received = "guessed";
            tracing::error!(
                target: "tauri::webview",
                "__TAURI_INVOKE_KEY__ expected {expected} but received {received}"
            );
        });
        // `export_support_bundle` writes exactly `snapshot()` as the bundle's log.txt.
        let log = snapshot();
        let line = log
            .iter()
            .rev()
            .find(|line| line.contains("__TAURI_INVOKE_KEY__"))
            .expect("the event reached the ring");
        assert!(line.contains("tauri::webview"), "{line}");
        assert!(
            log.iter().all(|line| !line.contains(INVOKE_KEY)),
            "the invoke key lets a page call the main webview's commands; it must not be exported"
        );
    }

    #[test]
    fn the_ring_keeps_the_most_recent_lines() {
        let _turn = RING_TESTS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
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
