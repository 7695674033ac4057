//! Gradients of whole models, training determinism, metrics and model files.

mod common;

use common::{golden, mat, max_abs_diff, perturb_params};
use datasets::Table;
use faer::Mat;
use indicatif::ProgressBar;
use lipnet::io::{self, ModelConfig};
use lipnet::metrics::{certified_accuracy, clean_accuracy, margins, parse_eps};
use lipnet::model::{self, ArchParams, ModelId};
use lipnet::train::{TrainParams, train};
use tape::{GradcheckOptions, ParamStore, gradcheck};

#[test]
fn whole_model_gradients_match_finite_differences() {
    for id in ModelId::ALL {
        let arch = ArchParams::new(id, 3, 2, vec![4, 3], 1.3).check().unwrap();
        let mut store = ParamStore::new();
        let mut rng = tape::rng::stream(5, id.name());
        let net = model::build(&arch, &mut store, &mut rng).unwrap();
        if id.is_baseline() {
            perturb_params(&mut store, &mut rng, 0.05);
        }
        let x = tape::rng::normal_mat(&mut rng, 6, 3, 1.0);
        let y = [0, 1, 1, 0, 1, 0];

        let report = gradcheck(
            &store,
            |t, s| {
                let xv = t.constant(x.clone());
                let z = net.forward(t, s, xv).expect("forward pass");
                Ok(t.cross_entropy(z, &y))
            },
            // A larger step than the default keeps the round-off of the
            // central difference below 10⁻⁶ relative on the smallest entries.
            &GradcheckOptions {
                rel_step: 1e-5,
                ..GradcheckOptions::default()
            },
        )
        .unwrap();
        assert!(
            report.passed(),
            "{id}: worst relative error {:e} at {}",
            report.max_rel_error,
            report.worst
        );
    }
}

/// Builds a small two-class problem whose label is the sign of the first feature.
fn toy_table(seed: u64) -> Table {
    let mut rng = tape::rng::stream(seed, "toy");
    let x = tape::rng::normal_mat(&mut rng, 80, 3, 1.0);
    let y = (0..80).map(|i| usize::from(x[(i, 0)] > 0.0)).collect();
    Table { x, y, n_classes: 2 }
}

fn train_bytes(seed: u64) -> Vec<u8> {
    let data = toy_table(1);
    let arch = ArchParams::new(ModelId::LdltRes, 3, 2, vec![8, 8], 1.0)
        .check()
        .unwrap();
    let mut store = ParamStore::new();
    let mut rng = tape::rng::stream(seed, "init");
    let net = model::build(&arch, &mut store, &mut rng).unwrap();
    let config = TrainParams {
        epochs: 10,
        batch_size: 16,
        max_steps: Some(20),
        seed,
        ..TrainParams::default()
    }
    .check()
    .unwrap();
    let report = train(
        net.as_ref(),
        &mut store,
        &data,
        &config,
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!(report.steps, 20);
    store.to_bytes()
}

#[test]
fn training_is_deterministic_per_seed() {
    let a = train_bytes(3);
    let b = train_bytes(3);
    let c = train_bytes(4);
    assert_eq!(a, b, "same seed gave different parameters");
    assert_ne!(a, c, "different seeds gave identical parameters");
}

#[test]
fn training_learns_a_separable_problem() {
    let data = toy_table(2);
    let arch = ArchParams::new(ModelId::LdltSeq, 3, 2, vec![16], 1.0)
        .check()
        .unwrap();
    let mut store = ParamStore::new();
    let mut rng = tape::rng::stream(0, "init");
    let net = model::build(&arch, &mut store, &mut rng).unwrap();
    let config = TrainParams {
        epochs: 100,
        batch_size: 16,
        lr: 1e-2,
        loss: lipnet::train::Loss::Ce,
        ..TrainParams::default()
    }
    .check()
    .unwrap();
    let report = train(
        net.as_ref(),
        &mut store,
        &data,
        &config,
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert!(
        report.final_loss < report.epoch_losses[0],
        "loss did not decrease"
    );

    let z = net.effective(&store).unwrap().forward(data.x.as_ref());
    let acc = clean_accuracy(z.as_ref(), &data.y);
    assert!(acc >= 0.95, "training accuracy {acc}");
}

#[test]
fn invalid_training_settings_are_rejected() {
    let cases = [
        TrainParams {
            epochs: 0,
            ..TrainParams::default()
        },
        TrainParams {
            batch_size: 0,
            ..TrainParams::default()
        },
        TrainParams {
            lr: -1.0,
            ..TrainParams::default()
        },
        TrainParams {
            lr: f64::NAN,
            ..TrainParams::default()
        },
        TrainParams {
            beta1: 1.0,
            ..TrainParams::default()
        },
    ];
    for p in cases {
        let text = p.clone().check().unwrap_err().to_string();
        assert!(text.starts_with("invalid "), "{text}");
    }
}

#[test]
fn invalid_architectures_are_rejected() {
    let bad = [
        ArchParams::new(ModelId::LdltRes, 3, 2, vec![4], 0.0),
        ArchParams::new(ModelId::LdltRes, 3, 2, vec![4], -1.0),
        ArchParams::new(ModelId::LdltRes, 3, 2, vec![4], f64::INFINITY),
        ArchParams::new(ModelId::LdltRes, 3, 2, vec![4, 0], 1.0),
        ArchParams::new(ModelId::LdltRes, 3, 2, vec![], 1.0),
        ArchParams::new(ModelId::LdltSeq, 0, 2, vec![4], 1.0),
    ];
    for p in bad {
        let what = format!("{p:?}");
        let err = p.check().unwrap_err().to_string();
        assert!(err.starts_with("invalid "), "{what}: {err}");
    }
    assert!(
        ModelId::parse("ldlt-foo")
            .unwrap_err()
            .to_string()
            .contains("ldlt-res")
    );
}

#[test]
fn saved_model_reloads_identically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let arch = ArchParams::new(ModelId::LdltRes, 3, 2, vec![5, 4], 2.0)
        .check()
        .unwrap();
    let mut store = ParamStore::new();
    let mut rng = tape::rng::stream(9, "init");
    let net = model::build(&arch, &mut store, &mut rng).unwrap();
    let config = ModelConfig {
        format: io::FORMAT.into(),
        arch: arch.params().clone(),
        preprocessing: lipnet::data::Preprocessing::None,
        dataset: "toy".into(),
        seed: 9,
        training: serde_json::Value::Null,
        classes: None,
    };
    io::save(&path, &config, &store).unwrap();

    let (arch2, config2, mut store2) = io::load(&path).unwrap();
    assert_eq!(arch2, arch);
    assert_eq!(config2.seed, 9);
    let net2 = model::attach(&arch2, &mut store2).unwrap();
    let x = tape::rng::normal_mat(&mut rng, 7, 3, 1.0);
    let y1 = net.effective(&store).unwrap().forward(x.as_ref());
    let y2 = net2.effective(&store2).unwrap().forward(x.as_ref());
    assert_eq!(max_abs_diff(&y1, &y2), 0.0);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary files left behind");
}

#[test]
fn loading_a_non_model_file_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.safetensors");
    std::fs::write(&path, b"not a model").unwrap();
    let err = io::load(&path).unwrap_err().to_string();
    assert!(err.contains("junk.safetensors"), "{err}");
    assert!(err.contains("not a safetensors file"), "{err}");
}

#[test]
fn margin_at_threshold_is_not_certified() {
    let eps = 0.25;
    let lip = 2.0;
    let threshold = 2f64.sqrt() * lip * eps;
    let z = Mat::from_fn(2, 2, |i, j| match (i, j) {
        (0, 0) => threshold,
        (1, 0) => threshold + 1e-9,
        _ => 0.0,
    });
    let y = [0, 0];
    assert_eq!(certified_accuracy(z.as_ref(), &y, lip, eps), 0.5);
}

#[test]
fn tied_logits_count_as_errors() {
    let z = Mat::from_fn(1, 3, |_, j| if j < 2 { 1.0 } else { 0.0 });
    assert_eq!(clean_accuracy(z.as_ref(), &[0]), 0.0);
    assert_eq!(margins(z.as_ref(), &[0]), vec![0.0]);
}

#[test]
fn eps_parsing_accepts_fractions_and_decimals() {
    assert_eq!(parse_eps("36/255").unwrap(), 36.0 / 255.0);
    assert_eq!(parse_eps("0.5").unwrap(), 0.5);
    assert_eq!(parse_eps(" 1 ").unwrap(), 1.0);
    for bad in ["", "a/b", "1/0", "-0.1", "nan", "inf"] {
        assert!(parse_eps(bad).is_err(), "{bad:?} accepted");
    }
}

#[test]
fn golden_margins_and_certified_accuracy() {
    let Some(g) = golden("losses_metrics_optim.json") else {
        return;
    };
    let z = mat(&g["logits"]);
    let y: Vec<usize> = g["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();

    let m = margins(z.as_ref(), &y);
    for (i, want) in g["margins"].as_array().unwrap().iter().enumerate() {
        assert!((m[i] - want.as_f64().unwrap()).abs() <= 1e-12, "margin {i}");
    }
    let acc = clean_accuracy(z.as_ref(), &y);
    assert!((acc - g["clean_accuracy"].as_f64().unwrap()).abs() <= 1e-12);

    for (lip_text, table) in g["certified_accuracy"].as_object().unwrap() {
        let lip: f64 = lip_text.parse().unwrap();
        for (eps_text, want) in table.as_object().unwrap() {
            let got = certified_accuracy(z.as_ref(), &y, lip, parse_eps(eps_text).unwrap());
            assert!(
                (got - want.as_f64().unwrap()).abs() <= 1e-12,
                "L = {lip}, ε = {eps_text}"
            );
        }
    }
}
