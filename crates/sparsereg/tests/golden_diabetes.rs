//! Golden tests on the diabetes data: Lasso, OMP, forward stepwise, LassoCV
//! against scikit-learn 1.9.1 and `bestsubset::fs` values.

mod common;

use common::{diabetes, drop_first_row, floats, golden_json, indices};
use sparsereg::{AlphaGrid, Check, CvOptions, LassoOptions};

const ALPHAS: [&str; 5] = ["0.01", "0.1", "0.5", "1", "5"];

/// A named row set: (name, X, y).
type RowSet = (&'static str, faer::Mat<f64>, Vec<f64>);

fn row_sets() -> Option<Vec<RowSet>> {
    let (x, y) = diabetes()?;
    let (x1, y1) = drop_first_row(&x, &y);
    Some(vec![("full442", x, y), ("linfa441", x1, y1)])
}

#[test]
fn lasso_matches_sklearn_on_both_row_sets() {
    let (Some(sets), Some(golden)) = (row_sets(), golden_json("diabetes_fits.json")) else {
        return;
    };
    for (name, x, y) in &sets {
        for a in ALPHAS {
            let expected = &golden[name]["lasso"][a];
            let o = LassoOptions {
                alpha: a.parse().unwrap(),
                tol: 1e-14,
                ..Default::default()
            };
            let fit = sparsereg::lasso(x.as_ref(), y, &o.check().unwrap()).unwrap();
            for (j, (got, want)) in fit.coef.iter().zip(floats(&expected["coef"])).enumerate() {
                assert!(
                    (got - want).abs() <= 1e-6,
                    "{name} α={a} coef {j}: {got} vs {want}"
                );
            }
            let b = expected["intercept"].as_f64().unwrap();
            assert!(
                (fit.intercept - b).abs() <= 1e-7,
                "{name} α={a} intercept {}",
                fit.intercept
            );
            let p = expected["objective"].as_f64().unwrap();
            assert!(
                (fit.objective.unwrap() - p).abs() <= 1e-10 * p,
                "{name} α={a} objective"
            );
            assert!(
                fit.gap_rel.unwrap() <= 1e-12,
                "{name} α={a} gap {}",
                fit.gap_rel.unwrap()
            );
            assert!(fit.converged);
        }
    }
}

#[test]
fn lasso_alpha_above_max_is_zero() {
    let Some((x, y)) = diabetes() else { return };
    let amax = sparsereg::lasso::alpha_max(x.as_ref(), &y, true).unwrap();
    assert!((amax - 2.148043575529701).abs() <= 1e-12 * amax);
    let o = LassoOptions {
        alpha: amax,
        ..Default::default()
    }
    .check()
    .unwrap();
    let fit = sparsereg::lasso(x.as_ref(), &y, &o).unwrap();
    assert!(fit.coef.iter().all(|&v| v == 0.0));
}

#[test]
fn omp_order_and_coefficients() {
    let (Some(sets), Some(golden)) = (row_sets(), golden_json("diabetes_fits.json")) else {
        return;
    };
    for (name, x, y) in &sets {
        for k in ["1", "2", "3", "4", "5", "10"] {
            let expected = &golden[name]["omp"][k];
            let fit = sparsereg::omp(x.as_ref(), y, k.parse().unwrap(), true).unwrap();
            assert_eq!(
                fit.order.clone().unwrap(),
                indices(&expected["order"]),
                "{name} k={k}"
            );
            if let Some(coef) = expected.get("coef_on_support") {
                assert_eq!(fit.support(), indices(&expected["support"]));
                for (got, want) in fit.coef_on_support().iter().zip(floats(coef)) {
                    assert!((got - want).abs() <= 1e-7, "{name} k={k}: {got} vs {want}");
                }
                let b = expected["intercept"].as_f64().unwrap();
                assert!((fit.intercept - b).abs() <= 1e-7, "{name} k={k} intercept");
            }
        }
    }
}

#[test]
fn forward_stepwise_order_and_coefficients() {
    let (Some(sets), Some(golden)) = (row_sets(), golden_json("diabetes_fits.json")) else {
        return;
    };
    for (name, x, y) in &sets {
        let order10 = sparsereg::forward_stepwise(x.as_ref(), y, 10, true).unwrap();
        assert_eq!(
            order10.order.unwrap(),
            indices(&golden[name]["fs"]["10"]["order"]),
            "{name}"
        );
        let expected = &golden[name]["fs"]["5"];
        let fit = sparsereg::forward_stepwise(x.as_ref(), y, 5, true).unwrap();
        assert_eq!(fit.support(), vec![1, 2, 3, 4, 8]);
        for (got, want) in fit
            .coef_on_support()
            .iter()
            .zip(floats(&expected["coef_on_support"]))
        {
            assert!((got - want).abs() <= 1e-7, "{name}: {got} vs {want}");
        }
        let b = expected["intercept"].as_f64().unwrap();
        assert!((fit.intercept - b).abs() <= 1e-7, "{name} intercept");
    }
}

#[test]
fn lasso_cv_selects_sklearn_alpha() {
    let (Some((x, y)), Some(golden)) = (diabetes(), golden_json("diabetes_fits.json")) else {
        return;
    };
    let expected = &golden["full442"]["lasso_cv5"];
    let cv = CvOptions {
        grid: AlphaGrid::default(),
        ..Default::default()
    }
    .check()
    .unwrap();
    let o = LassoOptions {
        tol: 1e-12,
        ..Default::default()
    }
    .check()
    .unwrap();
    let res = sparsereg::lasso_cv(x.as_ref(), &y, &cv, &o).unwrap();
    assert_eq!(res.fold_sizes, vec![89, 89, 88, 88, 88]);
    let first = expected["alpha_first"].as_f64().unwrap();
    let last = expected["alpha_last"].as_f64().unwrap();
    assert!((res.alphas[0] - first).abs() <= 1e-12 * first);
    assert!((res.alphas[99] - last).abs() <= 1e-12 * last);
    assert_eq!(res.best_index, 91);
    let alpha = expected["alpha_selected"].as_f64().unwrap();
    assert!((res.fit.alpha.unwrap() - alpha).abs() <= 1e-12 * alpha);
    let mse = expected["mean_mse_at_selected"].as_f64().unwrap();
    assert!(
        (res.mean_mse[91] - mse).abs() <= 1e-6 * mse,
        "mse {}",
        res.mean_mse[91]
    );
    let mse_first = expected["mean_mse_first"].as_f64().unwrap();
    assert!((res.mean_mse[0] - mse_first).abs() <= 1e-6 * mse_first);
    for (got, want) in res.fit.coef.iter().zip(floats(&expected["coef"])) {
        assert!((got - want).abs() <= 1e-6 * 1000.0, "{got} vs {want}");
    }
}
