//! Response files in the two shapes the IneqMath tools read: the leaderboard
//! submission and the reference `results.json`.
//!
//! The leaderboard takes one JSON file whose records carry at least
//! `data_id`, `problem`, `type`, `prompt` and `response` (lupantech/ineqmath
//! README, "Submit the results to the leaderboard"). The reference
//! `results.json` is a JSON array of full records, from `data_id`, `problem`
//! and `answer` to `prompt`, `response`, `success` and `error`. The export
//! keeps every field of the input record verbatim.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The output shape of [`export`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Array of `{data_id, problem, type, prompt, response}` records.
    Submission,
    /// Array of the records with all their fields.
    ResultsJson,
}

/// The fields of a leaderboard submission record, in order.
pub const SUBMISSION_FIELDS: [&str; 5] = ["data_id", "problem", "type", "prompt", "response"];

/// Converts validated response records (as [`crate::data::load_raw_responses`]
/// returns them) into a JSON array of `format`.
///
/// # Errors
/// [`Error::Invalid`] for a submission record without a `problem` or
/// `prompt` string, naming the record.
pub fn export(records: &[Map<String, Value>], format: ExportFormat) -> Result<Value> {
    let out = match format {
        ExportFormat::ResultsJson => records.iter().cloned().map(Value::Object).collect(),
        ExportFormat::Submission => records
            .iter()
            .map(submission_record)
            .collect::<Result<Vec<_>>>()?,
    };
    Ok(Value::Array(out))
}

/// Keeps the five submission fields of one record.
fn submission_record(record: &Map<String, Value>) -> Result<Value> {
    let mut out = Map::new();
    for field in SUBMISSION_FIELDS {
        match record.get(field) {
            Some(Value::Null) | None if field == "response" => {
                out.insert(field.into(), Value::String(String::new()));
            }
            Some(value @ (Value::String(_) | Value::Number(_))) => {
                out.insert(field.into(), value.clone());
            }
            _ => {
                return Err(Error::Invalid(format!(
                    "record data_id {} is missing the `{field}` string that the leaderboard submission requires; export the results file that `ineqmath solve` writes, or add the field",
                    record.get("data_id").map_or("?".into(), Value::to_string)
                )));
            }
        }
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(prompt: Option<&str>) -> Map<String, Value> {
        let mut value = json!({
            "data_id": "3", "problem": "p", "type": "bound", "answer": "$C = 1$",
            "response": "The answer is $C = 1$.", "success": true, "error": null
        });
        if let Some(p) = prompt {
            value["prompt"] = json!(p);
        }
        value.as_object().unwrap().clone()
    }

    #[test]
    fn submission_keeps_five_fields() {
        let out = export(&[record(Some("q"))], ExportFormat::Submission).unwrap();
        let mut keys: Vec<&str> = out[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["data_id", "problem", "prompt", "response", "type"]);
        assert_eq!(out[0]["prompt"], "q");
        assert_eq!(out[0]["response"], "The answer is $C = 1$.");
    }

    #[test]
    fn submission_without_prompt_names_the_record() {
        let err = export(&[record(None)], ExportFormat::Submission).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"3\""), "{text}");
        assert!(text.contains("`prompt`"), "{text}");
    }

    #[test]
    fn results_json_keeps_every_field() {
        let input = record(Some("q"));
        let out = export(std::slice::from_ref(&input), ExportFormat::ResultsJson).unwrap();
        assert_eq!(out[0], Value::Object(input));
    }
}
