//! Error advice that leads to a result: Lewis weights for large p, and the
//! certified IRLS fallback of the ℓp regression.

use lpsample::Error;
use lpsample::conic::ConicSettings;
use lpsample::lewis::{LewisOptions, lewis_weights};
use lpsample::regression::{
    FALLBACK_MAX_GAP, LpSolver, lp_objective, lp_regression, relative_duality_gap,
};
use tape::rng::{normal_mat, stream};

/// Follows the advice of each Lewis error (a larger limit or a larger
/// tolerance) at most three times and returns the options that converged.
fn follow_lewis_advice(a: &faer::Mat<f64>, p: f64) -> LewisOptions {
    let mut options = LewisOptions::new(p);
    for _ in 0..3 {
        match lewis_weights(a.as_ref(), &options.check().unwrap()) {
            Ok(result) => {
                let total: f64 = result.weights.iter().sum();
                assert!(
                    (total - a.ncols() as f64).abs() < 1e-6,
                    "p = {p}: total {total}"
                );
                return options;
            }
            Err(Error::LewisNotConverged {
                suggested_max_iter, ..
            }) => {
                assert!(suggested_max_iter > options.max_iter);
                options.max_iter = suggested_max_iter;
            }
            Err(Error::LewisStalled { residual, .. }) => {
                assert!(residual < 1e-6);
                options.tol = 10.0 * residual;
            }
            Err(other) => panic!("p = {p}: unexpected error {other}"),
        }
    }
    panic!("p = {p}: the advice did not lead to convergence in three steps");
}

#[test]
fn lewis_large_p_advice_converges() {
    let mut rng = stream(21, "lewis-large-p");
    let a = normal_mat(&mut rng, 500, 6, 1.0);
    for p in [62.0, 120.0, 250.0] {
        let options = follow_lewis_advice(&a, p);
        assert!(
            options.max_iter > 500,
            "p = {p} needs more than the default limit"
        );
    }
}

#[test]
fn lewis_limit_message_names_flag() {
    let mut rng = stream(22, "lewis-message");
    let a = normal_mat(&mut rng, 300, 4, 1.0);
    let error = lewis_weights(a.as_ref(), &LewisOptions::new(120.0).check().unwrap()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("--max-iter"), "{message}");
    assert!(!message.contains("--lewis-eta"), "{message}");
}

fn gaussian_problem(seed: u64, n: usize, d: usize) -> (faer::Mat<f64>, Vec<f64>) {
    let mut rng = stream(seed, "regression-problem");
    let a = normal_mat(&mut rng, n, d, 1.0);
    let b = normal_mat(&mut rng, n, 1, 1.0);
    (a, (0..n).map(|i| b[(i, 0)]).collect())
}

#[test]
fn duality_gap_bounds_suboptimality() {
    let (a, b) = gaussian_problem(1, 200, 5);
    let ones = vec![1.0; 200];
    for p in [1.0, 1.5, 3.0] {
        let optimum = lp_regression(
            a.as_ref(),
            &b,
            p,
            None,
            &LpSolver::Conic(ConicSettings::default()),
        )
        .unwrap();
        assert!(
            optimum.relative_gap < 1e-6,
            "p = {p}: gap {}",
            optimum.relative_gap
        );

        let shifted: Vec<f64> = optimum.x.iter().map(|x| x + 0.05).collect();
        let value = lp_objective(a.as_ref(), &b, &ones, p, &shifted);
        let suboptimality = (value - optimum.objective) / value;
        let gap = relative_duality_gap(a.as_ref(), &b, &ones, p, &shifted);
        assert!(
            suboptimality > 1e-4,
            "p = {p}: the shift must cost something"
        );
        assert!(
            gap >= suboptimality - 1e-9,
            "p = {p}: gap {gap} < {suboptimality}"
        );
    }
}

#[test]
fn failed_conic_falls_back_to_certified_irls() {
    let (a, b) = gaussian_problem(2, 200, 5);
    let crippled = LpSolver::Conic(ConicSettings {
        tol: 1e-9,
        max_iter: 2,
    });
    let fit = lp_regression(a.as_ref(), &b, 3.0, None, &crippled).unwrap();
    let irls = lp_regression(a.as_ref(), &b, 3.0, None, &LpSolver::irls()).unwrap();

    assert_eq!(fit.status, "IrlsFallback");
    assert!(fit.relative_gap <= FALLBACK_MAX_GAP);
    assert!((fit.objective / irls.objective - 1.0).abs() < 1e-12);
}

#[test]
fn crippled_conic_never_uncertified() {
    let (a, b) = gaussian_problem(3, 200, 5);
    let crippled = LpSolver::Conic(ConicSettings {
        tol: 1e-9,
        max_iter: 2,
    });
    let result = lp_regression(a.as_ref(), &b, 1.0, None, &crippled);
    match result {
        Err(Error::RegressionFailed { gap, .. }) => assert!(gap > FALLBACK_MAX_GAP),
        Ok(fit) => assert!(
            fit.relative_gap <= FALLBACK_MAX_GAP,
            "an uncertified point was returned: {fit:?}"
        ),
        Err(other) => panic!("unexpected error {other}"),
    }
}
