//! The GGUF Llama runner on a tiny random-weight model written in the test,
//! checked against a plain-loop reference forward pass.
#![cfg(feature = "models")]

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use mnn::io::texts::TextRow;
use mnn::models::gguf_llama::LlamaGguf;
use mnn::models::{HiddenStates, Layer, LayerSel, ModelSpec, WeightMode, load_model};
use mnn::runner::{ScoreParams, Scorer};
use mnn::{Error, MetricParams};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const D: usize = 64;
const N_HEAD: usize = 4;
const N_KV: usize = 2;
const HEAD_DIM: usize = D / N_HEAD;
const FFN: usize = 128;
const N_LAYER: usize = 2;
const ROPE_BASE: f32 = 10_000.0;
const EPS: f32 = 1e-5;

/// Returns the 256 GPT-2 byte-level symbols in byte order.
fn byte_symbols() -> Vec<String> {
    let printable = |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || b >= 174;
    let mut extra = 0;
    (0u32..256)
        .map(|b| {
            let code = if printable(b) {
                b
            } else {
                extra += 1;
                255 + extra
            };
            char::from_u32(code).unwrap().to_string()
        })
        .collect()
}

fn vocab() -> Vec<String> {
    let mut tokens = byte_symbols();
    tokens.extend(["ab".to_string(), "Ġab".to_string()]);
    tokens
}

/// Random weights of the tiny model, row-major [out, in] as candle reads them.
struct Weights {
    ffn: usize,
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

impl Weights {
    fn random(seed: u64) -> Self {
        Self::random_with_ffn(seed, FFN)
    }

    fn random_with_ffn(seed: u64, ffn: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut tensors = Vec::new();
        let mut add = |name: String, dims: Vec<usize>, scale: f32, offset: f32| {
            let count = dims.iter().product();
            let values = (0..count)
                .map(|_| offset + scale * (rng.random::<f32>() * 2.0 - 1.0))
                .collect();
            tensors.push((name, dims, values));
        };
        add("token_embd.weight".into(), vec![vocab().len(), D], 1.0, 0.0);
        for i in 0..N_LAYER {
            let name = |part: &str| format!("blk.{i}.{part}.weight");
            add(name("attn_norm"), vec![D], 0.2, 1.0);
            add(name("attn_q"), vec![N_HEAD * HEAD_DIM, D], 0.3, 0.0);
            add(name("attn_k"), vec![N_KV * HEAD_DIM, D], 0.3, 0.0);
            add(name("attn_v"), vec![N_KV * HEAD_DIM, D], 0.3, 0.0);
            add(name("attn_output"), vec![D, N_HEAD * HEAD_DIM], 0.2, 0.0);
            add(name("ffn_norm"), vec![D], 0.2, 1.0);
            add(name("ffn_gate"), vec![ffn, D], 0.2, 0.0);
            add(name("ffn_up"), vec![ffn, D], 0.2, 0.0);
            add(name("ffn_down"), vec![D, ffn], 0.2, 0.0);
        }
        add("output_norm.weight".into(), vec![D], 0.2, 1.0);
        Self { ffn, tensors }
    }

    fn get(&self, name: &str) -> &[f32] {
        &self.tensors.iter().find(|(n, _, _)| n == name).unwrap().2
    }
}

fn metadata(ffn: usize, with_tokenizer: bool) -> Vec<(String, Value)> {
    let mut entries = vec![
        ("general.architecture", Value::String("llama".into())),
        ("llama.block_count", Value::U32(N_LAYER as u32)),
        ("llama.embedding_length", Value::U32(D as u32)),
        ("llama.feed_forward_length", Value::U32(ffn as u32)),
        ("llama.attention.head_count", Value::U32(N_HEAD as u32)),
        ("llama.attention.head_count_kv", Value::U32(N_KV as u32)),
        ("llama.rope.dimension_count", Value::U32(HEAD_DIM as u32)),
        ("llama.rope.freq_base", Value::F32(ROPE_BASE)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(EPS)),
        ("llama.context_length", Value::U32(64)),
    ];
    if with_tokenizer {
        let strings =
            |items: Vec<String>| Value::Array(items.into_iter().map(Value::String).collect());
        entries.extend([
            ("tokenizer.ggml.model", Value::String("gpt2".into())),
            ("tokenizer.ggml.pre", Value::String("smollm".into())),
            ("tokenizer.ggml.tokens", strings(vocab())),
            (
                "tokenizer.ggml.merges",
                strings(vec!["a b".into(), "Ġ ab".into()]),
            ),
            ("tokenizer.ggml.add_bos_token", Value::Bool(false)),
        ]);
    }
    entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Writes the tiny model; norms are F32, matrices `dtype`, the embedding Q8_0
/// unless `dtype` is F32.
fn write_gguf(path: &Path, weights: &Weights, dtype: GgmlDType, with_tokenizer: bool) {
    let mut qtensors = Vec::new();
    for (name, dims, values) in &weights.tensors {
        let tensor = Tensor::from_vec(values.clone(), dims.as_slice(), &Device::Cpu).unwrap();
        let tensor_dtype = match (dims.len(), name.as_str(), dtype) {
            (1, _, _) | (_, _, GgmlDType::F32) => GgmlDType::F32,
            (_, "token_embd.weight", _) => GgmlDType::Q8_0,
            _ => dtype,
        };
        qtensors.push((
            name.clone(),
            QTensor::quantize(&tensor, tensor_dtype).unwrap(),
        ));
    }
    let metadata = metadata(weights.ffn, with_tokenizer);
    let metadata_refs: Vec<(&str, &Value)> =
        metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> =
        qtensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut file, &metadata_refs, &tensor_refs).unwrap();
}

fn tiny_model(dtype: GgmlDType, mode: WeightMode) -> (tempfile::TempDir, LlamaGguf, Weights) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    let weights = Weights::random(7);
    write_gguf(&path, &weights, dtype, true);
    let model = LlamaGguf::load(&path, mode).unwrap();
    (dir, model, weights)
}

/// Collects every layer's states.
fn run(
    model: &mut dyn HiddenStates,
    ids: &[u32],
    layers: LayerSel,
) -> Vec<(Layer, Vec<f32>, usize, usize)> {
    let mut out = Vec::new();
    model
        .forward(ids, &layers, &mut |layer, states, n, d| {
            out.push((layer, states.to_vec(), n, d));
            Ok(())
        })
        .unwrap();
    out
}

fn rms_norm(x: &[f32], weight: &[f32]) -> Vec<f32> {
    let mean_square = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let scale = 1.0 / (mean_square + EPS).sqrt();
    x.iter().zip(weight).map(|(v, w)| v * scale * w).collect()
}

/// y = W x for W stored row-major [out, in].
fn matvec(w: &[f32], x: &[f32]) -> Vec<f32> {
    w.chunks_exact(x.len())
        .map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum())
        .collect()
}

/// Rotates pairs (2i, 2i+1) of each head by position·base^(−2i/head_dim).
fn rope(x: &mut [f32], position: usize) {
    for head in x.chunks_exact_mut(HEAD_DIM) {
        for i in 0..HEAD_DIM / 2 {
            let theta = (ROPE_BASE as f64).powf(-2.0 * i as f64 / HEAD_DIM as f64);
            let (sin, cos) = (position as f64 * theta).sin_cos();
            let (a, b) = (head[2 * i] as f64, head[2 * i + 1] as f64);
            head[2 * i] = (a * cos - b * sin) as f32;
            head[2 * i + 1] = (a * sin + b * cos) as f32;
        }
    }
}

/// Plain-loop Llama forward over dense weights; returns the final states.
fn reference_forward(w: &Weights, ids: &[u32]) -> Vec<Vec<f32>> {
    let embd = w.get("token_embd.weight");
    let mut xs: Vec<Vec<f32>> = ids
        .iter()
        .map(|&id| embd[id as usize * D..(id as usize + 1) * D].to_vec())
        .collect();
    for layer in 0..N_LAYER {
        let get = |part: &str| w.get(&format!("blk.{layer}.{part}.weight"));
        let mut qs = Vec::new();
        let mut ks = Vec::new();
        let mut vs = Vec::new();
        for (position, x) in xs.iter().enumerate() {
            let normed = rms_norm(x, get("attn_norm"));
            let mut q = matvec(get("attn_q"), &normed);
            let mut k = matvec(get("attn_k"), &normed);
            rope(&mut q, position);
            rope(&mut k, position);
            qs.push(q);
            ks.push(k);
            vs.push(matvec(get("attn_v"), &normed));
        }
        let mut next = Vec::new();
        for (t, x) in xs.iter().enumerate() {
            let mut attended = vec![0.0f32; N_HEAD * HEAD_DIM];
            for h in 0..N_HEAD {
                let kv = h * N_KV / N_HEAD;
                let q = &qs[t][h * HEAD_DIM..(h + 1) * HEAD_DIM];
                let scores: Vec<f64> = (0..=t)
                    .map(|s| {
                        let k = &ks[s][kv * HEAD_DIM..(kv + 1) * HEAD_DIM];
                        q.iter().zip(k).map(|(a, b)| (a * b) as f64).sum::<f64>()
                            / (HEAD_DIM as f64).sqrt()
                    })
                    .collect();
                let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let total: f64 = scores.iter().map(|s| (s - max).exp()).sum();
                for (s, score) in scores.iter().enumerate() {
                    let p = ((score - max).exp() / total) as f32;
                    for j in 0..HEAD_DIM {
                        attended[h * HEAD_DIM + j] += p * vs[s][kv * HEAD_DIM + j];
                    }
                }
            }
            let projected = matvec(get("attn_output"), &attended);
            let h: Vec<f32> = x.iter().zip(&projected).map(|(a, b)| a + b).collect();
            let normed = rms_norm(&h, get("ffn_norm"));
            let gate = matvec(get("ffn_gate"), &normed);
            let up = matvec(get("ffn_up"), &normed);
            let mixed: Vec<f32> = gate
                .iter()
                .zip(&up)
                .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
                .collect();
            let down = matvec(get("ffn_down"), &mixed);
            next.push(h.iter().zip(&down).map(|(a, b)| a + b).collect());
        }
        xs = next;
    }
    xs.iter()
        .map(|x| rms_norm(x, w.get("output_norm.weight")))
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn config_read_from_metadata() {
    let (_dir, model, _) = tiny_model(GgmlDType::F32, WeightMode::F32);
    let config = model.config();
    assert_eq!(config.n_layer, N_LAYER);
    assert_eq!(config.hidden_size, D);
    assert_eq!(config.n_kv_head, N_KV);
    assert_eq!(config.head_dim, HEAD_DIM);
    assert_eq!(config.vocab_size, 258);
    assert_eq!(model.max_positions(), 64);
}

#[test]
fn tokenizer_from_metadata() {
    let (_dir, model, _) = tiny_model(GgmlDType::F32, WeightMode::F32);
    // "ab" merges to 256, " ab" to 257, and digits stay single bytes.
    assert_eq!(model.tokenize("ab ab").unwrap(), vec![256, 257]);
    assert_eq!(model.tokenize("12").unwrap(), vec![0x31, 0x32]);
    assert!(model.tokenize("").unwrap().is_empty());
}

#[test]
fn final_states_match_reference() {
    let (_dir, mut model, weights) = tiny_model(GgmlDType::F32, WeightMode::F32);
    let ids = [256u32, 3, 77, 257, 40, 40, 200];
    let layers = run(&mut model, &ids, LayerSel::Last);
    assert_eq!(layers.len(), 1);
    let (layer, states, n, d) = &layers[0];
    assert_eq!(*layer, Layer::Final);
    assert_eq!((*n, *d), (ids.len(), D));
    let expected: Vec<f32> = reference_forward(&weights, &ids).concat();
    let diff = max_abs_diff(states, &expected);
    assert!(diff <= 2e-5, "max |Δ| = {diff}");
}

#[test]
fn all_layers_in_order() {
    let (_dir, mut model, weights) = tiny_model(GgmlDType::F32, WeightMode::F32);
    let ids = [5u32, 6, 7];
    let layers = run(&mut model, &ids, LayerSel::All);
    let labels: Vec<Layer> = layers.iter().map(|(layer, ..)| *layer).collect();
    assert_eq!(
        labels,
        vec![
            Layer::Index(0),
            Layer::Index(1),
            Layer::Index(2),
            Layer::Final
        ]
    );
    // Layer 0 is the embedding rows themselves.
    let embd = weights.get("token_embd.weight");
    assert_eq!(layers[0].1[..D], embd[5 * D..6 * D]);
    for (_, states, n, d) in &layers {
        assert_eq!(states.len(), n * d);
        assert!(states.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn states_are_causal() {
    let (_dir, mut model, _) = tiny_model(GgmlDType::F32, WeightMode::F32);
    let ids = [10u32, 20, 30, 40, 50, 60];
    let full = run(&mut model, &ids, LayerSel::Last).remove(0).1;
    let prefix = run(&mut model, &ids[..3], LayerSel::Last).remove(0).1;
    let diff = max_abs_diff(&prefix, &full[..3 * D]);
    assert!(diff <= 1e-5, "max |Δ| = {diff}");
}

#[test]
fn quantized_mode_close_to_dequantized() {
    let (_dir, mut dense, _) = tiny_model(GgmlDType::Q4_1, WeightMode::F32);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_gguf(&path, &Weights::random(7), GgmlDType::Q4_1, true);
    let mut quantized = LlamaGguf::load(&path, WeightMode::Quantized).unwrap();
    let ids = [256u32, 3, 77, 257, 40];
    let a = run(&mut dense, &ids, LayerSel::Last).remove(0).1;
    let b = run(&mut quantized, &ids, LayerSel::Last).remove(0).1;
    let scale = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let diff = max_abs_diff(&a, &b);
    // Only the Q8_1 rounding of activations separates the two modes.
    assert!(diff <= 0.05 * scale, "max |Δ| = {diff}, max |h| = {scale}");
    assert!(diff > 0.0, "the modes should not be bit-identical");
}

#[test]
fn quantized_mode_rejects_odd_block_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    // The down projections get an input width of 96, three Q4_1 blocks.
    let weights = Weights::random_with_ffn(3, 96);
    write_gguf(&path, &weights, GgmlDType::Q4_1, true);
    let error = LlamaGguf::load(&path, WeightMode::Quantized).err().unwrap();
    assert!(error.to_string().contains("--weights f32"), "{error}");
}

#[test]
fn loss_matches_reference_head() {
    let (_dir, mut model, weights) = tiny_model(GgmlDType::F32, WeightMode::F32);
    let ids = [256u32, 3, 77, 257];
    let states = run(&mut model, &ids, LayerSel::Last).remove(0).1;
    let loss = model.mean_next_token_nll(&ids, &states).unwrap().unwrap();

    let embd = weights.get("token_embd.weight");
    let mut expected = 0.0f64;
    for t in 0..ids.len() - 1 {
        let logits: Vec<f64> = embd
            .chunks_exact(D)
            .map(|row| {
                row.iter()
                    .zip(&states[t * D..(t + 1) * D])
                    .map(|(a, b)| (a * b) as f64)
                    .sum()
            })
            .collect();
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log_total = max + logits.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
        expected += log_total - logits[ids[t + 1] as usize];
    }
    expected /= (ids.len() - 1) as f64;
    assert!(
        (loss - expected).abs() <= 1e-4 * expected.abs(),
        "{loss} vs {expected}"
    );
    assert!(
        model
            .mean_next_token_nll(&ids[..1], &states[..D])
            .unwrap()
            .is_none()
    );
}

#[test]
fn out_of_range_token_is_an_error() {
    let (_dir, mut model, _) = tiny_model(GgmlDType::F32, WeightMode::F32);
    let error = model
        .forward(&[999], &LayerSel::Last, &mut |_, _, _, _| Ok(()))
        .unwrap_err();
    assert!(error.to_string().contains("999"), "{error}");
}

#[test]
fn wrong_format_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.gguf");
    std::fs::write(&path, b"not a model").unwrap();
    let spec = ModelSpec {
        path: path.clone(),
        arch: None,
        weights: WeightMode::F32,
    };
    let error = load_model(&spec).err().unwrap();
    assert!(matches!(error, Error::Model { .. }), "{error}");
    assert!(error.to_string().contains("model.gguf"), "{error}");
}

#[test]
fn missing_tokenizer_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_gguf(&path, &Weights::random(1), GgmlDType::F32, false);
    let error = LlamaGguf::load(&path, WeightMode::F32).err().unwrap();
    assert!(matches!(error, Error::Tokenizer { .. }), "{error}");
    assert!(
        error.to_string().contains("tokenizer.ggml.model"),
        "{error}"
    );
}

#[test]
fn auto_arch_loads_gguf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_gguf(&path, &Weights::random(1), GgmlDType::Q8_0, true);
    let spec = ModelSpec {
        path,
        arch: None,
        weights: WeightMode::Quantized,
    };
    let model = load_model(&spec).unwrap();
    assert_eq!(model.hidden_size(), D);
}

#[test]
fn scorer_records_bad_texts_and_continues() {
    let (_dir, mut model, _) = tiny_model(GgmlDType::F32, WeightMode::F32);
    let metrics = MetricParams::default().check().unwrap();
    let params = ScoreParams {
        max_tokens: 4,
        all_layers: false,
        loss: true,
    };
    let mut scorer = Scorer::new(&mut model, metrics, params.check().unwrap());
    let row = |index: usize, text: &str| TextRow {
        index,
        id: index.to_string(),
        text: text.to_string(),
    };

    let empty = scorer.score(&row(0, ""));
    assert_eq!(empty[0].status, "empty");
    let one = scorer.score(&row(1, "x"));
    assert_eq!(one[0].status, "degenerate");
    assert_eq!(one[0].n_tokens, 1);
    assert_eq!(one[0].mnn, None);
    let long = scorer.score(&row(2, "the quick brown fox"));
    assert_eq!(long[0].status, "ok");
    assert!(long[0].truncated);
    assert_eq!(long[0].n_tokens, 4);
    let mnn = long[0].mnn.unwrap();
    // MNN ≤ √(min(N, d)/N) = 1 for N = 4 ≤ d.
    assert!(mnn > 0.0, "{mnn}");
    assert!(mnn <= 1.0 + 1e-12, "{mnn}");
    assert!(long[0].loss.unwrap() > 0.0);
}

fn mnn_command() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_mnn"))
}

fn csv_column(csv: &str, name: &str) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == name).unwrap();
    row[column].to_string()
}

#[test]
fn score_command_records_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_gguf(&model, &Weights::random(7), GgmlDType::F32, true);
    let input = dir.path().join("texts.jsonl");
    std::fs::write(
        &input,
        "{\"output\": \"\"}\n{\"output\": \"x\"}\n{\"output\": \"ab ab 12 ab\"}\n{\"output\": \"a b c d e\"}\n",
    )
    .unwrap();
    let out = dir.path().join("run");
    let score = |limit: &str, extra: &[&str]| {
        let status = mnn_command()
            .args(["score", "--model"])
            .arg(&model)
            .arg("--input")
            .arg(&input)
            .args([
                "--field",
                "output",
                "--metrics",
                "mnn,me,loss",
                "--limit",
                limit,
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    };

    // An interrupted run: the first three samples finished.
    score("4", &[]);
    let full = std::fs::read_to_string(out.join("samples.jsonl")).unwrap();
    let first_three: Vec<&str> = full.lines().take(3).collect();
    std::fs::write(out.join("samples.jsonl"), first_three.join("\n") + "\n").unwrap();
    score("4", &["--resume"]);
    let samples = std::fs::read_to_string(out.join("samples.jsonl")).unwrap();
    assert_eq!(samples.lines().count(), 4);
    let resumed = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(csv_column(&resumed, "n_samples"), "4");
    assert_eq!(csv_column(&resumed, "n_scored"), "2");
    assert_eq!(csv_column(&resumed, "n_nan"), "1");
    assert_eq!(csv_column(&resumed, "n_empty"), "1");
    assert!(!csv_column(&resumed, "loss_mean").is_empty());

    score("4", &["--force"]);
    let fresh = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    for column in ["mnn_mean", "me_mean", "loss_mean"] {
        assert_eq!(
            csv_column(&fresh, column),
            csv_column(&resumed, column),
            "{column}"
        );
    }
}

#[test]
fn score_threads_option_sets_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_gguf(&model, &Weights::random(7), GgmlDType::F32, true);
    let input = dir.path().join("texts.jsonl");
    std::fs::write(&input, "{\"output\": \"ab ab 12 ab a b c\"}\n").unwrap();
    let score = |threads: &str| {
        mnn_command()
            .args(["score", "--json", "--field", "output", "--threads", threads])
            .arg("--model")
            .arg(&model)
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap()
    };

    let mut means = Vec::new();
    for threads in [1u64, 2] {
        let output = score(&threads.to_string());
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let row = &rows[0];
        assert_eq!(row["threads"], threads, "{row}");
        means.push(row["mnn_mean"].as_f64().unwrap());
    }
    // Thread count changes only the order of matmul sums.
    assert!((means[0] - means[1]).abs() <= 1e-6 * means[0], "{means:?}");

    let rejected = score("0");
    assert_eq!(rejected.status.code(), Some(2));
}

#[test]
fn score_command_rejects_non_empty_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.txt"), "x").unwrap();
    let input = dir.path().join("texts.jsonl");
    std::fs::write(&input, "{\"output\": \"ab\"}\n").unwrap();
    let output = mnn_command()
        .args([
            "score",
            "--model",
            "missing.gguf",
            "--field",
            "output",
            "--input",
        ])
        .arg(&input)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--resume"), "{stderr}");
}

#[test]
fn compare_continues_after_bad_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_gguf(&model, &Weights::random(7), GgmlDType::F32, true);
    let broken = dir.path().join("broken.gguf");
    std::fs::write(&broken, "not a model").unwrap();
    let input = dir.path().join("texts.jsonl");
    std::fs::write(&input, "{\"output\": \"ab ab 12 ab\"}\n").unwrap();
    let output = mnn_command()
        .args(["compare", "--field", "output", "--json", "--model"])
        .arg(&broken)
        .arg("--model")
        .arg(&model)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 of 2 models failed"), "{stderr}");
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let error = rows[0]["error"].as_str().unwrap();
    assert!(error.contains("broken.gguf"), "{error}");
    assert_eq!(rows[1]["n_scored"], 1);
    assert!(rows[1]["loss_mean"].as_f64().unwrap() > 0.0);
    assert!(rows[1]["ppl"].as_f64().unwrap() > 1.0);
}

/// Runs `mnn` with `args` and returns its exit code and stderr.
fn mnn_failure(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let output = mnn_command().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

fn tiny_fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tiny")
        .join(name)
}

#[test]
fn score_without_tokenizer_fails_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("texts.jsonl");
    std::fs::write(&input, "{\"output\": \"ab\"}\n").unwrap();
    let model = tiny_fixture("neox-a");
    let (code, stderr) = mnn_failure(&[
        "score".as_ref(),
        "--field".as_ref(),
        "output".as_ref(),
        "--model".as_ref(),
        model.as_os_str(),
        "--input".as_ref(),
        input.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("tokenizer.json"), "{stderr}");
    assert!(stderr.contains("add tokenizer.json"), "{stderr}");
    assert!(!stderr.contains("sample skipped"), "{stderr}");
}

#[test]
fn compare_fails_when_every_model_fails() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.gguf");
    std::fs::write(&broken, "not a model").unwrap();
    let input = dir.path().join("texts.jsonl");
    std::fs::write(&input, "{\"output\": \"ab ab\"}\n").unwrap();
    let no_tokenizer = tiny_fixture("neox-a");
    let output = mnn_command()
        .args(["compare", "--field", "output", "--json", "--model"])
        .arg(&broken)
        .arg("--model")
        .arg(&no_tokenizer)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("2 of 2 models failed"), "{stderr}");
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(rows[0]["error"].as_str().unwrap().contains("broken.gguf"));
    let tokenizer_error = rows[1]["error"].as_str().unwrap();
    assert!(
        tokenizer_error.contains("tokenizer.json"),
        "{tokenizer_error}"
    );
}

#[test]
fn compare_arch_option_forces_architecture() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_gguf(&model, &Weights::random(7), GgmlDType::F32, true);
    let input = dir.path().join("texts.jsonl");
    std::fs::write(&input, "{\"output\": \"ab ab 12 ab\"}\n").unwrap();
    let output = mnn_command()
        .args([
            "compare",
            "--field",
            "output",
            "--json",
            "--arch",
            "llama-gguf",
        ])
        .arg("--model")
        .arg(&model)
        .arg("--input")
        .arg(&input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows[0]["arch"], "llama-gguf");
    assert_eq!(rows[0]["n_scored"], 1);
}

#[test]
fn score_force_keeps_input_in_out() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("samples.jsonl");
    let content = "{\"output\": \"ab\"}\n";
    std::fs::write(&input, content).unwrap();
    let (code, stderr) = mnn_failure(&[
        "score".as_ref(),
        "--field".as_ref(),
        "output".as_ref(),
        "--model".as_ref(),
        "missing.gguf".as_ref(),
        "--input".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        dir.path().as_os_str(),
        "--force".as_ref(),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("also an input"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), content);
}

#[test]
fn force_keeps_run_on_load_failure() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("texts.jsonl");
    std::fs::write(&input, "{\"output\": \"ab\"}\n").unwrap();
    let out = dir.path().join("run");
    std::fs::create_dir(&out).unwrap();
    let old = "{\"index\": 0}\n";
    std::fs::write(out.join("samples.jsonl"), old).unwrap();

    let (code, stderr) = mnn_failure(&[
        "score".as_ref(),
        "--field".as_ref(),
        "output".as_ref(),
        "--model".as_ref(),
        dir.path().join("missing.gguf").as_os_str(),
        "--input".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--force".as_ref(),
    ]);

    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(out.join("samples.jsonl")).unwrap(),
        old
    );
}

#[test]
fn score_rejects_bad_row_selection() {
    let dir = tempfile::tempdir().unwrap();
    let texts = dir.path().join("texts.jsonl");
    std::fs::write(&texts, "{\"output\": \"ab\"}\n").unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "\n  \n").unwrap();
    let cases: [(&Path, &[&str], &str, i32); 4] = [
        (&texts, &["--limit", "0"], "'--limit <K>'", 2),
        (&texts, &["--sample", "0"], "'--sample <K>'", 2),
        (&empty, &[], "has no rows", 1),
        (
            &texts,
            &["--metrics", "loss", "--layers", "all"],
            "invalid --layers all",
            1,
        ),
    ];
    for (input, extra, needle, expected_code) in cases {
        // The model path does not exist, so each error must come before loading.
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "score".as_ref(),
            "--field".as_ref(),
            "output".as_ref(),
            "--model".as_ref(),
            "missing.gguf".as_ref(),
            "--input".as_ref(),
            input.as_os_str(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        let (code, stderr) = mnn_failure(&args);
        assert_eq!(code, Some(expected_code), "{needle}: {stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
        assert!(!stderr.contains("missing.gguf"), "{needle}: {stderr}");
    }
}

#[test]
fn score_loss_alone_matches_full_run() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_gguf(&model, &Weights::random(7), GgmlDType::F32, true);
    let input = dir.path().join("texts.jsonl");
    std::fs::write(
        &input,
        "{\"output\": \"ab ab 12 ab\"}\n{\"output\": \"x\"}\n{\"output\": \" \"}\n",
    )
    .unwrap();
    let score = |metrics: &str| {
        let output = mnn_command()
            .args(["score", "--json", "--field", "output", "--metrics", metrics])
            .arg("--model")
            .arg(&model)
            .arg("--input")
            .arg(&input)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{metrics}: {stderr}");
        let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        rows[0].clone()
    };

    let alone = score("loss");
    let full = score("mnn,me,loss");
    assert_eq!(alone["n_scored"], 1, "{alone}");
    // The one-token text has no next-token prediction.
    assert_eq!(alone["n_nan"], 1, "{alone}");
    assert_eq!(alone["n_empty"], 1, "{alone}");
    assert!(alone["mnn_mean"].is_null(), "{alone}");
    let loss = alone["loss_mean"].as_f64().unwrap();
    let full_loss = full["loss_mean"].as_f64().unwrap();
    assert!(loss > 0.0, "{alone}");
    assert!(
        (loss - full_loss).abs() <= 1e-12 * full_loss,
        "{loss} vs {full_loss}"
    );
}
