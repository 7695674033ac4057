//! ℓp regression on the stackloss data against the golden optima.

mod common;

use common::{golden_json, matrix};
use faer::Mat;
use lpsample::conic::ConicSettings;
use lpsample::regression::{LpSolver, lp_regression};

/// Returns A = [1, AIRFLOW, WATERTEMP, ACIDCONC] and b = STACKLOSS.
fn stackloss(golden: &serde_json::Value) -> (Mat<f64>, Vec<f64>) {
    let data = matrix(&golden["data"]);
    let a = Mat::from_fn(
        data.nrows(),
        4,
        |i, j| if j == 0 { 1.0 } else { data[(i, j)] },
    );
    let b = (0..data.nrows()).map(|i| data[(i, 0)]).collect();
    (a, b)
}

#[test]
fn stackloss_conic_and_irls() {
    let Some(golden) = golden_json("lp_regression.json") else {
        return;
    };
    let (a, b) = stackloss(&golden);
    let conic = LpSolver::Conic(ConicSettings::default());

    for key in ["1", "1.5", "2", "3"] {
        let p: f64 = key.parse().unwrap();
        let expected = golden["solutions"][key]["objective"].as_f64().unwrap();

        let fit = lp_regression(a.as_ref(), &b, p, None, &conic).unwrap();
        let error = (fit.objective - expected).abs() / expected;
        assert!(
            error < 1e-8,
            "conic p = {p}: objective {} vs {expected}",
            fit.objective
        );

        let fit_irls = lp_regression(a.as_ref(), &b, p, None, &LpSolver::irls()).unwrap();
        let error = (fit_irls.objective - expected).abs() / expected;
        assert!(
            error < 1e-6,
            "IRLS p = {p}: objective {} vs {expected}",
            fit_irls.objective
        );
    }
}

#[test]
fn stackloss_l1_coefficients_unique() {
    let Some(golden) = golden_json("lp_regression.json") else {
        return;
    };
    let (a, b) = stackloss(&golden);
    let fit = lp_regression(
        a.as_ref(),
        &b,
        1.0,
        None,
        &LpSolver::Conic(ConicSettings::default()),
    )
    .unwrap();
    let expected = common::vector(&golden["solutions"]["1"]["coef"]);
    common::assert_close(&fit.x, &expected, 1e-6, "p = 1 coefficients");
}
