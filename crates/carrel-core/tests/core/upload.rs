//! Resumable attachment uploads through the drain (being written).
