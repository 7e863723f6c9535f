//! Resumable uploads: see `carrel_server::uploads`.
