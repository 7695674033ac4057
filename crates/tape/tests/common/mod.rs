//! Helpers shared by the integration tests: seeded test matrices and a weighted
//! sum that turns any node into a scalar loss with a dense gradient.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use faer::Mat;
use rand_chacha::ChaCha8Rng;
use tape::{GradcheckOptions, ParamStore, Result, Tape, Uplo, Var, gradcheck, rng};

/// Seed of every random test input.
pub const SEED: u64 = 20_251_204;

/// Returns the test stream for `key`.
pub fn stream(key: &str) -> ChaCha8Rng {
    rng::stream(SEED, key)
}

/// Entries uniform in [−1, 1).
pub fn uniform(rows: usize, cols: usize, key: &str) -> Mat<f64> {
    rng::uniform_mat(&mut stream(key), rows, cols, -1.0, 1.0)
}

/// Entries with |x| in [0.2, 1.2) and random sign: safe for relu, abs and recip.
pub fn away_from_zero(rows: usize, cols: usize, key: &str) -> Mat<f64> {
    let mut r = stream(key);
    Mat::from_fn(rows, cols, |_, _| {
        let magnitude = rng::uniform(&mut r, 0.2, 1.2);
        if rng::unit(&mut r) < 0.5 {
            -magnitude
        } else {
            magnitude
        }
    })
}

/// Entries uniform in [0.5, 2): safe for log, sqrt and rsqrt.
pub fn positive(rows: usize, cols: usize, key: &str) -> Mat<f64> {
    rng::uniform_mat(&mut stream(key), rows, cols, 0.5, 2.0)
}

/// A square matrix whose `uplo` triangle has off-diagonal entries in [−0.3, 0.3)
/// and diagonal entries with |d| in [0.5, 1.5). The other triangle contains values
/// in [−5, 5), which a triangular solve must ignore.
pub fn triangular(n: usize, uplo: Uplo, key: &str) -> Mat<f64> {
    let mut r = stream(key);
    Mat::from_fn(n, n, |i, j| {
        let inside = match uplo {
            Uplo::Lower => i >= j,
            Uplo::Upper => i <= j,
        };
        if i == j {
            let magnitude = rng::uniform(&mut r, 0.5, 1.5);
            if rng::unit(&mut r) < 0.5 {
                -magnitude
            } else {
                magnitude
            }
        } else if inside {
            rng::uniform(&mut r, -0.3, 0.3)
        } else {
            rng::uniform(&mut r, -5.0, 5.0)
        }
    })
}

/// Records Σ R ⊙ C for a fixed random R (entries in [−1, 1), drawn from `key`),
/// so that the adjoint of `c` is the dense matrix R.
pub fn weighted_sum(t: &mut Tape, c: Var, key: &str) -> Var {
    let (rows, cols) = t.shape(c);
    let weights = t.constant(uniform(rows, cols, &format!("weights/{key}")));
    let product = t.mul(c, weights);
    t.sum(product)
}

/// Runs `gradcheck` with the default options and asserts that it passed.
pub fn assert_gradcheck(store: &ParamStore, f: impl Fn(&mut Tape, &ParamStore) -> Result<Var>) {
    let report = gradcheck(store, f, &GradcheckOptions::default()).expect("loss evaluation failed");
    assert!(report.checks > 0, "gradcheck compared nothing");
    assert!(
        report.passed(),
        "gradcheck failed: max relative error {:e} at {}",
        report.max_rel_error,
        report.worst
    );
}

/// Asserts that two matrices agree entrywise within `tol`.
pub fn assert_close(actual: faer::MatRef<'_, f64>, expected: faer::MatRef<'_, f64>, tol: f64) {
    assert_eq!(actual.nrows(), expected.nrows(), "row counts differ");
    assert_eq!(actual.ncols(), expected.ncols(), "column counts differ");
    for j in 0..actual.ncols() {
        for i in 0..actual.nrows() {
            let (a, e) = (actual[(i, j)], expected[(i, j)]);
            assert!(
                (a - e).abs() <= tol,
                "entry ({i},{j}): {a} vs {e} (tolerance {tol})"
            );
        }
    }
}
