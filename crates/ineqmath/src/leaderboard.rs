//! The official leaderboard schema: one entry per test-set run, with six score
//! keys, each split into total, bound and relation counts.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The score keys of an entry, in leaderboard order.
pub const SCORE_KEYS: [&str; 6] = [
    "is_correct",
    "toy_case_judge",
    "logical_gap_judge",
    "approx_judge",
    "calc_judge",
    "all_true",
];

/// Counts of one group.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Items that pass.
    pub correct: u64,
    /// Items that fail.
    pub incorrect: u64,
    /// round(100·correct/n, 1) in percent, n = correct + incorrect (see [`Cell::expected_accuracy`]).
    pub accuracy: f64,
}

impl Cell {
    /// Returns round(100·correct/n, 1) with Python's rounding, for `n` items.
    pub fn expected_accuracy(&self, n: u64) -> f64 {
        crate::score::accuracy(self.correct as usize, n as usize, 1)
    }

    /// Returns correct + incorrect.
    pub fn n(&self) -> u64 {
        self.correct + self.incorrect
    }
}

/// The three groups of one score key.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupCells {
    /// All items.
    pub total: Cell,
    /// Relation items.
    pub relation: Cell,
    /// Bound items.
    pub bound: Cell,
}

/// `Max Tokens`: a string in some entries, an integer in others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MaxTokens {
    /// An integer such as 10000.
    Integer(u64),
    /// A string such as "10000".
    Text(String),
}

impl MaxTokens {
    /// Returns the limit as an integer, if the text is one.
    pub fn value(&self) -> Option<u64> {
        match self {
            MaxTokens::Integer(n) => Some(*n),
            MaxTokens::Text(s) => s.trim().parse().ok(),
        }
    }
}

/// One leaderboard entry. Fields absent from the schema are kept in `extra`,
/// so that reading and writing an entry loses nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Model name.
    #[serde(rename = "Model")]
    pub model: String,
    /// "Reasoning" or "Chat".
    #[serde(rename = "Type")]
    pub model_type: String,
    /// "Open-source" or "Proprietary".
    #[serde(rename = "Model Source")]
    pub model_source: String,
    /// Parameter count as text, possibly empty.
    #[serde(rename = "Size")]
    pub size: String,
    /// URL of the model's announcement.
    #[serde(rename = "Source")]
    pub source: String,
    /// Reasoning effort, when given.
    #[serde(
        rename = "Reasoning effort",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub reasoning_effort: Option<String>,
    /// Release date.
    #[serde(rename = "Date")]
    pub date: String,
    /// Token limit of the run.
    #[serde(rename = "Max Tokens")]
    pub max_tokens: MaxTokens,
    /// Run folder of the official results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_dir: Option<String>,
    /// Final-answer accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_correct: Option<GroupCells>,
    /// Toy-case judge pass rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toy_case_judge: Option<GroupCells>,
    /// Logical-gap judge pass rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logical_gap_judge: Option<GroupCells>,
    /// Numerical-approximation judge pass rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approx_judge: Option<GroupCells>,
    /// Numerical-computation judge pass rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calc_judge: Option<GroupCells>,
    /// Overall accuracy: answer correct and all four step judges pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_true: Option<GroupCells>,
    /// Other fields (`Email`, `timestamp`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Entry {
    /// Returns the cells of a score key of [`SCORE_KEYS`].
    pub fn score(&self, key: &str) -> Option<&GroupCells> {
        match key {
            "is_correct" => self.is_correct.as_ref(),
            "toy_case_judge" => self.toy_case_judge.as_ref(),
            "logical_gap_judge" => self.logical_gap_judge.as_ref(),
            "approx_judge" => self.approx_judge.as_ref(),
            "calc_judge" => self.calc_judge.as_ref(),
            "all_true" => self.all_true.as_ref(),
            _ => None,
        }
    }
}

/// Reads a leaderboard file (a JSON array of entries).
///
/// # Errors
/// [`Error::Io`] or [`Error::Json`] with the line of the problem.
pub fn load_leaderboard(path: &Path) -> Result<Vec<Entry>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        line: e.line(),
        message: e.to_string(),
    })
}
