//! The LLM commands of the `ineqmath` binary that need no model: template
//! hashes, the deterministic computation judge, cache-only replay errors,
//! missing server settings, the output guard of `solve`, and `solve` against
//! a server that rejects every request.
#![cfg(feature = "llm")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};

use serde_json::Value;

/// A port on which nothing listens. No test here opens a connection to it.
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

const PROBLEMS: &str = r#"[{"data_id": "7", "problem": "Find C.", "type": "bound",
  "answer": "$C = 2$", "data_split": "dev"}]"#;

/// Starts a server on 127.0.0.1 that replies to every request with `status`
/// and `body`, and returns its base URL.
fn server(status: &'static str, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut request = vec![0; length];
            let _ = reader.read_exact(&mut request);
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = reader.get_mut().write_all(reply.as_bytes());
        }
    });
    format!("http://127.0.0.1:{port}/v1")
}

/// Starts a server that rejects every request with 401, a status the client
/// does not retry, and returns its base URL.
fn rejecting_server() -> String {
    server("401 Unauthorized", "{}".into())
}

/// Starts a server whose every reply is a passing toy-case verdict, and
/// returns its base URL.
fn passing_judge_server() -> String {
    let content = r#"{"analysis": "fine", "flagged_step": "", "acceptable": true}"#;
    let body = serde_json::json!({
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}]
    });
    server("200 OK", body.to_string())
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

#[test]
fn solve_rejects_input_as_output() {
    let dir = tempfile::tempdir().unwrap();
    let problems = dir.path().join("dev.json");
    std::fs::write(&problems, PROBLEMS).unwrap();
    let out = dir.path().join("dev.jsonl");
    let output = ineqmath(&[
        "solve",
        "--problems",
        problems.to_str().unwrap(),
        "--base-url",
        NO_SERVER,
        "--model",
        "m",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is also an input"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&problems).unwrap(), PROBLEMS);
    assert!(!out.exists());
}

#[test]
fn solve_failures_exit_1_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    let problems = dir.path().join("dev.json");
    std::fs::write(&problems, PROBLEMS).unwrap();
    let out = dir.path().join("run.jsonl");
    let base_url = rejecting_server();
    let args = [
        "solve",
        "--problems",
        problems.to_str().unwrap(),
        "--base-url",
        &base_url,
        "--model",
        "m",
        "--no-cache",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    let first = ineqmath(&args);
    assert_eq!(first.status.code(), Some(1));
    let message = stderr(&first);
    assert!(message.contains("1 of 1 items failed"), "{message}");
    assert!(message.contains("data_id 7"), "{message}");
    assert!(message.contains("401"), "{message}");
    let record: Value =
        serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
    assert_eq!(record["success"], false);

    let second = ineqmath(&args);
    assert_eq!(second.status.code(), Some(1));
    let summary: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(
        (summary["resumed"].as_u64(), summary["failed"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn offline_commands_need_no_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(&results, RESPONSES).unwrap();
    let out = dir.path().join("step_eval.jsonl");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "judge",
            "--results",
            results.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_ineqmath"))
            .args(&args)
            .env_remove("OPENAI_BASE_URL")
            .env_remove("INEQMATH_MODEL")
            .output()
            .unwrap()
    };

    let det = run(&["--judges", "calc", "--calc-extract", "det"]);
    assert!(det.status.success(), "{}", stderr(&det));

    let cache = dir.path().join("cache");
    let cache = cache.to_str().unwrap();
    let replay = [
        "--judges",
        "toy",
        "--model",
        "m",
        "--cache-only",
        "--cache-dir",
        cache,
    ];
    let no_namespace = run(&replay);
    assert_eq!(no_namespace.status.code(), Some(1));
    assert!(
        stderr(&no_namespace).contains("--cache-namespace"),
        "{}",
        stderr(&no_namespace)
    );

    let base_url = passing_judge_server();
    let fill = run(&[
        "--judges",
        "toy",
        "--model",
        "m",
        "--cache-dir",
        cache,
        "--base-url",
        &base_url,
    ]);
    assert!(fill.status.success(), "{}", stderr(&fill));

    let mut with_namespace = replay.to_vec();
    let namespace = format!("{base_url}/chat/completions");
    with_namespace.extend(["--cache-namespace", &namespace, "--json"]);
    let hit = run(&with_namespace);
    assert!(hit.status.success(), "{}", stderr(&hit));
    let summary: Value = serde_json::from_slice(&hit.stdout).unwrap();
    assert_eq!(summary["toy_case_judge"]["cache_hits"], 2, "{summary}");
    assert_eq!(summary["toy_case_judge"]["pass"], 2, "{summary}");
}
