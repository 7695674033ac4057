//! The two rule sets of the final-answer judge.

use serde::{Deserialize, Serialize};

/// Which behaviour the answer-sentence and relation rules follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rules {
    /// Fixed rules: the rightmost trigger phrase, the first option letter, and
    /// LaTeX relation commands (`\le`, `\ge`, `\lt`, `\gt`) that the reference misses.
    #[default]
    Strict,
    /// The reference judge's behaviour, quirks included (phrase priority,
    /// canonical option strings scanned A to F, `=` tested before `(D)`).
    Parity,
}

impl Rules {
    /// Returns the name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Rules::Strict => "strict",
            Rules::Parity => "parity",
        }
    }
}
