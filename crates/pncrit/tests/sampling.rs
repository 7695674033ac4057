//! Gibbs-sampled log-linear clouds against exact enumeration on a dimension
//! where both work (d = 5, pairwise, p = 15).

use faer::Mat;
use pncrit::family::gibbs::{self, GibbsOptions};
use pncrit::family::{Analysis, LogLinear, Mode, Sampling, analyze, subsets};
use pncrit::fit::FitOptions;
use tape::rng::{stream, unit};

const D: usize = 5;

/// Draws n rows exactly from a pairwise model with mixed-sign couplings.
fn ising_data(n: usize) -> Mat<f64> {
    let terms = subsets(D, 2);
    let theta: Vec<f64> = terms
        .iter()
        .map(|t| match t.as_slice() {
            [j] => 0.3 - 0.2 * *j as f64,
            [i, j] => 0.6 * (((i + 2 * j) % 3) as f64 - 1.0),
            _ => 0.0,
        })
        .collect();
    let states = LogLinear::states(D);
    let energy: Vec<f64> = (0..states.nrows())
        .map(|s| {
            terms
                .iter()
                .zip(&theta)
                .map(|(t, th)| th * t.iter().map(|&j| states[(s, j)]).product::<f64>())
                .sum()
        })
        .collect();
    let total: f64 = energy.iter().map(|e| e.exp()).sum();
    let mut rng = stream(7, "ising-data");
    let mut x = Mat::<f64>::zeros(n, D);
    for i in 0..n {
        let mut u = unit(&mut rng) * total;
        let s = energy
            .iter()
            .position(|e| {
                u -= e.exp();
                u < 0.0
            })
            .unwrap_or(states.nrows() - 1);
        for j in 0..D {
            x[(i, j)] = states[(s, j)];
        }
    }
    x
}

fn family(sampling: Sampling, draws: usize, seed: u64) -> LogLinear {
    let mut f = LogLinear::exact(2, FitOptions::default().check().unwrap()).unwrap();
    f.sampling = sampling;
    f.gibbs = GibbsOptions {
        draws,
        seed,
        ..GibbsOptions::default()
    }
    .check()
    .unwrap();
    f
}

fn run(sampling: Sampling, draws: usize, seed: u64, mode: Mode) -> Analysis {
    analyze(
        &family(sampling, draws, seed),
        ising_data(3000).as_ref(),
        mode,
    )
    .unwrap()
}

#[test]
fn gibbs_matches_enumeration() {
    let exact = run(Sampling::Off, 100, 0, Mode::Misspecified);
    let sampled = run(Sampling::Always, 60_000, 1, Mode::Misspecified);
    let report = sampled.fit.as_ref().unwrap().sampling.unwrap();
    assert_eq!(report.draws, 60_000);
    assert!(report.ess > 0.9 * 60_000.0, "ess {}", report.ess);

    let se = sampled.a2_mc_se.unwrap();
    let (e, s) = (&exact.expansion, &sampled.expansion);
    println!("a1 {} vs {}, a2 {} vs {} ± {se}", e.a1, s.a1, e.a2, s.a2);
    assert!((s.a1 - e.a1).abs() < 0.01 * e.a1, "a1 {} vs {}", s.a1, e.a1);
    assert!(
        (s.a2 - e.a2).abs() < 4.0 * se,
        "a2 {} vs {} (batch se {se})",
        s.a2,
        e.a2
    );
    let theta_exact = &exact.fit.as_ref().unwrap().theta;
    let theta_sampled = &sampled.fit.as_ref().unwrap().theta;
    for (a, (t, u)) in theta_exact.iter().zip(theta_sampled).enumerate() {
        assert!((t - u).abs() < 0.15, "theta[{a}] {t} vs {u}");
    }
}

#[test]
fn gibbs_model_mode_gives_half_p() {
    let sampled = run(Sampling::Always, 20_000, 2, Mode::Model);
    assert!((sampled.expansion.a1 - 7.5).abs() < 1e-9);
    assert!(sampled.a2_mc_se.unwrap() > 0.0);
}

#[test]
fn gibbs_cloud_mean_is_sample_mean() {
    let x = ising_data(3000);
    let a = analyze(
        &family(Sampling::Always, 20_000, 3),
        x.as_ref(),
        Mode::Misspecified,
    )
    .unwrap();
    let pncrit::expansion::ModelCumulants::Cloud(cloud) = &a.fit.as_ref().unwrap().model else {
        panic!("a sampled fit gives a cloud");
    };
    let terms = subsets(D, 2);
    for (a, term) in terms.iter().enumerate() {
        let tbar = (0..x.nrows())
            .map(|i| term.iter().map(|&j| x[(i, j)]).product::<f64>())
            .sum::<f64>()
            / x.nrows() as f64;
        assert!((cloud.mean[a] - tbar).abs() < 1e-8, "term {a}");
    }
}

#[test]
fn gibbs_same_seed_same_result() {
    let a = run(Sampling::Always, 5_000, 4, Mode::Misspecified);
    let b = run(Sampling::Always, 5_000, 4, Mode::Misspecified);
    assert_eq!(a.expansion.a2.to_bits(), b.expansion.a2.to_bits());
    assert_eq!(a.fit.unwrap().theta, b.fit.unwrap().theta);
}

#[test]
fn gibbs_draws_follow_conditionals() {
    // Independent variables (order 1): draws are Bernoulli(σ(θ_j)).
    let terms = subsets(3, 1);
    let theta = [0.0, 1.0, -2.0];
    let opts = GibbsOptions {
        draws: 40_000,
        ..GibbsOptions::default()
    }
    .check()
    .unwrap();
    let draws = gibbs::draw_states(3, &terms, &theta, &opts, "check");
    for j in 0..3 {
        let mean = (0..draws.nrows()).map(|s| draws[(s, j)]).sum::<f64>() / 40_000.0;
        let p = 1.0 / (1.0 + (-theta[j]).exp());
        let se = (p * (1.0 - p) / 40_000.0).sqrt();
        assert!((mean - p).abs() < 5.0 * se, "variable {j}: {mean} vs {p}");
    }
}

#[test]
fn beyond_cap_samples_only_above_cap() {
    let x = ising_data(500);
    let mut f = family(Sampling::BeyondCap, 2_000, 5);
    f.max_states = 32;
    let a = analyze(&f, x.as_ref(), Mode::Model).unwrap();
    assert!(a.fit.unwrap().sampling.is_none(), "32 states fit the cap");
    f.max_states = 16;
    let a = analyze(&f, x.as_ref(), Mode::Model).unwrap();
    assert_eq!(a.fit.unwrap().sampling.unwrap().draws, 2_000);
    f.sampling = Sampling::Off;
    let err = analyze(&f, x.as_ref(), Mode::Model).unwrap_err();
    assert!(err.to_string().contains("--sampling beyond-cap"), "{err}");
}

#[test]
fn gibbs_reports_boundary() {
    // x1 = x2 = 1 never occurs, so the pair's mean is 0.
    let mut x = ising_data(400);
    for i in 0..x.nrows() {
        if x[(i, 0)] == 1.0 {
            x[(i, 1)] = 0.0;
        }
    }
    let err = analyze(
        &family(Sampling::Always, 1_000, 6),
        x.as_ref(),
        Mode::Misspecified,
    )
    .unwrap_err();
    assert!(matches!(err, pncrit::Error::MleBoundary { .. }), "{err}");
}

#[test]
fn empirical_mode_ignores_state_cap() {
    let x = ising_data(500);
    let mut f = family(Sampling::Off, 1_000, 0);
    f.max_states = 16;
    let a = analyze(&f, x.as_ref(), Mode::Empirical).unwrap();
    assert!((a.expansion.a1 - 7.5).abs() < 1e-12);
    assert!(a.fit.is_none());
}
