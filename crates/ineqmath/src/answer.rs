//! The final-answer judge for one record.

use serde::{Deserialize, Serialize};

use crate::bound::{BoundExtraction, equivalent, extract_bound_with};
use crate::data::{ProblemType, ResponseRecord};
use crate::latex::{Answer, parse_answer};
use crate::locate::locate_answer;
use crate::method::Method;
use crate::pytext::collapse_whitespace;
use crate::relation::{RelOption, extract_relation};
use crate::rules::Rules;

/// How final answers are judged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerMode {
    /// Deterministic rules only; no LLM call.
    #[default]
    Det,
    /// Deterministic rules, with an LLM for unparsed or no-rule items.
    Hybrid,
    /// The reference-like pipeline: an LLM extracts and compares every bound answer.
    Llm,
}

/// The verdict on one record, one line of `answer_eval.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerEval {
    /// The problem id.
    pub data_id: String,
    /// The subtask.
    #[serde(rename = "type")]
    pub ptype: ProblemType,
    /// The split, when the record or gold file names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_split: Option<String>,
    /// The gold answer.
    pub ground_truth: String,
    /// The located answer sentence (`""` for empty responses and error records).
    pub answer_sentence: String,
    /// The extracted answer: a bound expression or an option string.
    pub extracted: Option<String>,
    /// True when an answer sentence was judged (not empty, no error); false
    /// also when the LLM extraction held no letter or digit (such as `...`).
    pub is_solved: bool,
    /// True when the answer equals the gold.
    pub is_correct: bool,
    /// The rule that decided.
    pub method: Method,
    /// |gold − prediction| for bound answers with finite values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs_diff: Option<f64>,
    /// The rule set.
    pub rules: Rules,
    /// The judge mode.
    pub mode: AnswerMode,
    /// The LLM exchange that decided, in `hybrid` and `llm` modes: model,
    /// template, template_sha256, request_sha256, cache_hit, reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<serde_json::Value>,
}

/// Judges one record against its gold answer under the deterministic rules.
///
/// `gold` is the gold answer string; for bound items `gold_answer` is its
/// parse (pass `None` to parse it here).
pub fn judge_record(
    record: &ResponseRecord,
    gold: &str,
    gold_answer: Option<&Answer>,
    rules: Rules,
) -> AnswerEval {
    let response = record.response.as_deref().unwrap_or("");
    let sentence = locate_answer(response, rules);
    let mut eval = AnswerEval {
        data_id: record.data_id.clone(),
        ptype: record.ptype,
        data_split: record.data_split.clone(),
        ground_truth: gold.to_string(),
        answer_sentence: String::new(),
        extracted: None,
        is_solved: false,
        is_correct: false,
        method: Method::Empty,
        abs_diff: None,
        rules,
        mode: AnswerMode::Det,
        llm: None,
    };
    if sentence.is_empty() {
        return eval;
    }
    if record.has_error() {
        eval.method = Method::RecordError;
        return eval;
    }

    eval.is_solved = true;
    match record.ptype {
        ProblemType::Relation => judge_relation(&mut eval, &sentence, rules),
        ProblemType::Bound => judge_bound(&mut eval, &sentence, gold_answer, rules),
    }
    eval.answer_sentence = sentence;
    eval
}

fn judge_relation(eval: &mut AnswerEval, sentence: &str, rules: Rules) {
    let Some(option) = extract_relation(sentence, rules) else {
        eval.method = Method::Unparsed;
        return;
    };
    eval.method = match rules {
        Rules::Strict => Method::StrictRule,
        Rules::Parity => {
            let collapsed = collapse_whitespace(sentence);
            if RelOption::ALL
                .iter()
                .any(|o| collapsed.contains(o.canonical()))
            {
                Method::OptionString
            } else {
                Method::Keyword
            }
        }
    };
    eval.extracted = Some(option.canonical().to_string());
    eval.is_correct = option.canonical() == eval.ground_truth;
}

fn judge_bound(eval: &mut AnswerEval, sentence: &str, gold_answer: Option<&Answer>, rules: Rules) {
    let text = match extract_bound_with(sentence, rules) {
        BoundExtraction::Expr(text) => text,
        BoundExtraction::Approximate => {
            eval.method = Method::ApproxMarker;
            return;
        }
        BoundExtraction::Missing => {
            eval.method = Method::Unparsed;
            return;
        }
    };
    let parsed_gold;
    let gold = match gold_answer {
        Some(answer) => answer,
        None => {
            parsed_gold = parse_answer(&eval.ground_truth);
            &parsed_gold
        }
    };
    let verdict = equivalent(gold, &parse_answer(&text));
    eval.extracted = Some(text);
    eval.is_correct = verdict.equal;
    eval.method = verdict.method;
    eval.abs_diff = verdict.abs_diff;
}

/// Builds the record of a gold item that the results lack, counted as incorrect.
pub fn missing_eval(
    data_id: &str,
    ptype: ProblemType,
    gold: &str,
    split: Option<String>,
    rules: Rules,
) -> AnswerEval {
    AnswerEval {
        data_id: data_id.to_string(),
        ptype,
        data_split: split,
        ground_truth: gold.to_string(),
        answer_sentence: String::new(),
        extracted: None,
        is_solved: false,
        is_correct: false,
        method: Method::Missing,
        abs_diff: None,
        rules,
        mode: AnswerMode::Det,
        llm: None,
    }
}
