//! Seeded property tests: sums, invariance, bounds, convergence, unbiased
//! sampling, the total-sensitivity estimator, regression agreement and errors.

use faer::Mat;
use faer::linalg::solvers::Solve;
use lpsample::Error;
use lpsample::conic::ConicSettings;
use lpsample::leverage::{LevMethod, leverage_scores};
use lpsample::lewis::{LewisOptions, lewis_weights};
use lpsample::regression::{LpSolver, lp_objective, lp_regression};
use lpsample::sampling::{Sample, SampleMode, inclusion_probabilities, sample_rows};
use lpsample::sensitivity::total::total_sensitivity_estimate;
use lpsample::sensitivity::{SensMethod, sensitivities};
use tape::rng::{ChaCha8Rng, below, normal_mat, stream};

fn random_matrix(rng: &mut ChaCha8Rng, max_rows: usize, max_cols: usize) -> Mat<f64> {
    let cols = 1 + below(rng, max_cols);
    let rows = cols + 2 + below(rng, max_rows - cols - 2);
    normal_mat(rng, rows, cols, 1.0)
}

/// Replaces the last column by the sum of the first two (rank d − 1).
fn make_rank_deficient(a: &mut Mat<f64>) {
    let d = a.ncols();
    for i in 0..a.nrows() {
        a[(i, d - 1)] = a[(i, 0)] + a[(i, 1)];
    }
}

fn lewis(a: &Mat<f64>, p: f64) -> Vec<f64> {
    lewis_weights(a.as_ref(), &LewisOptions::new(p).check().unwrap())
        .unwrap()
        .weights
}

fn exact(a: &Mat<f64>, p: f64) -> Vec<f64> {
    sensitivities(
        a.as_ref(),
        p,
        SensMethod::Exact,
        &ConicSettings::default(),
        None,
    )
    .unwrap_or_else(|err| panic!("p = {p}: {err}"))
    .values
}

#[test]
fn leverage_and_lewis_sum_to_rank() {
    let mut rng = stream(1, "sums");
    for case in 0..20 {
        let mut a = random_matrix(&mut rng, 200, 6);
        let mut rank = a.ncols();
        if case % 2 == 1 && a.ncols() >= 3 {
            make_rank_deficient(&mut a);
            rank -= 1;
        }
        let tau = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
        assert_eq!(tau.rank, rank, "case {case}");
        assert!(
            (tau.values.iter().sum::<f64>() - rank as f64).abs() < 1e-9,
            "case {case}"
        );
        assert!(
            tau.values
                .iter()
                .all(|t| (-1e-12..=1.0 + 1e-12).contains(t))
        );
        for p in [1.0, 3.0] {
            let w = lewis(&a, p);
            assert!(
                (w.iter().sum::<f64>() - rank as f64).abs() < 1e-8,
                "case {case} p {p}"
            );
        }
    }
}

#[test]
fn scores_invariant_under_right_multiplication() {
    let mut rng = stream(2, "invariance");
    for case in 0..5 {
        let a = normal_mat(&mut rng, 30, 3, 1.0);
        let r = normal_mat(&mut rng, 3, 3, 1.0);
        let ar = &a * &r;
        let tau = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None)
            .unwrap()
            .values;
        let tau_r = leverage_scores(ar.as_ref(), LevMethod::ColPivQr, None)
            .unwrap()
            .values;
        for (x, y) in tau.iter().zip(&tau_r) {
            assert!((x - y).abs() < 1e-8, "case {case} tau");
        }
        for (x, y) in lewis(&a, 3.0).iter().zip(&lewis(&ar, 3.0)) {
            assert!((x - y).abs() < 1e-8, "case {case} lewis");
        }
        for (x, y) in exact(&a, 1.0).iter().zip(&exact(&ar, 1.0)) {
            assert!((x - y).abs() < 1e-7, "case {case} sigma");
        }
    }
}

#[test]
fn sensitivity_bounds_hold() {
    let mut rng = stream(3, "bounds");
    for case in 0..3 {
        let a = normal_mat(&mut rng, 25, 3, 1.0);
        for p in [1.0, 1.5, 3.0, 6.0] {
            let sigma = exact(&a, p);
            let bound = sensitivities(
                a.as_ref(),
                p,
                SensMethod::Bound,
                &ConicSettings::default(),
                None,
            )
            .unwrap()
            .values;
            for (i, (s, b)) in sigma.iter().zip(&bound).enumerate() {
                assert!(
                    (0.0..=1.0).contains(s),
                    "case {case} p {p} row {i}: sigma {s}"
                );
                assert!(
                    *s <= b * (1.0 + 1e-6) + 1e-9,
                    "case {case} p {p} row {i}: {s} > {b}"
                );
            }
        }
    }
}

#[test]
fn damped_lewis_converges_large_p() {
    let mut rng = stream(4, "damped");
    for case in 0..20 {
        let a = random_matrix(&mut rng, 200, 6);
        for p in [4.0, 6.0, 8.0] {
            let result = lewis_weights(a.as_ref(), &LewisOptions::new(p).check().unwrap());
            let result = result.unwrap_or_else(|err| panic!("case {case} p {p}: {err}"));
            assert!(result.residual < 1e-12);
            assert!(result.weights.iter().all(|w| w.is_finite() && *w >= 0.0));
        }
    }
}

fn sampled_norm(a: &Mat<f64>, x: &[f64], sample: &Sample, p: f64) -> f64 {
    let row_value = |i: usize| (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum::<f64>();
    sample
        .rows
        .iter()
        .zip(&sample.weights)
        .map(|(&i, w)| w * row_value(i).abs().powf(p))
        .sum()
}

fn mean_and_error(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

#[test]
fn sampling_is_unbiased() {
    let mut rng = stream(5, "unbiased");
    let a = normal_mat(&mut rng, 120, 3, 1.0);
    let x = [0.3, -1.2, 0.7];
    let p = 1.5;
    let full: f64 = (0..120)
        .map(|i| (0..3).map(|j| a[(i, j)] * x[j]).sum::<f64>().abs().powf(p))
        .sum();
    let scores = lewis(&a, p);
    let m = 20.0;
    let probabilities = inclusion_probabilities(&scores, m).unwrap();
    assert!((probabilities.q.iter().sum::<f64>() - m).abs() < 1e-10);

    for mode in [SampleMode::Bernoulli, SampleMode::WithReplacement] {
        let mut norms = Vec::new();
        let mut counts = Vec::new();
        for seed in 0..2000 {
            let sample = sample_rows(&scores, m, mode, seed).unwrap();
            norms.push(sampled_norm(&a, &x, &sample, p));
            counts.push(sample.rows.len() as f64);
        }
        let (mean, error) = mean_and_error(&norms);
        assert!(
            (mean - full).abs() < 3.0 * error,
            "{mode:?}: {mean} ± {error} vs {full}"
        );
        if mode == SampleMode::Bernoulli {
            let (mean, error) = mean_and_error(&counts);
            assert!(
                (mean - m).abs() < 3.0 * error,
                "kept count {mean} ± {error}"
            );
        }
    }
}

#[test]
fn same_seed_same_sample() {
    let scores: Vec<f64> = (0..50).map(|i| 1.0 + (i % 7) as f64).collect();
    for mode in [SampleMode::Bernoulli, SampleMode::WithReplacement] {
        let first = sample_rows(&scores, 10.0, mode, 42).unwrap();
        let second = sample_rows(&scores, 10.0, mode, 42).unwrap();
        assert_eq!(first, second);
        let other = sample_rows(&scores, 10.0, mode, 43).unwrap();
        assert_ne!(first.rows, other.rows);
    }
}

#[test]
fn total_sensitivity_estimate_unbiased() {
    let mut rng = stream(6, "total");
    let a = normal_mat(&mut rng, 20, 3, 1.0);
    let exact_total: f64 = exact(&a, 1.0).iter().sum();
    let settings = ConicSettings::default();
    let means: Vec<f64> = (0..200)
        .map(|seed| {
            total_sensitivity_estimate(a.as_ref(), 1.0, 2, seed, &settings)
                .unwrap()
                .mean
        })
        .collect();
    let (mean, error) = mean_and_error(&means);
    assert!(
        (mean - exact_total).abs() < 3.0 * error,
        "{mean} ± {error} vs {exact_total}"
    );
}

#[test]
fn conic_and_irls_agree() {
    let mut rng = stream(7, "regression");
    for case in 0..4 {
        let a = normal_mat(&mut rng, 50, 4, 1.0);
        let noise = normal_mat(&mut rng, 50, 1, 1.0);
        let b: Vec<f64> = (0..50)
            .map(|i| a[(i, 0)] - 2.0 * a[(i, 2)] + noise[(i, 0)])
            .collect();
        for p in [1.0, 1.5, 3.0] {
            let conic = lp_regression(
                a.as_ref(),
                &b,
                p,
                None,
                &LpSolver::Conic(ConicSettings::default()),
            )
            .unwrap();
            let irls = lp_regression(a.as_ref(), &b, p, None, &LpSolver::irls()).unwrap();
            let gap = (conic.objective - irls.objective).abs() / conic.objective;
            assert!(
                gap < 1e-6,
                "case {case} p {p}: conic {} IRLS {}",
                conic.objective,
                irls.objective
            );
        }
    }
}

#[test]
fn full_sample_regression_equals_full() {
    let mut rng = stream(8, "full-sample");
    let a = normal_mat(&mut rng, 40, 3, 1.0);
    let b: Vec<f64> = (0..40)
        .map(|i| a[(i, 1)] + 0.1 * (i as f64).sin())
        .collect();
    let scores = vec![1.0; 40];
    let sample = sample_rows(&scores, 40.0, SampleMode::Bernoulli, 0).unwrap();
    assert!(sample.clamped);
    assert_eq!(sample.rows.len(), 40);

    let solver = LpSolver::Conic(ConicSettings::default());
    let full = lp_regression(a.as_ref(), &b, 1.5, None, &solver).unwrap();
    let sub = Mat::from_fn(sample.rows.len(), 3, |k, j| a[(sample.rows[k], j)]);
    let sub_b: Vec<f64> = sample.rows.iter().map(|&i| b[i]).collect();
    let sampled = lp_regression(sub.as_ref(), &sub_b, 1.5, Some(&sample.weights), &solver).unwrap();
    assert!((full.objective - sampled.objective).abs() < 1e-8 * full.objective);
    let ones = vec![1.0; 40];
    let at_sampled = lp_objective(a.as_ref(), &b, &ones, 1.5, &sampled.x);
    assert!((at_sampled - full.objective).abs() < 1e-7 * full.objective);
}

#[test]
fn invalid_inputs_return_their_errors() {
    let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let settings = ConicSettings::default();
    assert!(matches!(
        sensitivities(a.as_ref(), 0.5, SensMethod::Exact, &settings, None),
        Err(Error::InvalidP { .. })
    ));
    assert!(matches!(
        LewisOptions::new(f64::NAN).check(),
        Err(Error::InvalidP { .. })
    ));

    let nan = faer::mat![[1.0, f64::NAN], [0.0, 1.0]];
    assert!(matches!(
        leverage_scores(nan.as_ref(), LevMethod::ColPivQr, None),
        Err(Error::NonFinite { row: 0, col: 1, .. })
    ));
    let zero = Mat::<f64>::zeros(3, 2);
    assert!(matches!(
        leverage_scores(zero.as_ref(), LevMethod::Svd, None),
        Err(Error::ZeroMatrix)
    ));
    let empty = Mat::<f64>::zeros(0, 2);
    assert!(matches!(
        leverage_scores(empty.as_ref(), LevMethod::ColPivQr, None),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        sample_rows(&[1.0, 2.0], 0.0, SampleMode::Bernoulli, 0),
        Err(Error::InvalidSampleSize { .. })
    ));
    assert!(matches!(
        lp_regression(a.as_ref(), &[1.0], 1.0, None, &LpSolver::irls()),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn distortion_probes_below_exact_l2() {
    use lpsample::distortion::{ProbeSpec, distortion};

    let mut rng = stream(9, "distortion");
    let a = normal_mat(&mut rng, 150, 4, 1.0);
    let scores = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None)
        .unwrap()
        .values;
    let probes = ProbeSpec {
        gaussian: 500,
        svd: true,
    };
    for seed in 0..5 {
        let sample = sample_rows(&scores, 40.0, SampleMode::Bernoulli, seed).unwrap();
        let report = distortion(a.as_ref(), &sample, 2.0, &probes, seed).unwrap();
        let exact = report.exact.unwrap();
        assert!(
            report.distortion <= exact + 1e-12,
            "seed {seed}: {} > {exact}",
            report.distortion
        );
        assert!(report.distortion > 0.0);
        assert!(report.min_ratio <= report.max_ratio);
    }
}

#[test]
fn distortion_zero_for_stacked_identity() {
    use lpsample::distortion::{ProbeSpec, distortion};

    let a = Mat::from_fn(6, 3, |i, j| f64::from(i % 3 == j));
    let sample = Sample {
        rows: vec![0, 1, 2],
        weights: vec![2.0; 3],
        expected_size: 3.0,
        clamped: false,
    };
    let probes = ProbeSpec {
        gaussian: 200,
        svd: true,
    };
    for p in [1.0, 2.0, 3.0] {
        let report = distortion(a.as_ref(), &sample, p, &probes, 1).unwrap();
        assert!(report.distortion < 1e-12, "p = {p}: {}", report.distortion);
    }
}

/// Returns a_iᵀ(Σ_k c_k a_k a_kᵀ)⁻¹a_i for every row, formed densely.
fn weighted_quadratic_forms(a: &Mat<f64>, c: &[f64]) -> Vec<f64> {
    let scaled = Mat::from_fn(a.nrows(), a.ncols(), |i, j| c[i] * a[(i, j)]);
    let gram = a.transpose() * &scaled;
    let solved = gram
        .llt(faer::Side::Lower)
        .unwrap()
        .solve(a.transpose().to_owned());
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * solved[(j, i)]).sum())
        .collect()
}

/// The blocked passes (1024 rows per block) on 2 full blocks, a partial one
/// and a zero row: leverage scores and Lewis weights (p = 1 undamped, p = 3
/// damped) satisfy their defining equations, formed densely.
#[test]
fn blocked_passes_match_dense_formulas() {
    let mut rng = stream(11, "blocked");
    let mut a = normal_mat(&mut rng, 2 * 1024 + 37, 4, 1.0);
    for j in 0..4 {
        a[(1500, j)] *= 40.0;
        a[(7, j)] = 0.0;
    }

    let tau = leverage_scores(a.as_ref(), LevMethod::GramCholesky, None).unwrap();
    let dense = weighted_quadratic_forms(&a, &vec![1.0; a.nrows()]);
    for (i, (t, d)) in tau.values.iter().zip(&dense).enumerate() {
        assert!((t - d).abs() <= 1e-12 * d.max(1e-3), "row {i}: {t} vs {d}");
    }

    for p in [1.0, 3.0] {
        let w = lewis(&a, p);
        assert_eq!(w[7], 0.0);
        assert!((w.iter().sum::<f64>() - 4.0).abs() < 1e-10, "p = {p}");
        let c: Vec<f64> = w
            .iter()
            .map(|&wi| {
                if wi > 0.0 {
                    wi.powf(1.0 - 2.0 / p)
                } else {
                    0.0
                }
            })
            .collect();
        let q = weighted_quadratic_forms(&a, &c);
        for i in (0..a.nrows()).filter(|&i| i != 7) {
            let fixed_point = q[i].powf(p / 2.0);
            assert!(
                (fixed_point - w[i]).abs() <= 1e-10 * w[i],
                "p = {p}, row {i}: F = {fixed_point}, w = {}",
                w[i]
            );
        }
    }
}
