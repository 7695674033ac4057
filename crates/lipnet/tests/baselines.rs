//! Baseline layers against golden values, their 1-Lipschitz property, whole-model
//! gradients and short training runs.

mod common;

use common::{golden, mat, max_abs_diff, perturb_params, store_from_params};
use datasets::Table;
use faer::Mat;
use indicatif::ProgressBar;
use lipnet::activation::Activation;
use lipnet::baselines::{
    Aol, BaselineLayer, Cpl, LayerKind, Plain, Sandwich, SllDense, SllResidual, SpecNorm,
    aol_rescale, sandwich_q, sll_row_sums, spectral_norm_var,
};
use lipnet::init::{Init, ParamSource};
use lipnet::model::{self, ArchParams, LipModel, ModelId};
use lipnet::network::{Layer, LayerNet, LayerVars, SlopeNet};
use lipnet::train::{Loss, TrainParams, train};
use lipnet::verify::{exhaustive, spectral_norm};
use rand::RngExt;
use serde_json::Value;
use tape::{GradcheckOptions, ParamStore, Tape, gradcheck};

const BASELINES: [ModelId; 7] = [
    ModelId::SllRes,
    ModelId::SllSeq,
    ModelId::Aol,
    ModelId::Sandwich,
    ModelId::Cpl,
    ModelId::SpecNorm,
    ModelId::Mlp,
];

/// Builds the golden layer `name` from its raw parameters (stored under their golden names).
fn golden_layer(name: &str, store: &mut ParamStore, n: usize, m: usize) -> Box<dyn BaselineLayer> {
    let mut src = ParamSource::Existing;
    match name {
        "sll_residual_layer" => Box::new(SllResidual::new(store, &mut src, "", n, m).unwrap()),
        "sll_sequential_layer" => Box::new(SllDense::new(store, &mut src, "", n, m).unwrap()),
        "aol_layer" => Box::new(Aol::new(store, &mut src, "", n, m, LayerKind::Dense).unwrap()),
        "sandwich_layer" => {
            Box::new(Sandwich::new(store, &mut src, "", n, m, LayerKind::Dense).unwrap())
        }
        "cpl_layer" => Box::new(Cpl::new(store, &mut src, "", n, m).unwrap()),
        "spectral_norm_layer" => {
            Box::new(SpecNorm::new(store, &mut src, "", n, m, LayerKind::Dense).unwrap())
        }
        other => panic!("unknown golden layer {other}"),
    }
}

/// Returns (n, m): the input width and the row count of the layer's weight.
fn golden_shape(name: &str, params: &Value) -> (usize, usize) {
    let key = if name.starts_with("sandwich") {
        "Z"
    } else {
        "W"
    };
    let w = mat(&params[key]);
    if name.starts_with("sandwich") {
        (w.ncols() - w.nrows(), w.nrows())
    } else {
        (w.ncols(), w.nrows())
    }
}

/// Returns the layer outputs by the f64 layer list and by the tape.
fn outputs(layer: &dyn BaselineLayer, store: &ParamStore, x: &Mat<f64>) -> (Mat<f64>, Mat<f64>) {
    let mut t = Tape::new();
    let vars = layer.record(&mut t, store).unwrap();
    let net = LayerNet::new(vec![vars.to_layer(&t)], Activation::Relu);
    let xv = t.constant(x.clone());
    let y = vars.forward(&mut t, Activation::Relu, xv);
    (net.forward(x.as_ref()), t.value(y).to_owned())
}

#[test]
fn golden_layer_outputs() {
    let Some(g) = golden("baseline_layers.json") else {
        return;
    };
    let x = mat(&g["inputs"]);
    let tol = g["tolerances"]["abs"].as_f64().unwrap();

    for name in [
        "sll_residual_layer",
        "sll_sequential_layer",
        "aol_layer",
        "sandwich_layer",
        "cpl_layer",
        "spectral_norm_layer",
    ] {
        let case = &g["layers"][name];
        let mut store = store_from_params(&case["params"]);
        let (n, m) = golden_shape(name, &case["params"]);
        let layer = golden_layer(name, &mut store, n, m);
        let (y, tape_y) = outputs(layer.as_ref(), &store, &x);

        let err = max_abs_diff(&y, &mat(&case["y"]));
        assert!(err <= tol, "{name}: outputs differ by {err:e}");
        let err = max_abs_diff(&tape_y, &y);
        assert!(err <= tol, "{name}: tape outputs differ by {err:e}");
    }
}

#[test]
fn golden_sandwich_head_outputs() {
    let Some(g) = golden("baseline_layers.json") else {
        return;
    };
    let x = mat(&g["inputs"]);
    let case = &g["layers"]["sandwich_layer"];
    let mut store = store_from_params(&case["params"]);
    let (n, m) = golden_shape("sandwich_layer", &case["params"]);
    let head = Sandwich::new(
        &mut store,
        &mut ParamSource::Existing,
        "",
        n,
        m,
        LayerKind::Linear,
    )
    .unwrap();

    let (y, tape_y) = outputs(&head, &store, &x);
    let want = mat(&g["layers"]["sandwich_linear_head"]["y"]);
    assert!(max_abs_diff(&y, &want) <= 1e-12, "head outputs");
    assert!(max_abs_diff(&tape_y, &want) <= 1e-12, "head tape outputs");
}

#[test]
fn golden_intermediate_quantities() {
    let Some(g) = golden("baseline_layers.json") else {
        return;
    };
    let layers = &g["layers"];
    let mut t = Tape::new();

    // SLL: t_i = 1/r_i and s_i = r_i^{-1/2}.
    let p = &layers["sll_residual_layer"]["params"];
    let w = t.constant(mat(&p["W"]));
    let q = t.constant(mat(&p["q"]));
    let r = sll_row_sums(&mut t, w, q);
    let r = t.value(r).to_owned();
    let want_t = mat(&layers["sll_residual_layer"]["t"]);
    let want_s = mat(&layers["sll_sequential_layer"]["scale"]);
    for i in 0..r.nrows() {
        assert!(
            (1.0 / r[(i, 0)] - want_t[(0, i)]).abs() <= 1e-12,
            "SLL t_{i}"
        );
        assert!(
            (r[(i, 0)].powf(-0.5) - want_s[(0, i)]).abs() <= 1e-12,
            "SLL s_{i}"
        );
    }

    // AOL effective weight and its spectral norm.
    let aol = &layers["aol_layer"];
    let w = t.constant(mat(&aol["params"]["W"]));
    let w_eff = aol_rescale(&mut t, w);
    let w_eff = t.value(w_eff).to_owned();
    assert!(
        max_abs_diff(&w_eff, &mat(&aol["effective_weight"])) <= 1e-12,
        "AOL W̃"
    );
    let norm = spectral_norm(w_eff.as_ref()).unwrap();
    assert!(
        (norm - aol["spectral_norm"].as_f64().unwrap()).abs() <= 1e-12,
        "AOL ‖W̃‖"
    );

    // Exact spectral norms of CPL and spectral normalization.
    for name in ["cpl_layer", "spectral_norm_layer"] {
        let w = t.constant(mat(&layers[name]["params"]["W"]));
        let sigma = spectral_norm_var(&mut t, w).unwrap();
        let want = layers[name]["sigma_max"].as_f64().unwrap();
        assert!(
            (t.scalar_value(sigma) - want).abs() <= 1e-12,
            "{name}: σ_max"
        );
    }

    // Sandwich Q_A and Q_B.
    let sw = &layers["sandwich_layer"];
    let z = t.constant(mat(&sw["params"]["Z"]));
    let a = t.constant(mat(&sw["params"]["a"]));
    let (q_a, q_b) = sandwich_q(&mut t, z, a).unwrap();
    assert!(
        max_abs_diff(&t.value(q_a).to_owned(), &mat(&sw["Q_A"])) <= 1e-12,
        "Q_A"
    );
    assert!(
        max_abs_diff(&t.value(q_b).to_owned(), &mat(&sw["Q_B"])) <= 1e-12,
        "Q_B"
    );
}

#[test]
fn golden_sll_sequential_effective_weight() {
    let Some(g) = golden("baseline_layers.json") else {
        return;
    };
    let case = &g["layers"]["sll_sequential_layer"];
    let mut store = store_from_params(&case["params"]);
    let layer = SllDense::new(&mut store, &mut ParamSource::Existing, "", 3, 4).unwrap();
    let mut t = Tape::new();
    let LayerVars::Dense { w, .. } = layer.record(&mut t, &store).unwrap() else {
        panic!("the SLL dense layer records a dense layer");
    };
    let w = t.value(w).to_owned();
    assert!(max_abs_diff(&w, &mat(&case["effective_weight"])) <= 1e-12);
    let norm = spectral_norm(w.as_ref()).unwrap();
    assert!((norm - case["spectral_norm"].as_f64().unwrap()).abs() <= 1e-12);
}

/// Draws one random layer of every family with shapes n → m and weights
/// scaled by `scale`, in a fresh store.
fn random_layers(rng: &mut rand_chacha::ChaCha8Rng, n: usize, m: usize) -> Vec<(Layer, String)> {
    let mut store = ParamStore::new();
    let seed = rng.random_range(0..u64::MAX);
    let mut init_rng = tape::rng::stream(seed, "layers");
    let mut src = ParamSource::Fresh(&mut init_rng, Init::Reference);
    let layers: Vec<(Box<dyn BaselineLayer>, &str)> = vec![
        (
            Box::new(SllResidual::new(&mut store, &mut src, "r.", n, m).unwrap()),
            "sll-res",
        ),
        (
            Box::new(SllDense::new(&mut store, &mut src, "d.", n, m).unwrap()),
            "sll-dense",
        ),
        (
            Box::new(Aol::new(&mut store, &mut src, "a.", n, m, LayerKind::Dense).unwrap()),
            "aol",
        ),
        (
            Box::new(Aol::new(&mut store, &mut src, "al.", n, m, LayerKind::Linear).unwrap()),
            "aol-linear",
        ),
        (
            Box::new(Sandwich::new(&mut store, &mut src, "s.", n, m, LayerKind::Dense).unwrap()),
            "sandwich",
        ),
        (
            Box::new(Sandwich::new(&mut store, &mut src, "sh.", n, m, LayerKind::Linear).unwrap()),
            "sandwich-head",
        ),
        (
            Box::new(Cpl::new(&mut store, &mut src, "c.", n, m).unwrap()),
            "cpl",
        ),
        (
            Box::new(SpecNorm::new(&mut store, &mut src, "n.", n, m, LayerKind::Dense).unwrap()),
            "specnorm",
        ),
        (
            Box::new(SpecNorm::new(&mut store, &mut src, "nl.", n, m, LayerKind::Linear).unwrap()),
            "specnorm-linear",
        ),
    ];

    // Large, uneven raw values: the bound must hold for every parameter value.
    let scale = (tape::rng::uniform(rng, -1.0, 3.0)).exp();
    let ids: Vec<_> = store.ids().collect();
    for id in ids {
        let v = store.get_mut(id);
        for i in 0..v.nrows() {
            for j in 0..v.ncols() {
                v[(i, j)] = scale * tape::rng::uniform(rng, -1.0, 1.0);
            }
        }
    }

    let mut t = Tape::new();
    layers
        .iter()
        .map(|(l, name)| {
            (
                l.record(&mut t, &store).unwrap().to_layer(&t),
                name.to_string(),
            )
        })
        .collect()
}

#[test]
fn every_baseline_layer_is_one_lipschitz() {
    let mut rng = tape::rng::stream(11, "baseline-property");
    for trial in 0..40 {
        let n = rng.random_range(1..6);
        let m = rng.random_range(1..7);
        for (layer, name) in random_layers(&mut rng, n, m) {
            let net = LayerNet::new(vec![layer], Activation::Relu);
            let (bound, _) = exhaustive(&net, 16).unwrap();
            assert!(
                bound <= 1.0 + 1e-9,
                "trial {trial}, {name} {n}→{m}: exhaustive bound {bound}"
            );
        }
    }
}

#[test]
fn sandwich_rows_are_orthonormal() {
    let mut rng = tape::rng::stream(12, "sandwich-q");
    for trial in 0..30 {
        let m = rng.random_range(1..7);
        let n = rng.random_range(1..7);
        let scale = tape::rng::uniform(&mut rng, 0.1, 5.0);
        let mut t = Tape::new();
        let z = t.constant(tape::rng::normal_mat(&mut rng, m, m + n, scale));
        let a = t.scalar(tape::rng::uniform(&mut rng, 0.1, 10.0));
        let (q_a, q_b) = sandwich_q(&mut t, z, a).unwrap();
        let (q_a, q_b) = (t.value(q_a).to_owned(), t.value(q_b).to_owned());
        let qqt = &q_a * q_a.transpose() + &q_b * q_b.transpose();
        let err = max_abs_diff(&qqt, &Mat::identity(m, m));
        assert!(err <= 1e-12, "trial {trial}: ‖QQᵀ − I‖_max = {err:e}");
    }
}

/// Builds a baseline model with fresh parameters.
fn build(
    id: ModelId,
    n_in: usize,
    n_out: usize,
    widths: Vec<usize>,
    lip: f64,
    seed: u64,
) -> (Box<dyn LipModel>, ParamStore) {
    let arch = ArchParams::new(id, n_in, n_out, widths, lip)
        .check()
        .unwrap();
    let mut store = ParamStore::new();
    let mut rng = tape::rng::stream(seed, id.name());
    let net = model::build(&arch, &mut store, &mut rng).unwrap();
    (net, store)
}

#[test]
fn baseline_models_respect_their_bound() {
    // Widths 3,3 with n_in = 5 use the AOL lift; n_in = 2 uses zero padding.
    for id in BASELINES {
        for (n_in, lip) in [(5, 1.0), (2, 2.5)] {
            let (net, store) = build(id, n_in, 3, vec![3, 3], lip, 1);
            let network = net.network(&store).unwrap();
            let bound = net.lip_bound(&store).unwrap();
            let (exact, _) = exhaustive(&network, 16).unwrap();
            assert!(
                exact <= bound * (1.0 + 1e-9),
                "{id}, n_in {n_in}: {exact} > {bound}"
            );
            if id != ModelId::Mlp {
                assert_eq!(bound, lip, "{id}: bound");
            }

            // The tape forward agrees with the f64 layer list.
            let mut rng = tape::rng::stream(2, "x");
            let x = tape::rng::normal_mat(&mut rng, 5, n_in, 1.0);
            let mut t = Tape::new();
            let xv = t.constant(x.clone());
            let y = net.forward(&mut t, &store, xv).unwrap();
            let err = max_abs_diff(&t.value(y).to_owned(), &network.forward(x.as_ref()));
            assert!(
                err <= 1e-12,
                "{id}: tape and layer forward differ by {err:e}"
            );
        }
    }
}

#[test]
fn baseline_gradients_match_finite_differences() {
    // n_in = 5 > width 3 exercises the AOL lift of sll-res and cpl; the
    // ModelId::ALL gradcheck in training.rs covers the zero-padding lift.
    for id in BASELINES {
        let (net, mut store) = build(id, 5, 2, vec![3, 4], 1.3, 5);
        let mut rng = tape::rng::stream(6, "x");
        perturb_params(&mut store, &mut rng, 0.05);
        let x = tape::rng::normal_mat(&mut rng, 6, 5, 1.0);
        let y = [0, 1, 1, 0, 1, 0];
        let report = gradcheck(
            &store,
            |t, s| {
                let xv = t.constant(x.clone());
                let z = net.forward(t, s, xv).expect("forward pass");
                Ok(t.cross_entropy(z, &y))
            },
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

fn toy_table() -> Table {
    let mut rng = tape::rng::stream(3, "toy");
    let x = tape::rng::normal_mat(&mut rng, 96, 4, 1.0);
    let y = (0..96)
        .map(|i| usize::from(x[(i, 0)] + 0.5 * x[(i, 1)] > 0.0))
        .collect();
    Table { x, y, n_classes: 2 }
}

#[test]
fn baseline_training_smoke() {
    let data = toy_table();
    for id in BASELINES {
        let (net, mut store) = build(id, 4, 2, vec![8, 8], 1.0, 7);
        let config = TrainParams {
            epochs: 15,
            batch_size: 32,
            lr: 1e-2,
            loss: Loss::Ce,
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
        .unwrap_or_else(|e| panic!("{id}: training failed: {e}"));
        assert!(report.final_loss.is_finite(), "{id}: final loss");
        assert!(
            report.final_loss < report.epoch_losses[0],
            "{id}: loss did not decrease ({:?})",
            report.epoch_losses
        );

        let network = net.network(&store).unwrap();
        let z = network.forward(data.x.as_ref());
        let acc = lipnet::metrics::clean_accuracy(z.as_ref(), &data.y);
        assert!(acc >= 0.8, "{id}: training accuracy {acc}");
    }
}

#[test]
fn baselines_reject_empty_widths() {
    for id in BASELINES {
        let err = ArchParams::new(id, 3, 2, vec![], 1.0).check().unwrap_err();
        assert!(err.to_string().starts_with("invalid widths"), "{id}: {err}");
    }
}

#[test]
fn baselines_have_no_ldlt_form() {
    let (net, store) = build(ModelId::Aol, 3, 2, vec![4], 1.0, 0);
    let err = net.effective(&store).unwrap_err().to_string();
    assert!(err.contains("not available for model aol"), "{err}");
    assert!(net.network(&store).unwrap().effective().is_none());
}

#[test]
fn plain_layer_is_unconstrained() {
    let mut store = ParamStore::new();
    let w = Mat::from_fn(2, 2, |i, j| if i == j { 3.0 } else { 0.0 });
    store.add("W", w).unwrap();
    store.add("b", Mat::zeros(1, 2)).unwrap();
    let layer = Plain::new(
        &mut store,
        &mut ParamSource::Existing,
        "",
        2,
        2,
        LayerKind::Linear,
    )
    .unwrap();
    let mut t = Tape::new();
    let net = LayerNet::new(
        vec![layer.record(&mut t, &store).unwrap().to_layer(&t)],
        Activation::Relu,
    );
    assert!((net.naive_bound().unwrap() - 3.0).abs() < 1e-12);
}
