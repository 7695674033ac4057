//! The `ineqmath` binary: the acceptance command, output files and errors.

mod common;

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

#[test]
fn score_acceptance_on_provided_runs() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let gold = data.join("dev.json");
    for (set, bound, relation) in [("zero-shot", 30, 24), ("few-shot", 32, 23)] {
        let results = data.join("dev-responses").join(format!("{set}.json"));
        let output = ineqmath(&[
            "score",
            "--results",
            results.to_str().unwrap(),
            "--gold",
            gold.to_str().unwrap(),
            "--answer-judge",
            "det",
            "--json",
        ]);
        let json = stdout_json(&output);
        assert_eq!(json["bound"]["correct"], bound, "{set}");
        assert_eq!(json["bound"]["total"], 50, "{set}");
        assert_eq!(json["relation"]["correct"], relation, "{set}");
        assert_eq!(json["relation"]["total"], 50, "{set}");
        assert_eq!(json["all"]["correct"], bound + relation, "{set}");
        assert_eq!(
            json["all"]["accuracy"],
            f64::from(bound + relation),
            "{set}"
        );
        assert_eq!(json["llm_calls"], 0, "{set}");
    }
}

const RECORDS: &str = r#"[
 {"data_id": "0", "type": "bound", "answer": "$C = \\frac{1}{2}$", "response": "So the answer is $C = 0.5$."},
 {"data_id": "1", "type": "relation", "answer": "(B) $\\geq$", "response": "The answer is (B) $\\geq$."},
 {"data_id": "2", "type": "bound", "answer": "$C = \\sqrt{2}$", "response": "The answer is $C = 1.41421356$."},
 {"data_id": "3", "type": "bound", "answer": "$C = 1$", "response": null}
]"#;

#[test]
fn score_writes_outputs_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(&results, RECORDS).unwrap();
    let out_dir = dir.path().join("out");
    let output = ineqmath(&[
        "score",
        "--results",
        results.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    let json = stdout_json(&output);
    assert_eq!(json["all"]["correct"], 2);
    assert_eq!(json["all"]["empty_responses"], 1);
    assert_eq!(json["methods"]["rational_vs_irrational"], 1);

    let lines = std::fs::read_to_string(out_dir.join("answer_eval.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 4);
    let scores: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("scores.json")).unwrap())
            .unwrap();
    assert_eq!(scores["test"]["bound"]["correct"], 1);
}

#[test]
fn malformed_file_fails_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.jsonl");
    std::fs::write(&results, "{\"data_id\": \"0\", \"type\": \"bound\", \"response\": \"x\", \"answer\": \"$C=1$\"}\n{oops\n").unwrap();
    let out_dir = dir.path().join("out");
    let output = ineqmath(&[
        "score",
        "--results",
        results.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
    assert!(!out_dir.exists());
}

#[test]
fn skip_malformed_counts_records() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let text = RECORDS.replace("\"type\": \"relation\"", "\"kind\": \"relation\"");
    std::fs::write(&results, text).unwrap();
    let failed = ineqmath(&["score", "--results", results.to_str().unwrap()]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("missing field `type`"));

    let output = ineqmath(&[
        "score",
        "--results",
        results.to_str().unwrap(),
        "--skip-malformed",
        "--json",
    ]);
    let json = stdout_json(&output);
    assert_eq!(json["skipped"].as_array().unwrap().len(), 1);
    // The skipped record stays in the denominator as an incorrect item.
    assert_eq!(json["all"]["total"], 4);
    assert_eq!(json["relation"]["total"], 0);
}

#[test]
fn hidden_test_answers_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(
        &results,
        r#"[{"data_id": "0", "type": "bound", "answer": "", "data_split": "test", "response": "answer is $C=1$"}]"#,
    )
    .unwrap();
    let output = ineqmath(&["score", "--results", results.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("hidden"));
}

#[test]
fn equiv_and_extract_commands() {
    let json = stdout_json(&ineqmath(&[
        "equiv",
        "C=\\frac{1}{\\sqrt2}",
        "C=\\frac{\\sqrt2}{2}",
        "--json",
    ]));
    assert_eq!(json["equal"], true);
    assert_eq!(json["method"], "numeric");

    let text = "answer is (D) since x = 1";
    let parity = stdout_json(&ineqmath(&[
        "extract", "--type", "relation", "--parity", "--text", text, "--json",
    ]));
    assert_eq!(parity["extracted"], "(C) $=$");
    let strict = stdout_json(&ineqmath(&[
        "extract", "--type", "relation", "--text", text, "--json",
    ]));
    assert_eq!(strict["extracted"], "(D) $<$");
}

#[test]
fn missing_gold_items_count_incorrect() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let all: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(data.join("dev-responses/zero-shot.json")).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("two.jsonl");
    let lines: Vec<String> = all[..2].iter().map(|r| r.to_string()).collect();
    std::fs::write(&results, lines.join("\n")).unwrap();
    let gold = data.join("dev.json");
    let args = [
        "score",
        "--results",
        results.to_str().unwrap(),
        "--gold",
        gold.to_str().unwrap(),
        "--json",
    ];

    let strict = stdout_json(&ineqmath(&args));
    assert_eq!(strict["all"]["total"], 100);
    assert_eq!(strict["all"]["correct"], 2);
    assert_eq!(strict["missing"].as_array().unwrap().len(), 98);
    assert_eq!(strict["all"]["empty_responses"], 0);

    let mut parity_args = args.to_vec();
    parity_args.push("--parity");
    let parity = stdout_json(&ineqmath(&parity_args));
    assert_eq!(parity["all"]["total"], 2);
    assert_eq!(parity["missing"].as_array().unwrap().len(), 0);
}

#[test]
fn report_from_answer_eval() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(&results, RECORDS).unwrap();
    let out_dir = dir.path().join("out");
    let scored = ineqmath(&[
        "score",
        "--results",
        results.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert!(scored.status.success());

    let answer = out_dir.join("answer_eval.jsonl");
    let json = stdout_json(&ineqmath(&[
        "report",
        "--answer",
        answer.to_str().unwrap(),
        "--model-name",
        "m",
        "--max-tokens",
        "10000",
    ]));
    assert_eq!(json["schema"], "ineqmath-report/1");
    assert_eq!(json["leaderboard"]["Max Tokens"], 10000);
    assert_eq!(json["leaderboard"]["is_correct"]["total"]["correct"], 2);
    assert_eq!(json["leaderboard"]["is_correct"]["total"]["incorrect"], 2);
    assert_eq!(json["leaderboard"]["is_correct"]["bound"]["accuracy"], 33.3);
    assert!(json["leaderboard"].get("all_true").is_none());

    let md = ineqmath(&[
        "report",
        "--answer",
        answer.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    let text = String::from_utf8(md.stdout).unwrap();
    assert!(
        text.contains("| unknown |  | n/a | 50.0 | 33.3 | 100.0 | n/a | n/a | n/a | n/a |"),
        "{text}"
    );
}

#[test]
fn outputs_never_replace_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("answer_eval.jsonl");
    std::fs::write(&results, RECORDS).unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let output = ineqmath(&[
        "score",
        "--results",
        results.to_str().unwrap(),
        "--out-dir",
        out_dir,
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("also an input"));
    assert_eq!(std::fs::read_to_string(&results).unwrap(), RECORDS);

    let answer = dir.path().join("eval.jsonl");
    std::fs::write(&answer, "{}\n").unwrap();
    let path = answer.to_str().unwrap();
    let output = ineqmath(&["report", "--answer", path, "--out", path]);
    assert!(!output.status.success());
    assert_eq!(std::fs::read_to_string(&answer).unwrap(), "{}\n");
}

#[test]
fn gold_of_another_split_is_refused() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let results = data.join("dev-responses").join("zero-shot.json");
    let train = data.join("train.json");
    let output = ineqmath(&[
        "score",
        "--results",
        results.to_str().unwrap(),
        "--gold",
        train.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in the gold file"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra.json");
    let record = r#"[{"data_id": "100000", "type": "bound", "response": "C = 1"}]"#;
    std::fs::write(&extra, record).unwrap();
    let dev = data.join("dev.json");
    let output = ineqmath(&[
        "score",
        "--results",
        extra.to_str().unwrap(),
        "--gold",
        dev.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not in the gold file"), "{stderr}");

    let other = r#"[{"data_id": "0", "type": "bound", "problem": "Another problem.", "response": "C = 1"}]"#;
    std::fs::write(&extra, other).unwrap();
    let output = ineqmath(&[
        "score",
        "--results",
        extra.to_str().unwrap(),
        "--gold",
        dev.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("with another problem text"), "{stderr}");
}

#[test]
fn skipped_and_empty_results_scoring() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let records = r#"[
 {"data_id": "0", "type": "bound", "answer": "$C = 1$", "response": "The answer is $C = 1$."},
 {"data_id": "1", "type": "proof", "answer": "$C = 1$", "response": "x"}
]"#;
    std::fs::write(&results, records).unwrap();
    let path = results.to_str().unwrap();
    let json = stdout_json(&ineqmath(&[
        "score",
        "--results",
        path,
        "--skip-malformed",
        "--json",
    ]));
    assert_eq!(json["all"]["total"], 2);
    assert_eq!(json["all"]["correct"], 1);
    assert_eq!(json["all"]["accuracy"], 50.0);

    std::fs::write(&results, "[]").unwrap();
    let output = ineqmath(&["score", "--results", path]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("contains no records"));
}

#[test]
fn error_messages_name_the_fix_once() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent.json");
    let output = ineqmath(&["score", "--results", absent.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");

    let results = dir.path().join("results.json");
    std::fs::write(&results, r#"[{"type": "bound", "response": "x"}]"#).unwrap();
    let output = ineqmath(&["score", "--results", results.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(stderr.contains("record #1 (1-based position)"), "{stderr}");

    std::fs::write(&results, RECORDS).unwrap();
    let output = ineqmath(&["report", "--answer", results.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        stderr.contains("not an answer_eval.jsonl verdict"),
        "{stderr}"
    );

    let output = ineqmath(&["data", "stats", "--data-dir", results.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(stderr.contains("is a file"), "{stderr}");
}

#[test]
fn bom_and_markdown_model_name() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(&results, format!("\u{feff}{RECORDS}")).unwrap();
    let out_dir = dir.path().join("out");
    let json = stdout_json(&ineqmath(&[
        "score",
        "--results",
        results.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(json["all"]["total"], 4);

    let answer = out_dir.join("answer_eval.jsonl");
    let output = ineqmath(&[
        "report",
        "--answer",
        answer.to_str().unwrap(),
        "--model-name",
        "a|b",
        "--format",
        "markdown",
    ]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("| a\\|b |"));
}

#[test]
fn test_split_gold_rejected() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let results = data.join("dev-responses").join("zero-shot.json");
    let test = data.join("test.json");
    let output = ineqmath(&[
        "score",
        "--results",
        results.to_str().unwrap(),
        "--gold",
        test.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("test split hides them"), "{stderr}");
}
