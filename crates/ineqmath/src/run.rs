//! Scoring of a whole response file: gold join, judging, missing items.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::answer::{AnswerEval, judge_record, missing_eval};
use crate::data::{Problem, ProblemType, ResponseRecord, Skipped, load_problems, load_responses};
use crate::error::{Error, Result};
use crate::latex::{Answer, parse_answer};
use crate::method::Method;
use crate::rules::Rules;
use crate::score::{Scores, method_counts, score, scores_by_split};

/// Options of [`score_file`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ScoreOptions {
    /// The rule set.
    pub rules: Rules,
    /// Skip malformed records instead of failing.
    pub skip_malformed: bool,
}

/// The verdicts on one response file and their summary.
#[derive(Clone, Debug, Serialize)]
pub struct ScoreRun {
    /// All items.
    pub all: crate::score::AllCounts,
    /// Bound items.
    pub bound: crate::score::Counts,
    /// Relation items.
    pub relation: crate::score::Counts,
    /// LLM calls made (always 0 in `det` mode).
    pub llm_calls: usize,
    /// The judge mode.
    pub mode: &'static str,
    /// The rule set.
    pub rules: &'static str,
    /// Items per deciding method.
    pub methods: BTreeMap<&'static str, usize>,
    /// Items that no rule could judge or whose answer does not parse.
    pub unparsed: usize,
    /// Records that carry a solver error.
    pub record_errors: usize,
    /// Gold items absent from the results (counted incorrect; default rules with a gold file).
    pub missing: Vec<String>,
    /// Malformed records skipped.
    pub skipped: Vec<Skipped>,
    /// The reference `scores.json`: one entry per `data_split`.
    pub scores: BTreeMap<String, Scores>,
    /// Per-item verdicts.
    #[serde(skip)]
    pub evals: Vec<AnswerEval>,
}

/// Judges every record of `results`, joining gold answers from `gold` by
/// `data_id` where a record has none.
///
/// # Errors
/// Loading errors of [`load_responses`] and [`load_problems`];
/// [`Error::HiddenAnswers`] for test records; [`Error::GoldMissing`];
/// [`Error::NotInGold`] and [`Error::GoldMismatch`] when `gold` is not the
/// problem file of the records' split;
/// [`Error::GoldUnparsed`].
pub fn score_file(results: &Path, gold: Option<&Path>, options: ScoreOptions) -> Result<ScoreRun> {
    let responses = load_responses(results, options.skip_malformed)?;
    if responses.records.is_empty() && responses.skipped.is_empty() && gold.is_none() {
        return Err(Error::NoRecords {
            path: results.to_path_buf(),
        });
    }
    let problems = match gold {
        Some(path) => load_problems(path)?,
        None => Vec::new(),
    };
    if let Some(path) = gold.filter(|_| !problems.is_empty()) {
        if problems.iter().all(|p| p.answer.is_empty()) {
            return Err(Error::HiddenGold {
                path: path.to_path_buf(),
            });
        }
    }
    let by_id: BTreeMap<&str, &Problem> =
        problems.iter().map(|p| (p.data_id.as_str(), p)).collect();

    let mut evals = Vec::with_capacity(responses.records.len());
    for record in &responses.records {
        let problem = by_id.get(record.data_id.as_str()).copied();
        if let Some(path) = gold {
            check_gold_match(path, record, problem)?;
        }
        let gold_text = gold_of(record, problem)?;
        let gold_answer = parse_gold(record, &gold_text)?;
        let mut eval = judge_record(record, &gold_text, gold_answer.as_ref(), options.rules);
        if eval.data_split.is_none() {
            eval.data_split = problem.map(|p| p.data_split.clone());
        }
        evals.push(eval);
    }

    let mut missing = Vec::new();
    if options.rules == Rules::Strict && !problems.is_empty() {
        let present: BTreeSet<&str> = responses
            .records
            .iter()
            .map(|r| r.data_id.as_str())
            .collect();
        for p in problems
            .iter()
            .filter(|p| !present.contains(p.data_id.as_str()))
        {
            missing.push(p.data_id.clone());
            evals.push(missing_eval(
                &p.data_id,
                p.ptype,
                &p.answer,
                Some(p.data_split.clone()),
                options.rules,
            ));
        }
    }
    let mut run = summarize(evals, missing, responses.skipped, options.rules);
    if options.rules == Rules::Strict && gold.is_none() {
        count_skipped_as_wrong(&mut run);
    }
    Ok(run)
}

/// Counts each skipped record as one incorrect item of the whole file, so that
/// skipping never raises the accuracy. A skipped record may lack its type, so
/// the bound and relation groups and `scores.json` leave it out. With a gold
/// file the problem of a skipped record is already counted as missing.
fn count_skipped_as_wrong(run: &mut ScoreRun) {
    let skipped = run.skipped.len();
    run.all.total += skipped;
    run.all.wrong += skipped;
    run.all.accuracy = crate::score::accuracy(run.all.correct, run.all.total, 2);
}

/// Recomputes the counts after verdicts changed (the LLM fallback), keeping
/// skipped records counted as incorrect.
#[cfg(feature = "llm")]
pub(crate) fn recount(run: &mut ScoreRun) {
    let extra = run.all.total - run.evals.len();
    let totals = score(&run.evals);
    run.all = totals.all;
    run.all.total += extra;
    run.all.wrong += extra;
    run.all.accuracy = crate::score::accuracy(run.all.correct, run.all.total, 2);
    run.bound = totals.bound;
    run.relation = totals.relation;
    run.methods = method_counts(&run.evals);
    run.unparsed = run
        .evals
        .iter()
        .filter(|e| e.method == Method::Unparsed)
        .count();
    run.scores = scores_by_split(&run.evals);
}

fn summarize(
    evals: Vec<AnswerEval>,
    missing: Vec<String>,
    skipped: Vec<Skipped>,
    rules: Rules,
) -> ScoreRun {
    let totals = score(&evals);
    ScoreRun {
        all: totals.all,
        bound: totals.bound,
        relation: totals.relation,
        llm_calls: 0,
        mode: "det",
        rules: rules.name(),
        methods: method_counts(&evals),
        unparsed: evals
            .iter()
            .filter(|e| e.method == Method::Unparsed)
            .count(),
        record_errors: evals
            .iter()
            .filter(|e| e.method == Method::RecordError)
            .count(),
        missing,
        skipped,
        scores: scores_by_split(&evals),
        evals,
    }
}

/// Checks that the gold file contains the record's `data_id` with the same
/// type and, when the record gives them, the same split and problem text.
fn check_gold_match(path: &Path, record: &ResponseRecord, problem: Option<&Problem>) -> Result<()> {
    let Some(problem) = problem else {
        return Err(Error::NotInGold {
            path: path.to_path_buf(),
            data_id: record.data_id.clone(),
        });
    };
    let split_differs = record
        .data_split
        .as_deref()
        .is_some_and(|s| s != problem.data_split);
    let text_differs = record
        .problem
        .as_deref()
        .is_some_and(|text| text.trim() != problem.problem.trim());
    if split_differs || text_differs || record.ptype != problem.ptype {
        let split = record.data_split.as_deref().unwrap_or("(no split)");
        let text = if text_differs {
            " with another problem text"
        } else {
            ""
        };
        return Err(Error::GoldMismatch {
            path: path.to_path_buf(),
            data_id: record.data_id.clone(),
            ours: format!("{split} {}{text}", record.ptype.name()),
            theirs: format!("{} {}", problem.data_split, problem.ptype.name()),
        });
    }
    Ok(())
}

fn gold_of(record: &ResponseRecord, problem: Option<&Problem>) -> Result<String> {
    if let Some(answer) = record.answer.as_deref().filter(|a| !a.is_empty()) {
        return Ok(answer.to_string());
    }
    if let Some(p) = problem.filter(|p| !p.answer.is_empty()) {
        return Ok(p.answer.clone());
    }
    let split = record
        .data_split
        .clone()
        .or_else(|| problem.map(|p| p.data_split.clone()));
    match split {
        Some(split) if split == "test" => Err(Error::HiddenAnswers {
            data_id: record.data_id.clone(),
            split,
        }),
        _ => Err(Error::GoldMissing {
            data_id: record.data_id.clone(),
        }),
    }
}

fn parse_gold(record: &ResponseRecord, gold: &str) -> Result<Option<Answer>> {
    if record.ptype != ProblemType::Bound {
        return Ok(None);
    }
    let answer = parse_answer(gold);
    let parts = match &answer {
        Answer::Single(part) => std::slice::from_ref(part),
        Answer::Tuple(parts) => parts.as_slice(),
        Answer::Approximate(_) => &[],
    };
    if let Some(err) = parts.iter().find_map(|p| p.expr.as_ref().err()) {
        return Err(Error::GoldUnparsed {
            data_id: record.data_id.clone(),
            answer: gold.to_string(),
            reason: err.to_string(),
        });
    }
    Ok(Some(answer))
}
