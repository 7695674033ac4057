//! The official leaderboard: every accuracy recomputed, group sums, overall
//! bounded by each judge, and a lossless round trip of all entries.

mod common;

use ineqmath::leaderboard::{Entry, SCORE_KEYS, load_leaderboard};
use serde_json::Value;

fn entries() -> Option<(Vec<Entry>, Value)> {
    let path = common::data_dir()?.join("leaderboard.json");
    let raw: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    Some((load_leaderboard(&path).unwrap(), raw))
}

#[test]
fn round_trip_is_lossless() {
    let Some((entries, raw)) = entries() else {
        return;
    };
    assert_eq!(entries.len(), 55);
    assert_eq!(serde_json::to_value(&entries).unwrap(), raw);
}

#[test]
fn accuracies_recompute_with_anomaly() {
    let (Some((entries, _)), Some(anchors)) =
        (entries(), common::golden_json("leaderboard_anchors.json"))
    else {
        return;
    };
    let anomaly = &anchors["anomaly"];
    let anomaly_index = anomaly["index"].as_u64().unwrap() as usize;
    for (index, entry) in entries.iter().enumerate() {
        for key in SCORE_KEYS {
            let cells = entry
                .score(key)
                .unwrap_or_else(|| panic!("entry {index} lacks {key}"));
            for (group, cell) in [
                ("total", cells.total),
                ("bound", cells.bound),
                ("relation", cells.relation),
            ] {
                let n = if index == anomaly_index && group == "total" {
                    anomaly["total_accuracy_denominator"][key].as_u64().unwrap()
                } else {
                    cell.n()
                };
                assert_eq!(
                    cell.accuracy,
                    cell.expected_accuracy(n),
                    "entry {index} {key} {group}"
                );
            }
        }
    }
}

#[test]
fn groups_sum_and_overall_is_bounded() {
    let Some((entries, _)) = entries() else {
        return;
    };
    for (index, entry) in entries.iter().enumerate() {
        let overall = entry.all_true.unwrap();
        for key in SCORE_KEYS {
            let cells = entry.score(key).unwrap();
            assert_eq!(
                cells.bound.correct + cells.relation.correct,
                cells.total.correct,
                "entry {index} {key}"
            );
            assert_eq!(
                cells.bound.incorrect + cells.relation.incorrect,
                cells.total.incorrect,
                "entry {index} {key}"
            );
            assert!(
                overall.total.correct <= cells.total.correct,
                "entry {index} {key}"
            );
            assert!(
                overall.bound.correct <= cells.bound.correct,
                "entry {index} {key}"
            );
            assert!(
                overall.relation.correct <= cells.relation.correct,
                "entry {index} {key}"
            );
        }
    }
}

#[test]
fn rounding_ties_are_half_even() {
    let (Some((entries, _)), Some(anchors)) =
        (entries(), common::golden_json("leaderboard_anchors.json"))
    else {
        return;
    };
    let ties = anchors["rounding_ties"].as_array().unwrap();
    assert_eq!(ties.len(), 23);
    for tie in ties {
        let index = tie["index"].as_u64().unwrap() as usize;
        let key = tie["key"].as_str().unwrap();
        let group = tie["group"].as_str().unwrap();
        let cells = entries[index].score(key).unwrap();
        let cell = match group {
            "total" => cells.total,
            "bound" => cells.bound,
            _ => cells.relation,
        };
        assert_eq!(
            cell.correct,
            tie["correct"].as_u64().unwrap(),
            "tie {index} {key} {group}"
        );
        let n = tie["n"].as_u64().unwrap();
        assert_eq!(
            cell.expected_accuracy(n),
            tie["accuracy"].as_f64().unwrap(),
            "tie {index} {key} {group}"
        );
    }
}
