//! The server grades quiz submissions itself with the client's grading code, by the definition
//! each names: graded quizzes with the answer keys given at publish, practice quizzes with the key
//! they ship; essays wait for a tutor, whose grade replaces the automatic one.

use std::path::{Path, PathBuf};

use carrel_package::SecretKey;
use carrel_package::manifest::ItemKind;
use carrel_protocol::auth::Role;
use carrel_protocol::changes::{ChangeBody, ChangesPage, Grade};
use carrel_protocol::submissions::submission_path;
use carrel_protocol::tutor::{SubmissionStatus, tutor_grade_path};
use carrel_server::{PublishError, PublishOptions};
use reqwest::Method;

use crate::support::{Class, KEY};

const COURSE: &str = "quiz-course";

/// Writes the quiz course's source (a graded quiz, a graded quiz with an essay, a practice quiz)
/// and builds it; returns the package, with the answer keys beside it.
fn build(dir: &Path) -> (PathBuf, carrel_package::Manifest) {
    let source = dir.join("quiz-source");
    std::fs::create_dir_all(source.join("quizzes")).unwrap();
    std::fs::write(
        source.join("course.toml"),
        format!(
            r#"id = "{COURSE}"
version = "1.0.0"
title = "Quizzes"
language = "en"
summary = "Quizzes the server grades."
min_app_version = "0.1.0"

[publisher]
name = "Test Academy"

[[blocks]]
id = "b"
title = "B"

[[blocks.modules]]
id = "m"
title = "M"

[[blocks.modules.items]]
id = "final-quiz"
kind = "quiz"
title = "Final"
source = "quizzes/final.toml"

[[blocks.modules.items]]
id = "essay-quiz"
kind = "quiz"
title = "Reflect"
source = "quizzes/reflect.toml"

[[blocks.modules.items]]
id = "practice-quiz"
kind = "quiz"
title = "Warm-up"
source = "quizzes/warmup.toml"
"#
        ),
    )
    .unwrap();
    let single = r#"
[[questions]]
id = "q1"
type = "single_choice"
prompt = "Pick a"
points = 1
choices = [{ id = "a", text = "A" }, { id = "b", text = "B" }]
answer = "a"
"#;
    std::fs::write(
        source.join("quizzes/final.toml"),
        format!(
            r#"id = "final"
title = "Final"
mode = "graded"
passing_score = 0.5
{single}
[[questions]]
id = "q2"
type = "true_false"
prompt = "False?"
points = 2
answer = false
"#
        ),
    )
    .unwrap();
    std::fs::write(
        source.join("quizzes/reflect.toml"),
        format!(
            r#"id = "reflect"
title = "Reflect"
mode = "graded"
passing_score = 0.6
{single}
[[questions]]
id = "q2"
type = "essay"
prompt = "Reflect."
points = 4
"#
        ),
    )
    .unwrap();
    std::fs::write(
        source.join("quizzes/warmup.toml"),
        r#"id = "warmup"
title = "Warm-up"
mode = "practice"
passing_score = 1.0

[[questions]]
id = "q1"
type = "true_false"
prompt = "True?"
points = 1
answer = true
"#,
    )
    .unwrap();
    let package = dir.join("quizzes.carrel");
    let report =
        carrel_package::source::build(&source, &SecretKey::from_seed([KEY; 32]), &package).unwrap();
    assert_eq!(report.answer_keys.len(), 2, "two graded quizzes have keys");
    std::fs::write(
        carrel_server::publish::answer_keys_beside(&package),
        serde_json::to_vec(&report.answer_keys).unwrap(),
    )
    .unwrap();
    (package, report.manifest)
}

/// The SHA-256 of the quiz file of `item` in the package.
fn definition_sha256(manifest: &carrel_package::Manifest, item: &str) -> String {
    let (_, _, item) = manifest.items().find(|(_, _, i)| i.id == item).unwrap();
    let ItemKind::Quiz { path } = &item.kind else {
        panic!("{} is a quiz", item.id)
    };
    manifest.file(path).unwrap().sha256.clone()
}

/// A quiz submission payload as the client's outbox stores it.
fn attempt(item: &str, quiz: &str, sha256: &str, answers: &str) -> String {
    format!(
        r#"{{"courseId":"{COURSE}","courseVersion":"1.0.0","itemId":"{item}","quizId":"{quiz}","definitionSha256":"{sha256}","attemptId":"a-{item}","attemptNumber":1,"startedMs":1,"deadlineMs":null,"submittedMs":2,"submittedBy":"learner","clockOffsetMs":null,"answers":[{answers}]}}"#
    )
}

fn answer(question: &str, answer: &str) -> String {
    format!(r#"{{"questionId":"{question}","answer":{answer},"savedMs":1}}"#)
}

async fn class_with_quizzes(options: PublishOptions) -> (Class, carrel_package::Manifest) {
    let class = Class::start().await;
    let (package, manifest) = build(class.fx.dir.path());
    carrel_server::publish_package_with(
        &class.fx.storage,
        class.fx.server.data(),
        &package,
        &options,
    )
    .await
    .unwrap();
    class
        .fx
        .server
        .enrol("ana", COURSE, Role::Learner, None)
        .await
        .unwrap();
    class
        .fx
        .server
        .enrol("tom", COURSE, Role::Tutor, None)
        .await
        .unwrap();
    (class, manifest)
}

async fn grade_of(class: &Class, id: &str) -> Option<Grade> {
    let status: SubmissionStatus = class.get_json(&submission_path(id), &class.ana).await;
    status.grade
}

#[tokio::test]
async fn quiz_submissions_are_graded_when_stored() {
    let (class, manifest) = class_with_quizzes(PublishOptions::default()).await;
    let final_sha = definition_sha256(&manifest, "final-quiz");
    let wrong_on_q2 = [
        answer("q1", r#"{"type":"single_choice","choice":"a"}"#),
        answer("q2", r#"{"type":"true_false","value":true}"#),
    ]
    .join(",");
    class
        .submit(
            &class.ana,
            "final-1",
            "quiz",
            &attempt("final-quiz", "final", &final_sha, &wrong_on_q2),
        )
        .await;
    let grade = grade_of(&class, "final-1").await.expect("graded at once");
    assert_eq!(
        (grade.score, grade.max_score, grade.passed, grade.complete),
        (1.0, 3.0, Some(false), true),
        "1 of 3 points is under the passing score of 0.5"
    );
    assert_eq!(grade.graded_by, None, "graded by the server");
    let detail = grade.detail.expect("the question-by-question grade");
    assert_eq!(detail["questions"][1]["verdict"], "incorrect");

    let feed: ChangesPage = class.get_json("/api/v1/changes", &class.ana).await;
    assert!(
        matches!(
            &feed.changes[..],
            [package, grade] if matches!(&package.body, ChangeBody::Package(_))
                && matches!(&grade.body, ChangeBody::Grade(g) if g.submission_id == "final-1")
        ),
        "the course's publish, then the grade: {feed:?}"
    );

    // Practice quizzes are graded with the key they ship.
    let warmup_sha = definition_sha256(&manifest, "practice-quiz");
    let right = answer("q1", r#"{"type":"true_false","value":true}"#);
    class
        .submit(
            &class.ana,
            "warm-1",
            "quiz",
            &attempt("practice-quiz", "warmup", &warmup_sha, &right),
        )
        .await;
    let grade = grade_of(&class, "warm-1").await.unwrap();
    assert_eq!((grade.score, grade.passed), (1.0, Some(true)));

    // An essay waits for a tutor: the grade counts what the server could grade.
    let reflect_sha = definition_sha256(&manifest, "essay-quiz");
    let essay = [
        answer("q1", r#"{"type":"single_choice","choice":"a"}"#),
        answer("q2", r#"{"type":"essay","text":"I learnt a lot."}"#),
    ]
    .join(",");
    let receipt = class
        .submit(
            &class.ana,
            "reflect-1",
            "quiz",
            &attempt("essay-quiz", "reflect", &reflect_sha, &essay),
        )
        .await;
    let grade = grade_of(&class, "reflect-1").await.unwrap();
    assert_eq!(
        (grade.score, grade.max_score, grade.passed, grade.complete),
        (1.0, 5.0, None, false)
    );
    let ungraded: Vec<carrel_protocol::tutor::SubmissionSummary> = class
        .get_json("/api/v1/tutor/submissions?ungraded=true", &class.tom)
        .await;
    assert_eq!(
        ungraded
            .iter()
            .map(|s| s.submission_id.as_str())
            .collect::<Vec<_>>(),
        vec!["reflect-1"],
        "an incomplete grade is still to grade"
    );
    // The tutor's grade replaces it; points possible default to the quiz's total, the pass to its
    // passing score.
    let response = class
        .send(
            Method::PUT,
            &tutor_grade_path(receipt.server_id),
            Some(&class.tom),
            Some(r#"{"score":3}"#),
        )
        .await;
    assert_eq!(response.status(), 200);
    let grade = grade_of(&class, "reflect-1").await.unwrap();
    assert_eq!(
        (grade.score, grade.max_score, grade.passed, grade.complete),
        (3.0, 5.0, Some(true), true)
    );
    assert_eq!(grade.graded_by.as_deref(), Some("tom"));

    // A definition the server does not know is not graded.
    class
        .submit(
            &class.ana,
            "old-1",
            "quiz",
            &attempt("final-quiz", "final", &"0".repeat(64), &wrong_on_q2),
        )
        .await;
    assert_eq!(grade_of(&class, "old-1").await, None);
}

#[tokio::test]
async fn a_graded_quiz_published_without_its_keys_waits_for_a_tutor() {
    let dir = tempfile::tempdir().unwrap();
    let (package, _) = build(dir.path());
    std::fs::remove_file(carrel_server::publish::answer_keys_beside(&package)).unwrap();
    let class = Class::start().await;
    let copy = class.fx.dir.path().join("no-keys.carrel");
    std::fs::copy(&package, &copy).unwrap();
    let manifest = carrel_package::PackageArchive::open(
        std::io::BufReader::new(std::fs::File::open(&copy).unwrap()),
        &carrel_package::Limits::default(),
    )
    .unwrap()
    .manifest()
    .clone();
    class.fx.publish(&copy).await.unwrap();
    class
        .fx
        .server
        .enrol("ana", COURSE, Role::Learner, None)
        .await
        .unwrap();
    let sha = definition_sha256(&manifest, "final-quiz");
    let answers = answer("q1", r#"{"type":"single_choice","choice":"a"}"#);
    class
        .submit(
            &class.ana,
            "final-1",
            "quiz",
            &attempt("final-quiz", "final", &sha, &answers),
        )
        .await;
    assert_eq!(
        grade_of(&class, "final-1").await,
        None,
        "no key, no automatic grade"
    );

    // The keys given later, with the same package, make the next submissions graded.
    let keys = dir.path().join("quizzes.carrel");
    let source_keys = carrel_package::source::build(
        &dir.path().join("quiz-source"),
        &SecretKey::from_seed([KEY; 32]),
        &keys,
    )
    .unwrap()
    .answer_keys;
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&keys_file, serde_json::to_vec(&source_keys).unwrap()).unwrap();
    let options = PublishOptions {
        answer_keys: Some(keys_file),
        ..PublishOptions::default()
    };
    let again = carrel_server::publish_package_with(
        &class.fx.storage,
        class.fx.server.data(),
        &copy,
        &options,
    )
    .await
    .unwrap();
    assert!(again.unchanged);
    class
        .submit(
            &class.ana,
            "final-2",
            "quiz",
            &attempt("final-quiz", "final", &sha, &answers),
        )
        .await;
    assert_eq!(
        grade_of(&class, "final-2").await.map(|g| g.score),
        Some(1.0)
    );
}

#[tokio::test]
async fn answer_keys_of_another_quiz_are_refused() {
    let class = Class::start().await;
    let (package, _) = build(class.fx.dir.path());
    let keys_path = carrel_server::publish::answer_keys_beside(&package);
    let mut keys: Vec<carrel_package::activity::QuizDefinition> =
        serde_json::from_slice(&std::fs::read(&keys_path).unwrap()).unwrap();
    keys[0].questions[0].prompt = "Another question".into();
    std::fs::write(&keys_path, serde_json::to_vec(&keys).unwrap()).unwrap();
    let error = class.fx.publish(&package).await.unwrap_err();
    assert!(matches!(error, PublishError::AnswerKeys(_)), "{error}");
    assert!(
        error
            .to_string()
            .contains("answer-keys file built with this very package"),
        "{error}"
    );
    assert!(
        class.fx.catalog().await.courses.is_empty(),
        "nothing was published"
    );
}
