//! Sketched leverage scores against exact ones on tall matrices.

use faer::Mat;
use lpsample::Error;
use lpsample::leverage::{LevMethod, SketchOptions, leverage_scores};
use tape::rng::{normal_mat, stream};

/// Gaussian n × d rows with 1% of the rows scaled by 100 (heavy leverage).
fn heavy_rows(n: usize, d: usize, seed: u64) -> Mat<f64> {
    let mut rng = stream(seed, "sketch-test");
    let mut a = normal_mat(&mut rng, n, d, 1.0);
    for i in (0..n).step_by(100) {
        for j in 0..d {
            a[(i, j)] *= 100.0;
        }
    }
    a
}

fn relative_errors(approximate: &[f64], exact: &[f64]) -> Vec<f64> {
    approximate
        .iter()
        .zip(exact)
        .map(|(s, t)| (s / t - 1.0).abs())
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn sketch(rows: Option<usize>, k: usize, seed: u64) -> LevMethod {
    LevMethod::Sketch(SketchOptions { rows, k, seed })
}

/// Stated bound for the default CountSketch (1000 rows) on 20 000 × 8.
const MAX_RELATIVE_ERROR: f64 = 0.3;

#[test]
fn sketch_without_projection_within_bound() {
    let a = heavy_rows(20_000, 8, 1);
    let exact = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
    for seed in 0..3 {
        let approximate = leverage_scores(a.as_ref(), sketch(None, 32, seed), None).unwrap();
        assert_eq!(approximate.rank, 8);
        let errors = relative_errors(&approximate.values, &exact.values);
        let max = errors.iter().copied().fold(0.0, f64::max);
        assert!(
            max < MAX_RELATIVE_ERROR,
            "seed {seed}: max relative error {max}"
        );
    }
}

#[test]
fn sketch_with_projection_close() {
    let a = heavy_rows(20_000, 30, 2);
    let exact = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
    let approximate = leverage_scores(a.as_ref(), sketch(None, 20, 4), None).unwrap();
    let mut errors = relative_errors(&approximate.values, &exact.values);
    let total: f64 = approximate.values.iter().sum();

    assert!((total / 30.0 - 1.0).abs() < 0.1, "total {total}");
    let median_error = median(&mut errors);
    assert!(median_error < 0.3, "median relative error {median_error}");
}

#[test]
fn sketch_rank_deficient_tall() {
    let mut a = heavy_rows(5000, 4, 3);
    for i in 0..a.nrows() {
        a[(i, 3)] = a[(i, 0)] + a[(i, 1)];
    }
    let approximate = leverage_scores(a.as_ref(), sketch(None, 32, 0), None).unwrap();
    let total: f64 = approximate.values.iter().sum();

    assert_eq!(approximate.rank, 3);
    assert!((total - 3.0).abs() < 0.3, "total {total}");
}

#[test]
fn sketch_same_seed_same_scores() {
    let a = heavy_rows(3000, 5, 4);
    let first = leverage_scores(a.as_ref(), sketch(Some(500), 3, 9), None).unwrap();
    let second = leverage_scores(a.as_ref(), sketch(Some(500), 3, 9), None).unwrap();
    let other = leverage_scores(a.as_ref(), sketch(Some(500), 3, 10), None).unwrap();

    assert_eq!(first.values, second.values);
    assert_ne!(first.values, other.values);
}

#[test]
fn sketch_rejects_bad_sizes() {
    let a = heavy_rows(300, 5, 5);
    let too_few = leverage_scores(a.as_ref(), sketch(Some(4), 32, 0), None);
    let too_many = leverage_scores(a.as_ref(), sketch(Some(301), 32, 0), None);
    let no_columns = leverage_scores(a.as_ref(), sketch(None, 0, 0), None);

    assert!(matches!(
        too_few,
        Err(Error::InvalidArgument {
            name: "sketch rows",
            ..
        })
    ));
    assert!(matches!(
        too_many,
        Err(Error::InvalidArgument {
            name: "sketch rows",
            ..
        })
    ));
    assert!(matches!(
        no_columns,
        Err(Error::InvalidArgument {
            name: "sketch k",
            ..
        })
    ));
}
