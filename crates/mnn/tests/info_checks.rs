//! `mnn info` on damaged weight files and misused `--arch`: a file shorter
//! than its header declares fails naming both byte counts, `--arch bert` on
//! a GGUF file names the mismatch, and a missing path gets no `--arch` hint.

#![cfg(feature = "models")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

const D: usize = 16;
const VOCAB: usize = 32;

fn mnn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mnn"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the mnn binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn str_path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Writes a one-block Llama GGUF of f32 tensors with no tokenizer.
fn write_tiny_gguf(path: &Path) {
    let metadata = [
        ("general.architecture", Value::String("llama".into())),
        ("llama.block_count", Value::U32(1)),
        ("llama.embedding_length", Value::U32(D as u32)),
        ("llama.feed_forward_length", Value::U32(2 * D as u32)),
        ("llama.attention.head_count", Value::U32(2)),
        ("llama.attention.head_count_kv", Value::U32(2)),
        ("llama.rope.dimension_count", Value::U32(D as u32 / 2)),
        ("llama.rope.freq_base", Value::F32(10_000.0)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("llama.context_length", Value::U32(32)),
    ];
    let shapes: [(&str, Vec<usize>); 11] = [
        ("token_embd.weight", vec![VOCAB, D]),
        ("blk.0.attn_norm.weight", vec![D]),
        ("blk.0.attn_q.weight", vec![D, D]),
        ("blk.0.attn_k.weight", vec![D, D]),
        ("blk.0.attn_v.weight", vec![D, D]),
        ("blk.0.attn_output.weight", vec![D, D]),
        ("blk.0.ffn_norm.weight", vec![D]),
        ("blk.0.ffn_gate.weight", vec![2 * D, D]),
        ("blk.0.ffn_up.weight", vec![2 * D, D]),
        ("blk.0.ffn_down.weight", vec![D, 2 * D]),
        ("output_norm.weight", vec![D]),
    ];
    let tensors: Vec<(&str, QTensor)> = shapes
        .iter()
        .map(|(name, dims)| {
            let tensor = Tensor::ones(dims.as_slice(), candle_core::DType::F32, &Device::Cpu);
            let quantized = QTensor::quantize(&tensor.unwrap(), GgmlDType::F32).unwrap();
            (*name, quantized)
        })
        .collect();
    let metadata_refs: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (*k, v)).collect();
    let mut file = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut file, &metadata_refs, &tensor_refs).unwrap();
}

/// Copies `source` to `target` keeping only its first `bytes` bytes.
fn write_prefix(source: &Path, target: &Path, bytes: usize) {
    let content = std::fs::read(source).unwrap();
    std::fs::write(target, &content[..bytes]).unwrap();
}

fn tiny_gpt2_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny/gpt2-a")
}

#[test]
fn info_truncated_gguf_fails() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.gguf");
    write_tiny_gguf(&whole);
    let full_size = std::fs::metadata(&whole).unwrap().len() as usize;
    let ok = mnn(&["info", "--model", str_path(&whole)]);
    assert!(ok.status.success(), "stderr: {}", stderr(&ok));

    let cut = dir.path().join("cut.gguf");
    write_prefix(&whole, &cut, full_size - 100);
    let output = mnn(&["info", "--model", str_path(&cut)]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("cut.gguf"), "{message}");
    assert!(message.contains("truncated or corrupt"), "{message}");
    assert!(message.contains(&format!("{full_size} bytes")), "{message}");
    assert!(
        message.contains(&format!("{} bytes", full_size - 100)),
        "{message}"
    );
}

#[test]
fn info_truncated_safetensors_fails() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = tiny_gpt2_fixture();
    std::fs::copy(fixture.join("config.json"), dir.path().join("config.json")).unwrap();
    let weights = fixture.join("model.safetensors");
    let full_size = std::fs::metadata(&weights).unwrap().len() as usize;
    let cut_size = full_size / 2;
    write_prefix(&weights, &dir.path().join("model.safetensors"), cut_size);

    let output = mnn(&["info", "--model", str_path(dir.path())]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("model.safetensors"), "{message}");
    assert!(message.contains("truncated or corrupt"), "{message}");
    assert!(
        message.contains(&format!("declares {full_size} bytes")),
        "{message}"
    );
    assert!(
        message.contains(&format!("has {cut_size} bytes")),
        "{message}"
    );
}

#[test]
fn info_whole_safetensors_passes() {
    let output = mnn(&["info", "--model", str_path(&tiny_gpt2_fixture())]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
}

#[test]
fn folder_arch_on_gguf_fails() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = dir.path().join("tiny.gguf");
    write_tiny_gguf(&gguf);
    for command in ["info", "tokenize"] {
        let mut args = vec![command, "--model", str_path(&gguf), "--arch", "bert"];
        if command == "tokenize" {
            args.extend(["--text", "hi"]);
        }
        let output = mnn(&args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{command}: {message}");
        assert!(message.contains("is a GGUF model"), "{message}");
        assert!(message.contains("--arch bert"), "{message}");
        assert!(message.contains("drop --arch"), "{message}");
        assert!(!message.contains("check the path"), "{message}");
    }
}

#[test]
fn missing_path_has_no_arch_hint() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let texts = dir.path().join("texts.jsonl");
    std::fs::write(&texts, "{\"text\": \"hi\"}\n").unwrap();
    let out = dir.path().join("run");
    let runs: [Vec<&str>; 2] = [
        vec!["info", "--model", str_path(&missing)],
        vec![
            "score",
            "--model",
            str_path(&missing),
            "--input",
            str_path(&texts),
            "--field",
            "text",
            "--out",
            str_path(&out),
        ],
    ];
    for args in runs {
        let output = mnn(&args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{message}");
        assert!(message.contains("not found"), "{message}");
        assert!(!message.contains("--arch"), "{message}");
    }
}
