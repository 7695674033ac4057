//! Golden tests on the 40 × 80 formula design: every solver's support and
//! coefficients, IHT's iteration count and objective trace, and s_min of
//! fixed subsets.

mod common;

use common::{floats, formula_design, golden_json, indices};
use sparsereg::{Check, CosampOptions, IhtOptions, LassoOptions};

#[test]
fn formula_design_entries() {
    let Some(golden) = golden_json("formula_design.json") else {
        return;
    };
    let (x, y) = formula_design();
    let want = floats(&golden["design"]["X_00_01_10"]);
    assert!((x[(0, 0)] - want[0]).abs() <= 1e-15);
    assert!((x[(0, 1)] - want[1]).abs() <= 1e-15);
    assert!((x[(1, 0)] - want[2]).abs() <= 1e-15);
    for (got, want) in y.iter().zip(floats(&golden["design"]["y_first3"])) {
        assert!((got - want).abs() <= 1e-10, "{got} vs {want}");
    }
    let norm = sparsereg::linalg::spectral_norm(&x);
    assert!((norm - golden["design"]["spectral_norm_X"].as_f64().unwrap()).abs() <= 1e-10);
}

#[test]
fn formula_lasso_fits() {
    let Some(golden) = golden_json("formula_design.json") else {
        return;
    };
    let (x, y) = formula_design();
    for a in ["0.2", "0.05", "0.01"] {
        let expected = &golden["results"][format!("lasso_alpha_{a}")];
        let o = LassoOptions {
            alpha: a.parse().unwrap(),
            fit_intercept: false,
            tol: 1e-14,
            ..Default::default()
        };
        let fit = sparsereg::lasso(x.as_ref(), &y, &o.check().unwrap()).unwrap();
        assert_eq!(fit.support(), indices(&expected["support"]), "α={a}");
        for (got, want) in fit
            .coef_on_support()
            .iter()
            .zip(floats(&expected["coef_on_support"]))
        {
            assert!((got - want).abs() <= 1e-7, "α={a}: {got} vs {want}");
        }
        let p = expected["objective"].as_f64().unwrap();
        assert!(
            (fit.objective.unwrap() - p).abs() <= 1e-9 * p,
            "α={a} objective"
        );
    }
}

#[test]
fn formula_greedy_fits() {
    let Some(golden) = golden_json("formula_design.json") else {
        return;
    };
    let (x, y) = formula_design();
    let r = &golden["results"];
    let omp = sparsereg::omp(x.as_ref(), &y, 4, false).unwrap();
    assert_eq!(omp.order.clone().unwrap(), vec![46, 3, 42, 65]);
    assert_eq!(omp.support(), indices(&r["omp_k4"]["support"]));
    for (got, want) in omp
        .coef_on_support()
        .iter()
        .zip(floats(&r["omp_k4"]["coef_on_support"]))
    {
        assert!((got - want).abs() <= 1e-7, "omp: {got} vs {want}");
    }
    let fs = sparsereg::forward_stepwise(x.as_ref(), &y, 4, false).unwrap();
    assert_eq!(fs.order.clone().unwrap(), indices(&r["fs_k4"]["order"]));
    for (got, want) in fs
        .coef_on_support()
        .iter()
        .zip(floats(&r["fs_k4"]["coef_on_support"]))
    {
        assert!((got - want).abs() <= 1e-7, "fs: {got} vs {want}");
    }
}

#[test]
fn formula_cosamp_fit() {
    let Some(golden) = golden_json("formula_design.json") else {
        return;
    };
    let (x, y) = formula_design();
    let expected = &golden["results"]["cosamp_k4"];
    for (refit, key) in [(false, "coef_on_support"), (true, "refit_coef_on_support")] {
        let o = CosampOptions {
            k: 4,
            fit_intercept: false,
            refit,
            ..Default::default()
        }
        .check()
        .unwrap();
        let fit = sparsereg::cosamp(x.as_ref(), &y, &o).unwrap();
        assert_eq!(fit.support(), vec![3, 17, 42, 65]);
        for (got, want) in fit.coef_on_support().iter().zip(floats(&expected[key])) {
            assert!((got - want).abs() <= 1e-7, "cosamp {key}: {got} vs {want}");
        }
        assert!(fit.support().len() <= 4);
    }
}

#[test]
fn formula_iht_fit_and_trace() {
    let Some(golden) = golden_json("formula_design.json") else {
        return;
    };
    let (x, y) = formula_design();
    let expected = &golden["results"]["iht_k4"];
    let o = IhtOptions {
        k: 4,
        fit_intercept: false,
        tol: 1e-13,
        refit: false,
        ..Default::default()
    };
    let (fit, trace) =
        sparsereg::greedy::iht::iht_with_trace(x.as_ref(), &y, &o.check().unwrap()).unwrap();
    assert_eq!(fit.support(), vec![3, 17, 42, 46]);
    let iterations = expected["iterations"].as_f64().unwrap();
    assert!(
        (fit.epochs as f64 - iterations).abs() <= 0.05 * iterations,
        "iterations {}",
        fit.epochs
    );
    for (got, want) in fit
        .coef_on_support()
        .iter()
        .zip(floats(&expected["coef_on_support"]))
    {
        assert!((got - want).abs() <= 1e-7, "iht: {got} vs {want}");
    }
    for (t, want) in floats(&expected["objective_first5"]).iter().enumerate() {
        assert!(
            (trace[t] - want).abs() <= 1e-9 * want,
            "trace {t}: {} vs {want}",
            trace[t]
        );
    }
    assert!(
        trace.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-12)),
        "IHT objective increased"
    );
}

#[test]
fn formula_restricted_conditioning() {
    let Some(golden) = golden_json("formula_design.json") else {
        return;
    };
    let (x, _) = formula_design();
    let xn = sparsereg::diagnostic::normalize_columns(x.as_ref());
    let subsets = golden["restricted_conditioning"]["subsets"]
        .as_object()
        .unwrap();
    for (key, value) in subsets {
        let s: Vec<usize> = key.split(',').map(|v| v.parse().unwrap()).collect();
        let got = sparsereg::diagnostic::s_min(xn.as_ref(), &s).unwrap();
        let want = value["s_min"].as_f64().unwrap();
        assert!((got - want).abs() <= 1e-10, "{key}: {got} vs {want}");
    }
}
