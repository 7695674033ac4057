//! Shared helpers of the integration tests.

#![allow(dead_code)]

use mnn::{EntropyMethod, MatrixView, MetricParams, MetricSet, Scores, ZeroRows, score_matrix};

/// Every entropy route.
pub const METHODS: [EntropyMethod; 4] = [
    EntropyMethod::Auto,
    EntropyMethod::Gram,
    EntropyMethod::Eigh,
    EntropyMethod::Svd,
];

/// det(n, d)[i][j] = sin(0.37(i+1)(j+1)) + 0.1·cos(1.3i − 0.7j), row-major.
pub fn det(n: usize, d: usize) -> Vec<f64> {
    let mut rows = Vec::with_capacity(n * d);
    for i in 0..n {
        for j in 0..d {
            let (x, y) = (i as f64, j as f64);
            rows.push((0.37 * (x + 1.0) * (y + 1.0)).sin() + 0.1 * (1.3 * x - 0.7 * y).cos());
        }
    }
    rows
}

/// A nearly rank-2 matrix plus 0.01·det(n, d), row-major.
pub fn low(n: usize, d: usize) -> Vec<f64> {
    let noise = det(n, d);
    let mut rows = Vec::with_capacity(n * d);
    for i in 0..n {
        for j in 0..d {
            let (x, y) = (i as f64 + 1.0, j as f64 + 1.0);
            let value = (0.37 * x).sin() * (0.11 * y).cos() + (0.5 * x).cos() * (0.23 * y).sin();
            rows.push(value + 0.01 * noise[i * d + j]);
        }
    }
    rows
}

/// Scores row-major f64 `rows` with every metric.
pub fn score_all(
    rows: &[f64],
    n: usize,
    d: usize,
    method: EntropyMethod,
    zero_rows: ZeroRows,
    top_d: Option<usize>,
) -> Scores {
    let params = MetricParams {
        zero_rows,
        top_d,
        entropy_method: method,
        metrics: MetricSet {
            mnn: true,
            entropy: true,
            nuclear: true,
        },
        ..MetricParams::default()
    };
    let view = MatrixView::from_rows_f64(rows, n, d).unwrap();
    score_matrix(view, &params.check().unwrap()).unwrap()
}

/// Asserts |actual − expected| within 1e-10 relative, or 1e-12 absolute when
/// |expected| < 1e-9.
pub fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = if expected.abs() < 1e-9 {
        1e-12
    } else {
        1e-10 * expected.abs()
    };
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual:.17e}, expected {expected:.17e} (tolerance {tolerance:e})"
    );
}
