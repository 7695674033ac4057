//! Reports in the leaderboard schema from per-item answer verdicts and, when
//! given, step-judge verdicts. Overall accuracy (`all_true`) counts the items
//! whose answer is correct and that pass all four step judges.

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::answer::AnswerEval;
use crate::data::ProblemType;
use crate::error::{Error, Result};
use crate::leaderboard::{Cell, GroupCells};
use crate::method::Method;
use crate::score::method_counts;
use crate::step_eval::{StepKind, StepVerdict};

/// Metadata of the leaderboard entry. Text fields are written verbatim; a
/// field left `None` is omitted from the entry.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    /// Model name (`Model`).
    pub model: String,
    /// `Type`: "Reasoning" or "Chat" on the leaderboard.
    pub model_type: Option<String>,
    /// `Model Source`: "Open-source" or "Proprietary" on the leaderboard.
    pub model_source: Option<String>,
    /// `Size`: parameter count as text, such as "671B", "UNK" or "".
    pub size: Option<String>,
    /// `Source`: URL of the model's announcement.
    pub source: Option<String>,
    /// `Reasoning effort`, such as "medium" or "not applicable".
    pub reasoning_effort: Option<String>,
    /// `Date`: release date, YYYY-MM-DD (see [`check_date`]).
    pub date: Option<String>,
    /// Token limit of the solver run (`Max Tokens`).
    pub max_tokens: Option<u64>,
}

impl RunInfo {
    /// Lists the metadata keys of the entry with their values, in leaderboard order.
    fn metadata(&self) -> Vec<(&'static str, Value)> {
        let text = [
            ("Type", &self.model_type),
            ("Model Source", &self.model_source),
            ("Size", &self.size),
            ("Source", &self.source),
            ("Reasoning effort", &self.reasoning_effort),
            ("Date", &self.date),
        ];
        let mut out = vec![("Model", json!(self.model))];
        out.extend(
            text.into_iter()
                .filter_map(|(key, value)| value.as_ref().map(|v| (key, json!(v)))),
        );
        out.extend(self.max_tokens.map(|t| ("Max Tokens", json!(t))));
        out
    }
}

/// Checks a leaderboard `Date`: a calendar date written YYYY-MM-DD, the form
/// of every leaderboard entry.
///
/// # Errors
/// [`Error::Invalid`] naming the value and the expected form.
pub fn check_date(date: &str) -> Result<()> {
    let invalid = || {
        Error::Invalid(format!(
            "invalid --date '{date}': write the release date as YYYY-MM-DD, such as 2024-07-18"
        ))
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(invalid());
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
        return Err(invalid());
    }

    let (y, m, d): (u32, u32, u32) = (
        year.parse().map_err(|_| invalid())?,
        month.parse().map_err(|_| invalid())?,
        day.parse().map_err(|_| invalid())?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(invalid()),
    };
    if d == 0 || d > days {
        return Err(invalid());
    }
    Ok(())
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
    /// Per step judge: model, template sha256, calls, cache hits, parse
    /// failures and transport errors (absent without step verdicts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_judges: Option<Value>,
    /// The leaderboard entry; a step key appears only when verdicts of that
    /// judge exist, `all_true` only when all four do.
    pub leaderboard: Map<String, Value>,
    /// Answer accuracy minus overall accuracy, in points (with `all_true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drop: Option<f64>,
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
    group_cells(evals, |e| e.is_correct)
}

/// Cells of a per-item predicate over the items of `evals`.
fn group_cells(evals: &[AnswerEval], pass: impl Fn(&AnswerEval) -> bool) -> GroupCells {
    let cell = |filter: &dyn Fn(&AnswerEval) -> bool| {
        let (correct, n) = evals
            .iter()
            .filter(|e| filter(e))
            .fold((0u64, 0u64), |(c, n), e| (c + u64::from(pass(e)), n + 1));
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

/// Maps each item to whether it passes judge `kind`; an item without a verdict fails.
fn passes(steps: &[StepVerdict], kind: StepKind) -> std::collections::HashMap<&str, bool> {
    steps
        .iter()
        .filter(|v| v.kind == kind)
        .map(|v| (v.data_id.as_str(), v.pass))
        .collect()
}

/// Adds the step cells, `all_true` and the drop; returns the drop.
fn add_step_cells(
    leaderboard: &mut Map<String, Value>,
    evals: &[AnswerEval],
    steps: &[StepVerdict],
) -> Option<f64> {
    let tables: Vec<(StepKind, std::collections::HashMap<&str, bool>)> = StepKind::ALL
        .into_iter()
        .map(|k| (k, passes(steps, k)))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    for (kind, table) in &tables {
        let cells = group_cells(evals, |e| table.get(e.data_id.as_str()) == Some(&true));
        leaderboard.insert(kind.key().into(), json!(cells));
    }
    if tables.len() < StepKind::ALL.len() {
        return None;
    }
    let overall = group_cells(evals, |e| {
        e.is_correct
            && tables
                .iter()
                .all(|(_, t)| t.get(e.data_id.as_str()) == Some(&true))
    });
    let drop = answer_cells(evals).total.accuracy - overall.total.accuracy;
    leaderboard.insert("all_true".into(), json!(overall));
    Some(crate::score::py_round(drop, 1))
}

/// Per-judge counts of the step verdicts.
fn step_summary(steps: &[StepVerdict]) -> Value {
    let mut out = Map::new();
    for kind in StepKind::ALL {
        let of: Vec<&StepVerdict> = steps.iter().filter(|v| v.kind == kind).collect();
        let Some(first) = of.first() else { continue };
        let count = |f: &dyn Fn(&StepVerdict) -> bool| of.iter().filter(|v| f(v)).count();
        out.insert(
            kind.key().into(),
            json!({
                "model": first.model, "template": first.template,
                "template_sha256": first.template_sha256,
                "calls": of.iter().map(|v| v.attempts as usize).sum::<usize>(),
                "cache_hits": count(&|v| v.cache_hit),
                "parse_failures": count(&|v| !v.parse_ok && v.error.is_none()),
                "transport_errors": count(&|v| v.error.is_some()),
                "dropped_checks": of.iter().map(|v| v.dropped_checks).sum::<usize>(),
            }),
        );
    }
    Value::Object(out)
}

/// Builds the report of a verdict file and optional step verdicts.
pub fn build_report(
    source: &Path,
    evals: &[AnswerEval],
    steps: &[StepVerdict],
    info: &RunInfo,
) -> Report {
    let mut leaderboard = Map::new();
    for (key, value) in info.metadata() {
        leaderboard.insert(key.into(), value);
    }
    leaderboard.insert("is_correct".into(), json!(answer_cells(evals)));
    let drop = add_step_cells(&mut leaderboard, evals, steps);
    let llm_calls = evals.iter().filter(|e| e.llm.is_some()).count();

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
            "llm_calls": llm_calls,
            "unparsed": count(Method::Unparsed),
            "errors": count(Method::RecordError),
            "missing": count(Method::Missing),
        }),
        step_judges: (!steps.is_empty()).then(|| step_summary(steps)),
        leaderboard,
        drop,
    }
}

/// Renders the report as a leaderboard-style markdown table.
pub fn markdown(report: &Report) -> String {
    let cells = |key: &str| -> Option<GroupCells> {
        report
            .leaderboard
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    };
    let pct =
        |key: &str| cells(key).map_or("n/a".to_string(), |c| format!("{:.1}", c.total.accuracy));
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
    let mut t = String::from(
        "| Model | Max Tokens | Overall | Answer Acc | Bound | Relation | NTC | NLG | NAE | NCE |\n",
    );
    t.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    let (bound, relation) = cells("is_correct").map_or(("".into(), "".into()), |c| {
        (
            format!("{:.1}", c.bound.accuracy),
            format!("{:.1}", c.relation.accuracy),
        )
    });
    t.push_str(&format!(
        "| {model} | {tokens} | {} | {} | {bound} | {relation} | {} | {} | {} | {} |\n",
        pct("all_true"),
        pct("is_correct"),
        pct("toy_case_judge"),
        pct("logical_gap_judge"),
        pct("approx_judge"),
        pct("calc_judge"),
    ));
    if report.leaderboard.contains_key("all_true") {
        t.push_str("\nStep judges: IneqMath-style (unofficial) prompts of this tool.\n");
    } else {
        t.push_str("\nOverall accuracy needs the four step judges (`ineqmath judge`), which this report lacks.\n");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::AnswerMode;
    use crate::rules::Rules;

    fn eval(id: &str, ptype: ProblemType, correct: bool) -> AnswerEval {
        AnswerEval {
            data_id: id.into(),
            ptype,
            data_split: Some("dev".into()),
            ground_truth: String::new(),
            answer_sentence: String::new(),
            extracted: None,
            is_solved: true,
            is_correct: correct,
            method: Method::StrictRule,
            abs_diff: None,
            rules: Rules::Strict,
            mode: AnswerMode::Det,
            llm: None,
        }
    }

    fn step(id: &str, kind: StepKind, pass: bool) -> StepVerdict {
        serde_json::from_value(json!({
            "data_id": id, "kind": kind, "pass": pass, "parse_ok": true, "analysis": "",
            "flagged_step": null, "checks": [], "dropped_checks": 0, "model": "m",
            "template": kind.template(), "template_sha256": "0", "request_sha256": "0",
            "cache_hit": false, "attempts": 1, "latency_ms": 0, "error": null
        }))
        .unwrap()
    }

    /// Six items with answer verdicts 1 1 1 0 1 0. Item 1 fails the toy-case
    /// judge and item 4 has no calc verdict, so overall passes items 0 and 2 only.
    #[test]
    fn overall_needs_answer_and_all_four_judges() {
        let evals = [
            eval("0", ProblemType::Bound, true),
            eval("1", ProblemType::Bound, true),
            eval("2", ProblemType::Relation, true),
            eval("3", ProblemType::Relation, false),
            eval("4", ProblemType::Relation, true),
            eval("5", ProblemType::Bound, false),
        ];

        let mut steps = Vec::new();
        for id in ["0", "1", "2", "3", "4", "5"] {
            for kind in StepKind::ALL {
                let absent = id == "4" && kind == StepKind::Computation;
                if !absent {
                    steps.push(step(id, kind, !(id == "1" && kind == StepKind::ToyCase)));
                }
            }
        }

        let info = RunInfo {
            model: "m".into(),
            max_tokens: Some(10000),
            ..RunInfo::default()
        };
        let report = build_report(Path::new("a"), &evals, &steps, &info);
        let cell = |k: &str| -> GroupCells {
            serde_json::from_value(report.leaderboard[k].clone()).unwrap()
        };

        assert_eq!(cell("is_correct").total.correct, 4);
        assert_eq!(cell("is_correct").total.accuracy, 66.7);
        assert_eq!(cell("toy_case_judge").total.correct, 5);
        assert_eq!(cell("calc_judge").relation.correct, 2);
        let overall = cell("all_true");
        assert_eq!(overall.total.correct, 2);
        assert_eq!(overall.bound.correct, 1);
        assert_eq!(overall.relation.correct, 1);
        assert_eq!(overall.total.accuracy, 33.3);
        assert_eq!(report.drop, Some(33.4));
        assert!(markdown(&report).contains("| 33.3 | 66.7 |"));
    }

    /// With all metadata and the six score keys, the entry reads as a
    /// leaderboard entry and writes back to the same JSON.
    #[test]
    fn full_entry_round_trips_through_leaderboard_schema() {
        let evals = [
            eval("0", ProblemType::Bound, true),
            eval("1", ProblemType::Relation, false),
        ];
        let steps: Vec<StepVerdict> = ["0", "1"]
            .iter()
            .flat_map(|id| StepKind::ALL.map(|k| step(id, k, true)))
            .collect();
        let info = RunInfo {
            model: "GPT-4o mini".into(),
            model_type: Some("Chat".into()),
            model_source: Some("Proprietary".into()),
            size: Some("UNK".into()),
            source: Some("https://platform.openai.com/docs/models/gpt-4o-mini".into()),
            reasoning_effort: Some("not applicable".into()),
            date: Some("2024-07-18".into()),
            max_tokens: Some(10000),
        };
        let report = build_report(Path::new("a"), &evals, &steps, &info);
        let value = Value::Object(report.leaderboard.clone());
        let entry: crate::leaderboard::Entry = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(entry.model_type, "Chat");
        assert_eq!(entry.date, "2024-07-18");
        assert_eq!(entry.max_tokens.value(), Some(10000));
        assert!(entry.extra.is_empty(), "{:?}", entry.extra);
        assert_eq!(serde_json::to_value(&entry).unwrap(), value);
    }

    #[test]
    fn omitted_metadata_keys_are_absent() {
        let evals = [eval("0", ProblemType::Bound, true)];
        let info = RunInfo {
            model: "m".into(),
            date: Some("2025-01-31".into()),
            ..RunInfo::default()
        };
        let report = build_report(Path::new("a"), &evals, &[], &info);
        let keys: Vec<&str> = report.leaderboard.keys().map(String::as_str).collect();
        for absent in [
            "Type",
            "Model Source",
            "Size",
            "Source",
            "Reasoning effort",
            "Max Tokens",
        ] {
            assert!(!keys.contains(&absent), "{absent} in {keys:?}");
        }
        assert_eq!(report.leaderboard["Date"], "2025-01-31");
    }

    #[test]
    fn dates_are_calendar_dates() {
        for good in ["2024-07-18", "2024-02-29", "2000-02-29", "2025-12-31"] {
            assert!(check_date(good).is_ok(), "{good}");
        }
        for bad in [
            "2024-7-18",
            "18-07-2024",
            "2024/07/18",
            "2025-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-04-31",
            "2024-00-10",
            "2024-01-00",
            "",
            "2024-07-18T00:00",
        ] {
            let err = check_date(bad).unwrap_err().to_string();
            assert!(err.contains("YYYY-MM-DD"), "{bad}: {err}");
        }
    }

    #[test]
    fn without_steps_no_overall() {
        let evals = [eval("0", ProblemType::Bound, true)];
        let report = build_report(Path::new("a"), &evals, &[], &RunInfo::default());
        assert!(!report.leaderboard.contains_key("all_true"));
        assert!(report.drop.is_none());
        assert!(markdown(&report).contains("| n/a | 100.0 |"));
    }
}
