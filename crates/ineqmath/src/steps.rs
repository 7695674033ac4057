//! The four step-wise judges (IneqMath-style, unofficial): toy case, logical
//! gap, numerical approximation and numerical computation.
//!
//! Each judge receives only the problem and the full response. The first three
//! request `{analysis, flagged_step, acceptable}` from the model. The
//! computation judge requests only quoted numeric equalities `{quote, lhs, rhs}`,
//! which [`crate::calc`] evaluates. A reply that cannot be parsed is requested
//! again twice (new cache key and seed), then counts as a failure with
//! `parse_ok = false`.

use serde_json::{Value, json};

use crate::calc::{deterministic_checks, evaluate_check, normalize_quote};
use crate::llm::{ChatClient, ChatRequest, JsonSchema, LlmError};
use crate::prompts::Template;
pub use crate::step_eval::{StepKind, StepVerdict};

fn schema(kind: StepKind) -> JsonSchema {
    let text = json!({"type": "string"});
    let (name, schema) = if kind == StepKind::Computation {
        let check = json!({"type": "object", "additionalProperties": false,
                "properties": {"quote": text, "lhs": text, "rhs": text},
                "required": ["quote", "lhs", "rhs"]});
        (
            "calc_checks",
            json!({"type": "object", "additionalProperties": false,
                "properties": {"analysis": text, "checks": {"type": "array", "items": check}},
                "required": ["analysis", "checks"]}),
        )
    } else {
        (
            "step_verdict",
            json!({"type": "object", "additionalProperties": false,
                "properties": {"analysis": text, "flagged_step": text,
                               "acceptable": {"type": "boolean"}},
                "required": ["analysis", "flagged_step", "acceptable"]}),
        )
    };
    JsonSchema { name, schema }
}

/// Re-asks after an unparseable reply.
pub const REASKS: u32 = 2;

/// Source of the computation judge's equalities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CalcExtract {
    /// The model quotes them.
    #[default]
    Llm,
    /// Numeric chains in math spans only; no model call.
    Det,
    /// Both.
    Both,
}

/// Settings of the computation judge.
#[derive(Clone, Copy, Debug)]
pub struct CalcOptions {
    /// A check fails iff |lhs − rhs| exceeds this (default 1e-2).
    pub abs_tol: f64,
    /// Source of the equalities.
    pub extract: CalcExtract,
}

impl Default for CalcOptions {
    fn default() -> Self {
        CalcOptions {
            abs_tol: 1e-2,
            extract: CalcExtract::Llm,
        }
    }
}

/// A judge bound to its client and template.
pub struct StepJudge<'a> {
    /// The judge.
    pub kind: StepKind,
    /// The client of the judge model.
    pub client: &'a ChatClient,
    /// The template.
    pub template: &'a Template,
    /// Computation-judge settings.
    pub calc: CalcOptions,
}

/// The parsed content of one reply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Judgement {
    /// The analysis text.
    pub analysis: String,
    /// The flagged step.
    pub flagged_step: Option<String>,
    /// `acceptable` (judges 1–3).
    pub acceptable: Option<bool>,
    /// Quoted equalities (computation judge).
    pub checks: Vec<(String, String, String)>,
}

impl StepJudge<'_> {
    /// Judges one response.
    ///
    /// # Errors
    /// [`LlmError::CacheMiss`] and [`LlmError::Unreachable`], which stop a
    /// run. Other server errors are recorded in the verdict.
    pub fn judge(
        &self,
        data_id: &str,
        problem: &str,
        response: &str,
    ) -> Result<StepVerdict, LlmError> {
        let mut verdict = self.empty_verdict(data_id);
        if self.kind == StepKind::Computation && self.calc.extract == CalcExtract::Det {
            verdict.parse_ok = true;
            verdict.cache_hit = true;
            self.finish_calc(&mut verdict, response, Vec::new());
            return Ok(verdict);
        }

        let prompt = self.template.render(&[
            ("problem", problem),
            ("response", response),
            ("examples", ""),
        ]);
        let schema = schema(self.kind);
        let mut judgement = None;
        let mut last_reply = String::new();
        let mut all_hits = true;
        for attempt in 0..=REASKS {
            let request = ChatRequest {
                item: data_id,
                user: &prompt,
                schema: Some(&schema),
                attempt,
                template: Some((self.template.name, &self.template.sha256)),
                ..ChatRequest::default()
            };
            let reply = match self.client.chat(&request) {
                Ok(reply) => reply,
                Err(e @ (LlmError::CacheMiss { .. } | LlmError::Unreachable { .. })) => {
                    return Err(e);
                }
                Err(e) => {
                    verdict.error = Some(e.to_string());
                    verdict.cache_hit = false;
                    return Ok(verdict);
                }
            };
            all_hits &= reply.cache_hit;
            verdict.attempts = attempt + 1;
            verdict.latency_ms += reply.latency_ms;
            verdict.request_sha256 = reply.request_sha256;
            judgement = parse_judgement(self.kind, &reply.content);
            if judgement.is_some() {
                break;
            }
            last_reply = reply.content;
        }
        verdict.cache_hit = all_hits;
        let Some(judgement) = judgement else {
            verdict.analysis = truncate_reply(&last_reply);
            return Ok(verdict);
        };
        verdict.parse_ok = true;
        verdict.analysis = judgement.analysis;
        verdict.flagged_step = judgement.flagged_step.filter(|s| !s.trim().is_empty());
        match self.kind {
            StepKind::Computation => self.finish_calc(&mut verdict, response, judgement.checks),
            _ => verdict.pass = judgement.acceptable.unwrap_or(false),
        }
        Ok(verdict)
    }

    /// Builds a failing verdict with nothing filled in, for items that cannot be judged.
    pub fn empty_verdict(&self, data_id: &str) -> StepVerdict {
        StepVerdict {
            data_id: data_id.to_string(),
            kind: self.kind,
            pass: false,
            parse_ok: false,
            analysis: String::new(),
            flagged_step: None,
            checks: Vec::new(),
            dropped_checks: 0,
            model: self.client.model().to_string(),
            template: self.template.name.to_string(),
            template_sha256: self.template.sha256.clone(),
            request_sha256: String::new(),
            cache_hit: false,
            attempts: 0,
            latency_ms: 0,
            error: None,
        }
    }

    /// Evaluates the quoted (and, if asked, deterministic) checks; passes iff
    /// no kept check fails.
    fn finish_calc(
        &self,
        verdict: &mut StepVerdict,
        response: &str,
        quoted: Vec<(String, String, String)>,
    ) {
        let mut raw = quoted;
        if self.calc.extract != CalcExtract::Llm {
            raw.extend(deterministic_checks(response));
        }
        let normalized = normalize_quote(response);
        verdict.checks = raw
            .iter()
            .map(|(q, l, r)| evaluate_check(q, l, r, &normalized, self.calc.abs_tol))
            .collect();
        verdict.dropped_checks = verdict.checks.iter().filter(|c| c.status.dropped()).count();
        verdict.pass = verdict
            .checks
            .iter()
            .all(|c| c.status != crate::calc::CheckStatus::Fail);
    }
}

/// Maximum raw reply length, in bytes, kept as the analysis of an unparsed verdict.
const RAW_REPLY_BYTES: usize = 4096;

/// Cuts `reply` to at most [`RAW_REPLY_BYTES`] on a character boundary,
/// marking a cut with `…`.
fn truncate_reply(reply: &str) -> String {
    if reply.len() <= RAW_REPLY_BYTES {
        return reply.to_string();
    }
    let mut end = RAW_REPLY_BYTES;
    while !reply.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &reply[..end])
}

/// Parses a reply: the whole text or the last `{…}` object in it as JSON,
/// else (judges 1–3) a final `VERDICT: PASS|FAIL` line.
pub fn parse_judgement(kind: StepKind, content: &str) -> Option<Judgement> {
    if let Some(object) = last_json_object(content) {
        let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_string);
        let mut j = Judgement {
            analysis: text("analysis").unwrap_or_default(),
            flagged_step: text("flagged_step"),
            ..Judgement::default()
        };
        if kind == StepKind::Computation {
            if let Some(checks) = object.get("checks").and_then(Value::as_array) {
                j.checks = checks.iter().filter_map(check_of).collect();
                return Some(j);
            }
        } else if let Some(ok) = boolean(object.get("acceptable")) {
            j.acceptable = Some(ok);
            return Some(j);
        }
    }
    if kind == StepKind::Computation {
        return None;
    }
    verdict_line(content).map(|ok| Judgement {
        analysis: content.trim().to_string(),
        acceptable: Some(ok),
        ..Judgement::default()
    })
}

fn boolean(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn check_of(value: &Value) -> Option<(String, String, String)> {
    let get = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    Some((get("quote")?, get("lhs")?, get("rhs")?))
}

/// Returns the last top-level JSON object in `text`.
pub fn last_json_object(text: &str) -> Option<serde_json::Map<String, Value>> {
    let mut found = None;
    let mut from = 0;
    while let Some(offset) = text[from..].find('{') {
        let start = from + offset;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(Value::Object(map))) => {
                found = Some(map);
                from = start + stream.byte_offset();
            }
            _ => from = start + 1,
        }
    }
    found
}

/// `VERDICT: PASS` or `VERDICT: FAIL` on the last line that has one.
fn verdict_line(text: &str) -> Option<bool> {
    text.lines().rev().find_map(|line| {
        let upper = line.trim().to_ascii_uppercase();
        let rest = upper
            .strip_prefix("VERDICT")?
            .trim_start_matches([':', ' ', '*']);
        if rest.starts_with("PASS") {
            Some(true)
        } else if rest.starts_with("FAIL") {
            Some(false)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_reply_parses() {
        let j = parse_judgement(
            StepKind::ToyCase,
            r#"{"analysis": "uses a = b only", "flagged_step": "set a=b", "acceptable": false}"#,
        )
        .unwrap();
        assert_eq!(j.acceptable, Some(false));
        assert_eq!(j.flagged_step.as_deref(), Some("set a=b"));
    }

    #[test]
    fn last_object_in_prose_wins() {
        let text = "thinking {\"acceptable\": false}\nfinal: {\"analysis\": \"ok\", \"acceptable\": true} done";
        assert_eq!(
            parse_judgement(StepKind::LogicalGap, text)
                .unwrap()
                .acceptable,
            Some(true)
        );
        let calc =
            r#"Here: {"analysis": "", "checks": [{"quote": "2+2=4", "lhs": "2+2", "rhs": "4"}]}"#;
        let j = parse_judgement(StepKind::Computation, calc).unwrap();
        assert_eq!(j.checks, vec![("2+2=4".into(), "2+2".into(), "4".into())]);
    }

    #[test]
    fn verdict_line_is_the_text_fallback() {
        let j =
            parse_judgement(StepKind::Approximation, "It rounds sqrt 5.\nVERDICT: FAIL").unwrap();
        assert_eq!(j.acceptable, Some(false));
        assert_eq!(
            parse_judgement(StepKind::Approximation, "verdict: pass")
                .unwrap()
                .acceptable,
            Some(true)
        );
    }

    #[test]
    fn garbage_does_not_parse() {
        assert!(parse_judgement(StepKind::ToyCase, "I think it is fine.").is_none());
        assert!(parse_judgement(StepKind::ToyCase, "{\"analysis\": \"x\"}").is_none());
        assert!(parse_judgement(StepKind::Computation, "VERDICT: PASS").is_none());
    }

    fn judge_with(
        kind: StepKind,
        calc: CalcOptions,
        script: impl Fn(&Value, usize) -> crate::llm::fixture::Reply + Send + Sync + 'static,
        response: &str,
    ) -> (StepVerdict, usize) {
        use crate::llm::{Cache, CachePolicy, ClientParams};
        let server = crate::llm::fixture::Fixture::start(script);
        let dir = tempfile::tempdir().unwrap();
        let mut p = ClientParams::new(&server.base_url, "judge");
        p.cache = Cache {
            dir: dir.path().to_path_buf(),
            policy: CachePolicy::Use,
        };
        let client = p.check().unwrap();
        let template = crate::prompts::load(kind.template(), None).unwrap();
        let judge = StepJudge {
            kind,
            client: &client,
            template: &template,
            calc,
        };
        let verdict = judge.judge("3", "Find C.", response).unwrap();
        (verdict, server.count())
    }

    #[test]
    fn long_reply_cut_at_char_boundary() {
        let reply = "é".repeat(RAW_REPLY_BYTES);
        let kept = truncate_reply(&reply);
        assert!(kept.ends_with('…'));
        assert_eq!(kept.len(), RAW_REPLY_BYTES + '…'.len_utf8());
        assert_eq!(truncate_reply("short"), "short");
    }

    #[test]
    fn garbage_is_asked_twice_more_then_fails() {
        let (v, calls) = judge_with(
            StepKind::ToyCase,
            CalcOptions::default(),
            |_, _| crate::llm::fixture::completion("no idea"),
            "Set a = b = 1, so C = 2.",
        );
        assert_eq!(calls, 3);
        assert!(!v.parse_ok);
        assert!(!v.pass);
        assert!(v.error.is_none());
        assert_eq!(v.attempts, 3);
        assert_eq!(v.analysis, "no idea");
        assert_eq!(v.template, "step_toy_case");
        assert_eq!(v.template_sha256.len(), 64);
    }

    #[test]
    fn second_reply_is_used_after_one_reask() {
        let (v, calls) = judge_with(
            StepKind::LogicalGap,
            CalcOptions::default(),
            |_, n| {
                let text = if n == 0 {
                    "hmm"
                } else {
                    r#"{"analysis": "fine", "flagged_step": "", "acceptable": true}"#
                };
                crate::llm::fixture::completion(text)
            },
            "By AM-GM, C = 2.",
        );
        assert_eq!((calls, v.attempts), (2, 2));
        assert!(v.parse_ok);
        assert!(v.pass);
        assert!(v.flagged_step.is_none());
    }

    #[test]
    fn computation_judge_evaluates_quoted_checks() {
        let reply = r#"{"analysis": "", "checks": [
            {"quote": "186^3 = 3448611", "lhs": "186^3", "rhs": "3448611"},
            {"quote": "not there", "lhs": "1", "rhs": "2"},
            {"quote": "\\sqrt2 = 1.414", "lhs": "\\sqrt2", "rhs": "1.414"}]}"#;
        let response = "We have $186^3 = 3448611$ and $\\sqrt2 = 1.414$.";
        let (v, _) = judge_with(
            StepKind::Computation,
            CalcOptions::default(),
            move |_, _| crate::llm::fixture::completion(reply),
            response,
        );
        assert!(v.parse_ok);
        assert!(!v.pass);
        assert_eq!(v.checks.len(), 3);
        assert_eq!(v.dropped_checks, 1);
        assert_eq!(v.checks[2].status, crate::calc::CheckStatus::Pass);
    }

    #[test]
    fn deterministic_computation_judge_sends_nothing() {
        let calc = CalcOptions {
            abs_tol: 1e-2,
            extract: CalcExtract::Det,
        };
        let (v, calls) = judge_with(
            StepKind::Computation,
            calc,
            |_, _| crate::llm::fixture::completion("{}"),
            "Then $2^{10} = 1024 = 1000$.",
        );
        assert_eq!(calls, 0);
        assert!(!v.pass);
        assert_eq!(v.checks.len(), 2);
    }

    #[test]
    fn short_names_round_trip() {
        for kind in StepKind::ALL {
            assert_eq!(StepKind::from_short(kind.short()), Some(kind));
        }
    }
}
