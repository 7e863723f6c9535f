//! Carrel's client logic, independent of any UI toolkit.
//!
//! The desktop shell (`src-tauri`) is a thin layer of commands over this crate; nothing here knows
//! about Tauri, so all of it is testable with plain `cargo test` against a real `carrel-server`.
//!
//! - [`settings`]: which course server this installation talks to, and how that was decided.
//! - [`connectivity`]: whether that server is reachable right now, probed in the background and on
//!   demand, reported as a [`connectivity::ServerStatus`] the UI shows (never as an error dialog:
//!   being offline is normal for Carrel).
//! - [`http`]: the one HTTP client every network call goes through.
//! - [`library`]: the courses on this laptop — list, outline, import from a file or the server
//!   (resumable, only new files on update), removal.
//! - [`progress`]: the learner's progress as an append-only event log with derived summaries, in
//!   a durable, migrated, self-checking SQLite file.
//! - [`study`]: completion rules per item kind, reports from the content window turned into
//!   progress, and the outline and library with the learner's progress, "continue" and "next".
//! - [`plan`]: the weekly plan — what to do this week, what is due, ahead or behind.
//! - [`search`]: offline full-text search across every downloaded course.
//! - [`assess`]: quizzes and assignments taken offline, and the outbox of submissions.
//! - [`sync`]: the outbox drained to the course server, exactly once.
//! - [`certificates`]: the course certificate's checklist, and the certificate kept and verified
//!   offline.
//! - [`transcript`]: the learner's certificates across courses and programme (diploma) progress,
//!   kept for reading offline.
//! - [`forums`]: course forums read offline, and posts written offline and sent through the
//!   outbox.
//!
//! Types that cross into the UI derive `ts_rs::TS`; the shell generates their TypeScript twins and a
//! test fails when the committed ones are stale.

pub mod assess;
pub mod certificates;
pub mod connectivity;
pub mod forums;
pub mod groups;
pub mod http;
pub mod library;
pub mod plan;
pub mod progress;
pub mod runtime;
pub mod search;
pub mod settings;
pub mod study;
pub mod sync;
pub mod transcript;

/// The version of this Carrel build.
pub const CARREL_VERSION: &str = env!("CARGO_PKG_VERSION");
