//! Hash-formula benchmark matrices: big (100 000 × 20), mid (2000 × 10), small (300 × 8).

mod common;

use common::{golden_json, hash};
use faer::Mat;
use lpsample::basis::{BasisMethod, orthonormal_basis};
use lpsample::conic::ConicSettings;
use lpsample::leverage::{LevMethod, leverage_scores};
use lpsample::sensitivity::{SensMethod, sensitivities, sensitivity_of_row};

fn rel_close(actual: f64, expected: f64, rel: f64) -> bool {
    (actual - expected).abs() <= rel * expected.abs()
}

#[test]
fn mid_row0_sensitivities() {
    let Some(golden) = golden_json("hash_matrices.json") else {
        return;
    };
    let mid = &golden["matrices"]["mid"];
    let a = Mat::from_fn(2000, 10, |i, j| {
        hash(i, j) + if i % 97 == 0 { 5.0 } else { 0.0 }
    });
    let basis = orthonormal_basis(a.as_ref(), BasisMethod::ColPivQr, None).unwrap();
    let settings = ConicSettings::default();

    let p1 = sensitivity_of_row(&basis, 0, 1.0, &settings).unwrap().value;
    let expected = mid["sens_p1_row0"].as_f64().unwrap();
    assert!(rel_close(p1, expected, 1e-6), "p = 1: {p1} vs {expected}");

    let p3 = sensitivity_of_row(&basis, 0, 3.0, &settings).unwrap().value;
    let expected = mid["sens_p3_row0"].as_f64().unwrap();
    assert!(rel_close(p3, expected, 1e-6), "p = 3: {p3} vs {expected}");
}

#[test]
fn big_leverage_max() {
    let Some(golden) = golden_json("hash_matrices.json") else {
        return;
    };
    let big = &golden["matrices"]["big"];
    let a = Mat::from_fn(100_000, 20, |i, j| {
        hash(i, j) * if i % 1000 == 0 { 30.0 } else { 1.0 }
    });
    for method in [LevMethod::ColPivQr, LevMethod::GramCholesky] {
        let tau = leverage_scores(a.as_ref(), method, None).unwrap().values;
        let argmax = (0..tau.len())
            .max_by(|&i, &j| tau[i].total_cmp(&tau[j]))
            .unwrap();
        assert_eq!(
            argmax as u64,
            big["tau_argmax"].as_u64().unwrap(),
            "{method:?}"
        );
        assert!(
            (tau[argmax] - big["tau_max"].as_f64().unwrap()).abs() < 1e-9,
            "{method:?}"
        );
        assert!((tau.iter().sum::<f64>() - 20.0).abs() < 1e-8, "{method:?}");
    }
}

#[test]
#[ignore = "slow: 300 linear programs"]
fn small_total_sensitivity_p1() {
    let Some(golden) = golden_json("hash_matrices.json") else {
        return;
    };
    let small = &golden["matrices"]["small"];
    let a = Mat::from_fn(300, 8, |i, j| {
        hash(i, j) * if i % 50 == 0 { 10.0 } else { 1.0 }
    });
    let sigma = sensitivities(
        a.as_ref(),
        1.0,
        SensMethod::Exact,
        &ConicSettings::default(),
        None,
    )
    .unwrap()
    .values;
    let total: f64 = sigma.iter().sum();
    let expected = small["total_sens_p1"].as_f64().unwrap();
    assert!(rel_close(total, expected, 1e-6), "{total} vs {expected}");
}
