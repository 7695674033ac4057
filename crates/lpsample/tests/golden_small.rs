//! Golden values for the 3 × 2 matrix A3, the closed forms, D12 and the 50 × 4
//! rank-3 matrix.

mod common;

use common::{assert_close, assert_rel, d12, golden_json, matrix, rank_deficient, vector};
use faer::Mat;
use lpsample::basis::{BasisMethod, orthonormal_basis};
use lpsample::conic::ConicSettings;
use lpsample::leverage::{LevMethod, leverage_scores};
use lpsample::lewis::{LewisOptions, lewis_weights};
use lpsample::sensitivity::{SensMethod, sensitivities, sensitivity_of_row};
use lpsample::{Error, Result};
use serde_json::Value;

fn exact(a: &Mat<f64>, p: f64) -> Vec<f64> {
    sensitivities(
        a.as_ref(),
        p,
        SensMethod::Exact,
        &ConicSettings::default(),
        None,
    )
    .unwrap()
    .values
}

fn lewis(a: &Mat<f64>, p: f64, eta: Option<f64>) -> Result<lpsample::lewis::LewisResult> {
    let options = LewisOptions {
        eta,
        ..LewisOptions::new(p)
    };
    lewis_weights(a.as_ref(), &options.check()?)
}

#[test]
fn a3_closed_values() {
    let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let tau = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
    assert_close(&tau.values, &[2.0 / 3.0; 3], 1e-12, "tau");
    let w = lewis(&a, 1.0, None).unwrap();
    assert_close(&w.weights, &[2.0 / 3.0; 3], 1e-10, "lewis p=1");

    assert_close(&exact(&a, 1.0), &[0.5; 3], 1e-7, "sigma p=1");
    assert_close(
        &exact(&a, 1.5),
        &[2.0 - 2f64.sqrt(); 3],
        1e-7,
        "sigma p=1.5",
    );
    assert_close(&exact(&a, 3.0), &[0.8; 3], 1e-7, "sigma p=3");
    assert!((exact(&a, 1.0).iter().sum::<f64>() - 1.5).abs() < 1e-6);
    assert!((exact(&a, 3.0).iter().sum::<f64>() - 2.4).abs() < 1e-6);
}

#[test]
fn closed_forms_every_p() {
    let Some(golden) = golden_json("small_matrices.json") else {
        return;
    };
    let cases: [(&str, Mat<f64>); 3] = [
        (
            "stacked_identity",
            Mat::from_fn(6, 3, |i, j| f64::from(i % 3 == j)),
        ),
        ("ones_column", Mat::from_fn(5, 1, |_, _| 1.0)),
        ("identity", Mat::from_fn(4, 4, |i, j| f64::from(i == j))),
    ];
    for (name, a) in cases {
        let case = golden["closed_forms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap();
        let tau = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
        assert_close(&tau.values, &vector(&case["tau"]), 1e-10, name);
        for p in vector(&case["p_values"]) {
            let w = lewis(&a, p, None).unwrap();
            assert_close(&w.weights, &vector(&case["lewis"]), 1e-9, name);
            assert_rel(&exact(&a, p), &vector(&case["sens"]), 1e-6, name);
        }
    }
}

#[test]
fn zero_row_scores_zero() {
    let Some(golden) = golden_json("small_matrices.json") else {
        return;
    };
    let case = &golden["closed_forms"][3];
    let a = faer::mat![[1.0, 2.0], [0.0, 0.0], [3.0, 1.0], [2.0, 2.0]];
    let tau = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
    assert_close(&tau.values, &vector(&case["tau"]), 1e-10, "tau");
    let w = lewis(&a, 1.0, None).unwrap();
    assert_close(&w.weights, &vector(&case["lewis_p1"]), 1e-9, "lewis p=1");
    assert_rel(
        &exact(&a, 1.0),
        &vector(&case["sens_p1"]),
        1e-6,
        "sigma p=1",
    );
    assert_rel(
        &exact(&a, 3.0),
        &vector(&case["sens_p3"]),
        1e-6,
        "sigma p=3",
    );

    let basis = orthonormal_basis(a.as_ref(), BasisMethod::ColPivQr, None).unwrap();
    let row = sensitivity_of_row(&basis, 1, 1.0, &ConicSettings::default()).unwrap();
    assert_eq!(row.value, 0.0);
    assert_eq!(row.iterations, 0, "no program is solved for a zero row");
}

fn d12_golden() -> Option<Value> {
    Some(golden_json("small_matrices.json")?["D12"].clone())
}

#[test]
fn d12_matches_formula() {
    let Some(golden) = d12_golden() else {
        return;
    };
    let expected = matrix(&golden["matrix"]);
    let a = d12();
    for i in 0..12 {
        for j in 0..3 {
            assert!((a[(i, j)] - expected[(i, j)]).abs() < 1e-14);
        }
    }
}

#[test]
fn d12_leverage_and_lewis() {
    let Some(golden) = d12_golden() else {
        return;
    };
    let a = d12();
    for method in [LevMethod::ColPivQr, LevMethod::Svd, LevMethod::GramCholesky] {
        let tau = leverage_scores(a.as_ref(), method, None).unwrap();
        assert_close(&tau.values, &vector(&golden["tau"]), 1e-10, "tau");
    }

    let iterations = &golden["lewis_iterations_tol1e-12"];
    for key in ["1", "1.5", "3", "4", "6", "8"] {
        let p: f64 = key.parse().unwrap();
        let w = lewis(&a, p, None).unwrap();
        assert_close(&w.weights, &vector(&golden["lewis"][key]), 1e-9, key);
        assert!((w.weights.iter().sum::<f64>() - 3.0).abs() < 1e-10);

        let expected = iterations[key]["eta=4/(p+2)"].as_u64().unwrap() as i64;
        let counted = if p > 2.0 {
            w.iterations as i64
        } else {
            let damped = lewis(&a, p, Some(4.0 / (p + 2.0))).unwrap();
            damped.iterations as i64
        };
        assert!(
            (counted - expected).abs() <= 3,
            "p = {p}: {counted} iterations, expected {expected}"
        );

        if let Some(undamped) = iterations[key]["eta=1"].as_u64() {
            let count = lewis(&a, p, Some(1.0)).unwrap().iterations as i64;
            assert!(
                (count - undamped as i64).abs() <= 3,
                "p = {p} undamped: {count}"
            );
        }
    }
}

#[test]
fn d12_undamped_lewis_diverges() {
    let a = d12();
    for p in [4.0, 6.0, 8.0] {
        let result = lewis(&a, p, Some(1.0));
        assert!(
            matches!(result, Err(Error::LewisDiverged { .. })),
            "p = {p}: expected LewisDiverged, got {result:?}"
        );
    }
}

#[test]
fn d12_sensitivities_and_totals() {
    let Some(golden) = d12_golden() else {
        return;
    };
    let a = d12();
    for key in ["1", "1.5", "2", "3", "6"] {
        let p: f64 = key.parse().unwrap();
        let sigma = exact(&a, p);
        assert_rel(&sigma, &vector(&golden["sens"][key]), 1e-6, key);
        let total = golden["totals"][key].as_f64().unwrap();
        assert_rel(&[sigma.iter().sum()], &[total], 1e-6, "total");
    }

    let tau = vector(&golden["tau"]);
    let basis = orthonormal_basis(a.as_ref(), BasisMethod::ColPivQr, None).unwrap();
    for (row, expected) in tau.iter().enumerate() {
        let sigma = sensitivity_of_row(&basis, row, 2.0, &ConicSettings::default()).unwrap();
        assert!(
            (sigma.value - expected).abs() < 1e-8,
            "conic p = 2 row {row}"
        );
    }
}

#[test]
fn rank_deficient_leverage_sums_to_rank() {
    let a = rank_deficient();
    for method in [LevMethod::ColPivQr, LevMethod::Svd, LevMethod::GramCholesky] {
        let tau = leverage_scores(a.as_ref(), method, None).unwrap();
        assert_eq!(tau.rank, 3, "{method:?}");
        assert!(
            (tau.values.iter().sum::<f64>() - 3.0).abs() < 1e-10,
            "{method:?}"
        );
    }

    // Unpivoted thin QR keeps 4 orthonormal columns, so its "scores" sum to 4.
    let q = a.qr().compute_thin_Q();
    let unpivoted: f64 = (0..50)
        .map(|i| (0..4).map(|j| q[(i, j)].powi(2)).sum::<f64>())
        .sum();
    assert!((unpivoted - 4.0).abs() < 1e-10);

    let Some(golden) = golden_json("small_matrices.json") else {
        return;
    };
    let golden = &golden["rank_deficient"];
    let tau = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
    assert_close(&tau.values, &vector(&golden["tau"]), 1e-10, "tau");
    for key in ["1", "3"] {
        let p: f64 = key.parse().unwrap();
        let w = lewis(&a, p, None).unwrap();
        assert_close(&w.weights, &vector(&golden["lewis"][key]), 1e-9, "lewis");
        let sigma = exact(&a, p);
        assert_rel(&sigma, &vector(&golden["sens"][key]), 1e-6, "sigma");
        let total = golden["totals"][key].as_f64().unwrap();
        assert_rel(&[sigma.iter().sum()], &[total], 1e-6, "total");
    }
}
