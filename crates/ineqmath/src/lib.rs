//! The IneqMath benchmark: data, the deterministic final-answer judge, and scoring.
//!
//! IneqMath ("Solving Inequality Proofs with Large Language Models", arXiv
//! 2506.07927) asks for bound constants and relation options. This crate loads
//! the splits and response files, locates the answer sentence, extracts the
//! answer, and decides bound equivalence exactly: both sides are parsed from
//! LaTeX and compared as exact rationals where possible, by proven
//! irrationality, or numerically at a precision that grows with the input.
//!
//! With the default feature `llm`, it also talks to any OpenAI-compatible chat
//! server: the solver runner ([`solve`]), the four step-wise judges
//! ([`steps`]) and the LLM fallback of the answer judge ([`hybrid`]), all with
//! a disk cache, retries and rate limits ([`llm`]).

pub mod answer;
pub mod bound;
pub mod calc;
pub mod compare;
pub mod data;
pub mod error;
pub mod export;
#[cfg(feature = "llm")]
pub mod hybrid;
pub mod latex;
pub mod leaderboard;
#[cfg(feature = "llm")]
pub mod llm;
pub mod locate;
pub mod method;
pub mod prompts;
pub mod pytext;
pub mod relation;
pub mod report;
pub mod rules;
pub mod run;
pub mod score;
#[cfg(feature = "llm")]
pub mod solve;
pub mod stats;
pub mod step_eval;
#[cfg(feature = "llm")]
pub mod steps;
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
