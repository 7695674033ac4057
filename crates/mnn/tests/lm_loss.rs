//! The next-token loss of GPT-2 and GPT-NeoX against a reference computed
//! here, in f64 by plain loops, from the fixture's stored final states (the
//! torch outputs of `gen_tiny.py`) and the head weights of the checkpoint.

#![cfg(feature = "models")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use mnn::models::{HiddenStates, Layer, LayerSel, gpt_neox, gpt2};

/// Relative tolerance between our loss and the reference.
const LOSS_TOL: f64 = 1e-5;

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tiny")
        .join(name)
}

fn load_tensors(path: &Path) -> HashMap<String, Tensor> {
    candle_core::safetensors::load(path, &Device::Cpu).expect("safetensors file")
}

fn rows(tensor: &Tensor) -> Vec<Vec<f32>> {
    tensor.to_vec2::<f32>().unwrap()
}

/// Copies fixture `name` to a temporary folder and adds `extra` tensors to
/// its checkpoint (an LM head the fixture lacks).
fn fixture_with(name: &str, extra: &[(&str, Tensor)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = fixture_dir(name);
    std::fs::copy(source.join("config.json"), dir.path().join("config.json")).unwrap();
    let mut tensors = load_tensors(&source.join("model.safetensors"));
    for (key, tensor) in extra {
        tensors.insert((*key).to_string(), tensor.clone());
    }
    candle_core::safetensors::save(&tensors, dir.path().join("model.safetensors")).unwrap();
    dir
}

/// Returns the reference loss and the largest |Σ softmax − 1| over rows.
fn reference_loss(final_states: &[Vec<f32>], head: &[Vec<f32>], ids: &[u32]) -> (f64, f64) {
    let mut total = 0.0;
    let mut worst_sum_error: f64 = 0.0;
    for i in 0..ids.len() - 1 {
        let logits: Vec<f64> = head
            .iter()
            .map(|w| {
                w.iter()
                    .zip(&final_states[i])
                    .map(|(&a, &b)| a as f64 * b as f64)
                    .sum()
            })
            .collect();
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let denominator: f64 = logits.iter().map(|z| (z - max).exp()).sum();
        let probabilities: Vec<f64> = logits
            .iter()
            .map(|z| (z - max).exp() / denominator)
            .collect();
        let sum: f64 = probabilities.iter().sum();
        worst_sum_error = worst_sum_error.max((sum - 1.0).abs());
        total -= probabilities[ids[i + 1] as usize].ln();
    }
    (total / (ids.len() - 1) as f64, worst_sum_error)
}

fn final_states_of(model: &mut dyn HiddenStates, ids: &[u32]) -> Vec<f32> {
    let mut states = Vec::new();
    let mut sink = |layer: Layer, values: &[f32], _n: usize, _d: usize| {
        assert_eq!(layer, Layer::Final);
        states = values.to_vec();
        Ok(())
    };
    model.forward(ids, &LayerSel::Last, &mut sink).unwrap();
    states
}

/// Checks the model's loss against the reference on the fixture's 7- and
/// 33-token texts and returns the 33-token loss.
fn check_loss(fixture: &str, model: &mut dyn HiddenStates, head: &Tensor) -> f64 {
    let expected = load_tensors(&fixture_dir(fixture).join("expected.safetensors"));
    let head = rows(head);
    let mut last = f64::NAN;
    for n in [7, 33] {
        let ids: Vec<u32> = expected[&format!("len{n}.ids")]
            .to_vec1::<i64>()
            .unwrap()
            .into_iter()
            .map(|id| id as u32)
            .collect();
        let torch_final = rows(&expected[&format!("len{n}.final")]);
        let (reference, sum_error) = reference_loss(&torch_final, &head, &ids);
        assert!(
            sum_error < 1e-12,
            "{fixture} len{n}: softmax sums off by {sum_error}"
        );

        let states = final_states_of(model, &ids);
        let loss = model.mean_next_token_nll(&ids, &states).unwrap().unwrap();
        let relative = (loss - reference).abs() / reference.abs();
        assert!(
            relative < LOSS_TOL,
            "{fixture} len{n}: loss {loss} vs reference {reference} (relative {relative:e})"
        );
        last = loss;
    }
    last
}

/// Returns a `[96, 32]` head of deterministic values in [−2, 2], distinct per `seed`.
fn patterned_head(seed: u64) -> Tensor {
    let values: Vec<f32> = (0..96 * 32)
        .map(|i| 2.0 * ((i as f64 + 0.5) * (seed as f64 + 0.37)).sin() as f32)
        .collect();
    Tensor::from_vec(values, (96, 32), &Device::Cpu).unwrap()
}

#[test]
fn gpt2_loss_tied_to_wte() {
    for fixture in ["gpt2-a", "gpt2-b"] {
        let weights = load_tensors(&fixture_dir(fixture).join("model.safetensors"));
        let wte = weights
            .iter()
            .find(|(key, _)| key.ends_with("wte.weight"))
            .map(|(_, tensor)| tensor.clone())
            .unwrap();
        let mut model = gpt2::load(&fixture_dir(fixture)).unwrap();
        assert!(model.has_loss());
        let loss = check_loss(fixture, model.as_mut(), &wte);
        println!("{fixture}: loss {loss}");
    }
}

#[test]
fn gpt2_loss_untied_lm_head() {
    let head = patterned_head(7);
    let dir = fixture_with("gpt2-b", &[("lm_head.weight", head.clone())]);
    let mut model = gpt2::load(dir.path()).unwrap();
    let untied = check_loss("gpt2-b", model.as_mut(), &head);

    let mut tied_model = gpt2::load(&fixture_dir("gpt2-b")).unwrap();
    let ids = [1u32, 5, 9, 2];
    let states = final_states_of(tied_model.as_mut(), &ids);
    let tied = tied_model
        .mean_next_token_nll(&ids, &states)
        .unwrap()
        .unwrap();
    assert!(
        (untied - tied).abs() > 1e-3,
        "untied {untied} equals tied {tied}"
    );
}

#[test]
fn neox_loss_from_embed_out() {
    for fixture in ["neox-a", "neox-b"] {
        let head = patterned_head(11);
        let dir = fixture_with(fixture, &[("embed_out.weight", head.clone())]);
        let mut model = gpt_neox::load(dir.path()).unwrap();
        assert!(model.has_loss());
        let loss = check_loss(fixture, model.as_mut(), &head);
        println!("{fixture}: loss {loss}");
    }
}

#[test]
fn neox_without_head_has_no_loss() {
    let mut model = gpt_neox::load(&fixture_dir("neox-b")).unwrap();
    assert!(!model.has_loss());
    let ids = [1u32, 2, 3];
    let states = final_states_of(model.as_mut(), &ids);
    assert!(model.mean_next_token_nll(&ids, &states).is_none());
}

#[test]
fn single_token_has_no_loss() {
    let mut model = gpt2::load(&fixture_dir("gpt2-a")).unwrap();
    let states = final_states_of(model.as_mut(), &[4]);
    assert!(model.mean_next_token_nll(&[4], &states).is_none());
}
