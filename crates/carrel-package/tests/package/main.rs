//! Package files end to end: build from a source folder, open, import into a real store on disk —
//! and a corpus of hostile and broken packages, one per rule, each refused with a message that
//! names the problem and leaving nothing behind.

#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use carrel_package::manifest::{CONTENT_PREFIX, MANIFEST_ENTRY, Manifest};
use carrel_package::signature::SIGNATURE_ENTRY;
use carrel_package::store::{
    Cancel, ImportError, ImportOptions, Progress, Store, StoreError, Trust,
};
use carrel_package::testing::{SAMPLE_COURSE_ID, other_key, sample_key, write_sample_source};
use carrel_package::{Limits, PackageArchive, SecretKey, source};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

mod definitions;

/// A built sample package and the folder it lives in.
struct Built {
    _dir: tempfile::TempDir,
    path: PathBuf,
    manifest: Manifest,
}

fn build(version: &str, media_bytes: usize, key: &SecretKey) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    write_sample_source(&src, version, media_bytes).unwrap();
    let path = dir.path().join("course.carrel");
    let report = source::build(&src, key, &path).unwrap();
    Built {
        _dir: dir,
        path,
        manifest: report.manifest,
    }
}

fn options(trust: Trust) -> ImportOptions<'static> {
    ImportOptions {
        trust,
        app_version: "0.1.0",
        progress: &|_| {},
        cancel: Cancel::default(),
        limits: Limits::default(),
    }
}

fn trusting_sample() -> ImportOptions<'static> {
    options(Trust {
        vouched: vec![sample_key().public_key()],
        confirmed: None,
    })
}

/// Every file of the store's objects folder.
fn objects(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(root.join("objects")).unwrap() {
        for object in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            out.push(object.unwrap().path());
        }
    }
    out
}

/// Asserts a store holds no course, no object and no staging leftovers.
fn assert_empty(store: &Store) {
    assert!(
        store.courses().unwrap().is_empty(),
        "a refused package left a course"
    );
    assert!(
        objects(store.root()).is_empty(),
        "a refused package left files in the store"
    );
    assert_eq!(
        std::fs::read_dir(store.root().join("staging"))
            .unwrap()
            .count(),
        0,
        "a refused package left a staging folder"
    );
}

#[test]
fn a_built_package_imports_and_every_file_matches_its_hash() {
    let built = build("1.0.0", 100_000, &sample_key());
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let outcome = store.import_file(&built.path, &trusting_sample()).unwrap();
    assert_eq!(outcome.course_id, SAMPLE_COURSE_ID);
    assert!(!outcome.already_installed);

    let courses = store.courses().unwrap();
    assert_eq!(courses.len(), 1);
    assert_eq!(
        courses[0].manifest, built.manifest,
        "the index keeps the signed manifest"
    );
    assert_eq!(courses[0].size_bytes, built.manifest.total_size());
    for file in &built.manifest.files {
        let stored = store.file(SAMPLE_COURSE_ID, &file.path).unwrap().unwrap();
        let bytes = std::fs::read(&stored.path).unwrap();
        let (size, hash) = carrel_package::pack::hash_reader(&mut bytes.as_slice()).unwrap();
        assert_eq!(
            (size, hash.as_str()),
            (file.size, file.sha256.as_str()),
            "{}",
            file.path
        );
    }
    // Pages were rendered and linked at build time.
    let intro = store
        .file(SAMPLE_COURSE_ID, "pages/intro.html")
        .unwrap()
        .unwrap();
    let html = std::fs::read_to_string(intro.path).unwrap();
    assert!(
        html.contains("href=\"home.html#top\"") && html.contains("../theme/page.css"),
        "{html}"
    );
    assert!(
        store
            .file(SAMPLE_COURSE_ID, "../store.sqlite3")
            .unwrap()
            .is_none()
    );

    let again = store.import_file(&built.path, &trusting_sample()).unwrap();
    assert!(
        again.already_installed,
        "importing the same version twice changes nothing"
    );
}

#[test]
fn an_update_writes_only_new_files_and_keeps_item_ids() {
    let key = sample_key();
    let v1 = build("1.0.0", 2_000_000, &key);
    let v2 = build("1.1.0", 2_000_000, &key);
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    store.import_file(&v1.path, &trusting_sample()).unwrap();
    let outcome = store
        .import_file(&v2.path, &options(Trust::default()))
        .unwrap();

    let changed: u64 = v2
        .manifest
        .files
        .iter()
        .filter(|f| v1.manifest.files.iter().all(|old| old.sha256 != f.sha256))
        .map(|f| f.size)
        .sum();
    assert!(
        changed > 0 && changed < 10_000,
        "only the intro page changes: {changed}"
    );
    assert_eq!(
        outcome.new_bytes, changed,
        "the 2 MB video is reused, not rewritten"
    );
    let installed = store.course(SAMPLE_COURSE_ID).unwrap().unwrap();
    assert_eq!(installed.manifest.course.version, "1.1.0");
    let ids = |m: &Manifest| m.items().map(|(_, _, i)| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&installed.manifest), ids(&v1.manifest));
    // The old intro page is gone from disk: nothing references it any more.
    assert_eq!(objects(store.root()).len(), {
        let mut hashes: Vec<_> = v2.manifest.files.iter().map(|f| &f.sha256).collect();
        hashes.sort();
        hashes.dedup();
        hashes.len()
    });

    let error = store.import_file(&v1.path, &trusting_sample()).unwrap_err();
    assert!(matches!(error, ImportError::Downgrade { .. }), "{error}");
}

#[test]
fn missing_and_damaged_files_are_found_and_repaired_alone() {
    let v1 = build("1.0.0", 300_000, &sample_key());
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    store.import_file(&v1.path, &trusting_sample()).unwrap();
    assert_eq!(
        store.check_course(SAMPLE_COURSE_ID, true).unwrap(),
        Vec::<String>::new()
    );

    let mut files = v1.manifest.files.clone();
    files.sort_by_key(|f| std::cmp::Reverse(f.size));
    let (video, page) = (&files[0], &files[1]);
    // One file gone, one with a flipped byte (same size: only a deep check sees it).
    std::fs::remove_file(store.object_path(&page.sha256)).unwrap();
    let object = store.object_path(&video.sha256);
    let mut bytes = std::fs::read(&object).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(&object, &bytes).unwrap();

    assert_eq!(
        store.check_course(SAMPLE_COURSE_ID, false).unwrap(),
        vec![page.path.clone()],
        "a quick check sees the missing file"
    );
    let mut damaged = store.check_course(SAMPLE_COURSE_ID, true).unwrap();
    damaged.sort();
    let mut expected = vec![page.path.clone(), video.path.clone()];
    expected.sort();
    assert_eq!(damaged, expected, "a deep check sees the flipped byte");
    assert!(
        store.course(SAMPLE_COURSE_ID).unwrap().is_some(),
        "the course stays installed"
    );

    // The same package again fetches exactly those two files.
    let outcome = store.import_file(&v1.path, &trusting_sample()).unwrap();
    assert!(!outcome.already_installed);
    assert_eq!(outcome.new_bytes, video.size + page.size);
    assert_eq!(
        store.check_course(SAMPLE_COURSE_ID, true).unwrap(),
        Vec::<String>::new()
    );
    assert!(
        store
            .import_file(&v1.path, &trusting_sample())
            .unwrap()
            .already_installed,
        "once whole, the same version is already installed"
    );
    assert!(matches!(
        store.check_course("not-here", false),
        Err(StoreError::NotInstalled(_))
    ));
}

#[test]
fn a_package_from_an_unknown_publisher_needs_the_learners_confirmation() {
    let built = build("1.0.0", 1000, &other_key());
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let error = store
        .import_file(&built.path, &options(Trust::default()))
        .unwrap_err();
    let ImportError::UntrustedPublisher { fingerprint, .. } = &error else {
        panic!("expected an untrusted publisher, got {error}");
    };
    assert_eq!(fingerprint, &other_key().public_key().fingerprint());
    assert!(
        error.to_string().contains(fingerprint.as_str()),
        "the learner is shown the fingerprint"
    );
    assert_empty(&store);

    let confirmed = options(Trust {
        vouched: Vec::new(),
        confirmed: Some(fingerprint.clone()),
    });
    store.import_file(&built.path, &confirmed).unwrap();
    assert!(
        store.is_trusted(&other_key().public_key()).unwrap(),
        "the confirmation is remembered"
    );
}

#[test]
fn a_course_stays_with_the_key_it_was_installed_with() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    store
        .import_file(
            &build("1.0.0", 1000, &sample_key()).path,
            &trusting_sample(),
        )
        .unwrap();
    let impostor = build("2.0.0", 1000, &other_key());
    let both = options(Trust {
        vouched: vec![sample_key().public_key(), other_key().public_key()],
        confirmed: None,
    });
    let error = store.import_file(&impostor.path, &both).unwrap_err();
    assert!(
        matches!(error, ImportError::PublisherChanged { .. }),
        "{error}"
    );
    assert_eq!(
        store
            .course(SAMPLE_COURSE_ID)
            .unwrap()
            .unwrap()
            .manifest
            .course
            .version,
        "1.0.0"
    );
}

#[test]
fn cancelling_leaves_nothing_and_progress_is_reported() {
    let built = build("1.0.0", 3_000_000, &sample_key());
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let cancel = Cancel::default();
    let seen = std::sync::Mutex::new(Vec::<Progress>::new());
    let progress = |p: Progress| {
        seen.lock().unwrap().push(p);
        if p.done_bytes > 1_000_000 {
            cancel.cancel();
        }
    };
    let options = ImportOptions {
        progress: &progress,
        cancel: cancel.clone(),
        ..trusting_sample()
    };
    let error = store.import_file(&built.path, &options).unwrap_err();
    assert!(matches!(error, ImportError::Cancelled), "{error}");
    assert_empty(&store);
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() > 2 && seen.windows(2).all(|w| w[0].done_bytes <= w[1].done_bytes));
    assert_eq!(seen[0].total_bytes, built.manifest.total_size());
}

#[test]
fn removing_a_course_frees_its_files_and_open_cleans_leftovers() {
    let built = build("1.0.0", 10_000, &sample_key());
    let root = tempfile::tempdir().unwrap();
    {
        let store = Store::open(root.path()).unwrap();
        store.import_file(&built.path, &trusting_sample()).unwrap();
        store.remove_course(SAMPLE_COURSE_ID).unwrap();
        assert_empty(&store);
        store.import_file(&built.path, &trusting_sample()).unwrap();
    }
    // What a crash between staging and commit leaves: a staging folder and an unreferenced object.
    std::fs::create_dir_all(root.path().join("staging/123-1-0")).unwrap();
    std::fs::write(root.path().join("staging/123-1-0/partial"), b"half").unwrap();
    let orphan = root.path().join("objects/ff").join("f".repeat(64));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"orphan").unwrap();
    let store = Store::open(root.path()).unwrap();
    assert!(!orphan.exists(), "an unreferenced object survives open");
    assert_eq!(
        std::fs::read_dir(root.path().join("staging"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        store.courses().unwrap().len(),
        1,
        "the installed course is untouched"
    );
}

// ---------------------------------------------------------------------------------------------
// The hostile corpus. Each package is built by hand so it can break exactly one rule; the manifest
// and signature are real (signed with the trusted key) unless the case is about them.

/// One zip entry of a hand-made package.
struct Entry {
    name: String,
    bytes: Vec<u8>,
    method: CompressionMethod,
}

fn entry(name: &str, bytes: &[u8]) -> Entry {
    Entry {
        name: name.to_owned(),
        bytes: bytes.to_vec(),
        method: CompressionMethod::Deflated,
    }
}

fn zip_of(entries: &[Entry]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for e in entries {
        zip.start_file(
            e.name.clone(),
            SimpleFileOptions::default().compression_method(e.method),
        )
        .unwrap();
        zip.write_all(&e.bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A valid one-page package's parts: manifest (with `files` matching `contents`) and entries.
fn valid_parts(contents: &[(&str, &[u8])], key: &SecretKey) -> (Manifest, Vec<Entry>) {
    let files = contents
        .iter()
        .map(|(path, bytes)| carrel_package::pack::describe_bytes(path, bytes))
        .collect();
    let mut manifest: Manifest = serde_json::from_value(serde_json::json!({
        "format_version": 1,
        "course": {"id": "hostile", "version": "1.0.0", "title": "Hostile", "language": "en",
                   "min_app_version": "0.1.0", "publisher": {"name": "P"}},
        "blocks": [{"id": "b", "title": "B", "modules": [{"id": "m", "title": "M", "items": [
            {"id": "p", "title": "P", "kind": "page", "path": contents[0].0}]}]}],
        "files": [],
        "built_at": "2027-01-01T00:00:00Z"
    }))
    .unwrap();
    manifest.files = files;
    let entries = signed_entries(&manifest.to_bytes(), key, contents);
    (manifest, entries)
}

fn signed_entries(
    manifest_bytes: &[u8],
    key: &SecretKey,
    contents: &[(&str, &[u8])],
) -> Vec<Entry> {
    let mut entries = vec![
        entry(MANIFEST_ENTRY, manifest_bytes),
        entry(SIGNATURE_ENTRY, &key.sign(manifest_bytes).to_bytes()),
    ];
    for (path, bytes) in contents {
        entries.push(entry(&format!("{CONTENT_PREFIX}{path}"), bytes));
    }
    entries
}

/// Replaces every occurrence of `from` with `to` (same length) in the zip's bytes: how names
/// no zip writer would produce get into a test package.
fn patch(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut found = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            found += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(
        found >= 2,
        "the name is in the local header and the central directory"
    );
    bytes
}

/// Sets a 16-bit field in every local header (at `local`) and central header (at `central`).
fn patch_headers(
    mut bytes: Vec<u8>,
    local: usize,
    central: usize,
    value: u16,
    only_content: bool,
) -> Vec<u8> {
    let mut i = 0;
    while i + 46 < bytes.len() {
        let at = match &bytes[i..i + 4] {
            b"PK\x03\x04" => Some((local, 26, 30)),
            b"PK\x01\x02" => Some((central, 28, 46)),
            _ => None,
        };
        if let Some((offset, name_len_at, name_at)) = at {
            let name_len =
                u16::from_le_bytes([bytes[i + name_len_at], bytes[i + name_len_at + 1]]) as usize;
            let name = &bytes[i + name_at..i + name_at + name_len];
            if !only_content || name.starts_with(CONTENT_PREFIX.as_bytes()) {
                let field = &mut bytes[i + offset..i + offset + 2];
                let old = u16::from_le_bytes([field[0], field[1]]);
                field
                    .copy_from_slice(&(if offset < 8 { old | value } else { value }).to_le_bytes());
            }
        }
        i += 1;
    }
    bytes
}

/// Opens and imports a package's bytes into a fresh store; returns the error text and checks
/// that nothing was left behind.
fn refuse(bytes: &[u8], limits: Limits) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.carrel");
    std::fs::write(&path, bytes).unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let options = ImportOptions {
        limits,
        ..trusting_sample()
    };
    let error = store
        .import_file(&path, &options)
        .expect_err("a hostile package was imported");
    assert_empty(&store);
    error.to_string()
}

#[test]
fn the_corpus_valid_baseline_imports() {
    // The corpus helpers make valid packages; each case below breaks exactly one thing.
    let (_, entries) = valid_parts(&[("page.html", b"<p>hi</p>")], &sample_key());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.carrel");
    std::fs::write(&path, zip_of(&entries)).unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    store.import_file(&path, &trusting_sample()).unwrap();
}

#[test]
fn hostile_names_are_refused_naming_the_entry() {
    let key = sample_key();
    // (hostile name, words the refusal must contain); a same-length placeholder is written and
    // patched into the hostile name afterwards.
    let cases: &[(&str, &str)] = &[
        ("content/../evil.txt", "“..”"),
        ("/etc/cron.d/evil.sh", "absolute"),
        ("content\\x\\evil.txt", "backslash"),
        ("C:content/evil.txt", "C:content/evil.txt"),
        ("content/ev\0il.txt", "content/ev"),
        ("content/CON.txt", "CON"),
        ("content/aux.html", "aux"),
        ("content/trail.", "trail"),
        ("content/space ", "space"),
    ];
    for (hostile, words) in cases {
        let placeholder = "q".repeat(hostile.len());
        let (_, mut entries) = valid_parts(&[("page.html", b"<p>hi</p>")], &key);
        entries.push(entry(&placeholder, b"payload"));
        let bytes = patch(zip_of(&entries), placeholder.as_bytes(), hostile.as_bytes());
        let error = refuse(&bytes, Limits::default());
        assert!(
            error.contains(words),
            "{hostile:?}: expected {words:?} in “{error}”"
        );
    }
}

#[test]
fn names_that_collide_on_windows_or_macos_are_refused() {
    let key = sample_key();
    for (a, b) in [
        ("Page.html", "page.html"),
        ("caf\u{e9}.html", "cafe\u{301}.html"),
    ] {
        let (_, entries) = valid_parts(&[(a, b"one"), (b, b"two")], &key);
        let error = refuse(&zip_of(&entries), Limits::default());
        assert!(
            error.contains("same file") || error.contains("twice"),
            "{a}/{b}: {error}"
        );
    }
}

#[test]
fn symlinks_folders_encryption_and_odd_compression_are_refused() {
    let key = sample_key();
    let (_, entries) = valid_parts(&[("page.html", b"<p>hi</p>")], &key);

    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for e in &entries {
        zip.start_file(e.name.clone(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&e.bytes).unwrap();
    }
    zip.add_symlink("content/link", "/etc/passwd", SimpleFileOptions::default())
        .unwrap();
    let error = refuse(&zip.finish().unwrap().into_inner(), Limits::default());
    assert!(
        error.contains("content/link") && error.contains("symbolic link"),
        "{error}"
    );

    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.add_directory("content/folder/", SimpleFileOptions::default())
        .unwrap();
    for e in &entries {
        zip.start_file(e.name.clone(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&e.bytes).unwrap();
    }
    let error = refuse(&zip.finish().unwrap().into_inner(), Limits::default());
    assert!(error.contains("folder entry"), "{error}");

    // General-purpose flag bit 0 (encrypted) at local offset 6, central offset 8.
    let encrypted = patch_headers(zip_of(&entries), 6, 8, 1, true);
    let error = refuse(&encrypted, Limits::default());
    assert!(
        error.contains("“content/page.html” is encrypted"),
        "{error}"
    );

    // Compression method 12 (bzip2) at local offset 8, central offset 10.
    let bzip = patch_headers(zip_of(&entries), 8, 10, 12, true);
    let error = refuse(&bzip, Limits::default());
    assert!(
        error.contains("“content/page.html” uses the compression method"),
        "{error}"
    );
}

#[test]
fn entries_must_match_the_manifest_exactly() {
    let key = sample_key();
    let (_, mut entries) = valid_parts(&[("page.html", b"<p>hi</p>")], &key);
    entries.push(entry("content/extra.js", b"alert(1)"));
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(
        error.contains("content/extra.js") && error.contains("not listed"),
        "{error}"
    );

    let (manifest, _) = valid_parts(&[("page.html", b"<p>hi</p>"), ("gone.css", b"x")], &key);
    let entries = signed_entries(&manifest.to_bytes(), &key, &[("page.html", b"<p>hi</p>")]);
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(
        error.contains("gone.css") && error.contains("does not contain"),
        "{error}"
    );

    let (manifest, _) = valid_parts(&[("page.html", b"<p>hi</p>")], &key);
    let entries = signed_entries(
        &manifest.to_bytes(),
        &key,
        &[("page.html", b"<p>hi there</p>")],
    );
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(
        error.contains("page.html") && error.contains("bytes but its manifest says"),
        "{error}"
    );
}

#[test]
fn tampered_content_and_forged_signatures_are_refused() {
    let key = sample_key();
    // Same size, different bytes: only the signed hash can tell.
    let (manifest, _) = valid_parts(&[("page.html", b"<p>hi</p>")], &key);
    let entries = signed_entries(&manifest.to_bytes(), &key, &[("page.html", b"<p>HI</p>")]);
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(
        error.contains("page.html") && error.contains("changed after it was signed"),
        "{error}"
    );

    // The manifest edited after signing (say, a hash replaced to match tampered content).
    let mut edited = manifest.clone();
    edited.course.title = "Hostile, edited".into();
    let mut entries = signed_entries(&manifest.to_bytes(), &key, &[("page.html", b"<p>hi</p>")]);
    entries[0] = entry(MANIFEST_ENTRY, &edited.to_bytes());
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(error.contains("signature does not match"), "{error}");

    // Validly signed, by a key nobody trusts.
    let (_, entries) = valid_parts(&[("page.html", b"<p>hi</p>")], &other_key());
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(
        error.contains(other_key().public_key().fingerprint().as_str()),
        "{error}"
    );

    // No signature at all.
    let (_, mut entries) = valid_parts(&[("page.html", b"<p>hi</p>")], &key);
    entries.remove(1);
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(error.contains("no signature"), "{error}");
}

#[test]
fn a_newer_format_says_to_update_carrel() {
    let key = sample_key();
    let bytes = br#"{"format_version": 7, "anything": "new"}"#;
    let entries = signed_entries(bytes, &key, &[]);
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(
        error.contains("format version 7") && error.contains("update Carrel"),
        "{error}"
    );
}

#[test]
fn bombs_and_oversized_packages_are_refused_before_writing() {
    let key = sample_key();
    let zeros = vec![0u8; 4 * 1024 * 1024];
    let (_, entries) = valid_parts(&[("page.html", b"<p>hi</p>"), ("zeros.bin", &zeros)], &key);
    let error = refuse(&zip_of(&entries), Limits::default());
    assert!(
        error.contains("zeros.bin") && error.contains("expand"),
        "{error}"
    );

    let (_, entries) = valid_parts(
        &[
            ("page.html", b"<p>hi</p>"),
            ("b.html", b"b"),
            ("c.html", b"c"),
        ],
        &key,
    );
    let few = Limits {
        max_entries: 4,
        ..Limits::default()
    };
    let error = refuse(&zip_of(&entries), few);
    assert!(
        error.contains("5 entries") && error.contains("at most 4"),
        "{error}"
    );

    let small = Limits {
        max_total_bytes: 5,
        ..Limits::default()
    };
    let (_, entries) = valid_parts(&[("page.html", b"<p>hi</p>")], &key);
    let error = refuse(&zip_of(&entries), small);
    assert!(error.contains("add up to 9 bytes"), "{error}");
}

#[test]
fn overlapping_entries_are_refused() {
    let key = sample_key();
    let (_, entries) = valid_parts(
        &[("page.html", b"<p>hi</p>"), ("copy.html", b"<p>hi</p>")],
        &key,
    );
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for e in entries.iter().filter(|e| e.name != "content/copy.html") {
        zip.start_file(e.name.clone(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&e.bytes).unwrap();
    }
    // A second central-directory entry pointing at the first entry's bytes.
    zip.shallow_copy_file("content/page.html", "content/copy.html")
        .unwrap();
    let error = refuse(&zip.finish().unwrap().into_inner(), Limits::default());
    assert!(error.contains("overlap"), "{error}");
}

#[test]
fn truncated_and_non_zip_files_are_refused() {
    let built = build("1.0.0", 50_000, &sample_key());
    let bytes = std::fs::read(&built.path).unwrap();
    for cut in [bytes.len() / 2, bytes.len() - 10, 100] {
        let error = refuse(&bytes[..cut], Limits::default());
        assert!(
            error.contains("not a complete course package"),
            "cut at {cut}: {error}"
        );
    }
    let error = refuse(b"<html>not a zip</html>", Limits::default());
    assert!(error.contains("not a complete course package"), "{error}");
}

#[test]
fn a_corrupted_byte_in_the_middle_is_caught() {
    // Flip one byte inside the stored video: the CRC or the SHA-256 catches it, never the learner.
    let built = build("1.0.0", 200_000, &sample_key());
    let mut bytes = std::fs::read(&built.path).unwrap();
    let video = built.manifest.file("assets/video.webm").unwrap().clone();
    // The intact package opens: the flipped byte is what breaks it.
    PackageArchive::open(Cursor::new(bytes.clone()), &Limits::default()).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let error = refuse(&bytes, Limits::default());
    assert!(error.contains(&format!("“{}”", video.path)), "{error}");
}

#[test]
fn an_entry_that_lies_about_its_size_is_caught_while_reading() {
    // The zip headers and the signed manifest both say 5 bytes; the entry holds 64. The reader
    // decompresses at most 5 + 1 bytes and refuses the file, whatever the headers claim.
    let key = sample_key();
    let real = vec![b'x'; 64];
    let mut manifest = valid_parts(&[("page.html", &real)], &key).0;
    manifest.files[0].size = 5;
    let entries = signed_entries(&manifest.to_bytes(), &key, &[("page.html", &real)]);
    let mut bytes = zip_of(&entries);
    // Uncompressed size: local header offset 22, central header offset 24 (32-bit little-endian).
    let mut i = 0;
    while i + 46 < bytes.len() {
        let at = match &bytes[i..i + 4] {
            b"PK\x03\x04" => Some((22, 26, 30)),
            b"PK\x01\x02" => Some((24, 28, 46)),
            _ => None,
        };
        if let Some((size_at, name_len_at, name_at)) = at {
            let name_len =
                u16::from_le_bytes([bytes[i + name_len_at], bytes[i + name_len_at + 1]]) as usize;
            if &bytes[i + name_at..i + name_at + name_len] == b"content/page.html" {
                bytes[i + size_at..i + size_at + 4].copy_from_slice(&5u32.to_le_bytes());
            }
        }
        i += 1;
    }
    let error = refuse(&bytes, Limits::default());
    assert!(
        error.contains("“page.html”") && (error.contains("larger") || error.contains("bytes but")),
        "{error}"
    );
}
