//! The commands the UI invokes, one module per area. Each is short: take state, call core, map the
//! error. Every command here must also be listed in `COMMANDS` in `src-tauri/build.rs` and granted in
//! `src-tauri/capabilities/main.json` (unit tests in `lib.rs` check both).

pub mod app;
pub mod assess;
pub mod certificates;
pub mod courses;
pub mod forums;
pub mod groups;
pub mod server;
pub mod settings;
pub mod study;
pub mod sync;
pub mod updates;
