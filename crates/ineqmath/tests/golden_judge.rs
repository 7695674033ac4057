//! Golden tables: bound-equivalence pairs, relation sentences and answer
//! sentences under both rule sets.

mod common;

use ineqmath::{RelOption, Rules, equivalent_str, extract_relation, locate_answer};

#[test]
fn bound_pairs_verdict_and_method() {
    let Some(golden) = common::golden_json("bound_equivalence_pairs.json") else {
        return;
    };
    let pairs = common::cases(&golden, "pairs");
    assert_eq!(pairs.len(), 50);
    for pair in pairs {
        let gold = pair["gold"].as_str().unwrap();
        let pred = pair["pred"].as_str().unwrap();
        let verdict = equivalent_str(gold, pred);
        assert_eq!(
            verdict.equal,
            pair["equivalent"].as_bool().unwrap(),
            "{gold} vs {pred}: {verdict:?}"
        );
        assert_eq!(
            verdict.method.name(),
            pair["expected_method"].as_str().unwrap(),
            "{gold} vs {pred}"
        );
    }
}

fn option(value: &serde_json::Value) -> Option<RelOption> {
    value
        .as_str()
        .map(|s| RelOption::from_letter(s.chars().next().unwrap()).unwrap())
}

#[test]
fn relation_sentences_both_rule_sets() {
    let Some(golden) = common::golden_json("relation_sentences.json") else {
        return;
    };
    let cases = common::cases(&golden, "cases");
    assert_eq!(cases.len(), 17);
    for case in cases {
        let sentence = case["sentence"].as_str().unwrap();
        assert_eq!(
            extract_relation(sentence, Rules::Parity),
            option(&case["parity"]),
            "parity: {sentence}"
        );
        assert_eq!(
            extract_relation(sentence, Rules::Strict),
            option(&case["strict"]),
            "strict: {sentence}"
        );
    }
}

#[test]
fn answer_sentences_both_rule_sets() {
    let Some(golden) = common::golden_json("answer_sentences.json") else {
        return;
    };
    let cases = common::cases(&golden, "cases");
    assert_eq!(cases.len(), 9);
    for case in cases {
        let response = case["response"].as_str().unwrap();
        assert_eq!(
            locate_answer(response, Rules::Parity),
            case["parity"].as_str().unwrap(),
            "parity: {response:?}"
        );
        assert_eq!(
            locate_answer(response, Rules::Strict),
            case["strict"].as_str().unwrap(),
            "strict: {response:?}"
        );
    }
}
