//! The `compare`, `export` and `report` metadata commands of the binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn ineqmath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ineqmath"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

fn stderr(output: &Output) -> String {
    assert!(!output.status.success(), "the command should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// JSON lines of four bound records with gold C = 1. Record i responds with
/// the constant `constants[i]`.
fn records(constants: [u32; 4]) -> String {
    constants
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{{\"data_id\": \"{i}\", \"problem\": \"Find C.\", \"type\": \"bound\", \"answer\": \"$C = 1$\", \"data_split\": \"dev\", \"prompt\": \"Solve: Find C.\", \"response\": \"The answer is $C = {c}$.\", \"success\": true, \"error\": null}}\n"
            )
        })
        .collect()
}

/// Scores `text` into `dir/name/answer_eval.jsonl` and returns that path.
fn answer_eval(dir: &Path, name: &str, text: &str) -> PathBuf {
    let results = dir.join(format!("{name}.jsonl"));
    std::fs::write(&results, text).unwrap();
    let out = dir.join(name);
    let output = ineqmath(&[
        "score",
        "--results",
        s(&results),
        "--out-dir",
        s(&out),
        "--json",
    ]);
    stdout_json(&output);
    out.join("answer_eval.jsonl")
}

/// Verdicts ours (1, 1, 0, 0) and theirs (1, 0, 0, 0): table [[1, 1], [0, 2]],
/// p_o = 3/4, p_e = (2·1 + 2·3)/16 = 1/2, κ = (3/4 − 1/2)/(1/2) = 1/2.
#[test]
fn compare_reports_agreement_kappa_and_disagreeing_ids() {
    let dir = tempfile::tempdir().unwrap();
    let ours = answer_eval(dir.path(), "ours", &records([1, 1, 2, 2]));
    let theirs = answer_eval(dir.path(), "theirs", &records([1, 3, 2, 2]));

    let json = stdout_json(&ineqmath(&[
        "compare",
        "--ours",
        s(&ours),
        "--theirs",
        s(&theirs),
        "--json",
        "--seed",
        "3",
    ]));
    assert_eq!(json["shared"], 4);
    assert_eq!(json["agree"], 3);
    assert_eq!(json["rate"], 0.75);
    assert!((json["kappa"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(json["table"], serde_json::json!([[1, 1], [0, 2]]));
    assert_eq!(json["disagree"][0]["data_id"], "1");
    assert_eq!(json["disagree"].as_array().unwrap().len(), 1);

    let text = ineqmath(&["compare", "--ours", s(&ours), "--theirs", s(&theirs)]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("kappa 0.5000"), "{text}");
    assert!(text.contains("disagree\t1\t"), "{text}");
}

#[test]
fn compare_without_shared_ids_fails() {
    let dir = tempfile::tempdir().unwrap();
    let ours = answer_eval(dir.path(), "ours", &records([1, 1, 2, 2]));
    let other = records([1, 1, 2, 2]).replace("\"data_id\": \"", "\"data_id\": \"x");
    let theirs = answer_eval(dir.path(), "theirs", &other);

    let err = stderr(&ineqmath(&[
        "compare",
        "--ours",
        s(&ours),
        "--theirs",
        s(&theirs),
    ]));
    assert!(err.contains("share no data_id"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn compare_rejects_a_response_file() {
    let dir = tempfile::tempdir().unwrap();
    let ours = answer_eval(dir.path(), "ours", &records([1, 1, 2, 2]));
    let responses = dir.path().join("ours.jsonl");
    let err = stderr(&ineqmath(&[
        "compare",
        "--ours",
        s(&ours),
        "--theirs",
        s(&responses),
    ]));
    assert!(err.contains("not an answer_eval.jsonl verdict"), "{err}");
}

/// Scores a response file and returns the JSON summary without file names.
fn score_json(results: &Path) -> Value {
    let mut json = stdout_json(&ineqmath(&["score", "--results", s(results), "--json"]));
    json.as_object_mut().unwrap().remove("skipped");
    json
}

#[test]
fn exported_results_json_scores_like_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("run.jsonl");
    std::fs::write(&results, records([1, 3, 2, 1])).unwrap();
    let out = dir.path().join("results.json");

    let json = stdout_json(&ineqmath(&[
        "export",
        "--results",
        s(&results),
        "--format",
        "results-json",
        "--out",
        s(&out),
        "--json",
    ]));
    assert_eq!(json["records"], 4);
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(exported.as_array().unwrap().len(), 4);
    assert_eq!(exported[1]["prompt"], "Solve: Find C.");
    assert_eq!(score_json(&out), score_json(&results));
    assert_eq!(score_json(&out)["bound"]["correct"], 2);
}

#[test]
fn exported_dev_runs_score_like_the_provided_files() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for set in ["zero-shot", "few-shot"] {
        let results = data.join("dev-responses").join(format!("{set}.json"));
        let out = dir.path().join(format!("{set}.json"));
        let output = ineqmath(&[
            "export",
            "--results",
            s(&results),
            "--format",
            "results-json",
            "--out",
            s(&out),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(score_json(&out), score_json(&results), "{set}");

        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
        let exported: Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(exported, original, "{set}: every record kept verbatim");
    }
}

#[test]
fn submission_has_the_five_leaderboard_fields() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("run.jsonl");
    std::fs::write(&results, records([1, 3, 2, 1])).unwrap();
    let out = dir.path().join("submission.json");

    let output = ineqmath(&[
        "export",
        "--results",
        s(&results),
        "--format",
        "submission",
        "--out",
        s(&out),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    for record in exported.as_array().unwrap() {
        let mut keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["data_id", "problem", "prompt", "response", "type"]);
    }
    assert_eq!(exported[1]["response"], "The answer is $C = 3$.");
}

#[test]
fn submission_without_prompt_fails_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("run.jsonl");
    let text = records([1, 1, 1, 1]).replace("\"prompt\": \"Solve: Find C.\", ", "");
    std::fs::write(&results, text).unwrap();
    let out = dir.path().join("submission.json");

    let err = stderr(&ineqmath(&[
        "export",
        "--results",
        s(&results),
        "--format",
        "submission",
        "--out",
        s(&out),
    ]));
    assert!(err.contains("`prompt`"), "{err}");
    assert!(err.contains("\"0\""), "{err}");
    assert!(!out.exists());
}

#[test]
fn export_never_replaces_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("run.jsonl");
    let text = records([1, 1, 2, 2]);
    std::fs::write(&results, &text).unwrap();

    let err = stderr(&ineqmath(&[
        "export",
        "--results",
        s(&results),
        "--format",
        "results-json",
        "--out",
        s(&results),
    ]));
    assert!(err.contains("also an input"), "{err}");
    assert_eq!(std::fs::read_to_string(&results).unwrap(), text);
}

#[test]
fn report_writes_leaderboard_metadata_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let answers = answer_eval(dir.path(), "run", &records([1, 1, 2, 2]));
    let out = dir.path().join("report.json");

    let output = ineqmath(&[
        "report",
        "--answer",
        s(&answers),
        "--model-name",
        "GPT-4o mini",
        "--type",
        "Chat",
        "--model-source",
        "Proprietary",
        "--size",
        "UNK",
        "--source",
        "https://platform.openai.com/docs/models/gpt-4o-mini",
        "--reasoning-effort",
        "not applicable",
        "--date",
        "2024-07-18",
        "--max-tokens",
        "10000",
        "--out",
        s(&out),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let entry = &report["leaderboard"];
    assert_eq!(entry["Type"], "Chat");
    assert_eq!(entry["Model Source"], "Proprietary");
    assert_eq!(entry["Size"], "UNK");
    assert_eq!(
        entry["Source"],
        "https://platform.openai.com/docs/models/gpt-4o-mini"
    );
    assert_eq!(entry["Reasoning effort"], "not applicable");
    assert_eq!(entry["Date"], "2024-07-18");
    assert_eq!(entry["Max Tokens"], 10000);
    assert_eq!(entry["is_correct"]["total"]["correct"], 2);
}

#[test]
fn report_rejects_a_date_in_another_form() {
    let dir = tempfile::tempdir().unwrap();
    let answers = answer_eval(dir.path(), "run", &records([1, 1, 2, 2]));
    let out = dir.path().join("report.json");

    let err = stderr(&ineqmath(&[
        "report",
        "--answer",
        s(&answers),
        "--date",
        "07/18/2024",
        "--out",
        s(&out),
    ]));
    assert!(err.contains("'07/18/2024'"), "{err}");
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    assert!(!out.exists());
}
