//! What a learner answers, and a question as the quiz player shows it (never with its key).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A learner's answer to one question; `type` matches the question's type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Answer {
    /// The chosen choice's id.
    SingleChoice {
        /// Choice id.
        choice: String,
    },
    /// The chosen choices' ids, in any order.
    MultipleResponse {
        /// Choice ids.
        choices: Vec<String>,
    },
    /// True or false.
    TrueFalse {
        /// The learner's value.
        value: bool,
    },
    /// For each left side (by pair id), the pair id whose right side the learner chose.
    Matching {
        /// Left pair id → right pair id.
        matches: BTreeMap<String, String>,
    },
    /// Item ids in the learner's order, first to last.
    Ordering {
        /// Item ids.
        order: Vec<String>,
    },
    /// The typed text.
    ShortAnswer {
        /// As typed.
        text: String,
    },
    /// The number as typed ("1 949", "3,5" and "3.5" are understood).
    Numeric {
        /// As typed.
        text: String,
    },
    /// The written answer (Markdown).
    Essay {
        /// As typed.
        text: String,
    },
}

/// A choice, an item or one side of a pair, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ShownOption {
    /// Its id.
    pub id: String,
    /// Its text (Markdown).
    pub text: String,
}

/// A question's type and options as the player shows them: in the attempt's order, without key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(rename = "PresentedKind")]
pub enum PresentedKind {
    /// Pick one.
    SingleChoice {
        /// Choices, in this attempt's order.
        choices: Vec<ShownOption>,
    },
    /// Pick any.
    MultipleResponse {
        /// Choices, in this attempt's order.
        choices: Vec<ShownOption>,
    },
    /// True or false.
    TrueFalse,
    /// Match each left side to one of the right sides.
    Matching {
        /// Left sides (id = pair id), in this attempt's order.
        lefts: Vec<ShownOption>,
        /// Right sides (id = pair id), always shuffled.
        rights: Vec<ShownOption>,
    },
    /// Put the items in order.
    Ordering {
        /// Items, always shuffled (never in the right order when there are two or more).
        items: Vec<ShownOption>,
    },
    /// Type a short answer.
    ShortAnswer,
    /// Type a number.
    Numeric,
    /// Write an answer a tutor grades.
    Essay {
        /// Fewest words.
        min_words: Option<u32>,
        /// Most words.
        max_words: Option<u32>,
    },
}

/// A question as the player shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PresentedQuestion {
    /// Question id.
    pub id: String,
    /// The question (Markdown).
    pub prompt: String,
    /// Points it is worth.
    pub points: f64,
    /// Type and options.
    pub kind: PresentedKind,
}
