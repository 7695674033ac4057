//! The solver runner: sends problems to a model and writes the responses
//! resumably.
//!
//! Each finished item is appended to a JSON-lines file at once, so an
//! interrupted run loses at most the items in flight. A rerun skips the items
//! already in the file, and with `retry_failed` it re-runs the failed ones. A
//! torn last line (a write cut short) is cut off the file before a rerun
//! appends, and its item runs again.
//! At the end all records, sorted by `data_id`, are written as one JSON array
//! beside the JSON-lines file (through a temporary file and a rename).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::{Problem, ProblemType};
use crate::error::{Error, Result};
use crate::llm::{ChatClient, ChatRequest, LlmError, map_ordered};
use crate::prompts::Template;

/// One solver record: the fields of the reference dev-response records plus
/// run metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SolveRecord {
    /// The problem id.
    pub data_id: String,
    /// The problem text.
    pub problem: String,
    /// The gold answer (`""` on test).
    pub answer: String,
    /// The subtask.
    #[serde(rename = "type")]
    pub ptype: ProblemType,
    /// The split.
    pub data_split: String,
    /// The prompt sent.
    pub prompt: String,
    /// The model's reply (`""` on failure).
    pub response: String,
    /// False when the call failed after its retries.
    pub success: bool,
    /// The failure, if any.
    pub error: Option<String>,
    /// The model name.
    pub model: String,
    /// `finish_reason` of the reply.
    pub finish_reason: Option<String>,
    /// True when the reply stopped at the token budget (`finish_reason` = `length`).
    pub truncated: bool,
    /// The server's token usage.
    pub usage: Option<Value>,
    /// HTTP wall time in milliseconds.
    pub latency_ms: u64,
    /// sha256 of the template, or `None` for prompts reused verbatim.
    pub template_sha256: Option<String>,
    /// The cache key of the request.
    pub request_sha256: String,
    /// True when the reply came from the cache.
    pub cache_hit: bool,
    /// The cache namespace of the request (the endpoint URL unless set); pass
    /// it as `--cache-namespace` to replay the run with `--cache-only` and no server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_namespace: Option<String>,
}

/// Settings of a solver run.
pub struct SolveOptions<'a> {
    /// Template of bound problems.
    pub bound: &'a Template,
    /// Template of relation problems.
    pub relation: &'a Template,
    /// Worked examples prepended per type (`{examples}`).
    pub examples: BTreeMap<&'static str, String>,
    /// Prompts reused verbatim by `data_id`, instead of the templates.
    pub prompts: Option<BTreeMap<String, String>>,
    /// Completion budget in tokens.
    pub max_tokens: u32,
    /// Parallel requests.
    pub concurrency: usize,
    /// Re-run items recorded with `success = false`.
    pub retry_failed: bool,
}

/// Counts of a solver run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SolveSummary {
    /// Items requested.
    pub requested: usize,
    /// Items already in the file and skipped.
    pub resumed: usize,
    /// Items run now.
    pub ran: usize,
    /// Requested items whose record is a failure, run now or resumed.
    pub failed: usize,
    /// `data_id` and error of the first failed item, if any.
    pub first_error: Option<String>,
    /// Items run now whose reply hit the token budget.
    pub truncated: usize,
    /// Items run now whose reply came from the cache.
    pub cache_hits: usize,
    /// The sorted JSON array written at the end.
    pub array: PathBuf,
}

/// Runs the solver on `problems`, appending to `jsonl`.
///
/// # Errors
/// [`Error::Invalid`] for a `jsonl` path ending in `.json`, [`Error::Io`], and
/// [`Error::Llm`] for a `--cache-only` miss or a missing reused prompt.
pub fn solve(
    client: &ChatClient,
    problems: &[Problem],
    jsonl: &Path,
    options: &SolveOptions,
    on_done: &(dyn Fn() + Sync),
) -> Result<SolveSummary> {
    if jsonl.extension().is_some_and(|e| e == "json") {
        return Err(Error::Invalid(format!(
            "--out {} ends in .json; give a .jsonl path (the sorted .json array is written beside it)",
            jsonl.display()
        )));
    }
    drop_torn_tail(jsonl)?;
    let mut records = read_records(jsonl)?;
    let pending: Vec<&Problem> = problems
        .iter()
        .filter(|p| match records.get(&p.data_id) {
            Some(r) => options.retry_failed && !r.success,
            None => true,
        })
        .collect();
    let mut summary = SolveSummary {
        requested: problems.len(),
        resumed: problems.len() - pending.len(),
        array: jsonl.with_extension("json"),
        ..SolveSummary::default()
    };

    if let Some(parent) = jsonl.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(jsonl)
        .map_err(|e| Error::io(jsonl, e))?;
    let file = Mutex::new(file);
    let results: Vec<Result<SolveRecord>> = map_ordered(&pending, options.concurrency, |problem| {
        let record = solve_one(client, problem, options)?;
        append(&file, jsonl, &record)?;
        on_done();
        Ok(record)
    });

    for result in results {
        let record: SolveRecord = result?;
        summary.ran += 1;
        summary.truncated += usize::from(record.truncated);
        summary.cache_hits += usize::from(record.cache_hit);
        records.insert(record.data_id.clone(), record);
    }
    count_failures(&mut summary, problems, &records);
    write_array(&summary.array, &records)?;
    Ok(summary)
}

/// Counts the requested items whose record failed and keeps the first error.
fn count_failures(
    summary: &mut SolveSummary,
    problems: &[Problem],
    records: &BTreeMap<String, SolveRecord>,
) {
    let failed: Vec<&SolveRecord> = problems
        .iter()
        .filter_map(|p| records.get(&p.data_id))
        .filter(|r| !r.success)
        .collect();
    summary.failed = failed.len();
    summary.first_error = failed.first().map(|r| {
        format!(
            "data_id {}: {}",
            r.data_id,
            r.error.as_deref().unwrap_or("unknown error")
        )
    });
}

/// Cuts a last line without a trailing newline (a write cut short) off the
/// file, so that appended records start on a line of their own.
fn drop_torn_tail(path: &Path) -> Result<()> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    tracing::warn!(
        path = %path.display(),
        bytes = bytes.len() - keep,
        "the last line has no newline (an interrupted write); it is dropped and its item runs again"
    );
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.set_len(keep as u64).map_err(|e| Error::io(path, e))
}

fn solve_one(
    client: &ChatClient,
    problem: &Problem,
    options: &SolveOptions,
) -> Result<SolveRecord> {
    let template = match problem.ptype {
        ProblemType::Bound => options.bound,
        ProblemType::Relation => options.relation,
    };
    let (prompt, template_sha256) = match &options.prompts {
        Some(map) => match map.get(&problem.data_id) {
            Some(p) => (p.clone(), None),
            None => {
                return Err(Error::Invalid(format!(
                    "data_id {} has no prompt in the --prompts-from file; pass the response file of the same problems",
                    problem.data_id
                )));
            }
        },
        None => {
            let examples = options
                .examples
                .get(problem.ptype.name())
                .map_or("", String::as_str);
            let text = template.render(&[("problem", &problem.problem), ("examples", examples)]);
            (text, Some(template.sha256.clone()))
        }
    };
    let request = ChatRequest {
        item: &problem.data_id,
        user: &prompt,
        max_tokens: Some(options.max_tokens),
        template: template_sha256.as_deref().map(|s| (template.name, s)),
        ..ChatRequest::default()
    };
    let mut record = SolveRecord {
        data_id: problem.data_id.clone(),
        problem: problem.problem.clone(),
        answer: problem.answer.clone(),
        ptype: problem.ptype,
        data_split: problem.data_split.clone(),
        prompt: prompt.clone(),
        response: String::new(),
        success: false,
        error: None,
        model: client.model().to_string(),
        finish_reason: None,
        truncated: false,
        usage: None,
        latency_ms: 0,
        template_sha256: template_sha256.clone(),
        request_sha256: client.cache_key(&request).0,
        cache_hit: false,
        cache_namespace: Some(client.namespace().to_string()),
    };
    match client.chat(&request) {
        Ok(reply) => {
            record.success = true;
            record.response = reply.content;
            record.truncated = reply.finish_reason.as_deref() == Some("length");
            record.finish_reason = reply.finish_reason;
            record.usage = reply.usage;
            record.latency_ms = reply.latency_ms;
            record.cache_hit = reply.cache_hit;
        }
        Err(e @ LlmError::CacheMiss { .. }) => return Err(e.into()),
        Err(e) => record.error = Some(e.to_string()),
    }
    Ok(record)
}

fn append(file: &Mutex<std::fs::File>, path: &Path, record: &SolveRecord) -> Result<()> {
    let mut line = serde_json::to_string(record).unwrap_or_default();
    line.push('\n');
    let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
    file.write_all(line.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| Error::io(path, e))
}

/// Reads the records of an earlier run. The last record of an id wins. An
/// unreadable line is skipped with a warning, so its item runs again.
fn read_records(path: &Path) -> Result<BTreeMap<String, SolveRecord>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut records = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        match serde_json::from_str::<SolveRecord>(line) {
            Ok(r) => {
                records.insert(r.data_id.clone(), r);
            }
            Err(e) if !line.trim().is_empty() => {
                tracing::warn!(path = %path.display(), line = i + 1, error = %e, "unreadable record skipped; its item runs again");
            }
            Err(_) => {}
        }
    }
    Ok(records)
}

/// Orders ids numerically when they are numbers, else as text.
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

fn write_array(path: &Path, records: &BTreeMap<String, SolveRecord>) -> Result<()> {
    let mut sorted: Vec<&SolveRecord> = records.values().collect();
    sorted.sort_by(|a, b| id_order(&a.data_id, &b.data_id));
    let text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
    write_atomic(path, format!("{text}\n").as_bytes())
}

/// Writes through a hidden temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(|e| Error::io(path, e))
}

/// Worked examples for `{examples}`: the first `k` problems of `ptype` with a
/// solution, from a train file.
///
/// # Errors
/// [`Error::Invalid`] when a problem is not from the train split or fewer
/// than `k` examples exist.
pub fn few_shot_examples(train: &[Problem], ptype: ProblemType, k: usize) -> Result<String> {
    if let Some(p) = train.iter().find(|p| p.data_split != "train") {
        return Err(Error::Invalid(format!(
            "--shots-from contains data_id {} of split '{}'; worked examples come from train.json only",
            p.data_id, p.data_split
        )));
    }
    let mut text = String::new();
    let mut found = 0;
    for p in train.iter().filter(|p| p.ptype == ptype) {
        let solution = match &p.solution {
            crate::data::Solution::One(s) => s.as_str(),
            crate::data::Solution::Many(v) => v.first().map_or("", String::as_str),
        };
        if found == k {
            break;
        }
        if solution.trim().is_empty() {
            continue;
        }
        text.push_str(&format!(
            "Problem: {}\n\nSolution: {}\n\n",
            p.problem,
            solution.trim()
        ));
        found += 1;
    }
    if found < k {
        return Err(Error::Invalid(format!(
            "--shots {k} asks for more {} examples than the train file has ({found}); lower --shots",
            ptype.name()
        )));
    }
    Ok(text)
}

/// Reads `data_id → prompt` from a response file (JSON array, id-keyed
/// object or JSON lines), such as the provided dev responses.
///
/// # Errors
/// [`Error::Io`], [`Error::Json`], or [`Error::Invalid`] for a record without
/// `data_id` or `prompt`.
pub fn load_prompts(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let values: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(items)) => items,
        Ok(Value::Object(map)) => map.into_iter().map(|(_, v)| v).collect(),
        _ => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| Error::Json {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: e.to_string(),
                })
            })
            .collect::<Result<_>>()?,
    };
    let mut prompts = BTreeMap::new();
    for (i, v) in values.iter().enumerate() {
        let id = match &v["data_id"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        match (id.is_empty(), v["prompt"].as_str()) {
            (false, Some(prompt)) => {
                prompts.insert(id, prompt.to_string());
            }
            _ => {
                return Err(Error::Invalid(format!(
                    "{}, record #{}: no data_id or prompt; --prompts-from needs records with both",
                    path.display(),
                    i + 1
                )));
            }
        }
    }
    Ok(prompts)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::llm::fixture::{Fixture, completion};
    use crate::llm::{Cache, CachePolicy, ChatClient, ClientParams};

    fn problem(id: &str, ptype: ProblemType) -> Problem {
        serde_json::from_value(serde_json::json!({
            "data_id": id, "problem": format!("problem {id}"), "type": ptype.name(),
            "answer": "C = 1", "data_split": "dev"
        }))
        .unwrap()
    }

    fn client_of(server: &Fixture, dir: &Path) -> ChatClient {
        let mut p = ClientParams::new(&server.base_url, "m");
        p.cache = Cache {
            dir: dir.join("cache"),
            policy: CachePolicy::Off,
        };
        p.check().unwrap()
    }

    #[test]
    fn torn_last_line_reruns_item() {
        let server = Fixture::start(|_, _| completion("The answer is $C=1$"));
        let dir = tempfile::tempdir().unwrap();
        let client = client_of(&server, dir.path());
        let bound = crate::prompts::load("solve_bound", None).unwrap();
        let relation = crate::prompts::load("solve_relation", None).unwrap();
        let options = SolveOptions {
            bound: &bound,
            relation: &relation,
            examples: BTreeMap::new(),
            prompts: None,
            max_tokens: 16,
            concurrency: 1,
            retry_failed: false,
        };
        let problems: Vec<Problem> = ["1", "2"]
            .iter()
            .map(|id| problem(id, ProblemType::Bound))
            .collect();
        let out = dir.path().join("results.jsonl");
        solve(&client, &problems, &out, &options, &|| {}).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let second_line = text.find('\n').unwrap() + 1;
        let torn = &text[..second_line + 20];
        std::fs::write(&out, torn).unwrap();

        let again = solve(&client, &problems, &out, &options, &|| {}).unwrap();
        assert_eq!((again.resumed, again.ran, again.failed), (1, 1, 0));
        assert_eq!(server.count(), 3);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.ends_with('\n'));
        let ids: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<SolveRecord>(l).unwrap().data_id)
            .collect();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn run_is_resumable_and_sorted() {
        let server = Fixture::start(|body, _| {
            let user = body["messages"][0]["content"].as_str().unwrap_or("");
            if user.contains("problem 2") {
                (401, Vec::new(), "{}".into())
            } else {
                let mut reply = completion("The answer is $C=1$");
                reply.2 = reply.2.replace("\"stop\"", "\"length\"");
                reply
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let mut p = ClientParams::new(&server.base_url, "m");
        p.backoff_base = Duration::from_millis(1);
        p.cache = Cache {
            dir: dir.path().join("cache"),
            policy: CachePolicy::Off,
        };
        let client = p.check().unwrap();
        let bound = crate::prompts::load("solve_bound", None).unwrap();
        let relation = crate::prompts::load("solve_relation", None).unwrap();
        let options = SolveOptions {
            bound: &bound,
            relation: &relation,
            examples: BTreeMap::new(),
            prompts: None,
            max_tokens: 16,
            concurrency: 2,
            retry_failed: false,
        };
        let problems: Vec<Problem> = ["10", "2", "1"]
            .iter()
            .map(|id| problem(id, ProblemType::Bound))
            .collect();
        let out = dir.path().join("run/results.jsonl");
        let first = solve(&client, &problems, &out, &options, &|| {}).unwrap();
        assert_eq!((first.ran, first.failed, first.truncated), (3, 1, 2));
        assert_eq!(server.count(), 3);

        assert!(
            first
                .first_error
                .as_deref()
                .unwrap()
                .starts_with("data_id 2:")
        );

        let second = solve(&client, &problems, &out, &options, &|| {}).unwrap();
        assert_eq!((second.resumed, second.ran, second.failed), (3, 0, 1));
        assert_eq!(server.count(), 3);

        let array: Vec<SolveRecord> =
            serde_json::from_str(&std::fs::read_to_string(&first.array).unwrap()).unwrap();
        let ids: Vec<&str> = array.iter().map(|r| r.data_id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "10"]);
        assert!(!array[1].success);
        assert!(array[1].response.is_empty());
        assert!(array[1].error.is_some());
        assert!(
            array[0].truncated
                && array[0].template_sha256.as_deref() == Some(bound.sha256.as_str())
        );
    }
}
