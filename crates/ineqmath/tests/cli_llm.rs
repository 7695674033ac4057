//! The LLM commands of the `ineqmath` binary that need no server: template
//! hashes, the deterministic computation judge, cache-only replay errors and
//! missing server settings.
#![cfg(feature = "llm")]

use std::process::{Command, Output};

use serde_json::Value;

/// A port on which nothing listens; no test here opens a connection.
const NO_SERVER: &str = "http://127.0.0.1:9/v1";

const RESPONSES: &str = r#"[
 {"data_id": "0", "type": "bound", "answer": "$C = 2$", "problem": "Find C.",
  "response": "We get $2^{10} = 1024 = 1000$, so the answer is $C=2$."},
 {"data_id": "1", "type": "relation", "answer": "(B) $\\geq$", "problem": "Compare.",
  "response": "Since $3 \\cdot 4 = 12$, the answer is (B) $\\geq$."}
]"#;

fn ineqmath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ineqmath"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn prompts_hash_lists_every_template() {
    let output = ineqmath(&["prompts", "hash", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let map = json.as_object().unwrap();
    assert_eq!(map.len(), 9);
    for (name, hash) in map {
        assert_eq!(hash.as_str().unwrap().len(), 64, "{name}");
    }
}

#[test]
fn deterministic_calc_judge_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(&results, RESPONSES).unwrap();
    let out = dir.path().join("step_eval.jsonl");
    let cache = dir.path().join("cache");
    let output = ineqmath(&[
        "judge",
        "--results",
        results.to_str().unwrap(),
        "--judges",
        "calc",
        "--calc-extract",
        "det",
        "--base-url",
        NO_SERVER,
        "--model",
        "m",
        "--cache-dir",
        cache.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], "computation");
    assert_eq!(lines[0]["pass"], false);
    assert_eq!(lines[0]["checks"].as_array().unwrap().len(), 2);
    assert_eq!(lines[1]["pass"], true);
    assert!(!cache.exists());
}

#[test]
fn cache_only_miss_names_item_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(&results, RESPONSES).unwrap();
    let out = dir.path().join("step_eval.jsonl");
    let cache = dir.path().join("cache");
    let output = ineqmath(&[
        "judge",
        "--results",
        results.to_str().unwrap(),
        "--judges",
        "toy",
        "--base-url",
        NO_SERVER,
        "--model",
        "m",
        "--cache-only",
        "--cache-dir",
        cache.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("item 0"), "{message}");
    assert!(message.contains("--cache-only"), "{message}");
    assert!(!out.exists());
}

#[test]
fn llm_commands_need_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(&results, RESPONSES).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ineqmath"))
        .args([
            "score",
            "--results",
            results.to_str().unwrap(),
            "--answer-judge",
            "hybrid",
        ])
        .env_remove("OPENAI_BASE_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--base-url"),
        "{}",
        stderr(&output)
    );

    let output = ineqmath(&[
        "judge",
        "--results",
        results.to_str().unwrap(),
        "--judges",
        "toy,nope",
        "--base-url",
        NO_SERVER,
        "--model",
        "m",
        "--out",
        "x.jsonl",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("'nope'"), "{}", stderr(&output));
}
