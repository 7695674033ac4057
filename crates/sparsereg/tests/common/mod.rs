//! Helpers shared by the integration tests: golden-file lookup and loaders.
#![allow(dead_code)]

use std::path::PathBuf;

use faer::Mat;

/// Golden folder of this crate, from `NORMLAB_GOLDEN` (relative paths are
/// resolved from the workspace root). `None` after printing a skip notice.
pub fn golden_dir() -> Option<PathBuf> {
    let Ok(value) = std::env::var("NORMLAB_GOLDEN") else {
        println!("skipped: NORMLAB_GOLDEN not set");
        return None;
    };
    let path = PathBuf::from(value);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = if path.is_absolute() {
        path
    } else {
        root.join(path)
    };
    Some(path.join("sparsereg"))
}

/// Reads a golden JSON file.
pub fn golden_json(name: &str) -> Option<serde_json::Value> {
    let path = golden_dir()?.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(serde_json::from_str(&text).unwrap())
}

/// Reads the diabetes table: X (442 × 10) and the target.
pub fn diabetes() -> Option<(Mat<f64>, Vec<f64>)> {
    let path = golden_dir()?.join("diabetes.tsv");
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(|v| v.trim().parse().unwrap()).collect())
        .collect();
    let x = Mat::from_fn(rows.len(), 10, |i, j| rows[i][j]);
    let y = rows.iter().map(|r| r[10]).collect();
    Some((x, y))
}

/// Drops row 0 (the `linfa441` row set).
pub fn drop_first_row(x: &Mat<f64>, y: &[f64]) -> (Mat<f64>, Vec<f64>) {
    let x1 = Mat::from_fn(x.nrows() - 1, x.ncols(), |i, j| x[(i + 1, j)]);
    (x1, y[1..].to_vec())
}

/// Reads a JSON array of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_f64().unwrap())
        .collect()
}

/// Reads a JSON array of indices.
pub fn indices(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_u64().unwrap() as usize)
        .collect()
}

/// Builds the formula design of `formula_design.json`: X[i][j] = sin(1 + 0.7a² + 1.3b² + 0.1ab²)
/// with a = i + 1, b = j + 1, and y = Xw* + 0.05 cos(2.3(i + 1)).
pub fn formula_design() -> (Mat<f64>, Vec<f64>) {
    let x = Mat::from_fn(40, 80, |i, j| {
        let a = (i + 1) as f64;
        let b = (j + 1) as f64;
        (1.0 + 0.7 * a * a + 1.3 * b * b + 0.1 * a * b * b).sin()
    });
    let support = [3, 17, 42, 65];
    let values = [1.5, -2.0, 1.0, 0.75];
    let y = (0..40)
        .map(|i| {
            let signal: f64 = support
                .iter()
                .zip(values)
                .map(|(&j, v)| x[(i, j)] * v)
                .sum();
            signal + 0.05 * (2.3 * (i + 1) as f64).cos()
        })
        .collect();
    (x, y)
}
