//! Helpers shared by the golden tests: locating the golden folder, reading
//! JSON and building the formula matrices.

#![allow(dead_code)]

use std::path::PathBuf;

use faer::Mat;
use serde_json::Value;

/// Returns `$NORMLAB_GOLDEN/lpsample`, resolving a relative path from the
/// workspace root, or `None` (after printing a notice) when the variable is unset.
pub fn golden_dir() -> Option<PathBuf> {
    let Some(root) = std::env::var_os("NORMLAB_GOLDEN") else {
        println!("skipped: NORMLAB_GOLDEN not set");
        return None;
    };
    let root = PathBuf::from(root);
    let root = if root.is_relative() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(root)
    } else {
        root
    };
    Some(root.join("lpsample"))
}

/// Reads and parses a golden JSON file.
pub fn golden_json(name: &str) -> Option<Value> {
    let path = golden_dir()?.join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    Some(serde_json::from_str(&text).expect("golden file is valid JSON"))
}

/// Converts a JSON array of numbers to a vector.
pub fn vector(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

/// Converts a JSON array of rows to a matrix.
pub fn matrix(value: &Value) -> Mat<f64> {
    let rows: Vec<Vec<f64>> = value.as_array().expect("rows").iter().map(vector).collect();
    Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

/// Returns the hash h(i, j) = 2·frac(sin((i+1)·12.9898 + (j+1)·78.233)·43758.5453) − 1.
pub fn hash(i: usize, j: usize) -> f64 {
    let v = ((i + 1) as f64 * 12.9898 + (j + 1) as f64 * 78.233).sin() * 43758.5453;
    2.0 * (v - v.floor()) - 1.0
}

/// D12: A[i][j] = sin(1 + i + 2j) + 3(j+1)·[i mod 7 = 0].
pub fn d12() -> Mat<f64> {
    Mat::from_fn(12, 3, |i, j| {
        let bump = if i % 7 == 0 {
            3.0 * (j + 1) as f64
        } else {
            0.0
        };
        ((1 + i + 2 * j) as f64).sin() + bump
    })
}

/// Builds the 50 × 4 rank-3 matrix with columns h0, h1, h2, h0 + h1.
pub fn rank_deficient() -> Mat<f64> {
    Mat::from_fn(50, 4, |i, j| {
        if j < 3 {
            hash(i, j)
        } else {
            hash(i, 0) + hash(i, 1)
        }
    })
}

/// Asserts |actual − expected| ≤ tol elementwise, naming the index.
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tol,
            "{what}[{i}]: got {a}, expected {e} (tol {tol})"
        );
    }
}

/// Asserts |actual − expected| ≤ rel·|expected| elementwise (absolute 1e-12 floor).
pub fn assert_rel(actual: &[f64], expected: &[f64], rel: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let tol = rel * e.abs() + 1e-12;
        assert!(
            (a - e).abs() <= tol,
            "{what}[{i}]: got {a}, expected {e} (rel {rel})"
        );
    }
}
