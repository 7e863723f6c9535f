//! HTTP handlers, one module per area of the protocol.

pub mod catalog;
pub mod files;
pub mod health;
pub mod packages;
