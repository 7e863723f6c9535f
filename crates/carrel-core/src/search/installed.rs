//! Indexing the courses installed on this laptop: every page item's HTML, read from the content
//! store, in the course's language.

use carrel_package::manifest::ItemKind;

use super::{Body, Document, IndexReport, SearchError, SearchIndex};
use crate::library::Library;

/// Why an installed course could not be indexed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The store failed or the course is not installed.
    #[error(transparent)]
    Store(#[from] carrel_package::store::StoreError),
    /// The index failed.
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// (Re)indexes the installed course `course_id`: its page items, replacing what was indexed for
/// it. A page whose file cannot be read is skipped (the item itself says it is damaged).
pub fn index_installed(
    library: &Library,
    index: &SearchIndex,
    course_id: &str,
) -> Result<IndexReport, IndexError> {
    let course = library
        .store()
        .course(course_id)?
        .ok_or_else(|| carrel_package::store::StoreError::NotInstalled(course_id.to_owned()))?;
    let manifest = &course.manifest;
    let documents: Vec<Document> = manifest
        .items()
        .filter_map(|(_, _, item)| {
            let ItemKind::Page { path } = &item.kind else {
                return None;
            };
            let file = library.file(course_id, path).ok()??;
            let html = std::fs::read(&file.path).ok()?;
            Some(Document {
                item_id: item.id.clone(),
                title: item.title.clone(),
                path: path.clone(),
                body: Body::Html(String::from_utf8_lossy(&html).into_owned()),
            })
        })
        .collect();
    Ok(index.index_course(course_id, &manifest.course.language, documents)?)
}

/// Indexes every installed course the index lacks or has an older version of (after the index
/// was rebuilt, an update, or a crash before indexing), and forgets courses no longer installed.
pub fn catch_up(library: &Library, index: &SearchIndex) -> Result<usize, IndexError> {
    let installed = library.list()?;
    let indexed = index.indexed_courses()?;
    for stale in indexed
        .iter()
        .filter(|i| installed.iter().all(|c| c.id != i.course_id))
    {
        index.remove_course(&stale.course_id)?;
    }
    let mut done = 0;
    // Missing, or indexed before the installed version arrived (an update, or a crash between
    // an install and its indexing).
    let stale = |course: &crate::library::CourseSummary| {
        indexed
            .iter()
            .find(|i| i.course_id == course.id)
            .is_none_or(|i| i.indexed_ms < course.installed_at)
    };
    for course in installed.iter().filter(|c| stale(c)) {
        index_installed(library, index, &course.id)?;
        done += 1;
    }
    Ok(done)
}
