//! Every case of the golden metrics file, read from `$NORMLAB_GOLDEN/mnn`.
//! Skips with a notice when `NORMLAB_GOLDEN` is unset.

mod common;

use std::path::PathBuf;

use common::{METHODS, assert_close, det, low, score_all};
use mnn::{
    LayerProfile, MatrixView, MetricParams, MnnNorm, NanMean, Scores, Status, ZeroRows, diff_erank,
    score_matrix,
};
use serde_json::Value;

fn golden() -> Option<Value> {
    let Some(root) = std::env::var_os("NORMLAB_GOLDEN") else {
        eprintln!("skipping: NORMLAB_GOLDEN not set; point it at the golden fixtures folder");
        return None;
    };
    let path = PathBuf::from(root).join("mnn/metrics_golden.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    Some(serde_json::from_str(&text).expect("golden file is JSON"))
}

/// Builds the input matrix of a golden case; returns (rows, n, d).
fn input_of(input: &Value) -> (Vec<f64>, usize, usize) {
    if input["kind"] == "explicit" {
        let rows: Vec<Vec<f64>> = serde_json::from_value(input["rows"].clone()).unwrap();
        let (n, d) = (rows.len(), rows[0].len());
        return (rows.concat(), n, d);
    }
    let n = input["n"].as_u64().unwrap() as usize;
    let d = input["d"].as_u64().unwrap() as usize;
    let mut rows = match input["formula"].as_str().unwrap() {
        "det" => det(n, d),
        "low" => low(n, d),
        other => panic!("unknown formula {other}"),
    };
    if let Some(constant) = input["add_constant"].as_f64() {
        rows.iter_mut().for_each(|value| *value += constant);
    }
    if input["round_to_f32"] == true {
        rows.iter_mut()
            .for_each(|value| *value = f64::from(*value as f32));
    }
    (rows, n, d)
}

/// Returns a golden value, or `None` for the string "NaN".
fn expected(case: &Value, field: &str) -> Option<f64> {
    match &case[field] {
        Value::String(text) if text == "NaN" => None,
        value => Some(
            value
                .as_f64()
                .unwrap_or_else(|| panic!("{field} is not a number")),
        ),
    }
}

fn check_value(actual: f64, expected: Option<f64>, what: &str) {
    match expected {
        Some(expected) => assert_close(actual, expected, what),
        None => assert!(actual.is_nan(), "{what}: got {actual}, expected NaN"),
    }
}

#[test]
fn generator_spot_checks() {
    let Some(golden) = golden() else { return };
    for spot in golden["generator_spot_checks"].as_array().unwrap() {
        let n = spot["n"].as_u64().unwrap() as usize;
        let d = spot["d"].as_u64().unwrap() as usize;
        let (i, j) = (
            spot["i"].as_u64().unwrap() as usize,
            spot["j"].as_u64().unwrap() as usize,
        );
        let rows = match spot["formula"].as_str().unwrap() {
            "det" => det(n, d),
            _ => low(n, d),
        };
        assert_close(
            rows[i * d + j],
            spot["value"].as_f64().unwrap(),
            "spot value",
        );
    }
}

#[test]
fn golden_cases_every_method() {
    let Some(golden) = golden() else { return };
    for case in golden["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (rows, n, d) = input_of(&case["input"]);
        let zero_rows = match case["zero_rows"].as_str().unwrap() {
            "skip" => ZeroRows::Skip,
            _ => ZeroRows::Nan,
        };
        for method in METHODS {
            let scores = score_all(&rows, n, d, method, zero_rows, None);
            check_case(case, &scores, &format!("{name} {method:?}"));
        }
        check_mnn_div_d(case, &rows, n, d, zero_rows);
    }
}

fn check_case(case: &Value, scores: &Scores, label: &str) {
    let what = |field: &str| format!("{label} {field}");
    assert_eq!(
        scores.n_eff as u64,
        case["n_rows_used"].as_u64().unwrap(),
        "{}",
        what("n_eff")
    );
    assert_eq!(
        scores.d as u64,
        case["d"].as_u64().unwrap(),
        "{}",
        what("d")
    );
    assert_eq!(
        scores.top_d as u64,
        case["top_d"].as_u64().unwrap(),
        "{}",
        what("top_d")
    );
    assert_eq!(
        scores.dropped_rows as u64,
        case["dropped_rows"].as_u64().unwrap(),
        "{}",
        what("dropped_rows")
    );

    let degenerate = expected(case, "mnn").is_none();
    let status = if degenerate {
        Status::Degenerate
    } else {
        Status::Ok
    };
    assert_eq!(scores.status, status, "{}", what("status"));

    for field in ["mnn_raw", "mnn", "h_nats", "me", "erank"] {
        let actual = match field {
            "mnn_raw" => scores.mnn_raw,
            "mnn" => scores.mnn,
            "h_nats" => scores.h_nats,
            "me" => scores.me,
            _ => scores.erank,
        };
        check_value(actual, expected(case, field), &what(field));
    }
    if case.get("nuclear_exact").is_some() {
        check_value(
            scores.nuclear_exact,
            expected(case, "nuclear_exact"),
            &what("nuclear_exact"),
        );
    }
}

fn check_mnn_div_d(case: &Value, rows: &[f64], n: usize, d: usize, zero_rows: ZeroRows) {
    let params = MetricParams {
        zero_rows,
        mnn_norm: MnnNorm::Dim,
        ..MetricParams::default()
    };
    let view = MatrixView::from_rows_f64(rows, n, d).unwrap();
    let scores = score_matrix(view, &params.check().unwrap()).unwrap();
    let name = case["name"].as_str().unwrap();
    check_value(
        scores.mnn,
        expected(case, "mnn_div_d"),
        &format!("{name} mnn_div_d"),
    );
}

#[test]
fn golden_top_d_overrides() {
    let Some(golden) = golden() else { return };
    for case in golden["top_d_override"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (rows, n, d) = input_of(&case["input"]);
        let top_d = case["top_d"].as_u64().unwrap() as usize;
        let scores = score_all(
            &rows,
            n,
            d,
            mnn::EntropyMethod::Auto,
            ZeroRows::Nan,
            Some(top_d),
        );
        assert_eq!(scores.top_d, top_d, "{name} top_d");
        assert_close(
            scores.mnn_raw,
            case["mnn_raw"].as_f64().unwrap(),
            &format!("{name} mnn_raw"),
        );
        assert_close(
            scores.mnn,
            case["mnn"].as_f64().unwrap(),
            &format!("{name} mnn"),
        );
    }
}

#[test]
fn golden_aggregation_excludes_nan() {
    let Some(golden) = golden() else { return };
    let block = &golden["aggregation"];
    let mut mean = NanMean::default();
    for value in block["per_sample_mnn"].as_array().unwrap() {
        mean.push(value.as_f64().unwrap_or(f64::NAN));
    }
    assert_close(
        mean.mean().unwrap(),
        block["expected_mean"].as_f64().unwrap(),
        "mean",
    );
    assert_eq!(
        mean.n_scored as u64,
        block["expected_count"].as_u64().unwrap()
    );
    assert_eq!(
        mean.excluded() as u64,
        block["expected_excluded"].as_u64().unwrap()
    );
}

#[test]
fn golden_aggregation_layer_profile() {
    let Some(golden) = golden() else { return };
    let block = &golden["aggregation"];
    let mut profile = LayerProfile::default();
    let values = block["per_sample_mnn"].as_array().unwrap();
    let statuses = block["statuses"].as_array().unwrap();
    for (value, status) in values.iter().zip(statuses) {
        let mut scores = Scores::empty(8);
        scores.mnn = value.as_f64().unwrap_or(f64::NAN);
        scores.status = if status == "ok" {
            Status::Ok
        } else {
            Status::Degenerate
        };
        profile.push("final", &scores);
    }
    profile.push("final", &Scores::empty(8));

    let summary = profile.get("final").unwrap();
    assert_close(
        summary.mnn.mean().unwrap(),
        block["expected_mean"].as_f64().unwrap(),
        "mean",
    );
    assert_eq!(summary.mnn.n_scored, 2);
    assert_eq!(summary.mnn.n_nan, 1);
    assert_eq!(summary.mnn.n_empty, 1);
}

#[test]
fn golden_diff_erank() {
    let Some(golden) = golden() else { return };
    let block = &golden["diff_erank"];
    let (mut h_untrained, mut h_trained) = (Vec::new(), Vec::new());
    for pair in block["single"].as_array().unwrap() {
        let (untrained, n, d) = input_of(&with_kind(&pair["untrained"]));
        let h_u = score_all(
            &untrained,
            n,
            d,
            mnn::EntropyMethod::Auto,
            ZeroRows::Nan,
            None,
        )
        .h_nats;
        let (trained, n, d) = input_of(&with_kind(&pair["trained"]));
        let h_t = score_all(
            &trained,
            n,
            d,
            mnn::EntropyMethod::Auto,
            ZeroRows::Nan,
            None,
        )
        .h_nats;
        assert_close(h_u, pair["h_untrained"].as_f64().unwrap(), "h_untrained");
        assert_close(h_t, pair["h_trained"].as_f64().unwrap(), "h_trained");

        let single = diff_erank(&[h_u], &[h_t]).unwrap();
        assert_close(
            single.diff,
            pair["diff_erank"].as_f64().unwrap(),
            "single diff_erank",
        );
        h_untrained.push(h_u);
        h_trained.push(h_t);
    }

    let dataset = diff_erank(&h_untrained, &h_trained).unwrap();
    let expected = &block["dataset"];
    assert_close(
        dataset.erank_untrained,
        expected["erank_untrained"].as_f64().unwrap(),
        "erank_u",
    );
    assert_close(
        dataset.erank_trained,
        expected["erank_trained"].as_f64().unwrap(),
        "erank_t",
    );
    assert_close(
        dataset.diff,
        expected["diff_erank"].as_f64().unwrap(),
        "dataset diff_erank",
    );
}

fn with_kind(input: &Value) -> Value {
    let mut input = input.clone();
    input["kind"] = Value::from("formula");
    input
}

#[test]
fn golden_python_random_sample() {
    let Some(golden) = golden() else { return };
    for case in golden["python_random_sample"]["cases"].as_array().unwrap() {
        let seed = case["seed"].as_u64().unwrap();
        let n = case["n"].as_u64().unwrap() as usize;
        let k = case["k"].as_u64().unwrap() as usize;
        let drawn = mnn::sampling::python_sample(n, k, seed).unwrap();
        let label = format!("seed {seed} n {n} k {k}");
        if let Some(indices) = case.get("indices") {
            let expected: Vec<usize> = serde_json::from_value(indices.clone()).unwrap();
            assert_eq!(drawn, expected, "{label}");
        }
        if let Some(first) = case.get("first5") {
            let expected: Vec<usize> = serde_json::from_value(first.clone()).unwrap();
            assert_eq!(drawn[..5], expected[..], "{label}");
        }
        if case["is_permutation"] == true {
            let mut sorted = drawn.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "{label}");
        }
    }
}
