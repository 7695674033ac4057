//! Certificate properties on many random networks and the contraction identities.

mod common;

use common::max_abs_diff;
use faer::Mat;
use lipnet::contraction::{alpha, contract, theta_for_alpha};
use lipnet::model::ModelId;
use lipnet::stress::{random_net, stress};
use lipnet::verify::{exhaustive, naive_bound, sampled_jacobian_max};
use rand::RngExt;
use tape::Tape;

#[test]
fn contraction_identities_hold() {
    let mut rng = tape::rng::stream(7, "contraction-identities");
    for trial in 0..50 {
        let m = rng.random_range(1..7);
        let n = rng.random_range(1..7);
        let scale = tape::rng::uniform(&mut rng, 0.1, 2.0);
        let w = tape::rng::uniform_mat(&mut rng, m, n, -scale, scale);
        let a = tape::rng::uniform(&mut rng, 0.05, 3.0);

        let mut t = Tape::new();
        let wv = t.constant(w.clone());
        let theta = t.scalar(theta_for_alpha(a));
        let av = alpha(&mut t, theta);
        let con = contract(&mut t, wv, av, true, "test").unwrap();
        let w_hat = t.value(con.w_hat).to_owned();
        let p = t.value(con.p_out.unwrap()).to_owned();
        let r = t.value(con.p_in).transpose().to_owned();
        let alpha_value = t.scalar_value(av);

        // (I − ŴŴᵀ)·PPᵀ = αI and (I − ŴᵀŴ)·RRᵀ = αI.
        let eye_m = Mat::<f64>::identity(m, m);
        let eye_n = Mat::<f64>::identity(n, n);
        let lhs_out = (&eye_m - &w_hat * w_hat.transpose()) * (&p * p.transpose());
        let lhs_in = (&eye_n - w_hat.transpose() * &w_hat) * (&r * r.transpose());
        let err_out = max_abs_diff(&lhs_out, &(&eye_m * alpha_value));
        let err_in = max_abs_diff(&lhs_in, &(&eye_n * alpha_value));
        assert!(
            err_out <= 1e-12,
            "trial {trial}: ŴŴᵀ identity off by {err_out:e}"
        );
        assert!(
            err_in <= 1e-12,
            "trial {trial}: ŴᵀŴ identity off by {err_in:e}"
        );
    }
}

#[test]
fn certified_residual_nets_pass_lmi_and_patterns() {
    let report = stress(ModelId::LdltRes, 200, 0).unwrap();
    assert_eq!(report.lmi_failures, 0, "{report:?}");
    assert_eq!(report.pattern_violations, 0, "{report:?}");
    assert!(report.worst_exhaustive_over_lip <= 1.0 + 1e-9, "{report:?}");
}

#[test]
fn certified_sequential_nets_pass_lmi_and_patterns() {
    let report = stress(ModelId::LdltSeq, 200, 0).unwrap();
    assert_eq!(report.lmi_failures, 0, "{report:?}");
    assert_eq!(report.pattern_violations, 0, "{report:?}");
}

#[test]
fn reference_residual_nets_fail_the_checks() {
    // The published residual map is not a certificate: on the same distribution
    // some networks fail the Λ = I inequality and some exceed L outright.
    let report = stress(ModelId::LdltResRef, 200, 0).unwrap();
    assert!(report.lmi_failures > 0, "{report:?}");
    assert!(report.pattern_violations > 0, "{report:?}");
    assert!(report.worst_exhaustive_over_lip > 1.0, "{report:?}");
}

#[test]
fn sampled_below_exhaustive_below_naive() {
    let mut rng = tape::rng::stream(11, "bound-order");
    for id in [ModelId::LdltRes, ModelId::LdltSeq, ModelId::LdltResRef] {
        for net_index in 0..100 {
            let net = random_net(id, &mut rng).unwrap();
            let eff = net.model.effective(&net.store).unwrap();
            let points = tape::rng::normal_mat(&mut rng, 16, eff.n_in(), 3.0);

            let sampled = sampled_jacobian_max(&eff, points.as_ref())
                .unwrap()
                .max_norm;
            let (ex, _) = exhaustive(&eff, 12).unwrap();
            let naive = naive_bound(&eff).unwrap();
            assert!(
                sampled <= ex * (1.0 + 1e-12),
                "{id} net {net_index}: sampled {sampled} > exhaustive {ex}"
            );
            assert!(
                ex <= naive * (1.0 + 1e-12),
                "{id} net {net_index}: exhaustive {ex} > naive {naive}"
            );
        }
    }
}
