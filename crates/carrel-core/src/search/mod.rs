//! Offline full-text search across downloaded courses (being built; see issue 4).
