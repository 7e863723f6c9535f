//! The catalogue in the database: the current version of each published course, its exact signed
//! manifest and signature, and the content files (by hash) that version uses.
//!
//! Only `carrel-server publish` writes here ([`Storage::set_catalog_course`], one transaction per
//! package), so a running server sees a course at its old version or its new one, never a mix. The
//! same transaction sets who may see the course, keeps its quizzes' definitions, and tells the
//! enrolled learners of a new version through the changes feed.

use crate::storage::sql::{OptionalExtension, Row, params};
use carrel_protocol::changes::{ChangeBody, PackageNotice};

use super::{Storage, StorageError};

/// A course version as the catalogue records it (without its manifest and signature bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The course id.
    pub course_id: String,
    /// Its current version.
    pub version: String,
    /// Title.
    pub title: String,
    /// One sentence about it.
    pub summary: String,
    /// Content language.
    pub language: String,
    /// The publisher's display name.
    pub publisher: String,
    /// First day (`YYYY-MM-DD`).
    pub starts: Option<String>,
    /// Last day (`YYYY-MM-DD`).
    pub ends: Option<String>,
    /// SHA-256 of the package file.
    pub package_sha256: String,
    /// Size of the package file.
    pub package_size: u64,
    /// Total size of the content files.
    pub content_size: u64,
    /// The signing key, base64.
    pub publisher_key: String,
    /// Its fingerprint.
    pub publisher_fingerprint: String,
    /// When it was published (unix ms).
    pub published_at: i64,
}

/// Everything recorded when a course version is published.
#[derive(Debug, Clone)]
pub struct NewCatalogEntry {
    /// The catalogue row.
    pub entry: CatalogEntry,
    /// The manifest's exact signed bytes.
    pub manifest: Vec<u8>,
    /// The signature file's bytes.
    pub signature: Vec<u8>,
    /// Every content file: SHA-256 and size.
    pub files: Vec<(String, u64)>,
    /// Open to anyone (`Some(true)`), enrolled-only (`Some(false)`), or as before (`None`:
    /// enrolled-only for a new course); see [`crate::access`].
    pub open: Option<bool>,
    /// Its quizzes' definitions, kept for grading ([`crate::autograde`]).
    pub quizzes: Vec<crate::autograde::KeptQuiz>,
    /// Its assignments' rules ([`crate::assignments`]).
    pub assignments: Vec<crate::assignments::KeptAssignment>,
}

/// The signed documents kept for each published course version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourseDocument {
    /// `carrel-manifest.json`.
    Manifest,
    /// `carrel-signature.json`.
    Signature,
}

fn row_to_entry(row: &Row) -> crate::storage::sql::Result<CatalogEntry> {
    Ok(CatalogEntry {
        course_id: row.get(0)?,
        version: row.get(1)?,
        title: row.get(2)?,
        summary: row.get(3)?,
        language: row.get(4)?,
        publisher: row.get(5)?,
        starts: row.get(6)?,
        ends: row.get(7)?,
        package_sha256: row.get(8)?,
        package_size: row.get(9)?,
        content_size: row.get(10)?,
        publisher_key: row.get(11)?,
        publisher_fingerprint: row.get(12)?,
        published_at: row.get(13)?,
    })
}

impl Storage {
    /// Every course in the catalogue, by title.
    pub async fn get_catalog(&self) -> Result<Vec<CatalogEntry>, StorageError> {
        self.with_conn(|conn| {
            let mut statement = conn.prepare_cached(include_str!("catalog/list_courses.sql"))?;
            let rows = statement.query_map(params![], row_to_entry)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// The catalogue entry of one course, if it is published.
    pub async fn get_catalog_course(
        &self,
        course_id: &str,
    ) -> Result<Option<CatalogEntry>, StorageError> {
        let course_id = course_id.to_owned();
        self.with_conn(move |conn| {
            let mut statement = conn.prepare_cached(include_str!("catalog/get_course.sql"))?;
            Ok(statement.query_row([&course_id], row_to_entry).optional()?)
        })
        .await
    }

    /// The manifest or signature bytes of a course version, if that version is the published one.
    pub async fn get_course_document(
        &self,
        course_id: &str,
        version: &str,
        document: CourseDocument,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let (course_id, version) = (course_id.to_owned(), version.to_owned());
        self.with_conn(move |conn| {
            let sql = match document {
                CourseDocument::Manifest => {
                    "SELECT manifest FROM catalog_courses WHERE course_id = ?1 AND version = ?2"
                }
                CourseDocument::Signature => {
                    "SELECT signature FROM catalog_courses WHERE course_id = ?1 AND version = ?2"
                }
            };
            let mut statement = conn.prepare_cached(sql)?;
            Ok(statement
                .query_row([&course_id, &version], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    /// Keeps the quiz definitions ([`crate::autograde`]) and the assignments' rules
    /// ([`crate::assignments`]) of version `version` of `course_id`.
    pub async fn keep_activities(
        &self,
        course_id: &str,
        version: &str,
        quizzes: Vec<crate::autograde::KeptQuiz>,
        assignments: Vec<crate::assignments::KeptAssignment>,
    ) -> Result<(), StorageError> {
        let (course_id, version) = (course_id.to_owned(), version.to_owned());
        self.transact(move |tx| {
            crate::autograde::keep_in(tx, &course_id, &version, &quizzes)?;
            crate::assignments::keep_in(tx, &course_id, &version, &assignments)
        })
        .await
    }

    /// Makes `course_id` open to anyone or enrolled-only (see [`crate::access`]).
    pub async fn set_course_access(&self, course_id: &str, open: bool) -> Result<(), StorageError> {
        let course_id = course_id.to_owned();
        self.transact(move |tx| Ok(crate::access::set_open_in(tx, &course_id, Some(open))?))
            .await
    }

    /// The size of the content file with this hash, if a published course version lists it.
    pub async fn get_published_file_size(&self, sha256: &str) -> Result<Option<u64>, StorageError> {
        let sha256 = sha256.to_owned();
        self.with_conn(move |conn| {
            let mut statement = conn.prepare_cached(include_str!("catalog/get_file_size.sql"))?;
            Ok(statement
                .query_row([&sha256], |row| row.get(0))
                .optional()?)
        })
        .await
    }

    /// Makes `new` the published version of its course, replacing the previous entry and its file
    /// list in one transaction. Returns the entry it replaced.
    pub async fn set_catalog_course(
        &self,
        new: NewCatalogEntry,
    ) -> Result<Option<CatalogEntry>, StorageError> {
        self.transact(move |tx| {
            let entry = &new.entry;
            let previous = tx
                .prepare_cached(include_str!("catalog/get_course.sql"))?
                .query_row([&entry.course_id], row_to_entry)
                .optional()?;
            // The files go with the old row (ON DELETE CASCADE).
            tx.execute(
                "DELETE FROM catalog_courses WHERE course_id = ?1",
                [&entry.course_id],
            )?;
            tx.prepare_cached(include_str!("catalog/insert_course.sql"))?
                .execute(params![
                    entry.course_id,
                    entry.version,
                    entry.title,
                    entry.summary,
                    entry.language,
                    entry.publisher,
                    entry.starts,
                    entry.ends,
                    entry.package_sha256,
                    entry.package_size,
                    entry.content_size,
                    entry.publisher_key,
                    entry.publisher_fingerprint,
                    entry.published_at,
                    new.manifest,
                    new.signature,
                ])?;
            let mut insert_file = tx.prepare_cached(include_str!("catalog/insert_file.sql"))?;
            for (sha256, size) in &new.files {
                insert_file.execute(params![sha256, entry.course_id, size])?;
            }
            crate::access::set_open_in(tx, &entry.course_id, new.open)?;
            crate::autograde::keep_in(tx, &entry.course_id, &entry.version, &new.quizzes)?;
            crate::assignments::keep_in(tx, &entry.course_id, &entry.version, &new.assignments)?;
            if previous.as_ref().map(|old| &old.version) != Some(&entry.version) {
                let notice = PackageNotice {
                    course_id: entry.course_id.clone(),
                    version: entry.version.clone(),
                    title: entry.title.clone(),
                };
                crate::changes::append_in(
                    tx,
                    None,
                    &entry.course_id,
                    &ChangeBody::Package(notice),
                )?;
            }
            Ok(previous)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: &str, sha: &str) -> NewCatalogEntry {
        NewCatalogEntry {
            entry: CatalogEntry {
                course_id: "c-1".into(),
                version: version.into(),
                title: "Course".into(),
                summary: String::new(),
                language: "en".into(),
                publisher: "P".into(),
                starts: Some("2027-02-15".into()),
                ends: None,
                package_sha256: sha.repeat(64),
                package_size: 10,
                content_size: i64::MAX as u64,
                publisher_key: "key".into(),
                publisher_fingerprint: "fp".into(),
                published_at: 1,
            },
            manifest: b"{\"m\":1}".to_vec(),
            signature: b"{\"s\":1}".to_vec(),
            files: vec![
                ("a".repeat(64), 3),
                ("a".repeat(64), 3),
                ("b".repeat(64), 4),
            ],
            open: None,
            quizzes: Vec::new(),
            assignments: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_new_version_replaces_the_entry_and_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&dir.path().join("db.sqlite3")).unwrap();
        let first = entry("1.0.0", "1");
        assert_eq!(
            storage.set_catalog_course(first.clone()).await.unwrap(),
            None
        );
        assert_eq!(
            storage.get_catalog_course("c-1").await.unwrap(),
            Some(first.entry.clone()),
            "every column reads back as written, the largest size SQLite holds included"
        );
        assert_eq!(
            storage
                .get_published_file_size(&"b".repeat(64))
                .await
                .unwrap(),
            Some(4)
        );
        let manifest = storage
            .get_course_document("c-1", "1.0.0", CourseDocument::Manifest)
            .await
            .unwrap();
        assert_eq!(manifest.as_deref(), Some(&b"{\"m\":1}"[..]));

        let mut second = entry("1.1.0", "2");
        second.files = vec![("c".repeat(64), 5)];
        let replaced = storage.set_catalog_course(second.clone()).await.unwrap();
        assert_eq!(
            replaced,
            Some(first.entry),
            "the previous entry is returned"
        );
        assert_eq!(storage.get_catalog().await.unwrap(), vec![second.entry]);
        assert_eq!(
            storage
                .get_published_file_size(&"b".repeat(64))
                .await
                .unwrap(),
            None,
            "files only the old version used are no longer published"
        );
        let old = storage
            .get_course_document("c-1", "1.0.0", CourseDocument::Signature)
            .await
            .unwrap();
        assert_eq!(old, None, "the replaced version's documents are gone");
    }
}
