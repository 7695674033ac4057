//! Closed forms: well-specified MVN, 1-D families, exact risks, n_min roots
//! and the calibration table.

mod common;

use common::{assert_rel, golden, num};
use pncrit::calibrate::{Calib, ber_lower_bounds, tolerance_from_bayes_error};
use pncrit::criterion::{Order, n_min};
use pncrit::exact;
use pncrit::expansion::{ModelCumulants, Truth, expansion};
use pncrit::gaussian;

#[test]
fn mvn_model_mode_closed_form() {
    for d in 1..=8usize {
        let e = gaussian::expansion(d, None).unwrap();
        let df = d as f64;
        assert_rel(e.a1, gaussian::stat_dim(d) as f64 / 2.0, 1e-12, "a1");
        assert_rel(e.a2, exact::mvn_a2(d), 1e-9, "a2");
        assert_rel(
            e.parts.t,
            df.powi(3) + 6.0 * df * df + 7.0 * df,
            1e-9,
            "gamma_F via T",
        );
        assert_rel(
            e.parts.f,
            df.powi(3) + 6.0 * df * df + 7.0 * df,
            1e-9,
            "gamma_F",
        );
        assert_rel(e.parts.p, 2.0 * df * (df + 2.0).powi(2), 1e-9, "gamma_P");
        assert_rel(e.parts.q, df * (2.0 * df + 3.0) * (df + 3.0), 1e-9, "rho4");
    }
}

#[test]
fn mvn_d2_acceptance_value() {
    let e = gaussian::expansion(2, None).unwrap();
    assert!(
        (e.a2 - 16.916_666_666_666_668).abs() < 1e-9,
        "a2 = {}",
        e.a2
    );
    assert_eq!(e.a1, 2.5);
}

#[test]
fn mvn_golden_parts_and_exact_risk() {
    let Some(g) = golden("closed_form.json") else {
        return;
    };
    for case in g["mvn_well_specified"].as_array().unwrap() {
        let d = case["d"].as_u64().unwrap() as usize;
        if d <= 11 {
            let e = gaussian::expansion(d, None).unwrap();
            assert_rel(e.a1, num(&case["a1"]), 1e-9, "a1");
            assert_rel(e.a2, num(&case["a2"]), 1e-9, "a2");
            assert_rel(e.parts.f, num(&case["gamma_F"]), 1e-9, "gamma_F");
            assert_rel(e.parts.p, num(&case["gamma_P"]), 1e-9, "gamma_P");
            assert_rel(e.parts.q, num(&case["rho4"]), 1e-9, "rho4");
        }
        let (a1, a2) = (num(&case["a1"]), exact::mvn_a2(d));
        for (n_text, value) in case["exact_risk"].as_object().unwrap() {
            let n: usize = n_text.parse().unwrap();
            let tol = if n <= 1000 { 1e-8 } else { 1e-6 };
            let exact_risk = exact::mvn_exact_risk(d, n).unwrap();
            assert_rel(exact_risk, num(value), tol, "exact risk");
            let nf = n as f64;
            if n >= 50 {
                assert!(
                    (exact_risk - (a1 / nf + a2 / nf / nf)).abs() < (exact_risk - a1 / nf).abs(),
                    "d = {d}, n = {n}"
                );
            }
        }
        for (r_text, roots) in case["n_min"].as_object().unwrap() {
            let r: f64 = r_text.parse().unwrap();
            let (second, _, _) = n_min(a1, a2, r, Order::Second);
            let (first, _, _) = n_min(a1, a2, r, Order::First);
            assert!(
                (second - num(&roots["second_order"])).abs() < 1e-6,
                "second-order root d = {d}, r = {r}"
            );
            assert!(
                (first - num(&roots["first_order"])).abs() < 1e-6,
                "first-order root d = {d}, r = {r}"
            );
        }
    }
}

#[test]
fn exponential_exact_risk_golden() {
    let Some(g) = golden("closed_form.json") else {
        return;
    };
    let case = &g["exponential_rate"];
    let e = expansion(
        &ModelCumulants::Analytic1D {
            k2: 1.0,
            k3: 2.0,
            k4: 6.0,
        },
        &Truth::SameAsModel,
    )
    .unwrap();
    assert_rel(e.a2, num(&case["a2"]), 1e-12, "a2");
    for (n_text, value) in case["exact_risk"].as_object().unwrap() {
        let n: usize = n_text.parse().unwrap();
        assert_rel(
            exact::exponential_exact_risk(n).unwrap(),
            num(value),
            1e-10,
            "exact",
        );
    }
}

#[test]
fn one_dim_families_golden() {
    let Some(g) = golden("closed_form.json") else {
        return;
    };
    for case in g["poisson_well_specified"]["values"].as_array().unwrap() {
        let lam = num(&case["lam"]);
        let e = expansion(
            &ModelCumulants::Analytic1D {
                k2: lam,
                k3: lam,
                k4: lam,
            },
            &Truth::SameAsModel,
        )
        .unwrap();
        assert_rel(e.a1, 0.5, 1e-14, "poisson a1");
        assert_rel(e.a2, num(&case["a2"]), 1e-12, "poisson a2");
    }
    for case in g["bernoulli_well_specified"]["values"].as_array().unwrap() {
        let mu = num(&case["p0"]);
        let k2 = mu * (1.0 - mu);
        let model = ModelCumulants::Analytic1D {
            k2,
            k3: k2 * (1.0 - 2.0 * mu),
            k4: k2 * (1.0 - 6.0 * k2),
        };
        let e = expansion(&model, &Truth::SameAsModel).unwrap();
        assert_rel(e.a2, num(&case["a2"]), 1e-12, "bernoulli a2");
        let identity = 19.0 / 24.0 * num(&case["skew2"]) - 3.0 / 8.0 * num(&case["exkurt"]);
        assert_rel(e.a2, identity, 1e-12, "1-D identity");
    }
}

#[test]
fn categorical_golden() {
    let Some(g) = golden("closed_form.json") else {
        return;
    };
    for case in g["categorical_well_specified"]["values"]
        .as_array()
        .unwrap()
    {
        let pi: Vec<f64> = case["pi"].as_array().unwrap().iter().map(num).collect();
        let k = pi.len();
        let onehot = faer::Mat::from_fn(k, k - 1, |c, j| f64::from(u8::from(c == j)));
        let cloud = pncrit::cumulant::Cloud::weighted(onehot.as_ref(), pi.clone()).unwrap();
        let e = expansion(&ModelCumulants::Cloud(cloud.clone()), &Truth::SameAsModel).unwrap();
        assert_rel(e.a1, num(&case["a1"]), 1e-12, "a1");
        assert_rel(e.a2, num(&case["a2"]), 1e-9, "a2");
        let formula = (5.0 * pi.iter().map(|p| 1.0 / p).sum::<f64>() - 6.0 * k as f64 + 1.0) / 12.0;
        assert_rel(e.a2, formula, 1e-9, "formula");
        if let Some(parts) = case.get("parts") {
            for (name, value) in [
                ("T", e.parts.t),
                ("F", e.parts.f),
                ("P", e.parts.p),
                ("Q", e.parts.q),
            ] {
                assert!((value - num(&parts[name])).abs() < 1e-9, "{name}: {value}");
            }
        }
        let mis = expansion(&ModelCumulants::Cloud(cloud.clone()), &Truth::Cloud(&cloud)).unwrap();
        assert_rel(mis.a2, e.a2, 1e-12, "misspecified = model");
    }
}

#[test]
fn calibration_table_and_ber_bounds() {
    let Some(g) = golden("closed_form.json") else {
        return;
    };
    for row in g["calibration"]["values"].as_array().unwrap() {
        let beta = num(&row["beta"]);
        let cases = [
            (Calib::Pinsker, "r_pinsker"),
            (Calib::BretagnolleHuber, "r_bretagnolle_huber"),
            (Calib::Combined, "r_max"),
            (Calib::Markov { alpha: 0.1 }, "r_markov_alpha_0_1"),
        ];
        for (calib, key) in cases {
            let r = tolerance_from_bayes_error(beta, calib).unwrap();
            assert!(
                (r - num(&row[key])).abs() < 1e-12,
                "{key} at beta = {beta}: {r}"
            );
        }
    }
    for row in g["bayes_error_gaussian_shift"]["values"]
        .as_array()
        .unwrap()
    {
        let (pinsker, bh) = ber_lower_bounds(num(&row["kl"]));
        assert!((pinsker - num(&row["pinsker_lower"])).abs() < 1e-12);
        assert!((bh - num(&row["bh_lower"])).abs() < 1e-12);
        assert!(pinsker <= num(&row["exact_ber"]));
        assert!(bh <= num(&row["exact_ber"]));
    }
}

#[test]
fn beta_out_of_range_rejected() {
    assert!(tolerance_from_bayes_error(0.5, Calib::Pinsker).is_err());
    assert!(tolerance_from_bayes_error(0.0, Calib::Pinsker).is_err());
}

#[test]
fn n_min_negative_a2_without_root() {
    let (root, n, flags) = n_min(1.0, -100.0, 0.02, Order::Second);
    assert_eq!(root, 50.0);
    assert!(flags.contains(&pncrit::criterion::Flag::NoRealRoot));
    assert_eq!(n, 200, "raised to the reliability bound 2|a2|/a1");
}
