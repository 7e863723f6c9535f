//! Events the shell emits to the UI. Names are constants so the UI module that listens and the Rust
//! code that emits cannot disagree silently.

/// A new [`carrel_core::connectivity::ServerStatus`] (payload), after every probe.
pub const SERVER_STATUS: &str = "server-status";
