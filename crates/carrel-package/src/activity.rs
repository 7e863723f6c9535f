//! Definitions of quizzes and assignments, as they travel inside a package.
//!
//! Each quiz and assignment item of a manifest points at a JSON file holding one of these. They are
//! the same types the authoring tool reads from its TOML source, so an author's file and the package
//! agree by construction. Text shown by Carrel's own interface (prompts, choices, feedback,
//! instructions) is Markdown that the app renders with raw HTML disabled: only pages are HTML, and
//! those are shown in the isolated content view.
//!
//! A *graded* quiz never ships its key: [`QuizDefinition::without_key`] removes answers and feedback
//! before packing, and the key goes to the course server, which grades after sync. A *practice*
//! quiz ships its key so feedback is immediate and offline.

use serde::{Deserialize, Serialize};

use crate::manifest::is_valid_id;

/// How a quiz gives feedback and who grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuizMode {
    /// The key is in the package; feedback per question, right away.
    Practice,
    /// The key stays on the server; the learner sees "awaiting grade" until it grades.
    Graded,
}

/// A quiz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuizDefinition {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Practice or graded.
    pub mode: QuizMode,
    /// Attempts allowed; 0 means unlimited.
    #[serde(default)]
    pub attempts: u32,
    /// Time limit in minutes, if any.
    #[serde(default)]
    pub time_limit_minutes: Option<u32>,
    /// First moment an attempt can start.
    #[serde(default)]
    pub opens: Option<jiff::Timestamp>,
    /// Last moment an attempt can be submitted.
    #[serde(default)]
    pub closes: Option<jiff::Timestamp>,
    /// Fraction of the points needed to pass (0–1).
    pub passing_score: f64,
    /// Present questions in a random order.
    #[serde(default)]
    pub shuffle_questions: bool,
    /// Present choices in a random order.
    #[serde(default)]
    pub shuffle_choices: bool,
    /// The questions.
    pub questions: Vec<Question>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Stable id, unique in the quiz.
    pub id: String,
    /// The question (Markdown).
    pub prompt: String,
    /// Points it is worth.
    #[serde(default = "one")]
    pub points: f64,
    /// Why the answer is right (Markdown); absent from graded quizzes' packages.
    #[serde(default)]
    pub feedback: Option<String>,
    /// The type of question with its options and key.
    #[serde(flatten)]
    pub kind: QuestionKind,
}

fn one() -> f64 {
    1.0
}

/// A choice of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Stable id, unique in the question.
    pub id: String,
    /// Its text (Markdown).
    pub text: String,
}

/// A left/right pair of a matching question; the pair itself is the right match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// Stable id.
    pub id: String,
    /// Left side.
    pub left: String,
    /// Right side.
    pub right: String,
}

/// The question types. Keys (`answer`, `accepted`…) are `None` in a graded quiz's package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionKind {
    /// Exactly one right choice.
    SingleChoice {
        /// The choices.
        choices: Vec<Choice>,
        /// The right choice's id.
        #[serde(default)]
        answer: Option<String>,
    },
    /// Any number of right choices.
    MultipleResponse {
        /// The choices.
        choices: Vec<Choice>,
        /// The right choices' ids.
        #[serde(default)]
        answer: Option<Vec<String>>,
    },
    /// A statement that is true or false.
    TrueFalse {
        /// Whether it is true.
        #[serde(default)]
        answer: Option<bool>,
    },
    /// Match each left side to its right side.
    Matching {
        /// The pairs (the key is the pairing itself; graded packages keep pairs but the app
        /// shuffles right sides before showing them).
        pairs: Vec<Pair>,
    },
    /// Put the items in order; listed in the right order.
    Ordering {
        /// The items.
        items: Vec<Choice>,
    },
    /// A short typed answer.
    ShortAnswer {
        /// Accepted answers.
        #[serde(default)]
        accepted: Option<Vec<String>>,
        /// Whether case matters.
        #[serde(default)]
        case_sensitive: bool,
        /// Whether accents matter.
        #[serde(default)]
        accent_sensitive: bool,
    },
    /// A number, right within a tolerance.
    Numeric {
        /// The right value.
        #[serde(default)]
        answer: Option<f64>,
        /// Accepted distance from it.
        #[serde(default)]
        tolerance: f64,
    },
    /// A written answer a tutor grades.
    Essay {
        /// Fewest words.
        #[serde(default)]
        min_words: Option<u32>,
        /// Most words.
        #[serde(default)]
        max_words: Option<u32>,
        /// What the tutor looks for (Markdown).
        #[serde(default)]
        rubric: Option<String>,
    },
}

/// Individual or group work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentKind {
    /// One learner submits their own work.
    Individual,
    /// One member submits on behalf of their group.
    Group,
}

/// An assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentDefinition {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Individual or group.
    pub kind: AssignmentKind,
    /// The brief: a listed HTML page of the package, shown in the content view.
    pub instructions: String,
    /// The deadline.
    #[serde(default)]
    pub due: Option<jiff::Timestamp>,
    /// The zone the deadline is set in (IANA).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Fewest words in the text.
    #[serde(default)]
    pub min_words: Option<u32>,
    /// Most words in the text.
    #[serde(default)]
    pub max_words: Option<u32>,
    /// File extensions attachments may have (lowercase, no dot).
    #[serde(default)]
    pub allowed_types: Vec<String>,
    /// Largest attachment, in MiB.
    #[serde(default)]
    pub max_attachment_mb: Option<u32>,
    /// Most attachments.
    #[serde(default)]
    pub max_attachments: Option<u32>,
    /// A declaration the learner must confirm, if any.
    #[serde(default)]
    pub declaration: Option<String>,
    /// Whether a new version can be submitted after the first.
    #[serde(default)]
    pub resubmission: bool,
}

/// What is wrong with a quiz or assignment definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{definition} “{id}”: {problem}")]
pub struct DefinitionError {
    /// "quiz" or "assignment".
    pub definition: &'static str,
    /// Its id.
    pub id: String,
    /// What is wrong, in words.
    pub problem: String,
}

impl QuizDefinition {
    /// Checks the rules serde cannot express; `with_key` demands every question's key.
    pub fn validate(&self, with_key: bool) -> Result<(), DefinitionError> {
        let fail = |problem: String| DefinitionError {
            definition: "quiz",
            id: self.id.clone(),
            problem,
        };
        if !is_valid_id(&self.id) {
            return Err(fail("the id is not valid".into()));
        }
        if !(0.0..=1.0).contains(&self.passing_score) {
            return Err(fail(format!(
                "passing_score {} is not between 0 and 1",
                self.passing_score
            )));
        }
        if let (Some(opens), Some(closes)) = (self.opens, self.closes)
            && closes <= opens
        {
            return Err(fail("it closes before it opens".into()));
        }
        if self.questions.is_empty() {
            return Err(fail("it has no questions".into()));
        }
        let mut ids = std::collections::HashSet::new();
        for question in &self.questions {
            let fail_q = |problem: &str| fail(format!("question “{}”: {problem}", question.id));
            if !is_valid_id(&question.id) || !ids.insert(&question.id) {
                return Err(fail_q("the id is not valid or is used twice"));
            }
            if !(question.points.is_finite() && question.points >= 0.0) {
                return Err(fail_q("points must be a number ≥ 0"));
            }
            check_question(&question.kind, with_key).map_err(|problem| fail_q(&problem))?;
        }
        Ok(())
    }

    /// The quiz as a graded package carries it: answers and feedback removed.
    pub fn without_key(&self) -> Self {
        let mut quiz = self.clone();
        for question in &mut quiz.questions {
            question.feedback = None;
            match &mut question.kind {
                QuestionKind::SingleChoice { answer, .. } => *answer = None,
                QuestionKind::MultipleResponse { answer, .. } => *answer = None,
                QuestionKind::TrueFalse { answer } => *answer = None,
                QuestionKind::ShortAnswer { accepted, .. } => *accepted = None,
                QuestionKind::Numeric { answer, .. } => *answer = None,
                // The pairing and the order are the key, but they cannot be withheld without
                // withholding the question; the app always shuffles them before showing them.
                QuestionKind::Matching { .. }
                | QuestionKind::Ordering { .. }
                | QuestionKind::Essay { .. } => {}
            }
        }
        quiz
    }
}

fn check_choices(choices: &[Choice]) -> Result<(), String> {
    if choices.len() < 2 {
        return Err("it needs at least two choices".into());
    }
    let mut ids = std::collections::HashSet::new();
    if choices
        .iter()
        .any(|c| !is_valid_id(&c.id) || !ids.insert(&c.id))
    {
        return Err("a choice id is not valid or is used twice".into());
    }
    Ok(())
}

fn check_question(kind: &QuestionKind, with_key: bool) -> Result<(), String> {
    let missing = || Err("its answer is missing".to_owned());
    match kind {
        QuestionKind::SingleChoice { choices, answer } => {
            check_choices(choices)?;
            match answer {
                Some(a) if !choices.iter().any(|c| &c.id == a) => {
                    Err(format!("the answer “{a}” is not one of its choices"))
                }
                None if with_key => missing(),
                _ => Ok(()),
            }
        }
        QuestionKind::MultipleResponse { choices, answer } => {
            check_choices(choices)?;
            match answer {
                Some(answers) if answers.iter().any(|a| !choices.iter().any(|c| &c.id == a)) => {
                    Err("an answer is not one of its choices".into())
                }
                None if with_key => missing(),
                _ => Ok(()),
            }
        }
        QuestionKind::TrueFalse { answer } => match answer {
            None if with_key => missing(),
            _ => Ok(()),
        },
        QuestionKind::Matching { pairs } => {
            if pairs.len() < 2 {
                return Err("it needs at least two pairs".into());
            }
            Ok(())
        }
        QuestionKind::Ordering { items } => check_choices(items),
        QuestionKind::ShortAnswer { accepted, .. } => match accepted {
            Some(list) if list.iter().all(|a| a.trim().is_empty()) => {
                Err("it accepts no answer".into())
            }
            None if with_key => missing(),
            _ => Ok(()),
        },
        QuestionKind::Numeric { answer, tolerance } => {
            if !(tolerance.is_finite() && *tolerance >= 0.0) {
                return Err("the tolerance must be a number ≥ 0".into());
            }
            match answer {
                Some(a) if !a.is_finite() => Err("the answer is not a number".into()),
                None if with_key => missing(),
                _ => Ok(()),
            }
        }
        QuestionKind::Essay {
            min_words,
            max_words,
            ..
        } => match (min_words, max_words) {
            (Some(min), Some(max)) if min > max => Err("min_words is above max_words".into()),
            _ => Ok(()),
        },
    }
}

impl AssignmentDefinition {
    /// Checks the rules serde cannot express.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        let fail = |problem: &str| DefinitionError {
            definition: "assignment",
            id: self.id.clone(),
            problem: problem.to_owned(),
        };
        if !is_valid_id(&self.id) {
            return Err(fail("the id is not valid"));
        }
        if let (Some(min), Some(max)) = (self.min_words, self.max_words)
            && min > max
        {
            return Err(fail("min_words is above max_words"));
        }
        if let Some(zone) = &self.time_zone
            && jiff::tz::TimeZone::get(zone).is_err()
        {
            return Err(fail(&format!("the time zone “{zone}” is unknown")));
        }
        if self.allowed_types.iter().any(|t| {
            t.is_empty() || t.starts_with('.') || t.chars().any(|c| !c.is_ascii_alphanumeric())
        }) {
            return Err(fail(
                "allowed_types are extensions such as “pdf”, without a dot",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiz() -> QuizDefinition {
        serde_json::from_value(serde_json::json!({
            "id": "quiz-1", "title": "Quiz", "mode": "graded", "attempts": 2, "passing_score": 0.5,
            "questions": [
                {"id": "q1", "prompt": "Which?", "type": "single_choice", "feedback": "because",
                 "choices": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}], "answer": "b"},
                {"id": "q2", "prompt": "Name it", "type": "short_answer", "accepted": ["C189"]},
                {"id": "q3", "prompt": "Year?", "type": "numeric", "answer": 1949.0},
                {"id": "q4", "prompt": "Say", "type": "essay", "min_words": 10, "max_words": 50}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn a_graded_quiz_ships_without_its_key() {
        let quiz = quiz();
        quiz.validate(true).unwrap();
        let shipped = quiz.without_key();
        shipped.validate(false).unwrap();
        assert!(
            shipped.validate(true).is_err(),
            "the stripped quiz must lack its key"
        );
        let json = serde_json::to_string(&shipped).unwrap();
        for secret in ["C189", "1949", "because", "\"answer\":\"b\""] {
            assert!(!json.contains(secret), "{secret} leaked: {json}");
        }
        assert!(!json.contains("\"answer\":\"b\""), "{json}");
    }

    #[test]
    fn names_the_broken_question() {
        let mut quiz = quiz();
        if let QuestionKind::SingleChoice { answer, .. } = &mut quiz.questions[0].kind {
            *answer = Some("z".into());
        }
        let error = quiz.validate(true).unwrap_err().to_string();
        assert!(
            error.contains("question “q1”") && error.contains("“z”"),
            "{error}"
        );
    }
}
