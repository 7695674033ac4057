//! The two provided GPT-4o-mini dev runs: per-item verdicts, aggregates and
//! `scores.json` equal the reference under both rule sets, with no LLM call.
//! Also checksums, split counts and gold classification of the data.

mod common;

use std::path::Path;

use ineqmath::data::{ProblemType, load_problems};
use ineqmath::latex::{Answer, parse_answer};
use ineqmath::run::{ScoreOptions, score_file};
use ineqmath::stats::split_stats;
use ineqmath::{Rules, equivalent, equivalent_str};
use serde_json::Value;

const SETS: [&str; 2] = ["zero-shot", "few-shot"];

fn check_run(data: &Path, expected: &Value, set: &str, rules: Rules) {
    let results = data.join("dev-responses").join(format!("{set}.json"));
    let options = ScoreOptions {
        rules,
        skip_malformed: false,
    };
    let run = score_file(&results, None, options).unwrap();
    let aggregate = &expected["aggregate"];
    let label = format!("{set} {}", rules.name());

    assert_eq!(run.llm_calls, 0, "{label}");
    assert_eq!(
        run.bound.correct as u64,
        aggregate["bound"]["correct"].as_u64().unwrap(),
        "{label}"
    );
    assert_eq!(
        run.relation.correct as u64,
        aggregate["relation"]["correct"].as_u64().unwrap(),
        "{label}"
    );
    assert_eq!(
        run.all.correct as u64,
        aggregate["all"]["correct"].as_u64().unwrap(),
        "{label}"
    );
    assert_eq!(
        serde_json::to_value(&run.scores).unwrap(),
        expected["scores_json"],
        "{label}"
    );

    let items = expected["items"].as_array().unwrap();
    assert_eq!(run.evals.len(), items.len(), "{label}");
    for (eval, item) in run.evals.iter().zip(items) {
        let id = item["data_id"].as_str().unwrap();
        assert_eq!(eval.data_id, id, "{label}");
        assert_eq!(
            eval.is_correct,
            item["is_correct"].as_bool().unwrap(),
            "{label} item {id}"
        );
        let extracted = eval.extracted.as_deref().unwrap_or("");
        let want = item["expected_extracted"].as_str().unwrap();
        match eval.ptype {
            ProblemType::Bound => {
                let verdict = equivalent_str(want, extracted);
                assert!(
                    verdict.equal,
                    "{label} item {id}: extracted {extracted}, expected {want}"
                );
            }
            ProblemType::Relation => {
                assert_eq!(&extracted[1..2], want, "{label} item {id}");
            }
        }
        if rules == Rules::Parity {
            assert_eq!(
                eval.answer_sentence,
                item["answer_sentence_parity"].as_str().unwrap(),
                "item {id}"
            );
        }
    }
}

#[test]
fn provided_runs_match_reference() {
    let (Some(data), Some(golden)) = (common::data_dir(), common::golden_json("dev_expected.json"))
    else {
        return;
    };
    for set in SETS {
        for rules in [Rules::Strict, Rules::Parity] {
            check_run(&data, &golden["sets"][set], set, rules);
        }
    }
}

fn sha256_hex(path: &Path) -> String {
    let output = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn data_checksums_and_sizes() {
    let (Some(data), Some(golden)) = (common::data_dir(), common::golden_json("checksums.json"))
    else {
        return;
    };
    if std::process::Command::new("sha256sum")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("skipped: sha256sum not found");
        return;
    }
    for (name, entry) in golden["data"].as_object().unwrap() {
        let path = data.join(name);
        let bytes = std::fs::metadata(&path).unwrap().len();
        assert_eq!(bytes, entry["bytes"].as_u64().unwrap(), "{name}");
        assert_eq!(
            sha256_hex(&path),
            entry["sha256"].as_str().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn split_counts() {
    let Some(data) = common::data_dir() else {
        return;
    };
    for (split, bound, relation) in [("train", 626, 626), ("dev", 50, 50), ("test", 96, 104)] {
        let problems = load_problems(&data.join(format!("{split}.json"))).unwrap();
        let n_bound = problems
            .iter()
            .filter(|p| p.ptype == ProblemType::Bound)
            .count();
        assert_eq!(n_bound, bound, "{split}");
        assert_eq!(problems.len() - n_bound, relation, "{split}");
    }
}

#[test]
fn dev_bound_golds_are_self_equivalent_constants() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let problems = load_problems(&data.join("dev.json")).unwrap();
    for p in problems.iter().filter(|p| p.ptype == ProblemType::Bound) {
        let answer = parse_answer(&p.answer);
        let Answer::Single(part) = &answer else {
            panic!("dev gold {} is not a single constant", p.data_id);
        };
        let expr = part
            .expr
            .as_ref()
            .unwrap_or_else(|e| panic!("dev gold {} does not parse: {e}", p.data_id));
        assert!(
            expr.variables().is_empty(),
            "dev gold {} has a variable",
            p.data_id
        );
        // Parentheses make the strings differ, so the value comparison decides.
        let wrapped = parse_answer(&format!("({})", part.rhs));
        let verdict = equivalent(&answer, &wrapped);
        assert!(verdict.equal, "dev gold {}: {verdict:?}", p.data_id);
        assert_ne!(verdict.method.name(), "string", "dev gold {}", p.data_id);
    }
}

#[test]
fn train_gold_classification() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let problems = load_problems(&data.join("train.json")).unwrap();
    let stats = split_stats(&problems);
    let kinds = &stats.bound_golds;
    assert_eq!(kinds.get("constant"), Some(&584));
    // One parameter gold, `\frac{x_1 + x_2 + \cdots + x_n}{n}`, has an ellipsis and does not parse.
    assert_eq!(kinds.get("symbolic"), Some(&34));
    assert_eq!(kinds.get("unparsed"), Some(&1));
    assert_eq!(kinds.get("tuple"), Some(&6));
    assert_eq!(kinds.get("chain"), Some(&1));
    assert_eq!(stats.relation_golds.get("B"), Some(&400));
}
