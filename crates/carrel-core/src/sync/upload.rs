//! Resumable attachment uploads (being written).
