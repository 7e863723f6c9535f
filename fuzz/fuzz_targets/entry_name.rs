//! The package entry-name validator on arbitrary strings. It must never panic, and every name it
//! accepts must be safe to join under an extraction root on Linux, macOS and Windows: the asserts
//! below turn a wrong acceptance into a crash.
#![no_main]

use std::path::{Component, Path};

use carrel_package::{EntryName, EntryNames};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Several names separated by NUL-free newlines also exercise the duplicate checks.
    let mut names = EntryNames::new();
    for raw in std::iter::once(text).chain(text.split('\n')) {
        let Ok(name) = EntryName::parse(raw) else {
            continue;
        };
        check_accepted(raw, &name);
        let _ = names.insert(name);
    }
});

fn check_accepted(raw: &str, name: &EntryName) {
    assert_eq!(name.as_str(), raw, "an accepted name is kept as written");
    assert!(!raw.is_empty(), "empty name accepted");
    assert!(
        !raw.starts_with('/'),
        "absolute or //UNC name accepted: {raw:?}"
    );
    assert!(!raw.contains('\\'), "backslash accepted: {raw:?}");
    assert!(!raw.contains('\0'), "NUL accepted: {raw:?}");
    assert!(
        !raw.chars().any(char::is_control),
        "control character accepted: {raw:?}"
    );
    assert!(
        !raw.contains(':'),
        "drive letter or NTFS stream accepted: {raw:?}"
    );
    assert!(
        raw.len() <= carrel_package::entry_name::MAX_NAME_BYTES,
        "too long"
    );
    for component in raw.split('/') {
        assert!(!component.is_empty(), "empty component accepted: {raw:?}");
        assert!(
            component != "." && component != "..",
            "dot component accepted: {raw:?}"
        );
        assert!(
            !component.ends_with('.') && !component.ends_with(' '),
            "component Windows would rename accepted: {raw:?}"
        );
    }
    let root = Path::new("/srv/carrel/content/staging");
    let path = name.to_path(root);
    assert!(path.starts_with(root), "{raw:?} leaves the root: {path:?}");
    let rest = path.strip_prefix(root).expect("under the root");
    assert!(
        rest.components().all(|c| matches!(c, Component::Normal(_))),
        "{raw:?} has a non-normal component under the root: {rest:?}"
    );
    assert_eq!(
        rest.components().count(),
        raw.split('/').count(),
        "every component of {raw:?} is one path component"
    );
}
