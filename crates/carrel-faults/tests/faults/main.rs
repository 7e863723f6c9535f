//! The proxy's faults against real upstreams on port 0: a TCP echo server for the byte-level
//! faults, a small axum server for the HTTP rewrites.

// A test that cannot set up its world should fail right there, loudly.
#![allow(clippy::unwrap_used)]

mod http_level;
mod stream_level;
mod support;
