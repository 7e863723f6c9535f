//! HTTP handlers, one module per area of the protocol.

pub mod auth;
pub mod catalog;
pub mod certificates;
pub mod changes;
pub mod enrolments;
pub mod files;
pub mod forums;
pub mod groups;
pub mod health;
pub mod json;
pub mod packages;
pub mod query;
pub mod releases;
pub mod submissions;
pub mod transcript;
pub mod tutor;
pub mod uploads;
