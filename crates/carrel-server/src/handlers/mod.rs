//! HTTP handlers, one module per area of the protocol.

pub mod health;
