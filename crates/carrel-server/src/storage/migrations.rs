//! The ordered, append-only list of schema migrations.
//!
//! Never edit or reorder an entry once it has shipped: add a new file and append it. Migration `n`
//! (1-based) brings the schema to version `n`; each runs in its own transaction together with the
//! `user_version` bump, so a failure leaves the file at the previous version.

use std::path::Path;

use rusqlite::Connection;

use super::StorageError;

/// Every migration, in order.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/0001_server_meta.sql"),
    include_str!("sql/0002_catalog.sql"),
    include_str!("sql/0003_accounts.sql"),
    include_str!("sql/0004_submissions.sql"),
    include_str!("sql/0005_uploads.sql"),
    include_str!("sql/0006_enrolments.sql"),
    include_str!("sql/0007_grades.sql"),
    include_str!("sql/0008_quiz_definitions.sql"),
    include_str!("sql/0009_releases.sql"),
    include_str!("sql/0010_runtime_results.sql"),
    include_str!("sql/0011_xapi_forward.sql"),
    include_str!("sql/0012_recordings.sql"),
    include_str!("sql/0013_forums.sql"),
    include_str!("sql/0014_certificates.sql"),
    include_str!("sql/0015_programmes.sql"),
    include_str!("sql/0016_groups.sql"),
    include_str!("sql/0017_assignment_rules.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

pub(super) fn apply(conn: &mut Connection, path: &Path) -> Result<(), StorageError> {
    let found = user_version(conn).map_err(|source| StorageError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if found > SCHEMA_VERSION {
        return Err(StorageError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let migrate_err = |source: rusqlite::Error| StorageError::Migrate {
            path: path.to_path_buf(),
            version,
            source: source.into(),
        };
        let tx = conn.transaction().map_err(migrate_err)?;
        tx.execute_batch(sql).map_err(migrate_err)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(migrate_err)?;
        tx.commit().map_err(migrate_err)?;
        tracing::info!(version, "server database migrated");
    }
    Ok(())
}
