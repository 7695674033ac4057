//! The Monte-Carlo validator against the expansion and the golden simulations.

mod common;

use common::{assert_rel, golden, num};
use pncrit::simulate::{Case, case_expansion, simulate};

const REPS: usize = 20_000;

#[test]
fn case_coefficients_match_golden() {
    let Some(g) = golden("monte_carlo.json") else {
        return;
    };
    let cases = g["cases"].as_array().unwrap();
    for (case, name) in [
        (Case::PoissonNegBin, "poisson_negbin"),
        (Case::NormalGamma, "normal_gamma"),
        (Case::IndepBernoulli, "indep_bernoulli_correlated_pair"),
    ] {
        let gold = cases.iter().find(|c| c["name"] == name).unwrap();
        let e = case_expansion(case).unwrap();
        assert_rel(e.a1, num(&gold["a1"]), 1e-9, name);
        assert_rel(e.a2, num(&gold["a2"]), 1e-9, name);
        if let Some(parts) = gold.get("parts") {
            assert_rel(e.parts.t, num(&parts["T"]), 1e-9, "T");
            assert_rel(e.parts.q, num(&parts["Q"]), 1e-9, "Q");
        }
    }
}

#[test]
fn simulation_agrees_with_expansion_and_golden() {
    let gold = golden("monte_carlo.json");
    for (case, name, ns, allowance) in [
        (
            Case::PoissonNegBin,
            "poisson_negbin",
            [20usize, 40, 80],
            0.0,
        ),
        (Case::NormalGamma, "normal_gamma", [40, 80, 160], 100.0),
        (
            Case::IndepBernoulli,
            "indep_bernoulli_correlated_pair",
            [30, 60, 120],
            0.0,
        ),
    ] {
        for n in ns {
            let row = simulate(case, n, REPS, 1).unwrap();
            let slack = allowance / (n as f64).powi(3);
            assert!(
                (row.mc_mean - row.r2).abs() < 4.0 * row.mc_se + slack,
                "{name} n = {n}: {row:?}"
            );
            let Some(g) = &gold else { continue };
            let cases = g["cases"].as_array().unwrap();
            let entry = cases.iter().find(|c| c["name"] == name).unwrap();
            if let Some(m) = entry["mc"].as_array().unwrap().iter().find(|m| m["n"] == n) {
                let se = (row.mc_se.powi(2) + num(&m["mc_se"]).powi(2)).sqrt();
                assert!(
                    (row.mc_mean - num(&m["mc_mean"])).abs() < 4.0 * se,
                    "{name} n = {n} vs golden"
                );
            }
        }
    }
}

#[test]
fn simulation_is_reproducible() {
    let a = simulate(Case::NormalGamma, 30, 500, 9).unwrap();
    let b = simulate(Case::NormalGamma, 30, 500, 9).unwrap();
    assert_eq!(a.mc_mean.to_bits(), b.mc_mean.to_bits());
}

#[test]
fn ising4_categorical_truth_coefficients() {
    let Some(g) = golden("monte_carlo.json") else {
        return;
    };
    let gold = g["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ising4_categorical_truth")
        .unwrap();
    let ptrue: Vec<f64> = gold["ptrue"].as_array().unwrap().iter().map(num).collect();
    let terms = pncrit::family::subsets(4, 2);
    let x = pncrit::family::LogLinear::states(4);
    let t = faer::Mat::from_fn(16, terms.len(), |s, a| {
        terms[a].iter().map(|&j| x[(s, j)]).product()
    });
    let truth = pncrit::cumulant::Cloud::weighted(t.as_ref(), ptrue).unwrap();

    let opts = pncrit::fit::FitOptions::default().check().unwrap();
    let fit = pncrit::fit::newton(t.as_ref(), &truth.mean, &opts).unwrap();
    for (theta, expected) in fit.theta.iter().zip(gold["theta_star"].as_array().unwrap()) {
        assert!(
            (theta - num(expected)).abs() < 1e-8,
            "theta* {theta} vs {expected}"
        );
    }
    let model = pncrit::cumulant::Cloud::weighted(t.as_ref(), fit.probs.clone()).unwrap();
    let e = pncrit::expansion::expansion(
        &pncrit::expansion::ModelCumulants::Cloud(model),
        &pncrit::expansion::Truth::Cloud(&truth),
    )
    .unwrap();
    assert_rel(e.a1, num(&gold["a1"]), 1e-8, "a1");
    assert_rel(e.a2, num(&gold["a2"]), 1e-8, "a2");
    assert_rel(e.parts.t, num(&gold["parts"]["T"]), 1e-8, "T");
    assert_rel(e.parts.f, num(&gold["parts"]["F"]), 1e-8, "F");
    assert_rel(e.parts.p, num(&gold["parts"]["P"]), 1e-8, "P");
    assert_rel(e.parts.q, num(&gold["parts"]["Q"]), 1e-8, "Q");
}
