//! How a final-answer verdict was reached.

use serde::{Deserialize, Serialize};

/// The rule that decided a verdict. Serialized in snake_case; [`Method::StringMatch`]
/// serializes as `"string"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Identical right-hand sides after deleting `$` and spaces.
    #[serde(rename = "string")]
    StringMatch,
    /// Both sides exact rationals, compared exactly.
    ExactRational,
    /// A rational against a proven irrational: unequal without numerics.
    RationalVsIrrational,
    /// Compared numerically at adaptive precision.
    Numeric,
    /// The numeric tier reached its precision cap without telling the two
    /// values apart; counted as not equivalent.
    NumericUndecided,
    /// At least one side is ±∞.
    Infinity,
    /// Symbolic answers compared at sample points.
    PointIdentity,
    /// A constant gold against a prediction with a free variable.
    FreeVariable,
    /// Labelled constants compared by label.
    Tuple,
    /// The prediction is marked as an approximation.
    ApproxMarker,
    /// A canonical relation option string was found.
    OptionString,
    /// The reference keyword cascade found an option.
    Keyword,
    /// The strict relation rules found an option.
    StrictRule,
    /// An LLM decided.
    Llm,
    /// No rule applies or the answer does not parse.
    Unparsed,
    /// The response or its answer sentence is empty.
    Empty,
    /// The record carries an error from the solver.
    RecordError,
    /// The gold file has an item that the results lack.
    Missing,
    /// The LLM judge failed after retries.
    JudgeError,
}

impl Method {
    /// Returns the serialized name.
    pub fn name(self) -> &'static str {
        match self {
            Method::StringMatch => "string",
            Method::ExactRational => "exact_rational",
            Method::RationalVsIrrational => "rational_vs_irrational",
            Method::Numeric => "numeric",
            Method::NumericUndecided => "numeric_undecided",
            Method::Infinity => "infinity",
            Method::PointIdentity => "point_identity",
            Method::FreeVariable => "free_variable",
            Method::Tuple => "tuple",
            Method::ApproxMarker => "approx_marker",
            Method::OptionString => "option_string",
            Method::Keyword => "keyword",
            Method::StrictRule => "strict_rule",
            Method::Llm => "llm",
            Method::Unparsed => "unparsed",
            Method::Empty => "empty",
            Method::RecordError => "record_error",
            Method::Missing => "missing",
            Method::JudgeError => "judge_error",
        }
    }
}
