//! Search over the real demo course installed from its package: indexed from the store, found
//! by another form of a word, placed at its heading; re-indexed after a reinstall, forgotten
//! after removal.

use crate::{DEMO, demo_library};
use carrel_core::search::{SearchIndex, catch_up, index_installed};

#[test]
fn the_demo_course_is_found_at_its_heading_and_kept_in_step_with_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let library = demo_library(dir.path());
    let index = SearchIndex::open(&dir.path().join("search.sqlite3")).unwrap();

    assert_eq!(
        catch_up(&library, &index).unwrap(),
        1,
        "the new course is indexed"
    );
    assert_eq!(catch_up(&library, &index).unwrap(), 0, "and only once");

    // "permit" (singular, as typed) finds the section about "two permits".
    let hits = index.search("farm permit", None, 20).unwrap();
    let hit = hits
        .iter()
        .find(|h| h.item_id == "b1-m1-labour-migration-today")
        .unwrap_or_else(|| panic!("the case snapshot page is found: {hits:?}"));
    assert_eq!(hit.course_id, DEMO);
    assert_eq!(hit.heading, "Case snapshot: two permits, one farm");
    assert_eq!(
        hit.heading_index,
        Some(5),
        "the sixth of the page's h1–h3 headings (the title is the first)"
    );
    assert!(hit.snippet.iter().any(|part| part.hit), "{:?}", hit.snippet);

    let summary = index_installed(&library, &index, DEMO).unwrap();
    assert!(summary.pages >= 20, "every page of the demo: {summary:?}");

    library.remove(DEMO).unwrap();
    catch_up(&library, &index).unwrap();
    assert!(
        index.search("farm permit", None, 20).unwrap().is_empty(),
        "a removed course is no longer found"
    );
}
