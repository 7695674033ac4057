//! Vocabulary-size checks: `diff-erank --untrained PATH` rejects a checkpoint
//! whose token embedding has another number of rows, and loading a model
//! whose tokenizer can produce ids beyond its embedding rows fails at once,
//! instead of `score` skipping every text and exiting 0.

#![cfg(feature = "models")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use candle_core::{Device, Tensor};
use serde_json::{Value, json};

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

/// Writes a word-level tokenizer.json with ids 0..`n_tokens` (`w0`, `w1`, …).
fn write_tokenizer(dir: &Path, n_tokens: usize) {
    let mut vocab = serde_json::Map::new();
    vocab.insert("[UNK]".into(), 0.into());
    for id in 1..n_tokens {
        vocab.insert(format!("w{id}"), id.into());
    }
    let tokenizer = json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": null, "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    });
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
}

/// Copies the tiny GPT-2 fixture (96 × 32 embedding) into `root/name` with
/// `rows` embedding rows (cut or padded with zeros) and `vocab_size = rows`
/// in config.json, and a tokenizer of `n_tokens` tokens.
fn gpt2_with_vocab(root: &Path, name: &str, rows: usize, n_tokens: usize) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny/gpt2-a");
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();

    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("config.json")).unwrap())
            .unwrap();
    config["vocab_size"] = json!(rows);
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();

    let mut tensors: HashMap<String, Tensor> =
        candle_core::safetensors::load(fixture.join("model.safetensors"), &Device::Cpu).unwrap();
    let wte = &tensors["wte.weight"];
    let resized = if rows <= 96 {
        wte.narrow(0, 0, rows).unwrap()
    } else {
        let padding = Tensor::zeros((rows - 96, 32), wte.dtype(), &Device::Cpu).unwrap();
        Tensor::cat(&[wte, &padding], 0).unwrap()
    };
    tensors.insert("wte.weight".into(), resized);
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors")).unwrap();

    write_tokenizer(&dir, n_tokens);
    dir
}

fn write_texts(root: &Path) -> PathBuf {
    let path = root.join("texts.jsonl");
    let lines = [json!({"text": "w1 w2 w3 w4"}), json!({"text": "w5 w6 w7"})];
    let lines: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[test]
fn untrained_vocab_mismatch_rejected() {
    let root = tempfile::tempdir().unwrap();
    let model = gpt2_with_vocab(root.path(), "trained", 96, 50);
    let other = gpt2_with_vocab(root.path(), "other", 120, 50);
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    let output = mnn(&[
        "diff-erank",
        "--model",
        str_path(&model),
        "--untrained",
        str_path(&other),
        "--input",
        str_path(&texts),
        "--field",
        "text",
        "--out",
        str_path(&out),
        "--json",
    ]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("invalid --untrained"), "{message}");
    assert!(message.contains("a vocabulary of 120 tokens"), "{message}");
    assert!(message.contains("a vocabulary of 96 tokens"), "{message}");
    assert!(!out.exists(), "the --out folder of the failed run is left");
}

#[test]
fn untrained_same_vocab_accepted() {
    let root = tempfile::tempdir().unwrap();
    let model = gpt2_with_vocab(root.path(), "trained", 96, 50);
    let other = gpt2_with_vocab(root.path(), "other", 96, 50);
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    let output = mnn(&[
        "diff-erank",
        "--model",
        str_path(&model),
        "--untrained",
        str_path(&other),
        "--input",
        str_path(&texts),
        "--field",
        "text",
        "--out",
        str_path(&out),
        "--json",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
}

fn score(model: &Path, root: &Path) -> Output {
    let texts = write_texts(root);
    let out = root.join("scored");
    mnn(&[
        "score",
        "--model",
        str_path(model),
        "--input",
        str_path(&texts),
        "--field",
        "text",
        "--metrics",
        "mnn",
        "--out",
        str_path(&out),
    ])
}

#[test]
fn score_tokenizer_beyond_embedding_fails() {
    let root = tempfile::tempdir().unwrap();
    let model = gpt2_with_vocab(root.path(), "small", 40, 60);
    let output = score(&model, root.path());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("60 tokens"), "{message}");
    assert!(message.contains("only 40 rows"), "{message}");
    assert_eq!(message.matches("error").count(), 1, "{message}");
}

#[test]
fn score_tokenizer_within_embedding_runs() {
    // 60 embedding rows and 60 tokenizer ids (0..=59) fit exactly.
    let root = tempfile::tempdir().unwrap();
    let model = gpt2_with_vocab(root.path(), "fits", 60, 60);
    let output = score(&model, root.path());
    assert!(output.status.success(), "stderr: {}", stderr(&output));
}
