//! Scores of the diabetes design with an intercept (442 × 11).

mod common;

use common::{assert_close, assert_rel, golden_dir, golden_json, vector};
use faer::Mat;
use lpsample::conic::ConicSettings;
use lpsample::leverage::{LevMethod, leverage_scores};
use lpsample::lewis::{LewisOptions, lewis_weights};
use lpsample::sensitivity::{SensMethod, sensitivities};

/// Reads A = [1, X] from diabetes.tsv (header line, 10 features, target).
fn diabetes_design() -> Option<Mat<f64>> {
    let path = golden_dir()?.join("diabetes.tsv");
    let text = std::fs::read_to_string(&path).expect("diabetes.tsv is readable");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            line.split('\t')
                .map(|v| v.trim().parse().unwrap())
                .collect()
        })
        .collect();
    Some(Mat::from_fn(rows.len(), 11, |i, j| {
        if j == 0 { 1.0 } else { rows[i][j - 1] }
    }))
}

fn argmax(values: &[f64]) -> usize {
    (0..values.len())
        .max_by(|&i, &j| values[i].total_cmp(&values[j]))
        .unwrap()
}

#[test]
fn diabetes_leverage_and_lewis() {
    let (Some(golden), Some(a)) = (golden_json("diabetes_scores.json"), diabetes_design()) else {
        return;
    };
    let full = &golden["full442"];
    assert_eq!(a.nrows(), 442);

    let tau = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None)
        .unwrap()
        .values;
    assert_close(&tau, &vector(&full["tau_all"]), 1e-10, "tau");
    assert_eq!(argmax(&tau), 322);
    assert!((tau[322] - 0.127620550883).abs() < 1e-10);

    for (p, key) in [(1.0, "lewis_p1_all"), (3.0, "lewis_p3_all")] {
        let w = lewis_weights(a.as_ref(), &LewisOptions::new(p).check().unwrap()).unwrap();
        assert_close(&w.weights, &vector(&full[key]), 1e-9, key);
    }

    let a441 = a.subrows(1, 441).to_owned();
    let linfa = &golden["linfa441"];
    let tau441 = leverage_scores(a441.as_ref(), LevMethod::ColPivQr, None)
        .unwrap()
        .values;
    assert_close(
        &tau441[..5],
        &vector(&linfa["tau"]["first5"]),
        1e-10,
        "tau 441",
    );
    assert_eq!(argmax(&tau441), 321);
}

#[test]
fn diabetes_sensitivities_p3_first_rows() {
    let (Some(golden), Some(a)) = (golden_json("diabetes_scores.json"), diabetes_design()) else {
        return;
    };
    let basis = lpsample::basis::orthonormal_basis(
        a.as_ref(),
        lpsample::basis::BasisMethod::ColPivQr,
        None,
    )
    .unwrap();
    let expected = vector(&golden["full442"]["sens_p3_first10"]);
    let settings = ConicSettings::default();
    let sigma: Vec<f64> = (0..10)
        .map(|row| {
            lpsample::sensitivity::sensitivity_of_row(&basis, row, 3.0, &settings)
                .unwrap()
                .value
        })
        .collect();
    assert_rel(&sigma, &expected, 1e-6, "sigma p=3");
}

/// About 442 linear programs of 453 variables each.
#[test]
#[ignore = "slow: one linear program per row"]
fn diabetes_sensitivities_p1_all() {
    let (Some(golden), Some(a)) = (golden_json("diabetes_scores.json"), diabetes_design()) else {
        return;
    };
    let full = &golden["full442"];
    let sigma = sensitivities(
        a.as_ref(),
        1.0,
        SensMethod::Exact,
        &ConicSettings::default(),
        None,
    )
    .unwrap()
    .values;
    assert_rel(&sigma, &vector(&full["sens_p1_all"]), 1e-6, "sigma p=1");
    let total: f64 = sigma.iter().sum();
    assert!((total - 4.28742695316).abs() < 1e-6 * 4.3);
}
