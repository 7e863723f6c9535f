//! Grading, and the order an attempt shows its questions in: pure functions of a quiz definition,
//! the learner's answers and a seed — no I/O, no clock, no global random generator — so the app
//! (for practice quizzes) and the course server (for graded ones) reach the same result.
//!
//! # Grading rules
//!
//! Every question is worth its `points` (a value that is not a finite number ≥ 0 counts as 0). A
//! question earns a *fraction* of them between 0 and 1; its score is `fraction × points`, always
//! within `[0, points]`, and its [`Verdict`] is [`Correct`](Verdict::Correct) when the fraction is
//! 1, [`Partial`](Verdict::Partial) when it is strictly between 0 and 1 (so `0 < score < points`
//! for a question worth something), [`Incorrect`](Verdict::Incorrect) when it is 0.
//!
//! Before any rule below, in this order:
//!
//! 1. No answer → [`Unanswered`](Verdict::Unanswered), score 0.
//! 2. An answer of another type than the question → `Incorrect`, score 0.
//! 3. An empty answer — no choice selected, no left side matched, no item placed, or text that is
//!    empty or only white space — → `Unanswered`, score 0. This holds for every type, including
//!    essays and questions without a key.
//! 4. An essay, or a question whose key is absent (a graded quiz's package carries none) →
//!    [`Pending`](Verdict::Pending), score unknown (`None`). Matching and ordering questions always
//!    have their key: the pairs and the listed order are the key.
//!
//! Then, per type (ids the question does not have are ignored, and an id given twice counts once):
//!
//! - **Single choice**: full points iff the chosen id is the key.
//! - **True/false**: full points iff the value is the key.
//! - **Multiple response**: `max(0, (right selected − wrong selected) / number of right choices)`.
//!   Correct iff exactly the key's choices are selected; selecting every choice earns full points
//!   only when every choice is right. (A key with no right choice is degenerate: any selection
//!   earns 0, and selecting nothing is unanswered.)
//! - **Matching**: the fraction of pairs whose left side is matched to its own right side.
//! - **Ordering**: a list of `n` items has `n − 1` key pairs (item `k` immediately followed by item
//!   `k + 1`); the fraction is the share of those pairs that are adjacent, in that order, in the
//!   learner's order. Only the identical order earns full points; an order missing items earns the
//!   pairs it contains; the reversed order earns 0. (With a single item: full iff it is placed.)
//! - **Short answer**: both the answer and each accepted answer are normalised — Unicode
//!   lower-cased unless `case_sensitive` (a final `ς` then counts as `σ`), accents folded unless
//!   `accent_sensitive` (`é` → `e`, `ß` → `ss`, `œ` → `oe`, combining accents dropped, full-width
//!   Latin letters and digits made ASCII: the folding of full-text search), then trimmed and inner
//!   white space collapsed to one space. Correct iff the answer equals a non-empty accepted answer.
//!   When case matters but accents do not, `É` folds to `E`. Text is not Unicode-normalised, so
//!   with `accent_sensitive` a precomposed `é` and `e` + combining acute differ.
//! - **Numeric**: the text is read with [`parse_number`]; correct iff
//!   `|value − answer| ≤ tolerance + 1e-9 · max(1, |answer|)` (the second term absorbs decimal
//!   rounding, so 0.1 + 0.2 is 0.3); text that is not a number is incorrect.
//!
//! A quiz's grade ([`grade_quiz`]) sums the known scores; while any question is pending its
//! fraction and pass are unknown. A quiz worth 0 points has a fraction of 1. It passes when its
//! fraction is at least `passing_score`, within 1e-9.
//!
//! # Presentation
//!
//! [`present`] shows a quiz in the order of an attempt's seed: the questions shuffled iff
//! `shuffle_questions`; the choices of choice questions and the left sides of matching questions
//! shuffled iff `shuffle_choices`; the right sides of matching questions and the items of ordering
//! questions always shuffled (their order is the key, which a graded package cannot withhold),
//! never aligned with the left sides, never in the right order. Each question draws from its own
//! stream, seeded from the attempt's seed and its id, so adding or reordering questions does not
//! reshuffle the others. The shuffle is part of the contract: changing it changes the order
//! attempts in progress show (answers are by id, so they stay valid).

use crate::search::analyze::{is_word_char, push_folded};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use carrel_package::activity::{Choice, Pair, Question, QuestionKind, QuizDefinition};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::answer::{Answer, PresentedKind, PresentedQuestion, ShownOption};

/// Longest short answer, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest essay, in characters.
pub const MAX_ESSAY_CHARS: usize = 200_000;
/// Longest numeric answer, in characters.
pub const MAX_NUMBER_CHARS: usize = 64;

/// Slack allowed on a numeric answer besides its tolerance, relative to the answer's size.
const NUMERIC_EPSILON: f64 = 1e-9;
/// Slack allowed when comparing a quiz's fraction with its passing score.
const PASS_EPSILON: f64 = 1e-9;
/// Longest id quoted in an error message, in characters.
const QUOTED_ID_CHARS: usize = 40;

/// The outcome of one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Full points.
    Correct,
    /// Some of the points, not all.
    Partial,
    /// No points.
    Incorrect,
    /// Not answered: no points.
    Unanswered,
    /// Not known yet: an essay a tutor grades, or a question whose key is on the server.
    Pending,
}

/// The grade of one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuestionGrade {
    /// The question's id.
    pub question_id: String,
    /// What the question is worth.
    pub points: f64,
    /// Points earned, within `[0, points]`; `None` while pending.
    pub score: Option<f64>,
    /// The outcome.
    pub verdict: Verdict,
}

/// The grade of a quiz attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuizGrade {
    /// Each question's grade, in the definition's order.
    pub questions: Vec<QuestionGrade>,
    /// The sum of the known scores.
    pub score: f64,
    /// The sum of all questions' points.
    pub max_score: f64,
    /// The sum of the pending questions' points.
    pub pending_points: f64,
    /// `score / max_score` (1 when the quiz is worth 0 points); `None` while anything is pending.
    pub fraction: Option<f64>,
    /// Whether the fraction reaches the passing score; `None` while anything is pending.
    pub passed: Option<bool>,
}

/// How much of a question an answer earns, before points.
enum Mark {
    /// Nothing was answered.
    Unanswered,
    /// Only a tutor or the server can tell.
    Pending,
    /// This fraction of the points, in `[0, 1]`.
    Fraction(f64),
}

/// Grades one question (see the module documentation for the rules).
pub fn grade_question(question: &Question, answer: Option<&Answer>) -> QuestionGrade {
    let points = valid_points(question.points);
    let mark = answer.map_or(Mark::Unanswered, |answer| mark(&question.kind, answer));
    let (score, verdict) = match mark {
        Mark::Unanswered => (Some(0.0), Verdict::Unanswered),
        Mark::Pending => (None, Verdict::Pending),
        Mark::Fraction(fraction) => {
            let fraction = fraction.clamp(0.0, 1.0);
            let verdict = if fraction >= 1.0 {
                Verdict::Correct
            } else if fraction > 0.0 {
                Verdict::Partial
            } else {
                Verdict::Incorrect
            };
            (Some((fraction * points).clamp(0.0, points)), verdict)
        }
    };
    QuestionGrade {
        question_id: question.id.clone(),
        points,
        score,
        verdict,
    }
}

/// Grades every question of `quiz` with the answer stored under its id, in the definition's order,
/// and sums them; answers to questions the quiz does not have are ignored.
pub fn grade_quiz(quiz: &QuizDefinition, answers: &BTreeMap<String, Answer>) -> QuizGrade {
    let questions: Vec<QuestionGrade> = quiz
        .questions
        .iter()
        .map(|question| grade_question(question, answers.get(&question.id)))
        .collect();
    let score: f64 = questions.iter().filter_map(|grade| grade.score).sum();
    let max_score: f64 = questions.iter().map(|grade| grade.points).sum();
    let pending_points = questions
        .iter()
        .filter(|grade| grade.score.is_none())
        .map(|grade| grade.points)
        .sum();
    let pending = questions.iter().any(|grade| grade.score.is_none());
    let fraction = (!pending).then(|| {
        if max_score > 0.0 {
            (score / max_score).clamp(0.0, 1.0)
        } else {
            1.0
        }
    });
    let passed = fraction.map(|fraction| fraction + PASS_EPSILON >= quiz.passing_score);
    QuizGrade {
        questions,
        score,
        max_score,
        pending_points,
        fraction,
        passed,
    }
}

/// Points as graded: a value that is not a finite number ≥ 0 counts as 0.
fn valid_points(points: f64) -> f64 {
    if points.is_finite() && points > 0.0 {
        points
    } else {
        0.0
    }
}

/// Applies the rules to an answer that exists.
fn mark(kind: &QuestionKind, answer: &Answer) -> Mark {
    if !same_type(kind, answer) {
        return Mark::Fraction(0.0);
    }
    if is_empty(answer) {
        return Mark::Unanswered;
    }
    match (kind, answer) {
        (QuestionKind::SingleChoice { answer: key, .. }, Answer::SingleChoice { choice }) => key
            .as_ref()
            .map_or(Mark::Pending, |key| all_or_nothing(key == choice)),
        (QuestionKind::TrueFalse { answer: key }, Answer::TrueFalse { value }) => {
            key.map_or(Mark::Pending, |key| all_or_nothing(key == *value))
        }
        (
            QuestionKind::MultipleResponse {
                choices,
                answer: key,
            },
            Answer::MultipleResponse { choices: selected },
        ) => key.as_ref().map_or(Mark::Pending, |key| {
            Mark::Fraction(multiple_response_fraction(choices, key, selected))
        }),
        (QuestionKind::Matching { pairs }, Answer::Matching { matches }) => {
            Mark::Fraction(matching_fraction(pairs, matches))
        }
        (QuestionKind::Ordering { items }, Answer::Ordering { order }) => {
            Mark::Fraction(ordering_fraction(items, order))
        }
        (
            QuestionKind::ShortAnswer {
                accepted,
                case_sensitive,
                accent_sensitive,
            },
            Answer::ShortAnswer { text },
        ) => accepted.as_ref().map_or(Mark::Pending, |accepted| {
            let given = normalize_text(text, *case_sensitive, *accent_sensitive);
            all_or_nothing(accepted.iter().any(|candidate| {
                let candidate = normalize_text(candidate, *case_sensitive, *accent_sensitive);
                !candidate.is_empty() && candidate == given
            }))
        }),
        (
            QuestionKind::Numeric {
                answer: key,
                tolerance,
            },
            Answer::Numeric { text },
        ) => key.map_or(Mark::Pending, |key| {
            all_or_nothing(parse_number(text).is_some_and(|value| {
                (value - key).abs() <= tolerance + NUMERIC_EPSILON * key.abs().max(1.0)
            }))
        }),
        (QuestionKind::Essay { .. }, Answer::Essay { .. }) => Mark::Pending,
        // `same_type` let only matching pairs through.
        _ => Mark::Fraction(0.0),
    }
}

/// Full points or none.
fn all_or_nothing(right: bool) -> Mark {
    Mark::Fraction(if right { 1.0 } else { 0.0 })
}

/// Whether `answer` is of the question's type.
fn same_type(kind: &QuestionKind, answer: &Answer) -> bool {
    matches!(
        (kind, answer),
        (
            QuestionKind::SingleChoice { .. },
            Answer::SingleChoice { .. }
        ) | (
            QuestionKind::MultipleResponse { .. },
            Answer::MultipleResponse { .. }
        ) | (QuestionKind::TrueFalse { .. }, Answer::TrueFalse { .. })
            | (QuestionKind::Matching { .. }, Answer::Matching { .. })
            | (QuestionKind::Ordering { .. }, Answer::Ordering { .. })
            | (QuestionKind::ShortAnswer { .. }, Answer::ShortAnswer { .. })
            | (QuestionKind::Numeric { .. }, Answer::Numeric { .. })
            | (QuestionKind::Essay { .. }, Answer::Essay { .. })
    )
}

/// Whether an answer says nothing: no selection, no match, no item, blank text.
fn is_empty(answer: &Answer) -> bool {
    match answer {
        Answer::SingleChoice { choice } => choice.is_empty(),
        Answer::MultipleResponse { choices } => choices.is_empty(),
        Answer::TrueFalse { .. } => false,
        Answer::Matching { matches } => matches.is_empty(),
        Answer::Ordering { order } => order.is_empty(),
        Answer::ShortAnswer { text } | Answer::Numeric { text } | Answer::Essay { text } => {
            text.trim().is_empty()
        }
    }
}

/// `max(0, (right − wrong) / #right choices)` over the distinct selected ids the question has.
fn multiple_response_fraction(choices: &[Choice], key: &[String], selected: &[String]) -> f64 {
    let known: HashSet<&str> = choices.iter().map(|choice| choice.id.as_str()).collect();
    let key: HashSet<&str> = key.iter().map(String::as_str).collect();
    let selected: HashSet<&str> = selected
        .iter()
        .map(String::as_str)
        .filter(|id| known.contains(id))
        .collect();
    if key.is_empty() {
        return if selected.is_empty() { 1.0 } else { 0.0 };
    }
    let right = selected.iter().filter(|id| key.contains(*id)).count();
    let wrong = selected.len() - right;
    if right <= wrong {
        return 0.0;
    }
    (right - wrong) as f64 / key.len() as f64
}

/// The share of pairs whose left side is matched to its own right side.
fn matching_fraction(pairs: &[Pair], matches: &BTreeMap<String, String>) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let right = pairs
        .iter()
        .filter(|pair| matches.get(&pair.id) == Some(&pair.id))
        .count();
    right as f64 / pairs.len() as f64
}

/// The share of the key's adjacent pairs found adjacent, in order, in the learner's order.
fn ordering_fraction(items: &[Choice], order: &[String]) -> f64 {
    let known: HashSet<&str> = items.iter().map(|item| item.id.as_str()).collect();
    let mut seen = HashSet::new();
    let order: Vec<&str> = order
        .iter()
        .map(String::as_str)
        .filter(|id| known.contains(id) && seen.insert(*id))
        .collect();
    if items.len() < 2 {
        let identical = order
            .iter()
            .copied()
            .eq(items.iter().map(|i| i.id.as_str()));
        return if identical && !items.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let position: HashMap<&str, usize> =
        order.iter().enumerate().map(|(at, id)| (*id, at)).collect();
    let kept = items
        .windows(2)
        .filter(|pair| {
            match (
                position.get(pair[0].id.as_str()),
                position.get(pair[1].id.as_str()),
            ) {
                (Some(first), Some(second)) => first + 1 == *second,
                _ => false,
            }
        })
        .count();
    kept as f64 / (items.len() - 1) as f64
}

/// A short answer in the form compared: see the module documentation.
fn normalize_text(text: &str, case_sensitive: bool, accent_sensitive: bool) -> String {
    // Lower-case the whole text rather than each character, so that a final sigma is recognised.
    let cased = if case_sensitive {
        text.to_owned()
    } else {
        text.to_lowercase().replace('ς', "σ")
    };
    let folded = if accent_sensitive {
        cased
    } else {
        let mut out = String::with_capacity(cased.len());
        for c in cased.chars() {
            if case_sensitive {
                push_folded_keeping_case(c, &mut out);
            } else {
                push_folded(c, &mut out);
            }
        }
        out
    };
    // Collapse white space last: dropping a lone combining accent may leave two spaces together.
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Appends `c` without its accent, upper-case if `c` was.
fn push_folded_keeping_case(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c);
        return;
    }
    let mut folded = String::new();
    for lower in c.to_lowercase() {
        push_folded(lower, &mut folded);
    }
    if folded.chars().eq(c.to_lowercase()) {
        // Nothing to fold: keep the character as written.
        out.push(c);
    } else if c.is_uppercase() {
        out.extend(folded.chars().flat_map(char::to_uppercase));
    } else {
        out.push_str(&folded);
    }
}

/// Checks that `answer` has the shape of an answer to `question`, before it is stored: the same
/// type; only ids the question has, none twice; for matching, left sides and right sides that are
/// pair ids and no right side used twice; for ordering, any number of the items (a subset, each at
/// most once); text of at most [`MAX_TEXT_CHARS`] characters ([`MAX_ESSAY_CHARS`] for an essay,
/// [`MAX_NUMBER_CHARS`] for a number). Empty answers fit. The error is a sentence for people.
pub fn check_answer(question: &Question, answer: &Answer) -> Result<(), String> {
    if !same_type(&question.kind, answer) {
        return Err(format!(
            "This is {}, but the answer is for {}.",
            question_phrase(&question.kind),
            answer_phrase(answer)
        ));
    }
    match (&question.kind, answer) {
        (QuestionKind::SingleChoice { choices, .. }, Answer::SingleChoice { choice })
            if !choice.is_empty() && !choices.iter().any(|c| &c.id == choice) =>
        {
            return Err(format!(
                "The answer picks {}, which is not one of the question’s choices.",
                quoted(choice)
            ));
        }
        (
            QuestionKind::MultipleResponse { choices, .. },
            Answer::MultipleResponse { choices: selected },
        ) => check_ids(choices, selected, "picks", "choices")?,
        (QuestionKind::Matching { pairs }, Answer::Matching { matches }) => {
            let known: HashSet<&str> = pairs.iter().map(|pair| pair.id.as_str()).collect();
            let mut rights = HashSet::new();
            for (left, right) in matches {
                if !known.contains(left.as_str()) {
                    return Err(format!(
                        "The answer matches {}, which is not one of the question’s left sides.",
                        quoted(left)
                    ));
                }
                if !known.contains(right.as_str()) {
                    return Err(format!(
                        "The answer matches a left side to {}, which is not one of the question’s \
                         right sides.",
                        quoted(right)
                    ));
                }
                if !rights.insert(right.as_str()) {
                    return Err(format!(
                        "The answer matches the right side {} to more than one left side.",
                        quoted(right)
                    ));
                }
            }
        }
        (QuestionKind::Ordering { items }, Answer::Ordering { order }) => {
            check_ids(items, order, "places", "items")?;
        }
        (QuestionKind::ShortAnswer { .. }, Answer::ShortAnswer { text }) => {
            check_length(text, MAX_TEXT_CHARS)?;
        }
        (QuestionKind::Numeric { .. }, Answer::Numeric { text }) => {
            check_length(text, MAX_NUMBER_CHARS)?;
        }
        (QuestionKind::Essay { .. }, Answer::Essay { text }) => {
            check_length(text, MAX_ESSAY_CHARS)?;
        }
        _ => {}
    }
    Ok(())
}

/// Checks that every id in `given` is one of `options` and none is given twice.
fn check_ids(options: &[Choice], given: &[String], verb: &str, noun: &str) -> Result<(), String> {
    let known: HashSet<&str> = options.iter().map(|option| option.id.as_str()).collect();
    let mut seen = HashSet::new();
    for id in given {
        if !known.contains(id.as_str()) {
            return Err(format!(
                "The answer {verb} {}, which is not one of the question’s {noun}.",
                quoted(id)
            ));
        }
        if !seen.insert(id.as_str()) {
            return Err(format!("The answer {verb} {} more than once.", quoted(id)));
        }
    }
    Ok(())
}

/// Checks that `text` has at most `limit` characters.
fn check_length(text: &str, limit: usize) -> Result<(), String> {
    // A character is at least one byte: short texts need no counting.
    if text.len() > limit {
        let chars = text.chars().count();
        if chars > limit {
            return Err(format!(
                "The answer is {chars} characters long; at most {limit} are allowed."
            ));
        }
    }
    Ok(())
}

/// An id between quotes for a message, shortened when long.
fn quoted(id: &str) -> String {
    if id.chars().count() > QUOTED_ID_CHARS {
        let start: String = id.chars().take(QUOTED_ID_CHARS).collect();
        format!("“{start}…”")
    } else {
        format!("“{id}”")
    }
}

/// "a single-choice question" and so on.
fn question_phrase(kind: &QuestionKind) -> &'static str {
    match kind {
        QuestionKind::SingleChoice { .. } => "a single-choice question",
        QuestionKind::MultipleResponse { .. } => "a multiple-response question",
        QuestionKind::TrueFalse { .. } => "a true-or-false question",
        QuestionKind::Matching { .. } => "a matching question",
        QuestionKind::Ordering { .. } => "an ordering question",
        QuestionKind::ShortAnswer { .. } => "a short-answer question",
        QuestionKind::Numeric { .. } => "a numeric question",
        QuestionKind::Essay { .. } => "an essay question",
    }
}

/// The phrase of the question type `answer` is for.
fn answer_phrase(answer: &Answer) -> &'static str {
    match answer {
        Answer::SingleChoice { .. } => "a single-choice question",
        Answer::MultipleResponse { .. } => "a multiple-response question",
        Answer::TrueFalse { .. } => "a true-or-false question",
        Answer::Matching { .. } => "a matching question",
        Answer::Ordering { .. } => "an ordering question",
        Answer::ShortAnswer { .. } => "a short-answer question",
        Answer::Numeric { .. } => "a numeric question",
        Answer::Essay { .. } => "an essay question",
    }
}

/// The right answer to `question`, as a learner would give it: the key's choice or choices;
/// each pair matched to itself; the items as listed; the first accepted short answer that is not
/// blank; the numeric answer as text (plain decimal, or with an exponent when that would be longer
/// than [`MAX_NUMBER_CHARS`]). `None` for an essay, when the key is absent, and for a matching or
/// ordering question with nothing to match or order.
pub fn key_answer(question: &Question) -> Option<Answer> {
    match &question.kind {
        QuestionKind::SingleChoice { answer, .. } => {
            answer.as_ref().map(|choice| Answer::SingleChoice {
                choice: choice.clone(),
            })
        }
        QuestionKind::MultipleResponse { answer, .. } => {
            answer.as_ref().map(|choices| Answer::MultipleResponse {
                choices: choices
                    .iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .cloned()
                    .collect(),
            })
        }
        QuestionKind::TrueFalse { answer } => answer.map(|value| Answer::TrueFalse { value }),
        QuestionKind::Matching { pairs } => (!pairs.is_empty()).then(|| Answer::Matching {
            matches: pairs
                .iter()
                .map(|pair| (pair.id.clone(), pair.id.clone()))
                .collect(),
        }),
        QuestionKind::Ordering { items } => (!items.is_empty()).then(|| Answer::Ordering {
            order: items.iter().map(|item| item.id.clone()).collect(),
        }),
        QuestionKind::ShortAnswer {
            accepted,
            case_sensitive,
            accent_sensitive,
        } => accepted
            .as_ref()?
            .iter()
            .find(|text| !normalize_text(text, *case_sensitive, *accent_sensitive).is_empty())
            .map(|text| Answer::ShortAnswer { text: text.clone() }),
        QuestionKind::Numeric { answer, .. } => {
            answer.filter(|value| value.is_finite()).map(|value| {
                let plain = value.to_string();
                let text = if plain.chars().count() <= MAX_NUMBER_CHARS {
                    plain
                } else {
                    format!("{value:e}")
                };
                Answer::Numeric { text }
            })
        }
        QuestionKind::Essay { .. } => None,
    }
}

/// Reads a number as people type it, or `None` when `text` is not one (or is not finite).
///
/// - White space around it is ignored; a sign may lead (`-`, `+` or the minus sign `−`).
/// - Digits are ASCII or full-width.
/// - Thousands may be grouped with spaces (also no-break, narrow no-break, thin and figure
///   spaces), apostrophes (`'`, `’`), commas or periods: `1 949`, `1 000 000`, `1'000`,
///   `1,000,000`, `1.000.000`. Grouping needs 1–3 digits in the first group, 3 in the last, and 2
///   or 3 in between (Indian `1,00,000` is read too); one kind of separator per number.
/// - The decimal separator is a period or a comma: when both appear, whichever comes last
///   (`1,000.5`, `1.000,5`); when only one appears, once, it is the decimal separator — so
///   `3,5` is 3.5 and `1,000` is 1 (write `1000` or `1 000` for a thousand); when one appears
///   several times it groups thousands.
/// - An exponent may follow: `6.02e23`, `1E-3`.
///
/// Anything else — letters, `NaN`, `inf`, two signs, an empty text, misplaced separators — is not a
/// number.
pub fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    let first = text.chars().next()?;
    let (negative, rest) = match first {
        '-' | '\u{2212}' => (true, &text[first.len_utf8()..]),
        '+' => (false, &text[1..]),
        _ => (false, text),
    };
    let rest = rest.trim_start();
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let mut number = String::with_capacity(text.len() + 3);
    if negative {
        number.push('-');
    }
    push_mantissa(mantissa, &mut number)?;
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        number.push('e');
        number.push_str(exponent);
    }
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some(value)
}

/// A separator inside a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    /// `.`
    Period,
    /// `,`
    Comma,
    /// A space or an apostrophe: only ever groups thousands.
    Space,
}

/// Appends the mantissa of a number in the form `f64::from_str` reads (`123.45`).
fn push_mantissa(mantissa: &str, out: &mut String) -> Option<()> {
    let mut runs = vec![String::new()];
    let mut separators = Vec::new();
    for c in mantissa.chars() {
        let digit = match c {
            '0'..='9' => Some(c),
            '\u{ff10}'..='\u{ff19}' => char::from_u32(u32::from(c) - 0xfee0),
            _ => None,
        };
        if let Some(digit) = digit {
            runs.last_mut()?.push(digit);
            continue;
        }
        separators.push(match c {
            '.' => Separator::Period,
            ',' => Separator::Comma,
            ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\'' | '\u{2019}' => {
                Separator::Space
            }
            _ => return None,
        });
        runs.push(String::new());
    }
    let count = |kind| separators.iter().filter(|s| **s == kind).count();
    let decimal = match (count(Separator::Period), count(Separator::Comma)) {
        (1, 0) => Some(Separator::Period),
        (0, 1) => Some(Separator::Comma),
        (_, 0) | (0, _) => None,
        _ => separators
            .iter()
            .rev()
            .find(|s| **s != Separator::Space)
            .copied(),
    };
    let (whole, groupings, fraction) = match decimal {
        Some(decimal) => {
            // The decimal separator comes once, last.
            if separators.last() != Some(&decimal) || count(decimal) != 1 {
                return None;
            }
            let (fraction, whole) = runs.split_last()?;
            (
                whole,
                &separators[..separators.len() - 1],
                fraction.as_str(),
            )
        }
        None => (&runs[..], &separators[..], ""),
    };
    if let Some(first) = groupings.first()
        && groupings.iter().any(|s| s != first)
    {
        return None;
    }
    if let [first, middle @ .., last] = whole
        && (!(1..=3).contains(&first.len())
            || last.len() != 3
            || middle.iter().any(|group| !(2..=3).contains(&group.len())))
    {
        return None;
    }
    let whole = whole.concat();
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    out.push_str(if whole.is_empty() { "0" } else { &whole });
    out.push('.');
    out.push_str(if fraction.is_empty() { "0" } else { fraction });
    Some(())
}

/// The number of words in `text` (Markdown or plain), for essays' and assignments' word limits.
///
/// A word is a maximal run of word characters — letters and digits (Rust's
/// `char::is_alphanumeric`: Unicode `Alphabetic` or a `Nd`/`Nl`/`No` number) and combining
/// accents U+0300–U+036F — in which single joiners between two word characters are allowed: the
/// apostrophes `'` (U+0027) and `’` (U+2019), and the hyphens `-` (U+002D), `‐` (U+2010) and `‑`
/// (U+2011). Everything else separates words. So `l'égalité`, `e-mail` and `well-known` are one
/// word each, `3.5` and `snake_case` are two, `--` and `*` are none, and Markdown markup adds no
/// words of its own (a link's address counts as the words in it). The UI counts with the same
/// rule, which in JavaScript is the number of matches of
/// `/[\p{Alphabetic}\p{N}\u0300-\u036F]+(?:['\u2019\u2010\u2011-][\p{Alphabetic}\p{N}\u0300-\u036F]+)*/gu`.
pub fn word_count(text: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_word_char(c) {
            if !in_word {
                count += 1;
                in_word = true;
            }
        } else if !(in_word && is_joiner(c) && chars.peek().is_some_and(|&next| is_word_char(next)))
        {
            in_word = false;
        }
    }
    count
}

/// Whether `c` joins two words into one (see [`word_count`]).
fn is_joiner(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '-' | '\u{2010}' | '\u{2011}')
}

/// The quiz as an attempt with `seed` shows it: questions and options in the attempt's order, and
/// no keys, feedback or rubrics (see the module documentation for what is shuffled). The same
/// definition and seed always give the same result.
pub fn present(quiz: &QuizDefinition, seed: u64) -> Vec<PresentedQuestion> {
    let count = quiz.questions.len();
    let order = if quiz.shuffle_questions {
        shuffled(count, &mut Rng::for_stream(seed, "questions", ""))
    } else {
        (0..count).collect()
    };
    order
        .into_iter()
        .map(|at| present_question(&quiz.questions[at], seed, quiz.shuffle_choices))
        .collect()
}

/// One question as shown.
fn present_question(question: &Question, seed: u64, shuffle_choices: bool) -> PresentedQuestion {
    let stream = |purpose| Rng::for_stream(seed, purpose, &question.id);
    let maybe_shuffled = |count, purpose| {
        if shuffle_choices {
            shuffled(count, &mut stream(purpose))
        } else {
            (0..count).collect()
        }
    };
    let kind = match &question.kind {
        QuestionKind::SingleChoice { choices, .. } => PresentedKind::SingleChoice {
            choices: shown(choices, &maybe_shuffled(choices.len(), "choices")),
        },
        QuestionKind::MultipleResponse { choices, .. } => PresentedKind::MultipleResponse {
            choices: shown(choices, &maybe_shuffled(choices.len(), "choices")),
        },
        QuestionKind::TrueFalse { .. } => PresentedKind::TrueFalse,
        QuestionKind::Matching { pairs } => {
            let lefts = maybe_shuffled(pairs.len(), "lefts");
            let mut rights = shuffled(pairs.len(), &mut stream("rights"));
            if pairs.len() >= 2 && rights == lefts {
                rights.rotate_left(1);
            }
            let side = |order: &[usize], text: fn(&Pair) -> &String| {
                order
                    .iter()
                    .map(|&at| ShownOption {
                        id: pairs[at].id.clone(),
                        text: text(&pairs[at]).clone(),
                    })
                    .collect()
            };
            PresentedKind::Matching {
                lefts: side(&lefts, |pair| &pair.left),
                rights: side(&rights, |pair| &pair.right),
            }
        }
        QuestionKind::Ordering { items } => {
            let mut order = shuffled(items.len(), &mut stream("items"));
            if items.len() >= 2 && order.iter().enumerate().all(|(at, &item)| at == item) {
                order.rotate_left(1);
            }
            PresentedKind::Ordering {
                items: shown(items, &order),
            }
        }
        QuestionKind::ShortAnswer { .. } => PresentedKind::ShortAnswer,
        QuestionKind::Numeric { .. } => PresentedKind::Numeric,
        QuestionKind::Essay {
            min_words,
            max_words,
            ..
        } => PresentedKind::Essay {
            min_words: *min_words,
            max_words: *max_words,
        },
    };
    PresentedQuestion {
        id: question.id.clone(),
        prompt: question.prompt.clone(),
        points: valid_points(question.points),
        kind,
    }
}

/// `options` in `order` (indices into them).
fn shown(options: &[Choice], order: &[usize]) -> Vec<ShownOption> {
    order
        .iter()
        .map(|&at| ShownOption {
            id: options[at].id.clone(),
            text: options[at].text.clone(),
        })
        .collect()
}

/// A random permutation of `0..count` (Fisher–Yates).
fn shuffled(count: usize, rng: &mut Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..count).collect();
    for last in (1..count).rev() {
        order.swap(last, rng.below(last + 1));
    }
    order
}

/// SplitMix64: small, fast, and the same everywhere, which is all a shuffle needs.
struct Rng(u64);

impl Rng {
    /// The stream for one `purpose` ("questions", "choices", "lefts", "rights", "items") of one
    /// question of an attempt, independent of every other stream.
    fn for_stream(seed: u64, purpose: &str, question_id: &str) -> Self {
        // FNV-1a over the purpose and the id, with a byte that UTF-8 never has between them.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in purpose.bytes().chain([0xff]).chain(question_id.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Self(seed ^ mix(hash))
    }

    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in `0..bound` (`bound` > 0); the bias is below 2⁻⁵⁰ for any list a quiz has.
    fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }
}

/// SplitMix64's finaliser: every input bit affects every output bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use carrel_package::activity::QuizMode;
    use proptest::prelude::*;
    use serde_json::json;

    // -----------------------------------------------------------------------------------------
    // Builders
    // -----------------------------------------------------------------------------------------

    fn choices(prefix: &str, count: usize) -> Vec<Choice> {
        (0..count)
            .map(|k| Choice {
                id: format!("{prefix}{k}"),
                text: format!("option {k}"),
            })
            .collect()
    }

    fn pairs(count: usize) -> Vec<Pair> {
        (0..count)
            .map(|k| Pair {
                id: format!("p{k}"),
                left: format!("left {k}"),
                right: format!("right {k}"),
            })
            .collect()
    }

    fn with_kind(id: &str, points: f64, kind: QuestionKind) -> Question {
        Question {
            id: id.to_owned(),
            prompt: format!("Prompt of {id}"),
            points,
            feedback: Some("SECRET-FEEDBACK".to_owned()),
            kind,
        }
    }

    fn quiz_of(questions: Vec<Question>, passing_score: f64) -> QuizDefinition {
        QuizDefinition {
            id: "quiz".to_owned(),
            title: "Quiz".to_owned(),
            mode: QuizMode::Practice,
            attempts: 0,
            time_limit_minutes: None,
            opens: None,
            closes: None,
            passing_score,
            shuffle_questions: false,
            shuffle_choices: false,
            questions,
        }
    }

    fn single(key: Option<&str>) -> Question {
        with_kind(
            "single",
            2.0,
            QuestionKind::SingleChoice {
                choices: choices("c", 4),
                answer: key.map(str::to_owned),
            },
        )
    }

    fn multiple(count: usize, key: Option<&[&str]>) -> Question {
        with_kind(
            "multiple",
            4.0,
            QuestionKind::MultipleResponse {
                choices: choices("c", count),
                answer: key.map(|key| key.iter().map(|id| (*id).to_owned()).collect()),
            },
        )
    }

    fn matching(count: usize) -> Question {
        with_kind(
            "matching",
            4.0,
            QuestionKind::Matching {
                pairs: pairs(count),
            },
        )
    }

    fn ordering(count: usize) -> Question {
        with_kind(
            "ordering",
            4.0,
            QuestionKind::Ordering {
                items: choices("i", count),
            },
        )
    }

    fn short(accepted: Option<&[&str]>, case_sensitive: bool, accent_sensitive: bool) -> Question {
        with_kind(
            "short",
            1.0,
            QuestionKind::ShortAnswer {
                accepted: accepted.map(|list| list.iter().map(|a| (*a).to_owned()).collect()),
                case_sensitive,
                accent_sensitive,
            },
        )
    }

    fn numeric(answer: Option<f64>, tolerance: f64) -> Question {
        with_kind("numeric", 1.0, QuestionKind::Numeric { answer, tolerance })
    }

    fn essay() -> Question {
        with_kind(
            "essay",
            10.0,
            QuestionKind::Essay {
                min_words: Some(2),
                max_words: Some(100),
                rubric: Some("SECRET-RUBRIC".to_owned()),
            },
        )
    }

    fn pick(choice: &str) -> Answer {
        Answer::SingleChoice {
            choice: choice.to_owned(),
        }
    }

    fn picks(ids: &[&str]) -> Answer {
        Answer::MultipleResponse {
            choices: ids.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    fn matches(pairs: &[(&str, &str)]) -> Answer {
        Answer::Matching {
            matches: pairs
                .iter()
                .map(|(l, r)| ((*l).to_owned(), (*r).to_owned()))
                .collect(),
        }
    }

    fn order(ids: &[&str]) -> Answer {
        Answer::Ordering {
            order: ids.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    fn typed(text: &str) -> Answer {
        Answer::ShortAnswer {
            text: text.to_owned(),
        }
    }

    fn number(text: &str) -> Answer {
        Answer::Numeric {
            text: text.to_owned(),
        }
    }

    fn written(text: &str) -> Answer {
        Answer::Essay {
            text: text.to_owned(),
        }
    }

    fn graded(question: &Question, answer: &Answer) -> (Option<f64>, Verdict) {
        let grade = grade_question(question, Some(answer));
        (grade.score, grade.verdict)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9
    }

    // -----------------------------------------------------------------------------------------
    // Per type
    // -----------------------------------------------------------------------------------------

    #[test]
    fn single_choice_is_all_or_nothing() {
        let q = single(Some("c2"));
        assert_eq!(graded(&q, &pick("c2")), (Some(2.0), Verdict::Correct));
        assert_eq!(graded(&q, &pick("c1")), (Some(0.0), Verdict::Incorrect));
        assert_eq!(
            graded(&q, &pick("zz")),
            (Some(0.0), Verdict::Incorrect),
            "an id the question lacks is simply wrong"
        );
        assert_eq!(
            graded(&q, &pick("")),
            (Some(0.0), Verdict::Unanswered),
            "an empty choice says nothing"
        );
        assert_eq!(
            graded(&single(None), &pick("c2")),
            (None, Verdict::Pending),
            "without a key only the server can grade"
        );
    }

    #[test]
    fn true_false_is_all_or_nothing() {
        let q = with_kind(
            "tf",
            1.0,
            QuestionKind::TrueFalse {
                answer: Some(false),
            },
        );
        assert_eq!(
            graded(&q, &Answer::TrueFalse { value: false }),
            (Some(1.0), Verdict::Correct)
        );
        assert_eq!(
            graded(&q, &Answer::TrueFalse { value: true }),
            (Some(0.0), Verdict::Incorrect)
        );
        let keyless = with_kind("tf", 1.0, QuestionKind::TrueFalse { answer: None });
        assert_eq!(
            graded(&keyless, &Answer::TrueFalse { value: true }),
            (None, Verdict::Pending)
        );
    }

    #[test]
    fn multiple_response_gives_partial_credit_minus_wrong_choices() {
        // Four right choices of six, worth 4 points: one point per net right choice.
        let q = multiple(6, Some(&["c0", "c1", "c2", "c3"]));
        let cases: &[(&[&str], f64, Verdict, &str)] = &[
            (
                &["c0", "c1", "c2", "c3"],
                4.0,
                Verdict::Correct,
                "exactly the key",
            ),
            (
                &["c3", "c2", "c1", "c0"],
                4.0,
                Verdict::Correct,
                "order does not matter",
            ),
            (&["c0", "c1"], 2.0, Verdict::Partial, "half the right ones"),
            (
                &["c0", "c1", "c2", "c3", "c4"],
                3.0,
                Verdict::Partial,
                "one wrong costs one",
            ),
            (
                &["c0", "c1", "c2", "c3", "c4", "c5"],
                2.0,
                Verdict::Partial,
                "all is not full",
            ),
            (
                &["c0", "c4"],
                0.0,
                Verdict::Incorrect,
                "as many wrong as right",
            ),
            (
                &["c0", "c4", "c5"],
                0.0,
                Verdict::Incorrect,
                "never below zero",
            ),
            (&["c4"], 0.0, Verdict::Incorrect, "only wrong"),
            (
                &["c0", "c0", "c0"],
                1.0,
                Verdict::Partial,
                "a repeat counts once",
            ),
            (
                &["c0", "zz"],
                1.0,
                Verdict::Partial,
                "unknown ids are ignored",
            ),
        ];
        for (selected, score, verdict, why) in cases {
            assert_eq!(
                graded(&q, &picks(selected)),
                (Some(*score), *verdict),
                "{why}: {selected:?}"
            );
        }
        assert_eq!(
            graded(&q, &picks(&[])),
            (Some(0.0), Verdict::Unanswered),
            "an empty selection is no answer"
        );
        assert_eq!(
            graded(&multiple(6, None), &picks(&["c0"])),
            (None, Verdict::Pending)
        );
    }

    #[test]
    fn selecting_every_choice_scores_full_only_when_every_choice_is_right() {
        let all = ["c0", "c1", "c2"];
        assert_eq!(
            graded(&multiple(3, Some(&all)), &picks(&all)),
            (Some(4.0), Verdict::Correct)
        );
        let (score, verdict) = graded(&multiple(3, Some(&["c0", "c1"])), &picks(&all));
        assert_eq!(verdict, Verdict::Partial, "one wrong choice was selected");
        assert!(
            close(score.unwrap(), 2.0),
            "(2 − 1) / 2 of 4 points: {score:?}"
        );
    }

    #[test]
    fn matching_scores_the_share_of_right_pairs() {
        let q = matching(4);
        let all = [("p0", "p0"), ("p1", "p1"), ("p2", "p2"), ("p3", "p3")];
        assert_eq!(graded(&q, &matches(&all)), (Some(4.0), Verdict::Correct));
        assert_eq!(
            graded(&q, &matches(&[("p0", "p0"), ("p1", "p2"), ("p2", "p1")])),
            (Some(1.0), Verdict::Partial)
        );
        assert_eq!(
            graded(&q, &matches(&[("p0", "p1"), ("p1", "p0")])),
            (Some(0.0), Verdict::Incorrect)
        );
        assert_eq!(graded(&q, &matches(&[])), (Some(0.0), Verdict::Unanswered));
    }

    #[test]
    fn ordering_scores_the_key_pairs_kept_adjacent() {
        // Five items: four key pairs (i0 i1, i1 i2, i2 i3, i3 i4), one point each.
        let q = ordering(5);
        let cases: &[(&[&str], f64, Verdict, &str)] = &[
            (
                &["i0", "i1", "i2", "i3", "i4"],
                4.0,
                Verdict::Correct,
                "the key",
            ),
            (
                &["i4", "i3", "i2", "i1", "i0"],
                0.0,
                Verdict::Incorrect,
                "reversed",
            ),
            (
                &["i1", "i0", "i2", "i3", "i4"],
                2.0,
                Verdict::Partial,
                "first two swapped",
            ),
            (
                &["i1", "i2", "i3", "i4", "i0"],
                3.0,
                Verdict::Partial,
                "first moved last",
            ),
            (&["i0", "i1", "i2"], 2.0, Verdict::Partial, "missing items"),
            (
                &["i2", "i3"],
                1.0,
                Verdict::Partial,
                "only one pair present",
            ),
            (
                &["i0", "i1", "i1", "i2", "zz", "i3", "i4"],
                4.0,
                Verdict::Correct,
                "junk ignored",
            ),
        ];
        for (given, score, verdict, why) in cases {
            assert_eq!(graded(&q, &order(given)), (Some(*score), *verdict), "{why}");
        }
        assert_eq!(graded(&q, &order(&[])), (Some(0.0), Verdict::Unanswered));
    }

    #[test]
    fn short_answers_ignore_case_accents_and_spacing_unless_told_otherwise() {
        let lax = short(Some(&["Égalité de traitement", "Straße"]), false, false);
        for right in [
            "égalité de traitement",
            "EGALITE DE TRAITEMENT",
            "  egalite   de\ttraitement \n",
            "Égalite\u{a0}de traitement",
            "e\u{301}galite\u{301} de traitement",
            "strasse",
            "STRASSE",
            "ｓｔｒａｓｓｅ",
        ] {
            assert_eq!(graded(&lax, &typed(right)).1, Verdict::Correct, "{right:?}");
        }
        for wrong in ["egalite", "égalité-de-traitement", "strase"] {
            assert_eq!(
                graded(&lax, &typed(wrong)).1,
                Verdict::Incorrect,
                "{wrong:?}"
            );
        }

        let cased = short(Some(&["École"]), true, false);
        assert_eq!(graded(&cased, &typed("École")).1, Verdict::Correct);
        assert_eq!(
            graded(&cased, &typed("Ecole")).1,
            Verdict::Correct,
            "accents still fold, keeping case"
        );
        assert_eq!(
            graded(&cased, &typed("école")).1,
            Verdict::Incorrect,
            "case matters"
        );
        assert_eq!(
            graded(&cased, &typed("ECOLE")).1,
            Verdict::Incorrect,
            "case matters"
        );

        let accented = short(Some(&["École"]), false, true);
        assert_eq!(graded(&accented, &typed("éCOLE")).1, Verdict::Correct);
        assert_eq!(
            graded(&accented, &typed("ecole")).1,
            Verdict::Incorrect,
            "accents matter"
        );

        let strict = short(Some(&["École"]), true, true);
        assert_eq!(graded(&strict, &typed(" École ")).1, Verdict::Correct);
        assert_eq!(graded(&strict, &typed("école")).1, Verdict::Incorrect);
        assert_eq!(graded(&strict, &typed("Ecole")).1, Verdict::Incorrect);

        let greek = short(Some(&["ΟΔΟΣ"]), false, true);
        assert_eq!(
            graded(&greek, &typed("οδοσ")).1,
            Verdict::Correct,
            "a final sigma is a sigma"
        );

        assert_eq!(
            graded(&lax, &typed("   ")),
            (Some(0.0), Verdict::Unanswered)
        );
        assert_eq!(
            graded(&short(None, false, false), &typed("x")),
            (None, Verdict::Pending)
        );
        assert_eq!(
            graded(&short(Some(&["  ", "ok"]), false, false), &typed("\u{301}")).1,
            Verdict::Incorrect,
            "a blank accepted answer matches nothing"
        );
    }

    #[test]
    fn numbers_are_read_as_people_type_them() {
        let cases: &[(&str, f64)] = &[
            ("1949", 1949.0),
            ("1 949", 1949.0),
            ("1\u{a0}949", 1949.0),
            ("1\u{202f}949", 1949.0),
            ("1 000 000", 1e6),
            ("1'000", 1000.0),
            ("3,5", 3.5),
            ("3.5", 3.5),
            ("-2", -2.0),
            ("\u{2212}2", -2.0),
            ("+2", 2.0),
            ("- 2", -2.0),
            ("1,000.5", 1000.5),
            ("1.000,5", 1000.5),
            ("1,000,000", 1e6),
            ("1.000.000", 1e6),
            ("1,00,000", 1e5),
            ("1 000,5", 1000.5),
            ("1,000", 1.0),
            ("0,125", 0.125),
            (".5", 0.5),
            ("5.", 5.0),
            ("  42  ", 42.0),
            ("6.02e23", 6.02e23),
            ("1E-3", 0.001),
            ("1,5e+3", 1500.0),
            ("１９４９", 1949.0),
        ];
        for (text, value) in cases {
            assert_eq!(parse_number(text), Some(*value), "{text:?}");
        }
        for garbage in [
            "",
            " ",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "infinity",
            "1e999",
            "abc",
            "12a",
            "--2",
            "+-2",
            ".",
            ",",
            "1..2",
            "1,,000",
            "1 9 4 9",
            "12 5",
            "1.2.3,4,5",
            "1,000.000,5",
            "1 000.000,5",
            "1e",
            "e5",
            "1e5.5",
            "0x10",
            "1_000",
            "3,5 1",
            "1 ,5",
        ] {
            assert_eq!(parse_number(garbage), None, "{garbage:?} is not a number");
        }
    }

    #[test]
    fn numeric_answers_are_right_within_the_tolerance() {
        let q = numeric(Some(10.0), 0.5);
        for (text, verdict) in [
            ("10", Verdict::Correct),
            ("10,5", Verdict::Correct),
            ("9.5", Verdict::Correct),
            ("10.500000009", Verdict::Correct),
            ("10.50000002", Verdict::Incorrect),
            ("9.49999998", Verdict::Incorrect),
            ("11", Verdict::Incorrect),
            ("ten", Verdict::Incorrect),
        ] {
            assert_eq!(
                graded(&q, &number(text)).1,
                verdict,
                "{text:?} against 10 ± 0.5"
            );
        }
        let exact = numeric(Some(0.3), 0.0);
        assert_eq!(
            graded(&exact, &number("0.30000000000000004")).1,
            Verdict::Correct,
            "0.1 + 0.2 is 0.3"
        );
        let year = numeric(Some(1990.0), 0.0);
        assert_eq!(graded(&year, &number("1\u{a0}990")).1, Verdict::Correct);
        assert_eq!(graded(&year, &number("1 991")).1, Verdict::Incorrect);
        assert_eq!(
            graded(&year, &number(" ")),
            (Some(0.0), Verdict::Unanswered)
        );
        assert_eq!(
            graded(&numeric(None, 0.0), &number("1990")),
            (None, Verdict::Pending)
        );
    }

    #[test]
    fn essays_wait_for_a_tutor() {
        assert_eq!(
            graded(&essay(), &written("My answer.")),
            (None, Verdict::Pending)
        );
        assert_eq!(
            graded(&essay(), &written(" \n ")),
            (Some(0.0), Verdict::Unanswered)
        );
        assert_eq!(
            grade_question(&essay(), None),
            QuestionGrade {
                question_id: "essay".into(),
                points: 10.0,
                score: Some(0.0),
                verdict: Verdict::Unanswered,
            }
        );
    }

    fn every_question() -> Vec<Question> {
        vec![
            single(Some("c1")),
            multiple(4, Some(&["c0", "c2"])),
            with_kind("tf", 1.0, QuestionKind::TrueFalse { answer: Some(true) }),
            matching(3),
            ordering(4),
            short(Some(&["answer"]), false, false),
            numeric(Some(3.0), 0.0),
            essay(),
        ]
    }

    fn one_answer_of_each_type() -> Vec<Answer> {
        vec![
            pick("c1"),
            picks(&["c0"]),
            Answer::TrueFalse { value: true },
            matches(&[("p0", "p0")]),
            order(&["i0", "i1"]),
            typed("answer"),
            number("3"),
            written("words"),
        ]
    }

    #[test]
    fn an_answer_of_another_type_is_incorrect() {
        for question in every_question() {
            for answer in one_answer_of_each_type() {
                if same_type(&question.kind, &answer) {
                    continue;
                }
                assert_eq!(
                    graded(&question, &answer),
                    (Some(0.0), Verdict::Incorrect),
                    "{} answered with {answer:?}",
                    question.id
                );
                assert!(check_answer(&question, &answer).is_err());
            }
            // Keyless questions too: the shape is wrong whatever the key.
            let keyless = quiz_of(vec![question.clone()], 0.5).without_key();
            let answer = if matches!(question.kind, QuestionKind::TrueFalse { .. }) {
                pick("c0")
            } else {
                Answer::TrueFalse { value: true }
            };
            assert_eq!(
                graded(&keyless.questions[0], &answer).1,
                Verdict::Incorrect,
                "{}",
                question.id
            );
        }
    }

    #[test]
    fn no_answer_is_unanswered_even_without_a_key() {
        let keyless = quiz_of(every_question(), 0.5).without_key();
        for question in &keyless.questions {
            assert_eq!(
                grade_question(question, None),
                QuestionGrade {
                    question_id: question.id.clone(),
                    points: question.points,
                    score: Some(0.0),
                    verdict: Verdict::Unanswered,
                }
            );
        }
    }

    #[test]
    fn a_graded_package_leaves_keyed_types_pending_but_grades_matching_and_ordering() {
        let keyless = quiz_of(every_question(), 0.5).without_key();
        for (question, answer) in keyless.questions.iter().zip(one_answer_of_each_type()) {
            let verdict = grade_question(question, Some(&answer)).verdict;
            match question.kind {
                QuestionKind::Matching { .. } | QuestionKind::Ordering { .. } => {
                    assert_ne!(
                        verdict,
                        Verdict::Pending,
                        "{}: the key is the question",
                        question.id
                    )
                }
                _ => assert_eq!(verdict, Verdict::Pending, "{}", question.id),
            }
        }
    }

    #[test]
    fn unusable_points_count_as_zero() {
        for points in [f64::NAN, f64::INFINITY, -1.0] {
            let mut q = single(Some("c0"));
            q.points = points;
            let grade = grade_question(&q, Some(&pick("c0")));
            assert_eq!((grade.points, grade.score), (0.0, Some(0.0)), "{points}");
            assert_eq!(grade.verdict, Verdict::Correct, "the verdict still tells");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Quiz totals
    // -----------------------------------------------------------------------------------------

    fn answers(pairs: Vec<(&str, Answer)>) -> BTreeMap<String, Answer> {
        pairs
            .into_iter()
            .map(|(id, a)| (id.to_owned(), a))
            .collect()
    }

    #[test]
    fn a_quiz_sums_its_questions_and_passes_at_the_passing_score() {
        // 2 + 4 + 4 = 10 points.
        let quiz = quiz_of(
            vec![
                single(Some("c0")),
                multiple(4, Some(&["c0", "c1"])),
                ordering(5),
            ],
            0.7,
        );
        let grade = grade_quiz(
            &quiz,
            &answers(vec![
                ("single", pick("c0")),
                ("multiple", picks(&["c0"])),
                ("ordering", order(&["i0", "i1", "i2", "i3", "i4"])),
                ("elsewhere", pick("c0")),
            ]),
        );
        let ids: Vec<&str> = grade
            .questions
            .iter()
            .map(|g| g.question_id.as_str())
            .collect();
        assert_eq!(
            ids,
            ["single", "multiple", "ordering"],
            "the definition's order"
        );
        assert_eq!(
            (grade.score, grade.max_score, grade.pending_points),
            (8.0, 10.0, 0.0)
        );
        assert_eq!(grade.fraction, Some(0.8));
        assert_eq!(grade.passed, Some(true));

        let exactly = grade_quiz(
            &quiz_of(
                (0..6)
                    .map(|k| {
                        let mut q = single(Some("c0"));
                        q.id = format!("q{k}");
                        q.points = 0.3;
                        q
                    })
                    .collect(),
                0.5,
            ),
            &(0..3).map(|k| (format!("q{k}"), pick("c0"))).collect(),
        );
        assert!(
            exactly.fraction.unwrap() < 0.5,
            "0.9 / 1.8 falls just short of 0.5 in floating point"
        );
        assert_eq!(
            exactly.passed,
            Some(true),
            "the epsilon lets exactly half pass"
        );

        let failed = grade_quiz(&quiz, &answers(vec![("single", pick("c0"))]));
        assert_eq!(failed.passed, Some(false));
        assert_eq!(failed.questions[1].verdict, Verdict::Unanswered);
    }

    #[test]
    fn anything_pending_leaves_the_fraction_and_the_pass_unknown() {
        let quiz = quiz_of(vec![single(Some("c0")), essay()], 0.5);
        let grade = grade_quiz(
            &quiz,
            &answers(vec![
                ("single", pick("c0")),
                ("essay", written("Some text")),
            ]),
        );
        assert_eq!(
            (grade.score, grade.max_score, grade.pending_points),
            (2.0, 12.0, 10.0)
        );
        assert_eq!((grade.fraction, grade.passed), (None, None));

        let unanswered = grade_quiz(&quiz, &answers(vec![("single", pick("c0"))]));
        assert_eq!(
            (
                unanswered.fraction,
                unanswered.passed,
                unanswered.pending_points
            ),
            (Some(2.0 / 12.0), Some(false), 0.0),
            "an unanswered essay is not pending: it earns nothing"
        );
    }

    #[test]
    fn a_quiz_worth_nothing_is_complete() {
        let mut q = single(Some("c0"));
        q.points = 0.0;
        let grade = grade_quiz(&quiz_of(vec![q], 1.0), &BTreeMap::new());
        assert_eq!((grade.fraction, grade.passed), (Some(1.0), Some(true)));
    }

    #[test]
    fn grades_serialise_for_the_ui() {
        let grade = grade_quiz(
            &quiz_of(vec![essay()], 0.5),
            &answers(vec![("essay", written("x"))]),
        );
        assert_eq!(
            serde_json::to_value(&grade).unwrap(),
            json!({
                "questions": [{"questionId": "essay", "points": 10.0, "score": null, "verdict": "pending"}],
                "score": 0.0, "maxScore": 10.0, "pendingPoints": 10.0, "fraction": null, "passed": null
            })
        );
    }

    // -----------------------------------------------------------------------------------------
    // Shape checks and keys
    // -----------------------------------------------------------------------------------------

    #[test]
    fn check_answer_accepts_well_formed_answers() {
        for (question, answer) in every_question().iter().zip(one_answer_of_each_type()) {
            assert_eq!(check_answer(question, &answer), Ok(()), "{}", question.id);
            if let Some(key) = key_answer(question) {
                assert_eq!(
                    check_answer(question, &key),
                    Ok(()),
                    "{}'s key",
                    question.id
                );
            }
        }
        let empties = [
            (single(Some("c0")), pick("")),
            (multiple(3, None), picks(&[])),
            (matching(3), matches(&[])),
            (ordering(3), order(&[])),
            (short(None, false, false), typed("")),
        ];
        for (question, answer) in empties {
            assert_eq!(check_answer(&question, &answer), Ok(()), "empty is allowed");
        }
        assert_eq!(
            check_answer(&matching(3), &matches(&[("p0", "p1"), ("p1", "p0")])),
            Ok(()),
            "a wrong match is still well formed"
        );
    }

    #[test]
    fn check_answer_rejects_malformed_answers() {
        let cases = [
            (
                single(None),
                pick("zz"),
                "not one of the question’s choices",
            ),
            (
                multiple(3, None),
                picks(&["c0", "zz"]),
                "not one of the question’s choices",
            ),
            (multiple(3, None), picks(&["c0", "c0"]), "more than once"),
            (
                matching(3),
                matches(&[("zz", "p0")]),
                "not one of the question’s left sides",
            ),
            (
                matching(3),
                matches(&[("p0", "zz")]),
                "not one of the question’s right sides",
            ),
            (
                matching(3),
                matches(&[("p0", "p1"), ("p2", "p1")]),
                "more than one left side",
            ),
            (
                ordering(3),
                order(&["i0", "zz"]),
                "not one of the question’s items",
            ),
            (ordering(3), order(&["i0", "i1", "i0"]), "more than once"),
            (
                single(None),
                picks(&["c0"]),
                "This is a single-choice question, but the answer is for a multiple-response question.",
            ),
            (
                essay(),
                typed("x"),
                "This is an essay question, but the answer is for a short-answer question.",
            ),
        ];
        for (question, answer, expected) in cases {
            let error = check_answer(&question, &answer).unwrap_err();
            assert!(
                error.contains(expected),
                "{error:?} should say {expected:?}"
            );
            assert!(error.ends_with('.'), "a sentence: {error:?}");
        }
        let long = "x".repeat(100);
        let error = check_answer(&single(None), &pick(&long)).unwrap_err();
        assert!(error.len() < 150, "long ids are shortened: {error}");
    }

    #[test]
    fn check_answer_limits_text_lengths_in_characters() {
        let limits = [
            (
                short(None, false, false),
                MAX_TEXT_CHARS,
                typed as fn(&str) -> Answer,
            ),
            (numeric(None, 0.0), MAX_NUMBER_CHARS, number),
            (essay(), MAX_ESSAY_CHARS, written),
        ];
        for (question, limit, answer) in limits {
            // "é" is two bytes: the limit counts characters.
            assert_eq!(check_answer(&question, &answer(&"é".repeat(limit))), Ok(()));
            let error = check_answer(&question, &answer(&"é".repeat(limit + 1))).unwrap_err();
            assert!(error.contains(&format!("at most {limit}")), "{error}");
        }
    }

    #[test]
    fn every_key_earns_full_points() {
        for question in every_question() {
            let Some(key) = key_answer(&question) else {
                assert!(
                    matches!(question.kind, QuestionKind::Essay { .. }),
                    "{} has a key",
                    question.id
                );
                continue;
            };
            let grade = grade_question(&question, Some(&key));
            assert_eq!(grade.verdict, Verdict::Correct, "{}", question.id);
            assert_eq!(grade.score, Some(question.points));
        }
        assert_eq!(
            key_answer(&matching(2)),
            Some(matches(&[("p0", "p0"), ("p1", "p1")]))
        );
        assert_eq!(key_answer(&ordering(3)), Some(order(&["i0", "i1", "i2"])));
        assert_eq!(
            key_answer(&short(Some(&[" ", "First", "Second"]), false, false)),
            Some(typed("First"))
        );
        assert_eq!(
            key_answer(&numeric(Some(1990.0), 0.0)),
            Some(number("1990"))
        );
        assert_eq!(
            key_answer(&numeric(Some(-0.25), 0.0)),
            Some(number("-0.25"))
        );
        let huge = key_answer(&numeric(Some(1e300), 0.0)).unwrap();
        assert_eq!(huge, number("1e300"), "long numbers use an exponent");
        assert_eq!(check_answer(&numeric(Some(1e300), 0.0), &huge), Ok(()));
        for question in quiz_of(every_question(), 0.5).without_key().questions {
            if !matches!(
                question.kind,
                QuestionKind::Matching { .. } | QuestionKind::Ordering { .. }
            ) {
                assert_eq!(key_answer(&question), None, "{} has no key", question.id);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Word count
    // -----------------------------------------------------------------------------------------

    #[test]
    fn words_are_runs_of_letters_and_digits_joined_by_apostrophes_and_hyphens() {
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("   \n\t ", 0),
            ("one", 1),
            ("one two  three\nfour", 4),
            ("l'égalité de traitement", 3),
            ("l’égalité", 1),
            ("e-mail well-known state-of-the-art", 3),
            ("non\u{2011}breaking", 1),
            ("rock 'n' roll", 3),
            ("end-", 1),
            ("-- - — * # > ---", 0),
            ("word--word", 2),
            ("3.5 and 1,000", 5),
            ("snake_case", 2),
            ("**bold** _it_ `code`", 3),
            ("# Heading\n\n- item one\n- item two", 5),
            ("[the link](https://ilo.org/x)", 6),
            ("e\u{301}te\u{301} résumé", 2),
            ("Convention No. 143 (1975)", 4),
            ("移民 労働者", 2),
            ("año, niño; ¿qué?", 3),
        ];
        for (text, count) in cases {
            assert_eq!(word_count(text), *count, "{text:?}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Presentation
    // -----------------------------------------------------------------------------------------

    fn ids(options: &[ShownOption]) -> Vec<&str> {
        options.iter().map(|o| o.id.as_str()).collect()
    }

    #[test]
    fn presentation_keeps_the_definition_order_unless_told_to_shuffle() {
        let quiz = quiz_of(every_question(), 0.5);
        for seed in 0..20 {
            let shown = present(&quiz, seed);
            let order: Vec<&str> = shown.iter().map(|q| q.id.as_str()).collect();
            let defined: Vec<&str> = quiz.questions.iter().map(|q| q.id.as_str()).collect();
            assert_eq!(order, defined);
            let PresentedKind::SingleChoice { choices } = &shown[0].kind else {
                panic!("the first question is single choice")
            };
            assert_eq!(ids(choices), ["c0", "c1", "c2", "c3"]);
            let PresentedKind::Matching { lefts, rights } = &shown[3].kind else {
                panic!("the fourth question is matching")
            };
            assert_eq!(ids(lefts), ["p0", "p1", "p2"]);
            assert_ne!(
                ids(rights),
                ["p0", "p1", "p2"],
                "rights are always shuffled"
            );
            let PresentedKind::Ordering { items } = &shown[4].kind else {
                panic!("the fifth question is ordering")
            };
            assert_ne!(
                ids(items),
                ["i0", "i1", "i2", "i3"],
                "items are never in order"
            );
            assert_eq!(
                shown[7].kind,
                PresentedKind::Essay {
                    min_words: Some(2),
                    max_words: Some(100)
                }
            );
        }
    }

    #[test]
    fn presentation_shuffles_per_seed_and_per_question() {
        let mut quiz = quiz_of(every_question(), 0.5);
        quiz.shuffle_questions = true;
        quiz.shuffle_choices = true;
        let orders: HashSet<Vec<String>> = (0..50)
            .map(|seed| present(&quiz, seed).into_iter().map(|q| q.id).collect())
            .collect();
        assert!(
            orders.len() > 10,
            "seeds give different orders: {}",
            orders.len()
        );
        assert_eq!(
            present(&quiz, 7),
            present(&quiz, 7),
            "a seed gives one order"
        );

        // A question's options do not depend on the other questions.
        let mut alone = quiz_of(vec![multiple(6, None)], 0.5);
        alone.shuffle_choices = true;
        let mut crowded = quiz.clone();
        crowded.questions[1] = multiple(6, None);
        for seed in 0..20 {
            let lone = present(&alone, seed).remove(0);
            let among = present(&crowded, seed)
                .into_iter()
                .find(|q| q.id == "multiple")
                .unwrap();
            assert_eq!(lone, among, "seed {seed}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // The demo course's quiz (courses/demo/quizzes/block-1.toml, transcribed: carrel-core does not
    // read TOML; `the_transcription_matches_the_demo_file` keeps the two alike)
    // -----------------------------------------------------------------------------------------

    const DEMO_TOML: &str = include_str!("../../../../courses/demo/quizzes/block-1.toml");

    fn demo_quiz() -> QuizDefinition {
        let options = |ids: &[&str]| -> serde_json::Value {
            ids.iter()
                .map(|id| json!({"id": id, "text": format!("Option {id}")}))
                .collect()
        };
        let pairs: Vec<serde_json::Value> = ["p1", "p2", "p3", "p4", "p5"]
            .iter()
            .map(|id| json!({"id": id, "left": format!("Left {id}"), "right": format!("Right {id}")}))
            .collect();
        serde_json::from_value(json!({
            "id": "quiz-block-1", "title": "Block 1 quiz", "mode": "practice", "attempts": 3,
            "time_limit_minutes": 25, "opens": "2027-02-19T00:00:00Z",
            "closes": "2027-03-28T21:59:00Z", "passing_score": 0.7,
            "shuffle_questions": true, "shuffle_choices": true,
            "questions": [
                {"id": "q1", "type": "single_choice", "prompt": "Which convention?", "points": 1,
                 "feedback": "No. 143", "choices": options(&["a", "b", "c", "d"]), "answer": "b"},
                {"id": "q2", "type": "multiple_response", "prompt": "Which are fundamental?",
                 "points": 2, "feedback": "Ten of them",
                 "choices": options(&["a", "b", "c", "d", "e", "f"]),
                 "answer": ["a", "b", "c", "f"]},
                {"id": "q3", "type": "true_false", "prompt": "Only if ratified?", "points": 1,
                 "feedback": "False", "answer": false},
                {"id": "q4", "type": "matching", "prompt": "Match", "points": 2, "feedback": "…",
                 "pairs": pairs},
                {"id": "q5", "type": "ordering", "prompt": "Order", "points": 2, "feedback": "…",
                 "items": options(&["i1", "i2", "i3", "i4", "i5"])},
                {"id": "q6", "type": "short_answer", "prompt": "Abbreviation?", "points": 1,
                 "feedback": "CEACR",
                 "accepted": ["CEACR", "Committee of Experts",
                              "Committee of Experts on the Application of Conventions and Recommendations",
                              "the Committee of Experts"],
                 "case_sensitive": false, "accent_sensitive": false},
                {"id": "q7", "type": "numeric", "prompt": "Year?", "points": 1, "feedback": "1990",
                 "answer": 1990.0, "tolerance": 0.0},
                {"id": "q8", "type": "single_choice", "prompt": "Who may file?", "points": 1,
                 "feedback": "…", "choices": options(&["a", "b", "c", "d"]), "answer": "c"},
                {"id": "q9", "type": "numeric", "prompt": "Years?", "points": 1, "feedback": "2",
                 "answer": 2.0, "tolerance": 0.0},
                {"id": "q10", "type": "true_false", "prompt": "Binding?", "points": 1,
                 "feedback": "False", "answer": false}
            ]
        }))
        .unwrap()
    }

    /// The values of `key = …` lines of the TOML at the top level of each `[[questions]]` table.
    fn toml_values(key: &str) -> Vec<String> {
        let prefix = format!("{key} = ");
        DEMO_TOML
            .lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .map(|value| value.trim().to_owned())
            .collect()
    }

    #[test]
    fn the_transcription_matches_the_demo_file() {
        let quiz = demo_quiz();
        quiz.validate(true).unwrap();
        let ids: Vec<String> = toml_values("id").into_iter().skip(1).collect();
        let types = toml_values("type");
        let points = toml_values("points");
        assert_eq!(ids.len(), quiz.questions.len());
        for (((question, id), kind), points) in
            quiz.questions.iter().zip(&ids).zip(&types).zip(&points)
        {
            assert_eq!(format!("\"{}\"", question.id), *id);
            let json = serde_json::to_value(question).unwrap();
            assert_eq!(format!("\"{}\"", json["type"].as_str().unwrap()), *kind);
            assert_eq!(question.points.to_string(), *points, "{id}");
        }
        let answers: Vec<String> = toml_values("answer");
        assert_eq!(
            answers,
            [
                "\"b\"",
                "[\"a\", \"b\", \"c\", \"f\"]",
                "false",
                "1990.0",
                "\"c\"",
                "2.0",
                "false"
            ]
        );
        for id in ["p1", "p2", "p3", "p4", "p5", "i1", "i2", "i3", "i4", "i5"] {
            assert!(DEMO_TOML.contains(&format!("{{ id = \"{id}\"")), "{id}");
        }
        assert!(DEMO_TOML.contains(
            "accepted = [\"CEACR\", \"Committee of Experts\", \"Committee of Experts on the \
             Application of Conventions and Recommendations\", \"the Committee of Experts\"]"
        ));
        assert!(DEMO_TOML.contains("passing_score = 0.7"));
    }

    #[test]
    fn the_demo_quiz_grades_as_a_learner_would_expect() {
        let quiz = demo_quiz();
        let keys: BTreeMap<String, Answer> = quiz
            .questions
            .iter()
            .filter_map(|q| Some((q.id.clone(), key_answer(q)?)))
            .collect();
        let full = grade_quiz(&quiz, &keys);
        assert_eq!(
            (full.score, full.max_score, full.fraction, full.passed),
            (13.0, 13.0, Some(1.0), Some(true))
        );

        let learner = answers(vec![
            ("q1", pick("b")),
            ("q2", picks(&["a", "b", "d"])),
            ("q3", Answer::TrueFalse { value: false }),
            (
                "q4",
                matches(&[
                    ("p1", "p1"),
                    ("p2", "p2"),
                    ("p3", "p4"),
                    ("p4", "p3"),
                    ("p5", "p5"),
                ]),
            ),
            ("q5", order(&["i1", "i2", "i3", "i5", "i4"])),
            ("q6", typed("  committee of  experts ")),
            ("q7", number("1 990")),
            ("q8", pick("a")),
            ("q9", number("2,0")),
        ]);
        let grade = grade_quiz(&quiz, &learner);
        let scores: Vec<(Option<f64>, Verdict)> = grade
            .questions
            .iter()
            .map(|g| (g.score, g.verdict))
            .collect();
        assert_eq!(
            scores,
            [
                (Some(1.0), Verdict::Correct),
                (Some(0.5), Verdict::Partial), // (2 − 1) / 4 of 2
                (Some(1.0), Verdict::Correct),
                (Some(1.2), Verdict::Partial), // 3 of 5 pairs of 2
                (Some(1.0), Verdict::Partial), // 2 of 4 key pairs of 2
                (Some(1.0), Verdict::Correct),
                (Some(1.0), Verdict::Correct),
                (Some(0.0), Verdict::Incorrect),
                (Some(1.0), Verdict::Correct),
                (Some(0.0), Verdict::Unanswered),
            ]
        );
        assert!(close(grade.score, 7.7), "{}", grade.score);
        assert_eq!(grade.passed, Some(false), "7.7 of 13 is below 70%");

        let shipped = quiz.without_key();
        let pending = grade_quiz(&shipped, &keys);
        assert_eq!((pending.fraction, pending.passed), (None, None));
        assert_eq!(pending.score, 4.0, "matching and ordering still grade");
        assert_eq!(pending.pending_points, 9.0);
        let shown = serde_json::to_string(&present(&shipped, 42)).unwrap();
        for secret in ["No. 143", "CEACR", "1990", "Ten of them"] {
            assert!(!shown.contains(secret), "{secret} leaked");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Properties
    // -----------------------------------------------------------------------------------------

    fn arb_points() -> impl Strategy<Value = f64> {
        prop_oneof![(0u32..=40).prop_map(|p| f64::from(p) / 4.0), 0.0f64..100.0]
    }

    fn arb_kind() -> impl Strategy<Value = QuestionKind> {
        prop_oneof![
            (2usize..8)
                .prop_flat_map(|n| (Just(n), prop::option::of(0..n)))
                .prop_map(|(n, key)| QuestionKind::SingleChoice {
                    choices: choices("c", n),
                    answer: key.map(|k| format!("c{k}")),
                }),
            (2usize..8)
                .prop_flat_map(|n| (
                    Just(n),
                    prop::option::of(prop::collection::vec(any::<bool>(), n))
                ))
                .prop_map(|(n, key)| QuestionKind::MultipleResponse {
                    choices: choices("c", n),
                    answer: key.map(|right| {
                        (0..n)
                            .filter(|k| right[*k])
                            .map(|k| format!("c{k}"))
                            .collect()
                    }),
                }),
            prop::option::of(any::<bool>()).prop_map(|answer| QuestionKind::TrueFalse { answer }),
            (2usize..8).prop_map(|n| QuestionKind::Matching { pairs: pairs(n) }),
            (2usize..8).prop_map(|n| QuestionKind::Ordering {
                items: choices("i", n)
            }),
            (
                prop::option::of(prop::collection::vec("[a-zA-Zéß ]{1,8}", 1..4)),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(accepted, case_sensitive, accent_sensitive)| {
                    QuestionKind::ShortAnswer {
                        accepted: accepted.map(|mut list| {
                            list.push("SECRET-ACCEPTED".to_owned());
                            list
                        }),
                        case_sensitive,
                        accent_sensitive,
                    }
                }),
            (prop::option::of(-1e6f64..1e6), 0.0f64..10.0)
                .prop_map(|(answer, tolerance)| QuestionKind::Numeric { answer, tolerance }),
            (prop::option::of(0u32..50), prop::option::of(50u32..500)).prop_map(
                |(min_words, max_words)| QuestionKind::Essay {
                    min_words,
                    max_words,
                    rubric: Some("SECRET-RUBRIC".to_owned()),
                }
            ),
        ]
    }

    fn arb_question() -> impl Strategy<Value = Question> {
        (arb_points(), arb_kind()).prop_map(|(points, kind)| with_kind("q", points, kind))
    }

    fn arb_quiz() -> impl Strategy<Value = QuizDefinition> {
        (
            prop::collection::vec(arb_question(), 1..8),
            0.0f64..=1.0,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(mut questions, passing, shuffle_questions, shuffle_choices)| {
                    for (k, question) in questions.iter_mut().enumerate() {
                        question.id = format!("q{k}");
                    }
                    let mut quiz = quiz_of(questions, passing);
                    quiz.shuffle_questions = shuffle_questions;
                    quiz.shuffle_choices = shuffle_choices;
                    quiz
                },
            )
    }

    fn arb_id() -> impl Strategy<Value = String> {
        "[cpi][0-8]|zz|"
    }

    fn arb_answer() -> impl Strategy<Value = Answer> {
        prop_oneof![
            arb_id().prop_map(|choice| Answer::SingleChoice { choice }),
            prop::collection::vec(arb_id(), 0..10)
                .prop_map(|choices| Answer::MultipleResponse { choices }),
            any::<bool>().prop_map(|value| Answer::TrueFalse { value }),
            prop::collection::btree_map(arb_id(), arb_id(), 0..8)
                .prop_map(|matches| Answer::Matching { matches }),
            prop::collection::vec(arb_id(), 0..10).prop_map(|order| Answer::Ordering { order }),
            ".{0,20}".prop_map(|text| Answer::ShortAnswer { text }),
            "[-+0-9 .,\u{a0}eé]{0,12}".prop_map(|text| Answer::Numeric { text }),
            ".{0,40}".prop_map(|text| Answer::Essay { text }),
        ]
    }

    /// A question with one of its possible answers: its key, something well formed, or anything.
    fn arb_question_and_answer() -> impl Strategy<Value = (Question, Answer)> {
        (arb_question(), arb_answer(), any::<bool>()).prop_map(|(question, answer, use_key)| {
            let answer = if use_key {
                key_answer(&question).unwrap_or(answer)
            } else {
                answer
            };
            (question, answer)
        })
    }

    fn score_of(question: &Question, answer: &Answer) -> f64 {
        grade_question(question, Some(answer)).score.unwrap()
    }

    proptest! {
        #[test]
        fn a_score_stays_within_the_points((question, answer) in arb_question_and_answer()) {
            let grade = grade_question(&question, Some(&answer));
            prop_assert_eq!(grade.points, question.points);
            match grade.score {
                None => prop_assert_eq!(grade.verdict, Verdict::Pending),
                Some(score) => {
                    prop_assert!((0.0..=question.points).contains(&score), "{} of {}", score, question.points);
                    let partial = 0.0 < score && score < question.points;
                    prop_assert_eq!(partial, grade.verdict == Verdict::Partial, "{:?}", grade);
                    if grade.verdict == Verdict::Correct {
                        prop_assert_eq!(score, question.points);
                    }
                }
            }
        }

        #[test]
        fn a_key_earns_full_points_and_fits_its_question(question in arb_question()) {
            if let Some(key) = key_answer(&question) {
                prop_assert_eq!(check_answer(&question, &key), Ok(()));
                let grade = grade_question(&question, Some(&key));
                let degenerate = matches!(&question.kind,
                    QuestionKind::MultipleResponse { answer: Some(key), .. } if key.is_empty());
                if !degenerate {
                    prop_assert_eq!(grade.verdict, Verdict::Correct);
                    prop_assert_eq!(grade.score, Some(question.points));
                }
            }
        }

        #[test]
        fn multiple_response_ignores_order_and_is_monotonic(
            (count, right, selected, shuffled_selection) in (2usize..8).prop_flat_map(|n| (
                Just(n),
                prop::collection::vec(any::<bool>(), n),
                prop::collection::vec(any::<bool>(), n),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            ))
        ) {
            let key: Vec<String> = (0..count).filter(|k| right[*k]).map(|k| format!("c{k}")).collect();
            prop_assume!(!key.is_empty());
            let key: Vec<&str> = key.iter().map(String::as_str).collect();
            let q = multiple(count, Some(&key));
            let ids: Vec<String> = (0..count).map(|k| format!("c{k}")).collect();
            let chosen: Vec<&str> = (0..count).filter(|k| selected[*k]).map(|k| ids[k].as_str()).collect();
            let permuted: Vec<&str> = shuffled_selection.iter().filter(|k| selected[**k]).map(|k| ids[*k].as_str()).collect();
            let base = score_of(&q, &picks(&chosen));
            prop_assert_eq!(base, score_of(&q, &picks(&permuted)));
            for extra in (0..count).filter(|k| !selected[*k]) {
                let mut more = chosen.clone();
                more.push(&ids[extra]);
                let after = score_of(&q, &picks(&more));
                if right[extra] {
                    prop_assert!(after >= base, "adding a right choice: {} → {}", base, after);
                } else {
                    prop_assert!(after <= base, "adding a wrong choice: {} → {}", base, after);
                }
            }
            let all: Vec<&str> = ids.iter().map(String::as_str).collect();
            let every = grade_question(&q, Some(&picks(&all)));
            prop_assert_eq!(every.verdict == Verdict::Correct, key.len() == count);
        }

        #[test]
        fn ordering_earns_full_points_only_in_order(
            permutation in (2usize..9).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle()),
            keep in prop::collection::vec(any::<bool>(), 9),
        ) {
            let count = permutation.len();
            let q = ordering(count);
            let ids: Vec<String> = permutation.iter().map(|k| format!("i{k}")).collect();
            let as_str: Vec<&str> = ids.iter().map(String::as_str).collect();
            let grade = grade_question(&q, Some(&order(&as_str)));
            let identity = permutation.iter().enumerate().all(|(at, k)| at == *k);
            prop_assert_eq!(grade.verdict == Verdict::Correct, identity);
            prop_assert_eq!(grade.score == Some(q.points), identity);
            let score = grade.score.unwrap();
            prop_assert!((0.0..=q.points).contains(&score));

            let subset: Vec<&str> = as_str.iter().zip(&keep).filter(|(_, k)| **k).map(|(id, _)| *id).collect();
            if !subset.is_empty() {
                let partial = score_of(&q, &order(&subset));
                prop_assert!((0.0..=q.points).contains(&partial));
                prop_assert!(partial <= score || subset.len() < count);
            }

            let reversed: Vec<String> = (0..count).rev().map(|k| format!("i{k}")).collect();
            let reversed: Vec<&str> = reversed.iter().map(String::as_str).collect();
            prop_assert_eq!(score_of(&q, &order(&reversed)), 0.0);
        }

        #[test]
        fn matching_scores_the_share_of_right_pairs_exactly(
            (count, choice) in (2usize..8).prop_flat_map(|n| (
                Just(n),
                prop::collection::vec(prop::option::of(0..n), n),
            ))
        ) {
            let q = matching(count);
            let given: BTreeMap<String, String> = choice
                .iter()
                .enumerate()
                .filter_map(|(left, right)| Some((format!("p{left}"), format!("p{}", (*right)?))))
                .collect();
            let right = given.iter().filter(|(l, r)| l == r).count();
            let grade = grade_question(&q, Some(&Answer::Matching { matches: given.clone() }));
            if given.is_empty() {
                prop_assert_eq!(grade.verdict, Verdict::Unanswered);
            } else {
                let expected = right as f64 / count as f64 * q.points;
                prop_assert!(close(grade.score.unwrap(), expected), "{:?} vs {}", grade, expected);
            }
        }

        #[test]
        fn presentation_is_a_keyless_deterministic_permutation(quiz in arb_quiz(), seed in any::<u64>()) {
            let shown = present(&quiz, seed);
            prop_assert_eq!(&shown, &present(&quiz, seed));
            let mut order: Vec<&str> = shown.iter().map(|q| q.id.as_str()).collect();
            if !quiz.shuffle_questions {
                let defined: Vec<&str> = quiz.questions.iter().map(|q| q.id.as_str()).collect();
                prop_assert_eq!(&order, &defined);
            }
            order.sort_unstable();
            let mut defined: Vec<&str> = quiz.questions.iter().map(|q| q.id.as_str()).collect();
            defined.sort_unstable();
            prop_assert_eq!(order, defined);

            for presented in &shown {
                let question = quiz.questions.iter().find(|q| q.id == presented.id).unwrap();
                prop_assert_eq!(&presented.prompt, &question.prompt);
                let sorted = |options: &[ShownOption]| {
                    let mut v: Vec<(String, String)> = options.iter().map(|o| (o.id.clone(), o.text.clone())).collect();
                    v.sort();
                    v
                };
                let listed = |options: &[Choice]| {
                    let mut v: Vec<(String, String)> = options.iter().map(|o| (o.id.clone(), o.text.clone())).collect();
                    v.sort();
                    v
                };
                match (&question.kind, &presented.kind) {
                    (QuestionKind::SingleChoice { choices, .. }, PresentedKind::SingleChoice { choices: shown })
                    | (QuestionKind::MultipleResponse { choices, .. }, PresentedKind::MultipleResponse { choices: shown }) => {
                        prop_assert_eq!(sorted(shown), listed(choices));
                        if !quiz.shuffle_choices {
                            prop_assert_eq!(ids(shown), choices.iter().map(|c| c.id.as_str()).collect::<Vec<_>>());
                        }
                    }
                    (QuestionKind::Matching { pairs }, PresentedKind::Matching { lefts, rights }) => {
                        let mut left_ids = ids(lefts);
                        let mut right_ids = ids(rights);
                        prop_assert_ne!(&left_ids, &right_ids, "rights aligned with lefts");
                        for option in lefts {
                            prop_assert!(pairs.iter().any(|p| p.id == option.id && p.left == option.text));
                        }
                        for option in rights {
                            prop_assert!(pairs.iter().any(|p| p.id == option.id && p.right == option.text));
                        }
                        left_ids.sort_unstable();
                        right_ids.sort_unstable();
                        let mut pair_ids: Vec<&str> = pairs.iter().map(|p| p.id.as_str()).collect();
                        pair_ids.sort_unstable();
                        prop_assert_eq!(&left_ids, &pair_ids);
                        prop_assert_eq!(&right_ids, &pair_ids);
                    }
                    (QuestionKind::Ordering { items }, PresentedKind::Ordering { items: shown }) => {
                        prop_assert_eq!(sorted(shown), listed(items));
                        prop_assert_ne!(ids(shown), items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>());
                    }
                    (QuestionKind::TrueFalse { .. }, PresentedKind::TrueFalse)
                    | (QuestionKind::ShortAnswer { .. }, PresentedKind::ShortAnswer)
                    | (QuestionKind::Numeric { .. }, PresentedKind::Numeric) => {}
                    (QuestionKind::Essay { min_words, max_words, .. }, PresentedKind::Essay { min_words: min, max_words: max }) => {
                        prop_assert_eq!((min_words, max_words), (min, max));
                    }
                    (kind, shown) => prop_assert!(false, "{:?} shown as {:?}", kind, shown),
                }
            }
            // Neither the full quiz nor its package shows feedback, rubrics or accepted answers.
            for quiz in [quiz.clone(), quiz.without_key()] {
                let json = serde_json::to_string(&present(&quiz, seed)).unwrap();
                prop_assert!(!json.contains("SECRET"), "{}", json);
                for question in &quiz.questions {
                    if let QuestionKind::Numeric { answer: Some(value), .. } = question.kind {
                        prop_assert!(!json.contains(&value.to_string()), "{}", json);
                    }
                }
            }
        }

        #[test]
        fn a_quiz_grade_is_the_sum_of_its_questions(
            quiz in arb_quiz(),
            answers in prop::collection::vec(prop::option::of(arb_answer()), 8),
            keyed in prop::collection::vec(any::<bool>(), 8),
        ) {
            let answers: BTreeMap<String, Answer> = quiz
                .questions
                .iter()
                .zip(answers)
                .zip(keyed)
                .filter_map(|((question, answer), keyed)| {
                    let answer = if keyed { key_answer(question).or(answer) } else { answer };
                    Some((question.id.clone(), answer?))
                })
                .collect();
            let grade = grade_quiz(&quiz, &answers);
            prop_assert_eq!(grade.questions.len(), quiz.questions.len());
            for (question, graded) in quiz.questions.iter().zip(&grade.questions) {
                prop_assert_eq!(graded, &grade_question(question, answers.get(&question.id)));
            }
            let known: f64 = grade.questions.iter().filter_map(|q| q.score).sum();
            let all: f64 = quiz.questions.iter().map(|q| q.points).sum();
            let pending: f64 = grade.questions.iter().filter(|q| q.score.is_none()).map(|q| q.points).sum();
            prop_assert!(close(grade.score, known) && close(grade.max_score, all) && close(grade.pending_points, pending));
            prop_assert!(grade.score <= grade.max_score + 1e-9);
            let any_pending = grade.questions.iter().any(|q| q.verdict == Verdict::Pending);
            prop_assert_eq!(grade.fraction.is_none(), any_pending);
            prop_assert_eq!(grade.passed.is_none(), any_pending);
            if let (Some(fraction), Some(passed)) = (grade.fraction, grade.passed) {
                prop_assert!((0.0..=1.0).contains(&fraction));
                if all > 0.0 {
                    prop_assert!(close(fraction, grade.score / all));
                }
                prop_assert_eq!(passed, fraction + 1e-9 >= quiz.passing_score);
            }
        }

        #[test]
        fn parse_number_reads_what_rust_prints(value in -1e12f64..1e12) {
            prop_assert_eq!(parse_number(&value.to_string()), Some(value));
        }

        #[test]
        fn parse_number_never_panics_and_is_finite(text in "\\PC{0,20}") {
            if let Some(value) = parse_number(&text) {
                prop_assert!(value.is_finite());
            }
        }
    }
}
