//! The `lipnet` binary: JSON contract, exit codes and error messages.

mod common;

use common::{golden, store_from_params, uci_root};
use lipnet::io::{self, ModelConfig};
use lipnet::model::{ArchParams, ModelId};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn lipnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lipnet"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("lipnet runs")
}

fn json_stdout(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {text}"))
}

const OUTCOME_KEYS: [&str; 16] = [
    "dataset",
    "n_train",
    "n_test",
    "model",
    "variant",
    "lip",
    "widths",
    "epochs",
    "seed",
    "clean_acc",
    "cra",
    "lip_bound",
    "lmi_max_eig",
    "lmi_pass",
    "sampled_jac_max",
    "seconds",
];

#[test]
fn demo_json_has_every_key() {
    let out = lipnet(&["demo", "--epochs", "5", "--json"]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_stdout(&out);
    for key in OUTCOME_KEYS {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    for eps in ["36/255", "72/255", "108/255", "255/255"] {
        let cra = v["cra"][eps].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&cra), "cra {eps} = {cra}");
    }
    assert_eq!(v["dataset"], "breast-cancer");
    assert_eq!(
        v["n_train"].as_u64().unwrap() + v["n_test"].as_u64().unwrap(),
        569
    );
    assert_eq!(v["model"], "ldlt-res");
    assert_eq!(v["lmi_pass"], true);
    assert!(v["sampled_jac_max"].as_f64().unwrap() <= 1.0);
}

/// Asserts a failed run with exactly one `error:` line that contains `needle`.
fn assert_one_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "expected failure");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "stderr: {stderr}");
    assert!(
        errors[0].contains(needle),
        "expected {needle:?} in {:?}",
        errors[0]
    );
}

#[test]
fn bad_flags_give_one_error_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("m.safetensors");
    let out_arg = out_file.to_str().unwrap();
    let base = [
        "train",
        "--data",
        "embedded:iris",
        "--epochs",
        "1",
        "--out",
        out_arg,
    ];

    let cases: [(&[&str], &str); 6] = [
        (&["--lip", "0"], "invalid lip = 0"),
        (&["--lip", "-2"], "invalid lip = -2"),
        (&["--widths", "8,0"], "invalid widths = 8,0"),
        (&["--model", "ldlt-xyz"], "unknown model id \"ldlt-xyz\""),
        (&["--lr", "0"], "invalid lr = 0"),
        (&["--loss", "hinge"], "invalid --loss \"hinge\""),
    ];
    for (extra, needle) in cases {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        assert_one_error(&lipnet(&args), needle);
        assert!(!out_file.exists(), "{extra:?} left a model file");
    }
}

#[test]
fn bad_data_sources_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    assert_one_error(
        &lipnet(&["demo", "--dataset", "mnist"]),
        "unknown data set \"mnist\"",
    );
    assert_one_error(
        &lipnet(&["train", "--data", "iris"]),
        "invalid data = \"iris\"",
    );

    let missing = dir.path().join("nope").join("iris");
    let arg = format!("uci121:{}", missing.display());
    assert_one_error(&lipnet(&["train", "--data", &arg]), "nope");

    let csv = dir.path().join("nan.csv");
    std::fs::write(&csv, "a,b,label\n1,2,0\nNaN,3,1\n4,5,1\n").unwrap();
    let arg = format!("csv:{}", csv.display());
    let out = lipnet(&["train", "--data", &arg, "--epochs", "1"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(
        stderr.contains("nan") || stderr.contains("non-finite") || stderr.contains("finite"),
        "{stderr}"
    );
}

#[test]
fn missing_output_folder_is_rejected_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("missing").join("m.safetensors");
    let out = lipnet(&[
        "train",
        "--data",
        "embedded:iris",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_one_error(&out, "does not exist");
}

fn save_counterexample(g: &Value, id: ModelId, path: &Path) {
    let mut store = store_from_params(&g["params"]);
    let arch = ArchParams::new(id, 4, 3, vec![4], g["L"].as_f64().unwrap())
        .check()
        .unwrap();
    lipnet::model::attach(&arch, &mut store).unwrap();
    let config = ModelConfig {
        format: io::FORMAT.into(),
        arch: arch.params().clone(),
        preprocessing: lipnet::data::Preprocessing::None,
        dataset: "counterexample".into(),
        seed: 0,
        training: Value::Null,
        classes: None,
    };
    io::save(path, &config, &store).unwrap();
}

#[test]
fn verify_rejects_reference_counterexample() {
    let Some(g) = golden("counterexample_residual.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    let parity = dir.path().join("parity.safetensors");
    save_counterexample(&g, ModelId::LdltResRef, &parity);
    let out = lipnet(&["verify", "--model", parity.to_str().unwrap(), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "parity model passed verification"
    );
    let v = json_stdout(&out);
    assert_eq!(v["lmi_pass"], false);
    assert!(v["exhaustive"].as_f64().unwrap() > g["L"].as_f64().unwrap());

    let certified = dir.path().join("certified.safetensors");
    save_counterexample(&g, ModelId::LdltRes, &certified);
    let out = lipnet(&["verify", "--model", certified.to_str().unwrap(), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json_stdout(&out)["verified"], true);
}

#[test]
fn train_save_eval_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iris.safetensors");
    let p = path.to_str().unwrap();
    let out = lipnet(&[
        "train",
        "--data",
        "embedded:iris",
        "--widths",
        "8,8",
        "--epochs",
        "30",
        "--seed",
        "1",
        "--out",
        p,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trained = json_stdout(&out);

    let out = lipnet(&[
        "eval",
        "--model",
        p,
        "--data",
        "embedded:iris",
        "--eps",
        "0.1",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evaluated = json_stdout(&out);
    assert_eq!(evaluated["clean_acc"], trained["clean_acc"]);
    assert!(evaluated["cra"]["0.1"].as_f64().is_some());

    let out = lipnet(&["verify", "--model", p, "--data", "embedded:iris", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_stdout(&out)["verified"], true);
}

#[test]
fn train_on_uci_iris_reaches_target() {
    let Some(root) = uci_root() else {
        return;
    };

    // Iris has 112 training rows, two steps per epoch: the default 10⁻³ learning
    // rate undertrains it in 100 epochs, so use 10⁻² (the other value of the UCI grid).
    for fold in 0..4 {
        let arg = format!("uci121:{}/iris#fold={fold}", root.display());
        let out = lipnet(&["train", "--data", &arg, "--lr", "1e-2", "--json"]);
        assert!(
            out.status.success(),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_stdout(&out);
        let acc = v["clean_acc"].as_f64().unwrap();
        assert!(acc >= 0.85, "UCI iris fold {fold} test accuracy {acc}");
        assert_eq!(v["lmi_pass"], true, "fold {fold}");
        assert_eq!(v["n_test"], 37, "fold {fold}");
    }
}

/// Release acceptance of the main job: run with
/// `cargo test --release -p lipnet --test cli -- --ignored`.
#[test]
#[ignore = "release acceptance; about 10 s in release mode"]
fn demo_default_acceptance() {
    let out = lipnet(&["demo", "--json"]);
    assert!(out.status.success());
    let v = json_stdout(&out);
    assert!(v["clean_acc"].as_f64().unwrap() >= 0.93, "{v}");
    assert!(v["cra"]["36/255"].as_f64().unwrap() >= 0.90, "{v}");
    assert!(v["cra"]["255/255"].as_f64().unwrap() >= 0.80, "{v}");
    assert_eq!(v["lmi_pass"], true);
    assert!(v["seconds"].as_f64().unwrap() <= 30.0, "{v}");
}

#[test]
fn eval_on_other_feature_count_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("iris.safetensors");
    let p = path.to_str().unwrap();
    let out = lipnet(&[
        "train",
        "--data",
        "embedded:iris",
        "--widths",
        "4",
        "--epochs",
        "1",
        "--out",
        p,
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = lipnet(&["eval", "--model", p, "--data", "embedded:breast-cancer"]);
    assert_one_error(&out, "expected 4 features");
}

#[test]
fn one_class_data_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("one.csv");
    std::fs::write(&csv, "a,b,label\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n9,1,0\n").unwrap();
    let arg = format!("csv:{}", csv.display());
    assert_one_error(&lipnet(&["train", "--data", &arg]), "at least 2 classes");
}

#[test]
fn output_path_must_be_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("sub");
    std::fs::create_dir(&folder).unwrap();
    let out = lipnet(&[
        "train",
        "--data",
        "embedded:iris",
        "--out",
        folder.to_str().unwrap(),
    ]);
    assert_one_error(&out, "not a regular file");

    #[cfg(unix)]
    {
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("link.safetensors");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = lipnet(&[
            "train",
            "--data",
            "embedded:iris",
            "--out",
            link.to_str().unwrap(),
        ]);
        assert_one_error(&out, "not a regular file");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }
}

#[test]
fn output_equal_to_data_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("data.csv");
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(&format!("{},{},{}\n", i, 20 - i, i % 2));
    }
    std::fs::write(&csv, &text).unwrap();
    let arg = format!("csv:{}", csv.display());

    let out = lipnet(&["train", "--data", &arg, "--out", csv.to_str().unwrap()]);

    assert_one_error(&out, "also an input");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), text);
}

#[test]
fn model_file_with_nan_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let arch = ArchParams::new(ModelId::LdltRes, 2, 2, vec![3], 1.0)
        .check()
        .unwrap();
    let mut store = tape::ParamStore::new();
    let mut rng = tape::rng::stream(0, "init");
    lipnet::model::build(&arch, &mut store, &mut rng).unwrap();
    let id = store.id("b_A").unwrap();
    store.get_mut(id)[(0, 0)] = f64::NAN;
    let config = ModelConfig {
        format: io::FORMAT.into(),
        arch: arch.params().clone(),
        preprocessing: lipnet::data::Preprocessing::None,
        dataset: "nan".into(),
        seed: 0,
        training: Value::Null,
        classes: None,
    };
    io::save(&path, &config, &store).unwrap();

    let out = lipnet(&["verify", "--model", path.to_str().unwrap()]);
    assert_one_error(&out, "non-finite value NaN");
}

/// Writes a CSV with three separated clusters labelled by text.
fn write_fruit_csv(path: &Path, labels: &[&str]) {
    let mut text = String::from("a,b,fruit\n");
    for (k, label) in labels.iter().enumerate() {
        let centre = match *label {
            "apple" => 0.0,
            "banana" => 5.0,
            _ => 10.0,
        };
        for i in 0..30 {
            let jitter = (i as f64 * 0.37 + k as f64).sin() * 0.5;
            text.push_str(&format!(
                "{},{},{label}\n",
                centre + jitter,
                centre - jitter
            ));
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn eval_keeps_the_models_class_names() {
    let dir = tempfile::tempdir().unwrap();
    let train_csv = dir.path().join("fruit.csv");
    write_fruit_csv(&train_csv, &["apple", "banana", "cherry"]);
    let model = dir.path().join("fruit.safetensors");
    let m = model.to_str().unwrap();
    let data = format!("csv:{}", train_csv.display());
    let out = lipnet(&[
        "train", "--data", &data, "--widths", "8", "--lr", "1e-2", "--epochs", "80", "--out", m,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trained = json_stdout(&out)["clean_acc"].as_f64().unwrap();
    assert!(trained >= 0.9, "training run accuracy {trained}");

    // Without apples, banana must stay class 1 rather than become class 0.
    let no_apple = dir.path().join("no_apple.csv");
    write_fruit_csv(&no_apple, &["banana", "cherry"]);
    let data = format!("csv:{}", no_apple.display());
    let out = lipnet(&["eval", "--model", m, "--data", &data, "--json"]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acc = json_stdout(&out)["clean_acc"].as_f64().unwrap();
    assert!(acc >= 0.9, "accuracy without apples {acc}");

    let unknown = dir.path().join("durian.csv");
    write_fruit_csv(&unknown, &["banana", "durian"]);
    let data = format!("csv:{}", unknown.display());
    assert_one_error(
        &lipnet(&["eval", "--model", m, "--data", &data]),
        "`durian`",
    );
}
