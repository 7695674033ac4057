//! GPT-2, GPT-NeoX and BERT forward passes against the tiny random-weight
//! fixtures in `tests/fixtures/tiny/`, made once by `gen_tiny.py` with torch
//! 2.15.0 and transformers 5.25.0.

#![cfg(feature = "models")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use mnn::models::{HiddenStates, Layer, LayerSel, bert, gpt_neox, gpt2};
use mnn::{Error, MatrixView, MetricParams, Status, score_matrix};

/// Max |Δ| between our states and the fixture's, at every layer.
const STATE_TOL: f32 = 2e-5;
/// Relative tolerance on MNN and ME computed from our states.
const METRIC_TOL: f64 = 1e-5;
const LENGTHS: [usize; 3] = [1, 7, 33];

type Loader = fn(&Path) -> Result<Box<dyn HiddenStates>, Error>;

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tiny")
        .join(name)
}

fn read_expected(name: &str) -> HashMap<String, Tensor> {
    let path = fixture_dir(name).join("expected.safetensors");
    candle_core::safetensors::load(&path, &Device::Cpu).expect("fixture expected.safetensors")
}

fn ids_of(expected: &HashMap<String, Tensor>, n: usize) -> Vec<u32> {
    let ids = expected[&format!("len{n}.ids")].to_vec1::<i64>().unwrap();
    ids.into_iter().map(|id| id as u32).collect()
}

fn rows_of(expected: &HashMap<String, Tensor>, key: &str) -> Vec<f32> {
    let tensor = &expected[key];
    tensor.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

fn layer_key(n: usize, layer: Layer) -> String {
    match layer {
        Layer::Index(i) => format!("len{n}.layer{i}"),
        Layer::Final => format!("len{n}.final"),
    }
}

/// Runs one forward pass and collects `(layer, states, n, d)` in sink order.
fn run(
    model: &mut dyn HiddenStates,
    ids: &[u32],
    layers: &LayerSel,
) -> Vec<(Layer, Vec<f32>, usize, usize)> {
    let mut out = Vec::new();
    let mut sink = |layer: Layer, data: &[f32], n: usize, d: usize| {
        out.push((layer, data.to_vec(), n, d));
        Ok(())
    };
    model.forward(ids, layers, &mut sink).expect("forward");
    out
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn relative_diff(ours: f64, expected: f64) -> f64 {
    (ours - expected).abs() / expected.abs().max(f64::MIN_POSITIVE)
}

/// Checks every layer of every sequence against the fixture and returns the
/// largest |Δ| seen.
fn check_fixture(name: &str, load: Loader) -> f32 {
    let mut model = load(&fixture_dir(name)).expect("fixture loads");
    let expected = read_expected(name);
    let n_layers = model.n_layers();
    let d = model.hidden_size();
    let mut worst = 0.0f32;
    let mut worst_metric = 0.0f64;

    for n in LENGTHS {
        let ids = ids_of(&expected, n);
        let states = run(model.as_mut(), &ids, &LayerSel::All);

        let order: Vec<Layer> = states.iter().map(|s| s.0).collect();
        let mut expected_order: Vec<Layer> = (0..=n_layers).map(Layer::Index).collect();
        expected_order.push(Layer::Final);
        assert_eq!(order, expected_order, "{name} len {n}: layer order");

        let mnn = expected[&format!("len{n}.mnn")].to_vec1::<f64>().unwrap();
        let me = expected[&format!("len{n}.me")].to_vec1::<f64>().unwrap();
        for (k, (layer, data, rows, cols)) in states.iter().enumerate() {
            let context = format!("{name} len {n} {layer:?}");
            assert_eq!((*rows, *cols), (n, d), "{context}: shape");

            let delta = max_abs_diff(data, &rows_of(&expected, &layer_key(n, *layer)));
            assert!(delta <= STATE_TOL, "{context}: max |Δ| {delta:e}");
            worst = worst.max(delta);

            let metric_diff = check_metrics(&context, data, n, d, mnn[k], me[k]);
            worst_metric = worst_metric.max(metric_diff);
        }
    }
    eprintln!("{name}: max |Δ| over all layers {worst:e}, MNN/ME max relative Δ {worst_metric:e}");
    worst
}

/// Checks MNN and ME of our states against the fixture's and returns the
/// larger relative difference (0 for the degenerate length-1 sequence).
fn check_metrics(context: &str, data: &[f32], n: usize, d: usize, mnn: f64, me: f64) -> f64 {
    let view = MatrixView::from_rows_f32(data, n, d).unwrap();
    let opts = MetricParams::default().check().unwrap();
    let scores = score_matrix(view, &opts).unwrap();
    if n == 1 {
        assert_eq!(scores.status, Status::Degenerate, "{context}: status");
        assert!(mnn.is_nan(), "{context}: fixture MNN {mnn}");
        assert!(me.is_nan(), "{context}: fixture ME {me}");
        return 0.0;
    }
    assert_eq!(scores.status, Status::Ok, "{context}: status");
    let mnn_diff = relative_diff(scores.mnn, mnn);
    assert!(
        mnn_diff <= METRIC_TOL,
        "{context}: MNN {} vs {mnn}",
        scores.mnn
    );
    let me_diff = relative_diff(scores.me, me);
    assert!(me_diff <= METRIC_TOL, "{context}: ME {} vs {me}", scores.me);
    mnn_diff.max(me_diff)
}

#[test]
fn gpt2_gelu_new_matches_fixture() {
    check_fixture("gpt2-a", gpt2::load);
}

#[test]
fn gpt2_gelu_n_inner_prefix_matches_fixture() {
    check_fixture("gpt2-b", gpt2::load);
}

#[test]
fn neox_partial_rotary_parallel_matches_fixture() {
    check_fixture("neox-a", gpt_neox::load);
}

#[test]
fn neox_full_rotary_sequential_matches_fixture() {
    check_fixture("neox-b", gpt_neox::load);
}

#[test]
fn bert_matches_fixture() {
    check_fixture("bert-a", bert::load);
}

#[test]
fn last_only_equals_final_of_all() {
    for (name, load) in [
        ("gpt2-a", gpt2::load as Loader),
        ("neox-a", gpt_neox::load),
        ("bert-a", bert::load),
    ] {
        let mut model = load(&fixture_dir(name)).unwrap();
        let ids = ids_of(&read_expected(name), 7);
        let all = run(model.as_mut(), &ids, &LayerSel::All);
        let last = run(model.as_mut(), &ids, &LayerSel::Last);
        assert_eq!(last.len(), 1, "{name}: one layer");
        assert_eq!(last[0].0, Layer::Final, "{name}: final");
        assert_eq!(last[0].1, all.last().unwrap().1, "{name}: same states");
    }
}

#[test]
fn bert_final_equals_last_block() {
    let mut model = bert::load(&fixture_dir("bert-a")).unwrap();
    let ids = ids_of(&read_expected("bert-a"), 7);
    let states = run(model.as_mut(), &ids, &LayerSel::All);
    let n = states.len();
    assert_eq!(states[n - 2].0, Layer::Index(model.n_layers()));
    assert_eq!(states[n - 1].1, states[n - 2].1);
}

/// A copy of a fixture folder that a test may change.
fn scratch_copy(name: &str) -> tempfile::TempDir {
    let scratch = tempfile::tempdir().unwrap();
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(fixture_dir(name).join(file), scratch.path().join(file)).unwrap();
    }
    scratch
}

fn model_error(result: Result<Box<dyn HiddenStates>, Error>) -> String {
    match result {
        Err(error @ Error::Model { .. }) => error.to_string(),
        Err(other) => panic!("expected Error::Model, got {other:?}"),
        Ok(_) => panic!("expected Error::Model, the model loaded"),
    }
}

#[test]
fn unknown_model_type_is_model_error() {
    let scratch = scratch_copy("gpt2-a");
    let config_path = scratch.path().join("config.json");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let changed = config.replace("\"model_type\": \"gpt2\"", "\"model_type\": \"gpt3\"");
    assert_ne!(changed, config, "model_type found in the fixture config");
    std::fs::write(&config_path, changed).unwrap();

    let message = model_error(gpt2::load(scratch.path()));
    assert!(message.contains("\"gpt3\""), "{message}");
}

#[test]
fn other_architecture_is_model_error() {
    let message = model_error(bert::load(&fixture_dir("neox-a")));
    assert!(message.contains("\"gpt_neox\""), "{message}");
    assert!(message.contains("BERT"), "{message}");
}

#[test]
fn missing_tensor_is_model_error() {
    for (name, load, tensor) in [
        ("gpt2-b", gpt2::load as Loader, "transformer.h.1.ln_2.bias"),
        (
            "neox-b",
            gpt_neox::load,
            "layers.0.attention.query_key_value.weight",
        ),
        ("bert-a", bert::load, "encoder.layer.1.output.dense.bias"),
    ] {
        let scratch = scratch_copy(name);
        let weights_path = scratch.path().join("model.safetensors");
        let mut tensors = candle_core::safetensors::load(&weights_path, &Device::Cpu).unwrap();
        assert!(
            tensors.remove(tensor).is_some(),
            "{name}: {tensor} in fixture"
        );
        candle_core::safetensors::save(&tensors, &weights_path).unwrap();

        let message = model_error(load(scratch.path()));
        assert!(message.contains(tensor), "{name}: {message}");
        assert!(message.contains("missing"), "{name}: {message}");
    }
}

#[test]
fn misshapen_tensor_is_model_error() {
    let scratch = scratch_copy("gpt2-a");
    let weights_path = scratch.path().join("model.safetensors");
    let mut tensors = candle_core::safetensors::load(&weights_path, &Device::Cpu).unwrap();
    let short = Tensor::zeros((32, 95), DType::F32, &Device::Cpu).unwrap();
    tensors.insert("h.0.attn.c_attn.weight".into(), short);
    candle_core::safetensors::save(&tensors, &weights_path).unwrap();

    let message = model_error(gpt2::load(scratch.path()));
    assert!(message.contains("h.0.attn.c_attn.weight"), "{message}");
    assert!(message.contains("[32, 95]"), "{message}");
}

#[test]
fn folder_without_weights_is_model_error() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture_dir("neox-a").join("config.json"),
        scratch.path().join("config.json"),
    )
    .unwrap();
    let message = model_error(gpt_neox::load(scratch.path()));
    assert!(message.contains("model.safetensors"), "{message}");
}

#[test]
fn too_many_tokens_are_rejected() {
    let mut model = gpt2::load(&fixture_dir("gpt2-a")).unwrap();
    let ids = vec![1u32; model.max_positions() + 1];
    let mut sink = |_: Layer, _: &[f32], _: usize, _: usize| Ok(());
    let error = model.forward(&ids, &LayerSel::Last, &mut sink).unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidParam {
                name: "token count",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("65"), "{error}");
}

#[test]
fn forward_rejects_invalid_ids() {
    let mut model = bert::load(&fixture_dir("bert-a")).unwrap();
    let mut sink = |_: Layer, _: &[f32], _: usize, _: usize| Ok(());
    let empty = model.forward(&[], &LayerSel::Last, &mut sink).unwrap_err();
    assert!(
        matches!(
            empty,
            Error::InvalidParam {
                name: "token count",
                ..
            }
        ),
        "{empty}"
    );
    let outside = model
        .forward(&[3, 96], &LayerSel::Last, &mut sink)
        .unwrap_err();
    assert!(
        matches!(
            outside,
            Error::InvalidParam {
                name: "token id",
                ..
            }
        ),
        "{outside}"
    );
    assert!(outside.to_string().contains("96"), "{outside}");
}

#[test]
fn missing_tokenizer_fails_only_tokenize() {
    let model = gpt_neox::load(&fixture_dir("neox-a")).unwrap();
    let error = model.tokenize("hello").unwrap_err();
    assert!(matches!(error, Error::Tokenizer { .. }), "{error}");
    assert!(error.to_string().contains("tokenizer.json"), "{error}");
}

#[test]
fn gpt2_tokenizer_from_vocab_merges() {
    let scratch = scratch_copy("gpt2-a");
    // "Ġ" is the byte-level symbol of a space.
    let vocab = r#"{"h": 0, "i": 1, "Ġ": 2, "hi": 3, "Ġhi": 4, "!": 5}"#;
    std::fs::write(scratch.path().join("vocab.json"), vocab).unwrap();
    std::fs::write(
        scratch.path().join("merges.txt"),
        "#version: 0.2\nh i\nĠ hi\n",
    )
    .unwrap();

    let model = gpt2::load(scratch.path()).unwrap();
    assert_eq!(model.tokenize("hi hi!").unwrap(), vec![3, 4, 5]);
}

/// Final states of `ids` from the model folder at `dir`.
fn final_states(load: Loader, dir: &Path, ids: &[u32]) -> Vec<f32> {
    let mut model = load(dir).unwrap();
    let states = run(model.as_mut(), ids, &LayerSel::Last);
    states.into_iter().next().unwrap().1
}

#[test]
fn f16_weights_are_widened() {
    let ids = ids_of(&read_expected("neox-a"), 7);
    let half = scratch_copy("neox-a");
    let rounded = scratch_copy("neox-a");
    let source = fixture_dir("neox-a").join("model.safetensors");
    let tensors = candle_core::safetensors::load(&source, &Device::Cpu).unwrap();

    // The same values once as f16 and once as f32 must give the same states.
    let to = |dtype: DType| -> HashMap<String, Tensor> {
        tensors
            .iter()
            .map(|(name, t)| {
                let t = t.to_dtype(DType::F16).unwrap().to_dtype(dtype).unwrap();
                (name.clone(), t)
            })
            .collect()
    };
    candle_core::safetensors::save(&to(DType::F16), half.path().join("model.safetensors")).unwrap();
    candle_core::safetensors::save(&to(DType::F32), rounded.path().join("model.safetensors"))
        .unwrap();

    let from_half = final_states(gpt_neox::load, half.path(), &ids);
    let from_rounded = final_states(gpt_neox::load, rounded.path(), &ids);
    assert_eq!(from_half, from_rounded);
}

#[test]
fn sharded_checkpoint_matches_single_file() {
    let ids = ids_of(&read_expected("gpt2-b"), 7);
    let source = fixture_dir("gpt2-b");
    let tensors =
        candle_core::safetensors::load(source.join("model.safetensors"), &Device::Cpu).unwrap();

    let scratch = tempfile::tempdir().unwrap();
    std::fs::copy(
        source.join("config.json"),
        scratch.path().join("config.json"),
    )
    .unwrap();
    let mut shards: [HashMap<String, Tensor>; 2] = Default::default();
    let mut weight_map = serde_json::Map::new();
    for (k, (name, tensor)) in tensors.into_iter().enumerate() {
        let file = format!("model-{:05}-of-00002.safetensors", k % 2 + 1);
        weight_map.insert(name.clone(), file.into());
        shards[k % 2].insert(name, tensor);
    }
    for (k, shard) in shards.iter().enumerate() {
        let file = format!("model-{:05}-of-00002.safetensors", k + 1);
        candle_core::safetensors::save(shard, scratch.path().join(file)).unwrap();
    }
    let index = serde_json::json!({ "metadata": {}, "weight_map": weight_map });
    std::fs::write(
        scratch.path().join("model.safetensors.index.json"),
        index.to_string(),
    )
    .unwrap();

    let from_shards = final_states(gpt2::load, scratch.path(), &ids);
    let from_single = final_states(gpt2::load, &source, &ids);
    assert_eq!(from_shards, from_single);
}
