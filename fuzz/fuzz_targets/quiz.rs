//! Quiz definitions (JSON, as installed from a package) and the learner's answers: parsing,
//! validation, presentation and grading must never panic, whatever the course or answer says.
#![no_main]

use std::collections::BTreeMap;

use carrel_core::assess::Answer;
use carrel_core::assess::grade::{
    check_answer, grade_question, grade_quiz, key_answer, parse_number, present, word_count,
};
use carrel_package::activity::{AssignmentDefinition, QuizDefinition};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line may carry answers (`{question id: answer}`), the rest is the definition.
    let (answers_bytes, definition) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b""[..], data),
    };
    let answers: BTreeMap<String, Answer> =
        serde_json::from_slice(answers_bytes).unwrap_or_default();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_number(text);
        let _ = word_count(text);
    }
    if let Ok(assignment) = serde_json::from_slice::<AssignmentDefinition>(definition) {
        let _ = assignment.validate();
    }
    let Ok(quiz) = serde_json::from_slice::<QuizDefinition>(definition) else {
        return;
    };
    let _ = quiz.validate(false);
    if quiz.validate(true).is_err() {
        return;
    }
    let shown = quiz.without_key();
    assert!(
        shown.validate(false).is_ok(),
        "a valid quiz without its key is still valid"
    );
    let seed = data.len() as u64;
    let presented = present(&quiz, seed);
    assert_eq!(
        presented.len(),
        quiz.questions.len(),
        "every question is shown"
    );
    for question in &quiz.questions {
        let _ = grade_question(question, answers.get(&question.id));
        if let Some(answer) = answers.get(&question.id) {
            let _ = check_answer(question, answer);
        }
        if let Some(key) = key_answer(question) {
            let _ = check_answer(question, &key);
            let _ = grade_question(question, Some(&key));
        }
    }
    let grade = grade_quiz(&quiz, &answers);
    let _ = grade;
});
