//! The LLM parts of the final-answer judge.
//!
//! `hybrid` keeps every deterministic verdict and sends to a model only the
//! items that no rule could read. For a bound sentence without a parseable
//! value, the model copies the value, which is then compared exactly. For a
//! relation sentence without a recognised option, the model names the letter.
//! `llm` requests that the model extract every bound answer and, when the
//! strings differ, decide equivalence, as the reference pipeline does.

use serde_json::{Value, json};

use crate::answer::{AnswerEval, AnswerMode};
use crate::bound::equivalent_str;
use crate::data::ProblemType;
use crate::error::Result;
use crate::llm::{ChatClient, ChatReply, ChatRequest, JsonSchema, LlmError, map_ordered};
use crate::method::Method;
use crate::prompts::Template;
use crate::relation::RelOption;
use crate::run::{ScoreRun, recount};

/// The answer-judge templates with their client.
pub struct AnswerLlm<'a> {
    /// The client of the answer model.
    pub client: &'a ChatClient,
    /// `answer_bound_extract`.
    pub extract: &'a Template,
    /// `answer_relation_letter`.
    pub letter: &'a Template,
    /// `answer_bound_equiv`.
    pub equiv: &'a Template,
}

/// Applies the LLM judge of `mode` to `run` and recounts it.
///
/// # Errors
/// [`LlmError::CacheMiss`] and [`LlmError::Unreachable`]. Other server errors
/// are not raised: the item keeps its deterministic verdict and the error goes
/// into its trace.
pub fn apply(
    run: &mut ScoreRun,
    judge: &AnswerLlm,
    mode: AnswerMode,
    workers: usize,
) -> Result<()> {
    let chosen: Vec<usize> = (0..run.evals.len())
        .filter(|&i| needs_llm(&run.evals[i], mode))
        .collect();
    let evals = &run.evals;
    let decided = map_ordered(&chosen, workers, |&i| decide(judge, &evals[i], mode));
    let mut calls = 0;
    for (i, result) in chosen.into_iter().zip(decided) {
        let (eval, n) = result?;
        calls += n;
        run.evals[i] = eval;
    }
    for eval in &mut run.evals {
        eval.mode = mode;
    }
    run.llm_calls = calls;
    run.mode = match mode {
        AnswerMode::Det => "det",
        AnswerMode::Hybrid => "hybrid",
        AnswerMode::Llm => "llm",
    };
    recount(run);
    Ok(())
}

fn needs_llm(eval: &AnswerEval, mode: AnswerMode) -> bool {
    let readable = eval.is_solved && !eval.answer_sentence.is_empty();
    match mode {
        AnswerMode::Det => false,
        AnswerMode::Hybrid => readable && eval.method == Method::Unparsed,
        AnswerMode::Llm => {
            readable && (eval.ptype == ProblemType::Bound || eval.method == Method::Unparsed)
        }
    }
}

/// Returns the new verdict and the number of requests sent or replayed.
fn decide(judge: &AnswerLlm, eval: &AnswerEval, mode: AnswerMode) -> Result<(AnswerEval, usize)> {
    let mut out = eval.clone();
    let sentence = eval.answer_sentence.as_str();
    let outcome = match eval.ptype {
        ProblemType::Relation => relation(judge, &mut out, sentence).map(|()| 1),
        ProblemType::Bound => bound(judge, &mut out, sentence, mode),
    };
    match outcome {
        Ok(calls) => Ok((out, calls)),
        Err(e @ (LlmError::CacheMiss { .. } | LlmError::Unreachable { .. })) => Err(e.into()),
        Err(e) => {
            let mut kept = eval.clone();
            kept.llm = Some(json!({ "error": e.to_string() }));
            Ok((kept, 1))
        }
    }
}

fn relation(
    judge: &AnswerLlm,
    out: &mut AnswerEval,
    sentence: &str,
) -> std::result::Result<(), LlmError> {
    let schema = JsonSchema {
        name: "relation_option",
        schema: json!({"type": "object", "additionalProperties": false, "required": ["option"],
            "properties": {"option": {"type": "string", "enum": ["A", "B", "C", "D", "E", "F", "none"]}}}),
    };
    let reply = send_request(
        judge,
        judge.letter,
        &out.data_id,
        &[("sentence", sentence)],
        &schema,
    )?;
    let option = field(&reply.content, "option")
        .and_then(|s| s.trim().chars().next())
        .and_then(RelOption::from_letter);
    out.method = Method::Llm;
    out.extracted = option.map(|o| o.canonical().to_string());
    out.is_correct = option.is_some_and(|o| o.canonical() == out.ground_truth);
    out.llm = Some(trace(judge, judge.letter, &reply));
    Ok(())
}

/// Judges a bound answer through the model and returns the number of requests
/// sent or replayed (one or two).
fn bound(
    judge: &AnswerLlm,
    out: &mut AnswerEval,
    sentence: &str,
    mode: AnswerMode,
) -> std::result::Result<usize, LlmError> {
    let schema = JsonSchema {
        name: "bound_expression",
        schema: json!({"type": "object", "additionalProperties": false, "required": ["expression"],
            "properties": {"expression": {"type": "string"}}}),
    };
    let reply = send_request(
        judge,
        judge.extract,
        &out.data_id,
        &[("sentence", sentence)],
        &schema,
    )?;

    let expression = field(&reply.content, "expression").unwrap_or_default();
    out.method = Method::Llm;
    out.llm = Some(trace(judge, judge.extract, &reply));
    if is_no_answer(&expression) {
        out.extracted = None;
        out.is_solved = false;
        out.is_correct = false;
        return Ok(1);
    }

    out.extracted = Some(expression.clone());
    if mode == AnswerMode::Hybrid {
        let verdict = equivalent_str(&out.ground_truth, &expression);
        out.is_correct = verdict.equal;
        out.abs_diff = verdict.abs_diff;
        return Ok(1);
    }

    let gold = crate::latex::strip_label(&out.ground_truth).replace('$', "");
    if gold.replace(' ', "") == expression.replace(['$', ' '], "") {
        out.is_correct = true;
        return Ok(1);
    }

    let schema = JsonSchema {
        name: "equivalence",
        schema: json!({"type": "object", "additionalProperties": false, "required": ["analysis", "equivalent"],
            "properties": {"analysis": {"type": "string"}, "equivalent": {"type": "boolean"}}}),
    };
    let values = [("gold", gold.trim()), ("pred", expression.trim())];
    let reply = send_request(judge, judge.equiv, &out.data_id, &values, &schema)?;
    out.is_correct = crate::steps::last_json_object(&reply.content)
        .and_then(|o| o.get("equivalent").and_then(Value::as_bool))
        .unwrap_or(false);
    out.llm = Some(trace(judge, judge.equiv, &reply));
    Ok(2)
}

/// True for an extraction without any letter or digit, such as `""` or the
/// `...` of a reply cut at its token budget.
fn is_no_answer(expression: &str) -> bool {
    !expression.chars().any(char::is_alphanumeric)
}

/// Renders `template` with `values` and sends it as one JSON-schema request
/// for `item`.
fn send_request(
    judge: &AnswerLlm,
    template: &Template,
    item: &str,
    values: &[(&str, &str)],
    schema: &JsonSchema,
) -> std::result::Result<ChatReply, LlmError> {
    let prompt = template.render(values);
    judge.client.chat(&ChatRequest {
        item,
        user: &prompt,
        schema: Some(schema),
        template: Some((template.name, &template.sha256)),
        ..ChatRequest::default()
    })
}

fn field(content: &str, key: &str) -> Option<String> {
    crate::steps::last_json_object(content)?
        .get(key)?
        .as_str()
        .map(str::to_string)
}

fn trace(judge: &AnswerLlm, template: &Template, reply: &ChatReply) -> Value {
    json!({
        "model": judge.client.model(), "template": template.name,
        "template_sha256": template.sha256, "request_sha256": reply.request_sha256,
        "cache_hit": reply.cache_hit, "reply": reply.content,
    })
}

#[cfg(test)]
mod tests {
    use super::is_no_answer;

    #[test]
    fn ellipsis_and_punctuation_are_no_answer() {
        for text in ["", "  ", "...", "…", "$ . $", "?!"] {
            assert!(is_no_answer(text), "{text:?}");
        }
        for text in ["C = 2", "\\sqrt{2}", "1/2", "π"] {
            assert!(!is_no_answer(text), "{text:?}");
        }
    }
}
