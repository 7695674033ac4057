//! Greedy pattern ascent and the PGD search on known-good and known-bad networks.

mod common;

use common::{golden, store_from_params};
use lipnet::model::{self, ArchParams, LipModel, ModelId};
use lipnet::network::SlopeNet;
use lipnet::stress::random_net;
use lipnet::verify::{
    PGD_SLACK, PgdParams, exhaustive, greedy_patterns, pattern_starts, pgd_search,
    sampled_jacobian_max,
};

#[test]
fn pgd_refutes_reference_counterexample() {
    let Some(g) = golden("counterexample_residual.json") else {
        return;
    };
    let lip = g["L"].as_f64().unwrap();
    let config = PgdParams::default().check().unwrap();

    for (id, violates) in [(ModelId::LdltResRef, true), (ModelId::LdltRes, false)] {
        let mut store = store_from_params(&g["params"]);
        let arch = ArchParams::new(id, 4, 3, vec![4], lip).check().unwrap();
        let net = model::attach(&arch, &mut store)
            .unwrap()
            .network(&store)
            .unwrap();
        let found = pgd_search(&net, None, &config);

        // The returned pair reproduces the ratio.
        let x = faer::Mat::from_fn(1, 4, |_, j| found.x[j]);
        let xp = faer::Mat::from_fn(1, 4, |_, j| found.x_prime[j]);
        let dy = net.forward(xp.as_ref()) - net.forward(x.as_ref());
        let dx = &xp - &x;
        let ratio = dy.norm_l2() / dx.norm_l2();
        assert!(
            (ratio - found.ratio).abs() <= 1e-9 * found.ratio,
            "{id}: pair ratio"
        );

        if violates {
            assert!(
                found.ratio > lip,
                "{id}: PGD ratio {} ≤ L = {lip}",
                found.ratio
            );
        } else {
            assert!(
                found.ratio <= lip * (1.0 + PGD_SLACK),
                "{id}: PGD ratio {} > L = {lip}",
                found.ratio
            );
        }
    }
}

#[test]
fn pgd_finds_no_violation_on_certified_nets() {
    let mut rng = tape::rng::stream(21, "pgd-certified");
    let config = PgdParams {
        starts: 8,
        steps: 30,
        ..PgdParams::default()
    };
    for id in [ModelId::LdltRes, ModelId::LdltSeq] {
        for trial in 0..15 {
            let rn = random_net(id, &mut rng).unwrap();
            let net = rn.model.network(&rn.store).unwrap();
            let cfg = PgdParams {
                seed: trial,
                ..config.clone()
            }
            .check()
            .unwrap();
            let found = pgd_search(&net, None, &cfg);
            assert!(
                found.ratio <= rn.lip * (1.0 + PGD_SLACK),
                "{id} trial {trial}: ratio {} > L = {}",
                found.ratio,
                rn.lip
            );
        }
    }
}

#[test]
fn pgd_respects_baseline_bounds() {
    let config = PgdParams {
        starts: 8,
        steps: 30,
        ..PgdParams::default()
    }
    .check()
    .unwrap();
    for id in [
        ModelId::SllRes,
        ModelId::Cpl,
        ModelId::Sandwich,
        ModelId::Aol,
    ] {
        let arch = ArchParams::new(id, 3, 2, vec![6, 6], 1.5).check().unwrap();
        let mut store = tape::ParamStore::new();
        let mut rng = tape::rng::stream(3, id.name());
        let net = model::build(&arch, &mut store, &mut rng).unwrap();
        let found = pgd_search(&net.network(&store).unwrap(), None, &config);
        assert!(
            found.ratio <= 1.5 * (1.0 + PGD_SLACK),
            "{id}: ratio {}",
            found.ratio
        );
        assert!(found.ratio > 0.0, "{id}: ratio is 0");
    }
}

#[test]
fn pgd_is_reproducible_per_seed() {
    let arch = ArchParams::new(ModelId::LdltRes, 3, 2, vec![5], 1.0)
        .check()
        .unwrap();
    let mut store = tape::ParamStore::new();
    let mut rng = tape::rng::stream(0, "init");
    let net = model::build(&arch, &mut store, &mut rng)
        .unwrap()
        .network(&store)
        .unwrap();
    let config = PgdParams {
        starts: 4,
        steps: 10,
        ..PgdParams::default()
    }
    .check()
    .unwrap();
    assert_eq!(
        pgd_search(&net, None, &config),
        pgd_search(&net, None, &config)
    );
}

#[test]
fn pgd_rejects_invalid_settings() {
    let bad = [
        PgdParams {
            starts: 0,
            ..PgdParams::default()
        },
        PgdParams {
            delta_norm: 0.0,
            ..PgdParams::default()
        },
        PgdParams {
            x_step: f64::NAN,
            ..PgdParams::default()
        },
    ];
    for p in bad {
        let err = p.check().unwrap_err().to_string();
        assert!(err.starts_with("invalid pgd"), "{err}");
    }
}

#[test]
fn greedy_lies_between_sampled_and_exhaustive() {
    let mut rng = tape::rng::stream(22, "greedy");
    for id in [ModelId::LdltRes, ModelId::LdltSeq, ModelId::LdltResRef] {
        for trial in 0..10 {
            let rn = random_net(id, &mut rng).unwrap();
            let net = rn.model.network(&rn.store).unwrap();
            let x = tape::rng::normal_mat(&mut rng, 16, net.n_in(), 2.0);

            let starts = pattern_starts(&net, Some(x.as_ref()), 8, trial);
            assert_eq!(starts.len(), 24);
            let greedy = greedy_patterns(&net, &starts).unwrap();
            let (exact, _) = exhaustive(&net, 16).unwrap();
            let sampled = sampled_jacobian_max(&net, x.as_ref()).unwrap().max_norm;

            assert!(
                greedy.bound <= exact * (1.0 + 1e-12),
                "{id} {trial}: greedy > exhaustive"
            );
            assert!(
                greedy.bound >= sampled * (1.0 - 1e-12),
                "{id} {trial}: greedy < sampled"
            );
        }
    }
}

#[test]
fn greedy_finds_reference_violation() {
    let Some(g) = golden("counterexample_residual.json") else {
        return;
    };
    let lip = g["L"].as_f64().unwrap();
    let mut store = store_from_params(&g["params"]);
    let arch = ArchParams::new(ModelId::LdltResRef, 4, 3, vec![4], lip)
        .check()
        .unwrap();
    let net = model::attach(&arch, &mut store)
        .unwrap()
        .network(&store)
        .unwrap();
    let starts = pattern_starts(&net, None, 4, 0);
    let greedy = greedy_patterns(&net, &starts).unwrap();
    let (exact, _) = exhaustive(&net, 16).unwrap();
    assert!(
        (greedy.bound - exact).abs() <= 1e-12 * exact,
        "greedy {} vs exhaustive {exact}",
        greedy.bound
    );
    assert!(greedy.bound > lip);
}

#[test]
fn verifiers_accept_every_model_kind() {
    for id in ModelId::ALL {
        let arch = ArchParams::new(id, 3, 2, vec![3, 3], 1.0).check().unwrap();
        let mut store = tape::ParamStore::new();
        let mut rng = tape::rng::stream(4, id.name());
        let model: Box<dyn LipModel> = model::build(&arch, &mut store, &mut rng).unwrap();
        let net = model.network(&store).unwrap();
        assert_eq!(
            net.effective().is_some(),
            !id.is_baseline(),
            "{id}: LDLᵀ form"
        );
        let starts = pattern_starts(&net, None, 2, 0);
        let greedy = greedy_patterns(&net, &starts).unwrap();
        let (exact, _) = exhaustive(&net, 16).unwrap();
        assert!(greedy.bound <= exact * (1.0 + 1e-12), "{id}");
    }
}

/// Saves `store` with `arch` as a model file at `path`.
fn save_model(arch: &lipnet::model::Arch, store: &tape::ParamStore, path: &std::path::Path) {
    let config = lipnet::io::ModelConfig {
        format: lipnet::io::FORMAT.into(),
        arch: arch.params().clone(),
        preprocessing: lipnet::data::Preprocessing::None,
        dataset: "test".into(),
        seed: 0,
        training: serde_json::Value::Null,
        classes: None,
    };
    lipnet::io::save(path, &config, store).unwrap();
}

fn verify_json(path: &std::path::Path, method: &str) -> (Option<i32>, serde_json::Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lipnet"))
        .args([
            "verify",
            "--model",
            path.to_str().unwrap(),
            "--method",
            method,
            "--json",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .expect("lipnet runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text}"));
    (out.status.code(), value)
}

#[test]
fn cli_pgd_refutes_reference_counterexample() {
    let Some(g) = golden("counterexample_residual.json") else {
        return;
    };
    let lip = g["L"].as_f64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parity.safetensors");
    let mut store = store_from_params(&g["params"]);
    let arch = ArchParams::new(ModelId::LdltResRef, 4, 3, vec![4], lip)
        .check()
        .unwrap();
    model::attach(&arch, &mut store).unwrap();
    save_model(&arch, &store, &path);

    let (code, v) = verify_json(&path, "pgd");
    assert_eq!(code, Some(1), "{v}");
    assert!(v["pgd_ratio"].as_f64().unwrap() > lip, "{v}");
    assert_eq!(v["pgd_pair"]["x"].as_array().unwrap().len(), 4);
    assert!(v["lmi_max_eig"].is_null(), "lmi was not requested");
}

#[test]
fn cli_verifies_baseline_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sll.safetensors");
    let arch = ArchParams::new(ModelId::SllRes, 3, 2, vec![4, 4], 1.0)
        .check()
        .unwrap();
    let mut store = tape::ParamStore::new();
    let mut rng = tape::rng::stream(0, "init");
    model::build(&arch, &mut store, &mut rng).unwrap();
    save_model(&arch, &store, &path);

    let (code, v) = verify_json(&path, "lmi,patterns,greedy,sampled,pgd");
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["verified"], true);
    assert!(v["lmi_max_eig"].is_null(), "a baseline has no LMI");
    assert!(v["exhaustive"].as_f64().unwrap() <= 1.0 + 1e-9);
    assert!(v["greedy"].as_f64().unwrap() <= v["exhaustive"].as_f64().unwrap() + 1e-12);
    assert!(v["pgd_ratio"].as_f64().unwrap() <= 1.0 + PGD_SLACK);
    assert_eq!(v["skipped"].as_array().unwrap().len(), 1);
}

#[test]
fn cli_rejects_unknown_method() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let arch = ArchParams::new(ModelId::Mlp, 3, 2, vec![4], 1.0)
        .check()
        .unwrap();
    let mut store = tape::ParamStore::new();
    let mut rng = tape::rng::stream(0, "init");
    model::build(&arch, &mut store, &mut rng).unwrap();
    save_model(&arch, &store, &path);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lipnet"))
        .args([
            "verify",
            "--model",
            path.to_str().unwrap(),
            "--method",
            "lmi,bogus",
        ])
        .output()
        .expect("lipnet runs");
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid --method \"bogus\""), "{err}");
}
