//! Step-judge verdicts (`step_eval.jsonl`) and their names.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::calc::CalcCheck;
use crate::error::{Error, Result};

/// The four step judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Conclusions drawn from special values or limits.
    ToyCase,
    /// Unjustified claims, skipped steps, unperformed optimisation.
    LogicalGap,
    /// Reasoning on rounded decimals.
    Approximation,
    /// A false explicit numeric equality.
    Computation,
}

impl StepKind {
    /// All judges in leaderboard order.
    pub const ALL: [StepKind; 4] = [
        StepKind::ToyCase,
        StepKind::LogicalGap,
        StepKind::Approximation,
        StepKind::Computation,
    ];

    /// Returns the leaderboard key (`toy_case_judge`, ...).
    pub fn key(self) -> &'static str {
        match self {
            StepKind::ToyCase => "toy_case_judge",
            StepKind::LogicalGap => "logical_gap_judge",
            StepKind::Approximation => "approx_judge",
            StepKind::Computation => "calc_judge",
        }
    }

    /// Returns the short name used on the command line (`toy`, `gap`, `approx`, `calc`).
    pub fn short(self) -> &'static str {
        match self {
            StepKind::ToyCase => "toy",
            StepKind::LogicalGap => "gap",
            StepKind::Approximation => "approx",
            StepKind::Computation => "calc",
        }
    }

    /// Parses a short name.
    pub fn from_short(name: &str) -> Option<Self> {
        StepKind::ALL.into_iter().find(|k| k.short() == name)
    }

    /// Returns the prompt template's name.
    pub fn template(self) -> &'static str {
        match self {
            StepKind::ToyCase => "step_toy_case",
            StepKind::LogicalGap => "step_logical_gap",
            StepKind::Approximation => "step_approximation",
            StepKind::Computation => "step_computation",
        }
    }
}

/// One judge's verdict on one item, a line of `step_eval.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepVerdict {
    /// The problem id.
    pub data_id: String,
    /// The judge.
    pub kind: StepKind,
    /// True when the response is acceptable for this flaw type.
    pub pass: bool,
    /// False when no reply could be parsed (counted as a failure).
    pub parse_ok: bool,
    /// The judge's analysis; when no reply parsed, the last raw reply (cut
    /// to 4096 bytes) so that the failure can be read.
    pub analysis: String,
    /// The step the judge flagged, if any.
    pub flagged_step: Option<String>,
    /// Numeric checks (computation judge).
    pub checks: Vec<CalcCheck>,
    /// Checks dropped: quote absent, free variable or unparseable side.
    pub dropped_checks: usize,
    /// The judge model.
    pub model: String,
    /// The template name.
    pub template: String,
    /// sha256 of the template's bytes.
    pub template_sha256: String,
    /// Cache key of the last request.
    pub request_sha256: String,
    /// True when every request of this verdict was a cache hit.
    pub cache_hit: bool,
    /// Requests made (1 plus re-asks).
    pub attempts: u32,
    /// Summed HTTP wall time in milliseconds.
    pub latency_ms: u64,
    /// The transport or server error, if the judge could not run.
    pub error: Option<String>,
}

/// Reads `step_eval.jsonl`.
///
/// # Errors
/// [`Error::Io`], or [`Error::Json`] naming the line that is no verdict.
pub fn read_step_eval(path: &Path) -> Result<Vec<StepVerdict>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut verdicts = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let verdict = serde_json::from_str(line).map_err(|e| Error::Json {
            path: path.to_path_buf(),
            line: i + 1,
            message: format!("not a step verdict: {e}"),
        })?;
        verdicts.push(verdict);
    }
    Ok(verdicts)
}
