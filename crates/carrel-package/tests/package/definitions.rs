//! Quiz and assignment definitions are checked on import: a correctly signed package whose
//! activities the app could not run is refused whole, naming the item and what is wrong, and the
//! store is left exactly as it was.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use carrel_package::manifest::Manifest;
use carrel_package::pack::{describe_bytes, hash_reader, write_package};
use carrel_package::store::{ImportError, MAX_DEFINITION_BYTES, Store};
use carrel_package::testing::sample_key;
use serde_json::{Value, json};

use super::{assert_empty, objects, trusting_sample};

const COURSE: &str = "activities";

/// The files of a valid course with a practice quiz, a graded quiz and an assignment.
fn valid_contents() -> BTreeMap<String, Vec<u8>> {
    let practice = json!({
        "id": "block-1-quiz", "title": "Block 1 quiz", "mode": "practice", "passing_score": 0.5,
        "questions": [
            {"id": "q1", "type": "single_choice", "prompt": "Which?", "feedback": "Because.",
             "choices": [{"id": "a", "text": "No. 97"}, {"id": "b", "text": "No. 189"}],
             "answer": "b"},
            {"id": "q2", "type": "true_false", "prompt": "True?", "answer": true}
        ]
    });
    // As the pack tool ships a graded quiz: no answers.
    let graded = json!({
        "id": "final-exam", "title": "Final exam", "mode": "graded", "passing_score": 0.7,
        "questions": [
            {"id": "q1", "type": "single_choice", "prompt": "Which?",
             "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]}
        ]
    });
    let essay = json!({
        "id": "essay", "title": "Essay", "kind": "individual",
        "instructions": "pages/brief.html", "due": "2027-03-26T22:59:00Z",
        "time_zone": "Europe/Zurich", "allowed_types": ["pdf", "txt"]
    });
    [
        ("pages/brief.html", b"<h1>Write 200 words</h1>".to_vec()),
        ("quizzes/block-1.json", to_bytes(&practice)),
        ("quizzes/final.json", to_bytes(&graded)),
        ("assignments/essay.json", to_bytes(&essay)),
    ]
    .into_iter()
    .map(|(path, bytes)| (path.to_owned(), bytes))
    .collect()
}

fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap()
}

/// Reads a definition of `contents`, changes it with `edit`, and writes it back.
fn edit(contents: &mut BTreeMap<String, Vec<u8>>, path: &str, edit: impl FnOnce(&mut Value)) {
    let mut value: Value = serde_json::from_slice(&contents[path]).unwrap();
    edit(&mut value);
    contents.insert(path.to_owned(), to_bytes(&value));
}

/// The signed manifest of the course at `version` holding `contents`. Only the definitions are
/// ever broken: the manifest itself is valid, so the import gets past every earlier check.
fn manifest(version: &str, contents: &BTreeMap<String, Vec<u8>>) -> Manifest {
    let mut manifest: Manifest = serde_json::from_value(json!({
        "format_version": 1,
        "course": {"id": COURSE, "version": version, "title": "Activities", "language": "en",
                   "min_app_version": "0.1.0", "publisher": {"name": "P"}},
        "blocks": [{"id": "b", "title": "B", "modules": [{"id": "m", "title": "M", "items": [
            {"id": "brief", "title": "Brief", "kind": "page", "path": "pages/brief.html"},
            {"id": "block-1-quiz", "title": "Block 1 quiz", "kind": "quiz",
             "path": "quizzes/block-1.json"},
            {"id": "exam", "title": "Final exam", "kind": "quiz", "path": "quizzes/final.json"},
            {"id": "essay", "title": "Essay", "kind": "assignment",
             "path": "assignments/essay.json"}
        ]}]}],
        "files": [],
        "built_at": "2027-01-01T00:00:00Z"
    }))
    .unwrap();
    manifest.files = contents
        .iter()
        .map(|(path, bytes)| describe_bytes(path, bytes))
        .collect();
    manifest
        .validate()
        .expect("the test manifest must be valid so that only definitions can be at fault");
    manifest
}

/// Writes the package with the real writer (which, unlike the source build, does not look inside
/// definitions) and the trusted key.
fn write(dir: &Path, version: &str, contents: &BTreeMap<String, Vec<u8>>) -> PathBuf {
    let path = dir.join(format!("{COURSE}-{version}.carrel"));
    write_package(&path, &manifest(version, contents), &sample_key(), |file| {
        Ok(Box::new(Cursor::new(contents[&file.path].clone())) as Box<dyn Read>)
    })
    .unwrap();
    path
}

/// Asserts `error` is a refused definition of `item` whose reason contains `reason`, and that
/// the learner is told which activity, which file and that nothing was installed.
fn assert_refused(error: &ImportError, item: &str, kind: &str, reason: &str) {
    let ImportError::Definition {
        kind: found_kind,
        item: found_item,
        title,
        path,
        reason: found_reason,
    } = error
    else {
        panic!("expected a refused definition of “{item}”, got: {error}");
    };
    assert_eq!(
        (found_item.as_str(), *found_kind),
        (item, kind),
        "the refusal names the item at fault: {error}"
    );
    assert!(
        found_reason.contains(reason),
        "expected “{reason}” in the reason: {error}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "the package is broken: the {kind} “{title}” ({path}) is not valid: "
        )) && message
            .ends_with(". Nothing was installed; ask the course team for a corrected package."),
        "the message names the activity and its file and says nothing was installed: {message}"
    );
}

/// Every stored object with its bytes: what must not change when an import is refused.
fn snapshot(store: &Store) -> BTreeMap<PathBuf, Vec<u8>> {
    objects(store.root())
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

#[test]
fn valid_definitions_import_and_a_graded_quiz_needs_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let package = write(dir.path(), "1.0.0", &valid_contents());
    let store = Store::open(&dir.path().join("store")).unwrap();
    store.import_file(&package, &trusting_sample()).unwrap();
    assert!(store.course(COURSE).unwrap().is_some());
}

#[test]
fn broken_definitions_are_refused_naming_the_item_and_installing_nothing() {
    type Breaker = Box<dyn Fn(&mut BTreeMap<String, Vec<u8>>)>;
    // (what breaks, item, kind, words of the reason)
    let cases: Vec<(Breaker, &str, &str, &str)> = vec![
        (
            Box::new(|c| {
                edit(c, "quizzes/block-1.json", |q| {
                    q["questions"][0]["answer"] = json!("z")
                })
            }),
            "block-1-quiz",
            "quiz",
            "question “q1”: the answer “z” is not one of its choices",
        ),
        (
            // A practice quiz gives feedback offline: it must carry its key.
            Box::new(|c| {
                edit(c, "quizzes/block-1.json", |q| {
                    q["questions"][1].as_object_mut().unwrap().remove("answer");
                })
            }),
            "block-1-quiz",
            "quiz",
            "question “q2”: its answer is missing",
        ),
        (
            Box::new(|c| {
                c.insert(
                    "quizzes/block-1.json".into(),
                    br#"{"id": "block-1-quiz", "questions": ["#.to_vec(),
                );
            }),
            "block-1-quiz",
            "quiz",
            "not well-formed JSON",
        ),
        (
            Box::new(|c| {
                edit(c, "quizzes/block-1.json", |q| {
                    q.as_object_mut().unwrap().remove("passing_score");
                })
            }),
            "block-1-quiz",
            "quiz",
            "missing field `passing_score`",
        ),
        (
            Box::new(|c| edit(c, "quizzes/block-1.json", |q| q["id"] = json!("Block 1"))),
            "block-1-quiz",
            "quiz",
            "its id “Block 1” is not valid",
        ),
        (
            // Without a key a graded quiz is not checked for one, but what it has must hold.
            Box::new(|c| {
                edit(c, "quizzes/final.json", |q| {
                    q["questions"][0]["choices"] = json!([{"id": "a", "text": "A"}])
                })
            }),
            "exam",
            "quiz",
            "at least two choices",
        ),
        (
            Box::new(|c| {
                edit(c, "assignments/essay.json", |a| {
                    a["time_zone"] = json!("Mars/Olympus")
                })
            }),
            "essay",
            "assignment",
            "the time zone “Mars/Olympus” is unknown",
        ),
        (
            Box::new(|c| {
                edit(c, "assignments/essay.json", |a| {
                    a["instructions"] = json!("pages/missing.html")
                })
            }),
            "essay",
            "assignment",
            "its instructions “pages/missing.html” are not a file of the package",
        ),
        (
            // The quiz file where the assignment should be.
            Box::new(|c| {
                let quiz = c["quizzes/final.json"].clone();
                c.insert("assignments/essay.json".into(), quiz);
            }),
            "essay",
            "assignment",
            "unknown field",
        ),
        (
            Box::new(|c| {
                let size = MAX_DEFINITION_BYTES as usize + 1;
                // Incompressible, so the package is not refused earlier as a zip bomb.
                let noise = (0..size)
                    .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                    .collect();
                c.insert("quizzes/final.json".into(), noise);
            }),
            "exam",
            "quiz",
            "more than the",
        ),
    ];
    for (break_it, item, kind, reason) in cases {
        let mut contents = valid_contents();
        break_it(&mut contents);
        let dir = tempfile::tempdir().unwrap();
        let package = write(dir.path(), "1.0.0", &contents);
        let store = Store::open(&dir.path().join("store")).unwrap();
        let error = store
            .import_file(&package, &trusting_sample())
            .expect_err("a package with a broken definition was installed");
        assert_refused(&error, item, kind, reason);
        assert_empty(&store);

        // An update from the server (manifest, signature, then files by hash) is held to the
        // same rules.
        let manifest_bytes = manifest("1.0.0", &contents).to_bytes();
        let signature = sample_key().sign(&manifest_bytes).to_bytes();
        let error = store
            .import_parts(&manifest_bytes, &signature, &trusting_sample(), |file| {
                Ok(Box::new(Cursor::new(contents[&file.path].clone())) as Box<dyn Read>)
            })
            .expect_err("a download with a broken definition was installed");
        assert_refused(&error, item, kind, reason);
        assert_empty(&store);
    }
}

#[test]
fn a_broken_update_leaves_the_installed_version_intact() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let v1 = valid_contents();
    store
        .import_file(&write(dir.path(), "1.0.0", &v1), &trusting_sample())
        .unwrap();
    let before = snapshot(&store);

    // The update changes the brief (a new object to stage) and breaks the assignment; the
    // quizzes are unchanged, so they are checked from the store's copies.
    let mut v2 = valid_contents();
    v2.insert(
        "pages/brief.html".into(),
        b"<h1>Write 300 words</h1>".to_vec(),
    );
    edit(&mut v2, "assignments/essay.json", |a| {
        a["time_zone"] = json!("Mars/Olympus")
    });
    let error = store
        .import_file(&write(dir.path(), "1.1.0", &v2), &trusting_sample())
        .expect_err("an update with a broken definition was installed");
    assert_refused(&error, "essay", "assignment", "“Mars/Olympus”");

    let installed = store.course(COURSE).unwrap().unwrap();
    assert_eq!(
        installed.manifest.course.version, "1.0.0",
        "the refused update must not switch the course"
    );
    assert_eq!(
        snapshot(&store),
        before,
        "no object of the refused update may stay in the store, and none of v1 may change"
    );
    assert_eq!(
        std::fs::read_dir(store.root().join("staging"))
            .unwrap()
            .count(),
        0,
        "the refused update's staging folder is removed"
    );
    for (path, bytes) in &v1 {
        let file = store.file(COURSE, path).unwrap().unwrap();
        let stored = std::fs::read(&file.path).unwrap();
        assert_eq!(&stored, bytes, "{path} of v1 stays readable as it was");
    }
    assert_eq!(
        store.check_course(COURSE, true).unwrap(),
        Vec::<String>::new(),
        "v1 is whole after the refusal"
    );
}

#[test]
fn an_update_reusing_stored_definitions_reads_them_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    store
        .import_file(
            &write(dir.path(), "1.0.0", &valid_contents()),
            &trusting_sample(),
        )
        .unwrap();

    // Only the brief changes: every definition is read from the object the store already has.
    let mut v2 = valid_contents();
    let brief = b"<h1>Write 300 words</h1>".to_vec();
    v2.insert("pages/brief.html".into(), brief.clone());
    let outcome = store
        .import_file(&write(dir.path(), "1.1.0", &v2), &trusting_sample())
        .unwrap();
    assert_eq!(
        outcome.new_bytes,
        brief.len() as u64,
        "only the brief is staged; the definitions are reused"
    );
    assert_eq!(outcome.reused_files, v2.len() - 1);
    let installed = store.course(COURSE).unwrap().unwrap();
    assert_eq!(installed.manifest.course.version, "1.1.0");
    let definition = store.file(COURSE, "quizzes/block-1.json").unwrap().unwrap();
    let (_, hash) = hash_reader(&mut std::fs::File::open(&definition.path).unwrap()).unwrap();
    assert_eq!(hash, definition.sha256);
}
