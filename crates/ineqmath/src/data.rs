//! Problem files (train, dev, test) and response files.
//!
//! Response files come as a JSON array of records, an object keyed by
//! `data_id` (the reference `results.json`), or JSON lines. Problem files are
//! JSON arrays.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The two subtasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemType {
    /// Find the best constant C.
    Bound,
    /// Choose the relation (A) to (F).
    Relation,
}

impl ProblemType {
    /// Returns the name used in the data.
    pub fn name(self) -> &'static str {
        match self {
            ProblemType::Bound => "bound",
            ProblemType::Relation => "relation",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "bound" => Some(ProblemType::Bound),
            "relation" => Some(ProblemType::Relation),
            _ => None,
        }
    }
}

/// Worked solutions: one string, or a list (train).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Solution {
    /// One solution (`""` in dev and test).
    One(String),
    /// Several solutions.
    Many(Vec<String>),
}

/// One problem of a split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// `"0"`, `"1"`, … unique within a split.
    pub data_id: String,
    /// Problem text with LaTeX.
    pub problem: String,
    /// The subtask.
    #[serde(rename = "type")]
    pub ptype: ProblemType,
    /// Gold answer; `""` in test (hidden).
    pub answer: String,
    /// `"train"`, `"dev"` or `"test"`.
    pub data_split: String,
    /// Worked solutions.
    #[serde(default = "empty_solution")]
    pub solution: Solution,
    /// Theorem annotations: an object, or the string `"{}"` in response files.
    #[serde(default)]
    pub theorems: Value,
    /// The six option strings of a relation problem, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Value>,
}

fn empty_solution() -> Solution {
    Solution::One(String::new())
}

/// Reads a problem file (a JSON array).
///
/// # Errors
/// [`Error::Io`], [`Error::Json`] with the line of the syntax error, or
/// [`Error::DuplicateId`].
pub fn load_problems(path: &Path) -> Result<Vec<Problem>> {
    let text = read(path)?;
    let problems: Vec<Problem> = serde_json::from_str(&text).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        line: e.line(),
        message: e.to_string(),
    })?;
    check_unique(path, problems.iter().map(|p| p.data_id.as_str()))?;
    Ok(problems)
}

/// One model response to score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResponseRecord {
    /// The problem id.
    pub data_id: String,
    /// The subtask.
    #[serde(rename = "type")]
    pub ptype: ProblemType,
    /// The gold answer carried by the record, if any.
    pub answer: Option<String>,
    /// The model output; `None` for JSON `null`.
    pub response: Option<String>,
    /// The solver's error, if any (JSON `null`, `false`, `""`, `0`, `[]` and `{}` mean none).
    pub error: Option<Value>,
    /// The split, if given.
    pub data_split: Option<String>,
    /// The problem text, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl ResponseRecord {
    /// Returns true if `error` contains a value that Python treats as true.
    pub fn has_error(&self) -> bool {
        match &self.error {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(o)) => !o.is_empty(),
        }
    }
}

/// A malformed record that was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its `data_id`, or `#N` for the N-th record (1-based) without one.
    pub record: String,
    /// The problem.
    pub reason: String,
}

/// The records of a response file and the malformed ones skipped.
#[derive(Clone, Debug, Default)]
pub struct Responses {
    /// Valid records, in file order.
    pub records: Vec<ResponseRecord>,
    /// Skipped records (only with `skip_malformed`).
    pub skipped: Vec<Skipped>,
}

/// Reads a response file: a JSON array, an object keyed by `data_id`, or JSON lines.
///
/// A malformed record (missing `type` or `response`, unknown `type`, a field of
/// the wrong type) is an error. With `skip_malformed` it is skipped and listed.
///
/// # Errors
/// [`Error::Io`], [`Error::Json`] (file and line), [`Error::Record`],
/// [`Error::DuplicateId`].
pub fn load_responses(path: &Path, skip_malformed: bool) -> Result<Responses> {
    let text = read(path)?;
    let raw = raw_records(path, &text)?;
    let mut out = Responses::default();
    for (position, key, value) in raw {
        match record(key.as_deref(), value) {
            Ok(r) => out.records.push(r),
            Err((id, problem)) => {
                if !skip_malformed {
                    let record = id.as_ref().map_or_else(
                        || format!("#{position} (1-based position)"),
                        |id| format!("data_id {id}"),
                    );
                    return Err(Error::Record {
                        path: path.to_path_buf(),
                        record,
                        problem,
                    });
                }
                let record = id.unwrap_or_else(|| format!("#{position}"));
                out.skipped.push(Skipped {
                    record,
                    reason: problem,
                });
            }
        }
    }
    check_unique(path, out.records.iter().map(|r| r.data_id.as_str()))?;
    Ok(out)
}

/// Reads a response file like [`load_responses`] (no skipping) and returns
/// each record's JSON object verbatim, in file order, with `data_id` set from
/// the map key where the record lacks one.
///
/// # Errors
/// As [`load_responses`].
pub fn load_raw_responses(path: &Path) -> Result<Vec<Map<String, Value>>> {
    let text = read(path)?;
    let mut out = Vec::new();
    for (position, key, value) in raw_records(path, &text)? {
        let checked = record(key.as_deref(), value.clone()).map_err(|(id, problem)| {
            let record = id.map_or_else(
                || format!("#{position} (1-based position)"),
                |id| format!("data_id {id}"),
            );
            Error::Record {
                path: path.to_path_buf(),
                record,
                problem,
            }
        })?;
        let Value::Object(mut map) = value else {
            return Err(Error::Record {
                path: path.to_path_buf(),
                record: format!("#{position} (1-based position)"),
                problem: "the record is not a JSON object".into(),
            });
        };
        if matches!(map.get("data_id"), None | Some(Value::Null)) {
            map.insert("data_id".into(), Value::String(checked.data_id));
        }
        out.push(map);
    }
    let ids: Vec<String> = out.iter().map(|m| id_text(&m["data_id"])).collect();
    check_unique(path, ids.iter().map(String::as_str))?;
    Ok(out)
}

/// Formats a validated `data_id` (a string or an integer) as text.
fn id_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads a UTF-8 file, dropping a leading byte-order mark.
fn read(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

fn check_unique<'a>(path: &Path, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(Error::DuplicateId {
                path: path.to_path_buf(),
                data_id: id.to_string(),
            });
        }
    }
    Ok(())
}

/// (1-based position, map key, record) triples.
type RawRecords = Vec<(usize, Option<String>, Value)>;

fn raw_records(path: &Path, text: &str) -> Result<RawRecords> {
    let json_error = |line: usize, e: serde_json::Error| Error::Json {
        path: path.to_path_buf(),
        line,
        message: e.to_string(),
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, None, v))
            .collect()),
        Ok(Value::Object(map)) if looks_like_record(&map) => {
            Ok(vec![(1, None, Value::Object(map))])
        }
        Ok(Value::Object(map)) => Ok(map
            .into_iter()
            .enumerate()
            .map(|(i, (k, v))| (i + 1, Some(k), v))
            .collect()),
        Ok(_) => Err(Error::Json {
            path: path.to_path_buf(),
            line: 1,
            message: "the top level is neither an array nor an object".into(),
        }),
        Err(e) if text.trim_start().starts_with('{') && e.is_data() => Err(json_error(e.line(), e)),
        Err(_) if text.trim_start().starts_with('{') => {
            json_lines(text).map_err(|(line, e)| json_error(line, e))
        }
        Err(e) => Err(json_error(e.line(), e)),
    }
}

fn looks_like_record(map: &Map<String, Value>) -> bool {
    map.contains_key("response") || map.contains_key("type")
}

fn json_lines(text: &str) -> std::result::Result<RawRecords, (usize, serde_json::Error)> {
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|e| (i + 1, e))?;
        records.push((records.len() + 1, None, value));
    }
    Ok(records)
}

type RecordError = (Option<String>, String);

fn record(key: Option<&str>, value: Value) -> std::result::Result<ResponseRecord, RecordError> {
    let Value::Object(map) = value else {
        return Err((
            key.map(str::to_string),
            "the record is not a JSON object".into(),
        ));
    };
    let data_id = match (map.get("data_id"), key) {
        (Some(Value::String(s)), _) => s.clone(),
        (Some(Value::Number(n)), _) => n.to_string(),
        (None | Some(Value::Null), Some(k)) => k.to_string(),
        (None | Some(Value::Null), None) => return Err((None, "missing field `data_id`".into())),
        (Some(other), _) => {
            return Err((
                key.map(str::to_string),
                format!("data_id {other} is not a string or an integer"),
            ));
        }
    };
    let id = Some(data_id.clone());
    let ptype = match map.get("type") {
        Some(Value::String(s)) => ProblemType::parse(s).ok_or_else(|| {
            (
                id.clone(),
                format!("unknown type '{s}'; use \"bound\" or \"relation\""),
            )
        })?,
        Some(_) => return Err((id, "field `type` is not a string".into())),
        None => return Err((id, "missing field `type`".into())),
    };
    let response = match map.get("response") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => None,
        Some(_) => return Err((id, "field `response` is not a string or null".into())),
        None => return Err((id, "missing field `response`".into())),
    };
    let answer = optional_string(&map, "answer").map_err(|m| (id.clone(), m))?;
    let data_split = optional_string(&map, "data_split").map_err(|m| (id.clone(), m))?;
    let problem = optional_string(&map, "problem").map_err(|m| (id.clone(), m))?;
    Ok(ResponseRecord {
        data_id,
        problem,
        ptype,
        answer,
        response,
        error: map.get("error").cloned(),
        data_split,
    })
}

fn optional_string(
    map: &Map<String, Value>,
    field: &str,
) -> std::result::Result<Option<String>, String> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("field `{field}` is not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    const RECORD: &str = r#"{"data_id": "0", "type": "bound", "answer": "$C = 4$", "response": "answer is $C=4$", "error": null}"#;

    #[test]
    fn array_map_and_lines_agree() {
        let array = file(&format!("[{RECORD}]"));
        let map = file(&format!("{{\"0\": {RECORD}}}"));
        let lines = file(&format!(
            "{RECORD}\n\n{}\n",
            RECORD.replace("\"0\"", "\"1\"")
        ));
        let a = load_responses(array.path(), false).unwrap();
        let m = load_responses(map.path(), false).unwrap();
        let l = load_responses(lines.path(), false).unwrap();
        assert_eq!(a.records, m.records);
        assert_eq!(l.records.len(), 2);
        assert_eq!(l.records[0], a.records[0]);
    }

    #[test]
    fn bad_json_line_is_named() {
        let f = file(&format!("{RECORD}\n{{\"data_id\": \n"));
        match load_responses(f.path(), false) {
            Err(Error::Json { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected a JSON error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_record_is_error_or_skipped() {
        let bad = r#"{"data_id": "7", "type": "proof", "response": "x"}"#;
        let f = file(&format!("[{RECORD}, {bad}]"));
        let err = load_responses(f.path(), false).unwrap_err();
        assert!(err.to_string().contains("unknown type 'proof'"), "{err}");
        let loaded = load_responses(f.path(), true).unwrap();
        assert_eq!(loaded.records.len(), 1);
        assert_eq!(loaded.skipped.len(), 1);
        assert_eq!(loaded.skipped[0].record, "7");
    }

    #[test]
    fn duplicate_id_is_an_error() {
        let f = file(&format!("[{RECORD}, {RECORD}]"));
        assert!(matches!(
            load_responses(f.path(), true),
            Err(Error::DuplicateId { .. })
        ));
    }

    #[test]
    fn python_truthiness_of_error() {
        let mut r = load_responses(file(&format!("[{RECORD}]")).path(), false)
            .unwrap()
            .records
            .remove(0);
        assert!(!r.has_error());
        r.error = Some(Value::String("timeout".into()));
        assert!(r.has_error());
        r.error = Some(Value::String(String::new()));
        assert!(!r.has_error());
    }
}
