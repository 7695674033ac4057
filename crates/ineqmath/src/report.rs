//! Reports in the leaderboard schema from per-item answer verdicts.

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::answer::AnswerEval;
use crate::data::ProblemType;
use crate::error::{Error, Result};
use crate::leaderboard::{Cell, GroupCells};
use crate::method::Method;
use crate::score::method_counts;

/// Metadata of the leaderboard entry.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    /// Model name (`Model`).
    pub model: String,
    /// Token limit of the solver run (`Max Tokens`).
    pub max_tokens: Option<u64>,
}

/// A report of the final-answer judge.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Schema name and version.
    pub schema: &'static str,
    /// Tool name and version.
    pub tool: String,
    /// The verdict file and its item count.
    pub run: Value,
    /// Mode, rules, methods, LLM calls, unparsed and error counts.
    pub answer_judge: Value,
    /// The leaderboard entry; step-judge keys and `all_true` are omitted
    /// because no step verdicts exist yet.
    pub leaderboard: Map<String, Value>,
}

/// Reads `answer_eval.jsonl`.
///
/// # Errors
/// [`Error::Io`], or [`Error::Json`] naming the line that is no verdict.
pub fn read_answer_eval(path: &Path) -> Result<Vec<AnswerEval>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut evals = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let eval = serde_json::from_str(line).map_err(|e| Error::NotAnswerEval {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        evals.push(eval);
    }
    Ok(evals)
}

/// Counts answer accuracy in the leaderboard's cells (accuracy rounded to 1 decimal).
pub fn answer_cells(evals: &[AnswerEval]) -> GroupCells {
    let cell = |filter: &dyn Fn(&AnswerEval) -> bool| {
        let (correct, n) = evals
            .iter()
            .filter(|e| filter(e))
            .fold((0u64, 0u64), |(c, n), e| {
                (c + u64::from(e.is_correct), n + 1)
            });
        Cell {
            correct,
            incorrect: n - correct,
            accuracy: crate::score::accuracy(correct as usize, n as usize, 1),
        }
    };
    GroupCells {
        total: cell(&|_| true),
        relation: cell(&|e| e.ptype == ProblemType::Relation),
        bound: cell(&|e| e.ptype == ProblemType::Bound),
    }
}

/// Builds the report of a verdict file.
pub fn build_report(source: &Path, evals: &[AnswerEval], info: &RunInfo) -> Report {
    let mut leaderboard = Map::new();
    leaderboard.insert("Model".into(), json!(info.model));
    if let Some(tokens) = info.max_tokens {
        leaderboard.insert("Max Tokens".into(), json!(tokens));
    }
    leaderboard.insert("is_correct".into(), json!(answer_cells(evals)));

    let count = |m: Method| evals.iter().filter(|e| e.method == m).count();
    let first = evals.first();
    Report {
        schema: "ineqmath-report/1",
        tool: format!("ineqmath {}", env!("CARGO_PKG_VERSION")),
        run: json!({ "answer_file": source.display().to_string(), "n": evals.len() }),
        answer_judge: json!({
            "mode": first.map(|e| e.mode),
            "rules": first.map(|e| e.rules),
            "methods": method_counts(evals),
            "llm_calls": 0,
            "unparsed": count(Method::Unparsed),
            "errors": count(Method::RecordError),
            "missing": count(Method::Missing),
        }),
        leaderboard,
    }
}

/// Renders the report as a leaderboard-style markdown table.
pub fn markdown(report: &Report) -> String {
    let cells: Option<GroupCells> = report
        .leaderboard
        .get("is_correct")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let model = report
        .leaderboard
        .get("Model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .replace('|', "\\|");
    let tokens = report
        .leaderboard
        .get("Max Tokens")
        .map_or("".to_string(), Value::to_string);
    let mut t = String::from("| Model | Max Tokens | Answer Acc | Bound | Relation | Overall |\n");
    t.push_str("|---|---|---|---|---|---|\n");
    match cells {
        Some(c) => t.push_str(&format!(
            "| {model} | {tokens} | {:.1} | {:.1} | {:.1} | n/a |\n",
            c.total.accuracy, c.bound.accuracy, c.relation.accuracy
        )),
        None => t.push_str(&format!("| {model} | {tokens} | | | | n/a |\n")),
    }
    t.push_str("\nOverall accuracy needs the four step judges, which this report lacks.\n");
    t
}
