//! The IneqMath benchmark: data, the deterministic final-answer judge, and scoring.
//!
//! IneqMath ("Solving Inequality Proofs with Large Language Models", arXiv
//! 2506.07927) asks for bound constants and relation options. This crate loads
//! the splits and response files, locates the answer sentence, extracts the
//! answer, and decides bound equivalence exactly: both sides are parsed from
//! LaTeX and compared as exact rationals where possible, by proven
//! irrationality, or numerically at a precision that grows with the input.
//!
//! TODO: the LLM layer (bound-extraction fallback in `hybrid` and `llm` modes,
//! the toy-case, logical-gap, numerical-approximation and numerical-computation
//! step judges over an OpenAI-compatible API), the solver runner, the step and
//! overall columns of the report, and the llama-server build script.

pub mod answer;
pub mod bound;
pub mod data;
pub mod error;
pub mod latex;
pub mod leaderboard;
pub mod locate;
pub mod method;
pub mod pytext;
pub mod relation;
pub mod report;
pub mod rules;
pub mod run;
pub mod score;
pub mod stats;
pub mod value;

pub use answer::{AnswerEval, AnswerMode, judge_record};
pub use bound::{
    BoundExtraction, Verdict, equivalent, equivalent_str, extract_bound, extract_bound_with,
};
pub use error::{Error, Result};
pub use latex::{Answer, parse_answer};
pub use locate::locate_answer;
pub use method::Method;
pub use relation::{RelOption, extract_relation};
pub use rules::Rules;
