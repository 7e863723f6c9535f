//! For tests: where the third-party SCORM and cmi5 packages are.
//!
//! They are Rustici's golf examples and the CATAPULT cmi5 test packages, kept outside the
//! repository (their licences are beside them). The folder is `CARREL_STANDARDS_FIXTURES` if set,
//! else `../shared/fixtures` beside the repository, else `/work/shared/fixtures`.

use std::path::{Path, PathBuf};

/// The folder holding `scorm/` and `cmi5/`; panics, saying where it looked and what to set, when
/// none of the places has them (a test that needs them must not pass without them).
pub fn fixtures() -> PathBuf {
    let tried: Vec<PathBuf> = std::env::var_os("CARREL_STANDARDS_FIXTURES")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"),
            PathBuf::from("/work/shared/fixtures"),
        ])
        .collect();
    tried
        .iter()
        .find(|p| p.join("scorm").is_dir() && p.join("cmi5").is_dir())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "the SCORM and cmi5 test packages are not at any of {tried:?}; set \
                 CARREL_STANDARDS_FIXTURES to the folder holding scorm/ and cmi5/"
            )
        })
}
